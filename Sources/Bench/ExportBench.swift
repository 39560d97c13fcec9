// The whole `export` (brief section 5: ≥ 50 MB/s on the redaction workload; every stage linear in
// its input, whatever the input), unlock aside: decrypt, rules, redact, display safety, leak check
// (with its rendered and reversed views), suggest summary, render, audit, write, provenance.
//
// Each export runs in a child process of its own (this binary, `--export-child`, started through
// /usr/bin/time so that its peak RSS is its own): it unlocks, reads ru_maxrss, exports, reads
// ru_maxrss again. The difference is the export's peak memory above the unlocked process. Beside
// it, in-process timings of each stage show where the time goes.
import Audit
import Foundation
import Publishing
import Redaction
import SodiumKit
import VaultCore

#if canImport(Glibc)
import Glibc
#endif

/// Peak resident set size of this process so far, KiB.
func maxRSSKiB() -> Int {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Int(u.ru_maxrss)
}

/// `sourcevault-bench --export-child DIR ID OUT [--no-rules]`, passphrase on fd 3: one export to
/// OUT (markdown), measured from inside. Prints `seconds rssBeforeKiB peakKiB outputBytes
/// fileKiB outcome`, `fileKiB` being what the resident pages of files (the binary's code, ICU's data)
/// grew by while exporting: read once, shared, and not the export's own memory.
func exportChild(_ a: [String]) -> Never {
    guard a.count >= 3 else { print("0 0 0 0 0 usage"); exit(2) }
    // As the export command's process does (the in-process rows, whose memory is no target, do not:
    // the vault figures' searches in this process would contend for one arena).
    _ = AllocatorPolicy.singleArena
    var line: [UInt8] = []
    var c: UInt8 = 0
    while read(3, &c, 1) == 1, c != 0x0A { line.append(c) }
    close(3)
    do {
        let pass = try SecureBytes(copying: line)
        let v = try Vault.unlock(directory: a[0], passphrase: pass, audit: AuditLog())
        let before = maxRSSKiB()
        let filesBefore = residentFileKiB()
        let t = DispatchTime.now().uptimeNanoseconds
        var outcome = "ok"
        var written = 0
        do {
            written = try Exporter.export(
                vault: v, id: a[1], selection: .whole, accept: [],
                noRules: a.contains("--no-rules"), format: .markdown, out: a[2],
                overwrite: true
            ).bytes.count
        } catch {
            outcome = "refused(\(String(describing: error).prefix(80)))"
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
        print("\(seconds) \(before) \(maxRSSKiB()) \(written) \(max(residentFileKiB() - filesBefore, 0)) \(outcome)")
        exit(0)
    } catch {
        print("0 0 0 0 0 failed(\(error))")
        exit(1)
    }
}

func exportStagesOnly(dir: String, id: String) -> Never {
    var line: [UInt8] = []
    var c: UInt8 = 0
    while read(3, &c, 1) == 1, c != 0x0A { line.append(c) }
    guard let pass = try? SecureBytes(copying: line),
        let v = try? Vault.unlock(directory: dir, passphrase: pass, audit: AuditLog())
    else {
        print("no vault"); exit(1)
    }
    for _ in 0..<3 { print(describe(exportStages(v, id: id))) }
    exit(0)
}

/// `RssFile` of /proc/self/status (KiB): resident pages of mapped files; 0 if unreadable.
func residentFileKiB() -> Int {
    guard let status = FileManager.default.contents(atPath: "/proc/self/status") else { return 0 }
    for line in String(decoding: status, as: UTF8.self).split(separator: "\n") where line.hasPrefix("RssFile:") {
        return Int(line.dropFirst(8).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
    }
    return 0
}

/// One child export, as measured by the child.
struct ChildExport {
    var seconds = 0.0
    var rssBeforeKiB = 0
    var peakKiB = 0
    var outputBytes = 0
    /// What the resident pages of files grew by while exporting (part of `workKiB`).
    var fileKiB = 0
    var outcome = "not run"
    /// Wall time of the whole child process (start-up and unlock included) and its peak RSS by
    /// /usr/bin/time.
    var process = ChildRun(seconds: 0, maxRSSKiB: 0, status: -1)
    /// The export's own peak memory: what the process grew by while exporting.
    var workKiB: Int { max(peakKiB - rssBeforeKiB, 0) }
}

func childExport(dir: String, id: String, out: String, noRules: Bool, secret: String, runs: Int) -> ChildExport {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var best: ChildExport?
    for _ in 0..<max(runs, 1) {
        let report = NSTemporaryDirectory() + "sv-bench-child-" + UUID().uuidString
        defer { unlink(report) }
        let run = runChild(
            [exe, "--export-child", dir, id, out] + (noRules ? ["--no-rules"] : []), secret: secret,
            stdoutPath: report)
        let text = (FileManager.default.contents(atPath: report)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let f = text.split(separator: " ", maxSplits: 5).map(String.init)
        var r = ChildExport(process: run)
        if f.count == 6 {
            r.seconds = Double(f[0]) ?? 0
            r.rssBeforeKiB = Int(f[1]) ?? 0
            r.peakKiB = Int(f[2]) ?? 0
            r.outputBytes = Int(f[3]) ?? 0
            r.fileKiB = Int(f[4]) ?? 0
            r.outcome = f[5].trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            r.outcome = "child failed (status \(run.status))"
        }
        if best == nil || (r.outcome == "ok" && r.seconds < best!.seconds) { best = r }
    }
    return best!
}

/// In-process time of each stage of one export of `id` (the stages `Exporter.prepare` runs, then
/// rendering and hashing), in seconds.
func exportStages(_ v: Vault, id: String) -> [(String, Double)] {
    var out: [(String, Double)] = []
    func time<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let t = DispatchTime.now().uptimeNanoseconds
        let r = try body()
        out.append((name, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9))
        return r
    }
    do {
        let record = try time("decrypt") { try v.recordForPublishing(id) }
        let rules = try time("rules") {
            let stored = try v.rules(forRecord: record.summary.id, sourceID: record.summary.metadata.source)
            return try RuleCompiler.compile(stored)
        }
        let (redactor, checker) = try time("compile") { (try Redactor(rules: rules), try LeakChecker(rules: rules)) }
        let result = time("redact") { redactor.redact(record.body) }
        let display = time("display safety") { DisplaySafety.removingInvisibleFormatting(result.text) }
        _ = time("leak check") {
            var leaks = checker.check(display.text)
            if display.removed > 0 { leaks += checker.check(result.text) }
            return leaks.count
        }
        _ = time("suggest") { suggest(record.body, redactedAs: result.findings, rules: rules).count }
        let p = try Exporter.prepare(vault: v, id: id, selection: .whole, noRules: true)
        let bytes = try time("render") { try Exporter.render(p, format: .markdown) }
        _ = try time("hash") {
            (try ContentHash.blake2b256Hex(p.utf8), try ContentHash.blake2b256Hex(bytes))
        }
    } catch {
        out.append(("failed: \(error)", 0))
    }
    return out
}

/// "4 MiB", "64 KiB".
func sizeName(_ bytes: Int) -> String {
    bytes >= 1 << 20 ? String(format: "%g MiB", Double(bytes) / 1048576) : "\(bytes >> 10) KiB"
}

func describe(_ stages: [(String, Double)]) -> String {
    stages.map { String(format: "%@ %.3f", $0.0, $0.1) }.joined(separator: ", ") + " s"
}

/// Inputs for the adversarial rows: one repeated wide character (U+FDFA, which folds to 18
/// characters), and lines dense with phone numbers, dates and e-mail addresses (their detectors on).
enum AdversarialText {
    static func wide(bytes: Int) -> String {
        String(repeating: "\u{FDFA}", count: bytes / 3)
    }

    static func dense(bytes: Int) -> String {
        var rng = Generator(state: 0xD1CE)
        func digits(_ n: Int) -> String {
            String((0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
        }
        let months = ["January", "March", "May", "June", "Sept.", "December"]
        let users = ["kim.min", "lee", "park_j", "choi", "jung.h", "kang", "ri.s", "pak"]
        let hosts = ["example.com", "mail.example.org", "naver.com", "163.com", "yahoo.co.kr"]
        var s = ""
        s.reserveCapacity(bytes + 256)
        while s.utf8.count < bytes {
            let d = Int.random(in: 1...28, using: &rng), m = Int.random(in: 1...12, using: &rng)
            let y = 1990 + Int.random(in: 0...34, using: &rng)
            s += "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d) call +82 10-\(digits(4))-\(digits(4)) or "
            s += "010-\(digits(4))-\(digits(4)), 138\(digits(8)), (02) \(digits(3))-\(digits(4)); "
            s += "\(users[Int.random(in: 0..<users.count, using: &rng)])\(digits(2))@"
            s += "\(hosts[Int.random(in: 0..<hosts.count, using: &rng)]) on \(d) "
            s += "\(months[Int.random(in: 0..<months.count, using: &rng)]) \(y), \(m)/\(d)/\(y % 100), "
            s += "\(y)년 \(m)월 \(d)일, \(y)年\(m)月\(d)日.\n"
        }
        return s
    }

    /// Markup, references, link targets, right-to-left overrides, hidden elements and invisible
    /// characters on every line: every extra view of the leak check is made.
    static func markup(bytes: Int) -> String {
        let line =
            "the <b>river</b> &amp; the [town](https://example.com/a?b=c) was &#x63;old, "
            + "\u{202E}thgin\u{202C} we\u{200B}crossed <span style=\"x\">at</span> <!-- a note --> the "
            + "<i\nclass=\"z\">border</i> &notin; &Jopf;ust \u{2067}keew\u{2069} later.\n"
        return String(repeating: line, count: max(bytes / line.utf8.count, 1))
    }
}

func exportBench(
    megabytes: Int, ruleCount: Int, runs: Int, wideKiB: Int = 4096, denseKiB: Int = 2048,
    keep: String? = nil, rows: Set<String>? = nil, cli cliPath: String
) -> [Figure] {
    // --keep-vault DIR: build the vault there and leave it (for a profiler: perf record the CLI).
    let root = keep ?? (NSTemporaryDirectory() + "sv-ebench-" + UUID().uuidString)
    defer { if keep == nil { try? FileManager.default.removeItem(atPath: root) } }
    let pass = "bench passphrase"
    let dir = root + "/vault"
    try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let workload = RedactionWorkload(megabytes: megabytes, ruleCount: ruleCount)
    let fdfaBytes = wideKiB << 10, denseBytes = denseKiB << 10, markupBytes = denseKiB << 10
    let bodies: [(String, String)] = [
        ("main", workload.text),
        ("wide", AdversarialText.wide(bytes: fdfaBytes)), ("wide-half", AdversarialText.wide(bytes: fdfaBytes / 2)),
        ("dense", AdversarialText.dense(bytes: denseBytes)),
        ("dense-half", AdversarialText.dense(bytes: denseBytes / 2)),
        ("markup", AdversarialText.markup(bytes: markupBytes)),
        ("markup-half", AdversarialText.markup(bytes: markupBytes / 2))
    ]
    let setup = Date()
    // A vault left by --keep-vault (with the same sizes) is used again: its setup takes a minute.
    let idsFile = root + "/record-ids"
    var id: [String: String] = [:]
    if keep != nil, let saved = FileManager.default.contents(atPath: idsFile) {
        for line in String(decoding: saved, as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2 { id[String(f[0])] = String(f[1]) }
        }
    }
    let v: Vault
    if id.count == bodies.count, let p = try? SecureBytes(copying: Array(pass.utf8)),
        let opened = try? Vault.unlock(directory: dir, passphrase: p, audit: AuditLog())
    {
        v = opened
        print("export bench: using the vault in \(dir)")
    } else {
        guard let p = try? SecureBytes(copying: Array(pass.utf8)),
            (try? Vault.create(
                directory: dir, passphrase: p, profile: .test,
                audit: AuditLog(newLogPath: dir + "/audit.log"), showRecoveryKey: { _ in })) != nil,
            let opened = try? Vault.unlock(directory: dir, passphrase: p, audit: AuditLog()),
            (try? opened.addSource(alias: "Bench")) != nil
        else {
            print("export bench: could not create the vault"); return []
        }
        v = opened
        var k = 0
        guard
            let ids = try? v.importRecords({
                guard k < bodies.count else { return nil }
                k += 1
                return NewRecord(sourceAlias: "Bench", title: bodies[k - 1].0, body: bodies[k - 1].1)
            })
        else { print("export bench: could not import"); return [] }
        id = Dictionary(uniqueKeysWithValues: zip(bodies.map(\.0), ids))
        for r in workload.rules {
            guard case .term(let term, let variants, let substring) = r.pattern,
                (try? v.addRule(
                    StoredRule(
                        kind: .term, value: term, variants: variants, substring: substring,
                        label: r.label))) != nil
            else {
                print("export bench: rule refused"); return []
            }
        }
        for name in ["dense", "dense-half"] {
            for (d, label) in [("phone", "PHONE"), ("email", "EMAIL"), ("date", "DATE")] {
                _ = try? v.addRule(StoredRule(kind: .detector, value: d, label: label, scope: .record(id: id[name]!)))
            }
        }
        if keep != nil {
            let list = id.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
            _ = FileManager.default.createFile(atPath: idsFile, contents: Data(list.utf8))
        }
        print(
            String(
                format: "export bench: vault with %d records and %d rules ready in %.1f s", ids.count,
                workload.rules.count + 6, Date().timeIntervalSince(setup)))
    }

    // Same-run baselines on the main workload's bytes.
    let bytes = Array(workload.text.utf8)
    let mb = Double(bytes.count) / 1_000_000
    let scan = memchrScan(bytes)
    var decrypt = Double.infinity
    if let key = try? SecureBytes.random(count: 32), let scratch = try? SecureScratch(capacity: 1 << 20) {
        let boxes = stride(from: 0, to: bytes.count, by: 1 << 20).compactMap { o in
            try? bytes[o..<min(o + (1 << 20), bytes.count)].withUnsafeBytes {
                try XChaCha20Poly1305.seal($0, key: key, associatedData: [1])
            }
        }
        decrypt = bestOf(5) {
            for b in boxes { _ = try? XChaCha20Poly1305.open(b, key: key, associatedData: [1], into: scratch) }
        }
    }

    var figures: [Figure] = []
    let out = root + "/out.md"
    let main = childExport(dir: dir, id: id["main"]!, out: out, noRules: false, secret: pass, runs: runs)
    let stages = exportStages(v, id: id["main"]!)
    figures.append(
        Figure(
            name: "export throughput",
            detail: String(
                format: "whole export (unlock aside), %.1f MB, %d rules x 3 forms, markdown, %@, child process; "
                    + "peak RSS %d KiB (+%d KiB while exporting); memchr scan %.0f MB/s; stages in-process: %@",
                mb, workload.rules.count, main.outcome, main.peakKiB, main.workKiB, mb / scan,
                describe(stages)),
            value: main.outcome == "ok" ? mb / main.seconds : 0, unit: "MB/s", target: "≥ 50 MB/s",
            met: main.outcome == "ok" && mb / main.seconds >= 50,
            baseline: mb / decrypt, baselineName: "raw XChaCha20 decrypt, same bytes (MB/s)"))

    // The CLI itself, start-up and unlock included, beside a command that only starts and unlocks.
    if FileManager.default.isExecutableFile(atPath: cliPath) {
        let common = ["--vault", dir, "--passphrase-fd", "3"]
        let cli = (0..<max(runs, 1)).map { _ in
            runChild(
                [cliPath, "export", id["main"]!, "--format", "markdown", "--out", out, "--overwrite"] + common,
                secret: pass)
        }.min { $0.seconds < $1.seconds }!
        let list = (0..<max(runs, 1)).map { _ in runChild([cliPath, "list"] + common, secret: pass) }
            .min { $0.seconds < $1.seconds }!
        figures.append(
            Figure(
                name: "  sourcevault export (process)",
                detail: String(
                    format: "release CLI, whole process (start-up, --kdf test unlock, audit); exit %d; "
                        + "peak RSS %d KiB; 'list' on the same vault %.0f ms",
                    cli.status, cli.maxRSSKiB, list.seconds * 1000),
                value: cli.status == 0 ? mb / cli.seconds : 0, unit: "MB/s", target: "-", met: nil,
                baseline: mb / decrypt, baselineName: "raw XChaCha20 decrypt, same bytes (MB/s)"))
    }

    let adversarial: [(String, String, String, Int, Bool)] = [
        (
            "\(sizeName(fdfaBytes)) of U+FDFA", "wide",
            "one repeated wide character (folds to 18), no rule applies (--no-rules)",
            fdfaBytes, true
        ),
        (
            "\(sizeName(denseBytes)) phones/dates/mail", "dense",
            "phone, date and e-mail detectors on, with the \(workload.rules.count) rules",
            denseBytes, false
        ),
        (
            "\(sizeName(markupBytes)) markup/bidi", "markup",
            "tags, references, link targets, RLO/RLI, hidden elements, ZWSP "
                + "on every line (every view of the leak check)", markupBytes, true
        )
    ]
    for (title, key, what, size, noRules) in adversarial where rows?.contains(key) ?? true {
        let name = "export: " + title
        let full = childExport(dir: dir, id: id[key]!, out: out, noRules: noRules, secret: pass, runs: runs)
        let half = childExport(dir: dir, id: id[key + "-half"]!, out: out, noRules: noRules, secret: pass, runs: runs)
        let stages = exportStages(v, id: id[key]!)
        let memory = Double(full.workKiB * 1024) / Double(size)
        // The export's own memory: the growth less the program's files (code, ICU's data) paged in
        // for the first time, a fixed cost shared with every process that maps them, whatever the
        // input (about 3 MB, and how much of it the unlock already touched varies by 2 MB from run
        // to run).
        let own = Double(max(full.workKiB - full.fileKiB, 0) * 1024) / Double(size)
        figures.append(
            Figure(
                name: name,
                detail: String(
                    format: "%@; %@; peak RSS %d KiB, +%d KiB while exporting (%.1fx the input; %d KiB of it "
                        + "the program's files first read: code, ICU data; %.1fx without them); "
                        + "half the input: %.3f s (x%.2f for twice the input); stages in-process: %@",
                    what, full.outcome, full.peakKiB, full.workKiB, memory, full.fileKiB, own, half.seconds,
                    half.seconds > 0 ? full.seconds / half.seconds : 0, describe(stages)),
                value: full.seconds, unit: "s", target: "≤ 1 s, ≤ 10x mem",
                met: full.outcome == "ok" && full.seconds <= 1 && own <= 10,
                baseline: mb / decrypt, baselineName: "raw XChaCha20 decrypt (MB/s)"))
    }
    return figures
}
