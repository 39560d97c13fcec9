import Foundation
import GRDB
import SodiumKit
import Testing

@testable import VaultCore

@Suite struct RecordTests {
    func vaultWithRecords(_ n: Int = 3) throws -> (TempVault, Vault, [String]) {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        var ids: [String] = []
        for i in 0..<n {
            ids.append(
                try v.addRecord(
                    NewRecord(
                        sourceAlias: "magpie", title: "Title \(i)", tags: ["t\(i)"],
                        date: "2024-03-0\(i + 1)", body: "Body number \(i) with some words.")))
        }
        return (t, v, ids)
    }

    @Test func addShowListRoundTrip() throws {
        let (t, v, ids) = try vaultWithRecords()
        defer { withExtendedLifetime(t) {} }
        let r = try v.record(ids[1])
        #expect(r.body == "Body number 1 with some words.")
        #expect(r.summary.metadata.title == "Title 1")
        #expect(r.summary.metadata.tags == ["t1"])
        #expect(r.summary.metadata.date == "2024-03-02")
        #expect(r.summary.sourceAlias == "Magpie")
        let all = try v.list()
        #expect(all.records.count == 3 && all.problems.isEmpty)
        #expect(try v.list(tag: "T2").records.map(\.id) == [ids[2]])
        _ = try v.addSource(alias: "Crane")
        #expect(try v.list(sourceAlias: "crane").records.isEmpty)
        #expect(throws: VaultError.noSuchSource) { _ = try v.list(sourceAlias: "nobody") }
    }

    @Test func amendKeepsOldVersions() throws {
        let (t, v, ids) = try vaultWithRecords(1)
        defer { withExtendedLifetime(t) {} }
        let (id, version) = try v.amend(String(ids[0].prefix(6)), body: "Corrected testimony.")
        #expect(id == ids[0] && version == 2)
        #expect(try v.record(id).body == "Corrected testimony.")
        #expect(try v.record(id).versionCount == 2)
        #expect(try v.record(id, version: 1).body == "Body number 0 with some words.")
        #expect(throws: VaultError.noSuchVersion(recordID: id, version: 3)) { _ = try v.record(id, version: 3) }
    }

    @Test func removeDeletesRecordAndKey() throws {
        let (t, v, ids) = try vaultWithRecords(2)
        defer { withExtendedLifetime(t) {} }
        _ = try v.remove(ids[0])
        #expect(throws: VaultError.noSuchRecord(prefix: ids[0])) { _ = try v.record(ids[0]) }
        #expect(try v.list().records.map(\.id) == [ids[1]])
        let left = try t.sql {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM record_version WHERE record_id = ?", arguments: [ids[0]])
        }
        #expect(left == 0)
    }

