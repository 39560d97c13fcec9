import Foundation

/// Where each of `suggest`'s built-in patterns can match, so that it runs on those stretches of the
/// text instead of the whole of it: most of these patterns need a digit, an `@`, a `://`…, which
/// most lines of testimony do not have, and 40 regular expressions over every byte of a long
/// record cost seconds.
///
/// For each pattern a ``Spec`` states what every match contains (an anchor: a digit, one of some
/// characters, some ASCII text) and how many tokens (runs of characters between white space,
/// `\s` as ICU reads it) a match spans at most. Every match then lies within (tokens − 1) tokens
/// of one of its anchors, and the pattern runs only on the union of those windows, each with a
/// few characters of context on both sides that lookbehinds, lookaheads and `\b` see (transparent
/// bounds) but no match may use. The matches are exactly those of a scan of the whole text: no
/// match crosses from one window into another, and inside a window the scan meets the same
/// characters and the same context.
///
/// A spec belongs to one pattern's exact source (``fingerprint(_:)``): a pattern that changes, or
/// one added, has no spec and runs on the whole text until a spec is written for it (and
/// `SuggestWindowTests` fails until then, listing it).
enum SuggestWindows {
    enum Anchor: Hashable, Sendable {
        /// `\d`: any decimal digit (general category Nd).
        case digit
        /// Any of these characters.
        case scalars([UInt32])
        /// This ASCII text, in either case.
        case text(String)
        /// A `.` followed by a letter that begins one of the URL pattern's top-level domains (in
        /// either case), or by any non-ASCII character (case-insensitive matching folds some of
        /// them to ASCII letters).
        case dotDomain
        /// A `.` right after a digit.
        case dotAfterDigit
        /// A `:` in a token that holds another `:`.
        case twoColons
        /// Two or more tokens in a row that each hold an upper-case letter (a name phrase: every
        /// word of it starts with one).
        case capitalizedTokens
        /// A letter an English unit starts with (k m l p y w d h u c r, in either case, or the
        /// Kelvin sign, which case-folds to k) or `%`, right after a run of digits or after one
        /// character after one: where "12 km", "5.5kg", "100 %" have their unit.
        case unitAfterDigits
        /// A `-`, `'` or `’` right after a lower-case ASCII letter or any non-ASCII character (a
        /// hyphenated name has a lower-case letter there; dates and numbers have a digit).
        case joinerAfterLetter
    }

    struct Spec: Sendable {
        var anchors: [Anchor]
        /// The most tokens one match spans (`\s` runs between them count as one separator).
        var tokens: Int
        /// `,` and `;` also separate tokens (the coordinate patterns allow any run of them).
        var commas = false
        /// Other anchors every match also has ("12세" has a digit and a 세). Where the windows of
        /// `anchors` cover more than an eighth of the text (a table of numbers), those of the
        /// alternative are made too and the smaller are used (Korean prose is full of 대 and 미,
        /// which is why they are not the first choice).
        var alternative: [Anchor]? = nil
    }

