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

    /// The snippet when the hit is known to start at byte `hit` of `body` (the common case: search
    /// found it there in the folded text, and folding kept every byte in place). Nil if the line
    /// at `hit` does not hold the needle after all, or the hit spans lines.
    static func snippet(in body: UnsafeRawBufferPointer, at hit: Int, needle: [UInt8], cache: TextFolding.Cache) -> String? {
        guard hit < body.count, body[hit] != 0x0A else { return nil }
        var start = hit
        while start > 0 && body[start - 1] != 0x0A { start -= 1 }
        var end = hit
        while end < body.count && body[end] != 0x0A { end += 1 }
        // Only the window is decoded: up to `before` characters (4 bytes each at most) before
        // the hit, the rest after it.
        var from = max(start, hit - 4 * before)
        while from < hit && body[from] & 0xC0 == 0x80 { from += 1 }
        var to = min(end, hit + 4 * width)
        while to > hit && to < end && body[to] & 0xC0 == 0x80 { to -= 1 }
        let tail = UnsafeRawBufferPointer(rebasing: body[hit..<to])
        guard let folded = TextFolding.fold(utf8: tail, cache: cache),
            folded.withUnsafeBytes({ TextFolding.firstMatch($0, needle) }) == 0,
            let pre = String(validating: UnsafeRawBufferPointer(rebasing: body[from..<hit]), as: UTF8.self),
            let post = String(validating: tail, as: UTF8.self)
        else { return nil }
        let preChars = pre.drop { $0.isWhitespace }
        let kept = preChars.suffix(before)
        let after = post.prefix(width - kept.count)
        let cutBefore = from > start || kept.count < preChars.count
        let cutAfter = after.count < post.count || to < end
        return (cutBefore ? "…" : "") + String(kept) + after.trimmingCharacters(in: .whitespaces) + (cutAfter ? "…" : "")
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
