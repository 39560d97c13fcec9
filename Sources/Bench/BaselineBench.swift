// Whole-process cost of this build beside another build of sourcevault (--baseline-cli PATH, for
// example a release build of an earlier commit): each build makes its own vault of the same records
// through its own CLI (`init`, `source add`, `import`), then `show`, `list` and `status` run on both,
// interleaved, so a busy machine slows both alike. The figure is the difference of the best CPU
// times (user + system, the process and what it waited for); wall times are in the detail.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

func baselineBench(records: Int, recordBytes: Int, cli: String, baseline: String, rounds: Int = 25) -> [Figure] {
    let root = NSTemporaryDirectory() + "sv-abbench-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: root) }
    let pass = "bench passphrase"
    let texts = root + "/texts"
    guard
        (try? FileManager.default.createDirectory(
            atPath: texts, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])) != nil
    else { return [] }
    // Synthetic testimony (no real names): the import's input files, removed with `root`.
    for i in 0..<records {
        FileManager.default.createFile(
            atPath: texts + String(format: "/r%06d.txt", i), contents: Data(testimony(i, bytes: recordBytes).utf8))
    }
    var vaults: [(binary: String, dir: String, id: String)] = []
    for (name, binary) in [("current", cli), ("baseline", baseline)] {
        let dir = root + "/" + name
        let unlock = ["--vault", dir, "--passphrase-fd", "3"]
        let listing = root + "/" + name + ".list"
        guard runChild([binary, "init", "--kdf", "test"] + unlock, secret: pass).status == 0,
            runChild([binary, "source", "add", "Bench"] + unlock, secret: pass).status == 0,
            runChild([binary, "import", texts, "--source", "Bench"] + unlock, secret: pass).status == 0,
            runChild([binary, "list"] + unlock, secret: pass, stdoutPath: listing).status == 0,
            let first = (try? String(contentsOfFile: listing, encoding: .utf8))?.split(separator: " ").first
        else {
            print("baseline bench: \(name) build (\(binary)) could not make its vault")
            return []
        }
        vaults.append((binary, dir, String(first)))
    }
    let commands: [(name: String, args: (String) -> [String])] = [
        ("show", { ["show", $0] }), ("list", { _ in ["list"] }), ("rule list", { _ in ["rule", "list"] })
    ]
    var best: [String: (cpu: Double, wall: Double)] = [:]
    for _ in 0..<rounds {
        for c in commands {
            for (k, v) in vaults.enumerated() {
                let run = runChild([v.binary] + c.args(v.id) + ["--vault", v.dir, "--passphrase-fd", "3"], secret: pass)
                guard run.status == 0 else { continue }
                let key = c.name + "/\(k)"
                let old = best[key] ?? (.infinity, .infinity)
                best[key] = (min(old.cpu, run.cpuSeconds), min(old.wall, run.seconds))
            }
        }
    }
    return commands.compactMap { c in
        guard let now = best[c.name + "/0"], let then = best[c.name + "/1"] else { return nil }
        let delta = (now.cpu - then.cpu) * 1000
        return Figure(
            name: "sourcevault \(c.name): this build - baseline",
            detail: String(
                format: "%d records; best CPU %.1f vs %.1f ms, best wall %.1f vs %.1f ms (%d interleaved runs each)", records,
                now.cpu * 1000, then.cpu * 1000, now.wall * 1000, then.wall * 1000, rounds),
            value: delta, unit: "ms", target: "≤ +5 ms", met: delta <= 5, baseline: nil, baselineName: nil)
    }
}
