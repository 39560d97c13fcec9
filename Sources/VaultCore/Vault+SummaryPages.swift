import Foundation
import SodiumKit

/// SECURITY.md §6.12: a summary page's plaintext, up to 256 records' latest metadata in the order
/// the records were added, each as a compact binary entry (no JSON: `list` reads every entry of
/// every page). `list` reads these instead of every record row.
struct SummaryPage {
    static let capacity = 256

    struct Entry {
        var recordID: String
        var version: Int
        var meta: RecordMetadata
    }

    var entries: [Entry] = []

    /// The entry's flags byte: which optional strings follow the tags (§6.12); other bits are 0.
    static let hasDate: UInt8 = 1
    static let hasRetainUntil: UInt8 = 2
    static let hasReceived: UInt8 = 4
    static let knownFlags: UInt8 = 7

    /// Page `n` (1, 2, …) is stored under the id of its number in 16 lowercase hex digits, so the
    /// ids sort in page order.
    static func id(_ number: Int) -> String {
        let hex = String(UInt64(number), radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    /// The page number of an id written by `id(_:)`; nil for any other (upper case, a sign, too large).
    /// §6.12: a page is padded to max(P(len), 256 × its entry count) (§7's P), so its padded
    /// length says no more about one record's metadata than its row does; the count is the
    /// plaintext's first u32 (0 if it is shorter: such a page is malformed anyway).
    static func paddedLength(of plain: UnsafeRawBufferPointer) -> Int {
        let base = VaultFormat.paddedLength(forPlaintextCount: plain.count)
        guard plain.count >= 4 else { return base }
        let n = Int(plain[0]) | Int(plain[1]) << 8 | Int(plain[2]) << 16 | Int(plain[3]) << 24
        return max(base, n * 256)
    }

    /// The highest page number (2^31 − 1); page ids are 1 … maxNumber (§6.12).
    static let maxNumber = Int(Int32.max)

    static func number(_ id: String) -> Int? {
        guard id.utf8.count == 16, let n = UInt64(id, radix: 16), n >= 1, n <= UInt64(maxNumber), Self.id(Int(n)) == id
        else {
            return nil
        }
        return Int(n)
    }

    /// `u32le(n) || n × entry`, each entry `record_id (16) || u32le(version) || flags || str(source)
    /// || str(title) || str(created) || str(versionCreated) || u32le(tags) || tags × str(tag) ||
    /// [str(date)] [str(retainUntil)] [str(received)]`, `str(s) = u32le(byte length) || UTF-8`.
    func encode() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: encodedCount)
        out.withUnsafeMutableBytes { write(into: $0) }
        return out
    }

    /// The same bytes in secure memory (what a write seals: no copy of the metadata is left in an
    /// unwiped Swift array).
    func encodeSecure() throws(SodiumError) -> SecureBytes {
        var out = try SecureBytes(count: encodedCount)
        out.withUnsafeMutableBytes { write(into: $0) }
        return out
    }

    /// The length of the encoding.
    var encodedCount: Int {
        var n = 4
        for e in entries {
            let m = e.meta
            n +=
                16 + 4 + 1 + 16 + m.source.utf8.count + m.title.utf8.count + m.created.utf8.count
                + m.versionCreated.utf8.count + 4
            for t in m.tags { n += 4 + t.utf8.count }
            for s in [m.date, m.retainUntil, m.received] { if let s { n += 4 + s.utf8.count } }
        }
        return n
    }

