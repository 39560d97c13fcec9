import Foundation
import Testing

@testable import Redaction

/// Folding chunk by chunk (``ChunkedFold``) finds exactly the hits a fold of the whole text finds,
/// wherever the text is cut: texts made of everything that joins across a cut (jamo, combining
/// marks, escapes, "rn", invisible characters, hyphenated line breaks, characters that fold to many
/// letters), checked with chunks of a few bytes.
@Suite struct ChunkedFoldTests {
    static let rules: [RedactionRule] = [
        .term("a", "Jong-yol", variants: ["이종열", "李钟烈"]), .term("b", "Hoeryŏng", label: .place),
        .term("c", "Kim"), .term("d", "Musan County"), .term("e", "Ri Sol-ju", variants: ["리설주"]),
        .term("f", "Kimchi", substring: true), .term("g", "صلى الله"), .term("h", "mnop"),
        .term("i", "Lll"), .term("j", "o1o1"), .detector("p", .phone),
        .term("q", "+86 138 0013 8000", label: .phone), .term("r", "010-7720-3158"), .term("s", "노동자")
    ]
    static let pieces = [
        "Jong", "yol", "Jong-yol", "Jongyol", "Jong-\nyol", "Jong\u{AD}\nyol", "J o n g y o l", "Jong\u{200B}yol",
        "Kim", "Kim's", "Kims", "Kimes", "KimJongyol", "kim@x.com", "#KimJongyol", "Kіm", "K1m", "Kirn",
        "Hoeryong", "Hoeryŏng", "Hoeryo\u{306}ng", "Hoeryang", "H0eryong", "이종열", "이종열은", "\u{110B}\u{1175}",
        "\u{110C}\u{1169}\u{11BC}", "\u{1167}\u{11AF}", "종", "열", "李钟烈", "ﷺ", "\u{FDFA}", "ﬁ", "Ｋｉｍ", "&#106;",
        "&#0000000106;", "&amp;", "&ocy;", "%EC%9D%B4", "%4B%69%6D", "%FF", "&", "%", "rn", "r", "n", "|", "||",
        "mnop", "rnnop", "Lll", "l1l", "o1o1", "0l0l", "'", "’", "-", "—", " ", " ", "  ", "\n", "\t", "\r\n", ".",
        "\u{301}", "\u{308}", "\u{200D}", "\u{2060}", "é", "Musan", "County", "Ri", "Sol-ju", "리설주", "a", "b",
        "\u{202E}", "12", "010-1234-5678", "I'll", "we're", "Jongsuu", "Jonyol",
        // Phone numbers in any grouping (matched over the digits of the whole text), jamo spelled
        // out, stretchers, the North Korean spelling.
        "+86", "138", "0013", "8000", "1380013", "+86 138 0013 8000", "0086-138-0013-8000", "(010) 7720-3158",
        "01077203158", "7720", "3158", "０１０", "_", "~", "ㅇㅣㅈㅗㅇㅇㅕㄹ", "ㅇ", "ㅣ", "ㅈ", "ㅗ", "Jongـyol", "로동자", "노동"
    ]

    static func text(_ seed: Int) -> String {
        var rng = SeededGenerator(seed: UInt64(seed) &* 6_151)
        return (0..<Int.random(in: 0..<70, using: &rng)).map { _ in Self.pieces.randomElement(using: &rng)! }.joined()
    }

    @Test func redactorSpansAreTheWholeFoldsHits() throws {
        let terms = try TermIndex(rules: Self.rules, mode: .standard)
        let phones = PhoneIndex(rules: Self.rules)
        var cut = 0, numbers = 0
        for seed in 0..<300 {
            let text = Self.text(seed)
            let bytes = Array(text.utf8)
            var folder = Folder(mode: .standard)
            let folded = folder.fold(text)
            let whole = terms.hits(in: folded).map {
                [Int(folded.origStart[$0.start]), Int(folded.origEnd[$0.end - 1]), $0.rule]
            }.sorted { $0.lexicographicallyPrecedes($1) }
            let wholePhones = phones.hits(in: folded, bytes: bytes).map { [$0.lo, $0.hi, $0.rule] }
                .sorted { $0.lexicographicallyPrecedes($1) }
            for size in [1, 3, 7, 16] {
                let found = terms.spans(in: bytes, phones: phones, chunkSize: size)
                let chunked = found.terms.map { [$0.lo, $0.hi, $0.rule] }.sorted { $0.lexicographicallyPrecedes($1) }
                #expect(chunked == whole, "size \(size): \(text.debugDescription)")
                let chunkedPhones = found.phones.map { [$0.lo, $0.hi, $0.rule] }
                    .sorted { $0.lexicographicallyPrecedes($1) }
                #expect(chunkedPhones == wholePhones, "size \(size): \(text.debugDescription)")
            }
            cut += whole.count
            numbers += wholePhones.count
        }
        #expect(cut > 300)
        #expect(numbers > 30)
    }

