import Foundation
import Testing

@testable import Redaction

/// The leak check's edit-distance net (hashed one-deletion forms, no arrays per candidate) finds
/// exactly what the plain symmetric-deletion method finds: a reference implementation of it (the
/// one the index replaced, dictionaries keyed by byte arrays) is run beside it on random texts.
@Suite struct FuzzyIndexTests {
    static let rules: [RedactionRule] = [
        .term("a", "Jong-yol", variants: ["Jongyol Kim"]), .term("b", "Hoeryong", label: .place),
        .term("c", "Musan County", variants: ["Musan"]), .term("d", "Ri Sol-ju"), .term("e", "Kim"),
        .term("f", "Chongjin"), .term("g", "aaaaa"), .term("h", "abcde", variants: ["abdce", "xbcde"])
    ]

    /// The symmetric-deletion method as first written: every candidate stretch and its deletions
    /// built as arrays and looked up in dictionaries.
    static func referenceHits(_ terms: TermIndex, _ text: FoldedText) -> [TermHit] {
        var exact: [[UInt8]: [Int]] = [:]
        var deletions: [[UInt8]: [Int]] = [:]
        var patterns: [[UInt8]] = []
        var rules: [Int] = []
        var minLength = Int.max, maxLength = 0
        for (p, bytes) in terms.foldedPatterns.enumerated() {
            guard bytes.count >= 5, bytes.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else { continue }
            let index = patterns.count
            patterns.append(bytes)
            rules.append(terms.patterns[p].rule)
            exact[bytes, default: []].append(index)
            for i in 0..<bytes.count {
                var d = bytes
                d.remove(at: i)
                deletions[d, default: []].append(index)
            }
            minLength = min(minLength, bytes.count)
            maxLength = max(maxLength, bytes.count)
        }
        guard !patterns.isEmpty else { return [] }
        let n = text.count
        var boundaries: [Int] = []
        for i in 0...n {
            if i == 0 || i == n { boundaries.append(i); continue }
            guard text.bytes[i] & 0xC0 != 0x80 else { continue }
            let a = text.unitClass(i - 1), b = text.unitClass(i)
            if text.gap(i) != .none || a != b || a == .noBoundary { boundaries.append(i) }
        }
        var hits: [TermHit] = []
        for (k, start) in boundaries.enumerated() where start < n {
            for end in boundaries[(k + 1)...] {
                let length = end - start
                if length > maxLength + 1 { break }
                guard length >= minLength - 1 else { continue }
                let candidate = Array(text.bytes[start..<end])
                guard candidate.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else { break }
                if exact[candidate] != nil { continue }
                var matched = Set<Int>()
                if let ps = deletions[candidate] { matched.formUnion(ps) }
                for i in 0..<candidate.count {
                    var d = candidate
                    d.remove(at: i)
                    if let ps = exact[d] { matched.formUnion(ps) }
                    if let ps = deletions[d] { matched.formUnion(ps) }
                }
                for p in matched.sorted() where FuzzyIndex.withinOneEdit(patterns[p], candidate) {
                    hits.append(TermHit(rule: rules[p], pattern: p, start: start, end: end))
                }
            }
        }
        return hits
    }

    static let pieces = [
        "Jongyol", "Jongyal", "Jongyoll", "Jonygol", "Jngyol", "Hoeryang", "Hoeyrong", "Hoerong",
        "Musan", "Musam", "Chongjin", "Chongjim", "aaaaa", "aaaa", "aaaaaa", "abcde", "abdce",
        "bacde", "xbcdf", "Kim", "Kimo", "River", "the", "a", "b", "c", "d", "e", "x", "y",
        " ", " ", "  ", "-", "\n", ".", "'", "’s", "0", "12", "종열", "李", "é", "\u{200B}",
        "KimJongyol", "aaaaaaaaaaaa", "jong yol", "J o n g y o l", "MUSAN", "Sol-ju"
    ]

    @Test func findsWhatTheReferenceFinds() throws {
        let terms = try TermIndex(rules: Self.rules, mode: .standard)
        let index = FuzzyIndex(terms: terms)
        var found = 0
        for seed in 0..<300 {
            var rng = SeededGenerator(seed: UInt64(seed) &* 104_729)
            let count = Int.random(in: 0..<80, using: &rng)
            let text = (0..<count).map { _ in Self.pieces.randomElement(using: &rng)! }.joined()
            var folder = Folder(mode: .standard)
            let folded = folder.fold(text)
            let got = index.hits(in: folded).map { [$0.rule, $0.pattern, $0.start, $0.end] }
            let want = Self.referenceHits(terms, folded).map { [$0.rule, $0.pattern, $0.start, $0.end] }
            #expect(got == want, "\(text.debugDescription)")
            found += want.count
        }
        #expect(found > 300)  // the texts are full of near misses: the comparison means something
    }

