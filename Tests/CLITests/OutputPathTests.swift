import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 16, item 8: output files are new names or (with --overwrite) regular files, never the
/// vault's own files; refused with one line and exit 2, before any passphrase is read.
@Suite struct OutputPathTests {
    /// A wrong passphrase on fd 3: a refusal with exit 2 (not 3) shows the path was checked first.
    static func wrong(_ c: CLI) -> String { c.writeFile("wrong", Data("not the passphrase\nx\n".utf8)) }

    static func badTargets(_ c: CLI) throws -> [(String, String)] {
        let dir = c.root + "/adir"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let regular = c.writeFile("regular.txt", Data("keep me\n".utf8))
        try FileManager.default.createSymbolicLink(atPath: c.root + "/link.txt", withDestinationPath: regular)
        #expect(mkfifo(c.root + "/fifo", 0o600) == 0)
        try FileManager.default.linkItem(atPath: c.vault + "/audit.log", toPath: c.root + "/hardlinked-log")
        return [
            (c.vault + "/vault.sqlite3", "inside the vault directory"), (c.vault + "/audit.log", "inside the vault directory"),
            (c.vault + "/new.txt", "inside the vault directory"), (c.root + "/hardlinked-log", "over its audit log"),
            (dir, "is a directory"), (dir + "/", "is a directory"), (c.root + "/link.txt", "symbolic link"),
            ("/dev/stdout", "symbolic link"), ("/dev/null", "device, pipe or socket"),
            (c.root + "/fifo", "device, pipe or socket")
        ]
    }

    @Test func exportBackupAndTravelRefuseTheSameTargets() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(source: "Magpie", title: "T", body: "text\n")
        let wrong = Self.wrong(c)
        let logBefore = try Data(contentsOf: URL(fileURLWithPath: c.vault + "/audit.log"))
        for (target, why) in try Self.badTargets(c) {
            for args in [
                ["export", id, "--no-rules", "--out", target, "--overwrite"], ["backup", "--to", target, "--overwrite"],
                ["travel", "out", "--to", target]
            ] {
                let r = c.run(args + pw, fd3: wrong)
                #expect(r.status == 2 && r.stderrLines.count == 1 && r.stderr.contains(why), "\(args): \(r.stderr)")
                #expect(!r.stderr.contains(c.root), "the path is not repeated: \(r.stderr)")
            }
        }
        // Nothing was asked for, so nothing was denied: the log did not grow. Nothing was written.
        #expect(try Data(contentsOf: URL(fileURLWithPath: c.vault + "/audit.log")) == logBefore)
        #expect(try String(contentsOfFile: c.root + "/regular.txt", encoding: .utf8) == "keep me\n")
        #expect(c.run(["status"]).stdout.contains("can be opened: yes"))
        // An existing regular file: refused without --overwrite (one line), replaced with it.
        let existing = c.writeFile("old.svb", Data("old".utf8))
        let exists = c.run(["backup", "--to", existing] + pw, fd3: wrong)
        #expect(exists.status == 2 && exists.stderr.contains("exists; choose another name or add --overwrite"))
        #expect(c.run(["backup", "--to", existing, "--overwrite"] + pw).status == 0)
        let travelExists = c.run(["travel", "out", "--to", existing] + pw, fd3: wrong)
        #expect(travelExists.status == 2 && travelExists.stderr.contains("exists; choose another name; nothing"))
        // A missing directory: exit 1, as before.
        #expect(c.run(["backup", "--to", c.root + "/missing/b.svb"] + pw, fd3: wrong).status == 1)
    }
}

