import AgeFormat
import Foundation
import SodiumKit

/// The manifest (SECURITY.md §6.8) as the vault uses it: checked at every unlock, updated inside
/// every write transaction, checked in full before anything is redacted for publication and by
/// `check`.
extension Vault {
    /// Opens a sealed manifest; nil bytes (no manifest in a format-2 vault) is an integrity error.
    static func openManifest(_ sealed: [UInt8]?, keyring: borrowing Keyring) throws(VaultError) -> Manifest {
        guard let sealed else { throw .vaultIntegrity("the manifest is missing (deleted from the file?)") }
        let plain = try keyring.open(.manifest, sealed)
        guard let m = plain.withUnsafeBytes({ Manifest.decode($0) }) else { throw SealedKind.manifest.integrityError(id: "") }
        return m
    }

    /// The unlock check again, on the open vault (`make bench` times it).
    package func verifyManifestNow() throws(VaultError) {
        _ = try Self.verifyManifestAtUnlock(store: store, keyring: keyring, formatVersion: formatVersion)
    }

    /// The hot-path view of a sealed manifest (every unlock, rule read and record read), read in
    /// the buffer it was decrypted into; the view must not leave `body`.
    static func withManifestView<R>(
        _ sealed: [UInt8]?, keyring: borrowing Keyring, _ body: (ManifestView) throws(VaultError) -> R
    ) throws(VaultError) -> R {
        guard let sealed else { throw .vaultIntegrity("the manifest is missing (deleted from the file?)") }
        return try keyring.withOpened(.manifest, sealed) { (plain) throws(VaultError) -> R in
            guard let view = ManifestView(plain) else { throw SealedKind.manifest.integrityError(id: "") }
            return try body(view)
        }
    }

    /// The manifest as it is in the file now.
    func currentManifest() throws(VaultError) -> Manifest {
        try Self.openManifest(try store.sealedManifest(), keyring: keyring)
    }

    /// The unlock check: the manifest opens, and the row counts, key slots and singletons are the
    /// ones it lists. Returns the generation, and whether the key slots came back from a travel
    /// bundle since (`travel in` has no key to update the manifest; the unlock confirms it).
    static func verifyManifestAtUnlock(store: any VaultStore, keyring: borrowing Keyring, formatVersion: Int) throws(VaultError)
        -> (generation: UInt64, travelReturned: Bool, verified: VerifiedManifest?)
    {
        // One read transaction: a write another process commits meanwhile is either all in it or not.
        let snap = try store.manifestSnapshot()
        var lists: VerifiedManifest?
        let view = try withManifestView(snap.manifest, keyring: keyring) { (v) throws(VaultError) -> ManifestCounts in
            if let sealed = snap.manifest { lists = VerifiedManifest(sealed: sealed, view: v) }
            return ManifestCounts(
                generation: v.generation, format: v.format, records: v.recordCount, versionRows: v.versionRows,
                items: Dictionary(uniqueKeysWithValues: SealedItemKind.tables(format: v.format).map { ($0, v.count($0)) }),
                tail: v.tail)
        }
        let tail = view.tail
        // A format-3 vault's manifest lists the identity and contacts: an older manifest put back
        // would leave them unchecked.
        guard view.format == min(formatVersion, VaultFormat.currentVersion) else {
            throw .vaultIntegrity(
                "the manifest is of format \(view.format), the vault of format \(formatVersion) (an older copy?)")
        }
        let tables = SealedItemKind.tables(format: view.format)
        // The fast path: the counts, and the small tail field by field.
        var actual = tail
        actual.slots = [:]
        for s in snap.slots { actual.slots[s.kind.rawValue] = try Manifest.slotDigest(s) }
        actual.travelBundle = snap.travelBundle
        actual.retentionDigest = try snap.retentionIndex.map { (b) throws(VaultError) -> [UInt8] in try Manifest.digest(b) }
        actual.auditKeyDigest = try snap.auditKey.map { (b) throws(VaultError) -> [UInt8] in try Manifest.digest(b) }
        actual.masterCheck = snap.masterCheck
        let travelReturned = tail.travelReturned(to: actual)
        if travelReturned { actual.travelBundle = tail.travelBundle }
        // Counts only: which records (and items) a count hides is checked where they are read
        // (a listing or search walk, a record read, the rule set before publishing, `check`).
        let recordsAgree = snap.counts.records == view.records && snap.counts.versions == view.versionRows
        let countsAgree = recordsAgree && tables.allSatisfy { snap.counts.items[$0] == view.items[$0] }
        if countsAgree && actual == tail { return (view.generation, travelReturned, travelReturned ? nil : lists) }
        // Something differs: the full manifest, to name every object.
        let m = try openManifest(snap.manifest, keyring: keyring)
        var problems = tail.differences(from: actual)
        if !recordsAgree {
            let named = try recordDifferences(m, store).map(\.message)
            problems +=
                named.isEmpty ? ["the vault file holds a different number of record versions than its manifest lists"] : named
        }
        for table in tables where snap.counts.items[table] != view.items[table] {
            var got = m
            var ids: Set<String> = []
            try store.forEachItemRow(table) { id, _ in ids.insert(id) }
            got.items[table] = ids
            problems += m.differences(from: got).filter { $0.hasPrefix(table.noun + " ") }
        }
        if let failure = integrityFailure(problems) { throw failure }
        return (m.generation, travelReturned, nil)
    }

