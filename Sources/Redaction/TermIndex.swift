/// One term or variant, folded, as the automaton sees it.
struct TermPattern: Sendable {
    /// Index of the rule in the rule list.
    let rule: Int
    /// Byte offsets inside the folded pattern where the written term had a separator
    /// ("Jong-yol" → 4): the text may have any separator there, or none. The union over every
    /// form of the rule that folds to the same bytes.
    var partBoundaries: [Int]
    let substring: Bool
}

/// A term occurrence in folded text, already checked for word boundaries and extended over a
/// possessive or plural ending.
struct TermHit {
    let rule: Int
    let pattern: Int
    /// Folded byte range.
    let start: Int
    let end: Int
}

/// Term rules folded into the patterns of a ``TermIndex``, before its automaton is built: the
/// disclosure guard's facts are folded on a thread of their own and their patterns joined to the
/// rules' in the leak check's automaton (``TermIndex/init(_:then:from:)``).
struct TermPatterns: Sendable {
    let mode: FoldMode
    let patterns: [TermPattern]
    /// Folded bytes of each pattern.
    let folded: [[UInt8]]

    var isEmpty: Bool { patterns.isEmpty }

    /// A rule's term and variants are a set: forms that fold alike become one pattern that keeps every
    /// form's separator positions ("Hyejin", "Hye-jin", "Hye jin" in any order). Hangul forms also
    /// stand for their other spellings under the initial-sound rule (리종열 ↔ 이종열; `Hangul`), and Han
    /// forms for their traditional and simplified spellings (会宁 ↔ 會寧; `HanVariants`).
    /// - Parameter forceSubstring: match every term inside longer words too (the leak check's net
    ///   for addresses, URLs and hashtags).
    init(rules: [RedactionRule], mode: FoldMode, forceSubstring: Bool = false) throws(RedactionError) {
        // One pass, every form folded into one reused buffer (``FoldScratch``): no arrays per form
        // but the folded pattern kept, no dictionary of byte arrays for the few forms of a rule
        // (compiling 1,000 facts × 3 forms spent most of its time allocating, `make bench`).
        // The same patterns, in the same order, as folding each form on its own
        // (`TermIndexBuildTests` compare the two).
        var folder = Folder(mode: mode)
        let scratch = FoldScratch()
        var patterns: [TermPattern] = []
        var folded: [[UInt8]] = []
        var byForm: [[UInt8]: Int] = [:]  // this rule's folded forms → pattern index, for rules with many
        var boundaries: [Int] = []
        for (index, rule) in rules.enumerated() {
            guard case .term(let term, let variants, let substring) = rule.pattern else { continue }
            let first = patterns.count
            byForm.removeAll(keepingCapacity: true)
            let person = rule.label == RuleLabel.person.rawValue
            for v in -1..<variants.count {
                let form = v < 0 ? term : variants[v]
                guard folder.fold(form, into: scratch) > 0 else { throw .emptyTerm(ruleID: rule.id) }
                // Most forms have no other spelling: no array of one.
                let spellings = TermIndex.spellings(form, person: person)
                for s in 0..<max(spellings.count, 1) {
                    let spelling = spellings.isEmpty ? form : spellings[s]
                    // The written form is first; its fold is the one just made (the scratch holds
                    // it until another is folded).
                    if s > 0 || (!spellings.isEmpty && spelling != form) {
                        folder.fold(spelling == form ? form : spelling, into: scratch)
                    }
                    let f = scratch.folded
                    boundaries.removeAll(keepingCapacity: true)
                    if f.count > 1 {
                        for k in 1..<f.count where f[k] & 0xC0 != 0x80 && scratch.gap(k) != .none { boundaries.append(k) }
                    }
                    // A form of this rule that folds alike: one pattern, with both forms' separators.
                    var known: Int? = nil
                    if patterns.count - first <= 8 {
                        for p in first..<patterns.count where folded[p].elementsEqual(f) {
                            known = p
                            break
                        }
                    } else {
                        if byForm.isEmpty { for p in first..<patterns.count { byForm[folded[p]] = p } }
                        known = byForm[Array(f)]
                    }
                    if let known {
                        if !boundaries.isEmpty {
                            let merged = Set(patterns[known].partBoundaries).union(boundaries)
                            patterns[known].partBoundaries = merged.sorted()
                        }
                        continue
                    }
                    let bytes = Array(f)
                    if !byForm.isEmpty { byForm[bytes] = patterns.count }
                    // A copy (or none): the buffer stays this loop's, not reallocated for the next form.
                    patterns.append(
                        TermPattern(
                            rule: index, partBoundaries: boundaries.isEmpty ? [] : Array(boundaries),
                            substring: substring || forceSubstring))
                    folded.append(bytes)
                }
            }
        }
        self.mode = mode
        self.patterns = patterns
        self.folded = folded
    }
}

