import AgeFormat
import Foundation
import SodiumKit
import Testing

@testable import VaultCore

/// The committed format-v1 vault (Vectors/v1, made once by Vectors/make_v1.py) must open with
/// every future version and decrypt to exactly the recorded contents.
@Suite struct VectorTests {
    struct Expected: Decodable {
        struct SourceJSON: Decodable { var id: String; var alias: String; var note: String? }
        struct VersionJSON: Decodable {
            var id: String; var version: Int; var title: String; var tags: [String]; var date: String?
            var sourceID: String; var created: String; var versionCreated: String; var body: String
        }
        struct RecordJSON: Decodable { var id: String; var versions: [VersionJSON] }
        var passphrase: String
        var recoveryKey: String
        var sources: [SourceJSON]
        var records: [RecordJSON]
        struct RuleJSON: Decodable {
            var id: String; var kind: String; var value: String; var variants: [String]; var label: String;
            var replacement: String?
        }
        var rules: [RuleJSON]
        struct ExportJSON: Decodable { var record: String; var version: Int; var blake2b256: String }
        var export: ExportJSON
    }

    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors")
    static let dir = vectors.appendingPathComponent("v1")

    func load(_ name: String = "v1") throws -> (TempVault, Expected) {
        let dir = Self.vectors.appendingPathComponent(name)
        let expected = try JSONDecoder().decode(
            Expected.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        let t = TempVault()
        try FileManager.default.createDirectory(atPath: t.dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.appendingPathComponent("vault.sqlite3").path, toPath: t.dbPath)
        return (t, expected)
    }

    /// The committed format-2 vault (Vectors/v2, made once by Vectors/make_v2.py): opens with its
    /// manifest checked, by passphrase and by recovery key, with the recorded contents and numbers.
    @Test func formatTwoVectorOpens() throws {
        let (t, e) = try load("v2")
        defer { withExtendedLifetime(t) {} }
        #expect(try Vault.openStore(t.dir).1.formatVersion == 2)
        let v = try t.unlock(e.passphrase)
        // Upgraded to format 3 (an age identity), 4 (the fact table) and 5 (the summary pages) by
        // its first unlock, the generation continued.
        #expect(v.formatVersion == 5 && v.generation > 4)
        #expect(try Vault.openStore(t.dir).1.formatVersion == 5)
        #expect(try pagesListTheRecords(v))
        #expect(try v.store.allItems(.fact).isEmpty)
        #expect(try v.store.allItems(.identity).count == 1 && v.store.allItems(.contact).isEmpty)
        #expect(try v.identityRecipient().hasPrefix("age1"))
        try check(v, e)
        #expect(try manifestDescribesTheRows(v, generation: v.generation))
        // One PERSON rule was added, then a second, then the first removed: the high-water mark stays.
        #expect(try v.rules().first { $0.rule.label == "PERSON" }?.rule.number == 2)
        #expect(try v.currentManifest().placeholderNumbers["PERSON"] == 2)
        try check(try Vault.unlock(directory: t.dir, recoveryKey: try secret(e.recoveryKey)), e)
    }

    func check(_ v: Vault, _ e: Expected) throws {
        let sources = try v.sources()
        #expect(sources.map(\.id) == e.sources.map(\.id))
        #expect(sources.map(\.alias) == e.sources.map(\.alias))
        #expect(sources.map(\.note) == e.sources.map(\.note))
        #expect(try v.list().records.map(\.id).sorted() == e.records.map(\.id))
        let rules = try v.rules()
        #expect(rules.map(\.id) == e.rules.map(\.id))
        #expect(rules.map(\.rule.value) == e.rules.map(\.value))
        #expect(rules.map(\.rule.variants) == e.rules.map(\.variants))
        #expect(rules.map(\.rule.replacement) == e.rules.map(\.replacement))
        let exports = try v.exports()
        #expect(exports.count == 1 && exports[0].recordID == e.export.record && exports[0].excerptHash == e.export.blake2b256)
        for r in e.records {
            for ev in r.versions {
                let got = try v.record(r.id, version: ev.version)
                let m = got.summary.metadata
                #expect(got.body == ev.body)
                #expect(m.title == ev.title && m.tags == ev.tags && m.date == ev.date && m.source == ev.sourceID)
                #expect(m.created == ev.created && m.versionCreated == ev.versionCreated)
            }
        }
    }

    @Test func opensWithPassphrase() throws {
        let (t, e) = try load()
        defer { withExtendedLifetime(t) {} }
        // A format-1 vault opens as 1 and is upgraded to 2 (its manifest written, generation 1) and
        // then to 3 (its age identity, generation 2), 4 (the fact table, generation 3) and 5 (the
        // summary pages, generation 4) by its first unlock.
        #expect(try Vault.openStore(t.dir).1.formatVersion == 1)
        let v = try t.unlock(e.passphrase)
        #expect(try v.store.readHeader().formatVersion == 5 && v.formatVersion == 5 && v.generation == 4)
        #expect(try manifestDescribesTheRows(v, generation: 4))
        #expect(try pagesListTheRecords(v))
        // Its rules got placeholder numbers, per label in creation order, kept in the manifest.
        let numbers = try v.rules().map { ($0.rule.label, $0.rule.number) }
        #expect(!numbers.isEmpty && numbers.allSatisfy { $0.1 != nil })
        for label in Set(numbers.map(\.0)) {
            #expect(try v.currentManifest().placeholderNumbers[label] == numbers.filter { $0.0 == label }.count)
        }
        try check(try t.unlock(e.passphrase), e)
    }

    @Test func opensWithRecoveryKey() throws {
        let (t, e) = try load()
        defer { withExtendedLifetime(t) {} }
        try check(try Vault.unlock(directory: t.dir, recoveryKey: try secret(e.recoveryKey)), e)
    }

    @Test func refusesWrongPassphrase() throws {
        let (t, e) = try load()
        defer { withExtendedLifetime(t) {} }
        #expect(throws: VaultError.wrongPassphrase) { _ = try t.unlock(e.passphrase + " ") }
    }
}

/// The committed format-3 vault (Vectors/v3, made once by Vectors/make_v3.py): its age identity,
/// contacts, a received record and a share's provenance entry must open with every future version,
/// and the identity must still decrypt the age file committed beside it (to-vault.age).
@Suite struct FormatThreeVectorTests {
    struct Expected: Decodable {
        struct ContactJSON: Decodable { var id: String; var name: String; var recipient: String; var fingerprint: String }
        struct VersionJSON: Decodable { var id: String; var title: String; var body: String; var received: String? }
        struct RecordJSON: Decodable { var id: String; var versions: [VersionJSON] }
        var passphrase: String
        var recoveryKey: String
        var identity: String
        var contacts: [ContactJSON]
        var records: [RecordJSON]
        var toVault: String
    }

