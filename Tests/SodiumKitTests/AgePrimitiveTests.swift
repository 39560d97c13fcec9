import SodiumKit
import Testing

/// Known answers for the primitives age needs (SECURITY.md §13), from their RFCs or, where the RFC
/// has no case without associated data, from Python's `cryptography` package.
@Suite struct AgePrimitiveTests {
    /// RFC 7748 §6.1.
    @Test func x25519KnownAnswer() throws {
        let alice = try secure(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        let bob = try secure(hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
        #expect(hexString(try X25519.publicKey(of: alice)) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        let bobPublic = try X25519.publicKey(of: bob)
        #expect(hexString(bobPublic) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let shared = try X25519.sharedSecret(alice, peer: bobPublic)
        #expect(hexString(bytes(shared)) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    }

    /// A low-order point gives an all-zero shared secret, which must be refused (RFC 7748 §6.1).
    @Test func x25519RefusesAllZeroSharedSecret() throws {
        let secret = try X25519.generateSecret()
        #expect(throws: SodiumError.authenticationFailed) {
            _ = try X25519.sharedSecret(secret, peer: [UInt8](repeating: 0, count: 32))
        }
        var one = [UInt8](repeating: 0, count: 32)
        one[0] = 1
        #expect(throws: SodiumError.authenticationFailed) { _ = try X25519.sharedSecret(secret, peer: one) }
    }

    /// RFC 8439 §2.8.2's key, nonce and text, without associated data (value from `cryptography`).
    @Test func chacha20Poly1305KnownAnswerAndEveryBitFlip() throws {
        let key = try secure(Array(0..<32))
        let nonce: [UInt8] = [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]
        let text = Array("Ladies and Gentlemen of the class of 99".utf8)
        var box: [UInt8] = []
        try text.withUnsafeBytes { try ChaCha20Poly1305.encrypt($0, key: key, nonce: nonce, appendingTo: &box) }
        #expect(
            hexString(box)
                == "a387c191c0ff88fd7edbc891ef825332f0e1013f3c224e3c6fbd51c20f84c4f6443060eb4a566fe63471975784031544a5a4eca38c20b8"
        )
        #expect(bytes(try ChaCha20Poly1305.open(box, key: key, nonce: nonce)) == text)
        for i in 0..<box.count * 8 {
            var bad = box
            bad[i / 8] ^= 1 << UInt8(i % 8)
            #expect(throws: SodiumError.authenticationFailed) { _ = try ChaCha20Poly1305.open(bad, key: key, nonce: nonce) }
        }
        var otherNonce = nonce
        otherNonce[11] ^= 1
        #expect(throws: SodiumError.authenticationFailed) { _ = try ChaCha20Poly1305.open(box, key: key, nonce: otherNonce) }
    }

    /// RFC 4231 test cases 1 and 2 (and 6: a key longer than the block).
    @Test func hmacSHA256KnownAnswers() throws {
        let k1 = try secure([UInt8](repeating: 0x0b, count: 20))
        #expect(
            hexString(try HMACSHA256.authenticate(Array("Hi There".utf8), key: k1))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let k2 = try secure(Array("Jefe".utf8))
        #expect(
            hexString(try HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: k2))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let k6 = try secure([UInt8](repeating: 0xaa, count: 131))
        let m6 = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        let tag = try HMACSHA256.authenticate(m6, key: k6)
        #expect(hexString(tag) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        #expect(try m6.withUnsafeBytes { try HMACSHA256.verify(tag, $0, key: k6) })
        var bad = tag
        bad[31] ^= 1
        #expect(try !m6.withUnsafeBytes { try HMACSHA256.verify(bad, $0, key: k6) })
    }

    /// RFC 5869 test cases 1 and 3 (the first 32 bytes of OKM: age always takes 32).
    @Test func hkdfSHA256KnownAnswers() throws {
        let ikm = try secure([UInt8](repeating: 0x0b, count: 22))
        let okm1 = try HKDFSHA256.deriveKey(ikm: ikm, salt: Array(0...12), info: Array(0xf0...0xf9))
        #expect(hexString(bytes(okm1)) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf")
        let okm3 = try HKDFSHA256.deriveKey(ikm: ikm, salt: [], info: [])
        #expect(hexString(bytes(okm3)) == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d")
    }

    @Test func sha256KnownAnswer() throws {
        #expect(
            hexString(try SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
