import Foundation
import Testing

@testable import Redaction

@Suite struct SuggestTests {
    static let text = """
        In Musan County we met Kim Jong-yol and his wife.
        The broker Pak Chol-min took 3 people across, 12 km at night.
        이종열은 박명수씨와 함께 왔다. 30명이 강을 건넜다.
        王小明说李钟烈走了5公里。
        Call +82 10-1234-5678 on 2024-03-05.
        """

    @Test func findsNameLikePhrasesInAllScripts() {
        let s = suggest(Self.text, rules: [])
        let texts = s.map(\.text)
        #expect(texts.contains("Musan County"))
        #expect(texts.contains("Kim Jong-yol"))
        #expect(texts.contains("Pak Chol-min"))
        #expect(texts.contains("이종열"))
        #expect(texts.contains("박명수"))
        #expect(texts.contains("王小明"))
        #expect(texts.contains("李钟烈"))
        #expect(!texts.contains("The"))
        #expect(!texts.contains { $0.hasPrefix("In ") })
        #expect(s.first { $0.text == "박명수" }?.kind == .hangulName)
        #expect(s.first { $0.text == "王小明" }?.kind == .chineseName)
        #expect(s.first { $0.text == "이종열" }?.line == 3)
    }

    @Test func findsNumbersWithUnitsAndDetectorHits() {
        let s = suggest(Self.text, rules: [])
        let texts = s.map(\.text)
        #expect(texts.contains("3 people"))
        #expect(texts.contains("12 km"))
        #expect(texts.contains("30명"))
        #expect(texts.contains("5公里"))
        #expect(s.contains { $0.kind == .detector && $0.detector == .phone && $0.text == "+82 10-1234-5678" })
        #expect(s.contains { $0.kind == .detector && $0.detector == .date && $0.text == "2024-03-05" })
    }

    @Test func leavesOutWhatRulesAlreadyCover() {
        let rules: [RedactionRule] = [
            .term("a", "Kim Jong-yol", variants: ["이종열", "李钟烈"]),
            .term("b", "Musan County", label: .place), .detector("p", .phone)
        ]
        let texts = suggest(Self.text, rules: rules).map(\.text)
        #expect(!texts.contains("Kim Jong-yol"))
        #expect(!texts.contains("Musan County"))
        #expect(!texts.contains("이종열"))
        #expect(!texts.contains("李钟烈"))
        #expect(!texts.contains("+82 10-1234-5678"))
        #expect(texts.contains("박명수"))
        #expect(texts.contains("Pak Chol-min"))
    }

    @Test func ordinaryWordsAreNotSuggested() {
        let texts = suggest("The river was cold. 이것은 정말 한국 이야기이다. 我们在这里。", rules: []).map(\.text)
        #expect(texts.isEmpty, "\(texts)")
    }
}

/// The export's summary reuses its own redaction and scans for Hangul and Han runs by bytes: the
/// same suggestions as `suggest` with the rules, and the same runs as the regular expressions.
@Suite struct SuggestSharingTests {
    static let rules: [RedactionRule] = [
        .term("a", "Kim Jong-yol", variants: ["이종열", "李钟烈"]), .term("b", "Musan County", label: .place),
        .detector("p", .phone), .detector("d", .date), .term("c", "Pak", substring: true)
    ]
    static let pieces = [
        "Kim Jong-yol", "Musan County", "Pak Chol-min", "이종열은", "박명수씨와", "함께", "왔다.",
        "王小明说", "李钟烈", "走了5公里。", "+82 10-1234-5678", "2024-03-05", "12 km", "30명",
        " ", " ", "\n", "The", "river", "가나다라마바사아자차카", "一二三四", "김", "李", "é", "Ri",
        "Kimchi", "5 May 2024", "010-9999-8888", "Jong\u{200B}yol"
    ]

    static func text(_ seed: Int) -> String {
        var rng = SeededGenerator(seed: UInt64(seed) &* 31)
        return (0..<Int.random(in: 0..<40, using: &rng)).map { _ in Self.pieces.randomElement(using: &rng)! }
            .joined(separator: Bool.random(using: &rng) ? " " : "")
    }

    /// The candidate filter as first written (a set of the ranges seen), to check the one that
    /// compares neighbours.
    static func referenceFilter(_ raw: [Suggester.Candidate], text: String, covered: RangeSet) -> [Suggestion] {
        let bytes = Array(text.utf8)
        var seen = Set<Range<Int>>()
        var out: [Suggestion] = []
        for s in raw where !covered.overlaps(s.range) && seen.insert(s.range).inserted {
            if let last = out.last, last.kind == s.kind, last.originalRange.contains(s.range.lowerBound),
                s.range.upperBound <= last.originalRange.upperBound
            {
                continue
            }
            let line = 1 + bytes[..<s.range.lowerBound].filter { $0 == 0x0A }.count
            out.append(
                Suggestion(
                    text: String(decoding: bytes[s.range], as: UTF8.self), kind: s.kind, detector: s.detector,
                    suggestedLabel: s.label, line: line, originalRange: s.range))
        }
        return out
    }

