import Foundation
import Testing
import VaultCore

@testable import Publishing

/// The guard's verdict is computed without a dictionary of every fact (issue 18, its cost): the
/// same tables as the way it was computed before, kept here as the reference, on random facts,
/// ledgers (published facts since removed too) and found sets, the facts in any order.
@Suite struct DisclosureEvaluateTests {
    static func reference(
        sourceID: String, facts: [(id: String, fact: StoredFact)], ledger: [ExportEntry], threshold: Int, found: Set<String>
    ) -> DisclosureCheck {
        let terms = Dictionary(uniqueKeysWithValues: facts.map { ($0.id, $0.fact) })
        var published: [String: FactKind] = [:]
        for entry in ledger { for f in entry.facts ?? [] { published[f.id] = f.kind } }
        let before = published.sorted { $0.key < $1.key }.map {
            DisclosureCheck.Item(id: $0.key, kind: $0.value, term: terms[$0.key]?.term)
        }
        let stated = facts.filter { found.contains($0.id) }
        let added = stated.filter { published[$0.id] == nil }.map {
            DisclosureCheck.Item(id: $0.id, kind: $0.fact.kind, term: $0.fact.term)
        }
        return DisclosureCheck(
            sourceID: sourceID, threshold: threshold, before: before, added: added,
            stated: stated.map { PublishedFact(id: $0.id, kind: $0.fact.kind) })
    }

    @Test func theSameVerdictAsBefore() {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<300 {
            let n = Int(rng.next() % 30)
            let facts = (0..<n).map { i in
                (
                    id: String(format: "%016x", i * 7919 + round),
                    fact: StoredFact(
                        source: "s", kind: FactKind.allCases[Int(rng.next() % 7)], term: "term \(i)", variants: ["v\(i)"])
                )
            }
            var ids = facts.map(\.id) + ["ffffffffffffff0\(round % 10)"]  // one removed since
            ids.shuffle()
            let ledger = (0..<Int(rng.next() % 4)).map { _ in
                ExportEntry(
                    recordID: "r", version: 1, firstLine: 1, lastLine: 1, format: "text", excerptHash: "", outputHash: "",
                    redactions: [:], accepted: [], source: "s",
                    facts: rng.next() % 5 == 0
                        ? nil
                        : ids.prefix(Int(rng.next() % 5)).map { PublishedFact(id: $0, kind: FactKind.allCases[$0.count % 7]) })
            }
            let found = Set(ids.filter { _ in rng.next() % 4 == 0 })
            let threshold = 1 + Int(rng.next() % 5)
            let new = DisclosureCheck.evaluate(sourceID: "s", facts: facts, ledger: ledger, threshold: threshold, found: found)
            let old = Self.reference(sourceID: "s", facts: facts, ledger: ledger, threshold: threshold, found: found)
            #expect(new == old)
            #expect(new.reachesThreshold == old.reachesThreshold && new.kindsAfter == old.kindsAfter)
            // The guard reads the facts in the file's order, not sorted: the same verdict, the
            // facts stated and added still in id order (the reference's facts are sorted by id).
            #expect(facts.map(\.id) == facts.map(\.id).sorted())
            let unsorted = DisclosureCheck.evaluate(
                sourceID: "s", facts: facts.shuffled(), ledger: ledger, threshold: threshold, found: found)
            #expect(unsorted == old)
        }
    }
}
