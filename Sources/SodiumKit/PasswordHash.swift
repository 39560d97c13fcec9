internal import CSodium

/// Argon2id v1.3 (`crypto_pwhash` with `crypto_pwhash_ALG_ARGON2ID13`).
public enum PasswordHash {
    public static let saltBytes = Int(crypto_pwhash_SALTBYTES)
    public static let algorithmArgon2id13 = Int32(crypto_pwhash_ALG_ARGON2ID13)
    public static let opsLimitMin = UInt64(crypto_pwhash_OPSLIMIT_MIN)
    public static let memLimitMin = UInt64(crypto_pwhash_MEMLIMIT_MIN)
    public static let opsLimitInteractive = UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE)
    public static let memLimitInteractive = UInt64(crypto_pwhash_MEMLIMIT_INTERACTIVE)
    public static let opsLimitModerate = UInt64(crypto_pwhash_OPSLIMIT_MODERATE)
    public static let memLimitModerate = UInt64(crypto_pwhash_MEMLIMIT_MODERATE)
    public static let opsLimitSensitive = UInt64(crypto_pwhash_OPSLIMIT_SENSITIVE)
    public static let memLimitSensitive = UInt64(crypto_pwhash_MEMLIMIT_SENSITIVE)

    /// Derives `length` bytes from `passphrase` and `salt`. The caller bounds-checks parameters
    /// that came from disk before calling; libsodium's own limits are checked here too.
    public static func deriveKey(
        length: Int,
        passphrase: borrowing SecureBytes,
        salt: [UInt8],
        opsLimit: UInt64,
        memLimit: UInt64
    ) throws(SodiumError) -> SecureBytes {
        try Sodium.ensureInitialized()
        guard salt.count == saltBytes else { throw .invalidArgument("salt must be \(saltBytes) bytes") }
        guard opsLimit >= opsLimitMin, memLimit >= memLimitMin,
            memLimit <= UInt64(crypto_pwhash_memlimit_max()), length >= Int(crypto_pwhash_BYTES_MIN)
        else { throw .invalidArgument("Argon2id parameters out of range") }
        var key = try SecureBytes(count: length)
        let rc: Int32 = key.withUnsafeMutableBytes { out in
            passphrase.withUnsafeBytes { pw in
                crypto_pwhash(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(length),
                    pw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(pw.count),
                    salt, opsLimit, Int(memLimit), algorithmArgon2id13)
            }
        }
        // crypto_pwhash fails only when it cannot get its working memory.
        guard rc == 0 else { throw .outOfMemory }
        return key
    }
}
