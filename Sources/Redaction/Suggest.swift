import Foundation

/// A candidate the rules do not cover yet, to help the reporter write rules. Advisory only:
/// redaction never acts on suggestions. `text` is the candidate itself, so treat a suggestion
/// as sensitively as the testimony (show it, never log it).
public struct Suggestion: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// Two or more capitalized words ("Kim Jong Yol", "Musan County") or a hyphenated one ("Jong-yol").
        case namePhrase
        /// A 2–4 syllable Hangul word starting with a common surname, particles stripped (이종열은 → 이종열).
        case hangulName
        /// 2–3 Han characters starting with a common surname.
        case chineseName
        /// A number with a unit ("12 km", "3 people", "30명", "5公里").
        case numberWithUnit
        /// A built-in detector hit (`detector` says which).
        case detector
        /// The other spelling of a Hangul name a rule lists in one spelling only: North Korean 리종열
        /// for South Korean 이종열 and back (the initial-sound rule, 두음 법칙). The rule already hides
        /// both; listing the other as a `--variant` records it. Placed where the rule first hits.
        case otherSpelling
    }

    public var text: String
    public var kind: Kind
    public var detector: Detector?
    /// The label a rule for it would most likely carry.
    public var suggestedLabel: String
    /// 1-based line in the text.
    public var line: Int
    /// UTF-8 byte offsets in the text.
    public var originalRange: Range<Int>
}

/// Candidates in `text` that no rule in `rules` covers, in text order. Rules that do not compile
/// are ignored here (suggestions are advisory; ``Redactor/init(rules:)`` reports them). A candidate
/// is covered when it overlaps what the rules redact (``Redactor/redact(_:)``'s findings).
public func suggest(_ text: String, rules: [RedactionRule]) -> [Suggestion] {
    let redactor =
        (try? Redactor(rules: rules))
        ?? (try? Redactor(rules: rules.filter { (try? Redactor(rules: [$0])) != nil }))
        ?? (try? Redactor(rules: []))
    guard let redactor else { return [] }
    let bytes = Array(text.utf8)
    let (firstPass, merged) = redactor.spans(text: text, bytes: bytes)
    let found = Suggester.run(
        text, bytes: bytes, covered: RangeSet(merged.map { $0.lo..<$0.hi }),
        redacting: Suggester.detectors(redactor.rules))
    // The other Korean spelling of a name a rule hides (placed at the rule's first hit).
    return Suggester.inserting(Suggester.otherSpellings(firstPass, bytes: bytes, redactor: redactor), into: found)
}

/// ``suggest(_:rules:)`` for a text already redacted with `rules` (the export's own redaction, so
/// the rules are not compiled and run a second time), which gave `findings`: the same suggestions,
/// except ``Suggestion/Kind/otherSpelling`` (a spelling the rules already hide).
public func suggest(_ text: String, redactedAs findings: Findings, rules: [RedactionRule]) -> [Suggestion] {
    Suggester.run(
        text, bytes: Array(text.utf8), covered: findings.covered,
        redacting: Suggester.detectors(rules))
}

/// `suggest`'s candidates in a text, found before the text is redacted (on another thread, while
/// it is): ``covered(by:in:)`` then gives exactly ``suggest(_:redactedAs:rules:)``'s result.
/// The text is not kept (an export's only copy of it is let go once it is redacted and checked):
/// each candidate's line is.
public struct PendingSuggestions: Sendable {
    let candidates: [Suggester.Candidate]
    /// The line of each candidate's start.
    let lines: [UInt32]
    /// The text's length in bytes (``covered(by:in:)`` is given the same text).
    let count: Int

    /// Candidates in `text` for a redaction with `rules` (the detectors they turn on are not run).
    public init(_ text: String, rules: [RedactionRule]) {
        self.init(utf8: Array(text.utf8), text: text, rules: rules)
    }

