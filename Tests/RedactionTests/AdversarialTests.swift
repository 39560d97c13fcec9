import Foundation
import Testing

@testable import Redaction

/// Red-team cases: inputs where a protected term used to survive `redact()` *and* pass the leak
/// check (a real publication leak), inputs that must at least fail closed, and false positives
/// that would make the leak check unusable.
@Suite struct AdversarialTests {
    static let rules: [RedactionRule] = [
        .term("p1", "Jong-yol", variants: ["이종열", "李钟烈"]),
        .term("p2", "Ri"),
        .term("p3", "Kim"),
        .term("p4", "Jongsu"),
        .term("pl", "Hoeryŏng", variants: ["회령", "会宁"], label: .place),
        .term("pl2", "Chongjin", label: .place),
        .term("p5", "Strasse")
    ]

    struct Case: CustomTestStringConvertible, Sendable {
        let input: String
        let expected: String
        var testDescription: String { input.debugDescription }
    }

    /// Each of these survived redaction and was not flagged by the leak check before the fix.
    static let formerLeaks: [Case] = [
        // Percent-encoded names in URLs (Korean / Chinese Wikipedia, search links, profiles).
        Case(
            input: "https://ko.wikipedia.org/wiki/%EC%9D%B4%EC%A2%85%EC%97%B4",
            expected: "https://ko.wikipedia.org/wiki/[PERSON-1]"),
        Case(
            input: "https://zh.wikipedia.org/wiki/%E6%9D%8E%E9%92%9F%E7%83%88",
            expected: "https://zh.wikipedia.org/wiki/[PERSON-1]"),
        Case(input: "https://example.com/?q=Jong%20yol&x=1", expected: "https://example.com/?q=[PERSON-1]&x=1"),
        Case(
            input: "https://example.com/%ED%9A%8C%EB%A0%B9%EC%97%90%EC%84%9C",
            expected: "https://example.com/[PLACE-1]%EC%97%90%EC%84%9C"),
        // HTML character references.
        Case(input: "J&#111;ng-yol said", expected: "[PERSON-1] said"),
        Case(input: "J&#x6F;ng&#8203;yol said", expected: "[PERSON-1] said"),
        Case(input: "K&iacute;m said", expected: "[PERSON-1] said"),
        Case(input: "&#51060;&#51333;&#50676;은", expected: "[PERSON-1]은"),
        // camelCase hashtags and handles.
        Case(input: "#SaveJongyol now", expected: "#Save[PERSON-1] now"),
        Case(input: "#FreeKim now", expected: "#Free[PERSON-1] now"),
        Case(input: "@KimJongYol said", expected: "@[PERSON-1][PERSON-2] said"),
        // "Fancy text" letters with no compatibility decomposition.
        Case(input: "ᴊᴏɴɢ-ʏᴏʟ said", expected: "[PERSON-1] said"),
        Case(input: "ᴋɪᴍ said", expected: "[PERSON-1] said"),
        Case(input: "ᴿᶦ said", expected: "[PERSON-1] said"),
        Case(input: "🅚🅘🅜 said", expected: "[PERSON-1] said"),
        Case(input: "🅺🅸🅼 said", expected: "[PERSON-1] said"),
        Case(input: "🇰\u{200B}🇮\u{200B}🇲 said", expected: "[PERSON-1] said"),
        // Stroked letters and the capital sharp s.
        Case(input: "from Hoeryøng.", expected: "from [PLACE-1]."),
        Case(input: "from HOERYØNG.", expected: "from [PLACE-1]."),
        Case(input: "STRAẞE here", expected: "[PERSON-1] here"),
        // Modifier / click letters that look like punctuation glued to the term.
        Case(input: "Kimː said", expected: "[PERSON-1]ː said"),
        Case(input: "ʺKimʺ said", expected: "ʺ[PERSON-1]ʺ said"),
        Case(input: "ǀKimǃ said", expected: "ǀ[PERSON-1]ǃ said")
    ]

