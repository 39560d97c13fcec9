import Foundation
import Testing

@testable import Redaction

/// The redactor and the leak check run the detector patterns in ``SuggestWindows``' windows, also
/// over views with the hidden spans blanked out as `[]]]…`: the same matches as a scan of the whole
/// text, whatever surrounds the anchors.
@Suite struct WindowedDetectorTests {
    /// Forms the narrower anchors must still find: case, the Kelvin sign and the long s (which
    /// case-fold to k and s), white space ICU's `\s` takes but a token does not end at, full-width
    /// and Arabic-Indic digits, units and ages in Hangul and Han.
    static let forms = [
        "12\u{0B}km", "12\u{85}kg", "5 \u{212A}m", "5\u{212A}M", "100\u{A0}%", "3\u{3000}people", "12 YEARS OLD",
        "12-Yr-Old", "12 yrs old", "AGED 12", "aged\u{A0}12", "in her EARLY 30S", "mid-30\u{17F}", "late '80ſ",
        "In Their TWENTIES", "MID TEENS", "１２ km", "١٢ km", "12\u{2009}세", "20 대 중반", "30多岁", "12歲", "12 周岁",
        "3 킬로미터", "5 미터", "100 원", "3 위안", "2 달러", "10 리", "5 km", "3 个月", "2 小时", "5 块", "1 美元", "10 里",
        "42.4 N, 129.9 W", "42 ° 25 ′ N", "42.43°, 129.75°", "-42.43,-129.75", "Kim Jong-Yol", "Ri'Chol", "Ō'Neil",
        "Émile-Zola", "kim.min@example.com", "[]]]]010-1234-5678", "010-1234-5678[]]]", "[]]]12 km", "12[]]]] km",
        "[]]] 5 May 2024", "May 2024[]]]", "+86[]]]138 0013 8000", "[]]]@example.com", "a[]]]@b.co.kr", "3 uſd",
        "12 m.", "12m", "4 Hours", "2 Weeks", "10 Percent", "3 MEN", "5 Children", "1 Lb", "2 lbs", "7 CNY", "9 rmb",
        "1,000 USD", "12 May", "12 call", "3 mi", "5 Me", "8 Kilometres", "6\u{212A}G", "2 DOLLARS", "9 yuan"
    ]

    static func text(_ seed: Int) -> String {
        var rng = SeededGenerator(seed: UInt64(seed) &* 1_013)
        var out = SuggestWindowTests.text(seed)
        for _ in 0..<Int.random(in: 1..<12, using: &rng) {
            let piece = Self.forms.randomElement(using: &rng)!
            let glue = ["", " ", "\n", "[]]]", "x", "\u{A0}"].randomElement(using: &rng)!
            out += glue + piece + [" ", "", ", ", "]"].randomElement(using: &rng)!
        }
        return out
    }

    @Test func windowsFindWhatTheWholeTextScanFinds() {
        var compared = 0
        for seed in 0..<300 {
            let text = Self.text(seed)
            let bytes = Array(text.utf8)
            var scan = SuggestWindows.Scan(bytes)
            var tight = SuggestWindows.Scan(bytes)
            for (name, regex) in SuggestWindowTests.patterns {
                let want = regex.matches(in: text)
                let got = SuggestWindows.matches(regex, in: text, bytes: bytes, scan: &scan)
                #expect(got == want, "\(name) in \(text.debugDescription)")
                let windowed = SuggestWindows.matches(
                    regex, in: text, bytes: bytes, scan: &tight, alwaysWindows: true, gap: 0)
                #expect(windowed == want, "\(name) (windows only) in \(text.debugDescription)")
                compared += want.count
            }
        }
        #expect(compared > 2_000)
    }