    @Test func idPrefixes() throws {
        let (t, v, ids) = try vaultWithRecords(1)
        defer { withExtendedLifetime(t) {} }
        #expect(try v.resolveRecordID(String(ids[0].prefix(4)).uppercased()) == ids[0])
        #expect(throws: VaultError.self) { _ = try v.resolveRecordID(String(ids[0].prefix(3))) }
        #expect(throws: VaultError.noSuchRecord(prefix: "zzzzzz")) { _ = try v.resolveRecordID("zzzzzz") }
        // Force an ambiguity by inserting a row with a chosen id.
        let store = v.store as! SQLiteVaultStore
        let twin = String(ids[0].prefix(4)) + "000000000000"
        try store.dbQueue.write {
            try $0.execute(sql: "INSERT INTO record (record_id, wrapped_key) VALUES (?, x'00')", arguments: [twin])
        }
        #expect(throws: VaultError.ambiguousRecordID(prefix: String(ids[0].prefix(4)), matches: 2)) {
            _ = try v.resolveRecordID(String(ids[0].prefix(4)))
        }
    }

    @Test func badInputIsRefused() throws {
        let (t, v, ids) = try vaultWithRecords(1)
        defer { withExtendedLifetime(t) {} }
        func invalid(_ body: () throws -> Void) {
            #expect { try body() } throws: { e in if case VaultError.invalidInput = e { true } else { false } }
        }
        invalid { _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "T", body: "  \n ")) }
        invalid { _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "", body: "x")) }
        invalid { _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "a\nb", body: "x")) }
        invalid { _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "T", date: "2024-02-30", body: "x")) }
        invalid { _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "T", date: "5 March", body: "x")) }
        invalid { _ = try v.amend(ids[0], body: "") }
        invalid { _ = try v.addSource(alias: " ") }
        #expect(throws: VaultError.duplicateSource) { _ = try v.addSource(alias: "MAGPIE") }
        #expect(throws: VaultError.noSuchSource) { _ = try v.addRecord(NewRecord(sourceAlias: "Crane", title: "T", body: "x")) }
        #expect(try v.recordCount() == 1)
    }

    @Test func searchIgnoresCaseAccentsWidthAndNormalization() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "까치")
        let a = try v.addRecord(NewRecord(sourceAlias: "까치", title: "River", body: "We crossed near Hoeryŏng at dawn."))
        let b = try v.addRecord(NewRecord(sourceAlias: "까치", title: "Family", body: "이종열은 국경을 넘었다. 在图们江边."))
        let nfd = "이종열".decomposedStringWithCanonicalMapping
        #expect(try v.search("HOERYONG").records.map(\.id) == [a])
        #expect(try v.search("hoeryŏng".decomposedStringWithCanonicalMapping).records.map(\.id) == [a])
        #expect(try v.search("ＨＯＥＲＹＯＮＧ").records.map(\.id) == [a])
        #expect(try v.search(nfd).records.map(\.id) == [b])
        #expect(try v.search("图们江").records.map(\.id) == [b])
        #expect(try v.search("family").records.map(\.id) == [b])
        #expect(try v.search("까치").records.count == 2)
        #expect(try v.search("nowhere").records.isEmpty)
        let c = try v.addRecord(NewRecord(sourceAlias: "까치", title: "Other", tags: ["misc", "ＤＡＷＮ-Raid"], body: "Nothing here."))
        #expect(try v.search("dawn-raid").records.map(\.id) == [c])
    }

    /// After adding and searching, the locked buffers that held each record's testimony, its
    /// padded and folded forms and its key are all zero (including what the 16-byte block scan touched past the folded text).
    @Test func searchLeavesItsBuffersWiped() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        // The last record walked folds shorter than the block the scan stored: "x" then six "e"
        // with a combining acute (19 bytes) fold to 7, and the scan had stored 16.
        for body in [
            "E\u{301}mile at the river 图们江 Hoeryŏng " + String(repeating: "ab", count: 40),
            "x" + String(repeating: "e\u{301}", count: 6)
        ] {
            _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "T", body: body))
        }
        #expect(try v.search("hoeryong").records.count == 1)
        // And the buffers adding them went through (padding, the new record keys).
        for scratch in [v.foldScratch, v.dataScratch, v.keyScratch, v.sealScratch, v.newKeyScratch] {
            #expect(scratch.withBytes(count: scratch.capacity) { $0.allSatisfy { $0 == 0 } })
        }
    }

    @Test func paddingHidesExactLengths() throws {
        #expect(VaultFormat.paddedLength(forPlaintextCount: 0) == 256)
        #expect(VaultFormat.paddedLength(forPlaintextCount: 255) == 256)
        #expect(VaultFormat.paddedLength(forPlaintextCount: 256) == 272)
        #expect(VaultFormat.paddedLength(forPlaintextCount: 4096) == 4352)
        for n in stride(from: 0, to: 100_000, by: 997) {
            let p = VaultFormat.paddedLength(forPlaintextCount: n)
            #expect(p > n && Double(p) <= max(256, Double(n + 1) * 1.12 + 1))
        }
        let (t, v, _) = try vaultWithRecords(0)
        defer { withExtendedLifetime(t) {} }
        let x = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "a", body: String(repeating: "x", count: 3000)))
        let y = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "b", body: String(repeating: "y", count: 3050)))
        let sizes = try t.sql {
            try Int.fetchAll($0, sql: "SELECT length(body) FROM record_version WHERE record_id IN (?, ?)", arguments: [x, y])
        }
        #expect(sizes.count == 2 && sizes[0] == sizes[1])
    }
}

