import Foundation
import Testing

@testable import Redaction

/// Facts are found by the rules' term matcher (issue 18): every variant case the rules catch
/// (case, accents, width, separators, line breaks, scripts, Hangul particles, jamo) is a fact
/// found, every near miss the rules leave alone is not, and nothing is redacted.
@Suite struct FactMatcherTests {
    /// The term rules of ``TermMatchingTests`` as facts.
    static let facts: [FactMatcher.Term] = TermMatchingTests.rules.map { rule in
        guard case .term(let term, let variants, _) = rule.pattern else { fatalError("a term rule") }
        return FactMatcher.Term(id: rule.id, term: term, variants: variants)
    }

    @Test(arguments: TermMatchingTests.caught)
    func findsWhatTheRulesCatch(_ c: TermMatchingTests.Case) throws {
        let matcher = try FactMatcher(facts: Self.facts)
        let ruleHits = Set(try Redactor(rules: TermMatchingTests.rules).redact(c.input).findings.map(\.ruleID))
        let found = matcher.matches(in: c.input)
        #expect(!found.isEmpty)
        #expect(found.isSuperset(of: ruleHits), "\(found) vs \(ruleHits)")
    }

    @Test(arguments: TermMatchingTests.notHit)
    func missesWhatTheRulesLeave(_ text: String) throws {
        #expect(try FactMatcher(facts: Self.facts).matches(in: text).isEmpty)
    }

    @Test func decomposedHangulAndOverlappingFactsAllCount() throws {
        let nfd = "이종열은 회령에서".decomposedStringWithCanonicalMapping
        #expect(try FactMatcher(facts: Self.facts).matches(in: nfd) == ["p1", "pl1"])
        // A fact inside a longer fact: both are stated.
        let m = try FactMatcher(facts: [
            .init(id: "a", term: "mine canteen"), .init(id: "b", term: "the Musan mine canteen"),
            .init(id: "c", term: "34-year-old", variants: ["34 years old", "서른네 살"])
        ])
        #expect(m.matches(in: "She ran THE MUSAN MINE-CANTEEN, 34\nyears old.") == ["a", "b", "c"])
        #expect(m.matches(in: "서른네 살이었다") == ["c"])
        #expect(m.matches(in: "a canteen near the mine, 35 years old").isEmpty)
    }

