import Foundation

/// Helpers on raw UTF-8: line numbers, grapheme-cluster snapping, NFC checks.
package enum TextSupport {
    /// How many `\n` bytes `b[range]` holds, by memchr (vectorized: a byte loop costs several
    /// instructions per byte).
    package static func newlines(in b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        guard let base = b.baseAddress, !range.isEmpty else { return 0 }
        var n = 0
        var p = base + range.lowerBound
        let stop = base + range.upperBound
        while p < stop, let hit = memchr(p, 0x0A, stop - p) {
            n += 1
            p = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return n
    }

    /// The first offset at or after `from` holding `byte`, by memchr (vectorized: a byte loop
    /// costs several instructions per byte of a 10 MB excerpt).
    static func firstOffset(of byte: UInt8, in b: [UInt8], from: Int = 0) -> Int? {
        guard from < b.count else { return nil }
        return b.withUnsafeBufferPointer { p -> Int? in
            guard let base = p.baseAddress, let hit = memchr(base + from, Int32(byte), p.count - from) else { return nil }
            return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
        }
    }

    /// 1-based line numbers for ascending byte offsets, in one pass (lines end at `\n`).
    /// `body` given a function that returns `make()`: made the first time it is asked for, kept
    /// after (a text as a string that only some patterns need, made at most once).
    static func once<T>(_ make: () -> String, _ body: (() -> String) -> T) -> T {
        var made: String?
        // (Both closures are called only within this call.)
        return withoutActuallyEscaping(make) { make in
            body {
                if let made { return made }
                let string = make()
                made = string
                return string
            }
        }
    }

    struct LineCounter {
        private let bytes: [UInt8]
        private var position = 0
        private var line = 1

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        /// Line of `offset`; offsets must not decrease between calls (else it restarts).
        mutating func line(at offset: Int) -> Int {
            if offset < position { position = 0; line = 1 }
            let end = min(offset, bytes.count)
            guard position < end else { return line }
            line += bytes.withUnsafeBufferPointer { TextSupport.newlines(in: $0, position..<end) }
            position = end
            return line
        }
    }

    /// Start of the scalar that ends at `p` (p > 0).
    @inline(__always) static func previousScalarStart(_ bytes: [UInt8], _ p: Int) -> Int {
        var k = p - 1
        while k > 0 && bytes[k] & 0xC0 == 0x80 { k -= 1 }
        return k
    }

    @inline(__always) static func nextScalarEnd(_ bytes: [UInt8], _ p: Int) -> Int {
        var k = p + 1
        while k < bytes.count && bytes[k] & 0xC0 == 0x80 { k += 1 }
        return k
    }

    static func scalar(_ bytes: [UInt8], at i: Int) -> UInt32 {
        let b0 = bytes[i]
        if b0 < 0x80 { return UInt32(b0) }
        if b0 < 0xE0 { return (UInt32(b0 & 0x1F) << 6) | UInt32(bytes[i + 1] & 0x3F) }
        if b0 < 0xF0 {
            return (UInt32(b0 & 0x0F) << 12) | (UInt32(bytes[i + 1] & 0x3F) << 6) | UInt32(bytes[i + 2] & 0x3F)
        }
        return (UInt32(b0 & 0x07) << 18) | (UInt32(bytes[i + 1] & 0x3F) << 12)
            | (UInt32(bytes[i + 2] & 0x3F) << 6) | UInt32(bytes[i + 3] & 0x3F)
    }

    /// The scalar starting at `i` of valid UTF-8, and its length in bytes.
    @inline(__always) static func decode(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b0 = b[i]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        if b0 < 0xE0 { return ((UInt32(b0 & 0x1F) << 6) | UInt32(b[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((UInt32(b0 & 0x0F) << 12) | (UInt32(b[i + 1] & 0x3F) << 6) | UInt32(b[i + 2] & 0x3F), 3)
        }
        return (
            (UInt32(b0 & 0x07) << 18) | (UInt32(b[i + 1] & 0x3F) << 12) | (UInt32(b[i + 2] & 0x3F) << 6)
                | UInt32(b[i + 3] & 0x3F), 4
        )
    }

    /// Scalars no grapheme rule (UAX #29) ever joins to a neighbour of the same set: printable
    /// ASCII and controls other than CR, Han ideographs, precomposed Hangul syllables. Between
    /// two of them there is always a cluster boundary (syllable+syllable breaks; only a trailing
    /// jamo would join, and jamo are not in the set).
    @inline(__always) static func isSimple(_ s: UInt32) -> Bool {
        (s < 0x80 && s != 0x0D) || (0x4E00...0x9FFF).contains(s) || (0xAC00...0xD7A3).contains(s)
    }

    /// True when `p` is certainly a grapheme-cluster boundary without looking further.
    static func isCertainBoundary(_ bytes: [UInt8], _ p: Int) -> Bool {
        if p <= 0 || p >= bytes.count { return true }
        if bytes[p - 1] == 0x0A { return true }  // GB4: always break after LF
        let before = scalar(bytes, at: previousScalarStart(bytes, p))
        return isSimple(before) && isSimple(scalar(bytes, at: p))
    }

    /// Widens `[lo, hi)` to whole grapheme clusters. `floor` is a known boundary ≤ lo (the end of
    /// the previous redaction) that bounds the backward scan, so snapping all spans is linear.
    static func snapToGraphemes(_ bytes: [UInt8], _ lo: Int, _ hi: Int, floor: Int) -> Range<Int> {
        // Common case: both ends are already certain boundaries. The scans below would then stop
        // at once (p = lo, q = hi) and the window's clusters would give back exactly lo..<hi, so
        // skip building the window String and segmenting it.
        if lo <= hi && isCertainBoundary(bytes, lo) && isCertainBoundary(bytes, hi) { return lo..<hi }
        var p = lo
        while p > floor && !isCertainBoundary(bytes, p) { p = previousScalarStart(bytes, p) }
        var q = hi
        while q < bytes.count && !isCertainBoundary(bytes, q) { q = nextScalarEnd(bytes, q) }
        // p and q are true boundaries, so Swift's segmentation of the window equals its
        // segmentation of the whole text there.
        let window = String(decoding: bytes[p..<q], as: UTF8.self)
        var start = p, end = q
        var offset = p
        for c in window {
            let next = offset + c.utf8.count
            if offset <= lo { start = offset }
            if next >= hi && end == q { end = next; break }
            offset = next
        }
        return start..<max(end, start)
    }

    /// Is the text in Normalization Form C? A fast pass accepts text made only of scalars that are
    /// NFC-stable with combining class 0 (below U+0300, Han, Hangul syllables); anything else is
    /// checked by normalizing and comparing bytes.
    static func isNFC(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isNFC($0) }
    }

    static func isNFC(_ bytes: UnsafeBufferPointer<UInt8>, pieceSize: Int = 64 << 10) -> Bool {
        if isFastNFC(bytes) { return true }
        // Piece by piece (pieces of about 64 KiB, cut where normalization may stop and start
        // again): the same answer as normalizing the whole text, in memory bounded by a piece.
        for piece in nfcPieces(bytes, size: pieceSize) {
            let b = UnsafeBufferPointer(rebasing: bytes[piece])
            if isFastNFC(b) { continue }
            let text = String(decoding: b, as: UTF8.self)
            if !text.precomposedStringWithCanonicalMapping.utf8.elementsEqual(b) { return false }
        }
        return true
    }

    /// Only ASCII, Latin-1 to U+02FF, Hangul syllables and CJK ideographs (all of them NFC whatever
    /// surrounds them).
    static func isFastNFC(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = b.count
        guard let base = b.baseAddress else { return true }
        let p = UnsafeRawPointer(base)
        // Wrapping arithmetic: i < n bounds every index, and trap checks cost per byte.
        while i < n {
            let b0 = b[i]
            if b0 < 0x80 {
                i &+= 1
                // Eight ASCII bytes at a time (words of Latin script between the others).
                while i &+ 8 <= n, p.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    i &+= 8
                }
                continue
            }
            if b0 < 0xCC { i &+= 2; continue }  // U+0080..U+02FF
            guard b0 >= 0xE0 && b0 < 0xF0, i &+ 2 < n else { return false }
            let s = (UInt32(b0 & 0x0F) << 12) | (UInt32(b[i &+ 1] & 0x3F) << 6) | UInt32(b[i &+ 2] & 0x3F)
            // Hangul syllables first: the common non-ASCII case in the vault's text.
            guard s &- 0xAC00 <= 0xD7A3 - 0xAC00 || s &- 0x4E00 <= 0x9FFF - 0x4E00 else { return false }
            i &+= 3
        }
        return true
    }

    /// `text` in NFC, normalized piece by piece (``nfcPieces(_:)``).
    static func nfc(_ text: String, pieceSize: Int = 64 << 10) -> String {
        var text = text
        return text.withUTF8 { b in
            var out = ""
            out.reserveCapacity(b.count)
            for piece in nfcPieces(b, size: pieceSize) {
                let part = String(decoding: UnsafeBufferPointer(rebasing: b[piece]), as: UTF8.self)
                out += isFastNFC(UnsafeBufferPointer(rebasing: b[piece])) ? part : part.precomposedStringWithCanonicalMapping
            }
            return out
        }
    }

    /// Consecutive pieces of `b` of about `size` bytes, each cut before a character where NFC
    /// normalization may stop and start again: one that is the same in NFC alone (canonical
    /// combining class 0, no decomposition that NFC keeps) and does not compose with the character
    /// before it. Such a character blocks every later mark from composing with anything before it,
    /// and no reordering crosses it, so the text is NFC exactly when every piece is.
    static func nfcPieces(_ b: UnsafeBufferPointer<UInt8>, size: Int = 64 << 10) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        let n = b.count
        while start < n {
            var cut = start + size
            if cut >= n {
                out.append(start..<n)
                break
            }
            while cut < n && b[cut] & 0xC0 == 0x80 { cut += 1 }
            while cut < n && !isNFCBoundary(b, cut) { cut += scalarLength(b[cut]) }
            out.append(start..<cut)
            start = cut
        }
        return out
    }

    @inline(__always) static func scalarLength(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    /// See ``nfcPieces(_:size:)``. `i` is a scalar start after the first.
    static func isNFCBoundary(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        var k = i - 1
        while k > 0 && b[k] & 0xC0 == 0x80 { k -= 1 }
        guard let c = Unicode.Scalar(decode(b, i).0), let p = Unicode.Scalar(decode(b, k).0) else { return false }
        guard c.properties.canonicalCombiningClass.rawValue == 0 else { return false }
        // (Compared scalar by scalar: `==` on strings is canonical equivalence.)
        let alone = String(Character(c))
        guard alone.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(alone.unicodeScalars) else {
            return false
        }
        var pair = String.UnicodeScalarView()
        pair.append(p)
        pair.append(c)
        let both = String(pair)
        return both.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(both.unicodeScalars)
    }
}
