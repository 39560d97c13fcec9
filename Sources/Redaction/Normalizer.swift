import Foundation

/// How a folded unit relates to word boundaries. CJK-like scripts (Han, Hangul, Kana, Thai…)
/// have no word boundaries, so a term in them matches anywhere (Korean particles follow names).
enum UnitClass: UInt8 {
    case letter = 0, digit = 1, noBoundary = 2
}

/// What separated a unit from the one before it in the original text.
enum GapKind: UInt8 {
    /// Nothing: the two units are part of one word.
    case none = 0
    /// Only apostrophes (`Ri's`, `Ri’s`): lets a possessive extend a match.
    case apostrophe = 1
    /// Invisible or typographic: zero-width and other default-ignorable characters, soft hyphens,
    /// and a hyphenated line break (`Jong-\nyol`). Allowed inside a term anywhere *and* counted
    /// as a word boundary, so both readings are caught.
    case optional = 2
    /// Whitespace, dashes, punctuation, symbols.
    case separator = 3
}

/// Folding variants: `.standard` for redaction, `.skeleton` adds TR39-style confusable mapping
/// for the leak check (Cyrillic/Greek lookalikes, 0/o, 1/l/I, rn/m).
enum FoldMode: Sendable {
    case standard, skeleton
}

/// The folded form of a text: a UTF-8 string of letters and digits only, with an offset map.
///
/// Every folded *byte* carries the UTF-8 range `[origStart, origEnd)` of the original scalar(s)
/// its unit came from, plus flags: bits 0–1 the `UnitClass`, bits 2–3 the `GapKind` before the
/// unit. All bytes of one unit carry the same values, so a match's first and last bytes map
/// straight back to the original.
struct FoldedText {
    var bytes: [UInt8] = []
    var origStart: [UInt32] = []
    var origEnd: [UInt32] = []
    var flags: [UInt8] = []

    var count: Int { bytes.count }

    /// Flag bit: the separator gap before this unit is one dash alone.
    static let dashOnlyFlag: UInt8 = 0x10

    @inline(__always) func unitClass(_ i: Int) -> UnitClass { UnitClass(rawValue: flags[i] & 3) ?? .letter }
    @inline(__always) func gap(_ i: Int) -> GapKind { GapKind(rawValue: (flags[i] >> 2) & 3) ?? .separator }
}

/// Cached folding of one non-ASCII scalar.
private struct FoldEntry {
    enum Kind { case drop, separator, units }
    var kind: Kind
    var separator: SeparatorKind = .other
    var units: [UInt32] = []
    var classes: [UnitClass] = []
}

private enum SeparatorKind { case apostrophe, dash, newline, space, ignorable, softHyphen, other }

/// Folds text for matching: compatibility decomposition (NFKD), no combining marks, no
/// default-ignorable characters, case-folded, Hangul recomposed into syllables (so jamo input
/// equals precomposed input), separators removed but remembered as gap flags.
///
/// One `Folder` is used by one call at a time: it keeps a cache of non-ASCII scalars.
struct Folder {
    let mode: FoldMode
    private var cache: [UInt32: FoldEntry] = [:]

    init(mode: FoldMode) { self.mode = mode }

