internal import CSodium

/// SHA-256 (`crypto_hash_sha256`): fingerprints of age recipients and test-vector payload hashes.
public enum SHA256 {
    public static let bytes = Int(crypto_hash_sha256_BYTES)
    /// A valid pointer for empty inputs (libsodium's signatures take non-null pointers).
    nonisolated(unsafe) static let empty: UnsafePointer<UInt8> = UnsafePointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))

    public static func hash(_ message: UnsafeRawBufferPointer) throws(SodiumError) -> [UInt8] {
        try Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: bytes)
        let rc = crypto_hash_sha256(
            &out, message.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? Self.empty, UInt64(message.count))
        guard rc == 0 else { throw .invalidArgument("SHA-256 failed") }
        return out
    }

    public static func hash(_ message: [UInt8]) throws(SodiumError) -> [UInt8] {
        let r: Result<[UInt8], SodiumError> = message.withUnsafeBytes { m in Result { () throws(SodiumError) in try hash(m) } }
        return try r.get()
    }
}

/// HMAC-SHA-256 (RFC 2104, `crypto_auth_hmacsha256_*` with a key of any length): age's header MAC
/// and the building block of HKDF-SHA-256 (SECURITY.md §13).
public enum HMACSHA256 {
    public static let bytes = Int(crypto_auth_hmacsha256_BYTES)

    /// The MAC of `message` under `key`.
    public static func authenticate(_ message: UnsafeRawBufferPointer, key: borrowing SecureBytes) throws(SodiumError) -> [UInt8]
    {
        try key.withUnsafeBytes { (k) throws(SodiumError) -> [UInt8] in try mac(parts: [message], key: k) }
    }

    public static func authenticate(_ message: [UInt8], key: borrowing SecureBytes) throws(SodiumError) -> [UInt8] {
        let r: Result<[UInt8], SodiumError> = message.withUnsafeBytes { m in
            Result { () throws(SodiumError) in try authenticate(m, key: key) }
        }
        return try r.get()
    }

    /// True if `tag` is the MAC of `message` under `key` (compared in constant time).
    public static func verify(_ tag: [UInt8], _ message: UnsafeRawBufferPointer, key: borrowing SecureBytes) throws(SodiumError)
        -> Bool
    {
        let expected = try authenticate(message, key: key)
        guard tag.count == expected.count else { return false }
        return sodium_memcmp(tag, expected, expected.count) == 0
    }

    /// HMAC over the concatenation of `parts`; the result is written to `out` (32 bytes) if given,
    /// else returned. Internal: HKDF writes its output straight into secure memory.
    static func mac(
        parts: [UnsafeRawBufferPointer], key: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer? = nil
    ) throws(SodiumError) -> [UInt8] {
        try Sodium.ensureInitialized()
        var state = crypto_auth_hmacsha256_state()
        defer { withUnsafeMutableBytes(of: &state) { Sodium.wipe($0) } }
        // An empty key (HKDF's empty salt) still needs a valid pointer.
        let keyPointer = key.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? SHA256.empty
        guard crypto_auth_hmacsha256_init(&state, keyPointer, key.count) == 0 else {
            throw .invalidArgument("HMAC-SHA-256 init failed")
        }
        for p in parts where p.count > 0 {
            crypto_auth_hmacsha256_update(&state, p.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(p.count))
        }
        if let out {
            guard out.count == bytes else { throw .invalidArgument("HMAC output must be \(bytes) bytes") }
            crypto_auth_hmacsha256_final(&state, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
            return []
        }
        var tag = [UInt8](repeating: 0, count: bytes)
        crypto_auth_hmacsha256_final(&state, &tag)
        return tag
    }
}

/// HKDF-SHA-256 (RFC 5869) with a 32-byte output, as age uses it: Extract with `salt`, then
/// one block of Expand with `info`. libsodium 1.0.18 (Debian 12) has no HKDF, so it is built
/// here from HMAC-SHA-256; the output goes straight into secure memory.
public enum HKDFSHA256 {
    public static func deriveKey(ikm: borrowing SecureBytes, salt: [UInt8], info: [UInt8]) throws(SodiumError) -> SecureBytes {
        // PRK = HMAC(salt, IKM); OKM = T(1) = HMAC(PRK, info || 0x01). An empty salt is
        // HashLen zeros (RFC 5869 §2.2), which HMAC's key padding makes the same as no key.
        var prk = try SecureBytes(count: HMACSHA256.bytes)
        let r1: Result<[UInt8], SodiumError> = salt.withUnsafeBytes { s in
            ikm.withUnsafeBytes { k in
                prk.withUnsafeMutableBytes { p in
                    Result { () throws(SodiumError) in try HMACSHA256.mac(parts: [k], key: s, into: p) }
                }
            }
        }
        _ = try r1.get()
        var okm = try SecureBytes(count: HMACSHA256.bytes)
        let input = info + [1]
        let r2: Result<[UInt8], SodiumError> = input.withUnsafeBytes { i in
            prk.withUnsafeBytes { p in
                okm.withUnsafeMutableBytes { o in
                    Result { () throws(SodiumError) in try HMACSHA256.mac(parts: [i], key: p, into: o) }
                }
            }
        }
        _ = try r2.get()
        return okm
    }
}
