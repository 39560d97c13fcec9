import Foundation

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
        struct Place: Hashable { var line: Int; var rule: String }
        var out = a
        // By rule and line, not a scan of `out` per leak: a text with a leak on every line has as
        // many leaks as lines.
        var index: [Place: Int] = [:]
        for (k, l) in out.enumerated() where index[Place(line: l.line, rule: l.ruleID)] == nil {
            index[Place(line: l.line, rule: l.ruleID)] = k
        }
        for l in b {
            let place = Place(line: l.line, rule: l.ruleID)
            if let k = index[place] {
                out[k].kind = min(out[k].kind, l.kind)
                out[k].occurrences = max(out[k].occurrences, l.occurrences)
            } else {
                index[place] = out.count
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
    /// Folded bytes a chunk's fold reaches past its stretch (``ChunkedFold``): more than the
    /// longest hit of any net, its plural ending and the boundary checks after it.
    private let margin: Int
    /// Input bytes per chunk (tests make it small, to cut texts everywhere).
    var chunkSize = ChunkedFold.defaultSize
    /// Counts bytes folded and table probes (tests bound them by the text's size).
    var meter: WorkMeter?
    /// The disclosure guard's facts joined by ``joining(_:)`` (none empty), and the rules' terms
    /// with the facts' patterns after them in one automaton (``TermIndex/init(_:then:from:)``):
    /// the facts are found in the scan that finds the rules' terms in the text as written, not
    /// in a pass of their own (the second pass was a quarter of the guard at 1,000 facts).
    private var facts: FactMatcher? = nil
    private var termsAndFacts: TermIndex? = nil

    public init(rules: [RedactionRule]) throws(RedactionError) {
        try self.init(redactor: Redactor(rules: rules))
    }

    /// A checker for the rules `redactor` was compiled from (which it reuses).
    public init(redactor: Redactor) throws(RedactionError) {
        self.redactor = redactor
        skeleton = try TermIndex(rules: redactor.rules, mode: .skeleton)
        fuzzy = FuzzyIndex(terms: redactor.terms)
        anywhere = redactor.terms.forcingSubstring()
        let longest =
            (redactor.terms.foldedPatterns + skeleton.foldedPatterns + anywhere.foldedPatterns)
            .map(\.count).max() ?? 0
        margin = longest + 40
    }

    /// Leaks in `text`, one per rule and line (the most certain kind), ordered by line.
    ///
    /// The text is scanned as written and in every other way a reader may see it: as an HTML
    /// renderer shows it (``RenderedView``) and with right-to-left runs in display order
    /// (``DisplaySafety``). Hits in those views are reported on the line of the original they come from.
    public func check(_ text: String) -> [Leak] {
        check(text, stating: false).leaks
    }

    /// This checker with `facts` (the disclosure guard's, §6.11) compiled into the automaton of
    /// the rules' terms, for ``checkStatingFacts(_:)``; `nil` or no facts: none. Builds that
    /// automaton (the export does it beside the redaction).
    public func joining(_ facts: FactMatcher?) -> LeakChecker {
        var joined = self
        joined.facts = nil
        joined.termsAndFacts = nil
        guard let facts, !facts.isEmpty else { return joined }
        joined.facts = facts
        if !facts.terms.isEmpty {
            joined.termsAndFacts = TermIndex(redactor.terms, then: facts.terms, from: redactor.rules.count)
        }
        return joined
    }

    /// The leaks ``check(_:)`` finds in `text`, and the ids of the facts joined by ``joining(_:)``
    /// it states as ``FactMatcher/matches(in:)`` finds them (the disclosure guard, §6.11): matched on
    /// the leak check's own folds of the text as written (folding the published text again was
    /// most of the guard's matching), in the scan that matches the rules' terms. A fact is never a
    /// leak, and never hides one: the leaks are those of ``check(_:)``.
    public func checkStatingFacts(_ text: String) -> (leaks: [Leak], facts: Set<String>) {
        check(text, stating: true)
    }

    /// ``checkStatingFacts(_:)`` of the text whose UTF-8 is `utf8` (valid UTF-8), given as
    /// `text` when the caller holds it as a string too, else made as one only if a regex or
    /// detector rule needs it: the caller's bytes are read, not copied again.
    public func checkStatingFacts(utf8: [UInt8], text: String? = nil) -> (leaks: [Leak], facts: Set<String>) {
        precondition(text.map { $0.utf8.count == utf8.count } ?? true, "utf8 is not the text's UTF-8")
        return check(utf8, text: { text ?? String(decoding: utf8, as: UTF8.self) }, stating: true)
    }

    /// ``check(_:)`` of the text whose UTF-8 is `utf8`, as ``checkStatingFacts(utf8:text:)`` reads it.
    public func check(utf8: [UInt8], text: String? = nil) -> [Leak] {
        precondition(text.map { $0.utf8.count == utf8.count } ?? true, "utf8 is not the text's UTF-8")
        return check(utf8, text: { text ?? String(decoding: utf8, as: UTF8.self) }, stating: false).leaks
    }

    /// ``joining(_:)`` `facts`, then ``checkStatingFacts(_:)``.
    public func check(_ text: String, facts: FactMatcher?) -> (leaks: [Leak], facts: Set<String>) {
        joining(facts).checkStatingFacts(text)
    }

    private func check(_ text: String, stating: Bool) -> (leaks: [Leak], facts: Set<String>) {
        check(Array(text.utf8), text: { text }, stating: stating)
    }

    /// The check of the text whose UTF-8 is `bytes`, as a string from `text` (asked for only if a
    /// regex or detector rule needs it, at most once).
    private func check(_ bytes: [UInt8], text: () -> String, stating: Bool) -> (leaks: [Leak], facts: Set<String>) {
        var stated: [Int] = []
        var found: [Hit] = collect(text, bytes, stating: stating ? facts : nil, stated: &stated)
        // A hit a view shares with the text as written (same place, no more certain) is that hit;
        // any other is hidden by markup or display order, and never a near miss to accept. Views
        // are made and checked one at a time.
        struct Place: Hashable { var offset: Int; var rule: Int }
        var asWritten: [Place: Leak.Kind]?
        func check(_ view: TextView) {
            if asWritten == nil {
                var places: [Place: Leak.Kind] = [:]
                for f in found {
                    let place = Place(offset: f.offset, rule: f.rule)
                    places[place] = min(f.kind, places[place] ?? f.kind)
                }
                asWritten = places
            }
            // (The view as a string only for the regex and detector rules: their patterns take one.)
            let viewText = redactor.regexRules.isEmpty ? "" : String(decoding: view.bytes, as: UTF8.self)
            var hidden: [Hit] = []
            var none: [Int] = []
            for f in collect({ viewText }, view.bytes, stating: nil, stated: &none) {
                let offset = view.origin(min(f.offset, view.bytes.count - 1))
                if let k = asWritten?[Place(offset: offset, rule: f.rule)], k <= f.kind { continue }
                hidden.append((offset, f.rule, view.kind == .rendered ? .rendered : .reversed))
            }
            found += hidden
        }
        RenderedView.forEachView(of: bytes, check)
        if let reversed = DisplaySafety.reversedRuns(bytes) { check(reversed) }
        found.sort { ($0.offset, $0.rule, $0.kind) < ($1.offset, $1.rule, $1.kind) }
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
        return (order.compactMap { best[$0] }, stating ? facts?.ids(of: stated) ?? [] : [])
    }

    typealias Hit = (offset: Int, rule: Int, kind: Leak.Kind)

    /// Every hit of every net in `text` (`bytes` is its UTF-8), by byte offset in `text`.
    func collect(_ text: String, _ bytes: [UInt8]) -> [Hit] {
        var none: [Int] = []
        return collect({ text }, bytes, stating: nil, stated: &none)
    }

    /// As ``collect(_:_:)``, and appends to `stated` the index of every fact of `facts` (the
    /// joined ones, or nil) found in `bytes` (repeated when found again).
    func collect(_ text: () -> String, _ bytes: [UInt8], stating facts: FactMatcher?, stated: inout [Int]) -> [Hit] {
        guard !bytes.isEmpty else { return [] }
        var found = termHits(bytes, facts: facts, stated: &stated)
        guard !redactor.regexRules.isEmpty else { return found }
        // The text as a string only if a pattern reads the whole of it or it may need cleaning
        // (the built-in patterns read the bytes around their anchors).
        TextSupport.once(text) { regexHits($0, bytes, into: &found) }
        return found
    }

    /// The hits of the regex and detector rules in the text whose UTF-8 is `bytes`, as written and
    /// in its cleaned copy, appended to `found`; `asString` gives the text as a string.
    private func regexHits(_ asString: () -> String, _ bytes: [UInt8], into found: inout [Hit]) {
        // Built-in patterns only around their anchors (``SuggestWindows``): the same matches as a
        // scan of the whole text, and redacted text has few digits left to look at.
        var scan = SuggestWindows.Scan(bytes)
        let rules = redactor.regexRules
        let each = SuggestWindows.packedMatchesOfEach(rules.map(\.regex), text: asString, bytes: bytes, scan: &scan)
        for (k, ranges) in each.enumerated() {
            for r in ranges { found.append((r.lowerBound, rules[k].rule, .exact)) }
        }
        // Regex and detector rules again over a cleaned copy (NFKC, no default-ignorables), so
        // "010\u{200B}-1234-5678" or a full-width "＠" is still found. Lines are unchanged.
        if !LeakChecker.isOwnCleanedCopy(bytes) {
            let text = asString()
            let cleaned = LeakChecker.cleaned(text)
            if cleaned != text {
                // Report at the start of the same line of the original text.
                let cleanedBytes = Array(cleaned.utf8)
                var cleanedLines = TextSupport.LineCounter(cleanedBytes)
                let starts = LeakChecker.lineStarts(bytes)
                var hits: [(offset: Int, rule: Int)] = []
                var cleanedScan = SuggestWindows.Scan(cleanedBytes)
                let each = SuggestWindows.matchesOfEach(
                    rules.map(\.regex), in: cleaned, bytes: cleanedBytes, scan: &cleanedScan)
                for (k, ranges) in each.enumerated() {
                    for r in ranges { hits.append((r.lowerBound, rules[k].rule)) }
                }
                for h in hits.sorted(by: { $0.offset < $1.offset }) {
                    let line = cleanedLines.line(at: h.offset)
                    found.append((starts[min(line, starts.count) - 1], h.rule, .exact))
                }
            }
        }
    }

    /// The hits of the term nets (as written, separators removed, skeletons, inside tokens, one
    /// edit away), found chunk by chunk (``ChunkedFold``): the same hits as on a fold of the whole
    /// text, in memory bounded by a chunk, on several cores.
    ///
    /// The facts' terms (`facts`, those joined by ``joining(_:)``) are matched on the same chunks'
    /// standard folds, in the automaton of the rules' terms, and their phone numbers on the same
    /// digits, as ``TermIndex/spans(in:phones:chunkSize:meter:)`` matches them chunk by chunk;
    /// each fact found is appended to `stated`.
    private func termHits(_ bytes: [UInt8], facts: FactMatcher?, stated: inout [Int]) -> [Hit] {
        let facts = facts.flatMap { $0.isEmpty ? nil : $0 }
        // The rules' terms, and the facts' after them when there are any.
        let terms = facts == nil ? redactor.terms : termsAndFacts ?? redactor.terms
        let factsFrom = terms.patterns.count > redactor.terms.patterns.count ? redactor.rules.count : nil
        guard !redactor.terms.isEmpty || !skeleton.isEmpty || facts != nil else { return [] }
        let tokens = LeakChecker.addressTokens(bytes)
        let checker = self
        let phones = !redactor.phones.isEmpty
        let factPhones = !(facts?.phones.isEmpty ?? true)
        // The facts' longest hit must fit in a chunk's margin too.
        // A closure, not a key path: 2 M instructions at 1,000 facts.
        let margin = max(margin, (facts?.terms.folded.map { $0.count }.max() ?? 0) + 40)
        let pieces = ChunkedFold.each(
            bytes, size: chunkSize, margin: margin, skeleton: !skeleton.isEmpty,
            meter: meter
        ) { chunk -> (hits: [Hit], strict: DigitRun, loose: DigitRun, facts: [Int]) in
            var strict = DigitRun(), loose = DigitRun()
            if phones || factPhones {
                let units = chunk.ownedUnits(chunk.standard)
                strict.append(chunk.standard, chunk.bytes, base: chunk.base, units: units)
                if phones { loose.append(chunk.standard, chunk.bytes, base: chunk.base, units: units, loose: true) }
            }
            var stated: [Int] = []
            let hits = checker.termHits(chunk, tokens: tokens, terms: terms, factsFrom: factsFrom, stated: &stated)
            return (hits, strict, loose, stated)
        }
        for piece in pieces { stated += piece.facts }
        if let facts, factPhones {
            for hit in facts.phones.hits(in: DigitRun(joining: pieces.map(\.strict)), bytes: bytes) {
                stated.append(hit.rule)
            }
        }
        var found = pieces.flatMap(\.hits)
        guard phones else { return found }
        // Phone numbers over the digits of the whole text (a number may span chunks), as the
        // redactor finds them, and with any short gap between groups.
        for hit in redactor.phones.hits(in: DigitRun(joining: pieces.map(\.strict)), bytes: bytes) {
            found.append((hit.lo, hit.rule, .exact))
        }
        for hit in redactor.phones.hits(in: DigitRun(joining: pieces.map(\.loose)), bytes: bytes) {
            found.append((hit.lo, hit.rule, .separatorsRemoved))
        }
        return found
    }

    /// The hits of the term nets in one chunk. `terms` is the rules' term index, or that index
    /// with the facts' patterns from rule `factsFrom` on (``TermIndex/init(_:then:from:)``): each
    /// fact whose first hit starts in the chunk's own bytes is appended to `stated` (its index among
    /// the facts), and is no hit of any net.
    private func termHits(
        _ chunk: ChunkedFold.Chunk, tokens: RangeSet, terms: TermIndex, factsFrom: Int?, stated: inout [Int]
    ) -> [Hit] {
        var found: [Hit] = []
        let bytes = chunk.bytes, folded = chunk.standard, base = chunk.base
        let own = factsFrom == nil ? nil : chunk.own.lowerBound - base..<chunk.own.upperBound - base
        for hit in terms.hits(in: folded, anyInteriorGap: true, firstIn: own, factsFrom: factsFrom) {
            if let factsFrom, hit.rule >= factsFrom {
                stated.append(hit.rule - factsFrom)
                continue
            }
            guard chunk.owns(folded, hit.start) else { continue }
            // Re-run the strict interior check to tell exact hits from separator-only ones.
            let strict = redactor.terms.hits(in: FoldedSlice.slice(folded, hit.start, hit.end))
                .contains { $0.rule == hit.rule }
            found.append((base + Int(folded.origStart[hit.start]), hit.rule, strict ? .exact : .separatorsRemoved))
        }

        if let skeletal = chunk.skeleton {
            for hit in skeleton.hits(in: skeletal, anyInteriorGap: true) where chunk.owns(skeletal, hit.start) {
                // Digits alone are not a lookalike of a name ("11" is not "Li", "10" is not "Lo"), nor
                // is an English contraction ending ("I'll", "we'll").
                if LeakChecker.isDigitsOnly(bytes, skeletal, hit) || LeakChecker.isContraction(bytes, skeletal, hit) {
                    continue
                }
                let kind: Leak.Kind = LeakChecker.isEncoded(bytes, skeletal, hit) ? .rendered : .confusableSkeleton
                found.append((base + Int(skeletal.origStart[hit.start]), hit.rule, kind))
            }
        }

        // Terms glued into addresses, URLs, handles and hashtags.
        if !tokens.isEmpty {
            for hit in anywhere.hits(in: folded, anyInteriorGap: true)
            where hit.end - hit.start >= 4 && chunk.owns(folded, hit.start) {
                let offset = base + Int(folded.origStart[hit.start])
                if tokens.contains(offset) { found.append((offset, hit.rule, .insideToken)) }
            }
        }

        for hit in fuzzy.hits(in: folded, meter: meter, memo: chunk.memo) where chunk.owns(folded, hit.start) {
            let kind: Leak.Kind = LeakChecker.isEncoded(bytes, folded, hit) ? .rendered : .editDistance1
            found.append((base + Int(folded.origStart[hit.start]), hit.rule, kind))
        }
        return found
    }
}

extension LeakChecker {
    /// NFKC without default-ignorable characters (line breaks kept).
    static func cleaned(_ text: String) -> String {
        // ASCII, Hangul syllables and CJK ideographs (most of the text) are not default-ignorable:
        // the property is looked up for the rest only, and nothing is rebuilt when none is.
        @inline(__always) func kept(_ s: Unicode.Scalar) -> Bool {
            let v = s.value
            return v < 0x80 || v &- 0xAC00 <= 0xD7A3 - 0xAC00 || v &- 0x4E00 <= 0x9FFF - 0x4E00
                || !s.properties.isDefaultIgnorableCodePoint
        }
        // Text of ASCII, Hangul syllables and CJK ideographs only is its own NFKC, with nothing to drop.
        let plain = text.unicodeScalars.allSatisfy(isPlain)
        if plain { return text }
        let nfkc = text.precomposedStringWithCompatibilityMapping
        guard !nfkc.unicodeScalars.allSatisfy(kept) else { return nfkc }
        var scalars = String.UnicodeScalarView()
        for s in nfkc.unicodeScalars where kept(s) { scalars.append(s) }
        return String(scalars)
    }

    /// ASCII, a Hangul syllable or a CJK ideograph: its own NFKC, and no default-ignorable.
    @inline(__always) static func isPlain(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x80 || s.value &- 0xAC00 <= 0xD7A3 - 0xAC00 || s.value &- 0x4E00 <= 0x9FFF - 0x4E00
    }

    /// Whether the text whose UTF-8 is `bytes` (valid) is all ``isPlain(_:)`` scalars, so that
    /// ``cleaned(_:)`` returns it unchanged (read from the bytes: no string made to ask).
    static func isOwnCleanedCopy(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { b in
            var i = 0
            while i < b.count {
                if b[i] < 0x80 {
                    i += 1
                    continue
                }
                let (v, length) = TextSupport.decode(b, i)
                guard Unicode.Scalar(v).map(isPlain) ?? false else { return false }
                i += length
            }
            return true
        }
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
    static func addressTokens(_ bytes: [UInt8]) -> RangeSet {
        RangeSet(addressTokenRanges(bytes))
    }

    /// Per byte: 0x80 white space, else the bit it sets in a token's `seen`: 1 `@` or `#`, 2 `/`,
    /// 4 `.`; 0 for every other byte.
    private static let addressByteClass: [UInt8] = (0..<256).map { b in
        switch b {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: 0x80
        case 0x40, 0x23: 1
        case 0x2F: 2
        case 0x2E: 4
        default: 0
        }
    }

    static func addressTokenRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        // A token is one only if it holds an "@", a "#" or a "/" (a "." alone never makes one):
        // those bytes are found by memchr (most text has few), and only their tokens are read, each
        // byte at most twice (back to its token's start, then through it). `seen`: bit 0 an "@" or
        // "#", bit 1 a "/", bit 2 a ".".
        var out = addressByteClass.withUnsafeBufferPointer { cls in
            bytes.withUnsafeBufferPointer { b -> [Range<Int>] in
                var found: [Range<Int>] = []
                guard let base = b.baseAddress else { return found }
                let n = b.count
                let triggers: [UInt8] = [0x40, 0x23, 0x2F]
                // The next offset of each trigger byte at or after `from` (n: none), kept until passed.
                var next = [Int](repeating: -1, count: 3)
                func advance(_ k: Int, from: Int) {
                    guard next[k] < from, next[k] != n else { return }
                    let hit = from < n ? memchr(base + from, Int32(triggers[k]), n - from) : nil
                    next[k] = hit.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? n
                }
                var from = 0
                while from < n {
                    for k in 0..<3 { advance(k, from: from) }
                    let at = min(next[0], next[1], next[2])
                    guard at < n else { break }
                    var lo = at
                    while lo > from, cls[Int(b[lo - 1])] != 0x80 { lo -= 1 }
                    var hi = lo
                    var seen: UInt8 = 0
                    while hi < n {
                        let c = cls[Int(b[hi])]
                        if c == 0x80 { break }
                        seen |= c
                        hi += 1
                    }
                    if seen & 1 != 0 || seen & 6 == 6 { found.append(lo..<hi) }
                    from = hi + 1
                }
                return found
            }
        }
        let fullWidth = bytes.withUnsafeBufferPointer { b in b.count > 0 && memchr(b.baseAddress!, 0xEF, b.count) != nil }
        if fullWidth {  // full-width ＠ ＃ (EF BC A0, EF BC 83)
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

/// Sorted, disjoint byte ranges (overlapping or touching ones merged), searched by bisection: a
/// membership test is O(log n), so testing every hit of a text against every token stays
/// O(n log n) however many tokens and hits there are.
struct RangeSet: Sendable {
    private(set) var ranges: [Range<Int>] = []

    init<S: Sequence>(_ unsorted: S) where S.Element == Range<Int> {
        self.init(ascending: unsorted.sorted(by: { $0.lowerBound < $1.lowerBound }))
    }

    /// Ranges already in ascending order of their starts (a redaction's findings), merged as they
    /// come: no sorted copy of them.
    init<S: Sequence>(ascending: S) where S.Element == Range<Int> {
        ranges.reserveCapacity(ascending.underestimatedCount)
        for r in ascending where !r.isEmpty {
            if let last = ranges.last, r.lowerBound <= last.upperBound {
                ranges[ranges.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                ranges.append(r)
            }
        }
    }

    var isEmpty: Bool { ranges.isEmpty }

    /// The index of the first range that ends after `offset`.
    private func firstEnding(after offset: Int) -> Int {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound <= offset { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    func contains(_ offset: Int) -> Bool {
        let k = firstEnding(after: offset)
        return k < ranges.count && ranges[k].lowerBound <= offset
    }

    /// Whether any range overlaps `r` (an empty `r` overlaps nothing).
    func overlaps(_ r: Range<Int>) -> Bool {
        guard !r.isEmpty else { return false }
        let k = firstEnding(after: r.lowerBound)
        return k < ranges.count && ranges[k].lowerBound < r.upperBound
    }
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
///
/// Forms are keyed by a 64-bit polynomial hash in an open-addressing table (``HashBuckets``), and
/// every pattern a hash turns up is checked letter by letter, so a collision costs a comparison,
/// never a wrong answer. A candidate's one-deletion hashes come from its prefix hashes, O(1) each,
/// and no array is built per candidate: the scan is linear in the text (at most `maxLength + 1`
/// candidate ends per word start, each with at most `maxLength + 2` table probes).
struct FuzzyIndex: Sendable {
    private let patterns: [[UInt8]]
    private let patternRules: [Int]
    /// Hash of a term → `pattern << 1`; hash of one of its one-deletion forms → `pattern << 1 | 1`.
    private let table: HashBuckets
    private let minLength: Int
    private let maxLength: Int
    /// `lengths[L]`: bit 0 when a candidate of length L needs its own hash looked up (a term has
    /// length L or L + 1), bit 1 when it needs its one-deletion hashes (a term has length L - 1 or L).
    private let lengths: [UInt8]
    /// `powers[k]` = base^k.
    private let powers: [UInt64]

    static let base: UInt64 = 0x100_0000_01B3  // odd: the FNV prime

    /// Candidates up to this many letters are remembered when they have no hit.
    static let memoLength = 32

    /// Candidates that had no hit (their letters, compared in full, not only their hash), in a
    /// direct-mapped table: natural text repeats its words, and a candidate's hits depend on its
    /// letters alone (which stretches are candidates is decided before, by the boundaries), so a
    /// word met again costs one comparison instead of a probe per letter. One per worker of the
    /// leak check (``ChunkedFold/Folders``), kept from chunk to chunk; never shared by two threads.
    final class Memo {
        static let slots = 4096
        let hashes: UnsafeMutablePointer<UInt64>
        /// 0: empty (the other arrays of an empty slot are never read).
        let lengths: UnsafeMutablePointer<UInt8>
        let letters: UnsafeMutablePointer<UInt8>

        init() {
            hashes = .allocate(capacity: Memo.slots)
            lengths = .allocate(capacity: Memo.slots)
            lengths.initialize(repeating: 0, count: Memo.slots)
            letters = .allocate(capacity: Memo.slots * FuzzyIndex.memoLength)
        }

        deinit {
            hashes.deallocate()
            lengths.deallocate()
            letters.deallocate()
        }

        @inline(__always) func slot(_ hash: UInt64) -> Int {
            Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> 52)  // 12 bits: 4096 slots
        }

        /// Whether slot `k` holds exactly the `count` letters at `p` (whose hash is `hash`).
        @inline(__always) func holds(_ k: Int, _ hash: UInt64, _ p: UnsafePointer<UInt8>, _ count: Int) -> Bool {
            guard Int(lengths[k]) == count, hashes[k] == hash else { return false }
            let q = letters + k * FuzzyIndex.memoLength
            for i in 0..<count where q[i] != p[i] { return false }
            return true
        }

        @inline(__always) func store(_ k: Int, _ hash: UInt64, _ p: UnsafePointer<UInt8>, _ count: Int) {
            hashes[k] = hash
            lengths[k] = UInt8(count)
            (letters + k * FuzzyIndex.memoLength).update(from: p, count: count)
        }
    }

    @inline(__always) static func hash<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        bytes.reduce(0) { $0 &* base &+ UInt64($1) }
    }

    init(terms: TermIndex) {
        var lists: [UInt64: [UInt32]] = [:]
        var patterns: [[UInt8]] = []
        var rules: [Int] = []
        var minLength = Int.max, maxLength = 0
        for (p, bytes) in terms.foldedPatterns.enumerated() {
            guard bytes.count >= 5, bytes.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else { continue }
            let index = UInt32(patterns.count)
            patterns.append(bytes)
            rules.append(terms.patterns[p].rule)
            lists[FuzzyIndex.hash(bytes), default: []].append(index << 1)
            for i in 0..<bytes.count {
                var d = bytes
                d.remove(at: i)
                lists[FuzzyIndex.hash(d), default: []].append(index << 1 | 1)
            }
            minLength = min(minLength, bytes.count)
            maxLength = max(maxLength, bytes.count)
        }
        var lengths = [UInt8](repeating: 0, count: maxLength + 3)
        for bytes in patterns {
            let l = bytes.count
            lengths[l] |= 3
            lengths[l - 1] |= 1
            lengths[l + 1] |= 2
        }
        self.patterns = patterns
        self.patternRules = rules
        self.table = HashBuckets(lists)
        self.minLength = minLength
        self.maxLength = maxLength
        self.lengths = lengths
        var powers: [UInt64] = [1]
        for _ in 0..<(maxLength + 2) { powers.append(powers[powers.count - 1] &* FuzzyIndex.base) }
        self.powers = powers
    }

    /// Word-aligned stretches of folded ASCII letters within one edit of a term (not equal to it).
    ///
    /// One loop over raw pointers with no closure that captures mutable state (those cost a
    /// runtime exclusivity check per access): this is the leak check's hottest loop.
    /// - Parameter memo: candidates already known to have no hit (a fresh one when nil).
    func hits(in text: FoldedText, meter: WorkMeter? = nil, memo: Memo? = nil) -> [TermHit] {
        guard !patterns.isEmpty, text.count > 0 else { return [] }
        var hits: [TermHit] = []
        var probes = 0
        let n = text.count
        let noBoundary = UnitClass.noBoundary.rawValue
        let noGap = GapKind.none.rawValue
        let minLength = self.minLength, maxLength = self.maxLength
        var prefix = [UInt64](repeating: 0, count: maxLength + 3)
        var found = [UInt32](repeating: 0, count: 64)
        let memory = memo ?? Memo()
        text.bytes.withUnsafeBufferPointer { bytesBuffer in
            text.flags.withUnsafeBufferPointer { flagsBuffer in
                lengths.withUnsafeBufferPointer { lengthsBuffer in
                    powers.withUnsafeBufferPointer { powersBuffer in
                        prefix.withUnsafeMutableBufferPointer { prefixBuffer in
                            found.withUnsafeMutableBufferPointer { foundBuffer in
                                table.withLookup { lookup in
                                    let bytes = bytesBuffer.baseAddress!, flags = flagsBuffer.baseAddress!
                                    let lengths = lengthsBuffer.baseAddress!, powers = powersBuffer.baseAddress!
                                    let prefix = prefixBuffer.baseAddress!
                                    var foundCount = 0
                                    @inline(__always) func isLetter(_ i: Int) -> Bool { bytes[i] &- 0x61 < 26 }
                                    /// A word boundary at `i`: where a term may start or end.
                                    @inline(__always) func boundary(_ i: Int) -> Bool {
                                        if i == 0 || i == n { return true }
                                        if bytes[i] & 0xC0 == 0x80 { return false }
                                        let a = flags[i - 1] & 3, b = flags[i] & 3
                                        return (flags[i] >> 2) & 3 != noGap || a != b || a == noBoundary
                                    }
                                    var start = 0
                                    while start < n {
                                        guard isLetter(start), boundary(start) else {
                                            start += 1
                                            continue
                                        }
                                        var end = start
                                        while end < n, end - start <= maxLength, isLetter(end) {
                                            let length = end - start + 1
                                            prefix[length] = prefix[length - 1] &* FuzzyIndex.base &+ UInt64(bytes[end])
                                            end += 1
                                            guard length >= minLength - 1, boundary(end) else { continue }
                                            let need = lengths[length]
                                            if need == 0 { continue }
                                            // The patterns within one edit of bytes[start..<end].
                                            let whole = prefix[length]
                                            // A candidate met before without a hit has none now.
                                            let memo = length <= FuzzyIndex.memoLength ? memory.slot(whole) : -1
                                            if memo >= 0, memory.holds(memo, whole, bytes + start, length) { continue }
                                            foundCount = 0
                                            probes += 1 + length
                                            var equal = false
                                            if need & 1 != 0 {
                                                lookup.forEach(whole) { e in
                                                    if e & 1 == 1 {
                                                        if foundCount < foundBuffer.count {
                                                            foundBuffer[foundCount] = e >> 1
                                                        }
                                                        foundCount += 1
                                                    } else if patterns[Int(e >> 1)].elementsEqual(
                                                        UnsafeBufferPointer(start: bytes + start, count: length))
                                                    {
                                                        equal = true
                                                    }
                                                }
                                            }
                                            if equal {  // the term itself: the exact nets report it
                                                if memo >= 0 { memory.store(memo, whole, bytes + start, length) }
                                                continue
                                            }
                                            if need & 2 != 0 {
                                                for i in 0..<length {
                                                    // Hash of the candidate without its letter i.
                                                    let h = whole &+ powers[length - 1 - i] &* (prefix[i] &- prefix[i + 1])
                                                    lookup.forEach(h) { e in
                                                        if foundCount < foundBuffer.count {
                                                            foundBuffer[foundCount] = e >> 1
                                                        }
                                                        foundCount += 1
                                                    }
                                                }
                                            }
                                            if foundCount == 0 {
                                                if memo >= 0 { memory.store(memo, whole, bytes + start, length) }
                                                continue
                                            }
                                            // More than fit: the rest are looked up again into an array.
                                            var list = Array(foundBuffer[0..<min(foundCount, foundBuffer.count)])
                                            if foundCount > foundBuffer.count {
                                                list.removeAll()
                                                lookup.forEach(whole) { e in if e & 1 == 1 { list.append(e >> 1) } }
                                                for i in 0..<length where need & 2 != 0 {
                                                    let h = whole &+ powers[length - 1 - i] &* (prefix[i] &- prefix[i + 1])
                                                    lookup.forEach(h) { list.append($0 >> 1) }
                                                }
                                            }
                                            list.sort()
                                            let candidate = UnsafeBufferPointer(start: bytes + start, count: length)
                                            var last = UInt32.max
                                            for p in list where p != last {
                                                last = p
                                                if FuzzyIndex.withinOneEdit(patterns[Int(p)], candidate) {
                                                    hits.append(
                                                        TermHit(
                                                            rule: patternRules[Int(p)], pattern: Int(p), start: start, end: end))
                                                }
                                            }
                                        }
                                        start += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        meter?.add(probes)
        return hits
    }

    /// Optimal-string-alignment distance ≤ 1 (and not 0).
    static func withinOneEdit<A: RandomAccessCollection, B: RandomAccessCollection>(_ a: A, _ b: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8, A.Index == Int, B.Index == Int {
        if a.count == b.count {
            var first = -1, second = -1
            for k in 0..<a.count where a[a.startIndex + k] != b[b.startIndex + k] {
                if first < 0 { first = k } else if second < 0 { second = k } else { return false }
            }
            if first < 0 { return false }  // equal
            if second < 0 { return true }
            return second == first + 1 && a[a.startIndex + first] == b[b.startIndex + second]
                && a[a.startIndex + second] == b[b.startIndex + first]
        }
        if a.count < b.count { return oneInsertion(a, b) }
        return oneInsertion(b, a)
    }

    /// `long` is `short` with one letter inserted.
    private static func oneInsertion<A: RandomAccessCollection, B: RandomAccessCollection>(
        _ short: A,
        _ long: B
    ) -> Bool
    where A.Element == UInt8, B.Element == UInt8, A.Index == Int, B.Index == Int {
        guard long.count == short.count + 1 else { return false }
        var i = 0
        while i < short.count && short[short.startIndex + i] == long[long.startIndex + i] { i += 1 }
        while i < short.count {
            if short[short.startIndex + i] != long[long.startIndex + i + 1] { return false }
            i += 1
        }
        return true
    }
}

/// A read-only open-addressing hash table from 64-bit keys to short lists of `UInt32`, built once:
/// one multiply and (mostly) one probe per lookup, no hashing of arrays.
struct HashBuckets: Sendable {
    private let keys: [UInt64]
    /// Per slot: `start << 32 | count` into `values`; 0 marks an empty slot (every key has a value).
    private let slots: [UInt64]
    private let values: [UInt32]
    private let shift: UInt64
    private let mask: Int
    /// One bit per value of the top ``filterBits`` bits of a key's mixed hash, set for every key:
    /// a clear bit means the key is absent. Eight times as many bits as slots, in an eighth of the
    /// slots' memory, so most lookups of absent keys (nearly all of the edit-distance net's) end in
    /// a cache line of it instead of missing in `slots` and `keys`.
    private let filter: [UInt64]
    private let filterShift: UInt64

    init(_ lists: [UInt64: [UInt32]]) {
        var bits = 4
        while (1 << bits) < lists.count * 2 { bits += 1 }
        let size = 1 << bits
        var keys = [UInt64](repeating: 0, count: size)
        var slots = [UInt64](repeating: 0, count: size)
        var values: [UInt32] = []
        shift = UInt64(64 - bits)
        mask = size - 1
        let filterBits = bits + 3
        filterShift = UInt64(64 - filterBits)
        var filter = [UInt64](repeating: 0, count: max(1, (1 << filterBits) / 64))
        for (key, list) in lists.sorted(by: { $0.key < $1.key }) {
            let mixed = key &* 0x9E37_79B9_7F4A_7C15
            var i = Int(truncatingIfNeeded: mixed >> shift)
            while slots[i] != 0 { i = (i + 1) & mask }
            keys[i] = key
            slots[i] = UInt64(values.count) << 32 | UInt64(list.count)
            values += list
            let bit = Int(truncatingIfNeeded: mixed >> filterShift)
            filter[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        self.keys = keys
        self.slots = slots
        self.values = values
        self.filter = filter
    }

    /// The table's arrays as raw pointers for the duration of `body` (no bounds or exclusivity checks
    /// per probe).
    @inline(__always) func withLookup<R>(_ body: (Lookup) -> R) -> R {
        keys.withUnsafeBufferPointer { k in
            slots.withUnsafeBufferPointer { s in
                values.withUnsafeBufferPointer { v in
                    filter.withUnsafeBufferPointer { f in
                        body(
                            Lookup(
                                keys: k.baseAddress!, slots: s.baseAddress!, values: v.baseAddress, filter: f.baseAddress!,
                                shift: shift, filterShift: filterShift, mask: mask))
                    }
                }
            }
        }
    }

    struct Lookup {
        let keys: UnsafePointer<UInt64>
        let slots: UnsafePointer<UInt64>
        let values: UnsafePointer<UInt32>?
        let filter: UnsafePointer<UInt64>
        let shift: UInt64
        let filterShift: UInt64
        let mask: Int

        @inline(__always) func forEach(_ key: UInt64, _ body: (UInt32) -> Void) {
            let mixed = key &* 0x9E37_79B9_7F4A_7C15
            let bit = Int(truncatingIfNeeded: mixed >> filterShift)
            if filter[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return }
            var i = Int(truncatingIfNeeded: mixed >> shift)
            while true {
                let slot = slots[i]
                if slot == 0 { return }
                if keys[i] == key {
                    let start = Int(slot >> 32)
                    for k in start..<(start + Int(slot & 0xFFFF_FFFF)) { body(values![k]) }
                    return
                }
                i = (i + 1) & mask
            }
        }
    }

    @inline(__always) func forEach(_ key: UInt64, _ body: (UInt32) -> Void) {
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let slot = slots[i]
            if slot == 0 { return }
            if keys[i] == key {
                let start = Int(slot >> 32)
                for k in start..<(start + Int(slot & 0xFFFF_FFFF)) { body(values[k]) }
                return
            }
            i = (i + 1) & mask
        }
    }
}