    /// ASCII fast path: folded byte (0 = separator) and kind.
    private static let asciiTables: (standard: [UInt8], skeleton: [UInt8], kind: [UInt8]) = {
        var standard = [UInt8](repeating: 0, count: 128)
        var kind = [UInt8](repeating: 8, count: 128)  // 8 = other separator
        for b in 0..<128 {
            let c = UInt8(b)
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): standard[b] = c; kind[b] = 0
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): standard[b] = c + 32; kind[b] = 0
            case UInt8(ascii: "0")...UInt8(ascii: "9"): standard[b] = c; kind[b] = 1
            case UInt8(ascii: "'"), UInt8(ascii: "`"): kind[b] = 4
            case UInt8(ascii: "-"): kind[b] = 5
            case 0x0A, 0x0B, 0x0C, 0x0D: kind[b] = 6
            case 0x20, 0x09: kind[b] = 7
            default: break
            }
        }
        var skeleton = standard
        // TR39 skeletons fold these together; we case-fold first, so I and l both end up as l.
        skeleton[Int(UInt8(ascii: "0"))] = UInt8(ascii: "o")
        skeleton[Int(UInt8(ascii: "1"))] = UInt8(ascii: "l")
        skeleton[Int(UInt8(ascii: "i"))] = UInt8(ascii: "l")
        skeleton[Int(UInt8(ascii: "I"))] = UInt8(ascii: "l")
        skeleton[Int(UInt8(ascii: "|"))] = UInt8(ascii: "l")
        var skeletonKind = kind
        for d in [UInt8(ascii: "0"), UInt8(ascii: "1"), UInt8(ascii: "|")] { skeletonKind[Int(d)] = 0 }
        // Pack the skeleton kind overrides into `skeleton` by using the high bit as "is letter".
        for b in 0..<128 where skeletonKind[b] == 0 && kind[b] != 0 { skeleton[b] |= 0x80 }
        return (standard, skeleton, kind)
    }()

    /// ASCII units for the hot loop, one lookup per byte: 0 = not a unit (separator or escape),
    /// else the folded byte in bits 0–6 and bit 7 set for a digit. Derived from `asciiTables`
    /// (same folding, same classes), so the two cannot disagree.
    private static let unitTables: (standard: [UInt8], skeleton: [UInt8]) = {
        func table(_ fold: [UInt8]) -> [UInt8] {
            (0..<128).map { b in
                var folded = fold[b]
                guard folded != 0 else { return 0 }
                var digit = asciiTables.kind[b] == 1
                if folded & 0x80 != 0 { folded &= 0x7F; digit = false }
                return folded | (digit ? 0x80 : 0)
            }
        }
        return (table(asciiTables.standard), table(asciiTables.skeleton))
    }()

    /// Flags of a unit after a gap holding only an ignorable (what `GapTracker.add(.ignorable)`
    /// then `flags()` yields), used for the camelCase boundary without touching the tracker.
    private static let camelCaseGapFlags: UInt8 = {
        var gap = GapTracker()
        gap.add(.ignorable)
        return gap.flags()
    }()

    /// Folds UTF-8 text (must be valid UTF-8, as every Swift `String` is).
    mutating func fold(_ input: UnsafeBufferPointer<UInt8>) -> FoldedText {
        // Write through raw buffers sized for the common case (folded ≤ original + slack); text
        // whose compatibility decompositions expand more is simply folded again with more room.
        var capacity = input.count + 64
        while true {
            var units = 0
            var ok = false
            var out = FoldedText()
            out.bytes = [UInt8](unsafeUninitializedCapacity: capacity) { bytes, c1 in
                out.origStart = [UInt32](unsafeUninitializedCapacity: capacity) { starts, c2 in
                    out.origEnd = [UInt32](unsafeUninitializedCapacity: capacity) { ends, c3 in
                        out.flags = [UInt8](unsafeUninitializedCapacity: capacity) { flags, c4 in
                            var sink = FoldSink(
                                bytes: bytes.baseAddress!, starts: starts.baseAddress!, ends: ends.baseAddress!,
                                flags: flags.baseAddress!, capacity: capacity)
                            ok = foldCore(input, &sink)
                            units = ok ? sink.count : 0
                            c4 = units
                        }
                        c3 = units
                    }
                    c2 = units
                }
                c1 = units
            }
            if ok {
                if mode == .skeleton { out = Folder.mergeMultiLetterConfusables(out) }
                return out
            }
            capacity = capacity * 4 + 64
        }
    }

    /// The folding loop proper. Returns false if the sink ran out of room.
    private mutating func foldCore(_ input: UnsafeBufferPointer<UInt8>, _ out: inout FoldSink) -> Bool {
        let n = input.count
        let tables = Folder.asciiTables
        let skeleton = mode == .skeleton
        var gap = GapTracker()
        var lastUnitScalar: UInt32 = 0  // for Hangul composition; 0 after a gap or an ASCII unit
        var prevLower = false  // last unit was an ASCII lower-case letter (camelCase word boundary)

        return tables.kind.withUnsafeBufferPointer { kinds in
            (skeleton ? Folder.unitTables.skeleton : Folder.unitTables.standard).withUnsafeBufferPointer { unitTable in
                var i = 0
                while i < n {
                    let b0 = input[i]
                    if b0 < 0x80 {
                        let unit = unitTable[Int(b0)]
                        if unit != 0 {
                            guard out.count < out.capacity else { return false }
                            // Hot path (most bytes): no separator before this unit, so its flags
                            // are just the class — no GapTracker work.
                            var flag = unit >> 7  // UnitClass.letter (0) or .digit (1)
                            if gap.isEmpty {
                                // "#SaveJongyol", "KimJongyol": lower→upper case inside a word is a
                                // word boundary that a term may also straddle ("JongYol"): the flags
                                // of a gap holding only an ignorable, precomputed.
                                if prevLower && b0 &- 0x41 < 26 { flag |= Folder.camelCaseGapFlags }
                            } else {
                                flag |= gap.flags()
                                gap.reset()
                            }
                            out.append(unit & 0x7F, UInt32(i), UInt32(i + 1), flag)
                            prevLower = b0 &- 0x61 < 26
                        } else {
                            prevLower = false
                            // Percent-encoded UTF-8 (`%EC%9D%B4` in a URL) and HTML character
                            // references (`J&#111;ng`) are read as the characters they stand for.
                            if b0 == 0x25 || b0 == 0x26 {
                                let r = foldEscape(input, i, &out, &gap, &lastUnitScalar)
                                if r < 0 { return false }
                                if r > i { i = r; continue }
                            }
                            switch kinds[Int(b0)] {
                            case 4: gap.add(.apostrophe)
                            case 5: gap.add(.dash)
                            case 6: gap.add(.newline)
                            case 7: gap.add(.space)
                            default: gap.add(.other)
                            }
                        }
                        lastUnitScalar = 0
                        i += 1
                        continue
                    }
                    // Decode one scalar (input is valid UTF-8).
                    let scalar: UInt32
                    let len: Int
                    if b0 < 0xE0 {
                        scalar = (UInt32(b0 & 0x1F) << 6) | UInt32(input[i + 1] & 0x3F); len = 2
                    } else if b0 < 0xF0 {
                        scalar = (UInt32(b0 & 0x0F) << 12) | (UInt32(input[i + 1] & 0x3F) << 6) | UInt32(input[i + 2] & 0x3F);
                        len = 3
                    } else {
                        scalar =
                            (UInt32(b0 & 0x07) << 18) | (UInt32(input[i + 1] & 0x3F) << 12)
                            | (UInt32(input[i + 2] & 0x3F) << 6) | UInt32(input[i + 3] & 0x3F);
                        len = 4
                    }
                    let start = UInt32(i), end = UInt32(i + len)
                    i += len
                    prevLower = false

                    // Fast paths: precomposed Hangul and common Han ideographs fold to themselves.
                    if (0xAC00...0xD7A3).contains(scalar) || (0x4E00...0x9FFF).contains(scalar) {
                        guard out.count + 3 <= out.capacity else { return false }
                        let flag = UnitClass.noBoundary.rawValue | gap.flags()
                        out.append3(b0, input[i - 2], input[i - 1], start, end, flag)
                        gap.reset()
                        lastUnitScalar = scalar
                        continue
                    }
                    let entry = lookup(scalar)
                    switch entry.kind {
                    case .drop:
                        // A combining mark belongs to the unit before it: stretch that unit's source
                        // range so the mark is redacted with its base letter.
                        if gap.isEmpty { out.stretchLastUnit(to: end) }
                    case .separator:
                        gap.add(entry.separator)
                        lastUnitScalar = 0
                    case .units:
                        for (u, c) in zip(entry.units, entry.classes) {
                            guard out.count + 4 <= out.capacity else { return false }
                            emit(u, c, start, end, &out, &gap, &lastUnitScalar)
                        }
                    }
                }
                return true
            }
        }
    }

    /// Appends one non-ASCII unit, composing conjoining Hangul jamo (L+V, LV+T) into a syllable so
    /// that NFD Hangul folds exactly like NFC Hangul.
    @inline(__always)
    private func emit(
        _ scalar: UInt32, _ cls: UnitClass, _ start: UInt32, _ end: UInt32, _ out: inout FoldSink,
        _ gap: inout GapTracker, _ lastUnitScalar: inout UInt32
    ) {
        if gap.isEmpty, lastUnitScalar != 0 {
            var composed: UInt32 = 0
            if (0x1161...0x1175).contains(scalar), (0x1100...0x1112).contains(lastUnitScalar) {
                composed = 0xAC00 + ((lastUnitScalar - 0x1100) * 21 + (scalar - 0x1161)) * 28
            } else if (0x11A8...0x11C2).contains(scalar), (0xAC00...0xD7A3).contains(lastUnitScalar),
                (lastUnitScalar - 0xAC00) % 28 == 0
            {
                composed = lastUnitScalar + (scalar - 0x11A7)
            }
            if composed != 0 {
                // Both the jamo and the syllable are 3 UTF-8 bytes: rewrite the last unit in place.
                out.replaceLast3(with: composed, end: end)
                lastUnitScalar = composed
                return
            }
        }
        let flag = cls.rawValue | gap.flags()
        Folder.utf8(scalar) { _, byte in out.append(byte, start, end, flag) }
        gap.reset()
        lastUnitScalar = scalar
    }

    /// At `i` (a `%` or `&`): folds a percent-encoded UTF-8 run or an HTML character reference.
    /// Returns the index after what it consumed, `i` if there is nothing to decode there, or -1 if
    /// the sink ran out of room. (Tags are not skipped here: text between `<` and `>` that is not a
    /// tag would be hidden from redaction. The leak check reads tags in its rendered view.)
    private mutating func foldEscape(
        _ input: UnsafeBufferPointer<UInt8>, _ i: Int, _ out: inout FoldSink,
        _ gap: inout GapTracker, _ lastUnitScalar: inout UInt32
    ) -> Int {
        let n = input.count
        @inline(__always) func hex(_ b: UInt8) -> UInt32? {
            switch b {
            case 0x30...0x39: return UInt32(b - 0x30)
            case 0x41...0x46: return UInt32(b - 0x41 + 10)
            case 0x61...0x66: return UInt32(b - 0x61 + 10)
            default: return nil
            }
        }
        switch input[i] {
        case 0x25:  // %XX%XX…
            // One character at a time: reading the whole run first, then decoding, read it again
            // from every '%' after an undecodable one ("%FF%FF…" was quadratic).
            @inline(__always) func escaped(_ j: Int) -> UInt8? {
                guard j + 2 < n, input[j] == 0x25, let h = hex(input[j + 1]), let l = hex(input[j + 2]) else {
                    return nil
                }
                return UInt8(h << 4 | l)
            }
            var consumed = i
            while let lead = escaped(consumed) {
                var raw = [lead]
                let len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
                while raw.count < len, let next = escaped(consumed + 3 * raw.count) { raw.append(next) }
                guard let (scalar, used) = Folder.decodeUTF8(raw, 0) else { break }
                let start = UInt32(consumed), end = UInt32(consumed + 3 * used)
                guard foldScalar(scalar, start, end, &out, &gap, &lastUnitScalar) else { return -1 }
                consumed = Int(end)
            }
            return consumed
        case 0x26:  // &#111; &#x6F; &#0000111; &oacute; &ocy; &shy; (every HTML named reference)
            var j = i + 1
            var name: [UInt8] = []
            let numeric = j < n && input[j] == 0x23
            // A numeric reference may have any number of digits (leading zeros); names are short.
            while j < n, numeric || j - i <= HTMLEntityData.longestName, input[j] != 0x3B, input[j] < 0x80,
                (input[j] == 0x23 && j == i + 1) || (input[j] | 0x20) &- 0x61 < 26 || input[j] &- 0x30 < 10
            {
                name.append(input[j]); j += 1
            }
            guard j < n, input[j] == 0x3B, !name.isEmpty, let scalars = HTMLEntities.terminated(name) else { return i }
            for scalar in scalars {
                guard foldScalar(scalar, UInt32(i), UInt32(j + 1), &out, &gap, &lastUnitScalar) else { return -1 }
            }
            return j + 1
        default:
            return i
        }
    }

    /// Folds one decoded scalar standing for the original bytes `[start, end)`.
    private mutating func foldScalar(
        _ scalar: UInt32, _ start: UInt32, _ end: UInt32, _ out: inout FoldSink,
        _ gap: inout GapTracker, _ lastUnitScalar: inout UInt32
    ) -> Bool {
        if scalar < 0x80 {
            let table = mode == .skeleton ? Folder.asciiTables.skeleton : Folder.asciiTables.standard
            var folded = table[Int(scalar)]
            if folded != 0 {
                var digit = Folder.asciiTables.kind[Int(scalar)] == 1
                if folded & 0x80 != 0 { folded &= 0x7F; digit = false }
                guard out.count < out.capacity else { return false }
                out.append(folded, start, end, (digit ? UnitClass.digit.rawValue : UnitClass.letter.rawValue) | gap.flags())
                gap.reset()
            } else {
                switch Folder.asciiTables.kind[Int(scalar)] {
                case 4: gap.add(.apostrophe)
                case 5: gap.add(.dash)
                case 6: gap.add(.newline)
                case 7: gap.add(.space)
                default: gap.add(.other)
                }
            }
            lastUnitScalar = 0
            return true
        }
        let entry = lookup(scalar)
        switch entry.kind {
        case .drop:
            if gap.isEmpty { out.stretchLastUnit(to: end) }
        case .separator:
            gap.add(entry.separator)
            lastUnitScalar = 0
        case .units:
            for (u, c) in zip(entry.units, entry.classes) {
                guard out.count + 4 <= out.capacity else { return false }
                emit(u, c, start, end, &out, &gap, &lastUnitScalar)
            }
        }
        return true
    }

    /// One well-formed UTF-8 scalar at `k`, or nil.
    static func decodeUTF8(_ b: [UInt8], _ k: Int) -> (UInt32, Int)? {
        let b0 = b[k]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        var v: UInt32
        let len: Int
        if b0 >= 0xC2 && b0 < 0xE0 {
            len = 2; v = UInt32(b0 & 0x1F)
        } else if b0 >= 0xE0 && b0 < 0xF0 {
            len = 3; v = UInt32(b0 & 0x0F)
        } else if b0 >= 0xF0 && b0 <= 0xF4 {
            len = 4; v = UInt32(b0 & 0x07)
        } else {
            return nil
        }
        guard k + len <= b.count else { return nil }
        for t in 1..<len {
            guard b[k + t] & 0xC0 == 0x80 else { return nil }
            v = v << 6 | UInt32(b[k + t] & 0x3F)
        }
        if (len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) || (0xD800...0xDFFF).contains(v) {
            return nil
        }
        return (v, len)
    }

    @inline(__always)
    static func utf8(_ s: UInt32, _ body: (Int, UInt8) -> Void) {
        if s < 0x80 {
            body(0, UInt8(s))
        } else if s < 0x800 {
            body(0, UInt8(0xC0 | (s >> 6))); body(1, UInt8(0x80 | (s & 0x3F)))
        } else if s < 0x10000 {
            body(0, UInt8(0xE0 | (s >> 12))); body(1, UInt8(0x80 | ((s >> 6) & 0x3F))); body(2, UInt8(0x80 | (s & 0x3F)))
        } else {
            body(0, UInt8(0xF0 | (s >> 18))); body(1, UInt8(0x80 | ((s >> 12) & 0x3F)))
            body(2, UInt8(0x80 | ((s >> 6) & 0x3F))); body(3, UInt8(0x80 | (s & 0x3F)))
        }
    }

    private mutating func lookup(_ scalar: UInt32) -> FoldEntry {
        if let hit = cache[scalar] { return hit }
        let entry = Folder.compute(scalar, mode: mode)
        cache[scalar] = entry
        return entry
    }

    private static let apostrophes: Set<UInt32> = [
        0x2018, 0x2019, 0x201B, 0x02BC, 0x02B9, 0x02BB, 0x02BD, 0x2032,
        0x2035, 0xFF07, 0x00B4, 0x02CA, 0x02CB, 0xA78C, 0x055A, 0x05F3
    ]
    private static let lineBreaks: Set<UInt32> = [0x2028, 0x2029, 0x0085]

    private static func compute(_ value: UInt32, mode: FoldMode) -> FoldEntry {
        guard let scalar = Unicode.Scalar(value) else { return FoldEntry(kind: .separator) }
        if mode == .skeleton, let ascii = Confusables.map[value] {
            return FoldEntry(kind: .units, units: [ascii], classes: [.letter])
        }
        if let letter = symbolLetter(value) {
            let v = mode == .skeleton ? UInt32(asciiTables.skeleton[Int(letter)] & 0x7F) : letter
            return FoldEntry(kind: .units, units: [v], classes: [.letter])
        }
        let props = scalar.properties
        if apostrophes.contains(value) { return FoldEntry(kind: .separator, separator: .apostrophe) }
        if value == 0x00AD { return FoldEntry(kind: .separator, separator: .softHyphen) }
        // Modifier letters and click letters that look like punctuation (ː ˈ ʺ ǃ ǀ): a separator,
        // not a letter glued to the word ("Kimː" reads "Kim:").
        if (0x02B9...0x02FF).contains(value) || (0x01C0...0x01C3).contains(value) || (0xA788...0xA78A).contains(value),
            String(scalar).decomposedStringWithCompatibilityMapping.unicodeScalars.elementsEqual([scalar])
        {
            return FoldEntry(kind: .separator, separator: .other)
        }
        if lineBreaks.contains(value) { return FoldEntry(kind: .separator, separator: .newline) }
        if props.isWhitespace { return FoldEntry(kind: .separator, separator: .space) }
        if props.generalCategory == .dashPunctuation || value == 0x2212 || value == 0x2043 {
            return FoldEntry(kind: .separator, separator: .dash)
        }
        if props.isDefaultIgnorableCodePoint { return FoldEntry(kind: .separator, separator: .ignorable) }
        switch props.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return FoldEntry(kind: .drop)
        default: break
        }
        var units: [UInt32] = []
        var classes: [UnitClass] = []
        for d in String(scalar).decomposedStringWithCompatibilityMapping.unicodeScalars {
            if isMarkOrIgnorable(d) { continue }
            // lower(upper(x)) approximates full case folding: ß→ss, ς→σ, ı→i.
            let folded = String(d).uppercased().lowercased().decomposedStringWithCompatibilityMapping
            for f in folded.unicodeScalars where !isMarkOrIgnorable(f) {
                if let extra = latinExtras[f.value] {
                    for e in extra.unicodeScalars {
                        var v = e.value
                        if mode == .skeleton { let s = asciiTables.skeleton[Int(v)] & 0x7F; if s != 0 { v = UInt32(s) } }
                        units.append(v)
                        classes.append(.letter)
                    }
                    continue
                }
                let p = f.properties
                guard p.isAlphabetic || p.numericType != nil else { continue }
                var v = f.value
                if mode == .skeleton {
                    if v < 0x80 {
                        let s = asciiTables.skeleton[Int(v)] & 0x7F
                        if s != 0 { v = UInt32(s) }
                    } else if let ascii = Confusables.map[v] {
                        v = ascii
                    }
                }
                units.append(v)
                classes.append(classify(v, p))
            }
        }
        if units.isEmpty { return FoldEntry(kind: .separator, separator: .other) }
        return FoldEntry(kind: .units, units: units, classes: classes)
    }

    /// Latin letters with no decomposition that readers take for a plain letter: small capitals
    /// (fancy-text generators: ᴊᴏɴɢ), stroked letters (ø ł đ), ligatures and ß (also from ẞ).
    /// Applied after case folding, so only lower-case forms are listed.
    private static let latinExtras: [UInt32: String] = {
        var m: [UInt32: String] = [:]
        let smallCaps: [(UInt32, String)] = [
            (0x1D00, "a"), (0x0299, "b"), (0x1D04, "c"), (0x1D05, "d"), (0x1D07, "e"), (0xA730, "f"), (0x0262, "g"),
            (0x029C, "h"), (0x026A, "i"), (0x1D0A, "j"), (0x1D0B, "k"), (0x029F, "l"), (0x1D0D, "m"), (0x0274, "n"),
            (0x1D0F, "o"), (0x1D18, "p"), (0xA7AF, "q"), (0x0280, "r"), (0xA731, "s"), (0x1D1B, "t"), (0x1D1C, "u"),
            (0x1D20, "v"), (0x1D21, "w"), (0x028F, "y"), (0x1D22, "z"), (0x1D01, "ae"), (0x0276, "oe")
        ]
        let stroked: [(UInt32, String)] = [
            (0x00F8, "o"), (0x0111, "d"), (0x00F0, "d"), (0x0142, "l"), (0x0127, "h"), (0x0167, "t"), (0x0180, "b"),
            (0x0268, "i"), (0x0289, "u"), (0x01B6, "z"), (0x01E5, "g"), (0x023C, "c"), (0x0247, "e"), (0x0249, "j"),
            (0x024D, "r"), (0x024F, "y"), (0x0275, "o"), (0x00E6, "ae"), (0x0153, "oe"), (0x00FE, "th"),
            (0x00DF, "ss"), (0x0138, "k"), (0x019A, "l"), (0x0253, "b"), (0x0257, "d")
        ]
        for (k, v) in smallCaps + stroked { m[k] = v }
        return m
    }()

    /// Letter-like symbols with no compatibility decomposition: negative circled and negative
    /// squared Latin capitals (🅚 🅺) and regional indicators (🇰), used to spell names "fancily".
    private static func symbolLetter(_ v: UInt32) -> UInt32? {
        switch v {
        case 0x1F150...0x1F169: return 0x61 + v - 0x1F150
        case 0x1F170...0x1F189: return 0x61 + v - 0x1F170
        case 0x1F1E6...0x1F1FF: return 0x61 + v - 0x1F1E6
        default: return nil
        }
    }

    private static func isMarkOrIgnorable(_ s: Unicode.Scalar) -> Bool {
        let p = s.properties
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return p.isDefaultIgnorableCodePoint
        }
    }

    private static func classify(_ v: UInt32, _ p: Unicode.Scalar.Properties) -> UnitClass {
        if isNoBoundaryScript(v) { return .noBoundary }
        if p.numericType != nil && !p.isAlphabetic { return .digit }
        return .letter
    }

    /// Scripts written without spaces between words (or, for Hangul, with particles glued to
    /// nouns): a term in them matches anywhere.
    static func isNoBoundaryScript(_ v: UInt32) -> Bool {
        switch v {
        case 0x0E00...0x0EFF, 0x1000...0x109F, 0x1100...0x11FF, 0x1780...0x17FF, 0x2E80...0x2FDF,
            0x3040...0x31FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA960...0xA97F, 0xAC00...0xD7FF,
            0xF900...0xFAFF, 0xFF66...0xFFDC, 0x20000...0x3FFFF:
            return true
        default:
            return false
        }
    }

    /// TR39 maps some letter pairs to one letter ("rn" looks like "m", "vv" like "w"). Runs only
    /// in skeleton mode, on ASCII units with no gap between them.
    private static func mergeMultiLetterConfusables(_ t: FoldedText) -> FoldedText {
        var out = FoldedText()
        out.bytes.reserveCapacity(t.count)
        out.origStart.reserveCapacity(t.count)
        out.origEnd.reserveCapacity(t.count)
        out.flags.reserveCapacity(t.count)
        var i = 0
        while i < t.count {
            let b = t.bytes[i]
            if i + 1 < t.count, t.gap(i + 1) == .none {
                let c = t.bytes[i + 1]
                var merged: UInt8 = 0
                if b == UInt8(ascii: "r") && c == UInt8(ascii: "n") { merged = UInt8(ascii: "m") }
                if b == UInt8(ascii: "v") && c == UInt8(ascii: "v") { merged = UInt8(ascii: "w") }
                if merged != 0 {
                    out.bytes.append(merged); out.origStart.append(t.origStart[i])
                    out.origEnd.append(t.origEnd[i + 1]); out.flags.append(t.flags[i])
                    i += 2
                    continue
                }
            }
            out.bytes.append(b); out.origStart.append(t.origStart[i])
            out.origEnd.append(t.origEnd[i]); out.flags.append(t.flags[i])
            i += 1
        }
        return out
    }
}