    /// ``init(_:rules:)`` of the text whose UTF-8 is `utf8` (valid UTF-8), as the caller holds
    /// it for another reader; `text` is it as a string when the caller holds one too (else one is
    /// made only if a pattern scans the whole text).
    public init(utf8: [UInt8], text: String?, rules: [RedactionRule]) {
        precondition(text.map { utf8.count == $0.utf8.count } ?? true, "utf8 is not the text's UTF-8")
        let candidates = Suggester.candidates(
            { text ?? String(decoding: utf8, as: UTF8.self) }, bytes: utf8, redacting: Suggester.detectors(rules))
        var lines: [UInt32] = []
        lines.reserveCapacity(candidates.count)
        utf8.withUnsafeBufferPointer { bytes in
            var position = 0
            var line = 1
            // Offsets only grow: the candidates are in text order.
            for c in candidates {
                let end = min(c.range.lowerBound, bytes.count)
                line += TextSupport.newlines(in: bytes, position..<max(position, end))
                position = max(position, end)
                lines.append(UInt32(truncatingIfNeeded: line))
            }
        }
        self.candidates = candidates
        self.lines = lines
        count = utf8.count
    }

    /// The suggestions in `text` (the text the candidates were found in) once it was redacted
    /// with `findings`.
    public func covered(by findings: Findings, in text: String) -> [Suggestion] {
        precondition(text.utf8.count == count, "not the text the candidates were found in")
        return Suggester.filter(candidates, bytes: Array(text.utf8), covered: findings.covered)
    }

    /// The line of each of ``covered(by:in:)``'s suggestions, in order, without making them
    /// (export's summary: no string per phrase).
    public func uncoveredLines(by findings: Findings) -> [Int] {
        var out: [Int] = []
        Suggester.forEachUncovered(candidates, covered: findings.covered) { k, _ in out.append(Int(lines[k])) }
        return out
    }
}

enum Suggester {
    /// The detectors some rule turns on.
    static func detectors(_ rules: [RedactionRule]) -> Set<Detector> {
        Set(rules.compactMap { if case .detector(let d) = $0.pattern { d } else { nil } })
    }

    /// `redacting`: detectors the rules turned on. Every match of theirs was redacted, so it is
    /// covered and never suggested: their patterns are not run again.
    static func run(
        _ text: String, bytes: [UInt8], covered: RangeSet,
        redacting: Set<Detector> = []
    ) -> [Suggestion] {
        filter(candidates({ text }, bytes: bytes, redacting: redacting), bytes: bytes, covered: covered)
    }

    typealias Candidate = (range: Range<Int>, kind: Suggestion.Kind, detector: Detector?, label: String)

    /// Every candidate of the built-in patterns, sorted by start (longest first), before the covered
    /// ones are left out: it does not depend on what the rules redact.
    /// (`text` is asked for the text as a string only if a pattern scans the whole of it, at most once.)
    static func candidates(_ text: () -> String, bytes: [UInt8], redacting: Set<Detector>) -> [Candidate] {
        TextSupport.once(text) { candidates(made: $0, bytes: bytes, redacting: redacting) }
    }

    /// ``candidates(_:bytes:redacting:)`` with `asString` asked for the text as a string (made once).
    private static func candidates(made asString: () -> String, bytes: [UInt8], redacting: Set<Detector>) -> [Candidate] {
        var raw: [Candidate] = []
        // The patterns run only where they can match (SuggestWindows), with the same matches.
        var scan = SuggestWindows.Scan(bytes)
        for r in namePhrases(asString, bytes: bytes, scan: &scan) {
            raw.append((r, .namePhrase, nil, RuleLabel.person.rawValue))
        }
        let scripts = scriptRuns(bytes, surnamesFirst: true)
        for r in hangulNames(bytes, runs: scripts.hangul) { raw.append((r, .hangulName, nil, RuleLabel.person.rawValue)) }
        for r in chineseNames(bytes, runs: scripts.han) { raw.append((r, .chineseName, nil, RuleLabel.person.rawValue)) }
        // (All at once: those that run over most of the text a piece at a time share each piece.)
        var patterns: [(regex: SharedRegex, detector: Detector?)] = Patterns.numberWithUnit.map { ($0, nil) }
        for d in Detector.allCases where !redacting.contains(d) { patterns += d.patterns.map { ($0, d) } }
        let found = SuggestWindows.packedMatchesOfEach(patterns.map(\.regex), text: asString, bytes: bytes, scan: &scan)
        for (k, ranges) in found.enumerated() {
            for r in ranges {
                if let d = patterns[k].detector {
                    raw.append((r, .detector, d, d.defaultLabel.rawValue))
                } else {
                    raw.append((r, .numberWithUnit, nil, "ID"))
                }
            }
        }

        raw.sort {
            $0.range.lowerBound != $1.range.lowerBound
                ? $0.range.lowerBound < $1.range.lowerBound
                : $0.range.upperBound > $1.range.upperBound
        }
        // (At its size: an export keeps the candidates until it ends, and an array grown by
        // doubling held up to twice them, a megabyte on 2 MiB of markup.)
        guard raw.capacity - raw.count > 4_096 else { return raw }
        return raw.withUnsafeBufferPointer { Array($0) }
    }