@Suite struct FoldingTests {
    /// The fast path must give exactly what the reference folding gives, on mixed random text.
    @Test func fastPathAgreesWithTheReference() {
        let pieces = [
            "a", "Z", " ", "-", "Hoeryŏng", "o\u{0306}", "\u{0301}", "이종열", "이종열".decomposedStringWithCanonicalMapping,
            "\u{1100}\u{1161}", "가\u{11A8}", "图们江", "ＡＢＣ", "ß", "Ǆ", "\u{200B}", "\u{FE0F}", "ﬁ", "İ", "é",
            "e\u{0301}", "\n", "\u{3000}", "ｶ", "1", "Ⅻ", "\u{00A0}", "ŏ\u{0301}", "Ω",
            // Long enough for the 16-byte block path, and what ends or breaks a block.
            "The River Was Cold ", "강을 건넜다 밤에 국경 ", "图们江边境图们江边境", "\u{0301}", "\u{11A8}",
            "\u{4DC0}", "\u{D7A3}", "\u{D7A4}", "\u{3400}", "\u{33FF}", "\u{AC00}", "\u{ABFF}", "ﷺ", "㍻", "😀"
        ]
        var seed: UInt64 = 0x2545F4914F6CDD1D
        let cache = TextFolding.Cache()
        for _ in 0..<2000 {
            var s = ""
            for _ in 0..<12 {
                seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
                s += pieces[Int(seed % UInt64(pieces.count))]
            }
            #expect(TextFolding.fold(s) == TextFolding.general(s), "\(s.unicodeScalars.map { String($0.value, radix: 16) })")
            #expect(
                TextFolding.fold(s, cache: cache) == TextFolding.general(s),
                "cached: \(s.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func invalidUTF8IsRefused() {
        let bad: [UInt8] = [0x61, 0xFF, 0x62]
        #expect(bad.withUnsafeBytes { TextFolding.fold(utf8: $0) } == nil)
        let overlong: [UInt8] = [0xC0, 0xAF]
        #expect(overlong.withUnsafeBytes { TextFolding.fold(utf8: $0) } == nil)
        // Inside runs the block and inline paths would take: overlong three-byte "A", a UTF-16
        // surrogate, a stray continuation byte, a truncated scalar, at every offset of a block.
        let korean = Array("강을 건넜다 밤에 국경 강을 건넜다".utf8)
        for poison: [UInt8] in [[0xE0, 0x81, 0x81], [0xED, 0xA0, 0x80], [0x80], [0xEA, 0xB0], [0xF8, 0x80, 0x80, 0x80, 0x80]] {
            for at in 0...korean.count {
                let text = Array(korean[..<at]) + poison + Array(korean[at...])
                #expect(text.withUnsafeBytes { TextFolding.fold(utf8: $0) } == nil, "\(poison) at \(at)")
            }
        }
    }

    /// Random bytes biased towards UTF-8 lead and continuation bytes: refused exactly when they
    /// are not UTF-8, and otherwise folded as the reference folds them.
    @Test func randomBytesAgreeWithTheStandardLibrary() {
        var seed: UInt64 = 0x9E3779B97F4A7C15
        let alphabet: [UInt8] = [
            0x41, 0x61, 0x20, 0x80, 0x9E, 0xA3, 0xB0, 0xB7, 0xBF, 0xC5, 0x8F, 0xCC, 0x81,
            0xE0, 0xE3, 0xE4, 0xE5, 0xEA, 0xEC, 0xED, 0xEF, 0xF0, 0x9F, 0x98, 0x80, 0xFF
        ]
        let cache = TextFolding.Cache()
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<40 {
                seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
                bytes.append(alphabet[Int(seed % UInt64(alphabet.count))])
            }
            let valid = String(validating: bytes, as: UTF8.self)
            let folded = bytes.withUnsafeBytes { TextFolding.fold(utf8: $0, cache: cache) }
            #expect(folded == valid.map { TextFolding.general($0) }, "\(bytes)")
        }
    }