    /// The first problem named, the others counted.
    private static func integrityFailure(_ problems: [String]) -> VaultError? {
        guard let first = problems.first else { return nil }
        return .vaultIntegrity(first + (problems.count > 1 ? " (and \(problems.count - 1) more; run 'sourcevault check')" : ""))
    }

    /// A walk over every record (`list`, `search`) checked against the manifest read in the same
    /// transaction: every record it read is listed there with its count of version rows, and it
    /// lists no other (SECURITY.md §6.8). With the total checked at unlock this covers the whole
    /// record list, at the cost of one binary search per record the walk reads anyway. Each
    /// difference becomes a named problem (`list` and `search` still show the other records, and
    /// exit 5); a record it names is left out of `found`.
    func verifyWalk(_ walked: WalkTally, _ found: inout (records: [RecordSummary], problems: [VaultError])) throws(VaultError) {
        guard formatVersion >= 2 else { return }
        let (bad, unseen) = try Self.withManifestView(walked.sealedManifest, keyring: keyring) {
            (view) throws(VaultError) -> (Set<String>, [String]) in walked.mismatches(view)
        }
        if bad.isEmpty && unseen.isEmpty { return }
        let differences = try Self.recordDifferences(try Self.openManifest(walked.sealedManifest, keyring: keyring), store)
        let named = Set(differences.map(\.id))
        found.records.removeAll { bad.contains($0.id) }
        // A named difference replaces the failed authentication the walk reported for that record.
        found.problems.removeAll {
            if case .recordIntegrity(let id) = $0 { return bad.contains(id) && named.contains(id) }
            return false
        }
        found.problems += differences.map { .vaultIntegrity($0.message) }
        for id in bad.sorted()
        where !named.contains(id) && !found.problems.contains(.recordIntegrity(recordID: id)) {
            found.problems.append(.recordIntegrity(recordID: id))
        }
        // A listed record the walk never met, whatever the counts say.
        for id in unseen where !named.contains(id) {
            found.problems.append(.vaultIntegrity("record \(id) is listed in the manifest but was not found in the file"))
        }
    }

    /// The record differences between `m` and the file, by name (reads every record: only once a
    /// count or a walk disagrees).
    private static func recordDifferences(_ m: Manifest, _ store: any VaultStore) throws(VaultError)
        -> [Manifest.RecordDifference]
    {
        var got = m
        got.records = try Manifest.recordCounts(store)
        // A listed record whose key row is gone but whose version rows remain: named once, as such.
        let orphans = try Manifest.orphanProblems(store)
        let orphanIDs = Set(orphans.map(\.id))
        return m.recordDifferences(from: got).filter { !($0.missing && orphanIDs.contains($0.id)) } + orphans
    }

    /// §6.8: a manifest older (a lower generation) than one this process already saw or wrote was
    /// put back while it ran; writing on top of it (any write, an upgrade, a rekey, a page
    /// rebuild) would make the rollback permanent, and a walk must not take its lists.
    func requireNotRolledBack(_ fileGeneration: UInt64, _ outcome: String = "; nothing was written") throws(VaultError) {
        guard fileGeneration >= generation else {
            throw .vaultIntegrity(
                "the vault file's manifest (generation \(fileGeneration)) is older than the one this session saw (\(generation)): rolled back while open\(outcome)"
            )
        }
    }