    /// The candidates no covered range overlaps, one per range, in text order.
    static func filter(_ raw: [Candidate], bytes: [UInt8], covered disjoint: RangeSet) -> [Suggestion] {
        var lines = TextSupport.LineCounter(bytes)
        var out: [Suggestion] = []
        forEachUncovered(raw, covered: disjoint) { s in
            out.append(
                Suggestion(
                    text: String(decoding: bytes[s.range], as: UTF8.self), kind: s.kind, detector: s.detector,
                    suggestedLabel: s.label, line: lines.line(at: s.range.lowerBound),
                    originalRange: s.range))
        }
        return out
    }

    /// The candidates of `raw` (sorted as ``candidates(_:bytes:redacting:)`` sorts them) that no
    /// covered range overlaps, one per range, in text order: ``filter(_:bytes:covered:)``'s choice.
    static func forEachUncovered(_ raw: [Candidate], covered disjoint: RangeSet, _ body: (Candidate) -> Void) {
        forEachUncovered(raw, covered: disjoint) { _, s in body(s) }
    }

    /// ``forEachUncovered(_:covered:_:)`` with each candidate's index in `raw`.
    static func forEachUncovered(_ raw: [Candidate], covered disjoint: RangeSet, _ body: (Int, Candidate) -> Void) {
        // The covered spans merged into sorted, disjoint ranges: each candidate is checked by a
        // binary search, so the whole pass is O(n log n) (a scan of every span per candidate was
        // quadratic: 2 MB with 30,000 redactions took minutes). Candidates with the same range are
        // next to each other (sorted by start, then end), so one is kept by comparing neighbours.
        var previous: Range<Int>?
        var kept: (range: Range<Int>, kind: Suggestion.Kind)?
        for (k, s) in raw.enumerated() {
            if disjoint.overlaps(s.range) || s.range == previous { continue }
            previous = s.range
            // A detector hit inside a longer one of the same kind ("10-1234-5678" in "+82 10-1234-5678").
            if let k = kept, k.kind == s.kind, k.range.contains(s.range.lowerBound), s.range.upperBound <= k.range.upperBound {
                continue
            }
            kept = (s.range, s.kind)
            body(k, s)
        }
    }

    /// `out` with `extras` inserted in text order, each after the candidates that start at the same place.
    static func inserting(_ extras: [Suggestion], into out: [Suggestion]) -> [Suggestion] {
        var out = out
        for extra in extras {
            let at = out.firstIndex { $0.originalRange.lowerBound > extra.originalRange.lowerBound } ?? out.endIndex
            out.insert(extra, at: at)
        }
        return out
    }

    // MARK: North/South Korean spellings

