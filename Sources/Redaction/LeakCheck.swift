/// A rule term (or a regex/detector hit) still present in text that should be redacted.
/// Names the rule and line only: the report may end up in logs.
public struct Leak: Sendable, Hashable, CustomStringConvertible {
    /// How the term was found, from certain to near-miss.
    public enum Kind: String, Sendable, Hashable, Comparable {
        /// The redaction matcher itself finds it (or a regex/detector rule still matches).
        case exact
        /// Found once separators anywhere inside the term are ignored ("J o n g y o l", "Jong.yol").
        case separatorsRemoved
        /// Found in the text as an HTML renderer shows it: tags and comments removed (also across
        /// lines), character references decoded ("Jo<!-- x -->ngyol", "J&ocy;ngyol").
        case rendered
        /// Found in a right-to-left run read in the order it is displayed ("U+202E loy-gnoJ").
        case reversed
        /// Found after mapping lookalike characters (TR39-style skeleton: Cyrillic "К", 0→o, 1→l).
        case confusableSkeleton
        /// A term of 4+ letters inside a longer word of an e-mail address, URL, handle or hashtag
        /// ("kimjongyol@…", "facebook.com/jongyolkim"): such tokens glue words together.
        case insideToken
        /// A Latin term of 5+ letters within one edit (insert, delete, substitute, swap neighbours).
        case editDistance1

        private var rank: Int {
            switch self {
            case .exact: 0
            case .separatorsRemoved: 1
            case .rendered: 2
            case .reversed: 3
            case .confusableSkeleton: 4
            case .insideToken: 5
            case .editDistance1: 6
            }
        }

        public static func < (a: Kind, b: Kind) -> Bool { a.rank < b.rank }

        /// What was found, in plain words for the reporter (never the term itself).
        public var explanation: String {
            switch self {
            case .exact: "a protected name or number, as written"
            case .separatorsRemoved:
                "the letters of a protected name with the spaces removed (or spaces, dots or dashes put between them)"
            case .rendered:
                "a protected name that appears once the text is shown as a web page"
                    + " (HTML tags, comments or character codes in between)"
            case .reversed:
                "a protected name written backwards after a right-to-left control, which displays it forwards"
            case .confusableSkeleton: "a look-alike spelling (letters from another alphabet, 0 for o, 1 for l)"
            case .insideToken: "a protected name glued into an e-mail address, link, handle or hashtag"
            case .editDistance1: "a spelling one letter away from a protected name"
            }
        }

        /// Whether a reviewed hit of this kind may be accepted (`--accept`): only near misses.
        public var isNearMiss: Bool { self == .confusableSkeleton || self == .editDistance1 }
    }

    public var ruleID: String
    /// 1-based line in the checked text.
    public var line: Int
    /// The most certain kind among the hits of this rule on this line.
    public var kind: Kind
    /// How many distinct places on this line the rule was found at (by any net).
    public var occurrences: Int = 1

    public init(ruleID: String, line: Int, kind: Kind, occurrences: Int = 1) {
        self.ruleID = ruleID; self.line = line; self.kind = kind; self.occurrences = occurrences
    }

    /// Equality is about what leaks where (rule, line, kind); the occurrence count is detail.
    public static func == (a: Leak, b: Leak) -> Bool { a.ruleID == b.ruleID && a.line == b.line && a.kind == b.kind }
    public func hash(into h: inout Hasher) { h.combine(ruleID); h.combine(line); h.combine(kind) }

    /// `rule r12 line 4: a protected name or number, as written` — safe to print to stderr.
    public var description: String { "rule \(ruleID) line \(line): \(kind.explanation)" }

    /// Two reports of one text merged: one leak per rule and line, the most certain kind, the
    /// larger occurrence count.
    public static func merged(_ a: [Leak], _ b: [Leak]) -> [Leak] {
        var out = a
        for l in b {
            if let k = out.firstIndex(where: { $0.ruleID == l.ruleID && $0.line == l.line }) {
                out[k].kind = min(out[k].kind, l.kind)
                out[k].occurrences = max(out[k].occurrences, l.occurrences)
            } else {
                out.append(l)
            }
        }
        return out.sorted { ($0.line, $0.ruleID) < ($1.line, $1.ruleID) }
    }
}

