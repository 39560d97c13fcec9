import Foundation
import Testing

@testable import Redaction

/// What a redaction holds per match and per finding is small and fixed (text dense with numbers has
/// hundreds of thousands of each), and reads back as the values it stands for.
@Suite struct CompactStorageTests {
    @Test func aSpanAndAFindingTakeTwentyAndTwentyFourBytes() {
        #expect(MemoryLayout<Span>.stride == 20)
        #expect(MemoryLayout<Findings.Entry>.stride == 24)
        var s = Span(lo: 7, hi: Int(UInt32.max), rule: 3)
        s.matchLo = 9
        s.lo = 8
        #expect((s.lo, s.hi, s.rule, s.matchLo, s.matchHi) == (8, Int(UInt32.max), 3, 9, Int(UInt32.max)))
    }

    /// An offset past 32 bits stops the process (SECURITY.md, "Neighbours of hidden spans": nothing is
    /// written), it never wraps.
    /// The patterns' matches merged list by list are the spans sorting and uniquing all of them
    /// gives (rules shared by several patterns, equal ranges in several lists), and a list out of
    /// order of start is left to the sort.
    @Test func mergingThePatternsListsIsSortingThem() {
        var rng = SeededGenerator(seed: 4_242)
        for _ in 0..<300 {
            let count = Int.random(in: 0..<8, using: &rng)
            let rules = (0..<count).map { _ in Int.random(in: 0..<3, using: &rng) }
            var lists: [SuggestWindows.PackedRanges] = []
            for _ in 0..<count {
                var ranges: [Range<Int>] = []
                var at = Int.random(in: 0..<5, using: &rng)
                for _ in 0..<Int.random(in: 0..<30, using: &rng) {
                    let length = Int.random(in: 1..<6, using: &rng)
                    ranges.append(at..<at + length)
                    at += Int.random(in: 1..<7, using: &rng)  // strictly later starts, ranges may overlap
                }
                lists.append(SuggestWindows.PackedRanges(ranges))
            }
            var all: [Span] = []
            for (k, list) in lists.enumerated() {
                for r in list { all.append(Span(lo: r.lowerBound, hi: r.upperBound, rule: rules[k])) }
            }
            let want = Redactor.uniqued(all).map { [$0.lo, $0.hi, $0.rule] }
            let got = Redactor.merging(lists, rules: rules)?.map { [$0.lo, $0.hi, $0.rule] }
            #expect(got == want)
            // Leaving out what a later round already knows is leaving it out afterwards.
            let known = all.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 }.sorted(by: Span.inMergeOrder)
            let unseen = Redactor.unseen(Redactor.uniqued(all), in: known).map { [$0.lo, $0.hi, $0.rule] }
            #expect(Redactor.merging(lists, rules: rules, excluding: known)?.map { [$0.lo, $0.hi, $0.rule] } == unseen)
        }
        let unordered = [SuggestWindows.PackedRanges([5..<6, 2..<3])]
        #expect(Redactor.merging(unordered, rules: [0]) == nil)
    }

    @Test func anOffsetPastThirtyTwoBitsStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            _ = Span(lo: Int(UInt32.max) + 1, hi: Int(UInt32.max) + 2, rule: 0)
        }
        await #expect(processExitsWith: .failure) {
            var findings = Findings(rules: [])
            findings.append(rule: 0, line: 1, range: Int(UInt32.max)..<(Int(UInt32.max) + 1), replacement: "x")
        }
    }

    static let rules: [RedactionRule] = [
        .term("r1", "Kim Jongyol", variants: ["김종열"]),
        .term("r2", "Hoeryong", label: .place, replacement: "a border town"),
        .detector("r3", .phone), .detector("r4", .date), .detector("r5", .email),
        RedactionRule(id: "r6", pattern: .term("Pak", variants: [], substring: false), label: "PERSON", number: 4)
    ]

    static let text = """
        Kim Jongyol called +82 10-1234-5678 on 2024-05-17 from Hoeryong.
        김종열 wrote to kim.j@example.com; Pak answered (02) 123-4567 on 5 May 2024.
        Nothing here.
        Pak and Kim Jongyol, 010-9876-5432, 2023년 3월 14일.
        """

    /// Every finding reads back with its rule's id and label, its line, its range and a
    /// replacement that is where the output has it; the counts, the ranges and a line shift agree
    /// with the findings read one by one.
    @Test func findingsReadBackAsTheyWereMade() throws {
        var redactor = try Redactor(rules: Self.rules)
        redactor.entityName = { "N" + String($0.utf8.count) }
        let result = redactor.redact(Self.text)
        let findings = Array(result.findings)
        #expect(findings.count == 13)
        #expect(spliced(Self.text, result) == result.text)
        let ids = Dictionary(uniqueKeysWithValues: Self.rules.map { ($0.id, $0.label) })
        let starts = [0] + Array(Self.text.utf8).enumerated().filter { $0.element == 0x0A }.map { $0.offset + 1 }
        for f in findings {
            #expect(ids[f.ruleID] == f.label)
            #expect(starts.lastIndex { $0 <= f.originalRange.lowerBound }! + 1 == f.line)
            #expect(!f.replacement.isEmpty)
        }
        #expect(findings.filter { $0.ruleID == "r2" }.allSatisfy { $0.replacement == "a border town" })
        #expect(findings.filter { $0.ruleID == "r6" }.allSatisfy { $0.replacement == "[PERSON-4]" })
        #expect(result.findings.originalRanges == findings.map(\.originalRange))
        #expect(result.findings.covered.ranges == RangeSet(findings.map(\.originalRange)).ranges)
        #expect(result.findings.countsByLabel == findings.reduce(into: [:]) { $0[$1.label, default: 0] += 1 })
        var shifted = result.findings
        shifted.shiftLines(by: 40)
        #expect(shifted.map(\.line) == findings.map { $0.line + 40 })
        #expect(Array(shifted).map(\.replacement) == findings.map(\.replacement))
    }

    /// The replacements are read from the output once it is made, and kept apart when the output
    /// is normalized (NFC moves its bytes): either way each finding's replacement is the one
    /// spliced in, and they are the ones the redaction chose.
    @Test func replacementsAreReadFromTheOutputOrKeptWhenItIsNormalized() throws {
        var redactor = try Redactor(rules: Self.rules)
        redactor.entityName = { "N" + String($0.utf8.count) }
        let composed = redactor.redact(Self.text)
        #expect(!composed.findings.replacementsHeldApart && composed.findings.replacementBlocks.isEmpty)
        #expect(spliced(Self.text, composed) == composed.text)
        // A decomposed é outside every finding: the output is normalized after it is made.
        let decomposed = Self.text + "Caf\u{65}\u{301}."
        let normalized = redactor.redact(decomposed)
        #expect(normalized.findings.replacementsHeldApart && !normalized.findings.replacementBlocks.isEmpty)
        #expect(spliced(decomposed, normalized).precomposedStringWithCanonicalMapping == normalized.text)
        #expect(Array(normalized.findings).map(\.replacement) == Array(composed.findings).map(\.replacement))
        // Replacements over many blocks, and one longer than a block (a block of its own).
        let long = String(repeating: "x", count: Findings.replacementBlockSize + 5)
        let many = try Redactor(rules: [.term("t1", "Hoeryong", label: .place, replacement: long), .detector("p", .phone)])
        let lines = (0..<6_000).map { "call 010-\(1000 + $0)-5678" + ($0 % 2_000 == 7 ? " from Hoeryong" : "") }
        let big = lines.joined(separator: "\n") + "\nCaf\u{65}\u{301}"
        let r = many.redact(big)
        // 6,000 phone placeholders (over a block of them) and 3 long ones, each a block of its own.
        #expect(r.findings.replacementsHeldApart && r.findings.replacementBlocks.count >= 5)
        #expect(r.findings.count == 6_003)
        #expect(spliced(big, r).precomposedStringWithCanonicalMapping == r.text)
        #expect(r.findings.filter { $0.ruleID == "t1" }.allSatisfy { $0.replacement == long })
    }

    /// ``SharedRegex/matches(in:)`` streams the matches (`enumerateMatches`); they are the ones the
    /// collecting `matches(in:options:range:)` gives, validated and refined the same way, for every
    /// built-in pattern, on text dense with what they look for and on random text.
    @Test func streamedMatchesAreTheCollectedOnes() {
        func collected(_ regex: SharedRegex, _ text: String) -> [Range<Int>] {
            var out: [Range<Int>] = []
            let ns = NSRange(text.startIndex..<text.endIndex, in: text)
            for m in regex.regex.matches(in: text, options: [], range: ns) where m.range.length > 0 {
                guard var r = Range(m.range, in: text) else { continue }
                if let validate = regex.validate, !validate(text[r]) { continue }
                if let refine = regex.refine {
                    guard let kept = refine(text[r]) else { continue }
                    r = kept.startIndex..<kept.endIndex
                }
                let lo = text.utf8.distance(from: text.utf8.startIndex, to: r.lowerBound)
                let hi = text.utf8.distance(from: text.utf8.startIndex, to: r.upperBound)
                if hi > lo { out.append(lo..<hi) }
            }
            return out
        }
        var rng = SeededGenerator(seed: 0x5EED)
        let pieces = [
            "+82 10-1234-5678", "010 1234 5678", "(02) 123-4567", "13800138000", "2024-05-17", "5 May 2024",
            "2023년 3월 14일", "2023年3月14日", "kim.j@example.com", "ｋｉｍ＠ｅｘａｍｐｌｅ．ｃｏｍ", "12 years old",
            "192.168.0.1", "fe80::1", "42.43, 129.75", "https://example.com/a", " ", "\n", "-", "1", "9", "@", "é", "김",
            "\u{200B}", "０", "."
        ]
        var texts = [CompactStorageTests.text, String(repeating: CompactStorageTests.text, count: 20)]
        for _ in 0..<40 {
            texts.append((0..<60).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined())
        }
        var compared = 0
        for detector in Detector.allCases {
            for regex in detector.patterns {
                for t in texts {
                    let streamed = regex.matches(in: t)
                    #expect(streamed == collected(regex, t))
                    compared += streamed.count
                }
            }
        }
        #expect(compared > 1000)
    }
}

/// A text no rule hides comes back as itself (its storage, not a copy of 2 MiB held beside it
/// through the export), and in NFC when it was not.
@Suite struct UnredactedTextTests {
    @Test func aTextNothingHidesIsTheOutputItself() throws {
        let redactor = try Redactor(rules: CompactStorageTests.rules)
        var input = String(repeating: "Nothing to hide on this line, café 회령.\n", count: 100)
        input.makeContiguousUTF8()
        var result = redactor.redact(input)
        #expect(result.findings.isEmpty)
        #expect(result.text.utf8.elementsEqual(input.utf8))
        let shared = input.withUTF8 { a in result.text.withUTF8 { b in a.baseAddress == b.baseAddress } }
        #expect(shared)
        let decomposed = "Nothing to hide, cafe\u{301} \u{1112}\u{116C}\u{1105}\u{1167}\u{11BC}.\n"
        let normalized = redactor.redact(decomposed)
        #expect(normalized.findings.isEmpty)
        #expect(normalized.text.utf8.elementsEqual(decomposed.precomposedStringWithCanonicalMapping.utf8))
        #expect(!normalized.text.utf8.elementsEqual(decomposed.utf8))
    }
}
