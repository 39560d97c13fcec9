import Redaction
import VaultCore

/// The cumulative-disclosure check of one excerpt (issue 18, SECURITY.md §6.11): which of the
/// source's facts the published text states, which of them earlier exports already published, and
/// whether the excerpt would bring the source to its threshold.
public struct DisclosureCheck: Sendable, Equatable {
    /// A fact in the table: its id, kind, and term (nil for a fact removed since it was published).
    public struct Item: Sendable, Equatable {
        public var id: String
        public var kind: FactKind
        public var term: String?
    }

    public var sourceID: String
    public var threshold: Int
    /// The source's facts published by earlier exports and shares.
    public var before: [Item]
    /// The facts this excerpt states that no earlier export published.
    public var added: [Item]
    /// Every fact of the source this excerpt states (its ledger entry records them).
    public var stated: [PublishedFact]
    /// The export entries listed when the ledger was read (nil when the source has no fact and
    /// its ledger none either): the export is recorded only if they are still all there is.
    var ledgerRead: Set<String>? = nil

    /// The guard's rule: the excerpt adds a fact and the published set after it reaches the
    /// threshold (at least `threshold` facts of at least min(2, threshold) kinds).
    public var reachesThreshold: Bool {
        !added.isEmpty && Vault.reachesThreshold((before + added).map(\.kind), threshold: threshold)
    }

    /// The different kinds published after this excerpt, sorted (what the audit log records).
    public var kindsAfter: [String] { Set((before + added).map(\.kind.rawValue)).sorted() }

    /// No facts, no ledger: nothing to check or record.
    static func none(sourceID: String) -> DisclosureCheck {
        DisclosureCheck(
            sourceID: sourceID, threshold: Vault.defaultDisclosureThreshold, before: [], added: [], stated: [])
    }

    /// Matches the source's facts in `text` (the text as it would be published) and compares them
    /// with the source's ledger. Reads the facts and the ledger checked against the manifest.
    package static func check(vault: Vault, sourceID: String, text: String) throws -> DisclosureCheck {
        let p = try prepare(vault: vault, sourceID: sourceID)
        return p.evaluate(found: p.matcher?.matches(in: text) ?? [])
    }

    /// What the guard needs before the text is known: the source's facts, its ledger and
    /// threshold, and the facts folded into patterns (the export does this beside the redaction;
    /// their automaton is built with the rules' on the leak checker's thread,
    /// ``LeakChecker/joining(_:)``).
    package struct Prepared: @unchecked Sendable {
        let state: SourceState
        let matcher: FactMatcher?

        /// The guard's verdict given the facts the published text states, found in the leak
        /// check's own scan (``LeakChecker/joining(_:)``, ``LeakChecker/checkStatingFacts(_:)``);
        /// no matcher: nothing to check.
        func evaluate(found: Set<String>) -> DisclosureCheck {
            guard matcher != nil else { return .none(sourceID: state.sourceID) }
            return state.evaluate(found: found)
        }
    }

    /// What the guard reads about a source: its facts (in the file's order), its ledger (and the
    /// export entries listed with it) and its threshold.
    struct SourceState {
        let sourceID: String
        let facts: [(id: String, fact: StoredFact)]
        let ledger: [ExportEntry]
        let exportIDs: Set<String>
        var threshold: Int

        static func read(vault: Vault, sourceID: String) throws -> SourceState {
            let facts = try vault.facts(forSource: sourceID, sortedByID: false)
            let (ledger, exportIDs) = try vault.ledgerSnapshot(sourceID: sourceID)
            var state = SourceState(
                sourceID: sourceID, facts: facts, ledger: ledger, exportIDs: exportIDs,
                threshold: Vault.defaultDisclosureThreshold)
            if !state.isEmpty, let n = try vault.sources().first(where: { $0.id == sourceID })?.disclosureThreshold {
                state.threshold = n
            }
            return state
        }

        /// No fact and no published one: nothing to check or record.
        var isEmpty: Bool { facts.isEmpty && !ledger.contains(where: { !($0.facts ?? []).isEmpty }) }

