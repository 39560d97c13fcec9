import Foundation
import Testing

/// A vault file edited by someone without the key: every change gives an integrity error in one
/// line, never a crash, a register dump or terminal escapes on stderr.
@Suite struct HostileFileTests {
    func setUp() throws -> (CLI, String) {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(source: "Magpie", title: "Title", body: "body text")
        return (c, id)
    }

    func expectIntegrity(_ r: CLI.Result, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 5, "\(what): status \(r.status) stderr \(r.stderr)", sourceLocation: sourceLocation)
        #expect(
            !r.stderr.contains("Fatal error") && !r.stderr.contains("internal error"), "\(what)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("\u{1B}") && !r.stderr.contains("\u{07}"), "\(what)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        "UPDATE key_slot SET kdf_opslimit = 'abc' WHERE kind = 1",
        "UPDATE key_slot SET kdf_salt = 12 WHERE kind = 1",
        "UPDATE key_slot SET wrapped_master_key = 'text' WHERE kind = 1",
        "UPDATE vault_header SET vault_id = 'sixteen chars!!!'",
        "UPDATE vault_header SET format_version = 0"
    ])
    func wrongTypesInHeaderAndSlots(statement: String) throws {
        let (c, _) = try setUp()
        try c.sql(statement)
        let r = c.run(["list"] + pw)
        expectIntegrity(r, statement)
        #expect(r.stderrLines.count == 1, "\(r.stderr)")
    }

    @Test func formatVersionOfWrongTypeIsNotAVault() throws {
        let (c, _) = try setUp()
        try c.sql("UPDATE vault_header SET format_version = 'x'")
        let r = c.run(["list"] + pw)
        #expect(r.status == 5 && r.stderrLines.count == 1 && !r.stderr.contains("Fatal"), "\(r.stderr)")
    }

    @Test(arguments: [
        "UPDATE record_version SET version = 4294967297",
        "UPDATE record_version SET version = -1",
        "UPDATE record_version SET version = 'one'",
        "UPDATE record_version SET meta = 'not a blob'",
        "UPDATE record SET wrapped_key = 42",
        "DELETE FROM record_version"
    ])
    func damagedRecordRowsAreIntegrityErrors(statement: String) throws {
        let (c, id) = try setUp()
        let good = try c.add(source: "Magpie", title: "Other", body: "fine")
        try c.sql(statement + " WHERE record_id = '\(id)'")
        // (`list` reads the summary pages, not the record rows, SECURITY.md §6.12.)
        for cmd in [["search", "Title"], ["show", id], ["amend", id]] {
            let r = c.run(cmd + pw, input: "new text")
            expectIntegrity(r, "\(statement) / \(cmd[0])")
        }
        // A damaged row leaves the rest listed; a deleted one refuses the whole vault, naming the
        // record (its rows no longer match the manifest, SECURITY.md §6.8).
        let list = c.run(["list"] + pw)
        if statement.hasPrefix("DELETE") {
            #expect(list.status == 5 && list.stderr.contains("record \(id) has 0 versions"), "\(list.stderr)")
        } else {
            #expect(list.stdout.contains(good))
        }
    }

    /// A record swapped for an earlier removed one (the counts agree, so the unlock lets it
    /// through, SECURITY.md §6.8): `list` and `search` name both records and exit 5, `show` of
    /// the one brought back refuses, export never sees it, and `rm` removes it.
    @Test func aRecordSwappedForARemovedOneIsNamedByTheNextListing() throws {
        let (c, id) = try setUp()
        let gone = try c.add(source: "Magpie", title: "Removed", body: "what the source asked to remove")
        let saved = try c.sql(
            "SELECT hex(r.wrapped_key) || ' ' || hex(v.meta) || ' ' || hex(v.body) FROM record r JOIN record_version v USING (record_id) WHERE record_id = '\(gone)'"
        ).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        #expect(c.run(["rm", gone] + pw).status == 0)
        try c.sql(
            "PRAGMA foreign_keys=OFF; DELETE FROM record_version WHERE record_id = '\(id)'; DELETE FROM record WHERE record_id = '\(id)'; "
                + "INSERT INTO record VALUES ('\(gone)', x'\(saved[0])'); INSERT INTO record_version VALUES ('\(gone)', 1, x'\(saved[1])', x'\(saved[2])')"
        )
        // `list` reads the summary pages (§6.12), which still show what the manifest lists.
        let listed = c.run(["list"] + pw)
        #expect(listed.status == 0 && listed.stdout.contains(id) && !listed.stdout.contains(gone), "\(listed.stderr)")
        for cmd in [["search", "remove"], ["search", "e"]] {
            let r = c.run(cmd + pw)
            expectIntegrity(r, cmd[0])
            #expect(
                r.stderr.contains("record \(gone) is not in the manifest") && r.stderr.contains("record \(id) is missing"),
                "\(r.stderr)")
            #expect(!r.stdout.contains(gone), "\(cmd[0]) listed the record brought back")
        }
        expectIntegrity(c.run(["show", gone] + pw), "show")
        expectIntegrity(c.run(["export", gone, "--no-rules"] + pw), "export")
        #expect(c.run(["rm", gone] + pw).status == 0)
        let after = c.run(["search", "e"] + pw)
        #expect(after.stderr.contains("record \(id) is missing") && !after.stderr.contains(gone), "\(after.stderr)")
    }

    @Test func idsFromTheFileAreNeverPrintedRaw() throws {
        let (c, id) = try setUp()
        try c.sql(
            "PRAGMA foreign_keys=OFF; "
                + "UPDATE record SET record_id = char(27) || ']0;pwned' || char(7) WHERE record_id = '\(id)'")
        try c.sql("UPDATE source SET source_id = 'a' || char(10) || 'sourcevault: fake line'")
        let r = c.run(["list"] + pw)
        expectIntegrity(r, "escape ids")
        #expect(r.stderrLines.allSatisfy { $0.hasPrefix("sourcevault: ") && !$0.contains("fake line") }, "\(r.stderr)")
    }

    @Test func damagedSourceStillListsRecords() throws {
        let (c, id) = try setUp()
        try c.sql(
            "UPDATE source SET sealed = CAST(substr(sealed, 1, 30) || "
                + "(CASE WHEN substr(sealed, 31, 1) = x'00' THEN x'01' ELSE x'00' END) || "
                + "substr(sealed, 32) AS BLOB)")
        let list = c.run(["list"] + pw)
        #expect(list.status == 5 && list.stdout.hasPrefix(id) && list.stderr.contains("source entry"), "\(list.stderr)")
        let show = c.run(["show", id] + pw)
        #expect(show.status == 5 && show.stdout.contains("body text"), "\(show.stderr)")
        // Adding to a source cannot check uniqueness against a damaged entry: refused, not guessed.
        #expect(c.run(["source", "add", "Crane"] + pw).status == 5)
    }
}

