import Foundation
import Testing

@testable import Redaction

/// North and South Korean spellings of one name (issue 15, item 6): the initial-sound rule (두음 법칙,
/// 한글 맞춤법 제10–12항) at the start of each name part.
@Suite struct InitialSoundTests {
    @Test(arguments: [
        // 제11항: ㄹ before ㅣ and the y-vowels → ㅇ
        ("리", "이"), ("랴", "야"), ("려", "여"), ("례", "예"), ("료", "요"), ("류", "유"),
        ("량", "양"), ("력", "역"), ("령", "영"), ("룡", "용"), ("률", "율"), ("림", "임"), ("륙", "육"),
        // 제12항: ㄹ before the other vowels → ㄴ
        ("라", "나"), ("래", "내"), ("로", "노"), ("뢰", "뇌"), ("루", "누"), ("르", "느"),
        ("락", "낙"), ("론", "논"), ("롱", "농"), ("릉", "능"),
        // 제10항: ㄴ before ㅣ and the y-vowels → ㅇ
        ("녀", "여"), ("뇨", "요"), ("뉴", "유"), ("니", "이"), ("년", "연"), ("녕", "영"),
        // unchanged
        ("나", "나"), ("노", "노"), ("이", "이"), ("김", "김"), ("종", "종")
    ])
    func southernSpelling(_ north: String, _ south: String) {
        let n = north.unicodeScalars.first!.value, s = south.unicodeScalars.first!.value
        #expect(Hangul.southern(n) == s)
        #expect(Hangul.initialSoundForms(n).first == s)
        #expect(Hangul.initialSoundForms(s).contains(n))
    }

    /// The array-free checks the compiler asks of every syllable of a term agree with the rule's
    /// forms for every Hangul syllable: ``Hangul/hasInitialSoundAlternate(_:)`` is "more than one
    /// form", and the y-vowel set of ``Hangul/southern(_:)`` is 제10–11항's (ㅑ ㅒ ㅕ ㅖ ㅛ ㅠ ㅣ).
    @Test func theArrayFreeChecksAgreeWithTheFormsOfEverySyllable() {
        var alternates = 0
        for s in UInt32(0xAC00)...0xD7A3 {
            let forms = Hangul.initialSoundForms(s)
            #expect(Hangul.hasInitialSoundAlternate(s) == (forms.count > 1), "\(s)")
            alternates += forms.count > 1 ? 1 : 0
            let index = s - 0xAC00
            let l = index / 588, v = index / 28 % 21
            let yOrI = [2, 3, 6, 7, 12, 17, 20].contains(v)
            let south = l == 5 ? (yOrI ? 11 : 2) : l == 2 && yOrI ? 11 : l
            #expect(Hangul.southern(s) == 0xAC00 + (south * 21 + v) * 28 + index % 28, "\(s)")
        }
        #expect(alternates > 1_000)
        #expect(!Hangul.hasInitialSoundAlternate(0x41) && !Hangul.hasInitialSoundAlternate(0xD7A4))
    }