    /// A query with a separator finds the words joined by any separators or none; one without
    /// finds only what it spells.
    @Test func separatorsInAQueryMatchAnySeparators() {
        let needle = TextFolding.fold("Hye jin")
        for text in ["met Hye-jin there", "HYEJIN", "hye_jin", "hye \n jin", "hye - jin"] {
            #expect(TextFolding.contains(TextFolding.fold(text), needle), "\(text)")
        }
        for text in ["hye ji", "hyeojin", "jin hye"] { #expect(!TextFolding.contains(TextFolding.fold(text), needle), "\(text)") }
        #expect(!TextFolding.contains(TextFolding.fold("hye-jin"), TextFolding.fold("hyejin")))
    }

    /// The substring search (which scans for the needle's rarest byte) agrees with a naive one,
    /// including matches at the very start and end and needles as long as the text. A needle
    /// holding a separator (the space here) is compared with every separator removed from both.
    @Test func containsAgreesWithANaiveSearch() {
        var seed: UInt64 = 0xD1B54A32D192ED03
        func next(_ n: Int) -> Int { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return Int(seed % UInt64(n)) }
        let alphabet: [UInt8] = Array("ztea ".utf8) + [0xEA, 0xB0, 0x80]
        for _ in 0..<20_000 {
            let hay = (0..<next(24)).map { _ in alphabet[next(alphabet.count)] }
            let needle = (0..<(1 + next(5))).map { _ in alphabet[next(alphabet.count)] }
            let loose = needle.contains(0x20)
            let h = loose ? hay.filter { $0 != 0x20 } : hay
            let n = loose ? needle.filter { $0 != 0x20 } : needle
            let naive =
                h.count >= n.count && (0...(h.count - n.count)).contains { Array(h[$0..<($0 + n.count)]) == n }
            #expect(TextFolding.contains(hay, needle) == naive, "\(hay) \(needle)")
        }
    }

    /// Text that starts with a letter and a combining mark (decomposed, as macOS writes it) has the
    /// block scan stop after one or two bytes: folding must not look or write before either buffer
    /// (0xE5 there once made it take back three bytes that were never copied).
    @Test func staysInsideItsBuffers() {
        for text in [
            "E\u{301}mile walked to the river at dawn", "Le\u{301}on crossed at night, alone.", "가\u{11A8} 국경을 넘었다 at night"
        ] {
            let input = [UInt8](repeating: 0xE5, count: 8) + Array(text.utf8)
            var output = [UInt8](repeating: 0xE5, count: 8 + input.count + 64)
            let outcome = input.withUnsafeBytes { b in
                output.withUnsafeMutableBytes { o in
                    TextFolding.fold(
                        utf8: UnsafeRawBufferPointer(rebasing: b[8...]), into: UnsafeMutableRawBufferPointer(rebasing: o[8...]),
                        cache: TextFolding.Cache())
                }
            }
            let expected = TextFolding.general(text)
            #expect(outcome == .folded(expected.count), "\(text)")
            #expect(Array(output[8..<(8 + expected.count)]) == expected, "\(text)")
            #expect(output[0..<8].allSatisfy { $0 == 0xE5 }, "wrote before the output: \(text)")
        }
    }

    /// Compatibility mappings can make the folded text longer than the input: a buffer that is
    /// too small is reported, never overrun, and a larger one gives the full result.
    @Test func expansionAsksForRoom() {
        let text = String(repeating: "ﷺ", count: 8)
        let expected = TextFolding.general(text)
        #expect(expected.count > text.utf8.count)
        var small = [UInt8](repeating: 0, count: text.utf8.count + 64)
        let outcome = Array(text.utf8).withUnsafeBytes { b in small.withUnsafeMutableBytes { TextFolding.fold(utf8: b, into: $0) }
        }
        #expect(outcome == .needsRoom)
        #expect(TextFolding.fold(text) == expected)
        #expect(TextFolding.fold(text, cache: TextFolding.Cache()) == expected)
    }
}

@Suite struct RetentionTests {
    @Test func unlockPathShredsFromTheIndexAndSurvivesADamagedOne() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "A")
        let due = try v.addRecord(NewRecord(sourceAlias: "A", title: "due", body: "x", retainUntil: "2030-01-01"))
        let kept = try v.addRecord(NewRecord(sourceAlias: "A", title: "kept", body: "y", retainUntil: "2999-01-01"))
        #expect(try v.applyRetention(today: "2029-12-31").isEmpty)
        // A damaged index does not lock anyone out: it is rebuilt from the records.
        try t.sql {
            try $0.execute(
                sql:
                    "UPDATE retention_index SET sealed = CAST(substr(sealed, 1, 40) || (CASE WHEN substr(sealed, 41, 1) = x'00' THEN x'01' ELSE x'00' END) || substr(sealed, 42) AS BLOB)"
            )
        }
        #expect(try v.applyRetention(today: "2031-01-01") == [due])
        #expect(try v.list().records.map(\.id) == [kept])
        #expect(try v.check().problems.isEmpty)
    }

    @Test func checkNoticesRetentionSwitchedOff() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "A")
        _ = try v.addRecord(NewRecord(sourceAlias: "A", title: "due", body: "x", retainUntil: "2030-01-01"))
        try t.sql { try $0.execute(sql: "DELETE FROM retention_index") }
        #expect(!(try v.check().problems.isEmpty))
    }
}

