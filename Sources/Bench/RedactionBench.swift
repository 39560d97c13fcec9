// Redaction throughput (brief section 5: ≥ 50 MB/s with 1,000 term rules × 3 variants on mixed
// English/Korean text), beside a memchr scan of the same bytes (the memory-bandwidth floor).
import Foundation
import Redaction

struct Generator: RandomNumberGenerator {
    var state: UInt64 = 0x1234_5678
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The redaction workload (brief section 5): `ruleCount` rules, each a two-part Latin name with
/// its unhyphenated upper-case spelling and a Hangul form (3 forms), and `megabytes` MiB of mixed
/// English/Korean testimony in which about 2% of the words are one of the names. Deterministic.
struct RedactionWorkload {
    var rules: [RedactionRule] = []
    var text = ""

    init(megabytes: Int, ruleCount: Int) {
        var rng = Generator()
        let syllables = Array("가나다라마바사아자차카타파하종열수명철영호민준서연지우현")
        let latin = Array("abcdefghijklmnoprstuy")
        func latinName(_ rng: inout Generator) -> String {
            let n = Int.random(in: 3...5, using: &rng)
            return String((0..<n).map { _ in latin.randomElement(using: &rng)! }).capitalized
        }
        func hangulName(_ rng: inout Generator) -> String {
            String((0..<3).map { _ in syllables.randomElement(using: &rng)! })
        }
        var names: [String] = []
        for i in 0..<ruleCount {
            let a = latinName(&rng), b = latinName(&rng).lowercased()
            let term = "\(a)-\(b)"
            names.append(term)
            rules.append(.term("r\(i)", term, variants: ["\(a) \(b)".uppercased(), hangulName(&rng) + "\(i % 10)"]))
        }
        let english = [
            "the", "river", "was", "cold", "and", "we", "crossed", "at", "night", "border", "guards",
            "were", "waiting", "near", "town", "she", "said", "her", "brother", "had", "already", "left",
            "for", "China"
        ]
        let korean = [
            "강을", "건넜다", "그날", "밤에", "국경", "경비대가", "기다리고", "있었다", "그녀는", "말했다", "오빠는",
            "이미", "떠났다"
        ]
        text.reserveCapacity(megabytes << 20)
        while text.utf8.count < megabytes << 20 {
            var line: [String] = []
            for _ in 0..<14 {
                let r = Int.random(in: 0..<100, using: &rng)
                if r < 2 {
                    line.append(names.randomElement(using: &rng)!)
                } else if r < 45 {
                    line.append(korean.randomElement(using: &rng)!)
                } else {
                    line.append(english.randomElement(using: &rng)!)
                }
            }
            text += line.joined(separator: " ") + ".\n"
        }
    }
}

/// Best-of-n memchr scan of `bytes` (count newlines; the result is used, so the scan cannot be
/// optimized away): the memory-bandwidth floor, in seconds.
func memchrScan(_ bytes: [UInt8], runs: Int = 5) -> Double {
    var lines = 0
    let t = bestOf(runs) {
        lines = bytes.withUnsafeBytes { raw -> Int in
            guard var p = raw.baseAddress else { return 0 }
            let end = p + raw.count
            var n = 0
            while p < end, let hit = memchr(p, 0x0A, end - p) {
                n += 1
                p = UnsafeRawPointer(hit) + 1
            }
            return n
        }
    }
    if lines < 0 { print("no lines?") }
    return t
}

func redactionBench(megabytes: Int, ruleCount: Int) -> [Figure] {
    let workload = RedactionWorkload(megabytes: megabytes, ruleCount: ruleCount)
    let rules = workload.rules
    let text = workload.text

    let t0 = Date()
    let redactor: Redactor
    do { redactor = try Redactor(rules: rules) } catch { print("rules do not compile: \(error)"); return [] }
    let compile = Date().timeIntervalSince(t0)

    var best = Double.infinity
    var findings = 0
    for _ in 0..<3 {
        let t = Date()
        let result = redactor.redact(text)
        best = min(best, Date().timeIntervalSince(t))
        findings = result.findings.count
    }
    let bytes = Array(text.utf8)
    let scan = memchrScan(bytes)
    let mb = Double(bytes.count) / 1_000_000
    return [
        Figure(
            name: "redaction throughput",
            detail: String(
                format: "%.1f MB mixed English/Korean, %d rules x 3 variants, %d findings, compile %.0f ms", mb, rules.count,
                findings, compile * 1000),
            value: mb / best, unit: "MB/s", target: "≥ 50 MB/s", met: mb / best >= 50,
            baseline: mb / scan, baselineName: "memchr scan of the same bytes (MB/s)")
    ]
}