/// All term rules compiled into one Aho–Corasick automaton over folded text.
struct TermIndex: Sendable {
    let mode: FoldMode
    let automaton: AhoCorasick
    let patterns: [TermPattern]
    /// Folded bytes of each pattern (the leak check's edit-distance net reuses them).
    let foldedPatterns: [[UInt8]]
    /// Set by ``scanningOnlyWhereAPatternStarts()``: the bytes the automaton's root loops on,
    /// passed over while at the root (``AhoCorasick/forEachMatch(in:skipping:_:)``).
    private(set) var rootStays: [Bool]? = nil

    /// ``TermPatterns/init(rules:mode:forceSubstring:)`` and their automaton.
    init(rules: [RedactionRule], mode: FoldMode, forceSubstring: Bool = false) throws(RedactionError) {
        self.init(try TermPatterns(rules: rules, mode: mode, forceSubstring: forceSubstring))
    }

    init(_ p: TermPatterns) {
        self.init(mode: p.mode, automaton: AhoCorasick(patterns: p.folded), patterns: p.patterns, foldedPatterns: p.folded)
    }

    /// `index`'s patterns, then `more`'s, whose rule indexes start at `from` (past `index`'s
    /// rules), in one automaton: one scan finds the hits of both, each pattern's exactly as its
    /// own index finds them (an Aho–Corasick automaton reports every occurrence of every pattern,
    /// whatever else it holds). The leak check matches the disclosure guard's facts this way, in
    /// the pass that matches the rules' terms (``LeakChecker/joining(_:)``).
    init(_ index: TermIndex, then more: TermPatterns, from: Int) {
        precondition(index.mode == more.mode && index.patterns.allSatisfy { $0.rule < from })
        var patterns = index.patterns
        patterns.reserveCapacity(index.patterns.count + more.patterns.count)
        for p in more.patterns {
            patterns.append(TermPattern(rule: p.rule + from, partBoundaries: p.partBoundaries, substring: p.substring))
        }
        let folded = index.foldedPatterns + more.folded
        self.init(mode: index.mode, automaton: AhoCorasick(patterns: folded), patterns: patterns, foldedPatterns: folded)
    }

    /// A form's other spellings, the form first: `HanVariants.variants(form).flatMap {
    /// Hangul.initialSoundVariants($0, person: person) }`, or empty when that is just the form for
    /// certain (no byte of an ideograph, no Hangul with an initial-sound alternate), as for most.
    static func spellings(_ form: String, person: Bool) -> [String] {
        // Ideographs (U+3400…9FFF, U+20000…323AF) begin with a byte E3…E9 or F0.
        var copy = form
        if copy.withUTF8({ $0.contains { $0 &- 0xE3 <= 0xE9 - 0xE3 || $0 == 0xF0 } }) {
            let han = HanVariants.variants(form)
            if han.count > 1 { return han.flatMap { Hangul.initialSoundVariants($0, person: person) } }
        }
        return Hangul.mayHaveInitialSoundVariants(form) ? Hangul.initialSoundVariants(form, person: person) : []
    }

    var isEmpty: Bool { patterns.isEmpty }

    /// This index scanning with ``AhoCorasick/forEachMatch(in:skipping:_:)``: the same hits, and
    /// far fewer instructions when few of the text's bytes start a pattern (a source's facts,
    /// whose index scans every published text beside the leak check's own).
    func scanningOnlyWhereAPatternStarts() -> TermIndex {
        var copy = self
        copy.rootStays = automaton.rootSelfLoops()
        return copy
    }

