import Foundation
import SodiumKit

/// Padding, sealing and opening of the encrypted fields (SECURITY.md §6, §7).
extension Vault {
    /// Pads `plaintext` (SECURITY.md §7) in secure memory and seals it.
    static func sealPadded(_ plaintext: [UInt8], key: borrowing SecureBytes, ad: [UInt8], kind: SealedKind? = nil)
        throws(VaultError) -> [UInt8]
    {
        try sodium {
            let block = plaintext.withUnsafeBytes { paddedLength(of: $0, kind: kind) }
            let padded = try Padding.pad(plaintext, blockSize: block)
            return try XChaCha20Poly1305.seal(padded, key: key, associatedData: ad)
        }
    }

    /// SECURITY.md §7: the length before padding, or nil if the padding is malformed or its length
    /// is not the one the writer produces for that plaintext length.
    /// A summary page (§6.12) is padded to at least 256 bytes per entry, its entry count read from
    /// the plaintext.
    static func plaintextLength(ofPadded p: UnsafeRawBufferPointer, kind: SealedKind? = nil) -> Int? {
        guard let n = try? Padding.unpaddedLength(p, blockSize: p.count),
            p.count == paddedLength(of: UnsafeRawBufferPointer(rebasing: p[..<n]), kind: kind)
        else { return nil }
        return n
    }

    /// The padded length of `plain` sealed as `kind` (§7; a summary page per §6.12).
    static func paddedLength(of plain: UnsafeRawBufferPointer, kind: SealedKind?) -> Int {
        guard kind == .summaryPage else { return VaultFormat.paddedLength(forPlaintextCount: plain.count) }
        return SummaryPage.paddedLength(of: plain)
    }

    /// Opens and unpads a sealed field. Any failure is reported as `integrity`.
    static func openPadded(
        _ sealed: [UInt8], key: borrowing SecureBytes, ad: [UInt8], integrity: VaultError, kind: SealedKind? = nil
    ) throws(VaultError) -> SecureBytes {
        do {
            let padded = try XChaCha20Poly1305.open(sealed, key: key, associatedData: ad)
            guard let n = padded.withUnsafeBytes({ plaintextLength(ofPadded: $0, kind: kind) }) else { throw integrity }
            return try padded.prefix(n)
        } catch SodiumError.outOfMemory {
            throw .storage("secure memory unavailable")
        } catch {
            throw integrity
        }
    }

    /// The record's own key, unwrapped with the record-key-wrapping subkey.
    func recordKey(_ row: SealedRecordRow) throws(VaultError) -> SecureBytes {
        let key = try keyring.open(.recordKey, row.wrappedKey, id: row.recordID)
        guard key.count == XChaCha20Poly1305.keyBytes else { throw VaultError.recordIntegrity(recordID: row.recordID) }
        return key
    }

    /// Opens the record's key into the reused key buffer and runs `body` with it.
    func withRecordKey<T>(
        recordID: String, wrappedKey: UnsafeRawBufferPointer, using buffer: SecureScratch? = nil,
        _ body: (borrowing SecureBytes) throws -> T
    ) throws -> T {
        let keyScratch = buffer ?? self.keyScratch
        let integrity = VaultError.recordIntegrity(recordID: recordID)
        guard wrappedKey.count == XChaCha20Poly1305.keyBytes + XChaCha20Poly1305.overhead else { throw integrity }
        let ad = SealedKind.recordKey.ad(vaultID: vaultID, id: recordID)
        let opened = try keyring.withKey(for: .recordKey) { (kek) throws(VaultError) -> Bool in
            do { _ = try XChaCha20Poly1305.open(wrappedKey, key: kek, associatedData: ad, into: keyScratch) } catch SodiumError
                .outOfMemory
            {
                throw .storage("secure memory unavailable")
            } catch {
                return false
            }
            return true
        }
        guard opened else { throw integrity }
        defer { keyScratch.wipe() }
        return try keyScratch.withSecureBytes { try body($0) }
    }

    /// Opens a field into the reused data buffer, checks its padding, and runs `body` with the
    /// plaintext bytes. The buffer is wiped afterwards.
    func withOpenedField<T>(
        _ sealed: UnsafeRawBufferPointer, key: borrowing SecureBytes, recordID: String, version: Int, field: SealedKind,
        using buffer: SecureScratch? = nil, _ body: (UnsafeRawBufferPointer) throws -> T
    ) throws -> T {
        let dataScratch = buffer ?? self.dataScratch
        let integrity = VaultError.recordIntegrity(recordID: recordID)
        guard (1...Int(UInt32.max)).contains(version) else { throw integrity }
        let ad = field.ad(vaultID: vaultID, id: recordID, version: version)
        let padded: Int
        do { padded = try XChaCha20Poly1305.open(sealed, key: key, associatedData: ad, into: dataScratch) } catch SodiumError
            .outOfMemory
        {
            throw VaultError.storage("secure memory unavailable")
        } catch {
            throw integrity
        }
        defer { dataScratch.wipe(count: padded) }
        return try dataScratch.withBytes(count: padded) { (p) throws -> T in
            guard let n = Self.plaintextLength(ofPadded: p) else { throw integrity }
            return try body(UnsafeRawBufferPointer(rebasing: p[0..<n]))
        }
    }

