import Foundation
import Testing

@testable import Redaction

@Suite struct RuleErrorTests {
    static let secret = "SecretName"

    @Test(arguments: ["", "   ", "--", "\u{200B}", "’", "**"])
    func emptyTermsAreRejectedNamingTheRuleOnly(_ term: String) {
        #expect(throws: RedactionError.emptyTerm(ruleID: "r1")) {
            try Redactor(rules: [.term("r1", term)])
        }
    }

    @Test func emptyVariantIsRejected() {
        #expect(throws: RedactionError.emptyTerm(ruleID: "r2")) {
            try Redactor(rules: [.term("r2", Self.secret, variants: ["ok", " "])])
        }
    }

    @Test(arguments: ["([", "a{2,1}", "", "x*"])
    func invalidOrEmptyMatchingRegexIsRejected(_ pattern: String) {
        #expect(throws: RedactionError.invalidRegex(ruleID: "rx")) {
            try Redactor(rules: [RedactionRule(id: "rx", pattern: .regex(pattern))])
        }
    }

    @Test func messagesNeverContainTheTermOrPattern() {
        let errors: [RedactionError] = [
            .emptyTerm(ruleID: "r1"), .invalidRegex(ruleID: "r2"), .invalidLabel(ruleID: "r3"),
            .invalidReplacement(ruleID: "r4"), .duplicateRuleID("r5"), .emptyRuleID
        ]
        for e in errors {
            #expect(!e.description.contains(Self.secret))
            #expect(!e.description.isEmpty)
        }
        do {
            _ = try Redactor(rules: [RedactionRule(id: "r7", pattern: .regex("(\(Self.secret)"))])
            Issue.record("expected an error")
        } catch {
            #expect(error == .invalidRegex(ruleID: "r7"))
            #expect(!error.description.contains(Self.secret))
            #expect(error.description.contains("r7"))
        }
    }

    @Test func duplicateIdsLabelsAndReplacementsAreChecked() {
        #expect(throws: RedactionError.duplicateRuleID("a")) {
            try Redactor(rules: [.term("a", "Kim"), .term("a", "Ri")])
        }
        #expect(throws: RedactionError.emptyRuleID) { try Redactor(rules: [.term("", "Kim")]) }
        #expect(throws: RedactionError.invalidLabel(ruleID: "l")) {
            try Redactor(rules: [RedactionRule(id: "l", pattern: .term("Kim", variants: [], substring: false), label: "person")])
        }
        #expect(throws: RedactionError.invalidLabel(ruleID: "l")) {
            try Redactor(rules: [RedactionRule(id: "l", pattern: .term("Kim", variants: [], substring: false), label: "P]X[")])
        }
        #expect(throws: RedactionError.invalidReplacement(ruleID: "x")) {
            try Redactor(rules: [.term("x", "Kim", replacement: "\u{0301}oops")])
        }
        #expect(throws: RedactionError.invalidReplacement(ruleID: "x")) {
            try Redactor(rules: [.term("x", "Kim", replacement: "  ")])
        }
    }

    @Test func labelsAndRulesRoundTripThroughCodable() throws {
        #expect(RuleLabel(rawValue: "PLACE") == .place)
        #expect(RuleLabel(rawValue: "place") == nil)
        let rules: [RedactionRule] = [
            .term("a", "Kim", variants: ["김"], replacement: "x"),
            RedactionRule(id: "b", pattern: .regex("\\d+"), label: "ID"), .detector("c", .phone)
        ]
        let data = try JSONEncoder().encode(rules)
        #expect(try JSONDecoder().decode([RedactionRule].self, from: data) == rules)
    }
}
