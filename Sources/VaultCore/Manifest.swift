import Foundation
import SodiumKit

/// SECURITY.md §6.8: the sealed manifest of the vault's whole logical state. Every ciphertext is
/// authenticated on its own; the manifest authenticates the *set* of rows: which records exist and
/// their latest version, which sources, rules and export entries, the key slots, the singletons,
/// and a generation that every write transaction increments. It is written in the same
/// transaction as the rows it describes, so deleting, duplicating or restoring an older copy of
/// any row, without the key, no longer goes unnoticed.
struct Manifest: Equatable {
    /// 2, 3 or 4: format 3 lists the identity and contact tables too, format 4 the fact table (§6.8).
    var format = VaultFormat.currentVersion
    var generation: UInt64 = 0
    /// Record id → latest version (versions are 1...N without gaps).
    var records: [String: Int] = [:]
    /// Ids of sources, rules and export entries, per table.
    var items: [SealedItemKind: Set<String>] = [:]
    /// Key slot kind → digest of the slot row (§6.8).
    var slots: [UInt8: [UInt8]] = [:]
    /// BLAKE2b-256 of the sealed retention index and the sealed audit root key; nil if absent.
    var retentionDigest: [UInt8]?
    var auditKeyDigest: [UInt8]?
    /// The master check value (§5); nil if absent.
    var masterCheck: [UInt8]?
    /// Travel mode: the pending bundle id (§8.4); nil when the slots are home.
    var travelBundle: [UInt8]?
    /// Rule label → the highest placeholder number ever given to a rule of that label (§6.6), so a
    /// deleted rule's number is never given to another.
    var placeholderNumbers: [String: Int] = [:]
    /// Format 5: summary page id → the 24-byte nonce it was last sealed with (§6.8, §6.12), so an
    /// older copy of a page (sealed with another nonce) is told from the current one.
    var pageSeals: [String: [UInt8]] = [:]

    static let magic = Array("SVMANIFEST5\0".utf8)
    static let magic4 = Array("SVMANIFEST4\0".utf8)
    static let magic3 = Array("SVMANIFEST3\0".utf8)
    static let magic2 = Array("SVMANIFEST2\0".utf8)

    /// The format a manifest's magic names; nil if it is not one.
    static func format(of b: UnsafeRawBufferPointer) -> Int? {
        guard b.count >= magic.count else { return nil }
        if b[0..<magic.count].elementsEqual(magic) { return 5 }
        if b[0..<magic.count].elementsEqual(magic4) { return 4 }
        if b[0..<magic.count].elementsEqual(magic3) { return 3 }
        if b[0..<magic.count].elementsEqual(magic2) { return 2 }
        return nil
    }

    var tables: [SealedItemKind] { SealedItemKind.tables(format: format) }

