/// Which facts about a source a text states (issue 18, SECURITY.md §6.11): the rules' term matcher
/// (case, accents, width, separators and line breaks, scripts, Hangul particles, phone groupings),
/// without redacting anything. Every fact found counts, overlapping ones too: "Hoeryong" and
/// "the Hoeryong market" are two facts even when one contains the other.
public struct FactMatcher: Sendable {
    /// The term patterns and phone forms a ``Redactor`` compiles for term rules, built directly:
    /// facts need no regexes, detectors or placeholders (a whole redactor was a third of the
    /// guard's time at 1,000 facts, `make bench`). No automaton of their own: an export matches
    /// them in the leak check's automaton, joined to the rules' terms (``LeakChecker/joining(_:)``).
    let terms: TermPatterns
    let phones: PhoneIndex
    let ids: [String]

    /// A fact as the matcher sees it: an opaque id, a term and its other spellings.
    public struct Term: Sendable {
        public var id: String
        public var term: String
        public var variants: [String]
        public init(id: String, term: String, variants: [String] = []) {
            self.id = id; self.term = term; self.variants = variants
        }
    }

    /// Folds every term and variant into the patterns of one automaton (as ``Redactor`` does for
    /// term rules); throws on an empty or repeated id and on a term with no letter or digit, naming its id only.
    public init(facts: [Term]) throws(RedactionError) {
        var seen = Set<String>(minimumCapacity: facts.count)
        for f in facts {
            guard !f.id.isEmpty else { throw .emptyRuleID }
            guard seen.insert(f.id).inserted else { throw .duplicateRuleID(f.id) }
        }
        let rules = facts.map {
            RedactionRule(id: $0.id, pattern: .term($0.term, variants: $0.variants, substring: false), label: "FACT")
        }
        terms = try TermPatterns(rules: rules, mode: .standard)
        phones = PhoneIndex(rules: rules)
        ids = facts.map { $0.id }
    }

    public var isEmpty: Bool { ids.isEmpty }

    /// The ids of the facts `text` states (the facts' own automaton, built for the call).
    public func matches(in text: String) -> Set<String> {
        guard !isEmpty else { return [] }
        // Scanned only where a fact can start: most published bytes start none.
        let index = TermIndex(terms).scanningOnlyWhereAPatternStarts()
        let found = index.spans(in: Array(text.utf8), phones: phones)
        return ids(of: found.terms.map(\.rule) + found.phones.map(\.rule))
    }

    /// The ids of the facts at `indexes` (rule indexes of ``terms`` and ``phones``).
    func ids(of indexes: [Int]) -> Set<String> {
        // A fact stated a thousand times is one fact: mark, then name each once.
        var stated = [Bool](repeating: false, count: ids.count)
        for i in indexes { stated[i] = true }
        return Set(ids.indices.lazy.filter { stated[$0] }.map { ids[$0] })
    }
}
