import Foundation
import Testing

@testable import Redaction

@Suite struct ReplacementTests {
    @Test func numberIsStablePerEntityAndCountsPerLabel() throws {
        let rules: [RedactionRule] = [
            .term("a", "Jong-yol", variants: ["이종열", "李钟烈"]),
            .term("b", "Ri Sol-ju"),
            .term("c", "Musan", label: .place),
            .term("d", "회령", label: .place)
        ]
        let text = "李钟烈 met Ri Sol-ju in 회령. Later Jong Yol (이종열) left Musan; Ri Sol-ju stayed."
        let result = try Redactor(rules: rules).redact(text)
        #expect(
            result.text
                == "[PERSON-1] met [PERSON-2] in [PLACE-1]. Later [PERSON-1] ([PERSON-1]) left [PLACE-2]; [PERSON-2] stayed.")
    }

    @Test func numberingRestartsForEveryCall() throws {
        let r = try Redactor(rules: [.term("a", "Kim"), .term("b", "Ri")])
        #expect(r.redact("Ri").text == "[PERSON-1]")
        #expect(r.redact("Kim, Ri").text == "[PERSON-1], [PERSON-2]")
    }

    @Test func fixedReplacementWins() throws {
        let rules: [RedactionRule] = [
            .term("a", "Musan County", variants: ["무산군", "茂山郡"], label: .place, replacement: "a border county"),
            .term("b", "Kim")
        ]
        #expect(
            try redact("Kim fled Musan County; 무산군 and 茂山郡.", rules)
                == "[PERSON-1] fled a border county; a border county and a border county.")
    }

    @Test func replacementDoesNotRevealLength() throws {
        let rules: [RedactionRule] = [.term("a", "Ri"), .term("b", "Kim Jong-yol Park Sung-ho Lee")]
        let short = try redact("Ri", rules)
        let long = try redact("Kim Jong-yol Park Sung-ho Lee", rules)
        #expect(short == "[PERSON-1]")
        #expect(long == "[PERSON-1]")
    }

    @Test func findingsCarryRuleLabelLineAndOriginalOffsets() throws {
        let text = "first line\nsecond: Jong-\nyol\nthird 이종열"
        let result = try Redactor(rules: [.term("r9", "Jong-yol", variants: ["이종열"])]).redact(text)
        #expect(result.findings.count == 2)
        let bytes = Array(text.utf8)
        #expect(result.findings.map(\.line) == [2, 4])
        #expect(result.findings.map(\.ruleID) == ["r9", "r9"])
        #expect(result.findings.map(\.label) == ["PERSON", "PERSON"])
        #expect(String(decoding: bytes[result.findings[0].originalRange], as: UTF8.self) == "Jong-\nyol")
        #expect(String(decoding: bytes[result.findings[1].originalRange], as: UTF8.self) == "이종열")
    }

    @Test func unredactedTextIsKeptByteForByte() throws {
        let text = "«Ri» — said 이종열은 to 李钟烈 at café\u{00A0}“Ri’s”.\tEnd ﬁn ＡＢＣ 👩‍👩‍👧"
        let result = try Redactor(rules: [.term("a", "Ri"), .term("b", "이종열"), .term("c", "李钟烈")]).redact(text)
        #expect(result.findings.count == 4)
        #expect(spliced(text, result) == result.text)
        #expect(result.text.utf8.elementsEqual(spliced(text, result).utf8))
    }

    @Test func graphemeClustersAreNeverSplit() throws {
        // A combining mark after the term (not part of the folded term) goes with its base letter,
        // an emoji modifier sequence after a Hangul match stays whole.
        let rules: [RedactionRule] = [.term("a", "Ri"), .term("b", "이종열")]
        #expect(try redact("Ri\u{0301} left", rules) == "[PERSON-1] left")
        #expect(try redact("Ri\u{0301}\u{0327}\u{0308} left", rules) == "[PERSON-1] left")
        #expect(try redact("이종열👍🏽", rules) == "[PERSON-1]👍🏽")
        #expect(try redact("e\u{301}Ri", rules) == "e\u{301}Ri")  // inside a word: not a hit
        // Jamo after a precomposed syllable belongs to its cluster.
        let t = "이종열\u{11AB} x"
        let out = try Redactor(rules: rules).redact(t)
        #expect(!out.text.unicodeScalars.contains { (0x1100...0x11FF).contains($0.value) })
    }

    @Test func outputIsNFCAndNFCInputIsUnchangedOutsideSpans() throws {
        let rules: [RedactionRule] = [.term("a", "Hoeryŏng", variants: ["회령"], label: .place)]
        let nfc = "Hoeryŏng, Sŏul, 회령에서, Zürich"
        let r1 = try Redactor(rules: rules).redact(nfc)
        #expect(isNFC(r1.text))
        #expect(r1.text == "[PLACE-1], Sŏul, [PLACE-1]에서, Zürich")
        #expect(r1.text.utf8.elementsEqual(spliced(nfc, r1).utf8))

        let nfd = nfc.decomposedStringWithCanonicalMapping
        let r2 = try Redactor(rules: rules).redact(nfd)
        #expect(isNFC(r2.text))
        #expect(r2.text.utf8.elementsEqual(r1.text.utf8))
    }

    @Test func fixedReplacementIsNormalizedToNFC() throws {
        let rules: [RedactionRule] = [.term("a", "Musan", label: .place, replacement: "a county near Hoeryo\u{306}ng")]
        let out = try redact("Musan", rules)
        #expect(isNFC(out))
        #expect(out == "a county near Hoeryŏng")
    }

    @Test func emptyTextAndNoRules() throws {
        #expect(try redact("", [.term("a", "Kim")]) == "")
        #expect(try redact("Kim", []) == "Kim")
    }
}

@Suite struct ReadmeExampleTests {
    @Test func worksAsDocumented() throws {
        let rules: [RedactionRule] = [
            .term("r1", "Jong-yol", variants: ["이종열", "李钟烈"]),
            .term("r2", "Musan County", variants: ["무산군"], label: .place, replacement: "a border county"),
            .detector("r3", .phone)
        ]
        let result = try Redactor(rules: rules).redact("JONG YOL’s sister left Musan County. 이종열은 010-1234-5678로 연락했다.")
        #expect(result.text == "[PERSON-1] sister left a border county. [PERSON-1]은 [PHONE-1]로 연락했다.")
        #expect(try leakCheck(result.text, rules: rules).isEmpty)
    }
}