extension Folder {
    /// Folds a whole `String`.
    mutating func fold(_ text: String) -> FoldedText {
        var copy = text
        return copy.withUTF8 { fold($0) }
    }
}

/// Raw output buffers of one fold; the caller checks capacity before each unit.
private struct FoldSink {
    let bytes: UnsafeMutablePointer<UInt8>
    let starts: UnsafeMutablePointer<UInt32>
    let ends: UnsafeMutablePointer<UInt32>
    let flags: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0

    @inline(__always) mutating func append(_ b: UInt8, _ start: UInt32, _ end: UInt32, _ flag: UInt8) {
        bytes[count] = b; starts[count] = start; ends[count] = end; flags[count] = flag
        count += 1
    }

    @inline(__always) mutating func append3(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ start: UInt32, _ end: UInt32, _ flag: UInt8)
    {
        bytes[count] = b0; bytes[count + 1] = b1; bytes[count + 2] = b2
        // Unrolled: this runs for every Hangul syllable and Han ideograph.
        starts[count] = start; starts[count + 1] = start; starts[count + 2] = start
        ends[count] = end; ends[count + 1] = end; ends[count + 2] = end
        flags[count] = flag; flags[count + 1] = flag; flags[count + 2] = flag
        count += 3
    }

    /// Extends the source range of every byte of the last unit to `end`.
    mutating func stretchLastUnit(to end: UInt32) {
        guard count > 0 else { return }
        let unitStart = starts[count - 1]
        var k = count - 1
        while k >= 0 && starts[k] == unitStart {
            ends[k] = end
            k -= 1
        }
    }

