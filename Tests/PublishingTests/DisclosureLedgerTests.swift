import Foundation
import SodiumKit
import Testing
import VaultCore

@testable import Publishing

/// The disclosure guard and the ledger entry are one step (SECURITY.md §6.11): two exports for the
/// same source at the same instant, here from two unlocked vaults on one file as two processes
/// would have them, cannot each pass the guard on a ledger that holds neither.
@Suite struct DisclosureLedgerTests {
    /// A vault whose source has three facts of three kinds (threshold 3): lines 2 of the fixture
    /// state two of them, line 6 the third. The same file opened a second time.
    static func vaults() throws -> (Fixture, Vault) {
        let f = try Fixture()
        _ = try f.vault.addFact(sourceAlias: "Magpie", kind: .work, term: "pumping station")
        _ = try f.vault.addFact(sourceAlias: "Magpie", kind: .family, term: "Old Kim")
        _ = try f.vault.addFact(sourceAlias: "Magpie", kind: .place, term: "river")
        let other = try Vault.unlock(directory: f.tmp.vault, passphrase: try SecureBytes(copying: Array("pw".utf8)))
        return (f, other)
    }

    static func prepare(_ v: Vault, _ f: Fixture, lines: Int, accept: Bool = false) throws -> PreparedExcerpt {
        try Exporter.prepare(
            vault: v, id: f.recordID, selection: .lines(lines, lines), noRules: true, acceptDisclosure: accept)
    }

    static func publish(_ p: PreparedExcerpt, _ v: Vault, to out: String, accept: Bool = false) throws {
        _ = try Exporter.publish(
            p, vault: v, noRules: true, acceptDisclosure: accept, format: .text, out: out, overwrite: false)
    }

    @Test func theSecondOfTwoExportsAtOnceIsGuardedOnTheLedgerAsItIsWhenRecorded() throws {
        let (f, other) = try Self.vaults()
        let a = try Self.prepare(f.vault, f, lines: 2)
        let b = try Self.prepare(other, f, lines: 6)
        // Each alone is below the threshold (two facts, then one).
        #expect(a.disclosure.stated.count == 2 && !a.disclosure.reachesThreshold)
        #expect(b.disclosure.stated.count == 1 && !b.disclosure.reachesThreshold && b.disclosure.before.isEmpty)
        try Self.publish(a, f.vault, to: f.tmp.file("a.txt"))
        #expect(throws: PublishingError.self) { try Self.publish(b, other, to: f.tmp.file("b.txt")) }
        #expect(!FileManager.default.fileExists(atPath: f.tmp.file("b.txt")))
        #expect(try other.exports().count == 1 && f.vault.exports().count == 1)
        #expect(try f.vault.disclosureLedger(sourceAlias: "Magpie").published.count == 2)
        // Accepted, it goes through on the ledger as it is now, and is recorded.
        let accepted = try Self.prepare(other, f, lines: 6, accept: true)
        try Self.publish(accepted, other, to: f.tmp.file("b.txt"), accept: true)
        #expect(FileManager.default.fileExists(atPath: f.tmp.file("b.txt")))
        #expect(try f.vault.disclosureLedger(sourceAlias: "Magpie").published.count == 3)
    }

    /// An export recorded meanwhile that changes nothing for this source (another source, or an
    /// excerpt stating nothing new) does not refuse it: the guard looks again and lets it through.
    @Test func anotherExportMeanwhileIsLookedAtAndLetThrough() throws {
        let (f, other) = try Self.vaults()
        _ = try f.vault.addSource(alias: "Heron")
        let heron = try f.vault.addRecord(NewRecord(sourceAlias: "Heron", title: "H", body: "Nothing here.\n"))
        let b = try Self.prepare(other, f, lines: 6)
        _ = try Exporter.export(
            vault: f.vault, id: heron, selection: .whole, accept: [], noRules: true, format: .text,
            out: f.tmp.file("h.txt"), overwrite: false)
        let a = try Self.prepare(f.vault, f, lines: 2)
        #expect(a.disclosure.ledgerRead != b.disclosure.ledgerRead)
        try Self.publish(b, other, to: f.tmp.file("b.txt"))
        #expect(try f.vault.exports().count == 2)
        #expect(try f.vault.disclosureLedger(sourceAlias: "Magpie").published.map(\.kind) == [.place])
        // The first export prepared before b was recorded now adds two facts to b's one: refused.
        #expect(throws: PublishingError.self) { try Self.publish(a, f.vault, to: f.tmp.file("a.txt")) }
        #expect(try f.vault.exports().count == 2)
    }

    /// A failed write leaves no ledger entry behind (the entry is recorded first, then removed).
    @Test func aFailedWriteRemovesItsEntry() throws {
        let (f, _) = try Self.vaults()
        let a = try Self.prepare(f.vault, f, lines: 2)
        #expect(throws: (any Error).self) { try Self.publish(a, f.vault, to: f.tmp.file("missing/dir/a.txt")) }
        #expect(try f.vault.exports().isEmpty)
        #expect(try f.vault.disclosureLedger(sourceAlias: "Magpie").published.isEmpty)
    }
}