    /// Writes the encoding into `out` (exactly `encodedCount` bytes).
    private func write(into out: UnsafeMutableRawBufferPointer) {
        var at = 0
        func u32(_ v: UInt32) {
            out.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt32.self)
            at += 4
        }
        func bytes(_ s: String) {
            for b in s.utf8 {
                out[at] = b
                at += 1
            }
        }
        func str(_ s: String) {
            u32(UInt32(truncatingIfNeeded: s.utf8.count))
            bytes(s)
        }
        u32(UInt32(entries.count))
        for e in entries {
            let m = e.meta
            bytes(e.recordID)
            u32(UInt32(truncatingIfNeeded: e.version))
            out[at] =
                (m.date == nil ? 0 : Self.hasDate) | (m.retainUntil == nil ? 0 : Self.hasRetainUntil)
                | (m.received == nil ? 0 : Self.hasReceived)
            at += 1
            str(m.source)
            str(m.title)
            str(m.created)
            str(m.versionCreated)
            u32(UInt32(truncatingIfNeeded: m.tags.count))
            for t in m.tags { str(t) }
            for s in [m.date, m.retainUntil, m.received] { if let s { str(s) } }
        }
    }

    /// One entry as it lies in an opened page: slices of the page's own buffer (valid only while
    /// it is), its tags at `tags` in the tag slices `scan` filled. UTF-8 is checked when a string
    /// is made of a slice (`metadata`), so entries that are skipped cost no string work.
    struct EntryView {
        var id: UnsafeRawBufferPointer
        var version: Int
        var source: UnsafeRawBufferPointer
        var title: UnsafeRawBufferPointer
        var created: UnsafeRawBufferPointer
        var versionCreated: UnsafeRawBufferPointer
        var tags: Range<Int>
        var date: UnsafeRawBufferPointer?
        var retainUntil: UnsafeRawBufferPointer?
        var received: UnsafeRawBufferPointer?
    }

    /// Reads the structure of an opened page into `entries` and `tags` (both emptied first): false
    /// unless it is exactly `u32le(n)` and `n` ≤ 256 well-formed entries: every length within the
    /// bytes left (compared as `remaining >= length`, so nothing can overflow), no flag bit other
    /// than the three, and nothing after the last entry.
    static func scan(
        _ b: UnsafeRawBufferPointer, entries: inout [EntryView], tags: inout [UnsafeRawBufferPointer]
    ) -> Bool {
        entries.removeAll(keepingCapacity: true)
        tags.removeAll(keepingCapacity: true)
        var r = Reader(b: b)
        guard let n = r.u32(), n <= capacity else { return false }
        for _ in 0..<n {
            guard let id = r.take(16), let version = r.u32(), let flags = r.byte(), flags & ~knownFlags == 0,
                let source = r.str(), let title = r.str(), let created = r.str(), let versionCreated = r.str(),
                let tagCount = r.u32(), tagCount <= r.left / 4
            else { return false }
            let first = tags.count
            for _ in 0..<tagCount {
                guard let t = r.str() else { return false }
                tags.append(t)
            }
            var date: UnsafeRawBufferPointer?
            var retainUntil: UnsafeRawBufferPointer?
            var received: UnsafeRawBufferPointer?
            if flags & hasDate != 0 {
                guard let s = r.str() else { return false }
                date = s
            }
            if flags & hasRetainUntil != 0 {
                guard let s = r.str() else { return false }
                retainUntil = s
            }
            if flags & hasReceived != 0 {
                guard let s = r.str() else { return false }
                received = s
            }
            entries.append(
                EntryView(
                    id: id, version: version, source: source, title: title, created: created,
                    versionCreated: versionCreated, tags: first..<tags.count, date: date,
                    retainUntil: retainUntil, received: received))
        }
        return r.left == 0
    }

    /// Reads little-endian fields and length-prefixed strings off a buffer; nil past its end.
    private struct Reader {
        let b: UnsafeRawBufferPointer
        var at = 0
        var left: Int { b.count - at }

        mutating func u32() -> Int? {
            guard left >= 4 else { return nil }
            defer { at += 4 }
            return Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        }

        mutating func byte() -> UInt8? {
            guard left >= 1 else { return nil }
            defer { at += 1 }
            return b[at]
        }

        mutating func take(_ n: Int) -> UnsafeRawBufferPointer? {
            guard n >= 0, left >= n else { return nil }
            defer { at += n }
            return UnsafeRawBufferPointer(start: b.baseAddress! + at, count: n)
        }

        mutating func str() -> UnsafeRawBufferPointer? {
            guard let n = u32() else { return nil }
            return take(n)
        }
    }

    /// A string of a slice; nil if it is not valid UTF-8 (ASCII is checked eight bytes at a time;
    /// anything else must come out of the decoder unrepaired).
    static func string(_ b: UnsafeRawBufferPointer) -> String? {
        let u = b.bindMemory(to: UInt8.self)
        let s = String(decoding: u, as: UTF8.self)
        var i = 0
        var high: UInt64 = 0
        while b.count - i >= 8 {
            high |= b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < b.count {
            high |= UInt64(b[i])
            i += 1
        }
        if high & 0x8080_8080_8080_8080 == 0 { return s }
        return s.utf8.elementsEqual(u) ? s : nil
    }

    /// The entry's metadata; nil if a string in it is not valid UTF-8 (that record's integrity
    /// error). The source id and the two times are taken from `previous` (the entry shown before)
    /// when their bytes are the same: records added together share them, and each is a string
    /// fewer to allocate (3 % of `list` at 100,000 records imported together). (Bytes equal to a
    /// string already checked are valid UTF-8.)
    static func metadata(
        _ e: EntryView, tags: [UnsafeRawBufferPointer], previous: RecordMetadata? = nil
    ) -> RecordMetadata? {
        func reused(_ b: UnsafeRawBufferPointer, _ s: String?) -> String? {
            guard var s, s.utf8.count == b.count else { return nil }
            let same = s.withUTF8 { u in b.isEmpty || memcmp(u.baseAddress!, b.baseAddress!, b.count) == 0 }
            return same ? s : nil
        }
        guard let source = reused(e.source, previous?.source) ?? string(e.source), let title = string(e.title),
            let created = reused(e.created, previous?.created) ?? string(e.created),
            let versionCreated = reused(e.versionCreated, previous?.versionCreated) ?? string(e.versionCreated)
        else { return nil }
        var tagStrings: [String] = []
        tagStrings.reserveCapacity(e.tags.count)
        for i in e.tags {
            guard let t = string(tags[i]) else { return nil }
            tagStrings.append(t)
        }
        var date: String?
        var retainUntil: String?
        var received: String?
        if let s = e.date {
            guard let v = string(s) else { return nil }
            date = v
        }
        if let s = e.retainUntil {
            guard let v = string(s) else { return nil }
            retainUntil = v
        }
        if let s = e.received {
            guard let v = string(s) else { return nil }
            received = v
        }
        return RecordMetadata(
            source: source, title: title, tags: tagStrings, date: date, created: created,
            versionCreated: versionCreated, retainUntil: retainUntil, received: received)
    }

    /// The whole page, every string checked; nil if it is not one.
    static func decode(_ b: UnsafeRawBufferPointer) -> SummaryPage? {
        var views: [EntryView] = []
        var tags: [UnsafeRawBufferPointer] = []
        guard scan(b, entries: &views, tags: &tags) else { return nil }
        var page = SummaryPage()
        for v in views {
            guard let id = string(v.id), let meta = metadata(v, tags: tags) else { return nil }
            page.entries.append(Entry(recordID: id, version: v.version, meta: meta))
        }
        return page
    }
}