@Suite struct ListingOrderTests {
    /// Listings are ordered by creation time, then id (the byte comparison must agree with it).
    @Test func byCreationTimeThenID() {
        func summary(_ id: String, _ created: String) -> RecordSummary {
            RecordSummary(
                id: id, version: 1,
                metadata: RecordMetadata(
                    source: "s", title: "t", tags: [], date: nil, created: created,
                    versionCreated: created, retainUntil: nil), sourceAlias: nil)
        }
        let input = [
            summary("ff00000000000000", "2026-01-02T00:00:00Z"), summary("0a00000000000000", "2026-01-02T00:00:00Z"),
            summary("1b00000000000000", "2025-12-31T23:59:59Z"), summary("0000000000000001", "2026-01-02T00:00:01Z"),
            summary("00000000000000ff", "2026-01-02T00:00:00Z")
        ]
        let expected = input.sorted { ($0.metadata.created, $0.id) < ($1.metadata.created, $1.id) }
        #expect(Vault.sorted(input).map(\.id) == expected.map(\.id))
        #expect(
            Vault.sorted(input).map(\.id) == [
                "1b00000000000000", "00000000000000ff", "0a00000000000000", "ff00000000000000", "0000000000000001"
            ])
        // The in-place permutation on many orders (cycles of every length), against a plain sort.
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 2, 3, 17, 500] {
            let many = (0..<n).map { _ in
                summary(
                    String(format: "%016llx", UInt64.random(in: 0...UInt64.max, using: &rng)),
                    "2026-01-0\(Int.random(in: 1...3, using: &rng))T00:00:00Z")
            }
            let plain = many.sorted { ($0.metadata.created, $0.id) < ($1.metadata.created, $1.id) }
            #expect(Vault.sorted(many) == plain, "n = \(n)")
        }
    }
}