    @Test(arguments: formerLeaks)
    func formerLeakIsRedacted(_ c: Case) throws {
        let redactor = try Redactor(rules: Self.rules)
        let out = redactor.redact(c.input).text
        #expect(out == c.expected)
        #expect(try LeakChecker(rules: Self.rules).check(out).isEmpty)
        #expect(redactor.redact(out).text == out, "redacting twice changes nothing")
        #expect(isNFC(out))
    }

    /// Forms the redactor now catches that used to make export refuse (fail closed, but the
    /// reporter could not publish): McCune–Reischauer apostrophes, a hyphen the rule did not
    /// have, a soft hyphen at a line break.
    static let formerRefusals: [Case] = [
        Case(input: "Ch'ŏngjin is far", expected: "[PLACE-1] is far"),
        Case(input: "Chʼŏngjin is far", expected: "[PLACE-1] is far"),
        Case(input: "Chong-jin is far", expected: "[PLACE-1] is far"),
        Case(input: "Jong-su said", expected: "[PERSON-1] said"),
        Case(input: "Jong\u{00AD}\nsu said", expected: "[PERSON-1] said"),
        Case(input: "Jong\u{00AD}\r\n  su said", expected: "[PERSON-1] said"),
        Case(input: "Jong\u{00AD}\u{2028}su said", expected: "[PERSON-1] said"),
        Case(input: "Hoe-ryong", expected: "[PLACE-1]")
    ]

    @Test(arguments: formerRefusals)
    func formerRefusalIsRedacted(_ c: Case) throws {
        let out = try redact(c.input, Self.rules)
        #expect(out == c.expected)
        #expect(try LeakChecker(rules: Self.rules).check(out).isEmpty)
    }

    /// Not redacted, but the export gate must refuse.
    @Test(arguments: [
        "K<b>i</b>m said", "<b>K</b>im said", "R<i>i</i> said", "jongyolkim@gmail.com",
        "facebook.com/jongyolkim", "**K**im said", "J o n g y o l", "J-o-n-g-s-u"
    ])
    func failsClosed(_ text: String) throws {
        let out = try redact(text, Self.rules)
        #expect(!(try LeakChecker(rules: Self.rules).check(out)).isEmpty)
    }

    @Test func shortJoinsStayStrict() throws {
        // One apostrophe/dash joint only, and only for terms of 4+ letters.
        #expect(try redact("I'm here", [.term("m", "Im")]) == "I'm here")
        #expect(try redact("Jong su", Self.rules) == "Jong su")
        #expect(try redact("The River, Kimchi, a rift.", Self.rules) == "The River, Kimchi, a rift.")
    }

    @Test func htmlLikeTextIsNotHiddenFromTheRedactor() throws {
        // Tags are skipped only by the leak check's extra net, never by the redactor.
        #expect(try redact("<Ri> and a<Kim said>b", Self.rules) == "<[PERSON-1]> and a<[PERSON-2] said>b")
    }

    @Test func invalidEscapesAreLiteral() throws {
        #expect(try redact("100%Kim 50%ZZ &#xZZ; &foo; Kim%", Self.rules) == "100%[PERSON-1] 50%ZZ &#xZZ; &foo; [PERSON-1]%")
    }

    // MARK: detectors

    @Test(arguments: [
        ("call 010–1234–5678 now", "call [PHONE-1] now"),  // en dashes from a word processor
        ("write jong＠example.com", "write [EMAIL-1]"),
        ("write jong\u{200B}yol@example.com", "write [EMAIL-1]")
    ])
    func detectorVariants(_ input: String, _ expected: String) throws {
        let rules: [RedactionRule] = [.detector("ph", .phone), .detector("em", .email)]
        let out = try redact(input, rules)
        #expect(out == expected)
        #expect(try leakCheck(out, rules: rules).isEmpty)
    }

    @Test(arguments: [
        ("on 2019\u{2011}03\u{2011}11 we", "on [DATE-1] we"),
        ("on MARCH 11 we", "on [DATE-1] we"),
        ("a 34\u{2011}year\u{2011}old woman", "a [AGE-1] woman")
    ])
    func dateAndAgeVariants(_ input: String, _ expected: String) throws {
        let rules: [RedactionRule] = [.detector("d", .date), .detector("a", .age)]
        #expect(try redact(input, rules) == expected)
    }

