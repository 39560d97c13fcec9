import Foundation
import Testing

@testable import Redaction

/// The phone index is built without an array of each rule's forms and with its set of seen forms
/// emptied only when used (issue 18, the guard's cost): the same patterns, in the same order, as
/// the way it was built before, kept here as the reference.
@Suite struct PhoneIndexBuildTests {
    static func reference(_ rules: [RedactionRule]) -> [PhoneIndex.Pattern] {
        var patterns: [PhoneIndex.Pattern] = []
        var seen = Set<PhoneForm>()
        for (index, rule) in rules.enumerated() {
            guard case .term(let term, let variants, _) = rule.pattern else { continue }
            seen.removeAll(keepingCapacity: true)
            for form in [term] + variants {
                for f in PhoneRules.forms(of: form, label: rule.label) ?? [] where seen.insert(f).inserted {
                    patterns.append(PhoneIndex.Pattern(rule: index, form: f))
                }
            }
        }
        return patterns
    }

    @Test func theSamePatternsAsBefore() {
        var rules = TermIndexBuildTests.rules
        rules += [
            .term("ph1", "010-7720-3158", variants: ["+82 10 7720 3158", "010 7720 3158", "0086 139 1234 5678"], label: .phone),
            .term("ph2", "+44 (0)20 7946 0958", variants: ["020 7946 0958", "+44 20 7946 0958"]),
            .term("ph3", "2019-03-12", variants: ["12345", "1234567", "+1 555 0100"], label: .phone),
            .term("ph4", "Kim", variants: ["010-7720-3158"]),
            .term("ph5", "010-7720-3158", variants: ["010-7720-3158", "01077203158"], label: .phone),
            .term("ph6", "1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8")
        ]
        rules.append(.init(id: "rx", pattern: .regex("[0-9]+"), label: "ID"))
        for subset in [rules, Array(rules.suffix(7)), Array(rules.prefix(5)), []] {
            let index = PhoneIndex(rules: subset)
            let ref = Self.reference(subset)
            #expect(index.patterns.map(\.rule) == ref.map(\.rule) && index.patterns.map(\.form) == ref.map(\.form))
        }
        #expect(PhoneIndex(rules: rules).patterns.count > 8)
    }
}
