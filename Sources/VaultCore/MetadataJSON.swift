/// Strict, allocation-light decoder of record metadata JSON (SECURITY.md §6.4) for `list`/`search`.
/// No Foundation. It allocates only the resulting strings and tags array, plus a set of key names when
/// unknown keys are present and a small string for a number with an exponent (to check its range).
///
/// Accepts exactly one RFC 8259 JSON object in UTF-8, optionally surrounded by JSON whitespace, with
/// string keys `source`, `title`, `created`, `versionCreated`, array-of-strings `tags`, and optional
/// `date`, `retainUntil` (string; null or absent → nil). Unknown keys may hold any JSON value, which is
/// validated and skipped. Returns nil for anything else, in particular:
/// - invalid UTF-8 anywhere (overlongs, UTF-8-encoded surrogates, > U+10FFFF, truncated sequences),
///   and a leading byte-order mark;
/// - raw control characters (< 0x20) in strings, unknown escapes, `\u` escapes forming a lone surrogate;
/// - numbers outside the RFC grammar (`01`, `1.`, `.5`, `+1`, `-`) or overflowing a Double (`1e400`,
///   which JSONSerialization also rejects);
/// - trailing bytes, anything unterminated, a skipped value nested deeper than `maxDepth`;
/// - **duplicate keys**: a key (known or unknown) appearing twice in the metadata object. Keys are
///   compared after unescaping (`"\u0074itle"` is `title`); unknown keys are compared as Swift Strings,
///   so canonically equivalent spellings count as duplicates. Keys inside skipped values are not checked
///   for duplicates (those values are discarded, so no reader can disagree about them).
public enum MetadataJSON {
    /// Maximum nesting of a skipped value, counting the value itself (the metadata object is not counted).
    /// At most 64: `skipValue` keeps one bit per open container in a UInt64.
    static let maxDepth = 64

    public static func decode(_ bytes: UnsafeRawBufferPointer) -> RecordMetadata? {
        bytes.withMemoryRebound(to: UInt8.self) { buffer in
            guard let base = buffer.baseAddress else { return nil }
            var parser = Parser(base: base, count: buffer.count)
            return parser.metadata()
        }
    }

    /// The keys of SECURITY.md §6.4; the raw value is a bit index for duplicate detection.
    private enum Key: Int { case source, title, tags, date, created, versionCreated, retainUntil, received }

    /// The validating scanner (FactJSON reads facts with it too).
    struct Parser {
        let base: UnsafePointer<UInt8>
        let count: Int
        var i = 0

        /// The byte at `j`, or 0 past the end. NUL is invalid at every point of the grammar, so running
        /// off the end (like a real NUL) is rejected wherever a byte is required. All reads go through
        /// here or through ranges already scanned with it, so nothing outside the buffer is read.
        @inline(__always) func at(_ j: Int) -> UInt8 { j < count ? base[j] : 0 }

        mutating func skipWhitespace() {
            while true {
                switch at(i) {
                case 0x20, 0x0A, 0x0D, 0x09: i += 1;
                default: return
                }
            }
        }

        /// Skips whitespace, then consumes `c` if it is next.
        mutating func consume(_ c: Unicode.Scalar) -> Bool {
            skipWhitespace()
            guard at(i) == UInt8(ascii: c) else { return false }
            i += 1
            return true
        }

        mutating func metadata() -> RecordMetadata? {
            var source, title, created, versionCreated, date, retainUntil, received: String?
            var tags: [String]?
            var seenKnown: UInt8 = 0  // bit k: Key(rawValue: k) was present
            var seenUnknown = Set<String>()
            guard consume("{") else { return nil }
            repeat {  // `{}` fails here, lacking required keys
                skipWhitespace()
                guard let name = scanString(), consume(":") else { return nil }
                skipWhitespace()
                guard let key = knownKey(name) else {
                    guard seenUnknown.insert(string(name)).inserted, skipValue() else { return nil }
                    continue
                }
                guard seenKnown & (1 << key.rawValue) == 0 else { return nil }
                seenKnown |= 1 << key.rawValue
                switch key {
                case .tags:
                    guard let t = stringArray() else { return nil }
                    tags = t
                case .date, .retainUntil, .received:  // string or null
                    var value: String? = nil
                    if at(i) == UInt8(ascii: "n") {
                        guard literal("null") else { return nil }
                    } else {
                        guard let t = scanString() else { return nil }; value = string(t)
                    }
                    switch key {
                    case .date: date = value
                    case .retainUntil: retainUntil = value
                    default: received = value
                    }
                case .source, .title, .created, .versionCreated:
                    guard let t = scanString() else { return nil }
                    let value = string(t)
                    switch key {
                    case .source: source = value
                    case .title: title = value
                    case .created: created = value
                    default: versionCreated = value
                    }
                }
            } while consume(",")
            guard consume("}") else { return nil }
            skipWhitespace()
            guard i == count, let source, let title, let created, let versionCreated, let tags else { return nil }
            return RecordMetadata(
                source: source, title: title, tags: tags, date: date, created: created,
                versionCreated: versionCreated, retainUntil: retainUntil, received: received)
        }

