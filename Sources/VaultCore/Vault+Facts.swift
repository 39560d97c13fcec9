import Foundation
import SodiumKit

/// What a fact says about its source (SECURITY.md §6.11): the guard counts kinds, because three
/// details of three different kinds narrow a person down faster than three of one kind.
public enum FactKind: String, Codable, Sendable, CaseIterable {
    case age = "AGE", place = "PLACE", date = "DATE", work = "WORK", family = "FAMILY", body = "BODY", other = "OTHER"
}

/// A fact about a source, as stored, sealed (SECURITY.md §6.11): something true that may be
/// published but narrows down who the source is ("34 years old", "the mine canteen"). Facts are
/// matched in published text like rule terms, never redacted.
public struct StoredFact: Codable, Sendable, Equatable {
    /// The source's id (not its alias).
    public var source: String
    public var kind: FactKind
    public var term: String
    public var variants: [String]
    public var created: String

    public init(source: String, kind: FactKind, term: String, variants: [String] = [], created: String = "") {
        self.source = source; self.kind = kind; self.term = term; self.variants = variants; self.created = created
    }
}

/// One fact as an export entry records it (§6.7, §6.11): its id and kind, never its term.
public struct PublishedFact: Codable, Sendable, Hashable {
    public var id: String
    public var kind: FactKind
    public init(id: String, kind: FactKind) { self.id = id; self.kind = kind }
}

/// `disclosure ALIAS`: a source's facts, its threshold, and the export entries that published any
/// of them (each names the fact ids it published, ``ExportEntry/facts``).
public struct DisclosureLedger: Sendable {
    public var source: Source
    public var threshold: Int
    public var facts: [(id: String, fact: StoredFact)]
    public var exports: [ExportEntry]

    /// The source's facts published so far (facts since removed included).
    public var published: Set<PublishedFact> { Set(exports.flatMap { $0.facts ?? [] }) }
}

extension Vault {
    /// Without `source set ALIAS --disclosure-threshold N`: 3 facts (of at least 2 kinds).
    public static let defaultDisclosureThreshold = 3

    /// The guard's rule (SECURITY.md §6.11): `published` reaches `threshold` when it holds at
    /// least `threshold` facts of at least `min(2, threshold)` different kinds.
    public static func reachesThreshold(_ published: [FactKind], threshold: Int) -> Bool {
        published.count >= threshold && Set(published).count >= min(2, threshold)
    }

    // MARK: - Facts

    /// `fact add`: stores a fact about the source with this alias; returns its id. Refuses an
    /// empty term or variant and a fact the source already has (same term and variants, folded).
    public func addFact(sourceAlias: String, kind: FactKind, term: String, variants: [String] = []) throws(VaultError)
        -> String
    {
        try audited(
            "fact-add", ids: ["kind": kind.rawValue], values: ["term": Array(term.utf8)],
            after: { ["fact": $0] }
        ) { () throws(VaultError) -> String in
            guard formatVersion >= 4 else {
                throw .invalidInput("this vault has no fact table yet (it is upgraded at its next unlock)")
            }
            let source = try self.source(alias: sourceAlias)
            let term = try Validation.singleLine(term, what: "fact")
            let variants = variants.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard !variants.contains(where: \.isEmpty) else { throw .invalidInput("a --variant is empty") }
            let key = Self.factIdentity(term, variants)
            if let existing = try facts().first(where: {
                $0.fact.source == source.id && Self.factIdentity($0.fact.term, $0.fact.variants) == key
            }) {
                throw .invalidInput("the source already has this fact (\(existing.id))")
            }
            let fact = StoredFact(source: source.id, kind: kind, term: term, variants: variants, created: Self.timestamp())
            return try insertItem(.fact, fact)
        }
    }

    /// `fact list [--source ALIAS]`: every fact (of one source), audited.
    public func listFacts(sourceAlias: String? = nil) throws(VaultError) -> [(id: String, fact: StoredFact)] {
        try audited("fact-list", after: { ["count": String($0.count)] }) {
            () throws(VaultError) -> [(id: String, fact: StoredFact)] in
            guard let sourceAlias else { return try facts() }
            return try facts(forSource: try source(alias: sourceAlias).id)
        }
    }