    /// A `ManifestSeal` for a write: opens the manifest as it is in the write transaction, applies
    /// `change`, increments the generation and seals it. Nil in a format-1 vault (before its upgrade).
    func manifestUpdate(_ change: @escaping (inout Manifest) throws -> Void) -> ManifestSeal? {
        guard formatVersion >= 2 else { return nil }
        return { [self] current in
            var m = try Self.openManifest(current, keyring: self.keyring)
            try self.requireNotRolledBack(m.generation)
            try change(&m)
            m.generation += 1
            self.pendingGeneration = m.generation
            return try self.keyring.seal(.manifest, m.encode())
        }
    }

    /// Runs a store write with the manifest update; the vault's generation follows on success.
    func writing<T>(
        _ change: @escaping (inout Manifest) throws -> Void,
        _ body: (ManifestSeal?) throws(VaultError) -> T
    ) throws(VaultError) -> T {
        guard !manifestDamaged else {
            throw .vaultIntegrity(
                "the vault's rows differ from its manifest; nothing is written until that is resolved (see 'sourcevault check')")
        }
        pendingGeneration = nil
        let result = try body(manifestUpdate(change))
        if let g = pendingGeneration { generation = g }
        return result
    }

    /// A new vault's first manifest, describing what `init` wrote.
    func writeFirstManifest() throws(VaultError) {
        var m = try Manifest.describing(store, generation: 1)
        m.generation = 1
        let sealed = try keyring.seal(.manifest, m.encode())
        try store.writeManifest { current in
            guard current == nil else { throw VaultError.vaultIntegrity("a new vault already has a manifest") }
            return sealed
        }
        generation = 1
    }

    /// Format 1 → 2 at the first unlock: the rows as they are become the first manifest, in one
    /// transaction with the header's new version (logged by the caller).
    func upgradeToFormat2() throws(VaultError) {
        // Format 1's rules have no placeholder number: numbered per label in creation order (§6.6).
        var numbered: [SealedItemRow] = []
        var next: [String: Int] = [:]
        let rules = try items(.rule, as: StoredRule.self).sorted { ($0.value.created, $0.id) < ($1.value.created, $1.id) }
        // Only format 2 numbers rules: numbered rules under a format-1 header mean the manifest was
        // deleted and the header edited back, and a manifest rebuilt from these rows would vouch
        // for whatever was done to them meanwhile.
        if let numbered = rules.first(where: { $0.value.number != nil }) {
            throw .vaultIntegrity(
                "rule \(numbered.id) was numbered by format 2 but the vault says format 1 and has no manifest (deleted, the header edited back?); refusing to rebuild a manifest from rows nobody vouches for"
            )
        }
        for r in rules where r.value.number == nil {
            var rule = r.value
            let n = (next[rule.label] ?? rules.filter { $0.value.label == rule.label }.compactMap(\.value.number).max() ?? 0) + 1
            next[rule.label] = n
            rule.number = n
            numbered.append(SealedItemRow(id: r.id, sealed: try keyring.seal(.rule, try Self.encodeJSON(rule), id: r.id)))
        }
        var m = try Manifest.describing(store, generation: 1, format: 2)
        // The high-water marks count every rule, numbered before or now.
        for r in rules { if let n = r.value.number { next[r.value.label] = max(next[r.value.label] ?? 0, n) } }
        m.placeholderNumbers = next
        let sealed = try keyring.seal(.manifest, m.encode())
        try store.upgradeToFormat2(rules: numbered) { _ in sealed }
        formatVersion = 2
        generation = 1
    }

    /// Format 2 → 3 at the first unlock (SECURITY.md §3): the vault's first age identity, in one
    /// transaction with the identity and contact tables, the manifest (now listing them, its
    /// generation continued) and the header's new version. Returns the new recipient.
    func upgradeToFormat3() throws(VaultError) -> AgeRecipient {
        let identity = try Self.newIdentity()
        let id = try Self.newObjectID()
        let row = SealedItemRow(
            id: id, sealed: try keyring.seal(.identity, secure: try Self.sodium { try identity.secretCopy() }, id: id))
        try store.upgradeToFormat3(identity: row) { [self] current in
            var m = try Self.openManifest(current, keyring: self.keyring)
            try self.requireNotRolledBack(m.generation)
            m.format = 3
            m.items[.identity] = [id]
            m.items[.contact] = []
            m.generation += 1
            self.pendingGeneration = m.generation
            return try self.keyring.seal(.manifest, m.encode())
        }
        formatVersion = 3
        if let g = pendingGeneration { generation = g }
        return identity.recipient
    }

