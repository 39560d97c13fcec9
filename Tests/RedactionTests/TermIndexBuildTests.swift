import Foundation
import Testing

@testable import Redaction

/// The term index is compiled in one pass with every form folded into one reused buffer
/// (``FoldScratch``), forms of a rule that fold alike found without a dictionary, and Hangul forms
/// with no initial-sound alternate recognised without NFC (issue 18, the guard's cost). Each of
/// those paths is compared here with the way it was done before (kept below as the reference) on
/// varied inputs: the same patterns in the same order, so the same automaton and the same matches.
@Suite struct TermIndexBuildTests {
    /// Rules exercising every path: case, accents, separators, apostrophes, scripts, Hangul
    /// particles and names (initial-sound variants, person or not), decomposed and compatibility
    /// jamo, full-width forms, escapes, phones, forms that fold alike (few and more than eight),
    /// substring rules, and the facts the bench compiles.
    static let rules: [RedactionRule] = {
        var rules = TermMatchingTests.rules
        rules += [
            .term("a1", "Jong-yol", variants: ["Jong yol", "JONGYOL", "jong\u{2010}yol", "Jong\u{00AD}yol", "Jŏng-yŏl"]),
            .term("a2", "O'Brien", variants: ["O’Brien", "o brien", "OBRIEN"]),
            .term("a3", "리종열", variants: ["이종열", "리 종열", "李钟烈"]),
            .term("a4", "리종열", variants: ["류경", "녀성", "로동"], label: .place),
            .term("a5", "남궁민수", variants: ["남궁 민수", "황보영"]),
            .term("a6", "이종열".decomposedStringWithCanonicalMapping, variants: ["ㄹㅣㅈㅗㅇㅇㅕㄹ", "ﾡﾚ"]),
            .term("a7", "ＨＯＥＲＹＯＮＧ", variants: ["Hoeryŏng", "Hoery\u{014F}ng", "Hoeryo\u{0306}ng"]),
            .term("a8", "%E5%BC%A0", variants: ["&#x5F20;", "&amp;Co", "張", "张"]),
            .term("a9", "010-7720-3158", variants: ["+82 10 7720 3158", "(010) 7720-3158"], label: .phone),
            .term("a10", "mine canteen", variants: ["the mine-canteen", "mine\ncanteen"], substring: true),
            .term("a11", "34-year-old", variants: ["34 years old", "서른네 살", "三十四岁"]),
            .term("a12", "Łódź", variants: ["Lodz", "ŁÓDŹ", "İstanbul", "ǅemal", "ﬁnal", "Straße", "STRASSE"]),
            .term("a13", "Jong", variants: ["JONG", "jong", "Jo-ng", "J-ong", "jo ng", "Jon-g", "J.ong", "Jong.", "JoNg"]),
            // More than eight patterns in one rule (looked up in a dictionary), then forms folding
            // like earlier ones with their separators elsewhere.
            .term(
                "a14", "Jongsu",
                variants: (0..<12).map { "Jongsu\($0)" } + (0..<12).map { "JONG-SU \($0)" } + ["jong su", "리종열", "이 종열"]),
            .term("a15", "كريم", variants: ["Кирилл", "Ωmega", "ΚΙΜ", "קים"]),
            .term("a16", "박명수", variants: ["박명수는", "박명수의", "朴明洙"], label: .person),
            .term("a17", "会宁", variants: ["會寧", "發髮", "李钟烈 리종열", "𠀀𠀁", "会宁市 회령"], label: .place),
            .term("a18", "劉", variants: ["刘", "류경 劉京", "ＡＢＣ会"], label: .person)
        ]
        for i in 0..<60 {
            rules.append(
                RedactionRule(
                    id: "f\(i)", pattern: .term("factterm\(i) detail", variants: ["fact-term-\(i)", "팩트\(i)"], substring: false),
                    label: "FACT"))
        }
        return rules
    }()

