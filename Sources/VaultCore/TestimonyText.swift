/// Testimony bytes as the vault stores them: UTF-8 text with LF line ends. Checked before anything
/// is stored, so text that search and redaction would misread (UTF-16, binary) is refused with a
/// hint instead of being stored and silently never matched.
public enum TestimonyText {
    /// Decodes `bytes`: refuses NUL bytes (UTF-16 without a byte-order mark shows as every other
    /// byte NUL) and UTF-16/UTF-32 byte-order marks; drops a UTF-8 byte-order mark; turns CRLF and
    /// lone CR line ends into LF (so `show` and `--lines` count lines as an editor does).
    public static func decode(_ bytes: [UInt8]) throws(VaultError) -> String {
        let hint = "convert it first, e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.txt"
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0, 0, 0xFE, 0xFF]) {
            throw .invalidInput(
                "the testimony is UTF-16 or UTF-32 text (it starts with a byte-order mark); \(hint); nothing was stored")
        }
        if bytes.contains(0) {
            throw .invalidInput("the testimony holds NUL bytes (UTF-16 text, or not text at all); \(hint); nothing was stored")
        }
        var body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        if body.contains(0x0D) {
            var out: [UInt8] = []
            out.reserveCapacity(body.count)
            var i = 0
            while i < body.count {
                if body[i] == 0x0D {
                    out.append(0x0A)
                    if i + 1 < body.count && body[i + 1] == 0x0A { i += 1 }
                } else {
                    out.append(body[i])
                }
                i += 1
            }
            body = out
        }
        guard let text = String(validating: body, as: UTF8.self) else {
            // Neither UTF-8 nor UTF-16: most likely a legacy code page.
            throw .invalidInput(
                "the testimony is not valid UTF-8 text; convert it first, e.g. iconv -f CP949 -t UTF-8 FILE > FILE.txt; nothing was stored"
            )
        }
        return text
    }
}
