/// Rows as stored: every field here is either public structure (ids, counts, KDF parameters) or
/// ciphertext. Nothing above this protocol needs to know it is SQLite, so a shared server store
/// holding only ciphertext can be added later.
package struct VaultHeader: Sendable, Equatable {
    package var formatVersion: Int
    package var vaultID: [UInt8]
}

package struct KeySlotRow: Sendable, Equatable {
    package var kind: KeySlotKind
    package var kdfAlgorithm: Int64
    package var opsLimit: UInt64
    package var memLimit: UInt64
    package var salt: [UInt8]
    package var wrappedMasterKey: [UInt8]
}

package struct SealedVersionRow: Sendable, Equatable {
    package var version: Int
    package var meta: [UInt8]
    package var body: [UInt8]
}

package struct SealedRecordRow: Sendable, Equatable {
    package var recordID: String
    package var wrappedKey: [UInt8]
    /// The versions asked for (all, or only the latest).
    package var versions: [SealedVersionRow]
}

/// The latest version of one record, borrowed from the store for the duration of a callback: its
/// buffers point into SQLite's row and are invalid afterwards, so never store one or its buffers.
package struct LatestRowView {
    package var recordID: String
    package var wrappedKey: UnsafeRawBufferPointer
    /// nil when no version row is left (a damaged record); -1 for a version number the writer
    /// could not have produced.
    package var version: Int?
    package var meta: UnsafeRawBufferPointer
    package var body: UnsafeRawBufferPointer
}

/// Row counts of the tables the manifest lists (SECURITY.md §6.8).
package struct RowCounts: Sendable, Equatable {
    package var records: Int
    package var versions: Int
    package var items: [SealedItemKind: Int]
    package init(records: Int, versions: Int, items: [SealedItemKind: Int]) {
        self.records = records; self.versions = versions; self.items = items
    }
}

/// Everything the unlock compares with the manifest, read in ONE transaction: a write committed
/// by another process between two reads must not look like tampering (SECURITY.md §6.8).
package struct ManifestSnapshot {
    package var manifest: [UInt8]?
    package var counts: RowCounts
    package var slots: [KeySlotRow]
    package var travelBundle: [UInt8]?
    package var retentionIndex: [UInt8]?
    package var auditKey: [UInt8]?
    package var masterCheck: [UInt8]?
    package init(
        manifest: [UInt8]?, counts: RowCounts, slots: [KeySlotRow], travelBundle: [UInt8]?,
        retentionIndex: [UInt8]?, auditKey: [UInt8]?, masterCheck: [UInt8]?
    ) {
        self.manifest = manifest; self.counts = counts; self.slots = slots
        self.travelBundle = travelBundle; self.retentionIndex = retentionIndex; self.auditKey = auditKey;
        self.masterCheck = masterCheck
    }
}

/// A sealed item addressed only by its id (sources, rules, export provenance entries).
package struct SealedItemRow: Sendable, Equatable {
    package var id: String
    package var sealed: [UInt8]
}

/// Tables of sealed items (SECURITY.md §3), named by their SQL table.
package enum SealedItemKind: String, Sendable, CaseIterable {
    case source
    case rule
    case export = "export_record"
    /// Format 3 (SECURITY.md §3): the vault's age identity (one row) and its contacts.
    case identity
    case contact
    /// Format 4 (SECURITY.md §3, §6.11): facts about sources.
    case fact
    /// Format 5 (SECURITY.md §3, §6.12): the summary pages `list` reads.
    case summaryPage = "summary_page"

    /// The id column (`source` predates the others' shorter name).
    package var idColumn: String { self == .source ? "source_id" : "id" }

    /// The tables of a vault of `format`, in the manifest's order (§6.8): format 3 added two,
    /// 4 and 5 one each.
    package static func tables(format: Int) -> [SealedItemKind] {
        switch format {
        case 5...: allCases
        case 4: [.source, .rule, .export, .identity, .contact, .fact]
        case 3: [.source, .rule, .export, .identity, .contact]
        default: [.source, .rule, .export]
        }
    }
}