/// Issue 16, item 1 (parts): what can be checked without the key is checked before the passphrase.
@Suite struct ValidateBeforeUnlockTests {
    @Test func idSyntaxAndTravelModeBeforeThePassphrase() throws {
        let c = CLI()
        try c.initVault()
        let wrong = OutputPathTests.wrong(c)
        for args in [["show", "83cx"], ["rm", "83cx"], ["export", "zzzz"], ["amend", "not-hex"]] {
            let r = c.run(args + pw, fd3: wrong)
            #expect(r.status == 4 && r.stderr.contains("ids are hex"), "\(args): \(r.stderr)")
        }
        #expect(c.run(["show", "abc"] + pw, fd3: wrong).status == 2)
        let out = c.writeFile("travel", Data("correct horse battery staple\nseven orange lanterns drift\n".utf8))
        #expect(c.run(["travel", "out", "--to", c.root + "/slots.svt", "--passphrase-fd", "3"], fd3: out).status == 0)
        let logBefore = try Data(contentsOf: URL(fileURLWithPath: c.vault + "/audit.log"))
        let r = c.run(["list"] + pw, fd3: wrong)
        #expect(r.status == 3 && r.stderrLines.count == 1 && r.stderr.contains("travel mode"), "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: c.vault + "/audit.log")) == logBefore, "no passphrase was tried")
        // And on a terminal nobody is asked for a passphrase that cannot open anything.
        let tty = try PTY.run(c, ["list"], [])
        #expect(tty.status == 3 && !tty.screen.contains("Passphrase for"), "\(tty.screen)")
    }
}

/// Issue 16, item 1: the alias before the paste, three tries on a terminal, "unlocking…" when the
/// key derivation is slow.
@Suite struct UnlockOnATerminalTests {
    @Test func anUnknownAliasIsReportedBeforeTheTitleAndTheTestimony() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let r = try PTY.run(c, ["add"] + pw, [("expect", "Source alias: "), ("send", "Nobody\n")])
        #expect(r.status == 4 && r.screen.contains("no source has that alias"), "\(r.screen)")
        #expect(!r.screen.contains("Title:") && !r.screen.contains("testimony"), "\(r.screen)")
        let log = c.run(["audit", "show"]).stdout
        #expect(log.contains("add  failed:notfound"), "\(log)")
        // A bad date is refused before the passphrase is read (a wrong one would be exit 3).
        let wrong = OutputPathTests.wrong(c)
        let date = c.run(["add", "--source", "Magpie", "--title", "T", "--date", "2024-02-30"] + pw, fd3: wrong)
        #expect(date.status == 2 && date.stderr.contains("YYYY-MM-DD"))
    }

    @Test func threeTriesOnATerminalEachLogged() throws {
        let c = CLI()
        try c.initVault()
        let before = c.run(["audit", "show"]).stdout.split(separator: "\n").count
        let failed = try PTY.run(
            c, ["list"],
            [
                ("expect", "Passphrase for"), ("send", "bad one\n"), ("expect", "1 of 3 tries"),
                ("expect", "Passphrase for"), ("send", "bad two\n"), ("expect", "2 of 3 tries"),
                ("expect", "Passphrase for"), ("send", "bad three\n")
            ])
        #expect(
            failed.unmet == nil && failed.status == 3 && failed.screen.contains("wrong passphrase (nothing"), "\(failed.screen)")
        #expect(!failed.screen.contains("bad"), "no echo: \(failed.screen)")
        let log = c.run(["audit", "show"]).stdout
        #expect(
            log.split(separator: "\n").count == before + 3 && log.components(separatedBy: "unlock  denied").count == 4, "\(log)")
        let second = try PTY.run(
            c, ["list"],
            [
                ("expect", "Passphrase for"), ("send", "bad one\n"), ("expect", "Passphrase for"),
                ("send", "correct horse battery staple\n")
            ])
        #expect(second.status == 0, "\(second.screen)")
        // Not on a terminal: one try, as before.
        #expect(c.run(["list"] + pw, fd3: OutputPathTests.wrong(c)).status == 3)
    }

    @Test func slowKeyDerivationSaysUnlocking() throws {
        let c = CLI()
        #expect(c.run(["init", "--kdf", "moderate", "--passphrase-fd", "3"]).status == 0)
        let r = try PTY.run(c, ["list"], [("expect", "Passphrase for"), ("send", "correct horse battery staple\n")])
        #expect(r.status == 0 && r.screen.contains("unlocking…") && r.screen.contains("\r\u{1B}[K"), "\(r.screen)")
    }
}
