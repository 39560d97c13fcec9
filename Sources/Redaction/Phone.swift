import Foundation

/// Country calling codes, trunk prefixes and international dialling prefixes, from libphonenumber's
/// metadata (the generated `PhoneMetadata`; scripts/gen_phone_metadata.py).
enum PhoneCountries {
    struct Country: Sendable {
        let code: [UInt8]
        /// Trunk (national) prefixes dialled before a national number at home: "0", "8", "06"…
        let trunks: [[UInt8]]
        /// Shortest and longest national significant number.
        let lengths: ClosedRange<Int>
    }

    /// Calling code (ASCII digits) → country. Calling codes are prefix-free.
    static let byCode: [[UInt8]: Country] = {
        var map: [[UInt8]: Country] = [:]
        for row in PhoneMetadata.countries.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = row.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let lengths = parts[2].split(separator: "-").compactMap { Int($0) }
            guard lengths.count == 2, lengths[0] <= lengths[1] else { continue }
            let code = Array(parts[0].utf8)
            map[code] = Country(
                code: code, trunks: parts[1].split(separator: ",").map { Array($0.utf8) },
                lengths: lengths[0]...lengths[1])
        }
        return map
    }()

    /// Every trunk prefix of any country.
    static let allTrunks: [[UInt8]] = Array(Set(byCode.values.flatMap(\.trunks))).sorted { $0.count > $1.count }

    /// International dialling prefixes written instead of "+" ("00", "011", …).
    static let internationalPrefixes: [[UInt8]] = PhoneMetadata.internationalPrefixes.map { Array($0.utf8) }

    /// The country whose calling code starts `digits`, and the rest.
    static func split(_ digits: ArraySlice<UInt8>) -> (Country, ArraySlice<UInt8>)? {
        for n in 1...3 where digits.count > n {
            if let c = byCode[Array(digits.prefix(n))] { return (c, digits.dropFirst(n)) }
        }
        return nil
    }
}

/// One written phone number of a rule, as the matcher looks for it: the subscriber digits (the
/// national significant number) and what may be written before them.
struct PhoneForm: Sendable, Hashable {
    /// The digits to find, ASCII; the text may group them in any way.
    let national: [UInt8]
    /// The calling code when the rule gave one ("+86 …"); nil: any country with a matching trunk.
    let country: [UInt8]?
    /// The trunk prefix the rule's number began with ("010-…" → "0"), stripped from `national`.
    let trunk: [UInt8]?
}

/// Phone numbers in rules: which terms are phone numbers, and their forms.
enum PhoneRules {
    /// Separators between digit groups: spaces of every width (NBSP, thin, figure, ideographic), line
    /// breaks, dashes and hyphens, dots, slashes, parentheses, underscores, and invisible characters.
    static func isSeparator(_ v: UInt32) -> Bool {
        switch v {
        case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x2D, 0x2E, 0x2F, 0x28, 0x29, 0x5F, 0xA0, 0xAD, 0xB7, 0x85,
            0x2000...0x200F, 0x2010...0x2015, 0x2028, 0x2029, 0x202F, 0x205F, 0x2060, 0x2212, 0x2043, 0x2E31,
            0x3000, 0x30FB, 0xFE58, 0xFE63, 0xFEFF, 0xFF08, 0xFF09, 0xFF0D, 0xFF0E, 0xFF0F, 0xFF65:
            return true
        default:
            return false
        }
    }

    static func isPlus(_ v: UInt32) -> Bool { v == 0x2B || v == 0xFF0B }

