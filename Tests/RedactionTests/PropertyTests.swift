import Foundation
import Testing

@testable import Redaction

/// Randomized adversarial texts (seeded, reproducible): the four properties of issue 3.
@Suite struct PropertyTests {
    static let rules: [RedactionRule] = [
        .term("a", "Jong-yol", variants: ["이종열", "李钟烈"]),
        .term("b", "Hoeryŏng", variants: ["회령", "会宁"], label: .place),
        .term("c", "Ri Sol-ju", variants: ["리설주"]),
        .term("d", "Musan County", variants: ["무산군"], label: .place, replacement: "a border county"),
        .term("e", "Kim"),
        .detector("f", .phone)
    ]

    static let filler = [
        "River", "Kimchi", "the", "crossed", "at night", "강을", "건넜다", "그는", "我们", "过了河",
        "Rice", "\n", "—", "«", "»", "**", "said:", "Zürich", "ﬁsh", "👩‍👩‍👧", "e\u{301}", "1998"
    ]

    /// A detector match that only exists once a neighbouring term is hidden ("+86138001" glued to a
    /// name is no phone number until the name becomes "[PERSON-1]") is found in the first pass:
    /// redacting is idempotent and the digits never survive (found by fuzzing).
    @Test func detectorMatchesNextToRedactedTermsAreFoundFirstTime() throws {
        let redactor = try Redactor(rules: Self.rules + [.detector("g", .date), .detector("h", .email)])
        for text in [
            "+86138001JONGYOL", "call +86138001Jong-yol now", "Kim+8613800138000", "이종열+82 10 1234 5678이종열",
            "+86138001JONGYOL and +86 138 0013 8000",
            // A chain: each number is a phone only once the one before it is hidden.
            "JONGYOL" + String(repeating: "+8613800138000", count: 6),
            // The span replaced is the whole grapheme cluster (a trailing jamo included).
            "이종열\u{11A8}5 May 2024", "이종열\u{11A8}5 May", "Kim\u{301}1998-03-01"
        ] {
            let once = redactor.redact(text)
            #expect(redactor.redact(once.text).text == once.text, "\(text)")
            #expect(
                !once.text.contains("138001") && !once.text.contains("1234") && !once.text.contains("May")
                    && !once.text.contains("1998") && !once.text.contains("5 "), "\(text) -> \(once.text)")
        }
    }

    /// An adversarial spelling of `term` that the redactor must catch.
    static func variant(_ term: String, _ rng: inout SeededGenerator) -> String {
        let separators = [" ", "-", "", "–", "—", "\u{00A0}", "-\n", "\n", "\u{200B}", "\u{2011}", "  \r\n "]
        var out = ""
        for ch in term {
            if ch == "-" || ch == " " {
                out += separators.randomElement(using: &rng)!
                continue
            }
            var piece = String(ch)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: piece = piece.uppercased()
            case 1: piece = piece.lowercased()
            case 2:  // full-width for ASCII letters
                if let s = piece.unicodeScalars.first, s.isASCII, s.properties.isAlphabetic,
                    let wide = Unicode.Scalar(s.value + 0xFEE0)
                {
                    piece = String(wide)
                }
            case 3: piece = piece.decomposedStringWithCanonicalMapping
            default: break
            }
            out += piece
            if Bool.random(using: &rng) && Int.random(in: 0..<4, using: &rng) == 0 {
                out += ["\u{200B}", "\u{00AD}", "\u{200D}", "\u{2060}", "\u{202A}"].randomElement(using: &rng)!
            }
        }
        switch Int.random(in: 0..<6, using: &rng) {
        case 0 where term.unicodeScalars.first?.isASCII == true: out += ["'s", "’s"].randomElement(using: &rng)!
        case 1: out = "**" + out + "**"
        case 2: out = "\"" + out + ",\""
        case 3: out = "#" + out
        default: break
        }
        return out
    }

    static func document(seed: UInt64) -> String {
        var rng = SeededGenerator(seed: seed)
        let terms = ["Jong-yol", "이종열", "李钟烈", "Hoeryŏng", "회령", "会宁", "Ri Sol-ju", "리설주", "Musan County", "무산군", "Kim"]
        var parts: [String] = []
        for _ in 0..<40 {
            if Int.random(in: 0..<3, using: &rng) == 0 {
                parts.append(variant(terms.randomElement(using: &rng)!, &rng))
            } else {
                parts.append(filler.randomElement(using: &rng)!)
            }
            if Int.random(in: 0..<10, using: &rng) == 0 {
                parts.append("+82 10-\(Int.random(in: 1000...9999, using: &rng))-5678")
            }
        }
        return parts.joined(separator: " ")
    }

    @Test(arguments: 0..<200)
    func properties(seed: Int) throws {
        let redactor = try Redactor(rules: Self.rules)
        let checker = try LeakChecker(rules: Self.rules)
        let original = Self.document(seed: UInt64(seed))
        let once = redactor.redact(original)

        // Redacting twice changes nothing.
        #expect(redactor.redact(once.text).text == once.text)
        // Re-scanning finds no rule term (exact or with separators removed).
        let leaks = checker.check(once.text).filter { $0.kind == .exact || $0.kind == .separatorsRemoved }
        #expect(leaks.isEmpty, "seed \(seed): \(leaks)")
        // Output is NFC.
        #expect(isNFC(once.text))
        // Unredacted text is preserved: byte for byte when the input is NFC, up to NFC otherwise.
        let rebuilt = spliced(original, once)
        if isNFC(original) {
            #expect(rebuilt.utf8.elementsEqual(once.text.utf8))
        } else {
            #expect(rebuilt.precomposedStringWithCanonicalMapping.utf8.elementsEqual(once.text.utf8))
        }
        // Findings are ordered, disjoint, on scalar boundaries.
        var last = 0
        for f in once.findings {
            #expect(f.originalRange.lowerBound >= last)
            last = f.originalRange.upperBound
        }
    }

    @Test(arguments: 0..<50)
    func nfcInputKeepsEveryUnredactedByte(seed: Int) throws {
        let original = Self.document(seed: UInt64(seed) + 10_000).precomposedStringWithCanonicalMapping
        let result = try Redactor(rules: Self.rules).redact(original)
        #expect(spliced(original, result).utf8.elementsEqual(result.text.utf8))
        #expect(!result.findings.isEmpty)
    }
}