    /// Format 3 → 4 at the first session unlock (SECURITY.md §3): the fact table, in one
    /// transaction with the manifest (now listing it, empty, its generation continued) and the
    /// header's new version.
    func upgradeToFormat4() throws(VaultError) {
        try store.upgradeToFormat4 { [self] current in
            var m = try Self.openManifest(current, keyring: self.keyring)
            try self.requireNotRolledBack(m.generation)
            m.format = 4
            m.items[.fact] = []
            m.generation += 1
            self.pendingGeneration = m.generation
            return try self.keyring.seal(.manifest, m.encode())
        }
        formatVersion = 4
        if let g = pendingGeneration { generation = g }
    }

    /// After `travel in`: the slots that left are back (checked at unlock); the manifest no longer
    /// lists a pending bundle.
    func confirmTravelReturn() throws(VaultError) {
        try writing({ m in m.travelBundle = nil }) { (seal) throws(VaultError) -> Void in
            guard let seal else { return }
            try store.writeManifest(seal)
        }
    }

    /// The rule ids given are exactly the manifest's (`rules()` does the same check on the rows it
    /// read in one transaction with the manifest; `make bench` times this one).
    package func verifyRuleSet(_ ruleIDs: [String]) throws(VaultError) {
        try verifyRuleSet(ruleIDs, against: try store.sealedManifest())
    }

    /// The rule ids are exactly those `sealedManifest` lists; otherwise the first difference, named.
    func verifyRuleSet(_ ruleIDs: [String], against sealedManifest: [UInt8]?) throws(VaultError) {
        guard formatVersion >= 2 else { return }
        if try Self.withManifestView(sealedManifest, keyring: keyring, { $0.lists(ruleIDs, in: .rule) }) { return }
        let m = try Self.openManifest(sealedManifest, keyring: keyring)
        var got = m
        got.items[.rule] = Set(ruleIDs)
        throw .vaultIntegrity(m.differences(from: got).first ?? "the rules differ from the manifest")
    }

    /// `check`: the file against the manifest, every difference by name.
    func manifestProblems() -> [VaultError] { manifestProblems(acceptingTravelReturn: false).problems }

    /// The differences from the manifest; with `acceptingTravelReturn`, a return from travel mode
    /// as the unlock accepts it (`Manifest.travelReturned(to:)`) is not one of them, and the
    /// pending bundle id it accepted is returned (`check --rebuild-pages` confirms it). `checked`:
    /// the digest of the sealed manifest the rows were found to agree with (nil if they did not),
    /// which `rekey` requires its rewrite to build on.
    func manifestProblems(acceptingTravelReturn: Bool) -> (
        problems: [VaultError], travelReturn: [UInt8]?, checked: [UInt8]?
    ) {
        guard formatVersion >= 2 else { return ([], nil, nil) }
        do {
            let agreement = try rowsAgreeWithManifest(acceptingTravelReturn: acceptingTravelReturn)
            if agreement.agrees { return ([], agreement.travelReturn, agreement.checked) }
            // Something differs: the manifest the rows describe, to name every difference.
            let m = try currentManifest()
            var actual = try Manifest.describing(store, generation: m.generation, format: m.format)
            var travelReturn: [UInt8]?
            if acceptingTravelReturn && m.travelReturned(to: actual) {
                travelReturn = m.travelBundle
                actual.travelBundle = m.travelBundle
            }
            var problems = m.differences(from: actual) + (try Manifest.orphanProblems(store)).map(\.message)
            if problems.isEmpty {
                // The fast path's reads are several transactions: a write another session
                // committed between them is no difference. Once more, then only a row the file
                // holds twice (the dictionaries above count it once) is left.
                let again = try rowsAgreeWithManifest(acceptingTravelReturn: acceptingTravelReturn)
                if again.agrees { return ([], again.travelReturn, again.checked) }
                problems = ["the vault file's rows differ from its manifest (a row held twice?)"]
            }
            return (problems.map { .vaultIntegrity($0) }, travelReturn, nil)
        } catch {
            return ([error], nil, nil)
        }
    }

