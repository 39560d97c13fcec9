// Vault figures on N/10 and N records of about B bytes (--records N, --record-bytes B; 10,000 and 4,096), side by
// side: in-process times after unlock beside raw XChaCha20-Poly1305 decryption of the same bytes, and
// whole-process wall time, CPU time and peak RSS of the release CLI (start-up included), measured with wait4.
import Audit
import Foundation
import SodiumKit
import VaultCore

#if canImport(Glibc)
import Glibc
#endif

struct ChildRun { var seconds: Double; var maxRSSKiB: Int; var status: Int32; var cpuSeconds: Double = 0 }

/// Runs `command` under /usr/bin/time with `secret` on fd 3 (a pipe); returns wall time, peak RSS and
/// exit status. /usr/bin/time forks from its own small process, so the child's peak RSS is its own
/// (a child spawned straight from this large process would be charged for our pages). Its standard
/// output goes to `stdoutPath` (or nowhere).
func runChild(_ command: [String], secret: String, stdoutPath: String? = nil) -> ChildRun {
    let errPath = NSTemporaryDirectory() + "sv-bench-time-" + UUID().uuidString
    defer { unlink(errPath) }
    let args = ["/usr/bin/time", "-f", "%M"] + command
    var fds: [Int32] = [0, 0]
    _ = pipe(&fds)
    _ = secret.withCString { write(fds[1], $0, strlen($0)) }
    _ = write(fds[1], "\n", 1)
    close(fds[1])
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, fds[0], 3)
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var pid: pid_t = 0
    let argv = args.map { strdup($0) } + [nil]
    let t = DispatchTime.now().uptimeNanoseconds
    let rc = posix_spawn(&pid, args[0], &actions, nil, argv, environ)
    argv.forEach { free($0) }
    close(fds[0])
    posix_spawn_file_actions_destroy(&actions)
    guard rc == 0 else { return ChildRun(seconds: 0, maxRSSKiB: 0, status: -1) }
    var status: Int32 = 0
    var usage = rusage()
    _ = wait4(pid, &status, 0, &usage)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
    let err = (FileManager.default.contents(atPath: errPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    let rss = err.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
    // wait4's usage of /usr/bin/time includes the child it waited for: the command's CPU time.
    let cpu =
        Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    return ChildRun(seconds: seconds, maxRSSKiB: rss, status: status, cpuSeconds: cpu)
}

/// CPU time of this process so far, all threads (seconds).
func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func testimony(_ i: Int, bytes: Int) -> String {
    let words = [
        "the", "river", "was", "cold", "we", "crossed", "at", "night", "broker", "paid", "guards", "waited",
        "강을", "건넜다", "밤에", "국경", "图们江", "边境", "Hoeryŏng", "train", "market", "sister", "letter"
    ]
    var s = "Testimony \(i).\n"
    var k = i
    while s.utf8.count < bytes {
        k = (k &* 1103515245 &+ 12345) & 0x7fffffff
        s += words[k % words.count] + ((k >> 8) % 13 == 0 ? ".\n" : " ")
    }
    return s
}

func buildVault(_ dir: String, records: Int, recordBytes: Int, pass: String) -> (Double, [String])? {
    guard let p = try? SecureBytes(copying: Array(pass.utf8)),
        (try? Vault.create(
            directory: dir, passphrase: p, profile: .test, audit: AuditLog(newLogPath: dir + "/audit.log"),
            showRecoveryKey: { _ in })) != nil,
        let v = try? Vault.unlock(directory: dir, passphrase: p),
        (try? v.addSource(alias: "Bench")) != nil
    else { return nil }
    // The bulk path `import` uses: one transaction, one record in memory at a time.
    var i = 0
    let t0 = Date()
    guard
        let ids = try? v.importRecords({
            guard i < records else { return nil }
            i += 1
            return NewRecord(sourceAlias: "Bench", title: "Record \(i)", tags: ["bench"], body: testimony(i, bytes: recordBytes))
        })
    else { return nil }
    return (Date().timeIntervalSince(t0), ids)
}

/// Everything measured on one vault size (in-process times in seconds, whole processes as runs).
struct VaultSizeFigures {
    var records = 0
    var rawDecrypt = 0.0
    var list = 0.0
    var walkMeta = 0.0
    var walkBody = 0.0
    var show = 0.0
    var manifestUnlock = 0.0
    var manifestRead = 0.0
    var openStore = 0.0
    var search = 0.0
    var searchCPU = 0.0
    var searchNoMatch = 0.0
    var importRate = 0.0
    var rawEncryptRate = 0.0
    var cliList = ChildRun(seconds: 0, maxRSSKiB: 0, status: -1)
    var cliListPage = ChildRun(seconds: 0, maxRSSKiB: 0, status: -1)
    var cliShow = ChildRun(seconds: 0, maxRSSKiB: 0, status: -1)
    var cliSearch = ChildRun(seconds: 0, maxRSSKiB: 0, status: -1)
    var cliSearchNone = ChildRun(seconds: 0, maxRSSKiB: 0, status: -1)
    var rekey: ChildRun?
}

/// Builds a vault of `records` records with `importRecords` (one transaction) and measures it.
func measureVault(_ dir: String, records: Int, recordBytes: Int, cli: String, rekey: Bool, repeatSearch: Int)
    -> VaultSizeFigures?
{
    let pass = "bench passphrase"
    guard let (addTime, ids) = buildVault(dir, records: records, recordBytes: recordBytes, pass: pass),
        let p = try? SecureBytes(copying: Array(pass.utf8)),
        let v = try? Vault.unlock(directory: dir, passphrase: p)
    else { return nil }
    var f = VaultSizeFigures(records: records)
    f.importRate = Double(records) / addTime
    // Raw libsodium baseline over the same number of messages of the same size.
    guard let key = try? SecureBytes.random(count: 32) else { return nil }
    let sample = Array(testimony(1, bytes: recordBytes).utf8)
    var boxes = (0..<records).compactMap { _ in
        try? sample.withUnsafeBytes { try XChaCha20Poly1305.seal($0, key: key, associatedData: [1]) }
    }
    // Into one preallocated buffer: the cost of the cipher itself, no allocation.
    guard let scratch = try? SecureScratch(capacity: 8192) else { return nil }
    f.rawDecrypt = bestOf(3) {
        for b in boxes { _ = try? XChaCha20Poly1305.open(b, key: key, associatedData: [1], into: scratch) }
    }
    boxes = []
    let rawEncrypt = bestOf(1) {
        for _ in 0..<records { _ = try? sample.withUnsafeBytes { try XChaCha20Poly1305.seal($0, key: key, associatedData: [1]) } }
    }
    f.rawEncryptRate = Double(records) / rawEncrypt
    // In process: what the command does after unlock, its output handed to a closure that drops it.
    f.list = bestOf(3) { _ = try? v.list { _ in } }
    // Where list and search spend their time: the SQLite walk alone.
    f.walkMeta = bestOf(3) { try? v.store.forEachLatest(includeBody: false) { _ in } }
    f.walkBody = bestOf(3) { try? v.store.forEachLatest(includeBody: true) { _ in } }
    f.show = bestOf(3) { _ = try? v.record(ids[records / 2]) }
    // The integrity checks of format 2 (SECURITY.md §3, §6.8): what each unlock, and each rule or
    // record read, adds.
    f.manifestUnlock = bestOf(5) { try? v.verifyManifestNow() }
    f.manifestRead = bestOf(5) { try? v.verifyRuleSet([]) }
    f.openStore = bestOf(5) { _ = try? Vault.openStore(dir) }
    f.search = bestOf(3) { _ = try? v.search("hoeryong") { _ in } }
    // Search runs on several threads for large vaults: its CPU time, all threads together, shows
    // the work itself; a query that matches nothing shows the cost without results.
    let cpu0 = cpuSeconds()
    _ = try? v.search("hoeryong") { _ in }
    f.searchCPU = cpuSeconds() - cpu0
    f.searchNoMatch = bestOf(3) { _ = try? v.search("zzyzx") { _ in } }
    for _ in 0..<repeatSearch { _ = try? v.search("hoeryong") { _ in } }

    let unlock = ["--vault", dir, "--passphrase-fd", "3"]
    // Whole processes: the best of three runs (one run on a shared machine is mostly noise).
    func bestRun(_ command: [String]) -> ChildRun {
        (0..<3).map { _ in runChild(command, secret: pass) }.min { $0.seconds < $1.seconds }!
    }
    f.cliList = bestRun([cli, "list"] + unlock)
    f.cliListPage = bestRun([cli, "list", "--offset", String(records / 2), "--limit", "50"] + unlock)
    f.cliShow = bestRun([cli, "show", ids[0]] + unlock)
    f.cliSearch = bestRun([cli, "search", "hoeryong"] + unlock)
    f.cliSearchNone = bestRun([cli, "search", "zzyzx"] + unlock)
    if rekey { f.rekey = runChild([cli, "rekey", "--yes"] + unlock, secret: pass) }
    return f
}

/// The vault figures at N/10 and N records side by side: each row's value is the figure at N, its
/// baseline the same figure at N/10, and the ratio column how it grew with 10x the records.
/// `rekey` at N only when N ≤ 10,000 or with `--rekey` (30 s at 100,000).
func vaultBench(records: Int, recordBytes: Int = 4096, cli: String, repeatSearch: Int = 0, rekey: Bool = false) -> [Figure] {
    let root = NSTemporaryDirectory() + "sv-vbench-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: root) }
    let smallCount = max(records / 10, 10)
    let withRekey = rekey || records <= 10_000
    // One vault at a time: the small one is deleted before the large one is built.
    guard
        let small = measureVault(
            root + "/small", records: smallCount, recordBytes: recordBytes, cli: cli, rekey: withRekey, repeatSearch: 0)
    else {
        print("vault bench: could not build the vaults"); return []
    }
    try? FileManager.default.removeItem(atPath: root + "/small")
    guard
        let big = measureVault(
            root + "/big", records: records, recordBytes: recordBytes, cli: cli, rekey: withRekey, repeatSearch: repeatSearch)
    else {
        print("vault bench: could not build the vaults"); return []
    }
    let sizes = "\(smallCount) → \(records) records of \(recordBytes) bytes"
    func ms(_ s: Double) -> String { String(format: "%.1f ms", s * 1000) }
    func run(_ r: ChildRun) -> String {
        String(format: "%.1f ms wall, %.1f ms CPU, %d KiB peak RSS", r.seconds * 1000, r.cpuSeconds * 1000, r.maxRSSKiB)
    }
    func row(
        _ name: String, _ detail: String, _ pick: (VaultSizeFigures) -> Double, unit: String = "ms", scale: Double = 1000,
        target: String, met: Bool?
    ) -> Figure {
        Figure(
            name: name, detail: detail, value: pick(big) * scale, unit: unit, target: target, met: met,
            baseline: pick(small) * scale, baselineName: "at \(smallCount) records")
    }
    func ok(_ r: ChildRun, _ status: Int32 = 0) -> Bool { r.status == status }
    // `search` exits 1 when nothing matches (like grep): wait4's status 1 << 8.
    let noMatch: Int32 = 1 << 8
    var rows = [
        row(
            "list after unlock", "\(sizes), in process, every record streamed (metadata only)", { $0.list },
            target: "< 100 ms", met: big.list < 0.1),
        row(
            "  of which: SQLite walk (meta)", "forEachLatest without bodies", { $0.walkMeta }, target: "-", met: nil),
        row(
            "sourcevault list (whole process)",
            "start-up, unlock (--kdf test), audit writes and output to a file; at \(smallCount): \(run(small.cliList)); at \(records): \(run(big.cliList))",
            { $0.cliList.seconds }, target: "< 100 ms", met: big.cliList.seconds < 0.1 && ok(big.cliList)),
        row(
            "list peak RSS", "whole process, every record printed", { Double($0.cliList.maxRSSKiB) }, unit: "KiB", scale: 1,
            target: "≤ 1.3x at 10x", met: Double(big.cliList.maxRSSKiB) <= 1.3 * Double(small.cliList.maxRSSKiB)),
        row(
            "sourcevault list --offset --limit 50", "the middle 50 records; \(run(big.cliListPage)) at \(records)",
            { $0.cliListPage.seconds }, target: "-", met: ok(big.cliListPage) ? nil : false),
        row(
            "search after unlock",
            "in process, all match (streamed); raw XChaCha20-Poly1305 decryption of the same bytes: \(ms(small.rawDecrypt)) → \(ms(big.rawDecrypt)); ratio to raw \(String(format: "%.2f", small.search / small.rawDecrypt)) → \(String(format: "%.2f", big.search / big.rawDecrypt))",
            { $0.search }, target: "≤ 3x raw", met: small.search <= 3 * small.rawDecrypt && big.search <= 3 * big.rawDecrypt),
        row(
            "  search CPU time", "all threads (\(ProcessInfo.processInfo.activeProcessorCount) cores)", { $0.searchCPU },
            target: "-", met: nil),
        row(
            "  search, no match",
            "a query no record contains; ratio to raw \(String(format: "%.2f", small.searchNoMatch / small.rawDecrypt)) → \(String(format: "%.2f", big.searchNoMatch / big.rawDecrypt))",
            { $0.searchNoMatch }, target: "≤ 3x raw",
            met: small.searchNoMatch <= 3 * small.rawDecrypt && big.searchNoMatch <= 3 * big.rawDecrypt),
        row(
            "sourcevault search (whole process)",
            "every record matches and is printed; at \(smallCount): \(run(small.cliSearch)); at \(records): \(run(big.cliSearch)); target at 10,000 records",
            { $0.cliSearch.seconds }, target: "< 100 ms @10k",
            met: ok(small.cliSearch) && ok(big.cliSearch)
                && (smallCount == 10_000 ? small.cliSearch.seconds < 0.1 : records == 10_000 ? big.cliSearch.seconds < 0.1 : true)
        ),
        row(
            "sourcevault search, no match",
            "whole process; at \(smallCount): \(run(small.cliSearchNone)); at \(records): \(run(big.cliSearchNone))",
            { $0.cliSearchNone.seconds }, target: "-",
            met: ok(small.cliSearchNone, noMatch) && ok(big.cliSearchNone, noMatch) ? nil : false),
        row(
            "search peak RSS", "whole process, every record matching and printed", { Double($0.cliSearch.maxRSSKiB) },
            unit: "KiB", scale: 1, target: "≤ 1.3x at 10x",
            met: Double(big.cliSearch.maxRSSKiB) <= 1.3 * Double(small.cliSearch.maxRSSKiB)),
        row(
            "show after unlock", "one record, in process", { $0.show }, target: "< 100 ms", met: big.show < 0.1),
        row(
            "sourcevault show (whole process)", "\(run(big.cliShow)) at \(records)", { $0.cliShow.seconds },
            target: "< 100 ms", met: big.cliShow.seconds < 0.1 && ok(big.cliShow)),
        row(
            "  manifest check at unlock", "counts, slots and singletons against the sealed manifest", { $0.manifestUnlock },
            target: "≤ 5 ms", met: big.manifestUnlock < 0.005),
        row(
            "  manifest read per rule/record read", "open and parse the manifest (export, redact, show, rule list)",
            { $0.manifestRead }, target: "-", met: nil),
        row(
            "  open: header, schema pin, migrations", "before any key (every command)", { $0.openStore }, target: "-",
            met: nil),
        row(
            "import (one transaction)",
            "validation, padding, sealing, SQLite; raw encryption \(String(format: "%.0f", big.rawEncryptRate)) records/s",
            { $0.importRate }, unit: "records/s", scale: 1, target: "-", met: nil)
    ]
    if let r = big.rekey, let s = small.rekey {
        rows.append(
            Figure(
                name: "rekey (whole process)",
                detail:
                    "re-encrypted in one transaction; peak RSS \(s.maxRSSKiB) → \(r.maxRSSKiB) KiB; exit \(s.status), \(r.status)",
                value: r.seconds, unit: "s", target: "flat memory",
                met: r.status == 0 && s.status == 0 && Double(r.maxRSSKiB) <= 1.3 * Double(s.maxRSSKiB),
                baseline: s.seconds, baselineName: "at \(smallCount) records"))
    }
    return rows
}

/// Argon2id cost of each profile (the price of one unlock), with its memory.
func kdfBench() -> [Figure] {
    guard let pass = try? SecureBytes(copying: Array("bench passphrase".utf8)) else { return [] }
    let salt = [UInt8](repeating: 7, count: PasswordHash.saltBytes)
    var out: [Figure] = []
    for profile in [KDFProfile.interactive, .moderate, .sensitive] {
        let t = bestOf(1) {
            _ = try? PasswordHash.deriveKey(
                length: 32, passphrase: pass, salt: salt, opsLimit: profile.opsLimit, memLimit: profile.memLimit)
        }
        out.append(
            Figure(
                name: "unlock KDF: \(profile.rawValue)",
                detail: "Argon2id \(profile.opsLimit) passes, \(profile.memLimit >> 20) MiB",
                value: t, unit: "s", target: "-", met: nil, baseline: nil, baselineName: nil))
    }
    return out
}
