/// Strict decoder of fact JSON (SECURITY.md §6.11) on MetadataJSON's validating scanner: every
/// export reads all of the vault's facts, and JSONDecoder took about 5 µs a fact, most of reading
/// 1,000 of them. It reads the locked buffer directly; only the resulting strings are copied out.
///
/// It accepts one JSON object with exactly the keys `created`, `kind`, `source`, `term` (strings,
/// `kind` one of ``FactKind``) and `variants` (array of strings), each once, unescaped, in any
/// order, with JSON whitespace anywhere the grammar allows it. Anything else (an unknown or
/// escaped key, a duplicate, another type, invalid UTF-8…) is nil, and the caller falls back to
/// JSONDecoder: what this accepts, JSONDecoder decodes to the same fact (tested), so a fact reads
/// the same either way.
enum FactJSON {
    static func decode(_ bytes: UnsafeRawBufferPointer) -> StoredFact? {
        bytes.withMemoryRebound(to: UInt8.self) { buffer in
            guard let base = buffer.baseAddress else { return nil }
            var parser = MetadataJSON.Parser(base: base, count: buffer.count)
            return parser.fact()
        }
    }
}

extension MetadataJSON.Parser {
    mutating func fact() -> StoredFact? {
        var source, kind, term, created: String?
        var variants: [String]?
        guard consume("{") else { return nil }
        repeat {
            skipWhitespace()
            guard let name = scanString(), !name.escaped, consume(":") else { return nil }
            skipWhitespace()
            func named(_ key: StaticString) -> Bool {
                guard key.utf8CodeUnitCount == name.end - name.start else { return false }
                for k in 0..<key.utf8CodeUnitCount where base[name.start + k] != key.utf8Start[k] { return false }
                return true
            }
            if named("variants") {
                guard variants == nil, let v = stringArray() else { return nil }
                variants = v
                continue
            }
            guard let t = scanString() else { return nil }
            if named("source"), source == nil {
                source = string(t)
            } else if named("kind"), kind == nil {
                kind = string(t)
            } else if named("term"), term == nil {
                term = string(t)
            } else if named("created"), created == nil {
                created = string(t)
            } else {
                return nil
            }
        } while consume(",")
        guard consume("}") else { return nil }
        skipWhitespace()
        guard i == count, let source, let kind = kind.flatMap(FactKind.init(rawValue:)), let term, let variants,
            let created
        else { return nil }
        return StoredFact(source: source, kind: kind, term: term, variants: variants, created: created)
    }
}
