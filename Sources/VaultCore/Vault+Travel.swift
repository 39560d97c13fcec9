import Foundation
import SodiumKit

/// Travel mode (SECURITY.md §8.4): the key slots leave the device in a bundle sealed to a separate
/// travel passphrase; what stays behind cannot be opened by anyone, the reporter included.
extension Vault {
    static let travelMagic = Array("SVTRAVEL1\0".utf8)

    struct TravelSlot: Codable {
        var kind: UInt8; var algorithm: Int64; var opsLimit: UInt64; var memLimit: UInt64; var salt: String; var wrapped: String
    }

    /// `travel out`: writes the bundle (0600, never over an existing file), then deletes every key
    /// slot in one transaction. The bundle is on disk and synced before any slot is deleted.
    public func travelOut(to path: String, travelPassphrase: borrowing SecureBytes) throws(VaultError) {
        guard travelPassphrase.count > 0 else { throw .invalidInput("the travel passphrase is empty") }
        var slots: [TravelSlot] = []
        for kind in [KeySlotKind.passphrase, .recovery] {
            if let s = try store.keySlot(kind) {
                slots.append(TravelSlot(kind: kind.rawValue, algorithm: s.kdfAlgorithm, opsLimit: s.opsLimit, memLimit: s.memLimit,
                                        salt: Self.hex(s.salt), wrapped: Self.hex(s.wrappedMasterKey)))
            }
        }
        // The travel passphrase gets the same Argon2id cost as the vault's own.
        let ops = try store.keySlot(.passphrase)?.opsLimit ?? KDFProfile.moderate.opsLimit
        let mem = try store.keySlot(.passphrase)?.memLimit ?? KDFProfile.moderate.memLimit
        let salt = try Self.sodium { try Random.bytes(PasswordHash.saltBytes) }
        // The vault remembers which bundle holds its slots; only that one is taken back (an older
        // bundle would undo a passwd or rekey made since).
        let bundleID = try Self.sodium { try Random.bytes(16) }
        let key = try Self.sodium { try PasswordHash.deriveKey(length: 32, passphrase: travelPassphrase, salt: salt, opsLimit: ops, memLimit: mem) }
        let header = Self.travelMagic + vaultID + bundleID + VaultFormat.le64(ops) + VaultFormat.le64(mem) + salt
        let sealed = try Self.sealPadded(try Self.encodeJSON(slots), key: key, ad: Self.travelAD(header))
        try audited("travel-out", ids: ["slots": String(slots.count)]) { () throws(VaultError) -> Void in
            try Self.writeNewFile(path, header + sealed)
            try self.store.sendSlotsAway(bundleID: bundleID)
        }
    }

    /// `travel in`: restores the slots from a bundle made for this vault.
    public static func travelIn(directory: String, bundle path: String, travelPassphrase: borrowing SecureBytes,
                                audit: AuditSink?) throws(VaultError) -> Int {
        let (store, header) = try openStore(directory)
        guard let data = FileManager.default.contents(atPath: path) else { throw .invalidInput("cannot read that travel bundle") }
        let bytes = Array(data)
        let fixed = travelMagic.count + 16 + 16 + 8 + 8 + PasswordHash.saltBytes
        guard bytes.count > fixed, Array(bytes.prefix(travelMagic.count)) == travelMagic else {
            throw .invalidInput("that file is not a SourceVault travel bundle")
        }
        var i = travelMagic.count
        let vid = Array(bytes[i..<i + 16]); i += 16
        guard vid == header.vaultID else { throw .invalidInput("that travel bundle belongs to another vault") }
        let bundleID = Array(bytes[i..<i + 16]); i += 16
        guard let pending = try store.pendingTravelBundle() else {
            throw .invalidInput("the vault's key slots are not away in a travel bundle; nothing to bring back")
        }
        guard pending == bundleID else {
            throw .invalidInput("that is an older travel bundle of this vault, not the one its slots are in now (it would undo later changes)")
        }
        let ops = bytes[i..<i + 8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }; i += 8
        let mem = bytes[i..<i + 8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }; i += 8
        let salt = Array(bytes[i..<i + PasswordHash.saltBytes]); i += PasswordHash.saltBytes
        try KDFBounds.check(algorithm: Int64(PasswordHash.algorithmArgon2id13), opsLimit: ops, memLimit: mem, saltCount: salt.count)
        let key = try sodium { try PasswordHash.deriveKey(length: 32, passphrase: travelPassphrase, salt: salt, opsLimit: ops, memLimit: mem) }
        let plain = try openPadded(Array(bytes[i...]), key: key, ad: travelAD(Array(bytes.prefix(fixed))), integrity: .wrongPassphrase)
        let slots = try decodeJSON([TravelSlot].self, from: plain, integrity: .invalidInput("the travel bundle is damaged"))
        var rows: [KeySlotRow] = []
        for s in slots {
            guard let kind = KeySlotKind(rawValue: s.kind), let salt = hexDecode(s.salt), let wrapped = hexDecode(s.wrapped) else {
                throw .invalidInput("the travel bundle is damaged")
            }
            rows.append(KeySlotRow(kind: kind, kdfAlgorithm: s.algorithm, opsLimit: s.opsLimit, memLimit: s.memLimit, salt: salt, wrappedMasterKey: wrapped))
        }
        for r in rows where try store.keySlot(r.kind) != nil {
            throw .invalidInput("the vault already has its key slots; nothing to bring back")
        }
        try store.bringSlotsHome(rows)
        audit?.unauthenticated(store: store, vaultID: header.vaultID, action: "travel-in")
        return rows.count
    }

    static func travelAD(_ header: [UInt8]) -> [UInt8] { Array("sourcevault.v1.travel\0".utf8) + header }

    static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    static func hexDecode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var chars = Array(s.utf8)
        guard chars.count % 2 == 0 else { return nil }
        while !chars.isEmpty {
            guard let b = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
            chars.removeFirst(2)
        }
        return out
    }

    /// Creates `path` (0600) with `bytes`, never replacing an existing file, synced before return.
    static func writeNewFile(_ path: String, _ bytes: [UInt8]) throws(VaultError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw errno == EEXIST ? .invalidInput("\(path) exists; choose another name") : .storage("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var off = 0
        var ok = true
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; ok = false; break }
            off += n
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok else { unlink(path); throw .storage("cannot write \(path); nothing was changed") }
        syncDirectory((path as NSString).deletingLastPathComponent)
    }
}