/// The storage behind a vault, split by aggregate. Each method is one atomic operation. Only
/// this package's modules see these (`package`): everything above goes through ``Vault``'s audited operations.
package protocol KeySlotStore: AnyObject {
    /// Creates the schema and writes header and key slots in one transaction.
    func initialize(header: VaultHeader, slots: [KeySlotRow]) throws(VaultError)
    func readHeader() throws(VaultError) -> VaultHeader
    /// Brings an older vault's schema up to date (after the header's format version was checked).
    func migrateIfNeeded(formatVersion: Int) throws(VaultError)
    func keySlot(_ kind: KeySlotKind) throws(VaultError) -> KeySlotRow?
    /// Replaces (or adds) one key slot atomically.
    func replaceKeySlot(_ slot: KeySlotRow, manifest: ManifestSeal?) throws(VaultError)
    /// Deletes key slots of these kinds in one transaction.
    func deleteKeySlots(_ kinds: [KeySlotKind], manifest: ManifestSeal?) throws(VaultError)
    /// Travel mode: the id of the bundle the slots are in (nil when they are home).
    func pendingTravelBundle() throws(VaultError) -> [UInt8]?
    /// Deletes every key slot and records the bundle id, in one transaction.
    func sendSlotsAway(bundleID: [UInt8], manifest: ManifestSeal?) throws(VaultError)
    /// Inserts the slots and clears the bundle id, in one transaction.
    func bringSlotsHome(_ slots: [KeySlotRow]) throws(VaultError)
    /// The master-key check value (SECURITY.md §5); nil if none was written yet.
    func masterCheck() throws(VaultError) -> [UInt8]?
    func saveMasterCheck(_ value: [UInt8], manifest: ManifestSeal?) throws(VaultError)
}

