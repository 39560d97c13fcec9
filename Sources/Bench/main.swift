// `make bench`: figures for the targets in the brief (section 5), each beside a baseline measured
// in the same run on the same machine. Prints a table and writes bench.json.
// Usage: sourcevault-bench [--redaction-mb N] [--rules N] [--audit-entries N] [--records N] [--record-bytes N] [--out FILE]
//                          [--share-mb N] [--facts N] [--disclosure-mb N]
//                          [--skip kdf,redaction,export,audit,share,disclosure,vault] [--repeat-search N] [--export-runs N]
//                          [--wide-kb N] [--dense-kb N] (adversarial export inputs: 4096 and 2048 KiB)
//                          [--keep-vault DIR] (leave the export figures' vault there, for a profiler)
//                          [--keep-disclosure-vault DIR] (the disclosure row's vault before and after its facts)
//                          [--export-rows wide,dense,markup] (only these adversarial rows; "none" for none)
//                          [--baseline-cli PATH] (whole-process show, list, rule list beside another build)
//                          [--rekey] (rekey both vault sizes even above 10,000 records)
//        sourcevault-bench --build-vault DIR N [BYTES] (leave a vault of N records there, passphrase "bench-passphrase")
// The export figures run this binary again as `--export-child` (one export per process).
// --repeat-search runs N extra in-process searches after the vault figures, for a profiler
// (perf record / valgrind --tool=callgrind) to attribute.
import Foundation

// `--help`: the usage above (any flag this file does not know is otherwise ignored, and the whole
// bench runs).
if CommandLine.arguments.contains("--help") || CommandLine.arguments.contains("-h") {
    print(
        """
        usage: sourcevault-bench [--redaction-mb N] [--rules N] [--audit-entries N] [--records N] [--record-bytes N]
                                 [--out FILE] [--share-mb N] [--facts N] [--disclosure-mb N]
                                 [--skip kdf,redaction,export,audit,share,disclosure,vault] [--repeat-search N]
                                 [--export-runs N] [--wide-kb N] [--dense-kb N] [--export-rows wide,dense,markup|none]
                                 [--keep-vault DIR] [--keep-disclosure-vault DIR] [--baseline-cli PATH] [--rekey]
               sourcevault-bench --build-vault DIR N [BYTES]   (a vault of N records, passphrase "bench-passphrase")
        """)
    exit(0)
}

if CommandLine.arguments.count > 1, CommandLine.arguments[1] == "--export-child" {
    exportChild(Array(CommandLine.arguments.dropFirst(2)))
}
// `--export-stages DIR ID`, passphrase on fd 3: the in-process stage times of one export (a
// vault left by --keep-vault), for profiling.
if CommandLine.arguments.count > 3, CommandLine.arguments[1] == "--export-stages" {
    exportStagesOnly(dir: CommandLine.arguments[2], id: CommandLine.arguments[3])
}

// `--build-vault DIR N [BYTES]`: build the vault figures' vault of N records in DIR (passphrase
// "bench-passphrase", KDF test) and leave it, for timing or profiling the CLI by hand.
if CommandLine.arguments.count > 3, CommandLine.arguments[1] == "--build-vault",
    let n = Int(CommandLine.arguments[3])
{
    let bytes = CommandLine.arguments.count > 4 ? Int(CommandLine.arguments[4]) ?? 4096 : 4096
    guard let (t, _) = buildVault(CommandLine.arguments[2], records: n, recordBytes: bytes, pass: "bench-passphrase") else {
        print("could not build the vault")
        exit(1)
    }
    print(String(format: "%d records in %.1f s", n, t))
    exit(0)
}

struct Figure: Encodable {
    var name: String
    var detail: String
    var value: Double
    var unit: String
    var target: String
    var met: Bool?
    var baseline: Double?
    var baselineName: String?
    var ratio: Double? { baseline.map { value / $0 } }

    enum CodingKeys: String, CodingKey { case name, detail, value, unit, target, met, baseline, baselineName, ratio }
    func encode(to e: Encoder) throws {
        var c = e.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name); try c.encode(detail, forKey: .detail); try c.encode(value, forKey: .value)
        try c.encode(unit, forKey: .unit); try c.encode(target, forKey: .target); try c.encodeIfPresent(met, forKey: .met)
        try c.encodeIfPresent(baseline, forKey: .baseline); try c.encodeIfPresent(baselineName, forKey: .baselineName)
        try c.encodeIfPresent(ratio, forKey: .ratio)
    }
}