    @Test func variantsAtEachNamePart() {
        #expect(Set(Hangul.initialSoundVariants("리종열", person: true)) == ["리종열", "이종열", "니종열"])
        #expect(
            Set(Hangul.initialSoundVariants("리룡남", person: true))
                == ["리룡남", "이룡남", "니룡남", "리용남", "이용남", "니용남", "리뇽남", "이뇽남", "니뇽남"])
        // Not a person: one word, the rule applies at its start only.
        #expect(Set(Hangul.initialSoundVariants("로동신문", person: false)) == ["로동신문", "노동신문"])
        #expect(Set(Hangul.initialSoundVariants("조선 로동당", person: false)) == ["조선 로동당", "조선 노동당"])
        // Two-syllable surname: the given name starts at the third syllable.
        #expect(Hangul.initialSoundVariants("남궁련희", person: true).contains("남궁연희"))
        // One syllable matches anywhere in Hangul already: no alternates.
        #expect(Hangul.initialSoundVariants("리", person: true) == ["리"])
    }

    /// The shortcuts (no Hangul byte at all; no name part with another spelling) give what the
    /// whole computation gives: decomposed jamo still compose into syllables and get their
    /// variants; Latin, Chinese and compatibility jamo forms get none.
    @Test func formsWithoutVariantsAndDecomposedForms() {
        let nfd = "리종열".decomposedStringWithCanonicalMapping
        #expect(nfd.unicodeScalars.count == 8)
        #expect(Set(Hangul.initialSoundVariants(nfd, person: true)) == [nfd, "이종열", "니종열"])
        #expect(Set(Hangul.initialSoundVariants(nfd, person: false)) == [nfd, "이종열", "니종열"])
        for form in ["Ri Jong-yol", "李鍾烈", "ㄹㅣㅈㅗㅇ", "ﾘﾝ", "팩트7", "Hoeryŏng 회령"] {
            #expect(Hangul.initialSoundVariants(form, person: false) == [form], "\(form)")
        }
        #expect(Hangul.initialSoundVariants("김정은", person: true) == ["김정은"])
        #expect(Set(Hangul.initialSoundVariants("회령 로동자", person: false)) == ["회령 로동자", "회령 노동자"])
    }

    @Test(arguments: [
        ("리종열", "PERSON", "이종열은 어제 왔다", "[PERSON-1]은 어제 왔다"),
        ("이종열", "PERSON", "리종열은 어제 왔다", "[PERSON-1]은 어제 왔다"),
        ("로동신문", "ORG", "노동신문에 실렸다", "[ORG-1]에 실렸다"),
        ("노동신문", "ORG", "로동신문에 실렸다", "[ORG-1]에 실렸다"),
        ("류경", "PLACE", "유경호텔 앞", "[PLACE-1]호텔 앞"),
        ("녀성", "ORG", "여성 동맹", "[ORG-1] 동맹"),
        ("여성동맹", "ORG", "녀성동맹 위원장", "[ORG-1] 위원장"),
        ("리룡남", "PERSON", "이용남 씨가", "[PERSON-1] 씨가"),
        ("량강도", "PLACE", "양강도 혜산", "[PLACE-1] 혜산"),
        ("라선", "PLACE", "나선 경제특구", "[PLACE-1] 경제특구")
    ])
    func northAndSouthSpellingsAreOneName(_ term: String, _ label: String, _ text: String, _ expected: String) throws {
        let rules: [RedactionRule] = [
            RedactionRule(
                id: "r", pattern: .term(term, variants: [], substring: false),
                label: label)
        ]
        let out = try redact(text, rules)
        #expect(out == expected)
        #expect(try LeakChecker(rules: rules).check(out).isEmpty)
    }

    @Test func onlyAtTheStartOfANamePart() throws {
        // 종열's 열 (렬 in the North) is not word-initial: "리종렬" is another spelling the rule does not imply.
        #expect(try redact("김종렬", [.term("r", "김종열")]) == "김종렬")
        // A one-syllable term is not widened (it would hit every 이 and 니 in Korean text).
        #expect(try redact("니가 말했다", [.term("r", "리")]) == "니가 말했다")
        // Over-redaction: different names stay.
        #expect(
            try redact("이종석, 유경진, 노동자", [.term("r", "리종열"), .term("p", "류경호", label: .place)])
                == "이종석, 유경진, 노동자")
    }

    @Test func suggestProposesTheOtherSpelling() {
        let north = suggest("리종열은 왔다", rules: [.term("r", "리종열")])
        #expect(north.map(\.text) == ["이종열"])
        #expect(north.first?.kind == .otherSpelling && north.first?.line == 1)
        #expect(north.first?.suggestedLabel == "PERSON")
        let south = suggest("그날\n이종열은 왔다", rules: [.term("r", "이종열")])
        #expect(south.map(\.text) == ["리종열"])
        #expect(south.first?.line == 2)
        let org = suggest("여성 동맹", rules: [.term("w", "여성", label: .org)])
        #expect(Set(org.map(\.text)) == ["려성", "녀성"])
        // Both spellings listed: nothing to propose. Not in the text: nothing either.
        #expect(suggest("이종열 리종열", rules: [.term("r", "이종열", variants: ["리종열"])]).isEmpty)
        #expect(suggest("김혜진이 왔다", rules: [.term("r", "이종열")]).allSatisfy { $0.kind != .otherSpelling })
    }
}
