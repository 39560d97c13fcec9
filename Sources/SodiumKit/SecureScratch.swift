import CSodium

/// A reusable secure buffer for transient plaintext (one record at a time while listing or
/// searching): `sodium_malloc` costs several system calls, too many to pay per record, so one
/// locked, guarded buffer is kept and reused, and wiped when it grows or is released.
public final class SecureScratch {
    var storage: SecureBytes

    public init(capacity: Int = 4096) throws(SodiumError) {
        storage = try SecureBytes(count: capacity)
    }

    public var capacity: Int { storage.count }

    /// Makes room for `count` bytes (the old buffer is wiped and freed).
    public func reserve(_ count: Int) throws(SodiumError) {
        guard count > storage.count else { return }
        storage = try SecureBytes(count: max(count, storage.count * 2))
    }

    /// Read access to the first `count` bytes. Do not let the pointer escape.
    public func withBytes<R, E: Error>(count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes { (all) throws(E) -> R in try body(UnsafeRawBufferPointer(rebasing: all[0..<min(count, all.count)])) }
    }

    /// Zeroes the buffer (after the last use of a plaintext).
    public func wipe() {
        storage.withUnsafeMutableBytes { b in if let p = b.baseAddress { sodium_memzero(p, b.count) } }
    }
}

extension XChaCha20Poly1305 {
    /// Opens a sealed box into `scratch` and returns the plaintext length. On failure the scratch
    /// holds nothing of it.
    public static func open(_ sealed: [UInt8], key: borrowing SecureBytes, associatedData: [UInt8],
                            into scratch: SecureScratch) throws(SodiumError) -> Int {
        try Sodium.ensureInitialized()
        guard key.count == keyBytes else { throw .invalidArgument("AEAD key must be \(keyBytes) bytes") }
        guard sealed.count >= nonceBytes + tagBytes else { throw .authenticationFailed }
        try scratch.reserve(sealed.count - nonceBytes - tagBytes)
        let length = sealed.count - nonceBytes - tagBytes
        let rc: Int32 = scratch.storage.withUnsafeMutableBytes { out in
            decrypt(sealed, key: key, associatedData: associatedData, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<length]))
        }
        guard rc == 0 else { throw .authenticationFailed }
        return length
    }
}

extension Padding {
    /// The unpadded length of `padded` (ISO/IEC 7816-4 with block size `blockSize`).
    public static func unpaddedLength(_ padded: UnsafeRawBufferPointer, blockSize: Int) throws(SodiumError) -> Int {
        try Sodium.ensureInitialized()
        guard blockSize > 0, padded.count > 0, padded.count % blockSize == 0 else { throw .invalidPadding }
        var len = 0
        guard sodium_unpad(&len, padded.baseAddress!.assumingMemoryBound(to: UInt8.self), padded.count, blockSize) == 0 else {
            throw .invalidPadding
        }
        return len
    }
}

extension SecureScratch {
    /// The whole buffer as a borrowed secret (for a key opened into a scratch of exactly its size).
    public func withSecureBytes<R>(_ body: (borrowing SecureBytes) throws -> R) rethrows -> R {
        try body(storage)
    }
}
