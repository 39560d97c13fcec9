internal import CSodium

/// Public (non-secret) random values: nonces, salts, identifiers.
public enum Random {
    /// `count` bytes from `randombytes_buf`.
    public static func bytes(_ count: Int) throws(SodiumError) -> [UInt8] {
        try Sodium.ensureInitialized()
        guard count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { buf in
            if let p = buf.baseAddress { randombytes_buf(p, buf.count) }
        }
        return out
    }
}