    /// The redactor's detector rules find in a text what they find when every pattern scans the
    /// whole of it (and in every later round).
    @Test func redactorFindsWhatWholeScansFind() throws {
        let rules: [RedactionRule] = [
            .detector("p", .phone), .detector("e", .email), .detector("d", .date), .detector("a", .age),
            .term("n", "Jongyol")
        ]
        let redactor = try Redactor(rules: rules)
        var hidden = 0
        for seed in 0..<150 {
            let text = Self.text(seed) + " Jongyol+8613800138000 5 Jongyol May 2024"
            let bytes = Array(text.utf8)
            let got = redactor.mergedSpans(text: text, bytes: bytes).map { [$0.lo, $0.hi, $0.rule] }
            let want = Self.wholeScanSpans(redactor, text: text, bytes: bytes).map { [$0.lo, $0.hi, $0.rule] }
            #expect(got == want, "\(text.debugDescription)")
            hidden += got.count
        }
        #expect(hidden > 500)
    }

    /// Text dense with numbers, dates and addresses (the export bench's adversarial row), with
    /// names glued to them, Unicode digits and chains that only later rounds find, over 64 KiB so
    /// that the patterns run on two threads: the redactor's spans are the whole-scan reference's,
    /// whose set of every match seen is what ``Redactor/unseen(_:in:)`` replaced.
    @Test func denseTextSpansMatchTheReference() throws {
        let rules: [RedactionRule] = [
            .detector("p", .phone), .detector("e", .email), .detector("d", .date), .term("n", "Jongyol"),
            .term("k", "이종열")
        ]
        let redactor = try Redactor(rules: rules)
        var rng = SeededGenerator(seed: 0xD1CE)
        func digits(_ n: Int) -> String { String((0..<n).map { _ in "0123456789".randomElement(using: &rng)! }) }
        let glue = ["", " ", "Jongyol", "이종열", "\u{212A}", "ſ", "\u{0301}", "\n", "[]]]", "x"]
        var text = ""
        while text.utf8.count < 80_000 {
            let y = Int.random(in: 1990...2024, using: &rng), m = Int.random(in: 1...12, using: &rng)
            let d = Int.random(in: 1...28, using: &rng)
            let pieces = [
                "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)", "+82 10-\(digits(4))-\(digits(4))",
                "010-\(digits(4))-\(digits(4))", "138\(digits(8))", "(02) \(digits(3))-\(digits(4))",
                "kim.min\(digits(2))@example.com", "\(d) May \(y)", "\(m)/\(d)/\(y % 100)", "\(y)년 \(m)월 \(d)일",
                "\(y)年\(m)月\(d)日", "０１０-\(digits(4))-\(digits(4))", "+86\(digits(3))\(digits(4))\(digits(4))"
            ]
            text += pieces.randomElement(using: &rng)! + glue.randomElement(using: &rng)!
            text += [" ", ", ", "; ", "\n", ""].randomElement(using: &rng)!
        }
        let bytes = Array(text.utf8)
        let got = redactor.mergedSpans(text: text, bytes: bytes).map { [$0.lo, $0.hi, $0.rule] }
        let want = Self.wholeScanSpans(redactor, text: text, bytes: bytes).map { [$0.lo, $0.hi, $0.rule] }
        #expect(got == want)
        #expect(got.count > 4_000)
    }

    /// ``Redactor/uniqued(_:)`` and ``Redactor/unseen(_:in:)`` against a set of (lo, hi, rule), on
    /// random spans with many repeats.
    @Test func unseenSpansAreWhatASetLetsThrough() {
        var rng = SeededGenerator(seed: 77)
        struct Key: Hashable { var lo, hi, rule: Int }
        func random(_ n: Int) -> [Span] {
            (0..<n).map { _ in
                let lo = Int.random(in: 0..<60, using: &rng)
                return Span(lo: lo, hi: lo + Int.random(in: 1..<4, using: &rng), rule: Int.random(in: 0..<3, using: &rng))
            }
        }
        var checked = 0
        for _ in 0..<300 {
            let known = random(Int.random(in: 0..<80, using: &rng)).sorted(by: Span.inMergeOrder)
            let found = random(Int.random(in: 0..<80, using: &rng))
            let seen = Set(known.map { Key(lo: $0.lo, hi: $0.hi, rule: $0.rule) })
            var once = Set<Key>()
            let want = found.map { Key(lo: $0.lo, hi: $0.hi, rule: $0.rule) }
                .filter { !seen.contains($0) && once.insert($0).inserted }
                .sorted { ($0.lo, $0.hi, $0.rule) < ($1.lo, $1.hi, $1.rule) }
            let got = Redactor.unseen(Redactor.uniqued(found), in: known).map { Key(lo: $0.lo, hi: $0.hi, rule: $0.rule) }
            #expect(got == want)
            checked += want.count
        }
        #expect(checked > 1_000)
    }