    /// For each term rule that hits the text and lists a Hangul name in one spelling only (no other
    /// listed form has the same South Korean spelling), that name's other spelling: the South Korean one
    /// for a North Korean form, the North Korean one (initial ㄹ, and ㄴ where a single syllable changes)
    /// for a South Korean form. At most two per rule, at the rule's first hit.
    static func otherSpellings(_ hits: [Span], bytes: [UInt8], redactor: Redactor) -> [Suggestion] {
        var firstHit: [Int: Range<Int>] = [:]
        for span in hits where (firstHit[span.rule].map { span.lo < $0.lowerBound } ?? true) {
            firstHit[span.rule] = span.lo..<span.hi
        }
        var lines = TextSupport.LineCounter(bytes)
        var out: [Suggestion] = []
        for (index, rule) in redactor.rules.enumerated() {
            guard case .term(let term, let variants, _) = rule.pattern, let range = firstHit[index] else { continue }
            let person = rule.label == RuleLabel.person.rawValue
            let listed = ([term] + variants).map { $0.precomposedStringWithCanonicalMapping }
            var proposals: [String] = []
            for form in listed {
                let all = Hangul.initialSoundVariants(form, person: person)
                guard all.count > 1, !listed.contains(where: { $0 != form && all.contains($0) }) else { continue }
                let starts = Hangul.nameStarts(form, person: person)
                var scalars = Array(form.unicodeScalars)
                let south = starts.reduce(into: scalars) { s, k in
                    s[k] = Unicode.Scalar(Hangul.southern(s[k].value)) ?? s[k]
                }
                if south != scalars {
                    proposals.append(String(String.UnicodeScalarView(south)))
                    continue
                }
                // South Korean as listed: the North Korean spelling with ㄹ, and with ㄴ too when only one
                // syllable changes in a name that is not a person's (녀성 or 려성 for 여성: it depends on the
                // character's reading; North Korean surnames are 리, 류, 림, 로…, never 니, 뉴).
                let changing = starts.filter { Hangul.initialSoundForms(scalars[$0].value).count > 1 }
                for k in changing {
                    scalars[k] = Unicode.Scalar(Hangul.initialSoundForms(scalars[k].value)[1]) ?? scalars[k]
                }
                proposals.append(String(String.UnicodeScalarView(scalars)))
                if !person, changing.count == 1, let k = changing.first,
                    let n = Hangul.initialSoundForms(Array(form.unicodeScalars)[k].value).dropFirst(2).first,
                    let scalar = Unicode.Scalar(n)
                {
                    scalars[k] = scalar
                    proposals.append(String(String.UnicodeScalarView(scalars)))
                }
            }
            for p in proposals.prefix(2) where !listed.contains(p) {
                out.append(
                    Suggestion(
                        text: p, kind: .otherSpelling, detector: nil, suggestedLabel: rule.label,
                        line: lines.line(at: range.lowerBound), originalRange: range))
            }
        }
        return out
    }

    // MARK: Latin name phrases

    /// Words that start sentences or headings capitalized without being names.
    static let commonCapitalized: Set<String> = [
        "the", "a", "an", "in", "on", "at", "of", "for", "from", "to", "by", "with", "and", "but", "or", "so",
        "when", "after", "before", "then", "she", "he", "we", "they", "i", "it", "my", "our", "her", "his",
        "their", "this", "that", "these", "those", "there", "here", "if", "as", "once", "later", "yes", "no",
        "mr", "mrs", "ms", "dr", "north", "south", "east", "west", "korea", "korean", "china", "chinese",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ]