    @Test func sameAsWithTheRules() throws {
        let redactor = try Redactor(rules: Self.rules)
        for seed in 0..<150 {
            let text = Self.text(seed)
            let findings = redactor.redact(text).findings
            let shared = suggest(text, redactedAs: findings, rules: Self.rules)
            // Found before the redaction (the export's order): the same.
            let pending = PendingSuggestions(text, rules: Self.rules)
            #expect(pending.covered(by: findings, in: text) == shared)
            // The export's summary: the same lines, without making the suggestions.
            #expect(pending.uncoveredLines(by: findings) == shared.map(\.line), "\(text.debugDescription)")
            // One per range, nested same-kind detector hits left out: as a set of the ranges seen did.
            #expect(shared == Self.referenceFilter(pending.candidates, text: text, covered: findings.covered))
            // All but the other Korean spelling of a rule's name (advice about a form already hidden).
            let withRules = suggest(text, rules: Self.rules)
            #expect(shared == withRules.filter { $0.kind != .otherSpelling }, "\(text.debugDescription)")
            // The detectors the rules turn on are not run again: what they would suggest is covered.
            let everyDetector = Suggester.run(text, bytes: Array(text.utf8), covered: RangeSet(findings.map(\.originalRange)))
            #expect(shared == everyDetector, "\(text.debugDescription)")
        }
    }

    /// Hangul name-like words by bytes (particles looked up by their last syllable, common words by
    /// a number): what the first byte-scan version found with strings.
    @Test func hangulNamesAreWhatStringsFind() {
        func reference(_ bytes: [UInt8]) -> [Range<Int>] {
            var out: [Range<Int>] = []
            for r in Suggester.hangulRuns(bytes) {
                var length = r.count
                for p in Suggester.particleBytes
                where length > p.count + 3 && bytes[(r.upperBound - p.count)..<r.upperBound].elementsEqual(p) {
                    length -= p.count
                    break
                }
                let word = String(decoding: bytes[r.lowerBound..<(r.lowerBound + length)], as: UTF8.self)
                guard (6...12).contains(length),
                    Suggester.hangulSurnameScalars.contains(TextSupport.scalar(bytes, at: r.lowerBound)),
                    !Suggester.hangulCommon.contains(word)
                else { continue }
                out.append(r.lowerBound..<(r.lowerBound + length))
            }
            return out
        }
        let words = Array(Suggester.hangulCommon) + Suggester.particles + ["이종열", "박명수", "김", "강", "오빠", "가나다라"]
        var found = 0
        for seed in 0..<300 {
            var rng = SeededGenerator(seed: UInt64(seed) &* 97)
            let text = (0..<Int.random(in: 0..<40, using: &rng)).map { _ in
                words.randomElement(using: &rng)! + (Bool.random(using: &rng) ? words.randomElement(using: &rng)! : "")
            }.joined(separator: Bool.random(using: &rng) ? " " : ".")
            let bytes = Array(text.utf8)
            let want = reference(bytes)
            #expect(Suggester.hangulNames(bytes) == want, "\(text)")
            found += want.count
        }
        #expect(found > 300)
    }

    @Test func runsAreWhatTheRegularExpressionsFind() throws {
        let hangul = try NSRegularExpression(pattern: #"[\uAC00-\uD7A3]{2,8}"#)
        let han = try NSRegularExpression(pattern: #"[\u4E00-\u9FFF]{2,}"#)
        func matches(_ r: NSRegularExpression, _ s: String) -> [Range<Int>] {
            r.matches(in: s, range: NSRange(s.startIndex..., in: s)).map {
                let range = Range($0.range, in: s)!
                return s.utf8.distance(
                    from: s.startIndex, to: range.lowerBound)..<s.utf8.distance(from: s.startIndex, to: range.upperBound)
            }
        }
        for seed in 0..<150 {
            let text = Self.text(seed)
            #expect(Suggester.hangulRuns(Array(text.utf8)) == matches(hangul, text), "\(text.debugDescription)")
            #expect(Suggester.hanRuns(Array(text.utf8)) == matches(han, text), "\(text.debugDescription)")
            // The runs `suggest` keeps: those whose first syllable is a surname's, and the same names.
            let bytes = Array(text.utf8)
            let all = Suggester.scriptRuns(bytes), kept = Suggester.scriptRuns(bytes, surnamesFirst: true)
            #expect(kept.han == all.han)
            #expect(
                kept.hangul
                    == all.hangul.filter {
                        Suggester.hangulSurnameFlags[Int(TextSupport.scalar(bytes, at: $0.lowerBound) - 0xAC00)]
                    })
            #expect(Suggester.hangulNames(bytes, runs: kept.hangul) == Suggester.hangulNames(bytes, runs: all.hangul))
        }
    }
}