/// What one record write changes in the summary pages (§6.12).
enum PageChange {
    /// Appends `PageWrite.pending` (in the order added) to the last page, and new pages as it fills.
    case add
    /// A new latest version of a record (`amend`, `edit`): its entry, in the page it has been in
    /// since it was added.
    case replace(recordID: String, version: Int, meta: RecordMetadata)
    /// `rm`, retention: its entry leaves its page; an empty page is deleted.
    case remove(recordID: String)
}

/// Shared by a write's page update and its manifest change (both run in its transaction): the
/// entries to add, the page ids the update created or deleted, the nonce of every page it sealed,
/// and the pages it had to leave as they were (named to the user).
final class PageWrite {
    var pending: [SummaryPage.Entry] = []
    var added: Set<String> = []
    var removed: Set<String> = []
    var sealed: [String: [UInt8]] = [:]
    var skipped: [String] = []
}

extension Vault {
    /// A record write with its summary page change (format 5) and its manifest change, in one
    /// transaction: the pages first, then the manifest, which lists the page ids and the nonce each
    /// page was last sealed with (§6.8).
    func writingRecords<T>(
        _ change: PageChange, _ box: PageWrite = PageWrite(), manifest: @escaping (inout Manifest) throws -> Void,
        _ body: (SummaryPagesUpdate?, ManifestSeal?) throws(VaultError) -> T
    ) throws(VaultError) -> T {
        let pages: SummaryPagesUpdate? =
            formatVersion >= 5 ? { [self] access in try self.applyPages(change, box, access) } : nil
        let result = try writing({ m in
            try manifest(&m)
            var ids = m.items[.summaryPage] ?? []
            ids.formUnion(box.added)
            ids.subtract(box.removed)
            if m.format >= 5 { m.items[.summaryPage] = ids }
            for (id, nonce) in box.sealed { m.pageSeals[id] = nonce }
            for id in box.removed { m.pageSeals[id] = nil }
        }) { (seal) throws(VaultError) -> T in try body(pages, seal) }
        for s in box.skipped { notice(s) }
        return result
    }

    private func openPage(_ sealed: [UInt8], id: String) throws(VaultError) -> SummaryPage {
        pagesDecodedForWrites += 1
        return try keyring.withOpened(.summaryPage, sealed, id: id) { (p) throws(VaultError) -> SummaryPage in
            guard let page = SummaryPage.decode(p) else { throw SealedKind.summaryPage.integrityError(id: id) }
            return page
        }
    }

    func sealPage(_ page: SummaryPage, number: Int) throws(VaultError) -> SealedItemRow {
        let id = SummaryPage.id(number)
        let plain = try Self.sodium { try page.encodeSecure() }
        return SealedItemRow(id: id, sealed: try keyring.seal(.summaryPage, secure: plain, id: id))
    }

