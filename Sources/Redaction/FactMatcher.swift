/// Which facts about a source a text states (issue 18, SECURITY.md §6.11): the rules' term matcher
/// (case, accents, width, separators and line breaks, scripts, Hangul particles, phone groupings),
/// without redacting anything. Every fact found counts, overlapping ones too: "Hoeryong" and
/// "the Hoeryong market" are two facts even when one contains the other.
public struct FactMatcher: Sendable {
    let redactor: Redactor

    /// A fact as the matcher sees it: an opaque id, a term and its other spellings.
    public struct Term: Sendable {
        public var id: String
        public var term: String
        public var variants: [String]
        public init(id: String, term: String, variants: [String] = []) {
            self.id = id; self.term = term; self.variants = variants
        }
    }

    /// Compiles every term and variant into one automaton (as ``Redactor`` does for rules); throws
    /// on a term with no letter or digit, naming its id only.
    public init(facts: [Term]) throws(RedactionError) {
        redactor = try Redactor(
            rules: facts.map {
                RedactionRule(id: $0.id, pattern: .term($0.term, variants: $0.variants, substring: false), label: "FACT")
            })
    }

    public var isEmpty: Bool { redactor.rules.isEmpty }

    /// The ids of the facts `text` states.
    public func matches(in text: String) -> Set<String> {
        guard !isEmpty else { return [] }
        var text = text
        text.makeContiguousUTF8()
        var seen = Set<RegexMatch>()
        let spans = redactor.rawSpans(text: text, bytes: Array(text.utf8), seen: &seen)
        return Set(spans.map { redactor.rules[$0.rule].id })
    }
}