    /// The leak check's substring net shares the redactor's automaton: the same index as one built
    /// with `forceSubstring`.
    @Test func substringNetIsTheForcedIndex() throws {
        let built = try TermIndex(rules: Self.rules, mode: .standard, forceSubstring: true)
        let shared = try TermIndex(rules: Self.rules, mode: .standard).forcingSubstring()
        #expect(built.foldedPatterns == shared.foldedPatterns)
        #expect(built.patterns.map(\.rule) == shared.patterns.map(\.rule))
        #expect(built.patterns.map(\.partBoundaries) == shared.patterns.map(\.partBoundaries))
        #expect(built.patterns.allSatisfy(\.substring) && shared.patterns.allSatisfy(\.substring))
        var found = 0
        for seed in 0..<100 {
            var folder = Folder(mode: .standard)
            let folded = folder.fold(Self.text(seed + 5_000))
            let a = built.hits(in: folded, anyInteriorGap: true).map { [$0.rule, $0.pattern, $0.start, $0.end] }
            let b = shared.hits(in: folded, anyInteriorGap: true).map { [$0.rule, $0.pattern, $0.start, $0.end] }
            #expect(a == b)
            found += a.count
        }
        #expect(found > 100)
    }

    @Test func leakCheckHitsAreTheWholeFoldsHits() throws {
        let whole = try LeakChecker(rules: Self.rules)
        var small = whole
        var found = 0
        for seed in 0..<300 {
            let text = Self.text(seed + 1_000)
            let bytes = Array(text.utf8)
            func sorted(_ h: [LeakChecker.Hit]) -> [String] {
                h.map { "\($0.offset) \($0.rule) \($0.kind.rawValue)" }.sorted()
            }
            let want = sorted(whole.collect(text, bytes))  // one chunk: the whole text
            for size in [1, 5, 13] {
                small.chunkSize = size
                #expect(sorted(small.collect(text, bytes)) == want, "size \(size): \(text.debugDescription)")
                #expect(small.check(text) == whole.check(text))
            }
            found += want.count
        }
        #expect(found > 1_000)
    }

    /// The disclosure guard's facts matched on the leak check's chunks (``LeakChecker/check(_:facts:)``)
    /// are exactly the facts ``FactMatcher/matches(in:)`` finds on the whole text, with the leak
    /// check's own rules or none, cut everywhere (hits across chunk edges, Hangul particles, phone
    /// numbers split across chunks), and the leaks are those of ``LeakChecker/check(_:)``.
    @Test func factsOnTheLeakChecksChunksAreTheWholeTextsFacts() throws {
        let facts: [FactMatcher.Term] =
            Self.rules.compactMap { rule in
                guard case .term(let term, let variants, _) = rule.pattern else { return nil }
                return FactMatcher.Term(id: "fact-" + rule.id, term: term, variants: variants)
            } + [.init(id: "long", term: "Jong-yol Kim Hoeryŏng Musan County", variants: ["이종열은 리설주"])]
        let matcher = try FactMatcher(facts: facts)
        var stated = 0
        for rules in [Self.rules, [], [.term("z", "Kim")]] {
            let whole = try LeakChecker(rules: rules)
            var small = whole
            for seed in 0..<300 {
                let text = Self.text(seed + 2_000)
                let want = matcher.matches(in: text)
                #expect(whole.check(text, facts: matcher).facts == want, "\(text.debugDescription)")
                for size in [1, 5, 13] {
                    small.chunkSize = size
                    let found = small.check(text, facts: matcher)
                    #expect(found.facts == want, "size \(size): \(text.debugDescription)")
                    #expect(found.leaks == whole.check(text))
                }
                #expect(whole.check(text, facts: nil).facts.isEmpty)
                stated += want.count
            }
        }
        #expect(stated > 1_000)
        // Numbers in any grouping and particles, cut inside: found by both.
        for text in ["전화 +86 138 0013 8000로", "0086-138-0013-8000", "이종열은 왔다", "(010) 7720-3158에서"] {
            let want = matcher.matches(in: text)
            #expect(!want.isEmpty, "\(text)")
            var checker = try LeakChecker(rules: [])
            checker.chunkSize = 1
            #expect(checker.check(text, facts: matcher).facts == want, "\(text)")
        }
    }
}
