/// Escaping for export formats that a reader sees rendered (a CMS, a chat client, a browser): the
/// rendered text must be the text the leak check passed, character for character.
enum SafeMarkup {
    /// One line of testimony as CommonMark that renders to exactly its characters (leading white
    /// space aside): `&`, `<` and `>` as character references (no HTML, comments, autolinks or
    /// entities can form); `\`, `` ` ``, `*`, `_`, `[`, `]`, `~` and `|` backslash-escaped
    /// everywhere (no code spans, emphasis, links, images, footnotes, strikethrough or tables); and
    /// at the start of the line `#`, `+`, `-`, `=` and the `.` or `)` after a number escaped (no
    /// heading, list, thematic break or setext underline). Leading spaces and tabs are dropped (after
    /// a blank line they would start a code block, which shows references literally).
    static func markdownLine<S: StringProtocol>(_ line: S) -> String {
        var out = ""
        out.reserveCapacity(line.utf8.count + 8)
        var atStart = true
        var leadingDigits = 0
        for c in line.unicodeScalars {
            if atStart && (c == " " || c == "\t") { continue }
            defer { atStart = false }
            if atStart, c == "#" || c == "+" || c == "-" || c == "=" {
                out.unicodeScalars.append("\\"); out.unicodeScalars.append(c); continue
            }
            if leadingDigits >= 0 {
                if c.value &- 0x30 < 10, leadingDigits < 9, atStart || leadingDigits > 0 {
                    leadingDigits += 1
                } else {
                    if leadingDigits > 0, c == "." || c == ")" {
                        out.unicodeScalars.append("\\"); out.unicodeScalars.append(c); leadingDigits = -1; continue
                    }
                    leadingDigits = -1
                }
            }
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\\", "`", "*", "_", "[", "]", "~", "|":
                out.unicodeScalars.append("\\"); out.unicodeScalars.append(c)
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// The excerpt as a markdown blockquote, each line escaped (``markdownLine(_:)``).
    static func markdown(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines.map { line -> String in
            let escaped = markdownLine(line)
            return escaped.isEmpty ? ">" : "> " + escaped
        }.joined(separator: "\n") + "\n"
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
