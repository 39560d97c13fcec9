internal import CTextScan
import Foundation
import SodiumKit

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
        /// Per BMP scalar, 0 until first seen; then bit 0 set, bit 1 set if it combines with the
        /// scalar before it, bits 4-7 the length of its folded form (up to 7 bytes; 15 if longer,
        /// kept in `long`), bits 8-63 those bytes. A flat table, not a dictionary: hashing and
        /// the property lookups cost more than the rest of folding a scalar.
        private let table: UnsafeMutablePointer<UInt64>
        /// Folded forms of scalars outside the BMP, and of those longer than 7 bytes.
        var long: [UInt32: [UInt8]] = [:]

        init() {
            table = .allocate(capacity: 0x10000)
            table.initialize(repeating: 0, count: 0x10000)
        }

        deinit {
            // The table says which characters outside the fast set the testimony used.
            Sodium.wipe(UnsafeMutableRawBufferPointer(start: table, count: 0x10000 * MemoryLayout<UInt64>.stride))
            table.deallocate()
        }

        /// The table entry of a BMP scalar (`s` < 0x10000, not a surrogate).
        @inline(__always)
        func entry(_ s: UInt32) -> UInt64 {
            let e = table[Int(s)]
            return e != 0 ? e : fill(s)
        }

        private func fill(_ s: UInt32) -> UInt64 {
            guard let scalar = Unicode.Scalar(s) else { return 1 }
            let f = TextFolding.general(String(scalar))
            var e: UInt64 = 1 | (TextFolding.attaches(s) ? 2 : 0)
            if f.count <= 7 {
                e |= UInt64(f.count) << 4
                for (k, b) in f.enumerated() { e |= UInt64(b) << (8 + 8 * k) }
            } else {
                e |= 15 << 4
                long[s] = f
            }
            table[Int(s)] = e
            return e
        }

        func attaches(_ s: UInt32) -> Bool {
            if TextFolding.isFast(s) { return false }
            return s < 0x10000 ? entry(s) & 2 != 0 : TextFolding.attaches(s)
        }

        /// The folded form of one scalar on its own.
        func folded(_ s: UInt32) -> [UInt8] {
            if s < 0x10000 {
                let e = entry(s)
                let n = Int(e >> 4 & 15)
                if n < 15 { return (0..<n).map { UInt8(truncatingIfNeeded: e >> (8 + 8 * $0)) } }
            }
            if let f = long[s] { return f }
            let f = Unicode.Scalar(s).map { TextFolding.general(String($0)) } ?? []
            long[s] = f
            return f
        }
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
        for s in folded.unicodeScalars
        where s.properties.generalCategory != .nonspacingMark
            && s.properties.generalCategory != .spacingMark && s.properties.generalCategory != .enclosingMark
        {
            scalars.append(s)
        }
        return Array(String(scalars).precomposedStringWithCanonicalMapping.utf8)
    }

    /// Folds UTF-8 bytes; nil if they are not valid UTF-8.
    static func fold(utf8 bytes: UnsafeRawBufferPointer, cache: Cache? = nil) -> [UInt8]? {
        var capacity = bytes.count + 16
        while true {
            var result: Outcome = .invalidUTF8
            let out = [UInt8](unsafeUninitializedCapacity: capacity) { buf, count in
                result = fold(utf8: bytes, into: UnsafeMutableRawBufferPointer(buf), cache: cache)
                if case .folded(let n) = result { count = n } else { count = 0 }
            }
            switch result {
            case .folded: return out
            case .invalidUTF8: return nil
            case .needsRoom: capacity *= 2
            }
        }
    }

    enum Outcome: Equatable {
        /// The folded text fills the first `n` bytes of the output.
        case folded(Int)
        case invalidUTF8
        /// The output buffer is too small (compatibility mappings can expand text): retry with a
        /// larger one. The buffer holds a partial result.
        case needsRoom
    }

    /// Folds UTF-8 bytes into `out` without allocating (search folds each record into one locked,
    /// reused buffer). Same result as `general(_:)` on the whole text.
    ///
    /// Runs already in folded form (ASCII up to case; Hangul syllables; CJK ideographs) are copied,
    /// sixteen bytes at a time where possible (`sourcevault_fold_blocks`, SSE2). Any other scalar is folded on its own (through `cache`) when nothing combines with
    /// it; otherwise the run from it, or from the fast scalar just copied if it combines with that
    /// one ("e" then U+0301, a syllable then a trailing jamo), to the next fast scalar that nothing
    /// combines with goes through `general`. Each scalar is decoded once on the fast path.
    static func fold(utf8 bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, cache: Cache? = nil) -> Outcome
    {
        let n = bytes.count
        guard n > 0, let src = bytes.baseAddress else { return .folded(0) }
        guard let dst = out.baseAddress else { return .needsRoom }
        let capacity = out.count
        var i = 0, o = 0
        // Input length of the fast scalar copied last, if it ends at `i` (0 otherwise): it is
        // taken back when the next scalar combines with it.
        var lastFast = 0
        // Where the block step last stopped: the scalar there goes through the paths below first.
        var stoppedAt = -1
        while i < n {
            if i != stoppedAt && i &+ 18 <= n && o &+ 16 <= capacity {
                let step = sourcevault_fold_blocks(
                    src.assumingMemoryBound(to: UInt8.self) + i, n - i,
                    dst.assumingMemoryBound(to: UInt8.self) + o, capacity - o)
                if step > 0 {
                    i &+= step; o &+= step
                    // The block step ends after an ASCII byte or a three-byte scalar, so the byte
                    // before `i` (inside what it consumed) says which.
                    lastFast = src.load(fromByteOffset: i &- 1, as: UInt8.self) < 0x80 ? 1 : 3
                }
                stoppedAt = i
            }
            guard i < n else { break }
            let b = src.load(fromByteOffset: i, as: UInt8.self)
            if b < 0x80 {
                guard o < capacity else { return .needsRoom }
                dst.storeBytes(of: b &- 65 < 26 ? b | 0x20 : b, toByteOffset: o, as: UInt8.self)
                i &+= 1; o &+= 1; lastFast = 1
                continue
            }
            // Three-byte scalars (Hangul syllables, CJK ideographs) decoded inline.
            if b & 0xF0 == 0xE0 && i &+ 2 < n {
                let c1 = src.load(fromByteOffset: i &+ 1, as: UInt8.self), c2 = src.load(fromByteOffset: i &+ 2, as: UInt8.self)
                if c1 & 0xC0 == 0x80 && c2 & 0xC0 == 0x80 {
                    let v = (UInt32(b & 0x0F) << 12) | (UInt32(c1 & 0x3F) << 6) | UInt32(c2 & 0x3F)
                    // >= 0x800: an overlong encoding of ASCII is not UTF-8 (decode refuses it).
                    if v >= 0x800 && isFast(v) {
                        guard o &+ 3 <= capacity else { return .needsRoom }
                        dst.storeBytes(of: b, toByteOffset: o, as: UInt8.self)
                        dst.storeBytes(of: c1, toByteOffset: o &+ 1, as: UInt8.self)
                        dst.storeBytes(of: c2, toByteOffset: o &+ 2, as: UInt8.self)
                        i &+= 3; o &+= 3; lastFast = 3
                        continue
                    }
                }
            }
            guard let (s, len) = decode(bytes, i) else { return .invalidUTF8 }
            if isFast(s) {
                guard o &+ len <= capacity else { return .needsRoom }
                (dst + o).copyMemory(from: src + i, byteCount: len)
                i &+= len; o &+= len; lastFast = len
                continue
            }
            var start = i
            if lastFast > 0 && (cache?.attaches(s) ?? attaches(s)) {
                // Never before the buffers: `lastFast` is the length of a scalar just copied.
                precondition(lastFast <= i && lastFast <= o)
                start = i - lastFast
                o -= lastFast
            }
            lastFast = 0
            var end = i + len
            if start == i, let cache, !attachesToPrevious(bytes, end, cache: cache) {
                // One scalar on its own: its folded form is context-free.
                if s < 0x10000 {
                    let e = cache.entry(s)
                    let flen = Int(e >> 4 & 15)
                    if flen < 15 {
                        guard o &+ 8 <= capacity else { return .needsRoom }
                        dst.storeBytes(of: e >> 8, toByteOffset: o, as: UInt64.self)
                        o &+= flen
                        i = end
                        continue
                    }
                }
                let f = cache.folded(s)
                guard o + f.count <= capacity else { return .needsRoom }
                f.withUnsafeBytes { if let q = $0.baseAddress { (dst + o).copyMemory(from: q, byteCount: $0.count) } }
                o += f.count
                i = end
                continue
            }
            while end < n {
                guard let (t, tlen) = decode(bytes, end) else { return .invalidUTF8 }
                if isFast(t) && !attachesToPrevious(bytes, end + tlen) { break }
                end += tlen
            }
            let f = general(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
            guard o + f.count <= capacity else { return .needsRoom }
            f.withUnsafeBytes { if let p = $0.baseAddress { (dst + o).copyMemory(from: p, byteCount: $0.count) } }
            o += f.count
            i = end
        }
        return .folded(o)
    }

    /// ASCII, Hangul syllables and CJK ideographs: already in folded form (ASCII up to case).
    @inline(__always)
    static func isFast(_ s: UInt32) -> Bool {
        s < 0x80 || (0xAC00...0xD7A3).contains(s) || (0x4E00...0x9FFF).contains(s) || (0x3400...0x4DBF).contains(s)
    }

    /// True if the scalar at `i` combines with the one before it, so the two must be folded together.
    @inline(__always)
    static func attachesToPrevious(_ bytes: UnsafeRawBufferPointer, _ i: Int, cache: Cache? = nil) -> Bool {
        guard i < bytes.count, bytes[i] >= 0x80, let (s, _) = decode(bytes, i) else { return false }
        return cache?.attaches(s) ?? attaches(s)
    }

    /// True for a scalar that combines with the one before it: a mark, a conjoining jamo, a
    /// variation selector or other default-ignorable.
    static func attaches(_ s: UInt32) -> Bool {
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

    /// Looks for a folded needle in short texts (titles, tags, aliases), folding each into one
    /// reused buffer instead of a new array.
    struct Matcher {
        let needle: [UInt8]
        let cache: Cache
        private var buffer = [UInt8](repeating: 0, count: 512)

        init(needle: [UInt8], cache: Cache) {
            self.needle = needle
            self.cache = cache
        }

        /// Zeroes the buffer (it held folded titles, tags and aliases).
        mutating func wipe() {
            buffer.withUnsafeMutableBytes { Sodium.wipe($0) }
        }

        mutating func matches(_ text: String) -> Bool {
            var text = text
            return text.withUTF8 { src in
                while true {
                    let outcome = buffer.withUnsafeMutableBytes {
                        fold(utf8: UnsafeRawBufferPointer(src), into: $0, cache: cache)
                    }
                    switch outcome {
                    case .folded(let n):
                        return buffer.withUnsafeBytes { contains(UnsafeRawBufferPointer(rebasing: $0[0..<n]), needle) }
                    case .invalidUTF8: return false  // a String is valid UTF-8
                    case .needsRoom: buffer = [UInt8](repeating: 0, count: buffer.count * 2)
                    }
                }
            }
        }
    }

    /// True if `needle` occurs in `haystack` (both already folded).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBytes { contains($0, needle) }
    }

    /// Bytes a query's words may be separated by (after folding): space, hyphen, underscore, tab,
    /// line breaks. A query holding one matches text with any run of them, or none, in its place
    /// and around its letters, as redaction rules do: `hye jin` finds "Hye-jin" and "Hyejin".
    @inline(__always)
    static func isSeparator(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x2D || b == 0x5F || b == 0x09 || b == 0x0A || b == 0x0D
    }

    static func contains(_ h: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool { firstMatch(h, needle) != nil }

    /// Where `needle` first occurs in `h` (both folded), as `contains` finds it; nil if nowhere.
    static func firstMatch(_ h: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Int? {
        guard !needle.isEmpty else { return 0 }
        if needle.contains(where: isSeparator) { return firstMatchIgnoringSeparators(h, needle.filter { !isSeparator($0) }) }
        guard h.count >= needle.count else { return nil }
        return needle.withUnsafeBytes { (nd) -> Int? in
            // memchr for the needle's least common byte, memcmp for the whole needle at each hit
            // (memmem is a GNU extension; scanning for a common first byte such as "t" stops
            // every few bytes of English).
            guard let hb = h.baseAddress, let nb = nd.baseAddress else { return nil }
            var k = 0
            for j in 1..<nd.count where commonness[Int(nd[j])] < commonness[Int(nd[k])] { k = j }
            let probe = Int32(nd[k])
            let lastStart = hb + (h.count - nd.count)
            var p = hb + k
            while p <= lastStart + k, let hit = memchr(p, probe, lastStart + k - p + 1) {
                if memcmp(UnsafeRawPointer(hit) - k, nb, nd.count) == 0 { return UnsafeRawPointer(hit) - k - hb }
                p = UnsafeRawPointer(hit) + 1
            }
            return nil
        }
    }

    /// True if `letters` (no separators) occur in `h` when separators in `h` are skipped. Only
    /// for queries that hold a separator: a byte walk from each occurrence of the first byte.
    static func firstMatchIgnoringSeparators(_ h: UnsafeRawBufferPointer, _ letters: [UInt8]) -> Int? {
        guard let first = letters.first else { return 0 }
        guard let hb = h.baseAddress else { return nil }
        var p = 0
        while p < h.count, let hit = memchr(hb + p, Int32(first), h.count - p) {
            let start = UnsafeRawPointer(hit) - hb
            var i = start + 1
            var j = 1
            while j < letters.count && i < h.count {
                let b = h[i]
                if b == letters[j] {
                    j += 1
                } else if !isSeparator(b) {
                    break
                }
                i += 1
            }
            if j == letters.count { return start }
            p = start + 1
        }
        return nil
    }

    /// How common a byte is in folded testimony (higher: more common), to pick what to scan for:
    /// English letters by frequency, the space, UTF-8 lead and continuation bytes of Hangul and
    /// CJK text. A guess, not a measurement; it only changes speed.
    static let commonness: [UInt8] = {
        var t = [UInt8](repeating: 1, count: 256)
        for (rank, c) in "zqjxkvbpygfwmucldrhsnioate".utf8.enumerated() { t[Int(c)] = UInt8(2 + rank) }
        t[0x20] = 40
        for b in 0x80...0xBF { t[b] = 35 }
        for b in 0xE0...0xEF { t[b] = 30 }
        return t
    }()
}

/// For the folding fuzz target only (`make fuzz`): the search folding and the reference folding.
@_spi(Fuzzing) public enum FoldingProbe {
    /// Folded bytes, nil if not UTF-8 (through a cache, as search folds).
    public static func fold(_ bytes: UnsafeRawBufferPointer, cache: Bool) -> [UInt8]? {
        TextFolding.fold(utf8: bytes, cache: cache ? sharedCache : nil)
    }

    public static func reference(_ text: String) -> [UInt8] { TextFolding.general(text) }

    nonisolated(unsafe) static let sharedCache = TextFolding.Cache()
}
