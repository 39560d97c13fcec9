import Foundation

/// A regular expression that may be shared between threads: compiled as `NSRegularExpression`
/// (which checks it and gives its pattern and options) and matched by ``ICURegex``, the same ICU
/// engine through its C API, on UTF-16 made once per text (``RegexText``) for all the patterns
/// that read it. Sendable by assertion: both are immutable after creation (``ICURegex`` hands each
/// thread a matcher of its own).
final class SharedRegex: @unchecked Sendable {
    let regex: NSRegularExpression
    let engine: ICURegex
    /// Extra check on a candidate the pattern alone cannot express (IPv6 groups, coordinate ranges).
    let validate: (@Sendable (Substring) -> Bool)?
    /// A check that may also shorten a candidate the pattern took too far: the part of it to keep, or
    /// nil to drop it ("+82 10-1234-5678 2024": the year is not part of the number).
    let refine: (@Sendable (Substring) -> Substring?)?

    init(
        _ regex: NSRegularExpression, validate: (@Sendable (Substring) -> Bool)? = nil,
        refine: (@Sendable (Substring) -> Substring?)? = nil
    ) {
        self.regex = regex
        self.engine = ICURegex(pattern: regex.pattern, options: regex.options)
        self.validate = validate
        self.refine = refine
    }

    /// Compiles a built-in pattern; the patterns are constants covered by tests, so a failure is a
    /// programming error we surface as "no detector" rather than a crash.
    static func builtIn(
        _ pattern: String, options: NSRegularExpression.Options = [],
        validate: (@Sendable (Substring) -> Bool)? = nil,
        refine: (@Sendable (Substring) -> Substring?)? = nil
    ) -> SharedRegex? {
        guard let r = try? NSRegularExpression(pattern: pattern, options: options) else { return nil }
        return SharedRegex(r, validate: validate, refine: refine)
    }

    /// UTF-8 byte ranges of all matches in `text`.
    func matches(in text: String) -> [Range<Int>] {
        let t = RegexText(text)
        var out: [Range<Int>] = []
        forEachRawMatch(in: t, region: 0..<t.utf16.count, options: []) { _, _, kept in
            if let kept { out.append(kept) }
            return true
        }
        return out
    }

    /// Each match in `range` (UTF-16) of `text`, validated and refined, as a UTF-8 byte range of
    /// `text`, in order. The matches are streamed, not collected first (on text dense with numbers,
    /// a pattern has hundreds of thousands).
    func forEachMatch(
        in text: String, range: NSRange, options: NSRegularExpression.MatchingOptions,
        _ body: (Range<Int>) -> Void
    ) {
        forEachRawMatch(in: RegexText(text), region: range.location..<range.location + range.length, options: options) {
            _, _, kept in
            if let kept { body(kept) }
            return true
        }
    }

    /// Each non-empty match of the pattern in `region` (UTF-16 offsets) of `text`, in order: where
    /// it starts (UTF-16 offset), where it ends (UTF-8 offset) and the part of it kept once
    /// validated and refined (UTF-8 range; nil when none is). `body` returns false to stop. Of
    /// `options`, `.withTransparentBounds` and `.withoutAnchoringBounds` apply.
    func forEachRawMatch(
        in text: RegexText, region: Range<Int>, options: NSRegularExpression.MatchingOptions,
        _ body: (_ start16: Int, _ end8: Int, _ kept: Range<Int>?) -> Bool
    ) {
        let (validate, refine) = (validate, refine)
        let units = text.utf16
        let string = text.string
        let utf8 = string.utf8
        engine.forEachMatch(
            in: text.utf16, region: region, transparentBounds: options.contains(.withTransparentBounds),
            anchoringBounds: !options.contains(.withoutAnchoringBounds)
        ) { m in
            let lo8 = units.utf8Offset(m.lowerBound), end8 = units.utf8Offset(m.upperBound)
            guard validate != nil || refine != nil else { return body(m.lowerBound, end8, lo8..<end8) }
            let raw = utf8.index(utf8.startIndex, offsetBy: lo8)..<utf8.index(utf8.startIndex, offsetBy: end8)
            var part: Range<String.Index>? = raw
            if let validate, !validate(string[raw]) {
                part = nil
            } else if let refine {
                part = refine(string[raw]).map { $0.startIndex..<$0.endIndex }
            }
            var kept: Range<Int>? = nil
            if let part {
                let lo = utf8.distance(from: utf8.startIndex, to: part.lowerBound)
                let hi = utf8.distance(from: utf8.startIndex, to: part.upperBound)
                if hi > lo { kept = lo..<hi }
            }
            return body(m.lowerBound, end8, kept)
        }
    }
}

