/// Rows as stored: every field here is either public structure (ids, counts, KDF parameters) or
/// ciphertext. Nothing above this protocol needs to know it is SQLite, so a shared server store
/// holding only ciphertext can be added later.
public struct VaultHeader: Sendable, Equatable {
    public var formatVersion: Int
    public var vaultID: [UInt8]
}

public struct KeySlotRow: Sendable, Equatable {
    public var kind: KeySlotKind
    public var kdfAlgorithm: Int64
    public var opsLimit: UInt64
    public var memLimit: UInt64
    public var salt: [UInt8]
    public var wrappedMasterKey: [UInt8]
}

public struct SealedSourceRow: Sendable, Equatable {
    public var sourceID: String
    public var sealed: [UInt8]
}

public struct SealedVersionRow: Sendable, Equatable {
    public var version: Int
    public var meta: [UInt8]
    public var body: [UInt8]
}

public struct SealedRecordRow: Sendable, Equatable {
    public var recordID: String
    public var wrappedKey: [UInt8]
    /// The versions asked for (all, or only the latest).
    public var versions: [SealedVersionRow]
}

/// The latest version of one record, borrowed from the store for the duration of a callback: its
/// buffers point into SQLite's row and are invalid afterwards, so never store one or its buffers.
public struct LatestRowView {
    public var recordID: String
    public var wrappedKey: UnsafeRawBufferPointer
    /// nil when no version row is left (a damaged record); -1 for a version number the writer
    /// could not have produced.
    public var version: Int?
    public var meta: UnsafeRawBufferPointer
    public var body: UnsafeRawBufferPointer
}

/// A sealed item addressed only by its id (rules, export provenance entries).
public struct SealedItemRow: Sendable, Equatable {
    public var id: String
    public var sealed: [UInt8]
}

/// Tables of sealed items other than records and sources.
public enum SealedItemKind: String, Sendable {
    case rule
    case export = "export_record"
}

/// The storage behind a vault. Each method is one atomic operation.
public protocol VaultStore: AnyObject {
    /// Creates the schema and writes header and key slots in one transaction.
    func initialize(header: VaultHeader, slots: [KeySlotRow]) throws(VaultError)
    func readHeader() throws(VaultError) -> VaultHeader
    /// Brings an older vault's schema up to date (after the header's format version was checked).
    func migrateIfNeeded() throws(VaultError)
    func keySlot(_ kind: KeySlotKind) throws(VaultError) -> KeySlotRow?

    func insertSource(_ row: SealedSourceRow) throws(VaultError)
    func allSources() throws(VaultError) -> [SealedSourceRow]

    func insertRecord(_ row: SealedRecordRow) throws(VaultError)
    /// Inserts many records in ONE transaction; `produce` calls `insert` once per record, so only
    /// one record needs to be in memory at a time. Nothing is kept if anything fails.
    func insertRecords(_ produce: (_ insert: (SealedRecordRow) throws -> Void) throws -> Void) throws
    func appendVersion(recordID: String, _ version: SealedVersionRow) throws(VaultError)
    /// Record ids starting with `prefix` (lowercase hex), at most `limit` of them.
    func recordIDs(withPrefix prefix: String, limit: Int) throws(VaultError) -> [String]
    /// One record with all its versions.
    func record(_ recordID: String) throws(VaultError) -> SealedRecordRow?
    /// Calls `body` with each record and its latest version, one at a time, so memory stays flat.
    /// The row is a view into the database's own buffers, valid only during the call (a search
    /// reads every sealed byte once, without copying it). `includeBody` false leaves `body` empty
    /// (listing needs only the metadata).
    func forEachLatest(includeBody: Bool, _ body: (LatestRowView) throws -> Void) throws
    func deleteRecord(_ recordID: String) throws(VaultError)
    func recordCount() throws(VaultError) -> Int

    /// The master-key check value (SECURITY.md §5); nil if none was written yet.
    func masterCheck() throws(VaultError) -> [UInt8]?
    func saveMasterCheck(_ value: [UInt8]) throws(VaultError)
    /// Travel mode: the id of the bundle the slots are in (nil when they are home).
    func pendingTravelBundle() throws(VaultError) -> [UInt8]?
    /// Deletes every key slot and records the bundle id, in one transaction.
    func sendSlotsAway(bundleID: [UInt8]) throws(VaultError)
    /// Inserts the slots and clears the bundle id, in one transaction.
    func bringSlotsHome(_ slots: [KeySlotRow]) throws(VaultError)

    /// The sealed retention index (SECURITY.md §8.3); nil if none was written yet.
    func sealedRetentionIndex() throws(VaultError) -> [UInt8]?
    func saveSealedRetentionIndex(_ sealed: [UInt8]) throws(VaultError)

    /// The sealed audit root key (SECURITY.md §5); nil for a vault that has none yet.
    func sealedAuditRootKey() throws(VaultError) -> [UInt8]?
    func saveSealedAuditRootKey(_ sealed: [UInt8]) throws(VaultError)

    /// The audit log's state (SECURITY.md §11.5); nil for a vault that has none yet.
    func auditState() throws(VaultError) -> AuditState?
    func saveAuditState(_ state: AuditState) throws(VaultError)

    /// Replaces (or adds) one key slot atomically.
    func replaceKeySlot(_ slot: KeySlotRow) throws(VaultError)
    /// Deletes key slots of these kinds in one transaction.
    func deleteKeySlots(_ kinds: [KeySlotKind]) throws(VaultError)
    /// Every record id, in insertion order.
    func allRecordIDs() throws(VaultError) -> [String]
    /// `rekey`: rewrites every sealed value and the key slots in ONE transaction, one record at a time.
    func rewriteEverything(_ plan: RewritePlan) throws
    /// SQLite's own consistency check; empty if fine.
    func integrityCheck() throws(VaultError) -> [String]
    /// A consistent copy of the database (SQLite online backup) at `path`.
    func backup(to path: String) throws(VaultError)

    func insertItem(_ kind: SealedItemKind, _ row: SealedItemRow) throws(VaultError)
    func allItems(_ kind: SealedItemKind) throws(VaultError) -> [SealedItemRow]
    /// Deletes one item; false if there was none with that id.
    func deleteItem(_ kind: SealedItemKind, id: String) throws(VaultError) -> Bool
}

/// What `rekey` replaces, as functions from old rows to new ones (SECURITY.md §8).
public struct RewritePlan {
    public var slots: [KeySlotRow]
    public var auditRootKey: [UInt8]?
    public var retentionIndex: [UInt8]?
    public var masterCheck: [UInt8]?
    public var record: (SealedRecordRow) throws -> SealedRecordRow
    public var source: (SealedSourceRow) throws -> SealedSourceRow
    public var item: (SealedItemKind, SealedItemRow) throws -> SealedItemRow
    public var progress: (Int, Int) -> Void
}
