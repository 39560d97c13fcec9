import Foundation

/// Case-, accent- and width-insensitive folding for search and alias matching. Query and text go
/// through the same function, so NFC and NFD input (and precomposed or jamo Hangul) compare equal.
///
/// The canonical form is `general(_:)`: compatibility decomposition, case and diacritic folding,
/// combining marks removed, then canonical composition. Most testimony is ASCII, Hangul syllables
/// and CJK ideographs, for which that form is the text itself with ASCII lowercased; those runs are
/// copied byte for byte and only the rest goes through Foundation. A test checks that both paths
/// agree on random mixed text.
enum TextFolding {
    /// Folded forms of single scalars outside the fast set ("ŏ" → "o"), so a search over many
    /// records calls Foundation once per distinct character, not once per occurrence.
    final class Cache {
        var scalars: [UInt32: [UInt8]] = [:]
    }

    static func fold(_ text: String, cache: Cache? = nil) -> [UInt8] {
        var text = text
        return text.withUTF8 { buf in fold(utf8: UnsafeRawBufferPointer(buf), cache: cache) ?? [] }
    }

    /// The reference folding (slow: Foundation on the whole string).
    static func general(_ text: String) -> [UInt8] {
        let folded = text.decomposedStringWithCompatibilityMapping
            .folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .decomposedStringWithCompatibilityMapping
        var scalars = String.UnicodeScalarView()
        for s in folded.unicodeScalars where s.properties.generalCategory != .nonspacingMark
            && s.properties.generalCategory != .spacingMark && s.properties.generalCategory != .enclosingMark {
            scalars.append(s)
        }
        return Array(String(scalars).precomposedStringWithCanonicalMapping.utf8)
    }

    /// Folds UTF-8 bytes; nil if they are not valid UTF-8.
    static func fold(utf8 bytes: UnsafeRawBufferPointer, cache: Cache? = nil) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let n = bytes.count
        var i = 0
        while i < n {
            // The longest run of scalars already in folded form (ASCII up to case, Hangul, CJK),
            // none followed by something that combines with it: copied in one go, then ASCII
            // letters lowercased in place.
            var j = i
            while j < n {
                let b = bytes[j]
                if b < 0x80 {
                    if j + 1 < n && bytes[j + 1] >= 0x80 && attachesToPrevious(bytes, j + 1) { break }
                    j += 1
                    continue
                }
                guard let (t, tlen) = decode(bytes, j) else { return nil }
                if !isFast(t) || attachesToPrevious(bytes, j + tlen) { break }
                j += tlen
            }
            if j > i {
                let from = out.count
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<j]))
                out.withUnsafeMutableBufferPointer { o in
                    for k in from..<o.count where o[k] &- 65 < 26 { o[k] |= 0x20 }
                }
                i = j
                continue
            }
            guard let (s, len) = decode(bytes, i) else { return nil }
            // One scalar on its own (nothing combines with it): its folded form is context-free.
            if let cache, !attachesToPrevious(bytes, i + len) {
                if let f = cache.scalars[s] {
                    out.append(contentsOf: f)
                } else {
                    let f = general(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + len)]), as: UTF8.self))
                    cache.scalars[s] = f
                    out.append(contentsOf: f)
                }
                i += len
                continue
            }
            // A run that needs the full treatment: up to the next scalar that is fast and not
            // followed by a combining mark or conjoining jamo.
            var end = i + len
            while end < n {
                guard let (t, tlen) = decode(bytes, end) else { return nil }
                if isFast(t) && !attachesToPrevious(bytes, end + tlen) { break }
                end += tlen
            }
            out.append(contentsOf: general(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self)))
            i = end
        }
        return out
    }

    /// ASCII, Hangul syllables and CJK ideographs: already in folded form (ASCII up to case).
    @inline(__always)
    static func isFast(_ s: UInt32) -> Bool {
        s < 0x80 || (0xAC00...0xD7A3).contains(s) || (0x4E00...0x9FFF).contains(s) || (0x3400...0x4DBF).contains(s)
    }

    /// True if the scalar at `i` combines with the one before it (a mark, a conjoining jamo, a
    /// variation selector or other default-ignorable), so the two must be folded together.
    @inline(__always)
    static func attachesToPrevious(_ bytes: UnsafeRawBufferPointer, _ i: Int) -> Bool {
        guard i < bytes.count, bytes[i] >= 0x80, let (s, _) = decode(bytes, i) else { return false }
        // Hangul syllables and CJK ideographs never combine with what precedes them: skip the
        // (comparatively slow) property lookup for the common case of Korean or Chinese text.
        if isFast(s) { return false }
        guard let scalar = Unicode.Scalar(s) else { return false }
        if (0x1100...0x11FF).contains(s) || (0xD7B0...0xD7FF).contains(s) { return true }
        let p = scalar.properties
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return p.isDefaultIgnorableCodePoint || p.isVariationSelector
        }
    }

    /// Decodes one UTF-8 scalar at `i`: (value, length), or nil if malformed.
    @inline(__always)
    static func decode(_ b: UnsafeRawBufferPointer, _ i: Int) -> (UInt32, Int)? {
        let b0 = b[i]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        let n = b.count
        func cont(_ k: Int) -> UInt32? { k < n && b[k] & 0xC0 == 0x80 ? UInt32(b[k] & 0x3F) : nil }
        if b0 & 0xE0 == 0xC0, b0 >= 0xC2, let c1 = cont(i + 1) { return ((UInt32(b0 & 0x1F) << 6) | c1, 2) }
        if b0 & 0xF0 == 0xE0, let c1 = cont(i + 1), let c2 = cont(i + 2) {
            let v = (UInt32(b0 & 0x0F) << 12) | (c1 << 6) | c2
            guard v >= 0x800, !(0xD800...0xDFFF).contains(v) else { return nil }
            return (v, 3)
        }
        if b0 & 0xF8 == 0xF0, let c1 = cont(i + 1), let c2 = cont(i + 2), let c3 = cont(i + 3) {
            let v = (UInt32(b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
            guard (0x10000...0x10FFFF).contains(v) else { return nil }
            return (v, 4)
        }
        return nil
    }

    /// True if `needle` occurs in `haystack` (both already folded).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBytes { h in
            needle.withUnsafeBytes { nd in
                // memchr for the first byte, memcmp for the rest (memmem is a GNU extension).
                guard let hb = h.baseAddress, let nb = nd.baseAddress else { return false }
                let first = Int32(nd[0])
                var p = hb
                let lastStart = hb + (h.count - nd.count)
                while p <= lastStart, let hit = memchr(p, first, lastStart - p + 1) {
                    if memcmp(hit, nb, nd.count) == 0 { return true }
                    p = UnsafeRawPointer(hit) + 1
                }
                return false
            }
        }
    }
}