    @Test(arguments: ["call 010\u{200B}-1234-5678 now", "on ２０１９-０３-１１ we"])
    func detectorLeakCheckSeesThroughInvisibleAndWideForms(_ text: String) throws {
        let rules: [RedactionRule] = [.detector("ph", .phone), .detector("d", .date)]
        let out = try redact(text, rules)
        if text.hasPrefix("call") {
            // The phone detector separates digit groups by invisible characters too (issue 15).
            #expect(out == "call [PHONE-1] now")
        } else {
            #expect(!(try leakCheck(out, rules: rules)).isEmpty)
        }
        #expect(!(try leakCheck(text, rules: rules)).isEmpty)
    }

    // MARK: false positives of the leak check

    @Test(arguments: [
        ("Li", "I'll go and we'll see, you'll"), ("Li", "we crossed at 11 pm on March 11"),
        ("Lo", "we waited 10 days"), ("Jongsu", "Jong-yol")
    ])
    func noFalseLeak(_ term: String, _ text: String) throws {
        #expect(try leakCheck(text, rules: [.term("x", term)]).isEmpty)
    }

    @Test func realLookalikesStillCaught() throws {
        #expect(try leakCheck("L1 said", rules: [.term("x", "Li")]).map(\.kind) == [.confusableSkeleton])
        #expect(try leakCheck("K1m said", rules: [.term("x", "Kim")]).map(\.kind) == [.confusableSkeleton])
    }

    // MARK: former known gaps (issue 15)

    @Test func formerKnownGaps() throws {
        // Hangul spelled in compatibility / half-width jamo is recomposed.
        #expect(try redact("ㅇㅣㅈㅗㅇㅇㅕㄹ은", Self.rules) == "[PERSON-1]은")
        // Combining Latin small letters (U+0363…) read as the letters they are.
        #expect(try redact("Kͥm said", Self.rules) == "[PERSON-1] said")
        // Greek yot is in Unicode's confusables: caught by the leak check, and now redacted.
        #expect(!(try leakCheck("Ϳongyol said", rules: Self.rules)).isEmpty)
        #expect(try redact("Ϳongyol said", Self.rules) == "[PERSON-1] said")
    }

    @Test func traditionalAndSimplifiedHanAreOneName() throws {
        // Formerly a known gap: traditional forms were unlisted variants (會寧 for 会宁).
        #expect(try redact("會寧", Self.rules) == "[PLACE-1]")
        #expect(!(try leakCheck("會寧", rules: Self.rules)).isEmpty)
        // A rule written traditional finds the simplified spelling, and classes hold every
        // ideograph that simplifies alike (發 and 髮 are both 发).
        let traditional: [RedactionRule] = [.term("t", "會寧", label: .place), .term("h", "發")]
        #expect(try redact("会宁 會宁 会寧 发 髮", traditional) == "[PLACE-1] [PLACE-1] [PLACE-1] [PERSON-1] [PERSON-1]")
        #expect(Set(HanVariants.variants("会宁")) == ["会宁", "會宁", "会寧", "會寧"])
        #expect(HanVariants.variants("会宁").first == "会宁")
        #expect(HanVariants.variants("Jong-yol 이종열") == ["Jong-yol 이종열"])
        #expect(HanVariants.variants(String(repeating: "發", count: 12)).count == 64)
        // Ideographs with one spelling stay as they are.
        #expect(HanVariants.variants("茂山") == ["茂山"])
    }

    @Test func veryLongTextWithExpansionsKeepsOffsets() throws {
        let filler = String(repeating: "\u{FDFA}ﬁ ", count: 20_000)
        let text = filler + "Jong&#111;ng%20x ᴋɪᴍ"
        let out = try redact(text, Self.rules)
        #expect(out == filler + "Jong&#111;ng%20x [PERSON-1]")
    }
}
