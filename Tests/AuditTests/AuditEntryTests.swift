import Testing

@testable import Audit

@Suite struct AuditEntryTests {
    func sample(_ seq: Int64 = 7) -> AuditEntry {
        AuditEntry(
            seq: seq, time: "2026-11-29T14:00:00Z", action: "show", outcome: "ok",
            attrs: [("version", "2"), ("record", "0123456789abcdef")], prev: [UInt8](repeating: 9, count: 32),
            auth: .mac([UInt8](repeating: 1, count: 32)), signature: [UInt8](repeating: 2, count: 64))
    }

    @Test func roundTripsAndSortsAttributes() {
        let e = sample()
        let line = e.line
        #expect(line.last == 0x0A)
        let parsed = AuditEntry.parse(line.dropLast())
        #expect(parsed == e)
        #expect(parsed?.attrs.map(\.key) == ["record", "version"])
        #expect(parsed?.hash == e.hash && e.hash.count == 32)
    }

    /// A parsed entry hashes the bytes it was read from; any change to it is encoded afresh.
    @Test func aParsedEntryChangedIsEncodedAfresh() throws {
        var parsed = try #require(AuditEntry.parse(sample().line.dropLast()))
        #expect(parsed.hash == sample().hash && parsed.body == sample().body)
        parsed.seq = 8
        #expect(parsed.hash == sample(8).hash && parsed.line == sample(8).line)
        parsed.auth = .pending([UInt8](repeating: 3, count: 32))
        #expect(String(decoding: parsed.chained, as: UTF8.self).hasSuffix("\tp:" + String(repeating: "03", count: 32)))
    }

    @Test func rejectsAnythingNotCanonical() {
        let good = Array(sample().line.dropLast())
        let text = String(decoding: good, as: UTF8.self)
        for bad in [
            text.replacingOccurrences(of: "\t7\t", with: "\t07\t"),  // non-canonical number
            text.replacingOccurrences(of: "show", with: "Show"),  // outside the alphabet
            text.replacingOccurrences(of: "record=", with: "record ="),  // space
            text.replacingOccurrences(of: "\tm:", with: "\tx:"),  // unknown auth kind
            text + "\textra",  // too many fields
            String(text.dropLast(2)),  // short signature
            text.replacingOccurrences(of: "record=0123456789abcdef,version=2", with: "version=2,record=0123456789abcdef")
        ] {
            #expect(AuditEntry.parse(ArraySlice(Array(bad.utf8))) == nil, "\(bad)")
        }
        #expect(AuditEntry.parse(ArraySlice(good)) != nil)
    }

    @Test func pendingChainIsOneWayAndKeyed() {
        let s0 = [UInt8](repeating: 5, count: 32)
        let s1 = AuditChain.evolve(s0)
        #expect(s1.count == 32 && s1 != s0 && AuditChain.evolve(s1) != s1)
        let body = sample().body
        #expect(AuditChain.pendingMAC(seed: s0, body: body) != AuditChain.pendingMAC(seed: s1, body: body))
        #expect(
            AuditChain.genesis(vaultID: [UInt8](repeating: 1, count: 16))
                != AuditChain.genesis(vaultID: [UInt8](repeating: 2, count: 16)))
    }

    @Test func checkpointTextRoundTrips() {
        let cp = AuditCheckpoint(
            vaultID: [UInt8](repeating: 3, count: 16), size: 42, head: [UInt8](repeating: 4, count: 32),
            time: "2026-11-29T14:00:00Z", signature: [UInt8](repeating: 6, count: 64))
        #expect(AuditCheckpoint.parse(cp.text) == cp)
        #expect(AuditCheckpoint.parse(cp.text.replacingOccurrences(of: "size: 42", with: "size: x")) == nil)
    }
}