    /// Replaces the last (3-byte) unit by `scalar` (also 3 bytes), keeping its start.
    mutating func replaceLast3(with scalar: UInt32, end: UInt32) {
        guard count >= 3 else { return }
        let base = count - 3
        Folder.utf8(scalar) { idx, byte in bytes[base + idx] = byte }
        let unitStart = starts[count - 1]
        for k in base..<count { starts[k] = unitStart; ends[k] = end }
    }
}

/// Collects the separators between two units and decides what kind of gap they make.
private struct GapTracker {
    // Bit per separator kind seen since the last unit; 0 = no gap (the hot path).
    private var seen: UInt8 = 0
    private var dashes: UInt8 = 0
    private var firstVisibleIsDash = false
    private var softHyphen = false

    private static let apostropheBit: UInt8 = 1, dashBit: UInt8 = 2, newlineBit: UInt8 = 4, spaceBit: UInt8 = 8,
        otherBit: UInt8 = 16, ignorableBit: UInt8 = 32

    @inline(__always) var isEmpty: Bool { seen == 0 }

    @inline(__always) mutating func reset() {
        if seen != 0 { self = GapTracker() }
    }

    @inline(__always) mutating func add(_ kind: SeparatorKind) {
        let bit: UInt8
        switch kind {
        case .apostrophe: bit = Self.apostropheBit
        case .dash: bit = Self.dashBit; dashes &+= dashes < 255 ? 1 : 0
        case .newline: bit = Self.newlineBit
        case .space: bit = Self.spaceBit
        case .other: bit = Self.otherBit
        case .ignorable: bit = Self.ignorableBit
        case .softHyphen: bit = Self.ignorableBit; softHyphen = true
        }
        if kind != .ignorable && kind != .softHyphen && seen & ~Self.ignorableBit == 0 { firstVisibleIsDash = kind == .dash }
        seen |= bit
    }