    /// `manifestProblems`' fast path, flat (SECURITY.md §6.8): true if the rows agree with the
    /// manifest as `Manifest.describing` and `differences(from:)` would find, without building
    /// either side's dictionary of every record id (100,000 of them for `rekey`, the bench's
    /// peak). The record rows are streamed with their version counts and each looked up in the
    /// manifest's record list in the buffer it was decrypted into (met once, with that count;
    /// every entry met); each item table's ids are compared as sorted 16-byte keys with its list,
    /// a summary page's nonce with the listed one; the slots and singletons as in `describing`;
    /// and no version row may be orphaned. Anything else is false: the caller then names it.
    private func rowsAgreeWithManifest(acceptingTravelReturn: Bool) throws(VaultError)
        -> (agrees: Bool, travelReturn: [UInt8]?, checked: [UInt8]?)
    {
        let sealed = try store.sealedManifest()
        let checked = try sealed.map { (b) throws(VaultError) -> [UInt8] in try Manifest.digest(b) }
        return try Self.withManifestView(sealed, keyring: keyring) {
            (view) throws(VaultError) -> (agrees: Bool, travelReturn: [UInt8]?, checked: [UInt8]?) in
            let tail = view.tail
            var actual = tail
            actual.slots = [:]
            for kind in [KeySlotKind.passphrase, .recovery] {
                if let s = try store.keySlot(kind) { actual.slots[kind.rawValue] = try Manifest.slotDigest(s) }
            }
            actual.retentionDigest = try store.sealedRetentionIndex().map { (b) throws(VaultError) -> [UInt8] in
                try Manifest.digest(b)
            }
            actual.auditKeyDigest = try store.sealedAuditRootKey().map { (b) throws(VaultError) -> [UInt8] in
                try Manifest.digest(b)
            }
            actual.masterCheck = try store.masterCheck()
            actual.travelBundle = try store.pendingTravelBundle()
            var travelReturn: [UInt8]?
            if acceptingTravelReturn && tail.travelReturned(to: actual) {
                travelReturn = tail.travelBundle
                actual.travelBundle = tail.travelBundle
            }
            // The tail's lists are empty on both sides: only slots, singletons and travel compared.
            guard tail.differences(from: actual).isEmpty else { return (false, nil, nil) }
            guard try recordRowsAgree(view), try store.orphanVersionCounts().isEmpty else { return (false, nil, nil) }
            for table in SealedItemKind.tables(format: view.format) {
                guard try itemRowsAgree(view, table) else { return (false, nil, nil) }
            }
            return (true, travelReturn, checked)
        }
    }

    /// Every record row is listed in `view` with its count of version rows, no entry is met twice,
    /// and every entry is met: one flag per entry, no string per record.
    private func recordRowsAgree(_ view: ManifestView) throws(VaultError) -> Bool {
        var seen = [Bool](repeating: false, count: view.recordCount)
        var agrees = true
        try store.forEachRecordVersionCount { id, versions in
            guard agrees else { return }
            guard id.count == 16, let base = id.baseAddress, let at = view.index(ofID: base), !seen[at],
                view.versions(at: at) == versions
            else {
                agrees = false
                return
            }
            seen[at] = true
        }
        return agrees && !seen.contains(false)
    }

    /// The table's ids are exactly its list in `view` (each once); a summary page's nonce is the
    /// one listed for it (format 5).
    private func itemRowsAgree(_ view: ManifestView, _ table: SealedItemKind) throws(VaultError) -> Bool {
        let seals = view.format >= 5 && table == .summaryPage ? view.tail.pageSeals : nil
        var keys: [ObjectIDKey] = []
        keys.reserveCapacity(view.count(table))
        var agrees = true
        try store.forEachItemRow(table) { id, sealed in
            guard agrees, let key = ObjectIDKey(id) else {
                agrees = false
                return
            }
            if let seals, !(seals[id].map { $0.elementsEqual(sealed.prefix(Manifest.pageNonceBytes)) } ?? false) {
                agrees = false
                return
            }
            keys.append(key)
        }
        return agrees && view.lists(keys: keys, in: table)
    }

    /// Byte equality by memcmp (a generic comparison of 200 KB was a tenth of the unlock check).
    static func sameBytes(_ a: [UInt8], _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, a.count) == 0 } }
    }
}

/// The records a walk read: 16-byte ids and version numbers, flat (no allocation per record).
struct WalkTally {
    /// The sealed manifest, read in the walk's transaction.
    var sealedManifest: [UInt8]?
    private var ids: [UInt8] = []
    private var versions: [Int] = []

    mutating func add(recordID: String, version: Int?) {
        let utf8 = recordID.utf8
        if utf8.count == 16 { ids += utf8 } else { ids += Self.unlisted }
        versions.append(version ?? 0)
    }

    /// 16 bytes no manifest lists (ids are 16 hex digits), reported as `ObjectID.malformed`.
    private static let unlisted = Array("(malformed-id)..".utf8)

