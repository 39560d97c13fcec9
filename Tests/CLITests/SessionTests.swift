import Foundation
import Testing

/// A running `sourcevault open` driven through a pipe, so the test can look at its memory.
final class LiveSession {
    let process = Process()
    let input = Pipe()
    let outPath: String
    let errPath: String

    init(_ c: CLI, fd3: String, extra: [String] = []) throws {
        outPath = c.root + "/session.out"
        errPath = c.root + "/session.err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments =
            ["-c", "exec \"$0\" \"$@\" 3<\"$SV_FD3\"", CLI.binary, "open", "--vault", c.vault, "--passphrase-fd", "3"] + extra
        var env = ProcessInfo.processInfo.environment
        env["SV_FD3"] = fd3
        process.environment = env
        process.standardInput = input
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
    }

    func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }
    var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// Waits until `predicate` holds (up to 10 s).
    func wait(_ what: String, _ predicate: () -> Bool) -> Bool {
        for _ in 0..<200 { if predicate() { return true }; usleep(50_000) }
        return false
    }

    /// Copies of `needle` in the process's readable memory (root reads /proc/PID/mem).
    func countInMemory(_ needle: String) -> (count: Int, regions: Int) {
        let pid = process.processIdentifier
        guard let maps = try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8),
            let mem = FileHandle(forReadingAtPath: "/proc/\(pid)/mem")
        else { return (-1, 0) }
        defer { try? mem.close() }
        let pattern = Data(needle.utf8)
        var count = 0, regions = 0
        for line in maps.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, parts[1].hasPrefix("r"), !line.contains("[vvar]"), !line.contains("[vsyscall]") else {
                continue
            }
            let range = parts[0].split(separator: "-")
            guard range.count == 2, let a = UInt64(range[0], radix: 16), let b = UInt64(range[1], radix: 16) else { continue }
            do {
                try mem.seek(toOffset: a)
                guard let data = try mem.read(upToCount: Int(b - a)) else { continue }
                regions += 1
                var from = data.startIndex
                while let r = data.range(of: pattern, in: from..<data.endIndex) { count += 1; from = r.upperBound }
            } catch { continue }
        }
        return (count, regions)
    }

    func finish() {
        if process.isRunning {
            send("quit")
            try? input.fileHandleForWriting.close()
        }
        // Never hang the suite: a session that does not leave in 10 s is killed (and the test fails).
        for _ in 0..<200 where process.isRunning { usleep(50_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("the session did not exit")
        }
        process.waitUntilExit()
    }
}

@Suite(.serialized) struct SessionTests {
    static let canary = "SessionCanaryXq7Z"

    func setUp() throws -> (CLI, String) {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(source: "Magpie", title: "Title", body: "The testimony says \(Self.canary) twice: \(Self.canary).")
        return (c, id)
    }

    @Test func pipedSessionLocksAndUnlocksAgain() throws {
        let (c, id) = try setUp()
        let fd3 = c.writeFile("twice", Data("correct horse battery staple\ncorrect horse battery staple\n".utf8))
        let script = """
            add --source Magpie --title "Pasted"
            pasted line one
            .
            show \(id.prefix(6))
            search canaryxq7
            lock
            list
            quit

            """
        let r = c.run(["open", "--passphrase-fd", "3"], stdin: Data(script.utf8), fd3: fd3)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(Self.canary) && r.stdout.contains("Pasted"))
        #expect(r.stderr.contains("locked (lock)"))
        let log = c.run(["audit", "show"]).stdout
        for action in ["session-open", "session-lock", "session-close"] { #expect(log.contains(action), "\(action)") }
        // Unlocks: source add, add, the session, and again after the lock.
        #expect(log.components(separatedBy: "  unlock  ok").count - 1 == 4)
    }

