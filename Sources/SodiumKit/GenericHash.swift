internal import CSodium

/// BLAKE2b (`crypto_generichash`), unkeyed or keyed.
public enum GenericHash {
    public static let bytesMin = Int(crypto_generichash_BYTES_MIN)
    public static let bytesMax = Int(crypto_generichash_BYTES_MAX)

    /// Unkeyed BLAKE2b of `message` with an output of `length` bytes (16...64).
    public static func hash(_ message: UnsafeRawBufferPointer, length: Int = 32) throws(SodiumError) -> [UInt8] {
        try Sodium.ensureInitialized()
        return try run(message, key: nil, keyLength: 0, length: length)
    }

    public static func hash(_ message: [UInt8], length: Int = 32) throws(SodiumError) -> [UInt8] {
        let r: Result<[UInt8], SodiumError> = message.withUnsafeBytes { m in
            do throws(SodiumError) { return .success(try hash(m, length: length)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    /// Keyed BLAKE2b: a MAC / keyed hash under a secret key (16...64 bytes).
    public static func keyedHash(_ message: [UInt8], key: borrowing SecureBytes, length: Int = 32) throws(SodiumError) -> [UInt8]
    {
        try Sodium.ensureInitialized()
        guard key.count >= Int(crypto_generichash_KEYBYTES_MIN), key.count <= Int(crypto_generichash_KEYBYTES_MAX) else {
            throw .invalidArgument("BLAKE2b key length out of range")
        }
        let r: Result<[UInt8], SodiumError> = message.withUnsafeBytes { m in
            key.withUnsafeBytes { k in
                do throws(SodiumError) {
                    return .success(
                        try run(m, key: k.baseAddress!.assumingMemoryBound(to: UInt8.self), keyLength: k.count, length: length))
                } catch { return .failure(error) }
            }
        }
        return try r.get()
    }

    /// Keyed BLAKE2b of the concatenation of `parts`, without making it (the same hash as
    /// ``keyedHash(_:key:length:)`` of the parts joined). The hash state, derived from the key, is
    /// wiped before returning.
    public static func keyedHash(parts: [UnsafeRawBufferPointer], key: borrowing SecureBytes, length: Int = 32)
        throws(SodiumError) -> [UInt8]
    {
        try Sodium.ensureInitialized()
        guard key.count >= Int(crypto_generichash_KEYBYTES_MIN), key.count <= Int(crypto_generichash_KEYBYTES_MAX) else {
            throw .invalidArgument("BLAKE2b key length out of range")
        }
        guard length >= bytesMin, length <= bytesMax else { throw .invalidArgument("BLAKE2b output length out of range") }
        let size = crypto_generichash_statebytes()
        // The state holds the key's block, then values derived from it: kept in guarded, locked
        // memory like the keys (sodium_free wipes it). libsodium wants it 64-byte aligned; a
        // sodium_malloc'd region ends at its guard page, so a size that is a multiple of 64 is.
        guard let raw = sodium_malloc(size) else { throw .outOfMemory }
        defer { sodium_free(raw) }
        guard Int(bitPattern: raw) % 64 == 0 else { throw .invalidArgument("BLAKE2b state not aligned") }
        // (Swift does not import the over-aligned state struct: the functions take an opaque pointer.)
        let state = OpaquePointer(raw)
        var out = [UInt8](repeating: 0, count: length)
        let rc: Int32 = key.withUnsafeBytes { k in
            var rc = crypto_generichash_init(state, k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count, length)
            for part in parts where rc == 0 && part.count > 0 {
                rc = crypto_generichash_update(state, part.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(part.count))
            }
            return rc == 0 ? crypto_generichash_final(state, &out, length) : rc
        }
        guard rc == 0 else { throw .invalidArgument("BLAKE2b failed") }
        return out
    }

    private static func run(_ message: UnsafeRawBufferPointer, key: UnsafePointer<UInt8>?, keyLength: Int, length: Int)
        throws(SodiumError) -> [UInt8]
    {
        guard length >= bytesMin, length <= bytesMax else { throw .invalidArgument("BLAKE2b output length out of range") }
        var out = [UInt8](repeating: 0, count: length)
        let rc = crypto_generichash(
            &out, length, message.baseAddress?.assumingMemoryBound(to: UInt8.self),
            UInt64(message.count), key, keyLength)
        guard rc == 0 else { throw .invalidArgument("BLAKE2b failed") }
        return out
    }
}

extension GenericHash {
    /// Keyed BLAKE2b whose output is itself a key: written straight into secure memory.
    public static func keyedHashIntoSecureMemory(_ message: [UInt8], key: borrowing SecureBytes, length: Int = 32)
        throws(SodiumError) -> SecureBytes
    {
        try Sodium.ensureInitialized()
        guard length >= bytesMin, length <= bytesMax else { throw .invalidArgument("BLAKE2b output length out of range") }
        guard key.count >= Int(crypto_generichash_KEYBYTES_MIN), key.count <= Int(crypto_generichash_KEYBYTES_MAX) else {
            throw .invalidArgument("BLAKE2b key length out of range")
        }
        var out = try SecureBytes(count: length)
        let rc: Int32 = out.withUnsafeMutableBytes { o in
            key.withUnsafeBytes { k in
                message.withUnsafeBufferPointer { m in
                    crypto_generichash(
                        o.baseAddress!.assumingMemoryBound(to: UInt8.self), length, m.baseAddress, UInt64(m.count),
                        k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count)
                }
            }
        }
        guard rc == 0 else { throw .invalidArgument("BLAKE2b failed") }
        return out
    }
}

extension GenericHash {
    /// Keyed BLAKE2b with a key that is not secret-managed (it is stored in the clear, like the
    /// audit log's pending-chain seed).
    public static func keyedHash(_ message: [UInt8], publicKey key: [UInt8], length: Int = 32) throws(SodiumError) -> [UInt8] {
        try Sodium.ensureInitialized()
        guard key.count >= Int(crypto_generichash_KEYBYTES_MIN), key.count <= Int(crypto_generichash_KEYBYTES_MAX) else {
            throw .invalidArgument("BLAKE2b key length out of range")
        }
        guard length >= bytesMin, length <= bytesMax else { throw .invalidArgument("BLAKE2b output length out of range") }
        var out = [UInt8](repeating: 0, count: length)
        let rc = crypto_generichash(&out, length, message, UInt64(message.count), key, key.count)
        guard rc == 0 else { throw .invalidArgument("BLAKE2b failed") }
        return out
    }
}