    /// The walked records the manifest does not list with that count of versions, or lists once
    /// and the walk met twice; and the listed records the walk never met (matched entry by entry,
    /// not by counting: duplicate rows cannot stand in for a missing one).
    func mismatches(_ view: ManifestView) -> (bad: Set<String>, unseen: [String]) {
        var bad: Set<String> = []
        var seen = [Bool](repeating: false, count: view.recordCount)
        ids.withUnsafeBytes { p in
            for i in versions.indices {
                let key = p.baseAddress! + i * 16
                let at = view.index(ofID: key)
                if let at, !seen[at], view.versions(at: at) == versions[i] {
                    seen[at] = true
                    continue
                }
                if let at { seen[at] = true }  // met, with the wrong count or twice: named as bad
                let id = p[i * 16..<i * 16 + 16]
                bad.insert(id.elementsEqual(Self.unlisted) ? ObjectID.malformed : String(decoding: id, as: UTF8.self))
            }
        }
        let unseen = seen.indices.filter { !seen[$0] }.map {
            String(decoding: UnsafeRawBufferPointer(rebasing: view.recordBytes[$0 * 20..<$0 * 20 + 16]), as: UTF8.self)
        }
        return (bad, unseen)
    }
}

/// SECURITY.md §6.8 for a walk that streams its results (`list`, `search`): each record is checked
/// against the manifest, read at the start of the walk's own transaction, *before* it is shown, so
/// a record the manifest does not list with that count of versions is never printed; at the end
/// every listed record must have been met (unless the walk stopped at a `--limit`). The record
/// list is copied out of the opened manifest: ids and version counts are visible in the file anyway
/// (the `record` and `record_version` rows), 20 bytes a record and one flag.
struct WalkCheck {
    let sealedManifest: [UInt8]?
    private var listed: [UInt8] = []
    private var seen: [Bool] = []
    private let active: Bool
    /// A bucket index over `listed` by the ids' leading bits (ids are random lowercase hex, sorted,
    /// so an id's bucket holds one or two entries): `buckets[b]` is the first entry whose rank
    /// is `b` or more. One probe into the list per record instead of a search across 2 MB at
    /// 100,000 records. Empty for a short list (then the binary search is used).
    private var buckets: [Int32] = []
    private var shift = 24
    /// The rank of an id: its first six bytes as hex digits, so ranks never decrease along the
    /// sorted list, whatever bytes it holds. At the first byte that is not a lowercase hex digit
    /// the rank ends: a byte below '0' counts as 0 followed by zeros, one between '9' and 'a' as 9
    /// followed by f's, one above 'f' as f followed by f's (an id that is not hex lands in the one
    /// bucket where it can be). The table: a digit's value, or 0x10 | value (then zeros) or
    /// 0x20 | value (then f's).
    private static let rank: [UInt8] = (0..<256).map { (c: Int) -> UInt8 in
        switch c {
        case ..<48: 0x10
        case 48...57: UInt8(c - 48)
        case 58..<97: 0x29
        case 97...102: UInt8(c - 87)
        default: 0x2F
        }
    }

    @inline(__always) private static func rank(_ key: UnsafeRawPointer, _ table: UnsafeBufferPointer<UInt8>) -> Int {
        var v = 0
        for i in 0..<6 {
            let t = Int(table[Int(key.load(fromByteOffset: i, as: UInt8.self))])
            v = v << 4 | (t & 0xF)
            if t >= 0x10 {
                let rest = 4 * (5 - i)
                return v << rest | (t >= 0x20 ? (1 << rest) - 1 : 0)
            }
        }
        return v
    }
    /// The records met that the manifest does not list so, in walk order (never shown).
    private(set) var bad: [String] = []
    /// The ids of the table `itemsOf` named to `init`, read from the same opened manifest.
    private(set) var items: [String] = []
    /// Format 5: each summary page's id → the nonce it was last sealed with (§6.8).
    private(set) var pageSeals: [String: [UInt8]] = [:]

