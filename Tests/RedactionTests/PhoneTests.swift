import Foundation
import Testing

@testable import Redaction

/// Phone rules (issue 15, item 1): a rule labelled PHONE, or a term that parses as a phone number,
/// hides the same subscriber number however it is grouped, with or without its prefixes, in ASCII or
/// full-width digits, and never inside a longer run of digits.
@Suite struct PhoneTests {
    static let chinese: [RedactionRule] = [.term("p", "+86 159 2271 0634", label: .phone)]
    static let korean: [RedactionRule] = [.term("k", "010-7720-3158")]  // no label: parses as a number

    struct Case: CustomTestStringConvertible, Sendable {
        let input: String
        let expected: String
        var testDescription: String { input.debugDescription }
    }

    static let chineseForms: [Case] = [
        Case(input: "call 159-2271-0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call 15922710634 now", expected: "call [PHONE-1] now"),
        Case(input: "call 0086 159 2271 0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call 159.2271.0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call １５９ ２２７１ ０６３４ now", expected: "call [PHONE-1] now"),
        Case(input: "call １５９２２７１０６３４ now", expected: "call [PHONE-1] now"),
        Case(input: "call 159\u{2009}2271\u{2009}0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call 159\u{2007}2271\u{2007}0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call 159\u{00A0}2271\u{202F}0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call (+86) 159 2271 0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call +8615922710634 now", expected: "call [PHONE-1] now"),
        Case(input: "call +86-159-2271-0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call 8615922710634 now", expected: "call [PHONE-1] now"),
        Case(input: "call 0159 2271 0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call 159/2271/0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call (159) 2271-0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call 159-\n2271-\n0634 now", expected: "call [PHONE-1] now"),
        Case(input: "call 1 5 9 2 2 7 1 0 6 3 4 now", expected: "call [PHONE-1] now"),
        Case(input: "call 159\u{200B}2271\u{200B}0634 now", expected: "call [PHONE-1] now"),
        Case(input: "电话：159 2271 0634。", expected: "电话：[PHONE-1]。"),
        Case(input: "手机15922710634，", expected: "手机[PHONE-1]，"),
        Case(input: "call 159 2271 0634 or 159-2271-0634", expected: "call [PHONE-1] or [PHONE-1]")
    ]

    @Test(arguments: chineseForms)
    func chineseNumberInAnyGrouping(_ c: Case) throws {
        let out = try redact(c.input, Self.chinese)
        #expect(out == c.expected)
        #expect(try LeakChecker(rules: Self.chinese).check(out).isEmpty, "export would refuse")
        #expect(try redact(out, Self.chinese) == out, "redacting twice changes nothing")
    }

    static let koreanForms: [Case] = [
        Case(input: "연락처 +82-10-7720-3158 입니다", expected: "연락처 [PERSON-1] 입니다"),
        Case(input: "연락처 +82 (0)10 7720 3158 입니다", expected: "연락처 [PERSON-1] 입니다"),
        Case(input: "연락처 +82 010 7720 3158 입니다", expected: "연락처 [PERSON-1] 입니다"),
        Case(input: "연락처 01077203158 입니다", expected: "연락처 [PERSON-1] 입니다"),
        Case(input: "연락처 010.7720.3158 입니다", expected: "연락처 [PERSON-1] 입니다"),
        Case(input: "연락처 (010) 7720-3158 입니다", expected: "연락처 [PERSON-1] 입니다"),
        Case(input: "연락처 0082 10 7720 3158 입니다", expected: "연락처 [PERSON-1] 입니다"),
        Case(input: "연락처 ０１０－７７２０－３１５８ 입니다", expected: "연락처 [PERSON-1] 입니다"),
        Case(input: "연락처 010 7720\n3158 입니다", expected: "연락처 [PERSON-1] 입니다")
    ]

    @Test(arguments: koreanForms)
    func nationalRuleFindsInternationalForms(_ c: Case) throws {
        let out = try redact(c.input, Self.korean)
        #expect(out == c.expected)
        #expect(try LeakChecker(rules: Self.korean).check(out).isEmpty, "export would refuse")
    }

    @Test(arguments: [
        "order 215922710634", "order 159227106345", "code 8615922710634999", "ref 2015922710634",
        "ref 1592271063", "the years 2034 and 1592"
    ])
    func neverInsideALongerDigitRun(_ text: String) throws {
        #expect(try redact(text, Self.chinese) == text)
    }

    @Test(arguments: ["5010-7720-3158", "010-7720-31589", "9010 7720 3158 4", "0107720315812"])
    func nationalNeverInsideALongerDigitRun(_ text: String) throws {
        #expect(try redact(text, Self.korean) == text)
    }

    @Test func aNumberBesideAnotherIsStillFound() throws {
        // Separated by a space, a neighbouring number is not part of a longer run.
        #expect(try redact("call 1077203158 2", Self.korean) == "call [PERSON-1] 2")
        #expect(try redact("room 12 010 7720 3158", Self.korean) == "room 12 [PERSON-1]")
    }

    @Test func leakCheckSeesThroughOtherSeparators() throws {
        // A comma list or a tilde is not a grouping the redactor reads as one number; the export refuses.
        for text in ["call 159, 2271, 0634", "call 159~2271~0634", "call 159 * 2271 * 0634"] {
            let out = try redact(text, Self.chinese)
            #expect(out == text)
            #expect(try LeakChecker(rules: Self.chinese).check(out).map(\.kind) == [.separatorsRemoved], "\(text)")
        }
        #expect(try redact("handle tel_159_2271_0634", Self.chinese) == "handle tel_[PHONE-1]")
        // Letters between the groups are no separators, for either.
        #expect(try LeakChecker(rules: Self.chinese).check("ref 159a2271b0634").isEmpty)
    }