    /// The scan remembers candidates that had no hit (``FuzzyIndex/Memo``): on a text of thousands
    /// of distinct words, each met again and again (slots taken over by other words), next to
    /// near misses of the same letters, the hits are still the reference's, and found again every
    /// time their word comes back.
    @Test func rememberedCandidatesKeepTheirHits() throws {
        let terms = try TermIndex(rules: Self.rules, mode: .standard)
        let index = FuzzyIndex(terms: terms)
        var rng = SeededGenerator(seed: 0xF0CC)
        let letters = Array("abcdeghijklmnorsuy")
        var words = (0..<6_000).map { _ in
            String((0..<Int.random(in: 4...9, using: &rng)).map { _ in letters.randomElement(using: &rng)! })
        }
        words += ["jongyal", "jongyoll", "hoeryang", "musam", "chongjim", "abdce", "bacde", "xbcdf", "aaaa", "aaaaaa"]
        words += Array(repeating: "jongyol", count: 50) + Array(repeating: "chongjin", count: 50)
        var text = ""
        for _ in 0..<30_000 {
            text += words.randomElement(using: &rng)! + [" ", "\n", "-", ", ", "'s "].randomElement(using: &rng)!
        }
        var folder = Folder(mode: .standard)
        let folded = folder.fold(text)
        let got = index.hits(in: folded).map { [$0.rule, $0.pattern, $0.start, $0.end] }
        let want = Self.referenceHits(terms, folded).map { [$0.rule, $0.pattern, $0.start, $0.end] }
        #expect(got == want)
        #expect(want.count > 100)
    }

    /// A candidate near more patterns than the scan's fixed list holds (78 here, one edit from
    /// "kimjong" each): every one of them is still found.
    @Test func manyPatternsNearOneCandidate() throws {
        let letters = "abcdefghijklmnopqrstuvwxyz".map(String.init)
        let forms = letters.map { $0 + "kimjong" } + letters.map { "kimjong" + $0 } + letters.map { "ki" + $0 + "mjong" }
        let rules = forms.enumerated().map { RedactionRule.term("r\($0.offset)", $0.element) }
        let terms = try TermIndex(rules: rules, mode: .standard)
        var folder = Folder(mode: .standard)
        let folded = folder.fold("he said kimjong twice")
        let got = FuzzyIndex(terms: terms).hits(in: folded).map { [$0.rule, $0.pattern, $0.start, $0.end] }
        let want = Self.referenceHits(terms, folded).map { [$0.rule, $0.pattern, $0.start, $0.end] }
        #expect(want.count > 64)
        #expect(got == want)
    }

    @Test func withinOneEditIsOptimalStringAlignmentOne() {
        let cases: [(String, String, Bool)] = [
            ("jongyol", "jongyol", false), ("jongyol", "jongyal", true), ("jongyol", "jonygol", true),
            ("jongyol", "jongyo", true), ("jongyol", "jongyoll", true), ("jongyol", "ojngyol", true),
            ("jongyol", "jongoly", false), ("jongyol", "jngyl", false), ("abcde", "abced", true),
            ("abcde", "badce", false), ("abcde", "xabcde", true), ("abcde", "abcdex", true)
        ]
        for (a, b, want) in cases {
            #expect(FuzzyIndex.withinOneEdit(Array(a.utf8), Array(b.utf8)) == want, "\(a) \(b)")
            #expect(FuzzyIndex.withinOneEdit(Array(b.utf8), Array(a.utf8)) == want, "\(b) \(a)")
        }
    }

    /// The table's filter only ever turns away keys that are absent: every key finds its list, and
    /// absent keys (random ones, and neighbours of present ones) find nothing, at several sizes.
    @Test func hashBucketsFindExactlyTheirKeys() {
        var rng = SeededGenerator(seed: 0xB0C4)
        var checked = 0
        for size in [0, 1, 7, 100, 5_000, 40_000] {
            var lists: [UInt64: [UInt32]] = [:]
            while lists.count < size {
                let key = Bool.random(using: &rng) ? UInt64.random(in: 0..<UInt64(4 * size + 1), using: &rng) : rng.next()
                lists[key, default: []].append(UInt32.random(in: 0..<1_000, using: &rng))
            }
            let table = HashBuckets(lists)
            func found(_ key: UInt64) -> [UInt32] {
                var out: [UInt32] = []
                table.withLookup { $0.forEach(key) { out.append($0) } }
                var plain: [UInt32] = []
                table.forEach(key) { plain.append($0) }
                #expect(out == plain)
                return out
            }
            for (key, list) in lists {
                #expect(found(key) == list)
                for probe in [key &+ 1, key &- 1, key ^ (1 << 63), rng.next()] where lists[probe] == nil {
                    #expect(found(probe).isEmpty)
                    checked += 1
                }
            }
        }
        #expect(checked > 150_000)
    }
}