    /// The index as it was built before: each form folded into its own arrays, a dictionary of
    /// folded forms per rule, `Hangul.initialSoundVariants` as it was, every form through
    /// `HanVariants.variants`.
    static func reference(_ rules: [RedactionRule], mode: FoldMode, forceSubstring: Bool = false) throws(RedactionError)
        -> (patterns: [TermPattern], folded: [[UInt8]])
    {
        var folder = Folder(mode: mode)
        var patterns: [TermPattern] = []
        var folded: [[UInt8]] = []
        var byForm: [[UInt8]: Int] = [:]
        for (index, rule) in rules.enumerated() {
            guard case .term(let term, let variants, let substring) = rule.pattern else { continue }
            byForm.removeAll(keepingCapacity: true)
            let person = rule.label == RuleLabel.person.rawValue
            for form in [term] + variants {
                let written = folder.fold(form)
                guard !written.bytes.isEmpty else { throw .emptyTerm(ruleID: rule.id) }
                for spelling in HanVariants.variants(form).flatMap({ referenceInitialSoundVariants($0, person: person) }) {
                    let f = spelling == form ? written : folder.fold(spelling)
                    var boundaries: [Int] = []
                    for k in 1..<max(f.count, 1) where f.bytes[k] & 0xC0 != 0x80 && f.gap(k) != .none {
                        boundaries.append(k)
                    }
                    if let known = byForm[f.bytes] {
                        let merged = Set(patterns[known].partBoundaries).union(boundaries)
                        patterns[known].partBoundaries = merged.sorted()
                        continue
                    }
                    byForm[f.bytes] = patterns.count
                    patterns.append(TermPattern(rule: index, partBoundaries: boundaries, substring: substring || forceSubstring))
                    folded.append(f.bytes)
                }
            }
        }
        return (patterns, folded)
    }

    /// `Hangul.initialSoundVariants` before its one-pass check (NFC of every form with a byte
    /// E1…ED).
    static func referenceInitialSoundVariants(_ form: String, person: Bool, limit: Int = 64) -> [String] {
        guard form.utf8.contains(where: { (0xE1...0xED).contains($0) }) else { return [form] }
        let nfc = TextSupport.nfc(form)
        let scalars = Array(nfc.unicodeScalars)
        let starts = Hangul.nameStarts(scalars, person: person)
        let syllables = scalars.filter { Hangul.isSyllable($0.value) }.count
        guard syllables >= 2 else { return [form] }
        var results: [[Unicode.Scalar]] = [scalars]
        for position in starts {
            let forms = Hangul.initialSoundForms(scalars[position].value)
            guard forms.count > 1 else { continue }
            var next: [[Unicode.Scalar]] = []
            for r in results {
                for f in forms {
                    guard next.count < limit, let s = Unicode.Scalar(f) else { continue }
                    var copy = r
                    copy[position] = s
                    next.append(copy)
                }
            }
            results = next
        }
        guard results.count > 1 else { return [form] }
        var seen = Set<String>()
        var out = [form]
        seen.insert(nfc)
        for r in results {
            let s = String(String.UnicodeScalarView(r))
            if seen.insert(s).inserted { out.append(s) }
        }
        return Array(out.prefix(limit))
    }

    static func same(_ index: TermIndex, _ ref: (patterns: [TermPattern], folded: [[UInt8]])) -> Bool {
        index.foldedPatterns == ref.folded && index.patterns.count == ref.patterns.count
            && zip(index.patterns, ref.patterns).allSatisfy {
                $0.rule == $1.rule && $0.partBoundaries == $1.partBoundaries && $0.substring == $1.substring
            }
    }

    @Test(arguments: [FoldMode.standard, .skeleton], [false, true])
    func theSamePatternsAsFoldingEachFormAlone(_ mode: FoldMode, _ forceSubstring: Bool) throws {
        let index = try TermIndex(rules: Self.rules, mode: mode, forceSubstring: forceSubstring)
        let ref = try Self.reference(Self.rules, mode: mode, forceSubstring: forceSubstring)
        #expect(Self.same(index, ref))
        // Rule by rule too (each rule's first pattern at index 0).
        for rule in Self.rules {
            #expect(Self.same(try TermIndex(rules: [rule], mode: mode), try Self.reference([rule], mode: mode)), "\(rule.id)")
        }
    }

