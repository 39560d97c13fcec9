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
        // One folding buffer for every line and every prefix tried (a String and an array per
        // line and per prefix made snippets most of a 10,000-result search's time).
        var buffer = Folder(cache: cache)
        var start = 0
        while start < body.count {
            var end = start
            while end < body.count && body[end] != 0x0A { end += 1 }
            let line = UnsafeRawBufferPointer(rebasing: body[start..<end])
            if buffer.contains(line, needle) {
                guard let text = String(validating: line, as: UTF8.self) else { return nil }
                return window(text, line: line, needle: needle, folder: &buffer)
            }
            start = end + 1
        }
        return nil
    }

    /// Folds into one growing buffer.
    struct Folder {
        let cache: TextFolding.Cache
        var out = [UInt8](repeating: 0, count: 256)

        init(cache: TextFolding.Cache) { self.cache = cache }

        /// True if the folded form of `bytes` holds `needle` (false for bytes that are not UTF-8).
        mutating func contains(_ bytes: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
            while true {
                let cache = self.cache
                let outcome = out.withUnsafeMutableBytes { o -> (done: Bool, found: Bool) in
                    switch TextFolding.fold(utf8: bytes, into: o, cache: cache) {
                    case .folded(let n):
                        return (true, TextFolding.firstMatch(UnsafeRawBufferPointer(rebasing: o[0..<n]), needle) != nil)
                    case .invalidUTF8: return (true, false)
                    case .needsRoom: return (false, false)
                    }
                }
                if outcome.done { return outcome.found }
                out = [UInt8](repeating: 0, count: out.count * 2 + bytes.count)
            }
        }
    }

    /// The snippet when the hit is known to start at byte `hit` of `body` (the common case: search
    /// found it there in the folded text, and folding kept every byte in place). Nil if the line
    /// at `hit` does not hold the needle after all, or the hit spans lines.
    static func snippet(in body: UnsafeRawBufferPointer, at hit: Int, needle: [UInt8], cache: TextFolding.Cache) -> String? {
        guard hit < body.count, body[hit] != 0x0A, body[hit] & 0xC0 != 0x80 else { return nil }
        var start = hit
        while start > 0 && body[start - 1] != 0x0A { start -= 1 }
        var end = hit
        while end < body.count && body[end] != 0x0A { end += 1 }
        // The needle must fold from here: a short piece is folded (a hit found by folding the
        // whole text is checked, not trusted; separators folded away allow for a longer piece).
        var probe = min(end, hit + max(64, needle.count * 8))
        while probe < end && body[probe] & 0xC0 == 0x80 { probe += 1 }
        guard let folded = TextFolding.fold(utf8: UnsafeRawBufferPointer(rebasing: body[hit..<probe]), cache: cache),
            folded.withUnsafeBytes({ TextFolding.firstMatch($0, needle) }) == 0
        else { return nil }
        // Blanks at the line's ends trimmed; then up to `before` characters before the hit and
        // `width` in all, counted by their first bytes (the whole body was checked to be UTF-8).
        @inline(__always) func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
        while start < hit && blank(body[start]) { start += 1 }
        while end > hit && blank(body[end - 1]) { end -= 1 }
        var from = hit
        var shown = 0
        while from > start && shown < before {
            from -= 1
            while from > start && body[from] & 0xC0 == 0x80 { from -= 1 }
            shown += 1
        }
        var to = hit
        while to < end && shown < width {
            to += 1
            while to < end && body[to] & 0xC0 == 0x80 { to += 1 }
            shown += 1
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: body[from..<to]), as: UTF8.self)
        return (from > start ? "…" : "") + text + (to < end ? "…" : "")
    }

    /// `text` (the UTF-8 `line`) cut to `width` characters around the first hit, with "…" where
    /// it was cut. The hit ends at the shortest byte prefix, cut at a character, whose folded form
    /// holds the needle (binary search: holding it only grows with the prefix).
    static func window(_ text: String, line: UnsafeRawBufferPointer, needle: [UInt8], folder: inout Folder) -> String {
        let chars = Array(text.trimmingCharacters(in: .whitespacesAndNewlines))
        guard chars.count > width else { return String(chars) }
        // Candidate ends: every byte offset where a character starts, and the end.
        let ends = (1...line.count).filter { $0 == line.count || line[$0] & 0xC0 != 0x80 }
        var lo = 0
        var hi = ends.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if folder.contains(UnsafeRawBufferPointer(rebasing: line[0..<ends[mid]]), needle) { hi = mid } else { lo = mid + 1 }
        }
        let end = ends[lo]
        let leading = text.prefix { $0.isWhitespace || $0.isNewline }.count
        let hitEnd = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<end]), as: UTF8.self).count - leading
        let hitStart = max(0, hitEnd - needle.count)
        let from = max(0, min(hitStart - before, chars.count - width))
        let to = min(chars.count, from + width)
        return (from > 0 ? "…" : "") + String(chars[from..<to]) + (to < chars.count ? "…" : "")
    }
}