    init(sealedManifest: [UInt8]?, vault: Vault, itemsOf table: SealedItemKind? = nil) throws(VaultError) {
        self.sealedManifest = sealedManifest
        active = vault.formatVersion >= 2
        guard active else { return }
        // The manifest the unlock opened and checked, if the walk's transaction read the same
        // bytes (a write since, by this process or another, changes them: every seal draws a new
        // nonce): its lists were copied out then, so it is not opened a second time (§6.8).
        // Its generation must still be the vault's: after a write by this process (or an upgrade,
        // rekey, travel confirmation, retention shred) the unlock's bytes put back are a rollback,
        // opened below and refused by the generation check.
        if let verified = vault.verifiedManifest, verified.generation >= vault.generation, let sealedManifest,
            verified.isCopy(of: sealedManifest)
        {
            listed = verified.recordBytes
            items = table.map { verified.itemIDs[$0] ?? [] } ?? []
            pageSeals = verified.pageSeals
        } else {
            var seals: [String: [UInt8]] = [:]
            var generation: UInt64 = 0
            (listed, items) = try Vault.withManifestView(sealedManifest, keyring: vault.keyring) {
                (v) throws(VaultError) -> ([UInt8], [String]) in
                seals = v.tail.pageSeals
                generation = v.generation
                return (Array(v.recordBytes), table.map { VerifiedManifest.ids(v.itemBytes[$0]) } ?? [])
            }
            // Named, its lists never used (§6.8).
            try vault.requireNotRolledBack(generation, "")
            pageSeals = seals
        }
        let count = listed.count / 20
        seen = [Bool](repeating: false, count: count)
        buildBuckets(count)
    }

    /// Over an encoded record list (tests).
    init(recordBytes: [UInt8]) {
        sealedManifest = nil
        active = true
        listed = recordBytes
        seen = [Bool](repeating: false, count: recordBytes.count / 20)
        buildBuckets(recordBytes.count / 20)
    }

    private mutating func buildBuckets(_ count: Int) {
        guard count > 64, count < Int(Int32.max) else { return }
        var bits: UInt32 = 1
        while bits < 24 && (1 << bits) < count { bits += 1 }
        let shift = 24 - Int(bits)
        var buckets = [Int32](repeating: Int32(count), count: (1 << Int(bits)) + 1)
        listed.withUnsafeBytes { l in
            buckets.withUnsafeMutableBufferPointer { bk in
                Self.rank.withUnsafeBufferPointer { table in
                    var next = 0
                    for i in 0..<count {
                        let b = Self.rank(l.baseAddress! + i * 20, table) >> shift
                        while next <= b {
                            bk[next] = Int32(i)
                            next += 1
                        }
                    }
                }
            }
        }
        self.buckets = buckets
        self.shift = shift
    }

    /// The entry of a 16-byte id in `listed`, or nil.
    private func index(ofID key: UnsafeRawBufferPointer) -> Int? {
        guard key.count == 16, let k = key.baseAddress else { return nil }
        return listed.withUnsafeBytes { l -> Int? in
            guard !buckets.isEmpty else { return ManifestView.index(ofID: k, in: l) }
            let b = Self.rank.withUnsafeBufferPointer { Self.rank(k, $0) } >> shift
            let k0 = k.loadUnaligned(as: UInt64.self), k1 = k.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            return buckets.withUnsafeBufferPointer { bk -> Int? in
                var i = Int(bk[b])
                let end = Int(bk[b + 1])
                while i < end {
                    let e = l.baseAddress! + i * 20
                    if e.loadUnaligned(as: UInt64.self) == k0 && e.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == k1 {
                        return i
                    }
                    i += 1
                }
                return nil
            }
        }
    }

    /// True if the manifest lists the record with this latest version (its count of version rows)
    /// and the walk has not met it before.
    mutating func admit(_ recordID: String, version: Int?) -> Bool {
        guard active else { return true }
        var id = recordID
        let at = id.withUTF8 { index(ofID: UnsafeRawBufferPointer($0)) }
        if admitted(at, version: version) { return true }
        bad.append(recordID)
        return false
    }

    /// `admit` for an id in a buffer (16 bytes); the caller names the record when it fails.
    mutating func admit(rawID: UnsafeRawBufferPointer, version: Int?) -> Bool {
        guard active else { return true }
        if admitted(index(ofID: rawID), version: version) { return true }
        bad.append(String(decoding: rawID, as: UTF8.self))
        return false
    }

