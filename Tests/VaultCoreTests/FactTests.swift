import Foundation
import Testing

@testable import VaultCore

/// Facts about sources and the disclosure threshold (format 4, SECURITY.md §6.11).
@Suite struct FactTests {
    let store = InMemoryVaultStore()

    func makeVault() throws -> Vault {
        let v = try Vault.create(in: store, directory: "/nonexistent", passphrase: try secret("pw"), profile: .test).0
        _ = try v.addSource(alias: "Magpie")
        _ = try v.addSource(alias: "Heron")
        return v
    }

    @Test func factsAreAddedListedPerSourceAndRemoved() throws {
        let v = try makeVault()
        let a = try v.addFact(sourceAlias: "magpie", kind: .age, term: " 34-year-old ", variants: ["34 years old"])
        let b = try v.addFact(sourceAlias: "Heron", kind: .place, term: "Musan")
        #expect(try v.listFacts().count == 2)
        let magpie = try v.listFacts(sourceAlias: "Magpie")
        #expect(magpie.map(\.id) == [a] && magpie[0].fact.term == "34-year-old" && magpie[0].fact.kind == .age)
        #expect(magpie[0].fact.variants == ["34 years old"])
        #expect(try v.currentManifest().items[.fact] == [a, b])
        #expect(try v.removeFact(String(b.prefix(6))) == b)
        #expect(try v.listFacts().map(\.id) == [a])
        #expect(try v.currentManifest().items[.fact] == [a])
    }

    @Test func badFactsAreRefused() throws {
        let v = try makeVault()
        _ = try v.addFact(sourceAlias: "Magpie", kind: .work, term: "mine canteen")
        #expect(throws: VaultError.noSuchSource) { _ = try v.addFact(sourceAlias: "Crane", kind: .age, term: "34") }
        #expect(throws: VaultError.self) { _ = try v.addFact(sourceAlias: "Magpie", kind: .age, term: "  ") }
        #expect(throws: VaultError.self) { _ = try v.addFact(sourceAlias: "Magpie", kind: .age, term: "34", variants: [""]) }
        // The same fact folded (case, accents, spacing) is a duplicate; for another source it is not.
        #expect(throws: VaultError.self) { _ = try v.addFact(sourceAlias: "Magpie", kind: .work, term: "Mine  CANTEEN") }
        _ = try v.addFact(sourceAlias: "Heron", kind: .work, term: "mine canteen")
        #expect(throws: VaultError.noSuchFact(prefix: "ffffff")) { _ = try v.removeFact("ffffff") }
        #expect(throws: VaultError.self) { _ = try v.removeFact("ab") }
    }

    /// A fact row removed from the file (or a removed one put back) while the vault is open is
    /// refused by the next read, against the manifest: the guard would otherwise count too few.
    @Test func factRowsAreCheckedAgainstTheManifest() throws {
        let v = try makeVault()
        _ = try v.addFact(sourceAlias: "Magpie", kind: .age, term: "34")
        let saved = store.items[.fact]!
        store.items[.fact] = []
        #expect(throws: VaultError.self) { _ = try v.facts() }
        store.items[.fact] = saved
        #expect(try v.facts().count == 1)
        store.items[.fact]![0].sealed[40] ^= 1
        #expect(throws: VaultError.self) { _ = try v.facts() }
    }

    @Test func theThresholdCountsFactsAndKinds() {
        let t = Vault.defaultDisclosureThreshold
        #expect(t == 3)
        #expect(!Vault.reachesThreshold([.age, .place], threshold: t))
        #expect(!Vault.reachesThreshold([.place, .place, .place], threshold: t))
        #expect(Vault.reachesThreshold([.place, .place, .age], threshold: t))
        #expect(Vault.reachesThreshold([.age], threshold: 1))
        #expect(!Vault.reachesThreshold([.age, .age], threshold: 2))
        #expect(Vault.reachesThreshold([.age, .work], threshold: 2))
    }

    @Test func theThresholdIsSetPerSourceAndSealed() throws {
        let v = try makeVault()
        let before = try v.currentManifest().items[.source]
        try v.setDisclosureThreshold(sourceAlias: "Magpie", 5)
        #expect(try v.source(alias: "Magpie").disclosureThreshold == 5)
        #expect(try v.source(alias: "Heron").disclosureThreshold == nil)
        #expect(try v.currentManifest().items[.source] == before)
        #expect(try v.disclosureLedger(sourceAlias: "Magpie").threshold == 5)
        #expect(try v.disclosureLedger(sourceAlias: "Heron").threshold == 3)
        for bad in [0, -1, 1001] {
            #expect(throws: VaultError.self) { try v.setDisclosureThreshold(sourceAlias: "Magpie", bad) }
        }
    }

    /// The ledger is per source, from the export entries (which name the source and outlive the
    /// record), and keeps a removed fact's id.
    @Test func theLedgerIsPerSourceAndOutlivesRecordsAndFacts() throws {
        let v = try makeVault()
        let magpie = try v.source(alias: "Magpie").id
        let f = try v.addFact(sourceAlias: "Magpie", kind: .age, term: "34")
        let id = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "t", body: "She is 34."))
        try v.recordExport(
            ExportEntry(
                recordID: id, version: 1, firstLine: 1, lastLine: 1, format: "text", excerptHash: "x",
                outputHash: "y", redactions: [:], accepted: [], source: magpie, facts: [PublishedFact(id: f, kind: .age)]))
        _ = try v.remove(id)
        _ = try v.removeFact(f)
        let ledger = try v.disclosureLedger(sourceAlias: "Magpie")
        #expect(ledger.published.map(\.id) == [f] && ledger.exports.count == 1 && ledger.facts.isEmpty)
        #expect(try v.disclosureLedger(sourceAlias: "Heron").published.isEmpty)
    }
}
