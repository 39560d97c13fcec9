/// Escaping for export formats that a reader sees rendered (a CMS, a chat client, a browser): the
/// rendered text must be the text the leak check passed, character for character.
enum SafeMarkup {
    /// `&`, `<`, `>`, `\`, `` ` ``, `*`, `_`, `[`, `]`, `~`, `|`.
    private static let escapedEverywhere: [Bool] = (0..<256).map {
        [0x26, 0x3C, 0x3E, 0x5C, 0x60, 0x2A, 0x5F, 0x5B, 0x5D, 0x7E, 0x7C].contains($0)
    }

    @inline(__always) private static func appendEscaped(_ c: UInt8, to out: inout [UInt8]) {
        switch c {
        case 0x26: out.append(contentsOf: [0x26, 0x61, 0x6D, 0x70, 0x3B])  // &amp;
        case 0x3C: out.append(contentsOf: [0x26, 0x6C, 0x74, 0x3B])  // &lt;
        case 0x3E: out.append(contentsOf: [0x26, 0x67, 0x74, 0x3B])  // &gt;
        case 0x5C, 0x60, 0x2A, 0x5F, 0x5B, 0x5D, 0x7E, 0x7C:  // \ ` * _ [ ] ~ |
            out.append(0x5C); out.append(c)
        default: out.append(c)
        }
    }

    /// The excerpt as a markdown blockquote, each line escaped (``appendMarkdownLine(_:from:to:)``).
    static func markdown(_ text: String) -> String {
        String(decoding: markdownBytes(text), as: UTF8.self)
    }

    /// ``markdown(_:)`` as UTF-8, in one pass over the text's bytes. Lines end at `\n` (a `\r\n`
    /// pair is one character in Swift and does not split the line, as in `String.split`); each is
    /// escaped by ``appendMarkdownLine(_:from:to:)`` on the text's own storage (no copy of it, no
    /// list of lines), copying the runs between escaped characters whole.
    static func markdownBytes(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { markdownBytes(utf8: $0) }
    }

    /// ``markdownBytes(_:)`` of the text whose UTF-8 is `b`.
    static func markdownBytes(utf8 b: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count + b.count / 8 + 16)
        let n = b.count
        var start = 0
        while start < n {
            if start > 0 { out.append(0x0A) }
            out.append(0x3E)  // >
            out.append(0x20)
            let before = out.count
            let end = appendMarkdownLine(b, from: start, to: &out)
            if out.count == before { out.removeLast() }  // an empty line is ">"
            start = end + 1
        }
        out.append(0x0A)
        return out
    }

    /// Per byte: 1 escaped everywhere (``escapedEverywhere``), 2 a line feed, else 0.
    private static let lineByteClass: [UInt8] = (0..<256).map { b in
        b == 0x0A ? 2 : escapedEverywhere[b] ? 1 : 0
    }

    /// One line of testimony as CommonMark that renders to exactly its characters (leading white
    /// space aside): `&`, `<` and `>` as character references (no HTML, comments, autolinks or
    /// entities can form); `\`, `` ` ``, `*`, `_`, `[`, `]`, `~` and `|` backslash-escaped
    /// everywhere (no code spans, emphasis, links, images, footnotes, strikethrough or tables); and
    /// at the start of the line `#`, `+`, `-`, `=` and the `.` or `)` after a number escaped (no
    /// heading, list, thematic break or setext underline). Leading spaces and tabs are dropped (after
    /// a blank line they would start a code block, which shows references literally).
    /// Works on UTF-8 byte by byte (everything it escapes is ASCII: the bytes of other characters are
    /// copied, and end the line's start as the character does), for the line of `b` that starts at
    /// `start` and ends at the next line feed not after a carriage return (or the end); returns where
    /// it ends.
    private static func appendMarkdownLine(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to out: inout [UInt8]) -> Int {
        let n = b.count
        var atStart = true
        var leadingDigits = 0
        var k = start
        while k < n {
            let c = b[k]
            if c == 0x0A && (k == 0 || b[k - 1] != 0x0D) { return k }
            // Past the line's start only the characters escaped everywhere matter: copy the runs
            // between them whole.
            if !atStart && leadingDigits < 0 {
                return lineByteClass.withUnsafeBufferPointer { cls in
                    var run = k
                    while k < n {
                        let kind = cls[Int(b[k])]
                        if kind != 0 {
                            if kind == 2 && (k == 0 || b[k - 1] != 0x0D) { break }
                            if kind == 1 {
                                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[run..<k]))
                                appendEscaped(b[k], to: &out)
                                run = k + 1
                            }
                        }
                        k += 1
                    }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: b[run..<k]))
                    return k
                }
            }
            k += 1
            if atStart && (c == 0x20 || c == 0x09) { continue }
            defer { atStart = false }
            if atStart, c == 0x23 || c == 0x2B || c == 0x2D || c == 0x3D {  // # + - =
                out.append(0x5C); out.append(c); continue
            }
            if leadingDigits >= 0 {
                if c &- 0x30 < 10, leadingDigits < 9, atStart || leadingDigits > 0 {
                    leadingDigits += 1
                } else {
                    if leadingDigits > 0, c == 0x2E || c == 0x29 {  // . )
                        out.append(0x5C); out.append(c); leadingDigits = -1; continue
                    }
                    leadingDigits = -1
                }
            }
            appendEscaped(c, to: &out)
        }
        return n
    }

    /// Encoded JSON with `<`, `>` and `&` (and U+2028, U+2029) as `\u` escapes, so the document can
    /// be put inside HTML or a script unchanged. They can occur only inside strings, where the
    /// escape means the same character.
    static func jsonEscapingHTML(_ json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count + 16)
        var i = 0
        while i < json.count {
            let b = json[i]
            switch b {
            case 0x3C: out += Array("\\u003c".utf8)
            case 0x3E: out += Array("\\u003e".utf8)
            case 0x26: out += Array("\\u0026".utf8)
            case 0xE2 where i + 2 < json.count && json[i + 1] == 0x80 && (json[i + 2] == 0xA8 || json[i + 2] == 0xA9):
                out += Array((json[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                i += 2
            default: out.append(b)
            }
            i += 1
        }
        return out
    }
}