    /// FNV-1a of a pattern's source and options: a spec applies to exactly that pattern.
    static func fingerprint(_ regex: NSRegularExpression) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in regex.pattern.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h ^ UInt64(regex.options.rawValue)
    }

    /// Specs of the built-in patterns (detectors, numbers with units, name phrases), by fingerprint.
    static let specs: [UInt64: Spec] = {
        let digit = Anchor.digit
        let list: [(UInt64, Spec)] = [
            // phone (every match has digits; a separator between groups is 1 to 3 characters, so it
            // adds at most one token): "( +86 ) 10 …" (3 tokens, then up to 7 groups of 2 tokens),
            // "(02) 1234-5678" and "010-1234-5678" (3 groups), Korean and Chinese mobiles (11 digits)
            (0x7A2B_E368_B7FE_64DA, Spec(anchors: [digit], tokens: 17)),
            (0xBCE3_D660_E936_4856, Spec(anchors: [digit], tokens: 5)),
            (0xA3C9_50A3_2109_4540, Spec(anchors: [digit], tokens: 5)),
            (0x42E8_CB12_B1A3_8F3A, Spec(anchors: [digit], tokens: 21)),
            (0x9997_87D8_2F9B_A7E0, Spec(anchors: [digit], tokens: 21)),
            // email: an "@" or a full-width one, no white space
            (0x658D_A8E9_3CEB_74B9, Spec(anchors: [.scalars([0x40, 0xFF20])], tokens: 1)),
            // url: "://", "www.", a dotted name ending in a listed domain; no white space
            (0x76D0_97A7_9924_84F3, Spec(anchors: [.text("://")], tokens: 1)),
            (0x954C_90CA_D74E_3BC2, Spec(anchors: [.text("www.")], tokens: 1)),
            (0x8BF8_F06C_A51E_6CE0, Spec(anchors: [.dotDomain], tokens: 1)),
            // ip: four dotted numbers; groups of hex digits between colons
            (0xEB47_0F3A_1769_D786, Spec(anchors: [.dotAfterDigit], tokens: 1)),
            (0xBCCC_F6B7_F5CD_0E77, Spec(anchors: [.twoColons], tokens: 1)),
            // coordinates: "42.4 ° N , 129.9 ° E" (6), two DMS forms (7 each), two decimals, two degrees
            // (each needs more than a digit: an E or W, a degree sign, a digit then a dot)
            (0x6421_35B6_704B_CBF9, Spec(anchors: [digit], tokens: 6, commas: true, alternative: [.scalars([0x45, 0x57])])),
            (0x0E16_81F9_1DEB_319B, Spec(anchors: [digit], tokens: 14, commas: true, alternative: [.scalars([0xB0])])),
            (0x70E0_A667_A652_6008, Spec(anchors: [.dotAfterDigit], tokens: 2, commas: true)),
            (0x6771_DE7C_12F9_BA17, Spec(anchors: [digit], tokens: 2, commas: true, alternative: [.scalars([0xB0])])),
            // date: numeric forms (1 token), "5th of May., 2024" (4), "May 5th, 2024" (3), "May 2024" (2),
            // "2024 년 5 월 17 일" (6), "5 월 17 일" (4), the same with 年月日 (6, 4), Chinese numerals with 年
            (0x07D0_E873_EBD1_5D58, Spec(anchors: [digit], tokens: 1)),
            (0x24A8_C151_FAF6_6F5C, Spec(anchors: [digit], tokens: 1)),
            (0x3287_E4B5_1878_997F, Spec(anchors: [digit], tokens: 4)),
            (0x5C51_AAEF_B6C0_5C37, Spec(anchors: [digit], tokens: 3)),
            (0x248A_1C4F_841B_D1DA, Spec(anchors: [digit], tokens: 2)),
            (0x71EE_7460_E871_3DBC, Spec(anchors: [digit], tokens: 6)),
            (0x17FC_5136_D881_6607, Spec(anchors: [digit], tokens: 4)),
            (0xADE4_0787_1697_A3A1, Spec(anchors: [digit], tokens: 6)),
            (0xA59A_E274_515C_0A5E, Spec(anchors: [digit], tokens: 4)),
            (0x53D3_B475_7121_90B9, Spec(anchors: [.scalars([0x5E74])], tokens: 1)),
            // age: "12 years old" (3), "aged 12" (2), "in her early twenties" (4), "in his twenties" (3),
            // 12세, 20대 초반 (3), 12岁, 20多岁, 十二岁. Besides a digit, each needs a word or
            // character (the alternative where digits are dense): "year" or "yr", "age", 세 or 살, 대,
            // 岁 or 歲; the decades need "0s" ("'80S"; U+017F ſ folds to s), "teen(s)" or "-ties".
            // (In either case: no other character case-folds to a letter of these words.)
            (0xC9E4_3659_9783_0827, Spec(anchors: [digit], tokens: 3, alternative: [.text("year"), .text("yr")])),
            (0xBC36_45F1_D5D4_B4B6, Spec(anchors: [digit], tokens: 2, alternative: [.text("age")])),
            (
                0x1715_E714_7BC2_D249,
                Spec(anchors: [.text("0s"), .scalars([0x17F]), .text("teen"), .text("tie")], tokens: 4)
            ),
            (
                0x7679_16A9_5C17_5DB2,
                Spec(anchors: [.text("0s"), .scalars([0x17F]), .text("teen"), .text("tie")], tokens: 3)
            ),
            (0x85A6_23CC_F563_BEF1, Spec(anchors: [digit], tokens: 2, alternative: [.scalars([0xC138, 0xC0B4])])),
            (0xE6B9_5663_3A46_8EAA, Spec(anchors: [digit], tokens: 3, alternative: [.scalars([0xB300])])),
            (0x2927_B0C8_8363_2FE6, Spec(anchors: [digit], tokens: 2, alternative: [.scalars([0x5C81, 0x6B72])])),
            (0xBBD2_AB79_E503_E81E, Spec(anchors: [digit], tokens: 2, alternative: [.scalars([0x5C81])])),
            (0x9D4D_2930_279D_D3B3, Spec(anchors: [.scalars([0x5C81])], tokens: 1)),
            // numbers with units: "12 km", "30 명", "5 公里"
            (0xE390_0467_8BD0_29C8, Spec(anchors: [.unitAfterDigits], tokens: 2)),
            // (the Korean and Chinese units by their first characters: 킬 미 명 개 시 원 위 달 리,
            // "km"; 公 米 个 人 天 小 元 块 美 里)
            (
                0xF336_8962_47E7_C7CA,
                Spec(
                    anchors: [digit], tokens: 2,
                    alternative: [
                        .scalars([0xD0AC, 0xBBF8, 0xBA85, 0xAC1C, 0xC2DC, 0xC6D0, 0xC704, 0xB2EC, 0xB9AC]), .text("km")
                    ])
            ),
            (
                0x3664_0DB8_B260_D925,
                Spec(
                    anchors: [digit], tokens: 2,
                    alternative: [.scalars([0x516C, 0x7C73, 0x4E2A, 0x4EBA, 0x5929, 0x5C0F, 0x5143, 0x5757, 0x7F8E, 0x91CC])])
            ),
            // name phrases: capitalized words; a hyphenated or apostrophized one
            (0x6620_DF36_3288_04A5, Spec(anchors: [.capitalizedTokens], tokens: 1)),
            (0x9837_4D9F_6372_89D2, Spec(anchors: [.joinerAfterLetter], tokens: 1))
        ]
        return Dictionary(list, uniquingKeysWith: { a, _ in a })
    }()

    /// The matches of `regex` in `text` (`bytes` is its UTF-8), as byte ranges: those of
    /// `regex.matches(in: text)`, found in the windows its spec allows (or in the whole text).
    /// (For tests: `alwaysWindows` scans windows even when they cover most of the text, and
    /// `gap: 0` merges only windows that overlap.)
    static func matches(
        _ regex: SharedRegex, in text: String, bytes: [UInt8], scan: inout Scan,
        alwaysWindows: Bool = false, gap: Int = 64, pieceSize: Int = 64 << 10, meter: WorkMeter? = nil
    ) -> [Range<Int>] {
        matches(
            regex, text: { text }, bytes: bytes, scan: &scan, alwaysWindows: alwaysWindows, gap: gap, pieceSize: pieceSize,
            meter: meter)
    }

    /// ``matches(_:in:bytes:scan:alwaysWindows:gap:pieceSize:meter:)`` with the text as a string
    /// asked of `text` only if the pattern scans the whole of it.
    static func matches(
        _ regex: SharedRegex, text: () -> String, bytes: [UInt8], scan: inout Scan,
        alwaysWindows: Bool = false, gap: Int = 64, pieceSize: Int = 64 << 10, meter: WorkMeter? = nil
    ) -> [Range<Int>] {
        guard let spec = specs[fingerprint(regex.regex)] else {
            meter?.add(bytes.count)
            return regex.matches(in: text())
        }
        let limit = alwaysWindows ? .max : bytes.count / 2
        // Windows covering most of the text (or of an anchor the scan does not look for): the
        // whole text, a piece at a time.
        guard let windows = scan.windows(for: spec, gap: gap, limit: limit, meter: meter),
            alwaysWindows || windows.reduce(0, { $0 + $1.count }) * 2 < bytes.count
        else {
            if let found = inPieces(regex, spec: spec, bytes: bytes, scan: scan, pieceSize: pieceSize, meter: meter) {
                return found
            }
            meter?.add(bytes.count)
            return regex.matches(in: text())
        }
        return inWindows(regex, windows, bytes: bytes, scan: scan, meter: meter)
    }

    /// The matches in `windows` (each scanned with a few characters of context on both sides).
    static func inWindows(
        _ regex: SharedRegex, _ windows: PackedRanges, bytes: [UInt8], scan: Scan, meter: WorkMeter?
    ) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for w in windows {
            let lo = scan.back(from: w.lowerBound, scalars: 8)
            let hi = scan.forward(from: scan.skipSeparators(from: w.upperBound, commas: false), scalars: 8)
            meter?.add(hi - lo)
            let piece = RegexText(String(decoding: bytes[lo..<hi], as: UTF8.self))
            let start = scan.utf16Count(lo..<w.lowerBound)
            regex.forEachRawMatch(
                in: piece, region: start..<start + scan.utf16Count(w), options: [.withTransparentBounds, .withoutAnchoringBounds]
            ) { _, _, kept in
                if let kept { out.append((lo + kept.lowerBound)..<(lo + kept.upperBound)) }
                return true
            }
        }
        return out
    }

    /// The matches of a scan of the whole text, found a piece of about `pieceSize` bytes at a time:
    /// the regular expression engine takes UTF-16, so a scan of the whole text made a UTF-16 copy
    /// of all of it per pattern (two at once on two threads: 8 MB for 2 MiB of text); a piece's copy
    /// is its own size.
    ///
    /// The same matches as the whole scan: each piece is scanned from where the whole scan would
    /// go on (the end of the last match, or the piece's start), with transparent bounds, over the
    /// piece and `spec.tokens` + 1 tokens and 8 characters past its end (no match spans more
    /// tokens, so one that starts in the piece is whole there), and its matches are taken up to the
    /// first that starts past the piece: that one is the next piece's first, found from the same
    /// place in the same text.
    ///
    /// Nil for a name phrase: it has as many words as it has (its spec bounds the runs of
    /// capitalized tokens it lies in, not its own tokens); and nil as soon as a piece would reach
    /// more than `maxReach` bytes past its end (tokens that long: a megabyte without white space),
    /// where pieces would each run to the end of the text, for the caller to scan the whole text
    /// once: each piece costs at most its size and `maxReach`.
    static func inPieces(
        _ regex: SharedRegex, spec: Spec, bytes: [UInt8], scan: Scan, pieceSize: Int, maxReach: Int = 256 << 10,
        meter: WorkMeter?
    ) -> [Range<Int>]? {
        inPieces([(regex, spec)], bytes: bytes, scan: scan, pieceSize: pieceSize, maxReach: maxReach, meter: meter)?
            .first
    }

    /// ``inPieces(_:spec:bytes:scan:pieceSize:maxReach:meter:)`` for several patterns at once, on
    /// `workers` threads: each piece's string and its UTF-16 copy (``RegexText``) are made once for
    /// all of them, so its UTF-8 check and its conversion to UTF-16 are paid once a piece, not once
    /// a piece per pattern (`NSRegularExpression` made its own UTF-16 copy per call: a tenth of the
    /// export of text dense with numbers). A piece reaches as far as the pattern that reaches furthest
    /// needs (more text past a piece changes nothing: no match that starts in it reaches there).
    static func inPieces(
        _ patterns: [(regex: SharedRegex, spec: Spec)], bytes: [UInt8], scan: Scan, pieceSize: Int,
        maxReach: Int = 256 << 10, workers: Int = 1, meter: WorkMeter?
    ) -> [[Range<Int>]]? {
        packedInPieces(
            patterns, bytes: bytes, scan: scan, pieceSize: pieceSize, maxReach: maxReach, workers: workers, meter: meter
        )?.map { Array($0) }
    }

    /// ``inPieces(_:bytes:scan:pieceSize:maxReach:workers:meter:)``, each pattern's matches packed.
    static func packedInPieces(
        _ patterns: [(regex: SharedRegex, spec: Spec)], bytes: [UInt8], scan: Scan, pieceSize: Int,
        maxReach: Int = 256 << 10, workers: Int = 1, meter: WorkMeter?
    ) -> [PackedRanges]? {
        guard !patterns.isEmpty else { return [] }
        guard !patterns.contains(where: { $0.spec.anchors.contains(.capitalizedTokens) }) else { return nil }
        let n = bytes.count
        // Tokens as white space alone separates them are never shorter than with `,` and `;` too.
        let tokens = patterns.map(\.spec.tokens).max()! + 1
        var out = [PackedRanges](repeating: PackedRanges(), count: patterns.count)
        var resume = [Int](repeating: 0, count: patterns.count)  // where each whole scan goes on
        var a = 0
        while a < n {
            var b = min(n, a + max(pieceSize, 1))
            while b < n && bytes[b] & 0xC0 == 0x80 { b += 1 }  // a scalar start
            defer { a = b }
            let first = resume.min()!
            guard max(a, first) < b else { continue }
            let lo = scan.back(from: max(a, min(first, b)), scalars: 8)
            let reach = scan.tokensForward(from: b, tokens, commas: false)
            let hi = scan.forward(from: scan.skipSeparators(from: reach, commas: false), scalars: 8)
            guard hi - b <= maxReach else { return nil }
            let piece = RegexText(String(decoding: bytes[lo..<hi], as: UTF8.self))
            let total = scan.utf16Count(lo..<hi)
            let (from, starts, pieceStart, pieceEnd) = (resume, max(a, first), a, b)
            let base = scan.utf16Count(lo..<starts)
            let end = base + scan.utf16Count(starts..<b)  // matches starting here or later are the next piece's
            let found = concurrentMap(patterns.count, workers: workers, state: { () }) {
                k, _ -> (matches: [Range<Int>], resume: Int, work: Int) in
                let start = max(pieceStart, from[k])
                guard start < pieceEnd else { return ([], from[k], 0) }
                var matches: [Range<Int>] = []
                var resume = from[k]
                let before = base + scan.utf16Count(starts..<start)
                patterns[k].regex.forEachRawMatch(
                    in: piece, region: before..<total,
                    options: [.withTransparentBounds, .withoutAnchoringBounds]
                ) { start16, end8, kept in
                    guard start16 < end else { return false }
                    resume = lo + end8
                    if let kept { matches.append((lo + kept.lowerBound)..<(lo + kept.upperBound)) }
                    return true
                }
                return (matches, resume, hi - start)
            }
            for (k, f) in found.enumerated() {
                out[k].append(contentsOf: f.matches)
                resume[k] = f.resume
                meter?.add(f.work)
            }
        }
        return out
    }

    /// The matches of each of `regexes` in `text`, as ``matches(_:in:bytes:scan:alwaysWindows:gap:pieceSize:meter:)``
    /// finds them one by one, on `workers` threads: the patterns that run over most of the text a
    /// piece at a time share each piece (``inPieces(_:bytes:scan:pieceSize:maxReach:workers:meter:)``).
    static func matchesOfEach(
        _ regexes: [SharedRegex], in text: String, bytes: [UInt8], scan: inout Scan, workers: Int = 1,
        pieceSize: Int = 64 << 10
    ) -> [[Range<Int>]] {
        packedMatchesOfEach(regexes, text: { text }, bytes: bytes, scan: &scan, workers: workers, pieceSize: pieceSize)
            .map { Array($0) }
    }

    /// ``matchesOfEach(_:in:bytes:scan:workers:pieceSize:)``, each pattern's matches packed
    /// (``PackedRanges``), with the text (`bytes` as a string) made by `text` only if some pattern
    /// runs over the whole of it, and let go after them.
    static func packedMatchesOfEach(
        _ regexes: [SharedRegex], text: () -> String, bytes: [UInt8], scan: inout Scan, workers: Int = 1,
        pieceSize: Int = 64 << 10
    ) -> [PackedRanges] {
        enum Plan {
            case whole
            case windows(PackedRanges)
            case pieces(Spec)
        }
        // Windows are worked out here, once, by this thread (the scan keeps them).
        let plans: [Plan] = regexes.map { regex in
            guard let spec = specs[fingerprint(regex.regex)] else { return .whole }
            if let w = scan.windows(for: spec, gap: 64, limit: bytes.count / 2),
                w.reduce(0, { $0 + $1.count }) * 2 < bytes.count
            {
                return .windows(w)
            }
            return spec.anchors.contains(.capitalizedTokens) ? .whole : .pieces(spec)
        }
        var pieced: [(regex: SharedRegex, spec: Spec)] = []
        var piecedIndex: [Int] = []
        for (k, plan) in plans.enumerated() {
            if case .pieces(let spec) = plan {
                pieced.append((regexes[k], spec))
                piecedIndex.append(k)
            }
        }
        let shared = scan
        var out = [PackedRanges](repeating: PackedRanges(), count: regexes.count)
        let inPieces = packedInPieces(
            pieced, bytes: bytes, scan: shared, pieceSize: pieceSize, workers: workers, meter: nil)
        if let inPieces { for (j, k) in piecedIndex.enumerated() { out[k] = inPieces[j] } }
        let rest = plans.indices.filter {
            if case .pieces = plans[$0] { return inPieces == nil }
            return true
        }
        let whole = rest.contains {
            if case .windows = plans[$0] { return false }
            return true
        }
        let text = whole ? text() : ""
        let found = concurrentMap(rest.count, workers: workers, state: { () }) { j, _ -> PackedRanges in
            switch plans[rest[j]] {
            case .windows(let w):
                return PackedRanges(inWindows(regexes[rest[j]], w, bytes: bytes, scan: shared, meter: nil))
            case .whole, .pieces: return PackedRanges(regexes[rest[j]].matches(in: text))
            }
        }
        for (j, k) in rest.enumerated() { out[k] = found[j] }
        return out
    }

    /// One pattern's matches, 8 bytes each (start and end as 32-bit offsets, as every match's in the
    /// redactor, §10) rather than a range's 16: text dense with numbers has hundreds of thousands. A
    /// text of 4 GiB or more traps here rather than wraps.
    struct PackedRanges: RandomAccessCollection, Sendable {
        var packed: [UInt64] = []

        init() {}
        init(_ ranges: [Range<Int>]) { packed = ranges.map(PackedRanges.pack) }

        @inline(__always) static func pack(_ r: Range<Int>) -> UInt64 {
            UInt64(UInt32(r.lowerBound)) << 32 | UInt64(UInt32(r.upperBound))
        }

        var startIndex: Int { 0 }
        var endIndex: Int { packed.count }
        subscript(i: Int) -> Range<Int> {
            let p = packed[i]
            return Int(p >> 32)..<Int(p & 0xFFFF_FFFF)
        }

        mutating func append(contentsOf ranges: [Range<Int>]) {
            packed.append(contentsOf: ranges.lazy.map(PackedRanges.pack))
        }
    }

    /// One text's anchors and tokens, found once for all patterns.
    struct Scan {
        let b: [UInt8]
        /// Byte offsets of each anchor, as 32-bit numbers (text dense with digits has a run of them
        /// every few bytes; a text of 4 GiB or more traps rather than wraps).
        private var anchors: [Anchor: [UInt32]] = [:]

        init(_ bytes: [UInt8]) { b = bytes }

        /// ICU's `\s`: tab, line feed, form feed, carriage return and Unicode's space, line and
        /// paragraph separators (Z*); with `commas`, also `,` and `;`. The length of the one at `i`
        /// (a scalar start), or 0.
        @inline(__always) func separator(at i: Int, commas: Bool) -> Int {
            let c = b[i]
            if c < 0x80 {
                return c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D
                    || (commas && (c == 0x2C || c == 0x3B)) ? 1 : 0
            }
            switch c {
            case 0xC2: return b[i + 1] == 0xA0 ? 2 : 0  // U+00A0
            case 0xE1: return b[i + 1] == 0x9A && b[i + 2] == 0x80 ? 3 : 0  // U+1680
            case 0xE2:
                let (c1, c2) = (b[i + 1], b[i + 2])
                if c1 == 0x80 { return c2 <= 0x8A || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF ? 3 : 0 }
                return c1 == 0x81 && c2 == 0x9F ? 3 : 0  // U+205F
            case 0xE3: return b[i + 1] == 0x80 && b[i + 2] == 0x80 ? 3 : 0  // U+3000
            default: return 0
            }
        }

        @inline(__always) func previousStart(_ p: Int) -> Int {
            var k = p - 1
            while k > 0 && b[k] & 0xC0 == 0x80 { k -= 1 }
            return k
        }

        @inline(__always) func length(at i: Int) -> Int {
            let c = b[i]
            return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4
        }

        /// `p` moved back over `scalars` characters (or to the start).
        func back(from p: Int, scalars: Int) -> Int {
            var p = p
            for _ in 0..<scalars where p > 0 { p = previousStart(p) }
            return p
        }

        /// `p` moved forward over `scalars` characters (or to the end).
        func forward(from p: Int, scalars: Int) -> Int {
            var p = p
            for _ in 0..<scalars where p < b.count { p += length(at: p) }
            return p
        }

        func skipSeparators(from p: Int, commas: Bool) -> Int {
            var p = p
            while p < b.count, case let n = separator(at: p, commas: commas), n > 0 { p += n }
            return p
        }

        /// UTF-16 length of a stretch that starts and ends on scalar boundaries.
        func utf16Count(_ r: Range<Int>) -> Int {
            var n = 0
            for i in r where b[i] & 0xC0 != 0x80 { n += b[i] >= 0xF0 ? 2 : 1 }
            return n
        }

        /// The token around `i` (a scalar start that is not a separator).
        func token(at i: Int, commas: Bool) -> Range<Int> {
            var lo = i
            while lo > 0, case let k = previousStart(lo), separator(at: k, commas: commas) == 0 { lo = k }
            var hi = i
            while hi < b.count, separator(at: hi, commas: commas) == 0 { hi += length(at: hi) }
            return lo..<hi
        }

        /// Start of the token `count` tokens before the one starting at `start`.
        func tokensBack(from start: Int, _ count: Int, commas: Bool) -> Int {
            var p = start
            for _ in 0..<count {
                var k = p
                while k > 0, case let s = previousStart(k), separator(at: s, commas: commas) > 0 { k = s }
                guard k > 0 else { break }
                while k > 0, case let s = previousStart(k), separator(at: s, commas: commas) == 0 { k = s }
                p = k
            }
            return p
        }

        /// End of the token `count` tokens after the one ending at `end`.
        func tokensForward(from end: Int, _ count: Int, commas: Bool) -> Int {
            var p = end
            for _ in 0..<count {
                let k = skipSeparators(from: p, commas: commas)
                guard k < b.count else { break }
                var e = k
                while e < b.count, separator(at: e, commas: commas) == 0 { e += length(at: e) }
                p = e
            }
            return p
        }

        /// Windows already worked out, by what they depend on (patterns of one shape share them).
        /// Windows worked out, by anchors and reach; packed (8 bytes a window, not a range's 16):
        /// markup and numbers on every line have a window every few words, for each kind of pattern.
        private var known: [WindowKey: PackedRanges] = [:]

        struct WindowKey: Hashable {
            var anchors: [Anchor]
            var tokens: Int
            var commas: Bool
            var gap: Int
        }

        /// Sorted, merged windows where a pattern with `spec` can match (windows less than `gap`
        /// bytes apart are merged: fewer, larger scans).
        /// Nil for an anchor this scan does not look for (then the whole text is scanned). Once the
        /// windows of one anchor cover more than `limit` bytes, the whole text as one window.
        mutating func windows(for spec: Spec, gap: Int = 64, limit: Int = .max, meter: WorkMeter? = nil) -> PackedRanges? {
            // Where digits are dense, the alternative first: its windows are then likely the smaller,
            // and those of the digits are not worked out at all.
            var (primary, secondary) = (spec.anchors, spec.alternative)
            if let other = spec.alternative, spec.anchors == [.digit], (positions(.digit)?.count ?? 0) > b.count / 64 {
                (primary, secondary) = (other, spec.anchors)
            }
            guard let first = windows(primary, spec, gap: gap, limit: limit, meter: meter) else { return nil }
            let covered = first.reduce(0) { $0 + $1.count }
            guard let other = secondary, covered > b.count / 8 else { return first }
            guard let second = windows(other, spec, gap: gap, limit: min(limit, covered), meter: meter) else { return first }
            return second.reduce(0) { $0 + $1.count } < covered ? second : first
        }

        /// The windows of `spec` made from `anchors`.
        private mutating func windows(
            _ anchors: [Anchor], _ spec: Spec, gap: Int, limit: Int, meter: WorkMeter?
        ) -> PackedRanges? {
            let key = WindowKey(anchors: anchors, tokens: spec.tokens, commas: spec.commas, gap: gap)
            if let w = known[key] { return w }
            var raw: [Range<Int>] = []
            let reach = spec.tokens - 1, commas = spec.commas
            for anchor in anchors {
                if anchor == .capitalizedTokens {
                    raw += capitalizedRuns()
                    continue
                }
                guard let found = positions(anchor) else { return nil }
                // The windows of one anchor, merged as they come (tokens in ascending order). A token
                // inside the current window extends it by as many tokens as it lies past the last
                // anchor's token: each anchor costs the distance to the one before, not `reach` tokens.
                var last = 0..<0
                var lo = -1, hi = -1, lastEnd = -1, covered = 0
                for x32 in found where !last.contains(Int(x32)) {  // one window per token (a long one is read once)
                    let x = Int(x32)
                    let t = token(at: x, commas: commas)
                    last = t
                    if anchor == .twoColons, b[t].lazy.filter({ $0 == 0x3A }).count < 2 { continue }
                    if hi >= 0 && t.lowerBound <= hi + gap {
                        // Tokens that end after the last anchor's token, up to and with this one.
                        var p = lastEnd, passed = 0
                        while p < t.upperBound {
                            p = skipSeparators(from: p, commas: commas)
                            guard p < t.upperBound else { break }
                            while p < b.count, separator(at: p, commas: commas) == 0 { p += length(at: p) }
                            passed += 1
                        }
                        meter?.add(t.upperBound - lastEnd)
                        let end = tokensForward(from: hi, passed, commas: commas)
                        meter?.add(end - hi)
                        covered += end - hi
                        hi = end
                    } else {
                        let back = tokensBack(from: t.lowerBound, reach, commas: commas)
                        let end = tokensForward(from: t.upperBound, reach, commas: commas)
                        meter?.add(end - back)
                        if hi >= 0 && back <= hi + gap {
                            covered += end - hi
                            hi = end
                        } else {
                            if hi >= 0 { raw.append(lo..<hi) }
                            lo = back
                            hi = end
                            covered += end - back
                        }
                    }
                    lastEnd = t.upperBound
                    if covered > limit {
                        known[key] = PackedRanges([0..<b.count])
                        return known[key]
                    }
                }
                if hi >= 0 { raw.append(lo..<hi) }
            }
            raw.sort { $0.lowerBound < $1.lowerBound }
            var merged: [Range<Int>] = []
            for r in raw {
                if let last = merged.last, r.lowerBound <= last.upperBound + gap {
                    merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
                } else {
                    merged.append(r)
                }
            }
            let packed = PackedRanges(merged)
            known[key] = packed
            return packed
        }

        /// Runs of two or more tokens in a row (white space between them) that each hold an
        /// upper-case letter (general category Lu).
        ///
        /// Found from the upper-case letters, not token by token: the bytes that cannot be one
        /// (lower case, white space, punctuation, Hangul syllables, ideographs: most of a text) are
        /// passed over by a table lookup, and each upper-case letter's token is read around it.
        /// A branch per byte and token cost a tenth of `suggest` (`capitalizedRunsByToken` in the
        /// tests is that version: the two are compared).
        func capitalizedRuns() -> [Range<Int>] {
            var out: [Range<Int>] = []
            var runStart = -1, runEnd = -1, runTokens = 0
            var lastEnd = 0  // the end of the last token with an upper-case letter
            let n = b.count
            Scan.mayStartUpper.withUnsafeBufferPointer { stop in
                b.withUnsafeBufferPointer { bytes in
                    var i = 0
                    while i < n {
                        while i < n && !stop[Int(bytes[i])] { i += 1 }
                        guard i < n else { break }
                        if bytes[i] >= 0x80 {
                            let (v, length) = TextSupport.decode(bytes, i)
                            guard !(0xAC00...0xD7A3).contains(v), !(0x4E00...0x9FFF).contains(v),
                                let u = Unicode.Scalar(v), u.properties.generalCategory == .uppercaseLetter
                            else {
                                i += length
                                continue
                            }
                        }
                        // An upper-case letter at `i`: its token, up to the separators around it.
                        var start = i
                        while start > lastEnd {
                            let p = previousStart(start)
                            if separator(at: p, commas: false) != 0 { break }
                            start = p
                        }
                        var end = i
                        while end < n && separator(at: end, commas: false) == 0 { end += length(at: end) }
                        // Right after the last such token (nothing but separators between them)?
                        var k = lastEnd
                        while k < start, case let s = separator(at: k, commas: false), s > 0 { k += s }
                        if runTokens > 0 && k == start {
                            runTokens += 1
                        } else {
                            if runTokens >= 2 { out.append(runStart..<runEnd) }
                            runStart = start
                            runTokens = 1
                        }
                        runEnd = end
                        lastEnd = end
                        i = end
                    }
                }
            }
            if runTokens >= 2 { out.append(runStart..<runEnd) }
            return out
        }

        /// The bytes at which ``capitalizedRuns()`` stops to look: an ASCII capital, and the lead
        /// byte of any scalar outside U+4000–U+9FFF and U+B000–U+DFFF (CJK ideographs, Hangul
        /// syllables: blocks with no upper-case letter, a test checks every scalar of them).
        static let mayStartUpper: [Bool] = (0..<256).map { b in
            switch b {
            case 0x41...0x5A: return true
            case 0xC0...0xFF where !(0xE4...0xE9).contains(b) && !(0xEB...0xED).contains(b): return true
            default: return false
            }
        }

        /// Byte offsets of every occurrence of `anchor`, ascending. All anchors are found in one
        /// pass over the text, the first time any is asked for.
        /// Finds the anchors every pattern starts from now, so that copies of this scan (one per
        /// thread) share them instead of each finding them again and holding its own.
        mutating func findAnchorsNow() {
            if anchors.isEmpty { anchors = Scan.findAnchors(b) }
        }

        mutating func positions(_ anchor: Anchor) -> [UInt32]? {
            if anchors.isEmpty { anchors = Scan.findAnchors(b) }
            if anchors[anchor] == nil, let found = Scan.find(anchor, in: b) {
                // An alternative's characters and words: looked for only when asked for.
                anchors[anchor] = found
            }
            if anchor == .unitAfterDigits, anchors[anchor] == nil, let runs = anchors[.digit] {
                anchors[anchor] = unitsAfter(runs)
            }
            if anchor == .joinerAfterLetter, anchors[anchor] == nil, let joiners = anchors[.scalars([0x2D, 0x27, 0x2019])] {
                anchors[anchor] = joiners.filter { j in
                    guard j > 0 else { return false }
                    let c = b[Int(j) - 1]
                    return c >= 0x80 || c &- 0x61 < 26
                }
            }
            return anchors[anchor]
        }

        /// Offsets of every occurrence of a `.scalars` or `.text` anchor (the ASCII letters of a
        /// `.text` in either case), by a pass of its own; nil for the other kinds.
        static func find(_ anchor: Anchor, in b: [UInt8]) -> [UInt32]? {
            var out: [UInt32] = []
            switch anchor {
            case .scalars(let list):
                // The lead bytes of the listed scalars: the other bytes are passed over on them.
                var leads = [Bool](repeating: false, count: 256)
                for v in list {
                    let lead = v < 0x80 ? v : v < 0x800 ? 0xC0 | v >> 6 : v < 0x10000 ? 0xE0 | v >> 12 : 0xF0 | v >> 18
                    leads[Int(lead)] = true
                }
                for i in b.indices where leads[Int(b[i])] && list.contains(TextSupport.scalar(b, at: i)) {
                    out.append(UInt32(i))
                }
            case .text(let word):
                @inline(__always) func lower(_ c: UInt8) -> UInt8 { c &- 0x41 < 26 ? c | 0x20 : c }
                let w = Array(word.utf8).map(lower)
                guard let first = w.first, b.count >= w.count else { return out }
                for i in 0...(b.count - w.count) where lower(b[i]) == first {
                    if (1..<w.count).allSatisfy({ lower(b[i + $0]) == w[$0] }) { out.append(UInt32(i)) }
                }
            default:
                return nil
            }
            return out
        }

        static let unitInitials: [Bool] = (0..<128).map { "kmlpywdhucrKMLPYWDHUCR%".utf8.contains(UInt8($0)) }

        /// The first two letters of every unit `numberWithUnit`'s English pattern knows.
        static let unitPairs: Set<UInt16> = Set(
            [
                "km", "ki", "mi", "me", "kg", "lb", "po", "ye", "mo", "we", "da", "ho", "wo", "yu", "do", "us", "kr", "cn",
                "rm", "pe", "ch"
            ].map { w in w.utf8.reduce(UInt16(0)) { $0 << 8 | UInt16($1) } })

        /// ``Anchor/unitAfterDigits`` after the runs of digits starting at `runs` (ascending).
        func unitsAfter(_ runs: [UInt32]) -> [UInt32] {
            @inline(__always) func isDigit(_ i: Int) -> Bool {
                let c = b[i]
                if c < 0x80 { return c &- 0x30 < 10 }
                return Unicode.Scalar(TextSupport.scalar(b, at: i))?.properties.numericType == .decimal
            }
            // Where a unit can start: "%", the Kelvin sign, or two letters that begin a unit ("km",
            // "mi", "ye"…: "12 May" and "12 call" are not), or "m" alone; a non-ASCII second
            // character may case-fold to a letter ("uſd"), so it is taken too.
            @inline(__always) func isUnit(_ i: Int) -> Bool {
                let c = b[i]
                if c >= 0x80 { return TextSupport.scalar(b, at: i) == 0x212A }
                guard Scan.unitInitials[Int(c)] else { return false }
                if c == 0x25 { return true }
                let first = c | 0x20
                guard i + 1 < b.count, case let d = b[i + 1], d &- 0x41 < 26 || d &- 0x61 < 26 || d >= 0x80 else {
                    return first == 0x6D  // "m"
                }
                return d >= 0x80 || Scan.unitPairs.contains(UInt16(first) << 8 | UInt16(d | 0x20))
            }
            var out: [UInt32] = []
            for start in runs {
                var p = Int(start)
                while p < b.count && isDigit(p) { p += length(at: p) }
                guard p < b.count else { break }
                // `\s?` before the unit: any one character here (ICU's `\s` also takes U+000B and
                // U+0085, which do not end a token).
                if isUnit(p) {
                    out.append(UInt32(p))
                } else if case let q = p + length(at: p), q < b.count, isUnit(q) {
                    out.append(UInt32(q))
                }
            }
            return out
        }

        static let domainInitials: [Bool] = (0..<128).map { "conikjrgetmlCONIKJRGETML".utf8.contains(UInt8($0)) }

        /// The bytes ``findAnchors(_:)`` passes over unread: ASCII but the digits and the characters
        /// its anchors start with, continuation bytes, and the lead bytes of U+4000–U+4FFF,
        /// U+6000–U+9FFF and U+B000–U+CFFF (ideographs and Hangul syllables, none of them a digit or
        /// an anchor; 年 and 歲's lead E5, and EA and ED, whose blocks hold other scalars too, are
        /// read). A branch per byte into the anchors' switch was most of the pass.
        static let noAnchorByte: [Bool] = (0..<256).map { b in
            switch b {
            case 0..<0x80: return !"0123456789+(@:.-'WwTt".utf8.contains(UInt8(b))
            case 0x80...0xBF, 0xE4, 0xE6...0xE9, 0xEB, 0xEC: return true
            default: return false
            }
        }

        /// Every anchor the specs use, in one pass.
        static func findAnchors(_ bytes: [UInt8]) -> [Anchor: [UInt32]] {
            var digits: [UInt32] = [], plus: [UInt32] = [], paren: [UInt32] = [], at: [UInt32] = []
            var schemes: [UInt32] = [], www: [UInt32] = [], domains: [UInt32] = [], dotted: [UInt32] = []
            var colons: [UInt32] = [], years: [UInt32] = [], ages: [UInt32] = [], teens: [UInt32] = []
            var ties: [UInt32] = [], joiners: [UInt32] = []
            // Words and characters some patterns cannot match without (`specs`).
            var decades: [UInt32] = [], longS: [UInt32] = []
            var lastDigitEnd = -1  // end of the last decimal digit seen (a "." right there follows a digit)
            var cached: (scalar: UInt32, digit: Bool) = (0, false)
            let domainInitials = Scan.domainInitials
            Scan.noAnchorByte.withUnsafeBufferPointer { skip in
                bytes.withUnsafeBufferPointer { b in
                    let n = b.count
                    @inline(__always) func lower(_ i: Int) -> UInt8 { b[i] &- 0x41 < 26 ? b[i] | 0x20 : b[i] }
                    @inline(__always) func word(_ i: Int, _ w: StaticString) -> Bool {
                        let count = w.utf8CodeUnitCount
                        guard i + count <= n else { return false }
                        return w.withUTF8Buffer { wb in (0..<count).allSatisfy { lower(i + $0) == wb[$0] } }
                    }
                    var i = 0
                    while i < n {
                        // (Most bytes, passed over in a loop of their own: most letters, white space,
                        // Hangul syllables, most ideographs.)
                        while i < n && skip[Int(b[i])] { i += 1 }
                        guard i < n else { break }
                        let c = b[i]
                        if c < 0x80 {
                            switch c {
                            case 0x30...0x39:
                                // One per run of digits: a window is made per token, and a run lies in one.
                                if i != lastDigitEnd { digits.append(UInt32(i)) }
                                lastDigitEnd = i + 1
                                if c == 0x30 && word(i, "0s") { decades.append(UInt32(i)) }
                            case 0x2B: plus.append(UInt32(i))
                            case 0x28: paren.append(UInt32(i))
                            case 0x40: at.append(UInt32(i))
                            case 0x3A:
                                colons.append(UInt32(i))
                                if i + 2 < n, b[i + 1] == 0x2F, b[i + 2] == 0x2F { schemes.append(UInt32(i)) }
                            case 0x2E:
                                if i == lastDigitEnd { dotted.append(UInt32(i)) }
                                if i + 1 < n, b[i + 1] >= 0x80 || domainInitials[Int(b[i + 1])] { domains.append(UInt32(i)) }
                            case 0x2D, 0x27: joiners.append(UInt32(i))
                            case 0x57, 0x77: if word(i, "www.") { www.append(UInt32(i)) }
                            case 0x54, 0x74:
                                if word(i, "teen") { teens.append(UInt32(i)) }
                                if word(i, "tie") { ties.append(UInt32(i)) }
                            default: break
                            }
                            i += 1
                            continue
                        }
                        let len: Int
                        let v: UInt32
                        if c < 0xE0 {
                            len = 2; v = (UInt32(c & 0x1F) << 6) | UInt32(b[i + 1] & 0x3F)
                        } else if c < 0xF0 {
                            len = 3
                            v = (UInt32(c & 0x0F) << 12) | (UInt32(b[i + 1] & 0x3F) << 6) | UInt32(b[i + 2] & 0x3F)
                        } else {
                            len = 4
                            v =
                                (UInt32(c & 0x07) << 18) | (UInt32(b[i + 1] & 0x3F) << 12) | (UInt32(b[i + 2] & 0x3F) << 6)
                                | UInt32(b[i + 3] & 0x3F)
                        }
                        // Hangul syllables and CJK ideographs (most non-ASCII text) are none of these,
                        // except the two ideographs some patterns need.
                        if v &- 0xAC00 <= 0xD7A3 - 0xAC00 {
                        } else if v &- 0x4E00 <= 0x9FFF - 0x4E00 {
                            if v == 0x5E74 { years.append(UInt32(i)) } else if v == 0x5C81 { ages.append(UInt32(i)) }
                        } else if v == 0x17F {
                            longS.append(UInt32(i))
                        } else if v == 0xFF20 {
                            at.append(UInt32(i))
                        } else if v == 0x2019 {
                            joiners.append(UInt32(i))
                        } else {
                            if v != cached.scalar {
                                cached = (v, Unicode.Scalar(v)?.properties.numericType == .decimal)
                            }
                            if cached.digit {
                                if i != lastDigitEnd { digits.append(UInt32(i)) }
                                lastDigitEnd = i + len
                            }
                        }
                        i += len
                    }
                }
            }
            // (Each list at its size: grown by doubling, one held up to twice its offsets, and text
            // dense with digits has a run every few bytes: megabytes for as long as the scan lives.)
            return [
                .digit: fitted(digits), .scalars([0x2B]): fitted(plus), .scalars([0x28]): fitted(paren),
                .scalars([0x40, 0xFF20]): fitted(at), .text("://"): fitted(schemes), .text("www."): fitted(www),
                .dotDomain: fitted(domains), .dotAfterDigit: fitted(dotted), .twoColons: fitted(colons),
                .scalars([0x5E74]): fitted(years), .scalars([0x5C81]): fitted(ages), .text("teen"): fitted(teens),
                .text("tie"): fitted(ties), .scalars([0x2D, 0x27, 0x2019]): fitted(joiners),
                .text("0s"): fitted(decades), .scalars([0x17F]): fitted(longS)
            ]
        }

        /// `offsets` copied into an array of its size when its spare capacity is over 64 KiB.
        static func fitted(_ offsets: consuming [UInt32]) -> [UInt32] {
            guard offsets.capacity - offsets.count > 16_384 else { return offsets }
            return offsets.withUnsafeBufferPointer { Array($0) }
        }
    }
}
