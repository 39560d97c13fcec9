/// A label for what a rule hides. Labels are short uppercase words (`PERSON`, `PLACE`, …);
/// the default replacement is `[LABEL-N]`.
public struct RuleLabel: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts only `[A-Z][A-Z0-9_]*`, so a label can never smuggle text into the output.
    public init?(rawValue: String) {
        guard RuleLabel.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    static func isValid(_ raw: String) -> Bool {
        guard let first = raw.utf8.first, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first),
            raw.utf8.count <= 32
        else { return false }
        return raw.utf8.allSatisfy { b in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
                || b == UInt8(ascii: "_")
        }
    }

    private init(known: String) { rawValue = known }

    public static let person = RuleLabel(known: "PERSON")
    public static let place = RuleLabel(known: "PLACE")
    public static let org = RuleLabel(known: "ORG")
    public static let date = RuleLabel(known: "DATE")
    public static let age = RuleLabel(known: "AGE")
    public static let id = RuleLabel(known: "ID")
    public static let phone = RuleLabel(known: "PHONE")
    public static let email = RuleLabel(known: "EMAIL")
    public static let url = RuleLabel(known: "URL")
    public static let ip = RuleLabel(known: "IP")
    public static let coord = RuleLabel(known: "COORD")
}

/// Built-in detectors for structured identifiers. They are opt-in: a rule with
/// `.detector(d)` turns one on.
public enum Detector: String, CaseIterable, Sendable, Codable {
    case phone, email, url, ip, coordinates, date, age

    /// The label a detector's findings carry unless the rule says otherwise.
    public var defaultLabel: RuleLabel {
        switch self {
        case .phone: .phone
        case .email: .email
        case .url: .url
        case .ip: .ip
        case .coordinates: .coord
        case .date: .date
        case .age: .age
        }
    }
}

/// One redaction rule as stored (encrypted) by the vault.
public struct RedactionRule: Sendable, Hashable, Codable {
    /// What a rule looks for.
    public enum Pattern: Sendable, Hashable, Codable {
        /// A term and its listed variants (other spellings, Hangul or Chinese forms).
        /// Matching is case-, accent-, width-, spacing- and hyphen-insensitive; unlisted
        /// transliterations are *not* implied. With `substring: true` the term is also found
        /// inside longer Latin words ("Kim" in "Kimchi").
        case term(String, variants: [String], substring: Bool)
        /// A regular expression (ICU syntax, as `NSRegularExpression` takes it) run over the original text.
        case regex(String)
        /// A built-in detector.
        case detector(Detector)
    }

    /// Opaque id assigned by the vault; the only thing error and leak reports name.
    public var id: String
    public var pattern: Pattern
    /// `PERSON`, `PLACE`, …; see ``RuleLabel``.
    public var label: String
    /// Fixed replacement text ("a border county"); when nil the replacement is `[LABEL-N]`.
    public var replacement: String?
    /// The rule's own placeholder number (`[LABEL-number]`), assigned once by the vault so the
    /// same rule is the same placeholder in every excerpt; nil numbers per redaction, after the
    /// numbers rules hold.
    public var number: Int?

    public init(
        id: String, pattern: Pattern, label: String = RuleLabel.person.rawValue, replacement: String? = nil,
        number: Int? = nil
    ) {
        self.id = id
        self.pattern = pattern
        self.label = label
        self.replacement = replacement
        self.number = number
    }

    /// Convenience for the common case: a term rule.
    public static func term(
        _ id: String, _ term: String, variants: [String] = [], label: RuleLabel = .person,
        replacement: String? = nil, substring: Bool = false
    ) -> RedactionRule {
        RedactionRule(
            id: id, pattern: .term(term, variants: variants, substring: substring),
            label: label.rawValue, replacement: replacement)
    }

    /// Convenience: a detector rule labelled with the detector's default label.
    public static func detector(_ id: String, _ detector: Detector) -> RedactionRule {
        RedactionRule(id: id, pattern: .detector(detector), label: detector.defaultLabel.rawValue)
    }
}

/// Why a rule set cannot be compiled. Messages name the rule id only, never the term or
/// pattern: stderr may be logged, and the rules list the very names to hide.
public enum RedactionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A term or variant is empty, or has no letters or digits once normalized.
    case emptyTerm(ruleID: String)
    /// The regular expression does not compile.
    case invalidRegex(ruleID: String)
    /// The label is not `[A-Z][A-Z0-9_]*` (at most 32 characters).
    case invalidLabel(ruleID: String)
    /// The fixed replacement is empty or starts with a combining character (it would merge
    /// with the character before it).
    case invalidReplacement(ruleID: String)
    /// Two rules share an id.
    case duplicateRuleID(String)
    /// A rule id is empty.
    case emptyRuleID

    public var description: String {
        switch self {
        case .emptyTerm(let id): "rule \(id): a term or variant is empty or has no letters or digits"
        case .invalidRegex(let id): "rule \(id): the regular expression does not compile"
        case .invalidLabel(let id): "rule \(id): the label must be uppercase letters, digits or _ (e.g. PERSON)"
        case .invalidReplacement(let id): "rule \(id): the replacement text is empty or starts with a combining mark"
        case .duplicateRuleID(let id): "rule \(id) is listed twice"
        case .emptyRuleID: "a rule has an empty id"
        }
    }
}
