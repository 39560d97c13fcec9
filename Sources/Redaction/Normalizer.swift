import Foundation

/// How a folded unit relates to word boundaries. CJK-like scripts (Han, Hangul, Kana, Thai…)
/// have no word boundaries, so a term in them matches anywhere (Korean particles follow names).
/// `symbol`: a letter or digit drawn from an emoji or symbol (regional indicators 🇰, negative
/// squared 🅺, circled ⓚ, ™, ℹ️): it spells a term like a letter, and it is a word boundary against
/// letters and digits, so a flag glued to a name ("Sambong🇨🇳", "🇰🇵Sambong") does not hide the name.
enum UnitClass: UInt8 {
    case letter = 0, digit = 1, noBoundary = 2, symbol = 3
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

/// Folding variants: `.standard` for redaction (with the TR39 lookalikes of Latin letters), `.skeleton`
/// for the leak check: every TR39 skeleton, plus 0/o, 1/l/I, rn/m and a few hand-picked lookalikes.
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
    /// A Hangul compatibility or half-width jamo (ㅇ, ﾡ): its one unit is the conjoining jamo it
    /// stands for, and the folder decides whether a consonant is an initial or a final.
    var compatJamo = false
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
    /// Composition of Hangul spelled out in compatibility jamo; see `emitCompatJamo`.
    private var jamo = JamoState()
    /// Folded units per input byte of the last text folded, in sixteenths (at least 16): the next
    /// fold's first guess at its room, so that text that expands (U+FDFA: 12 units a byte) is not
    /// folded two or three times over into ever larger buffers, chunk after chunk.
    private var expansion = 16
    /// Whether the last text folded held only ASCII other than `|`, `%` and `&`, Hangul syllables
    /// and CJK ideographs U+4E00–U+9FFF (the fold's fast paths): then its skeleton fold is derived
    /// from its standard fold (``skeleton(fromStandard:of:)``). Noted while folding, at no cost
    /// on the fast paths.
    private(set) var onlyFastPaths = false

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
        var capacity = input.count * expansion / 16 + input.count / 8 + 64
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
                expansion = max(16, out.count * 16 / max(input.count, 1) + 1)
                if mode == .skeleton { Folder.mergeMultiLetterConfusables(&out) }
                return out
            }
            capacity = capacity * 4 + 64
        }
    }

    /// The folding loop proper. Returns false if the sink ran out of room.
    private mutating func foldCore(_ input: UnsafeBufferPointer<UInt8>, _ out: inout FoldSink) -> Bool {
        jamo = JamoState()
        onlyFastPaths = true
        let units = mode == .skeleton ? Folder.unitTables.skeleton : Folder.unitTables.standard
        return Folder.asciiTables.kind.withUnsafeBufferPointer { kinds in
            units.withUnsafeBufferPointer { unitTable in
                foldLoop(input, kinds.baseAddress!, unitTable.baseAddress!, &out)
            }
        }
    }

    /// `foldCore`'s loop. Its state lives in locals declared here (not captured by a closure) and
    /// the hot paths write through local copies of the sink's pointers and count, so that a byte
    /// stored into the output cannot be taken to change them (every such store made the compiler
    /// reload the whole state: 40 instructions per byte folded).
    private mutating func foldLoop(
        _ input: UnsafeBufferPointer<UInt8>, _ kinds: UnsafePointer<UInt8>, _ unitTable: UnsafePointer<UInt8>,
        _ out: inout FoldSink
    ) -> Bool {
        let n = input.count
        guard n > 0 else { return true }
        let source = input.baseAddress!
        var gap = GapTracker()
        var lastUnitScalar: UInt32 = 0  // for Hangul composition; 0 after a gap or an ASCII unit
        var prevLower = false  // last unit was an ASCII lower-case letter (camelCase word boundary)
        let capacity = out.capacity
        let outBytes = out.bytes, outStarts = out.starts, outEnds = out.ends, outFlags = out.flags
        var count = out.count
        defer { out.count = count }
        var i = 0
        while i < n {
            let b0 = source[i]
            if b0 < 0x80 {
                let unit = unitTable[Int(b0)]
                if unit != 0 {
                    guard count < capacity else { return false }
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
                    outBytes[count] = unit & 0x7F
                    outStarts[count] = UInt32(i)
                    outEnds[count] = UInt32(i + 1)
                    outFlags[count] = flag
                    count += 1
                    prevLower = b0 &- 0x61 < 26
                } else {
                    prevLower = false
                    // Percent-encoded UTF-8 (`%EC%9D%B4` in a URL) and HTML character
                    // references (`J&#111;ng`) are read as the characters they stand for.
                    if b0 == 0x25 || b0 == 0x26 || b0 == 0x7C { onlyFastPaths = false }
                    if b0 == 0x25 || b0 == 0x26 {
                        out.count = count
                        let r = foldEscape(input, i, &out, &gap, &lastUnitScalar)
                        count = out.count
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
                scalar = (UInt32(b0 & 0x1F) << 6) | UInt32(source[i + 1] & 0x3F); len = 2
            } else if b0 < 0xF0 {
                scalar = (UInt32(b0 & 0x0F) << 12) | (UInt32(source[i + 1] & 0x3F) << 6) | UInt32(source[i + 2] & 0x3F);
                len = 3
            } else {
                scalar =
                    (UInt32(b0 & 0x07) << 18) | (UInt32(source[i + 1] & 0x3F) << 12)
                    | (UInt32(source[i + 2] & 0x3F) << 6) | UInt32(source[i + 3] & 0x3F);
                len = 4
            }
            let start = UInt32(i), end = UInt32(i + len)
            i += len
            prevLower = false

            // Fast paths: precomposed Hangul and common Han ideographs fold to themselves.
            if (0xAC00...0xD7A3).contains(scalar) || (0x4E00...0x9FFF).contains(scalar) {
                guard count + 3 <= capacity else { return false }
                let flag = UnitClass.noBoundary.rawValue | gap.flags()
                outBytes[count] = b0
                outBytes[count + 1] = source[i - 2]
                outBytes[count + 2] = source[i - 1]
                outStarts[count] = start; outStarts[count + 1] = start; outStarts[count + 2] = start
                outEnds[count] = end; outEnds[count + 1] = end; outEnds[count + 2] = end
                outFlags[count] = flag; outFlags[count + 1] = flag; outFlags[count + 2] = flag
                count += 3
                gap.reset()
                lastUnitScalar = scalar
                continue
            }
            onlyFastPaths = false
            out.count = count
            let entry = lookup(scalar)
            let ok = foldEntry(entry, start, end, &out, &gap, &lastUnitScalar)
            count = out.count
            guard ok else { return false }
        }
        return true
    }

    /// Folds one non-ASCII scalar's cached entry standing for the original bytes `[start, end)`.
    /// Returns false if the sink ran out of room.
    @inline(__always)
    private mutating func foldEntry(
        _ entry: FoldEntry, _ start: UInt32, _ end: UInt32, _ out: inout FoldSink,
        _ gap: inout GapTracker, _ lastUnitScalar: inout UInt32
    ) -> Bool {
        switch entry.kind {
        case .drop:
            // A combining mark belongs to the unit before it: stretch that unit's source
            // range so the mark is redacted with its base letter.
            if gap.isEmpty { out.stretchLastUnit(to: end) }
        case .separator:
            gap.add(entry.separator)
            lastUnitScalar = 0
        case .units:
            if entry.compatJamo {
                guard out.count + 6 <= out.capacity else { return false }
                emitCompatJamo(entry.units[0], start, end, &out, &gap, &lastUnitScalar)
                return true
            }
            for (u, c) in zip(entry.units, entry.classes) {
                guard out.count + 4 <= out.capacity else { return false }
                emit(u, c, start, end, &out, &gap, &lastUnitScalar)
            }
        }
        return true
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

    /// Hangul spelled out in compatibility (or half-width) jamo, "ㅇㅣㅈㅗㅇㅇㅕㄹ", composed into the
    /// syllables it spells, "이종열", as a keyboard's input method would: a vowel joins the consonant
    /// before it, a consonant after a vowel becomes the final, and gives it back (a second final
    /// consonant, its last one) when a vowel follows. Compound vowels (ㅗ+ㅏ) and finals (ㄹ+ㄱ) typed
    /// as two jamo combine. Every syllable maps back to the jamo it was made of. Only jamo with no gap
    /// between them compose, and never with a precomposed syllable of the text.
    private mutating func emitCompatJamo(
        _ j: UInt32, _ start: UInt32, _ end: UInt32, _ out: inout FoldSink,
        _ gap: inout GapTracker, _ lastUnitScalar: inout UInt32
    ) {
        // Invisible characters between jamo do not keep them apart ("ㅇ\u{200B}ㅣ" is 이).
        let attached = (gap.isEmpty || gap.isOnlyIgnorable) && jamo.position == out.count && out.count >= 3
        let last = attached ? jamo.unit : 0
        @inline(__always) func syllable(_ l: UInt32, _ v: UInt32, _ t: UInt32) -> UInt32 {
            0xAC00 + (l * 21 + v) * 28 + t
        }
        @inline(__always) func rewrite(_ scalar: UInt32, end: UInt32, _ kind: JamoState.Kind) {
            gap.reset()
            out.replaceLast3(with: scalar, end: end)
            lastUnitScalar = scalar
            jamo.kind = kind
            jamo.unit = scalar
            jamo.position = out.count
        }
        @inline(__always) func append(
            _ scalar: UInt32, _ start: UInt32, _ end: UInt32, _ flag: UInt8,
            _ kind: JamoState.Kind
        ) {
            Folder.utf8(scalar) { _, byte in out.append(byte, start, end, flag) }
            gap.reset()
            lastUnitScalar = scalar
            jamo.kind = kind
            jamo.unit = scalar
            jamo.position = out.count
        }
        let isSyllable = (0xAC00...0xD7A3).contains(last)
        let t = isSyllable ? (last - 0xAC00) % 28 : 0
        switch j {
        case 0x1100...0x1112:  // a consonant: the final of the syllable before, or the next initial
            let l = j - 0x1100
            if attached && isSyllable {
                if jamo.kind == .open, let final = Hangul.finalIndex(ofInitial: l) {
                    let previousEnd = out.lastEnd
                    rewrite(last + final, end: end, .final1)
                    jamo.finalStart = start; jamo.finalInitial = l; jamo.openEnd = previousEnd
                    return
                }
                if jamo.kind == .final1, let double = Hangul.doubleFinal(t, l) {
                    let firstEnd = out.lastEnd
                    rewrite(last - t + double, end: end, .final2)
                    jamo.firstFinal = t; jamo.secondStart = start; jamo.secondInitial = l; jamo.firstEnd = firstEnd
                    return
                }
            }
            append(j, start, end, UnitClass.noBoundary.rawValue | gap.flags(), .lone)
        case 0x1161...0x1175:  // a vowel: joins a lone initial, takes back a final, or compounds
            let v = j - 0x1161
            if attached {
                switch jamo.kind {
                case .lone where (0x1100...0x1112).contains(last):
                    rewrite(syllable(last - 0x1100, v, 0), end: end, .open)
                    return
                case .open where isSyllable:
                    let current = (last - 0xAC00) / 28 % 21
                    if let compound = Hangul.compoundVowel(current, v) {
                        rewrite(last + (compound - current) * 28, end: end, .open)
                        return
                    }
                case .final1 where isSyllable:
                    let (initial, finalStart) = (jamo.finalInitial, jamo.finalStart)
                    out.replaceLast3(with: last - t, end: jamo.openEnd)
                    append(syllable(initial, v, 0), finalStart, end, UnitClass.noBoundary.rawValue, .open)
                    return
                case .final2 where isSyllable:
                    let (initial, secondStart) = (jamo.secondInitial, jamo.secondStart)
                    out.replaceLast3(with: last - t + jamo.firstFinal, end: jamo.firstEnd)
                    append(syllable(initial, v, 0), secondStart, end, UnitClass.noBoundary.rawValue, .open)
                    return
                default:
                    break
                }
            }
            append(j, start, end, UnitClass.noBoundary.rawValue | gap.flags(), .none)
        default:  // a final-only cluster (ㄳ, ㄺ…): the final of an open syllable, else alone
            if attached && isSyllable && jamo.kind == .open && t == 0, (0x11A8...0x11C2).contains(j) {
                rewrite(last + (j - 0x11A7), end: end, .none)
                return
            }
            append(j, start, end, UnitClass.noBoundary.rawValue | gap.flags(), .none)
        }
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
        return foldEntry(lookup(scalar), start, end, &out, &gap, &lastUnitScalar)
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

    /// Apostrophes and their typographic and transliteration stand-ins (McCune–Reischauer's ʼ, ʻ, ʾ ʿ, `,
    /// primes, full-width forms).
    private static let apostrophes: Set<UInt32> = [
        0x2018, 0x2019, 0x201B, 0x02BC, 0x02B9, 0x02BB, 0x02BD, 0x2032,
        0x2035, 0xFF07, 0x00B4, 0x02CA, 0x02CB, 0xA78C, 0x055A, 0x05F3,
        0x02BE, 0x02BF, 0x02EE, 0x02C8, 0xFF40, 0xA78B
    ]
    private static let lineBreaks: Set<UInt32> = [0x2028, 0x2029, 0x0085]
    /// Stretchers and joiners drawn inside a word that are not default-ignorable: the Arabic tatweel
    /// (kashida, "Jongـyol"), the N'Ko lajanyalan and the Mongolian nirugu. Ignorable like ZWJ.
    private static let stretchers: Set<UInt32> = [0x0640, 0x07FA, 0x180A]
    /// Spacing diacritics with no decomposition to a space (ˇ ˆ ˉ ˍ): typed after a vowel in place of a
    /// combining mark ("Kŭmch'ŏn" as "Ku˘mch'o˘n", "Kǔm" as "Kuˇm"); they belong to the letter before.
    /// The spacing clones of combining marks (˘ ¨ ¯ ¸ ˙ ˚ ˛ ˜ ˝, U+0020 + a mark under NFKD) are found
    /// by their decomposition.
    private static let spacingDiacritics: Set<UInt32> = [0x02C6, 0x02C7, 0x02C9, 0x02CD, 0x02CE, 0x02CF]

    private static func compute(_ value: UInt32, mode: FoldMode) -> FoldEntry {
        guard let scalar = Unicode.Scalar(value) else { return FoldEntry(kind: .separator) }
        if let letter = symbolLetter(value) {
            let v = mode == .skeleton ? UInt32(asciiTables.skeleton[Int(letter)] & 0x7F) : letter
            return FoldEntry(kind: .units, units: [v], classes: [.symbol])
        }
        let props = scalar.properties
        if apostrophes.contains(value) { return FoldEntry(kind: .separator, separator: .apostrophe) }
        if value == 0x00AD || value == 0x1806 { return FoldEntry(kind: .separator, separator: .softHyphen) }
        if stretchers.contains(value) { return FoldEntry(kind: .separator, separator: .ignorable) }
        if spacingDiacritics.contains(value) { return FoldEntry(kind: .drop) }
        if let letter = combiningLatinLetter(scalar) {
            let v = mode == .skeleton ? UInt32(asciiTables.skeleton[Int(letter)] & 0x7F) : letter
            return FoldEntry(kind: .units, units: [v], classes: [.letter])
        }
        let decomposed = String(scalar).decomposedStringWithCompatibilityMapping.unicodeScalars
        // Modifier letters and click letters that look like punctuation (ː ʺ ǃ ǀ): a separator,
        // not a letter glued to the word ("Kimː" reads "Kim:").
        if (0x02B9...0x02FF).contains(value) || (0x01C0...0x01C3).contains(value) || (0xA788...0xA78A).contains(value),
            decomposed.elementsEqual([scalar])
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
        case .modifierSymbol:
            // ˘ ¨ ¯ …: a space and a combining mark under NFKD.
            var rest = decomposed.makeIterator()
            if rest.next()?.value == 0x20, let mark = rest.next(), isMarkOrIgnorable(mark) {
                return FoldEntry(kind: .drop)
            }
        default: break
        }
        // Letters and digits drawn from emoji and symbols (™ → tm, ℹ️ → i, ⓚ → k) keep their own class.
        let symbol =
            props.isEmoji
            || [.otherSymbol, .mathSymbol, .currencySymbol, .modifierSymbol].contains(props.generalCategory)
        var units: [UInt32] = []
        var classes: [UnitClass] = []
        func append(_ f: Unicode.Scalar) {
            if let extra = latinExtras[f.value] {
                for e in extra.unicodeScalars {
                    var v = e.value
                    if mode == .skeleton { let s = asciiTables.skeleton[Int(v)] & 0x7F; if s != 0 { v = UInt32(s) } }
                    units.append(v)
                    classes.append(symbol ? .symbol : .letter)
                }
                return
            }
            let p = f.properties
            guard p.isAlphabetic || p.numericType != nil else { return }
            var v = f.value
            if mode == .skeleton {
                if v < 0x80 {
                    let s = asciiTables.skeleton[Int(v)] & 0x7F
                    if s != 0 { v = UInt32(s) }
                } else if let ascii = Confusables.stricter[v] {
                    v = ascii
                }
            }
            units.append(v)
            classes.append(symbol ? .symbol : classify(v, p))
        }
        /// Case-folds and decomposes `s` and appends what is left of it; `confusable`: look the parts up
        /// in the TR39 table (once: its targets are prototypes already).
        /// Maps `s` through the confusables, case-folds and decomposes it and appends what is left. The
        /// scalar as written is looked up first (a capital's lookalike differs from its small letter's:
        /// Greek "Η" looks like H, "η" like n), then its case-folded form, and each target again (a
        /// prototype may case-fold to a letter with an entry of its own), `depth` levels deep.
        func fold(_ s: Unicode.Scalar, depth: Int) {
            if let direct = lookalike(s.value, depth: depth) {
                for t in direct { if let u = Unicode.Scalar(t) { fold(u, depth: depth + 1) } }
                return
            }
            // lower(upper(x)) approximates full case folding: ß→ss, ς→σ, ı→i.
            let folded = String(s).uppercased().lowercased().decomposedStringWithCompatibilityMapping
            for f in folded.unicodeScalars where !isMarkOrIgnorable(f) {
                if f != s, let target = lookalike(f.value, depth: depth) {
                    for t in target { if let u = Unicode.Scalar(t) { fold(u, depth: depth + 1) } }
                } else {
                    append(f)
                }
            }
        }
        /// The lookalike target of `v`: the hand-read Latin letters first (small capitals, stroked letters),
        /// then the leak check's extras, then TR39's skeleton.
        func lookalike(_ v: UInt32, depth: Int) -> [UInt32]? {
            guard v >= 0x80, depth < 3, latinExtras[v] == nil else { return nil }
            if mode == .skeleton, let ascii = Confusables.stricter[v] { return [ascii] }
            return Confusables.target(v, mode: mode)
        }
        for d in decomposed where !isMarkOrIgnorable(d) { fold(d, depth: 0) }
        if units.isEmpty { return FoldEntry(kind: .separator, separator: .other) }
        let compatJamo =
            ((0x3131...0x318E).contains(value) || (0xFFA0...0xFFDC).contains(value))
            && units.count == 1 && (0x1100...0x11C2).contains(units[0])
        return FoldEntry(kind: .units, units: units, classes: classes, compatJamo: compatJamo)
    }

    /// The combining Latin small letters (U+0363…U+036F, U+1DD3…): a letter written above another
    /// ("Kͥm"), which readers read as a letter; nil for any other scalar.
    private static func combiningLatinLetter(_ s: Unicode.Scalar) -> UInt32? {
        guard (0x0363...0x036F).contains(s.value) || (0x1DD3...0x1DF4).contains(s.value),
            let name = s.properties.name, name.hasPrefix("COMBINING LATIN SMALL LETTER ")
        else { return nil }
        let word = name.dropFirst("COMBINING LATIN SMALL LETTER ".count).prefix { $0 != " " }
        guard word.count == 1, let c = word.unicodeScalars.first, (0x41...0x5A).contains(c.value) else { return nil }
        return c.value + 0x20
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
    /// in skeleton mode, on ASCII units with no gap between them. In place (the merged text is
    /// never longer), without a copy of the text.
    private static func mergeMultiLetterConfusables(_ t: inout FoldedText) {
        let n = t.count
        guard n > 1 else { return }
        let r = UInt8(ascii: "r"), letterN = UInt8(ascii: "n"), v = UInt8(ascii: "v")
        let noGap = GapKind.none.rawValue
        let kept = t.bytes.withUnsafeMutableBufferPointer { bytes in
            t.flags.withUnsafeMutableBufferPointer { flags in
                t.origStart.withUnsafeMutableBufferPointer { starts in
                    t.origEnd.withUnsafeMutableBufferPointer { ends in
                        var w = 0, i = 0
                        while i < n {
                            let b = bytes[i]
                            if i + 1 < n, (flags[i + 1] >> 2) & 3 == noGap {
                                let c = bytes[i + 1]
                                let merged: UInt8 =
                                    b == r && c == letterN ? UInt8(ascii: "m") : b == v && c == v ? UInt8(ascii: "w") : 0
                                if merged != 0 {
                                    bytes[w] = merged; starts[w] = starts[i]; ends[w] = ends[i + 1]; flags[w] = flags[i]
                                    w += 1
                                    i += 2
                                    continue
                                }
                            }
                            if w != i { bytes[w] = b; starts[w] = starts[i]; ends[w] = ends[i]; flags[w] = flags[i] }
                            w += 1
                            i += 1
                        }
                        return w
                    }
                }
            }
        }
        if kept < n {
            t.bytes.removeLast(n - kept)
            t.flags.removeLast(n - kept)
            t.origStart.removeLast(n - kept)
            t.origEnd.removeLast(n - kept)
        }
    }
}

extension Folder {
    /// The skeleton fold of `piece` made from `standard`, its standard fold, when the piece holds
    /// only ASCII other than `|`, `%` and `&`, and the three-byte scalars both modes fold to
    /// themselves (Hangul syllables, CJK ideographs U+4E00–U+9FFF); nil for any other piece. On
    /// such a piece the two folds differ only where the skeleton's ASCII table does (0 → o and
    /// 1 → l, which become letters; i → l) and in the letter pairs merged afterwards ("rn" → m):
    /// the leak check folds most chunks once instead of twice.
    static func skeleton(fromStandard standard: FoldedText, of piece: UnsafeBufferPointer<UInt8>) -> FoldedText? {
        guard derivesSkeleton(piece) else { return nil }
        return skeleton(fromStandard: standard)
    }

    /// ``skeleton(fromStandard:of:)`` for a standard fold already known to be of such a piece
    /// (``onlyFastPaths`` after folding it).
    static func skeleton(fromStandard standard: FoldedText) -> FoldedText {
        var t = standard
        let count = t.count
        let noGap = GapKind.none.rawValue
        var merges = false
        // Bytes and flags only: the offsets are copied only if a letter pair is merged (rare).
        t.bytes.withUnsafeMutableBufferPointer { bytes in
            t.flags.withUnsafeMutableBufferPointer { flags in
                var previous: UInt8 = 0
                for k in 0..<count {
                    let b = bytes[k]
                    if b == 0x30 || b == 0x31 {  // 0 → o, 1 → l: letters
                        bytes[k] = b == 0x30 ? 0x6F : 0x6C
                        flags[k] &= ~UInt8(3)
                    } else if b == 0x69 {  // i (and I) → l
                        bytes[k] = 0x6C
                    } else if (b == 0x6E && previous == 0x72) || (b == 0x76 && previous == 0x76) {
                        // "rn", "vv" with no gap: merged below, as the skeleton fold does.
                        if (flags[k] >> 2) & 3 == noGap { merges = true }
                    }
                    previous = b
                }
            }
        }
        if merges { mergeMultiLetterConfusables(&t) }
        return t
    }

    /// Whether `piece` is only ASCII other than `|`, `%` and `&`, Hangul syllables and CJK
    /// ideographs U+4E00–U+9FFF (eight ASCII bytes at a time).
    static func derivesSkeleton(_ piece: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = piece.count
        guard n > 0 else { return true }
        let p = UnsafeRawPointer(piece.baseAddress!)
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        /// Whether any byte of `w` (all ASCII) is `c`.
        @inline(__always) func has(_ w: UInt64, _ c: UInt64) -> Bool {
            let x = w ^ (ones &* c)
            return (x &- ones) & ~x & highs != 0
        }
        var i = 0
        while i < n {
            if i + 8 <= n {
                let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if w & highs == 0 {
                    if has(w, 0x7C) || has(w, 0x25) || has(w, 0x26) { return false }
                    i += 8
                    continue
                }
            }
            let b = piece[i]
            if b < 0x80 {
                if b == 0x7C || b == 0x25 || b == 0x26 { return false }
                i += 1
                continue
            }
            guard b & 0xF0 == 0xE0, i + 2 < n else { return false }
            let v = (UInt32(b & 0x0F) << 12) | (UInt32(piece[i + 1] & 0x3F) << 6) | UInt32(piece[i + 2] & 0x3F)
            guard v &- 0xAC00 <= 0xD7A3 - 0xAC00 || v &- 0x4E00 <= 0x9FFF - 0x4E00 else { return false }
            i += 3
        }
        return true
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

    /// Source end of the last unit.
    var lastEnd: UInt32 { ends[count - 1] }

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

/// What the folder remembers about the last unit when it came from compatibility jamo: whether a
/// consonant may still join it as a final, or a vowel take its final back.
private struct JamoState {
    enum Kind {
        /// Not from compatibility jamo (or nothing may join it).
        case none
        /// A lone initial consonant: a vowel joins it.
        case lone
        /// A syllable with no final: a consonant may become its final, a vowel may compound.
        case open
        /// A syllable whose final is one consonant that a following vowel takes back.
        case final1
        /// A syllable whose final is two consonants (ㄹ+ㄱ): a following vowel takes the second.
        case final2
    }
    var kind = Kind.none
    /// The unit (a jamo or a syllable) and `out.count` right after it; any other unit in between voids
    /// the state (invisible characters do not).
    var unit: UInt32 = 0
    var position = -1
    /// final1: where the final consonant starts, its initial-consonant index, and where the
    /// syllable ended before it.
    var finalStart: UInt32 = 0
    var finalInitial: UInt32 = 0
    var openEnd: UInt32 = 0
    /// final2: the final index of the first consonant alone, where the syllable ended after it,
    /// and where the second consonant starts and its initial-consonant index.
    var firstFinal: UInt32 = 0
    var firstEnd: UInt32 = 0
    var secondStart: UInt32 = 0
    var secondInitial: UInt32 = 0
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
    /// Only invisible characters (zero-width, joiners, soft hyphens without a line break).
    @inline(__always) var isOnlyIgnorable: Bool { seen == Self.ignorableBit }

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

/// Reused output buffers for folding many short texts one after the other (a rule set's terms and
/// variants): ``Folder/fold(_:into:)`` writes into them instead of allocating four arrays per text,
/// which was most of compiling 1,000 facts' terms (`make bench`). Zeroed when released (the terms
/// are as sensitive as the testimony).
final class FoldScratch {
    fileprivate private(set) var bytes: UnsafeMutablePointer<UInt8>
    fileprivate private(set) var starts: UnsafeMutablePointer<UInt32>
    fileprivate private(set) var ends: UnsafeMutablePointer<UInt32>
    fileprivate private(set) var flagBytes: UnsafeMutablePointer<UInt8>
    fileprivate private(set) var capacity: Int
    /// The last fold's length in units (bytes).
    private(set) var count = 0

    init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        bytes = .allocate(capacity: self.capacity)
        starts = .allocate(capacity: self.capacity)
        ends = .allocate(capacity: self.capacity)
        flagBytes = .allocate(capacity: self.capacity)
    }

    deinit { release() }

    private func release() {
        bytes.update(repeating: 0, count: capacity)
        flagBytes.update(repeating: 0, count: capacity)
        starts.update(repeating: 0, count: capacity)
        ends.update(repeating: 0, count: capacity)
        bytes.deallocate(); starts.deallocate(); ends.deallocate(); flagBytes.deallocate()
    }

    fileprivate func grow(to n: Int) {
        release()
        capacity = n
        bytes = .allocate(capacity: n)
        starts = .allocate(capacity: n)
        ends = .allocate(capacity: n)
        flagBytes = .allocate(capacity: n)
    }

    fileprivate func setCount(_ n: Int) { count = n }

    /// The last fold's bytes (as ``FoldedText/bytes``), valid until the next fold into this scratch.
    var folded: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: bytes, count: count) }
    /// The last fold's flags (as ``FoldedText/flags``).
    var flags: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: flagBytes, count: count) }
    /// The `GapKind` before unit byte `i` of the last fold (as ``FoldedText/gap(_:)``).
    @inline(__always) func gap(_ i: Int) -> GapKind { GapKind(rawValue: (flagBytes[i] >> 2) & 3) ?? .separator }
}

extension Folder {
    /// Folds `text` as ``fold(_:)-(String)`` does, into `scratch` (its `folded` and `flags` are
    /// then exactly that fold's `bytes` and `flags`); returns the number of units. Only the
    /// standard fold writes straight into the scratch; the skeleton fold merges multi-letter
    /// confusables on its arrays afterwards, so it is folded as usual and copied.
    @discardableResult
    mutating func fold(_ text: String, into scratch: FoldScratch) -> Int {
        if mode == .skeleton {
            let t = fold(text)
            if scratch.capacity < t.count { scratch.grow(to: t.count) }
            for i in 0..<t.count {
                scratch.bytes[i] = t.bytes[i]; scratch.starts[i] = t.origStart[i]
                scratch.ends[i] = t.origEnd[i]; scratch.flagBytes[i] = t.flags[i]
            }
            scratch.setCount(t.count)
            return t.count
        }
        var copy = text
        return copy.withUTF8 { input in
            if scratch.capacity < input.count * 2 + 64 { scratch.grow(to: input.count * 2 + 64) }
            while true {
                var sink = FoldSink(
                    bytes: scratch.bytes, starts: scratch.starts, ends: scratch.ends, flags: scratch.flagBytes,
                    capacity: scratch.capacity)
                if foldCore(input, &sink) {
                    scratch.setCount(sink.count)
                    return sink.count
                }
                scratch.grow(to: scratch.capacity * 4 + 64)
            }
        }
    }
}