        func evaluate(found: Set<String>) -> DisclosureCheck {
            var d = DisclosureCheck.evaluate(
                sourceID: sourceID, facts: facts, ledger: ledger, threshold: threshold, found: found)
            d.ledgerRead = exportIDs
            return d
        }
    }

    package static func prepare(vault: Vault, sourceID: String) throws -> Prepared {
        let state = try SourceState.read(vault: vault, sourceID: sourceID)
        guard !state.isEmpty else { return Prepared(state: state, matcher: nil) }
        let matcher: FactMatcher
        do {
            matcher = try FactMatcher(
                facts: state.facts.map { FactMatcher.Term(id: $0.id, term: $0.fact.term, variants: $0.fact.variants) })
        } catch { throw PublishingError.badRule(error) }
        return Prepared(state: state, matcher: matcher)
    }

    /// Records `entry`, the export's provenance and ledger entry, in the transaction that checks
    /// that the ledger is still the one `d` was computed on; returns its id. If another export was
    /// recorded meanwhile (perhaps by another process), the guard runs again on the ledger as it
    /// is now, with the facts this excerpt states, and refuses (audited) as ``enforce`` does; else
    /// it tries again. Without this, two exports at the same instant could each pass the guard on
    /// a ledger that holds neither (SECURITY.md §6.11).
    static func record(
        _ entry: ExportEntry, _ d: DisclosureCheck, accept: Bool, vault: Vault, action: String,
        ids: inout [String: String]
    ) throws -> String {
        var expected = d.ledgerRead
        for _ in 0..<16 {
            if let id = try vault.recordExport(entry, ifExportsAre: expected) { return id }
            let state = try SourceState.read(vault: vault, sourceID: d.sourceID)
            try enforce(
                state.evaluate(found: Set(d.stated.map(\.id))), accept: accept, vault: vault, action: action, ids: &ids)
            expected = state.exportIDs
        }
        try? vault.audit(AuditEvent(action, outcome: .failed("ledger"), ids: ids))
        throw PublishingError.outputFailed(
            "other exports kept being recorded while this one was checked; nothing was written, try again")
    }

    static func evaluate(
        sourceID: String, facts: [(id: String, fact: StoredFact)], ledger: [ExportEntry], threshold: Int, found: Set<String>
    ) -> DisclosureCheck {
        var published: [String: FactKind] = [:]
        for entry in ledger { for f in entry.facts ?? [] { published[f.id] = f.kind } }
        // The terms of the published facts only (a dictionary of every fact, copied, was 3 M
        // instructions at 1,000 facts).
        var terms: [String: String] = [:]
        if !published.isEmpty {
            for f in facts where published[f.id] != nil { terms[f.id] = f.fact.term }
        }
        let before = published.sorted { $0.key < $1.key }.map { Item(id: $0.key, kind: $0.value, term: terms[$0.key]) }
        // By id, whatever the order of `facts` (the guard reads them unsorted): the ledger entry and
        // the table list them so.
        let stated = found.isEmpty ? [] : facts.filter { found.contains($0.id) }.sorted { $0.id < $1.id }
        let added = stated.filter { published[$0.id] == nil }.map { Item(id: $0.id, kind: $0.fact.kind, term: $0.fact.term) }
        return DisclosureCheck(
            sourceID: sourceID, threshold: threshold,
            before: before, added: added, stated: stated.map { PublishedFact(id: $0.id, kind: $0.fact.kind) })
    }

    /// The guard, shared by `export` and `share` (SECURITY.md §6.11): below the threshold, nothing;
    /// at it, refused and logged as `ACTION outcome=failed:disclosure`, unless `accept`, which is
    /// logged with the export (`ids` gains the counts and kinds, never a fact).
    static func enforce(
        _ d: DisclosureCheck, accept: Bool, vault: Vault, action: String, ids: inout [String: String]
    ) throws {
        guard d.reachesThreshold else { return }
        ids["published"] = String(d.before.count)
        ids["added"] = String(d.added.count)
        ids["kinds"] = d.kindsAfter.map { $0.lowercased() }.joined(separator: ".")
        if accept {
            ids["disclosure"] = "accepted"
            return
        }
        try? vault.audit(AuditEvent(action, outcome: .failed("disclosure"), ids: ids))
        throw PublishingError.disclosureThreshold(d)
    }
}