    @Test func theSameMatchesAsBefore() throws {
        let texts =
            TermMatchingTests.caught.map(\.input) + TermMatchingTests.notHit + [
                "JONG YOL and o’brien met 리종열은 and 이종열이 in ＨＯＥＲＹＯＮＧ; the MINE-CANTEEN, 34 years\nold.",
                "이종열".decomposedStringWithCanonicalMapping + "은 왔다. ㄹㅣㅈㅗㅇㅇㅕㄹ, 류경에서 녀성 로동자",
                "call 010 7720 3158 or +82-10-7720-3158; factterm7 detail, FACT TERM 12, 팩트59는 Łodz STRASSE ﬁnal",
                "Jong-su, jong_sus, JONG SUss; كريم Кирилл; 三十四岁 張 %E5%BC%A0 &#x5F20;"
            ]
        let matcher = try FactMatcher(
            facts: Self.rules.compactMap { rule in
                guard case .term(let term, let variants, _) = rule.pattern else { return nil }
                return FactMatcher.Term(id: rule.id, term: term, variants: variants)
            })
        var folder = Folder(mode: .standard)
        let ref = try Self.reference(Self.rules, mode: .standard)
        let index = try TermIndex(rules: Self.rules, mode: .standard)
        let refAutomaton = AhoCorasick(patterns: ref.folded)
        var stated = 0
        for text in texts {
            let folded = folder.fold(text)
            var a: [[Int]] = [], b: [[Int]] = []
            index.automaton.forEachMatch(in: folded.bytes) { a.append([$0, $1]) }
            refAutomaton.forEachMatch(in: folded.bytes) { b.append([$0, $1]) }
            #expect(a == b, "\(text.debugDescription)")
            let hits = index.hits(in: folded).map { [$0.rule, $0.pattern, $0.start, $0.end] }
            #expect(!matcher.matches(in: text).isEmpty || hits.isEmpty, "\(text.debugDescription)")
            stated += hits.count
        }
        #expect(stated > 40)
    }

    /// `hits(in:firstIn:)` (the facts a chunk states) finds exactly the rules whose hits start in
    /// the range, each once, for every range of a text including empty ones and ones inside a unit.
    @Test func firstHitsAreTheRulesOfTheHitsInTheRange() throws {
        let index = try TermIndex(rules: Self.rules, mode: .standard)
        var folder = Folder(mode: .standard)
        let text =
            "JONG YOL and o’brien met 리종열은 and 이종열이 in ＨＯＥＲＹＯＮＧ; Jong-yol again, jong yol, "
            + "the MINE-CANTEEN, 34 years\nold. 이종열 이종열 Kim Kim KIM"
        let folded = folder.fold(text)
        let all = index.hits(in: folded)
        #expect(Set(all.map(\.rule)).count >= 3 && all.count > Set(all.map(\.rule)).count)
        let n = text.utf8.count
        var checked = 0
        for lo in stride(from: 0, through: n, by: 7) {
            for hi in stride(from: lo, through: n, by: 11) {
                let range = lo..<hi
                let expected = Set(all.filter { range.contains(Int(folded.origStart[$0.start])) }.map(\.rule))
                let first = index.hits(in: folded, firstIn: range).map(\.rule)
                #expect(first.count == Set(first).count, "\(range)")
                #expect(Set(first) == expected, "\(range)")
                checked += expected.isEmpty ? 0 : 1
            }
        }
        #expect(checked > 100)
    }