    /// The phone forms of `term`, or nil when it is not a phone number. A term is one when it is made
    /// only of digits (ASCII or full-width), separators and a leading "+", and has 7–17 digits (5 with
    /// the label PHONE); unless labelled PHONE, a date-like term ("2019-03-11") is not a number.
    static func forms(of term: String, label: String) -> [PhoneForm]? {
        var digits: [UInt8] = []
        var plus = false
        for s in term.unicodeScalars {
            let v = s.value
            if let d = digit(v) {
                digits.append(d)
            } else if isPlus(v) && digits.isEmpty && !plus {
                plus = true
            } else if !isSeparator(v) {
                return nil
            }
        }
        let phoneLabel = label == RuleLabel.phone.rawValue
        guard digits.count >= (phoneLabel ? 5 : 7), digits.count <= 17 else { return nil }
        if !phoneLabel && looksLikeDate(term) { return nil }
        var out: [PhoneForm] = []
        // "+CC …", "00CC …": the calling code, then the national number (a trunk prefix written after
        // the code, "+82 010…", "+44 (0)20…", is dropped). Other international prefixes are not read in
        // a rule ("010", "011" also begin national numbers); in the text they may precede the number.
        var international: [ArraySlice<UInt8>] = []
        if plus { international.append(digits[...]) }
        if !plus && digits.starts(with: [0x30, 0x30]) { international.append(digits.dropFirst(2)) }
        for rest in international {
            guard let (country, national) = PhoneCountries.split(rest) else { continue }
            var n = national
            for t in country.trunks where n.starts(with: t) && n.count - t.count >= 4 {
                n = n.dropFirst(t.count)
                break
            }
            guard n.count >= 4 else { continue }
            out.append(PhoneForm(national: Array(n), country: country.code, trunk: nil))
        }
        if plus { return out.isEmpty ? nil : out }
        // A national number: as written, and without each trunk prefix it may begin with.
        out.append(PhoneForm(national: digits, country: nil, trunk: nil))
        for t in PhoneCountries.allTrunks where digits.starts(with: t) && digits.count - t.count >= 5 {
            out.append(PhoneForm(national: Array(digits.dropFirst(t.count)), country: nil, trunk: t))
        }
        return out
    }

    /// ASCII digit for a decimal digit of any width (0–9, ０–９), else nil.
    @inline(__always) static func digit(_ v: UInt32) -> UInt8? {
        if v &- 0x30 < 10 { return UInt8(v) }
        if v &- 0xFF10 < 10 { return UInt8(v - 0xFF10 + 0x30) }
        return nil
    }

    /// "2019-03-11", "11.03.2019", "2019/3/11": left to term matching (or the date detector).
    static func looksLikeDate(_ term: String) -> Bool {
        let groups = term.split { !$0.isNumber }.map(\.count)
        return groups == [4, 2, 2] || groups == [2, 2, 4] || groups == [4, 1, 2] || groups == [4, 2, 1]
            || groups == [4, 1, 1] || groups == [1, 2, 4] || groups == [2, 1, 4] || groups == [1, 1, 4]
    }
}

/// The digits of a folded text, with what joins each one to the digit before it.
struct DigitRun {
    enum Link: UInt8 {
        /// Digits written one after the other ("15922").
        case glued
        /// Separated by phone separators only ("159 2271", "159-\n2271", "(0)10").
        case separated
        /// Anything else between them: letters, other punctuation, too long a gap.
        case broken
    }

    var digits: [UInt8] = []
    var start: [UInt32] = []
    var end: [UInt32] = []
    /// Link of digit k to digit k−1 (`.broken` for the first).
    var link: [Link] = []

    /// At most this many scalars of separators between two digits of one number, of which at most
    /// `maxMarks` other than whitespace.
    static let maxGap = 8, maxMarks = 3

    /// - Parameter loose: the leak check's net: any short gap without letters or digits separates the
    ///   groups of a number ("159_2271~0634", "159, 2271, 0634").
    init(_ folded: FoldedText, bytes: [UInt8], loose: Bool = false) {
        append(folded, bytes, base: 0, units: 0..<folded.count, loose: loose)
    }

    init() {}

    /// The runs of consecutive pieces of one text, joined.
    init(joining pieces: [DigitRun]) {
        let n = pieces.reduce(0) { $0 + $1.count }
        digits.reserveCapacity(n)
        start.reserveCapacity(n)
        end.reserveCapacity(n)
        link.reserveCapacity(n)
        for p in pieces {
            digits += p.digits
            start += p.start
            end += p.end
            link += p.link
        }
    }