/// The export gate: scans already-redacted text for every rule again with a stricter net than
/// the redactor. Export must refuse when the result is not empty (fail closed).
///
/// Nets: the redactor's own matcher and all regex/detector rules (`exact`); separators allowed
/// anywhere inside a term (`separatorsRemoved`); confusable skeletons of text and terms
/// (`confusableSkeleton`); Damerau edit distance 1 for Latin terms of 5+ letters (`editDistance1`).
/// Text the redactor produced from the same rules has no `exact` leak (unless a fixed replacement
/// itself contains a term); the near-miss kinds can flag real words the reporter must review.
public struct LeakChecker: Sendable {
    private let redactor: Redactor
    private let skeleton: TermIndex
    private let fuzzy: FuzzyIndex
    private let anywhere: TermIndex

    public init(rules: [RedactionRule]) throws(RedactionError) {
        redactor = try Redactor(rules: rules)
        skeleton = try TermIndex(rules: rules, mode: .skeleton)
        fuzzy = FuzzyIndex(terms: redactor.terms)
        anywhere = try TermIndex(rules: rules, mode: .standard, forceSubstring: true)
    }

    /// Leaks in `text`, one per rule and line (the most certain kind), ordered by line.
    ///
    /// The text is scanned as written and in every other way a reader may see it: as an HTML
    /// renderer shows it (``RenderedView``) and with right-to-left runs in display order
    /// (``DisplaySafety``). Hits in those views are reported on the line of the original they come from.
    public func check(_ text: String) -> [Leak] {
        let bytes = Array(text.utf8)
        var found = collect(text, bytes)
        var views = RenderedView.views(of: bytes)
        if let reversed = DisplaySafety.reversedRuns(bytes) { views.append(reversed) }
        if !views.isEmpty {
            // A hit a view shares with the text as written (same place, no more certain) is that
            // hit; any other is hidden by markup or display order, and never a near miss to accept.
            struct Place: Hashable { var offset: Int; var rule: Int }
            var asWritten: [Place: Leak.Kind] = [:]
            for f in found {
                let place = Place(offset: f.offset, rule: f.rule)
                asWritten[place] = min(f.kind, asWritten[place] ?? f.kind)
            }
            for view in views {
                let viewText = String(decoding: view.bytes, as: UTF8.self)
                for f in collect(viewText, view.bytes) {
                    let offset = Int(view.origin[min(f.offset, view.origin.count - 1)])
                    if let k = asWritten[Place(offset: offset, rule: f.rule)], k <= f.kind { continue }
                    found.append((offset, f.rule, view.kind == .rendered ? .rendered : .reversed))
                }
            }
        }
        found.sort { $0.offset < $1.offset }
        var lines = TextSupport.LineCounter(bytes)
        var best: [String: Leak] = [:]
        var offsets: [String: Set<Int>] = [:]
        var order: [String] = []
        for f in found {
            let line = lines.line(at: f.offset)
            let id = redactor.rules[f.rule].id
            let key = "\(line)\u{0}\(id)"
            offsets[key, default: []].insert(f.offset)
            if let existing = best[key] {
                if f.kind < existing.kind { best[key]?.kind = f.kind }
                best[key]?.occurrences = offsets[key]!.count
            } else {
                best[key] = Leak(ruleID: id, line: line, kind: f.kind)
                order.append(key)
            }
        }
        return order.compactMap { best[$0] }
    }