    /// This index with every pattern matched inside longer words too: what `forceSubstring: true`
    /// builds from the same rules (the same patterns in the same order, so the same automaton,
    /// shared rather than built and held twice).
    func forcingSubstring() -> TermIndex {
        TermIndex(
            mode: mode, automaton: automaton,
            patterns: patterns.map { TermPattern(rule: $0.rule, partBoundaries: $0.partBoundaries, substring: true) },
            foldedPatterns: foldedPatterns)
    }

    private init(mode: FoldMode, automaton: AhoCorasick, patterns: [TermPattern], foldedPatterns: [[UInt8]]) {
        self.mode = mode
        self.automaton = automaton
        self.patterns = patterns
        self.foldedPatterns = foldedPatterns
        ruleBound = (patterns.lazy.map(\.rule).max() ?? -1) + 1
    }

    /// One more than the largest rule index of a pattern: the size of a per-rule table, whatever
    /// the patterns' order (the scan's marks are written through an unchecked buffer pointer).
    let ruleBound: Int

    /// Finds every term occurrence in `text`.
    /// - Parameter anyInteriorGap: the leak check's "separators removed" net: accept separators
    ///   anywhere inside a term ("J o n g y o l", "Jong.yol" for a rule "Jongyol").
    /// - Parameter firstIn: only each rule's first hit that starts (in `text`'s original offsets)
    ///   inside this range; a rule's later matches are not checked at all. Which facts a text
    ///   states needs no more (the disclosure guard: a stated fact's every other hit was most of
    ///   its matching, ~22,000 hits of three facts on the bench's 1 MiB).
    /// - Parameter factsFrom: the rules from this index on are facts (``init(_:then:from:)``):
    ///   matched as `firstIn` says and never with `anyInteriorGap`, which then concern only the
    ///   facts and only the rules before them, in that order. Each pattern's hits are those its
    ///   own index would find with its own arguments.
    func hits(
        in text: FoldedText, anyInteriorGap: Bool = false, firstIn owned: Range<Int>? = nil, factsFrom: Int? = nil
    ) -> [TermHit] {
        // Two copies of the scan: one with the same arguments for every rule (as the redactor and
        // the leak check's other nets scan), untouched by the facts' split.
        if let factsFrom {
            return hits(
                in: text, owned, SplitAtFacts(looseBelow: anyInteriorGap ? factsFrom : 0, firstFrom: factsFrom))
        }
        return hits(in: text, owned, SameForEveryRule(anyInteriorGap: anyInteriorGap, firstOnly: owned != nil))
    }

    /// How ``hits(in:_:_:)`` matches a rule: taking any interior gap, first hit in range only.
    private protocol MatchPolicy {
        func loose(_ rule: Int) -> Bool
        func firstOnly(_ rule: Int) -> Bool
    }

    private struct SameForEveryRule: MatchPolicy {
        let anyInteriorGap: Bool
        let firstOnly: Bool
        @inline(__always) func loose(_ rule: Int) -> Bool { anyInteriorGap }
        @inline(__always) func firstOnly(_ rule: Int) -> Bool { firstOnly }
    }

    /// Rules below `looseBelow` take any interior gap; rules from `firstFrom` on (the facts) are
    /// matched first in range only.
    private struct SplitAtFacts: MatchPolicy {
        let looseBelow: Int
        let firstFrom: Int
        @inline(__always) func loose(_ rule: Int) -> Bool { rule < looseBelow }
        @inline(__always) func firstOnly(_ rule: Int) -> Bool { rule >= firstFrom }
    }

