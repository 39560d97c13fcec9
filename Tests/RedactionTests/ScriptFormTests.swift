import Foundation
import Testing

@testable import Redaction

/// Forms of a name in other scripts and notations (issue 15, items 3 and 4, and McCune–Reischauer):
/// TR39 look-alikes, Hangul spelled out in jamo, stretchers, apostrophes and diacritics.
@Suite struct ScriptFormTests {
    static let rules: [RedactionRule] = [
        .term("j", "Jong-yol", variants: ["이종열"]), .term("k", "Kim"),
        .term("g", "Kŭmch'ŏn-ri", label: .place), .term("h", "김혜진")
    ]

    struct Case: CustomTestStringConvertible, Sendable {
        let input: String
        let expected: String
        var testDescription: String { input.debugDescription }
    }

    static func check(_ c: Case) throws {
        let out = try redact(c.input, rules)
        #expect(out == c.expected)
        #expect(try LeakChecker(rules: rules).check(out).isEmpty, "export would refuse")
        #expect(try redact(out, rules) == out)
    }

    // MARK: confusables from Unicode's data, redacted (no longer only refused at export)

    static let lookalikes: [Case] = [
        Case(input: "ꓙꓳꓠꓖ-ꓬꓳꓡ said", expected: "[PERSON-1] said"),  // Lisu
        Case(input: "ᎫᎾNG-YOL said", expected: "[PERSON-1] said"),  // Cherokee
        Case(input: "Jоng-yоl said", expected: "[PERSON-1] said"),  // Cyrillic о
        Case(input: "ЈОNG-УОL said", expected: "[PERSON-1] said"),  // Cyrillic capitals
        Case(input: "Кim said", expected: "[PERSON-1] said"),  // Cyrillic К
        Case(input: "КІМ said", expected: "[PERSON-1] said"),  // Cyrillic І reads I
        Case(input: "ΚΙΜ said", expected: "[PERSON-1] said"),  // Greek capitals
        Case(input: "Jοng-yοl said", expected: "[PERSON-1] said"),  // Greek ο
        Case(input: "Ϳong-yol said", expected: "[PERSON-1] said"),  // Greek yot
        Case(input: "Jօng-yօl said", expected: "[PERSON-1] said"),  // Armenian օ
        Case(input: "𝐉𝐨𝐧𝐠-𝐲𝐨𝐥 said", expected: "[PERSON-1] said"),  // mathematical bold
        Case(input: "𝙹𝚘𝚗𝚐𝚢𝚘𝚕 said", expected: "[PERSON-1] said"),  // mathematical monospace
        Case(input: "Kꓲm said", expected: "[PERSON-1] said"),  // Lisu letter I
        Case(input: "Kɪm said", expected: "[PERSON-1] said")  // small capital I
    ]

    @Test(arguments: lookalikes)
    func lookalikesAreRedacted(_ c: Case) throws { try Self.check(c) }

    @Test func theTableIsGeneratedFromUnicodeData() {
        #expect(!ConfusablesTable.unicodeVersion.isEmpty && !ConfusablesTable.icuVersion.isEmpty)
        #expect(Confusables.table.count > 1000)
        #expect(Confusables.target(0x041A, mode: .standard) == [0x4B])  // К → K
        #expect(Confusables.target(0xA4D9, mode: .standard) == [0x4A])  // ꓙ → J
        #expect(Confusables.target(0xA4F2, mode: .standard) == [0x69])  // ꓲ → i for the redactor
        #expect(Confusables.target(0xA4F2, mode: .skeleton) == [0x6C])  // … l in the skeleton
        #expect(Confusables.target(0x2228, mode: .standard) == nil)  // ∨: a symbol, leak check only
        #expect(Confusables.target(0x2228, mode: .skeleton) == [0x76])
        #expect(Confusables.target(0x3161, mode: .skeleton) == nil)  // ㅡ: Hangul is left out
    }

    @Test func redactorAndLeakCheckAgree() throws {
        // Everything the redactor folds through the table, the leak check folds alike: the skeleton of
        // the redactor's folding is the skeleton of the letter (but for the leak check's own extras).
        var standard = Folder(mode: .standard), skeleton = Folder(mode: .skeleton)
        for (scalar, entry) in Confusables.table where entry.redactor != nil && Confusables.stricter[scalar] == nil {
            let s = String(Character(Unicode.Scalar(scalar)!))
            let a = standard.fold(s).bytes, b = skeleton.fold(s).bytes
            let asSkeleton = skeleton.fold(String(decoding: a, as: UTF8.self)).bytes
            #expect(asSkeleton == b, "U+\(String(scalar, radix: 16))")
        }
    }

    @Test func noOverRedactionFromLookalikes() throws {
        // Real words in other scripts do not become Latin names.
        let text = "Ким Чен Ын, Κίμων, Рим, кит, 1 l I | 0 O rn m, Kimbap, Riverside"
        #expect(try redact(text, [.term("k", "Kim"), .term("r", "Ri")]) == text)
    }

