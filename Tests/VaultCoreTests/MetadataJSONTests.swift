import Foundation
import Testing

@testable import VaultCore

/// MetadataJSON.decode: the strict record-metadata decoder (SECURITY.md §6.4) used by `list`/`search`.
@Suite struct MetadataJSONTests {
    static let valid =
        #"{"created":"2026-11-29T10:00:00Z","source":"0123456789abcdef","tags":["a"],"title":"t","versionCreated":"2026-11-29T10:00:00Z"}"#
    static let expected = RecordMetadata(
        source: "0123456789abcdef", title: "t", tags: ["a"], date: nil,
        created: "2026-11-29T10:00:00Z", versionCreated: "2026-11-29T10:00:00Z", retainUntil: nil)

    static func decode(_ bytes: [UInt8]) -> RecordMetadata? { bytes.withUnsafeBytes { MetadataJSON.decode($0) } }
    static func decode(_ text: String) -> RecordMetadata? { decode(Array(text.utf8)) }
    /// The valid object with `member` (e.g. `"x":1`) added as its first member.
    static func with(_ member: String) -> String { "{" + member + "," + valid.dropFirst() }
    /// The valid object with the title's JSON text (`"t"`) replaced by `bytes`.
    static func title(_ bytes: [UInt8]) -> [UInt8] {
        let parts = valid.components(separatedBy: #""t""#)
        return Array(parts[0].utf8) + bytes + Array(parts[1].utf8)
    }
    static func title(_ json: String) -> [UInt8] { title(Array(json.utf8)) }
    /// The path being replaced: JSONSerialization + RecordMetadata(json:).
    static func reference(_ bytes: [UInt8]) -> RecordMetadata? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        return RecordMetadata(json: object)
    }

    @Test func decodesMinimalObject() {
        #expect(Self.decode(Self.valid) == Self.expected)
        #expect(Self.decode(" \t\r\n" + Self.valid + "\n ") == Self.expected)  // JSON whitespace around it
    }

    @Test func roundTripsEncoderOutput() throws {
        let titles = [
            "", "Record 17", "한국어 증언 기록", "😀 🇰🇷 e\u{301} é 𝄞", "quote \" backslash \\ slash / end",
            "\u{0}\u{1}\u{1f}\u{7f}\u{80}", "\u{8}\u{c}\n\r\t", "\u{2028}\u{2029}", "\u{feff}lead", "\u{10FFFF}\u{FFFD}\u{FFFF}",
            String(repeating: "한국어 ", count: 40)
        ]
        for (n, text) in titles.enumerated() {
            let m = RecordMetadata(
                source: "0123456789abcdef", title: text, tags: n % 2 == 0 ? [] : [text, "b"],
                date: n % 3 == 0 ? nil : "2026-01-02", created: "2026-11-29T10:00:00Z",
                versionCreated: "2026-11-30T10:00:00Z", retainUntil: n % 4 == 0 ? "2027-01-01" : nil)
            for formatting: JSONEncoder.OutputFormatting in [[.sortedKeys, .withoutEscapingSlashes], [], [.prettyPrinted]] {
                let encoder = JSONEncoder()
                encoder.outputFormatting = formatting
                #expect(Self.decode(Array(try encoder.encode(m))) == m, "\(text.debugDescription) \(formatting)")
            }
        }
    }

    @Test func decodesEscapes() {
        let json = #""\" \\ \/ \b \f \n \r \t \u00e9 \u00E9 \ud83d\ude00 \uDBFF\uDFFF \u0000 \u2028 \u0041""#
        #expect(Self.decode(Self.title(json))?.title == "\" \\ / \u{8} \u{c} \n \r \t é é 😀 \u{10FFFF} \u{0} \u{2028} A")
        #expect(Self.decode(Self.title(#""\u00e9\u00e9\u00e9x""#))?.title == "éééx")  // output grows per escape
    }

    @Test func keepsByteOrderMarkInsideStrings() {
        // JSONSerialization (swift-corelibs) drops U+FEFF at the start of a string or after an escape; we keep it.
        #expect(Self.decode(Self.title([0x22, 0xEF, 0xBB, 0xBF, 0x61, 0x22]))?.title == "\u{feff}a")
        #expect(Self.decode(Self.with("\"\u{feff}title\":\"x\""))?.title == "t")  // "\u{feff}title" is not "title"
    }