    /// Appends the digits among `units` of `folded`, a fold of `bytes`, which starts at offset `base`
    /// of the whole text. A digit's link depends only on the unit before it, so a piece of the text
    /// folded with a unit of context before `units` (``ChunkedFold``) gives the whole text's links.
    mutating func append(_ folded: FoldedText, _ bytes: [UInt8], base: Int, units: Range<Int>, loose: Bool = false) {
        let digitClass = UnitClass.digit.rawValue
        @inline(__always) func isDigit(_ i: Int) -> Bool {
            folded.flags[i] & 3 == digitClass && folded.bytes[i] &- 0x30 < 10
        }
        bytes.withUnsafeBufferPointer { b in
            for i in units where folded.flags[i] & 3 == digitClass {
                let d = folded.bytes[i]
                guard d &- 0x30 < 10 else { continue }
                var l = Link.broken
                if i > 0, isDigit(i - 1) {
                    if folded.gap(i) == .none {
                        l = .glued
                    } else {
                        let lo = Int(folded.origEnd[i - 1]), hi = Int(folded.origStart[i])
                        let joined = loose ? hi - lo <= 4 * DigitRun.maxGap : DigitRun.onlySeparators(b, lo, hi)
                        l = joined ? .separated : .broken
                    }
                }
                digits.append(d)
                start.append(UInt32(base) + folded.origStart[i])
                end.append(UInt32(base) + folded.origEnd[i])
                link.append(l)
            }
        }
    }

    var count: Int { digits.count }

    /// Are the original bytes `[lo, hi)` a short run of phone separators?
    static func onlySeparators(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Bool {
        var i = lo, scalars = 0, marks = 0
        while i < hi {
            let (v, len) = TextSupport.decode(b, i)
            guard PhoneRules.isSeparator(v) else { return false }
            scalars += 1
            if !(v == 0x20 || v == 0x0A || v == 0x0D || v == 0x09 || v == 0xA0 || (0x2000...0x200F).contains(v)
                || v == 0x202F || v == 0x3000 || v == 0xFEFF || v == 0x2060)
            {
                marks += 1
            }
            guard scalars <= maxGap, marks <= maxMarks else { return false }
            i += len
        }
        return true
    }
}

/// Every phone term of a rule set, matched over the digits of the text whatever their grouping.
struct PhoneIndex: Sendable {
    struct Pattern: Sendable {
        let rule: Int
        let form: PhoneForm
    }

    let patterns: [Pattern]
    let automaton: AhoCorasick

    /// Phone forms of the term rules: a rule labelled PHONE, or a term that parses as a phone number
    /// (`PhoneRules.forms`); each of its term and variants that is a number.
    init(rules: [RedactionRule]) {
        var patterns: [Pattern] = []
        var seen = Set<PhoneForm>()
        for (index, rule) in rules.enumerated() {
            guard case .term(let term, let variants, _) = rule.pattern else { continue }
            // No array of the forms and the set emptied only when used: most terms are no number
            // (1,000 facts' terms, `make bench`).
            if !seen.isEmpty { seen.removeAll(keepingCapacity: true) }
            for v in -1..<variants.count {
                guard let forms = PhoneRules.forms(of: v < 0 ? term : variants[v], label: rule.label) else { continue }
                for f in forms where seen.insert(f).inserted {
                    patterns.append(Pattern(rule: index, form: f))
                }
            }
        }
        self.patterns = patterns
        self.automaton = AhoCorasick(patterns: patterns.map { $0.form.national })
    }

    var isEmpty: Bool { patterns.isEmpty }

    /// A phone number found: original byte range and rule.
    struct Hit { let lo: Int; let hi: Int; let rule: Int }

    /// Occurrences of the rules' numbers in `folded` (the folding of `bytes`): the subscriber digits in
    /// any grouping, never inside a longer run of glued digits, extended over what is written before them
    /// when it is a prefix of the same number ("+86 ", "0086 ", "(+86) ", the trunk "0", "+82 (0)").
    /// - Parameter loose: see `DigitRun`.
    func hits(in folded: FoldedText, bytes: [UInt8], loose: Bool = false) -> [Hit] {
        guard !patterns.isEmpty else { return [] }
        return hits(in: DigitRun(folded, bytes: bytes, loose: loose), bytes: bytes)
    }

    /// The same, on the digits of the text's fold (`run`, made with the same `loose`).
    func hits(in run: DigitRun, bytes: [UInt8]) -> [Hit] {
        guard !patterns.isEmpty, run.count > 0 else { return [] }
        var hits: [Hit] = []
        automaton.forEachMatch(in: run.digits) { p, end in
            let pattern = patterns[p]
            let start = end - pattern.form.national.count
            for k in (start + 1)..<end where run.link[k] == .broken { return }
            if end < run.count && run.link[end] == .glued { return }
            guard var lo = prefixStart(run, start, pattern.form, bytes) else { return }
            let hi = Int(run.end[end - 1])
            // "(010) 7720-3158": the opening parenthesis of a group the number closes goes with it.
            let fullWidthOpen: [UInt8] = [0xEF, 0xBC, 0x88], fullWidthClose: [UInt8] = [0xEF, 0xBC, 0x89]
            if lo > 0, bytes[lo - 1] == 0x28 || (lo >= 3 && bytes[(lo - 3)..<lo].elementsEqual(fullWidthOpen)),
                bytes[lo..<hi].contains(0x29) || bytes[lo..<hi].firstRange(of: fullWidthClose) != nil
            {
                lo -= bytes[lo - 1] == 0x28 ? 1 : 3
            }
            hits.append(Hit(lo: lo, hi: hi, rule: pattern.rule))
        }
        return hits
    }