    /// `fact rm ID`: deletes a fact by id or unique prefix (4+ characters); returns the full id.
    /// What it published stays published: the ledger keeps its id (§6.11).
    public func removeFact(_ idOrPrefix: String) throws(VaultError) -> String {
        try audited("fact-rm", after: { ["fact": $0] }) { () throws(VaultError) -> String in
            let id = try resolveItemID(
                .fact, idOrPrefix, what: "fact", notFound: .noSuchFact(prefix: idOrPrefix),
                ambiguous: { .ambiguousFactID(prefix: idOrPrefix, matches: $0) })
            _ = try writing({ _ = $0.items[.fact]?.remove(id) }) { (m) throws(VaultError) -> Bool in
                try store.deleteItem(.fact, id: id, manifest: m)
            }
            return id
        }
    }

    /// Every fact, read with the manifest in one transaction and checked against its list (§6.8): a
    /// fact deleted from the file without the key must not let a disclosure through unnoticed. A
    /// damaged fact is an integrity error (a partial set would fail open). A vault not yet of
    /// format 4 has none.
    /// - Parameter sortedByID: false: in the file's order (the disclosure guard sorts only the few
    ///   facts a text states; sorting 1,000 was a tenth of reading them).
    package func facts(sortedByID: Bool = true) throws(VaultError) -> [(id: String, fact: StoredFact)] {
        guard formatVersion >= 4 else { return [] }
        var facts = try openFacts(try checkedRows(.fact))
        if sortedByID { Self.sortByID(&facts) }
        return facts
    }

    /// Sorts `items` by id, as `sort { $0.id < $1.id }` sorts them, comparing ids as 16-byte keys
    /// (``ObjectIDKey``) when every id is one (ids read from the file are, or the stand-in for a
    /// malformed one), and moving the items into place by swapping (no copies of 1,000 facts).
    static func sortByID<T>(_ items: inout [(id: String, fact: T)]) {
        guard let keys = ObjectIDKey.keys(items.map { $0.id }) else {
            items.sort { $0.id < $1.id }
            return
        }
        // `order[i]`: the index of the item that belongs at `i` (ties, impossible for ids read
        // from the file, keep their order).
        let order = items.indices.sorted { (keys[$0], $0) < (keys[$1], $1) }
        var placed = [Bool](repeating: false, count: items.count)
        for start in items.indices where !placed[start] {
            var i = start
            while true {
                placed[i] = true
                let j = order[i]
                if j == start { break }
                items.swapAt(i, j)
                i = j
            }
        }
    }

    /// Opens every fact into one reused secure buffer and decodes it there (FactJSON): every export
    /// reads all of the vault's facts, and two secure allocations per item, then JSONDecoder, were
    /// most of the guard's time at 1,000 facts (`make bench`). The first damaged fact is thrown.
    private func openFacts(_ rows: [SealedItemRow]) throws(VaultError) -> [(id: String, fact: StoredFact)] {
        let scratch: SecureScratch
        do { scratch = try SecureScratch(capacity: 1024) } catch { throw .storage("secure memory unavailable") }
        defer { scratch.wipe() }
        let decoder = JSONDecoder()
        let vaultID = keyring.vaultID
        var out: [(id: String, fact: StoredFact)] = []
        out.reserveCapacity(rows.count)
        // The associated data of every fact is one prefix and the fact's id (§6.11): built once,
        // the id replaced for each row (``factAD(_:id:)``).
        var ad = SealedKind.fact.ad(vaultID: vaultID)
        let prefixCount = ad.count
        try keyring.withKey(for: .fact) { (key) throws(VaultError) -> Void in
            for row in rows {
                let integrity = SealedKind.fact.integrityError(id: row.id)
                Self.factAD(&ad, prefixCount: prefixCount, id: row.id)
                let n: Int
                do {
                    n = try XChaCha20Poly1305.open(row.sealed, key: key, associatedData: ad, into: scratch)
                } catch SodiumError.outOfMemory { throw .storage("secure memory unavailable") } catch { throw integrity }
                let fact: StoredFact? = scratch.withBytes(count: n) { padded in
                    guard let length = Vault.plaintextLength(ofPadded: padded) else { return nil }
                    let json = UnsafeRawBufferPointer(rebasing: padded[0..<length])
                    // The strict decoder of this one shape (FactJSON), JSONDecoder for anything else.
                    return FactJSON.decode(json) ?? (try? decoder.decode(StoredFact.self, from: Data(json)))
                }
                guard let fact else { throw integrity }
                out.append((row.id, fact))
            }
        }
        return out
    }