    /// ``Redactor/spans(text:bytes:keepFirstPass:)`` as it was written before windows: every pattern
    /// over the whole of each view.
    static func wholeScanSpans(_ r: Redactor, text: String, bytes: [UInt8]) -> [Span] {
        var seen = Set<RegexMatch>()
        func whole(_ view: String) -> [Span] {
            var out: [Span] = []
            for (rule, regex) in r.regexRules {
                for m in regex.matches(in: view)
                where seen.insert(RegexMatch(lo: m.lowerBound, hi: m.upperBound, rule: rule)).inserted {
                    out.append(Span(lo: m.lowerBound, hi: m.upperBound, rule: rule))
                }
            }
            return out
        }
        var raw: [Span] = []
        let found = r.terms.spans(in: bytes, phones: r.phones)
        for h in found.terms { raw.append(Span(lo: h.lo, hi: h.hi, rule: h.rule)) }
        for h in found.phones { raw.append(Span(lo: h.lo, hi: h.hi, rule: h.rule)) }
        raw += whole(text)
        var merged = r.merge(raw, bytes: bytes)
        func blanked(_ spans: [Span]) -> String {
            var shadow = bytes
            for m in spans where m.lo < m.hi {
                shadow[m.lo] = 0x5B
                for k in (m.lo + 1)..<m.hi { shadow[k] = 0x5D }
            }
            return String(decoding: shadow, as: UTF8.self)
        }
        for _ in 0..<64 where !merged.isEmpty {
            var more = whole(blanked(merged))
            let terms = merged.filter { r.isTerm[$0.rule] }
            if !terms.isEmpty && terms.count < merged.count { more += whole(blanked(terms)) }
            guard !more.isEmpty else { break }
            raw += more
            merged = r.merge(raw, bytes: bytes)
        }
        return merged
    }

    /// The leak check's cleaned copy (NFKC, no default-ignorables) with its fast path: as the
    /// property says, scalar by scalar.
    @Test func cleanedCopyDropsExactlyTheDefaultIgnorables() {
        let pieces = [
            "plain ASCII", "이종열", "李钟烈", "\u{200B}", "\u{00AD}", "\u{2060}", "\u{FEFF}", "\u{180E}", "\u{115F}",
            "\u{3164}", "\u{FFA0}", "\u{E0041}", "\u{FE0F}", "\u{034F}", "ｆｕｌｌ", "①", "ﬁ", "e\u{301}", "\u{1100}\u{1161}",
            "\n", "\u{2028}", "\u{17B4}", "\u{1D173}", "Ⅻ", "\u{FDFA}",
            // (The edges of the ranges the cleaned copy's shortcut passes over.)
            "\u{AC00}", "\u{D7A3}", "\u{D7A4}", "\u{4DFF}", "\u{4E00}", "\u{9FFF}", "\u{A000}", "\u{F900}", "𝐀", "’"
        ]
        var rng = SeededGenerator(seed: 4_242)
        var changed = 0
        var plain = 0
        for round in 0..<400 {
            // (A quarter of the texts from the pieces that need no cleaning only.)
            let from = round % 4 == 0 ? Array(pieces[0..<3]) + ["\n"] : pieces
            let text = (0..<Int.random(in: 1..<10, using: &rng)).map { _ in from.randomElement(using: &rng)! }
                .joined()
            var want = String.UnicodeScalarView()
            for s in text.precomposedStringWithCompatibilityMapping.unicodeScalars
            where !s.properties.isDefaultIgnorableCodePoint || s.value == 0x0A {
                want.append(s)
            }
            let cleaned = LeakChecker.cleaned(text)
            #expect(cleaned.unicodeScalars.elementsEqual(want), "\(text.debugDescription)")
            if cleaned != text { changed += 1 }
            // The leak check asks the bytes whether a text is its own cleaned copy before it makes
            // the text a string: never yes for a text cleaning changes.
            let own = LeakChecker.isOwnCleanedCopy(Array(text.utf8))
            #expect(own == text.unicodeScalars.allSatisfy(LeakChecker.isPlain), "\(text.debugDescription)")
            if own {
                // (Against the reference, not `cleaned`: which takes the same shortcut.)
                #expect(text.unicodeScalars.elementsEqual(want), "\(text.debugDescription)")
                plain += 1
            }
        }
        #expect(changed > 100)
        #expect(plain > 80)
    }

