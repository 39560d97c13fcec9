import Foundation
import Testing

@testable import Redaction

@Suite struct LeakCheckTests {
    static let rules: [RedactionRule] = [
        .term("p1", "Jong-yol", variants: ["이종열", "李钟烈"]),
        .term("p2", "Kim"),
        .term("pl", "Hoeryong", variants: ["회령"], label: .place),
        .term("p5", "Jongsu")
    ]

    @Test func redactedOutputOfEveryCaughtFormHasNoLeak() throws {
        let redactor = try Redactor(rules: TermMatchingTests.rules)
        let checker = try LeakChecker(rules: TermMatchingTests.rules)
        for c in TermMatchingTests.caught {
            let out = redactor.redact(c.input).text
            #expect(checker.check(out).isEmpty, "\(c.input.debugDescription)")
        }
    }

    @Test(arguments: ["Jong Yol said", "이종열은", "我见到李钟烈", "KIM", "Hoeryŏng"])
    func unredactedTermIsAnExactLeak(_ text: String) throws {
        let leaks = try leakCheck(text, rules: Self.rules)
        #expect(leaks.count == 1)
        #expect(leaks.first?.kind == .exact)
        #expect(leaks.first?.line == 1)
    }

    @Test(arguments: ["J o n g s u", "Jong.su", "Jong su", "J-o-n-g-s-u!"])
    func separatorsAnywhereAreCaught(_ text: String) throws {
        let leaks = try leakCheck("line one\n" + text, rules: Self.rules)
        #expect(leaks == [Leak(ruleID: "p5", line: 2, kind: .separatorsRemoved)])
    }

    @Test(arguments: ["K1m", "H0eryong"])
    func confusableSkeletonsAreCaught(_ text: String) throws {
        let leaks = try leakCheck(text, rules: Self.rules)
        #expect(!leaks.isEmpty)
        #expect(leaks.allSatisfy { $0.kind == .confusableSkeleton || $0.kind == .editDistance1 })
        #expect(leaks.contains { $0.kind == .confusableSkeleton })
    }

    /// Letters of other scripts that imitate Latin ones fold like them for the redactor too (TR39
    /// data, issue 15): the leak check sees them as the redactor's own match.
    @Test(arguments: ["Кim", "KІM", "Hоeryong"])
    func lookalikeLettersAreExact(_ text: String) throws {
        #expect(try leakCheck(text, rules: Self.rules).map(\.kind) == [.exact])
    }

    @Test func rnLooksLikeM() throws {
        let leaks = try leakCheck("Kirn said", rules: [.term("k", "Kim")])
        #expect(leaks == [Leak(ruleID: "k", line: 1, kind: .confusableSkeleton)])
    }

    @Test(arguments: ["Hoeryang", "Hoeryongg", "Hoeyrong", "Hoerong", "Jongso"])
    func editDistanceOneForLatinTermsOfFiveLetters(_ text: String) throws {
        let leaks = try leakCheck("x \(text) y", rules: Self.rules)
        #expect(leaks.map(\.kind) == [.editDistance1])
    }

    @Test func shortTermsAndDistantWordsAreNotFuzzyMatched() throws {
        #expect(try leakCheck("Kam and Kimo and Hoeryangg and Jongsuuu", rules: Self.rules).isEmpty)
    }

    @Test func regexAndDetectorRulesAreRecheckedToo() throws {
        let rules: [RedactionRule] = [
            .detector("ph", .phone), RedactionRule(id: "rx", pattern: .regex("Unit \\d+"), label: "ORG")
        ]
        let leaks = try leakCheck("a\nb 010-1234-5678\nUnit 731", rules: rules)
        #expect(leaks == [Leak(ruleID: "ph", line: 2, kind: .exact), Leak(ruleID: "rx", line: 3, kind: .exact)])
        let redacted = try redact("a\nb 010-1234-5678\nUnit 731", rules)
        #expect(try leakCheck(redacted, rules: rules).isEmpty)
    }

    @Test func reportNamesRuleAndLineNeverTheTerm() throws {
        let leaks = try leakCheck("one\ntwo\nthree Hoeryong", rules: Self.rules)
        #expect(leaks == [Leak(ruleID: "pl", line: 3, kind: .exact)])
        #expect(leaks[0].description == "rule pl line 3: a protected name or number, as written")
        #expect(!leaks[0].description.lowercased().contains("hoeryong"))
    }

    @Test func oneLeakPerRuleAndLineWithTheMostCertainKind() throws {
        let leaks = try leakCheck("Kim Кim K1m", rules: [.term("k", "Kim")])
        #expect(leaks == [Leak(ruleID: "k", line: 1, kind: .exact)])
    }