    private func applyPages(_ change: PageChange, _ box: PageWrite, _ access: any SummaryPageAccess) throws {
        // A page is sealed again only if it is the copy the manifest lists (the nonce it was last
        // sealed with) and lists exactly what the manifest lists, as this transaction has it
        // before the write: a page put back from an older copy (even one lacking only later
        // entries) is named, never sealed again with this write's change on top (which would make
        // the rollback permanent).
        let (listed, seals, listedPages) = try Self.withManifestView(try access.manifest(), keyring: keyring) {
            (v) throws(VaultError) -> ([UInt8], [String: [UInt8]], [String]) in
            (Array(v.recordBytes), v.tail.pageSeals, VerifiedManifest.ids(v.itemBytes[.summaryPage]))
        }
        // The pages are the ones the manifest lists, never the rows the file happens to hold: the
        // last page, the next page number and which pages exist come from it (§6.12). A row the
        // manifest does not list is no page (`list` and `check` name it); one in the way of a new
        // page refuses the write (plain INSERT), never replaced.
        let ids = listedPages.filter { SummaryPage.number($0) != nil }.sorted()
        let existing = Set(ids)
        // The entries this write adds or changes.
        let exempt = Set(box.pending.map(\.recordID))
        /// The manifest lists the entry's record with that version.
        func vouched(_ e: SummaryPage.Entry) -> Bool {
            guard e.recordID.utf8.count == 16 else { return false }
            var id = e.recordID
            return id.withUTF8 { key in
                listed.withUnsafeBytes { b in
                    guard let at = ManifestView.index(ofID: UnsafeRawPointer(key.baseAddress!), in: b) else { return false }
                    return Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at * 20 + 16, as: UInt32.self)))
                        == e.version
                }
            }
        }
        func matches(_ page: SummaryPage) -> Bool {
            page.entries.allSatisfy { e in exempt.contains(e.recordID) || vouched(e) }
        }
        /// The page if it opens; nil if it is missing, not a blob, or does not open.
        func opened(_ id: String) throws -> (sealed: [UInt8], page: SummaryPage)? {
            guard let sealed = try access.page(id) else { return nil }
            guard let page = try? openPage(sealed, id: id) else { return nil }
            return (sealed, page)
        }
        /// The record ids a page lists, read where it is opened (a secure buffer, wiped after);
        /// nil if it is missing or does not open or parse.
        var idScratch: SecureScratch?
        func recordIDs(_ id: String) throws -> [String]? {
            guard let sealed = try access.page(id) else { return nil }
            if idScratch == nil { idScratch = try Self.sodium { try SecureScratch(capacity: 1 << 16) } }
            let scratch = idScratch!
            guard let length = try? keyring.open(.summaryPage, sealed, id: id, into: scratch) else { return nil }
            defer { scratch.wipe(count: sealed.count) }
            var views: [SummaryPage.EntryView] = []
            var tags: [UnsafeRawBufferPointer] = []
            return scratch.withBytes(count: length) { plain -> [String]? in
                guard SummaryPage.scan(plain, entries: &views, tags: &tags) else { return nil }
                return views.map { String(decoding: $0.id, as: UTF8.self) }
            }
        }
        /// Why an opened page may not be sealed again ("summary page … is not …"); nil if it may.
        func unusable(_ id: String, _ p: (sealed: [UInt8], page: SummaryPage)) -> String? {
            if seals[id] != Manifest.pageSeal(p.sealed) {
                return "summary page \(id) is not the copy the manifest lists (an older copy put back?)"
            }
            if !matches(p.page) { return "summary page \(id) does not match the manifest (an older copy put back?)" }
            return nil
        }
        func refusal(_ why: String, _ recordID: String) -> VaultError {
            .vaultIntegrity(
                "\(why): record \(recordID) cannot be changed until that page is restored from the current backup or rebuilt; nothing was written (see 'sourcevault check --rebuild-pages')"
            )
        }
        /// The pages to look for `recordID` in: first the one bisection over the add order finds
        /// (each page's records come after the previous page's, in `record` rowid order), then
        /// every other from the last back, in case the order does not hold (a page put back).
        func searchOrder(_ recordID: String) throws -> [String] {
            let all = Array(ids.reversed())
            guard ids.count > 1, let target = try access.recordOrder(recordID) else { return all }
            var (lo, hi) = (0, ids.count)
            var found: Int?
            while lo < hi {
                let mid = (lo + hi) / 2
                // Only the page's record ids are read, from the buffer it was opened into (no
                // strings made of its metadata).
                guard let pageIDs = try recordIDs(ids[mid]) else { return all }
                var first: Int64?
                for recordID in pageIDs {
                    first = try access.recordOrder(recordID)
                    if first != nil { break }
                }
                guard let first else { return all }  // only removed records' entries: no answer
                if first <= target { (found, lo) = (mid, mid + 1) } else { hi = mid }
            }
            guard let found else { return all }
            return [ids[found]] + all.filter { $0 != ids[found] }
        }
        /// The first page in `searchOrder` that opens and lists `recordID` (its id, the page and the
        /// entry's index), and the pages before it that did not open.
        func holding(_ recordID: String) throws -> (
            found: (id: String, p: (sealed: [UInt8], page: SummaryPage), i: Int)?, unreadable: [String]
        ) {
            var unreadable: [String] = []
            for id in try searchOrder(recordID) {
                guard let p = try opened(id) else {
                    unreadable.append(id)  // (its row is there: the id was just read; not a blob, or does not open)
                    continue
                }
                if let i = p.page.entries.firstIndex(where: { $0.recordID == recordID }) { return ((id, p, i), unreadable) }
            }
            return (nil, unreadable)
        }
        func write(_ page: SummaryPage, _ number: Int) throws {
            guard number >= 1, number <= SummaryPage.maxNumber else {
                throw VaultError.vaultIntegrity(
                    "summary page number \(number) is beyond the last one allowed (\(SummaryPage.maxNumber)); nothing was written (see 'sourcevault check --rebuild-pages')"
                )
            }
            let row = try sealPage(page, number: number)
            if existing.contains(row.id) {
                try access.write(row)
            } else {
                // Any row with that id, whatever its `sealed` holds (one that is not a blob reads
                // as no page, and the INSERT would fail unnamed).
                guard try !access.hasRow(row.id) else {
                    throw VaultError.vaultIntegrity(
                        "a summary page row \(row.id) that the manifest does not list is in the file (planted?); nothing was written (see 'sourcevault check --rebuild-pages')"
                    )
                }
                try access.insert(row)
                box.added.insert(row.id)
            }
            box.sealed[row.id] = Manifest.pageSeal(row.sealed)
        }
        switch change {
        case .add:
            guard !box.pending.isEmpty else { return }
            var number = 1
            var page = SummaryPage()
            if let last = ids.last, let n = SummaryPage.number(last) {
                // A last page that does not open, is not the manifest's copy or does not match it
                // is left as it is, still named by every `list`: new records start a new page, so
                // adding testimony is never refused.
                number = n + 1
                if let p = try opened(last) {
                    if let why = unusable(last, p) {
                        box.skipped.append(why + "; the new record starts page \(SummaryPage.id(n + 1))")
                    } else if p.page.entries.count < SummaryPage.capacity {
                        (number, page) = (n, p.page)
                    }
                } else {
                    box.skipped.append(
                        "summary page \(last) does not open; the new record starts page \(SummaryPage.id(n + 1))")
                }
            }
            for entry in box.pending {
                if page.entries.count == SummaryPage.capacity {
                    try write(page, number)
                    (number, page) = (number + 1, SummaryPage())
                }
                page.entries.append(entry)
            }
            try write(page, number)
        case .replace(let recordID, let version, let meta):
            let (found, unreadable) = try holding(recordID)
            if let (id, p, i) = found {
                // The page as found, this record's entry included, must be the manifest's (whether
                // the record's rows are is the manifest change's check, which runs next).
                if let why = unusable(id, p) { throw refusal(why, recordID) }
                var page = p.page
                page.entries[i].version = version
                page.entries[i].meta = meta
                return try write(page, SummaryPage.number(id)!)
            }
            if let bad = unreadable.last {
                throw refusal("summary page \(bad) does not open, and no other lists record \(recordID)", recordID)
            }
            throw VaultError.vaultIntegrity(
                "record \(recordID) is in no summary page; nothing was written (see 'sourcevault check --rebuild-pages')")
        case .remove(let recordID):
            // Removing a record is never refused (§6.8, as for its rows): a page that does not open,
            // is not the manifest's copy or does not match is left as it is and named; the record's
            // rows are deleted all the same.
            let (found, unreadable) = try holding(recordID)
            if let (id, p, i) = found {
                var page = p.page
                if let why = unusable(id, p) {
                    // The page opens but is not the listed copy, or lists what the manifest does
                    // not: sealed again without the removed record's entry and without every entry
                    // the manifest does not vouch for, so nothing of the removed record stays
                    // readable in it (§6.12). The records dropped are then named by `list` as in
                    // no summary page, as they were named before as not matching.
                    page.entries.removeAll { $0.recordID == recordID || !vouched($0) }
                    let dropped = p.page.entries.count - page.entries.count - 1
                    box.skipped.append(
                        why
                            + "; record \(recordID) was removed and the page sealed again without its entry"
                            + (dropped > 0
                                ? " and without \(dropped) entr\(dropped == 1 ? "y" : "ies") the manifest does not list" : ""))
                } else {
                    page.entries.remove(at: i)
                }
                if page.entries.isEmpty {
                    // (Nothing of it is sealed again.)
                    try access.delete(id)
                    box.removed.insert(id)
                } else {
                    try write(page, SummaryPage.number(id)!)
                }
                return
            }
            // A record the pages never listed (put back without the key) leaves none to change.
            for id in unreadable.reversed() {
                box.skipped.append(
                    "summary page \(id) does not open; record \(recordID) was removed, but its entry may stay in that page, readable by anyone with the vault's key (restore the page from the current backup or rebuild the pages: 'sourcevault check --rebuild-pages')"
                )
            }
        }
    }

    /// A record's latest metadata, opened from its row (the upgrade to format 5); nil if it does
    /// not open or is not metadata.
    func latestMetadata(_ row: LatestRowView) -> RecordMetadata? {
        guard let version = row.version, version >= 1 else { return nil }
        return try? withRecordKey(recordID: row.recordID, wrappedKey: row.wrappedKey) { key in
            try self.withOpenedField(row.meta, key: key, recordID: row.recordID, version: version, field: .recordMeta) {
                bytes in
                guard let meta = MetadataJSON.decode(bytes) else { throw VaultError.recordIntegrity(recordID: row.recordID) }
                return meta
            }
        }
    }

    /// Format 4 → 5 at the first session unlock (SECURITY.md §3): the summary pages built from
    /// every record's latest version, in one transaction with the manifest (now listing them and
    /// their nonces, its generation continued) and the header's new version. The pages vouch for
    /// the rows they are built from, so every row must be the manifest's (each record listed with
    /// its count of versions, met once, every listed record met) and every latest metadata must
    /// open; otherwise nothing is written and the difference is thrown (the vault stays format 4).
    func upgradeToFormat5() throws(VaultError) {
        let (before, listed) = try manifestForPages()
        let built = PageBuild()
        try store.upgradeToFormat5(
            pages: { walk in try self.buildPages(walk, listed: listed, into: built) },
            manifest: { [self] current in try self.manifestWithPages(current, before: before, listed: listed, built, format: 5) })
        formatVersion = 5
        if let g = pendingGeneration { generation = g }
    }

    /// `check --rebuild-pages` (SECURITY.md §6.12): every summary page replaced by pages built
    /// from the record rows, checked against the manifest exactly as the upgrade to format 5
    /// checks them, in one transaction with the manifest (the new page list and nonces). Only the
    /// summary pages may differ from the manifest: any other difference refuses it, named. A
    /// return from travel mode is not a difference when the unlock would accept it (the slots
    /// are those whose digests the manifest lists, the pending bundle is gone: `travel in` has no
    /// key, and a vault whose pages differ opens only for inspection, which does not confirm it);
    /// the new manifest then no longer lists the bundle, as the unlock's confirmation would have
    /// it (logged `travel-in-confirm`). Returns the number of pages written.
    public func rebuildSummaryPages() throws(VaultError) -> Int {
        guard formatVersion >= 5 else {
            throw .vaultIntegrity("this vault has no summary pages (format \(formatVersion)); nothing was changed")
        }
        let (problems, travelReturn, _) = manifestProblems(acceptingTravelReturn: true)
        for problem in problems {
            if case .vaultIntegrity(let m) = problem, m.hasPrefix("summary page ") { continue }
            throw problem
        }
        var confirmed = false
        let count = try audited("pages-rebuild", after: { ["pages": String($0)] }) { () throws(VaultError) -> Int in
            var (before, listed) = try self.manifestForPages()
            // The bundle the check accepted as returned, still the one listed (the manifest
            // written must be the one read before, compared inside the transaction).
            if let travelReturn, listed.travelBundle == travelReturn {
                listed.travelBundle = nil
                confirmed = true
            }
            let built = PageBuild()
            self.pendingGeneration = nil
            try self.store.rebuildSummaryPages(
                pages: { walk in try self.buildPages(walk, listed: listed, into: built) },
                manifest: { [self] current in
                    try self.manifestWithPages(current, before: before, listed: listed, built, format: listed.format)
                })
            if let g = self.pendingGeneration { self.generation = g }
            self.manifestDamaged = false
            return built.ids.count
        }
        if confirmed {
            travelReturned = false
            try audit(AuditEvent("travel-in-confirm", ids: ["by": "pages-rebuild"]))
        }
        return count
    }

    /// The manifest pages are built on, refused if older than this process's (§6.8).
    private func manifestForPages() throws(VaultError) -> (sealed: [UInt8]?, manifest: Manifest) {
        let before = try store.sealedManifest()
        let listed = try Self.openManifest(before, keyring: keyring)
        try requireNotRolledBack(listed.generation)
        return (before, listed)
    }

    /// The pages built from every record's latest row, in the walk's order (record rowid), each
    /// row checked against `listed`: listed with its count of versions, met once, every listed
    /// record met, every latest metadata opens.
    private func buildPages(
        _ walk: ((LatestRowView) throws -> Void) throws -> Void, listed: Manifest, into built: PageBuild
    ) throws -> [SealedItemRow] {
        var rows: [SealedItemRow] = []
        var page = SummaryPage()
        var met = Set<String>()
        func flush() throws {
            rows.append(try self.sealPage(page, number: rows.count + 1))
            page = SummaryPage()
        }
        try walk { row in
            let id = ObjectID.isValid(row.recordID) ? row.recordID : ObjectID.malformed
            guard let want = listed.records[id] else {
                throw VaultError.vaultIntegrity("record \(id) is not in the manifest (added to the file without the key?)")
            }
            guard row.version == want, met.insert(id).inserted else {
                throw VaultError.vaultIntegrity("record \(id) does not have the \(want) versions the manifest lists")
            }
            guard let meta = self.latestMetadata(row) else { throw VaultError.recordIntegrity(recordID: id) }
            page.entries.append(SummaryPage.Entry(recordID: id, version: want, meta: meta))
            if page.entries.count == SummaryPage.capacity { try flush() }
        }
        if let missing = Set(listed.records.keys).subtracting(met).min() {
            throw VaultError.vaultIntegrity("record \(missing) is missing (\(listed.records[missing]!) versions expected)")
        }
        if !page.entries.isEmpty { try flush() }
        built.ids = rows.map(\.id)
        for r in rows { built.seals[r.id] = Manifest.pageSeal(r.sealed) }
        return rows
    }

    /// The manifest sealed with the built pages (the same manifest read before, or nothing).
    private func manifestWithPages(
        _ current: [UInt8]?, before: [UInt8]?, listed: Manifest, _ built: PageBuild, format: Int
    ) throws -> [UInt8] {
        guard current == before else {
            throw VaultError.storage("the vault changed while the summary pages were built; nothing was changed")
        }
        var m = listed
        m.format = format
        m.items[.summaryPage] = Set(built.ids)
        m.pageSeals = built.seals
        m.generation += 1
        pendingGeneration = m.generation
        return try keyring.seal(.manifest, m.encode())
    }

    /// `list` opens pages on a second thread from this many pages (769 records) up.
    static let openAheadPages = 4

    /// `list` of a format-5 vault: the summary pages in page order, each entry checked against
    /// the manifest read first in the same transaction (the record list, and the page ids) before
    /// it is shown. Record rows are not read.
    ///
    /// Without `limit`, and with at least `openAheadFrom` pages listed, a second thread opens
    /// each page while this one shows the page before it (``PageOpener``): the same pages, checks,
    /// order and problems, in about the time of the slower of the two halves (when the walk
    /// fails half-way, up to two batches opened ahead are not shown before the error). The
    /// `openAhead…` parameters are for tests, which run both paths on the same damage and look at
    /// the opener's buffers once it is done.
    func listFromPages(
        sourceID: String?, tagFolded: [UInt8]?, offset: Int, limit: Int?, aliases: [String: String],
        openAheadFrom: Int = Vault.openAheadPages, openAheadBatch: Int = PageOpener.batchSize,
        openedAhead: ((PageOpener) -> Void)? = nil, _ each: (RecordSummary) -> Void
    ) throws(VaultError) -> WalkOutcome {
        var check: WalkCheck?
        var listedPages: [String] = []
        var listedSet: Set<String> = []
        var seenPages: [String] = []
        var problems: [VaultError] = []
        var mismatched: [(page: String, record: String)] = []
        var matched = 0
        var shown = 0
        var complete = true
        // The largest listed page id the walk read (never the id of a row it only stopped at:
        // a malformed id is shown as `ObjectID.malformed`, which sorts below every page id, and
        // an unlisted row vouches for nothing).
        var reached: String?
        var lastSource: String?
        var lastAlias: String?
        let sourceBytes = sourceID.map { Array($0.utf8) }
        var previous: RecordMetadata?
        // Reused for every page: the entries' slices, their tags', and the batch lookup's input.
        var views: [SummaryPage.EntryView] = []
        var tagViews: [UnsafeRawBufferPointer] = []
        var keys: [UnsafeRawPointer] = []
        var versions: [Int] = []
        views.reserveCapacity(SummaryPage.capacity)
        keys.reserveCapacity(SummaryPage.capacity)
        versions.reserveCapacity(SummaryPage.capacity)
        // (`matched - offset`, not `offset + limit`: neither may overflow, whatever they are.)
        func full() -> Bool { limit.map { matched - offset >= $0 } ?? false }
        // Each page is opened into this one locked buffer (a page is about 50 KB), wiped after
        // each page and freed at the end: no secure allocation per page. (The opener, when there
        // is one, has two of its own.)
        let scratch: SecureScratch
        do { scratch = try SecureScratch(capacity: 1 << 16) } catch { throw .storage("secure memory unavailable") }
        var opener: PageOpener?
        defer {
            if let opener {
                opener.finish()
                openedAhead?(opener)
            }
        }

        /// Shows one opened page (`opened`: its plaintext's length in `buffer`, or why it did not
        /// open), then wipes it.
        func show(_ pageID: String, stale: Bool, _ opened: Result<Int, VaultError>, in buffer: SecureScratch, sealedCount: Int) {
            let length: Int
            switch opened {
            case .success(let n): length = n
            case .failure(let e):
                problems.append(e)
                return
            }
            if stale {
                problems.append(
                    .vaultIntegrity("summary page \(pageID) is not the copy the manifest lists (an older copy put back?)"))
            }
            defer { buffer.wipe(count: sealedCount) }
            let wellFormed = buffer.withBytes(count: length) { plain in
                guard SummaryPage.scan(plain, entries: &views, tags: &tagViews) else { return false }
                // Every entry's manifest lookup first, together (their cache misses
                // overlap), then the entries in order.
                keys.removeAll(keepingCapacity: true)
                versions.removeAll(keepingCapacity: true)
                for v in views {
                    keys.append(v.id.baseAddress!)
                    versions.append(v.version)
                }
                let admitted = check!.admit(batch: keys, versions: versions)
                for (j, v) in views.enumerated() {
                    guard !full() else {
                        complete = false
                        break
                    }
                    guard admitted[j] else {
                        mismatched.append((pageID, String(decoding: v.id, as: UTF8.self)))
                        continue
                    }
                    // Filters and the offset read only what they need: strings are made
                    // (and their UTF-8 checked) for the records shown.
                    if let sourceBytes, !v.source.elementsEqual(sourceBytes) { continue }
                    if let tagFolded {
                        var has = false
                        var valid = true
                        for i in v.tags {
                            guard let t = SummaryPage.string(tagViews[i]) else {
                                valid = false
                                break
                            }
                            if TextFolding.fold(t) == tagFolded { has = true }
                        }
                        guard valid else {
                            problems.append(.recordIntegrity(recordID: String(decoding: v.id, as: UTF8.self)))
                            continue
                        }
                        if !has { continue }
                    }
                    matched += 1
                    guard matched > offset else { continue }
                    let recordID = String(decoding: v.id, as: UTF8.self)
                    guard let md = SummaryPage.metadata(v, tags: tagViews, previous: previous) else {
                        problems.append(.recordIntegrity(recordID: recordID))
                        continue
                    }
                    previous = md
                    // Records of one source tend to come together: the last lookup again.
                    if md.source != lastSource {
                        lastSource = md.source
                        lastAlias = aliases[md.source]
                    }
                    each(RecordSummary(id: recordID, version: v.version, metadata: md, sourceAlias: lastAlias))
                    shown += 1
                }
                return true
            }
            if !wellFormed { problems.append(SealedKind.summaryPage.integrityError(id: pageID)) }
        }

        do {
            try store.forEachItem(
                .summaryPage,
                manifest: { sealed in
                    check = try WalkCheck(sealedManifest: sealed, vault: self, itemsOf: .summaryPage)
                    listedPages = check!.items
                    listedSet = Set(listedPages)
                    // Without a limit the walk never stops early, so opening a page ahead of
                    // the one shown reads exactly the pages the one-thread walk reads.
                    if limit == nil && listedPages.count >= openAheadFrom {
                        opener = PageOpener(vault: self, batchSize: openAheadBatch)
                    }
                }
            ) { pageID, sealed in
                if full() {
                    complete = false
                    // A malformed or unlisted row the walk stopped at is named below as not in
                    // the manifest, like one it read.
                    if !listedSet.contains(pageID) { seenPages.append(pageID) }
                    throw WalkStopped()
                }
                seenPages.append(pageID)
                if listedSet.contains(pageID), reached.map({ pageID > $0 }) ?? true { reached = pageID }
                // The copy the manifest lists (the nonce it was last sealed with): an older copy
                // is named as such; its entries are still checked one by one below, and those the
                // manifest still lists with that version are shown.
                // A listed page with no listed nonce is not the listed copy either (the manifest
                // decoder already refuses a page list that differs from its nonces); an unlisted
                // row is named below as not in the manifest.
                let stale =
                    check!.pageSeals[pageID].map { !$0.elementsEqual(sealed.prefix(Manifest.pageNonceBytes)) }
                    ?? listedSet.contains(pageID)
                if let opener {
                    // This page opens on the other thread, with the next few, while the few
                    // before it are shown here.
                    opener.add(pageID, stale: stale, sealed, show: show)
                    return
                }
                let opened = Result { () throws(VaultError) -> Int in
                    try self.keyring.open(.summaryPage, sealed, id: pageID, into: scratch)
                }
                show(pageID, stale: stale, opened, in: scratch, sealedCount: sealed.count)
            }
            opener?.flush(show: show)
        } catch is WalkStopped {
        } catch let e as VaultError {
            throw e
        } catch {
            throw .storage(store.describe(error))
        }
        guard let check else { throw .storage("the walk ended before it began") }
        let listed = Set(listedPages)
        let seen = Set(seenPages)
        for p in seenPages where !listed.contains(p) {
            problems.append(.vaultIntegrity("summary page \(p) is not in the manifest (put back from an older copy?)"))
        }
        // A walk a `--limit` stopped early still requires every listed page before the last
        // listed page it read (page ids sort in page order): a page deleted ahead of the shown
        // records is named, never skipped silently (§6.12).
        for p in listedPages where !seen.contains(p) && (complete || reached.map { p < $0 } ?? false) {
            problems.append(.vaultIntegrity("summary page \(p) is missing (deleted from the file?)"))
        }
        for (page, record) in mismatched {
            problems.append(
                .vaultIntegrity(
                    "summary page \(page) does not match the manifest at record \(record) (an older copy of the page put back?)"))
        }
        if complete {
            for record in check.unseen() {
                problems.append(.vaultIntegrity("record \(record) is listed in the manifest but in no summary page"))
            }
        }
        return WalkOutcome(count: shown, problems: problems)
    }
}