    /// An index joined with more patterns (``TermIndex/init(_:then:from:)``, the leak check's rules
    /// and the guard's facts) finds, with `factsFrom`, each rule's hits as the rules' own index does
    /// with `anyInteriorGap` and no range, and each fact's as the facts' own index does strictly and
    /// first in the range: nothing more, nothing less, whichever rules and facts share forms.
    @Test func aJoinedIndexFindsEachPatternAsItsOwnIndex() throws {
        let rules = Self.rules
        let factRules = Array(Self.rules.reversed()) + [.term("f1", "Jong yol Kim")]
        let facts = try TermPatterns(rules: factRules, mode: .standard)
        let ruleIndex = try TermIndex(rules: rules, mode: .standard)
        let factIndex = TermIndex(facts)
        let from = rules.count + 3
        let joined = TermIndex(ruleIndex, then: facts, from: from)
        var folder = Folder(mode: .standard)
        let texts =
            TermMatchingTests.caught.map(\.input) + TermMatchingTests.notHit + [
                "J o n g y o l and Jong.yol, JONG YOL KIM, o’brien met 리종열은 and 이종열이 in ＨＯＥＲＹＯＮＧ; "
                    + "Jong-yol again, jong yol, the MINE-CANTEEN, 34 years\nold. 이종열 이종열 Kim Kim KIM",
                "call 010 7720 3158 or +82-10-7720-3158; 팩트59는 Łodz STRASSE ﬁnal 会宁 會寧 劉京"
            ]
        var rulesFound = 0, factsFound = 0
        for text in texts {
            let folded = folder.fold(text)
            let n = text.utf8.count
            for range in [0..<n, 0..<n / 2, n / 3..<n] {
                let hits = joined.hits(in: folded, anyInteriorGap: true, firstIn: range, factsFrom: from)
                func key(_ h: TermHit, _ shift: Int) -> [Int] { [h.rule - shift, h.start, h.end] }
                let ruleHits = hits.filter { $0.rule < from }.map { key($0, 0) }
                let factHits = hits.filter { $0.rule >= from }.map { key($0, from) }
                #expect(ruleHits == ruleIndex.hits(in: folded, anyInteriorGap: true).map { key($0, 0) }, "\(text)")
                #expect(factHits == factIndex.hits(in: folded, firstIn: range).map { key($0, 0) }, "\(text)")
                #expect(!hits.contains { $0.rule >= rules.count && $0.rule < from })
                rulesFound += ruleHits.count
                factsFound += factHits.count
            }
        }
        #expect(rulesFound > 100 && factsFound > 50)
        // The separator-free spelling is a rule hit only; a rule's every hit is found, a fact's first.
        let folded = folder.fold("J o n g y o l, Jong-yol, Jong-yol")
        let hits = joined.hits(in: folded, anyInteriorGap: true, firstIn: 0..<100, factsFrom: from)
        let a1 = rules.firstIndex { $0.id == "a1" }!
        let f1 = try #require(facts.patterns.first { factRules[$0.rule].id == "a1" }).rule + from
        #expect(hits.filter { $0.rule == a1 }.count == 3)
        #expect(hits.filter { $0.rule == f1 }.map { Int(folded.origStart[$0.start]) } == [15])
    }

    @Test func emptyFormsAreRefusedAlike() {
        for rule: RedactionRule in [.term("e1", "--"), .term("e2", "Kim", variants: ["Kim", " "]), .term("e3", "\u{200B}")] {
            #expect(throws: RedactionError.emptyTerm(ruleID: rule.id)) { _ = try TermIndex(rules: [rule], mode: .standard) }
            #expect(throws: RedactionError.emptyTerm(ruleID: rule.id)) { _ = try Self.reference([rule], mode: .standard) }
        }
    }

