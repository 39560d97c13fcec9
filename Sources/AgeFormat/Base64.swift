/// RFC 4648 §4 base64, as age uses it (SECURITY.md §13): header fields unpadded and canonical
/// (§3.5: the unused bits of the last character are zero); the armor padded with `=`.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    static func isAlphabet(_ c: UInt8) -> Bool { values[Int(c)] >= 0 }

    /// Unpadded encoding.
    static func encode<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var it = bytes.makeIterator()
        while let a = it.next() {
            let b = it.next(), c = it.next()
            out.append(alphabet[Int(a >> 2)])
            out.append(alphabet[Int((a & 3) << 4 | (b ?? 0) >> 4)])
            if let b { out.append(alphabet[Int((b & 15) << 2 | (c ?? 0) >> 6)]) }
            if let c { out.append(alphabet[Int(c & 63)]) }
        }
        return out
    }

    /// Padded encoding (the armor).
    static func encodePadded<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var out = encode(bytes)
        while out.count % 4 != 0 { out.append(UInt8(ascii: "=")) }
        return out
    }

    /// Strict unpadded decoding: only alphabet characters, no `=`, no length of the form 4k+1, and
    /// the unused low bits of the last character zero. nil otherwise.
    static func decode<C: Collection>(_ chars: C) -> [UInt8]? where C.Element == UInt8 {
        let n = chars.count
        guard n % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(n * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        for c in chars {
            let v = values[Int(c)]
            guard v >= 0 else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                acc &= (1 << UInt32(bits)) - 1
            }
        }
        // Canonical: the bits left over must be zero.
        guard acc == 0 else { return nil }
        return out
    }

    /// Strict padded decoding: a multiple of 4 characters, `=` only as the last one or two, and canonical.
    static func decodePadded(_ chars: [UInt8]) -> [UInt8]? {
        guard chars.count % 4 == 0 else { return nil }
        var body = chars[...]
        var pad = 0
        while body.last == UInt8(ascii: "="), pad < 2 {
            body.removeLast()
            pad += 1
        }
        guard !body.contains(UInt8(ascii: "=")) else { return nil }
        // Padding must be exactly what the unpadded length needs.
        guard (body.count + pad) % 4 == 0, pad == (4 - body.count % 4) % 4 else { return nil }
        return decode(body)
    }
}