    /// Every hit of every net in `text` (`bytes` is its UTF-8), by byte offset in `text`.
    private func collect(_ text: String, _ bytes: [UInt8]) -> [(offset: Int, rule: Int, kind: Leak.Kind)] {
        var found: [(offset: Int, rule: Int, kind: Leak.Kind)] = []
        guard !bytes.isEmpty else { return found }
        var folder = Folder(mode: .standard)
        let folded = bytes.withUnsafeBufferPointer { folder.fold($0) }
        for hit in redactor.terms.hits(in: folded, anyInteriorGap: true) {
            // Re-run the strict interior check to tell exact hits from separator-only ones.
            let strict = redactor.terms.hits(in: FoldedSlice.slice(folded, hit.start, hit.end))
                .contains { $0.rule == hit.rule }
            found.append((Int(folded.origStart[hit.start]), hit.rule, strict ? .exact : .separatorsRemoved))
        }
        for hit in redactor.phones.hits(in: folded, bytes: bytes) { found.append((hit.lo, hit.rule, .exact)) }
        for hit in redactor.phones.hits(in: folded, bytes: bytes, loose: true) {
            found.append((hit.lo, hit.rule, .separatorsRemoved))
        }
        for (rule, regex) in redactor.regexRules {
            for r in regex.matches(in: text) { found.append((r.lowerBound, rule, .exact)) }
        }
        // Regex and detector rules again over a cleaned copy (NFKC, no default-ignorables), so
        // "010\u{200B}-1234-5678" or a full-width "＠" is still found. Lines are unchanged.
        if !redactor.regexRules.isEmpty {
            let cleaned = LeakChecker.cleaned(text)
            if cleaned != text {
                // Report at the start of the same line of the original text.
                var cleanedLines = TextSupport.LineCounter(Array(cleaned.utf8))
                let starts = LeakChecker.lineStarts(bytes)
                var hits: [(offset: Int, rule: Int)] = []
                for (rule, regex) in redactor.regexRules {
                    for r in regex.matches(in: cleaned) { hits.append((r.lowerBound, rule)) }
                }
                for h in hits.sorted(by: { $0.offset < $1.offset }) {
                    let line = cleanedLines.line(at: h.offset)
                    found.append((starts[min(line, starts.count) - 1], h.rule, .exact))
                }
            }
        }

        var skeletonFolder = Folder(mode: .skeleton)
        let skeletal = bytes.withUnsafeBufferPointer { skeletonFolder.fold($0) }
        for hit in skeleton.hits(in: skeletal, anyInteriorGap: true) {
            // Digits alone are not a lookalike of a name ("11" is not "Li", "10" is not "Lo"), nor
            // is an English contraction ending ("I'll", "we'll").
            if LeakChecker.isDigitsOnly(bytes, skeletal, hit) || LeakChecker.isContraction(bytes, skeletal, hit) { continue }
            let kind: Leak.Kind = LeakChecker.isEncoded(bytes, skeletal, hit) ? .rendered : .confusableSkeleton
            found.append((Int(skeletal.origStart[hit.start]), hit.rule, kind))
        }

        // Terms glued into addresses, URLs, handles and hashtags.
        let tokens = LeakChecker.addressTokens(bytes)
        if !tokens.isEmpty {
            for hit in anywhere.hits(in: folded, anyInteriorGap: true) where hit.end - hit.start >= 4 {
                let offset = Int(folded.origStart[hit.start])
                if tokens.contains(where: { $0.contains(offset) }) { found.append((offset, hit.rule, .insideToken)) }
            }
        }

        for hit in fuzzy.hits(in: folded) {
            let kind: Leak.Kind = LeakChecker.isEncoded(bytes, folded, hit) ? .rendered : .editDistance1
            found.append((Int(folded.origStart[hit.start]), hit.rule, kind))
        }

        return found
    }
}

extension LeakChecker {
    /// NFKC without default-ignorable characters (line breaks kept).
    static func cleaned(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for s in text.precomposedStringWithCompatibilityMapping.unicodeScalars
        where !s.properties.isDefaultIgnorableCodePoint || s.value == 0x0A {
            scalars.append(s)
        }
        return String(scalars)
    }

