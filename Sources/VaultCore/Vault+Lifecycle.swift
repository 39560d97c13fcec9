import Foundation
import SodiumKit

/// Key lifecycle (SECURITY.md §8): passphrase change, recovery key, rekey, integrity check.
extension Vault {
    // MARK: - Slots

    /// `passwd`: a new passphrase (and optionally a new KDF profile) for the passphrase slot. Only
    /// that slot is rewritten, in one statement; the old passphrase stops working.
    public func changePassphrase(to newPassphrase: borrowing SecureBytes, profile: KDFProfile?) throws(VaultError) {
        guard newPassphrase.count > 0 else { throw .invalidInput("the new passphrase is empty") }
        let old = try store.keySlot(.passphrase)
        let ops = profile?.opsLimit ?? old?.opsLimit ?? KDFProfile.moderate.opsLimit
        let mem = profile?.memLimit ?? old?.memLimit ?? KDFProfile.moderate.memLimit
        try audited("passwd", ids: ["kdf": profile?.rawValue ?? "unchanged"]) { () throws(VaultError) -> Void in
            let slot = try self.passphraseSlot(for: self.masterKey, passphrase: newPassphrase, opsLimit: ops, memLimit: mem)
            try self.store.replaceKeySlot(slot)
        }
    }

    /// `recovery rotate`: a new recovery key replaces the old one, which stops working. Returns
    /// the printable new key (show it once).
    public func rotateRecoveryKey(show: (String) throws -> Void) throws(VaultError) {
        try audited("recovery-rotate") { () throws(VaultError) -> Void in
            let (slot, printable) = try self.recoverySlot(for: self.masterKey)
            // Shown before it replaces the old one: a key nobody saw must never be the only one.
            do { try show(printable) } catch { throw VaultError.storage("could not show the new recovery key (\(error)); nothing was changed") }
            try self.store.replaceKeySlot(slot)
        }
    }

    /// `recovery remove`: deletes the recovery slot. Refused if there is no passphrase slot.
    public func removeRecoveryKey() throws(VaultError) {
        try audited("recovery-remove") { () throws(VaultError) -> Void in
            guard try self.store.keySlot(.passphrase) != nil else {
                throw .invalidInput("refusing to remove the recovery key: the vault has no passphrase slot, so nothing would open it")
            }
            guard try self.store.keySlot(.recovery) != nil else { throw .noSuchKeySlot("this vault has no recovery key slot") }
            try self.store.deleteKeySlots([.recovery])
        }
    }

    func passphraseSlot(for master: borrowing SecureBytes, passphrase: borrowing SecureBytes, opsLimit: UInt64,
                        memLimit: UInt64) throws(VaultError) -> KeySlotRow {
        let salt = try Self.sodium { try Random.bytes(PasswordHash.saltBytes) }
        let kek = try Self.sodium {
            try PasswordHash.deriveKey(length: 32, passphrase: passphrase, salt: salt, opsLimit: opsLimit, memLimit: memLimit)
        }
        let ad = VaultFormat.slotAD(vaultID: vaultID, formatVersion: VaultFormat.currentVersion, kind: .passphrase,
                                    opsLimit: opsLimit, memLimit: memLimit, salt: salt)
        let wrapped = try Self.sodium { try XChaCha20Poly1305.seal(master, key: kek, associatedData: ad) }
        return KeySlotRow(kind: .passphrase, kdfAlgorithm: Int64(PasswordHash.algorithmArgon2id13), opsLimit: opsLimit,
                          memLimit: memLimit, salt: salt, wrappedMasterKey: wrapped)
    }

    func recoverySlot(for master: borrowing SecureBytes) throws(VaultError) -> (KeySlotRow, String) {
        let key = try Self.sodium { try SecureBytes.random(count: RecoveryKey.keyBytes) }
        let salt = try Self.sodium { try Random.bytes(PasswordHash.saltBytes) }
        let kek = try Self.sodium { try GenericHash.keyedHashIntoSecureMemory(VaultFormat.recoveryKEKLabel + salt, key: key, length: 32) }
        let ad = VaultFormat.slotAD(vaultID: vaultID, formatVersion: VaultFormat.currentVersion, kind: .recovery,
                                    opsLimit: 0, memLimit: 0, salt: salt)
        let wrapped = try Self.sodium { try XChaCha20Poly1305.seal(master, key: kek, associatedData: ad) }
        let printable = try Self.sodium { try RecoveryKey.encode(key) }
        return (KeySlotRow(kind: .recovery, kdfAlgorithm: 0, opsLimit: 0, memLimit: 0, salt: salt, wrappedMasterKey: wrapped), printable)
    }

