/// A rule term (or a regex/detector hit) still present in text that should be redacted.
/// Names the rule and line only: the report may end up in logs.
public struct Leak: Sendable, Hashable, CustomStringConvertible {
    /// How the term was found, from certain to near-miss.
    public enum Kind: String, Sendable, Hashable, Comparable {
        /// The redaction matcher itself finds it (or a regex/detector rule still matches).
        case exact
        /// Found once separators anywhere inside the term are ignored ("J o n g y o l", "Jong.yol").
        case separatorsRemoved
        /// Found after mapping lookalike characters (TR39-style skeleton: Cyrillic "К", 0→o, 1→l).
        case confusableSkeleton
        /// A Latin term of 5+ letters within one edit (insert, delete, substitute, swap neighbours).
        case editDistance1

        private var rank: Int {
            switch self {
            case .exact: 0
            case .separatorsRemoved: 1
            case .confusableSkeleton: 2
            case .editDistance1: 3
            }
        }

        public static func < (a: Kind, b: Kind) -> Bool { a.rank < b.rank }
    }

    public var ruleID: String
    /// 1-based line in the checked text.
    public var line: Int
    public var kind: Kind

    /// `rule r12 line 4: exact` — safe to print to stderr.
    public var description: String { "rule \(ruleID) line \(line): \(kind.rawValue)" }
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

    public init(rules: [RedactionRule]) throws(RedactionError) {
        redactor = try Redactor(rules: rules)
        skeleton = try TermIndex(rules: rules, mode: .skeleton)
        fuzzy = FuzzyIndex(terms: redactor.terms)
    }

    /// Leaks in `text`, one per rule and line (the most certain kind), ordered by line.
    public func check(_ text: String) -> [Leak] {
        let bytes = Array(text.utf8)
        var found: [(offset: Int, rule: Int, kind: Leak.Kind)] = []

        var folder = Folder(mode: .standard)
        let folded = bytes.withUnsafeBufferPointer { folder.fold($0) }
        for hit in redactor.terms.hits(in: folded, anyInteriorGap: true) {
            // Re-run the strict interior check to tell exact hits from separator-only ones.
            let strict = redactor.terms.hits(in: FoldedSlice.slice(folded, hit.start, hit.end))
                .contains { $0.rule == hit.rule }
            found.append((Int(folded.origStart[hit.start]), hit.rule, strict ? .exact : .separatorsRemoved))
        }
        for (rule, regex) in redactor.regexRules {
            for r in regex.matches(in: text) { found.append((r.lowerBound, rule, .exact)) }
        }

        var skeletonFolder = Folder(mode: .skeleton)
        let skeletal = bytes.withUnsafeBufferPointer { skeletonFolder.fold($0) }
        for hit in skeleton.hits(in: skeletal, anyInteriorGap: true) {
            found.append((Int(skeletal.origStart[hit.start]), hit.rule, .confusableSkeleton))
        }

        for hit in fuzzy.hits(in: folded) {
            found.append((Int(folded.origStart[hit.start]), hit.rule, .editDistance1))
        }

        found.sort { $0.offset < $1.offset }
        var lines = TextSupport.LineCounter(bytes)
        var best: [String: Leak] = [:]
        var order: [String] = []
        for f in found {
            let line = lines.line(at: f.offset)
            let id = redactor.rules[f.rule].id
            let key = "\(line)\u{0}\(id)"
            if let existing = best[key] {
                if f.kind < existing.kind { best[key]?.kind = f.kind }
            } else {
                best[key] = Leak(ruleID: id, line: line, kind: f.kind)
                order.append(key)
            }
        }
        return order.compactMap { best[$0] }
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
        if !s.flags.isEmpty { s.flags[0] &= 3 } // the slice starts a text: no gap before it
        return s
    }
}

/// Edit-distance-1 lookup for Latin terms of 5+ letters, by the symmetric-deletion method:
/// two strings within one edit share a one-deletion form (or one is the other's).
struct FuzzyIndex: Sendable {
    private let exact: [[UInt8]: [Int]]      // folded term → rules
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
