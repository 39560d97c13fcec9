import Foundation
import Testing

@testable import Redaction

/// The patterns run through ICU's C API (``ICURegex``, on UTF-16 made once, ``UTF16Text``) find
/// exactly what `NSRegularExpression` (the same engine, through Foundation) finds: the same ranges
/// over the whole text and inside regions with transparent bounds, on text with every width of
/// UTF-8 and surrogate pairs at the unit offsets the offset table samples.
@Suite struct ICURegexTests {
    /// NSRegularExpression's matches in `range` as UTF-8 ranges (empty ones left out), the peer.
    static func reference(
        _ regex: NSRegularExpression, _ text: String, _ range: NSRange, _ options: NSRegularExpression.MatchingOptions
    ) -> [Range<Int>] {
        var out: [Range<Int>] = []
        regex.enumerateMatches(in: text, options: options, range: range) { m, _, _ in
            guard let m, m.range.length > 0, let r = Range(m.range, in: text) else { return }
            let utf8 = text.utf8
            out.append(
                utf8.distance(from: utf8.startIndex, to: r.lowerBound)..<utf8.distance(from: utf8.startIndex, to: r.upperBound))
        }
        return out
    }

    /// The same through ``SharedRegex`` with validation and refinement left out (raw matches).
    static func engine(
        _ regex: NSRegularExpression, _ text: String, _ region: Range<Int>, _ options: NSRegularExpression.MatchingOptions
    ) -> [Range<Int>] {
        let shared = SharedRegex(regex)
        var out: [Range<Int>] = []
        let t = RegexText(text)
        shared.engine.forEachMatch(
            in: t.utf16, region: region, transparentBounds: options.contains(.withTransparentBounds),
            anchoringBounds: !options.contains(.withoutAnchoringBounds)
        ) { m in
            out.append(t.utf16.utf8Offset(m.lowerBound)..<t.utf16.utf8Offset(m.upperBound))
            return true
        }
        return out
    }

    /// Texts with ASCII, 2-, 3- and 4-byte UTF-8 (emoji and a supplementary ideograph, two UTF-16
    /// units each) mixed with what the detectors look for.
    static func text(_ seed: Int) -> String {
        var rng = SeededGenerator(seed: UInt64(seed) &* 31_337)
        let wide = ["😀", "𠀋", "é", "이종열", "李", "\u{FEFF}", "\u{202E}", " ", "\n", "x", "Ω"]
        var out = WindowedDetectorTests.text(seed)
        var k = out.startIndex
        for _ in 0..<Int.random(in: 5..<40, using: &rng) {
            let offset = Int.random(in: 0...out.count, using: &rng)
            k = out.index(out.startIndex, offsetBy: offset)
            out.insert(contentsOf: wide.randomElement(using: &rng)!, at: k)
        }
        return out
    }

    @Test func everyUnitMapsToTheOffsetOfItsScalar() {
        for seed in 0..<200 {
            let text = Self.text(seed) + String(repeating: "😀", count: seed % 40)
            let t = UTF16Text(text)
            #expect(t.units == Array(text.utf16))
            var expected: [Int] = []
            var offset = 0
            for s in text.unicodeScalars {
                let units = s.value >= 0x10000 ? 2 : 1
                for _ in 0..<units { expected.append(offset) }
                offset += String(s).utf8.count
            }
            expected.append(offset)
            let got = (0...t.count).map { t.utf8Offset($0) }
            #expect(got == expected, "seed \(seed)")
        }
    }