    private func hits<Policy: MatchPolicy>(in text: FoldedText, _ owned: Range<Int>?, _ policy: Policy) -> [TermHit] {
        guard !patterns.isEmpty else { return [] }
        var hits: [TermHit] = []
        // One mark per rule index (`ruleBound`: every pattern's rule is below it).
        // (Marked through a buffer pointer: a captured array is checked for exclusive access at
        // every hit, and a stated fact's later hits, which only read it, are most of the facts'.)
        var foundFlags = [Bool](repeating: false, count: owned == nil ? 0 : ruleBound)
        let n = text.count
        foundFlags.withUnsafeMutableBufferPointer { found in
            text.bytes.withUnsafeBufferPointer { bytes in
                text.flags.withUnsafeBufferPointer { flags in
                    @inline(__always) func cls(_ i: Int) -> UInt8 { flags[i] & 3 }
                    @inline(__always) func gap(_ i: Int) -> UInt8 { (flags[i] >> 2) & 3 }
                    let noBoundary = UnitClass.noBoundary.rawValue
                    let letter = UnitClass.letter.rawValue
                    /// Is there a word boundary between the unit ending at `i` and the one starting at `i`?
                    @inline(__always) func boundary(_ i: Int) -> Bool {
                        if i <= 0 || i >= n { return true }
                        let a = cls(i - 1), b = cls(i)
                        return gap(i) != GapKind.none.rawValue || a != b || a == noBoundary
                    }
                    let s = UInt8(ascii: "s"), e = UInt8(ascii: "e")

                    func match(_ p: Int, _ end: Int) {
                        // The rule alone first: a later hit of a rule found already copies no pattern.
                        let rule = patterns[p].rule
                        let firstOnly = owned != nil && policy.firstOnly(rule)
                        if firstOnly, found[rule] { return }
                        let pattern = patterns[p]
                        let start = end - automaton.patternLengths[p]
                        // Separators inside the match: only where the term had one, between CJK units,
                        // or invisible ones (zero-width, soft hyphen, hyphenated line break).
                        if !policy.loose(pattern.rule) {
                            // A lone apostrophe or dash between two letters joins the parts of a term
                            // of 4+ letters written without it, once ("Ch'ŏngjin", "Jong-su" for
                            // "Chongjin", "Jongsu"); shorter terms keep to their own separators ("I'm" ≠ "Im").
                            var joinable = end - start >= 4
                            var k = start + 1
                            while k < end {
                                let g = gap(k)
                                if bytes[k] & 0xC0 != 0x80, g == GapKind.apostrophe.rawValue || g == GapKind.separator.rawValue {
                                    let cjk = cls(k - 1) == noBoundary && cls(k) == noBoundary
                                    let joined =
                                        joinable && (g == GapKind.apostrophe.rawValue || flags[k] & FoldedText.dashOnlyFlag != 0)
                                        && cls(k - 1) == letter && cls(k) == letter
                                    if !cjk && !pattern.partBoundaries.contains(k - start) {
                                        // At most one such joint: "J-o-n-g-s-u" is left to the leak check.
                                        guard joined else { return }
                                        joinable = false
                                    }
                                }
                                k += 1
                            }
                        }
                        var stop = end
                        if !pattern.substring {
                            guard boundary(start) else { return }
                            let lastIsLetter = cls(end - 1) == UnitClass.letter.rawValue
                            if !boundary(end) {
                                // "the Ris", "the Kimes": a plural ending glued to the term.
                                guard lastIsLetter else { return }
                                if bytes[end] == s, gap(end) == GapKind.none.rawValue, boundary(end + 1) {
                                    stop = end + 1
                                } else if end + 1 < n, bytes[end] == e, bytes[end + 1] == s,
                                    gap(end) == GapKind.none.rawValue, gap(end + 1) == GapKind.none.rawValue,
                                    boundary(end + 2)
                                {
                                    stop = end + 2
                                } else {
                                    return
                                }
                            } else if lastIsLetter, end < n, bytes[end] == s, gap(end) == GapKind.apostrophe.rawValue,
                                boundary(end + 1)
                            {
                                // "Ri's", "Ri’s": take the possessive with the name.
                                stop = end + 1
                            }
                        }
                        if firstOnly, let owned {
                            guard owned.contains(Int(text.origStart[start])) else { return }
                            found[pattern.rule] = true
                        }
                        hits.append(TermHit(rule: pattern.rule, pattern: p, start: start, end: stop))
                    }
                    if let rootStays {
                        automaton.forEachMatch(in: text.bytes, skipping: rootStays, match)
                    } else {
                        automaton.forEachMatch(in: text.bytes, match)
                    }
                }
            }
        }
        return hits
    }
}
