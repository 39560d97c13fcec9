import Foundation
import Testing

@testable import Redaction

@Suite struct SuggestTests {
    static let text = """
        In Musan County we met Kim Jong-yol and his wife.
        The broker Pak Chol-min took 3 people across, 12 km at night.
        이종열은 박명수씨와 함께 왔다. 30명이 강을 건넜다.
        王小明说李钟烈走了5公里。
        Call +82 10-1234-5678 on 2024-03-05.
        """

    @Test func findsNameLikePhrasesInAllScripts() {
        let s = suggest(Self.text, rules: [])
        let texts = s.map(\.text)
        #expect(texts.contains("Musan County"))
        #expect(texts.contains("Kim Jong-yol"))
        #expect(texts.contains("Pak Chol-min"))
        #expect(texts.contains("이종열"))
        #expect(texts.contains("박명수"))
        #expect(texts.contains("王小明"))
        #expect(texts.contains("李钟烈"))
        #expect(!texts.contains("The"))
        #expect(!texts.contains { $0.hasPrefix("In ") })
        #expect(s.first { $0.text == "박명수" }?.kind == .hangulName)
        #expect(s.first { $0.text == "王小明" }?.kind == .chineseName)
        #expect(s.first { $0.text == "이종열" }?.line == 3)
    }

    @Test func findsNumbersWithUnitsAndDetectorHits() {
        let s = suggest(Self.text, rules: [])
        let texts = s.map(\.text)
        #expect(texts.contains("3 people"))
        #expect(texts.contains("12 km"))
        #expect(texts.contains("30명"))
        #expect(texts.contains("5公里"))
        #expect(s.contains { $0.kind == .detector && $0.detector == .phone && $0.text == "+82 10-1234-5678" })
        #expect(s.contains { $0.kind == .detector && $0.detector == .date && $0.text == "2024-03-05" })
    }

    @Test func leavesOutWhatRulesAlreadyCover() {
        let rules: [RedactionRule] = [
            .term("a", "Kim Jong-yol", variants: ["이종열", "李钟烈"]),
            .term("b", "Musan County", label: .place), .detector("p", .phone)
        ]
        let texts = suggest(Self.text, rules: rules).map(\.text)
        #expect(!texts.contains("Kim Jong-yol"))
        #expect(!texts.contains("Musan County"))
        #expect(!texts.contains("이종열"))
        #expect(!texts.contains("李钟烈"))
        #expect(!texts.contains("+82 10-1234-5678"))
        #expect(texts.contains("박명수"))
        #expect(texts.contains("Pak Chol-min"))
    }

    @Test func ordinaryWordsAreNotSuggested() {
        let texts = suggest("The river was cold. 이것은 정말 한국 이야기이다. 我们在这里。", rules: []).map(\.text)
        #expect(texts.isEmpty, "\(texts)")
    }
}
