@_spi(KnownAnswerTests) import SodiumKit
import Testing

@Suite struct AEADTests {
    // draft-irtf-cfrg-xchacha-03, appendix A.3.1 (also checked against PyNaCl).
    static let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
    static let nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657")
    static let ad = hex("50515253c0c1c2c3c4c5c6c7")
    static let plaintext = Array(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
    static let expected = hex(
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52ec0875924c1c7987947deafd8780acf49"
    )

    @Test func knownAnswer() throws {
        let k = try secure(Self.key)
        let box = try Self.plaintext.withUnsafeBytes {
            try XChaCha20Poly1305.seal($0, key: k, associatedData: Self.ad, nonce: Self.nonce)
        }
        #expect(Array(box.prefix(24)) == Self.nonce)
        #expect(Array(box.dropFirst(24)) == Self.expected)
        let opened = try XChaCha20Poly1305.open(box, key: k, associatedData: Self.ad)
        #expect(bytes(opened) == Self.plaintext)
    }

    @Test func randomNoncesDiffer() throws {
        let k = try SecureBytes.random(count: 32)
        let a = try [UInt8](repeating: 7, count: 10).withUnsafeBytes {
            try XChaCha20Poly1305.seal($0, key: k, associatedData: [])
        }
        let b = try [UInt8](repeating: 7, count: 10).withUnsafeBytes {
            try XChaCha20Poly1305.seal($0, key: k, associatedData: [])
        }
        #expect(a != b)
        #expect(a.count == 10 + XChaCha20Poly1305.overhead)
    }

    /// Every single-bit flip anywhere in the box (nonce, ciphertext, tag) must be rejected.
    @Test func everyBitFlipIsRejected() throws {
        let k = try SecureBytes.random(count: 32)
        let box = try Array("secret testimony".utf8).withUnsafeBytes {
            try XChaCha20Poly1305.seal($0, key: k, associatedData: [1, 2, 3])
        }
        for i in 0..<box.count {
            for bit in 0..<8 {
                var t = box
                t[i] ^= UInt8(1 << bit)
                #expect(throws: SodiumError.authenticationFailed) {
                    _ = try XChaCha20Poly1305.open(t, key: k, associatedData: [1, 2, 3])
                }
            }
        }
        _ = try XChaCha20Poly1305.open(box, key: k, associatedData: [1, 2, 3])
    }

    @Test func wrongKeyADOrTruncationIsRejected() throws {
        let k = try SecureBytes.random(count: 32)
        let other = try SecureBytes.random(count: 32)
        let box = try Array("x".utf8).withUnsafeBytes { try XChaCha20Poly1305.seal($0, key: k, associatedData: [9]) }
        #expect(throws: SodiumError.authenticationFailed) { _ = try XChaCha20Poly1305.open(box, key: other, associatedData: [9]) }
        #expect(throws: SodiumError.authenticationFailed) { _ = try XChaCha20Poly1305.open(box, key: k, associatedData: [8]) }
        #expect(throws: SodiumError.authenticationFailed) { _ = try XChaCha20Poly1305.open(box, key: k, associatedData: []) }
        #expect(throws: SodiumError.authenticationFailed) {
            _ = try XChaCha20Poly1305.open(Array(box.dropLast()), key: k, associatedData: [9])
        }
        #expect(throws: SodiumError.authenticationFailed) {
            _ = try XChaCha20Poly1305.open(Array(box.prefix(39)), key: k, associatedData: [9])
        }
        #expect(throws: SodiumError.authenticationFailed) {
            _ = try XChaCha20Poly1305.open(box + [0], key: k, associatedData: [9])
        }
    }

    @Test func badKeyLengthIsAnArgumentError() throws {
        let short = try SecureBytes.random(count: 16)
        #expect(throws: SodiumError.self) {
            _ = try [UInt8]().withUnsafeBytes { try XChaCha20Poly1305.seal($0, key: short, associatedData: []) }
        }
    }
    /// Sealing in place (the plaintext written into the output buffer by `fill`) opens to the
    /// same plaintext, padded in place as `Padding.pad` pads a copy.
    @Test func sealingInPlaceOpensToWhatWasWritten() throws {
        let k = try SecureBytes.random(count: 32)
        for n in [0, 1, 100, 5000] {
            let plain = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let block = 256
            let padded = (n / block + 1) * block
            let box = try XChaCha20Poly1305.seal(count: padded, key: k, associatedData: [1, 2]) { (b) throws(SodiumError) in
                plain.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: b[0..<n]).copyMemory(from: $0) }
                try Padding.pad(inPlace: b, count: n, blockSize: block)
            }
            #expect(box.count == padded + XChaCha20Poly1305.overhead)
            let opened = try XChaCha20Poly1305.open(box, key: k, associatedData: [1, 2])
            #expect(bytes(opened) == bytes(try Padding.pad(plain, blockSize: block)))
            // Not the plaintext left in the box.
            #expect(n < 16 || !box.dropFirst(24).starts(with: plain.prefix(16)))
        }
        // A buffer that is not the padded length is refused.
        #expect(throws: SodiumError.self) {
            _ = try XChaCha20Poly1305.seal(count: 10, key: k, associatedData: []) { (b) throws(SodiumError) in
                try Padding.pad(inPlace: b, count: 9, blockSize: 256)
            }
        }
    }
}