/// `list`'s second thread (§6.12, Reads): opens the pages in batches of `batchSize`, each page
/// into a locked buffer of its own, while the calling thread shows the batch before. A batch is
/// touched by one thread at a time: the caller fills it and hands it over, the opener's queue
/// decrypts into it and signals, and the caller takes it back (waits) before showing it and
/// filling it again, which the semaphore orders. Batches, not pages, so that the other thread
/// wakes once per four pages (waking it for every page cost a quarter of the time it saved).
/// (@unchecked Sendable for that hand-over; the vault is only read, through its keyring.)
final class PageOpener: @unchecked Sendable {
    static let batchSize = 4

    final class Batch: @unchecked Sendable {
        let scratch: [SecureScratch]
        var pageIDs: [String] = []
        var stale: [Bool] = []
        /// Copies of the sealed pages: SQLite's pointer is valid only until the walk's next row.
        var sealed: [[UInt8]]
        var opened: [Result<Int, VaultError>] = []
        let done = DispatchSemaphore(value: 0)

        init?(_ size: Int) {
            var s: [SecureScratch] = []
            for _ in 0..<max(size, 1) {
                guard let b = try? SecureScratch(capacity: 1 << 16) else { return nil }
                s.append(b)
            }
            scratch = s
            sealed = Array(repeating: [], count: s.count)
        }
    }

