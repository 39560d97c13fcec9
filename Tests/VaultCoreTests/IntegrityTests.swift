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
        let fact = try v.addFact(sourceAlias: "Magpie", kind: .age, term: "34-year-old")
        return (t, ["source": source, "record": record, "rule": rule, "rule2": rule2, "export": export, "fact": fact])
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
            ("record", "record_id", "record"), ("fact", "id", "fact")
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

    /// Formats 1 to 3 have no fact table (1 and 2 no identity or contact table either): a header
    /// edited back is caught by the schema pin (the first object named is such a table's index).
    @Test(arguments: [(1, "contact"), (2, "contact"), (3, "fact")])
    func aFormat4HeaderEditedBackIsRefused(to old: Int, naming table: String) throws {
        let (t, _) = try populated()
        try t.sql { try $0.execute(sql: "UPDATE vault_header SET format_version = \(old)") }
        expectRefused(t, naming: "'sqlite_autoindex_\(table)_1'")
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
        let encoded = big.encode()
        try encoded.withUnsafeBytes { b in
            let view = try #require(ManifestView(b))
            #expect(view.generation == 9 && view.versionRows == big.versionRows && view.tail.placeholderNumbers == ["PERSON": 4])
            for (id, n) in big.records { #expect(view.versions(of: id) == n) }
            #expect(view.versions(of: "ffffffffffffffff") == nil && view.recordCount == 500)
            #expect(view.lists(["00000000000000bb", "00000000000000aa"], in: .rule))
            #expect(!view.lists(["00000000000000aa"], in: .rule) && view.lists([], in: .export))
            #expect(ManifestView(UnsafeRawBufferPointer(rebasing: b.dropLast())) == nil)
        }
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

    /// Review of the count-only unlock (§6.8): a write that follows rows the unlock no longer
    /// compares id by id checks them against the manifest inside its transaction.
    @Test func amendAndRmRefuseRowsTheManifestDoesNotList() throws {
        let (t, v, record) = try populated()
        _ = try v.amend(record, body: "Jongyol crossed again.")
        // The correction (version 2) deleted and an orphan row planted: the totals still agree.
        try t.sqlOutsideTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DELETE FROM record_version WHERE record_id = ? AND version = 2", arguments: [record])
            try db.execute(
                sql: "INSERT INTO record_version (record_id, version, meta, body) VALUES ('00000000000000aa', 1, x'00', x'00')")
        }
        let w = try t.unlock()
        #expect(
            refusal { _ = try w.amend(record, body: "A third telling.") }
                == "record \(record) has 1 version where the manifest says 2; nothing was written")
        // Nothing was written: the manifest still says 2, the orphan is named by check.
        #expect(try w.currentManifest().records[record] == 2)
        #expect(
            try w.check().problems.contains(
                .vaultIntegrity(
                    "record 00000000000000aa has 1 version row but no key row (the record row was deleted from the file, or the rows planted)"
                )))
    }

    /// `rm` of a record whose rows differ from the manifest (here: one brought back from the dead)
    /// deletes it all the same: the reporter must be able to remove it. The log says it differed.
    @Test func rmRemovesARecordTheManifestDoesNotListAndSaysSo() throws {
        let (t, v, record) = try populated()
        let keyRow = try t.sql {
            try Data.fetchOne($0, sql: "SELECT wrapped_key FROM record WHERE record_id = ?", arguments: [record])!
        }
        let row = try t.sql {
            try Row.fetchOne($0, sql: "SELECT meta, body FROM record_version WHERE record_id = ?", arguments: [record])!
        }
        _ = try v.remove(record)
        try t.sql { db in
            try db.execute(sql: "INSERT INTO record (record_id, wrapped_key) VALUES (?, ?)", arguments: [record, keyRow])
            try db.execute(
                sql: "INSERT INTO record_version (record_id, version, meta, body) VALUES (?, 1, ?, ?)",
                arguments: [record, row["meta"] as Data, row["body"] as Data])
        }
        let sink = RecordingAuditSink()
        v.attachAudit(sink)
        #expect(try v.remove(record) == record)
        #expect(try v.recordCount() == 0 && sink.events.last?.ids["unlisted"] == "1")
        #expect(try v.check().problems.isEmpty)
    }

    @Test func aRecordDueForShreddingCannotBeHiddenFromRetentionByRenamingIt() throws {
        let (t, v, _) = try populated()
        let due = try v.addRecord(
            NewRecord(sourceAlias: "Magpie", title: "due", body: "to be shredded", retainUntil: "2099-01-05"))
        try t.sqlOutsideTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "UPDATE record SET record_id = upper(record_id) WHERE record_id = ?", arguments: [due])
        }
        let w = try t.unlock()
        #expect(
            refusal { _ = try w.applyRetention(today: "2099-01-10") }?.contains("record \(due) is past its retention date")
                == true)
        // The index still holds it: put back, the record is shredded on time.
        try t.sqlOutsideTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(
                sql: "UPDATE record SET record_id = lower(record_id) WHERE record_id = ?", arguments: [due.uppercased()])
        }
        #expect(try t.unlock().applyRetention(today: "2099-01-10") == [due])
    }

    @Test func aWalkMatchesEntryByEntry() throws {
        // Two rows of one record cannot stand in for another record (counts alone would agree).
        var m = Manifest()
        m.records = ["00000000000000aa": 1, "00000000000000bb": 1]
        var walked = WalkTally()
        walked.add(recordID: "00000000000000aa", version: 1)
        walked.add(recordID: "00000000000000aa", version: 1)
        let (bad, unseen) = m.encode().withUnsafeBytes { walked.mismatches(ManifestView($0)!) }
        #expect(bad == ["00000000000000aa"] && unseen == ["00000000000000bb"])
    }

    /// A version renumbered inside a record keeps its count and its latest row: the listing shows
    /// that authentic latest version; every read of the record (`show`, `amend`) and `check` refuse
    /// it, since versions must run 1...count (§6.8). Numbers 7, 0 and 2.5 alike.
    @Test(arguments: ["7", "0", "1.5"])
    func aVersionRenumberedInsideARecordIsRefusedByItsReads(number: String) throws {
        let (t, v, record) = try populated()
        _ = try v.amend(record, body: "Jongyol crossed again.")
        _ = try v.amend(record, body: "And again.")
        try t.sql {
            try $0.execute(
                sql: "UPDATE record_version SET version = \(number) WHERE record_id = ? AND version = 2", arguments: [record])
        }
        let listed = try v.list()
        #expect(listed.records.map(\.id) == [record] && listed.records.first?.version == 3 && listed.problems.isEmpty)
        #expect(throws: VaultError.recordIntegrity(recordID: record)) { _ = try v.record(record) }
        #expect(throws: VaultError.recordIntegrity(recordID: record)) { _ = try v.amend(record, body: "more") }
        #expect(try v.check().problems.contains(.recordIntegrity(recordID: record)))
    }

    /// A manifest put back while a session is open is not written over (that would make the
    /// rollback permanent): the write refuses, naming both generations.
    @Test func aManifestRolledBackWhileOpenIsNotWrittenOver() throws {
        let (t, v, record) = try populated()
        let older = try t.sql { try Data.fetchOne($0, sql: "SELECT sealed FROM manifest")! }
        let keyRow = try t.sql {
            try Data.fetchOne($0, sql: "SELECT wrapped_key FROM record WHERE record_id = ?", arguments: [record])!
        }
        let version = try t.sql {
            try Row.fetchOne($0, sql: "SELECT meta, body FROM record_version WHERE record_id = ?", arguments: [record])!
        }
        _ = try v.remove(record)
        try t.sql { db in
            try db.execute(sql: "UPDATE manifest SET sealed = ?", arguments: [older])
            try db.execute(sql: "INSERT INTO record (record_id, wrapped_key) VALUES (?, ?)", arguments: [record, keyRow])
            try db.execute(
                sql: "INSERT INTO record_version (record_id, version, meta, body) VALUES (?, 1, ?, ?)",
                arguments: [record, version["meta"] as Data, version["body"] as Data])
        }
        let m = refusal { _ = try v.addSource(alias: "Heron") }
        #expect(m?.contains("older than the one this session saw") == true, "\(m ?? "no error")")
        #expect(try t.sql { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM source") } == 1)
    }

    /// A format-2 vault with its manifest dropped and its header edited back to 1 is not upgraded
    /// again (which would vouch for whatever was done to the rows), and only a session upgrades.
    @Test func aFormat2VaultEditedBackToFormat1IsNotVouchedForAgain() throws {
        let (t, _, _) = try populated()
        try t.sqlOutsideTransaction { db in
            try db.execute(sql: "DROP TABLE manifest")
            try db.execute(sql: "DROP TABLE identity")
            try db.execute(sql: "DROP TABLE contact")
            try db.execute(sql: "DROP TABLE fact")
            try db.execute(sql: "DROP TABLE summary_page")
            try db.execute(
                sql:
                    "DELETE FROM grdb_migrations WHERE identifier IN ('v2-manifest', 'v3-identity-contacts', 'v4-facts', 'v5-summary-pages')"
            )
            try db.execute(sql: "UPDATE vault_header SET format_version = 1")
        }
        #expect(refusal { _ = try t.unlock() }?.contains("was numbered by format 2") == true)
        let kept = try Vault.unlock(directory: t.dir, passphrase: try secret("pass phrase"), policy: .auditMaintenance)
        #expect(kept.formatVersion == 1)
    }

    /// Version rows left without their record row are named (unlock, listing, check), even when
    /// the manifest still lists that record with as many versions.
    @Test func versionRowsWithoutTheirRecordAreNamed() throws {
        let (t, _, record) = try populated()
        try t.sqlOutsideTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DELETE FROM record WHERE record_id = ?", arguments: [record])
        }
        let named = "record \(record) has 1 version row but no key row"
        #expect(refusal { _ = try t.unlock() }?.contains(named) == true)
        let inspected = try Vault.unlock(directory: t.dir, passphrase: try secret("pass phrase"), policy: .inspection)
        #expect(try inspected.check().problems.contains { "\($0)".contains(named) })
        // A planted record keeps the counts: the listing names both.
        try t.sql { try $0.execute(sql: "INSERT INTO record (record_id, wrapped_key) VALUES ('00000000000000cc', x'00')") }
        let problems = try t.unlock().search("t").problems.map { "\($0)" }
        #expect(problems.contains { $0.contains(named) } && problems.contains { $0.contains("00000000000000cc") }, "\(problems)")
    }

    /// The retention index: an older copy put back under an open session is not saved over, and a
    /// rebuild keeps the date of a record it could not read.
    @Test func retentionIndexSavesCompareAndRebuildsKeepUnreadDates() throws {
        let (t, v, _) = try populated()
        _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "a", body: "x", retainUntil: "2099-01-05"))
        let older = try t.sql { try Data.fetchOne($0, sql: "SELECT sealed FROM retention_index")! }
        let due = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "b", body: "y", retainUntil: "2099-01-06"))
        let current = try t.sql { try Data.fetchOne($0, sql: "SELECT sealed FROM retention_index")! }
        try t.sql { try $0.execute(sql: "UPDATE retention_index SET sealed = ?", arguments: [older]) }
        let m = refusal {
            _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "c", body: "z", retainUntil: "2099-01-07"))
        }
        #expect(m?.contains("retention index is not the one the manifest lists") == true, "\(m ?? "no error")")
        try t.sql { try $0.execute(sql: "UPDATE retention_index SET sealed = ?", arguments: [current]) }
        // The due record's metadata damaged: a rebuild cannot read its date and keeps the old one.
        try t.sql {
            try $0.execute(
                sql:
                    "UPDATE record_version SET meta = substr(meta, 1, 30) || (CASE substr(meta, 31, 1) WHEN x'00' THEN x'01' ELSE x'00' END) || substr(meta, 32) WHERE record_id = ?",
                arguments: [due])
        }
        let w = try t.unlock()
        _ = try w.applyRetention(today: "2099-01-01", fullScan: true)
        #expect(try w.retentionIndex()[due] == "2099-01-06")
    }

    /// rekey reseals only rows the manifest lists.
    @Test func rekeyRefusesRowsTheManifestDoesNotList() throws {
        let (t, v, _) = try populated()
        try t.sql { try $0.execute(sql: "DELETE FROM rule WHERE id = (SELECT id FROM rule LIMIT 1)") }
        let m = refusal { _ = try v.rekey(passphrase: try secret("pass phrase"), profile: .test) }
        #expect(m?.contains("is missing") == true, "\(m ?? "no error")")
    }

    @Test func schemaDigestEncodingIsUnambiguous() throws {
        typealias O = SQLiteVaultStore.SchemaObject
        let two = [O(type: "index", name: "n1", table: "t1", sql: nil), O(type: "index", name: "n2", table: "t2", sql: nil)]
        let one = [O(type: "index", name: "n1", table: "t1\u{1F}\u{1E}index\u{1F}n2\u{1F}t2", sql: nil)]
        #expect(try SQLiteVaultStore.schemaDigest(two) != SQLiteVaultStore.schemaDigest(one))
        #expect(
            try SQLiteVaultStore.schemaDigest([O(type: "a", name: "b", table: "c", sql: nil)])
                != SQLiteVaultStore.schemaDigest([O(type: "a", name: "b", table: "c", sql: "")]))
    }

    @Test func theFileIsCheckedAgainAfterThePassphrasePrompt() throws {
        let (t, _, _) = try populated()
        // Replaced while the prompt waited (same bytes, a new file at the path).
        let locked = try Vault.locked(directory: t.dir)
        let copy = t.dbPath + ".copy"
        try FileManager.default.copyItem(atPath: t.dbPath, toPath: copy)
        _ = rename(copy, t.dbPath)
        #expect(
            refusal { _ = try locked.unlock(passphrase: try secret("pass phrase"), audit: nil) }?.contains("replaced") == true)
        // A trigger planted while the prompt waited.
        let again = try Vault.locked(directory: t.dir)
        try t.sql { try $0.execute(sql: "CREATE TRIGGER t2 AFTER INSERT ON rule BEGIN DELETE FROM rule; END") }
        #expect(refusal { _ = try again.unlock(passphrase: try secret("pass phrase"), audit: nil) }?.contains("trigger") == true)
    }

    /// The pinned digests are those of what each format's migrations create: a migration edited
    /// without the pin (or the pin without the migration) fails here.
    @Test func pinnedSchemaDigestsAreThoseOfTheMigrations() throws {
        for format in [1, 2, 3, 4, 5] {
            let expected = try SQLiteVaultStore.expectedSchema(format)
            let digest = try SQLiteVaultStore.schemaDigest(expected)
            #expect(digest == SQLiteVaultStore.schemaDigests[format], "format \(format): its schema's digest is \(digest)")
            #expect(try SQLiteVaultStore.isSchema(expected, of: format))
            var planted = expected
            planted.append(.init(type: "trigger", name: "t", table: "rule", sql: "CREATE TRIGGER t ..."))
            #expect(try !SQLiteVaultStore.isSchema(planted, of: format))
        }
        #expect(try !SQLiteVaultStore.isSchema(SQLiteVaultStore.expectedSchema(1), of: 2))
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
        // The counts agree, so the unlock (counts only, §6.8) lets it through; every walk over
        // the records names both differences and leaves the record back from the dead out.
        let opened = try t.unlock()
        let expected = [
            VaultError.vaultIntegrity("record \(record) is missing (1 version expected)"),
            .vaultIntegrity("record \(gone) is not in the manifest (added to the file without the key?)")
        ].sorted { "\($0)" < "\($1)" }
        for (what, found) in [
            ("search", try opened.search("removed earlier")),
            ("parallel search", try opened.searchRecords("removed earlier", threads: 3))
        ] {
            #expect(found.problems.sorted { "\($0)" < "\($1)" } == expected, "\(what): \(found.problems)")
            #expect(found.records.isEmpty, "\(what)")
        }
        #expect(refusal { _ = try opened.record(gone) }?.contains("not in the manifest") == true)
        // An orphan version row beside a deleted latest version keeps the total but not the list.
        let (u, w, r2) = try populated()
        _ = try w.amend(r2, body: "Jongyol crossed again.")
        try u.sqlOutsideTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DELETE FROM record_version WHERE record_id = ? AND version = 2", arguments: [r2])
            try db.execute(
                sql: "INSERT INTO record_version (record_id, version, meta, body) VALUES ('00000000000000aa', 1, x'00', x'00')")
        }
        let w2 = try u.unlock()
        // Both named: the record cut short, then the orphan row.
        let orphan = VaultError.vaultIntegrity(
            "record 00000000000000aa has 1 version row but no key row (the record row was deleted from the file, or the rows planted)"
        )
        let lacking = [.vaultIntegrity("record \(r2) has 1 version where the manifest says 2"), orphan]
        #expect(try w2.search("crossed").problems == lacking)
        #expect(try w2.searchRecords("crossed", threads: 2).problems == lacking)
        // A middle version deleted and an orphan added: the latest still carries the right number,
        // but the record's count of rows does not.
        let (x, y, r3) = try populated()
        _ = try y.amend(r3, body: "Jongyol crossed again.")
        try x.sqlOutsideTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DELETE FROM record_version WHERE record_id = ? AND version = 1", arguments: [r3])
            try db.execute(
                sql: "INSERT INTO record_version (record_id, version, meta, body) VALUES ('00000000000000aa', 1, x'00', x'00')")
        }
        let listed = try x.unlock().search("t")
        #expect(listed.problems == [.vaultIntegrity("record \(r3) has 1 version where the manifest says 2"), orphan])
        #expect(listed.records.isEmpty)
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
