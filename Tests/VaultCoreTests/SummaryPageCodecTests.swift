import Foundation
import Testing

@testable import VaultCore

/// The binary summary page entry (SECURITY.md §6.12): the encoder's output decodes to what was
/// encoded, and the strict parser refuses everything else: truncation, trailing bytes, lengths and
/// counts past the end (without overflow or a huge allocation), unknown flag bits, more than 256
/// entries; a string that is not UTF-8 is its record's error.
@Suite struct SummaryPageCodecTests {
    static func meta(_ i: Int) -> RecordMetadata {
        RecordMetadata(
            source: "0123456789abcdef", title: i % 3 == 0 ? "회령 — Hoeryŏng \(i)" : "Record \(i)",
            tags: Array(["t", "태그", "", "long tag \(i)"].prefix(i % 5)),
            date: i % 2 == 0 ? "2024-0\(1 + i % 9)-1\(i % 10)" : nil, created: "2026-12-07T14:06:16Z",
            versionCreated: "2026-12-0\(1 + i % 9)T00:00:00Z", retainUntil: i % 4 == 1 ? "2099-01-01" : nil,
            received: i % 5 == 2 ? "sourcevault record=\(i) sender=age1…" : nil)
    }

    static func page(_ n: Int) -> SummaryPage {
        var p = SummaryPage()
        for i in 0..<n {
            p.entries.append(.init(recordID: String(format: "%016x", 0xa000 + i), version: 1 + i % 3, meta: meta(i)))
        }
        return p
    }

    static func decode(_ bytes: [UInt8]) -> SummaryPage? { bytes.withUnsafeBytes { SummaryPage.decode($0) } }

    static func same(_ a: SummaryPage, _ b: SummaryPage) -> Bool {
        a.entries.count == b.entries.count
            && zip(a.entries, b.entries).allSatisfy {
                $0.recordID == $1.recordID && $0.version == $1.version && $0.meta == $1.meta
            }
    }

    @Test func entriesComeBackAsEncoded() throws {
        for n in [0, 1, 7, SummaryPage.capacity] {
            let p = Self.page(n)
            let got = try #require(Self.decode(p.encode()), "\(n) entries")
            #expect(Self.same(p, got), "\(n) entries")
        }
    }

    @Test func everyTruncationAndAnyTrailingByteIsRefused() {
        let bytes = Self.page(5).encode()
        for cut in 0..<bytes.count {
            #expect(Self.decode(Array(bytes[..<cut])) == nil, "cut at \(cut) of \(bytes.count)")
        }
        for extra: [UInt8] in [[0], [0xFF], [0, 0, 0, 0]] {
            #expect(Self.decode(bytes + extra) == nil)
        }
    }

    /// Offsets of the fields of the first entry of `page(1)`: the count (0), then the entry.
    static let firstEntry = 4
    static let flagsAt = firstEntry + 16 + 4
    static let sourceLengthAt = flagsAt + 1

