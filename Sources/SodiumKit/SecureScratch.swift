internal import CSodium

/// A reusable secure buffer for transient plaintext (one record at a time while listing or
/// searching): `sodium_malloc` costs several system calls, too many to pay per record, so one
/// locked, guarded buffer is kept and reused, and wiped when it grows or is released.
public final class SecureScratch {
    var storage: SecureBytes

    public init(capacity: Int = 4096) throws(SodiumError) {
        storage = try SecureBytes(count: capacity)
    }

    /// Holds exactly `bytes` (a key kept in a table of keys; ``withSecureBytes(_:)`` lends it).
    public init(holding bytes: consuming SecureBytes) {
        storage = bytes
    }

    public var capacity: Int { storage.count }

    /// Makes room for `count` bytes (the old buffer is wiped and freed).
    public func reserve(_ count: Int) throws(SodiumError) {
        guard count > storage.count else { return }
        storage = try SecureBytes(count: max(count, storage.count * 2))
    }

    /// Read access to the first `count` bytes. Do not let the pointer escape.
    public func withBytes<R, E: Error>(count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes { (all) throws(E) -> R in
            try body(UnsafeRawBufferPointer(rebasing: all[0..<min(count, all.count)]))
        }
    }

    /// Write access to the whole buffer, made at least `minimumCapacity` bytes long first. Do not
    /// let the pointer escape.
    public func withMutableBytes<R, E: Error>(minimumCapacity: Int, _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws
        -> R
    {
        try reserve(minimumCapacity)
        return try storage.withUnsafeMutableBytes { (all) throws(E) -> R in try body(all) }
    }

    /// Zeroes the buffer (after the last use of a plaintext), or its first `count` bytes when
    /// that is all that was used.
    public func wipe(count: Int = .max) {
        storage.withUnsafeMutableBytes { b in if let p = b.baseAddress { sodium_memzero(p, min(max(count, 0), b.count)) } }
    }
}

extension XChaCha20Poly1305 {
    /// Opens a sealed box into `scratch` and returns the plaintext length. On failure the scratch
    /// holds nothing of it.
    public static func open(
        _ sealed: [UInt8], key: borrowing SecureBytes, associatedData: [UInt8],
        into scratch: SecureScratch
    ) throws(SodiumError) -> Int {
        // (Array.withUnsafeBytes is not typed-throws; this is the only error `open` throws.)
        var result: Result<Int, SodiumError> = .failure(.authenticationFailed)
        sealed.withUnsafeBytes { box in
            result = Result { () throws(SodiumError) -> Int in
                try open(box, key: key, associatedData: associatedData, into: scratch)
            }
        }
        return try result.get()
    }

    /// Same, for a box borrowed from elsewhere (a database row) without copying it.
    public static func open(
        _ sealed: UnsafeRawBufferPointer, key: borrowing SecureBytes, associatedData: [UInt8],
        into scratch: SecureScratch
    ) throws(SodiumError) -> Int {
        try Sodium.ensureInitialized()
        guard key.count == keyBytes else { throw .invalidArgument("AEAD key must be \(keyBytes) bytes") }
        guard sealed.count >= nonceBytes + tagBytes else { throw .authenticationFailed }
        try scratch.reserve(sealed.count - nonceBytes - tagBytes)
        let length = sealed.count - nonceBytes - tagBytes
        let rc: Int32 = scratch.storage.withUnsafeMutableBytes { out in
            decrypt(
                sealed, key: key, associatedData: associatedData, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<length]))
        }
        guard rc == 0 else { throw .authenticationFailed }
        return length
    }
}

extension Padding {
    /// The unpadded length of `padded` (ISO/IEC 7816-4 with block size `blockSize`).
    ///
    /// Only for plaintext that was just authenticated: unlike `sodium_unpad` (constant time, made
    /// for unauthenticated input, which scans the whole block: a fifth of a vault search), this
    /// scans back from the end, so its time depends on the amount of padding, a value the
    /// ciphertext length already reveals to within the padding rule.
    public static func unpaddedLength(_ padded: UnsafeRawBufferPointer, blockSize: Int) throws(SodiumError) -> Int {
        guard blockSize > 0, padded.count > 0, padded.count % blockSize == 0 else { throw .invalidPadding }
        // The zeros after the 0x80 are skipped eight bytes at a time: a summary page (§6.12) carries
        // tens of KiB of them, and `list` unpads every page.
        var end = padded.count
        while end >= 8 && padded.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self) == 0 { end -= 8 }
        var i = end - 1
        while i >= 0 && padded[i] == 0 { i -= 1 }
        guard i >= 0, padded[i] == 0x80, padded.count - i <= blockSize else { throw .invalidPadding }
        return i
    }
}

extension Padding {
    /// Pads `bytes` (ISO/IEC 7816-4, block size `blockSize`) into `scratch`, grown as needed, and
    /// returns the padded length: the bulk-import path, with no secure allocation per field.
    public static func pad(_ bytes: UnsafeRawBufferPointer, blockSize: Int, into scratch: SecureScratch) throws(SodiumError)
        -> Int
    {
        try Sodium.ensureInitialized()
        guard blockSize > 0 else { throw .invalidArgument("block size must be positive") }
        let (q, overflow) = (bytes.count / blockSize + 1).multipliedReportingOverflow(by: blockSize)
        guard !overflow else { throw .invalidArgument("padded length overflows") }
        try scratch.reserve(q)
        var paddedLen = 0
        let rc: Int32 = scratch.storage.withUnsafeMutableBytes { o in
            if let src = bytes.baseAddress, bytes.count > 0 { o.baseAddress!.copyMemory(from: src, byteCount: bytes.count) }
            return sodium_pad(&paddedLen, o.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count, blockSize, q)
        }
        guard rc == 0, paddedLen == q else { scratch.wipe(count: q); throw .invalidArgument("padding failed") }
        return q
    }
}

extension XChaCha20Poly1305 {
    /// Seals the first `count` bytes of `scratch`.
    public static func seal(
        _ scratch: SecureScratch, count: Int, key: borrowing SecureBytes,
        associatedData: [UInt8]
    ) throws(SodiumError) -> [UInt8] {
        guard count <= scratch.capacity else { throw .invalidArgument("more bytes than the buffer holds") }
        return try scratch.withBytes(count: count) { (p) throws(SodiumError) -> [UInt8] in
            try seal(p, key: key, associatedData: associatedData)
        }
    }
}

extension SecureScratch {
    /// Fills the buffer with random bytes (a new key, generated in place).
    public func fillRandom() throws(SodiumError) {
        try Sodium.ensureInitialized()
        storage.withUnsafeMutableBytes { b in if let p = b.baseAddress { randombytes_buf(p, b.count) } }
    }

    /// The whole buffer as a borrowed secret (for a key opened into a scratch of exactly its size).
    public func withSecureBytes<R>(_ body: (borrowing SecureBytes) throws -> R) rethrows -> R {
        try body(storage)
    }
}
