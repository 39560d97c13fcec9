import Foundation
import Testing

/// Drives the binary on a pseudo-terminal (Tests/CLITests/pty_run.py, python3's `pty`): standard
/// input, output and error are the terminal, as for a person; the passphrase file is on fd 3.
enum PTY {
    struct Result: Decodable {
        var status: Int32
        var screen: String
        var unmet: String?
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("pty_run.py").path

    /// Runs `sourcevault ARGS --vault VAULT`; `steps` are ("expect", text on screen) and ("send", keys).
    static func run(_ c: CLI, _ args: [String], _ steps: [(String, String)], fd3: String? = nil, vaultFlag: Bool = true)
        throws -> Result
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let stepsJSON = try JSONSerialization.data(withJSONObject: steps.map { [$0.0, $0.1] })
        p.arguments =
            ["python3", script, String(decoding: stepsJSON, as: UTF8.self), fd3 ?? c.passFile, CLI.binary] + args
            + (vaultFlag ? ["--vault", c.vault] : [])
        let out = c.tmp.file("pty-out-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SOURCEVAULT") }
        try p.run()
        p.waitUntilExit()
        let data = FileManager.default.contents(atPath: out) ?? Data()
        return try JSONDecoder().decode(Result.self, from: data)
    }
}

/// Issue 16, item 4: what cannot be undone is shown and confirmed on a terminal; `--yes` and
/// scripts (no terminal) go ahead; a refusal is logged.
@Suite struct ConfirmationTests {
    @Test func rmShowsTheRecordAndAsks() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(source: "Magpie", title: "Crossing at night", body: "text\n")
        let no = try PTY.run(c, ["rm", id] + pw, [("expect", "Delete it? [y/N]"), ("send", "n\n")])
        #expect(no.unmet == nil && no.status == 1, "\(no.screen)")
        #expect(no.screen.contains("record \(id)") && no.screen.contains("Crossing at night") && no.screen.contains("1 version,"))
        #expect(no.screen.contains("not confirmed; nothing was changed"))
        #expect(c.run(["list"] + pw).stdout.hasPrefix(id), "still there")
        // An empty answer is no.
        #expect(try PTY.run(c, ["rm", id] + pw, [("expect", "[y/N]"), ("send", "\n")]).status == 1)
        #expect(c.run(["audit", "show"]).stdout.contains("rm  failed:declined  record=\(id)"))
        let yes = try PTY.run(c, ["rm", id] + pw, [("expect", "Delete it? [y/N]"), ("send", "y\n")])
        #expect(yes.status == 0 && yes.screen.contains("Deleted record \(id)"), "\(yes.screen)")
        #expect(c.run(["list"] + pw).stdout.isEmpty)
        // --yes: no question even on a terminal; no terminal: no question (as before).
        let other = try c.add(source: "Magpie", title: "T", body: "x")
        let skipped = try PTY.run(c, ["rm", other, "--yes"] + pw, [])
        #expect(skipped.status == 0 && !skipped.screen.contains("[y/N]"), "\(skipped.screen)")
        let third = try c.add(source: "Magpie", title: "T", body: "x")
        #expect(c.run(["rm", third] + pw).status == 0)
    }

    @Test func travelOutRecoveryRemoveAndRekeyAsk() throws {
        let c = CLI()
        try c.initVault()
        let bundle = c.root + "/slots.svt"
        let travel = try PTY.run(
            c, ["travel", "out", "--to", bundle] + pw, [("expect", "Go into travel mode? [y/N]"), ("send", "no\n")])
        #expect(travel.status == 1 && travel.screen.contains("2 key slots (passphrase, recovery key)"), "\(travel.screen)")
        #expect(!FileManager.default.fileExists(atPath: bundle))
        #expect(c.run(["status"]).stdout.contains("can be opened: yes"))
        let recovery = try PTY.run(
            c, ["recovery", "remove"] + pw, [("expect", "Remove the recovery key? [y/N]"), ("send", "n\n")])
        #expect(recovery.status == 1 && recovery.screen.contains("Only the passphrase will open"), "\(recovery.screen)")
        #expect(c.run(["status"]).stdout.contains("passphrase or recovery key"))
        let rekey = try PTY.run(c, ["rekey"] + pw, [("expect", "Rekey the vault? [y/N]"), ("send", "n\n")])
        #expect(rekey.status == 1 && rekey.screen.contains("Re-encrypts 0 records under new keys"), "\(rekey.screen)")
        #expect(rekey.screen.contains("The recovery key is replaced"))
        let log = c.run(["audit", "show"]).stdout
        for action in ["travel-out", "recovery-remove", "rekey"] { #expect(log.contains("\(action)  failed:declined"), "\(log)") }
        let removed = try PTY.run(c, ["recovery", "remove"] + pw, [("expect", "[y/N]"), ("send", "y\n")])
        #expect(removed.status == 0 && c.run(["status"]).stdout.contains("with passphrase\n"))
    }

    @Test func weakPassphrasesAreWarnedAbout() throws {
        let weak = CLI(passphrase: "abc")
        let r = weak.run(["init", "--kdf", "test", "--passphrase-fd", "3"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("warning: weak passphrase (") && !r.stderr.contains("abc"), "\(r.stderr)")
        let strong = CLI()
        #expect(!strong.run(["init", "--kdf", "test", "--passphrase-fd", "3"]).stderr.contains("weak"))
        // passwd: the new one is judged.
        let change = strong.writeFile("change", Data("correct horse battery staple\npassword1\n".utf8))
        let p = strong.run(["passwd", "--passphrase-fd", "3"], fd3: change)
        #expect(p.status == 0 && p.stderr.contains("dictionary"), "\(p.stderr)")
        // On a terminal the weak one can be taken back before anything is created.
        let c = CLI()
        let asked = try PTY.run(
            c, ["init", "--kdf", "test"],
            [
                ("expect", "New passphrase"), ("send", "abc\n"), ("expect", "Repeat"), ("send", "abc\n"),
                ("expect", "Use this passphrase anyway? [y/N]"), ("send", "n\n")
            ])
        #expect(asked.status == 1 && !FileManager.default.fileExists(atPath: c.vault + "/vault.sqlite3"), "\(asked.screen)")
    }

    @Test func theTravelPassphraseMustDifferFromTheVaults() throws {
        let c = CLI()
        try c.initVault()
        let bundle = c.root + "/slots.svt"
        let same = c.writeFile("same", Data("correct horse battery staple\ncorrect horse battery staple\n".utf8))
        let r = c.run(["travel", "out", "--to", bundle, "--passphrase-fd", "3"], fd3: same)
        #expect(r.status == 2 && r.stderrLines.count == 1 && r.stderr.contains("must not be the vault passphrase"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: bundle) && c.run(["status"]).stdout.contains("can be opened: yes"))
        let other = c.writeFile("other", Data("correct horse battery staple\nseven orange lanterns drift\n".utf8))
        #expect(c.run(["travel", "out", "--to", bundle, "--passphrase-fd", "3"], fd3: other).status == 0)
    }

    /// Issue 16, item 1 (part): an existing vault is reported before the passphrase is asked twice.
    @Test func initOnAnExistingVaultFailsBeforeAnyPrompt() throws {
        let c = CLI()
        try c.initVault()
        let r = try PTY.run(c, ["init", "--kdf", "test"], [])
        #expect(
            r.status == 6 && r.screen.contains("a vault already exists") && !r.screen.contains("passphrase for"), "\(r.screen)")
    }
}