    typealias Show = (String, Bool, Result<Int, VaultError>, SecureScratch, Int) -> Void

    /// The caller of `listFromPages` keeps the vault alive until `finish` returns.
    private unowned let vault: Vault
    private let queue = DispatchQueue(label: "sourcevault.list.pages")
    private let batches: [Batch]
    /// The batch being filled, and whether the other one was handed over and not yet shown.
    private var filling = 0
    private var handedOver = false

    /// Nil without locked memory for the page buffers: `list` then opens every page itself.
    init?(vault: Vault, batchSize: Int = PageOpener.batchSize) {
        guard let a = Batch(batchSize), let b = Batch(batchSize) else { return nil }
        self.vault = vault
        batches = [a, b]
    }

    /// Queues page `pageID` (a copy of `sealed`); a full batch is handed over, and the batch
    /// before it shown.
    func add(_ pageID: String, stale: Bool, _ sealed: UnsafeRawBufferPointer, show: Show) {
        let b = batches[filling]
        let i = b.pageIDs.count
        b.pageIDs.append(pageID)
        b.stale.append(stale)
        b.sealed[i].removeAll(keepingCapacity: true)
        b.sealed[i].append(contentsOf: sealed)
        if b.pageIDs.count == b.scratch.count { handOver(show: show) }
    }