    /// Byte offset where each line (1-based index + 1) starts.
    static func lineStarts(_ bytes: [UInt8]) -> [Int] {
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == 0x0A { starts.append(i + 1) }
        return starts
    }

    static func original(_ bytes: [UInt8], _ t: FoldedText, _ hit: TermHit) -> ArraySlice<UInt8> {
        bytes[Int(t.origStart[hit.start])..<Int(t.origEnd[hit.end - 1])]
    }

    /// The hit's letters were written as character references or percent escapes (`J&ocy;ngyol`):
    /// deliberate, so never a near miss to accept.
    static func isEncoded(_ bytes: [UInt8], _ t: FoldedText, _ hit: TermHit) -> Bool {
        original(bytes, t, hit).contains { $0 == 0x26 || $0 == 0x25 }
    }

    static func isDigitsOnly(_ bytes: [UInt8], _ t: FoldedText, _ hit: TermHit) -> Bool {
        let o = original(bytes, t, hit)
        return o.contains { $0 &- 0x30 < 10 } && !o.contains { ($0 | 0x20) &- 0x61 < 26 || $0 >= 0x80 }
    }

    static func isContraction(_ bytes: [UInt8], _ t: FoldedText, _ hit: TermHit) -> Bool {
        guard hit.start > 0, t.gap(hit.start) == .apostrophe, t.unitClass(hit.start - 1) == .letter else { return false }
        let o = String(decoding: original(bytes, t, hit), as: UTF8.self).lowercased()
        return ["ll", "re", "ve", "s", "d", "t", "m"].contains(o)
    }

    /// Whitespace-delimited tokens that are addresses, URLs, handles or hashtags.
    static func addressTokens(_ bytes: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        var marked = false
        var slash = false, dot = false
        func close(_ end: Int) {
            if end > start && (marked || (slash && dot)) { out.append(start..<end) }
            marked = false; slash = false; dot = false
        }
        for (i, b) in bytes.enumerated() {
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C:
                close(i); start = i + 1
            case UInt8(ascii: "@"), UInt8(ascii: "#"): marked = true
            case UInt8(ascii: "/"): slash = true
            case UInt8(ascii: "."): dot = true
            default: break
            }
        }
        close(bytes.count)
        if bytes.contains(0xEF) {  // full-width ＠ ＃ (EF BC A0, EF BC 83)
            var i = 0
            while i + 2 < bytes.count {
                if bytes[i] == 0xEF, bytes[i + 1] == 0xBC, bytes[i + 2] == 0xA0 || bytes[i + 2] == 0x83 {
                    var lo = i, hi = i
                    while lo > 0, ![0x20, 0x09, 0x0A, 0x0D].contains(bytes[lo - 1]) { lo -= 1 }
                    while hi < bytes.count, ![0x20, 0x09, 0x0A, 0x0D].contains(bytes[hi]) { hi += 1 }
                    out.append(lo..<hi)
                    i = hi
                } else {
                    i += 1
                }
            }
            out.sort { $0.lowerBound < $1.lowerBound }
        }
        return out
    }
}

/// Checks `redacted` for leaks of any rule; see ``LeakChecker``. Throws if a rule does not compile
/// (fail closed: an unusable rule must stop the export, not be skipped).
public func leakCheck(_ redacted: String, rules: [RedactionRule]) throws(RedactionError) -> [Leak] {
    try LeakChecker(rules: rules).check(redacted)
}

/// Cuts a folded range out as its own text, keeping flags, so a hit can be re-checked alone.
enum FoldedSlice {
    static func slice(_ t: FoldedText, _ lo: Int, _ hi: Int) -> FoldedText {
        var s = FoldedText()
        s.bytes = Array(t.bytes[lo..<hi])
        s.origStart = Array(t.origStart[lo..<hi])
        s.origEnd = Array(t.origEnd[lo..<hi])
        s.flags = Array(t.flags[lo..<hi])
        if !s.flags.isEmpty { s.flags[0] &= 3 }  // the slice starts a text: no gap before it
        return s
    }
}

