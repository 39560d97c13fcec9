internal import CSodium

/// ISO/IEC 7816-4 padding (`sodium_pad` / `sodium_unpad`): a 0x80 byte, then zero bytes, up to a
/// multiple of the block size. At least one byte is always added.
public enum Padding {
    /// Pads `bytes` into a fresh secure buffer whose length is the next multiple of `blockSize`
    /// strictly greater than `bytes.count`.
    public static func pad(_ bytes: UnsafeRawBufferPointer, blockSize: Int) throws(SodiumError) -> SecureBytes {
        try Sodium.ensureInitialized()
        guard blockSize > 0 else { throw .invalidArgument("block size must be positive") }
        let (q, overflow) = (bytes.count / blockSize + 1).multipliedReportingOverflow(by: blockSize)
        guard !overflow else { throw .invalidArgument("padded length overflows") }
        var out = try SecureBytes(count: q)
        var paddedLen = 0
        let rc: Int32 = out.withUnsafeMutableBytes { o in
            if let src = bytes.baseAddress, bytes.count > 0 { o.baseAddress!.copyMemory(from: src, byteCount: bytes.count) }
            return sodium_pad(&paddedLen, o.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count, blockSize, o.count)
        }
        guard rc == 0, paddedLen == q else { throw .invalidArgument("padding failed") }
        return out
    }

    /// Pads in place: `buffer` holds `count` bytes of content and is exactly the padded length
    /// (a multiple of `blockSize` above `count`, as ``pad(_:blockSize:)`` makes it).
    public static func pad(inPlace buffer: UnsafeMutableRawBufferPointer, count: Int, blockSize: Int) throws(SodiumError) {
        try Sodium.ensureInitialized()
        guard blockSize > 0, count >= 0, count < buffer.count, buffer.count % blockSize == 0,
            buffer.count == (count / blockSize + 1) * blockSize, let base = buffer.baseAddress
        else { throw .invalidArgument("the buffer is not the padded length") }
        var paddedLen = 0
        let rc = sodium_pad(&paddedLen, base.assumingMemoryBound(to: UInt8.self), count, blockSize, buffer.count)
        guard rc == 0, paddedLen == buffer.count else { throw .invalidArgument("padding failed") }
    }

    /// Pads a byte array into secure memory.
    public static func pad(_ bytes: [UInt8], blockSize: Int) throws(SodiumError) -> SecureBytes {
        // Array.withUnsafeBytes cannot return a non-copyable value: copy into secure memory first.
        let staged = try SecureBytes(copying: bytes)
        return try staged.withUnsafeBytes { (raw) throws(SodiumError) -> SecureBytes in try pad(raw, blockSize: blockSize) }
    }

    /// The length of the content before padding, for a buffer padded with `blockSize` (see the
    /// raw-buffer variant, which this calls).
    public static func unpaddedLength(of padded: borrowing SecureBytes, blockSize: Int) throws(SodiumError) -> Int {
        try padded.withUnsafeBytes { (p) throws(SodiumError) -> Int in try unpaddedLength(p, blockSize: blockSize) }
    }
}