    /// ``Redactor/merge(sorted:bytes:)`` as it was written before it was streamed
    /// (``Redactor/forEachMerged(sorted:bytes:_:)``): the oracle its spans are compared with.
    static func referenceMerge(_ spans: [Span], bytes: [UInt8]) -> [Span] {
        guard !spans.isEmpty else { return [] }
        var merged: [Span] = []
        for s in spans {
            if let last = merged.last, s.lo < last.hi {
                var m = last
                m.hi = max(m.hi, s.hi)
                let length = s.hi - s.lo, winnerLength = m.matchHi - m.matchLo
                if length > winnerLength || (length == winnerLength && s.rule < m.rule) {
                    m.rule = s.rule
                    m.matchLo = s.matchLo
                    m.matchHi = s.matchHi
                }
                merged[merged.count - 1] = m
            } else {
                merged.append(s)
            }
        }
        var count = 0
        var floor = 0
        for k in merged.indices {
            var span = merged[k]
            if count > 0, span.lo < merged[count - 1].hi {
                let last = merged[count - 1]
                let r = TextSupport.snapToGraphemes(bytes, last.hi, max(span.hi, last.hi), floor: last.hi)
                merged[count - 1].hi = max(last.hi, r.upperBound)
                floor = merged[count - 1].hi
                continue
            }
            let r = TextSupport.snapToGraphemes(bytes, span.lo, span.hi, floor: floor)
            span.lo = r.lowerBound
            span.hi = r.upperBound
            if count > 0, span.lo < merged[count - 1].hi {
                merged[count - 1].hi = max(merged[count - 1].hi, span.hi)
            } else {
                merged[count] = span
                count += 1
            }
            floor = merged[count - 1].hi
        }
        merged.removeLast(merged.count - count)
        return merged
    }

    /// The streamed merge gives the spans the array-based one gave, on random overlapping,
    /// nested, touching and empty matches over text whose clusters span several scalars (so that
    /// widening joins spans).
    @Test func streamedMergeIsTheArrayMerge() throws {
        let redactor = try Redactor(rules: [.term("a", "x"), .term("b", "y"), .term("c", "z")])
        let pieces = ["a", "é", "e\u{301}", "🇰🇷", "👩‍👩‍👧", "가", "\u{1100}\u{1161}\u{11A8}", " ", "\n", "\r\n"]
        var rng = SeededGenerator(seed: 0x5EED)
        var compared = 0
        var joined = 0
        for _ in 0..<400 {
            let text = (0..<Int.random(in: 1..<30, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let bytes = Array(text.utf8)
            // Matches start and end on scalars, as the patterns' do.
            let starts = bytes.indices.filter { bytes[$0] & 0xC0 != 0x80 } + [bytes.count]
            let spans = (0..<Int.random(in: 0..<12, using: &rng)).map { _ -> Span in
                let a = Int.random(in: 0..<starts.count - 1, using: &rng)
                let b = min(starts.count - 1, a + Int.random(in: 0..<5, using: &rng))
                return Span(lo: starts[a], hi: starts[b], rule: Int.random(in: 0..<3, using: &rng))
            }.sorted(by: Span.inMergeOrder)
            let want = Self.referenceMerge(spans, bytes: bytes).map { [$0.lo, $0.hi, $0.rule, $0.matchLo, $0.matchHi] }
            let got = redactor.merge(sorted: spans, bytes: bytes).map { [$0.lo, $0.hi, $0.rule, $0.matchLo, $0.matchHi] }
            #expect(got == want, "\(text.debugDescription) \(spans.map { [$0.lo, $0.hi, $0.rule] })")
            compared += want.count
            if want.count < Set(spans.map(\.lo)).count { joined += 1 }
        }
        #expect(compared > 1_000)
        #expect(joined > 100)
    }
}