    static func namePhrases(_ text: () -> String, bytes: [UInt8], scan: inout SuggestWindows.Scan) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for regex in Patterns.capitalized {
            for r in SuggestWindows.matches(regex, text: text, bytes: bytes, scan: &scan) {
                let phrase = String(decoding: bytes[r], as: UTF8.self)
                // Drop leading common words ("The", "In", "When"): "In Musan County" → "Musan County".
                var words = phrase.split(whereSeparator: { $0 == " " || $0 == "\u{A0}" }).map(String.init)
                var dropped = 0
                while let first = words.first, commonCapitalized.contains(first.lowercased()) {
                    dropped += first.utf8.count
                    words.removeFirst()
                    // Account for the separator after the dropped word.
                    dropped += phrase.utf8.dropFirst(dropped).prefix { $0 == 0x20 || $0 == 0xC2 || $0 == 0xA0 }.count
                }
                let hyphenated = words.count == 1 && words[0].contains(where: { $0 == "-" || $0 == "'" || $0 == "’" })
                guard words.count >= 2 || hyphenated else { continue }
                out.append((r.lowerBound + dropped)..<r.upperBound)
            }
        }
        return out
    }

    // MARK: Hangul

    static let hangulSurnames: Set<Character> = Set(
        "김이박최정강조윤장임한오서신권황안송류유홍전고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현변염여추도소석선설마길연위표기반왕금옥육인맹제모탁국")
    /// Particles and the honorific 씨/님, longest first, stripped from the end of a word.
    static let particles: [String] = [
        "에게서", "으로부터", "씨에게", "씨와", "씨는", "씨가", "씨를", "씨의", "씨도",
        "에게", "한테", "에서", "으로", "까지", "부터", "께서", "씨", "님", "은", "는",
        "이", "가", "을", "를", "의", "에", "와", "과", "도", "로", "만"
    ]
    static let hangulCommon: Set<String> = [
        "이것", "이런", "이렇게", "이번", "이제", "이미", "이후", "이상", "이야기", "이름", "이유", "정말", "정도", "정부",
        "한국", "한번", "한편", "조금", "조사", "장소", "안에", "안녕", "오늘", "오후", "오전", "서울", "신고", "고향",
        "고민", "전화", "문제", "주민", "주변", "지금", "지역", "지난", "우리", "모두", "도착", "시간", "나라", "나중",
        "남편", "아내", "가족", "함께", "하나", "모든", "주로", "정확히", "이미", "오래", "신분", "안전", "하루", "하지만", "그리고", "국경", "강을", "강", "여기", "거기",
        "저기", "기자", "사람"
    ]

    /// Runs of 2–8 precomposed Hangul syllables (U+AC00–U+D7A3), a longer run cut into pieces of
    /// 8 from its start (what the regex `[가-힣]{2,8}` finds), by a scan of the UTF-8 bytes.
    static func hangulRuns(_ b: [UInt8]) -> [Range<Int>] {
        scriptRuns(b).hangul
    }

    /// Runs of 2 or more CJK unified ideographs (U+4E00–U+9FFF).
    static func hanRuns(_ b: [UInt8]) -> [Range<Int>] {
        scriptRuns(b).han
    }

    /// ``hangulRuns(_:)`` and ``hanRuns(_:)`` in one pass over the text: runs of at least 2 scalars
    /// of each range (all 3 bytes long in UTF-8), a Hangul run split into pieces of at most 8
    /// syllables from its start, as a greedy regex finds them.
    /// - Parameter surnamesFirst: only the Hangul runs whose first syllable is a surname's, the
    ///   only ones ``hangulNames(_:runs:)`` looks at (a Hangul text has a run per word: 850,000 in
    ///   the bench's 10 MB, an array of 13 MB made to be passed over).
    static func scriptRuns(_ bytes: [UInt8], surnamesFirst: Bool = false) -> (hangul: [Range<Int>], han: [Range<Int>]) {
        hangulSurnameFlags.withUnsafeBufferPointer { surnames in
            bytes.withUnsafeBufferPointer { b -> ([Range<Int>], [Range<Int>]) in
                // The runs are kept in a value of this function's own (its methods are not
                // closures over its variables: each append was checked for exclusive access).
                var runs = ScriptRuns()
                let n = b.count
                guard n > 0 else { return ([], []) }
                let p = UnsafeRawPointer(b.baseAddress!)
                var i = 0
                while i < n {
                    let b0 = b[i]
                    if b0 < 0x80 {
                        runs.endBoth(at: i)
                        i += 1
                        // Eight ASCII bytes at a time (most of a text between runs).
                        while i + 8 <= n, p.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                            i += 8
                        }
                        continue
                    }
                    if b0 &- 0xE0 < 0x10, i + 2 < n {
                        let v = (UInt32(b0 & 0x0F) << 12) | (UInt32(b[i + 1] & 0x3F) << 6) | UInt32(b[i + 2] & 0x3F)
                        if v &- 0xAC00 <= 0xD7A3 - 0xAC00 {
                            if runs.hanStart >= 0 { runs.endHan(at: i) }
                            if runs.hangulStart < 0 {
                                runs.hangulStart = i
                                runs.hangulKept = !surnamesFirst || surnames[Int(v - 0xAC00)]
                            }
                            runs.hangulCount += 1
                            i += 3
                            if runs.hangulCount == 8 { runs.endHangul(at: i) }
                            continue
                        }
                        if v &- 0x4E00 <= 0x9FFF - 0x4E00 {
                            if runs.hangulStart >= 0 { runs.endHangul(at: i) }
                            if runs.hanStart < 0 { runs.hanStart = i }
                            runs.hanCount += 1
                            i += 3
                            continue
                        }
                    }
                    runs.endBoth(at: i)
                    i += b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4
                }
                runs.endBoth(at: n)
                return (runs.hangul, runs.han)
            }
        }
    }

    /// ``scriptRuns(_:surnamesFirst:)``'s runs and the ones it is in.
    private struct ScriptRuns {
        var hangul: [Range<Int>] = [], han: [Range<Int>] = []
        var hangulStart = -1, hangulCount = 0, hanStart = -1, hanCount = 0
        /// The Hangul run being read is kept (its first syllable is a surname's, when only those are).
        var hangulKept = true

        @inline(__always) mutating func endHangul(at end: Int) {
            if hangulCount >= 2 && hangulKept { hangul.append(hangulStart..<end) }
            hangulStart = -1; hangulCount = 0
        }

        @inline(__always) mutating func endHan(at end: Int) {
            if hanCount >= 2 { han.append(hanStart..<end) }
            hanStart = -1; hanCount = 0
        }

        @inline(__always) mutating func endBoth(at end: Int) {
            if hangulStart >= 0 { endHangul(at: end) }
            if hanStart >= 0 { endHan(at: end) }
        }
    }

    static let particleBytes: [[UInt8]] = particles.map { Array($0.utf8) }
    static let hangulSurnameScalars: Set<UInt32> = Set(hangulSurnames.compactMap { $0.unicodeScalars.first?.value })
    /// The same as one flag per precomposed syllable (U+AC00 + index): looked up once per Hangul
    /// word of the text, where hashing into the set cost more than the rest of the check.
    static let hangulSurnameFlags: [Bool] = (0xAC00...0xD7A3).map { hangulSurnameScalars.contains(UInt32($0)) }

    /// Particles by their last syllable, each list in `particles` order (longest first).
    static let particlesByLastSyllable: [UInt32: [[UInt8]]] = {
        var out: [UInt32: [[UInt8]]] = [:]
        for p in particleBytes { out[TextSupport.scalar(p, at: p.count - 3), default: []].append(p) }
        return out
    }()

    /// A word of 1–4 precomposed syllables as one number: 14 bits per syllable, and the count.
    @inline(__always) static func syllableKey(_ bytes: [UInt8], _ r: Range<Int>) -> UInt64? {
        guard r.count % 3 == 0, (1...4).contains(r.count / 3) else { return nil }
        var key = UInt64(r.count / 3)
        for i in stride(from: r.lowerBound, to: r.upperBound, by: 3) {
            let v = TextSupport.scalar(bytes, at: i)
            guard (0xAC00...0xD7A3).contains(v) else { return nil }
            key = key << 14 | UInt64(v - 0xAC00)
        }
        return key
    }

    static let hangulCommonKeys: Set<UInt64> = Set(
        hangulCommon.compactMap { word in
            let b = Array(word.utf8)
            return syllableKey(b, 0..<b.count)
        })

    static func hangulNames(_ bytes: [UInt8], runs: [Range<Int>]? = nil) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for r in runs ?? hangulRuns(bytes) {
            // Every syllable is one character of 3 bytes, so characters and suffixes are counted
            // in bytes. (The surname first: most words start with none.)
            let first = TextSupport.scalar(bytes, at: r.lowerBound)
            guard first &- 0xAC00 <= 0xD7A3 - 0xAC00, hangulSurnameFlags[Int(first - 0xAC00)] else { continue }
            var length = r.count
            for p in particlesByLastSyllable[TextSupport.scalar(bytes, at: r.upperBound - 3)] ?? []
            where length > p.count + 3 && bytes[(r.upperBound - p.count)..<r.upperBound].elementsEqual(p) {
                length -= p.count
                break
            }
            let word = r.lowerBound..<(r.lowerBound + length)
            guard (6...12).contains(length), let key = syllableKey(bytes, word), !hangulCommonKeys.contains(key) else {
                continue
            }
            out.append(word)
        }
        return out
    }

    // MARK: Chinese

    static let chineseSurnames: Set<Character> = Set(
        "王李张刘陈杨黄赵吴周徐孙朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金廖贾夏韦邹孟熊秦邱尹薛闫段雷侯陶黎贺顾郝龚邵钱严覃戴莫孔汤朴張劉陳楊黃趙吳孫許韓鄭謝馮鄧蕭")
    /// Characters that rarely belong to a given name (particles, pronouns, common verbs).
    static let chineseFunction: Set<Character> = Set("的了是在和有我你他她它们這这那不也就都说說到要会會人个個上下中里裡来來去过過从從被把给給对對吗嗎呢吧啊")

    static func chineseNames(_ bytes: [UInt8], runs: [Range<Int>]? = nil) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for r in runs ?? hanRuns(bytes) {
            let run = Array(String(decoding: bytes[r], as: UTF8.self))
            var offset = r.lowerBound
            var i = 0
            while i < run.count {
                let c = run[i]
                if chineseSurnames.contains(c) {
                    var j = i + 1
                    while j < run.count && j - i < 3 && !chineseFunction.contains(run[j]) { j += 1 }
                    if j - i >= 2 {
                        let length = run[i..<j].reduce(0) { (sum: Int, ch: Character) in sum + ch.utf8.count }
                        out.append(offset..<(offset + length))
                        offset += length
                        i = j
                        continue
                    }
                }
                offset += c.utf8.count
                i += 1
            }
        }
        return out
    }

    enum Patterns {
        static let word = #"\p{Lu}[\p{Ll}\p{M}]*(?:[\-'’]\p{L}[\p{Ll}\p{M}]*)?"#
        static let capitalized: [SharedRegex] = [
            SharedRegex.builtIn(#"(?<![\p{L}\p{M}])\#(word)(?:[ \u00A0]+\#(word))+(?![\p{L}\p{M}])"#),
            SharedRegex.builtIn(#"(?<![\p{L}\p{M}][ \u00A0]?)\p{Lu}\p{Ll}+[\-'’]\p{L}\p{Ll}+(?![\p{L}\p{M}]|[ \u00A0]+\p{Lu})"#)
        ].compactMap { $0 }
        static let numberWithUnit: [SharedRegex] = [
            // `\d++`: no unit and no separator starts with a digit, so giving digits back never
            // finds a match (and costs a retry of every unit per digit).
            SharedRegex.builtIn(
                #"(?<![\w.])\d++(?:[.,]\d++)?\s?(?:km|kilomet(?:er|re)s?|miles?|met(?:er|re)s?|m|kg"#
                    + #"|kilograms?|lbs?|pounds?|years?|months?|weeks?|days?|hours?|won|yuan|dollars?|usd"#
                    + #"|krw|cny|rmb|%|percent|people|persons?|children|men|women)\b"#,
                options: [.caseInsensitive]),
            SharedRegex.builtIn(#"(?<![\d.])\d++(?:[.,]\d++)?\s?(?:킬로미터|킬로|미터|명|개월|시간|원|위안|달러|리|km)"#),
            SharedRegex.builtIn(#"(?<![\d.])\d++(?:[.,]\d++)?\s?(?:公里|米|个人|人|个月|天|小时|元|块|美元|里)"#)
        ].compactMap { $0 }
    }
}
