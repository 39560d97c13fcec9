import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Output helpers: stdout for results, terminal-safe rendering of decrypted text (the session's
/// pager is in Pager.swift).
enum Output {
    static func line(_ s: String) {
        Output.write(STDOUT_FILENO, Array((s + "\n").utf8))
    }

    /// Set when standard output could not be written (full disk, closed pipe): the command then
    /// exits 1 with a message instead of claiming success.
    nonisolated(unsafe) static var stdoutFailed = false

    /// write(2) until done. Foundation's FileHandle.write stops the process on an I/O error, which a
    /// full disk or EIO must never do; errors on stdout are remembered, on stderr ignored.
    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if fd == STDOUT_FILENO { stdoutFailed = true }
                return
            }
            off += n
        }
    }

    /// Writes a line to stdout and fails if it could not be written (closed stdout, full disk),
    /// instead of dying on SIGPIPE: used where losing the line must abort the operation.
    static func lineOrThrow(_ s: String) throws {
        let old = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, old) }
        let bytes = Array((s + "\n").utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError.io("cannot write to standard output: \(String(cString: strerror(errno)))")
            }
            off += n
        }
    }

    /// Writes without a newline (prompts).
    static func raw(_ s: String) {
        Output.write(STDOUT_FILENO, Array(s.utf8))
    }

    /// "1 entry", "2 entries": a count with its noun in the right number (English plurals in `-s`
    /// unless `plural` is given).
    static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }

    static func info(_ s: String) {
        Output.write(STDERR_FILENO, Array((s + "\n").utf8))
    }

    /// True for a byte that starts or is something `terminalSafe` escapes (C0 controls and DEL;
    /// C2 leads the C1 controls, D8 leads U+061C, E2 the other bidi controls).
    @inline(__always)
    static func mayNeedEscaping(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x7F || b == 0xC2 || b == 0xD8 || b == 0xE2
    }

    /// True if the UTF-8 text `b` holds a character `terminalSafe` escapes (its single-line set:
    /// C0 controls, DEL, C1 controls, the bidi controls), found exactly, so that a line with
    /// other non-ASCII text ("…", Hangul, Han) is not sent through it. Eight bytes at a time:
    /// a word with no byte below 0x20, at 0x7F or from 0x80 passes at once (a listing's lines
    /// are mostly plain ASCII); any other is looked at byte by byte.
    static func needsEscaping(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        if let base = b.baseAddress {
            while b.count - i >= 8 {
                let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                let x = w ^ (ones &* 0x7F)
                // (Below 0x20 is exact for words without high bytes; a false alarm only costs a look.)
                if (w & high) | ((w &- ones &* 0x20) & ~w & high) | ((x &- ones) & ~x & high) != 0 {
                    for k in i..<i + 8 where escapes(b, at: k) { return true }
                }
                i += 8
            }
        }
        while i < b.count {
            if escapes(b, at: i) { return true }
            i += 1
        }
        return false
    }

    /// True if a character `terminalSafe` escapes starts at byte `k` of the UTF-8 text `b`:
    /// U+0000–U+001F, U+007F, U+0080–U+009F (C2 80–9F), U+061C (D8 9C), U+200E–U+200F
    /// (E2 80 8E–8F), U+202A–U+202E (E2 80 AA–AE), U+2066–U+2069 (E2 81 A6–A9).
    @inline(__always)
    static func escapes(_ b: UnsafeBufferPointer<UInt8>, at k: Int) -> Bool {
        let c = b[k]
        if c < 0x20 || c == 0x7F { return true }
        guard c == 0xC2 || c == 0xD8 || c == 0xE2 else { return false }
        let c1: UInt8 = k + 1 < b.count ? b[k + 1] : 0
        switch c {
        case 0xC2: return (0x80...0x9F).contains(c1)
        case 0xD8: return c1 == 0x9C
        default:
            let c2: UInt8 = k + 2 < b.count ? b[k + 2] : 0
            if c1 == 0x80 { return c2 == 0x8E || c2 == 0x8F || (0xAA...0xAE).contains(c2) }
            return c1 == 0x81 && (0xA6...0xA9).contains(c2)
        }
    }

    /// Escapes control characters (terminal escape sequences), C1 controls and bidi overrides so
    /// that decrypted text is shown, never interpreted by the terminal. Newlines and tabs are kept
    /// when `multiline` is true.
    static func terminalSafe(_ s: String, multiline: Bool = false) -> String {
        // Most text has none of these: a byte scan leaves it as it is.
        if !s.utf8.contains(where: mayNeedEscaping) { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            let v = u.value
            let keep = multiline && (v == 0x0A || v == 0x09)
            let dangerous =
                v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v)
                || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
                || v == 0x200E || v == 0x200F || v == 0x061C  // bidi marks (they reorder what is shown)
            if dangerous && !keep {
                out.append(contentsOf: String(format: "\\u{%X}", v).unicodeScalars)
            } else {
                out.append(u)
            }
        }
        return String(out)
    }

    static func json<T: Encodable>(_ value: T) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try enc.encode(value)
        Output.write(STDOUT_FILENO, Array(data))
        Output.write(STDOUT_FILENO, Array("\n".utf8))
    }
}