    // MARK: - Rekey

    /// `rekey`: a new master key and a new key for every record; every record version, source,
    /// rule and export entry is re-encrypted, and the slots rewrapped, in ONE transaction (a crash
    /// leaves the old or the new keys, never a mix). The passphrase slot keeps `passphrase`; a
    /// recovery slot, if there was one, gets a new recovery key (returned; the old one stops
    /// working). Memory stays flat: one record is in memory at a time.
    public func rekey(passphrase: borrowing SecureBytes, profile: KDFProfile?, showRecoveryKey: (String) throws -> Void = { _ in },
                      progress: @escaping (Int, Int) -> Void = { _, _ in }) throws(VaultError) -> String? {
        let newMaster = try Self.sodium { try SecureBytes.random(count: VaultFormat.masterKeyBytes) }
        let newRecordKEK = try Self.subkey(of: newMaster, VaultFormat.recordKeyWrapSubkey)
        let newSourceKey = try Self.subkey(of: newMaster, VaultFormat.sourceSubkey)
        let newRuleKey = try Self.subkey(of: newMaster, VaultFormat.ruleSubkey)
        let newExportKey = try Self.subkey(of: newMaster, VaultFormat.exportSubkey)
        let newAuditSeal = try Self.subkey(of: newMaster, VaultFormat.auditRootSealSubkey)
        let newRetentionKey = try Self.subkey(of: newMaster, VaultFormat.retentionSubkey)
        let retentionPlain = try Self.encodeJSON(try retentionIndex())
        let sealedRetention = try Self.sealPadded(retentionPlain, key: newRetentionKey, ad: VaultFormat.retentionAD(vaultID: vaultID))

        let oldSlot = try store.keySlot(.passphrase)
        var slots = [try passphraseSlot(for: newMaster, passphrase: passphrase,
                                        opsLimit: profile?.opsLimit ?? oldSlot?.opsLimit ?? KDFProfile.moderate.opsLimit,
                                        memLimit: profile?.memLimit ?? oldSlot?.memLimit ?? KDFProfile.moderate.memLimit)]
        var newRecovery: String?
        if try store.keySlot(.recovery) != nil {
            let (slot, printable) = try recoverySlot(for: newMaster)
            slots.append(slot)
            newRecovery = printable
        }
        // The audit root key is kept (so the log's keys survive), resealed under the new master key.
        let auditRoot = try Self.loadOrCreateAuditRootKey(store: store, vaultID: vaultID, masterKey: masterKey)
        let sealedRoot = try Self.sodium { () throws -> [UInt8] in
            let padded = try auditRoot.withUnsafeBytes { (r) throws(SodiumError) -> SecureBytes in
                try Padding.pad(r, blockSize: VaultFormat.paddedLength(forPlaintextCount: 32))
            }
            return try XChaCha20Poly1305.seal(padded, key: newAuditSeal, associatedData: VaultFormat.auditRootAD(vaultID: vaultID))
        }
        let vid = vaultID
        let plan = RewritePlan(
            slots: slots, auditRootKey: sealedRoot, retentionIndex: sealedRetention,
            masterCheck: try Self.masterCheck(newMaster, vaultID: vaultID),
            record: { [self] row in
                let oldKey = try self.recordKey(row)
                let newKey = try Self.sodium { try SecureBytes.random(count: XChaCha20Poly1305.keyBytes) }
                var out = row
                out.wrappedKey = try Self.sodium {
                    try XChaCha20Poly1305.seal(newKey, key: newRecordKEK, associatedData: VaultFormat.recordKeyAD(vaultID: vid, recordID: row.recordID))
                }
                for i in out.versions.indices {
                    let v = out.versions[i]
                    for field in [RecordField.meta, .body] {
                        let ad = VaultFormat.fieldAD(vaultID: vid, recordID: row.recordID, version: v.version, field: field)
                        let plain = try self.openField(field == .meta ? v.meta : v.body, key: oldKey, recordID: row.recordID,
                                                       version: v.version, field: field)
                        let sealed = try Self.sealPadded(secure: plain, key: newKey, ad: ad)
                        if field == .meta { out.versions[i].meta = sealed } else { out.versions[i].body = sealed }
                    }
                }
                return out
            },
            source: { [self] row in
                let plain = try self.openSource(row)
                return SealedSourceRow(sourceID: row.sourceID,
                                       sealed: try Self.sealPadded(secure: plain, key: newSourceKey, ad: VaultFormat.sourceAD(vaultID: vid, sourceID: row.sourceID)))
            },
            item: { [self] kind, row in
                if kind == .rule {
                    let ad = VaultFormat.ruleAD(vaultID: vid, ruleID: row.id)
                    let plain = try Self.openPadded(row.sealed, key: self.ruleKey, ad: ad, integrity: .itemIntegrity(kind: "rule", id: row.id))
                    return SealedItemRow(id: row.id, sealed: try Self.sealPadded(secure: plain, key: newRuleKey, ad: ad))
                }
                let ad = VaultFormat.exportAD(vaultID: vid, exportID: row.id)
                let plain = try Self.openPadded(row.sealed, key: self.exportKey, ad: ad, integrity: .itemIntegrity(kind: "export record", id: row.id))
                return SealedItemRow(id: row.id, sealed: try Self.sealPadded(secure: plain, key: newExportKey, ad: ad))
            },
            progress: progress)
        if let newRecovery {
            do { try showRecoveryKey(newRecovery) } catch {
                throw VaultError.storage("could not show the new recovery key (\(error)); nothing was changed")
            }
        }
        try audit(AuditEvent("rekey", ids: ["records": String(try store.recordCount())]), sign: false)
        do { try store.rewriteEverything(plan) } catch let e as VaultError {
            try? audit(AuditEvent("rekey", outcome: .failure(e)))
            throw e
        } catch {
            throw .storage("\(error)")
        }
        return newRecovery
    }