    @Test func anotherCountrysCodeIsNotSwallowed() throws {
        // "+1" is not the rule's "+86": the subscriber digits still go, the foreign code stays.
        #expect(try redact("call +1 159 2271 0634", Self.chinese) == "call +1 [PHONE-1]")
        #expect(try redact("call +11592271 0634", Self.chinese) == "call +11592271 0634")
    }

    @Test func whatParsesAsANumber() {
        #expect(PhoneRules.forms(of: "+86 159 2271 0634", label: "PERSON")?.first?.country == Array("86".utf8))
        let korean = PhoneRules.forms(of: "010-7720-3158", label: "PERSON") ?? []
        #expect(korean.contains { $0.national == Array("1077203158".utf8) && $0.trunk == [0x30] })
        #expect(PhoneRules.forms(of: "2019-03-11", label: "DATE") == nil, "a date is not a number")
        #expect(PhoneRules.forms(of: "2019-03-11", label: "PHONE") != nil, "unless labelled PHONE")
        #expect(PhoneRules.forms(of: "Kim 010-7720-3158", label: "PHONE") == nil, "letters: a term")
        #expect(PhoneRules.forms(of: "34", label: "PHONE") == nil)
        #expect(PhoneRules.forms(of: "12345", label: "PHONE") != nil)
        #expect(PhoneRules.forms(of: "12345", label: "ID") == nil)
        // "010" begins Korean numbers: it is not read as an international prefix in a rule.
        #expect(PhoneRules.forms(of: "010-7720-3158", label: "PHONE")?.allSatisfy { $0.country == nil } == true)
    }

    @Test func metadataComesFromLibphonenumber() {
        #expect(PhoneMetadata.version.hasPrefix("libphonenumber metadata "))
        #expect(PhoneCountries.byCode[Array("82".utf8)]?.trunks == [Array("0".utf8)])
        #expect(PhoneCountries.byCode[Array("7".utf8)]?.trunks == [Array("8".utf8)])
        #expect(PhoneCountries.byCode[Array("36".utf8)]?.trunks == [Array("06".utf8)])
        #expect(PhoneCountries.byCode[Array("39".utf8)]?.trunks == [])
        #expect(PhoneCountries.byCode[Array("850".utf8)] != nil)
        #expect(PhoneCountries.byCode.count > 200)
    }

    @Test func everyFormIsOneEntity() throws {
        let rules = Self.chinese + [.term("q", "+82 10-7720-3158", label: .phone)]
        let out = try redact("159 2271 0634, 010-7720-3158, +86 15922710634", rules)
        #expect(out == "[PHONE-1], [PHONE-2], [PHONE-1]")
    }

    @Test func variantsMayBeNumbersToo() throws {
        let rules: [RedactionRule] = [.term("s", "Sambong", variants: ["+86 159 2271 0634"], label: .place)]
        #expect(try redact("at Sambong, tel 159-2271-0634", rules) == "at [PLACE-1], tel [PLACE-1]")
    }

    @Test func findingsPointAtTheWholeNumber() throws {
        let text = "tel: (+86) 159 2271 0634."
        let result = try Redactor(rules: Self.chinese).redact(text)
        #expect(result.findings.count == 1)
        #expect(spliced(text, result) == result.text)
        #expect(result.text == "tel: [PHONE-1].")
    }

    // MARK: the phone detector gets the same grouping rules

    @Test(arguments: [
        ("tel 0086 159 2271 0634.", "tel [PHONE-1]."),
        ("tel (+86) 159 2271 0634.", "tel [PHONE-1]."),
        ("tel 159.2271.0634.", "tel [PHONE-1]."),
        ("tel 159/2271/0634.", "tel [PHONE-1]."),
        ("tel 1 5 9 2 2 7 1 0 6 3 4.", "tel [PHONE-1]."),
        ("tel 1592 271 0634.", "tel [PHONE-1]."),
        ("tel １５９ ２２７１ ０６３４.", "tel [PHONE-1]."),
        ("tel 159\u{2009}2271\u{2009}0634.", "tel [PHONE-1]."),
        ("tel 010\u{200B}-1234-5678.", "tel [PHONE-1]."),
        ("tel 010 1234\n5678.", "tel [PHONE-1]."),
        ("tel +82 (0)10-1234-5678.", "tel [PHONE-1]."),
        // Digits after the number are not swallowed into it (nor do they hide it).
        ("tel +82 10-1234-5678 2024년", "tel [PHONE-1] 2024년"),
        ("tel +86 138 0013 8000\n2024 report", "tel [PHONE-1]\n2024 report")
    ])
    func detectorGroupings(_ input: String, _ expected: String) throws {
        let rules: [RedactionRule] = [.detector("d", .phone)]
        let out = try redact(input, rules)
        #expect(out == expected)
        #expect(try leakCheck(out, rules: rules).isEmpty)
    }

    @Test(arguments: [
        "order 215922710634", "on 2024-03-05", "room 12", "+89 1234 5678 9",
        "pages 13 14 15 16 17"
    ])
    func detectorNegatives(_ text: String) throws {
        #expect(try redact(text, [.detector("d", .phone)]) == text)
    }
}
