import Foundation
import Testing

@testable import Redaction

/// Every stage of the export is linear in its input, whatever the input (issue 14, item 6). Checked
/// by counting work (``WorkMeter``: bytes folded, table probes, stack entries scanned, bytes handed
/// to the regular expression engine), never by timing: each bound is a generous constant times the
/// input's size, which quadratic work on these inputs would exceed by orders of magnitude.
@Suite struct LinearityTests {
    static let rules: [RedactionRule] = [
        .term("a", "Jong-yol", variants: ["이종열", "李钟烈"]), .term("b", "Hoeryong", label: .place),
        .term("c", "Kim"), .term("d", "Musan County"), .term("e", "abcdefghij"), .detector("p", .phone)
    ]

    /// Inputs that once made some stage superlinear, or could: one wide character repeated, long
    /// runs of separators or combining marks between two letters, text with nowhere to cut it,
    /// escapes that do not decode, letters one by one, digits, right-to-left controls.
    static func adversarial(_ n: Int) -> [(String, String)] {
        [
            ("U+FDFA", String(repeating: "\u{FDFA}", count: n / 3)),
            ("spaces", "Kim" + String(repeating: " ", count: n) + "Jongyol"),
            ("marks", "Ki" + String(repeating: "\u{301}", count: n / 2) + "m"),
            ("no cut", String(repeating: "a", count: n)),
            ("long reference", "&#" + String(repeating: "0", count: n) + "106;"),
            ("%FF", String(repeating: "%FF", count: n / 3)),
            ("%EC%9D", String(repeating: "%EC%9D", count: n / 6)),
            ("letters", String(repeating: "a b c d e f g h i j ", count: n / 20)),
            ("digits", String(repeating: "1", count: n)),
            ("digit tokens", String(repeating: "1 ", count: n / 2)),
            ("mail", String(repeating: "kimjongyol@x.com ", count: n / 17)),
            ("names", String(repeating: "Kim-Jong O'Brien ", count: n / 17)),
            ("jamo", String(repeating: "\u{1100}\u{1161}\u{11A8}", count: n / 9)),
            ("rtl", String(repeating: "\u{202B}", count: n / 6) + String(repeating: "\u{2069}", count: n / 6)),
            (
                "isolates",
                "\u{2067}" + String(repeating: "\u{202B}a", count: n / 4)
                    + String(repeating: "\u{2069}", count: n / 6)
            )
        ]
    }

    @Test func leakCheckFoldsAndProbesLinearly() throws {
        let n = 60_000
        for (name, text) in Self.adversarial(n) {
            var checker = try LeakChecker(rules: Self.rules)
            checker.chunkSize = 512  // many chunks: every cut and every widening is exercised
            let meter = WorkMeter()
            checker.meter = meter
            _ = checker.check(text)
            let size = text.utf8.count
            // Each chunk folds its stretch, both contexts and both modes; the edit-distance net
            // probes at most (longest + 2)² entries per folded letter.
            #expect(meter.total <= 300 * size + 100_000, "\(name): \(meter.total) for \(size) bytes")
        }
    }

    @Test func redactionFoldsLinearly() throws {
        let terms = try TermIndex(rules: Self.rules, mode: .standard)
        for (name, text) in Self.adversarial(60_000) {
            let meter = WorkMeter()
            _ = terms.spans(in: Array(text.utf8), chunkSize: 512, meter: meter)
            #expect(meter.total <= 8 * text.utf8.count + 10_000, "\(name): \(meter.total)")
        }
    }

    @Test func reversedRunsScanTheStackLinearly() {
        for (name, text) in Self.adversarial(60_000) {
            let meter = WorkMeter()
            _ = DisplaySafety.reversedRuns(Array(text.utf8), meter: meter)
            #expect(meter.total <= text.utf8.count, "\(name): \(meter.total)")
        }
    }

    @Test func suggestHandsTheRegexEngineLinearWork() {
        for (name, text) in Self.adversarial(20_000) {
            let bytes = Array(text.utf8)
            var scan = SuggestWindows.Scan(bytes)
            let meter = WorkMeter()
            for (_, regex) in SuggestWindowTests.patterns {
                _ = SuggestWindows.matches(regex, in: text, bytes: bytes, scan: &scan, meter: meter)
            }
            // Windows reach 13 tokens either way of an anchor, plus context.
            #expect(meter.total <= 40 * 64 * bytes.count + 100_000, "\(name): \(meter.total)")
        }
    }

    /// Percent escapes are read one character at a time: a run that does not decode is read once.
    @Test func percentEscapesFoldAsBefore() throws {
        let rules: [RedactionRule] = [.term("a", "이종열"), .term("b", "Kim")]
        #expect(
            try redact("%FF%EC%9D%B4%EC%A2%85%EC%97%B4 %4B%69%6D %EC%9D", rules)
                == "%FF[PERSON-1] [PERSON-2] %EC%9D")
    }
}

extension LinearityTests {
    /// A view keeps where its bytes come from as runs, not an offset per byte: the same offsets.
    @Test func viewOriginsAreKeptAsRuns() {
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<50 {
            var view = TextView(kind: .rendered)
            var plain: [Int] = []
            var offset = 0
            for _ in 0..<Int.random(in: 0..<300, using: &rng) {
                offset += Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 0..<9, using: &rng) : 1
                if Bool.random(using: &rng) {
                    view.append(0x61, from: offset); plain.append(offset)
                } else {
                    let scalar = [0x41, 0xE9, 0xAC00, 0x1F600][Int.random(in: 0..<4, using: &rng)]
                    let before = view.bytes.count
                    view.append(scalar: UInt32(scalar), from: offset)
                    plain += Array(repeating: offset, count: view.bytes.count - before)
                }
            }
            #expect(plain.indices.map(view.origin) == plain)
        }
        // Text copied through a view costs a few runs, not an offset per byte.
        let text = Array(String(repeating: "the river <b>was</b> cold &amp; we crossed\n", count: 1_000).utf8)
        RenderedView.forEachView(of: text) { view in
            #expect(view.bytes.count > 30_000)
        }
    }
}
