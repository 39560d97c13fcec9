import Foundation
import Testing

@testable import Redaction

/// A rule's term and variants are a set (issue 15, item 5): every variant keeps its own separator
/// positions whatever the order, so permuting them never changes the output.
@Suite struct VariantSetTests {
    static let text = """
        Kim Hye-jin, Hye jin, Hyejin, Hye-jin, HYE JIN and 김혜진 met Hye\u{2011}jin and Hye_jin.
        Kim Hyejin came; Hye\njin left. Hyej in stayed.
        """

    static func permutations<T>(_ a: [T]) -> [[T]] {
        guard a.count > 1 else { return [a] }
        return a.indices.flatMap { i -> [[T]] in
            var rest = a
            let x = rest.remove(at: i)
            return permutations(rest).map { [x] + $0 }
        }
    }

    @Test func issueExample() throws {
        // Variants 김혜진, Hyejin, Hye-jin in that order left "Hye jin" visible.
        let rules: [RedactionRule] = [.term("h", "Kim Hye-jin", variants: ["김혜진", "Hyejin", "Hye-jin"])]
        #expect(try redact("then Hye jin said", rules) == "then [PERSON-1] said")
        #expect(try LeakChecker(rules: rules).check(try redact("then Hye jin said", rules)).isEmpty)
    }

    @Test func everyOrderGivesTheSameOutput() throws {
        let variants = ["김혜진", "Hyejin", "Hye-jin", "Hye jin"]
        var outputs = Set<String>()
        for order in Self.permutations(variants) {
            outputs.insert(try redact(Self.text, [.term("h", "Kim Hye-jin", variants: order)]))
            // The term itself may be any of them too.
            let rest = Array(order.dropFirst()) + ["Kim Hye-jin"]
            outputs.insert(try redact(Self.text, [.term("h", order[0], variants: rest)]))
        }
        #expect(outputs.count == 1, "\(outputs)")
        let out = try #require(outputs.first)
        for form in ["Hye-jin", "Hye jin", "Hyejin", "HYE JIN", "김혜진", "Hye\u{2011}jin", "Hye_jin", "Hye\njin"] {
            #expect(!out.contains(form), "\(form) in \(out)")
        }
        #expect(out.contains("Hyej in"), "a separator no form has stays a separator: \(out)")
    }

    @Test func separatorPositionsAreUnited() throws {
        let index = try TermIndex(rules: [.term("h", "Hyejin", variants: ["Hye-jin", "Hy-ejin"])], mode: .standard)
        #expect(index.patterns.count == 1)
        #expect(index.patterns[0].partBoundaries == [2, 3])
    }

    @Test func duplicatesAcrossRulesStayApart() throws {
        let rules: [RedactionRule] = [.term("a", "Hye-jin"), .term("b", "Hyejin", label: .place)]
        let result = try Redactor(rules: rules).redact("Hye jin")
        #expect(result.text == "[PERSON-1]")
        #expect(result.findings.map(\.ruleID) == ["a"])
    }
}
