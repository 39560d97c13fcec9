import Foundation
import _FoundationICU

/// Text as the regular expression engine reads it: its UTF-16 units, and where every 32nd unit
/// starts in the UTF-8 it was made from (the offset of any other unit is counted from there).
///
/// Made once for a piece of text and read by every pattern that runs over it: `NSRegularExpression`
/// copied the text to UTF-16 again for each pattern it ran (a tenth of an export of text dense with
/// numbers), and made an object per match. 2 bytes a unit and 4 per 32 units: a table of every
/// unit's offset would triple the copy.
struct UTF16Text {
    private(set) var units: [UInt16]
    /// `checkpoints[m]`: the UTF-8 offset of the scalar that unit `32 * m` belongs to; one more
    /// entry for the end.
    private var checkpoints: [UInt32]
    private let byteCount: Int

    /// `bytes` must be valid UTF-8 (as every `String`'s is).
    init(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        precondition(n < Int(UInt32.max), "text too long for the pattern engine")
        byteCount = n
        var count = 0
        var marks: [UInt32] = []
        marks.reserveCapacity(n / 32 + 2)
        units = [UInt16](unsafeUninitializedCapacity: n) { out, c1 in
            var i = 0
            var k = 0
            while i < n {
                if k & 31 == 0 { marks.append(UInt32(i)) }
                var (scalar, len) = TextSupport.decode(bytes, i)
                if scalar >= 0x10000 {
                    scalar -= 0x10000
                    out[k] = UInt16(0xD800 | (scalar >> 10))
                    out[k + 1] = UInt16(0xDC00 | (scalar & 0x3FF))
                    k += 2
                    // The low surrogate may be a checkpoint: the offset of its scalar.
                    if k & 31 == 1 { marks.append(UInt32(i)) }
                } else {
                    out[k] = UInt16(scalar)
                    k += 1
                }
                i += len
            }
            count = k
            c1 = k
        }
        if count & 31 == 0 { marks.append(UInt32(n)) }
        checkpoints = marks
    }

    init(_ text: String) {
        var text = text
        self = text.withUTF8 { UTF16Text(utf8: $0) }
    }

    var count: Int { units.count }

    /// The UTF-8 offset of unit `k` (`count`: the byte count). A unit that is the second of a
    /// surrogate pair has the offset of its scalar (no match starts or ends there).
    func utf8Offset(_ k: Int) -> Int {
        precondition(k >= 0 && k <= units.count)
        if k == units.count { return byteCount }
        return units.withUnsafeBufferPointer { u in
            var j = k & ~31
            var o = Int(checkpoints[j >> 5])
            if u[j] & 0xFC00 == 0xDC00 {
                if j == k { return o }
                o += 4
                j += 1
            }
            while j < k {
                let c = u[j]
                if c < 0x80 {
                    o += 1
                } else if c < 0x800 {
                    o += 2
                } else if c & 0xFC00 == 0xD800 {
                    o += 4
                    j += 1
                    if j == k { return o - 4 }
                } else {
                    o += 3
                }
                j += 1
            }
            return o
        }
    }
}

/// A compiled ICU regular expression, matched through ICU's C API (`uregex_*`) on UTF-16 the
/// caller made once (``UTF16Text``), with the engine `NSRegularExpression` uses on this platform
/// (Foundation's own ICU): the same syntax, flags, matches and bounds as before, without a UTF-16
/// copy of the text and an object per match for each pattern.
///
/// An ICU matcher holds the text it runs over and where it is in it, so one is used by one thread
/// at a time: matchers are cloned from a template that is never matched itself, and kept for reuse
/// (`uregex_clone`: the compiled pattern is shared, read only).
final class ICURegex: @unchecked Sendable {
    private let template: OpaquePointer?
    private let lock = NSLock()
    private var idle: [OpaquePointer] = []
    private var failureCount = 0
    private var limit: Int32 = 0

    /// ICU's time limit for one search, in its steps (`uregex_setTimeLimit`; 0: none, as
    /// `NSRegularExpression` has none). Tests set one to make the engine give up.
    var timeLimit: Int32 {
        get { lock.withLock { limit } }
        set { lock.withLock { limit = newValue } }
    }

    /// How many searches of this pattern the engine gave up on (a backtracking stack overflow: it
    /// stops there, and what lies after is not searched). Never reset: callers compare two readings.
    var failures: Int { lock.withLock { failureCount } }

    /// `pattern` with `NSRegularExpression`'s options mapped to ICU's flags as
    /// CoreFoundation maps them. If ICU does not compile it (what `NSRegularExpression` compiled:
    /// only when memory runs out), every search of it is one given up on (``failures``), which
    /// `export` refuses; it never stands for a pattern that matched nothing.
    init(pattern: String, options: NSRegularExpression.Options) {
        var flags: UInt32 = 0
        if options.contains(.caseInsensitive) { flags |= UREGEX_CASE_INSENSITIVE.rawValue }
        if options.contains(.allowCommentsAndWhitespace) { flags |= UREGEX_COMMENTS.rawValue }
        // (`.ignoreMetacharacters`: CoreFoundation escapes the pattern, and `pattern` is the escaped
        // one; ICU's literal flag on top would search for the backslashes.)
        if options.contains(.dotMatchesLineSeparators) { flags |= UREGEX_DOTALL.rawValue }
        if options.contains(.anchorsMatchLines) { flags |= UREGEX_MULTILINE.rawValue }
        if options.contains(.useUnixLineSeparators) { flags |= UREGEX_UNIX_LINES.rawValue }
        if options.contains(.useUnicodeWordBoundaries) { flags |= UREGEX_UWORD.rawValue }
        let source = Array(pattern.utf16)
        var status = U_ZERO_ERROR
        var parseError = UParseError()
        var compiled: OpaquePointer? = nil
        if source.count < Int(Int32.max) {
            compiled = swift_uregex_open(source, Int32(source.count), flags, &parseError, &status)
        }
        if let c = compiled, status.rawValue > U_ZERO_ERROR.rawValue {
            swift_uregex_close(c)
            compiled = nil
        }
        template = compiled
    }

