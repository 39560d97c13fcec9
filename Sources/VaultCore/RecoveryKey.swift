import SodiumKit

/// The recovery key (SECURITY.md §4.2): 32 random bytes plus a 3-byte checksum, written as 56
/// Crockford base32 characters in 14 groups of 4, so a person can copy it onto paper and a typo is
/// caught before any key slot is tried.
public enum RecoveryKey {
    static let keyBytes = 32
    static let checksumBytes = 3
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    static let symbolCount = 56

    /// Checksum: the first 3 bytes of unkeyed BLAKE2b-256 of the 32 key bytes.
    static func checksum(_ key: UnsafeRawBufferPointer) throws(SodiumError) -> [UInt8] {
        Array(try GenericHash.hash(key, length: 32).prefix(checksumBytes))
    }

    /// The printable form of `key` (which must be 32 bytes).
    public static func encode(_ key: borrowing SecureBytes) throws(SodiumError) -> String {
        var payload = try SecureBytes(count: keyBytes + checksumBytes)
        let sumResult: Result<[UInt8], SodiumError> = key.withUnsafeBytes { k in
            do throws(SodiumError) { return .success(try checksum(k)) } catch { return .failure(error) }
        }
        let sum = try sumResult.get()
        var symbols: [UInt8] = []
        symbols.reserveCapacity(symbolCount + 13)
        payload.withUnsafeMutableBytes { p in
            key.withUnsafeBytes { k in p.copyMemory(from: k) }
            for i in 0..<checksumBytes { p[keyBytes + i] = sum[i] }
            var acc: UInt32 = 0, bits = 0
            for byte in p {
                acc = (acc << 8) | UInt32(byte); bits += 8
                while bits >= 5 {
                    bits -= 5
                    if !symbols.isEmpty && (symbols.count + 1) % 5 == 0 { symbols.append(UInt8(ascii: "-")) }
                    symbols.append(alphabet[Int((acc >> UInt32(bits)) & 31)])
                }
                acc &= (1 << UInt32(bits)) - 1
            }
        }
        return String(decoding: symbols, as: UTF8.self)
    }

    /// Parses a typed recovery key: any case, with or without `-` and spaces; Crockford's
    /// I/L → 1 and O → 0. Returns the 32 key bytes, or throws ``VaultError/recoveryKeyMalformed(_:)``.
    public static func decode(_ text: borrowing SecureBytes) throws(VaultError) -> SecureBytes {
        do {
            var payload = try SecureBytes(count: keyBytes + checksumBytes)
            let problem: String? = text.withUnsafeBytes { t in
                payload.withUnsafeMutableBytes { p in
                    var acc: UInt32 = 0, bits = 0, n = 0, out = 0
                    for c in t {
                        if c == UInt8(ascii: "-") || c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { continue }
                        guard let v = value(of: c) else { return "it contains a character that is not part of a recovery key" }
                        n += 1
                        guard n <= symbolCount else { return "it is longer than \(symbolCount) characters" }
                        acc = (acc << 5) | UInt32(v); bits += 5
                        if bits >= 8 {
                            bits -= 8
                            p[out] = UInt8(truncatingIfNeeded: acc >> UInt32(bits)); out += 1
                            acc &= (1 << UInt32(bits)) - 1
                        }
                    }
                    guard n == symbolCount else { return "it has \(n) characters; a recovery key has \(symbolCount)" }
                    return nil
                }
            }
            if let problem { throw VaultError.recoveryKeyMalformed(problem) }
            let ok: Bool = try payload.withUnsafeBytes { p in
                let sum = try checksum(UnsafeRawBufferPointer(rebasing: p[0..<keyBytes]))
                return sum.elementsEqual(p[keyBytes...])
            }
            guard ok else { throw VaultError.recoveryKeyMalformed("its checksum does not match (a character was mistyped)") }
            return try payload.prefix(keyBytes)
        } catch let e as VaultError {
            throw e
        } catch {
            throw .storage("secure memory unavailable")
        }
    }

    private static func value(of c: UInt8) -> UInt8? {
        var u = c
        if u >= UInt8(ascii: "a") && u <= UInt8(ascii: "z") { u -= 32 }
        switch u {
        case UInt8(ascii: "I"), UInt8(ascii: "L"): return 1
        case UInt8(ascii: "O"): return 0
        default:
            if let i = alphabet.firstIndex(of: u) { return UInt8(i) }
            return nil
        }
    }
}