    @Test func formatThreeVectorOpens() throws {
        let dir = VectorTests.vectors.appendingPathComponent("v3")
        let e = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        let t = TempVault()
        try FileManager.default.createDirectory(atPath: t.dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.appendingPathComponent("vault.sqlite3").path, toPath: t.dbPath)
        #expect(try Vault.openStore(t.dir).1.formatVersion == 3)
        for v in [try t.unlock(e.passphrase), try Vault.unlock(directory: t.dir, recoveryKey: try secret(e.recoveryKey))] {
            // Upgraded to format 4 (the fact table, empty) and 5 (the summary pages) by its first
            // session unlock.
            #expect(try v.formatVersion == 5 && v.store.allItems(.fact).isEmpty)
            #expect(try pagesListTheRecords(v))
            #expect(try v.identityRecipient() == e.identity)
            let contacts = try v.listContacts()
            #expect(contacts.map(\.id).sorted() == e.contacts.map(\.id).sorted())
            for c in e.contacts {
                #expect(contacts.contains { $0.name == c.name && $0.recipient == c.recipient && $0.fingerprint == c.fingerprint })
            }
            for r in e.records {
                let got = try v.record(r.id)
                #expect(got.body == r.versions[0].body && got.summary.metadata.title == r.versions[0].title)
                #expect(got.summary.metadata.received == r.versions[0].received)
            }
            #expect(e.records.contains { $0.versions[0].received == "age" })
            #expect(try v.exports().count == 1)
            #expect(try manifestDescribesTheRows(v, generation: v.generation))
            let file = Array(try Data(contentsOf: dir.appendingPathComponent("to-vault.age")))
            let plain = try Age.decrypt(file, identity: try v.openIdentity())
            #expect(plain.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } == e.toVault)
        }
    }
}

/// The committed format-4 vault (Vectors/v4, made once by Vectors/make_v4.py): facts about a
/// source (one with a Hangul variant), its threshold, and two exports whose ledger entries name the
/// facts they published, must open with every future version.
@Suite struct FormatFourVectorTests {
    struct Expected: Decodable {
        struct FactJSON: Decodable { var id: String; var kind: String; var term: String; var variants: [String] }
        var passphrase: String
        var recoveryKey: String
        var record: String
        var facts: [FactJSON]
        var threshold: Int
        var published: [String]
        var unpublished: [String]
    }

