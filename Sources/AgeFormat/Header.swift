/// age-encryption.org/v1 §Header: the version line, one or more recipient stanzas, and the MAC
/// line. Parsing is exactly the ABNF: anything else is a ``AgeError/headerFailure(_:)``.
public struct AgeStanza: Equatable, Sendable {
    /// The first argument (`X25519`, `scrypt`, …).
    public var type: String
    /// The arguments after the type.
    public var arguments: [String]
    /// The decoded body.
    public var body: [UInt8]

    public init(type: String, arguments: [String], body: [UInt8]) {
        self.type = type
        self.arguments = arguments
        self.body = body
    }
}

struct AgeHeader {
    static let versionLine = Array("age-encryption.org/v1".utf8)
    static let versionPrefix = Array("age-encryption.org/".utf8)
    static let columns = 64

    var stanzas: [AgeStanza]
    /// The header's bytes from the start up to and including `---` (what the MAC covers).
    var macInput: ArraySlice<UInt8>
    var mac: [UInt8]
    /// Where the payload (its nonce first) starts.
    var payloadOffset: Int

    /// The header up to and including `---`, for the MAC (encoding is canonical, so parsing and
    /// encoding agree byte for byte).
    static func encodeWithoutMAC(_ stanzas: [AgeStanza]) -> [UInt8] {
        var out = versionLine + [0x0a]
        for s in stanzas {
            out += Array("-> ".utf8) + Array(([s.type] + s.arguments).joined(separator: " ").utf8) + [0x0a]
            // Full 64-column lines, then the final short line (possibly empty) that ends the stanza.
            let b64 = Base64.encode(s.body)
            var at = 0
            while b64.count - at >= columns {
                out += b64[at..<at + columns]
                out.append(0x0a)
                at += columns
            }
            out += b64[at...]
            out.append(0x0a)
        }
        out += Array("---".utf8)
        return out
    }

    static func parse(_ b: [UInt8]) throws(AgeError) -> AgeHeader {
        var at = 0
        // One line, without its LF; a missing LF is a header failure.
        func line() throws(AgeError) -> ArraySlice<UInt8> {
            guard let lf = b[at...].firstIndex(of: 0x0a) else { throw .headerFailure("the header ends without a line feed") }
            defer { at = lf + 1 }
            return b[at..<lf]
        }
        let version = try line()
        guard version.elementsEqual(versionLine) else {
            if version.starts(with: versionPrefix) { throw .headerFailure("unsupported age version (only v1 is known)") }
            throw .headerFailure("not an age file (no age-encryption.org/v1 line)")
        }
        var stanzas: [AgeStanza] = []
        while true {
            let start = at
            let l = try line()
            if l.starts(with: Array("--- ".utf8)) || l.elementsEqual(Array("---".utf8)) {
                guard !stanzas.isEmpty else { throw .headerFailure("the header has no recipient stanza") }
                let encoded = l.dropFirst(4)
                guard l.count == 4 + 43, let mac = Base64.decode(encoded), mac.count == 32 else {
                    throw .headerFailure("the header MAC line is malformed")
                }
                return AgeHeader(stanzas: stanzas, macInput: b[0..<start + 3], mac: mac, payloadOffset: at)
            }
            guard l.starts(with: Array("-> ".utf8)) else { throw .headerFailure("a header line is neither a stanza nor the MAC") }
            let args = l.dropFirst(3).split(separator: 0x20, omittingEmptySubsequences: false)
            guard !args.isEmpty, args.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 >= 0x21 && $0 <= 0x7e } }) else {
                throw .headerFailure("a stanza has an empty or invalid argument")
            }
            var body: [UInt8] = []
            while true {
                let bl = try line()
                guard bl.count <= columns, let part = Base64.decode(bl) else {
                    throw .headerFailure("a stanza body line is malformed")
                }
                body += part
                if bl.count < columns { break }
            }
            let strings = args.map { String(decoding: $0, as: UTF8.self) }
            stanzas.append(AgeStanza(type: strings[0], arguments: Array(strings.dropFirst()), body: body))
        }
    }
}
