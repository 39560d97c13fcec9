import Foundation
import GRDB
import SodiumKit
import Testing

@testable import VaultCore

/// SECURITY.md §6.8 and §3: the manifest and the schema pin, against someone who can write the
/// vault file but holds no key. Each case must be refused with an integrity error naming the object.
@Suite struct IntegrityTests {
    /// A vault with one source, one record of two versions, two rules and an export entry.
    func populated() throws -> (TempVault, ids: [String: String]) {
        let t = TempVault()
        let (v, _) = try t.create()
        let source = try v.addSource(alias: "Magpie").id
        let record = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "t", body: "Ri Jong-yol crossed."))
        _ = try v.amend(record, body: "Ri Jong-yol crossed at Musan.")
        let rule = try v.addRule(StoredRule(kind: .term, value: "Ri Jong-yol", label: "PERSON"))
        let rule2 = try v.addRule(StoredRule(kind: .term, value: "Musan", label: "PLACE"))
        try v.recordExport(
            ExportEntry(
                recordID: record, version: 2, firstLine: 1, lastLine: 1, format: "text",
                excerptHash: "x", outputHash: "y", redactions: [:], accepted: []))
        let export = try t.sql { try String.fetchOne($0, sql: "SELECT id FROM export_record")! }
        return (t, ["source": source, "record": record, "rule": rule, "rule2": rule2, "export": export])
    }

    func expectRefused(_ t: TempVault, naming needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) { _ = try t.unlock() } throws: { e in
            guard case .vaultIntegrity(let m) = e as? VaultError else { return false }
            return m.contains(needle)
        }
    }

    @Test func aDeletedRowOfEveryTableIsNamed() throws {
        for (table, idColumn, key) in [
            ("rule", "id", "rule"), ("source", "source_id", "source"), ("export_record", "id", "export"),
            ("record", "record_id", "record")
        ] {
            let (t, ids) = try populated()
            try t.sql { db in
                if table == "record" {
                    try db.execute(sql: "DELETE FROM record_version WHERE record_id = ?", arguments: [ids[key]!])
                }
                try db.execute(sql: "DELETE FROM \(table) WHERE \(idColumn) = ?", arguments: [ids[key]!])
            }
            expectRefused(t, naming: "\(ids[key]!) is missing")
        }
    }

    @Test func aDeletedLatestOrMiddleVersionIsNamed() throws {
        for version in [1, 2] {
            let (t, ids) = try populated()
            try t.sql { try $0.execute(sql: "DELETE FROM record_version WHERE version = ?", arguments: [version]) }
            expectRefused(t, naming: "record \(ids["record"]!) has 1 version where the manifest says 2")
        }
    }

    @Test func aRowCopiedUnderANewIdIsNamed() throws {
        let (t, _) = try populated()
        try t.sql { try $0.execute(sql: "INSERT INTO rule (id, sealed) SELECT '00000000000000aa', sealed FROM rule LIMIT 1") }
        expectRefused(t, naming: "rule 00000000000000aa is not in the manifest")
    }

    @Test func anOlderCopyOfASingletonOrSlotIsNoticed() throws {
        let (t, ids) = try populated()
        let oldSlot = try t.sql { try Row.fetchOne($0, sql: "SELECT * FROM key_slot WHERE kind = 1")! }
        try t.unlock().changePassphrase(to: try secret("pass phrase"), profile: nil)  // same passphrase, new slot
        try t.sql { db in
            try db.execute(
                sql: "UPDATE key_slot SET kdf_salt = ?, wrapped_master_key = ? WHERE kind = 1",
                arguments: [oldSlot["kdf_salt"] as Data, oldSlot["wrapped_master_key"] as Data])
        }
        expectRefused(t, naming: "the passphrase key slot is not the one the manifest lists")
        _ = ids
    }

    @Test func theManifestItselfCannotBeDeletedOrSwapped() throws {
        let (t, _) = try populated()
        try t.sql { try $0.execute(sql: "DELETE FROM manifest") }
        expectRefused(t, naming: "manifest is missing")
        let (u, _) = try populated()
        try u.sql { try $0.execute(sql: "UPDATE manifest SET sealed = X'00'") }
        expectRefused(u, naming: "manifest failed its integrity check")
    }

    @Test func exportTimeRuleCheckNamesARuleDeletedWhileUnlocked() throws {
        let (t, ids) = try populated()
        let v = try t.unlock()
        try t.sql { try $0.execute(sql: "DELETE FROM rule WHERE id = ?", arguments: [ids["rule"]!]) }
        #expect { _ = try v.rules(forRecord: ids["record"]!, sourceID: ids["source"]!) } throws: { e in
            (e as? VaultError) == .vaultIntegrity("rule \(ids["rule"]!) is missing (deleted from the file?)")
        }
        try t.sql { try $0.execute(sql: "DELETE FROM record_version WHERE version = 2") }
        #expect { _ = try v.recordForPublishing(ids["record"]!) } throws: { e in
            (e as? VaultError) == .vaultIntegrity("record \(ids["record"]!) has 1 version where the manifest says 2")
        }
    }

    @Test func plantedSchemaObjectsAreRefusedBeforeAnyWrite() throws {
        let plants = [
            ("trigger 't'", "CREATE TRIGGER t AFTER INSERT ON rule BEGIN DELETE FROM rule WHERE id = NEW.id; END"),
            ("view 'v'", "CREATE VIEW v AS SELECT * FROM rule"),
            ("index 'i'", "CREATE INDEX i ON record_version(meta)"),
            ("table 'shadow'", "CREATE TABLE shadow (x BLOB)")
        ]
        for (name, sql) in plants {
            let (t, _) = try populated()
            try t.sql { try $0.execute(sql: sql) }
            let before = try Data(contentsOf: URL(fileURLWithPath: t.dbPath))
            expectRefused(t, naming: name)
            #expect(try Data(contentsOf: URL(fileURLWithPath: t.dbPath)) == before, "\(name): the file was written")
        }
    }

    @Test func anAlteredTableIsRefused() throws {
        let (t, _) = try populated()
        try t.sql { try $0.execute(sql: "ALTER TABLE rule ADD COLUMN note TEXT") }
        expectRefused(t, naming: "table 'rule' was altered")
    }

    /// Formats 1 and 2 have no identity or contact table: a header edited back is caught by the
    /// schema pin (the first object named is the contact table's index).
    @Test(arguments: [1, 2]) func aFormat3HeaderEditedBackIsRefused(to old: Int) throws {
        let (t, _) = try populated()
        try t.sql { try $0.execute(sql: "UPDATE vault_header SET format_version = \(old)") }
        expectRefused(t, naming: "'sqlite_autoindex_contact_1'")
    }

    @Test func checkListsEveryDifference() throws {
        let (t, ids) = try populated()
        try t.sql { db in
            try db.execute(sql: "DELETE FROM rule WHERE id = ?", arguments: [ids["rule"]!])
            try db.execute(sql: "DELETE FROM source")
            try db.execute(sql: "DELETE FROM export_record")
        }
        let v = try Vault.unlock(directory: t.dir, passphrase: try secret("pass phrase"), audit: nil, policy: .inspection)
        #expect(v.manifestDamaged)
        let messages = try v.check().problems.map { "\($0)" }
        for key in ["rule", "source", "export"] {
            #expect(messages.contains { $0.contains("\(ids[key]!) is missing") }, "\(key) not listed: \(messages)")
        }
        #expect(throws: VaultError.self) { _ = try v.addSource(alias: "other") }  // read-only
    }

    @Test func everyWriteAdvancesTheGenerationAndKeepsTheManifestTrue() throws {
        let (t, ids) = try populated()
        let v = try t.unlock()
        var last = v.generation
        let steps: [(String, () throws -> Void)] = [
            ("rule-rm", { _ = try v.removeRule(ids["rule2"]!) }),
            ("amend", { _ = try v.amend(ids["record"]!, body: "x") }),
            ("rm", { _ = try v.remove(ids["record"]!) }),
            ("passwd", { try v.changePassphrase(to: try secret("pass phrase"), profile: nil) }),
            ("recovery-remove", { try v.removeRecoveryKey() })
        ]
        for (name, step) in steps {
            try step()
            #expect(v.generation == last + 1, "\(name)")
            last = v.generation
            #expect(try manifestDescribesTheRows(v, generation: last), "\(name)")
        }
        _ = try v.rekey(passphrase: try secret("pass phrase"), profile: nil)
        let after = try t.unlock()
        #expect(after.generation == last + 1)
    }

    @Test func theManifestEncodingRoundTrips() throws {
        var m = Manifest()
        m.generation = 7
        m.records = ["0123456789abcdef": 3]
        m.items = [.rule: ["fedcba9876543210"]]
        m.slots[1] = [UInt8](repeating: 9, count: 32)
        m.travelBundle = [UInt8](repeating: 1, count: 16)
        let bytes = m.encode()
        let back = bytes.withUnsafeBytes { Manifest.decode($0) }
        var expected = m
        for table in SealedItemKind.allCases where expected.items[table] == nil { expected.items[table] = [] }
        #expect(back == expected)
        #expect((bytes + [0]).withUnsafeBytes { Manifest.decode($0) } == nil)
        // The hot-path view reads the same bytes the same way.
        var big = Manifest()
        big.generation = 9
        for i in 0..<500 { big.records[String(format: "%016x", i * 7919)] = i % 5 + 1 }
        big.items = [.rule: ["00000000000000aa", "00000000000000bb"], .source: ["0000000000000001"], .export: []]
        big.placeholderNumbers = ["PERSON": 4]
        let view = try #require(ManifestView(big.encode()))
        #expect(view.generation == 9 && view.versionRows == big.versionRows && view.tail.placeholderNumbers == ["PERSON": 4])
        for (id, n) in big.records { #expect(view.versions(of: id) == n) }
        #expect(view.versions(of: "ffffffffffffffff") == nil)
        #expect(view.lists(["00000000000000bb", "00000000000000aa"], in: .rule))
        #expect(!view.lists(["00000000000000aa"], in: .rule) && view.lists([], in: .export))
        #expect(ManifestView(Array(big.encode().dropLast())) == nil)
        #expect(Array(bytes.dropLast()).withUnsafeBytes { Manifest.decode($0) } == nil)
    }
}

