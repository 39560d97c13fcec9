import SodiumKit

/// age-encryption.org/v1 §Payload: STREAM over ChaCha20-Poly1305, 64 KiB chunks, nonce =
/// 11-byte big-endian counter || last-chunk flag.
enum AgeStream {
    static let chunkSize = 64 * 1024
    static let tagSize = 16
    static let nonceSize = 16

    static func chunkNonce(_ counter: UInt64, last: Bool) -> [UInt8] {
        var n = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { n[10 - i] = UInt8(truncatingIfNeeded: counter >> UInt64(8 * i)) }
        n[11] = last ? 1 : 0
        return n
    }

    /// Appends the payload (after its nonce) of `plaintext` to `out`.
    static func encrypt(_ plaintext: UnsafeRawBufferPointer, key: borrowing SecureBytes, appendingTo out: inout [UInt8])
        throws(SodiumError)
    {
        let chunks = max(1, (plaintext.count + chunkSize - 1) / chunkSize)
        out.reserveCapacity(out.count + plaintext.count + chunks * tagSize)
        for i in 0..<chunks {
            let start = i * chunkSize
            let end = min(start + chunkSize, plaintext.count)
            let chunk = UnsafeRawBufferPointer(rebasing: plaintext[start..<end])
            try ChaCha20Poly1305.encrypt(chunk, key: key, nonce: chunkNonce(UInt64(i), last: i == chunks - 1), appendingTo: &out)
        }
    }

    /// The plaintext of a payload (after its nonce) into secure memory, or a payload failure; all
    /// or nothing. The chunk layout follows from the length alone: every chunk but the last is
    /// 64 KiB + tag, the last is 1…64 KiB + tag (empty only when it is the only one), and only
    /// the last carries the final flag. A final chunk before the end, or none at the end, fails.
    static func decrypt(_ payload: ArraySlice<UInt8>, key: borrowing SecureBytes) throws(AgeError) -> SecureBytes {
        let full = chunkSize + tagSize
        guard !payload.isEmpty else { throw .payloadFailure("the payload has no chunk") }
        let chunks = (payload.count + full - 1) / full
        let lastSize = payload.count - (chunks - 1) * full
        guard lastSize >= tagSize else { throw .payloadFailure("the last chunk is shorter than its tag") }
        guard lastSize > tagSize || chunks == 1 else { throw .payloadFailure("the last chunk is empty") }
        let total = payload.count - chunks * tagSize
        var out: SecureBytes
        do { out = try SecureBytes(count: total) } catch { throw .crypto("out of secure memory") }
        let failed: AgeError? = payload.withUnsafeBytes { p in
            for i in 0..<chunks {
                let start = i * full
                let end = min(start + full, p.count)
                let last = i == chunks - 1
                do {
                    try ChaCha20Poly1305.decrypt(
                        UnsafeRawBufferPointer(rebasing: p[start..<end]), key: key, nonce: chunkNonce(UInt64(i), last: last),
                        into: &out, at: i * chunkSize)
                } catch {
                    return .payloadFailure(
                        last ? "the last chunk does not decrypt as a final chunk" : "chunk \(i + 1) does not decrypt")
                }
            }
            return nil
        }
        if let failed { throw failed }
        return out
    }
}
