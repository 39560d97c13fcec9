import Redaction
import VaultCore

/// Turns stored rules into the redaction engine's rules. Rule ids are the vault's ids, so every
/// report (findings, leaks, errors) names rules by id only.
public enum RuleCompiler {
    public static func redactionRule(id: String, _ r: StoredRule) throws(PublishingError) -> RedactionRule {
        let pattern: RedactionRule.Pattern
        switch r.kind {
        case .term: pattern = .term(r.value, variants: r.variants, substring: r.substring)
        case .regex: pattern = .regex(r.value)
        case .detector:
            guard let d = Detector(rawValue: r.value) else { throw .badRule(.invalidRegex(ruleID: id)) }
            pattern = .detector(d)
        }
        return RedactionRule(id: id, pattern: pattern, label: r.label, replacement: r.replacement, number: r.number)
    }

    public static func compile(_ rules: [(id: String, rule: StoredRule)]) throws(PublishingError) -> [RedactionRule] {
        var out: [RedactionRule] = []
        for r in rules { out.append(try redactionRule(id: r.id, r.rule)) }
        return out
    }

    /// Checks that a new rule compiles before it is stored (bad regex, label, replacement, a term
    /// with no letters or digits).
    public static func validate(_ r: StoredRule) throws(PublishingError) {
        let rule = try redactionRule(id: "new", r)
        do { _ = try Redactor(rules: [rule]) } catch { throw .badRule(error) }
    }

    /// Checks that a new fact can be matched before it is stored (a term or variant with no letter
    /// or digit would match nothing, and the guard would count nothing).
    public static func validateFact(term: String, variants: [String]) throws(PublishingError) {
        do { _ = try FactMatcher(facts: [FactMatcher.Term(id: "new", term: term, variants: variants)]) } catch {
            throw .badRule(error)
        }
    }
}
