internal import CSodium

/// ChaCha20-Poly1305 as in RFC 7539 / 8439 (`crypto_aead_chacha20poly1305_ietf_*`): 32-byte key,
/// 96-bit nonce chosen by the caller, 16-byte tag. Used only by age (SECURITY.md §13), whose
/// nonces are a fixed zero nonce under a fresh single-use key (stanzas) or a chunk counter (STREAM).
/// The vault's own sealing stays XChaCha20-Poly1305 with random nonces (``XChaCha20Poly1305``).
public enum ChaCha20Poly1305 {
    public static let keyBytes = Int(crypto_aead_chacha20poly1305_ietf_KEYBYTES)
    public static let nonceBytes = Int(crypto_aead_chacha20poly1305_ietf_NPUBBYTES)
    public static let tagBytes = Int(crypto_aead_chacha20poly1305_ietf_ABYTES)

    /// Encrypts `plaintext` (no associated data) and appends `ciphertext || tag` to `out`.
    public static func encrypt(
        _ plaintext: UnsafeRawBufferPointer, key: borrowing SecureBytes, nonce: [UInt8], appendingTo out: inout [UInt8]
    ) throws(SodiumError) {
        try Sodium.ensureInitialized()
        guard key.count == keyBytes else { throw .invalidArgument("ChaCha20-Poly1305 key must be \(keyBytes) bytes") }
        guard nonce.count == nonceBytes else { throw .invalidArgument("ChaCha20-Poly1305 nonce must be \(nonceBytes) bytes") }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: plaintext.count + tagBytes))
        var clen: UInt64 = 0
        let rc: Int32 = out.withUnsafeMutableBufferPointer { o in
            key.withUnsafeBytes { k in
                crypto_aead_chacha20poly1305_ietf_encrypt(
                    o.baseAddress! + start, &clen, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    UInt64(plaintext.count), nil, 0, nil, nonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard rc == 0 else { throw .invalidArgument("encryption failed") }
    }

    /// Encrypts the contents of a secure buffer (a file key) and appends `ciphertext || tag`.
    public static func encrypt(
        _ plaintext: borrowing SecureBytes, key: borrowing SecureBytes, nonce: [UInt8], appendingTo out: inout [UInt8]
    ) throws(SodiumError) {
        try plaintext.withUnsafeBytes { (p) throws(SodiumError) in try encrypt(p, key: key, nonce: nonce, appendingTo: &out) }
    }

    /// Decrypts `ciphertext || tag` into `out` starting at `offset` (which must leave room for
    /// `ciphertext.count - 16` bytes). A wrong key, nonce or any modified byte gives
    /// ``SodiumError/authenticationFailed``, and the bytes at `offset` are left zeroed.
    public static func decrypt(
        _ ciphertext: UnsafeRawBufferPointer, key: borrowing SecureBytes, nonce: [UInt8], into out: inout SecureBytes,
        at offset: Int
    ) throws(SodiumError) {
        try Sodium.ensureInitialized()
        guard key.count == keyBytes, nonce.count == nonceBytes else {
            throw .invalidArgument("ChaCha20-Poly1305 key or nonce size")
        }
        guard ciphertext.count >= tagBytes else { throw .authenticationFailed }
        let plainCount = ciphertext.count - tagBytes
        guard offset >= 0, out.count - offset >= plainCount else { throw .invalidArgument("output buffer too small") }
        var mlen: UInt64 = 0
        let rc: Int32 = out.withUnsafeMutableBytes { o in
            key.withUnsafeBytes { k in
                crypto_aead_chacha20poly1305_ietf_decrypt(
                    o.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset, &mlen, nil,
                    ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(ciphertext.count), nil, 0, nonce,
                    k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard rc == 0 else { throw .authenticationFailed }
    }

    /// Decrypts into a new secure buffer (a wrapped file key).
    public static func open(_ ciphertext: [UInt8], key: borrowing SecureBytes, nonce: [UInt8]) throws(SodiumError) -> SecureBytes
    {
        guard ciphertext.count >= tagBytes else { throw .authenticationFailed }
        var out = try SecureBytes(count: ciphertext.count - tagBytes)
        let r: Result<Void, SodiumError> = ciphertext.withUnsafeBytes { c in
            Result { () throws(SodiumError) in try decrypt(c, key: key, nonce: nonce, into: &out, at: 0) }
        }
        try r.get()
        return out
    }
}
