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
        try OutputTarget.check(
            path, flag: "--to", overwrite: false, offersOverwrite: false,
            protecting: [directory] + [try auditLogPath()].compactMap { $0 })
        var slots: [TravelSlot] = []
        for kind in [KeySlotKind.passphrase, .recovery] {
            if let s = try store.keySlot(kind) {
                slots.append(
                    TravelSlot(
                        kind: kind.rawValue, algorithm: s.kdfAlgorithm, opsLimit: s.opsLimit, memLimit: s.memLimit,
                        salt: Hex.encode(s.salt), wrapped: Hex.encode(s.wrappedMasterKey)))
            }
        }
        // The travel passphrase gets the same Argon2id cost as the vault's own.
        let ops = try store.keySlot(.passphrase)?.opsLimit ?? KDFProfile.moderate.opsLimit
        let mem = try store.keySlot(.passphrase)?.memLimit ?? KDFProfile.moderate.memLimit
        let salt = try Self.sodium { try Random.bytes(PasswordHash.saltBytes) }
        // The vault remembers which bundle holds its slots; only that one is taken back (an older
        // bundle would undo a passwd or rekey made since).
        let bundleID = try Self.sodium { try Random.bytes(16) }
        let key = try Self.sodium {
            try PasswordHash.deriveKey(length: 32, passphrase: travelPassphrase, salt: salt, opsLimit: ops, memLimit: mem)
        }
        let header = Self.travelMagic + vaultID + bundleID + VaultFormat.le64(ops) + VaultFormat.le64(mem) + salt
        let sealed = try Self.sealPadded(try Self.encodeJSON(slots), key: key, ad: Self.travelAD(header))
        try audited("travel-out", ids: ["slots": String(slots.count)]) { () throws(VaultError) -> Void in
            // Whoever learns the vault passphrase (a compelled unlock at the border) must not
            // thereby hold the bundle's too: the travel passphrase is tried on the passphrase slot.
            if let slot = try self.store.keySlot(.passphrase) {
                let same: Bool
                do {
                    _ = try KeySlot.unwrap(
                        slot, passphrase: travelPassphrase,
                        header: VaultHeader(formatVersion: self.formatVersion, vaultID: self.vaultID))
                    same = true
                } catch {
                    same = false
                }
                if same { throw .invalidInput("the travel passphrase must not be the vault passphrase; nothing was changed") }
            }
            try Self.writeNewFile(path, header + sealed)
            // The manifest keeps the digests of the slots that leave: only those slots can come back.
            try self.writing({ m in m.travelBundle = bundleID }) { (m) throws(VaultError) -> Void in
                try self.store.sendSlotsAway(bundleID: bundleID, manifest: m)
            }
        }
    }

    /// `travel in`: restores the slots from a bundle made for this vault.
    package static func travelIn(
        directory: String, bundle path: String, travelPassphrase: borrowing SecureBytes,
        audit: AuditSink?
    ) throws(VaultError) -> Int {
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
            throw .invalidInput(
                "that is an older travel bundle of this vault, not the one its slots are in now (it would undo later changes)")
        }
        let ops = bytes[i..<i + 8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }; i += 8
        let mem = bytes[i..<i + 8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }; i += 8
        let salt = Array(bytes[i..<i + PasswordHash.saltBytes]); i += PasswordHash.saltBytes
        try KDFBounds.check(
            algorithm: Int64(PasswordHash.algorithmArgon2id13), opsLimit: ops, memLimit: mem, saltCount: salt.count)
        let key = try sodium {
            try PasswordHash.deriveKey(length: 32, passphrase: travelPassphrase, salt: salt, opsLimit: ops, memLimit: mem)
        }
        let plain = try openPadded(
            Array(bytes[i...]), key: key, ad: travelAD(Array(bytes.prefix(fixed))), integrity: .wrongPassphrase)
        let slots = try decodeJSON([TravelSlot].self, from: plain, integrity: .invalidInput("the travel bundle is damaged"))
        var rows: [KeySlotRow] = []
        for s in slots {
            guard let kind = KeySlotKind(rawValue: s.kind), let salt = Hex.decode(s.salt), let wrapped = Hex.decode(s.wrapped)
            else {
                throw .invalidInput("the travel bundle is damaged")
            }
            rows.append(
                KeySlotRow(
                    kind: kind, kdfAlgorithm: s.algorithm, opsLimit: s.opsLimit, memLimit: s.memLimit, salt: salt,
                    wrappedMasterKey: wrapped))
        }
        for r in rows where try store.keySlot(r.kind) != nil {
            throw .invalidInput("the vault already has its key slots; nothing to bring back")
        }
        try store.bringSlotsHome(rows)
        audit?.unauthenticated(store: store, vaultID: header.vaultID, action: "travel-in")
        return rows.count
    }

    static func travelAD(_ header: [UInt8]) -> [UInt8] { Array("sourcevault.v1.travel\0".utf8) + header }

    /// Creates `path` (0600) with `bytes`, never replacing an existing file, synced before return.
    static func writeNewFile(_ path: String, _ bytes: [UInt8]) throws(VaultError) {
        do { try AtomicFile.write(bytes, to: path, replace: false) } catch {
            switch error {
            case .exists: throw .invalidInput("the --to file exists; choose another name; nothing was changed")
            case .failed(let why): throw .storage("cannot write \(path): \(why); nothing was changed")
            }
        }
    }
}
