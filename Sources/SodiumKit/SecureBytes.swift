internal import CSodium

/// A buffer of secret bytes in `sodium_malloc` memory: guard pages, `mlock`ed where the
/// system allows, zeroed and freed exactly once on release.
///
/// It is non-copyable, so a secret cannot be duplicated silently; ``duplicate()`` makes an
/// explicit copy. It has no `description` and cannot be boxed into `Any`, so it cannot be printed.
/// Comparison is constant time (``constantTimeEquals(_:)``).
public struct SecureBytes: ~Copyable {
    private let base: UnsafeMutableRawPointer
    /// Number of bytes in the buffer.
    public let count: Int

    /// A zero-filled secure buffer of `count` bytes.
    public init(count: Int) throws(SodiumError) {
        try Sodium.ensureInitialized()
        guard count >= 0 else { throw .invalidArgument("negative secure buffer size") }
        // sodium_malloc(0) is legal but returns a pointer we must not touch; keep one byte.
        guard let p = sodium_malloc(max(count, 1)) else { throw .outOfMemory }
        sodium_memzero(p, max(count, 1))
        self.base = p
        self.count = count
    }

    /// A secure buffer holding a copy of `bytes`. The caller stays responsible for wiping the source.
    public init(copying bytes: UnsafeRawBufferPointer) throws(SodiumError) {
        try self.init(count: bytes.count)
        if let src = bytes.baseAddress, bytes.count > 0 {
            base.copyMemory(from: src, byteCount: bytes.count)
        }
    }

    /// A secure buffer holding a copy of `bytes`.
    public init(copying bytes: [UInt8]) throws(SodiumError) {
        try self.init(count: bytes.count)
        let dst = base
        bytes.withUnsafeBytes { src in
            if let s = src.baseAddress, src.count > 0 { dst.copyMemory(from: s, byteCount: src.count) }
        }
    }

    /// `count` bytes from the operating system's CSPRNG (`randombytes_buf`).
    public static func random(count: Int) throws(SodiumError) -> SecureBytes {
        let s = try SecureBytes(count: count)
        if count > 0 { randombytes_buf(s.base, count) }
        return s
    }

    deinit {
        // sodium_free zeroes the memory before unlocking and freeing it.
        sodium_free(base)
    }

    /// Read access to the secret. Do not let the pointer escape the closure.
    public func withUnsafeBytes<R: ~Copyable, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Write access to the secret. Do not let the pointer escape the closure.
    public mutating func withUnsafeMutableBytes<R: ~Copyable, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R)
        throws(E) -> R
    {
        try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// Constant-time comparison (`sodium_memcmp`); buffers of different length are unequal.
    public func constantTimeEquals(_ other: borrowing SecureBytes) -> Bool {
        guard count == other.count else { return false }
        if count == 0 { return true }
        return sodium_memcmp(base, other.base, count) == 0
    }

    /// An explicit copy in fresh secure memory.
    public func duplicate() throws(SodiumError) -> SecureBytes {
        try SecureBytes(copying: UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A secure copy of the first `length` bytes (used after unpadding).
    public func prefix(_ length: Int) throws(SodiumError) -> SecureBytes {
        guard length >= 0, length <= count else { throw .invalidArgument("prefix longer than buffer") }
        return try SecureBytes(copying: UnsafeRawBufferPointer(start: base, count: length))
    }
}
