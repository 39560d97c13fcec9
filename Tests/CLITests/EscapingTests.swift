import Testing

@testable import sourcevault

/// `list` and `search` send a line through `terminalSafe` only when `needsEscaping` finds a
/// character it escapes: the two must agree on every character, wherever it falls in a word.
@Suite struct EscapingTests {
    func agree(_ s: String) -> Bool {
        var s = s
        let found = s.withUTF8 { Output.needsEscaping($0) }
        return found == (Output.terminalSafe(s) != s)
    }

    @Test func needsEscapingFindsExactlyWhatTerminalSafeEscapes() {
        // Every character of the Basic Multilingual Plane (surrogates aside), in a line.
        for v in UInt32(0)...0xFFFF {
            guard let u = Unicode.Scalar(v) else { continue }
            #expect(agree("ab\(Character(u))cd…"), "U+\(String(v, radix: 16))")
        }
        // The ones escaped and their neighbours, at every offset of an eight-byte word, alone and
        // beside Hangul, Han and "…" (whose lead bytes are not enough to send a line through).
        let near: [UInt32] =
            [0x00, 0x09, 0x0A, 0x1B, 0x1F, 0x20, 0x7E, 0x7F, 0x80, 0x85, 0x9F, 0xA0, 0x61B, 0x61C, 0x61D]
            + Array(0x200C...0x2010) + Array(0x2029...0x202F) + Array(0x2065...0x206A) + [0x2026, 0xAC00, 0x56FE]
        for v in near {
            let c = Character(Unicode.Scalar(v)!)
            for pad in 0..<9 {
                let x = String(repeating: "x", count: pad)
                #expect(agree("\(x)\(c)"), "U+\(String(v, radix: 16)) after \(pad)")
                #expect(agree("회령 图们江 \(x)\(c) …"), "U+\(String(v, radix: 16)) after \(pad), with Hangul")
            }
        }
    }
}