    deinit {
        for m in idle { swift_uregex_close(m) }
        if let template { swift_uregex_close(template) }
    }

    /// Every match in `region` (UTF-16 offsets) of `text`, in order, as UTF-16 ranges of `text`.
    /// `transparentBounds`: look-around and word boundaries see the text outside the region;
    /// `anchoringBounds`: `^` and `$` match at its edges (`NSRegularExpression`'s
    /// `.withTransparentBounds` and the opposite of its `.withoutAnchoringBounds`). Empty matches
    /// are passed over. `body` returns false to stop.
    ///
    /// Stops at the first error of the engine (a backtracking stack overflow), as
    /// `NSRegularExpression` does, and counts it in ``failures``: the caller refuses what it was
    /// searching for (`export`: SECURITY.md §10), never takes the matches before it as all of them.
    func forEachMatch(
        in text: UTF16Text, region: Range<Int>, transparentBounds: Bool, anchoringBounds: Bool,
        _ body: (Range<Int>) -> Bool
    ) {
        precondition(region.lowerBound >= 0 && region.upperBound <= text.count)
        // (ICU takes 32-bit lengths: a longer text is a search given up on, never one that found
        // nothing.)
        guard text.count < Int(Int32.max) else {
            lock.withLock { failureCount += 1 }
            return
        }
        // The text the engine is given, as CoreFoundation gives it: all of it with transparent
        // bounds; else the region, and one unit on each side without anchoring bounds (so `^` and
        // `$` see that the region's edges are not the text's).
        var given = region
        if transparentBounds {
            given = 0..<text.count
        } else if !anchoringBounds {
            given = max(region.lowerBound - 1, 0)..<min(region.upperBound + 1, text.count)
        }
        guard let matcher = checkOut() else {
            lock.withLock { failureCount += 1 }
            return
        }
        var failed = false
        defer { checkIn(matcher, failed: failed) }
        var limitStatus = U_ZERO_ERROR
        swift_uregex_setTimeLimit(matcher, timeLimit, &limitStatus)
        text.units.withUnsafeBufferPointer { units in
            var status = U_ZERO_ERROR
            if let base = units.baseAddress, !given.isEmpty {
                swift_uregex_setText(matcher, base + given.lowerBound, Int32(given.count), &status)
            } else {
                swift_uregex_setText(matcher, ICURegex.emptyText, 0, &status)
            }
            let shift = given.lowerBound
            swift_uregex_setRegion64(
                matcher, Int64(region.lowerBound - shift), Int64(region.upperBound - shift), &status)
            swift_uregex_useTransparentBounds(matcher, transparentBounds ? 1 : 0, &status)
            swift_uregex_useAnchoringBounds(matcher, anchoringBounds ? 1 : 0, &status)
            while status.rawValue <= U_ZERO_ERROR.rawValue, swift_uregex_findNext(matcher, &status) != 0 {
                let start = Int(swift_uregex_start(matcher, 0, &status))
                let end = Int(swift_uregex_end(matcher, 0, &status))
                guard status.rawValue <= U_ZERO_ERROR.rawValue else { break }
                if end > start, !body(shift + start..<shift + end) { break }
            }
            if status.rawValue > U_ZERO_ERROR.rawValue {
                failed = true
                lock.withLock { failureCount += 1 }
            }
            // The matcher must not keep a pointer to the caller's buffer.
            var reset = U_ZERO_ERROR
            swift_uregex_setText(matcher, ICURegex.emptyText, 0, &reset)
        }
    }

    /// An idle matcher, or a new clone; nil when there is no compiled pattern or the clone fails
    /// (memory exhausted): the search is then one given up on.
    private func checkOut() -> OpaquePointer? {
        if let m = lock.withLock({ idle.popLast() }) { return m }
        guard let template else { return nil }
        var status = U_ZERO_ERROR
        guard let m = swift_uregex_clone(template, &status) else { return nil }
        guard status.rawValue <= U_ZERO_ERROR.rawValue else {
            swift_uregex_close(m)
            return nil
        }
        return m
    }

    /// Back to the pool, or closed after a search it gave up on (its backtracking stack grown to
    /// the limit, 8 MB, would stay with it).
    private func checkIn(_ m: OpaquePointer, failed: Bool = false) {
        if failed {
            swift_uregex_close(m)
            return
        }
        lock.withLock { idle.append(m) }
    }

    /// The text an idle matcher points to: one unit that lives as long as the process (a pointer
    /// to a local would outlive it in the matcher).
    /// (Read only, never written after it is made.)
    nonisolated(unsafe) private static let emptyText: UnsafePointer<UInt16> = {
        let p = UnsafeMutablePointer<UInt16>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()
}
