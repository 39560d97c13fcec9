/// age-encryption.org/v1 §ASCII armor: strict RFC 7468 PEM with the label `AGE ENCRYPTED FILE`,
/// 64-column lines of padded canonical base64, LF or CRLF line endings, whitespace allowed only
/// before and after the block.
public enum AgeArmor {
    static let begin = Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)
    static let end = Array("-----END AGE ENCRYPTED FILE-----".utf8)

    /// True if `file` (after leading whitespace) looks like PEM rather than a binary age file.
    public static func isArmored(_ file: [UInt8]) -> Bool {
        file.drop(while: isSpace).starts(with: Array("-----".utf8))
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d }

    public static func encode(_ binary: [UInt8]) -> [UInt8] {
        let b64 = Base64.encodePadded(binary)
        var out = begin + [0x0a]
        out.reserveCapacity(b64.count + b64.count / 64 + 80)
        var at = 0
        while at < b64.count {
            let e = min(at + 64, b64.count)
            out += b64[at..<e]
            out.append(0x0a)
            at = e
        }
        out += end + [0x0a]
        return out
    }

    public static func decode(_ file: [UInt8]) throws(AgeError) -> [UInt8] {
        var s = file[...]
        while let c = s.first, isSpace(c) { s.removeFirst() }
        while let c = s.last, isSpace(c) { s.removeLast() }
        // Lines, each without its LF or CRLF.
        var lines: [ArraySlice<UInt8>] = []
        var rest = s
        while let lf = rest.firstIndex(of: 0x0a) {
            var l = rest[rest.startIndex..<lf]
            if l.last == 0x0d { l.removeLast() }
            lines.append(l)
            rest = rest[(lf + 1)...]
        }
        lines.append(rest)
        guard lines.count >= 2, lines[0].elementsEqual(begin) else { throw .armorFailure("the armor does not begin as age's") }
        guard lines[lines.count - 1].elementsEqual(end) else { throw .armorFailure("the armor does not end as age's") }
        let data = lines[1..<lines.count - 1]
        var chars: [UInt8] = []
        for (i, l) in data.enumerated() {
            let isLast = i == data.count - 1
            guard !l.isEmpty, l.count <= 64, isLast || l.count == 64 else {
                throw .armorFailure("an armor line has the wrong length")
            }
            guard l.allSatisfy({ Base64.isAlphabet($0) || (isLast && $0 == UInt8(ascii: "=")) }) else {
                throw .armorFailure("an armor line holds a character outside base64")
            }
            chars += l
        }
        guard let binary = Base64.decodePadded(chars) else { throw .armorFailure("the armored base64 is not canonical") }
        return binary
    }
}