    /// While unlocked the process has locked memory and is not dumpable; after `lock`, no copy of
    /// the decrypted testimony is left anywhere in its memory.
    @Test func decryptedTextIsGoneAfterLock() throws {
        let (c, id) = try setUp()
        let s = try LiveSession(c, fd3: c.passFile)
        defer { s.finish() }
        s.send("show \(id)")
        #expect(s.wait("show") { s.stdout.contains(Self.canary) })
        let status = try String(contentsOfFile: "/proc/\(s.process.processIdentifier)/status", encoding: .utf8)
        let vmLck =
            status.split(separator: "\n").first { $0.hasPrefix("VmLck:") }.flatMap {
                Int($0.split(separator: " ", omittingEmptySubsequences: true)[1])
            } ?? 0
        #expect(vmLck > 0, "VmLck: \(vmLck)")
        s.send("hardening")
        #expect(s.wait("hardening") { s.stdout.contains("dumpable: no") && s.stdout.contains("core dumps: off") })
        let before = s.countInMemory(Self.canary)
        #expect(before.regions > 10)
        #expect(before.count > 0, "the scan must see the plaintext while it is shown (else it proves nothing)")
        s.send("lock")
        #expect(s.wait("lock") { s.stderr.contains("session locked") })
        let after = s.countInMemory(Self.canary)
        #expect(after.regions > 10)
        #expect(after.count == 0, "\(after.count) copies of the testimony left in memory after lock")
    }

    @Test func idleTimeoutLocks() throws {
        let (c, id) = try setUp()
        let s = try LiveSession(c, fd3: c.passFile, extra: ["--idle-timeout", "1"])
        defer { s.finish() }
        s.send("show \(id)")
        #expect(s.wait("show") { s.stdout.contains(Self.canary) })
        #expect(s.wait("idle lock") { s.stderr.contains("session locked") })
        #expect(s.countInMemory(Self.canary).count == 0)
    }
}

/// The whole workflow under strace: no canary is written to any file descriptor but standard
/// output, the export holds only redacted text, and no file is created outside the vault and the
/// export path.
@Suite struct NoPlaintextWriteTests {
    static let canaries = ["CanaryTestimonyWq3", "CanaryTitleEr4", "CanaryAliasTy5", "canarytagyu6"]

    struct Write { var pid: Int; var fd: Int; var data: [UInt8] }
    nonisolated(unsafe) static var lastStderrStorage = ""
    var lastStderr: String {
        get { Self.lastStderrStorage }
        nonmutating set { Self.lastStderrStorage = newValue }
    }

