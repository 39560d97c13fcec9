import Redaction

/// What part of a record to publish.
public enum ExcerptSelection: Sendable, Equatable {
    case whole
    /// Lines `first...last`, 1-based, inclusive.
    case lines(Int, Int)
    /// The paragraph(s) containing this quote, found with the redaction normalization (case,
    /// accents, spacing and line breaks do not matter). Must occur exactly once.
    case quote(String)

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
            return Excerpt(text: body, firstLine: 1, lastLine: max(lineCount, 1))
        case .lines(let a, let b):
            guard b <= lineCount else { throw .lineRange("--lines \(a)-\(b) is out of range: the record has \(lineCount) lines") }
            return slice(a, b)
        case .quote(let q):
            let finder: Redactor
            do { finder = try Redactor(rules: [.term("quote", q, substring: true)]) } catch { throw .quoteNotFound }
            let hits = finder.redact(body).findings
            guard !hits.isEmpty else { throw .quoteNotFound }
            guard hits.count == 1 else { throw .quoteAmbiguous(count: hits.count) }
            let lineOf = { (offset: Int) -> Int in (starts.lastIndex { $0 <= offset } ?? 0) + 1 }
            var first = lineOf(hits[0].originalRange.lowerBound)
            var last = lineOf(max(hits[0].originalRange.upperBound - 1, hits[0].originalRange.lowerBound))
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
}
