// Vault figures on N/10 and N records of about B bytes (--records N, --record-bytes B; 10,000 and 4,096): in-process times after unlock beside raw
// XChaCha20-Poly1305 decryption of the same bytes, and whole-process wall time and peak RSS of the
// release CLI (start-up included), measured with wait4.
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

func vaultBench(records: Int, recordBytes: Int = 4096, cli: String, repeatSearch: Int = 0) -> [Figure] {
    let root = NSTemporaryDirectory() + "sv-vbench-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: root) }
    let pass = "bench passphrase"
    let small = max(records / 10, 10)
    guard let (addTime, ids) = buildVault(root + "/big", records: records, recordBytes: recordBytes, pass: pass),
        buildVault(root + "/small", records: small, recordBytes: recordBytes, pass: pass) != nil,
        let p = try? SecureBytes(copying: Array(pass.utf8)),
        let v = try? Vault.unlock(directory: root + "/big", passphrase: p)
    else {
        print("vault bench: could not build the vaults"); return []
    }
    // Raw libsodium baseline over the same number of messages of the same size.
    guard let key = try? SecureBytes.random(count: 32) else { return [] }
    let sample = Array(testimony(1, bytes: recordBytes).utf8)
    let boxes = (0..<records).compactMap { _ in
        try? sample.withUnsafeBytes { try XChaCha20Poly1305.seal($0, key: key, associatedData: [1]) }
    }
    // Into one preallocated buffer: the cost of the cipher itself, no allocation.
    guard let scratch = try? SecureScratch(capacity: 8192) else { return [] }
    let rawDecrypt = bestOf(3) {
        for b in boxes { _ = try? XChaCha20Poly1305.open(b, key: key, associatedData: [1], into: scratch) }
    }
    let rawEncrypt = bestOf(1) {
        for _ in 0..<records { _ = try? sample.withUnsafeBytes { try XChaCha20Poly1305.seal($0, key: key, associatedData: [1]) } }
    }

    let listTime = bestOf(3) { _ = try? v.list() }
    // Where list and search spend their time: the SQLite walk alone.
    let walkMeta = bestOf(3) { try? v.store.forEachLatest(includeBody: false) { _ in } }
    let walkBody = bestOf(3) { try? v.store.forEachLatest(includeBody: true) { _ in } }
    let showTime = bestOf(3) { _ = try? v.record(ids[records / 2]) }
    // The integrity checks of format 2 (SECURITY.md §3, §6.8): what each unlock, and each rule or
    // record read, adds.
    let manifestUnlock = bestOf(5) { try? v.verifyManifestNow() }
    let manifestRead = bestOf(5) { try? v.verifyRuleSet([]) }
    let openStore = bestOf(5) { _ = try? Vault.openStore(root + "/big") }
    let searchTime = bestOf(3) { _ = try? v.search("hoeryong") }
    // Search runs on several threads for large vaults: its CPU time, all threads together, shows
    // the work itself; a query that matches nothing shows the cost without results to sort.
    let cpu0 = cpuSeconds()
    _ = try? v.search("hoeryong")
    let searchCPU = cpuSeconds() - cpu0
    let searchNoMatch = bestOf(3) { _ = try? v.search("zzyzx") }
    for _ in 0..<repeatSearch { _ = try? v.search("hoeryong") }

    let big = ["--vault", root + "/big", "--passphrase-fd", "3"]
    // Whole processes: the best of three runs (one run on a shared machine is mostly noise).
    func bestRun(_ command: [String]) -> ChildRun {
        (0..<3).map { _ in runChild(command, secret: pass) }.min { $0.seconds < $1.seconds }!
    }
    let cliList = bestRun([cli, "list"] + big)
    let cliShow = bestRun([cli, "show", ids[0]] + big)
    let cliSearchBig = bestRun([cli, "search", "hoeryong"] + big)
    let cliSearchNone = bestRun([cli, "search", "zzyzx"] + big)
    let cliSearchSmall = bestRun([cli, "search", "hoeryong", "--vault", root + "/small", "--passphrase-fd", "3"])
    let rekey = runChild([cli, "rekey"] + big, secret: pass)
    let mb = Double(records * recordBytes) / 1e6
    let n = "\(records) records of \(recordBytes) bytes"
    return [
        Figure(
            name: "search after unlock",
            detail: "\(n), in-process, decrypting every record (all match: \(records) results sorted)", value: searchTime * 1000,
            unit: "ms",
            target: "≤ 3x raw decrypt", met: searchTime <= 3 * rawDecrypt, baseline: rawDecrypt * 1000,
            baselineName: "raw XChaCha20 decrypt of the same bytes (ms)"),
        Figure(
            name: "  search CPU time",
            detail: "the same search, all threads together (\(ProcessInfo.processInfo.activeProcessorCount) cores)",
            value: searchCPU * 1000, unit: "ms", target: "-", met: nil, baseline: rawDecrypt * 1000,
            baselineName: "raw XChaCha20 decrypt of the same bytes (ms)"),
        Figure(
            name: "  search, no match", detail: "a query no record contains", value: searchNoMatch * 1000, unit: "ms",
            target: "≤ 3x raw decrypt", met: searchNoMatch <= 3 * rawDecrypt, baseline: rawDecrypt * 1000,
            baselineName: "raw XChaCha20 decrypt of the same bytes (ms)"),
        Figure(
            name: "list after unlock", detail: "\(n), in-process (metadata only)", value: listTime * 1000, unit: "ms",
            target: "< 100 ms", met: listTime < 0.1, baseline: rawDecrypt * 1000, baselineName: "raw decrypt of all bodies (ms)"),
        Figure(
            name: "  of which: SQLite walk (meta)", detail: "forEachLatest without bodies", value: walkMeta * 1000, unit: "ms",
            target: "-", met: nil, baseline: nil, baselineName: nil),
        Figure(
            name: "  of which: SQLite walk (+bodies)", detail: "forEachLatest with bodies (search)", value: walkBody * 1000,
            unit: "ms",
            target: "-", met: nil, baseline: nil, baselineName: nil),
        Figure(
            name: "show after unlock", detail: "one record of \(records)", value: showTime * 1000, unit: "ms",
            target: "< 100 ms", met: showTime < 0.1, baseline: nil, baselineName: nil),
        Figure(
            name: "  manifest check at unlock",
            detail: "counts, slots and singletons against the sealed manifest (\(records) records)",
            value: manifestUnlock * 1000, unit: "ms", target: "≤ 5 ms", met: manifestUnlock < 0.005, baseline: nil,
            baselineName: nil),
        Figure(
            name: "  manifest read per rule/record read", detail: "open and parse the manifest (export, redact, show, rule list)",
            value: manifestRead * 1000, unit: "ms", target: "-", met: nil, baseline: nil, baselineName: nil),
        Figure(
            name: "  open: header, schema pin, migrations", detail: "before any key (every command)",
            value: openStore * 1000, unit: "ms", target: "-", met: nil, baseline: nil, baselineName: nil),
        Figure(
            name: "import (one transaction)", detail: "\(n): validation, padding, sealing, SQLite",
            value: Double(records) / addTime, unit: "records/s",
            target: "-", met: nil, baseline: Double(records) / rawEncrypt, baselineName: "raw encryption (records/s)"),
        Figure(
            name: "sourcevault list (whole process)",
            detail: "\(n), release binary, --kdf test, start-up and audit writes included; peak RSS \(cliList.maxRSSKiB) KiB",
            value: cliList.seconds * 1000, unit: "ms", target: "< 100 ms", met: cliList.seconds < 0.1 && cliList.status == 0,
            baseline: nil, baselineName: nil),
        Figure(
            name: "sourcevault show (whole process)", detail: "peak RSS \(cliShow.maxRSSKiB) KiB", value: cliShow.seconds * 1000,
            unit: "ms",
            target: "< 100 ms", met: cliShow.seconds < 0.1 && cliShow.status == 0, baseline: nil, baselineName: nil),
        Figure(
            name: "sourcevault search (whole process)",
            detail:
                "\(n) (\(String(format: "%.0f", mb)) MB), all \(records) match and are printed; peak RSS \(cliSearchBig.maxRSSKiB) KiB",
            value: cliSearchBig.seconds * 1000, unit: "ms", target: "< 100 ms",
            met: cliSearchBig.seconds < 0.1 && cliSearchBig.status == 0,
            baseline: nil, baselineName: nil),
        Figure(
            name: "sourcevault search, no match", detail: "whole process, a query no record contains",
            value: cliSearchNone.seconds * 1000, unit: "ms",
            // `search` exits 1 when nothing matches (like grep): wait4's status 1 << 8.
            target: "< 100 ms", met: cliSearchNone.seconds < 0.1 && cliSearchNone.status == 1 << 8, baseline: nil,
            baselineName: nil),
        Figure(
            name: "search peak RSS, 10x records",
            detail: "\(cliSearchSmall.maxRSSKiB) KiB at \(small) records, \(cliSearchBig.maxRSSKiB) KiB at \(records)",
            value: Double(cliSearchBig.maxRSSKiB) / Double(max(cliSearchSmall.maxRSSKiB, 1)), unit: "x", target: "flat (~1x)",
            met: Double(cliSearchBig.maxRSSKiB) < 1.5 * Double(cliSearchSmall.maxRSSKiB), baseline: nil, baselineName: nil),
        Figure(
            name: "rekey (whole process)",
            detail: "\(n) re-encrypted in one transaction; peak RSS \(rekey.maxRSSKiB) KiB; exit \(rekey.status)",
            value: rekey.seconds, unit: "s", target: "flat memory",
            met: rekey.status == 0 && Double(rekey.maxRSSKiB) < 1.5 * Double(cliSearchBig.maxRSSKiB),
            baseline: nil, baselineName: nil)
    ]
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