    /// Runs one command under strace and returns the parsed writes and created paths.
    func traced(_ c: CLI, _ args: [String], stdin: String = "", fd3: String? = nil) throws -> (
        status: Int32, writes: [(String, [UInt8])], created: [String]
    ) {
        let trace = c.root + "/trace-\(UUID().uuidString)"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments =
            [
                "-c",
                "exec /usr/bin/strace -f -qq -xx -s 1000000 -o \"$SV_TRACE\" -e trace=openat,creat,write,pwrite64,writev,pwritev,rename,unlink,close,dup2,dup3,fcntl \"$0\" \"$@\" 3<\"$SV_FD3\"",
                CLI.binary
            ] + args + ["--vault", c.vault]
        var env = ProcessInfo.processInfo.environment
        env["SV_FD3"] = fd3 ?? c.passFile
        env["SV_TRACE"] = trace
        p.environment = env
        let inPath = c.root + "/.trace-in"
        FileManager.default.createFile(atPath: inPath, contents: Data(stdin.utf8))
        p.standardInput = FileHandle(forReadingAtPath: inPath)
        let errPath = c.root + "/.trace-err"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: errPath)
        try p.run()
        p.waitUntilExit()
        lastStderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let text = try String(contentsOfFile: trace, encoding: .utf8)
        var fdPath: [String: String] = [:]  // "pid:fd" → path
        var writes: [(String, [UInt8])] = []
        var created: [String] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            // strace pads the pid column ("8866  write(...)"): drop the padding.
            let pid = String(parts[0]), call = parts[1].drop { $0 == " " }
            if call.hasPrefix("openat(") || call.hasPrefix("creat(") {
                guard let path = Self.firstString(call).map({ String(decoding: $0, as: UTF8.self) }),
                    let ret = call.split(separator: "=").last.flatMap({
                        Int($0.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
                    }), ret >= 0
                else { continue }
                // A file with no name yet (O_TMPFILE: an export's, named once it is audited) is
                // known by its directory.
                let named = call.contains("O_TMPFILE") ? path + " (unnamed)" : path
                fdPath["\(pid):\(ret)"] = named
                if call.contains("O_CREAT") || call.contains("O_TMPFILE") { created.append(named) }
            } else if call.hasPrefix("close(") {
                if let fd = Int(call.dropFirst(6).prefix { $0.isNumber }) { fdPath["\(pid):\(fd)"] = nil }
            } else if call.hasPrefix("write(") || call.hasPrefix("pwrite64(") || call.hasPrefix("writev(")
                || call.hasPrefix("pwritev(")
            {
                let open = call.firstIndex(of: "(")!
                guard let fd = Int(call[call.index(after: open)...].prefix { $0.isNumber }) else { continue }
                let target = fd == 1 ? "<stdout>" : fd == 2 ? "<stderr>" : (fdPath["\(pid):\(fd)"] ?? "<fd \(fd)>")
                for s in Self.allStrings(call) { writes.append((target, s)) }
            }
        }
        return (p.terminationStatus, writes, created)
    }

    /// Decodes the "\x41\x42" strings strace -xx prints.
    static func allStrings(_ s: Substring) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var chars = Array(s.utf8)[...]
        while let q = chars.firstIndex(of: UInt8(ascii: "\"")) {
            var bytes: [UInt8] = []
            var i = q + 1
            while i < chars.endIndex && chars[i] != UInt8(ascii: "\"") {
                if chars[i] == UInt8(ascii: "\\"), i + 3 < chars.endIndex, chars[i + 1] == UInt8(ascii: "x"),
                    let v = UInt8(String(decoding: chars[(i + 2)...(i + 3)], as: UTF8.self), radix: 16)
                {
                    bytes.append(v); i += 4
                } else {
                    bytes.append(chars[i]); i += 1
                }
            }
            out.append(bytes)
            chars = chars[min(i + 1, chars.endIndex)...]
        }
        return out
    }

    static func firstString(_ s: Substring) -> [UInt8]? { allStrings(s).first }

    @Test func noCanaryIsWrittenAnywhereButStdout() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            Issue.record("strace is missing: make test installs it"); return
        }
        // Files older than this test are someone else's (a log another session left in /tmp that
        // quotes these canaries): only what was written while the test ran is scanned.
        let started = Date().addingTimeInterval(-2)
        let c = CLI()
        try c.initVault()
        let out = c.root + "/export.txt"
        var all: [(String, [UInt8])] = []
        var created: [String] = []
        let twice = c.writeFile("twice", Data("correct horse battery staple\ncorrect horse battery staple\n".utf8))
        let steps: [([String], String, String?)] = [
            (["source", "add", "-"] + pw, "\(Self.canaries[2])\n", nil),
            (
                [
                    "add", "--source", Self.canaries[2], "--title", "-", "--tag", Self.canaries[3], "--file",
                    c.writeFile("t.txt", Data("Testimony naming \(Self.canaries[0]) at the river.\n".utf8))
                ] + pw,
                "\(Self.canaries[1])\n", nil
            ),
            (["list"] + pw, "", nil),
            (["search", "-"] + pw, "\(Self.canaries[0].lowercased())\n", nil),
            (["rule", "add", "-"] + pw, "\(Self.canaries[0])\n", nil),
            (["show", "--json", "-"] + pw, "", nil),
            (["redact", "-"] + pw, "", nil),
            (["export", "-", "--out", out] + pw, "", nil),
            (["open", "--passphrase-fd", "3"], "show -\nsearch \(Self.canaries[0])\nlock\nlist\nquit\n", twice)
        ]
        var recordID = ""
        for (args, stdin, fd3) in steps {
            var a = args
            if let i = a.firstIndex(of: "-"), ["show", "redact", "export"].contains(a[0]) { a[i] = recordID }
            let input = stdin.replacingOccurrences(of: "show -", with: "show \(recordID)")
            let r = try traced(c, a, stdin: input, fd3: fd3)
            #expect(r.status == 0, "\(a[0]) failed under strace: \(lastStderr)")
            all += r.writes
            created += r.created
            if a[0] == "add" {
                recordID = String(decoding: r.writes.first { $0.0 == "<stdout>" }?.1 ?? [], as: UTF8.self).trimmingCharacters(
                    in: .whitespacesAndNewlines)
            }
        }
        #expect(recordID.count == 16)
        // The trace was parsed: writes to the database, the log and the export were seen.
        #expect(all.contains { $0.0.hasSuffix("/vault.sqlite3") && $0.1.count >= 512 })
        #expect(all.contains { $0.0.hasSuffix("/audit.log") })
        // (Unnamed, in the export's directory, where the file system can; else under a temporary name.)
        #expect(
            all.contains {
                ($0.0.contains(".export.txt.sourcevault-") || $0.0 == c.root + " (unnamed)") && Data($0.1).contains("[PERSON-1]")
            })
        // The scan works: the canaries do appear on standard output (show, list, session).
        for canary in Self.canaries[0...2] {
            #expect(all.contains { $0.0 == "<stdout>" && Data($0.1).contains(canary) }, "\(canary) never on stdout")
        }
        for (target, data) in all where target != "<stdout>" {
            for canary in Self.canaries {
                for form in [canary, canary.lowercased(), canary.uppercased()] {
                    #expect(!Data(data).contains(form), "\(canary) written to \(target)")
                }
            }
        }
        let exported = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(!exported.contains(Self.canaries[0]) && exported.contains("[PERSON-1]"))
        let allowed = [c.vault + "/", out, c.root + "/.export.txt.sourcevault-", c.root + " (unnamed)"]
        for path in created {
            #expect(
                allowed.contains { path.hasPrefix($0) } || path == out, "file created outside the vault and export path: \(path)")
        }
        // Nothing in the usual places for stray files.
        for dir in [NSTemporaryDirectory(), "/dev/shm", FileManager.default.currentDirectoryPath] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for name in names where !name.hasPrefix("sv-") {
                let path = (dir as NSString).appendingPathComponent(name)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
                    let attrs = try? FileManager.default.attributesOfItem(atPath: path), (attrs[.size] as? Int ?? 0) < 50_000_000,
                    (attrs[.modificationDate] as? Date ?? .distantFuture) >= started,
                    let data = FileManager.default.contents(atPath: path)
                else { continue }
                for canary in Self.canaries { #expect(!data.contains(canary), "\(canary) in \(path)") }
            }
        }
    }
}