        /// `[ ]` or `[ string (, string)* ]`.
        mutating func stringArray() -> [String]? {
            guard at(i) == UInt8(ascii: "[") else { return nil }
            i += 1
            var out: [String] = []
            if consume("]") { return out }
            out.reserveCapacity(4)  // one allocation for the usual few (tags, a fact's variants)
            repeat {
                skipWhitespace()
                guard let t = scanString() else { return nil }
                out.append(string(t))
            } while consume(",")
            return consume("]") ? out : nil
        }

        /// The content of a scanned string: byte range without quotes, and whether it has escapes.
        typealias Token = (start: Int, end: Int, escaped: Bool)

        private func knownKey(_ t: Token) -> Key? {
            if t.escaped {  // rare: compare the unescaped key
                var s = string(t)
                return s.withUTF8 { Self.knownKey($0) }
            }
            return Self.knownKey(UnsafeBufferPointer(start: base + t.start, count: t.end - t.start))
        }

        private static func knownKey(_ name: UnsafeBufferPointer<UInt8>) -> Key? {
            func equals(_ key: StaticString) -> Bool {
                guard key.utf8CodeUnitCount == name.count else { return false }
                for k in 0..<name.count where name[k] != key.utf8Start[k] { return false }
                return true
            }
            switch name.count {  // (a switch is much faster than a loop)
            case 4: return equals("tags") ? .tags : equals("date") ? .date : nil
            case 5: return equals("title") ? .title : nil
            case 6: return equals("source") ? .source : nil
            case 7: return equals("created") ? .created : nil
            case 8: return equals("received") ? .received : nil
            case 11: return equals("retainUntil") ? .retainUntil : nil
            case 14: return equals("versionCreated") ? .versionCreated : nil
            default: return nil
            }
        }

        /// Scans and fully validates a string whose opening quote is at `i`; `i` ends after the closing quote.
        mutating func scanString() -> Token? {
            guard at(i) == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            var escaped = false
            while true {
                // Eight plain ASCII bytes at a time (no byte ≥ 0x80, < 0x20, '"' or '\\').
                while count - i >= 8 {
                    let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    let ones: UInt64 = 0x0101_0101_0101_0101
                    let high: UInt64 = 0x8080_8080_8080_8080
                    func hasZero(_ x: UInt64) -> Bool { (x &- ones) & ~x & high != 0 }
                    if w & high != 0 || (w &- ones &* 0x20) & ~w & high != 0 || hasZero(w ^ (ones &* 0x22))
                        || hasZero(w ^ (ones &* 0x5C))
                    {
                        break
                    }
                    i += 8
                }
                let c = at(i)
                if c >= 0x20 && c < 0x80 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") {
                    i += 1  // the common case: plain ASCII
                } else if c == UInt8(ascii: "\"") {
                    i += 1
                    return (start, i - 1, escaped)
                } else if c == UInt8(ascii: "\\") {
                    guard escape() else { return nil }
                    escaped = true
                } else if c < 0x20 {  // control character, NUL or end of input
                    return nil
                } else {
                    guard utf8Sequence(lead: c) else { return nil }
                }
            }
        }

