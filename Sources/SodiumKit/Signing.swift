internal import CSodium

/// Ed25519 (`crypto_sign_*`): a key pair from a 32-byte seed, detached signatures.
public enum Ed25519 {
    public static let seedBytes = Int(crypto_sign_SEEDBYTES)
    public static let publicKeyBytes = Int(crypto_sign_PUBLICKEYBYTES)
    public static let signatureBytes = Int(crypto_sign_BYTES)

    /// A signing key held in secure memory, with its public key.
    public struct SigningKey: ~Copyable {
        let secretKey: SecureBytes
        public let publicKey: [UInt8]

        /// The key pair for `seed` (`crypto_sign_seed_keypair`).
        public init(seed: borrowing SecureBytes) throws(SodiumError) {
            try Sodium.ensureInitialized()
            guard seed.count == seedBytes else { throw .invalidArgument("Ed25519 seed must be \(seedBytes) bytes") }
            var sk = try SecureBytes(count: Int(crypto_sign_SECRETKEYBYTES))
            var pk = [UInt8](repeating: 0, count: publicKeyBytes)
            let rc: Int32 = sk.withUnsafeMutableBytes { s in
                seed.withUnsafeBytes { sd in
                    crypto_sign_seed_keypair(
                        &pk, s.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        sd.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            guard rc == 0 else { throw .invalidArgument("Ed25519 key generation failed") }
            secretKey = sk
            publicKey = pk
        }

        /// A detached signature over `message`.
        public func sign(_ message: [UInt8]) throws(SodiumError) -> [UInt8] {
            var sig = [UInt8](repeating: 0, count: signatureBytes)
            let rc: Int32 = secretKey.withUnsafeBytes { s in
                crypto_sign_detached(
                    &sig, nil, message, UInt64(message.count), s.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            guard rc == 0 else { throw .invalidArgument("Ed25519 signing failed") }
            return sig
        }
    }

    /// True if `signature` is `publicKey`'s signature over `message`.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard (try? Sodium.ensureInitialized()) != nil, signature.count == signatureBytes,
            publicKey.count == publicKeyBytes
        else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }
}