    @inline(__always) func resolve() -> GapKind {
        if seen == 0 { return .none }
        let visible = seen & ~Self.ignorableBit
        if visible == 0 { return .optional }
        if visible == Self.apostropheBit { return .apostrophe }
        // "Jong-\nyol": a dash, then only whitespace containing a line break.
        if firstVisibleIsDash && dashes == 1 && visible & Self.newlineBit != 0
            && visible & (Self.apostropheBit | Self.otherBit) == 0
        {
            return .optional
        }
        // "Jong\u{AD}\nsu": a soft hyphen where a word processor broke the line.
        if softHyphen && visible & Self.newlineBit != 0 && visible & ~(Self.newlineBit | Self.spaceBit) == 0 {
            return .optional
        }
        return .separator
    }

    /// Flag bits for the unit after this gap: the `GapKind` in bits 2–3, and bit 4 when the gap
    /// is a single dash and nothing else visible ("Jong-su"), which may join parts of a term.
    @inline(__always) func flags() -> UInt8 {
        if seen == 0 { return 0 }
        let kind = resolve()
        let dashOnly = seen & ~Self.ignorableBit == Self.dashBit && dashes == 1
        return kind.rawValue << 2 | (kind == .separator && dashOnly ? FoldedText.dashOnlyFlag : 0)
    }
}
