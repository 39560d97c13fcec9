import AgeFormat
import Foundation
import GRDB
import SodiumKit
import Testing

@testable import VaultCore

/// Every stored ciphertext is authenticated and bound to its place (SECURITY.md §6).
@Suite struct TamperTests {
    func setUp() throws -> (TempVault, Vault, [String]) {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        var ids: [String] = []
        for i in 0..<3 {
            ids.append(try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "T\(i)", body: "testimony \(i) canary")))
        }
        return (t, v, ids)
    }

    /// Flip every byte of one record's stored key, metadata and body, one at a time: exactly that
    /// record fails, with an integrity error naming it, and the others still open.
    @Test(arguments: ["wrapped_key", "meta", "body"])
    func flippingAnyByteBreaksExactlyThatRecord(column: String) throws {
        let (t, v, ids) = try setUp()
        defer { withExtendedLifetime(t) {} }
        let victim = ids[1]
        let table = column == "wrapped_key" ? "record" : "record_version"
        let original = try t.sql {
            try Data.fetchOne($0, sql: "SELECT \(column) FROM \(table) WHERE record_id = ?", arguments: [victim])
        }!
        for i in 0..<original.count {
            var bad = original
            bad[i] ^= 0x01
            try t.sql { try $0.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE record_id = ?", arguments: [bad, victim]) }
            // Search for a title word: the body must be checked even when the title matches.
            // (`list` reads the summary pages, not the record rows, §6.12.)
            let listed = try v.search("T")
            #expect(listed.records.map(\.id).sorted() == [ids[0], ids[2]].sorted(), "byte \(i)")
            #expect(listed.problems == [VaultError.recordIntegrity(recordID: victim)], "byte \(i)")
            #expect(throws: VaultError.recordIntegrity(recordID: victim)) { _ = try v.record(victim) }
        }
        try t.sql { try $0.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE record_id = ?", arguments: [original, victim]) }
        #expect(try v.record(victim).body == "testimony 1 canary")
    }

    /// The walk behind list and search reads columns with SQLite's C API: a value of the wrong
    /// type (a hostile or damaged file; SQLite does not enforce column types) makes exactly that
    /// record fail, never crashes, and leaves the others listed.
    @Test(arguments: [
        "UPDATE record_version SET version = 'one' WHERE record_id = ?",
        "UPDATE record SET wrapped_key = CAST(wrapped_key AS TEXT) || 'x' WHERE record_id = ?",
        "UPDATE record_version SET meta = 42 WHERE record_id = ?",
        "UPDATE record_version SET body = x'' WHERE record_id = ?",
        "UPDATE record_version SET meta = x'' WHERE record_id = ?",
        "DELETE FROM record_version WHERE record_id = ?"
    ])
    func wrongColumnTypesBreakOnlyThatRecord(sql: String) throws {
        let (t, v, ids) = try setUp()
        defer { withExtendedLifetime(t) {} }
        try t.sql { try $0.execute(sql: "PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON") }
        try t.sql { try $0.execute(sql: sql, arguments: [ids[1]]) }
        // list does not read bodies; search does. A deleted row is a difference from the manifest
        // (§6.8), named; anything else fails that record's authentication.
        let expected =
            sql.hasPrefix("DELETE")
            ? VaultError.vaultIntegrity("record \(ids[1]) has 0 versions where the manifest says 1")
            : .recordIntegrity(recordID: ids[1])
        // (`list` reads the summary pages, not these rows, §6.12.)
        for listed in [try v.search("T"), try v.searchRecords("T", threads: 2)] {
            #expect(listed.records.map(\.id).sorted() == [ids[0], ids[2]].sorted())
            #expect(listed.problems == [expected])
        }
        // The record's own read (show, export) steps its versions with the C API too: refused, and
        // the other records still read.
        #expect(throws: VaultError.recordIntegrity(recordID: ids[1])) { _ = try v.record(ids[1]) }
        #expect(try v.record(ids[2]).body == "testimony 2 canary")
    }

    /// Reading a record for `show` or `export` reads the body of the version asked for only (the
    /// latest when none is): the others stay in the file; each version reads back as written, and a
    /// version that is not there is named.
    @Test func aRecordReadReadsOneVersionsBody() throws {
        let (t, v, ids) = try setUp()
        defer { withExtendedLifetime(t) {} }
        _ = try v.amend(ids[0], body: "second body")
        _ = try v.amend(ids[0], body: "third body")
        let (latest, _) = try v.store.recordWithManifest(ids[0], bodyOf: nil)
        #expect(latest?.versions.map(\.version) == [1, 2, 3])
        #expect(latest?.versions.map { $0.body.isEmpty } == [true, true, false])
        let (first, _) = try v.store.recordWithManifest(ids[0], bodyOf: 1)
        #expect(first?.versions.map { $0.body.isEmpty } == [false, true, true])
        // The body read is the one stored, byte for byte (incremental blob I/O against a column read).
        #expect(first?.versions[0].body == (try v.store.record(ids[0]))?.versions[0].body)
        #expect(try v.record(ids[0]).body == "third body")
        #expect(try v.record(ids[0], version: 1).body == "testimony 0 canary")
        #expect(try v.record(ids[0], version: 2).body == "second body")
        #expect(throws: VaultError.noSuchVersion(recordID: ids[0], version: 4)) { _ = try v.record(ids[0], version: 4) }
        // A body of the wrong type (text) is not read as one.
        try t.sql {
            try $0.execute(
                sql: "UPDATE record_version SET body = CAST(body AS TEXT) WHERE record_id = ? AND version = 2",
                arguments: [ids[0]])
        }
        #expect(throws: VaultError.recordIntegrity(recordID: ids[0])) { _ = try v.record(ids[0], version: 2) }
        #expect(try v.record(ids[0]).body == "third body")
    }

    /// The pages a record read for publishing went through are handed back by SQLite's cache once
    /// it is read (not held beside the decrypted text through the export); a read that keeps them
    /// shows what is handed back.
    @Test func aRecordReadForPublishingLeavesNoPagesCached() throws {
        let (t, v, ids) = try setUp()
        defer { withExtendedLifetime(t) {} }
        let body = String(repeating: "testimony line of a long record\n", count: 40_000)  // 1.3 MB
        _ = try v.amend(ids[0], body: body)
        let store = try #require(v.store as? SQLiteVaultStore)
        _ = try store.record(ids[0])  // every body, through the cache, kept there
        #expect(store.pageCacheBytes() > 1 << 20)
        _ = try v.recordForPublishing(ids[0])
        #expect(store.pageCacheBytes() < 256 << 10)
        #expect(try v.recordForPublishing(ids[0]).body == body)
    }

    /// A version stored as a real number (SQLite keeps 1.5 in an INTEGER column) is not version 1.
    @Test func aVersionThatIsNotAnIntegerIsRefused() throws {
        let (t, v, ids) = try setUp()
        defer { withExtendedLifetime(t) {} }
        try t.sql { try $0.execute(sql: "UPDATE record_version SET version = 1.5 WHERE record_id = ?", arguments: [ids[0]]) }
        #expect(throws: VaultError.recordIntegrity(recordID: ids[0])) { _ = try v.record(ids[0]) }
        try t.sql { try $0.execute(sql: "UPDATE record_version SET version = 1 WHERE record_id = ?", arguments: [ids[0]]) }
        #expect(try v.record(ids[0]).body == "testimony 0 canary")
    }

    @Test func ciphertextsCannotBeSwappedBetweenRecordsFieldsOrVersions() throws {
        let (t, v, ids) = try setUp()
        defer { withExtendedLifetime(t) {} }
        // Body of record 0 moved into record 1.
        try t.sql { db in
            let b0 = try Data.fetchOne(db, sql: "SELECT body FROM record_version WHERE record_id = ?", arguments: [ids[0]])!
            try db.execute(sql: "UPDATE record_version SET body = ? WHERE record_id = ?", arguments: [b0, ids[1]])
        }
        #expect(throws: VaultError.recordIntegrity(recordID: ids[1])) { _ = try v.record(ids[1]) }
        // Whole key + versions moved under another id.
        try t.sql { db in
            let k0 = try Data.fetchOne(db, sql: "SELECT wrapped_key FROM record WHERE record_id = ?", arguments: [ids[0]])!
            try db.execute(sql: "UPDATE record SET wrapped_key = ? WHERE record_id = ?", arguments: [k0, ids[2]])
        }
        #expect(throws: VaultError.recordIntegrity(recordID: ids[2])) { _ = try v.record(ids[2]) }
        // Meta placed in the body field of the same record and version.
        try t.sql { try $0.execute(sql: "UPDATE record_version SET body = meta WHERE record_id = ?", arguments: [ids[0]]) }
        #expect(throws: VaultError.recordIntegrity(recordID: ids[0])) { _ = try v.record(ids[0]) }
    }

    @Test func versionsCannotBeSwapped() throws {
        let (t, v, ids) = try setUp()
        defer { withExtendedLifetime(t) {} }
        _ = try v.amend(ids[0], body: "second version")
        try t.sql { db in
            try db.execute(sql: "UPDATE record_version SET version = 99 WHERE record_id = ? AND version = 1", arguments: [ids[0]])
            try db.execute(sql: "UPDATE record_version SET version = 1 WHERE record_id = ? AND version = 2", arguments: [ids[0]])
            try db.execute(sql: "UPDATE record_version SET version = 2 WHERE record_id = ? AND version = 99", arguments: [ids[0]])
        }
        #expect(throws: VaultError.recordIntegrity(recordID: ids[0])) { _ = try v.record(ids[0]) }
        #expect(throws: VaultError.recordIntegrity(recordID: ids[0])) { _ = try v.record(ids[0], version: 1) }
    }

    @Test func vaultsCannotExchangeCiphertexts() throws {
        let (t, _, ids) = try setUp()
        let other = TempVault()
        defer { withExtendedLifetime(other) {} }
        let (ov, _) = try other.create()
        _ = try ov.addSource(alias: "Magpie")
        let oid = try ov.addRecord(NewRecord(sourceAlias: "Magpie", title: "x", body: "y"))
        // Copy the other vault's record rows into ours (same passphrase does not help: vault ids differ).
        let rows = try other.sql { db in
            (
                try Data.fetchOne(db, sql: "SELECT wrapped_key FROM record WHERE record_id = ?", arguments: [oid])!,
                try Row.fetchOne(db, sql: "SELECT meta, body FROM record_version WHERE record_id = ?", arguments: [oid])!
            )
        }
        try t.sql { db in
            try db.execute(sql: "UPDATE record SET wrapped_key = ? WHERE record_id = ?", arguments: [rows.0, ids[0]])
            try db.execute(
                sql: "UPDATE record_version SET meta = ?, body = ? WHERE record_id = ?",
                arguments: [rows.1["meta"] as Data, rows.1["body"] as Data, ids[0]])
        }
        let v = try t.unlock()
        #expect(throws: VaultError.recordIntegrity(recordID: ids[0])) { _ = try v.record(ids[0]) }
    }

    @Test func tamperedSourceIsReportedByID() throws {
        let (t, v, _) = try setUp()
        defer { withExtendedLifetime(t) {} }
        let sid = try v.sources()[0].id
        try t.sql {
            try $0.execute(
                sql:
                    "UPDATE source SET sealed = CAST(substr(sealed, 1, 30) || (CASE WHEN substr(sealed, 31, 1) = x'00' THEN x'01' ELSE x'00' END) || substr(sealed, 32) AS BLOB)"
            )
        }
        #expect(throws: VaultError.sourceIntegrity(sourceID: sid)) { _ = try v.sources() }
    }

    @Test func tamperedKeySlotFailsUnlock() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        _ = try t.create()
        let wrapped = try t.sql { try Data.fetchOne($0, sql: "SELECT wrapped_master_key FROM key_slot WHERE kind = 1") }!
        for i in 0..<wrapped.count {
            var bad = wrapped
            bad[i] ^= 0x80
            try t.sql { try $0.execute(sql: "UPDATE key_slot SET wrapped_master_key = ? WHERE kind = 1", arguments: [bad]) }
            #expect(throws: VaultError.wrongPassphrase) { _ = try t.unlock() }
        }
    }
}