    /// Pads a secure buffer and seals it (no copy of the plaintext outside secure memory).
    static func sealPadded(secure plaintext: borrowing SecureBytes, key: borrowing SecureBytes, ad: [UInt8]) throws(VaultError) -> [UInt8] {
        try sodium { () throws -> [UInt8] in
            let padded = try plaintext.withUnsafeBytes { (p) throws(SodiumError) -> SecureBytes in
                try Padding.pad(p, blockSize: VaultFormat.paddedLength(forPlaintextCount: p.count))
            }
            return try XChaCha20Poly1305.seal(padded, key: key, associatedData: ad)
        }
    }

    // MARK: - Check

    /// `check`: every record (all versions), source, rule, export entry and the database itself.
    /// Returns every problem found; never stops at the first.
    public func check() throws(VaultError) -> (records: Int, problems: [VaultError]) {
        var problems: [VaultError] = []
        for message in try store.integrityCheck() { problems.append(.vaultIntegrity("SQLite: \(message)")) }
        let ids = try store.allRecordIDs()
        let today = String(Self.timestamp().prefix(10))
        var index: [String: String] = [:]
        do { index = try retentionIndex() } catch { problems.append(error) }
        for id in ids {
            do {
                guard let row = try store.record(id) else { continue }
                guard !row.versions.isEmpty, row.versions.map(\.version) == Array(1...row.versions.count) else {
                    throw VaultError.recordIntegrity(recordID: id)
                }
                let key = try recordKey(row)
                for v in row.versions {
                    let meta = try metadata(v, key: key, recordID: id)
                    // Retention that was switched off by editing the index is found here.
                    if v.version == row.versions.count, let until = meta.retainUntil {
                        if index[id] != until { problems.append(.vaultIntegrity("record \(id) has a retention date the retention index does not list (run 'retention apply')")) }
                        if until < today { problems.append(.vaultIntegrity("record \(id) is past its retention date but still here (run 'retention apply')")) }
                    }
                    _ = try Self.string(from: try openField(v.body, key: key, recordID: id, version: v.version, field: .body),
                                        integrity: .recordIntegrity(recordID: id))
                }
            } catch let e as VaultError {
                problems.append(e)
            } catch {
                problems.append(.recordIntegrity(recordID: id))
            }
        }
        problems += sourcesChecked().problems
        for kind in [SealedItemKind.rule, .export] {
            for row in try store.allItems(kind) {
                let integrity = VaultError.itemIntegrity(kind: kind == .rule ? "rule" : "export record", id: row.id)
                do {
                    if kind == .rule {
                        _ = try Self.decodeJSON(StoredRule.self, from: try Self.openPadded(row.sealed, key: ruleKey, ad: VaultFormat.ruleAD(vaultID: vaultID, ruleID: row.id), integrity: integrity), integrity: integrity)
                    } else {
                        _ = try Self.decodeJSON(ExportEntry.self, from: try Self.openPadded(row.sealed, key: exportKey, ad: VaultFormat.exportAD(vaultID: vaultID, exportID: row.id), integrity: integrity), integrity: integrity)
                    }
                } catch {
                    problems.append(error)
                }
            }
        }
        try audit(AuditEvent("check", outcome: problems.isEmpty ? .ok : .failed("integrity"),
                             ids: ["records": String(ids.count), "problems": String(problems.count)]))
        return (ids.count, problems)
    }
}