/// Records and their versions (SECURITY.md §6.1-6.5).
package protocol RecordStore: AnyObject {
    /// Every record write runs `pages` (format 5, SECURITY.md §6.12: the summary pages as they are
    /// in its transaction) after its row changes and before the manifest; nil before format 5.
    func insertRecord(_ row: SealedRecordRow, pages: SummaryPagesUpdate?, manifest: ManifestSeal?) throws(VaultError)
    /// Inserts many records in ONE transaction; `produce` calls `insert` once per record, so only
    /// one record needs to be in memory at a time. Nothing is kept if anything fails.
    func insertRecords(
        _ produce: (_ insert: (SealedRecordRow) throws -> Void) throws -> Void, pages: SummaryPagesUpdate?,
        manifest: ManifestSeal?) throws
    func appendVersion(recordID: String, _ version: SealedVersionRow, pages: SummaryPagesUpdate?, manifest: ManifestSeal?)
        throws(VaultError)
    /// Record ids starting with `prefix` (lowercase hex), at most `limit` of them.
    func recordIDs(withPrefix prefix: String, limit: Int) throws(VaultError) -> [String]
    /// One record with all its versions.
    func record(_ recordID: String) throws(VaultError) -> SealedRecordRow?
    /// One record and the sealed manifest, read in one transaction, with the body of one version
    /// only: `version`, or the last in version order when nil (the first row of that number if
    /// several have it); every other version's body is empty.
    func recordWithManifest(_ recordID: String, bodyOf version: Int?) throws(VaultError) -> (SealedRecordRow?, [UInt8]?)
    /// Calls `body` with each record and its latest version, one at a time, so memory stays flat.
    /// The row is a view into the database's own buffers, valid only during the call (a search
    /// reads every sealed byte once, without copying it). `includeBody` false leaves `body` empty
    /// (listing needs only the metadata). A record's latest version is its version number equal to
    /// its number of version rows (nil when there is no such row: versions deleted or renumbered).
    /// Returns the sealed manifest, read in the same transaction as the rows (SECURITY.md §6.8).
    /// `manifest` is called first with the sealed manifest, read in the same transaction, so the
    /// caller can check each record against it before showing anything (a streamed `list`).
    @discardableResult
    func forEachLatest(
        includeBody: Bool, manifest: ([UInt8]?) throws -> Void, _ body: (LatestRowView) throws -> Void
    ) throws -> [UInt8]?
    func deleteRecord(_ recordID: String, pages: SummaryPagesUpdate?, manifest: ManifestSeal?) throws(VaultError)
    /// Calls `manifest` with the sealed manifest, then `body` with every item of `kind` in id order,
    /// one at a time (a view into the database's buffer), all in one read transaction.
    func forEachItem(
        _ kind: SealedItemKind, manifest: ([UInt8]?) throws -> Void, _ body: (String, UnsafeRawBufferPointer) throws -> Void
    ) throws
    /// Format 4 → 5 (SECURITY.md §3): `pages` gets a walk over every record's latest version in
    /// the write transaction and returns the first summary pages.
    func upgradeToFormat5(
        pages: (_ walk: ((LatestRowView) throws -> Void) throws -> Void) throws -> [SealedItemRow],
        manifest: @escaping ManifestSeal) throws(VaultError)
    /// `check --rebuild-pages`: every `summary_page` row replaced by the pages `pages` returns
    /// (given a walk over every record's latest version), with the manifest, in one transaction.
    func rebuildSummaryPages(
        pages: (_ walk: ((LatestRowView) throws -> Void) throws -> Void) throws -> [SealedItemRow],
        manifest: @escaping ManifestSeal) throws(VaultError)
    func recordCount() throws(VaultError) -> Int
    /// Every record id, in insertion order.
    func allRecordIDs() throws(VaultError) -> [String]
    /// Version rows whose record row is gone (left by an edit without the key), counted per
    /// record id.
    func orphanVersionCounts() throws(VaultError) -> [String: Int]
    /// Every record row in the order of ``allRecordIDs()``, in one read transaction: its id's
    /// bytes as stored (empty if the id is not text; valid only during `body`) and its number of
    /// version rows, as ``record(_:)`` would read them. No record is loaded: the manifest check of
    /// `rekey` and `check` compares these with the manifest's list (SECURITY.md §6.8).
    func forEachRecordVersionCount(_ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws(VaultError)
}

extension RecordStore {
    @discardableResult
    package func forEachLatest(includeBody: Bool, _ body: (LatestRowView) throws -> Void) throws -> [UInt8]? {
        try forEachLatest(includeBody: includeBody, manifest: { _ in }, body)
    }
}

/// Sources, rules and export entries: sealed items addressed by id (SECURITY.md §6.3, §6.6, §6.7).
package protocol SealedItemStore: AnyObject {
    func insertItem(_ kind: SealedItemKind, _ row: SealedItemRow, manifest: ManifestSeal?) throws(VaultError)
    /// Every item of `kind`, in insertion order.
    func allItems(_ kind: SealedItemKind) throws(VaultError) -> [SealedItemRow]
    /// The same rows one at a time, in one read transaction: the id as `allItems` reads it and the
    /// sealed bytes (empty if not a blob), valid only during `body`. For a pass over a whole table
    /// that keeps little of it (`check` and `rekey` compare ids and page nonces: the summary pages
    /// alone are 25 MB at 100,000 records).
    func forEachItemRow(_ kind: SealedItemKind, _ body: (String, UnsafeRawBufferPointer) throws -> Void) throws(VaultError)
    /// Every item of `kind` and the sealed manifest, read in one transaction (so a write between
    /// them cannot raise a false alarm).
    func allItemsWithManifest(_ kind: SealedItemKind) throws(VaultError) -> ([SealedItemRow], [UInt8]?)
    /// Deletes one item; false if there was none with that id.
    func deleteItem(_ kind: SealedItemKind, id: String, manifest: ManifestSeal?) throws(VaultError) -> Bool
    /// Deletes the items `deleting` and inserts `row`, in one transaction (`identity rotate`).
    func replaceItems(_ kind: SealedItemKind, deleting: [String], inserting row: SealedItemRow, manifest: ManifestSeal?)
        throws(VaultError)
    /// Replaces the sealed bytes of one item, keeping its id (`source rename`); false if there was none.
    func replaceItem(_ kind: SealedItemKind, _ row: SealedItemRow, manifest: ManifestSeal?) throws(VaultError) -> Bool
}

/// The new sealed manifest (SECURITY.md §6.8), computed inside a write transaction from the sealed
/// manifest as it is in that transaction (nil if none yet), after the row changes, and written as
/// the transaction's last statement. Nil only for writes that have no key (travel in, the audit
/// state) and for a format-1 vault before its upgrade. It must not call the store.
package typealias ManifestSeal = (_ current: [UInt8]?) throws -> [UInt8]

/// The summary pages inside a record write's transaction (SECURITY.md §6.12): ids in order, a
/// sealed page by id, insert or replace, delete.
package protocol SummaryPageAccess {
    /// The sealed manifest as it is in the transaction, before this write changes it.
    func manifest() throws -> [UInt8]?
    func pageIDs() throws -> [String]
    func page(_ id: String) throws -> [UInt8]?
    /// Whether a row with this id is in the file, whatever its `sealed` holds (a blob or not).
    func hasRow(_ id: String) throws -> Bool
    /// Replaces a page the manifest lists.
    func write(_ row: SealedItemRow) throws
    /// A new page (plain INSERT): fails if a row with that id is already there (§6.12).
    func insert(_ row: SealedItemRow) throws
    func delete(_ id: String) throws
    /// Where a record stands in the order records were added (SQLite's `record` rowid); nil if
    /// it has no row, or the store cannot say. Only speeds up finding a record's page.
    func recordOrder(_ recordID: String) throws -> Int64?
}

extension SummaryPageAccess {
    package func recordOrder(_ recordID: String) throws -> Int64? { nil }
    package func hasRow(_ id: String) throws -> Bool { try page(id) != nil }
}

/// A record write's change to the summary pages, run in its transaction before the manifest.
package typealias SummaryPagesUpdate = (_ pages: any SummaryPageAccess) throws -> Void

/// The vault's singletons: retention index, audit key, manifest and audit state (SECURITY.md §8.3, §6.8, §11.5).
package protocol VaultStateStore: AnyObject {
    /// The sealed manifest; nil in a format-1 vault.
    func sealedManifest() throws(VaultError) -> [UInt8]?
    /// Format 1 → 2: creates the manifest table, replaces the rule rows given (numbered), writes
    /// the first manifest and sets the header's version to 2, in one transaction.
    func upgradeToFormat2(rules: [SealedItemRow], manifest: @escaping ManifestSeal) throws(VaultError)
    /// Format 2 → 3: creates the identity and contact tables, inserts the vault's first identity,
    /// writes the manifest and sets the header's version to 3, in one transaction.
    func upgradeToFormat3(identity: SealedItemRow, manifest: @escaping ManifestSeal) throws(VaultError)
    /// Format 3 → 4: creates the fact table, writes the manifest (now listing it) and sets the
    /// header's version to 4, in one transaction.
    func upgradeToFormat4(manifest: @escaping ManifestSeal) throws(VaultError)
    /// A write transaction that only replaces the manifest (the first one of a new vault; travel in
    /// confirmed at the next unlock).
    func writeManifest(_ manifest: @escaping ManifestSeal) throws(VaultError)
    /// What the unlock check needs, in one read transaction: the manifest, the row counts, the
    /// key slots and the singletons (§6.8).
    func manifestSnapshot() throws(VaultError) -> ManifestSnapshot
    /// At unlock, after the secret was asked for: the file is still the one opened (same device
    /// and inode at its path), with the same header and the complete pinned schema (§3).
    func confirmUnchanged(since header: VaultHeader) throws(VaultError)
    /// The schema (SECURITY.md §3): every object in the database must be one the format's
    /// migrations create, with the same SQL; with `complete`, every one of them must be there.
    func verifySchema(formatVersion: Int, complete: Bool) throws(VaultError)
    /// The sealed retention index (SECURITY.md §8.3); nil if none was written yet.
    func sealedRetentionIndex() throws(VaultError) -> [UInt8]?
    func saveSealedRetentionIndex(_ sealed: [UInt8], manifest: ManifestSeal?) throws(VaultError)
    /// The sealed audit root key (SECURITY.md §5); nil for a vault that has none yet.
    func sealedAuditRootKey() throws(VaultError) -> [UInt8]?
    func saveSealedAuditRootKey(_ sealed: [UInt8], manifest: ManifestSeal?) throws(VaultError)
    /// The audit log's state (SECURITY.md §11.5); nil for a vault that has none yet.
    func auditState() throws(VaultError) -> AuditState?
    func saveAuditState(_ state: AuditState) throws(VaultError)
}

/// The whole storage protocol: what a backend (SQLite today, a ciphertext-only server store later)
/// implements. Its reads may be called from several threads at once (`export` reads the rules and
/// the disclosure guard's facts beside the record, `search` reads records on several): a backend
/// serializes them or is safe without (SQLite: one `DatabaseQueue`).
package protocol VaultStore: KeySlotStore, RecordStore, SealedItemStore, VaultStateStore {
    /// `rekey`: rewrites every sealed value and the key slots in ONE transaction, one record at a time.
    func rewriteEverything(_ plan: RewritePlan) throws
    /// The backend's own consistency check; empty if fine.
    func integrityCheck() throws(VaultError) -> [String]
    /// A consistent copy of the database at `path`.
    func backup(to path: String) throws(VaultError)
    /// Closes the connection (before the file is renamed into place).
    func close() throws(VaultError)
    /// A storage error from a call that is not typed-throws, in words.
    func describe(_ error: Error) -> String
}

/// What `rekey` replaces, as functions from old rows to new ones (SECURITY.md §8).
package struct RewritePlan {
    package var slots: [KeySlotRow]
    package var auditRootKey: [UInt8]?
    package var retentionIndex: [UInt8]?
    package var masterCheck: [UInt8]?
    package var manifest: ManifestSeal?
    package var record: (SealedRecordRow) throws -> SealedRecordRow
    package var item: (SealedItemKind, SealedItemRow) throws -> SealedItemRow
    package var progress: (Int, Int) -> Void
    /// The audit log's state under the new audit keys, written in the same transaction (§11.8).
    package var auditState: AuditState? = nil
}
