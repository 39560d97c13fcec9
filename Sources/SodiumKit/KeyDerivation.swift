internal import CSodium

/// Subkey derivation with `crypto_kdf_derive_from_key` (BLAKE2b keyed with the master key,
/// the subkey id as salt and an 8-byte context as personalisation).
public enum KeyDerivation {
    public static let contextBytes = Int(crypto_kdf_CONTEXTBYTES)
    public static let masterKeyBytes = Int(crypto_kdf_KEYBYTES)

    /// Derives a `length`-byte subkey. `context` must be exactly 8 ASCII bytes.
    public static func deriveSubkey(
        from masterKey: borrowing SecureBytes,
        subkeyID: UInt64,
        context: String,
        length: Int = 32
    ) throws(SodiumError) -> SecureBytes {
        try Sodium.ensureInitialized()
        let ctx = Array(context.utf8)
        guard ctx.count == contextBytes else { throw .invalidArgument("KDF context must be \(contextBytes) bytes") }
        guard masterKey.count == masterKeyBytes else { throw .invalidArgument("KDF master key must be \(masterKeyBytes) bytes") }
        guard length >= Int(crypto_kdf_BYTES_MIN), length <= Int(crypto_kdf_BYTES_MAX) else {
            throw .invalidArgument("KDF subkey length out of range")
        }
        var sub = try SecureBytes(count: length)
        let rc: Int32 = sub.withUnsafeMutableBytes { out in
            masterKey.withUnsafeBytes { mk in
                ctx.withUnsafeBufferPointer { c in
                    c.withMemoryRebound(to: CChar.self) { cc in
                        crypto_kdf_derive_from_key(
                            out.baseAddress!.assumingMemoryBound(to: UInt8.self), length, subkeyID,
                            cc.baseAddress!, mk.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    }
                }
            }
        }
        guard rc == 0 else { throw .invalidArgument("subkey derivation failed") }
        return sub
    }
}
