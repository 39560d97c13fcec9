import Foundation
import SodiumKit

/// SECURITY.md §6.12: a summary page's plaintext, up to 256 records' latest metadata in the order
/// the records were added: `u32le(n) || n × (record_id (16 ASCII) || u32le(version) ||
/// u32le(length) || the version's metadata JSON)`. `list` reads these instead of every record row.
struct SummaryPage {
    static let capacity = 256

    struct Entry {
        var recordID: String
        var version: Int
        /// The version's metadata JSON (§6.4) as sealed in the record, unpadded; empty when the
        /// upgrade to format 5 could not open it (listed as damaged).
        var meta: [UInt8]
    }

    var entries: [Entry] = []

    /// Page `n` (1, 2, …) is stored under the id of its number in 16 lowercase hex digits, so the
    /// ids sort in page order.
    static func id(_ number: Int) -> String {
        let hex = String(UInt64(number), radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    static func number(_ id: String) -> Int? {
        guard id.utf8.count == 16, let n = UInt64(id, radix: 16), n <= UInt64(Int32.max) else { return nil }
        return Int(n)
    }

    func encode() -> [UInt8] {
        var out = VaultFormat.le32(UInt32(entries.count))
        for e in entries {
            out += e.recordID.utf8
            out += VaultFormat.le32(UInt32(truncatingIfNeeded: e.version))
            out += VaultFormat.le32(UInt32(e.meta.count))
            out += e.meta
        }
        return out
    }

    /// Calls `body` with each entry in the opened page's own buffer (id, version, metadata JSON);
    /// false if the bytes are not a page (nothing after the last entry, ids of 16 bytes).
    static func forEachEntry(
        _ b: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int, UnsafeRawBufferPointer) -> Void
    ) -> Bool {
        func u32(_ at: Int) -> Int? {
            guard at >= 0, b.count - at >= 4 else { return nil }
            return Int(b[at]) | Int(b[at + 1]) << 8 | Int(b[at + 2]) << 16 | Int(b[at + 3]) << 24
        }
        guard let n = u32(0), n <= capacity else { return false }
        var at = 4
        for _ in 0..<n {
            guard b.count - at >= 24, let version = u32(at + 16), let length = u32(at + 20), b.count - at - 24 >= length
            else { return false }
            body(
                UnsafeRawBufferPointer(rebasing: b[at..<at + 16]), version,
                UnsafeRawBufferPointer(rebasing: b[at + 24..<at + 24 + length]))
            at += 24 + length
        }
        return at == b.count
    }

    static func decode(_ b: UnsafeRawBufferPointer) -> SummaryPage? {
        var page = SummaryPage()
        let ok = forEachEntry(b) { id, version, meta in
            page.entries.append(Entry(recordID: String(decoding: id, as: UTF8.self), version: version, meta: Array(meta)))
        }
        return ok ? page : nil
    }
}

/// What one record write changes in the summary pages (§6.12).
enum PageChange {
    /// Appends `PageWrite.pending` (in the order added) to the last page, and new pages as it fills.
    case add
    /// A new latest version of a record (`amend`, `edit`): its entry, in the page it has been in
    /// since it was added.
    case replace(recordID: String, version: Int, meta: [UInt8])
    /// `rm`, retention: its entry leaves its page; an empty page is deleted.
    case remove(recordID: String)
}

/// Shared by a write's page update and its manifest change (both run in its transaction): the
/// entries to add, and the page ids the update created or deleted.
final class PageWrite {
    var pending: [SummaryPage.Entry] = []
    var added: Set<String> = []
    var removed: Set<String> = []
}

extension Vault {
    /// A record write with its summary page change (format 5) and its manifest change, in one
    /// transaction: the pages first, then the manifest, which lists the page ids.
    func writingRecords<T>(
        _ change: PageChange, _ box: PageWrite = PageWrite(), manifest: @escaping (inout Manifest) throws -> Void,
        _ body: (SummaryPagesUpdate?, ManifestSeal?) throws(VaultError) -> T
    ) throws(VaultError) -> T {
        let pages: SummaryPagesUpdate? =
            formatVersion >= 5 ? { [self] access in try self.applyPages(change, box, access) } : nil
        return try writing({ m in
            try manifest(&m)
            guard !box.added.isEmpty || !box.removed.isEmpty else { return }
            var ids = m.items[.summaryPage] ?? []
            ids.formUnion(box.added)
            ids.subtract(box.removed)
            m.items[.summaryPage] = ids
        }) { (seal) throws(VaultError) -> T in try body(pages, seal) }
    }

    private func openPage(_ sealed: [UInt8], id: String) throws(VaultError) -> SummaryPage {
        try keyring.withOpened(.summaryPage, sealed, id: id) { (p) throws(VaultError) -> SummaryPage in
            guard let page = SummaryPage.decode(p) else { throw SealedKind.summaryPage.integrityError(id: id) }
            return page
        }
    }

