internal import CSodium

/// X25519 Diffie-Hellman (RFC 7748, `crypto_scalarmult_curve25519`), for age's X25519 recipient
/// type (SECURITY.md §13). Secret scalars live in ``SecureBytes``; public keys are 32 plain bytes.
public enum X25519 {
    public static let keyBytes = Int(crypto_scalarmult_curve25519_BYTES)

    /// A new secret scalar from the CSPRNG.
    public static func generateSecret() throws(SodiumError) -> SecureBytes {
        try SecureBytes.random(count: keyBytes)
    }

    /// `X25519(secret, basepoint)`: the public key of `secret`.
    public static func publicKey(of secret: borrowing SecureBytes) throws(SodiumError) -> [UInt8] {
        try Sodium.ensureInitialized()
        guard secret.count == keyBytes else { throw .invalidArgument("X25519 secret must be \(keyBytes) bytes") }
        var out = [UInt8](repeating: 0, count: keyBytes)
        let rc = secret.withUnsafeBytes { s in
            crypto_scalarmult_curve25519_base(&out, s.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else { throw .invalidArgument("X25519 base-point multiplication failed") }
        return out
    }

    /// The X25519 (Montgomery) form of an Ed25519 public key
    /// (`crypto_sign_ed25519_pk_to_curve25519`), for age's `ssh-ed25519` recipients.
    public static func publicKey(fromEd25519 pk: [UInt8]) throws(SodiumError) -> [UInt8] {
        try Sodium.ensureInitialized()
        guard pk.count == Int(crypto_sign_PUBLICKEYBYTES) else { throw .invalidArgument("an Ed25519 public key is 32 bytes") }
        var out = [UInt8](repeating: 0, count: keyBytes)
        guard crypto_sign_ed25519_pk_to_curve25519(&out, pk) == 0 else {
            throw .invalidArgument("not a valid Ed25519 public key")
        }
        return out
    }

    /// `X25519(secret, peer)` with a peer point held in secure memory (age's `ssh-ed25519` tweak
    /// is applied to a shared secret, which must not leave secure memory).
    public static func sharedSecret(_ secret: borrowing SecureBytes, securePeer peer: borrowing SecureBytes) throws(SodiumError)
        -> SecureBytes
    {
        try peer.withUnsafeBytes { (p) throws(SodiumError) -> SecureBytes in try scalarmult(secret, p) }
    }

    /// `X25519(secret, peer)` into secure memory. An all-zero result (a low-order or identity
    /// point) is refused, as RFC 7748 §6.1 and age require: ``SodiumError/authenticationFailed``.
    public static func sharedSecret(_ secret: borrowing SecureBytes, peer: [UInt8]) throws(SodiumError) -> SecureBytes {
        // A public point: copied into secure memory only so that one routine does the scalar
        // multiplication (one allocation per recipient of a share).
        try sharedSecret(secret, securePeer: try SecureBytes(copying: peer))
    }

    private static func scalarmult(_ secret: borrowing SecureBytes, _ peer: UnsafeRawBufferPointer) throws(SodiumError)
        -> SecureBytes
    {
        try Sodium.ensureInitialized()
        guard secret.count == keyBytes, peer.count == keyBytes else {
            throw .invalidArgument("X25519 keys must be \(keyBytes) bytes")
        }
        var out = try SecureBytes(count: keyBytes)
        // libsodium returns -1 when the result is all zeros.
        let rc: Int32 = out.withUnsafeMutableBytes { o in
            secret.withUnsafeBytes { s in
                crypto_scalarmult_curve25519(
                    o.baseAddress!.assumingMemoryBound(to: UInt8.self), s.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    peer.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard rc == 0 else { throw .authenticationFailed }
        return out
    }
}
