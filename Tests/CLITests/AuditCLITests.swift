import Foundation
import Testing

/// The audit log: tamper evidence, fail-closed writes, no secrets (issue 4's test list).
@Suite struct AuditCLITests {
    func setUp(commands: Int = 3) throws -> CLI {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        for i in 0..<commands { _ = try c.add(source: "Magpie", title: "T\(i)", body: "testimony \(i)") }
        return c
    }

    func logPath(_ c: CLI) -> String { c.vault + "/audit.log" }
    func lines(_ c: CLI) throws -> [String] {
        try String(contentsOfFile: logPath(c), encoding: .utf8).split(separator: "\n").map(String.init)
    }
    func writeLines(_ c: CLI, _ lines: [String]) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: logPath(c)))
    }
    func verify(_ c: CLI, _ extra: [String] = []) -> CLI.Result { c.run(["audit", "verify"] + extra) }

    @Test func cleanLogVerifiesPubliclyAndWithKeys() throws {
        let c = try setUp()
        let r = verify(c)
        #expect(r.status == 0 && r.stdout.hasPrefix("OK: "), "\(r.stderr)")
        let full = verify(c, ["--passphrase-fd", "3"])
        #expect(full.status == 0 && full.stdout.contains("MACs"), "\(full.stderr)")
        let pub = c.run(["audit", "pubkey"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(pub.count == 64)
        #expect(verify(c, ["--public-key", pub]).status == 0)
        let wrongKey = String(repeating: "ab", count: 32)
        #expect(verify(c, ["--public-key", wrongKey]).status == 5)
    }

    /// Every byte of a middle entry, changed one at a time: verification fails each time.
    @Test func modifyingAnyByteOfAnEntryIsDetected() throws {
        let c = try setUp(commands: 1)
        let original = try lines(c)
        let k = original.count / 2
        let target = Array(original[k].utf8)
        var undetected: [Int] = []
        for i in 0..<target.count {
            var bad = target
            bad[i] = bad[i] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            var ls = original
            ls[k] = String(decoding: bad, as: UTF8.self)
            try writeLines(c, ls)
            if verify(c).status != 5 { undetected.append(i) }
        }
        #expect(undetected.isEmpty, "undetected byte positions: \(undetected)")
        try writeLines(c, original)
        #expect(verify(c).status == 0)
    }

    @Test func deleteSwapDuplicateAndSpliceAreDetected() throws {
        let c = try setUp()
        let original = try lines(c)
        let k = 3
        var deleted = original; deleted.remove(at: k)
        var swapped = original; swapped.swapAt(k, k + 1)
        var duplicated = original; duplicated.insert(original[k], at: k + 1)
        let other = try setUp()
        var spliced = original; spliced[k] = try lines(other)[k]
        for (name, ls) in [("deleted", deleted), ("swapped", swapped), ("duplicated", duplicated), ("spliced", spliced)] {
            try writeLines(c, ls)
            let r = verify(c)
            #expect(r.status == 5, "\(name): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains("FAILED"), "\(name)")
        }
        try writeLines(c, original)
        #expect(verify(c).status == 0)
    }

    @Test func truncatingEvenOneReadEntryIsDetected() throws {
        let c = try setUp()
        #expect(c.run(["show", String(try c.add(source: "Magpie", title: "x", body: "y").prefix(6))] + pw).status == 0)
        let original = try lines(c)
        #expect(original.last?.contains("\tshow\t") == true)
        try writeLines(c, Array(original.dropLast()))
        let r = verify(c)
        #expect(r.status == 5 && r.stderr.contains("truncated"), "\(r.stderr)")
        let list = c.run(["list"] + pw)
        #expect(list.status == 5 && list.stdout.isEmpty, "\(list.stderr)")
    }

    @Test func olderLogCopyIsDetectedAndOlderVaultPlusLogNeedsACheckpoint() throws {
        let c = try setUp()
        let fm = FileManager.default
        let oldLog = c.root + "/old.log", oldDB = c.root + "/old.sqlite3"
        try fm.copyItem(atPath: logPath(c), toPath: oldLog)
        try fm.copyItem(atPath: c.vault + "/vault.sqlite3", toPath: oldDB)
        #expect(c.run(["search", "testimony"] + pw).status == 0)
        let cp = c.run(["audit", "checkpoint"] + pw)
        #expect(cp.status == 0 && cp.stdout.contains("signature: "))
        let cpFile = c.writeFile("checkpoint.txt", Data(cp.stdout.utf8))
        try fm.copyItem(atPath: c.vault + "/vault.sqlite3", toPath: c.root + "/current.sqlite3")
        // Only the log rolled back: the vault's record catches it.
        let current = try Data(contentsOf: URL(fileURLWithPath: logPath(c)))
        try fm.removeItem(atPath: logPath(c)); try fm.copyItem(atPath: oldLog, toPath: logPath(c))
        #expect(verify(c).status == 5)
        // Vault and log rolled back together: consistent, so only the checkpoint catches it.
        try fm.removeItem(atPath: c.vault + "/vault.sqlite3"); try fm.copyItem(atPath: oldDB, toPath: c.vault + "/vault.sqlite3")
        #expect(verify(c).status == 0)
        let withCP = verify(c, ["--checkpoint", cpFile])
        #expect(withCP.status == 5 && withCP.stderr.contains("rolled back"), "\(withCP.stderr)")
        // Put the current vault and log back: they extend the checkpoint, so it verifies.
        try current.write(to: URL(fileURLWithPath: logPath(c)))
        try fm.removeItem(atPath: c.vault + "/vault.sqlite3")
        try fm.copyItem(atPath: c.root + "/current.sqlite3", toPath: c.vault + "/vault.sqlite3")
        let good = verify(c, ["--checkpoint", cpFile])
        #expect(good.status == 0 && good.stdout.contains("extends the checkpoint"), "\(good.stderr)")
    }

    /// BLAKE2b-256 of an entry's chained part (all but the signature), as an attacker can compute it.
    func entryHash(_ line: String) throws -> String {
        let body = line.split(separator: "\t", omittingEmptySubsequences: false).prefix(8).joined(separator: "\t")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import hashlib,sys; print(hashlib.blake2b(sys.argv[1].encode(), digest_size=32).hexdigest())", body]
        let out = Pipe()
        p.standardOutput = out
        try p.run(); p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    @Test func failedAttemptsAreReportedAndTheirDeletionIsCaught() throws {
        let c = try setUp(commands: 1)
        let bad = c.writeFile("bad", Data("wrong\n".utf8))
        for _ in 0..<3 { #expect(c.run(["list", "--passphrase-fd", "3"], fd3: bad).status == 3) }
        let before = try lines(c)
        #expect(before.suffix(3).allSatisfy { $0.contains("\tunlock\tdenied\t") })
        let dbPath = c.vault + "/vault.sqlite3"
        let dbBefore = try Data(contentsOf: URL(fileURLWithPath: dbPath))
        // Someone deletes the evidence before the reporter's next unlock: caught by the vault's record.
        let kept = Array(before.dropLast(2))
        try writeLines(c, kept)
        let naive = c.run(["list"] + pw)
        #expect(naive.status == 5 && naive.stdout.isEmpty && naive.stderr.contains("truncated"), "\(naive.stderr)")
        // A careful attacker also rewrites the vault's unauthenticated head to match: the pending
        // chain's seed (one-way) still gives it away.
        let lastSeq = kept.last!.split(separator: "\t")[1]
        try c.sql(
            "UPDATE audit_state SET head_seq = \(lastSeq), head_hash = x'\(try entryHash(kept.last!))', "
                + "pending_count = 1")
        let careful = c.run(["list"] + pw)
        #expect(
            careful.status == 5 && careful.stdout.isEmpty && careful.stderr.contains("failed unlock attempts"),
            "\(careful.stderr)")
        // Untouched, the next unlock says how many there were.
        try dbBefore.write(to: URL(fileURLWithPath: dbPath))
        try writeLines(c, before)
        let ok = c.run(["list"] + pw)
        #expect(ok.status == 0 && ok.stderr.contains("3 failed unlock attempts since your last session"), "\(ok.stderr)")
        #expect(!c.run(["list"] + pw).stderr.contains("failed unlock"))
    }

    @Test func editingAFailedAttemptIsCaught() throws {
        let c = try setUp(commands: 1)
        let bad = c.writeFile("bad", Data("wrong\n".utf8))
        #expect(c.run(["list", "--passphrase-fd", "3"], fd3: bad).status == 3)
        var ls = try lines(c)
        ls[ls.count - 1] = ls[ls.count - 1].replacingOccurrences(of: "method=passphrase", with: "method=recovery")
        try writeLines(c, ls)
        try c.sql("UPDATE audit_state SET head_hash = x'\(try entryHash(ls.last!))'")
        let r = c.run(["list"] + pw)
        #expect(r.status == 5 && r.stderr.contains("altered"), "\(r.stderr)")
    }

    @Test func concurrentWritersLoseNothing() throws {
        let c = try setUp(commands: 0)
        let before = try lines(c).count
        let group = DispatchGroup()
        let n = 6
        for i in 0..<n {
            group.enter()
            DispatchQueue.global().async {
                _ = try? c.add(source: "Magpie", title: "parallel \(i)", body: "body \(i)")
                group.leave()
            }
        }
        group.wait()
        let after = try lines(c)
        // Each add writes an unlock and an add entry.
        #expect(after.count == before + 2 * n)
        #expect(verify(c, ["--passphrase-fd", "3"]).status == 0)
        #expect(c.run(["list"] + pw).stdout.split(separator: "\n").count == n)
    }

    @Test func unwritableOrMissingLogRefusesBeforeDecrypting() throws {
        let c = try setUp(commands: 1)
        let fm = FileManager.default
        let saved = try Data(contentsOf: URL(fileURLWithPath: logPath(c)))
        // Missing: refused, and never silently recreated.
        try fm.removeItem(atPath: logPath(c))
        let missing = c.run(["list"] + pw)
        #expect(missing.status == 8 && missing.stdout.isEmpty && missing.stderr.contains("audit recover"), "\(missing.stderr)")
        #expect(!fm.fileExists(atPath: logPath(c)))
        // Unwritable (a directory in its place).
        try fm.createDirectory(atPath: logPath(c), withIntermediateDirectories: false)
        let unwritable = c.run(["search", "testimony"] + pw)
        #expect(unwritable.status == 8 && unwritable.stdout.isEmpty, "\(unwritable.stderr)")
        try fm.removeItem(atPath: logPath(c))
        try saved.write(to: URL(fileURLWithPath: logPath(c)))
        // Full disk, simulated with a file-size limit just above the log's size: the write fails.
        let blocks = (saved.count + 511) / 512
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = [
            "-c", "ulimit -f \(blocks); exec \"$0\" show --vault \"$1\" --passphrase-fd 3 \"$2\" 3<\"$3\" >\"$4\" 2>/dev/null",
            CLI.binary, c.vault, String(try c.run(["list"] + pw).stdout.prefix(16)), c.passFile, c.root + "/full.out"
        ]
        // (the list above appended entries; recompute the limit from the file as it is now)
        let now = try Data(contentsOf: URL(fileURLWithPath: logPath(c))).count
        p.arguments![1] =
            "ulimit -f \((now + 511) / 512); exec \"$0\" show --vault \"$1\" --passphrase-fd 3 \"$2\" 3<\"$3\" >\"$4\" 2>/dev/null"
        try p.run(); p.waitUntilExit()
        #expect(p.terminationStatus == 8)
        #expect(try Data(contentsOf: URL(fileURLWithPath: c.root + "/full.out")).isEmpty)
        // Without the limit everything works again and the log verifies (a torn line is repaired).
        #expect(c.run(["list"] + pw).status == 0)
        #expect(verify(c, ["--passphrase-fd", "3"]).status == 0)
    }

    @Test func recoverStartsANewLogExplicitly() throws {
        let c = try setUp(commands: 1)
        try FileManager.default.removeItem(atPath: logPath(c))
        let r = c.run(["audit", "recover"] + pw)
        #expect(r.status == 0 && r.stderr.contains("continues from entry"), "\(r.stderr)")
        #expect(try lines(c).first?.contains("\taudit-recover\t") == true)
        #expect(c.run(["list"] + pw).status == 0)
        let v = verify(c)
        #expect(v.status == 0 && v.stderr.contains("restarted"), "\(v.stderr)")
        #expect(c.run(["audit", "recover"] + pw).status == 2)
    }

    /// Canaries as passphrase, title, alias, query, rule term, tag and export path: none reaches the log.
    @Test func logHoldsNoSecrets() throws {
        let passphrase = "CanaryPassphraseQ1"
        let c = CLI(passphrase: passphrase)
        try c.initVault()
        #expect(c.run(["source", "add", "CanaryAliasW2"] + pw).status == 0)
        let id = try c.add(
            source: "CanaryAliasW2", title: "CanaryTitleE3", body: "CanaryBodyR4 text", extra: ["--tag", "canarytagt5"])
        #expect(c.run(["search", "CanaryQueryY6"] + pw).status == 1, "no match (exit 1), still logged")
        #expect(c.run(["rule", "add", "CanaryTermU7"] + pw).status == 0)
        let out = c.root + "/CanaryPathI8.txt"
        #expect(c.run(["export", id, "--out", out, "--no-rules"] + pw).status == 0)
        let bad = c.writeFile("bad", Data("CanaryWrongO9\n".utf8))
        _ = c.run(["list", "--passphrase-fd", "3"], fd3: bad)
        #expect(c.run(["audit", "show"] + pw).status == 0)
        let log = try Data(contentsOf: URL(fileURLWithPath: logPath(c)))
        #expect(log.count > 500)
        for canary in [
            passphrase, "CanaryAliasW2", "CanaryTitleE3", "CanaryBodyR4", "canarytagt5", "CanaryQueryY6",
            "CanaryTermU7", "CanaryPathI8", "CanaryWrongO9"
        ] {
            for form in [canary, canary.lowercased(), canary.uppercased()] {
                #expect(!log.contains(form), "\(form) in the audit log")
                #expect(log.range(of: form.data(using: .utf16LittleEndian)!) == nil)
            }
            let hex = Data(canary.utf8).map { String(format: "%02x", $0) }.joined()
            #expect(!log.contains(hex), "\(canary) hex-encoded in the log")
        }
        // The log does hold the record id (opaque), so the scan would see plaintext if it were there.
        #expect(log.contains(id))
        // check-value finds the title by its keyed hash.
        let cv = c.run(["audit", "check-value"] + pw, input: "CanaryTitleE3\n")
        #expect(cv.status == 0 && cv.stdout.contains("add  ok  as title"), "\(cv.stdout) \(cv.stderr)")
    }

    /// Wrong passphrases through the commands that look at the log before logging their own access.
    @Test func failedUnlocksThroughVerifyAndRecoverAreLogged() throws {
        let c = try setUp(commands: 1)
        let bad = c.writeFile("bad", Data("wrong\n".utf8))
        #expect(c.run(["audit", "verify", "--full", "--passphrase-fd", "3"], fd3: bad).status == 3)
        #expect(c.run(["audit", "recover", "--passphrase-fd", "3"], fd3: bad).status == 3)
        let ok = c.run(["list"] + pw)
        #expect(ok.stderr.contains("2 failed unlock attempts"), "\(ok.stderr)")
    }

    /// Keyless writers (failed unlocks, public verify) racing unlocked ones never corrupt the record.
    @Test func keylessAndUnlockedWritersRace() throws {
        let c = try setUp(commands: 1)
        let bad = c.writeFile("bad", Data("wrong\n".utf8))
        let group = DispatchGroup()
        for round in 0..<4 {
            for kind in 0..<3 {
                group.enter()
                DispatchQueue.global().async {
                    switch kind {
                    case 0: _ = c.run(["list"] + pw)
                    case 1: _ = c.run(["list", "--passphrase-fd", "3"], fd3: bad)
                    default: _ = c.run(["audit", "verify"])
                    }
                    group.leave()
                }
            }
            group.wait()
            let r = c.run(["list"] + pw)
            #expect(r.status == 0, "round \(round): \(r.stderr)")
        }
        #expect(verify(c, ["--passphrase-fd", "3"]).status == 0)
    }

    /// Someone without the passphrase rewrites the log and stores their own public key in the vault.
    @Test func replacedPublicKeyIsCaught() throws {
        let c = CLI()
        let initOut = c.run(["init", "--kdf", "test"] + pw)
        let key = String(initOut.stdout.split(separator: "\n").first { $0.hasPrefix("Audit public key: ") }!.dropFirst(18))
        #expect(key.count == 64)
        try c.sql("UPDATE audit_state SET public_key = x'\(String(repeating: "ab", count: 32))'")
        let unlock = c.run(["list"] + pw)
        #expect(unlock.status == 5 && unlock.stderr.contains("public key"), "\(unlock.stderr)")
        #expect(verify(c, ["--public-key", key]).status == 0)
        #expect(verify(c).status == 5)
    }

    @Test func recoverRefusesToAbandonAHealthyLog() throws {
        let c = try setUp(commands: 1)
        let r = c.run(["audit", "recover", "--audit-log", c.root + "/elsewhere.log"] + pw)
        #expect(r.status == 2 && r.stderr.contains("still exists"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: c.root + "/elsewhere.log"))
    }
}

@Suite struct MixedConcurrencyTests {
    /// Several processes adding, searching and exporting at once: no record lost, every command
    /// either succeeds or says the vault is busy, and the audit log verifies with every entry.
    @Test func addSearchExportTogether() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let seed = try c.add(source: "Magpie", title: "seed", body: "seed testimony")
        let group = DispatchGroup()
        final class Box: @unchecked Sendable { let lock = NSLock(); var results: [CLI.Result] = [] }
        let box = Box()
        for i in 0..<9 {
            group.enter()
            DispatchQueue.global().async {
                let r: CLI.Result
                switch i % 3 {
                case 0:
                    r = c.run(["add", "--source", "Magpie", "--title", "c\(i)", "--passphrase-fd", "3"], input: "concurrent \(i)")
                case 1: r = c.run(["search", "testimony"] + pw)
                default: r = c.run(["export", seed, "--no-rules"] + pw)
                }
                box.lock.lock(); box.results.append(r); box.lock.unlock()
                group.leave()
            }
        }
        group.wait()
        let results = box.results
        for r in results {
            #expect(r.status == 0 || r.stderr.contains("busy"), "\(r.stderr)")
        }
        let added = results.filter { $0.status == 0 && $0.stdout.count == 17 }.count
        #expect(c.run(["list"] + pw).stdout.split(separator: "\n").count == 1 + added)
        #expect(c.run(["audit", "verify", "--full"] + pw).status == 0)
        #expect(c.run(["check"] + pw).status == 0)
    }
}