@Suite struct DiskTests {
    /// The rollback journal SQLite writes during a transaction holds only ciphertext pages.
    @Test func journalHoldsNoPlaintext() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "JournalAliasCanary")
        for i in 0..<20 {
            _ = try v.addRecord(
                NewRecord(
                    sourceAlias: "JournalAliasCanary", title: "JournalTitleCanary \(i)",
                    tags: ["journaltagcanary"], body: "JournalBodyCanary \(i) " + String(repeating: "z", count: 500)))
        }
        let store = v.store as! SQLiteVaultStore
        struct Rollback: Error {}
        var journal = Data()
        _ = try? store.dbQueue.write { db in
            try db.execute(sql: "UPDATE record_version SET meta = meta || x'', body = body || x''")
            try db.execute(sql: "UPDATE source SET sealed = sealed || x''")
            journal = FileManager.default.contents(atPath: t.dbPath + "-journal") ?? Data()
            throw Rollback()
        }
        #expect(journal.count > 4096)
        for canary in ["JournalAliasCanary", "JournalTitleCanary", "journaltagcanary", "JournalBodyCanary"] {
            #expect(journal.range(of: Data(canary.utf8)) == nil)
        }
    }

    /// `rm` leaves no trace of the record's ciphertext or wrapped key in the file (secure_delete).
    @Test func removedRecordBytesAreOverwritten() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "A")
        let keep = try v.addRecord(NewRecord(sourceAlias: "A", title: "keep", body: "kept"))
        let gone = try v.addRecord(NewRecord(sourceAlias: "A", title: "gone", body: String(repeating: "secret ", count: 300)))
        let blobs = try t.sql { db in
            [
                try Data.fetchOne(db, sql: "SELECT wrapped_key FROM record WHERE record_id = ?", arguments: [gone])!,
                try Data.fetchOne(db, sql: "SELECT body FROM record_version WHERE record_id = ?", arguments: [gone])!,
                try Data.fetchOne(db, sql: "SELECT meta FROM record_version WHERE record_id = ?", arguments: [gone])!
            ]
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: t.dbPath))
        for b in blobs { #expect(before.range(of: b.prefix(32)) != nil) }
        _ = try v.remove(gone)
        let after = try Data(contentsOf: URL(fileURLWithPath: t.dbPath))
        for b in blobs { #expect(after.range(of: b.prefix(32)) == nil) }
        #expect(after.range(of: Data(gone.utf8)) == nil)
        #expect(try v.record(keep).body == "kept")
    }

    @Test func flippingAnyByteOfASourceEntryIsDetected() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        let s = try v.addSource(alias: "Magpie", note: "note")
        let sealed = try t.sql { try Data.fetchOne($0, sql: "SELECT sealed FROM source") }!
        for i in 0..<sealed.count {
            var bad = sealed
            bad[i] ^= 0x04
            try t.sql { try $0.execute(sql: "UPDATE source SET sealed = ?", arguments: [bad]) }
            #expect(throws: VaultError.sourceIntegrity(sourceID: s.id)) { _ = try v.sources() }
        }
    }

    /// Format 3 (SECURITY.md §6.9, §6.10): every byte of the sealed identity and of a contact,
    /// and each moved into the other's table (same id, other kind's associated data).
    @Test func flippingAnyByteOfTheIdentityOrAContactIsDetected() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        let c = try v.addContact(name: "Editor", recipient: try AgeIdentity.generate().recipient.encoded)
        let (identityID, identity) = try t.sql { db in
            let row = try Row.fetchOne(db, sql: "SELECT id, sealed FROM identity")!
            return (row["id"] as String, row["sealed"] as Data)
        }
        let contact = try t.sql { try Data.fetchOne($0, sql: "SELECT sealed FROM contact") }!
        for i in 0..<identity.count {
            var bad = identity
            bad[i] ^= 0x04
            try t.sql { try $0.execute(sql: "UPDATE identity SET sealed = ?", arguments: [bad]) }
            #expect(throws: VaultError.itemIntegrity(kind: "identity", id: identityID)) { _ = try v.identityRecipient() }
        }
        try t.sql { try $0.execute(sql: "UPDATE identity SET sealed = ?", arguments: [identity]) }
        for i in 0..<contact.count {
            var bad = contact
            bad[i] ^= 0x04
            try t.sql { try $0.execute(sql: "UPDATE contact SET sealed = ?", arguments: [bad]) }
            #expect(throws: VaultError.itemIntegrity(kind: "contact", id: c.id)) { _ = try v.listContacts() }
        }
        // A contact's ciphertext under the identity's id (and the reverse) does not open.
        try t.sql { try $0.execute(sql: "UPDATE identity SET sealed = ?", arguments: [contact]) }
        #expect(throws: VaultError.itemIntegrity(kind: "identity", id: identityID)) { _ = try v.identityRecipient() }
    }
}

