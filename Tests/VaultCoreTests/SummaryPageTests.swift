import Foundation
import GRDB
import Testing

@testable import VaultCore

/// The summary pages `list` reads (format 5, SECURITY.md §6.12): kept equal to the records by
/// every write, and every change made to them without the key is named.
@Suite struct SummaryPageTests {
    func importing(_ v: Vault, _ n: Int, from: Int = 0) throws -> [String] {
        var i = from
        return try v.importRecords({
            guard i < from + n else { return nil }
            i += 1
            return NewRecord(sourceAlias: "Magpie", title: "Record \(i)", tags: ["t\(i % 3)"], body: "Testimony \(i).")
        })
    }

    func refusal(_ body: () throws -> Void) -> String? {
        do { try body() } catch let VaultError.vaultIntegrity(m) { return m } catch { return "other: \(error)" }
        return nil
    }

    func pageIDs(_ t: TempVault) throws -> [String] {
        try t.sql { try String.fetchAll($0, sql: "SELECT id FROM summary_page ORDER BY id") }
    }

    func sealedPage(_ t: TempVault, _ id: String) throws -> Data {
        try t.sql { try Data.fetchOne($0, sql: "SELECT sealed FROM summary_page WHERE id = ?", arguments: [id])! }
    }

    func putPage(_ t: TempVault, _ id: String, _ sealed: Data) throws {
        try t.sql { try $0.execute(sql: "UPDATE summary_page SET sealed = ? WHERE id = ?", arguments: [sealed, id]) }
    }