    /// `admit` for a batch of ids (16 bytes at each pointer), in order: the same answers as one
    /// `admit` after another. The lookups are done together (bucket, then entry, for all of them)
    /// so their cache misses overlap instead of one waiting for the next (a summary page's 256).
    mutating func admit(batch keys: [UnsafeRawPointer], versions: [Int]) -> [Bool] {
        guard active else { return [Bool](repeating: true, count: keys.count) }
        guard !buckets.isEmpty else {
            return keys.indices.map { admit(rawID: UnsafeRawBufferPointer(start: keys[$0], count: 16), version: versions[$0]) }
        }
        let n = keys.count
        var lo = [Int32](repeating: 0, count: n)
        var hi = [Int32](repeating: 0, count: n)
        buckets.withUnsafeBufferPointer { bk in
            Self.rank.withUnsafeBufferPointer { table in
                for j in 0..<n {
                    let b = Self.rank(keys[j], table) >> shift
                    lo[j] = bk[b]
                    hi[j] = bk[b + 1]
                }
            }
        }
        var found = [Int](repeating: -1, count: n)
        listed.withUnsafeBytes { l in
            let base = l.baseAddress!
            for j in 0..<n {
                let k0 = keys[j].loadUnaligned(as: UInt64.self)
                let k1 = keys[j].loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                var i = Int(lo[j])
                while i < Int(hi[j]) {
                    let e = base + i * 20
                    if e.loadUnaligned(as: UInt64.self) == k0 && e.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == k1 {
                        found[j] = i
                        break
                    }
                    i += 1
                }
            }
        }
        var ok = [Bool](repeating: false, count: n)
        for j in 0..<n {
            ok[j] = admitted(found[j] >= 0 ? found[j] : nil, version: versions[j])
            if !ok[j] { bad.append(String(decoding: UnsafeRawBufferPointer(start: keys[j], count: 16), as: UTF8.self)) }
        }
        return ok
    }

    private mutating func admitted(_ at: Int?, version: Int?) -> Bool {
        guard let at else { return false }
        let listedVersions = listed.withUnsafeBytes {
            Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at * 20 + 16, as: UInt32.self)))
        }
        defer { seen[at] = true }
        return !seen[at] && listedVersions == (version ?? 0)
    }

    /// The listed records the walk never met.
    func unseen() -> [String] {
        seen.indices.filter { !seen[$0] }.map { i in
            listed.withUnsafeBytes { String(decoding: UnsafeRawBufferPointer(rebasing: $0[i * 20..<i * 20 + 16]), as: UTF8.self) }
        }
    }
}

extension Vault {
    /// The problems a streamed walk found, by name (reads every record: only once something
    /// differs). `complete`: the walk met every row (no `--limit` stopped it).
    func walkProblems(_ check: WalkCheck, complete: Bool) throws(VaultError) -> [VaultError] {
        let unseen = complete ? check.unseen() : []
        if check.bad.isEmpty && unseen.isEmpty { return [] }
        let differences = try Self.recordDifferences(try Self.openManifest(check.sealedManifest, keyring: keyring), store)
        let named = Set(differences.map(\.id))
        var problems = differences.map { VaultError.vaultIntegrity($0.message) }
        var reported = Set<String>()
        for id in check.bad where !named.contains(id) && reported.insert(id).inserted {
            problems.append(.recordIntegrity(recordID: id))
        }
        for id in unseen where !named.contains(id) {
            problems.append(.vaultIntegrity("record \(id) is listed in the manifest but was not found in the file"))
        }
        return problems
    }
}

/// The manifest the unlock check opened and found in agreement with the file (SECURITY.md §6.8):
/// its sealed bytes, and the lists a walk needs, copied out of the opened buffer (ids, version
/// counts and page nonces are visible in the file anyway: the rows and the page blobs). A walk
/// whose transaction reads exactly these bytes uses the lists instead of opening it again.
final class VerifiedManifest {
    let sealed: [UInt8]
    /// Its generation: reused only while it is not older than the vault's (§6.8).
    let generation: UInt64
    let recordBytes: [UInt8]
    let itemIDs: [SealedItemKind: [String]]
    let pageSeals: [String: [UInt8]]

    init(sealed: [UInt8], view v: ManifestView) {
        self.sealed = sealed
        generation = v.generation
        recordBytes = Array(v.recordBytes)
        itemIDs = v.itemBytes[.summaryPage].map { [.summaryPage: Self.ids($0)] } ?? [:]
        pageSeals = v.tail.pageSeals
    }

    /// True if `other` is byte for byte the sealed manifest that was checked.
    func isCopy(of other: [UInt8]) -> Bool { Vault.sameBytes(sealed, other[...]) }

    /// An encoded id list (16 bytes each) as strings.
    static func ids(_ b: UnsafeRawBufferPointer?) -> [String] {
        guard let b else { return [] }
        return stride(from: 0, to: b.count, by: 16).map {
            String(decoding: UnsafeRawBufferPointer(rebasing: b[$0..<$0 + 16]), as: UTF8.self)
        }
    }
}

/// What the unlock check reads from the manifest (copied out of the view, which lives only as
/// long as its decrypted buffer).
struct ManifestCounts {
    var generation: UInt64
    var format: Int
    var records: Int
    var versionRows: Int
    var items: [SealedItemKind: Int]
    var tail: Manifest
}