/// Arbitrary Unicode must never crash the engine, and the output guarantees still hold.
@Suite struct FuzzTests {
    static let alphabet: [String] = [
        "a", "K", "i", "m", " ", "-", "\n", "\r\n", "'", "’", "\u{301}", "\u{308}", "\u{200B}",
        "\u{200D}", "\u{00AD}", "\u{FE0F}", "\u{1100}", "\u{1161}", "\u{11A8}", "가", "이",
        "종", "열", "李", "钟", "烈", "ﷺ", "ﬁ", "Ｋ", "🇰", "🇷", "👍", "🏽", "\u{0D}", "\u{1F1F0}",
        "\u{0915}", "\u{094D}", "\u{0937}", "İ", "ß", "ς", "Σ", "\u{E000}", "\u{10FFFF}", "0", "1"
    ]

    @Test(arguments: 0..<300)
    func arbitraryTextIsHandled(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &* 7919)
        let length = Int.random(in: 0..<60, using: &rng)
        let text = (0..<length).map { _ in Self.alphabet.randomElement(using: &rng)! }.joined()
        let rules: [RedactionRule] = [
            .term("a", "Kim"), .term("b", "이종열", variants: ["李钟烈"]), .term("c", "ss", substring: true),
            .term("d", "ﬁ"), .detector("e", .phone)
        ]
        let result = try Redactor(rules: rules).redact(text)
        #expect(isNFC(result.text))
        #expect(spliced(text, result).precomposedStringWithCanonicalMapping == result.text)
        _ = try leakCheck(result.text, rules: rules)
        _ = suggest(text, rules: rules)
    }
}