/// Best wall time of `n` runs, in seconds.
func bestOf(_ n: Int, _ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<n {
        let t = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
    }
    return best
}

let args = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
    return v
}
let out = args.firstIndex(of: "--out").flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil } ?? "bench.json"

let skip = Set(
    (args.firstIndex(of: "--skip").flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil } ?? "")
        .split(separator: ",").map(String.init) + (args.contains("--no-kdf") ? ["kdf"] : []))
var figures: [Figure] = []
if !skip.contains("kdf") { figures += kdfBench() }
if !skip.contains("redaction") {
    figures += redactionBench(megabytes: option("--redaction-mb", 10), ruleCount: option("--rules", 1000))
}
if !skip.contains("share") { figures += shareBench(megabytes: option("--share-mb", 4)) }
if !skip.contains("disclosure") {
    figures += disclosureBench(
        facts: option("--facts", 1000), megabytes: option("--disclosure-mb", 1),
        keep: args.firstIndex(of: "--keep-disclosure-vault").flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil })
}
let cli = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sourcevault").path
if !skip.contains("export") {
    figures += exportBench(
        megabytes: option("--redaction-mb", 10), ruleCount: option("--rules", 1000),
        runs: option("--export-runs", 3), wideKiB: option("--wide-kb", 4096),
        denseKiB: option("--dense-kb", 2048),
        keep: args.firstIndex(of: "--keep-vault").flatMap {
            $0 + 1 < args.count ? args[$0 + 1] : nil
        },
        rows: args.firstIndex(of: "--export-rows").flatMap {
            $0 + 1 < args.count ? Set(args[$0 + 1].split(separator: ",").map(String.init)) : nil
        },
        cli: cli)
}
if !skip.contains("audit") { figures += auditBench(entries: option("--audit-entries", 100_000)) }
if skip.contains("vault") {
} else if FileManager.default.isExecutableFile(atPath: cli) {
    figures += vaultBench(
        records: option("--records", 10_000), recordBytes: max(option("--record-bytes", 4096), 64), cli: cli,
        repeatSearch: option("--repeat-search", 0), rekey: args.contains("--rekey"))
} else {
    print("(no release sourcevault beside the bench: vault figures skipped)")
}
if let i = args.firstIndex(of: "--baseline-cli"), i + 1 < args.count, FileManager.default.isExecutableFile(atPath: cli) {
    figures += baselineBench(
        records: option("--records", 10_000), recordBytes: max(option("--record-bytes", 4096), 64), cli: cli,
        baseline: args[i + 1])
}

func fmt(_ v: Double) -> String { v >= 100 ? String(format: "%.0f", v) : String(format: "%.2f", v) }
print("")
print("figure                              value            target          baseline (same run)                      ratio  met")
for f in figures {
    let base = f.baseline.map { "\(fmt($0)) \(f.baselineName ?? "")" } ?? "-"
    let ratio = f.ratio.map { String(format: "%.2f", $0) } ?? "-"
    let met = f.met.map { $0 ? "yes" : "NO" } ?? "-"
    print(
        "\(f.name.padding(toLength: 35, withPad: " ", startingAt: 0)) \((fmt(f.value) + " " + f.unit).padding(toLength: 16, withPad: " ", startingAt: 0)) \(f.target.padding(toLength: 15, withPad: " ", startingAt: 0)) \(base.padding(toLength: 40, withPad: " ", startingAt: 0)) \(ratio.padding(toLength: 6, withPad: " ", startingAt: 0)) \(met)"
    )
    print("    \(f.detail)")
}
struct Report: Encodable { var date: String; var machine: String; var figures: [Figure] }
let machine = "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
let enc = JSONEncoder()
enc.outputFormatting = [.prettyPrinted, .sortedKeys]
if let data = try? enc.encode(Report(date: ISO8601DateFormatter().string(from: Date()), machine: machine, figures: figures)) {
    _ = FileManager.default.createFile(atPath: out, contents: data)
    print("\nwrote \(out)")
}