    /// Where the number whose national digits start at digit `s` begins in the original: before the
    /// longest prefix of the same number written there, or at digit `s` when what precedes is not glued
    /// to it. Nil when a digit glued before it belongs to no such prefix (a longer number).
    private func prefixStart(_ run: DigitRun, _ s: Int, _ form: PhoneForm, _ bytes: [UInt8]) -> Int? {
        // Digits joined to the number, nearest first, up to "00" + a 3-digit code + a 2-digit trunk.
        var available = 0
        while available < 8, s - available > 0, run.link[s - available] != .broken { available += 1 }
        var length = available
        while length > 0 {
            let first = s - length
            // A prefix starts its run of digits: "5 0 159…" is no trunk "0".
            if first == 0 || run.link[first] != .glued {
                let plus = plusBefore(run, first, bytes)
                if accepts(run.digits[first..<s], plus: plus != nil, form) {
                    return plus ?? Int(run.start[first])
                }
            }
            length -= 1
        }
        if s > 0 && run.link[s] == .glued { return nil }
        return Int(run.start[s])
    }

    /// The offset of a "+" (or "(+") written just before digit `k`, with at most a space or an opening
    /// parenthesis between them.
    private func plusBefore(_ run: DigitRun, _ k: Int, _ bytes: [UInt8]) -> Int? {
        var i = Int(run.start[k])
        var steps = 0
        var found: Int?
        while i > 0, steps < 4 {
            let p = TextSupport.previousScalarStart(bytes, i)
            let v = TextSupport.scalar(bytes, at: p)
            if PhoneRules.isPlus(v) {
                found = p
            } else if v == 0x28 || v == 0xFF08 {
                if found != nil { return p }
            } else if v != 0x20 && v != 0xA0 {
                break
            }
            i = p
            steps += 1
        }
        return found
    }

    /// Is `prefix` (the digits written before the national number) part of the number of `form`?
    private func accepts(_ prefix: ArraySlice<UInt8>, plus: Bool, _ form: PhoneForm) -> Bool {
        if !plus {
            // The trunk prefix alone: "0 10 7720 3158", "015922710634".
            if let t = form.trunk {
                if prefix.elementsEqual(t) { return true }
            } else if let c = form.country {
                let trunks = PhoneCountries.byCode[c]?.trunks ?? []
                if trunks.contains(where: { prefix.elementsEqual($0) }) { return true }
            } else if PhoneCountries.allTrunks.contains(where: { prefix.elementsEqual($0) }) {
                return true
            }
            // The rule's own calling code without "+": "86 159 2271 0634".
            if let c = form.country, acceptsCode(prefix, c, form) { return true }
            // "0086 …", "011 82 …".
            for p in PhoneCountries.internationalPrefixes where prefix.starts(with: p) {
                if acceptsCode(prefix.dropFirst(p.count), nil, form) { return true }
            }
            return false
        }
        return acceptsCode(prefix, nil, form)
    }

    /// `digits` is a calling code (the form's own, or any with the form's trunk), optionally followed by
    /// one of that country's trunk prefixes ("+82 (0)10…").
    private func acceptsCode(_ digits: ArraySlice<UInt8>, _ only: [UInt8]?, _ form: PhoneForm) -> Bool {
        for n in 1...3 where digits.count >= n {
            let code = Array(digits.prefix(n))
            guard let country = PhoneCountries.byCode[code] else { continue }
            if let c = form.country, c != code { continue }
            if let only, only != code { continue }
            if let t = form.trunk, !country.trunks.contains(t) { continue }
            let rest = digits.dropFirst(n)
            if rest.isEmpty || country.trunks.contains(where: { rest.elementsEqual($0) }) { return true }
        }
        return false
    }
}