/// A text made ready for the patterns: the string (for their checks) and its UTF-16 (for the
/// engine), made once and read by each pattern run over it.
struct RegexText {
    let string: String
    let utf16: UTF16Text

    init(_ string: String) {
        self.string = string
        utf16 = UTF16Text(string)
    }
}

extension Detector {
    /// The compiled patterns of this detector. Each runs over the original text.
    var patterns: [SharedRegex] { DetectorPatterns.table[self] ?? [] }
}

/// Pattern sources for the built-in detectors. ICU `\d` also matches full-width digits.
enum DetectorPatterns {
    static let months =
        #"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"#
    /// Any dash a word processor may substitute for "-" (en dash, non-breaking hyphen, minus…).
    static let dash = #"\-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D"#
    /// One to three separators between the digit groups of a phone number (`PhoneRules.isSeparator`
    /// less parentheses, which the patterns place themselves).
    static let phoneSeparator =
        #"(?:[\s\u00A0\u00AD\u00B7\u2000-\u200F\u2028\u2029\u202F\u205F\u2060\u3000\u30FB"#
        + #"\uFEFF\uFF0E\uFF65./\uFF0F"# + dash + "]{1,3})"

    static let table: [Detector: [SharedRegex]] = {
        func make(_ list: [(String, NSRegularExpression.Options, (@Sendable (Substring) -> Bool)?)]) -> [SharedRegex] {
            list.compactMap { SharedRegex.builtIn($0.0, options: $0.1, validate: $0.2) }
        }
        func makeRefined(
            _ list: [(
                String, NSRegularExpression.Options, (@Sendable (Substring) -> Bool)?,
                (@Sendable (Substring) -> Substring?)?
            )]
        ) -> [SharedRegex] {
            list.compactMap { SharedRegex.builtIn($0.0, options: $0.1, validate: $0.2, refine: $0.3) }
        }
        var t: [Detector: [SharedRegex]] = [:]
        // Phone numbers, grouped any way a chat log or an OCR'd note groups them (the separators of
        // phone rules: spaces of every width, line breaks, dashes, dots, slashes, invisible characters),
        // with "+CC", "00CC" or "(+CC)" (a calling code from libphonenumber's metadata), in ASCII or
        // full-width digits, never inside a longer run of digits.
        let ps = phoneSeparator
        let phone:
            [(
                String, NSRegularExpression.Options, (@Sendable (Substring) -> Bool)?,
                (@Sendable (Substring) -> Substring?)?
            )] = [
                // +82 10-1234-5678, +86 138 0013 8000, +1 (555) 123-4567, 0086 159 2271 0634, (+86) 159…
                (
                    #"(?<![\dA-Za-z+\uFF0B])(?:\(\s?[+\uFF0B]\d{1,3}\s?\)|[+\uFF0B]\d{1,3}|00\d{1,3})"#
                        + #"(?:\#(ps)?\(?\d{1,5}\)?){2,7}(?!\d)"#, [], nil, { internationalNumber($0) }
                ),
                // (555) 123-4567, (02) 1234-5678
                (#"(?<![\dA-Za-z])\(\d{2,4}\)\#(ps)?\d{3,4}\#(ps)\d{4}(?![\dA-Za-z])"#, [], nil, nil),
                // 010-1234-5678, 02-123-4567, 555-123-4567, 159.2271.0634
                (#"(?<![\dA-Za-z.+\uFF0B\#(dash)])\d{2,4}\#(ps)\d{3,4}\#(ps)\d{4}(?![\dA-Za-z\#(dash)])"#, [], nil, nil),
                // Korean and Chinese mobile numbers in any grouping: 01012345678, 010 1234 5678,
                // 1380 013 8000, 1 3 8 0 0 1 3 8 0 0 0
                (#"(?<![\d+\uFF0B])0\#(ps)?1\#(ps)?[016789](?:\#(ps)?\d){7,8}(?!\d)"#, [], nil, nil),
                (#"(?<![\d+\uFF0B])1\#(ps)?[3-9](?:\#(ps)?\d){9}(?!\d)"#, [], nil, nil)
            ]
        t[.phone] = makeRefined(phone)
        t[.email] = make([
            (
                #"(?<![\p{L}\p{N}._%+\-\p{Cf}])[\p{L}\p{N}._%+\-\p{Cf}]+[@＠][\p{L}\p{N}\-\p{Cf}]+(?:[.．][\p{L}\p{N}\-]+)*[.．]\p{L}{2,}"#,
                [], nil
            )
        ])
        t[.url] = make([
            (#"\b(?:https?|ftp)://[^\s<>"'\u3000]*[^\s<>"'.,;:!?)\]\u3000。，]"#, [.caseInsensitive], nil),
            (#"\bwww\.[^\s<>"'\u3000]*[^\s<>"'.,;:!?)\]\u3000。，]"#, [.caseInsensitive], nil),
            (
                #"(?<![@\w.\-])(?:[\w\-]+\.)+(?:com|org|net|info|io|kr|cn|jp|ru|gov|edu|co|me|tv|ly)(?:/[^\s<>"'\u3000]*[^\s<>"'.,;:!?)\]\u3000。，])?(?![\w@])"#,
                [.caseInsensitive], nil
            )
        ])
        t[.ip] = make([
            (#"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)"#, [], nil),
            (#"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\w:])"#, [], { isIPv6($0) })
        ])
        let dms = #"\d{1,3}\s?°\s?\d{1,2}\s?['′’]\s?(?:\d{1,2}(?:\.\d+)?\s?(?:"|″|''|’’)\s?)?[NSEW]"#
        t[.coordinates] = make([
            // 42.4°N 129.9°E, 42.4 N, 129.9 E
            (#"(?<![\w.])\d{1,2}(?:\.\d+)?\s?°?\s?[NS](?![a-zA-Z])[,;\s]*\d{1,3}(?:\.\d+)?\s?°?\s?[EW](?![a-zA-Z])"#, [], nil),
            // 42°25'48"N 129°45'E
            (#"(?<!\d)\#(dms)(?:[,;\s]*\#(dms))?"#, [], nil),
            // 42.43, 129.75 (checked to be a valid latitude/longitude)
            (#"(?<![\w.])-?\d{1,2}\.\d{2,}\s*,\s*-?\d{1,3}\.\d{2,}(?![\w.])"#, [], { isLatLon($0) }),
            // 42.43°, 129.75°
            (#"(?<![\w.])-?\d{1,2}(?:\.\d+)?°\s*,?\s*-?\d{1,3}(?:\.\d+)?°"#, [], nil)
        ])
        t[.date] = make([
            (#"(?<!\d)(?:19|20)\d{2}[\#(dash)/.](?:0?[1-9]|1[0-2])[\#(dash)/.](?:0?[1-9]|[12]\d|3[01])(?!\d)"#, [], nil),
            (#"(?<![\d.])(?:0?[1-9]|[12]\d|3[01])[/.](?:0?[1-9]|[12]\d|3[01])[/.](?:19|20)?\d{2}(?![\d.]|\.\d)"#, [], nil),
            (#"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?\#(months)(?:,?\s+\d{4})?\b"#, [.caseInsensitive], nil),
            (#"\b\#(months)\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b"#, [.caseInsensitive], nil),
            (#"\b\#(months)\s+\d{4}\b"#, [.caseInsensitive], nil),
            (#"(?<!\d)\d{2,4}\s*년\s*\d{1,2}\s*월(?:\s*\d{1,2}\s*일)?"#, [], nil),
            (#"(?<!\d)\d{1,2}\s*월\s*\d{1,2}\s*일"#, [], nil),
            (#"(?<!\d)\d{2,4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号號])?"#, [], nil),
            (#"(?<!\d)\d{1,2}\s*月\s*\d{1,2}\s*[日号號]"#, [], nil),
            (#"[〇零一二三四五六七八九]{2,4}年[一二三四五六七八九十]{1,2}月(?:[一二三四五六七八九十]{1,3}[日号號])?"#, [], nil)
        ])
        t[.age] = make([
            (#"\b\d{1,3}[\s\u00A0\#(dash)]?(?:year|yr)s?[\s\u00A0\#(dash)]?old\b"#, [.caseInsensitive], nil),
            (#"\baged?\s+\d{1,3}\b"#, [.caseInsensitive], nil),
            (
                #"\b(?:in\s+(?:his|her|their|my|our|your)\s+)?(?:early|mid|late)[\s\#(dash)]?(?:\d0s|'\d0s|teens|twenties|thirties|forties|fifties|sixties|seventies|eighties)\b"#,
                [.caseInsensitive], nil
            ),
            (
                #"\bin\s+(?:his|her|their|my|our|your)\s+(?:\d0s|'\d0s|teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)\b"#,
                [.caseInsensitive], nil
            ),
            (#"(?<!\d)\d{1,3}\s*(?:세|살)"#, [], nil),
            (#"(?<!\d)\d0\s*대(?:\s*(?:초반|중반|후반))?"#, [], nil),
            (#"(?<!\d)\d{1,3}\s*(?:周岁|岁|歲)"#, [], nil),
            (#"(?<!\d)\d0\s*多岁"#, [], nil),
            (#"[一二三四五六七八九十]{1,3}(?:多)?岁"#, [], nil)
        ])
        return t
    }()

    /// "+CC …", "00CC …": the longest part of the candidate, ending with a group of digits, that has
    /// a calling code libphonenumber knows and 8–15 digits after any "00"; nil if none has.
    static func internationalNumber(_ s: Substring) -> Substring? {
        var digits: [UInt8] = []
        var plus = false
        var ends: [(end: Substring.Index, digits: Int)] = []  // after each run of digits
        var i = s.startIndex
        while i < s.endIndex {
            let u = s.unicodeScalars[i].value
            let next = s.unicodeScalars.index(after: i)
            if let d = PhoneRules.digit(u) {
                digits.append(d)
                if next == s.endIndex || PhoneRules.digit(s.unicodeScalars[next].value) == nil {
                    ends.append((next, digits.count))
                }
            } else if PhoneRules.isPlus(u) {
                plus = true
            }
            i = next
        }
        let skip = plus ? 0 : 2  // "00"
        guard digits.count > skip, PhoneCountries.split(digits.dropFirst(skip)) != nil else { return nil }
        guard let end = ends.last(where: { (8...15).contains($0.digits - skip) }) else { return nil }
        return s[s.startIndex..<end.end]
    }

    static func digitCount(_ s: Substring) -> Int {
        s.unicodeScalars.reduce(0) { $0 + ($1.properties.numericType == .decimal ? 1 : 0) }
    }

    /// Accepts only real IPv6 addresses, so times like 12:30:45 are not hit.
    static func isIPv6(_ s: Substring) -> Bool {
        let text = String(s)
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        var groups = 0
        for (index, half) in halves.enumerated() where !half.isEmpty {
            let parts = half.split(separator: ":", omittingEmptySubsequences: false)
            for (k, part) in parts.enumerated() {
                if part.contains(".") {
                    // Embedded IPv4 only as the very last group.
                    guard index == halves.count - 1, k == parts.count - 1,
                        part.split(separator: ".").count == 4
                    else { return false }
                    groups += 2
                } else {
                    guard (1...4).contains(part.count), part.allSatisfy(\.isHexDigit) else { return false }
                    groups += 1
                }
            }
        }
        return halves.count == 2 ? groups < 8 : groups == 8
    }

    static func isLatLon(_ s: Substring) -> Bool {
        let parts = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let lat = Double(parts[0]), let lon = Double(parts[1]) else { return false }
        return abs(lat) <= 90 && abs(lon) <= 180
    }
}