    @Test func failsClosedOnBadRules() {
        #expect(throws: RedactionError.emptyTerm(ruleID: "bad")) {
            try leakCheck("anything", rules: [.term("bad", "")])
        }
    }

    /// ``LeakChecker/addressTokenRanges(_:)`` as first written (a class per byte, a switch, a
    /// byte-by-byte search for full-width forms): the same tokens on random texts.
    static func referenceAddressTokens(_ bytes: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        var seen: UInt8 = 0
        for i in 0..<bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C:
                if i > start && (seen & 1 != 0 || seen & 6 == 6) { out.append(start..<i) }
                seen = 0
                start = i + 1
            case 0x40, 0x23: seen |= 1
            case 0x2F: seen |= 2
            case 0x2E: seen |= 4
            default: break
            }
        }
        if bytes.count > start && (seen & 1 != 0 || seen & 6 == 6) { out.append(start..<bytes.count) }
        if bytes.contains(0xEF) {
            var i = 0
            while i + 2 < bytes.count {
                if bytes[i] == 0xEF, bytes[i + 1] == 0xBC, bytes[i + 2] == 0xA0 || bytes[i + 2] == 0x83 {
                    var lo = i, hi = i
                    while lo > 0, ![0x20, 0x09, 0x0A, 0x0D].contains(bytes[lo - 1]) { lo -= 1 }
                    while hi < bytes.count, ![0x20, 0x09, 0x0A, 0x0D].contains(bytes[hi]) { hi += 1 }
                    out.append(lo..<hi)
                    i = hi
                } else {
                    i += 1
                }
            }
            out.sort { $0.lowerBound < $1.lowerBound }
        }
        return out
    }

    @Test func addressTokensAreTheReferenceTokens() {
        let pieces = [
            "kim", "@", "#", "/", ".", " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}", "＠", "＃", "ｆ", "종열", "example.com",
            "a.b/c", "x@y", "http://", "Jongyol", "\u{200B}", "é", "", "1"
        ]
        var rng = SeededGenerator(seed: 0xADD4)
        var tokens = 0
        for _ in 0..<2_000 {
            let text = (0..<Int.random(in: 0..<30, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let bytes = Array(text.utf8)
            let want = Self.referenceAddressTokens(bytes)
            #expect(LeakChecker.addressTokenRanges(bytes) == want, "\(text.debugDescription)")
            tokens += want.count
        }
        #expect(tokens > 2_000)
    }

    /// The leak check reads a text's UTF-8 and makes it a string only where a pattern or the
    /// cleaned copy needs one: `check(utf8:)` (with and without the string given) finds exactly the
    /// leaks `check(_:)` finds, on texts whose hits need the whole text (a regex rule), the cleaned
    /// copy (full-width digits, a zero-width space inside a number, a curly quote) or neither.
    @Test func checkingTheBytesIsCheckingTheString() throws {
        let rules: [RedactionRule] = [
            .detector("p", .phone), .detector("e", .email),
            RedactionRule(id: "km", pattern: .regex("Kilometre [0-9]+"), label: "PLACE"), .term("n", "Jongyol")
        ]
        let checker = try LeakChecker(redactor: try Redactor(rules: rules))
        let pieces = [
            "plain words ", "Kilometre 14 ", "010-1234-5678 ", "０１０-１２３４-５６７８ ", "010\u{200B}-1234-5678 ",
            "kim@example.com ", "kim＠example.com ", "Jong yol ", "J0ngyol ", "’s ", "이종열 ", "\n"
        ]
        var rng = SeededGenerator(seed: 0xB17E)
        var leaks = 0
        var cleanedOnly = 0
        for _ in 0..<120 {
            let text = (0..<Int.random(in: 1..<12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let want = checker.check(text)
            #expect(checker.check(utf8: Array(text.utf8)) == want, "\(text.debugDescription)")
            #expect(checker.check(utf8: Array(text.utf8), text: text) == want, "\(text.debugDescription)")
            #expect(checker.checkStatingFacts(utf8: Array(text.utf8)).leaks == want, "\(text.debugDescription)")
            leaks += want.count
            if !LeakChecker.isOwnCleanedCopy(Array(text.utf8)), !want.isEmpty { cleanedOnly += 1 }
        }
        #expect(leaks > 100)
        #expect(cleanedOnly > 20)
        // A regex rule's match with a zero-width space inside is found only in the cleaned copy,
        // from the bytes alone.
        #expect(!checker.check(utf8: Array("at Kilo\u{200B}metre 14 we".utf8)).isEmpty)
        #expect(!checker.check(utf8: Array("at Ｋｉｌｏｍｅｔｒｅ 14 we".utf8)).isEmpty)
        #expect(!checker.check(utf8: Array("at Kilometre 14 we".utf8)).isEmpty)
    }
}