/// The review's findings, each a test that failed before its fix.
@Suite struct IntegrityReviewTests {
    func populated() throws -> (TempVault, Vault, record: String) {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let record = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "t", body: "Jongyol crossed."))
        _ = try v.addRule(StoredRule(kind: .term, value: "Jongyol", label: "PERSON"))
        return (t, v, record)
    }

    func refusal(_ body: () throws -> Void) -> String? {
        do { try body() } catch let VaultError.vaultIntegrity(m) { return m } catch { return "other: \(error)" }
        return nil
    }

    @Test func aTriggerPlantedWhileOpenNeverFiresAndRefusesTheNextWrite() throws {
        let (t, v, _) = try populated()
        try t.sql { db in
            try db.execute(sql: "CREATE TRIGGER t1 AFTER INSERT ON rule BEGIN DELETE FROM rule WHERE id = NEW.id; END")
        }
        let m = refusal { _ = try v.addRule(StoredRule(kind: .term, value: "Minsu", label: "PERSON")) }
        #expect(m?.contains("schema was changed") == true, "\(m ?? "no error")")
        // And on a hardened connection a trigger does not fire even when it is there.
        let store = try #require(v.store as? SQLiteVaultStore)
        let survived = try store.dbQueue.write { db -> Int in
            try db.execute(sql: "INSERT INTO rule (id, sealed) VALUES ('00000000000000ff', x'00')")
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rule WHERE id = '00000000000000ff'") ?? 0
        }
        #expect(survived == 1)
    }

    @Test func aRecordSwappedForAnEarlierOneOrAnOrphanVersionIsRefused() throws {
        let (t, v, record) = try populated()
        let gone = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "old", body: "removed earlier"))
        let saved = try t.sql { db in
            (
                try Row.fetchOne(db, sql: "SELECT wrapped_key FROM record WHERE record_id = ?", arguments: [gone])!["wrapped_key"]
                    as Data,
                try Row.fetchOne(db, sql: "SELECT meta, body FROM record_version WHERE record_id = ?", arguments: [gone])!
            )
        }
        _ = try v.remove(gone)
        try t.sql { db in
            try db.execute(sql: "DELETE FROM record_version WHERE record_id = ?", arguments: [record])
            try db.execute(sql: "DELETE FROM record WHERE record_id = ?", arguments: [record])
            try db.execute(sql: "INSERT INTO record (record_id, wrapped_key) VALUES (?, ?)", arguments: [gone, saved.0])
            try db.execute(
                sql: "INSERT INTO record_version (record_id, version, meta, body) VALUES (?, 1, ?, ?)",
                arguments: [gone, saved.1["meta"] as Data, saved.1["body"] as Data])
        }
        let swapped = refusal { _ = try t.unlock() }
        // The first of the two differences in id order is named, the other counted.
        let named = [min(record, gone), max(record, gone)].first!
        let expected = named == record ? "record \(record) is missing" : "record \(gone) is not in the manifest"
        #expect(swapped?.contains(expected) == true && swapped?.contains("1 more") == true, "\(swapped ?? "")")
        // An orphan version row beside a deleted latest version keeps the total but not the list.
        let (u, w, r2) = try populated()
        _ = try w.amend(r2, body: "Jongyol crossed again.")
        try u.sqlOutsideTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DELETE FROM record_version WHERE record_id = ? AND version = 2", arguments: [r2])
            try db.execute(
                sql: "INSERT INTO record_version (record_id, version, meta, body) VALUES ('00000000000000aa', 1, x'00', x'00')")
        }
        #expect(refusal { _ = try u.unlock() }?.contains("record \(r2) has 1 version where the manifest says 2") == true)
    }

    @Test func showOfARecordDeletedWhileOpenIsAnIntegrityErrorNotNotFound() throws {
        let (t, v, record) = try populated()
        try t.sql { db in
            try db.execute(sql: "DELETE FROM record_version WHERE record_id = ?", arguments: [record])
            try db.execute(sql: "DELETE FROM record WHERE record_id = ?", arguments: [record])
        }
        #expect(refusal { _ = try v.record(String(record.prefix(6))) } == "record \(record) is missing (deleted from the file?)")
    }

    @Test func checkWritesNothingToAVaultMissingItsAuditKey() throws {
        let (t, _, _) = try populated()
        try t.sql { db in
            try db.execute(sql: "DELETE FROM audit_key")
            try db.execute(sql: "DELETE FROM master_check")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: t.dbPath))
        #expect(
            refusal {
                _ = try Vault.unlock(directory: t.dir, passphrase: try secret("pass phrase"), audit: nil, policy: .inspection)
            }?.contains("missing") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: t.dbPath)) == before)
    }

    @Test func aWALModeSetOnTheFileIsUndone() throws {
        let (t, _, _) = try populated()
        try t.sqlOutsideTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        let v = try t.unlock()
        let store = try #require(v.store as? SQLiteVaultStore)
        #expect(try store.dbQueue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "delete")
    }

    @Test func aRuleWithoutItsNumberIsAnOlderCopy() throws {
        let (t, v, _) = try populated()
        let (id, rule) = try #require(try v.rules().first)
        var old = rule
        old.number = nil
        let sealed = try v.keyring.seal(.rule, try Vault.encodeJSON(old), id: id)
        try t.sql { try $0.execute(sql: "UPDATE rule SET sealed = ? WHERE id = ?", arguments: [Data(sealed), id]) }
        #expect(refusal { _ = try v.rules() } == "rule \(id) has no placeholder number: an older copy of it was put back")
    }

    @Test func onlyTheSlotsThatLeftMayComeBackFromTravel() throws {
        let (t, v, _) = try populated()
        let oldSlot = try t.sql { try Row.fetchOne($0, sql: "SELECT * FROM key_slot WHERE kind = 1")! }
        try v.changePassphrase(to: try secret("pass phrase"), profile: nil)
        try v.travelOut(to: t.tmp.file("bundle"), travelPassphrase: try secret("travel"))
        // Someone puts back the *old* passphrase slot and clears the pending bundle.
        try t.sql { db in
            try db.execute(sql: "DELETE FROM travel_pending")
            try db.execute(
                sql: """
                    INSERT INTO key_slot (kind, kdf_algorithm, kdf_opslimit, kdf_memlimit, kdf_salt, wrapped_master_key)
                    VALUES (1, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    oldSlot["kdf_algorithm"] as Int64, oldSlot["kdf_opslimit"] as Int64,
                    oldSlot["kdf_memlimit"] as Int64, oldSlot["kdf_salt"] as Data, oldSlot["wrapped_master_key"] as Data
                ])
        }
        #expect(refusal { _ = try t.unlock() }?.contains("passphrase key slot") == true)
    }
}