    func wrapRecordKey(_ key: borrowing SecureBytes, recordID: String) throws(VaultError) -> [UInt8] {
        try keyring.seal(.recordKey, secure: key, id: recordID)
    }

    /// Pads (SECURITY.md §7) and seals a record field through the reused seal buffer.
    func sealField(_ plaintext: [UInt8], key: borrowing SecureBytes, recordID: String, version: Int, field: SealedKind)
        throws(VaultError) -> [UInt8]
    {
        let ad = field.ad(vaultID: vaultID, id: recordID, version: version)
        let block = VaultFormat.paddedLength(forPlaintextCount: plaintext.count)
        var padded = 0
        defer { sealScratch.wipe(count: padded) }
        return try Self.sodium {
            var result: Result<Int, SodiumError> = .failure(.invalidArgument("padding failed"))
            plaintext.withUnsafeBytes { p in
                result = Result { () throws(SodiumError) -> Int in try Padding.pad(p, blockSize: block, into: sealScratch) }
            }
            padded = try result.get()
            return try XChaCha20Poly1305.seal(sealScratch, count: padded, key: key, associatedData: ad)
        }
    }

    /// Generates a new record key in the reused key buffer and runs `body` with it; the buffer is
    /// wiped afterwards.
    func withNewRecordKey<T>(_ body: (borrowing SecureBytes) throws(VaultError) -> T) throws(VaultError) -> T {
        try Self.sodium { try newKeyScratch.fillRandom() }
        defer { newKeyScratch.wipe() }
        var result: Result<T, VaultError> = .failure(.storage("no key"))
        newKeyScratch.withSecureBytes { key in result = Result { () throws(VaultError) -> T in try body(key) } }
        return try result.get()
    }

    func openField(_ sealed: [UInt8], key: borrowing SecureBytes, recordID: String, version: Int, field: SealedKind)
        throws(VaultError) -> SecureBytes
    {
        // A version we could not have written (the store maps bad values to -1).
        guard (1...Int(UInt32.max)).contains(version) else { throw .recordIntegrity(recordID: recordID) }
        return try Self.openPadded(
            sealed, key: key,
            ad: field.ad(vaultID: vaultID, id: recordID, version: version),
            integrity: .recordIntegrity(recordID: recordID))
    }

    /// Decodes JSON held in secure memory. The decoder needs a `Data` copy; it lives only for
    /// the duration of this call.
    static func decodeJSON<T: Decodable>(_ type: T.Type, from bytes: borrowing SecureBytes, integrity: VaultError)
        throws(VaultError) -> T
    {
        let data = bytes.withUnsafeBytes { Data($0) }
        do { return try JSONDecoder().decode(type, from: data) } catch { throw integrity }
    }

    static func string(from bytes: borrowing SecureBytes, integrity: VaultError) throws(VaultError) -> String {
        let s: String? = bytes.withUnsafeBytes { String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) }
        guard let s else { throw integrity }
        return s
    }

    static func encodeJSON<T: Encodable>(_ value: T) throws(VaultError) -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return Array(try enc.encode(value)) } catch { throw .storage("cannot encode: \(error)") }
    }

    static func newObjectID() throws(VaultError) -> String {
        Hex.encode(try sodium { try Random.bytes(VaultFormat.objectIDBytes) })
    }

    static func timestamp(_ date: Date = Date()) -> String { UTCTimestamp.string(date) }
}

/// UTC `YYYY-MM-DDTHH:MM:SSZ` (what ISO8601DateFormatter's internet date-time gives), without a
/// date formatter: making one loads ICU, 2 ms of every command's start-up.
public enum UTCTimestamp {
    public static func string(_ date: Date = Date()) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(width - s.count, 0)) + s
        }
        return
            "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))Z"
    }
}

/// Public content hashes (export provenance, audit later).
public enum ContentHash {
    /// Unkeyed BLAKE2b-256 of `bytes`, lowercase hex.
    public static func blake2b256Hex(_ bytes: [UInt8]) throws -> String {
        Hex.encode(try GenericHash.hash(bytes, length: 32))
    }

    /// Unkeyed BLAKE2b-256 of `text`'s UTF-8, lowercase hex (read in place, not copied).
    public static func blake2b256Hex(utf8 text: String) throws -> String {
        var text = text
        return Hex.encode(try text.withUTF8 { try GenericHash.hash(UnsafeRawBufferPointer($0), length: 32) })
    }
}
