import Redaction

/// What part of a record to publish.
public enum ExcerptSelection: Sendable, Equatable {
    case whole
    /// Lines `first...last`, 1-based, inclusive.
    case lines(Int, Int)
    /// The sentence or sentences containing this quote, found with the redaction normalization
    /// (case, accents, spacing and line breaks do not matter). Must occur exactly once. Sentences
    /// end at `.`, `?` or `!` followed by white space (not after a common abbreviation or an
    /// initial), at `.`, `?` or `!` right after Hangul or Han (다. 요. with or without a space),
    /// at `。`, `！`, `？` (closing quotes and brackets stay with their sentence), and at blank lines.
    case quote(String)
    /// The paragraph(s) containing this quote, up to the nearest blank lines (`--paragraph`).
    case paragraph(String)

    /// Parses `A-B` (or a single `A`).
    public static func parseLines(_ s: String) throws(PublishingError) -> ExcerptSelection {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let a = Int(parts[0]), let b = Int(parts.last!), a >= 1, b >= a else {
            throw .lineRange("--lines takes A-B with 1 ≤ A ≤ B (for example 3-7)")
        }
        return .lines(a, b)
    }
}

/// A selected passage of a record's text with the record line numbers it spans.
public struct Excerpt: Sendable, Equatable {
    public var text: String
    public var firstLine: Int
    public var lastLine: Int

    /// Selects from `body`. Lines are separated by `\n`; a final newline does not start a line.
    public static func select(_ selection: ExcerptSelection, from body: String) throws(PublishingError) -> Excerpt {
        if case .whole = selection {
            // The text itself: no copy of its bytes, no table of its lines (10 ms per 10 MB).
            return Excerpt(text: body, firstLine: 1, lastLine: max(lineCount(body), 1))
        }
        let bytes = Array(body.utf8)
        // Byte offset where each line starts.
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == 0x0A && i + 1 < bytes.count { starts.append(i + 1) }
        let lineCount = bytes.isEmpty ? 0 : starts.count
        func slice(_ first: Int, _ last: Int) -> Excerpt {
            let from = starts[first - 1]
            let to = last < lineCount ? starts[last] : bytes.count
            return Excerpt(text: String(decoding: bytes[from..<to], as: UTF8.self), firstLine: first, lastLine: last)
        }
        switch selection {
        case .whole:
            return Excerpt(text: body, firstLine: 1, lastLine: max(lineCount, 1))  // (returned above)
        case .lines(let a, let b):
            guard b <= lineCount else { throw .lineRange("--lines \(a)-\(b) is out of range: the record has \(lineCount) lines") }
            return slice(a, b)
        case .quote(let q), .paragraph(let q):
            let hit = try locate(q, in: body)
            let lineOf = { (offset: Int) -> Int in (starts.lastIndex { $0 <= offset } ?? 0) + 1 }
            guard case .paragraph = selection else {
                let r = Sentences.enclosing(hit, in: bytes)
                return Excerpt(
                    text: String(decoding: bytes[r], as: UTF8.self), firstLine: lineOf(r.lowerBound),
                    lastLine: lineOf(max(r.upperBound - 1, r.lowerBound)))
            }
            var first = lineOf(hit.lowerBound)
            var last = lineOf(max(hit.upperBound - 1, hit.lowerBound))
            // Widen to the whole paragraph(s): up to the nearest blank lines.
            let isBlank = { (line: Int) -> Bool in
                let s = slice(line, line).text
                return s.allSatisfy { $0.isWhitespace }
            }
            while first > 1 && !isBlank(first - 1) { first -= 1 }
            while last < lineCount && !isBlank(last + 1) { last += 1 }
            return slice(first, last)
        }
    }

    /// Lines in `text`: its newlines, plus one if it does not end with one (none if it is empty).
    static func lineCount(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { b -> Int in
            guard let last = b.last else { return 0 }
            let n = TextSupport.newlines(in: b, 0..<b.count)
            return last == 0x0A ? n : n + 1
        }
    }

    /// The byte range of the one place `quote` occurs in `body`.
    static func locate(_ quote: String, in body: String) throws(PublishingError) -> Range<Int> {
        let finder: Redactor
        do { finder = try Redactor(rules: [.term("quote", quote, substring: true)]) } catch { throw .quoteNotFound }
        let hits = finder.redact(body).findings
        guard !hits.isEmpty else { throw .quoteNotFound }
        guard hits.count == 1 else { throw .quoteAmbiguous(count: hits.count) }
        return hits[0].originalRange
    }
}

/// Sentence boundaries in English, Korean and Chinese text (see ``ExcerptSelection/quote(_:)``).
enum Sentences {
    /// The sentence(s) overlapping `range` (UTF-8 offsets into `b`), without surrounding white space.
    static func enclosing(_ range: Range<Int>, in b: [UInt8]) -> Range<Int> {
        var start = 0
        var end = b.count
        for e in ends(b) {
            if e <= range.lowerBound { start = e } else if e >= range.upperBound { end = e; break }
        }
        while start < end, isSpace(scalar(b, start)) { start += length(b[start]) }
        while end > start {
            let p = previous(b, end)
            guard isSpace(scalar(b, p)) else { break }
            end = p
        }
        return start..<end
    }

