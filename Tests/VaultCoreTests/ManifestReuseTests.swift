import Foundation
import GRDB
import Testing

@testable import VaultCore

/// A walk (`list`, `search`) uses the lists of the manifest the unlock checked only when its own
/// transaction reads the same sealed bytes (SECURITY.md §6.8): a manifest another writer changed
/// since, or one put back from before, is opened and used (or refused), never the unlock's.
@Suite struct ManifestReuseTests {
    func sealedManifest(_ t: TempVault) throws -> Data {
        try t.sql { try Data.fetchOne($0, sql: "SELECT sealed FROM manifest WHERE singleton = 1")! }
    }

    @Test func aWalkUsesTheUnlocksManifestOnlyIfItIsStillTheFilesManifest() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        var ids: [String] = []
        for i in 0..<3 {
            ids.append(try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "Record \(i)", body: "needle \(i)")))
        }
        let reader = try t.unlock()
        // The unlock kept what it checked: the file's manifest, byte for byte.
        let kept = try #require(reader.verifiedManifest)
        #expect(kept.isCopy(of: Array(try sealedManifest(t))))
        #expect(try reader.list().problems.isEmpty)
        // Another writer (another process) adds a record and removes one after that unlock.
        let writer = try t.unlock()
        let added = try writer.addRecord(NewRecord(sourceAlias: "Magpie", title: "later", body: "needle later"))
        _ = try writer.remove(ids[0])
        #expect(!kept.isCopy(of: Array(try sealedManifest(t))))
        // The reader's walks read the new manifest: the new record listed, the removed one not,
        // nothing named (with the unlock's lists the new record would be unlisted, the removed one
        // missing, and both pages not the listed copies).
        let listed = try reader.list()
        #expect(listed.problems.isEmpty, "\(listed.problems)")
        #expect(listed.records.map(\.id) == [ids[1], ids[2], added])
        let found = try reader.search("needle")
        #expect(found.problems.isEmpty, "\(found.problems)")
        #expect(found.records.map(\.id) == [ids[1], ids[2], added])
    }

    /// A manifest put back from before the unlock (an older generation) while the vault is open:
    /// the walk opens it, sees that it is older than the one the unlock checked, and refuses.
    @Test func aManifestRolledBackAfterTheUnlockIsRefusedByTheWalk() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "first", body: "needle one"))
        let older = try sealedManifest(t)
        _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "second", body: "needle two"))
        let reader = try t.unlock()
        try t.sql { try $0.execute(sql: "UPDATE manifest SET sealed = ? WHERE singleton = 1", arguments: [older]) }
        for (name, walk) in [("list", { _ = try reader.list() }), ("search", { _ = try reader.search("needle") })]
            as [(String, () throws -> Void)]
        {
            var message: String?
            do { try walk() } catch let VaultError.vaultIntegrity(m) { message = m }
            #expect(message?.contains("is older than the one this session saw") == true, "\(name): \(message ?? "no error")")
        }
    }

    /// The record tables, the pages and the manifest as an attacker with the file copies them.
    func snapshot(_ t: TempVault) throws -> [String: [Row]] {
        try t.sql { db in
            var rows: [String: [Row]] = [:]
            for table in ["manifest", "summary_page", "record", "record_version"] {
                rows[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table)")
            }
            return rows
        }
    }

    func restore(_ t: TempVault, _ rows: [String: [Row]]) throws {
        try t.sqlOutsideTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.inTransaction {
                for (table, saved) in rows {
                    try db.execute(sql: "DELETE FROM \(table)")
                    for row in saved {
                        let columns = Array(row.columnNames)
                        let marks = columns.map { _ in "?" }.joined(separator: ", ")
                        try db.execute(
                            sql: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(marks))",
                            arguments: StatementArguments(columns.map { row[$0] as DatabaseValue }))
                    }
                }
                return .commit
            }
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
    }

    /// The rows and manifest of before this session's `rm` put back together (they agree with each
    /// other, so the rows-against-manifest check passes): `rekey` refuses rather than reseal the
    /// removed record under the new key, and nothing changes (review of format 5, adjacent finding).
    @Test func rekeyRefusesAVaultRolledBackWhileOpen() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let ids = try (0..<3).map { try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "Record \($0)", body: "needle")) }
        let session = try t.unlock()
        let before = try snapshot(t)
        _ = try session.remove(ids[0])
        try restore(t, before)
        let manifestBefore = try sealedManifest(t)
        var message: String?
        do { _ = try session.rekey(passphrase: try secret("new pass phrase"), profile: nil) } catch let VaultError.vaultIntegrity(
            m)
        {
            message = m
        }
        #expect(message?.contains("is older than the one this session saw") == true, "\(message ?? "rekeyed")")
        #expect(try sealedManifest(t) == manifestBefore)
        // The old passphrase still opens it: nothing was rewritten.
        #expect(throws: Never.self) { _ = try t.unlock() }
    }

    /// An inspection unlock (a page deleted: the manifest's counts differ) still keeps the
    /// generation of the manifest it opened, so `check --rebuild-pages` refuses a vault whose rows
    /// and manifest were put back from an older copy after it (review of format 5, L4).
    @Test func aRebuildAfterAnInspectionUnlockRefusesARollback() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let ids = try (0..<3).map { try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "Record \($0)", body: "needle")) }
        let before = try snapshot(t)
        _ = try v.remove(ids[0])
        try t.sql { try $0.execute(sql: "DELETE FROM summary_page") }
        #expect(throws: VaultError.self) { _ = try t.unlock() }
        let inspected = try Vault.unlock(directory: t.dir, passphrase: try secret("pass phrase"), policy: .inspection)
        try restore(t, before)
        var message: String?
        do { _ = try inspected.rebuildSummaryPages() } catch let VaultError.vaultIntegrity(m) { message = m }
        #expect(message?.contains("is older than the one this session saw") == true, "\(message ?? "rebuilt")")
        #expect(try t.sql { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM record") } == 3)
    }

    /// The upgrades to formats 3 and 4 refuse a manifest put back while the session that upgrades
    /// was open, like every write (review of the list pipeline, L1): a vault opened without
    /// upgrading, a write, then the manifest from before it put back (the rows are unchanged, so
    /// only the guard can refuse).
    @Test func theUpgradesToThreeAndFourRefuseARolledBackManifest() throws {
        struct Passphrase: Decodable { var passphrase: String }
        for (name, format) in [("v2", 2), ("v3", 3)] {
            let dir = VectorTests.vectors.appendingPathComponent(name)
            let e = try JSONDecoder().decode(Passphrase.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
            let t = TempVault()
            try FileManager.default.createDirectory(atPath: t.dir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: dir.appendingPathComponent("vault.sqlite3").path, toPath: t.dbPath)
            let v = try Vault.unlock(directory: t.dir, passphrase: try secret(e.passphrase), policy: .inspection)
            #expect(v.formatVersion == format)
            let older = try sealedManifest(t)
            _ = try v.addSource(alias: "Later")
            try t.sql { try $0.execute(sql: "UPDATE manifest SET sealed = ? WHERE singleton = 1", arguments: [older]) }
            var message: String?
            do {
                if format == 2 { _ = try v.upgradeToFormat3() } else { try v.upgradeToFormat4() }
            } catch let VaultError.vaultIntegrity(m) { message = m }
            #expect(message?.contains("is older than the one this session saw") == true, "\(name): \(message ?? "upgraded")")
            #expect(try Vault.openStore(t.dir).1.formatVersion == format, "\(name)")
        }
    }

    /// The unlock's manifest put back after this session's own write (rm, amend): the bytes are the
    /// ones the unlock checked, but the session has written a newer generation since, so the walk
    /// refuses instead of showing the removed record or the older title again (review 2, finding 1).
    @Test func theUnlocksManifestPutBackAfterThisSessionsWriteIsRefused() throws {
        for write in ["rm", "amend"] {
            let t = TempVault()
            let (v, _) = try t.create()
            _ = try v.addSource(alias: "Magpie")
            var ids: [String] = []
            for i in 0..<3 {
                ids.append(try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "Record \(i)", body: "needle \(i)")))
            }
            let session = try t.unlock()
            #expect(try session.list().problems.isEmpty)
            let before = try snapshot(t)
            if write == "rm" {
                _ = try session.remove(ids[0])
            } else {
                _ = try session.amend(ids[1], body: "needle, second version")
            }
            #expect(try session.list().problems.isEmpty)
            try restore(t, before)
            for (name, walk) in [("list", { _ = try session.list() }), ("search", { _ = try session.search("needle") })]
                as [(String, () throws -> Void)]
            {
                var message: String?
                do { try walk() } catch let VaultError.vaultIntegrity(m) { message = m }
                #expect(
                    message?.contains("is older than the one this session saw") == true,
                    "\(write), \(name): \(message ?? "no error")")
            }
        }
    }
}
