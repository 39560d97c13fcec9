import Foundation

/// A candidate fact (issue 18): a detail about the source that may be published but narrows down
/// who they are, and that no rule hides and no fact records yet.
public struct FactSuggestion: Sendable, Hashable {
    public var text: String
    /// AGE, DATE, PLACE, WORK, FAMILY or OTHER (a number with a unit).
    public var kind: String
    /// 1-based line in the text.
    public var line: Int
    /// UTF-8 byte offsets in the text.
    public var originalRange: Range<Int>
}

/// Candidate facts in `text` (ages, dates, numbers with units, place-like names, occupations,
/// family words) that none of `covering` (the record's rules and its source's facts, as term
/// rules) already matches, in text order. Advisory, like ``suggest(_:rules:)``.
public func suggestFacts(_ text: String, covering: [RedactionRule]) -> [FactSuggestion] {
    let valid = covering.filter { (try? Redactor(rules: [$0])) != nil }
    let bytes = Array(text.utf8)
    let covered = ((try? Redactor(rules: valid))?.rawSpans(text: text, bytes: bytes) ?? []).map { $0.lo..<$0.hi }
    var raw: [(Range<Int>, String)] = []
    for (kind, patterns) in FactPatterns.all {
        for p in patterns { for r in p.matches(in: text) { raw.append((r, kind)) } }
    }
    for regex in Suggester.Patterns.numberWithUnit { for r in regex.matches(in: text) { raw.append((r, "OTHER")) } }
    var scan = SuggestWindows.Scan(bytes)
    for r in Suggester.namePhrases({ text }, bytes: bytes, scan: &scan) {
        let phrase = String(decoding: bytes[r], as: UTF8.self)
        let last = phrase.split(separator: " ").last.map { $0.lowercased() } ?? ""
        if FactPatterns.placeWords.contains(last) { raw.append((r, "PLACE")) }
    }
    // Longest first at each start; a candidate inside an earlier one, or overlapping anything a
    // rule or fact covers, is dropped.
    raw.sort { $0.0.lowerBound != $1.0.lowerBound ? $0.0.lowerBound < $1.0.lowerBound : $0.0.upperBound > $1.0.upperBound }
    var lines = TextSupport.LineCounter(bytes)
    var out: [FactSuggestion] = []
    var end = 0
    for (r, kind) in raw where r.lowerBound >= end || out.isEmpty {
        if covered.contains(where: { $0.overlaps(r) }) { continue }
        if let last = out.last, last.originalRange.upperBound > r.lowerBound { continue }
        out.append(
            FactSuggestion(
                text: String(decoding: bytes[r], as: UTF8.self), kind: kind, line: lines.line(at: r.lowerBound),
                originalRange: r))
        end = r.upperBound
    }
    return out
}

enum FactPatterns {
    static let months =
        "(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\\.?"

    static let all: [(String, [SharedRegex])] = [
        (
            "AGE",
            [
                SharedRegex.builtIn(#"\b\d{1,3}[- ]years?[- ]old\b"#, options: [.caseInsensitive]),
                SharedRegex.builtIn(#"\b(?:aged?|age of) \d{1,3}\b"#, options: [.caseInsensitive]),
                SharedRegex.builtIn(
                    #"\b(?:in (?:her|his|their) )?(?:early |mid-?|late )?(?:twenties|thirties|forties|fifties|sixties|seventies|[1-9]0s)\b"#,
                    options: [.caseInsensitive]),
                SharedRegex.builtIn(#"(?<!\d)\d{1,3}\s?(?:살|세|岁|歲)"#),
                SharedRegex.builtIn(#"(?<!\d)[1-9]0대"#)
            ].compactMap { $0 }
        ),
        (
            "DATE",
            [
                SharedRegex.builtIn(
                    #"\b(?:\d{1,2} )?\#(months)(?: \d{1,2}(?:st|nd|rd|th)?,?)? (?:19|20)\d\d\b"#, options: [.caseInsensitive]),
                SharedRegex.builtIn(#"\b(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])(?:[-/.](?:0?[1-9]|[12]\d|3[01]))?\b"#),
                SharedRegex.builtIn(#"\b(?:in|since|until|from) (?:19|20)\d\d\b"#, options: [.caseInsensitive]),
                SharedRegex.builtIn(#"(?:19|20)\d\d\s?년(?:\s?\d{1,2}\s?월)?(?:\s?\d{1,2}\s?일)?"#),
                SharedRegex.builtIn(#"(?:19|20)\d\d年(?:\d{1,2}月)?(?:\d{1,2}日)?"#)
            ].compactMap { $0 }
        ),
        (
            "WORK",
            [SharedRegex.builtIn(#"\b(?:\#(words(work)))s?\b|(?:\#(words(workHangul)))"#, options: [.caseInsensitive])].compactMap
            { $0 }
        ),
        (
            "FAMILY",
            [SharedRegex.builtIn(#"\b(?:\#(words(family)))\b|(?:\#(words(familyHangul)))"#, options: [.caseInsensitive])]
                .compactMap {
                    $0
                }
        )
    ]

    static func words(_ list: [String]) -> String {
        list.map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|")
    }

    static let work = [
        "miner", "mine", "canteen", "farmer", "teacher", "nurse", "doctor", "soldier", "officer", "driver", "smuggler",
        "broker", "trader", "merchant", "cook", "waitress", "waiter", "factory worker", "factory", "cadre", "guard",
        "fisherman", "fishermen", "engineer", "student", "professor", "seamstress", "tailor", "clerk", "accountant",
        "police", "policeman", "border guard", "worked as", "worked at", "worked in"
    ]
    static let workHangul = ["광부", "탄광", "농부", "교사", "간호사", "의사", "군인", "운전수", "밀수", "브로커", "장사", "식당", "공장", "보위부", "경비"]
    static let family = [
        "mother", "father", "son", "daughter", "husband", "wife", "brother", "sister", "grandmother", "grandfather",
        "aunt", "uncle", "cousin", "niece", "nephew", "children", "widow", "widower", "twins", "stepfather", "stepmother",
        "only child", "eldest", "youngest"
    ]
    static let familyHangul = [
        "어머니", "아버지", "아들", "딸", "남편", "아내", "언니", "오빠", "누나", "남동생", "여동생", "할머니", "할아버지", "삼촌", "이모", "고모"
    ]
    /// The last word of a capitalized phrase that makes it place-like ("Musan County").
    static let placeWords: Set<String> = [
        "county", "province", "city", "town", "village", "river", "district", "market", "mine", "camp", "prefecture",
        "street", "road", "bridge", "station", "farm", "factory", "school", "hospital", "border", "mountain", "valley"
    ]
}
