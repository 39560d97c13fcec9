internal import CSodium

/// XChaCha20-Poly1305 (IETF construction, `crypto_aead_xchacha20poly1305_ietf_*`) with a random
/// 192-bit nonce per message. A sealed box is `nonce (24 bytes) || ciphertext || tag (16 bytes)`.
public enum XChaCha20Poly1305 {
    public static let keyBytes = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    public static let nonceBytes = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    public static let tagBytes = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
    /// Bytes a sealed box adds to its plaintext.
    public static var overhead: Int { nonceBytes + tagBytes }

    /// Seals `plaintext` under `key`, binding `associatedData`, with a fresh random nonce.
    public static func seal(
        _ plaintext: UnsafeRawBufferPointer,
        key: borrowing SecureBytes,
        associatedData: [UInt8]
    ) throws(SodiumError) -> [UInt8] {
        try seal(plaintext, key: key, associatedData: associatedData, nonce: nil)
    }

    /// Seals with a caller-chosen nonce: for known-answer tests only (a repeated nonce under one
    /// key breaks confidentiality), hence SPI.
    @_spi(KnownAnswerTests)
    public static func seal(
        _ plaintext: UnsafeRawBufferPointer,
        key: borrowing SecureBytes,
        associatedData: [UInt8],
        nonce fixedNonce: [UInt8]?
    ) throws(SodiumError) -> [UInt8] {
        try Sodium.ensureInitialized()
        guard key.count == keyBytes else { throw .invalidArgument("AEAD key must be \(keyBytes) bytes") }
        let nonce: [UInt8]
        if let fixedNonce { nonce = fixedNonce } else { nonce = try Random.bytes(nonceBytes) }
        guard nonce.count == nonceBytes else { throw .invalidArgument("AEAD nonce must be \(nonceBytes) bytes") }
        var out = [UInt8](repeating: 0, count: nonceBytes + plaintext.count + tagBytes)
        var clen: UInt64 = 0
        let rc: Int32 = out.withUnsafeMutableBufferPointer { outBuf in
            for i in 0..<nonceBytes { outBuf[i] = nonce[i] }
            return key.withUnsafeBytes { k in
                associatedData.withUnsafeBufferPointer { ad in
                    crypto_aead_xchacha20poly1305_ietf_encrypt(
                        outBuf.baseAddress! + nonceBytes, &clen,
                        plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                        ad.baseAddress, UInt64(ad.count),
                        nil, nonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard rc == 0, Int(clen) == plaintext.count + tagBytes else { throw .invalidArgument("encryption failed") }
        return out
    }

    /// Seals `count` bytes that `fill` writes into the output buffer, encrypted there in place
    /// (libsodium allows it): one buffer for the plaintext and the sealed box, for a large value
    /// built from parts (`rekey`'s manifest) instead of a plaintext array and a second one sealed.
    /// The plaintext is overwritten by the ciphertext (on failure, by zeros).
    public static func seal(
        count: Int, key: borrowing SecureBytes, associatedData: [UInt8],
        fill: (UnsafeMutableRawBufferPointer) throws(SodiumError) -> Void
    ) throws(SodiumError) -> [UInt8] {
        try Sodium.ensureInitialized()
        guard key.count == keyBytes else { throw .invalidArgument("AEAD key must be \(keyBytes) bytes") }
        guard count >= 0 else { throw .invalidArgument("negative length") }
        let nonce = try Random.bytes(nonceBytes)
        var out = [UInt8](repeating: 0, count: nonceBytes + count + tagBytes)
        var clen: UInt64 = 0
        var failure: SodiumError?
        let rc: Int32 = out.withUnsafeMutableBytes { outBuf in
            let body = UnsafeMutableRawBufferPointer(rebasing: outBuf[nonceBytes..<nonceBytes + count])
            do throws(SodiumError) { try fill(body) } catch {
                failure = error
                return -1
            }
            outBuf.copyBytes(from: nonce)
            let m = outBuf.baseAddress!.assumingMemoryBound(to: UInt8.self) + nonceBytes
            return key.withUnsafeBytes { k in
                associatedData.withUnsafeBufferPointer { ad in
                    crypto_aead_xchacha20poly1305_ietf_encrypt(
                        m, &clen, m, UInt64(count), ad.baseAddress, UInt64(ad.count),
                        nil, nonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard rc == 0, Int(clen) == count + tagBytes else {
            out.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) }
            throw failure ?? .invalidArgument("encryption failed")
        }
        return out
    }

    /// Seals the contents of a secure buffer (a wrapped key, padded plaintext).
    public static func seal(
        _ plaintext: borrowing SecureBytes,
        key: borrowing SecureBytes,
        associatedData: [UInt8]
    ) throws(SodiumError) -> [UInt8] {
        try plaintext.withUnsafeBytes { (p) throws(SodiumError) -> [UInt8] in
            try seal(p, key: key, associatedData: associatedData, nonce: nil)
        }
    }

    /// Opens a sealed box into secure memory. Any modification of the box, a wrong key or different
    /// associated data gives ``SodiumError/authenticationFailed`` and releases nothing.
    public static func open(
        _ sealed: [UInt8],
        key: borrowing SecureBytes,
        associatedData: [UInt8]
    ) throws(SodiumError) -> SecureBytes {
        try Sodium.ensureInitialized()
        guard key.count == keyBytes else { throw .invalidArgument("AEAD key must be \(keyBytes) bytes") }
        guard sealed.count >= nonceBytes + tagBytes else { throw .authenticationFailed }
        var plain = try SecureBytes(count: sealed.count - nonceBytes - tagBytes)
        let rc: Int32 = plain.withUnsafeMutableBytes { out in decrypt(sealed, key: key, associatedData: associatedData, into: out)
        }
        // On failure libsodium leaves the output zeroed; `plain` is freed (and wiped) on return.
        guard rc == 0 else { throw .authenticationFailed }
        return plain
    }

    /// The one call to `crypto_aead_xchacha20poly1305_ietf_decrypt`: `out` must hold the plaintext
    /// length (box minus nonce and tag). Returns libsodium's result code.
    static func decrypt(
        _ sealed: [UInt8], key: borrowing SecureBytes, associatedData: [UInt8],
        into out: UnsafeMutableRawBufferPointer
    ) -> Int32 {
        sealed.withUnsafeBytes { box in decrypt(box, key: key, associatedData: associatedData, into: out) }
    }

    static func decrypt(
        _ box: UnsafeRawBufferPointer, key: borrowing SecureBytes, associatedData: [UInt8],
        into out: UnsafeMutableRawBufferPointer
    ) -> Int32 {
        var mlen: UInt64 = 0
        guard box.count >= nonceBytes + tagBytes, out.count >= box.count - nonceBytes - tagBytes,
            let b = box.baseAddress?.assumingMemoryBound(to: UInt8.self)
        else { return -1 }
        return key.withUnsafeBytes { k in
            associatedData.withUnsafeBufferPointer { ad in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    out.baseAddress?.assumingMemoryBound(to: UInt8.self), &mlen, nil,
                    b + nonceBytes, UInt64(box.count - nonceBytes),
                    ad.baseAddress, UInt64(ad.count),
                    b, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
    }
}