/// Values typed on the command line (possibly names) never come back on stderr.
@Suite struct NoEchoTests {
    @Test func parseErrorsAndUnknownIDsDoNotRepeatValues() throws {
        let c = CLI()
        try c.initVault()
        for args in [
            ["search", "Kim", "Jong-il"], ["show", "--version", "Hoeryong", "abcd"], ["show", "Hoeryong"],
            ["rule", "rm", "Hoeryong"], ["add", "--title", "Secret", "Stray Village"]
        ] {
            let r = c.run(args + pw)
            #expect(r.status != 0 && r.stderrLines.count == 1, "\(args) \(r.stderr)")
            for word in ["Jong-il", "Hoeryong", "Stray Village"] { #expect(!r.stderr.contains(word), "\(args): \(r.stderr)") }
        }
        let missing = c.run(["add", "--source", "x", "--title", "t", "--file", c.root + "/SourceNamedFile.txt"] + pw)
        #expect(!missing.stderr.contains("SourceNamedFile"))
    }
}

@Suite struct InitSafetyTests {
    @Test func symlinkedOrUnlistableDirectoriesAreRefused() throws {
        let c = CLI()
        let real = c.root + "/real"
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: c.vault, withDestinationPath: real)
        let r = c.run(["init", "--kdf", "test"] + pw)
        #expect(r.status == 2 && r.stderr.contains("symbolic link"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: real).isEmpty)
    }

    @Test func noVaultIfTheRecoveryKeyCannotBeShown() throws {
        let c = CLI()
        let r = c.run(["init", "--kdf", "test"] + pw, closeStdout: true)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: c.vault + "/vault.sqlite3"))
        // The leftover staging file does not block a later init.
        #expect(c.run(["init", "--kdf", "test"] + pw).status == 0)
    }
}

@Suite struct FileSystemTests {
    @Test func looseVaultPermissionsAreWarnedAbout() throws {
        let c = CLI()
        try c.initVault()
        #expect(!c.run(["list"] + pw).stderr.contains("accessible to other users"))
        chmod(c.vault, 0o755)
        let r = c.run(["list"] + pw)
        #expect(r.status == 0 && r.stderr.contains("accessible to other users"))
    }

    /// A symlink put in the audit log's place is never followed: commands are refused.
    @Test func symlinkedAuditLogIsRefused() throws {
        let c = CLI()
        try c.initVault()
        let log = c.vault + "/audit.log"
        let elsewhere = c.root + "/elsewhere.log"
        try FileManager.default.moveItem(atPath: log, toPath: elsewhere)
        try FileManager.default.createSymbolicLink(atPath: log, withDestinationPath: elsewhere)
        let before = try Data(contentsOf: URL(fileURLWithPath: elsewhere))
        let r = c.run(["list"] + pw)
        #expect(r.status == 8 && r.stdout.isEmpty, "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: elsewhere)) == before)
    }
}

@Suite struct LargeInputTests {
    /// A 30 MB testimony on standard input is stored and read back whole (memory grows with the
    /// largest record, not with the vault: `make bench` and SECURITY.md give the figures).
    @Test func largeTestimonyOnStandardInput() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let line = "testimony line with some words, 이종열 and more text here.\n"
        let body = String(repeating: line, count: 30_000_000 / line.utf8.count)
        let id = try c.add(source: "Magpie", title: "Big", body: body)
        let shown = c.run(["show", id, "--json"] + pw)
        #expect(shown.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        #expect((obj?["body"] as? String)?.utf8.count == body.utf8.count)
    }

    @Test func symlinkedVaultIsWarnedAbout() throws {
        let c = CLI()
        try c.initVault()
        let link = c.root + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: c.vault)
        let r = c.run(["list", "--vault", link] + pw, vaultFlag: false)
        #expect(r.status == 0 && r.stderr.contains("symbolic link"))
    }
}