        /// Validates the multi-byte UTF-8 sequence at `i` against Unicode Table 3-7 (well-formed byte
        /// sequences): rejects stray continuation bytes, truncated sequences, overlongs (C0, C1,
        /// E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF).
        mutating func utf8Sequence(lead: UInt8) -> Bool {
            func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }
            let second = at(i + 1)
            switch lead {
            case 0xC2...0xDF:
                guard isContinuation(second) else { return false }
                i += 2
            case 0xE0...0xEF:
                guard isContinuation(second), isContinuation(at(i + 2)),
                    lead != 0xE0 || second >= 0xA0,  // overlong
                    lead != 0xED || second <= 0x9F  // surrogate
                else { return false }
                i += 3
            case 0xF0...0xF4:
                guard isContinuation(second), isContinuation(at(i + 2)), isContinuation(at(i + 3)),
                    lead != 0xF0 || second >= 0x90,  // overlong
                    lead != 0xF4 || second <= 0x8F  // above U+10FFFF
                else { return false }
                i += 4
            default:  // continuation, C0, C1, F5...FF
                return false
            }
            return true
        }

        /// Validates the escape at `i` (a backslash) and steps over it. A `\u` high surrogate must be
        /// followed by a `\u` low surrogate; a lone surrogate of either kind is rejected.
        mutating func escape() -> Bool {
            switch at(i + 1) {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                i += 2
                return true
            case UInt8(ascii: "u"):
                guard let u = hex4(i + 2), !(0xDC00...0xDFFF).contains(u) else { return false }
                i += 6
                guard (0xD800...0xDBFF).contains(u) else { return true }
                guard at(i) == UInt8(ascii: "\\"), at(i + 1) == UInt8(ascii: "u"),
                    let low = hex4(i + 2), (0xDC00...0xDFFF).contains(low)
                else { return false }
                i += 6
                return true
            default:
                return false
            }
        }

        /// The four hex digits at `j`, or nil.
        func hex4(_ j: Int) -> UInt32? {
            var v: UInt32 = 0
            for k in 0..<4 {
                let c = at(j + k)
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): v = v << 4 | UInt32(c - UInt8(ascii: "A") + 10)
                default: return nil
                }
            }
            return v
        }

        /// The value of a string validated by `scanString`. Without escapes the content is valid UTF-8 and
        /// is used as is. Otherwise it is unescaped: every escape is at least as long as its UTF-8 output
        /// (`\n` 2 → 1 byte, `\uXXXX` 6 → ≤ 3, a surrogate pair 12 → 4), so `end - start` bytes suffice.
        func string(_ t: Token) -> String {
            let raw = UnsafeBufferPointer(start: base + t.start, count: t.end - t.start)
            guard t.escaped else { return String(decoding: raw, as: UTF8.self) }
            return String(unsafeUninitializedCapacity: raw.count) { out in
                var r = t.start, w = 0
                func put(_ byte: UInt8) { out[w] = byte; w += 1 }
                while r < t.end {
                    let c = at(r)
                    guard c == UInt8(ascii: "\\") else { put(c); r += 1; continue }
                    let e = at(r + 1)
                    r += 2
                    switch e {
                    case UInt8(ascii: "b"): put(0x08)
                    case UInt8(ascii: "f"): put(0x0C)
                    case UInt8(ascii: "n"): put(0x0A)
                    case UInt8(ascii: "r"): put(0x0D)
                    case UInt8(ascii: "t"): put(0x09)
                    case UInt8(ascii: "u"):
                        var u = hex4(r) ?? 0xFFFD
                        r += 4
                        if (0xD800...0xDBFF).contains(u) {  // validated: a `\u` low surrogate follows
                            u = 0x10000 + ((u - 0xD800) << 10) + ((hex4(r + 2) ?? 0xDC00) & 0x3FF)
                            r += 6
                        }
                        UTF8.encode(Unicode.Scalar(u) ?? "\u{FFFD}", into: put)
                    default: put(e)  // \" \\ \/
                    }
                }
                return w
            }
        }

        /// Matches the ASCII word `word` (true, false, null) at `i`.
        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            for k in 0..<n where at(i + k) != word.utf8Start[k] { return false }
            i += n
            return true
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, whose value must be a finite Double:
        /// JSONSerialization rejects numbers that overflow (`1e400`), and we must not accept more than it.
        mutating func number() -> Bool {
            func digits() -> Int {
                let s = i; while (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(at(i)) { i += 1 }; return i - s
            }
            let start = i
            if at(i) == UInt8(ascii: "-") { i += 1 }
            let integerDigits: Int
            if at(i) == UInt8(ascii: "0") {
                i += 1; integerDigits = 1
            }  // no leading zeros: `01` stops after `0`
            else {
                integerDigits = digits(); guard integerDigits > 0 else { return false }
            }
            if at(i) == UInt8(ascii: ".") { i += 1; guard digits() > 0 else { return false } }
            let hasExponent = at(i) | 0x20 == UInt8(ascii: "e")
            if hasExponent {
                i += 1
                if at(i) == UInt8(ascii: "+") || at(i) == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { return false }
            }
            // Without an exponent, up to 308 integer digits stay below Double.greatestFiniteMagnitude.
            guard hasExponent || integerDigits > 308 else { return true }
            let text = String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
            return Double(text)?.isFinite ?? false
        }

        /// Validates and steps over any JSON value at `i`, without recursion. Bit d of `objects` is set
        /// when the open container at depth d is an object (so at most 64 levels fit, by construction).
        mutating func skipValue() -> Bool {
            var objects: UInt64 = 0
            var depth = 0
            nextValue: while true {
                skipWhitespace()
                let c = at(i)
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard depth < MetadataJSON.maxDepth else { return false }
                    let isObject = c == UInt8(ascii: "{")
                    if isObject { objects |= 1 << depth } else { objects &= ~(1 << depth) }
                    i += 1
                    if consume(isObject ? "}" : "]") { break }  // empty: a complete value
                    depth += 1
                    if isObject { guard objectKey() else { return false } }
                    continue nextValue
                case UInt8(ascii: "\""): guard scanString() != nil else { return false }
                case UInt8(ascii: "t"): guard literal("true") else { return false }
                case UInt8(ascii: "f"): guard literal("false") else { return false }
                case UInt8(ascii: "n"): guard literal("null") else { return false }
                default: guard number() else { return false }  // anything else fails there
                }
                // A value is complete: close finished containers, or go on to the next member.
                while depth > 0 {
                    let isObject = objects & (1 << (depth - 1)) != 0
                    if consume(",") {
                        if isObject { guard objectKey() else { return false } }
                        continue nextValue
                    }
                    guard consume(isObject ? "}" : "]") else { return false }
                    depth -= 1
                }
                return true
            }
        }

        /// `"key" :` inside a skipped object.
        mutating func objectKey() -> Bool {
            skipWhitespace()
            return scanString() != nil && consume(":")
        }
    }
}