@Suite struct BodyValidationTests {
    /// Testimony of nothing but white space (any kind) is refused; one visible character is enough.
    @Test func whitespaceOnlyTestimonyIsRefused() {
        for blank in ["", " ", "\n\t\r", "\u{3000}\u{00A0}\u{2028}\u{2029}\u{85}\u{1680}\u{2009}\u{202F}\u{205F}", " \u{200B} "] {
            #expect(throws: VaultError.self) { try Validation.body(blank) }
            #expect(blank.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        }
        for text in ["x", "\u{3000}가", "\u{200B}\u{200C}"] {
            #expect(throws: Never.self) { try Validation.body(text) }
            #expect(!text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        }
    }
}

@Suite struct ParallelSearchTests {
    /// Two workers find exactly what one thread finds, in the same order, with the same damaged
    /// records reported, across many batches (damage placed in different batches).
    @Test func workersAgreeWithOneThread() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        _ = try v.addSource(alias: "Hoeryong Crane")
        var i = 0
        let ids = try v.importRecords {
            guard i < 700 else { return nil }
            i += 1
            let body = i % 7 == 0 ? "We crossed near Hoeryŏng at dawn (\(i))." : "강을 건넜다 \(i) 图们江 the river was cold"
            return NewRecord(
                sourceAlias: i % 50 == 0 ? "Hoeryong Crane" : "Magpie",
                title: i % 11 == 0 ? "HOERYONG notes \(i)" : "Record \(i)",
                tags: i % 13 == 0 ? ["ｈｏｅｒｙｏｎｇ"] : [], body: body)
        }
        try t.sql { db in
            try db.execute(
                sql:
                    "UPDATE record_version SET body = substr(body, 1, 60) || (CASE substr(body, 61, 1) WHEN x'00' THEN x'01' ELSE x'00' END) || substr(body, 62) WHERE record_id = ?",
                arguments: [ids[3]])
            try db.execute(
                sql:
                    "UPDATE record_version SET meta = (CASE substr(meta, 1, 1) WHEN x'00' THEN x'01' ELSE x'00' END) || substr(meta, 2) WHERE record_id = ?",
                arguments: [ids[200]])
            try db.execute(sql: "DELETE FROM record_version WHERE record_id = ?", arguments: [ids[650]])
        }
        for query in ["hoeryong", "the river", "nowhere at all"] {
            let one = try v.searchRecords(query, threads: 1)
            let two = try v.searchRecords(query, threads: 2)
            let three = try v.searchRecords(query, threads: 3)
            #expect(
                one.records.map(\.id) == two.records.map(\.id) && one.records.map(\.id) == three.records.map(\.id), "\(query)")
            #expect(one.records == two.records, "\(query)")
            #expect(one.problems == two.problems && one.problems == three.problems, "\(query)")
            #expect(
                one.problems
                    == [ids[3], ids[200]].map { VaultError.recordIntegrity(recordID: $0) }
                    + [.vaultIntegrity("record \(ids[650]) has 0 versions where the manifest says 1")], "\(query)")
        }
        // Small batches and queues interleave the workers and the calling thread in every way;
        // with workers that cannot get buffers, the calling thread does it all. Same answer.
        let reference = try v.searchRecords("hoeryong", threads: 1)
        let needle = TextFolding.fold("hoeryong")
        let aliases = ["x": "y"].merging(try v.sources().map { ($0.id, $0.alias) }, uniquingKeysWith: { a, _ in a })
        for round in 0..<12 {
            var records: [RecordSummary] = []
            let r = try v.parallelSearch(
                needle: needle, aliases: aliases, threads: 2 + round % 3, batchSize: 1 + round % 4,
                queueLimit: 1 + round % 2
            ) { records.append($0) }
            // Handed out in walk order, batch by batch, as the single-threaded search gives them.
            #expect(records == reference.records && r.problems == reference.problems, "round \(round)")
            #expect(r.count == records.count)
        }
        var aloneRecords: [RecordSummary] = []
        let alone = try v.parallelSearch(
            needle: needle, aliases: aliases, threads: 3, batchSize: 5, queueLimit: 1,
            makeWorkerReader: { _, _ in throw SodiumError.outOfMemory }
        ) { aloneRecords.append($0) }
        #expect(aloneRecords == reference.records && alone.problems == reference.problems)
        // `--limit`: the first N results of the same order, on one thread or several; the walk
        // stops there.
        for threads in [1, 2, 3] {
            for limit in [0, 1, 7, 64, 65, 10_000] {
                var got: [RecordSummary] = []
                let r = try v.searchRecords("hoeryong", threads: threads, limit: limit) { got.append($0) }
                #expect(got == Array(reference.records.prefix(limit)), "\(threads) threads, limit \(limit)")
                #expect(r.count == got.count)
            }
        }
        // After a parallel search the calling thread's buffers are wiped too.
        for scratch in [v.foldScratch, v.dataScratch, v.keyScratch] {
            #expect(scratch.withBytes(count: scratch.capacity) { $0.allSatisfy { $0 == 0 } })
        }

        // And it is the right answer: every record whose body, title, tag or alias says it.
        let damaged: Set<Int> = [4, 201, 651]
        let expected = (1...700).filter { !damaged.contains($0) && ($0 % 7 == 0 || $0 % 11 == 0 || $0 % 13 == 0 || $0 % 50 == 0) }
        #expect(Set(try v.searchRecords("hoeryong", threads: 2).records.map(\.id)) == Set(expected.map { ids[$0 - 1] }))
    }
}

@Suite struct TimestampTests {
    /// The formatter-free timestamp is exactly what ISO8601DateFormatter writes (the audit log and
    /// record metadata used both at different times).
    @Test func matchesISO8601DateFormatter() {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        for seconds in [0.0, 951_782_400, 1_795_996_800.5, 4_102_444_799, 253_402_300_799, -2_208_988_800] {
            let d = Date(timeIntervalSince1970: seconds)
            #expect(UTCTimestamp.string(d) == f.string(from: d), "\(seconds)")
        }
    }
}