    private func sealPage(_ page: SummaryPage, number: Int) throws(VaultError) -> SealedItemRow {
        let id = SummaryPage.id(number)
        return SealedItemRow(id: id, sealed: try keyring.seal(.summaryPage, page.encode(), id: id))
    }

    private func applyPages(_ change: PageChange, _ box: PageWrite, _ access: any SummaryPageAccess) throws {
        let ids = try access.pageIDs()
        let existing = Set(ids)
        // A page is rewritten only if it lists exactly what the manifest lists, as this
        // transaction has it before the write: a page put back from an older copy is named, never
        // sealed again with this write's change on top (which would make the rollback permanent).
        let listed = try Self.withManifestView(try access.manifest(), keyring: keyring) {
            (v) throws(VaultError) -> [UInt8] in Array(v.recordBytes)
        }
        // The entries this write adds or changes.
        let exempt = Set(box.pending.map(\.recordID))
        func matches(_ page: SummaryPage) -> Bool {
            page.entries.allSatisfy { e in
                guard !exempt.contains(e.recordID) else { return true }
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
        }
        func requireMatch(_ page: SummaryPage, _ id: String) throws {
            guard matches(page) else {
                throw VaultError.vaultIntegrity(
                    "summary page \(id) does not match the manifest (an older copy put back?); nothing was written (see 'sourcevault check')"
                )
            }
        }
        func write(_ page: SummaryPage, _ number: Int, verified: Bool = false) throws {
            if !verified { try requireMatch(page, SummaryPage.id(number)) }
            let row = try sealPage(page, number: number)
            try access.write(row)
            if !existing.contains(row.id) { box.added.insert(row.id) }
        }
        switch change {
        case .add:
            guard !box.pending.isEmpty else { return }
            var number = 1
            var page = SummaryPage()
            if let last = ids.last {
                guard let n = SummaryPage.number(last), let sealed = try access.page(last) else {
                    throw SealedKind.summaryPage.integrityError(id: last)
                }
                let p = try openPage(sealed, id: last)
                // A last page that does not match the manifest (put back from an older copy) is
                // left as it is, still named by every `list`: new records start a new page, so
                // adding testimony is never refused.
                if p.entries.count < SummaryPage.capacity && matches(p) { (number, page) = (n, p) } else { number = n + 1 }
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
            // Newest pages first: records written to are mostly recent ones.
            for id in ids.reversed() {
                guard let sealed = try access.page(id) else { continue }
                var page = try openPage(sealed, id: id)
                guard let i = page.entries.firstIndex(where: { $0.recordID == recordID }) else { continue }
                // The page as found, this record's entry included, must be the manifest's (whether
                // the record's rows are is the manifest change's check, which runs next).
                try requireMatch(page, id)
                page.entries[i].version = version
                page.entries[i].meta = meta
                guard let n = SummaryPage.number(id) else { throw SealedKind.summaryPage.integrityError(id: id) }
                return try write(page, n, verified: true)
            }
            throw VaultError.vaultIntegrity(
                "record \(recordID) is in no summary page; nothing was written (see 'sourcevault check')")
        case .remove(let recordID):
            for id in ids.reversed() {
                guard let sealed = try access.page(id) else { continue }
                var page = try openPage(sealed, id: id)
                guard let i = page.entries.firstIndex(where: { $0.recordID == recordID }) else { continue }
                page.entries.remove(at: i)
                if page.entries.isEmpty {
                    // (Nothing of it is sealed again.)
                    try access.delete(id)
                    box.removed.insert(id)
                } else {
                    // Unchecked: removing a record must always be possible (§6.8, as for its rows);
                    // the entries left are still checked against the manifest by every `list`.
                    guard let n = SummaryPage.number(id) else { throw SealedKind.summaryPage.integrityError(id: id) }
                    try write(page, n, verified: true)
                }
                return
            }
        // A record the pages never listed (put back without the key) leaves none to change.
        }
    }

    /// A record's latest metadata JSON, opened from its row (the upgrade to format 5); nil if it
    /// does not open or is not metadata.
    func latestMetadataJSON(_ row: LatestRowView) -> [UInt8]? {
        guard let version = row.version, version >= 1 else { return nil }
        return try? withRecordKey(recordID: row.recordID, wrappedKey: row.wrappedKey) { key in
            try self.withOpenedField(row.meta, key: key, recordID: row.recordID, version: version, field: .recordMeta) {
                bytes in
                guard MetadataJSON.decode(bytes) != nil else { throw VaultError.recordIntegrity(recordID: row.recordID) }
                return Array(bytes)
            }
        }
    }

    /// Format 4 → 5 at the first session unlock (SECURITY.md §3): the summary pages built from
    /// every record's latest version, in one transaction with the manifest (now listing them, its
    /// generation continued) and the header's new version.
    func upgradeToFormat5() throws(VaultError) {
        var ids: [String] = []
        try store.upgradeToFormat5(
            pages: { walk in
                var rows: [SealedItemRow] = []
                var page = SummaryPage()
                func flush() throws {
                    rows.append(try self.sealPage(page, number: rows.count + 1))
                    page = SummaryPage()
                }
                try walk { row in
                    guard row.recordID.utf8.count == 16 else { return }
                    page.entries.append(
                        SummaryPage.Entry(
                            recordID: row.recordID, version: row.version ?? 0, meta: self.latestMetadataJSON(row) ?? []))
                    if page.entries.count == SummaryPage.capacity { try flush() }
                }
                if !page.entries.isEmpty { try flush() }
                ids = rows.map(\.id)
                return rows
            },
            manifest: { [self] current in
                var m = try Self.openManifest(current, keyring: self.keyring)
                m.format = 5
                m.items[.summaryPage] = Set(ids)
                m.generation += 1
                self.pendingGeneration = m.generation
                return try self.keyring.seal(.manifest, m.encode())
            })
        formatVersion = 5
        if let g = pendingGeneration { generation = g }
    }

    /// `list` of a format-5 vault: the summary pages in page order, each entry checked against
    /// the manifest read first in the same transaction (the record list, and the page ids) before
    /// it is shown. Record rows are not read.
    func listFromPages(
        sourceID: String?, tagFolded: [UInt8]?, offset: Int, limit: Int?, aliases: [String: String],
        _ each: (RecordSummary) -> Void
    ) throws(VaultError) -> WalkOutcome {
        var check: WalkCheck?
        var listedPages: [String] = []
        var seenPages: [String] = []
        var problems: [VaultError] = []
        var mismatched: [(page: String, record: String)] = []
        var matched = 0
        var shown = 0
        var complete = true
        var lastSource: String?
        var lastAlias: String?
        func full() -> Bool { limit.map { matched >= offset + $0 } ?? false }
        // Each page is opened into this one locked buffer (a page is about 50 KB), wiped after
        // each page and freed at the end: no secure allocation per page.
        let scratch: SecureScratch
        do { scratch = try SecureScratch(capacity: 1 << 16) } catch { throw .storage("secure memory unavailable") }
        do {
            try store.forEachItem(
                .summaryPage,
                manifest: { sealed in
                    check = try WalkCheck(sealedManifest: sealed, vault: self, itemsOf: .summaryPage)
                    listedPages = check!.items
                }
            ) { pageID, sealed in
                if full() {
                    complete = false
                    throw WalkStopped()
                }
                seenPages.append(pageID)
                do {
                    let length = try self.keyring.open(.summaryPage, sealed, id: pageID, into: scratch)
                    defer { scratch.wipe(count: sealed.count) }
                    let wellFormed = scratch.withBytes(count: length) { plain in
                        // Every entry's manifest lookup first, together (their cache misses
                        // overlap), then the entries in order.
                        var keys: [UnsafeRawPointer] = []
                        var versions: [Int] = []
                        keys.reserveCapacity(SummaryPage.capacity)
                        versions.reserveCapacity(SummaryPage.capacity)
                        guard
                            SummaryPage.forEachEntry(
                                plain,
                                { idBytes, version, _ in
                                    keys.append(idBytes.baseAddress!)
                                    versions.append(version)
                                })
                        else { return false }
                        let admitted = check!.admit(batch: keys, versions: versions)
                        var j = 0
                        return SummaryPage.forEachEntry(plain) { idBytes, version, meta in
                            defer { j += 1 }
                            guard !full() else {
                                complete = false
                                return
                            }
                            guard admitted[j] else {
                                mismatched.append((pageID, String(decoding: idBytes, as: UTF8.self)))
                                return
                            }
                            let recordID = String(decoding: idBytes, as: UTF8.self)
                            guard !meta.isEmpty, let md = MetadataJSON.decode(meta) else {
                                problems.append(.recordIntegrity(recordID: recordID))
                                return
                            }
                            if let sourceID, md.source != sourceID { return }
                            if let tagFolded, !md.tags.contains(where: { TextFolding.fold($0) == tagFolded }) { return }
                            matched += 1
                            guard matched > offset else { return }
                            // Records of one source tend to come together: the last lookup again.
                            if md.source != lastSource {
                                lastSource = md.source
                                lastAlias = aliases[md.source]
                            }
                            each(RecordSummary(id: recordID, version: version, metadata: md, sourceAlias: lastAlias))
                            shown += 1
                        }
                    }
                    if !wellFormed { problems.append(SealedKind.summaryPage.integrityError(id: pageID)) }
                } catch let e as VaultError {
                    problems.append(e)
                }
            }
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
        if complete {
            for p in listedPages where !seen.contains(p) {
                problems.append(.vaultIntegrity("summary page \(p) is missing (deleted from the file?)"))
            }
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