    /// The leak check matches the facts in the automaton of the rules' terms
    /// (``LeakChecker/joining(_:)``): a fact found is never a leak and never hides one (the same
    /// leaks, kinds and occurrence counts as ``LeakChecker/check(_:)``), a rule hit is never a fact,
    /// and the facts stated are those ``FactMatcher/matches(in:)`` finds, also when a fact has
    /// a rule's very term, a part of it or more, and the rule is found loosely where the fact is not.
    @Test func factsInTheRulesAutomatonNeverLeakNorHideALeak() throws {
        let rules: [RedactionRule] = [
            .term("r1", "Jongyol", variants: ["Jong-yol"]), .term("r2", "Hoeryong", label: .place),
            .term("r3", "Kim")
        ]
        let matcher = try FactMatcher(facts: [
            .init(id: "same", term: "Jongyol"), .init(id: "part", term: "Hoer"), .init(id: "more", term: "Kim Jongyol"),
            .init(id: "prefix", term: "Hoeryong market"), .init(id: "other", term: "mine canteen")
        ])
        let texts = [
            "Jongyol met Kim Jongyol in Hoeryong.\nJ o n g y o l, Kim, KIM and kim at the Hoeryong market.",
            "J o n g y o l at the mine canteen", "Kim Jong-yol, Kim Jongyol; Hoer and Hoeryong",
            "the mine\ncanteen, Hoeryong market, HOERYONG MARKET", "nothing here", "Kimjongyol Hoeryongmarket"
        ]
        var stated = 0, leaked = 0
        for rules in [rules, []] {
            var checker = try LeakChecker(rules: rules)
            let joined = checker.joining(matcher)
            for size in [ChunkedFold.defaultSize, 1, 7] {
                checker.chunkSize = size
                var small = joined
                small.chunkSize = size
                for text in texts {
                    let plain = checker.check(text)
                    let found = small.checkStatingFacts(text)
                    #expect(found.leaks.map { "\($0) ×\($0.occurrences)" } == plain.map { "\($0) ×\($0.occurrences)" }, "\(text)")
                    #expect(found.facts == matcher.matches(in: text), "\(text)")
                    #expect(small.check(text) == plain && checker.checkStatingFacts(text).facts.isEmpty)
                    stated += found.facts.count
                    leaked += plain.count
                }
            }
        }
        #expect(stated > 20 && leaked > 10)
        // Facts only: no leak. Loose spelling: the rule leaks, the fact is not stated.
        let none = try LeakChecker(rules: []).check("Jongyol and Kim Jongyol", facts: matcher)
        #expect(none.leaks.isEmpty && none.facts == ["same", "more"])
        let loose = try LeakChecker(rules: rules).check("J o n g y o l", facts: matcher)
        #expect(loose.leaks.map(\.kind) == [.separatorsRemoved] && loose.facts.isEmpty)
        let twice = try LeakChecker(rules: rules).check("Jongyol, Jongyol", facts: matcher)
        #expect(twice.leaks.map(\.occurrences) == [2] && twice.facts == ["same"])
        // A fact that is the end or the middle of a rule's form is reached only through the rule
        // state's output links: stated where it stands as a word, not inside the rule's name.
        let inner = try FactMatcher(facts: [.init(id: "end", term: "Jongyol"), .init(id: "mid", term: "ryong")])
        let longer: [RedactionRule] = [.term("r1", "Kim Jongyol"), .term("r2", "Hoeryongmarket")]
        for text in ["Kim Jongyol and Jongyol", "Hoeryongmarket", "ryong at Hoeryongmarket", "Kim Jongyol only"] {
            let joined = try LeakChecker(rules: longer).check(text, facts: inner)
            #expect(joined.leaks == (try LeakChecker(rules: longer).check(text)), "\(text)")
            #expect(joined.facts == inner.matches(in: text), "\(text)")
        }
        #expect(try LeakChecker(rules: longer).check("Kim Jongyol and Jongyol", facts: inner).facts == ["end"])
        #expect(try LeakChecker(rules: longer).check("Hoeryongmarket", facts: inner).facts.isEmpty)
        // No facts at all: the same leaks, nothing stated.
        let empty = try FactMatcher(facts: [])
        for text in texts {
            let joined = try LeakChecker(rules: rules).check(text, facts: empty)
            #expect(joined.leaks == (try LeakChecker(rules: rules).check(text)) && joined.facts.isEmpty, "\(text)")
        }
    }

    @Test func aFactWithoutLettersOrDigitsIsRefused() throws {
        #expect(throws: RedactionError.self) { _ = try FactMatcher(facts: [.init(id: "x", term: "--")]) }
        #expect(try FactMatcher(facts: []).matches(in: "anything").isEmpty)
    }
}

/// `suggest` proposes facts too (issue 18): ages, dates, numbers with units, place-like names,
/// occupations and family words that no rule or fact covers.
@Suite struct FactSuggestionTests {
    @Test func findsEachKindAndSkipsWhatIsCovered() {
        let text = """
            She was a 34-year-old widow from Musan County.
            She worked as a cook in the mine canteen; her daughter stayed.
            She crossed in March 2019, walking 12 km. 그는 서른 살, 2019년 3월에 어머니와 왔다.
            """
        let found = suggestFacts(text, covering: [])
        let byKind = Dictionary(grouping: found, by: \.kind).mapValues { $0.map(\.text) }
        #expect(byKind["AGE"]?.contains("34-year-old") == true, "\(byKind)")
        #expect(byKind["DATE"]?.contains("March 2019") == true && byKind["DATE"]?.contains("2019년 3월") == true, "\(byKind)")
        #expect(byKind["PLACE"] == ["Musan County"], "\(byKind)")
        #expect(byKind["WORK"]?.contains("cook") == true && byKind["WORK"]?.contains("canteen") == true, "\(byKind)")
        #expect(byKind["FAMILY"]?.contains("daughter") == true && byKind["FAMILY"]?.contains("어머니") == true, "\(byKind)")
        #expect(byKind["OTHER"]?.contains("12 km") == true, "\(byKind)")
        #expect(found.first { $0.text == "March 2019" }?.line == 3)
        // Covered by a fact (given as a term rule) or a rule: not proposed.
        let covered = suggestFacts(
            text,
            covering: [.term("f1", "34 years old", variants: ["34-year-old"]), .term("r1", "Musan County", label: .place)])
        #expect(!covered.contains { $0.text == "34-year-old" || $0.text == "Musan County" })
        #expect(covered.count == found.count - 2)
        #expect(suggestFacts("Nothing to see here.", covering: []).isEmpty)
    }
}