    /// The walk is over: hands over the batch being filled, then shows what is left, in order.
    func flush(show: Show) {
        if !batches[filling].pageIDs.isEmpty { handOver(show: show) }
        if handedOver { self.show(batches[filling ^ 1], show) }
        handedOver = false
    }

    private func handOver(show: Show) {
        let b = batches[filling]
        queue.async { [self] in
            b.opened = b.pageIDs.indices.map { i in
                Result { () throws(VaultError) -> Int in
                    try self.vault.keyring.open(.summaryPage, b.sealed[i], id: b.pageIDs[i], into: b.scratch[i])
                }
            }
            b.done.signal()
        }
        if handedOver { self.show(batches[filling ^ 1], show) }
        handedOver = true
        filling ^= 1
    }

    /// Pages shown from this opener (tests: the second thread did the work).
    private(set) var shownPages = 0

    /// Tests: every page buffer holds only zeros.
    func buffersAreWiped() -> Bool {
        batches.allSatisfy { b in
            b.scratch.allSatisfy { s in s.withBytes(count: s.capacity) { $0.allSatisfy { $0 == 0 } } }
        }
    }

    /// Waits for `b` to be opened, shows its pages in order and empties it.
    private func show(_ b: Batch, _ show: Show) {
        b.done.wait()
        shownPages += b.pageIDs.count
        for i in b.pageIDs.indices { show(b.pageIDs[i], b.stale[i], b.opened[i], b.scratch[i], b.sealed[i].count) }
        b.pageIDs.removeAll(keepingCapacity: true)
        b.stale.removeAll(keepingCapacity: true)
    }

    /// Waits for whatever is still being opened (a walk that failed half-way) and wipes every
    /// buffer.
    func finish() {
        queue.sync {}
        for b in batches { for s in b.scratch { s.wipe() } }
    }
}

/// The pages a build wrote (ids and nonces), for its manifest.
final class PageBuild {
    var ids: [String] = []
    var seals: [String: [UInt8]] = [:]
}