    /// The generation from an opened manifest's fixed header alone (§6.8); nil if it is not one.
    static func generation(of b: UnsafeRawBufferPointer) -> UInt64? {
        let head = magic.count
        guard b.count >= head + 8, format(of: b) != nil else { return nil }
        return b[head..<head + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// The length of a sealed box's nonce, its first bytes (XChaCha20-Poly1305).
    static let pageNonceBytes = 24

    /// The nonce a sealed page was sealed with (its first 24 bytes; all of a shorter blob).
    static func pageSeal(_ sealed: some Collection<UInt8>) -> [UInt8] { Array(sealed.prefix(pageNonceBytes)) }

    /// The number of `record_version` rows this manifest implies.
    var versionRows: Int { records.values.reduce(0, +) }

    /// §6.8: the byte encoding (little-endian integers; lists sorted by id, ids as 16 ASCII bytes).
    func encode() -> [UInt8] {
        var out = format >= 5 ? Self.magic : format == 4 ? Self.magic4 : format == 3 ? Self.magic3 : Self.magic2
        out += VaultFormat.le64(generation)
        let ids = records.keys.sorted()
        out += VaultFormat.le32(UInt32(ids.count))
        for id in ids {
            out += id.utf8
            out += VaultFormat.le32(UInt32(truncatingIfNeeded: records[id]!))
        }
        for table in tables {
            let list = Self.sortedIDs(items[table] ?? [])
            out += VaultFormat.le32(UInt32(list.count))
            for id in list { out += id.utf8 }
        }
        let kinds = slots.keys.sorted()
        out += VaultFormat.le32(UInt32(kinds.count))
        for k in kinds { out.append(k); out += slots[k]! }
        for optional in [retentionDigest, auditKeyDigest, masterCheck] { out += Self.optional32(optional) }
        out.append(travelBundle == nil ? 0 : 1)
        out += travelBundle ?? [UInt8](repeating: 0, count: 16)
        let labels = placeholderNumbers.keys.sorted()
        out += VaultFormat.le32(UInt32(labels.count))
        for label in labels {
            out.append(UInt8(truncatingIfNeeded: label.utf8.count))
            out += label.utf8
            out += VaultFormat.le32(UInt32(truncatingIfNeeded: placeholderNumbers[label]!))
        }
        if format >= 5 {
            let pages = pageSeals.keys.sorted()
            out += VaultFormat.le32(UInt32(pages.count))
            for id in pages { out += id.utf8 + pageSeals[id]! }
        }
        return out
    }

    /// ``encode()`` of `tail` (its generation, slots, singletons, travel state, labels and page
    /// nonces) with the record and item lists of `view`, copied as encoded: `rekey` seals its new
    /// manifest from the bytes of the one it rewrites instead of holding a decoded `Manifest`
    /// (a dictionary of every record id) through the rewrite. The format is the view's.
    struct Splice {
        let view: ManifestView
        /// The tail's own encoding, with empty lists: its head and its end are kept.
        let encoded: [UInt8]
        let tables: [SealedItemKind]
        var head: Int { Manifest.magic.count + 8 }  // magic and generation
        var listsEnd: Int { head + 4 + 4 * tables.count }  // where the empty lists end
        var count: Int {
            encoded.count + view.recordBytes.count + tables.reduce(0) { $0 + (view.itemBytes[$1]?.count ?? 0) }
        }

        init(_ view: ManifestView, tail: Manifest) {
            var t = tail
            (t.format, t.records, t.items) = (view.format, [:], [:])
            self.view = view
            encoded = t.encode()
            tables = t.tables
        }

        /// Writes the `count` bytes.
        func write(into out: UnsafeMutableRawBufferPointer) {
            var at = 0
            func put(_ b: UnsafeRawBufferPointer) {
                guard b.count > 0 else { return }
                // (Slicing a buffer pointer is checked only in debug builds.)
                precondition(b.count <= out.count - at, "the spliced manifest is longer than its count")
                UnsafeMutableRawBufferPointer(rebasing: out[at..<at + b.count]).copyMemory(from: b)
                at += b.count
            }
            encoded.withUnsafeBytes { e in
                put(UnsafeRawBufferPointer(rebasing: e[0..<head]))
                VaultFormat.le32(UInt32(view.recordCount)).withUnsafeBytes { put($0) }
                put(view.recordBytes)
                for table in tables {
                    VaultFormat.le32(UInt32(view.count(table))).withUnsafeBytes { put($0) }
                    if let ids = view.itemBytes[table] { put(ids) }
                }
                put(UnsafeRawBufferPointer(rebasing: e[listsEnd...]))
            }
            precondition(at == out.count, "the spliced manifest is shorter than its count")
        }
    }

    /// The spliced encoding as an array (tests).
    static func spliced(_ view: ManifestView, tail: Manifest) -> [UInt8] {
        let s = Splice(view, tail: tail)
        return [UInt8](unsafeUninitializedCapacity: s.count) { b, n in
            s.write(into: UnsafeMutableRawBufferPointer(b))
            n = s.count
        }
    }

    /// `ids.sorted()`, comparing 16-byte ASCII ids as ``ObjectIDKey``s (the same order) rather
    /// than as strings: every write reseals the manifest, and sorting 1,000 fact ids as strings was
    /// most of recording an export (`make bench`).
    static func sortedIDs(_ ids: Set<String>) -> [String] {
        let list = Array(ids)
        guard let keys = ObjectIDKey.keys(list) else { return list.sorted() }
        return list.indices.sorted { keys[$0] < keys[$1] }.map { list[$0] }
    }

    private static func optional32(_ v: [UInt8]?) -> [UInt8] {
        guard let v, v.count == 32 else { return [0] + [UInt8](repeating: 0, count: 32) }
        return [1] + v
    }

    /// Parses ``encode()``'s output; nil for anything else (the AEAD already authenticated it, so
    /// this only guards against our own bugs and future formats).
    static func decode(_ b: UnsafeRawBufferPointer) -> Manifest? {
        decode(b, pagesFromItems: true)
    }

    /// True if the page ids are page numbers (1 … 2^31 − 1, §6.12), sorted, and the same in the
    /// item list (`pageList`, 16-byte ids) and the (id, nonce) list (§6.8).
    static func pagesAgree(_ pageList: UnsafeRawBufferPointer?, _ seals: [String: [UInt8]]) -> Bool {
        let listed =
            pageList.map { b in
                stride(from: 0, to: b.count, by: 16).map {
                    String(decoding: UnsafeRawBufferPointer(rebasing: b[$0..<$0 + 16]), as: UTF8.self)
                }
            } ?? []
        // Strictly ascending (so no page listed twice), as `decode` requires (§6.8).
        guard listed.count == seals.count, zip(listed, listed.dropFirst()).allSatisfy({ $0 < $1 }) else { return false }
        return listed.allSatisfy { seals[$0] != nil && SummaryPage.number($0) != nil }
    }

    /// `pagesFromItems`: the format-5 page list must equal the nonces' ids (false only for the
    /// tail `ManifestView` decodes with empty lists; it compares the lists itself).
    static func decode(_ b: UnsafeRawBufferPointer, pagesFromItems: Bool) -> Manifest? {
        var r = Reader(bytes: b)
        guard let format = format(of: b) else { return nil }
        _ = r.take(magic.count)
        guard let generation = r.u64() else { return nil }
        var m = Manifest(format: format, generation: generation)
        guard let nRecords = r.u32() else { return nil }
        for _ in 0..<nRecords {
            guard let id = r.id(), let v = r.u32(), v >= 1 else { return nil }
            m.records[id] = Int(v)
        }
        for table in m.tables {
            guard let n = r.u32() else { return nil }
            var set = Set<String>()
            var last: String?
            for _ in 0..<n {
                guard let id = r.id() else { return nil }
                // The page list strictly ascending, no page twice (§6.8).
                if table == .summaryPage {
                    guard last.map({ $0 < id }) ?? true else { return nil }
                    last = id
                }
                set.insert(id)
            }
            m.items[table] = set
        }
        guard let nSlots = r.u32(), nSlots <= 255 else { return nil }
        for _ in 0..<nSlots {
            guard let k = r.take(1)?.first, let d = r.take(32) else { return nil }
            m.slots[k] = Array(d)
        }
        var singles: [[UInt8]?] = []
        for _ in 0..<3 {
            guard let flag = r.take(1)?.first, let v = r.take(32) else { return nil }
            singles.append(flag == 1 ? Array(v) : nil)
        }
        (m.retentionDigest, m.auditKeyDigest, m.masterCheck) = (singles[0], singles[1], singles[2])
        guard let flag = r.take(1)?.first, let bundle = r.take(16), let nLabels = r.u32() else { return nil }
        m.travelBundle = flag == 1 ? Array(bundle) : nil
        for _ in 0..<nLabels {
            guard let len = r.take(1)?.first, let raw = r.take(Int(len)), let n = r.u32() else { return nil }
            m.placeholderNumbers[String(decoding: raw, as: UTF8.self)] = Int(n)
        }
        if format >= 5 {
            guard let n = r.u32() else { return nil }
            var last: String?
            for _ in 0..<n {
                // Strictly ascending by page id, no page twice (§6.8).
                guard let id = r.id(), last.map({ $0 < id }) ?? true, let nonce = r.take(pageNonceBytes) else { return nil }
                last = id
                m.pageSeals[id] = Array(nonce)
            }
            guard m.pageSeals.count == n else { return nil }
            if pagesFromItems {
                let pages = m.items[.summaryPage] ?? []
                guard pages.count == m.pageSeals.count,
                    pages.allSatisfy({ m.pageSeals[$0] != nil && SummaryPage.number($0) != nil })
                else { return nil }
            }
        }
        guard r.atEnd else { return nil }
        return m
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var at = 0
        var atEnd: Bool { at == bytes.count }

        mutating func take(_ n: Int) -> UnsafeRawBufferPointer.SubSequence? {
            guard n >= 0, bytes.count - at >= n else { return nil }
            defer { at += n }
            return bytes[at..<at + n]
        }

        mutating func u32() -> UInt32? {
            take(4).map { $0.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        }

        mutating func u64() -> UInt64? {
            take(8).map { $0.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        }

        /// A listed id: 16 bytes of lowercase hex (``ObjectID/isValid(_:)``), checked on the
        /// bytes before a string is made (every write decodes every listed id).
        mutating func id() -> String? {
            guard let raw = take(16) else { return nil }
            guard raw.allSatisfy({ $0 &- 0x30 < 10 || $0 &- 0x61 < 6 }) else { return nil }
            return String(unsafeUninitializedCapacity: 16) { out in
                _ = out.initialize(from: raw)
                return 16
            }
        }
    }

    /// §6.8: the digest of a key slot row: BLAKE2b-256 over kind || u64le(algorithm) ||
    /// u64le(opslimit) || u64le(memlimit) || salt || wrapped master key.
    static func slotDigest(_ s: KeySlotRow) throws(VaultError) -> [UInt8] {
        var m: [UInt8] = [s.kind.rawValue]
        m += VaultFormat.le64(UInt64(bitPattern: s.kdfAlgorithm)) + VaultFormat.le64(s.opsLimit) + VaultFormat.le64(s.memLimit)
        m += s.salt + s.wrappedMasterKey
        return try digest(m)
    }

    static func digest(_ bytes: [UInt8]) throws(VaultError) -> [UInt8] {
        try Vault.sodium { try GenericHash.hash(bytes, length: 32) }
    }

    /// Every record id in `store` with its number of version rows.
    static func recordCounts(_ store: any VaultStore) throws(VaultError) -> [String: Int] {
        var out: [String: Int] = [:]
        for id in try store.allRecordIDs() { out[id] = try store.record(id)?.versions.count ?? 0 }
        return out
    }

    /// Version rows whose record row (its key) is gone, one sentence per record id (§6.8).
    static func orphanProblems(_ store: any VaultStore) throws(VaultError) -> [RecordDifference] {
        try store.orphanVersionCounts().sorted { $0.key < $1.key }.map {
            RecordDifference(
                id: $0.key, missing: false,
                message:
                    "record \($0.key) has \($0.value) version row\($0.value == 1 ? "" : "s") but no key row (the record row was deleted from the file, or the rows planted)"
            )
        }
    }

    /// One record that differs, with its id (so callers need not read it back out of the message).
    struct RecordDifference {
        var id: String
        /// Listed by the manifest, absent from the file.
        var missing: Bool
        var message: String
    }

    /// The records that differ between this manifest and `actual`, in id order.
    func recordDifferences(from actual: Manifest) -> [RecordDifference] {
        var out: [RecordDifference] = []
        for id in Set(records.keys).union(actual.records.keys).sorted() {
            switch (records[id], actual.records[id]) {
            case (let want?, nil):
                out.append(
                    .init(
                        id: id, missing: true,
                        message: "record \(id) is missing (\(want) version\(want == 1 ? "" : "s") expected)"))
            case (nil, _?):
                out.append(
                    .init(
                        id: id, missing: false,
                        message: "record \(id) is not in the manifest (added to the file without the key?)"))
            case (let want?, let got?) where want != got:
                out.append(
                    .init(
                        id: id, missing: false,
                        message: "record \(id) has \(got) version\(got == 1 ? "" : "s") where the manifest says \(want)"))
            default: break
            }
        }
        return out
    }

    /// The manifest the rows in `store` describe now (`init`, the upgrade from format 1, `check`).
    static func describing(_ store: any VaultStore, generation: UInt64, format: Int = VaultFormat.currentVersion)
        throws(VaultError)
        -> Manifest
    {
        var m = Manifest(format: format, generation: generation)
        m.records = try recordCounts(store)
        // Ids (and the pages' nonces below) read row by row: the pages are not kept.
        for table in m.tables {
            var ids: Set<String> = []
            try store.forEachItemRow(table) { id, _ in ids.insert(id) }
            m.items[table] = ids
        }
        for kind in [KeySlotKind.passphrase, .recovery] {
            if let s = try store.keySlot(kind) { m.slots[kind.rawValue] = try slotDigest(s) }
        }
        m.retentionDigest = try store.sealedRetentionIndex().map { (b) throws(VaultError) -> [UInt8] in try digest(b) }
        m.auditKeyDigest = try store.sealedAuditRootKey().map { (b) throws(VaultError) -> [UInt8] in try digest(b) }
        m.masterCheck = try store.masterCheck()
        m.travelBundle = try store.pendingTravelBundle()
        if format >= 5 {
            var seals: [String: [UInt8]] = [:]
            try store.forEachItemRow(.summaryPage) { id, sealed in seals[id] = pageSeal(sealed) }
            m.pageSeals = seals
        }
        return m
    }

    /// Every difference between what this manifest says and `actual`, one sentence each, naming
    /// the object (`check` lists them all; export refuses on the first about a rule or its record).
    /// A write's compare-and-swap (§6.8): the record has `versions` rows in the file (nil: none),
    /// as the manifest in the write transaction says; otherwise the difference, named.
    func requireRecord(_ id: String, versions: Int?) throws(VaultError) {
        var actual = self
        actual.records[id] = versions
        let differs = differences(from: actual).filter { $0.hasPrefix("record \(id) ") }
        if let first = differs.first { throw .vaultIntegrity(first + "; nothing was written") }
    }

    /// `travel in` has no key (§6.8): the slots that left (their digests are still listed here)
    /// are back in `actual` and the pending bundle is gone. Any other slot is a mismatch.
    func travelReturned(to actual: Manifest) -> Bool {
        travelBundle != nil && actual.travelBundle == nil && actual.slots == slots && !slots.isEmpty
    }

    func differences(from actual: Manifest) -> [String] {
        var out = recordDifferences(from: actual).map(\.message)
        for table in SealedItemKind.allCases {
            let want = items[table] ?? [], got = actual.items[table] ?? []
            for id in want.subtracting(got).sorted() { out.append("\(table.noun) \(id) is missing (deleted from the file?)") }
            for id in got.subtracting(want).sorted() {
                out.append("\(table.noun) \(id) is not in the manifest (added to the file without the key?)")
            }
        }
        let pages = (items[.summaryPage] ?? []).intersection(actual.items[.summaryPage] ?? [])
        for id in pages.sorted() where pageSeals[id] != actual.pageSeals[id] {
            out.append("summary page \(id) is not the copy the manifest lists (an older copy put back?)")
        }
        for k in Set(slots.keys).union(actual.slots.keys).sorted() where slots[k] != actual.slots[k] {
            let name = KeySlotKind(rawValue: k).map { $0 == .passphrase ? "passphrase" : "recovery" } ?? "kind \(k)"
            out.append(
                "the \(name) key slot \(actual.slots[k] == nil ? "is missing" : slots[k] == nil ? "is not in the manifest" : "is not the one the manifest lists")"
            )
        }
        if retentionDigest != actual.retentionDigest {
            out.append("the retention index is not the one the manifest lists (an older copy?)")
        }
        if auditKeyDigest != actual.auditKeyDigest { out.append("the audit key is not the one the manifest lists") }
        if masterCheck != actual.masterCheck { out.append("the master check value is not the one the manifest lists") }
        if travelBundle != actual.travelBundle { out.append("the travel-mode state is not the one the manifest lists") }
        return out
    }
}

extension SealedItemKind {
    /// How an item of this table is named in messages.
    package var noun: String {
        switch self {
        case .source: "source"
        case .rule: "rule"
        case .export: "export entry"
        case .identity: "identity"
        case .contact: "contact"
        case .fact: "fact"
        case .summaryPage: "summary page"
        }
    }
}

/// The parts of an opened manifest that the hot paths need (every unlock, every rule or record
/// read), read straight from its bytes: no dictionary of 10,000 ids is built. Anything it finds
/// wrong goes to the full `Manifest` for a message that names the object.
struct ManifestView {
    let generation: UInt64
    /// The record list exactly as encoded (sorted `id || u32le(versions)` entries), in the opened
    /// manifest's own buffer: a view is valid only inside `Vault.withManifestView`.
    let recordBytes: UnsafeRawBufferPointer
    let versionRows: Int
    /// Each item table's id list as encoded (sorted 16-byte ids), in the same buffer.
    let itemBytes: [SealedItemKind: UnsafeRawBufferPointer]
    /// Everything after the item lists (slots, singletons, travel, labels), decoded.
    let tail: Manifest
    let format: Int

    init?(_ b: UnsafeRawBufferPointer) {
        var at = Manifest.magic.count
        func u32() -> Int? {
            guard b.count - at >= 4 else { return nil }
            defer { at += 4 }
            return Int(b[at]) | Int(b[at + 1]) << 8 | Int(b[at + 2]) << 16 | Int(b[at + 3]) << 24
        }
        guard let g = Manifest.generation(of: b), let f = Manifest.format(of: b) else { return nil }
        generation = g
        format = f
        at += 8
        guard let n = u32(), n >= 0, (b.count - at) / 20 >= n else { return nil }
        recordBytes = UnsafeRawBufferPointer(rebasing: b[at..<at + n * 20])
        var sum = 0
        var p = at + 16
        for _ in 0..<n {
            sum += Int(b[p]) | Int(b[p + 1]) << 8 | Int(b[p + 2]) << 16 | Int(b[p + 3]) << 24
            p += 20
        }
        versionRows = sum
        at += n * 20
        var items: [SealedItemKind: UnsafeRawBufferPointer] = [:]
        for table in SealedItemKind.tables(format: f) {
            guard let k = u32(), (b.count - at) / 16 >= k else { return nil }
            items[table] = UnsafeRawBufferPointer(rebasing: b[at..<at + k * 16])
            at += k * 16
        }
        itemBytes = items
        // The tail is small: decode it with the full decoder on a manifest with empty lists.
        var rest = Array(b[0..<Manifest.magic.count]) + VaultFormat.le64(generation) + VaultFormat.le32(0)
        for _ in SealedItemKind.tables(format: f) { rest += VaultFormat.le32(0) }
        rest += b[at...]
        guard let tail = rest.withUnsafeBytes({ Manifest.decode($0, pagesFromItems: false) }) else { return nil }
        // Format 5: the page list and the (id, nonce) list name the same page numbers (§6.8).
        if f >= 5 { guard Manifest.pagesAgree(items[.summaryPage], tail.pageSeals) else { return nil } }
        self.tail = tail
    }

    func count(_ table: SealedItemKind) -> Int { (itemBytes[table]?.count ?? 0) / 16 }

    var recordCount: Int { recordBytes.count / 20 }

    /// The listed version count of one record, by binary search over the sorted entries; nil if the
    /// manifest does not list it.
    func versions(of id: String) -> Int? {
        let key = Array(id.utf8)
        guard key.count == 16 else { return nil }
        return key.withUnsafeBytes { versions(ofID: $0.baseAddress!) }
    }

    /// The same for a 16-byte id in memory.
    func versions(ofID key: UnsafeRawPointer) -> Int? { index(ofID: key).map(versions(at:)) }

    /// The entry listing a 16-byte id, by binary search (the 16 bytes compared as two big-endian
    /// words: memcmp's order without a call per step; a walk looks up every record).
    func index(ofID key: UnsafeRawPointer) -> Int? { Self.index(ofID: key, in: recordBytes) }

    /// The same over any copy of an encoded record list (`WalkCheck` keeps one).
    static func index(ofID key: UnsafeRawPointer, in recordBytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = recordBytes.baseAddress else { return nil }
        let recordCount = recordBytes.count / 20
        @inline(__always) func word(_ p: UnsafeRawPointer, _ at: Int) -> UInt64 {
            UInt64(bigEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        }
        let k0 = word(key, 0), k1 = word(key, 8)
        @inline(__always) func below(_ i: Int) -> Bool {  // entry i sorts before the key
            let e0 = word(base + i * 20, 0)
            return e0 < k0 || (e0 == k0 && word(base + i * 20, 8) < k1)
        }
        var lo = 0, hi = recordCount
        // Ids are random hex digits, so an id's place in the sorted list is about its value times
        // the count: start there and widen a window until it brackets the key (a few probes near
        // each other instead of 17 across 2 MB at 100,000 records; a walk looks up every record).
        if recordCount > 64, let v = Self.hexPrefix(key) {
            let guess = min(Int((UInt64(v) &* UInt64(recordCount)) >> 32), recordCount - 1)
            var step = 8
            var a = guess, b = guess + 1  // the key's place is in [a, b] once !below(b) and below(a - 1)
            while a > 0 && !below(a - 1) {
                a = max(0, a - step)
                step &*= 2
            }
            step = 8
            while b < recordCount && below(b) {
                b = min(recordCount, b + step)
                step &*= 2
            }
            (lo, hi) = (a, min(b + 1, recordCount))
        }
        while lo < hi {
            let mid = (lo + hi) / 2
            let e = base + mid * 20
            let e0 = word(e, 0), e1 = word(e, 8)
            if e0 == k0 && e1 == k1 { return mid }
            if e0 < k0 || (e0 == k0 && e1 < k1) { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// The value of the first 8 of 16 lowercase hex digits (nil if they are not), for the guess.
    static func hexPrefix(_ key: UnsafeRawPointer) -> UInt32? {
        var v: UInt32 = 0
        for i in 0..<8 {
            let c = key.load(fromByteOffset: i, as: UInt8.self)
            let d: UInt8
            switch c {
            case 48...57: d = c - 48
            case 97...102: d = c - 87
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// The version count of entry `i`.
    func versions(at i: Int) -> Int {
        Int(UInt32(littleEndian: recordBytes.baseAddress!.loadUnaligned(fromByteOffset: i * 20 + 16, as: UInt32.self)))
    }

    /// True if `ids` (any order) are exactly the table's listed ids.
    /// The ids are sorted as 16-byte keys (two big-endian words; for these ASCII ids the order of
    /// `String`'s `<`), not as strings: sorting 1,000 fact ids as strings was a quarter of reading
    /// them (`make bench`). An id that is not 16 bytes is never listed.
    func lists(_ ids: [String], in table: SealedItemKind) -> Bool {
        guard ids.count == count(table) else { return false }
        guard let keys = ObjectIDKey.keys(ids) else { return false }
        return lists(keys: keys, in: table)
    }

    /// The same for ids already made keys (any order).
    func lists(keys: [ObjectIDKey], in table: SealedItemKind) -> Bool {
        guard keys.count == count(table) else { return false }
        var keys = keys
        keys.sort()
        guard let listed = itemBytes[table], let base = listed.baseAddress else { return keys.isEmpty }
        for (i, k) in keys.enumerated() where k != ObjectIDKey(base + i * 16) { return false }
        return true
    }
}

/// A 16-byte object id as two big-endian words: compared as memcmp compares the bytes, which for
/// ids (ASCII) is the order of `String`'s `<`, without a string comparison per step.
struct ObjectIDKey: Comparable, Hashable {
    let high: UInt64
    let low: UInt64

    init(_ p: UnsafeRawPointer) {
        high = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        low = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// The key of an id of exactly 16 ASCII bytes; nil for anything else.
    init?(_ id: String) {
        var s = id
        guard
            let k = s.withUTF8({ b -> ObjectIDKey? in
                guard b.count == 16, let base = b.baseAddress, !b.contains(where: { $0 >= 0x80 }) else { return nil }
                return ObjectIDKey(UnsafeRawPointer(base))
            })
        else { return nil }
        self = k
    }

    /// Every id's key, in order; nil if one is not 16 ASCII bytes.
    static func keys(_ ids: [String]) -> [ObjectIDKey]? {
        var keys: [ObjectIDKey] = []
        keys.reserveCapacity(ids.count)
        for id in ids {
            guard let k = ObjectIDKey(id) else { return nil }
            keys.append(k)
        }
        return keys
    }

    static func < (a: ObjectIDKey, b: ObjectIDKey) -> Bool { (a.high, a.low) < (b.high, b.low) }
}