/// Edit-distance-1 lookup for Latin terms of 5+ letters, by the symmetric-deletion method:
/// two strings within one edit share a one-deletion form (or one is the other's).
struct FuzzyIndex: Sendable {
    private let exact: [[UInt8]: [Int]]  // folded term → rules
    private let deletions: [[UInt8]: [Int]]  // one-deletion form → pattern indices
    private let patterns: [[UInt8]]
    private let patternRules: [Int]
    private let minLength: Int
    private let maxLength: Int

    init(terms: TermIndex) {
        var exact: [[UInt8]: [Int]] = [:]
        var deletions: [[UInt8]: [Int]] = [:]
        var patterns: [[UInt8]] = []
        var rules: [Int] = []
        var minLength = Int.max, maxLength = 0
        for (p, bytes) in terms.foldedPatterns.enumerated() {
            guard bytes.count >= 5, bytes.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else { continue }
            let index = patterns.count
            patterns.append(bytes)
            rules.append(terms.patterns[p].rule)
            exact[bytes, default: []].append(index)
            for i in 0..<bytes.count {
                var d = bytes
                d.remove(at: i)
                deletions[d, default: []].append(index)
            }
            minLength = min(minLength, bytes.count)
            maxLength = max(maxLength, bytes.count)
        }
        self.exact = exact
        self.deletions = deletions
        self.patterns = patterns
        self.patternRules = rules
        self.minLength = minLength
        self.maxLength = maxLength
    }

    /// Word-aligned stretches of folded ASCII letters within one edit of a term (not equal to it).
    func hits(in text: FoldedText) -> [TermHit] {
        guard !patterns.isEmpty else { return [] }
        let n = text.count
        var boundaries: [Int] = []
        for i in 0...n {
            if i == 0 || i == n {
                boundaries.append(i)
                continue
            }
            guard text.bytes[i] & 0xC0 != 0x80 else { continue }
            let a = text.unitClass(i - 1), b = text.unitClass(i)
            if text.gap(i) != .none || a != b || a == .noBoundary { boundaries.append(i) }
        }
        var hits: [TermHit] = []
        for (k, start) in boundaries.enumerated() where start < n {
            for end in boundaries[(k + 1)...] {
                let length = end - start
                if length > maxLength + 1 { break }
                guard length >= minLength - 1 else { continue }
                let candidate = Array(text.bytes[start..<end])
                guard candidate.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else { break }
                if exact[candidate] != nil { continue }
                var matched = Set<Int>()
                if let ps = deletions[candidate] { matched.formUnion(ps) }
                for i in 0..<candidate.count {
                    var d = candidate
                    d.remove(at: i)
                    if let ps = exact[d] { matched.formUnion(ps) }
                    if let ps = deletions[d] { matched.formUnion(ps) }
                }
                for p in matched.sorted() where FuzzyIndex.withinOneEdit(patterns[p], candidate) {
                    hits.append(TermHit(rule: patternRules[p], pattern: p, start: start, end: end))
                }
            }
        }
        return hits
    }

    /// Optimal-string-alignment distance ≤ 1 (and not 0).
    static func withinOneEdit(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        if a == b { return false }
        if a.count == b.count {
            var diffs: [Int] = []
            for i in 0..<a.count where a[i] != b[i] {
                diffs.append(i)
                if diffs.count > 2 { return false }
            }
            if diffs.count == 1 { return true }
            return diffs.count == 2 && diffs[1] == diffs[0] + 1 && a[diffs[0]] == b[diffs[1]] && a[diffs[1]] == b[diffs[0]]
        }
        let (short, long) = a.count < b.count ? (a, b) : (b, a)
        guard long.count == short.count + 1 else { return false }
        var i = 0
        while i < short.count && short[i] == long[i] { i += 1 }
        return short[i...].elementsEqual(long[(i + 1)...])
    }
}