    /// add, import, amend, edit, rm, retention and rekey each leave pages that list exactly the
    /// records' latest versions in the order they were added, and `check` agrees.
    @Test func everyWriteKeepsThePagesEqualToTheRecords() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        var ids = try importing(v, 300)  // a full page of 256, then a second one
        #expect(try pageIDs(t) == ["0000000000000001", "0000000000000002"])
        let steps: [(String, () throws -> Void)] = [
            ("add", { ids.append(try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "one more", body: "x"))) }),
            ("import", { ids += try self.importing(v, 3, from: 300) }),
            ("amend in the first page", { _ = try v.amend(ids[3], body: "amended") }),
            ("edit in the second page", { _ = try v.editMetadata(ids[280], Vault.MetadataEdit(title: "renamed", tags: [])) }),
            ("rm", { _ = try v.remove(ids[10]) }),
            (
                "retention",
                {
                    let due = try v.addRecord(
                        NewRecord(sourceAlias: "Magpie", title: "due", body: "y", retainUntil: "2099-01-01"))
                    #expect(try pagesListTheRecords(v))
                    #expect(try v.applyRetention(today: "2099-01-02") == [due])
                }
            )
        ]
        for (name, step) in steps {
            try step()
            #expect(try pagesListTheRecords(v), "\(name)")
            #expect(try v.check().problems.isEmpty, "\(name)")
        }
        let listed = try v.list().records
        #expect(listed.first { $0.id == ids[280] }?.metadata.title == "renamed")
        #expect(listed.first { $0.id == ids[3] }?.version == 2)
        #expect(!listed.contains { $0.id == ids[10] })
        // A page whose every record is removed is deleted, and the manifest no longer lists it.
        var inSecondPage: [String] = []
        _ = try v.list(offset: 255) { inSecondPage.append($0.id) }  // the first page lost one to rm
        for id in inSecondPage { _ = try v.remove(id) }
        #expect(try pageIDs(t) == ["0000000000000001"])
        #expect(try pagesListTheRecords(v) && v.check().problems.isEmpty)
        _ = try v.rekey(passphrase: try secret("pass phrase"), profile: nil)
        let after = try t.unlock()
        #expect(try pagesListTheRecords(after) && after.check().problems.isEmpty)
        // --offset and --limit cut the same order.
        let all = try after.list().records.map(\.id)
        var page: [String] = []
        _ = try after.list(offset: 100, limit: 7) { page.append($0.id) }
        #expect(page == Array(all[100..<107]))
    }

    /// The export ledger's writes (`recordExport` with the guard's snapshot, `removeExport`) go
    /// through the same manifest update as every other write: the page list and its nonces stay
    /// as they were (§6.8, §6.11), and a refused snapshot writes nothing.
    @Test func ledgerWritesKeepThePageListAndNonces() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        let source = try v.addSource(alias: "Magpie").id
        let ids = try importing(v, 300)
        func seals() throws -> [String: [UInt8]] {
            try Vault.openManifest(try v.store.sealedManifest(), keyring: v.keyring).pageSeals
        }
        let before = try seals()
        #expect(before.count == 2)
        let entry = ExportEntry(
            recordID: ids[0], version: 1, firstLine: 1, lastLine: 1, format: "text", excerptHash: "", outputHash: "",
            redactions: [:], accepted: [], source: source)
        let snapshot = try v.ledgerSnapshot(sourceID: source)
        let id = try #require(try v.recordExport(entry, ifExportsAre: snapshot.exportIDs))
        #expect(try seals() == before)
        #expect(try v.recordExport(entry, ifExportsAre: snapshot.exportIDs) == nil)  // the ledger changed
        #expect(try v.exports().count == 1 && seals() == before)
        try v.removeExport(id)
        #expect(try v.exports().isEmpty && seals() == before)
        #expect(try pagesListTheRecords(v) && v.check().problems.isEmpty)
        let after = try t.unlock()
        #expect(try pagesListTheRecords(after) && after.check().problems.isEmpty)
    }

    /// `rm`, `amend` and `edit` find a record's page by bisecting the pages in add order (§6.12),
    /// past pages emptied of their first records and a page deleted whole: every write lands in
    /// the right page.
    @Test func writesFindTheRecordsPageAcrossManyPages() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        var ids = try importing(v, 1100)  // five pages
        // Every 97th, page 2 whole (deleted), and the first records of page 3.
        let removed = Set(Array(stride(from: 0, to: 1100, by: 97)) + Array(256..<520))
        for i in removed.sorted() { _ = try v.remove(ids[i]) }
        for i in [1, 255, 520, 700, 767, 768, 1099] {
            _ = try v.amend(ids[i], body: "amended \(i)")
            _ = try v.editMetadata(ids[i], Vault.MetadataEdit(title: "renamed \(i)", tags: []))
        }
        ids = try v.store.allRecordIDs()
        #expect(try pageIDs(t) == ["0000000000000001", "0000000000000003", "0000000000000004", "0000000000000005"])
        #expect(try pagesListTheRecords(v) && v.check().problems.isEmpty)
    }

    /// The manifest lookup every listed entry makes (a guess from the id's value, then a window,
    /// then binary search) finds every listed id at its place and no other, however the ids lie.
    @Test func theManifestLookupFindsEveryIdAndNoOther() {
        var source = RecordIDs(seed: 0x9E37_79B9_7F4A_7C15)
        let ids = source.spreadClusteredAndExtreme()
        var m = Manifest()
        for id in ids { m.records[id] = 1 }
        let sorted = ids.sorted()
        let absent = (0..<2000).map { _ in source.next() } + ["7fff000000000001", "0000000000000002", "fffffffffffffffd"]
        m.encode().withUnsafeBytes { b in
            guard let view = ManifestView(b) else {
                Issue.record("the manifest does not parse")
                return
            }
            for (i, id) in sorted.enumerated() {
                #expect(Array(id.utf8).withUnsafeBytes { view.index(ofID: $0.baseAddress!) } == i, "\(id)")
            }
            for id in absent where !ids.contains(id) {
                #expect(Array(id.utf8).withUnsafeBytes { view.index(ofID: $0.baseAddress!) } == nil, "\(id)")
            }
        }
    }

    /// The walk check's bucket index (list, search): every listed id is admitted once with its
    /// version, one at a time or in a batch, whatever bytes the ids hold (hex, a dense cluster,
    /// the extremes, and ids that are not lowercase hex); an absent id, a wrong version and a
    /// second meeting are refused.
    @Test func theWalkCheckAdmitsEveryListedIdOnce() {
        var source = RecordIDs(seed: 0x5eed_1234)
        var ids = source.spreadClusteredAndExtreme()
        for odd in [
            "ABCDEF0123456789", "9zzzzzzzzzzzzzzz", "a!!!!!!!!!!!!!!!", "9fffff0000000000", "a0!0000000000000",
            "zzzzzzzzzzzzzzzz", "12345g7890abcdef", "!!!!!!!!!!!!!!!!", "7fff0000000000zz"
        ] {
            ids.insert(odd)
        }
        var m = Manifest()
        for id in ids { m.records[id] = id.hasPrefix("1") ? 2 : 1 }
        let sorted = ids.sorted()
        let absent =
            (0..<2000).map { _ in source.next() } + [
                "7fff000000000001", "0000000000000002", "fffffffffffffffd", "ABCDEF0123456788"
            ]
        let bytes: [UInt8] = m.encode().withUnsafeBytes { b in ManifestView(b).map { Array($0.recordBytes) } ?? [] }
        #expect(bytes.count == sorted.count * 20)
        var one = WalkCheck(recordBytes: bytes)
        var batch = WalkCheck(recordBytes: bytes)
        let order = sorted.shuffled()
        for id in order {
            let admitted = one.admit(id, version: m.records[id]! + 1)
            #expect(!admitted, "\(id)")  // a wrong version is refused, and meets it
        }
        var fresh = WalkCheck(recordBytes: bytes)
        for id in order {
            let first = fresh.admit(id, version: m.records[id]!)
            let second = fresh.admit(id, version: m.records[id]!)
            #expect(first && !second, "\(id)")
        }
        #expect(fresh.unseen().isEmpty)
        for id in absent where !ids.contains(id) {
            let admitted = fresh.admit(id, version: 1)
            #expect(!admitted, "\(id)")
        }
        // In batches of 256, with absent ids and repeats mixed in: the answers one at a time.
        var reference = WalkCheck(recordBytes: bytes)
        let mixed = order + absent.prefix(300) + order.prefix(100)
        for start in stride(from: 0, to: mixed.count, by: 256) {
            let chunk = Array(mixed[start..<min(start + 256, mixed.count)])
            let flat = chunk.flatMap { Array($0.utf8) }
            let versions = chunk.map { m.records[$0] ?? 1 }
            let expected = chunk.map { reference.admit($0, version: m.records[$0] ?? 1) }
            let got = flat.withUnsafeBytes { b in
                batch.admit(batch: chunk.indices.map { b.baseAddress! + $0 * 16 }, versions: versions)
            }
            #expect(got == expected)
        }
        #expect(batch.unseen().isEmpty)
        // A record met with the wrong version was met (and is named as bad), never admitted later.
        #expect(one.unseen().isEmpty && one.bad.count == sorted.count)
        let again = one.admit(order[0], version: m.records[order[0]]!)
        #expect(!again)
    }

    /// `rm` and `add` are never refused by a page put back from an older copy (a reporter must be
    /// able to remove a record and to add testimony). `rm` seals that page again without the
    /// removed record's entry and without the entries the manifest does not vouch for (here the
    /// older version of an amended record), so the removed record's metadata does not stay in a
    /// page that opens (review 2, finding 4); the record dropped is named by the next listing.
    @Test func rmWorksInAPagePutBack() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let ids = try importing(v, 10)
        let old = try sealedPage(t, "0000000000000001")
        _ = try v.amend(ids[1], body: "second version")
        try putPage(t, "0000000000000001", old)
        _ = try v.remove(ids[2])
        let resealed = try sealedPage(t, "0000000000000001")
        let entries = try v.keyring.withOpened(.summaryPage, Array(resealed), id: "0000000000000001") {
            SummaryPage.decode($0)?.entries.map(\.recordID)
        }
        #expect(entries == ids.enumerated().filter { $0.offset != 1 && $0.offset != 2 }.map(\.element))
        // Adding a record: the page is the listed copy again, so the record joins it.
        let added = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "new", body: "z"))
        #expect(try pageIDs(t) == ["0000000000000001"])
        let listed = try v.list()
        #expect(
            listed.records.map(\.id) == ids.enumerated().filter { $0.offset != 1 && $0.offset != 2 }.map(\.element) + [added])
        #expect(
            listed.problems == [
                .vaultIntegrity("record \(ids[1]) is listed in the manifest but in no summary page")
            ])
        #expect(
            v.notices == [
                "summary page 0000000000000001 is not the copy the manifest lists (an older copy put back?); record \(ids[2]) was removed and the page sealed again without its entry and without 1 entry the manifest does not list"
            ])
    }

    /// Every byte of a page flipped: that page fails, its records are named, nothing of it is shown.
    @Test func flippingAnyByteOfAPageIsNamed() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let ids = try importing(v, 2)
        let original = try sealedPage(t, "0000000000000001")
        for i in 0..<original.count {
            var bad = original
            bad[i] ^= 0x01
            try putPage(t, "0000000000000001", bad)
            let listed = try v.list()
            #expect(listed.records.isEmpty, "byte \(i)")
            #expect(listed.problems.first == .itemIntegrity(kind: "summary page", id: "0000000000000001"), "byte \(i)")
            #expect(ids.allSatisfy { id in listed.problems.contains { "\($0)".contains("record \(id) is listed") } })
        }
        try putPage(t, "0000000000000001", original)
        #expect(try pagesListTheRecords(v))
    }

    /// Two pages swapped, a page restored from an older copy (after amend, after rm), a page
    /// deleted or truncated: each is named, and the records of the other pages are still listed.
    @Test func swappedRestoredDeletedOrTruncatedPagesAreNamed() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let ids = try importing(v, 300)
        let (p1, p2) = ("0000000000000001", "0000000000000002")
        let first = try sealedPage(t, p1)
        let second = try sealedPage(t, p2)
        func expectNamed(_ what: String, _ fragments: [String], shown: Int) throws {
            let listed = try v.list()
            #expect(listed.records.count == shown, "\(what)")
            for f in fragments {
                #expect(listed.problems.contains { "\($0)".contains(f) }, "\(what): \(f) in \(listed.problems)")
            }
            #expect(try !v.check().problems.isEmpty, "\(what)")
        }
        // Swapped: neither authenticates in the other's place (the page number is in its AD).
        try putPage(t, p1, second)
        try putPage(t, p2, first)
        try expectNamed("swapped", [#"kind: "summary page", id: "\#(p1)""#, #"kind: "summary page", id: "\#(p2)""#], shown: 0)
        try putPage(t, p1, first)
        try putPage(t, p2, second)
        #expect(try pagesListTheRecords(v))
        // Restored from before an amend: the older version is named, not shown; the rest are.
        _ = try v.amend(ids[5], body: "second version")
        let current = try sealedPage(t, p1)
        try putPage(t, p1, first)
        try expectNamed(
            "restored after amend", ["summary page \(p1) does not match the manifest at record \(ids[5])"], shown: 299)
        #expect(try !v.list().records.contains { $0.id == ids[5] })
        // A write to that page refuses rather than seal the older entry again.
        let refused = refusal { _ = try v.amend(ids[6], body: "would rewrite the page") }
        #expect(
            refused?.hasPrefix(
                "summary page \(p1) is not the copy the manifest lists (an older copy put back?): record \(ids[6]) cannot be changed"
            ) == true,
            "\(refused ?? "written")")
        try putPage(t, p1, current)
        // Restored from before an rm: the removed record is named, not shown.
        let beforeRemove = try sealedPage(t, p2)
        _ = try v.remove(ids[290])
        try putPage(t, p2, beforeRemove)
        try expectNamed("restored after rm", ["summary page \(p2) does not match the manifest at record \(ids[290])"], shown: 299)
        // Truncated: an integrity error for that page, its records named.
        try putPage(t, p2, beforeRemove.prefix(100))
        try expectNamed(
            "truncated",
            [#"kind: "summary page", id: "\#(p2)""#, "record \(ids[299]) is listed in the manifest but in no summary page"],
            shown: 256)
        // Deleted while the vault is open: named by the next listing; refused at the next unlock.
        try t.sql { try $0.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: [p2]) }
        try expectNamed(
            "deleted", ["summary page \(p2) is missing", "record \(ids[299]) is listed in the manifest but in no summary page"],
            shown: 256)
        #expect(throws: VaultError.self) { _ = try t.unlock() }
    }

    /// `list` opens the pages on a second thread in batches for larger vaults (§6.12, Reads): on
    /// an intact vault and on every kind of damage it shows the same records and names the same
    /// problems, in the same order, as the one-thread walk, whatever the batch size.
    @Test func openingPagesAheadListsExactlyWhatOneThreadLists() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let ids = try importing(v, 1100)
        let pages = try pageIDs(t)
        #expect(pages.count == 5)
        // The second thread is there to be tested (it falls back to one thread without locked memory).
        #expect(PageOpener(vault: v, batchSize: 8) != nil)
        func listing(from: Int, batch: Int) throws -> [String] {
            var out: [String] = []
            var ahead = 0
            let outcome = try v.listFromPages(
                sourceID: nil, tagFolded: nil, offset: 3, limit: nil, aliases: [:], openAheadFrom: from,
                openAheadBatch: batch, openedAhead: { ahead = $0.shownPages }
            ) { out.append("\($0.id) v\($0.version) \($0.metadata.title)") }
            // The second thread opened every page the walk read, or none.
            #expect(from == 0 ? ahead >= 5 : ahead == 0, "\(ahead) pages opened ahead")
            return out + ["shown \(outcome.count)"] + outcome.problems.map { "\($0)" }
        }
        @discardableResult func expectSame(_ what: String) throws -> [String] {
            let one = try listing(from: .max, batch: 4)
            for batch in [1, 2, 3, 4, 8] {
                let ahead = try listing(from: 0, batch: batch)
                // (The first difference only: a whole listing would drown the report.)
                let d = (0..<min(ahead.count, one.count)).first { ahead[$0] != one[$0] } ?? min(ahead.count, one.count)
                let same = ahead.count == one.count && d == one.count
                #expect(
                    same,
                    "\(what), batch \(batch): \(ahead.count) lines against \(one.count), first difference at line \(d): \(d < ahead.count ? ahead[d] : "end") / \(d < one.count ? one[d] : "end")"
                )
            }
            return one
        }
        #expect(try expectSame("intact").count == 1100 - 3 + 1)
        // One byte of page 2 flipped.
        let second = try sealedPage(t, pages[1])
        var flipped = second
        flipped[flipped.count / 2] ^= 1
        try putPage(t, pages[1], flipped)
        try expectSame("page 2 flipped")
        try putPage(t, pages[1], second)
        // Page 3 put back from before an amend, page 4 truncated, page 5 deleted, an unlisted
        // row planted after it, all at once.
        let third = try sealedPage(t, pages[2])
        _ = try v.amend(ids[600], body: "second version")
        try putPage(t, pages[2], third)
        try putPage(t, pages[3], try sealedPage(t, pages[3]).prefix(100))
        let first = try sealedPage(t, pages[0])
        try t.sql {
            try $0.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: [pages[4]])
            try $0.execute(
                sql: "INSERT INTO summary_page (id, sealed) VALUES (?, ?)", arguments: ["0000000000000006", first])
        }
        let damaged = try expectSame("pages put back, truncated, deleted and planted")
        for fragment in [
            "summary page \(pages[2]) does not match the manifest at record \(ids[600])",
            #"kind: "summary page", id: "\#(pages[3])""#, "summary page \(pages[4]) is missing",
            "summary page 0000000000000006 is not in the manifest"
        ] {
            #expect(damaged.contains { $0.contains(fragment) }, "\(fragment)")
        }
    }

    /// The second thread did open the pages (the comparison above would pass on one thread too),
    /// every page buffer is wiped once `list` is done, and a walk that fails half-way (a SQLite
    /// read error) waits for the pages being opened and wipes them before the error is thrown.
    @Test func openingPagesAheadWipesItsBuffersAndWaitsOnAFailedWalk() throws {
        let store = InMemoryVaultStore()
        let (v, _) = try Vault.create(in: store, directory: "/nonexistent", passphrase: try secret("pw"), profile: .test)
        _ = try v.addSource(alias: "Magpie")
        _ = try importing(v, 1100)
        #expect(store.items[.summaryPage]?.count == 5)
        for batch in [1, 2, 4] {
            var shown = 0
            var opened = 0
            var wiped = false
            let outcome = try v.listFromPages(
                sourceID: nil, tagFolded: nil, offset: 0, limit: nil, aliases: [:], openAheadFrom: 0, openAheadBatch: batch,
                openedAhead: {
                    opened = $0.shownPages
                    wiped = $0.buffersAreWiped()
                }
            ) { _ in shown += 1 }
            #expect(
                outcome.problems.isEmpty && shown == 1100 && opened == 5 && wiped,
                "batch \(batch): \(opened) pages, wiped \(wiped)")
            for after in [1, 3, 4] {
                store.failItemWalkAfter = after
                defer { store.failItemWalkAfter = nil }
                var called = false
                wiped = false
                #expect(throws: VaultError.storage("the walk failed (test)")) {
                    _ = try v.listFromPages(
                        sourceID: nil, tagFolded: nil, offset: 0, limit: nil, aliases: [:], openAheadFrom: 0,
                        openAheadBatch: batch,
                        openedAhead: {
                            called = true
                            wiped = $0.buffersAreWiped()
                        }
                    ) { _ in }
                }
                #expect(called && wiped, "batch \(batch), failing after \(after) pages")
            }
        }
    }

    /// A listing a `--limit` stops early still names a listed page deleted before the page it
    /// stopped in (review 2, finding 2: page 1 deleted, `list --limit 10` showed records 257-266
    /// and named nothing).
    @Test func aLimitedListNamesADeletedEarlierPage() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let ids = try importing(v, 300)
        let p1 = "0000000000000001"
        try t.sql { try $0.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: [p1]) }
        var shown: [String] = []
        let outcome = try v.list(limit: 10) { shown.append($0.id) }
        #expect(shown == Array(ids[256..<266]))
        #expect(
            outcome.problems.contains { "\($0)".contains("summary page \(p1) is missing") }, "\(outcome.problems)")
        // A limit met within the first page names nothing: the pages after it were not reached.
        let t2 = TempVault()
        let (w, _) = try t2.create()
        _ = try w.addSource(alias: "Magpie")
        _ = try importing(w, 300)
        try t2.sql { try $0.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: ["0000000000000002"]) }
        let early = try w.list(limit: 10) { _ in }
        #expect(early.problems.isEmpty, "\(early.problems)")
    }

    /// A row planted at an id that is no page number (shown as "(malformed-id)", which sorts
    /// below every page id) and met by the walk where a `--limit` stops it neither hides a page
    /// deleted ahead of the records shown nor goes unnamed itself (review of format 5, M1).
    @Test func aLimitStoppedAtAPlantedRowStillNamesADeletedEarlierPage() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let ids = try importing(v, 600)
        let p1 = "0000000000000001"
        let planted = "0000000000000002g"
        #expect(try pageIDs(t) == [p1, "0000000000000002", "0000000000000003"])
        try t.sql {
            try $0.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: [p1])
            try $0.execute(sql: "INSERT INTO summary_page (id, sealed) VALUES (?, ?)", arguments: [planted, Data([1, 2, 3])])
        }
        // The page count is unchanged: the unlock admits the file.
        let w = try t.unlock()
        var shown: [String] = []
        let outcome = try w.list(limit: 10) { shown.append($0.id) }
        #expect(shown == Array(ids[256..<266]))
        #expect(
            outcome.problems.contains { "\($0)".contains("summary page \(p1) is missing") }, "\(outcome.problems)")
        #expect(
            outcome.problems.contains { "\($0)".contains("summary page \(ObjectID.malformed) is not in the manifest") },
            "\(outcome.problems)")
    }

    /// New page numbers come from the manifest's page list, never from the rows in the file
    /// (review 2, finding 3: a row planted as page 000000007fffffff made every add write page
    /// 0000000080000000, the next add overwrote it and an entry was lost). A planted row where a
    /// new page goes refuses the write instead of being replaced.
    @Test func plantedPageRowsNeverChooseOrLoseAPage() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        var ids = try importing(v, 3)
        let p1 = "0000000000000001"
        let planted = "000000007fffffff"
        let copy = try sealedPage(t, p1)
        try t.sql { try $0.execute(sql: "INSERT INTO summary_page (id, sealed) VALUES (?, ?)", arguments: [planted, copy]) }
        for i in 0..<3 {
            ids.append(try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "after \(i)", body: "body \(i)")))
        }
        #expect(try pageIDs(t) == [p1, planted])
        try t.sql { try $0.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: [planted]) }
        let listed = try v.list()
        #expect(listed.problems.isEmpty, "\(listed.problems)")
        #expect(listed.records.map(\.id) == ids)
        _ = try v.amend(ids[4], body: "second version")
        #expect(try v.list().problems.isEmpty)
        // Page 1 full: the next add starts page 2; a row planted there refuses it, by name.
        ids += try importing(v, 256 - ids.count)
        let p2 = "0000000000000002"
        let first = try sealedPage(t, p1)
        try t.sql { try $0.execute(sql: "INSERT INTO summary_page (id, sealed) VALUES (?, ?)", arguments: [p2, first]) }
        let refused = refusal { _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "one more", body: "x")) }
        #expect(
            refused?.hasPrefix("a summary page row \(p2) that the manifest does not list is in the file") == true,
            "\(refused ?? "written")")
        #expect(try !sealedPage(t, p2).isEmpty)
        try t.sql { try $0.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: [p2]) }
        #expect(try v.list().problems.isEmpty)
    }

    /// A row planted where the next page goes whose `sealed` is not a blob (it reads as no page)
    /// refuses the add by name, as a blob there does, never with the INSERT's bare constraint
    /// error (review of format 5, L5).
    @Test func aPlantedNonBlobRowAtTheNextPageIsRefusedByName() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        _ = try importing(v, 256)
        let p2 = "0000000000000002"
        try t.sql { try $0.execute(sql: "INSERT INTO summary_page (id, sealed) VALUES (?, ?)", arguments: [p2, "not a blob"]) }
        let refused = refusal { _ = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "one more", body: "x")) }
        #expect(
            refused?.hasPrefix("a summary page row \(p2) that the manifest does not list is in the file") == true,
            "\(refused ?? "written")")
        try t.sql { try $0.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: [p2]) }
        #expect(try v.list().problems.isEmpty)
    }

    /// A page that does not open (two pages swapped, a byte flipped) or a row planted under an id
    /// that is no page number never blocks `rm`, retention or `add` (§6.12): the record is removed
    /// or added and the page is named. `amend` and `rekey` of such a vault refuse by naming it.
    @Test func pagesThatDoNotOpenNeverBlockRmRetentionOrAdd() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        var ids = try importing(v, 300)
        let (p1, p2) = ("0000000000000001", "0000000000000002")
        let first = try sealedPage(t, p1)
        let second = try sealedPage(t, p2)
        func gone(_ id: String) throws -> Bool { try !v.store.allRecordIDs().contains(id) }
        // Swapped: neither opens (the page number is in the associated data).
        try putPage(t, p1, second)
        try putPage(t, p2, first)
        _ = try v.remove(ids[5])
        #expect(try gone(ids[5]))
        #expect(v.notices.contains { $0.hasPrefix("summary page \(p1) does not open; record \(ids[5]) was removed") })
        let added = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "after the swap", body: "a"))
        #expect(try pageIDs(t) == [p1, p2, "0000000000000003"])
        #expect(
            v.notices.contains { $0.hasPrefix("summary page \(p2) does not open; the new record starts page 0000000000000003") })
        #expect(try v.list().records.map(\.id) == [added])
        try putPage(t, p1, first)
        try putPage(t, p2, second)
        // A byte flipped (past the nonce, so the page is still the manifest's copy by its nonce).
        var flipped = second
        flipped[40] ^= 0x01
        let due = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "due", body: "y", retainUntil: "2099-01-01"))
        ids.append(due)
        let secondWithDue = try sealedPage(t, p2)
        flipped = secondWithDue
        flipped[40] ^= 0x01
        try putPage(t, p2, flipped)
        #expect(try v.applyRetention(today: "2099-01-02") == [due])
        #expect(try gone(due))
        _ = try v.remove(ids[290])
        #expect(try gone(ids[290]))
        // amend, edit and rekey refuse, naming the page; nothing is written.
        let amend = refusal { _ = try v.amend(ids[295], body: "would need the page") }
        #expect(
            amend?.hasPrefix(
                "summary page \(p2) does not open, and no other lists record \(ids[295]): record \(ids[295]) cannot be changed")
                == true,
            "\(amend ?? "written")")
        let edit = refusal { _ = try v.editMetadata(ids[295], Vault.MetadataEdit(title: "renamed", tags: [])) }
        #expect(edit?.contains("summary page \(p2) does not open") == true, "\(edit ?? "written")")
        let rekey = refusal { _ = try v.rekey(passphrase: try secret("new pass phrase"), profile: nil) }
        #expect(rekey?.contains("summary page \(p2) does not open; nothing was changed") == true, "\(rekey ?? "rekeyed")")
        _ = try t.unlock()  // still the old passphrase
        // A row planted under an id that is no page number: not taken for the last page.
        try putPage(t, p2, secondWithDue)
        try t.sql {
            try $0.execute(sql: "INSERT INTO summary_page (id, sealed) VALUES ('ffffffffffffffff', ?)", arguments: [second])
        }
        for id in ["000000000000000A", "+00000000000000a"] {
            #expect(SummaryPage.number(id) == nil, "\(id)")
        }
        let more = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "after the plant", body: "b"))
        // Page 1 is the copy from before the swap (it still lists ids[5]): left as it is, named.
        _ = try v.remove(ids[1])
        #expect(try gone(ids[1]) && gone(more) == false)
        #expect(v.notices.last?.hasPrefix("summary page \(p1) does not match the manifest") == true)
        try t.sql { try $0.execute(sql: "DELETE FROM summary_page WHERE id = 'ffffffffffffffff'") }
        // The records removed while their page did not open or match stay in its entries (named
        // by list, never shown); nothing else differs.
        let listed = try v.list()
        #expect(listed.records.map(\.id).contains(more) && !listed.records.map(\.id).contains(ids[1]))
        #expect(
            Set(
                listed.problems.map { "\($0)" }.filter {
                    !$0.contains(due) && !$0.contains(ids[290]) && !$0.contains(ids[5]) && !$0.contains(ids[1])
                }
            )
            .isEmpty, "\(listed.problems)")
    }

    /// An older copy of a page that lacks only later entries (every entry it has still current) is
    /// told from the current one by the nonce the manifest binds (§6.8): `list` names it, `add`
    /// starts a new page instead of sealing it again (which would lose the later entries for good),
    /// `amend` refuses, and putting the current copy back makes the vault whole again.
    @Test func anOlderCopyOfAPageIsNeverSealedAgain() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let ids = try importing(v, 10)
        let p1 = "0000000000000001"
        let older = try sealedPage(t, p1)
        let later = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "later", body: "l"))
        let current = try sealedPage(t, p1)
        try putPage(t, p1, older)
        let listed = try v.list()
        #expect(listed.records.map(\.id) == ids)
        #expect(
            listed.problems == [
                .vaultIntegrity("summary page \(p1) is not the copy the manifest lists (an older copy put back?)"),
                .vaultIntegrity("record \(later) is listed in the manifest but in no summary page")
            ])
        // `check` names it once (its manifest comparison and its reading of the pages both see it).
        let stale = "summary page \(p1) is not the copy the manifest lists (an older copy put back?)"
        #expect(try v.check().problems.filter { $0 == .vaultIntegrity(stale) }.count == 1)
        let next = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "next", body: "n"))
        #expect(try sealedPage(t, p1) == older)  // not sealed again
        #expect(try pageIDs(t) == [p1, "0000000000000002"])
        let refused = refusal { _ = try v.amend(ids[2], body: "would reseal the older copy") }
        #expect(refused?.contains("summary page \(p1) is not the copy the manifest lists") == true, "\(refused ?? "written")")
        // rekey would vouch for the older copy under the new key: refused, nothing changed.
        let rekey = refusal { _ = try v.rekey(passphrase: try secret("new pass phrase"), profile: nil) }
        #expect(rekey == stale, "\(rekey ?? "rekeyed")")
        _ = try t.unlock()
        try putPage(t, p1, current)
        #expect(try pagesListTheRecords(v) && v.check().problems.isEmpty)
        #expect(try v.list().records.map(\.id) == ids + [later, next])
    }

    /// The upgrade 4 → 5 builds the pages from the record rows only if they are the manifest's
    /// and every latest metadata opens (§3): otherwise the vault stays format 4 for this unlock,
    /// the problem is named, and a later unlock upgrades it once the rows are right.
    @Test func theUpgradeToFiveChecksTheRowsFirst() throws {
        let dir = VectorTests.vectors.appendingPathComponent("v4")
        let e = try JSONDecoder().decode(
            FormatFourVectorTests.Expected.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        let t = TempVault()
        try FileManager.default.createDirectory(atPath: t.dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.appendingPathComponent("vault.sqlite3").path, toPath: t.dbPath)
        let planted = "0123456789abcdef"
        func rename(_ from: String, _ to: String) throws {
            try t.sqlOutsideTransaction { db in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                try db.execute(sql: "UPDATE record SET record_id = ? WHERE record_id = ?", arguments: [to, from])
                try db.execute(sql: "UPDATE record_version SET record_id = ? WHERE record_id = ?", arguments: [to, from])
            }
        }
        // The record's rows under an id the manifest does not list (the counts kept).
        try rename(e.record, planted)
        var v = try t.unlock(e.passphrase)
        #expect(try v.formatVersion == 4 && Vault.openStore(t.dir).1.formatVersion == 4)
        #expect(
            v.notices == [
                "the upgrade to format 5 was put off: record \(planted) is not in the manifest (added to the file without the key?) (the vault stays format 4; see 'sourcevault check')"
            ])
        try rename(planted, e.record)
        // Its latest metadata flipped: it does not open.
        let meta = try t.sql {
            try Data.fetchOne($0, sql: "SELECT meta FROM record_version WHERE record_id = ?", arguments: [e.record])!
        }
        var bad = meta
        bad[30] ^= 0x01
        try t.sql { try $0.execute(sql: "UPDATE record_version SET meta = ? WHERE record_id = ?", arguments: [bad, e.record]) }
        v = try t.unlock(e.passphrase)
        #expect(
            v.formatVersion == 4 && v.notices.count == 1
                && v.notices[0].contains("record \(e.record)'s latest metadata does not open"))
        try t.sql { try $0.execute(sql: "UPDATE record_version SET meta = ? WHERE record_id = ?", arguments: [meta, e.record]) }
        // Put right: the next unlock upgrades.
        v = try t.unlock(e.passphrase)
        #expect(v.formatVersion == 5 && v.notices.isEmpty)
        #expect(try pagesListTheRecords(v) && v.check().problems.isEmpty)
    }

    /// The upgrade to format 5 refuses a manifest older than the one this process saw (as every
    /// write does), and a storage error puts it off with one notice instead of failing the unlock
    /// (review 2, finding 7).
    @Test func theUpgradeToFiveRefusesARolledBackManifestAndPutsOffOnAStorageError() throws {
        let dir = VectorTests.vectors.appendingPathComponent("v4")
        let e = try JSONDecoder().decode(
            FormatFourVectorTests.Expected.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        let t = TempVault()
        try FileManager.default.createDirectory(atPath: t.dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.appendingPathComponent("vault.sqlite3").path, toPath: t.dbPath)
        // Rolled back while open: a format-4 vault opened without upgrading, a write, then the
        // manifest from before it put back (the record rows are unchanged, so only the guard
        // can refuse).
        let v = try Vault.unlock(directory: t.dir, passphrase: try secret(e.passphrase), policy: .inspection)
        #expect(v.formatVersion == 4)
        let older = try t.sql { try Data.fetchOne($0, sql: "SELECT sealed FROM manifest WHERE singleton = 1")! }
        _ = try v.addSource(alias: "Later")
        try t.sql { try $0.execute(sql: "UPDATE manifest SET sealed = ? WHERE singleton = 1", arguments: [older]) }
        let refused = refusal { try v.upgradeToFormat5() }
        #expect(refused?.contains("is older than the one this session saw") == true, "\(refused ?? "upgraded")")
        #expect(try Vault.openStore(t.dir).1.formatVersion == 4)
        // A storage error during the upgrade (here a unique constraint on a planted migration
        // row, in a fresh copy): the unlock succeeds, format 4, one notice.
        let fresh = TempVault()
        try FileManager.default.createDirectory(atPath: fresh.dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.appendingPathComponent("vault.sqlite3").path, toPath: fresh.dbPath)
        try fresh.sql {
            try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: ["v5-summary-pages"])
        }
        let w = try fresh.unlock(e.passphrase)
        #expect(w.formatVersion == 4)
        #expect(w.notices.count == 1 && w.notices[0].hasPrefix("the upgrade to format 5 was put off: "), "\(w.notices)")
        try fresh.sql { try $0.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: ["v5-summary-pages"]) }
        let later = try fresh.unlock(e.passphrase)
        #expect(later.formatVersion == 5 && later.notices.isEmpty, "\(later.notices)")
    }

    /// The manifest's page list and its (id, nonce) list must name the same pages, each a page
    /// number 1 ... 2^31 - 1: both decoders refuse anything else, and so does the unlock (review 2,
    /// finding 9).
    @Test func thePageListAndThePageNoncesMustAgree() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        _ = try importing(v, 3)
        let good = try v.currentManifest()
        #expect(good.items[.summaryPage] == ["0000000000000001"] && good.pageSeals.count == 1)
        func decodes(_ m: Manifest) -> (full: Bool, view: Bool) {
            let b = m.encode()
            return b.withUnsafeBytes { (Manifest.decode($0) != nil, ManifestView($0) != nil) }
        }
        #expect(decodes(good) == (true, true))
        let nonce = [UInt8](repeating: 7, count: Manifest.pageNonceBytes)
        var extraNonce = good
        extraNonce.pageSeals["0000000000000002"] = nonce
        var noNonce = good
        noNonce.items[.summaryPage]!.insert("0000000000000002")
        var zero = good
        zero.items[.summaryPage]!.insert("0000000000000000")
        zero.pageSeals["0000000000000000"] = nonce
        var aboveCap = good
        aboveCap.items[.summaryPage]!.insert("0000000080000000")
        aboveCap.pageSeals["0000000080000000"] = nonce
        for (name, m) in [("extra nonce", extraNonce), ("no nonce", noNonce), ("page 0", zero), ("above the cap", aboveCap)] {
            #expect(decodes(m) == (false, false), "\(name)")
        }
        // Each list strictly ascending, no page twice (§6.8): the same bytes with a page listed
        // twice, or two pages out of order, in the page list or in the (id, nonce) list.
        let (p1, p2) = ("0000000000000001", "0000000000000002")
        var two = good
        two.items[.summaryPage]!.insert(p2)
        two.pageSeals[p2] = nonce
        #expect(decodes(two) == (true, true))
        let n1 = good.pageSeals[p1]!
        let encoded = two.encode()
        func replacing(_ from: [UInt8], _ to: [UInt8]) -> [UInt8] {
            for i in 0...(encoded.count - from.count) where Array(encoded[i..<i + from.count]) == from {
                return Array(encoded[..<i]) + to + Array(encoded[(i + from.count)...])
            }
            Issue.record("pattern not found")
            return encoded
        }
        let (b1, b2) = (Array(p1.utf8), Array(p2.utf8))
        for (name, bytes) in [
            ("a page listed twice", replacing(b1 + b2, b1 + b1)),
            ("pages out of order", replacing(b1 + b2, b2 + b1)),
            ("a nonce listed twice", replacing(b1 + n1 + b2, b1 + n1 + b1)),
            ("nonces out of order", replacing(b1 + n1 + b2, b2 + n1 + b1))
        ] {
            #expect(bytes != encoded, "\(name)")
            let got = bytes.withUnsafeBytes { (Manifest.decode($0) != nil, ManifestView($0) != nil) }
            #expect(got == (false, false), "\(name)")
        }
        // Sealed with the key and put in the file: the unlock refuses the manifest.
        var sealed = noNonce
        sealed.generation += 1
        let bytes = try v.keyring.seal(.manifest, sealed.encode())
        try t.sql { try $0.execute(sql: "UPDATE manifest SET sealed = ? WHERE singleton = 1", arguments: [Data(bytes)]) }
        #expect(throws: VaultError.self) { _ = try t.unlock() }
    }

    /// `rekey` compares each page it reseals with the nonce the manifest listed, inside the
    /// rewrite: a page put back between its first check and the rewrite (here while the new
    /// recovery key is shown) refuses it, nothing changed (review 2, finding 5).
    @Test func rekeyRefusesAPagePutBackAfterItsCheck() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        _ = try importing(v, 3)
        let p1 = "0000000000000001"
        let older = try sealedPage(t, p1)
        _ = try importing(v, 1, from: 3)
        let current = try sealedPage(t, p1)
        let refused = refusal {
            _ = try v.rekey(
                passphrase: try secret("new pass phrase"), profile: nil,
                showRecoveryKey: { _ in try self.putPage(t, p1, older) })
        }
        #expect(
            refused?.hasPrefix("summary page \(p1) is not the copy the manifest lists") == true, "\(refused ?? "rekeyed")")
        try putPage(t, p1, current)
        #expect(throws: VaultError.self) { _ = try t.unlock("new pass phrase") }
        let again = try t.unlock()
        #expect(try again.list().problems.isEmpty)
    }

    /// A page is padded to max(P(len), 256 bytes per entry): two files whose only difference is
    /// one record's title, 100 bytes longer, hold pages of the same length (review 2, finding 8;
    /// with PADMÉ alone they differed by its rounding step).
    @Test func onePagesLengthDoesNotFollowOneRecordsMetadataLength() throws {
        func pageLength(titleExtra: Int) throws -> Int {
            let t = TempVault()
            let (v, _) = try t.create()
            _ = try v.addSource(alias: "Magpie")
            _ = try importing(v, 2)
            _ = try v.addRecord(
                NewRecord(sourceAlias: "Magpie", title: "T" + String(repeating: "x", count: titleExtra), body: "b"))
            return try sealedPage(t, "0000000000000001").count
        }
        let short = try pageLength(titleExtra: 0)
        #expect(short == 24 + 3 * 256 + 16)
        #expect(try pageLength(titleExtra: 100) == short)
        // A long entry still gets PADMÉ's length (never less than the plaintext needs).
        #expect(try pageLength(titleExtra: 2000) > short)
    }

    /// A write finds its record's page by bisection reading only the record ids of the pages on
    /// the way (in the buffer each is opened into): only the page it changes is decoded into
    /// strings; and a page sealed from secure memory is the same bytes as the plain encoding
    /// (review 2, finding 6).
    @Test func writesDecodeOnlyThePageTheyChange() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let ids = try importing(v, 5 * SummaryPage.capacity)
        for target in [ids[3 * SummaryPage.capacity + 7], ids[10], ids.last!] {
            let before = v.pagesDecodedForWrites
            _ = try v.amend(target, body: "second version")
            #expect(v.pagesDecodedForWrites - before == 1, "\(target)")
        }
        let before = v.pagesDecodedForWrites
        _ = try v.remove(ids[2 * SummaryPage.capacity + 1])
        #expect(v.pagesDecodedForWrites - before == 1)
        #expect(try pagesListTheRecords(v))
        let page = try #require(
            try v.keyring.withOpened(.summaryPage, Array(try sealedPage(t, "0000000000000002")), id: "0000000000000002") {
                SummaryPage.decode($0)
            })
        let secure = try page.encodeSecure()
        #expect(secure.withUnsafeBytes { Array($0) } == page.encode())
    }

    /// A reporter back from travel mode whose vault lost a page meanwhile: `travel in` (no key)
    /// brings the slots back, the unlock refuses (page count), the inspection unlock does not
    /// confirm the return; `check --rebuild-pages` accepts the return as the unlock does, rebuilds
    /// the pages and confirms it in the same manifest (review of format 5, M2).
    @Test func rebuildingThePagesAfterATravelReturnConfirmsIt() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let ids = try importing(v, 300)
        let bundle = t.tmp.file("bundle")
        try v.travelOut(to: bundle, travelPassphrase: try secret("travel"))
        try t.sql { try $0.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: ["0000000000000001"]) }
        _ = try Vault.travelIn(directory: t.dir, bundle: bundle, travelPassphrase: try secret("travel"), audit: nil)
        #expect(throws: VaultError.self) { _ = try t.unlock() }
        let inspecting = try Vault.unlock(directory: t.dir, passphrase: try secret("pass phrase"), policy: .inspection)
        #expect(inspecting.manifestDamaged)
        #expect(try inspecting.currentManifest().travelBundle != nil)
        #expect(try inspecting.rebuildSummaryPages() == 2)
        #expect(try inspecting.currentManifest().travelBundle == nil)
        let after = try t.unlock()
        let listed = try after.list()
        #expect(listed.problems.isEmpty, "\(listed.problems)")
        #expect(listed.records.map(\.id) == ids)
        #expect(try after.check().problems.isEmpty)
        #expect(try manifestDescribesTheRows(after, generation: after.currentManifest().generation))
    }

    /// `check --rebuild-pages`: a vault with a deleted page, a page put back and a planted row is
    /// repaired from the record rows checked against the manifest; a record row that differs from
    /// the manifest refuses it, nothing changed (review 2, finding 3's repair).
    @Test func rebuildingThePagesRepairsThemFromTheCheckedRows() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        var ids = try importing(v, 300)
        let (p1, p2) = ("0000000000000001", "0000000000000002")
        let older = try sealedPage(t, p2)
        _ = try v.amend(ids[280], body: "second version")
        _ = try v.remove(ids[290])
        ids.remove(at: 290)
        try putPage(t, p2, older)
        try t.sql { try $0.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: [p1]) }
        try t.sql {
            try $0.execute(
                sql: "INSERT INTO summary_page (id, sealed) VALUES (?, ?)", arguments: ["0000000000000009", older])
        }
        // (One row deleted, one planted: the counts agree, so the unlock lets it through and list names it.)
        #expect(try !t.unlock().list().problems.isEmpty)
        let inspecting = try Vault.unlock(directory: t.dir, passphrase: try secret("pass phrase"), policy: .inspection)
        #expect(try inspecting.rebuildSummaryPages() == 2)
        let after = try t.unlock()
        let listed = try after.list()
        #expect(listed.problems.isEmpty, "\(listed.problems)")
        #expect(listed.records.map(\.id) == ids)
        #expect(try pageIDs(t) == [p1, p2])
        #expect(try pagesListTheRecords(after) && after.check().problems.isEmpty)
        // A page deleted: the unlock refuses (row count); `check` opens it read-only and rebuilds.
        try t.sql { try $0.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: [p2]) }
        #expect(throws: VaultError.self) { _ = try t.unlock() }
        let damaged = try Vault.unlock(directory: t.dir, passphrase: try secret("pass phrase"), policy: .inspection)
        #expect(damaged.manifestDamaged)
        #expect(try damaged.rebuildSummaryPages() == 2)
        #expect(try t.unlock().list().problems.isEmpty)
        // A record row the manifest does not list: refused, the pages untouched.
        let pages = try t.sql { try Data.fetchAll($0, sql: "SELECT sealed FROM summary_page ORDER BY id") }
        try t.sqlOutsideTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "UPDATE record SET record_id = ? WHERE record_id = ?", arguments: ["0123456789abcdef", ids[0]])
            try db.execute(
                sql: "UPDATE record_version SET record_id = ? WHERE record_id = ?", arguments: ["0123456789abcdef", ids[0]])
        }
        let refused = refusal { _ = try after.rebuildSummaryPages() }
        #expect(refused != nil && refused?.hasPrefix("summary page") == false, "\(refused ?? "rebuilt")")
        #expect(try t.sql { try Data.fetchAll($0, sql: "SELECT sealed FROM summary_page ORDER BY id") } == pages)
    }
}

/// Record ids for the manifest lookup tests: 16 lowercase hex digits from a fixed-seed generator.
struct RecordIDs {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    static func hex(_ v: UInt64) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h
    }

    mutating func next() -> String {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Self.hex(state)
    }

    /// 3,000 spread out, one dense cluster of 500 and the four extremes.
    mutating func spreadClusteredAndExtreme() -> Set<String> {
        var ids = Set<String>()
        for _ in 0..<3000 { ids.insert(next()) }
        for i in 0..<500 { ids.insert(Self.hex(0x7fff_0000_0000_0000 + UInt64(i) * 977)) }
        for v: UInt64 in [0, 1, UInt64.max, UInt64.max - 1] { ids.insert(Self.hex(v)) }
        return ids
    }
}