    @Test func optionalFields() {
        #expect(Self.decode(Self.with(#""date":null"#)) == Self.expected)
        #expect(Self.decode(Self.with(#""retainUntil":null"#)) == Self.expected)
        #expect(Self.decode(Self.with(#""date":"2026-01-02""#))?.date == "2026-01-02")
        #expect(Self.decode(Self.with(#""retainUntil":"2027-01-01""#))?.retainUntil == "2027-01-01")
        for bad in ["1", "true", "false", "[]", "{}", #"["2026-01-02"]"#, "nul", "nulll", "Null"] {
            #expect(Self.decode(Self.with(#""date":"# + bad)) == nil, "date \(bad)")
            #expect(Self.decode(Self.with(#""retainUntil":"# + bad)) == nil, "retainUntil \(bad)")
        }
    }

    @Test func requiredFields() {
        let members = [#""created":"c""#, #""source":"s""#, #""tags":[]"#, #""title":"t""#, #""versionCreated":"v""#]
        #expect(Self.decode("{" + members.joined(separator: ",") + "}") != nil)
        for k in members.indices {  // each one missing
            var m = members
            m.remove(at: k)
            #expect(Self.decode("{" + m.joined(separator: ",") + "}") == nil, "without \(members[k])")
        }
        for bad in ["1", "null", "true", "[]", "{}", #"["t"]"#] {
            #expect(Self.decode(Self.title(bad)) == nil, "title \(bad)")
        }
        let tags = { (json: String) in Self.decode(Self.valid.replacingOccurrences(of: #"["a"]"#, with: json)) }
        #expect(tags("[]")?.tags == [])
        #expect(tags(#"[ "a" , "b" ]"#)?.tags == ["a", "b"])
        for bad in [#""a""#, "null", "{}", "[1]", #"["a",1]"#, #"["a",null]"#, #"[["a"]]"#, #"["a",]"#, "[,]", #"["a" "b"]"#] {
            #expect(tags(bad) == nil, "tags \(bad)")
        }
        #expect(Self.decode("{}") == nil)
    }

    @Test func skipsUnknownKeys() {
        for value in [
            "0", "-0", "1.5e-3", "1E+2", "-12.34", "1e-400", "123456789012345678901234567890", "1.7976931348623157e308",
            "true", "false", "null", #""s""#, #""\u00e9\n""#, "[]", "{}", "[ ]", "{ }",
            #"[[1,{"a":[null,true]}],{"b":{"c":"d"}}, -1]"#, #"{"title":5,"tags":"x"}"#
        ] {
            #expect(Self.decode(Self.with(#""x" : "# + value)) == Self.expected, "value \(value)")
        }
        #expect(Self.decode(Self.with(#""x":1,"y":[],"z\u00e9":{}"#)) == Self.expected)
        #expect(Self.decode(Self.with(#""\u0074itles":1"#)) == Self.expected)
    }

    @Test func escapedKnownKeysAreKnownKeys() {
        let m = Self.decode(#"{"\u0063reated":"c","source":"s","t\u0061gs":[],"title":"t","\u0076ersionCreated":"v"}"#)
        #expect(
            m == RecordMetadata(source: "s", title: "t", tags: [], date: nil, created: "c", versionCreated: "v", retainUntil: nil)
        )
    }

    @Test func rejectsDuplicateKeys() {
        for member in [#""title":"u""#, #""tags":[]"#, #""source":"0123456789abcdef""#, #""\u0074itle":"u""#] {
            #expect(Self.decode(Self.with(member)) == nil, "\(member)")
        }
        for pair in [
            #""date":null,"date":null"#, #""retainUntil":"a","retainUntil":"a""#, #""x":1,"x":1"#,
            #""x":1,"\u0078":2"#, "\"é\":1,\"e\u{301}\":2"
        ] {  // the last: canonically equivalent keys
            #expect(Self.decode(Self.with(pair)) == nil, "\(pair)")
        }
        #expect(Self.decode(Self.with(#""x":{"a":1,"a":2}"#)) == Self.expected)  // nested: not checked (discarded)
    }

    @Test func rejectsInvalidUTF8() {
        let bad: [[UInt8]] = [
            [0x80], [0xBF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xE0, 0x9F, 0xBF],
            [0xF0, 0x80, 0x80, 0xAF], [0xF0, 0x8F, 0xBF, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE], [0xFF],
            [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3, 0x41], [0xE2, 0x28, 0xA1]
        ]
        for b in bad {
            #expect(Self.decode(Self.title([0x22] + b + [0x22])) == nil, "in a string: \(b)")
            #expect(
                Self.decode(Array(Self.with("\"x\":1").utf8).prefix(2) + b + Array(Self.with("\"x\":1").utf8).dropFirst(2))
                    == nil, "in a key: \(b)")
            #expect(Self.decode(Array(Self.valid.utf8) + b) == nil, "after the object: \(b)")
        }
        let good: [[UInt8]] = [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF]
        ]
        for b in good {
            #expect(Self.decode(Self.title([0x22] + b + [0x22]))?.title == String(decoding: b, as: UTF8.self), "\(b)")
        }
    }

    @Test func rejectsLeadingByteOrderMark() {
        #expect(Self.decode([0xEF, 0xBB, 0xBF] + Array(Self.valid.utf8)) == nil)
        #expect(Self.decode(Array(Self.valid.utf8) + [0xEF, 0xBB, 0xBF]) == nil)
    }

    @Test func rejectsRawControlCharacters() {
        for c in UInt8(0)..<0x20 {
            #expect(Self.decode(Self.title([0x22, 0x61, c, 0x62, 0x22])) == nil, "byte \(c)")
        }
        #expect(Self.decode(Self.title([0x22, 0x7F, 0x22]))?.title == "\u{7F}")  // DEL is not a control character in JSON
        for ws in ["\u{0B}", "\u{0C}", "\u{A0}", "\u{0}"] {  // not JSON whitespace
            #expect(Self.decode(ws + Self.valid) == nil)
            #expect(Self.decode(Self.valid + ws) == nil)
        }
    }

    @Test func rejectsBadEscapes() {
        for e in [#"\x41"#, #"\U0041"#, #"\'"#, #"\0"#, #"\a"#, #"\v"#, #"\u12"#, #"\u12G4"#, #"\u"#, #"\ "#, #"\é"#, "\\"] {
            #expect(Self.decode(Self.title("\"a" + e + "\"")) == nil, "\(e)")
        }
    }

    @Test func rejectsLoneSurrogateEscapes() {
        for e in [
            #"\ud800"#, #"\udc00"#, #"\uDFFF"#, #"\ud800x"#, #"\ud800\u0041"#, #"\ud800\ud800"#, #"\udc00\ud800"#,
            #"\uDBFF\n"#, #"\ud83d\\ude00"#, #"\ud83d\ude0"#
        ] {
            #expect(Self.decode(Self.title("\"" + e + "\"")) == nil, "\(e)")
            #expect(Self.decode(Self.with("\"x\":\"" + e + "\"")) == nil, "skipped \(e)")
        }
    }

    @Test func rejectsBadNumbers() {
        for n in [
            "01", "-01", "00", "1.", "-1.", ".5", "+1", "-", "--1", "1e", "1e+", "1E-", "1.e5", "1.5.5", "0x10", "1 2",
            "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1.7976931348623159e308", String(repeating: "9", count: 309), "١"
        ] {
            #expect(Self.decode(Self.with(#""x":"# + n)) == nil, "\(n)")
            #expect(Self.decode(Self.with(#""x":["# + n + "]")) == nil, "[\(n)]")
        }
    }

    @Test func rejectsStructuralErrors() {
        for text in [
            "", " ", "[]", "null", #""x""#, "1", "{", "}", #"{"title"}"#,
            Self.valid + "x", Self.valid + Self.valid, Self.valid + ",", "x" + Self.valid, "[" + Self.valid + "]",
            Self.with(#""x"1"#), Self.with(#""x":"#), Self.with("x:1"), Self.with("'x':1"), Self.with(#""x":[1,]"#),
            Self.with(#""x":{"a":1,}"#), Self.with(#""x":[1 2]"#), Self.with(#""x":{"a"}"#), Self.with(#""x":{"a":}"#),
            Self.with(#""x":{1:2}"#), Self.with(#""x":tru"#), Self.with(#""x":True"#), Self.with(#""x":[}"#),
            Self.with(#""x":{]"#), Self.with(#""x"://c"#), String(Self.valid.dropLast()) + ",}", "{," + Self.valid.dropFirst()
        ] {
            #expect(Self.decode(text) == nil, "\(text)")
        }
        let bytes = Array(Self.with(#""x":[{"a":"\u00e9\n"},-1.5e3,true,false,null]"#).utf8)
        for n in 0..<bytes.count {  // every truncation
            #expect(Self.decode(Array(bytes.prefix(n))) == nil, "prefix \(n)")
        }
        #expect(Self.decode(bytes) == Self.expected)
    }

    @Test func limitsNestingWithoutCrashing() {
        /// The valid object with `"x":` holding `open` × depth, `inner`, `close` × depth.
        func nested(_ open: String, _ inner: String, _ close: String, _ depth: Int) -> String {
            Self.with(#""x":"# + String(repeating: open, count: depth) + inner + String(repeating: close, count: depth))
        }
        #expect(MetadataJSON.maxDepth == 64)
        #expect(Self.decode(nested("[", "", "]", 64)) == Self.expected)
        #expect(Self.decode(nested("[", "", "]", 65)) == nil)
        #expect(Self.decode(nested(#"{"a":"#, "1", "}", 64)) == Self.expected)
        #expect(Self.decode(nested(#"{"a":"#, "1", "}", 65)) == nil)
        #expect(Self.decode(nested(#"[{"a":"#, "1", "}]", 32)) == Self.expected)
        #expect(Self.decode(nested(#"[{"a":"#, "[]", "}]", 32)) == nil)  // 65 levels, the innermost empty
        #expect(Self.decode(nested("[", "", "]", 100_000)) == nil)
        #expect(Self.decode(#"{"x":"# + String(repeating: "[", count: 1 << 20)) == nil)
        #expect(Self.decode(#"{"x":"# + String(repeating: #"{"a":"#, count: 200_000)) == nil)
    }

    /// Seeded mutations of valid objects: whatever we accept, the reference accepts with an equal value.
    /// (Inputs containing a raw U+FEFF are excluded: JSONSerialization drops some of those characters.)
    @Test func acceptsNothingTheReferenceRejects() throws {
        var state: UInt64 = 0x5EED
        func random(_ n: Int) -> Int {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var seeds = [
            Array(Self.valid.utf8), Array(Self.with(#""date":null,"x":[{"a":"\u00e9\n"},-1.5e3,true,false,null]"#).utf8),
            Array(Self.title(#""\ud83d\ude00 \"\\\/\b\f\n\r\t""#))
        ]
        seeds.append(
            Array(
                try encoder.encode(
                    RecordMetadata(
                        source: "0123456789abcdef", title: "한국어 증언 😀 \"q\"", tags: ["a", "인터뷰"],
                        date: "2026-01-02", created: "c", versionCreated: "v", retainUntil: "2027-01-01"))))
        let tokens: [[UInt8]] =
            [
                "\"", "\\", "\\u", "\\ud800", "{", "}", "[", "]", ",", ":", " ", "null", "0", "-", ".", "e", "01",
                "\"x\":", "\"date\":1,", "\"tags\":[],"
            ].map { Array($0.utf8) }
            + [[0x00], [0x1F], [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF]]
        var accepted = 0
        for _ in 0..<20_000 {
            var b = seeds[random(seeds.count)]
            for _ in 0...random(3) {
                let n = b.count
                switch random(6) {
                case 0 where n > 0: b[random(n)] ^= UInt8(1 << random(8))
                case 1 where n > 0: b[random(n)] = UInt8(random(256))
                case 2: b.insert(contentsOf: tokens[random(tokens.count)], at: random(n + 1))
                case 3 where n > 0: let a = random(n); b.removeSubrange(a..<min(n, a + 1 + random(4)))
                case 4 where n > 0: b.removeSubrange(random(n)...)
                case 5 where n > 1:
                    let a = random(n), l = 1 + random(min(20, n - a)); b.insert(contentsOf: b[a..<a + l], at: random(n + 1))
                default: break
                }
            }
            guard let ours = Self.decode(b) else { continue }
            accepted += 1
            let hasBOM = b.indices.contains { b[$0...].starts(with: [0xEF, 0xBB, 0xBF]) }
            if !hasBOM { #expect(Self.reference(b) == ours, "\(String(decoding: b, as: UTF8.self).debugDescription)") }
        }
        #expect(accepted > 1000)  // the loop does exercise acceptance
    }
}
