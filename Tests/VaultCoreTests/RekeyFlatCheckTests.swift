import Foundation
import GRDB
import SodiumKit
import Testing

@testable import VaultCore

/// SECURITY.md §6.8, §8.1: `rekey` compares every row with the manifest before it reseals
/// anything, through a flat pass (version counts streamed from the file, looked up in the
/// manifest's own list; item ids as sorted keys; page nonces; slots and singletons) that builds no
/// dictionary of every record. Each kind of difference must still refuse the rekey, by name, with
/// nothing changed, as the full comparison (`check`) names it.
@Suite struct RekeyFlatCheckTests {
    /// A format-5 vault with a source, a record of two versions and one of one, two rules, an
    /// export entry and a fact; the session stays open while the file is edited.
    func populated() throws -> (TempVault, Vault, ids: [String: String]) {
        let t = TempVault()
        let (v, _) = try t.create()
        let source = try v.addSource(alias: "Magpie").id
        let record = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "t", body: "Ri Jong-yol crossed."))
        _ = try v.amend(record, body: "Ri Jong-yol crossed at Musan.")
        let other = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "u", body: "A second testimony."))
        let rule = try v.addRule(StoredRule(kind: .term, value: "Ri Jong-yol", label: "PERSON"))
        _ = try v.addRule(StoredRule(kind: .term, value: "Musan", label: "PLACE"))
        try v.recordExport(
            ExportEntry(
                recordID: record, version: 2, firstLine: 1, lastLine: 1, format: "text",
                excerptHash: "x", outputHash: "y", redactions: [:], accepted: []))
        let export = try t.sql { try String.fetchOne($0, sql: "SELECT id FROM export_record")! }
        let fact = try v.addFact(sourceAlias: "Magpie", kind: .age, term: "34-year-old")
        let identity = try t.sql { try String.fetchOne($0, sql: "SELECT id FROM identity")! }
        return (
            t, v,
            [
                "source": source, "record": record, "other": other, "rule": rule, "export": export, "fact": fact,
                "identity": identity, "page": "0000000000000001"
            ]
        )
    }

    func refusal(_ body: () throws -> Void) -> String? {
        do { try body() } catch let VaultError.vaultIntegrity(m) { return m } catch { return "other: \(error)" }
        return nil
    }

    /// Every keyed row of the file: a refused rekey must leave them all as they were.
    func keyedRows(_ t: TempVault) throws -> [String] {
        try t.sql { db in
            try [
                "SELECT hex(sealed) FROM manifest", "SELECT group_concat(hex(wrapped_master_key)) FROM key_slot",
                "SELECT group_concat(hex(wrapped_key)) FROM record", "SELECT group_concat(hex(meta)) FROM record_version",
                "SELECT group_concat(hex(sealed)) FROM rule", "SELECT group_concat(hex(sealed)) FROM summary_page",
                "SELECT hex(value) FROM master_check", "SELECT hex(sealed) FROM audit_key"
            ].map { try String.fetchOne(db, sql: $0) ?? "" }
        }
    }

    /// Edits the file (foreign keys off, as an attacker's SQLite would allow), then requires that
    /// `rekey` refuses with a message containing `needle`, that `check` names it too, and that no
    /// keyed row changed.
    func expectRekeyRefused(
        _ edit: (Database, [String: String]) throws -> Void, naming needle: (([String: String]) -> String),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let (t, v, ids) = try populated()
        try t.sqlOutsideTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try edit(db, ids)
        }
        let before = try keyedRows(t)
        let m = refusal { _ = try v.rekey(passphrase: try secret("new pass phrase"), profile: .test) }
        #expect(m?.contains(needle(ids)) == true, "\(m ?? "rekeyed")", sourceLocation: sourceLocation)
        #expect(try keyedRows(t) == before, "a refused rekey changed the file", sourceLocation: sourceLocation)
        #expect(
            v.manifestProblems().contains { "\($0)".contains(needle(ids)) }, "check does not name it",
            sourceLocation: sourceLocation)
    }

    @Test func aRecordRowAddedRemovedOrRenamedRefuses() throws {
        try expectRekeyRefused(
            { db, ids in
                try db.execute(
                    sql: "INSERT INTO record SELECT 'ffffffffffffffff', wrapped_key FROM record WHERE record_id = ?",
                    arguments: [ids["record"]!])
                try db.execute(
                    sql:
                        "INSERT INTO record_version SELECT 'ffffffffffffffff', version, meta, body FROM record_version WHERE record_id = ?",
                    arguments: [ids["record"]!])
            }, naming: { _ in "record ffffffffffffffff is not in the manifest" })
        try expectRekeyRefused(
            { db, ids in
                try db.execute(sql: "DELETE FROM record_version WHERE record_id = ?", arguments: [ids["other"]!])
                try db.execute(sql: "DELETE FROM record WHERE record_id = ?", arguments: [ids["other"]!])
            }, naming: { "record \($0["other"]!) is missing (1 version expected)" })
        // Renamed: the listed id missing, the new one unlisted (the first named is the listed one).
        try expectRekeyRefused(
            { db, ids in
                for table in ["record", "record_version"] {
                    try db.execute(
                        sql: "UPDATE \(table) SET record_id = 'ffffffffffffffff' WHERE record_id = ?", arguments: [ids["other"]!])
                }
            }, naming: { "record \($0["other"]!) is missing" })
    }

    @Test func aVersionRowAddedOrRemovedRefuses() throws {
        try expectRekeyRefused(
            { db, ids in
                try db.execute(
                    sql: "DELETE FROM record_version WHERE record_id = ? AND version = 2", arguments: [ids["record"]!])
            }, naming: { "record \($0["record"]!) has 1 version where the manifest says 2" })
        try expectRekeyRefused(
            { db, ids in
                try db.execute(
                    sql:
                        "INSERT INTO record_version SELECT record_id, 3, meta, body FROM record_version WHERE record_id = ? AND version = 2",
                    arguments: [ids["record"]!])
            }, naming: { "record \($0["record"]!) has 3 versions where the manifest says 2" })
        // Version rows of a record that has no record row (the counts elsewhere unchanged).
        try expectRekeyRefused(
            { db, ids in
                try db.execute(
                    sql:
                        "INSERT INTO record_version SELECT 'eeeeeeeeeeeeeeee', version, meta, body FROM record_version WHERE record_id = ?",
                    arguments: [ids["other"]!])
            }, naming: { _ in "record eeeeeeeeeeeeeeee has 1 version row but no key row" })
    }

    @Test func anItemRowAddedOrRemovedRefuses() throws {
        for (table, idColumn, key, noun) in [
            ("source", "source_id", "source", "source"), ("rule", "id", "rule", "rule"),
            ("export_record", "id", "export", "export entry"), ("fact", "id", "fact", "fact"),
            ("identity", "id", "identity", "identity"), ("summary_page", "id", "page", "summary page")
        ] {
            try expectRekeyRefused(
                { db, ids in
                    try db.execute(sql: "DELETE FROM \(table) WHERE \(idColumn) = ?", arguments: [ids[key]!])
                }, naming: { "\(noun) \($0[key]!) is missing" })
            try expectRekeyRefused(
                { db, ids in
                    try db.execute(
                        sql: "INSERT INTO \(table) SELECT '000000000000000f', sealed FROM \(table) WHERE \(idColumn) = ?",
                        arguments: [ids[key]!])
                }, naming: { _ in "\(noun) 000000000000000f is not in the manifest" })
        }
    }

    @Test func aSummaryPageNotTheListedCopyRefuses() throws {
        try expectRekeyRefused(
            { db, ids in
                // Another nonce: the first byte of the page's blob changed.
                try db.execute(
                    sql:
                        "UPDATE summary_page SET sealed = (CASE substr(sealed, 1, 1) WHEN x'00' THEN x'01' ELSE x'00' END) || substr(sealed, 2) WHERE id = ?",
                    arguments: [ids["page"]!])
            }, naming: { "summary page \($0["page"]!) is not the copy the manifest lists" })
    }

    @Test func slotsAndSingletonsThatDifferRefuse() throws {
        try expectRekeyRefused(
            { db, _ in try db.execute(sql: "DELETE FROM key_slot WHERE kind = ?", arguments: [KeySlotKind.recovery.rawValue]) },
            naming: { _ in "the recovery key slot is missing" })
        try expectRekeyRefused(
            { db, _ in
                try db.execute(
                    sql: "UPDATE key_slot SET kdf_salt = zeroblob(length(kdf_salt)) WHERE kind = ?",
                    arguments: [KeySlotKind.passphrase.rawValue])
            }, naming: { _ in "the passphrase key slot is not the one the manifest lists" })
        try expectRekeyRefused(
            { db, _ in try db.execute(sql: "INSERT OR REPLACE INTO retention_index (singleton, sealed) VALUES (1, x'0102')") },
            naming: { _ in "the retention index is not the one the manifest lists" })
        try expectRekeyRefused(
            { db, _ in try db.execute(sql: "UPDATE audit_key SET sealed = zeroblob(length(sealed))") },
            naming: { _ in "the audit key is not the one the manifest lists" })
        try expectRekeyRefused(
            { db, _ in try db.execute(sql: "UPDATE master_check SET value = zeroblob(length(value))") },
            naming: { _ in "the master check value is not the one the manifest lists" })
        try expectRekeyRefused(
            { db, _ in try db.execute(sql: "INSERT INTO travel_pending (singleton, bundle_id) VALUES (1, zeroblob(16))") },
            naming: { _ in "the travel-mode state is not the one the manifest lists" })
    }

    /// A record row the file holds twice (a store that allows it): the flat pass meets the listed
    /// entry twice and refuses, though the full comparison (dictionaries) counts it once.
    @Test func aRecordRowHeldTwiceRefuses() throws {
        let store = InMemoryVaultStore()
        let (v, _) = try Vault.create(in: store, directory: "/nonexistent", passphrase: try secret("pw"), profile: .test)
        _ = try v.addSource(alias: "Magpie")
        _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "t", body: "x"))
        store.records.append(store.records[0])
        let manifest = store.manifest
        let m = refusal { _ = try v.rekey(passphrase: try secret("pw2"), profile: .test) }
        #expect(m?.contains("a row held twice") == true, "\(m ?? "rekeyed")")
        #expect(store.manifest == manifest)
    }

    /// The clean case: the rekey passes the flat check, and its new manifest (the old lists
    /// copied from the old manifest's bytes, the new slots, singletons and page nonces) describes
    /// the rows exactly, as `check` finds.
    @Test func aCleanRekeySealsAManifestThatDescribesTheRows() throws {
        let (t, v, _) = try populated()
        let generation = try v.currentManifest().generation
        _ = try v.rekey(passphrase: try secret("new pass phrase"), profile: .test)
        let w = try t.unlock("new pass phrase")
        #expect(try manifestDescribesTheRows(w, generation: generation + 1))
        #expect(try w.check().problems.isEmpty)
    }

    /// `Manifest.spliced` is `encode()` of the tail with the view's lists, in every format.
    @Test func splicedEqualsEncode() throws {
        for format in 2...VaultFormat.currentVersion {
            var m = Manifest(format: format, generation: 7)
            m.records = ["0123456789abcdef": 2, "00000000000000aa": 1, "ffffffffffffffff": 9]
            for (i, table) in m.tables.enumerated() where table != .summaryPage {
                m.items[table] = Set((0...i).map { String(format: "%016x", 0x1000 * (i + 1) + $0) })
            }
            if format >= 5 {
                m.items[.summaryPage] = ["0000000000000001", "0000000000000002"]
                m.pageSeals = [
                    "0000000000000001": [UInt8](repeating: 1, count: 24), "0000000000000002": [UInt8](repeating: 2, count: 24)
                ]
            }
            m.slots = [1: [UInt8](repeating: 3, count: 32)]
            m.placeholderNumbers = ["PERSON": 4]
            var changed = m
            changed.generation = 8
            changed.slots = [1: [UInt8](repeating: 5, count: 32), 2: [UInt8](repeating: 6, count: 32)]
            changed.masterCheck = [UInt8](repeating: 7, count: 32)
            changed.travelBundle = [UInt8](repeating: 8, count: 16)
            if format >= 5 {
                changed.pageSeals = [
                    "0000000000000001": [UInt8](repeating: 9, count: 24), "0000000000000002": [UInt8](repeating: 10, count: 24)
                ]
            }
            let encoded = m.encode()
            let spliced = try encoded.withUnsafeBytes { b -> [UInt8] in
                let view = try #require(ManifestView(b))
                var tail = view.tail
                (tail.generation, tail.slots, tail.masterCheck, tail.travelBundle, tail.pageSeals) = (
                    changed.generation, changed.slots, changed.masterCheck, changed.travelBundle, changed.pageSeals
                )
                return Manifest.spliced(view, tail: tail)
            }
            #expect(spliced == changed.encode(), "format \(format)")
            #expect(spliced.withUnsafeBytes { Manifest.decode($0) } == changed, "format \(format)")
        }
    }

    /// The rewrite's compare-and-swap (review of rekey-flat, M3): a write another session commits
    /// after rekey's check (here while the new recovery key is shown) refuses the rekey, and nothing
    /// changes: the old passphrase still opens the vault, with that write in it.
    @Test func rekeyRefusesAManifestChangedAfterItsCheck() throws {
        let t = TempVault()
        let (v, recovery) = try t.create()
        #expect(!recovery.isEmpty)
        _ = try v.addSource(alias: "Magpie")
        _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "one", body: "needle"))
        let other = try t.unlock()
        var shown = false
        var message: String?
        do {
            _ = try v.rekey(
                passphrase: try secret("new pass phrase"), profile: nil,
                showRecoveryKey: { _ in
                    shown = true
                    _ = try other.addSource(alias: "Heron")
                })
        } catch let VaultError.storage(m) { message = m }
        #expect(shown)
        #expect(message?.contains("the vault changed while rekeying") == true, "\(message ?? "rekeyed")")
        let after = try t.unlock()
        #expect(try after.listSources().sources.count == 2)
    }
}
