/// Lowercase hex: the one codec for ids, hashes and keys printed or stored as text. Not
/// constant-time: use it for public values (hashes, public keys, ids), not for secrets.
public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode<S: Collection>(_ s: S) -> [UInt8]? where S.Element == UInt8 {
        guard s.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(s.count / 2)
        var hi: UInt8 = 0, odd = false
        for c in s {
            let v: UInt8
            switch c {
            case 48...57: v = c - 48
            case 97...102: v = c - 87
            default: return nil
            }
            if odd { out.append(hi << 4 | v) } else { hi = v }
            odd.toggle()
        }
        return out
    }

    public static func decode(_ s: String) -> [UInt8]? { decode(Array(s.utf8)) }
}
