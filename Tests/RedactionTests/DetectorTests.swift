import Foundation
import Testing

@testable import Redaction

@Suite struct DetectorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let detector: Detector
        let input: String
        let expected: String
        var testDescription: String { "\(detector): \(input)" }
    }

    static let cases: [Case] = [
        Case(detector: .phone, input: "call +82 10-1234-5678 now", expected: "call [PHONE-1] now"),
        Case(detector: .phone, input: "call +86 138 0013 8000.", expected: "call [PHONE-1]."),
        Case(detector: .phone, input: "전화 010-1234-5678로", expected: "전화 [PHONE-1]로"),
        Case(detector: .phone, input: "tel (555) 123-4567;", expected: "tel [PHONE-1];"),
        Case(detector: .phone, input: "手机13800138000。", expected: "手机[PHONE-1]。"),
        Case(detector: .email, input: "mail jy.lee+x@example.co.kr, ok", expected: "mail [EMAIL-1], ok"),
        Case(detector: .email, input: "이메일은 kim@mail.ru 입니다", expected: "이메일은 [EMAIL-1] 입니다"),
        Case(detector: .url, input: "see https://example.org/a?b=c.", expected: "see [URL-1]."),
        Case(detector: .url, input: "(www.example.com/x)", expected: "([URL-1])"),
        Case(detector: .url, input: "网址：http://例子.cn/路径。", expected: "网址：[URL-1]。"),
        Case(detector: .ip, input: "from 192.168.10.254.", expected: "from [IP-1]."),
        Case(detector: .ip, input: "v6 2001:db8::8a2e:370:7334 and ::1", expected: "v6 [IP-1] and [IP-2]"),
        Case(detector: .ip, input: "v6 fe80:0:0:0:202:b3ff:fe1e:8329!", expected: "v6 [IP-1]!"),
        Case(detector: .coordinates, input: "at 42.4°N 129.9°E.", expected: "at [COORD-1]."),
        Case(detector: .coordinates, input: "at 42.43, 129.75 today", expected: "at [COORD-1] today"),
        Case(detector: .coordinates, input: "at 42°25'48\"N 129°45'E", expected: "at [COORD-1]"),
        Case(detector: .date, input: "on 2024-03-05.", expected: "on [DATE-1]."),
        Case(detector: .date, input: "on 5 March 2024, she", expected: "on [DATE-1], she"),
        Case(detector: .date, input: "on March 5, 2024 she", expected: "on [DATE-1] she"),
        Case(detector: .date, input: "2024년 3월 5일에", expected: "[DATE-1]에"),
        Case(detector: .date, input: "2024年3月5日晚上", expected: "[DATE-1]晚上"),
        Case(detector: .age, input: "a 34-year-old woman", expected: "a [AGE-1] woman"),
        Case(detector: .age, input: "she was aged 34.", expected: "she was [AGE-1]."),
        Case(detector: .age, input: "a woman in her 30s from", expected: "a woman [AGE-1] from"),
        Case(detector: .age, input: "34세 여성", expected: "[AGE-1] 여성"),
        Case(detector: .age, input: "30대 여성", expected: "[AGE-1] 여성"),
        Case(detector: .age, input: "一名34岁的女子", expected: "一名[AGE-1]的女子")
    ]

    @Test(arguments: cases)
    func detects(_ c: Case) throws {
        #expect(try redact(c.input, [.detector("d", c.detector)]) == c.expected)
    }

    static let negatives: [(Detector, String)] = [
        (.phone, "in 2024-03-05 we met"), (.phone, "room 12"), (.ip, "at 12:30:45 we left"), (.ip, "version 1.2.3"),
        (.coordinates, "it cost 12.50, 300.99"), (.date, "chapter 3, page 5"), (.age, "34 people crossed"),
        (.email, "@handle and a@b"), (.url, "e.g. this")
    ]

    @Test(arguments: negatives.indices)
    func doesNotDetect(_ i: Int) throws {
        let (d, text) = Self.negatives[i]
        #expect(try redact(text, [.detector("d", d)]) == text)
    }

    @Test func detectorsAreOptIn() throws {
        let text = "call +82 10-1234-5678 on 2024-03-05"
        #expect(try redact(text, [.term("a", "Kim")]) == text)
    }

    @Test func sameDetectedValueKeepsItsNumber() throws {
        let out = try redact("010-1234-5678, 010-9999-0000, 010-1234-5678", [.detector("p", .phone)])
        #expect(out == "[PHONE-1], [PHONE-2], [PHONE-1]")
    }

    @Test func regexRulesRunOnTheOriginalText() throws {
        let rules: [RedactionRule] = [
            RedactionRule(id: "x", pattern: .regex("Unit \\d+|부대 \\d+"), label: "ORG"),
            .term("k", "Kim")
        ]
        #expect(try redact("Kim of Unit 731 (부대 25)", rules) == "[PERSON-1] of [ORG-1] ([ORG-2])")
    }

    @Test func detectorLabelCanBeOverridden() throws {
        let rule = RedactionRule(id: "d", pattern: .detector(.date), label: "WHEN", replacement: nil)
        #expect(try redact("on 2024-03-05", [rule]) == "on [WHEN-1]")
    }
}