    @Test func leakCheckStaysStricter() throws {
        // Digits and symbols that look like letters are only refused, never redacted.
        let rules: [RedactionRule] = [.term("k", "Kim")]
        #expect(try redact("K1m said", rules) == "K1m said")
        #expect(try leakCheck("K1m said", rules: rules).map(\.kind) == [.confusableSkeleton])
        #expect(
            try leakCheck("Kim said".replacingOccurrences(of: "m", with: "rn"), rules: rules).map(\.kind)
                == [.confusableSkeleton])
    }

    // MARK: McCune–Reischauer: apostrophes, breves and carons in any combination

    static let mccuneReischauer: [Case] = [
        Case(input: "from Kŭmch'ŏn-ri.", expected: "from [PLACE-1]."),
        Case(input: "from Kŭmchʼŏn-ri.", expected: "from [PLACE-1]."),
        Case(input: "from Kŭmch’ŏn-ri.", expected: "from [PLACE-1]."),
        Case(input: "from Kŭmch‘ŏn-ri.", expected: "from [PLACE-1]."),
        Case(input: "from Kŭmchʻŏn-ri.", expected: "from [PLACE-1]."),
        Case(input: "from Kŭmch`ŏn-ri.", expected: "from [PLACE-1]."),
        Case(input: "from Kŭmchʾŏn-ri.", expected: "from [PLACE-1]."),
        Case(input: "from Kǔmch'ǒn-ri.", expected: "from [PLACE-1]."),  // carons
        Case(input: "from Ku\u{306}mch'o\u{306}n-ri.", expected: "from [PLACE-1]."),  // combining breves
        Case(input: "from Ku\u{30C}mch'o\u{30C}n-ri.", expected: "from [PLACE-1]."),  // combining carons
        Case(input: "from Ku˘mch'o˘n-ri.", expected: "from [PLACE-1]."),  // spacing breves
        Case(input: "from Kuˇmch'oˇn-ri.", expected: "from [PLACE-1]."),  // spacing carons
        Case(input: "from Kumch'on-ri.", expected: "from [PLACE-1]."),
        Case(input: "from Kumchon-ri.", expected: "from [PLACE-1]."),
        Case(input: "from Kŭmch'ŏn ri.", expected: "from [PLACE-1]."),
        Case(input: "from KŬMCH'ŎN-RI.", expected: "from [PLACE-1].")
    ]

    @Test(arguments: mccuneReischauer)
    func mccuneReischauerSpellings(_ c: Case) throws { try Self.check(c) }

    // MARK: compatibility jamo and stretchers

    static let jamo: [Case] = [
        Case(input: "ㅇㅣㅈㅗㅇㅇㅕㄹ은 왔다", expected: "[PERSON-1]은 왔다"),
        Case(input: "ㄱㅣㅁㅎㅖㅈㅣㄴ이 왔다", expected: "[PERSON-1]이 왔다"),
        // half-width jamo
        Case(input: "\u{FFB7}\u{FFDC}\u{FFB8}\u{FFCC}\u{FFB7}\u{FFB7}\u{FFCA}\u{FFA9}", expected: "[PERSON-1]"),
        Case(input: "이ㅈㅗㅇ열", expected: "[PERSON-1]"),  // mixed with syllables
        Case(input: "ㅇ\u{200B}ㅣㅈㅗㅇ\u{200D}ㅇㅕㄹ", expected: "[PERSON-1]")  // invisible characters inside
    ]

    @Test(arguments: jamo)
    func compatibilityJamoCompose(_ c: Case) throws { try Self.check(c) }

    @Test func jamoComposeLikeAnInputMethod() {
        var folder = Folder(mode: .standard)
        func composed(_ s: String) -> String { String(decoding: folder.fold(s).bytes, as: UTF8.self) }
        #expect(composed("ㅇㅣㅈㅗㅇㅇㅕㄹ") == "이종열")
        #expect(composed("ㄱㅗㅏㅇㅣㄹ") == "과일")  // compound vowel
        #expect(composed("ㄷㅏㄹㄱㄱㅗㄱㅣ") == "닭고기")  // two-consonant final
        #expect(composed("ㅇㅏㄴㅈㅇㅏ") == "앉아")
        #expect(composed("ㄷㅏㄹㄱㅇㅣ") == "닭이")
        #expect(composed("ㄷㅏㄹㄱㅣ") == "달기")  // a vowel takes the last final back
        #expect(composed("ㅋㅋㅋ") == "\u{110F}\u{110F}\u{110F}")  // no vowel: lone initials
        #expect(composed("ㄱ ㅏ") == "\u{1100}\u{1161}")  // a gap: no composition
        #expect(composed("가ㄱ") == "가\u{1100}")  // never into a precomposed syllable
        // Each syllable maps back to exactly the jamo it was made of.
        let text = "ㄷㅏㄹㄱㄱㅗㄱㅣ"
        let f = folder.fold(text)
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[Int(f.origStart[0])..<Int(f.origEnd[0])], as: UTF8.self) == "ㄷㅏㄹㄱ")
        #expect(String(decoding: bytes[Int(f.origStart[3])..<Int(f.origEnd[3])], as: UTF8.self) == "ㄱㅗ")
        #expect(String(decoding: bytes[Int(f.origStart[6])..<Int(f.origEnd[6])], as: UTF8.self) == "ㄱㅣ")
    }

    static let stretchers: [Case] = [
        Case(input: "Jongـyol said", expected: "[PERSON-1] said"),  // Arabic tatweel
        Case(input: "Jـoـnـg-yol said", expected: "[PERSON-1] said"),
        Case(input: "Jong\u{7FA}yol said", expected: "[PERSON-1] said"),  // N'Ko lajanyalan
        Case(input: "Jong\u{180A}yol said", expected: "[PERSON-1] said"),  // Mongolian nirugu
        Case(input: "Jong\u{200D}yol said", expected: "[PERSON-1] said"),  // ZWJ
        Case(input: "Jong\u{2060}yol said", expected: "[PERSON-1] said"),  // word joiner
        Case(input: "Jong\u{3164}yol said", expected: "[PERSON-1] said"),  // Hangul filler
        Case(input: "Jong\u{34F}yol said", expected: "[PERSON-1] said"),  // combining grapheme joiner
        Case(input: "Kͥm said", expected: "[PERSON-1] said")  // combining Latin small letter i
    ]

    @Test(arguments: stretchers)
    func stretchersAreIgnorable(_ c: Case) throws { try Self.check(c) }
}