    @Test func formatFourVectorOpens() throws {
        let dir = VectorTests.vectors.appendingPathComponent("v4")
        let e = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        let t = TempVault()
        try FileManager.default.createDirectory(atPath: t.dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.appendingPathComponent("vault.sqlite3").path, toPath: t.dbPath)
        #expect(try Vault.openStore(t.dir).1.formatVersion == 4)
        for v in [try t.unlock(e.passphrase), try Vault.unlock(directory: t.dir, recoveryKey: try secret(e.recoveryKey))] {
            // Upgraded to format 5 by its first session unlock: the summary pages.
            #expect(v.formatVersion == 5)
            #expect(try pagesListTheRecords(v))
            let facts = try v.facts()
            #expect(facts.map(\.id) == e.facts.map(\.id).sorted())
            for f in e.facts {
                #expect(
                    facts.contains {
                        $0.id == f.id && $0.fact.kind.rawValue == f.kind && $0.fact.term == f.term
                            && $0.fact.variants == f.variants
                    })
            }
            let ledger = try v.disclosureLedger(sourceAlias: "Magpie")
            #expect(ledger.threshold == e.threshold)
            #expect(ledger.published.map(\.id).sorted() == e.published)
            #expect(ledger.exports.allSatisfy { $0.recordID == e.record && $0.source == ledger.source.id })
            #expect(try manifestDescribesTheRows(v, generation: v.generation))
        }
    }
}

/// The committed format-5 vault (Vectors/v5, made once by Vectors/make_v5.py): 260 records in two
/// summary pages, one amended, one edited, one removed; `list` reads them as recorded.
@Suite struct FormatFiveVectorTests {
    struct Expected: Decodable {
        struct Listed: Decodable { var id: String, version: Int, title: String }
        var passphrase: String
        var recoveryKey: String
        var list: [Listed]
    }

    @Test func formatFiveVectorOpens() throws {
        let dir = VectorTests.vectors.appendingPathComponent("v5")
        let e = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        let t = TempVault()
        try FileManager.default.createDirectory(atPath: t.dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.appendingPathComponent("vault.sqlite3").path, toPath: t.dbPath)
        #expect(try Vault.openStore(t.dir).1.formatVersion == 5)
        for v in [try t.unlock(e.passphrase), try Vault.unlock(directory: t.dir, recoveryKey: try secret(e.recoveryKey))] {
            #expect(v.formatVersion == 5)
            let listed = try v.list()
            #expect(listed.problems.isEmpty)
            #expect(
                listed.records.map { "\($0.id) \($0.version) \($0.metadata.title)" }
                    == e.list.map { "\($0.id) \($0.version) \($0.title)" })
            #expect(try pagesListTheRecords(v))
            #expect(try v.check().problems.isEmpty)
        }
    }
}

/// The summary pages (§6.12) list exactly the records' latest versions, with their metadata, in
/// the order the records were added.
func pagesListTheRecords(_ v: Vault) throws -> Bool {
    let listed = try v.list()
    guard listed.problems.isEmpty else { return false }
    let ids = try v.store.allRecordIDs()
    guard listed.records.map(\.id) == ids else { return false }
    for r in listed.records {
        let d = try v.record(r.id)
        guard d.summary.version == r.version, d.summary.metadata == r.metadata, d.summary.sourceAlias == r.sourceAlias else {
            return false
        }
    }
    return true
}