@Suite(.serialized) struct SessionSignalTests {
    @Test func interruptLocksAndTerminateWipesAndExits() throws {
        let (c, id) = try SessionTests().setUp()
        let s = try LiveSession(c, fd3: c.passFile)
        s.send("show \(id)")
        #expect(s.wait("show") { s.stdout.contains(SessionTests.canary) })
        kill(s.process.processIdentifier, SIGINT)
        #expect(s.wait("lock on SIGINT") { s.stderr.contains("locked (interrupted)") && s.stderr.contains("session locked") })
        #expect(s.countInMemory(SessionTests.canary).count == 0)
        kill(s.process.processIdentifier, SIGTERM)
        #expect(s.wait("exit on SIGTERM") { !s.process.isRunning })
        s.finish()
        #expect(s.process.terminationStatus == 0)
        #expect(c.run(["audit", "show"]).stdout.contains("session-lock  ok  reason=signal"))
    }

    /// A session left open while another process rekeys must not write under the old keys.
    @Test func staleSessionAfterRekeyLocks() throws {
        let (c, _) = try SessionTests().setUp()
        let s = try LiveSession(
            c, fd3: c.writeFile("p3", Data("correct horse battery staple\ncorrect horse battery staple\n".utf8)))
        defer { s.finish() }
        s.send("list")
        #expect(s.wait("list") { s.stdout.contains("Title") })
        #expect(c.run(["rekey"] + pw).status == 0)
        s.send("rule add StaleSecretName")
        #expect(s.wait("stale lock") { s.stderr.contains("rekeyed elsewhere") && s.stderr.contains("session locked") })
        // The command was not run with the stale keys; typed again, it unlocks with the new ones.
        #expect(!c.run(["rule", "list"] + pw).stdout.contains("StaleSecretName"))
        s.send("rule add StaleSecretName")
        #expect(s.wait("rule") { c.run(["rule", "list"] + pw).stdout.contains("StaleSecretName") })
        #expect(c.run(["check"] + pw).status == 0)
    }
}
