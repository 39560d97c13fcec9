import Foundation

/// The line of testimony a search hit is on, cut to a window around the hit, for `search` to show
/// under each result. Computed only for records that matched, from the opened body (ciphertext
/// never reaches here), line by line, stopping at the first line that holds the query.
enum SearchSnippet {
    /// Characters shown before the hit; the window is `width` characters in all.
    static let before = 30
    static let width = 80

    /// The first line of `body` whose folded form contains `needle` (folded, as `search` folds
    /// it), trimmed to a window around the hit; nil if no single line holds it (a hit across a
    /// line break) or the bytes are not UTF-8.
    static func snippet(in body: UnsafeRawBufferPointer, needle: [UInt8], cache: TextFolding.Cache) -> String? {
        var start = 0
        while start < body.count {
            var end = start
            while end < body.count && body[end] != 0x0A { end += 1 }
            let line = UnsafeRawBufferPointer(rebasing: body[start..<end])
            if let folded = TextFolding.fold(utf8: line, cache: cache), TextFolding.contains(folded, needle),
                let text = String(validating: line, as: UTF8.self)
            {
                return window(text, needle: needle, cache: cache)
            }
            start = end + 1
        }
        return nil
    }

    /// `line` cut to `width` characters around the first hit, with "…" where it was cut.
    static func window(_ line: String, needle: [UInt8], cache: TextFolding.Cache) -> String {
        let chars = Array(line.trimmingCharacters(in: .whitespacesAndNewlines))
        guard chars.count > width else { return String(chars) }
        // The hit ends at the shortest prefix whose folded form holds the needle (binary search:
        // holding it only grows with the prefix).
        var lo = 1
        var hi = chars.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if TextFolding.contains(TextFolding.fold(String(chars[..<mid]), cache: cache), needle) {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        let hitStart = max(0, lo - needle.count)
        let from = max(0, min(hitStart - before, chars.count - width))
        let to = min(chars.count, from + width)
        return (from > 0 ? "…" : "") + String(chars[from..<to]) + (to < chars.count ? "…" : "")
    }
}
