/// What a text looks like on screen, as opposed to its characters: invisible formatting
/// characters, and right-to-left controls that make a terminal or browser show characters in an
/// order other than the one they are stored in.
public enum DisplaySafety {
    /// `text` without bidirectional controls (embeddings, overrides, isolates, the LRM/RLM/ALM
    /// marks) and the other invisible format characters (zero-width space, joiners and
    /// non-joiners, word joiner, BOM, soft hyphen, invisible operators, tag characters, variation
    /// selectors, Hangul fillers: Unicode's format characters and default-ignorable code points),
    /// and how many were removed. Kept: a zero-width joiner between two emoji and the text/emoji
    /// presentation selectors (U+FE0E, U+FE0F) after an emoji or in a keycap, so emoji sequences
    /// still show.
    public static func removingInvisibleFormatting(_ text: String) -> (text: String, removed: Int) {
        // Read in place (no copy of the text).
        var text = text
        let (kept, removed) = text.withUTF8 { invisibleFormatting(in: $0, removing: true) }
        guard removed > 0 else { return (text, 0) }
        return (String(decoding: kept, as: UTF8.self), removed)
    }

    /// How many characters ``removingInvisibleFormatting(_:)`` removes from the text whose UTF-8
    /// is `b` (valid UTF-8), and with `removing`, the UTF-8 of the text without them (empty when
    /// there are none): a caller that checks the bytes before it needs them as a string does not
    /// hold the text twice meanwhile.
    public static func invisibleFormatting(in b: UnsafeBufferPointer<UInt8>, removing: Bool) -> (utf8: [UInt8], removed: Int) {
        // Eight ASCII bytes at a time.
        guard let base = b.baseAddress else { return ([], 0) }
        let raw = UnsafeRawPointer(base)
        let n = b.count
        func scalar(at i: Int) -> UInt32 { TextSupport.decode(b, i).0 }
        var out: [UInt8] = []
        var copied = 0
        var removed = 0
        var i = 0
        // The last character looked up (a text repeating one character looks it up once).
        var last: (scalar: UInt32, invisible: Bool) = (0, false)
        while i < n {
            let lead = b[i]
            if lead < 0x80 {
                i += 1
                while i + 8 <= n, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    i += 8
                }
                continue
            }
            let len = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            // Every such character has one of these lead bytes; most text has none of them.
            guard leadBytes[Int(lead)] else { i += len; continue }
            let v = scalar(at: i)
            if v != last.scalar { last = (v, Unicode.Scalar(v).map(isInvisibleFormat) ?? false) }
            if last.invisible, let s = Unicode.Scalar(v) {
                var keep = false
                if s.value == 0xFE0E || s.value == 0xFE0F || s.value == 0x200D, i > 0 {
                    var k = i - 1
                    while k > 0 && b[k] & 0xC0 == 0x80 { k -= 1 }
                    if let before = Unicode.Scalar(scalar(at: k)) {
                        let next = i + len < n ? Unicode.Scalar(scalar(at: i + len)) : nil
                        if isEmoji(before) {
                            keep = s.value != 0x200D || next.map(isEmoji) == true
                        } else {
                            // A keycap: 0-9, # or * with a presentation selector before U+20E3 ("1️⃣").
                            keep =
                                s.value != 0x200D && next?.value == 0x20E3 && "0123456789#*".unicodeScalars.contains(before)
                        }
                    }
                }
                if !keep {
                    if removing {
                        if out.isEmpty { out.reserveCapacity(n) }
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[copied..<i]))
                    }
                    copied = i + len
                    removed += 1
                }
            }
            i += len
        }
        if removing, removed > 0 { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[copied...])) }
        return (out, removed)
    }

    /// Lead bytes of the UTF-8 forms of every format and default-ignorable character.
    private static let leadBytes: [Bool] = (0..<256).map {
        [0xC2, 0xCD, 0xD8, 0xDB, 0xDC, 0xE0, 0xE1, 0xE2, 0xE3, 0xEF, 0xF0, 0xF3].contains($0)
    }

    /// A format character (general category Cf) or default-ignorable code point: nothing a reader
    /// sees, but it can reorder, join or hide what they do see.
    public static func isInvisibleFormat(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        // General punctuation (quotes, dashes: common) decided without a property lookup.
        if v >= 0x2000 && v <= 0x206F {
            return (0x200B...0x200F).contains(v) || (0x202A...0x202E).contains(v) || v >= 0x2060
        }
        let p = s.properties
        return p.generalCategory == .format || p.isDefaultIgnorableCodePoint
    }

    static func isEmoji(_ s: Unicode.Scalar) -> Bool {
        s.value > 0x7F && (s.properties.isEmoji || s.value == 0xFE0F)
    }

    /// Bidirectional controls that start a right-to-left run: RLE, RLO, RLI.
    static func opensRightToLeft(_ v: UInt32) -> Bool { v == 0x202B || v == 0x202E || v == 0x2067 }

    /// The text with each right-to-left run (from RLE, RLO or RLI to the control that closes it,
    /// or the end of the line) reversed by grapheme clusters, as it is displayed: `U+202E
    /// loy-gnoJ iR` shows "Ri Jong-yol". Bidi controls themselves are left out. Nil if there is no
    /// such run.
    static func reversedRuns(_ b: [UInt8], meter: WorkMeter? = nil) -> TextView? {
        // RLE E2 80 AB, RLO E2 80 AE, RLI E2 81 A7.
        var found = false
        var from = 0
        while !found, let k = TextSupport.firstOffset(of: 0xE2, in: b, from: from), k + 2 < b.count {
            let (b1, b2) = (b[k + 1], b[k + 2])
            found = (b1 == 0x80 && (b2 == 0xAB || b2 == 0xAE)) || (b1 == 0x81 && b2 == 0xA7)
            from = k + 1
        }
        guard found else { return nil }

        var view = TextView(kind: .reversed)
        view.bytes.reserveCapacity(b.count)
        var stack: [UInt32] = []
        var isolates = 0  // isolates on the stack: a PDI with none does not scan it
        var rtlDepth: Int? = nil  // stack depth at which the outermost right-to-left run opened
        var run: [UInt8] = []  // that run's bytes, controls left out
        var runOrigin: [UInt32] = []

        func flush() {
            guard !run.isEmpty else { return }
            let text = String(decoding: run, as: UTF8.self)
            var clusters: [Range<Int>] = []
            var start = 0
            for c in text {
                let len = c.utf8.count
                clusters.append(start..<(start + len))
                start += len
            }
            for r in clusters.reversed() {
                for j in r { view.append(run[j], from: Int(runOrigin[j])) }
            }
            run.removeAll(keepingCapacity: true)
            runOrigin.removeAll(keepingCapacity: true)
        }

        var i = 0
        while i < b.count {
            let len = b[i] < 0x80 ? 1 : b[i] < 0xE0 ? 2 : b[i] < 0xF0 ? 3 : 4
            let v = TextSupport.scalar(b, at: i)
            switch v {
            case 0x0A, 0x0D, 0x85, 0x2029:  // a paragraph ends every embedding
                flush(); rtlDepth = nil; stack.removeAll(); isolates = 0
                view.append(b[i], from: i)
                if len > 1 { for j in 1..<len { view.append(b[i + j], from: i) } }
            case 0x202A, 0x202B, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068:
                if rtlDepth == nil, opensRightToLeft(v) { rtlDepth = stack.count }
                stack.append(v)
                if v >= 0x2066 { isolates += 1 }
            case 0x202C:  // PDF closes the innermost embedding or override
                if let top = stack.last, !(0x2066...0x2068).contains(top) { stack.removeLast() }
            case 0x2069:  // PDI closes the innermost isolate and everything opened inside it
                // Only when there is one, and what the scan passes over is removed: each control
                // is scanned once.
                if isolates > 0 {
                    var k = stack.count - 1
                    while k >= 0 && !(0x2066...0x2068).contains(stack[k]) { k -= 1 }
                    meter?.add(stack.count - max(k, 0))
                    if k >= 0 {
                        isolates -= 1
                        stack.removeSubrange(k...)
                    }
                }
            case 0x200E, 0x200F, 0x061C:
                break
            default:
                if rtlDepth != nil {
                    for j in 0..<len { run.append(b[i + j]); runOrigin.append(UInt32(i)) }
                } else {
                    for j in 0..<len { view.append(b[i + j], from: i) }
                }
            }
            if let d = rtlDepth, stack.count <= d { flush(); rtlDepth = nil }
            i += len
        }
        flush()
        return view
    }
}