    /// The one-pass check (`Hangul.mayHaveInitialSoundVariants`) against NFC and the full rule:
    /// every syllable first and second in a two-syllable name, alone, with a particle, decomposed,
    /// as compatibility jamo, with conjoining jamo, with Latin and Han around.
    @Test func initialSoundVariantsAsBefore() {
        var forms: [String] = ["", "Kim", "李钟烈", "ㄹ", "리", "리종열", "이종열", "이종열".decomposedStringWithCanonicalMapping]
        for v in stride(from: 0xAC00, through: 0xD7A3, by: 7) {
            let s = String(Unicode.Scalar(UInt32(v))!)
            forms += [s + "종", "박" + s, s + "종열은", s, "Kim " + s + "나", s.decomposedStringWithCanonicalMapping + "종"]
        }
        forms += ["\u{1105}\u{1175}종", "리\u{11AB}종", "가\u{11A8}나", "리종열", "ㄹㅣ종", "ﾡﾚ종", "녀성", "로동", "라선", "량강도", "남궁민", "황보영수"]
        var checked = 0
        for form in forms {
            for person in [false, true] {
                #expect(
                    Hangul.initialSoundVariants(form, person: person) == Self.referenceInitialSoundVariants(form, person: person),
                    "\(form.debugDescription)")
                checked += 1
            }
        }
        #expect(checked > 9000)
    }

    /// ``Folder/fold(_:into:)`` is ``Folder/fold(_:)`` into reused buffers: the same bytes, flags
    /// and offsets for every text, in either mode, also when the buffers must grow.
    @Test(arguments: [FoldMode.standard, .skeleton])
    func foldingIntoTheScratchIsFolding(_ mode: FoldMode) {
        var texts = TermMatchingTests.caught.map(\.input) + TermMatchingTests.notHit
        texts += Self.rules.flatMap { rule -> [String] in
            guard case .term(let term, let variants, _) = rule.pattern else { return [] }
            return [term] + variants
        }
        texts += [String(repeating: "\u{FDFA}", count: 40), String(repeating: "Jong-yol 리종열 ", count: 200), "", " - "]
        var a = Folder(mode: mode), b = Folder(mode: mode)
        let scratch = FoldScratch(capacity: 16)
        for text in texts {
            let t = a.fold(text)
            let n = b.fold(text, into: scratch)
            #expect(n == t.count && scratch.count == t.count)
            #expect(Array(scratch.folded) == t.bytes && Array(scratch.flags) == t.flags, "\(text.debugDescription)")
            for k in 0..<t.count { #expect(scratch.gap(k) == t.gap(k)) }
        }
    }
    /// The facts' scan passes over bytes the root loops on: the same matches in the same order as
    /// the full scan, for random pattern sets (patterns sharing prefixes, suffixes of others,
    /// one byte long, multi-byte UTF-8) on random and real texts, and the same term hits.
    @Test func skippingWhereNoPatternStartsFindsTheSameMatches() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefst 0123-팩트은江".utf8)
        func word(_ n: Int) -> [UInt8] { (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] } }
        for round in 0..<200 {
            var patterns = (0..<(1 + round % 40)).map { _ in word(1 + Int(rng.next() % 6)) }
            if round % 3 == 0 { patterns += patterns.map { Array($0.dropFirst()) }.filter { !$0.isEmpty } }
            if round % 5 == 0 { patterns.append(Array("팩트".utf8)) }
            // Patterns repeated (rules with the same term): reported at one end in index order.
            if round % 2 == 0 { patterns += patterns.prefix(3) }
            let ac = AhoCorasick(patterns: patterns)
            let stays = ac.rootSelfLoops()
            for _ in 0..<5 {
                let text = word(Int(rng.next() % 400))
                var a: [[Int]] = [], b: [[Int]] = []
                ac.forEachMatch(in: text) { a.append([$0, $1]) }
                ac.forEachMatch(in: text, skipping: stays) { b.append([$0, $1]) }
                #expect(a == b, "\(patterns) in \(text)")
                let want = AhoCorasickTests.naive(patterns, text)
                #expect(a.sorted { $0.lexicographicallyPrecedes($1) } == want.sorted { $0.lexicographicallyPrecedes($1) })
                for (x, y) in zip(a, a.dropFirst()) where x[1] == y[1] && patterns[x[0]] == patterns[y[0]] {
                    #expect(x[0] < y[0])
                }
            }
        }
        let index = try TermIndex(rules: Self.rules, mode: .standard)
        let skipping = index.scanningOnlyWhereAPatternStarts()
        #expect(skipping.rootStays?.contains(true) == true && index.rootStays == nil)
        var folder = Folder(mode: .standard)
        for text in TermMatchingTests.caught.map(\.input) + TermMatchingTests.notHit + [
            String(repeating: "the broker paid factterm12 detail 팩트7은 JONG-YOL 리종열 Łódź ", count: 50)
        ] {
            let f = folder.fold(text)
            for gap in [false, true] {
                let a = index.hits(in: f, anyInteriorGap: gap).map { [$0.rule, $0.pattern, $0.start, $0.end] }
                let b = skipping.hits(in: f, anyInteriorGap: gap).map { [$0.rule, $0.pattern, $0.start, $0.end] }
                #expect(a == b, "\(text.debugDescription)")
            }
        }
    }
}
