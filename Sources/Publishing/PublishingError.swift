import Redaction

/// Why an excerpt could not be selected, previewed or exported. Messages never contain rule
/// terms, quotes or testimony: only rule ids, line numbers, counts and paths.
public enum PublishingError: Error, Equatable, Sendable {
    /// `--lines A-B` is malformed or outside the record.
    case lineRange(String)
    /// The quote was not found in the record.
    case quoteNotFound
    /// The quote occurs more than once; the export would be ambiguous.
    case quoteAmbiguous(count: Int)
    /// A stored rule cannot be compiled (bad regex, label, …); names the rule id.
    case badRule(RedactionError)
    /// The leak check found rule terms in the redacted output: the export is refused.
    case leaksFound([Leak])
    /// No rule hides anything in the record and `--no-rules` was not given: the export is refused
    /// (an unreviewed record may name anyone).
    case noRuleApplies
    /// The excerpt would bring its source's published facts to the disclosure threshold and
    /// `--accept-disclosure` was not given (SECURITY.md §6.11): the export is refused.
    case disclosureThreshold(DisclosureCheck)
    /// `--accept` names something that is not a near-miss of this export, or a leak that cannot be
    /// accepted (an exact or separator-free hit).
    case invalidAccept(String)
    /// The regular expression engine gave up on a pattern of these rules (a backtracking stack
    /// overflow) while redacting or checking: what it would have hidden may be in the output, so
    /// nothing is exported (SECURITY.md §10).
    case patternGaveUp(ruleIDs: [String])
    /// The output file exists and `--overwrite` was not given.
    case outputExists(String)
    /// The output file could not be written; nothing was left behind.
    case outputFailed(String)
}