    /// Offsets just past the end of each sentence, ascending.
    static func ends(_ b: [UInt8]) -> [Int] {
        var out: [Int] = []
        var i = 0
        var before: UInt32 = 0  // the scalar before the current one
        while i < b.count {
            let v = scalar(b, i)
            if isTerminal(v) {
                var j = i
                var periods = 0, count = 0
                var fullWidth = false
                while j < b.count, case let t = scalar(b, j), isTerminal(t) {
                    if t == 0x2E { periods += 1 }
                    if t > 0x7F { fullWidth = true }
                    count += 1
                    j += length(b[j])
                }
                while j < b.count, isCloser(scalar(b, j)) { j += length(b[j]) }
                let next: UInt32? = j < b.count ? scalar(b, j) : nil
                let boundary: Bool
                if fullWidth {
                    boundary = true
                } else if next == nil || isSpace(next!) {
                    let ellipsis = periods == count && count >= 2 && next != nil && next != 0x0A
                    boundary = !ellipsis && !(count == 1 && periods == 1 && isAbbreviation(b, before: i))
                } else {
                    boundary = isHangulOrHan(before) && !(0x30...0x39).contains(next!)
                }
                if boundary { out.append(j) }
                before = scalar(b, previous(b, j))
                i = j
                continue
            }
            if v == 0x0A {  // a blank line ends a paragraph, and so its last sentence
                var k = i + 1
                while k < b.count, b[k] == 0x20 || b[k] == 0x09 || b[k] == 0x0D { k += 1 }
                if k < b.count, b[k] == 0x0A { out.append(i) }
            }
            before = v
            i += length(b[i])
        }
        return out
    }

    static let abbreviations: Set<String> = [
        "mr", "mrs", "ms", "dr", "prof", "st", "mt", "jr", "sr", "gen", "col", "lt", "sgt", "capt", "rev", "vs",
        "e.g", "i.e", "cf", "approx", "ca", "dept", "fig", "u.s", "u.n"
    ]

    /// The word before the period at `i` is a title, a common abbreviation or a capital initial.
    static func isAbbreviation(_ b: [UInt8], before i: Int) -> Bool {
        var k = i
        while k > 0, (b[k - 1] | 0x20) &- 0x61 < 26 || b[k - 1] == 0x2E { k -= 1 }
        guard k < i, k == 0 || !((b[k - 1] | 0x20) &- 0x61 < 26 || b[k - 1] >= 0x80) else { return false }
        let word = String(decoding: b[k..<i], as: UTF8.self)
        if word.count == 1 { return b[k] &- 0x41 < 26 && word != "I" }  // "J. Kim", not "… and I."
        return abbreviations.contains(word.lowercased())
    }

    static func isTerminal(_ v: UInt32) -> Bool {
        v == 0x2E || v == 0x3F || v == 0x21 || v == 0x3002 || v == 0xFF01 || v == 0xFF1F || v == 0xFF0E || v == 0xFF61
    }

    /// Closing quotes and brackets that belong to the sentence they follow.
    static func isCloser(_ v: UInt32) -> Bool {
        [0x22, 0x27, 0x29, 0x5D, 0x2019, 0x201D, 0x300D, 0x300F, 0x3009, 0x300B, 0x3011, 0xFF09, 0xFF02].contains(v)
    }

    static func isSpace(_ v: UInt32) -> Bool {
        v == 0x20 || v == 0x09 || v == 0x0A || v == 0x0D || v == 0xA0 || v == 0x3000 || v == 0x2028 || v == 0x2029
    }

    static func isHangulOrHan(_ v: UInt32) -> Bool {
        (0xAC00...0xD7A3).contains(v) || (0x1100...0x11FF).contains(v) || (0x3130...0x318F).contains(v)
            || (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0xF900...0xFAFF).contains(v)
    }

    @inline(__always) static func length(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    @inline(__always) static func previous(_ b: [UInt8], _ p: Int) -> Int {
        var k = p - 1
        while k > 0 && b[k] & 0xC0 == 0x80 { k -= 1 }
        return k
    }

    static func scalar(_ b: [UInt8], _ i: Int) -> UInt32 {
        let b0 = b[i]
        if b0 < 0x80 { return UInt32(b0) }
        if b0 < 0xE0 { return (UInt32(b0 & 0x1F) << 6) | UInt32(b[i + 1] & 0x3F) }
        if b0 < 0xF0 { return (UInt32(b0 & 0x0F) << 12) | (UInt32(b[i + 1] & 0x3F) << 6) | UInt32(b[i + 2] & 0x3F) }
        return (UInt32(b0 & 0x07) << 18) | (UInt32(b[i + 1] & 0x3F) << 12) | (UInt32(b[i + 2] & 0x3F) << 6)
            | UInt32(b[i + 3] & 0x3F)
    }
}