    @Test func lengthsAndCountsPastTheEndAreRefused() {
        let bytes = Self.page(1).encode()
        func with(_ at: Int, _ value: UInt32) -> [UInt8] {
            var b = bytes
            withUnsafeBytes(of: value.littleEndian) { for k in 0..<4 { b[at + k] = $0[k] } }
            return b
        }
        // A string length of every size that reaches past the end, up to 2^32 - 1 (no overflow).
        let left = UInt32(bytes.count - Self.sourceLengthAt - 4)
        for length: UInt32 in [left + 1, left + 2, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFF0, 0xFFFF_FFFF] {
            #expect(Self.decode(with(Self.sourceLengthAt, length)) == nil, "length \(length)")
        }
        // A shorter length leaves bytes that do not parse as the rest of the entry (or trail).
        #expect(Self.decode(with(Self.sourceLengthAt, 15)) == nil)
        // Entry counts: above 256, or more than there are.
        for n: UInt32 in [2, 257, 0xFFFF_FFFF] { #expect(Self.decode(with(0, n)) == nil, "count \(n)") }
        // A tag count no page could hold is refused before anything is allocated for it.
        var p = Self.page(1)
        p.entries[0].meta.tags = ["a"]
        let tagged = p.encode()
        let tagCountAt = tagged.count - 4 - 1 - (p.entries[0].meta.date.map { 4 + $0.utf8.count } ?? 0) - 4
        #expect(tagged[tagCountAt] == 1)
        for n: UInt32 in [2, 0x4000_0000, 0xFFFF_FFFF] {
            var b = tagged
            withUnsafeBytes(of: n.littleEndian) { for k in 0..<4 { b[tagCountAt + k] = $0[k] } }
            #expect(Self.decode(b) == nil, "tag count \(n)")
        }
    }

    @Test func unknownFlagBitsAreRefused() {
        let bytes = Self.page(1).encode()
        for bit in 3..<8 {
            var b = bytes
            b[Self.flagsAt] |= UInt8(1 << bit)
            #expect(Self.decode(b) == nil, "flag bit \(bit)")
        }
    }

    /// The page's structure stands, but a string is not UTF-8: `scan` accepts the page, the entry's
    /// metadata is refused (its record's integrity error), and so is the page as a whole (`check`).
    @Test func aStringThatIsNotUTF8IsItsRecordsError() throws {
        var p = Self.page(1)
        p.entries[0].meta.title = "ABCD"
        let bytes = p.encode()
        let titleAt = Self.sourceLengthAt + 4 + 16 + 4
        #expect(Array(bytes[titleAt..<titleAt + 4]) == Array("ABCD".utf8))
        for bad: [UInt8] in [
            [0xFF, 0x41, 0x41, 0x41], [0xC0, 0x80, 0x41, 0x41], [0xED, 0xA0, 0x80, 0x41], [0x41, 0x41, 0x41, 0xE2]
        ] {
            var b = bytes
            b.replaceSubrange(titleAt..<titleAt + 4, with: bad)
            #expect(Self.decode(b) == nil, "\(bad)")
            b.withUnsafeBytes { raw in
                var views: [SummaryPage.EntryView] = []
                var tags: [UnsafeRawBufferPointer] = []
                #expect(SummaryPage.scan(raw, entries: &views, tags: &tags))
                #expect(views.count == 1 && SummaryPage.metadata(views[0], tags: tags) == nil, "\(bad)")
            }
        }
        // Long strings go through the eight-byte check: a bad byte at every position is found.
        var long = Self.page(1)
        long.entries[0].meta.title = String(repeating: "x", count: 40)
        let longBytes = long.encode()
        for k in 0..<40 {
            var b = longBytes
            b[titleAt + k] = 0x80
            #expect(Self.decode(b) == nil, "bad byte at \(k)")
        }
    }

    /// `list` takes a string from the entry shown before when the bytes are the same: the result
    /// is always what the entry alone gives (same-length strings that differ in one byte, a
    /// different source, empty strings).
    @Test func stringsTakenFromThePreviousEntryAreOnlyEqualOnes() {
        var p = Self.page(12)
        p.entries[3].meta.source = "fedcba9876543210"
        p.entries[5].meta.created = "2026-12-07T14:06:17Z"
        p.entries[6].meta.versionCreated = "2026-12-07T14:06:16Z"
        p.entries[7].meta.created = ""
        p.entries[8].meta.created = ""
        p.entries[9].meta.source = "0123456789abcdeF"
        let bytes = p.encode()
        bytes.withUnsafeBytes { raw in
            var views: [SummaryPage.EntryView] = []
            var tags: [UnsafeRawBufferPointer] = []
            #expect(SummaryPage.scan(raw, entries: &views, tags: &tags))
            var previous: RecordMetadata?
            for (i, v) in views.enumerated() {
                let alone = SummaryPage.metadata(v, tags: tags)
                let after = SummaryPage.metadata(v, tags: tags, previous: previous)
                #expect(alone == p.entries[i].meta && after == alone, "entry \(i)")
                previous = after
            }
        }
    }

    /// Garbled pages (seeded, so a failure repeats): the parser never traps, and whatever it
    /// accepts is exactly what the encoder makes of the result (it accepts the encoder's outputs
    /// and nothing else).
    @Test func garbledPagesAreRefusedOrCanonical() {
        var rng = PageRNG(seed: 0x5EED_F00D)
        let original = Self.page(9).encode()
        var accepted = 0
        for round in 0..<4000 {
            var b = original
            switch round % 4 {
            case 0:  // a few random bytes
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            case 1:  // a byte flipped (never set to 0x00: flipped)
                b[Int(rng.next() % UInt64(b.count))] ^= UInt8(1 + rng.next() % 255)
            case 2:  // a slice removed
                let at = Int(rng.next() % UInt64(b.count)), n = min(b.count - at, 1 + Int(rng.next() % 8))
                b.removeSubrange(at..<at + n)
            default:  // bytes inserted
                let at = Int(rng.next() % UInt64(b.count + 1))
                b.insert(contentsOf: (0..<(1 + Int(rng.next() % 8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            }
            if let page = Self.decode(b) {
                accepted += 1
                #expect(page.encode() == b, "round \(round)")
            }
        }
        #expect(accepted < 4000)
    }
}

/// A small seeded generator (SplitMix64), so a failing round can be repeated.
struct PageRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
