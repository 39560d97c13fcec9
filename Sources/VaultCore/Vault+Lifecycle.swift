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
            let slot = try KeySlot.passphrase(
                self.keyring.master, passphrase: newPassphrase, vaultID: self.vaultID,
                opsLimit: ops, memLimit: mem)
            try self.replaceSlot(slot)
        }
    }

    private func replaceSlot(_ slot: KeySlotRow) throws(VaultError) {
        let digest = try Manifest.slotDigest(slot)
        try writing({ $0.slots[slot.kind.rawValue] = digest }) { (m) throws(VaultError) -> Void in
            try store.replaceKeySlot(slot, manifest: m)
        }
    }

    /// `recovery rotate`: a new recovery key replaces the old one, which stops working. Passes the
    /// printable new key to `show` (show it once).
    public func rotateRecoveryKey(show: (String) throws -> Void) throws(VaultError) {
        try audited("recovery-rotate") { () throws(VaultError) -> Void in
            let (slot, printable) = try KeySlot.recovery(self.keyring.master, vaultID: self.vaultID)
            // Shown before it replaces the old one: a key nobody saw must never be the only one.
            do { try show(printable) } catch {
                throw VaultError.storage("could not show the new recovery key (\(error)); nothing was changed")
            }
            try self.replaceSlot(slot)
        }
    }

    /// `recovery remove`: deletes the recovery slot. Refused if there is no passphrase slot.
    public func removeRecoveryKey() throws(VaultError) {
        try audited("recovery-remove") { () throws(VaultError) -> Void in
            guard try self.store.keySlot(.passphrase) != nil else {
                throw .invalidInput(
                    "refusing to remove the recovery key: the vault has no passphrase slot, so nothing would open it")
            }
            guard try self.store.keySlot(.recovery) != nil else { throw .noSuchKeySlot("this vault has no recovery key slot") }
            try self.writing({ $0.slots[KeySlotKind.recovery.rawValue] = nil }) { (m) throws(VaultError) -> Void in
                try self.store.deleteKeySlots([.recovery], manifest: m)
            }
        }
    }

    // MARK: - Rekey

    /// `rekey`: a new master key and a new key for every record; every record version, source,
    /// rule and export entry is re-encrypted, and the slots rewrapped, in ONE transaction (a crash
    /// leaves the old or the new keys, never a mix). The passphrase slot keeps `passphrase`; a
    /// recovery slot, if there was one, gets a new recovery key (returned; the old one stops
    /// working). Memory stays flat: one record is in memory at a time.
    public func rekey(
        passphrase: borrowing SecureBytes, profile: KDFProfile?, showRecoveryKey: (String) throws -> Void = { _ in },
        progress: @escaping (Int, Int) -> Void = { _, _ in }
    ) throws(VaultError) -> String? {
        // Resealing vouches for every row under the new key: only rows the manifest lists
        // (a record swapped for an older one with the counts kept would otherwise be adopted).
        // The unlock's copy of the manifest's lists (2 MB at 100,000 records, for walks) is of no
        // use to a rekey, which writes a new manifest: dropped before the check and the rewrite.
        verifiedManifest = nil
        let check = manifestProblems(acceptingTravelReturn: false)
        if let differs = check.problems.first { throw differs }
        let new = try Keyring.random(vaultID: vaultID)
        let oldSlot = try store.keySlot(.passphrase)
        var slots = [
            try KeySlot.passphrase(
                new.master, passphrase: passphrase, vaultID: vaultID,
                opsLimit: profile?.opsLimit ?? oldSlot?.opsLimit ?? KDFProfile.moderate.opsLimit,
                memLimit: profile?.memLimit ?? oldSlot?.memLimit ?? KDFProfile.moderate.memLimit)
        ]
        var newRecovery: String?
        if try store.keySlot(.recovery) != nil {
            let (slot, printable) = try KeySlot.recovery(new.master, vaultID: vaultID)
            slots.append(slot)
            newRecovery = printable
        }
        // The singletons: the retention index, and a new audit root key: the log is handed over to
        // new audit keys, so whoever held the old ones cannot add entries (SECURITY.md §11.8).
        let sealedRetention = try new.seal(.retentionIndex, try Self.encodeJSON(try retentionIndex()))
        let newAuditRoot = try Self.sodium { try SecureBytes.random(count: 32) }
        let sealedRoot = try new.seal(.auditRootKey, secure: newAuditRoot)
        let newCheck = try new.masterCheck()
        // The manifest: the same rows, the new slots and singletons, sealed under the new key.
        var manifestSeal: ManifestSeal?
        let resealedPages = PageSeals()
        // The page nonces of the manifest the rewrite builds on (its transaction requires the same
        // manifest): each page resealed must be that copy, whatever happened to the rows since
        // the check above (a second of Argon2 and the recovery key's display lie between).
        var listedPageSeals: [String: [UInt8]] = [:]
        if formatVersion >= 2 {
            // Its digest is kept, not its bytes (2 MB at 100,000 records), to require it unchanged.
            let before = try store.sealedManifest()
            let beforeDigest = try before.map { (b) throws(VaultError) -> [UInt8] in try Manifest.digest(b) }
            // The manifest the rows were checked against, so that the rewrite's compare-and-swap
            // below binds that one (rows changed since the check with the manifest kept are the
            // gap §8.1 names).
            guard beforeDigest == check.checked else {
                throw VaultError.storage("the vault changed while rekeying; nothing was changed, try again")
            }
            // Only the manifest's small tail is kept (slots, singletons, travel, labels, page
            // nonces): its record and item lists are copied from its bytes into the new one when
            // that is sealed, so no dictionary of every record id lives through the rewrite.
            var m = try Self.withManifestView(before, keyring: keyring) { (v) throws(VaultError) -> Manifest in v.tail }
            // As for every write: a manifest (and the rows it lists) put back from before a write
            // of this session would be resealed under the new key, the rollback vouched for.
            try requireNotRolledBack(m.generation, "; nothing was changed")
            listedPageSeals = m.pageSeals
            m.slots = [:]
            for s in slots { m.slots[s.kind.rawValue] = try Manifest.slotDigest(s) }
            (m.retentionDigest, m.auditKeyDigest, m.masterCheck) = (
                try Manifest.digest(sealedRetention), try Manifest.digest(sealedRoot), newCheck
            )
            m.generation += 1
            let next = m.generation
            let final = m
            manifestSeal = { [self] current in
                guard try current.map({ (b) throws(VaultError) -> [UInt8] in try Manifest.digest(b) }) == beforeDigest else {
                    throw VaultError.storage("the vault changed while rekeying; nothing was changed, try again")
                }
                // The new manifest written from the opened one's parts straight into the buffer
                // that is sealed in place (one 2 MB buffer at 100,000 records, not four).
                return try Self.withManifestView(current, keyring: self.keyring) { (view) throws(VaultError) -> [UInt8] in
                    // The pages were sealed again (new nonces) before the manifest is written.
                    var m = final
                    if view.format >= 5 {
                        // Every listed page was resealed (a page row gone since the check refuses);
                        // the list is sorted, so the first one missing is the least.
                        let listed = VerifiedManifest.ids(view.itemBytes[.summaryPage])
                        if let gone = listed.first(where: { resealedPages.seals[$0] == nil }) {
                            throw VaultError.vaultIntegrity(
                                "summary page \(gone) is missing (deleted from the file?); nothing was changed (see 'sourcevault check')"
                            )
                        }
                        m.pageSeals = resealedPages.seals
                    }
                    let splice = Manifest.Splice(view, tail: m)
                    self.pendingGeneration = next
                    return try new.seal(.manifest, count: splice.count) { splice.write(into: $0) }
                }
            }
        }
        let pageSealsAtStart = listedPageSeals
        let plan = RewritePlan(
            slots: slots, auditRootKey: sealedRoot, retentionIndex: sealedRetention, masterCheck: newCheck,
            manifest: manifestSeal,
            record: { [self] row in try self.resealRecord(row, under: new) },
            item: { [self] table, row in
                guard let kind = SealedKind.items.first(where: { $0.itemTable == table }) else {
                    throw VaultError.storage("internal error: no sealed kind for table \(table.rawValue)")
                }
                guard table == .summaryPage else {
                    return SealedItemRow(id: row.id, sealed: try self.keyring.reseal(kind, row.sealed, id: row.id, under: new))
                }
                // A page that does not open refuses the rekey by name (resealing vouches for it;
                // dropping it would change what the manifest lists): restore it first (§8.1). So
                // does one that is not the copy the manifest lists (its nonce, compared here in the
                // rewrite's transaction: an older copy that opens would be vouched for).
                guard let listed = pageSealsAtStart[row.id], listed.elementsEqual(Manifest.pageSeal(row.sealed)) else {
                    throw VaultError.vaultIntegrity(
                        "summary page \(row.id) is not the copy the manifest lists (an older copy put back?); nothing was changed (restore the page from the current backup, see 'sourcevault check')"
                    )
                }
                let sealed: [UInt8]
                do { sealed = try self.keyring.reseal(kind, row.sealed, id: row.id, under: new) } catch VaultError.storage(let m)
                {
                    throw VaultError.storage(m)
                } catch {
                    throw VaultError.vaultIntegrity(
                        "summary page \(row.id) does not open; nothing was changed (restore the page from the current backup, see 'sourcevault check')"
                    )
                }
                resealedPages.seals[row.id] = Manifest.pageSeal(sealed)
                return SealedItemRow(id: row.id, sealed: sealed)
            },
            progress: progress)
        if let newRecovery {
            do { try showRecoveryKey(newRecovery) } catch {
                throw VaultError.storage("could not show the new recovery key (\(error)); nothing was changed")
            }
        }
        // The hand-over entry (old keys), the commit with the log's state under the new keys, then
        // the rekey's last entry, signed with the new key (or its failure, with the old one).
        let event = AuditEvent("rekey", ids: ["records": String(try store.recordCount())])
        pendingGeneration = nil
        try rotateAuditKeys(to: newAuditRoot, event: event) {
            var plan = plan
            plan.auditState = $0
            try self.store.rewriteEverything(plan)
            // Before the last entry is written, so it carries the generation the rekey produced.
            if let g = self.pendingGeneration { self.generation = g }
        }
        return newRecovery
    }

    /// A record under a new record key wrapped by `new`: every version's fields re-sealed.
    private func resealRecord(_ row: SealedRecordRow, under new: borrowing Keyring) throws(VaultError) -> SealedRecordRow {
        let oldKey = try recordKey(row)
        let newKey = try Self.sodium { try SecureBytes.random(count: XChaCha20Poly1305.keyBytes) }
        var out = row
        out.wrappedKey = try new.seal(.recordKey, secure: newKey, id: row.recordID)
        for i in out.versions.indices {
            let v = out.versions[i]
            for field in [SealedKind.recordMeta, .recordBody] {
                let plain = try openField(
                    field == .recordMeta ? v.meta : v.body, key: oldKey, recordID: row.recordID,
                    version: v.version, field: field)
                let sealed = try Self.sealPadded(
                    secure: plain, key: newKey, ad: field.ad(vaultID: vaultID, id: row.recordID, version: v.version))
                if field == .recordMeta { out.versions[i].meta = sealed } else { out.versions[i].body = sealed }
            }
        }
        return out
    }

    /// Pads a secure buffer and seals it (no copy of the plaintext outside secure memory).
    static func sealPadded(
        secure plaintext: borrowing SecureBytes, key: borrowing SecureBytes, ad: [UInt8], kind: SealedKind? = nil
    ) throws(VaultError) -> [UInt8] {
        try sodium { () throws -> [UInt8] in
            let padded = try plaintext.withUnsafeBytes { (p) throws(SodiumError) -> SecureBytes in
                try Padding.pad(p, blockSize: paddedLength(of: p, kind: kind))
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
        // Each record's latest version, to compare with its summary page entry (§6.12).
        var latest: [String: (version: Int, meta: RecordMetadata)] = [:]
        for id in ids {
            do {
                guard let row = try store.record(id) else { continue }
                guard !row.versions.isEmpty, row.versions.map(\.version) == Array(1...row.versions.count) else {
                    throw VaultError.recordIntegrity(recordID: id)
                }
                let key = try recordKey(row)
                for v in row.versions {
                    let meta = try metadata(v, key: key, recordID: id)
                    if v.version == row.versions.count { latest[id] = (v.version, meta) }
                    // Retention that was switched off by editing the index is found here.
                    if v.version == row.versions.count, let until = meta.retainUntil {
                        if index[id] != until {
                            problems.append(
                                .vaultIntegrity(
                                    "record \(id) has a retention date the retention index does not list (run 'retention apply')")
                            )
                        }
                        if until < today {
                            problems.append(
                                .vaultIntegrity("record \(id) is past its retention date but still here (run 'retention apply')"))
                        }
                    }
                    _ = try Self.string(
                        from: try openField(v.body, key: key, recordID: id, version: v.version, field: .recordBody),
                        integrity: .recordIntegrity(recordID: id))
                }
            } catch let e as VaultError {
                problems.append(e)
            } catch {
                problems.append(.recordIntegrity(recordID: id))
            }
        }
        problems += checkItems()
        problems += manifestProblems()
        if formatVersion >= 5 {
            // (A page that is not the listed copy is named by the manifest comparison too: once.)
            let known = problems
            problems += try summaryPageProblems(latest).filter { !known.contains($0) }
        }
        try audit(
            AuditEvent(
                "check", outcome: problems.isEmpty ? .ok : .failed("integrity"),
                ids: ["records": String(ids.count), "problems": String(problems.count)]))
        return (ids.count, problems)
    }

    /// `check` of a format-5 vault: the summary pages read as `list` reads them (every entry
    /// against the manifest), and every entry equal to its record's latest version (§6.12).
    private func summaryPageProblems(_ latest: [String: (version: Int, meta: RecordMetadata)]) throws(VaultError)
        -> [VaultError]
    {
        var differing: [String] = []
        var outcome = try listFromPages(sourceID: nil, tagFolded: nil, offset: 0, limit: nil, aliases: [:]) { s in
            if let r = latest[s.id], r.version != s.version || r.meta != s.metadata { differing.append(s.id) }
        }
        for id in differing {
            outcome.problems.append(
                .vaultIntegrity("record \(id): its summary page entry is not its latest version (written without the key?)"))
        }
        // A page that does not open is already named by `checkItems`.
        return outcome.problems.filter { $0 != SealedKind.summaryPage.integrityError(id: Self.pageID(of: $0) ?? "") }
    }

    private static func pageID(of error: VaultError) -> String? {
        if case .itemIntegrity(kind: "summary page", let id) = error { return id }
        return nil
    }
}

/// The nonces of the summary pages `rekey` sealed again, for its manifest (§6.8).
private final class PageSeals {
    var seals: [String: [UInt8]] = [:]
}
