import Foundation
import TestSupport
import Testing

/// Issue 13, the audit log's part: forged entries refused, failed unlocks logged whatever state
/// the log is in, rollback of the vault file detected, a copied vault kept out of the original's
/// log, rekey rotating the audit keys. Each refusal exits 5 and names the entry, line or file.
@Suite struct AuditIntegrityTests {
    func setUp(records: Int = 1, extra: [String] = []) throws -> CLI {
        let c = CLI()
        let r = c.run(["init", "--kdf", "test"] + extra + pw)
        guard r.status == 0 else { throw CLI.Failure(message: "init failed: \(r.stderr)") }
        try c.addSource("Magpie")
        for i in 0..<records { _ = try c.add(source: "Magpie", title: "T\(i)", body: "testimony \(i)") }
        return c
    }

    func logPath(_ c: CLI) -> String { c.vault + "/audit.log" }
    func log(_ c: CLI, _ path: String? = nil) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path ?? logPath(c)))
    }
    func lines(_ c: CLI) throws -> [String] {
        String(decoding: try log(c), as: UTF8.self).split(separator: "\n").map(String.init)
    }
    func writeLines(_ c: CLI, _ lines: [String]) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: logPath(c)))
    }
    func append(_ c: CLI, _ text: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath(c)))
        h.seekToEndOfFile()
        h.write(Data(text.utf8))
        try h.close()
    }
    func fields(_ line: String) -> [String] {
        line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    }

    /// BLAKE2b-256 of an entry's chained part (all but the signature), as an attacker computes it.
    func entryHash(_ line: String) throws -> String {
        let chained = fields(line).prefix(8).joined(separator: "\t")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        let script = "import hashlib,sys; print(hashlib.blake2b(sys.argv[1].encode(), digest_size=32).hexdigest())"
        p.arguments = ["-c", script, chained]
        let out = Pipe()
        p.standardOutput = out
        try p.run(); p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A backdated-or-not `export` entry after `line` that chains correctly, with a MAC nobody made.
    func forged(after line: String, time: String? = nil) throws -> (seq: Int, line: String) {
        let f = fields(line)
        let seq = Int(f[1])! + 1
        // It claims the generation of the entry before it (a forger would not give itself away by that).
        let gen = f[5].split(separator: ",").first { $0.hasPrefix("gen=") }.map { String($0.dropFirst(4)) } ?? "0"
        let entry = [
            "SVA2", String(seq), time ?? f[2], "export", "ok", "format=text,gen=\(gen),record=0123456789abcdef",
            try entryHash(line), "m:" + String(repeating: "5a", count: 32)
        ].joined(separator: "\t")
        return (seq, entry)
    }

    @Test func aForgedEntryAppendedIsRefusedNotSignedOver() throws {
        let c = try setUp()
        let forged = try forged(after: try lines(c).last!)
        try append(c, forged.line + "\n")
        let before = try log(c)
        let list = c.run(["list"] + pw)
        #expect(list.status == 5 && list.stdout.isEmpty, "\(list.stderr)")
        #expect(list.stderr.contains("entry \(forged.seq) is not authentic"), "\(list.stderr)")
        #expect(try log(c) == before, "an entry was appended after the forged one")
        let full = c.run(["audit", "verify", "--full"] + pw)
        #expect(full.status == 5 && full.stderr.contains("at entry \(forged.seq)"), "\(full.stderr)")
        // A wrong passphrase is still logged; the forged entry is still refused afterwards.
        let bad = c.writeFile("bad", Data("wrong\n".utf8))
        #expect(c.run(["list", "--passphrase-fd", "3"], fd3: bad).status == 3)
        #expect(try lines(c).last?.contains("\tunlock\tdenied\t") == true)
        #expect(c.run(["list"] + pw).status == 5)
    }

    @Test func aBackdatedForgedEntryFailsPublicVerification() throws {
        let c = try setUp()
        let forged = try forged(after: try lines(c).last!, time: "2020-01-01T00:00:00Z")
        try append(c, forged.line + "\n")
        let key = c.run(["audit", "pubkey"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for extra in [[], ["--public-key", key]] {
            let r = c.run(["audit", "verify"] + extra)
            #expect(r.status == 5 && r.stderr.contains("at entry \(forged.seq)"), "\(r.stderr)")
            #expect(r.stderr.contains("dated before"), "\(r.stderr)")
        }
    }

    @Test func aForgedEntryInsertedIsNamed() throws {
        let c = try setUp(records: 2)
        var ls = try lines(c)
        let k = 3
        let forged = try forged(after: ls[k - 1])
        ls.insert(forged.line, at: k)
        try writeLines(c, ls)
        let r = c.run(["audit", "verify"])
        #expect(r.status == 5 && r.stderr.contains("at entry \(forged.seq) (line \(k + 1))"), "\(r.stderr)")
        #expect(r.stderr.contains("inserted"), "\(r.stderr)")
        let full = c.run(["audit", "verify", "--full"] + pw)
        #expect(full.status == 5 && full.stderr.contains("(line \(k + 1))"), "\(full.stderr)")
    }

    @Test func aGarbageLastLineThenAWrongPassphraseIsStillLogged() throws {
        let c = try setUp()
        let head = Int(fields(try lines(c).last!)[1])!
        try append(c, "this is not an audit entry\n")
        let bad = c.writeFile("bad", Data("wrong\n".utf8))
        let wrong = c.run(["list", "--passphrase-fd", "3"], fd3: bad)
        #expect(wrong.status == 3, "\(wrong.stderr)")
        let last = try #require(try lines(c).last)
        #expect(last.contains("\tunlock\tdenied\t") && last.contains("log=damaged"), "\(last)")
        #expect(fields(last).dropFirst().first == String(head + 1), "\(last)")
        #expect(try lines(c).contains("this is not an audit entry"))
        let right = c.run(["list"] + pw)
        #expect(right.status == 5 && right.stdout.isEmpty, "\(right.stderr)")
        #expect(right.stderr.contains("the line after entry \(head)"), "\(right.stderr)")
        let v = c.run(["audit", "verify"])
        #expect(v.status == 5 && v.stderr.contains("(line \(head + 1))"), "\(v.stderr)")
    }

    /// The database put back from a copy taken one write earlier, or ten. The log holds entries
    /// written with the vault's key after the last one the copy recorded. (Once the manifest's
    /// generations are real, the generation check refuses these as well; a copy taken mid-command,
    /// which only the generation gives away, is AuditLogTests' aVaultFileOlderThanItsLogIsRefusedByGeneration.)
    @Test(arguments: [1, 10])
    func theDatabaseReplacedByAnOlderCopyIsRefused(writes: Int) throws {
        let c = try setUp(records: 0)
        let old = try Data(contentsOf: URL(fileURLWithPath: c.tmp.vaultDatabase))
        for i in 0..<writes { #expect(c.run(["rule", "add", "Term\(i)"] + pw).status == 0) }
        try old.write(to: URL(fileURLWithPath: c.tmp.vaultDatabase))
        let r = c.run(["list"] + pw)
        #expect(r.status == 5 && r.stdout.isEmpty, "\(r.stderr)")
        #expect(
            r.stderr.contains("the vault file is older than its audit log: rolled back or restored from a copy"),
            "\(r.stderr)")
        let v = c.run(["audit", "verify"])
        #expect(v.status == 5 && v.stderr.contains("rolled back"), "\(v.stderr)")
    }

    func copy(_ from: String, to: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/cp")
        p.arguments = ["-a", from, to]
        try p.run(); p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    /// The log inside the vault directory is stored as a relative path: a copy writes its own copy.
    @Test func aCopiedVaultWritesItsOwnLog() throws {
        let c = try setUp()
        let stored = try c.sql("SELECT log_path FROM audit_state").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(stored == "audit.log")
        #expect(c.run(["status"]).stdout.contains("audit log: \(logPath(c)) "))
        let copyDir = c.root + "/copy"
        try copy(c.vault, to: copyDir)
        let original = try log(c)
        let added = c.run(
            ["add", "--source", "Magpie", "--title", "in the copy", "--vault", copyDir] + pw,
            stdin: Data("x".utf8), vaultFlag: false)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try log(c) == original, "the copy wrote into the original's log")
        #expect(try log(c, copyDir + "/audit.log").count > original.count)
        #expect(c.run(["list"] + pw).status == 0)
        #expect(c.run(["audit", "verify", "--full", "--vault", copyDir] + pw, vaultFlag: false).status == 0)
    }

    /// A log outside the vault directory: a copy (`cp -a`) shares its path, and is refused.
    @Test func aCopiedVaultCannotWriteIntoTheOriginalsExternalLog() throws {
        let c = CLI()
        let logs = c.root + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let external = logs + "/vault.log"
        let r = c.run(["init", "--kdf", "test", "--audit-log", external] + pw)
        #expect(r.status == 0, "\(r.stderr)")
        try c.addSource("Magpie")
        let copyDir = c.root + "/copy"
        try copy(c.vault, to: copyDir)
        let before = try log(c, external)
        let refused = c.run(["list", "--vault", copyDir] + pw, vaultFlag: false)
        #expect(refused.status == 5 && refused.stdout.isEmpty, "\(refused.stderr)")
        #expect(refused.stderr.contains(external) && refused.stderr.contains("copy"), "\(refused.stderr)")
        #expect(try log(c, external) == before)
        #expect(c.run(["list"] + pw).status == 0)
        // Moved (not copied): refused the same way until the reporter confirms the move.
        let moved = c.root + "/moved"
        try FileManager.default.moveItem(atPath: c.vault, toPath: moved)
        #expect(c.run(["list", "--vault", moved] + pw, vaultFlag: false).status == 5)
        let rebind = c.run(["audit", "rebind", "--vault", moved] + pw, vaultFlag: false)
        #expect(rebind.status == 0, "\(rebind.stderr)")
        #expect(c.run(["list", "--vault", moved] + pw, vaultFlag: false).status == 0)
        #expect(c.run(["audit", "verify", "--full", "--vault", moved] + pw, vaultFlag: false).status == 0)
    }

    /// A copy whose record points at the log in the original's directory (a vault made before log
    /// paths were relative, or an edited path) is refused: that log belongs to another vault.
    @Test func aCopyPointingIntoTheOriginalsDirectoryIsRefused() throws {
        let c = try setUp()
        let copyDir = c.root + "/copy"
        try copy(c.vault, to: copyDir)
        _ = try SQLiteShell.run("UPDATE audit_state SET log_path = '\(logPath(c))'", on: copyDir + "/vault.sqlite3")
        let before = try log(c)
        let r = c.run(["list", "--vault", copyDir] + pw, vaultFlag: false)
        #expect(r.status == 5 && r.stderr.contains("belongs to the vault in \(c.vault)"), "\(r.stderr)")
        #expect(try log(c) == before)
        // Nor may it move the original's log aside.
        #expect(c.run(["audit", "recover", "--replace", "--vault", copyDir] + pw, vaultFlag: false).status == 2)
        #expect(try log(c) == before)
    }

    @Test func rekeySignsItsLastEntryAndTheChainVerifiesAcrossTheRotation() throws {
        let c = try setUp()
        let oldKey = c.run(["audit", "pubkey"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let rekey = c.run(["rekey"] + pw)
        #expect(rekey.status == 0, "\(rekey.stderr)")
        let newKey = c.run(["audit", "pubkey"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(newKey.count == 64 && newKey != oldKey)
        let ls = try lines(c)
        let last = fields(ls.last!), handover = fields(ls[ls.count - 2])
        #expect(last[3] == "rekey" && last[4] == "ok" && last.count == 9 && last[8].hasPrefix("s:"))
        #expect(handover[3] == "audit-rekey")
        #expect(handover[5].contains("from=\(oldKey)") && handover[5].contains("key=\(newKey)"))
        // A verifier holding the old key follows the hand-over and is told the new key.
        let withOld = c.run(["audit", "verify", "--public-key", oldKey])
        #expect(withOld.status == 0, "\(withOld.stderr)")
        #expect(withOld.stdout.contains("signatures through entry \(last[1])"), "\(withOld.stdout)")
        #expect(withOld.stderr.contains(newKey), "\(withOld.stderr)")
        #expect(c.run(["audit", "verify", "--public-key", newKey]).status == 0)
        #expect(c.run(["audit", "verify", "--full"] + pw).status == 0)
        #expect(c.run(["check"] + pw).status == 0)
    }

    @Test func aRestoreIsRecordedAndTheReplacedLogKept() throws {
        let c = try setUp()
        let backup = c.root + "/backup.svb"
        #expect(c.run(["backup", "--to", backup] + pw).status == 0)
        #expect(c.run(["rule", "add", "Tumen"] + pw).status == 0)
        let cp = c.run(["audit", "checkpoint"] + pw)
        let cpFile = c.writeFile("checkpoint.txt", Data(cp.stdout.utf8))
        let replacedHead = try c.sql("SELECT head_seq FROM audit_state").trimmingCharacters(in: .whitespacesAndNewlines)
        let live = try log(c)
        let r = c.run(["restore", backup, "--vault", c.vault, "--overwrite"], vaultFlag: false)
        #expect(r.status == 0, "\(r.stderr)")
        let last = try #require(try lines(c).last)
        #expect(last.contains("\trestore\tok\t") && last.contains("replaced=\(replacedHead)"), "\(last)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: c.vault)
            .filter { $0.hasPrefix("audit.log.replaced-") }
        #expect(kept.count == 1)
        #expect(try kept.first.map { try log(c, c.vault + "/" + $0) } == live)
        #expect(c.run(["list"] + pw).status == 0)
        let v = c.run(["audit", "verify", "--checkpoint", cpFile])
        #expect(v.status == 5 && v.stderr.contains("'restore'"), "\(v.stderr)")
    }

    @Test func aQueryAndAnAliasOfTheSameTextHashDifferently() throws {
        let c = try setUp(records: 0)
        _ = c.run(["search", "Magpie"] + pw)
        let ls = try lines(c)
        func value(_ action: String, _ key: String) -> String? {
            let attrs = ls.first { fields($0)[3] == action }.map { fields($0)[5].split(separator: ",") } ?? []
            return attrs.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        let alias = try #require(value("source-add", "alias")), query = try #require(value("search", "query"))
        #expect(alias.hasPrefix("h:") && query.hasPrefix("h:") && alias != query)
        let cv = c.run(["audit", "check-value"] + pw, input: "Magpie\n")
        #expect(cv.status == 0, "\(cv.stderr)")
        #expect(cv.stdout.contains("source-add  ok  as alias"), "\(cv.stdout)")
        #expect(cv.stdout.contains("search  ok  as query"), "\(cv.stdout)")
    }
}
