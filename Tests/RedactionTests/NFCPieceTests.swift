import Foundation
import Testing

@testable import Redaction

/// NFC checked and applied piece by piece (``TextSupport/nfcPieces(_:size:)``, so that a long text
/// of characters outside the fast path is not normalized in one copy): the same as normalizing the
/// whole text, wherever the pieces are cut.
@Suite struct NFCPieceTests {
    static let pieces = [
        "e", "\u{301}", "\u{300}", "\u{323}", "\u{302}", "é", "a", "A\u{30A}", "\u{212B}", "\u{2126}", "ﷺ", "\u{FDFA}",
        "\u{1100}", "\u{1161}", "\u{11A8}", "가", "각", "李", "ㅇ", "ㅣ", " ", "\n", "ṩ", "s\u{323}\u{307}", "\u{0BC6}",
        "\u{0BBE}", "\u{0B47}", "\u{0B3E}", "\u{09C7}", "\u{09BE}", "\u{1025}", "\u{102E}", "ｶ", "\u{FF9E}", "カ", "\u{3099}",
        "\u{0345}", "ω", "\u{0344}", "\u{0F73}", "Å", "\u{0958}", "x"
    ]

    @Test func piecesGiveTheWholeTextsAnswer() {
        var notNFC = 0
        for seed in 0..<400 {
            var rng = SeededGenerator(seed: UInt64(seed) &* 7_919)
            let text = (0..<Int.random(in: 0..<60, using: &rng)).map { _ in Self.pieces.randomElement(using: &rng)! }.joined()
            let whole = text.precomposedStringWithCanonicalMapping
            let want = whole.unicodeScalars.elementsEqual(text.unicodeScalars)
            let bytes = Array(text.utf8)
            for size in [1, 2, 5, 16, 64 << 10] {
                let got = bytes.withUnsafeBufferPointer { TextSupport.isNFC($0, pieceSize: size) }
                #expect(got == want, "size \(size): \(text.unicodeScalars.map { String($0.value, radix: 16) })")
                let normalized = TextSupport.nfc(text, pieceSize: size)
                #expect(
                    normalized.unicodeScalars.elementsEqual(whole.unicodeScalars),
                    "size \(size): \(text.unicodeScalars.map { String($0.value, radix: 16) })")
            }
            if !want { notNFC += 1 }
        }
        #expect(notNFC > 100)  // the texts need normalizing often: the comparison means something
    }

    /// The fast pass, which skips ASCII eight bytes at a time, accepts exactly what a scalar-by-scalar
    /// reading of its set accepts, wherever the scalars fall against the eight-byte steps.
    @Test func theFastPassAcceptsExactlyItsSet() {
        func reference(_ s: String) -> Bool {
            s.unicodeScalars.allSatisfy {
                $0.value < 0x300 || (0xAC00...0xD7A3).contains($0.value) || (0x4E00...0x9FFF).contains($0.value)
            }
        }
        let pieces = [
            "a", "abcdefgh", "abcdefghijklmnopq", " ", "\n", "é", "\u{301}", "가", "李", "\u{2FF}", "\u{300}", "ｶ", "😀", "\u{D7A4}"
        ]
        var accepted = 0
        for seed in 0..<2_000 {
            var rng = SeededGenerator(seed: UInt64(seed) &* 104_729)
            let text = (0..<Int.random(in: 0..<24, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let bytes = Array(text.utf8)
            for skip in 0..<min(bytes.count, 9) where String(validating: bytes[skip...], as: UTF8.self) != nil {
                let got = bytes[skip...].withUnsafeBufferPointer { TextSupport.isFastNFC($0) }
                #expect(
                    got == reference(String(decoding: bytes[skip...], as: UTF8.self)), "\(text.debugDescription) from \(skip)")
                if got { accepted += 1 }
            }
        }
        #expect(accepted > 1_000)  // both answers are common
    }
}
