import SodiumKit

/// Bech32 (BIP 173) without its length limit, as age encodes recipients (`age1…`) and X25519
/// identities (`AGE-SECRET-KEY-1…`). All lowercase or all uppercase; the checksum is computed over
/// the lowercase form.
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let values: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in charset.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    private static func polymod<S: Sequence>(_ values: S) -> UInt32 where S.Element == UInt8 {
        let gen: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var chk: UInt32 = 1
        for v in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(v)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { chk ^= gen[i] }
        }
        return chk
    }

    private static func hrpExpand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// 8-bit bytes to 5-bit groups, the last one padded with zero bits.
    private static func toFiveBit(_ data: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        var acc: UInt32 = 0, bits = 0, i = 0
        for b in data {
            acc = acc << 8 | UInt32(b)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out[i] = UInt8((acc >> UInt32(bits)) & 31)
                i += 1
            }
            acc &= (1 << UInt32(bits)) - 1
        }
        if bits > 0 { out[i] = UInt8((acc << UInt32(5 - bits)) & 31) }
        acc = 0
    }

    static func fiveBitCount(_ byteCount: Int) -> Int { (byteCount * 8 + 4) / 5 }

    /// The encoding of `data` under `hrp` (lowercase ASCII), as bytes, into `out` (which must be
    /// `hrp.count + 1 + fiveBitCount + 6` bytes). Secure memory in, secure memory out: identities
    /// are encoded with this, so no copy of the secret is made in ordinary memory.
    static func encode(
        hrp: String, data: UnsafeRawBufferPointer, uppercase: Bool, into out: UnsafeMutableRawBufferPointer
    ) throws(SodiumError) {
        let h = Array(hrp.utf8)
        let n = fiveBitCount(data.count)
        var groups = try SecureBytes(count: n)
        groups.withUnsafeMutableBytes { g in toFiveBit(data, into: g) }
        let checksum: [UInt8] = groups.withUnsafeBytes { g in
            let mod = polymod(hrpExpand(h) + Array(g) + [0, 0, 0, 0, 0, 0]) ^ 1
            return (0..<6).map { UInt8((mod >> UInt32(5 * (5 - $0))) & 31) }
        }
        func cased(_ c: UInt8) -> UInt8 { uppercase && c >= 97 && c <= 122 ? c - 32 : c }
        var at = 0
        for c in h {
            out[at] = cased(c)
            at += 1
        }
        out[at] = UInt8(ascii: "1")
        at += 1
        groups.withUnsafeBytes { g in
            for v in g {
                out[at] = cased(charset[Int(v)])
                at += 1
            }
        }
        for v in checksum {
            out[at] = cased(charset[Int(v)])
            at += 1
        }
    }

    /// Public data (recipients) encoded as a String.
    static func encode(hrp: String, data: [UInt8]) -> String {
        let count = hrp.utf8.count + 1 + fiveBitCount(data.count) + 6
        var out = [UInt8](repeating: 0, count: count)
        data.withUnsafeBytes { d in
            out.withUnsafeMutableBytes { o in try? encode(hrp: hrp, data: d, uppercase: false, into: o) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `text` (all lowercase or all uppercase); the human-readable part is returned in
    /// lowercase. nil for a mixed case, a bad character, a bad checksum or non-zero padding.
    static func decode<C: Collection>(_ text: C) -> (hrp: String, data: [UInt8])? where C.Element == UInt8 {
        let bytes = Array(text)
        guard bytes.allSatisfy({ $0 >= 33 && $0 <= 126 }) else { return nil }
        let hasLower = bytes.contains { $0 >= 97 && $0 <= 122 }, hasUpper = bytes.contains { $0 >= 65 && $0 <= 90 }
        guard !(hasLower && hasUpper) else { return nil }
        let lower = bytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        guard let sep = lower.lastIndex(of: UInt8(ascii: "1")), sep >= 1, lower.count - sep - 1 >= 6 else { return nil }
        let hrp = Array(lower[..<sep])
        var groups: [UInt8] = []
        for c in lower[(sep + 1)...] {
            let v = values[Int(c)]
            guard v >= 0 else { return nil }
            groups.append(UInt8(v))
        }
        guard polymod(hrpExpand(hrp) + groups) == 1 else { return nil }
        groups.removeLast(6)
        var out: [UInt8] = []
        var acc: UInt32 = 0, bits = 0
        for g in groups {
            acc = acc << 5 | UInt32(g)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xff))
            }
            acc &= (1 << UInt32(bits)) - 1
        }
        guard bits < 5, acc == 0 else { return nil }
        return (String(decoding: hrp, as: UTF8.self), out)
    }
}