    @Test func theEngineFindsWhatNSRegularExpressionFinds() throws {
        var compared = 0
        let extra = try [
            NSRegularExpression(pattern: #"^\w+|\w+$"#, options: [.anchorsMatchLines]),
            NSRegularExpression(pattern: #"(?<=😀)\p{L}+|\b\d+\b"#, options: []),
            NSRegularExpression(pattern: #"kim|LEE"#, options: [.caseInsensitive])
        ]
        let patterns = SuggestWindowTests.patterns.map(\.1.regex) + extra
        for seed in 0..<120 {
            let text = Self.text(seed)
            let length = text.utf16.count
            var rng = SeededGenerator(seed: UInt64(seed) &* 977)
            // Region edges between scalars (never inside a surrogate pair), as the callers' are.
            let edges = [0] + text.unicodeScalars.indices.dropFirst().map { $0.utf16Offset(in: text) } + [length]
            let a = edges.randomElement(using: &rng)!
            let b = edges.filter { $0 >= a }.randomElement(using: &rng)!
            for regex in patterns {
                let whole = Self.reference(regex, text, NSRange(location: 0, length: length), [])
                #expect(Self.engine(regex, text, 0..<length, []) == whole, "\(regex.pattern) in \(text.debugDescription)")
                for options: NSRegularExpression.MatchingOptions in [
                    [], [.withTransparentBounds, .withoutAnchoringBounds], [.withTransparentBounds], [.withoutAnchoringBounds]
                ] {
                    let want = Self.reference(regex, text, NSRange(location: a, length: b - a), options)
                    let got = Self.engine(regex, text, a..<b, options)
                    #expect(got == want, "\(regex.pattern) in \(a)..<\(b) \(options) of \(text.debugDescription)")
                }
                compared += whole.count
            }
        }
        #expect(compared > 5_000)
    }

    /// The validated and refined matches ``SharedRegex`` reports are those of the patterns' checks
    /// applied to `NSRegularExpression`'s matches.
    @Test func checkedMatchesAreTheReferenceMatchesChecked() {
        for seed in 0..<120 {
            let text = Self.text(seed)
            for (name, shared) in SuggestWindowTests.patterns where shared.validate != nil || shared.refine != nil {
                var want: [Range<Int>] = []
                let utf8 = text.utf8
                for r in Self.reference(shared.regex, text, NSRange(location: 0, length: text.utf16.count), []) {
                    let raw =
                        utf8.index(utf8.startIndex, offsetBy: r.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: r.upperBound)
                    if let validate = shared.validate, !validate(text[raw]) { continue }
                    var part = raw
                    if let refine = shared.refine {
                        guard let kept = refine(text[raw]) else { continue }
                        part = kept.startIndex..<kept.endIndex
                    }
                    let lo = utf8.distance(from: utf8.startIndex, to: part.lowerBound)
                    let hi = utf8.distance(from: utf8.startIndex, to: part.upperBound)
                    if hi > lo { want.append(lo..<hi) }
                }
                #expect(shared.matches(in: text) == want, "\(name) in \(text.debugDescription)")
            }
        }
    }

    /// A search the engine gives up on (here its time limit; a backtracking stack overflow alike)
    /// is counted, and the redactor names the rule whose pattern it was: `export` refuses it
    /// rather than take the matches before it for all of them. A rule it did not give up on is
    /// not named.
    @Test func aSearchTheEngineGivesUpOnIsCountedAndNamed() throws {
        let redactor = try Redactor(rules: [
            RedactionRule(id: "code", pattern: .regex("(a+)+c"), label: "ID"),
            RedactionRule(id: "word", pattern: .regex("wrote"), label: "ID"), .term("t", "Jongyol")
        ])
        let text = "Jongyol wrote " + String(repeating: "a", count: 40) + " b, then c"
        let before = redactor.patternFailures()
        #expect(redactor.rulesGivenUp(since: before).isEmpty)
        let engine = try #require(redactor.regexRules.first { redactor.rules[$0.rule].id == "code" }).regex.engine
        engine.timeLimit = 2
        _ = redactor.redact(text)
        #expect(engine.failures > before[0])
        #expect(redactor.rulesGivenUp(since: before) == ["code"])
        // Without the limit the same pattern finds its matches, and nothing new
        // gives up.
        engine.timeLimit = 0
        let after = redactor.patternFailures()
        #expect(
            try #require(redactor.regexRules.first { redactor.rules[$0.rule].id == "code" }).regex.matches(in: "x aaac") == [
                2..<6
            ])
        #expect(redactor.rulesGivenUp(since: after).isEmpty)
    }

    /// Matchers are cloned per thread: many threads matching one pattern at once get each
    /// their own matches.
    @Test func threadsShareAPattern() {
        let regex = DetectorPatterns.table[.phone]![2]
        let texts = (0..<64).map { "call 010-\(1000 + $0)-5678 or 02-123-\(4000 + $0) " + String(repeating: "x ", count: $0) }
        let want = texts.map { regex.matches(in: $0) }
        let got = concurrentMap(texts.count, workers: 8, state: { () }) { k, _ in regex.matches(in: texts[k]) }
        #expect(got == want)
        #expect(want.allSatisfy { $0.count == 2 })
    }
}