@Suite struct StrictReadingTests {
    /// A body re-sealed with the right key but a padded length other than P(n) is refused.
    @Test func wrongPaddedLengthIsAnIntegrityError() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "A")
        let id = try v.addRecord(NewRecord(sourceAlias: "A", title: "t", body: "hello"))
        let row = try v.store.record(id)!
        let key = try v.recordKey(row)
        let padded = try Padding.pad(Array("hello".utf8), blockSize: 512)
        let ad = SealedKind.recordBody.ad(vaultID: v.vaultID, id: id, version: 1)
        let forged = try XChaCha20Poly1305.seal(padded, key: key, associatedData: ad)
        try t.sql { try $0.execute(sql: "UPDATE record_version SET body = ? WHERE record_id = ?", arguments: [Data(forged), id]) }
        #expect(throws: VaultError.recordIntegrity(recordID: id)) { _ = try v.record(id) }
        // The same plaintext padded correctly opens, so the test isolates the length rule.
        let good = try XChaCha20Poly1305.seal(try Padding.pad(Array("hello".utf8), blockSize: 256), key: key, associatedData: ad)
        try t.sql { try $0.execute(sql: "UPDATE record_version SET body = ? WHERE record_id = ?", arguments: [Data(good), id]) }
        #expect(try v.record(id).body == "hello")
    }

    @Test func aMissingMiddleVersionIsDetected() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "A")
        let id = try v.addRecord(NewRecord(sourceAlias: "A", title: "t", body: "v1"))
        _ = try v.amend(id, body: "v2")
        _ = try v.amend(id, body: "v3")
        try t.sql { try $0.execute(sql: "DELETE FROM record_version WHERE record_id = ? AND version = 2", arguments: [id]) }
        #expect(throws: VaultError.recordIntegrity(recordID: id)) { _ = try v.record(id) }
        #expect(throws: VaultError.recordIntegrity(recordID: id)) { _ = try v.record(id, version: 1) }
    }

    @Test func recoverySlotWithKDFFieldsIsDamaged() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (_, rk) = try t.create()
        try t.sql { try $0.execute(sql: "UPDATE key_slot SET kdf_opslimit = 3 WHERE kind = 2") }
        #expect { _ = try Vault.unlock(directory: t.dir, recoveryKey: try secret(rk)) } throws: { e in
            if case VaultError.vaultIntegrity = e { true } else { false }
        }
    }
}