    /// `ad` (a fact's associated data, its first `prefixCount` bytes the part every fact shares)
    /// made `SealedKind.fact.ad(vaultID:id:)` for `id`: facts have no version or field byte.
    static func factAD(_ ad: inout [UInt8], prefixCount: Int, id: String) {
        ad.removeLast(ad.count - prefixCount)
        ad += id.utf8
    }

    /// The facts about one source (sorted by id, or in the file's order).
    package func facts(forSource sourceID: String, sortedByID: Bool = true) throws(VaultError)
        -> [(id: String, fact: StoredFact)]
    {
        var facts = try facts(sortedByID: sortedByID)
        facts.removeAll { $0.fact.source != sourceID }  // in place: the facts kept are not copied
        return facts
    }

    // MARK: - Threshold and ledger

    /// `source set ALIAS --disclosure-threshold N` (1…1000).
    public func setDisclosureThreshold(sourceAlias: String, _ n: Int) throws(VaultError) {
        try audited("source-set", ids: ["disclosure-threshold": String(n)]) { () throws(VaultError) -> Void in
            guard (1...1000).contains(n) else { throw .invalidInput("--disclosure-threshold is a number of facts, 1 to 1000") }
            let source = try self.source(alias: sourceAlias)
            let payload = SourcePayload(
                alias: source.alias, note: source.note, created: source.created, disclosureThreshold: n)
            let row = SealedItemRow(
                id: source.id, sealed: try keyring.seal(.source, try Self.encodeJSON(payload), id: source.id))
            try writing({ _ in }) { (m) throws(VaultError) -> Void in
                try store.replaceItems(.source, deleting: [source.id], inserting: row, manifest: m)
            }
        }
    }

    /// The export entries of one source (its ledger): entries made before format 4 name no source
    /// and published no recorded fact.
    /// Read with the manifest in one transaction and checked against its list (§6.8): an entry
    /// deleted from the file would make the guard count too few.
    package func ledger(sourceID: String) throws(VaultError) -> [ExportEntry] {
        try ledgerSnapshot(sourceID: sourceID).entries
    }

    /// The ledger as the guard reads it: the source's entries, and the ids of every export entry
    /// the manifest listed when they were read (``recordExport(_:ifExportsAre:)`` compares them
    /// again in the transaction that records the export, so that two exports at once cannot both
    /// pass the guard on the same ledger).
    package func ledgerSnapshot(sourceID: String) throws(VaultError) -> (entries: [ExportEntry], exportIDs: Set<String>) {
        let rows = try checkedRows(.export)
        let decoded = decodeItems(rows, .export, as: ExportEntry.self)
        if let damaged = decoded.problems.first { throw damaged }
        return (decoded.items.map(\.value).filter { $0.source == sourceID }, Set(rows.map { $0.id }))
    }

    /// One fact as an export entry records it (§6.7, §6.11): its id and kind, never its term.
    public struct PublishedFact: Codable, Sendable, Hashable {
        public var id: String
        public var kind: FactKind
        public init(id: String, kind: FactKind) { self.id = id; self.kind = kind }
    }

    /// `disclosure ALIAS`: the source's facts and every export that published one, audited (counts
    /// only, never a fact).
    public func disclosureLedger(sourceAlias: String) throws(VaultError) -> DisclosureLedger {
        try audited(
            "disclosure",
            after: { ["source": $0.source.id, "facts": String($0.facts.count), "published": String($0.published.count)] }
        ) { () throws(VaultError) -> DisclosureLedger in
            let source = try self.source(alias: sourceAlias)
            return DisclosureLedger(
                source: source, threshold: source.disclosureThreshold ?? Self.defaultDisclosureThreshold,
                facts: try facts(forSource: source.id),
                exports: try ledger(sourceID: source.id).filter { !($0.facts ?? []).isEmpty })
        }
    }

    private static func factIdentity(_ term: String, _ variants: [String]) -> String {
        let fold: (String) -> String = {
            String(decoding: TextFolding.fold($0), as: UTF8.self).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        return ([fold(term)] + variants.map(fold).sorted()).joined(separator: "\u{1F}")
    }
}
