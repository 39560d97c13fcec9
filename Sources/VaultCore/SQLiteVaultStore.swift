internal import CSQLiteHarden
import Foundation
internal import GRDB
internal import GRDBSQLite
import SodiumKit

/// The single-file SQLite store (SECURITY.md §3). Owns its `DatabaseQueue`; the schema is created
/// by frozen migrations that never use application types.
package final class SQLiteVaultStore: VaultStore {
    let dbQueue: DatabaseQueue
    package let path: String

    /// Device and inode of the file opened (`confirmUnchanged`).
    private var identity: (dev: UInt64, ino: UInt64)?

    static func fileIdentity(_ path: String) -> (dev: UInt64, ino: UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// Opens (`create == false`) or creates the database file at `path`.
    package init(path: String, create: Bool) throws(VaultError) {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        if create && exists { throw .vaultAlreadyExists(path: path) }
        if !create && !exists { throw .vaultNotFound(path: path) }
        if !create && !FileManager.default.isReadableFile(atPath: path) {
            throw .storage("cannot read \(path): permission denied")
        }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // Triggers and views never run, the schema cannot be written directly (§3): a trigger
            // planted while this process has the vault open must not fire on its writes.
            let rc = sourcevault_sqlite_harden(UnsafeMutableRawPointer(db.sqliteConnection))
            guard rc == 0 else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "cannot harden the connection")
            }
            // secure_delete: freed pages are zeroed; temp_store: no temporary files;
            // synchronous FULL: a committed transaction survives power loss; journal_mode DELETE:
            // the rollback journal §3 describes, whatever mode someone set on the file.
            try db.execute(
                sql: """
                    PRAGMA secure_delete = ON;
                    PRAGMA synchronous = FULL;
                    PRAGMA temp_store = MEMORY;
                    PRAGMA foreign_keys = ON;
                    PRAGMA trusted_schema = OFF;
                    """)
            _ = try? db.execute(sql: "PRAGMA journal_mode = DELETE")  // a read-only file keeps its mode: it cannot be written
        }
        do {
            dbQueue = try DatabaseQueue(path: path, configuration: config)
            identity = Self.fileIdentity(path)
        } catch let e as DatabaseError where e.resultCode == .SQLITE_NOTADB || e.resultCode == .SQLITE_CORRUPT {
            throw .notAVault(path: path)
        } catch {
            throw .storage("cannot open \(path): \(Self.describe(error))")
        }
    }

    package func describe(_ error: Error) -> String { Self.describe(error) }

    static func describe(_ error: Error) -> String {
        if let e = error as? DatabaseError {
            return e.message ?? "\(e.resultCode)"
        }
        return "\(error)"
    }

    /// Runs a database operation, mapping SQLite errors to ``VaultError``.
    func run<T>(_ body: () throws -> T) throws(VaultError) -> T {
        do {
            return try body()
        } catch let e as VaultError {
            throw e
        } catch let e as DatabaseError {
            switch e.resultCode {
            case .SQLITE_NOTADB: throw .notAVault(path: path)
            case .SQLITE_CORRUPT: throw .vaultIntegrity("the database file is corrupted (SQLite: \(Self.describe(e)))")
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                throw .storage("the vault is busy (another sourcevault process holds it); try again")
            case .SQLITE_FULL: throw .storage("disk full: nothing was written")
            case .SQLITE_READONLY: throw .storage("the vault database is read-only")
            default: throw .storage(Self.describe(e))
            }
        } catch {
            throw .storage(Self.describe(error))
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        // Frozen: format version 1. Never edit; add a new migration instead.
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE vault_header (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        magic TEXT NOT NULL,
                        format_version INTEGER NOT NULL,
                        vault_id BLOB NOT NULL
                    );
                    CREATE TABLE key_slot (
                        kind INTEGER PRIMARY KEY,
                        kdf_algorithm INTEGER NOT NULL,
                        kdf_opslimit INTEGER NOT NULL,
                        kdf_memlimit INTEGER NOT NULL,
                        kdf_salt BLOB NOT NULL,
                        wrapped_master_key BLOB NOT NULL
                    );
                    CREATE TABLE source (
                        source_id TEXT PRIMARY KEY,
                        sealed BLOB NOT NULL
                    );
                    CREATE TABLE record (
                        record_id TEXT PRIMARY KEY,
                        wrapped_key BLOB NOT NULL
                    );
                    CREATE TABLE record_version (
                        record_id TEXT NOT NULL REFERENCES record(record_id) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        meta BLOB NOT NULL,
                        body BLOB NOT NULL,
                        PRIMARY KEY (record_id, version)
                    );
                    """)
        }
        // Frozen: rules and export provenance (SECURITY.md §3), added before any release.
        m.registerMigration("v1-rules-exports") { db in
            try db.execute(
                sql: """
                    CREATE TABLE rule (
                        id TEXT PRIMARY KEY,
                        sealed BLOB NOT NULL
                    );
                    CREATE TABLE export_record (
                        id TEXT PRIMARY KEY,
                        sealed BLOB NOT NULL
                    );
                    """)
        }
        // Frozen: the audit log's state (SECURITY.md §11.5).
        m.registerMigration("v1-audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit_state (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        log_path TEXT NOT NULL,
                        public_key BLOB NOT NULL,
                        head_seq INTEGER NOT NULL,
                        head_hash BLOB NOT NULL,
                        auth_seq INTEGER NOT NULL,
                        auth_hash BLOB NOT NULL,
                        auth_mac BLOB NOT NULL,
                        pending_seed BLOB NOT NULL,
                        pending_count INTEGER NOT NULL
                    );
                    """)
        }
        // Frozen: the audit root key, sealed under the master key (SECURITY.md §5).
        m.registerMigration("v1-audit-key") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit_key (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        sealed BLOB NOT NULL
                    );
                    """)
        }
        // Frozen: the sealed retention index (SECURITY.md §8.3).
        m.registerMigration("v1-retention") { db in
            try db.execute(
                sql: "CREATE TABLE retention_index (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), sealed BLOB NOT NULL)")
        }
        // Frozen: the master-key check value and travel mode's pending bundle (SECURITY.md §5, §8.4).
        m.registerMigration("v1-master-check-travel") { db in
            try db.execute(
                sql: """
                    CREATE TABLE master_check (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), value BLOB NOT NULL);
                    CREATE TABLE travel_pending (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), bundle_id BLOB NOT NULL);
                    """)
        }
        // Frozen: format 2, the manifest (SECURITY.md §6.8). New vaults get it here; a format-1
        // vault gets it in `upgradeToFormat2`, at its first unlock, with its first manifest.
        m.registerMigration(manifestMigration) { db in try db.execute(sql: manifestTableSQL) }
        // Frozen: format 3, the age identity and contacts (SECURITY.md §3, §6.9, §6.10). New vaults
        // get them here; a format-2 vault in `upgradeToFormat3`, at its first unlock.
        m.registerMigration(identityMigration) { db in try db.execute(sql: identityTablesSQL) }
        // Frozen: format 4, facts about sources (SECURITY.md §3, §6.11). New vaults get the table
        // here; a format-3 vault in `upgradeToFormat4`, at its first session unlock.
        m.registerMigration(factMigration) { db in try db.execute(sql: factTableSQL) }
        // Frozen: format 5, the summary pages (SECURITY.md §3, §6.12). New vaults get the table
        // here; a format-4 vault in `upgradeToFormat5`, at its first session unlock.
        m.registerMigration(summaryPageMigration) { db in try db.execute(sql: summaryPageTableSQL) }
        return m
    }

    static let summaryPageMigration = "v5-summary-pages"
    static let summaryPageTableSQL = """
        CREATE TABLE summary_page (
            id TEXT PRIMARY KEY,
            sealed BLOB NOT NULL
        );
        """

    static let factMigration = "v4-facts"
    static let factTableSQL = """
        CREATE TABLE fact (
            id TEXT PRIMARY KEY,
            sealed BLOB NOT NULL
        );
        """

    static let identityMigration = "v3-identity-contacts"
    static let identityTablesSQL = """
        CREATE TABLE identity (
            id TEXT PRIMARY KEY,
            sealed BLOB NOT NULL
        );
        CREATE TABLE contact (
            id TEXT PRIMARY KEY,
            sealed BLOB NOT NULL
        );
        """

    /// The last migration of each format (§3): what a vault of that format has, no more.
    static func lastMigration(format: Int) -> String {
        switch format {
        case ..<2: lastFormat1Migration
        case 2: manifestMigration
        case 3: identityMigration
        case 4: factMigration
        default: summaryPageMigration
        }
    }

    static let lastFormat1Migration = "v1-master-check-travel"
    static let manifestMigration = "v2-manifest"
    static let manifestTableSQL =
        "CREATE TABLE manifest (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), sealed BLOB NOT NULL)"

    /// Applies migrations a vault written by an earlier build lacks. Called after the header
    /// check, so a vault from a newer format is never touched.
    package func migrateIfNeeded(formatVersion: Int) throws(VaultError) {
        try run {
            let m = Self.migrator
            // A format-1 vault gets only format 1's migrations here; format 2's comes with its
            // first manifest, at the first unlock (`upgradeToFormat2`).
            let last = Self.lastMigration(format: formatVersion)
            if try dbQueue.read({ try m.completedMigrations($0).contains(last) }) { return }
            try m.migrate(dbQueue, upTo: last)
        }
    }

    package func initialize(header: VaultHeader, slots: [KeySlotRow]) throws(VaultError) {
        try run {
            try Self.migrator.migrate(dbQueue)
            try dbQueue.write { db in
                try db.execute(
                    sql: "INSERT INTO vault_header (singleton, magic, format_version, vault_id) VALUES (1, ?, ?, ?)",
                    arguments: [VaultFormat.magic, header.formatVersion, Data(header.vaultID)])
                for s in slots { try insertSlot(db, s) }
            }
        }
        pinnedFormat = header.formatVersion
    }

    private func insertSlot(_ db: Database, _ s: KeySlotRow) throws {
        try db.execute(
            sql: """
                INSERT INTO key_slot (kind, kdf_algorithm, kdf_opslimit, kdf_memlimit, kdf_salt, wrapped_master_key)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                Int64(s.kind.rawValue), s.kdfAlgorithm, Int64(bitPattern: s.opsLimit),
                Int64(bitPattern: s.memLimit), Data(s.salt), Data(s.wrappedMasterKey)
            ])
    }

    /// Closes the connection (used before the file is renamed into place).
    package func close() throws(VaultError) {
        try run { try dbQueue.close() }
    }

    package func readHeader() throws(VaultError) -> VaultHeader {
        let row: Row? = try run {
            try dbQueue.read { db in
                guard try db.tableExists("vault_header") else { return nil }
                return try Row.fetchOne(db, sql: "SELECT magic, format_version, vault_id FROM vault_header WHERE singleton = 1")
            }
        }
        guard let row, let magic = Column.text(row, "magic"), magic == VaultFormat.magic else {
            throw .notAVault(path: path)
        }
        guard let version = Column.int(row, "format_version") else {
            throw .vaultIntegrity("the vault header has no format version")
        }
        if version > Int64(VaultFormat.currentVersion) {
            throw .unsupportedFormatVersion(found: Int(version), supported: VaultFormat.currentVersion)
        }
        guard version >= 1 else { throw .vaultIntegrity("the vault header has format version \(version)") }
        guard let id = Column.blob(row, "vault_id"), id.count == VaultFormat.vaultIDBytes else {
            throw .vaultIntegrity("the vault id is malformed")
        }
        return VaultHeader(formatVersion: Int(version), vaultID: id)
    }

    package func keySlot(_ kind: KeySlotKind) throws(VaultError) -> KeySlotRow? {
        try run { try dbQueue.read { db in try Self.slot(db, kind) } }
    }

    private static func slot(_ db: Database, _ kind: KeySlotKind) throws -> KeySlotRow? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM key_slot WHERE kind = ?", arguments: [Int64(kind.rawValue)])
        else { return nil }
        guard let alg = Column.int(row, "kdf_algorithm"), let ops = Column.int(row, "kdf_opslimit"),
            let mem = Column.int(row, "kdf_memlimit"), let salt = Column.blob(row, "kdf_salt"),
            let wrapped = Column.blob(row, "wrapped_master_key"), ops >= 0, mem >= 0
        else { throw VaultError.vaultIntegrity("a key slot row is malformed") }
        return KeySlotRow(
            kind: kind, kdfAlgorithm: alg, opsLimit: UInt64(ops), memLimit: UInt64(mem),
            salt: salt, wrappedMasterKey: wrapped)
    }

    package func insertRecord(_ row: SealedRecordRow, pages: SummaryPagesUpdate?, manifest: ManifestSeal?) throws(VaultError) {
        try run {
            try checkedWrite { db in
                try db.execute(
                    sql: "INSERT INTO record (record_id, wrapped_key) VALUES (?, ?)",
                    arguments: [row.recordID, Data(row.wrappedKey)])
                for v in row.versions { try insertVersion(db, row.recordID, v) }
                try pages?(PageAccess(db: db))
                try Self.writeManifest(db, manifest)
            }
        }
    }

    package func insertRecords(
        _ produce: (_ insert: (SealedRecordRow) throws -> Void) throws -> Void,
        pages: SummaryPagesUpdate?, manifest: ManifestSeal?
    ) throws {
        try checkedWrite { db in
            try produce { row in
                try db.execute(
                    sql: "INSERT INTO record (record_id, wrapped_key) VALUES (?, ?)",
                    arguments: [row.recordID, Data(row.wrappedKey)])
                for v in row.versions { try self.insertVersion(db, row.recordID, v) }
            }
            try pages?(PageAccess(db: db))
            try Self.writeManifest(db, manifest)
        }
    }

    /// The summary pages inside a write transaction (SECURITY.md §6.12).
    private struct PageAccess: SummaryPageAccess {
        let db: Database
        func manifest() throws -> [UInt8]? { try SQLiteVaultStore.manifest(db) }
        func pageIDs() throws -> [String] {
            try String.fetchAll(db, sql: "SELECT id FROM summary_page ORDER BY id")
        }
        func page(_ id: String) throws -> [UInt8]? {
            try Row.fetchOne(db, sql: "SELECT sealed FROM summary_page WHERE id = ?", arguments: [id]).flatMap {
                Column.blob($0, "sealed")
            }
        }
        func hasRow(_ id: String) throws -> Bool {
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM summary_page WHERE id = ?)", arguments: [id]) ?? false
        }
        func write(_ row: SealedItemRow) throws {
            try db.execute(
                sql: "INSERT OR REPLACE INTO summary_page (id, sealed) VALUES (?, ?)", arguments: [row.id, Data(row.sealed)])
        }
        func insert(_ row: SealedItemRow) throws {
            try db.execute(sql: "INSERT INTO summary_page (id, sealed) VALUES (?, ?)", arguments: [row.id, Data(row.sealed)])
        }
        func delete(_ id: String) throws {
            try db.execute(sql: "DELETE FROM summary_page WHERE id = ?", arguments: [id])
        }
        func recordOrder(_ recordID: String) throws -> Int64? {
            try Int64.fetchOne(db, sql: "SELECT rowid FROM record WHERE record_id = ?", arguments: [recordID])
        }
    }

    package func forEachItem(
        _ kind: SealedItemKind, manifest: ([UInt8]?) throws -> Void, _ body: (String, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try dbQueue.read { db in
            try manifest(try Self.manifest(db))
            let statement = try db.makeStatement(
                sql: "SELECT \(kind.idColumn), sealed FROM \(kind.rawValue) ORDER BY \(kind.idColumn)")
            let s = statement.sqliteStatement
            defer { sqlite3_reset(s) }
            while true {
                guard try Self.step(s, db) else { break }
                let id = Self.columnID(s, 0)
                let p = sqlite3_column_blob(s, 1)  // before sqlite3_column_bytes, as SQLite requires
                let n = Int(sqlite3_column_bytes(s, 1))
                try body(id, UnsafeRawBufferPointer(start: n > 0 ? p : nil, count: p == nil ? 0 : n))
            }
        }
    }

    private func insertVersion(_ db: Database, _ recordID: String, _ v: SealedVersionRow) throws {
        try db.execute(
            sql: "INSERT INTO record_version (record_id, version, meta, body) VALUES (?, ?, ?, ?)",
            arguments: [recordID, v.version, Data(v.meta), Data(v.body)])
    }

    package func appendVersion(
        recordID: String, _ version: SealedVersionRow, pages: SummaryPagesUpdate?, manifest: ManifestSeal?
    ) throws(VaultError) {
        try run {
            try checkedWrite { db in
                let latestValue =
                    try DatabaseValue.fetchOne(
                        db, sql: "SELECT MAX(version) FROM record_version WHERE record_id = ?",
                        arguments: [recordID]) ?? .null
                let latest: Int64 = latestValue.isNull ? 0 : (Column.int(latestValue) ?? -1)
                // Versions are dense: a concurrent amend that got here first makes this one fail
                // rather than silently reuse a version number.
                guard Int64(version.version) == latest + 1 else {
                    throw VaultError.storage("record \(recordID) changed while amending; try again")
                }
                try insertVersion(db, recordID, version)
                try pages?(PageAccess(db: db))
                try Self.writeManifest(db, manifest)
            }
        }
    }

    package func recordIDs(withPrefix prefix: String, limit: Int) throws(VaultError) -> [String] {
        try run {
            try dbQueue.read { db in
                // The prefix is validated lowercase hex by the caller, so it has no LIKE wildcards;
                // a range query uses the primary key index.
                try Row.fetchAll(
                    db, sql: "SELECT record_id FROM record WHERE record_id >= ? AND record_id < ? ORDER BY record_id LIMIT ?",
                    arguments: [prefix, prefix + "\u{7F}", limit]
                ).map { Column.id($0, "record_id") }
            }
        }
    }

    package func record(_ recordID: String) throws(VaultError) -> SealedRecordRow? {
        try run { try dbQueue.read { db in try Self.record(db, recordID) } }
    }

    package func recordWithManifest(_ recordID: String, bodyOf version: Int?) throws(VaultError) -> (SealedRecordRow?, [UInt8]?) {
        let found = try run { try dbQueue.read { db in (try Self.record(db, recordID, bodyOf: version), try Self.manifest(db)) } }
        // The body's pages went through SQLite's page cache (up to 2 MB): handed back once the body is
        // read, not held beside its decrypted text through an export (a tenth of the memory the
        // export of 2 MiB takes). Only a cache: later reads read the pages again.
        try? dbQueue.inDatabase { db in _ = sqlite3_db_release_memory(db.sqliteConnection) }
        return found
    }

    /// Bytes SQLite's page cache holds for this connection (`SQLITE_DBSTATUS_CACHE_USED`); -1 if it
    /// cannot be read. For tests: a record read for publishing hands them back.
    package func pageCacheBytes() -> Int {
        (try? dbQueue.inDatabase { db -> Int in
            var current: Int32 = 0, highest: Int32 = 0
            guard sqlite3_db_status(db.sqliteConnection, SQLITE_DBSTATUS_CACHE_USED, &current, &highest, 0) == SQLITE_OK
            else { return -1 }
            return Int(current)
        }) ?? -1
    }

    /// As ``record(_:_:)``, with the body of one version only (`version`, or the last row in
    /// version order): the others' are empty. Exporting the latest of twenty versions of 10 MB read
    /// all twenty. The body is read with SQLite's incremental blob I/O, straight into its array
    /// (a column read builds the whole value in a buffer of SQLite's own first).
    private static func record(_ db: Database, _ recordID: String, bodyOf version: Int?) throws -> SealedRecordRow? {
        try record(
            db, recordID,
            bodies: { versions in
                // The version the reader will take, as it takes it: the first of that number, or the last.
                let wanted = version.map { v in versions.firstIndex { $0.version == v } } ?? versions.indices.last
                return wanted.map { [$0] } ?? []
            })
    }

    /// One record's key and versions, with the bodies of the versions at the indices `bodies`
    /// picks (the others' are empty). Stepped with the C API (GRDB's Row and Data, then an array,
    /// copied a 10 MB body twice more); a body that is not a blob is read as empty, as
    /// `Column.blob(…) ?? []` reads it.
    private static func record(
        _ db: Database, _ recordID: String, bodies: ([SealedVersionRow]) -> [Int]
    ) throws -> SealedRecordRow? {
        guard let keyRow = try Row.fetchOne(db, sql: "SELECT wrapped_key FROM record WHERE record_id = ?", arguments: [recordID])
        else { return nil }
        let key = Column.blob(keyRow, "wrapped_key") ?? []
        let statement = try db.cachedStatement(
            sql: "SELECT version, meta, rowid, typeof(body) = 'blob' FROM record_version WHERE record_id = ? ORDER BY version")
        try statement.setArguments([recordID])
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        var versions: [SealedVersionRow] = []
        var rows: [(rowid: Int64, isBlob: Bool)] = []
        while try step(s, db) {
            let v = sqlite3_column_type(s, 0) == SQLITE_INTEGER ? sqlite3_column_int64(s, 0) : nil
            versions.append(SealedVersionRow(version: checkedVersion(v), meta: columnBlob(s, 1), body: []))
            rows.append((sqlite3_column_int64(s, 2), sqlite3_column_int(s, 3) != 0))
        }
        for k in bodies(versions) where rows[k].isBlob {
            versions[k].body = try blob(db, table: "record_version", column: "body", rowid: rows[k].rowid)
        }
        return SealedRecordRow(recordID: recordID, wrappedKey: Array(key), versions: versions)
    }

    /// Column `i` of the current row if it is a blob, else empty (as `Column.blob(…) ?? []`).
    private static func columnBlob(_ s: SQLiteStatement, _ i: Int32) -> [UInt8] {
        guard sqlite3_column_type(s, i) == SQLITE_BLOB else { return [] }
        let p = sqlite3_column_blob(s, i)  // before sqlite3_column_bytes, as SQLite requires
        let n = Int(sqlite3_column_bytes(s, i))
        guard let p, n > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    /// One blob value, read with SQLite's incremental blob I/O into an array of its size.
    private static func blob(_ db: Database, table: String, column: String, rowid: Int64) throws -> [UInt8] {
        var handle: OpaquePointer?
        let rc = sqlite3_blob_open(db.sqliteConnection, "main", table, column, rowid, 0, &handle)
        defer { sqlite3_blob_close(handle) }
        guard rc == SQLITE_OK, let handle else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
        let n = Int(sqlite3_blob_bytes(handle))
        var status = SQLITE_OK
        let bytes = [UInt8](unsafeUninitializedCapacity: n) { buffer, count in
            if n > 0 { status = sqlite3_blob_read(handle, buffer.baseAddress, Int32(n), 0) }
            count = status == SQLITE_OK ? n : 0
        }
        guard status == SQLITE_OK else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: status), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
        return bytes
    }

    private static func record(_ db: Database, _ recordID: String) throws -> SealedRecordRow? {
        try record(db, recordID, bodies: { Array($0.indices) })
    }

    /// Steps `s`: true at a row, false when done; SQLite's error otherwise.
    private static func step(_ s: SQLiteStatement, _ db: Database) throws -> Bool {
        let rc = sqlite3_step(s)
        if rc == SQLITE_DONE { return false }
        guard rc == SQLITE_ROW else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
        return true
    }

    /// Column `i` of the current row as an object id, as ``Column/id(_:_:)`` reads it: a malformed
    /// or non-text id becomes the stand-in ``ObjectID/malformed``.
    private static func columnID(_ s: SQLiteStatement, _ i: Int32) -> String {
        guard sqlite3_column_type(s, i) == SQLITE_TEXT, let t = sqlite3_column_text(s, i) else { return ObjectID.malformed }
        let text = String(decoding: UnsafeBufferPointer(start: t, count: Int(sqlite3_column_bytes(s, i))), as: UTF8.self)
        return ObjectID.isValid(text) ? text : ObjectID.malformed
    }

    /// The sealed manifest in `db`'s transaction; nil without the table or the row.
    /// The sealed manifest, copied once out of SQLite's row (through GRDB's Row and Data it was
    /// copied three times: 200 KB each at 10,000 records, at every unlock and record read).
    private static func manifest(_ db: Database) throws -> [UInt8]? {
        guard try db.tableExists("manifest") else { return nil }
        let statement = try db.cachedStatement(sql: "SELECT sealed FROM manifest WHERE singleton = 1")
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        guard try step(s, db), sqlite3_column_type(s, 0) == SQLITE_BLOB else { return nil }
        let p = sqlite3_column_blob(s, 0)  // before sqlite3_column_bytes, as SQLite requires
        let n = Int(sqlite3_column_bytes(s, 0))
        guard let p, n > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    package func allItemsWithManifest(_ kind: SealedItemKind) throws(VaultError) -> ([SealedItemRow], [UInt8]?) {
        try run { try dbQueue.read { db in (try Self.items(db, kind), try Self.manifest(db)) } }
    }

    static func versionRow(_ r: Row) -> SealedVersionRow {
        let v = checkedVersion(Column.int(r, "version"))
        return SealedVersionRow(version: v, meta: Column.blob(r, "meta") ?? [], body: Column.blob(r, "body") ?? [])
    }

    @discardableResult
    package func forEachLatest(
        includeBody: Bool, manifest: ([UInt8]?) throws -> Void, _ body: (LatestRowView) throws -> Void
    ) throws -> [UInt8]? {
        try dbQueue.read { db in
            let sealedManifest = try Self.manifest(db)
            try manifest(sealedManifest)
            try Self.stepLatest(db, includeBody: includeBody, body)
            return sealedManifest
        }
    }

    /// Every record's latest version in `db`'s transaction, in the order they were added.
    private static func stepLatest(_ db: Database, includeBody: Bool, _ body: (LatestRowView) throws -> Void) throws {
        let bodyColumn = includeBody ? "v.body" : "X''"
        // LEFT JOIN: a record whose versions were all deleted still shows up (with no
        // versions) so the caller can report it instead of silently skipping it. The latest
        // version is the one numbered like the record's count of version rows (one index
        // probe, as MAX was): the caller compares that number with the manifest's count, so
        // every record's rows are counted and, with the total checked at unlock, no orphan is
        // left. Whether they are numbered 1...count is checked by every read of the record
        // (`show`, `export`, `amend`) and by `check`: requiring it here too, with MIN, MAX and
        // a type test per record, cost 3.6 ms of a 10,000-record listing.
        let statement = try db.makeStatement(
            sql: """
                SELECT r.record_id, r.wrapped_key, v.version, v.meta, \(bodyColumn) AS body
                FROM record r LEFT JOIN record_version v ON v.record_id = r.record_id
                    AND v.version = (SELECT COUNT(*) FROM record_version WHERE record_id = r.record_id)
                ORDER BY r.rowid
                """)
        // Stepped with the C API: the blobs are handed out as views into SQLite's row buffer,
        // valid until the next step (GRDB's Row and Data wrappers cost 10 ms of a 10,000-record
        // search).
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        func blob(_ i: Int32) -> UnsafeRawBufferPointer {
            let p = sqlite3_column_blob(s, i)  // before sqlite3_column_bytes, as SQLite requires
            let n = Int(sqlite3_column_bytes(s, i))
            return UnsafeRawBufferPointer(start: n > 0 ? p : nil, count: p == nil ? 0 : n)
        }
        while true {
            guard try Self.step(s, db) else { break }
            let id = Self.columnID(s, 0)
            let version: Int?
            switch sqlite3_column_type(s, 2) {
            case SQLITE_NULL: version = nil
            case SQLITE_INTEGER: version = Self.checkedVersion(sqlite3_column_int64(s, 2))
            default: version = -1
            }
            try body(LatestRowView(recordID: id, wrappedKey: blob(1), version: version, meta: blob(3), body: blob(4)))
        }
    }

    /// A version outside 1...UInt32.max cannot have been written by us; -1 makes it fail later.
    static func checkedVersion(_ v: Int64?) -> Int {
        v.flatMap { (1...Int64(UInt32.max)).contains($0) ? Int($0) : nil } ?? -1
    }

    package func deleteRecord(_ recordID: String, pages: SummaryPagesUpdate?, manifest: ManifestSeal?) throws(VaultError) {
        try run {
            try checkedWrite { db in
                // The pages first: finding the record's page uses its place among the rows (§6.12).
                try pages?(PageAccess(db: db))
                try db.execute(sql: "DELETE FROM record_version WHERE record_id = ?", arguments: [recordID])
                try db.execute(sql: "DELETE FROM record WHERE record_id = ?", arguments: [recordID])
                try Self.writeManifest(db, manifest)
            }
        }
    }

    package func masterCheck() throws(VaultError) -> [UInt8]? {
        let row: Row? = try run {
            try dbQueue.read { db in try Row.fetchOne(db, sql: "SELECT value FROM master_check WHERE singleton = 1") }
        }
        return row.flatMap { Column.blob($0, "value") }
    }

    package func saveMasterCheck(_ value: [UInt8], manifest: ManifestSeal?) throws(VaultError) {
        try saveSingleton("master_check", column: "value", value, manifest: manifest)
    }

    package func pendingTravelBundle() throws(VaultError) -> [UInt8]? {
        let row: Row? = try run {
            try dbQueue.read { db in try Row.fetchOne(db, sql: "SELECT bundle_id FROM travel_pending WHERE singleton = 1") }
        }
        return row.flatMap { Column.blob($0, "bundle_id") }
    }

    package func sendSlotsAway(bundleID: [UInt8], manifest: ManifestSeal?) throws(VaultError) {
        try run {
            try checkedWrite { db in
                try db.execute(sql: "DELETE FROM key_slot")
                try Self.writeSingleton(db, "travel_pending", column: "bundle_id", bundleID)
                try Self.writeManifest(db, manifest)
            }
        }
    }

    package func bringSlotsHome(_ slots: [KeySlotRow]) throws(VaultError) {
        try run {
            try checkedWrite { db in
                for s in slots { try insertSlot(db, s) }
                try db.execute(sql: "DELETE FROM travel_pending")
            }
        }
    }

    package func sealedRetentionIndex() throws(VaultError) -> [UInt8]? {
        try singleton("retention_index", column: "sealed", what: "the retention index row")
    }

    package func saveSealedRetentionIndex(_ sealed: [UInt8], manifest: ManifestSeal?) throws(VaultError) {
        try saveSingleton("retention_index", column: "sealed", sealed, manifest: manifest)
    }

    package func sealedAuditRootKey() throws(VaultError) -> [UInt8]? {
        try singleton("audit_key", column: "sealed", what: "the audit key row")
    }

    package func saveSealedAuditRootKey(_ sealed: [UInt8], manifest: ManifestSeal?) throws(VaultError) {
        try saveSingleton("audit_key", column: "sealed", sealed, manifest: manifest)
    }

    /// The one blob of a single-row table (`singleton = 1`); nil when the row is absent.
    private func singleton(_ table: String, column: String, what: String) throws(VaultError) -> [UInt8]? {
        let row: Row? = try run {
            try dbQueue.read { db in try Row.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE singleton = 1") }
        }
        guard let row else { return nil }
        guard let b = Column.blob(row, column) else { throw .vaultIntegrity("\(what) is malformed") }
        return b
    }

    private func saveSingleton(_ table: String, column: String, _ value: [UInt8], manifest: ManifestSeal?) throws(VaultError) {
        try run {
            try checkedWrite { db in
                try Self.writeSingleton(db, table, column: column, value)
                try Self.writeManifest(db, manifest)
            }
        }
    }

    /// The sealed manifest (SECURITY.md §6.8); nil in a format-1 vault.
    package func sealedManifest() throws(VaultError) -> [UInt8]? {
        try run { try dbQueue.read { db in try Self.manifest(db) } }
    }

    /// Writes the new manifest as the last statement of a write transaction.
    private static func writeManifest(_ db: Database, _ manifest: ManifestSeal?) throws {
        guard let manifest else { return }
        // Copied once out of SQLite's row (2 MB at 100,000 records, at `rekey`'s peak).
        let current = try Self.manifest(db)
        try writeSingleton(db, "manifest", column: "sealed", try manifest(current))
    }

    package func writeManifest(_ manifest: @escaping ManifestSeal) throws(VaultError) {
        try run { try checkedWrite { db in try Self.writeManifest(db, manifest) } }
    }

    /// One row of `sqlite_master`.
    struct SchemaObject: Equatable {
        var type: String, name: String, table: String, sql: String?
    }

    static func schemaObjects(_ db: Database) throws -> [SchemaObject] {
        try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").map {
            SchemaObject(
                type: Column.text($0, "type") ?? "?", name: Column.text($0, "name") ?? "?",
                table: Column.text($0, "tbl_name") ?? "?", sql: Column.text($0, "sql"))
        }
    }

    /// What the migrations of `formatVersion` create, built once per process in memory.
    static func expectedSchema(_ formatVersion: Int) throws -> [SchemaObject] {
        expectedLock.lock()
        defer { expectedLock.unlock() }
        if let cached = expectedCache[formatVersion] { return cached }
        let q = try DatabaseQueue()
        try migrator.migrate(q, upTo: lastMigration(format: formatVersion))
        let objects = try q.read { try schemaObjects($0) }
        expectedCache[formatVersion] = objects
        return objects
    }

    nonisolated(unsafe) private static var expectedCache: [Int: [SchemaObject]] = [:]
    private static let expectedLock = NSLock()

    /// BLAKE2b-256 of each format's complete schema (`schemaDigest` of what its migrations
    /// create; a test recomputes them). An open compares the file's schema with this instead of
    /// running the migrations in memory (0.5 ms of every command); only a mismatch runs them, to
    /// name the object that differs.
    static let schemaDigests: [Int: String] = [
        1: "246ff491cebe09b17b9ab7fbd0bb93471a6d2c9fac94b506c8d5b83da8c04871",
        2: "da70c9737f468bdd776a365434c8097ee5ac19179ecbe6612ac9c8c7ec7963b9",
        3: "c5cda7db08ae1acfcca45479fe18bc034773ccb9b3b5c8a99af2d3f4943ef6b7",
        4: "a64d6ae47f62352e70922846a920bb7fe53e145b1942e74c9a822afefe337884",
        5: "46e8b8847ee16e2d87d11ba5aa6f58c5280a7394643b23a360dd754969ddf804"
    ]

    /// u32le(number of objects), then per object its type, name, table and SQL, each as
    /// u32le(length) || UTF-8 bytes, the SQL as u32le(0xFFFFFFFF) when NULL (an index SQLite made
    /// itself): an encoding no choice of names can make ambiguous.
    static func schemaDigest(_ objects: [SchemaObject]) throws -> String {
        var b = VaultFormat.le32(UInt32(objects.count))
        for o in objects {
            for field in [o.type, o.name, o.table, o.sql] as [String?] {
                guard let field else { b += VaultFormat.le32(UInt32.max); continue }
                b += VaultFormat.le32(UInt32(field.utf8.count))
                b += field.utf8
            }
        }
        return Hex.encode(try GenericHash.hash(b))
    }

    /// True if `objects` are exactly the complete schema of `formatVersion`.
    static func isSchema(_ objects: [SchemaObject], of formatVersion: Int) throws -> Bool {
        guard let pinned = schemaDigests[formatVersion] else { return try objects == expectedSchema(formatVersion) }
        return try schemaDigest(objects) == pinned
    }

    /// The format whose schema this connection verified complete (set by `verifySchema`).
    private var pinnedFormat: Int?

    /// A write transaction that first checks the schema is still the pinned one (§3): an object
    /// planted after this process opened the file refuses the write before anything is written.
    /// (Triggers cannot fire on this connection anyway; this is the second line.)
    private func checkedWrite<T>(_ body: (Database) throws -> T) throws -> T {
        try dbQueue.write { db in
            if let format = pinnedFormat, try !Self.isSchema(Self.schemaObjects(db), of: format) {
                throw VaultError.vaultIntegrity(
                    "the database's schema was changed while the vault was open (a trigger, view, index or table planted?); nothing was written"
                )
            }
            return try body(db)
        }
    }

    /// SECURITY.md §3, the schema pin: a trigger, view, index or table that the format's migrations
    /// do not create, or one whose SQL differs, refuses the vault before anything is written to it.
    package func verifySchema(formatVersion: Int, complete: Bool) throws(VaultError) {
        let actual = try run { try dbQueue.read { try Self.schemaObjects($0) } }
        if try run({ try Self.isSchema(actual, of: formatVersion) }) {
            if complete { pinnedFormat = formatVersion }
            return
        }
        let expected = try run { try Self.expectedSchema(formatVersion) }
        let known = Dictionary(expected.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for o in actual {
            let what = "\(Self.printable(o.type)) '\(Self.printable(o.name))'"
            guard let e = known[o.name] else {
                throw .vaultIntegrity(
                    "the database holds a \(what) that SourceVault never creates (planted by someone with the file?); refusing to open it"
                )
            }
            guard e == o else { throw .vaultIntegrity("the database's \(what) was altered; refusing to open it") }
        }
        if complete, let missing = expected.first(where: { !actual.contains($0) }) {
            throw .vaultIntegrity("the database lacks its \(missing.type) '\(missing.name)'")
        }
        if complete { pinnedFormat = formatVersion }
    }

    package func confirmUnchanged(since header: VaultHeader) throws(VaultError) {
        if let identity, Self.fileIdentity(path).map({ $0 != identity }) ?? true {
            throw .vaultIntegrity(
                "the vault file was replaced while the passphrase was asked for; nothing was read or written, run the command again"
            )
        }
        guard try readHeader() == header else {
            throw .vaultIntegrity("the vault's header changed while the passphrase was asked for; nothing was read or written")
        }
        try verifySchema(formatVersion: header.formatVersion, complete: true)
    }

    /// A name read from a hostile file, safe to print: letters, digits and `_` only.
    static func printable(_ s: String) -> String {
        let ok =
            !s.isEmpty && s.utf8.count <= 64
            && s.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 95 }
        return ok ? s : "(unprintable name)"
    }

    private static func rowCounts(_ db: Database) throws -> RowCounts {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT (SELECT COUNT(*) FROM record) AS r, (SELECT COUNT(*) FROM record_version) AS v,
                       (SELECT COUNT(*) FROM source) AS s, (SELECT COUNT(*) FROM rule) AS u,
                       (SELECT COUNT(*) FROM export_record) AS e
                """)
        func n(_ k: String) -> Int { row.flatMap { Column.int($0, k) }.map(Int.init) ?? -1 }
        var counts = RowCounts(records: n("r"), versions: n("v"), items: [.source: n("s"), .rule: n("u"), .export: n("e")])
        // Format 3's and 4's tables (an older vault has none until its upgrade).
        for kind in [SealedItemKind.identity, .contact, .fact, .summaryPage] where try db.tableExists(kind.rawValue) {
            counts.items[kind] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(kind.rawValue)") ?? -1
        }
        return counts
    }

    package func manifestSnapshot() throws(VaultError) -> ManifestSnapshot {
        try run {
            try dbQueue.read { db in
                func blob(_ table: String, _ column: String) throws -> [UInt8]? {
                    try Row.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE singleton = 1").flatMap {
                        Column.blob($0, column)
                    }
                }
                var slots: [KeySlotRow] = []
                for kind in [KeySlotKind.passphrase, .recovery] { if let s = try Self.slot(db, kind) { slots.append(s) } }
                return ManifestSnapshot(
                    manifest: try Self.manifest(db), counts: try Self.rowCounts(db),
                    slots: slots, travelBundle: try blob("travel_pending", "bundle_id"),
                    retentionIndex: try blob("retention_index", "sealed"), auditKey: try blob("audit_key", "sealed"),
                    masterCheck: try blob("master_check", "value"))
            }
        }
    }

    /// Format 1 → 2 (SECURITY.md §3): the manifest table, its first manifest and the header's new
    /// version, in one transaction.
    package func upgradeToFormat2(rules: [SealedItemRow], manifest: @escaping ManifestSeal) throws(VaultError) {
        try run {
            try checkedWrite { db in
                try db.execute(sql: Self.manifestTableSQL)
                for r in rules {
                    try db.execute(sql: "UPDATE rule SET sealed = ? WHERE id = ?", arguments: [Data(r.sealed), r.id])
                }
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [Self.manifestMigration])
                try Self.writeManifest(db, manifest)
                try db.execute(sql: "UPDATE vault_header SET format_version = 2 WHERE singleton = 1")
            }
        }
        pinnedFormat = 2
    }

    /// Format 2 → 3 (SECURITY.md §3): the identity and contact tables, the first identity, the
    /// manifest and the header's new version, in one transaction.
    package func upgradeToFormat3(identity: SealedItemRow, manifest: @escaping ManifestSeal) throws(VaultError) {
        try run {
            try checkedWrite { db in
                try db.execute(sql: Self.identityTablesSQL)
                try db.execute(
                    sql: "INSERT INTO identity (id, sealed) VALUES (?, ?)", arguments: [identity.id, Data(identity.sealed)])
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [Self.identityMigration])
                try Self.writeManifest(db, manifest)
                try db.execute(sql: "UPDATE vault_header SET format_version = 3 WHERE singleton = 1")
            }
        }
        pinnedFormat = 3
    }

    /// Format 3 → 4 (SECURITY.md §3): the fact table, the manifest and the header's new version,
    /// in one transaction.
    package func upgradeToFormat4(manifest: @escaping ManifestSeal) throws(VaultError) {
        try run {
            try checkedWrite { db in
                try db.execute(sql: Self.factTableSQL)
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [Self.factMigration])
                try Self.writeManifest(db, manifest)
                try db.execute(sql: "UPDATE vault_header SET format_version = 4 WHERE singleton = 1")
            }
        }
        pinnedFormat = 4
    }

    /// Format 4 → 5 (SECURITY.md §3): the summary page table, its first pages (`pages` is handed
    /// every record's latest version in the order they were added, in this transaction), the
    /// manifest and the header's new version, in one transaction.
    package func upgradeToFormat5(
        pages: (_ walk: ((LatestRowView) throws -> Void) throws -> Void) throws -> [SealedItemRow],
        manifest: @escaping ManifestSeal
    ) throws(VaultError) {
        try run {
            try checkedWrite { db in
                try db.execute(sql: Self.summaryPageTableSQL)
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [Self.summaryPageMigration])
                let rows = try pages { body in try Self.stepLatest(db, includeBody: false, body) }
                for r in rows { try PageAccess(db: db).write(r) }
                try Self.writeManifest(db, manifest)
                try db.execute(sql: "UPDATE vault_header SET format_version = 5 WHERE singleton = 1")
            }
        }
        pinnedFormat = 5
    }

    package func rebuildSummaryPages(
        pages: (_ walk: ((LatestRowView) throws -> Void) throws -> Void) throws -> [SealedItemRow],
        manifest: @escaping ManifestSeal
    ) throws(VaultError) {
        try run {
            try checkedWrite { db in
                let rows = try pages { body in try Self.stepLatest(db, includeBody: false, body) }
                try db.execute(sql: "DELETE FROM summary_page")
                for r in rows { try PageAccess(db: db).insert(r) }
                try Self.writeManifest(db, manifest)
            }
        }
    }

    /// The value is bound in place (SQLITE_STATIC, valid until the statement is reset): through
    /// `Data` and GRDB's binding it was copied twice, 2 MB each for the manifest at 100,000 records.
    private static func writeSingleton(_ db: Database, _ table: String, column: String, _ value: [UInt8]) throws {
        let sql = "INSERT OR REPLACE INTO \(table) (singleton, \(column)) VALUES (1, ?)"
        guard !value.isEmpty else {  // a null pointer would bind NULL, not an empty blob
            try db.execute(sql: sql, arguments: [Data()])
            return
        }
        let statement = try db.makeStatement(sql: sql)
        let s = statement.sqliteStatement
        defer {
            sqlite3_reset(s)
            sqlite3_clear_bindings(s)
        }
        try value.withUnsafeBytes { b in
            let rc = sqlite3_bind_blob(s, 1, b.baseAddress, Int32(b.count), nil)
            guard rc == SQLITE_OK else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            while try step(s, db) {}
        }
    }

    package func auditState() throws(VaultError) -> AuditState? {
        let row: Row? = try run {
            try dbQueue.read { db in try Row.fetchOne(db, sql: "SELECT * FROM audit_state WHERE singleton = 1") }
        }
        guard let row else { return nil }
        guard let path = Column.text(row, "log_path"), let pk = Column.blob(row, "public_key"),
            let hs = Column.int(row, "head_seq"), let hh = Column.blob(row, "head_hash"),
            let aseq = Column.int(row, "auth_seq"), let ah = Column.blob(row, "auth_hash"), let am = Column.blob(row, "auth_mac"),
            let ps = Column.blob(row, "pending_seed"), let pc = Column.int(row, "pending_count")
        else { throw .vaultIntegrity("the audit state row is malformed") }
        let logPath = AuditState.resolvedLogPath(path, databaseDirectory: directory)
        return AuditState(
            logPath: logPath, publicKey: pk, headSeq: hs, headHash: hh, authSeq: aseq, authHash: ah,
            authMAC: am, pendingSeed: ps, pendingCount: pc)
    }

    package func saveAuditState(_ s: AuditState) throws(VaultError) {
        try run { try checkedWrite { db in try writeAuditState(db, s) } }
    }

    /// The database's directory: a relative `log_path` is resolved against it (§3).
    private var directory: String { (path as NSString).deletingLastPathComponent }

    private func writeAuditState(_ db: Database, _ s: AuditState) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO audit_state (singleton, log_path, public_key, head_seq, head_hash, auth_seq,
                    auth_hash, auth_mac, pending_seed, pending_count) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                AuditState.storedLogPath(s.logPath, databaseDirectory: directory), Data(s.publicKey),
                s.headSeq, Data(s.headHash), s.authSeq, Data(s.authHash), Data(s.authMAC),
                Data(s.pendingSeed), s.pendingCount
            ])
    }

    package func replaceKeySlot(_ slot: KeySlotRow, manifest: ManifestSeal?) throws(VaultError) {
        try run {
            try checkedWrite { db in
                try db.execute(sql: "DELETE FROM key_slot WHERE kind = ?", arguments: [Int64(slot.kind.rawValue)])
                try insertSlot(db, slot)
                try Self.writeManifest(db, manifest)
            }
        }
    }

    package func deleteKeySlots(_ kinds: [KeySlotKind], manifest: ManifestSeal?) throws(VaultError) {
        try run {
            try checkedWrite { db in
                for k in kinds { try db.execute(sql: "DELETE FROM key_slot WHERE kind = ?", arguments: [Int64(k.rawValue)]) }
                try Self.writeManifest(db, manifest)
            }
        }
    }

    package func orphanVersionCounts() throws(VaultError) -> [String: Int] {
        try run {
            try dbQueue.read { db in
                var out: [String: Int] = [:]
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT record_id, COUNT(*) AS n FROM record_version
                        WHERE record_id NOT IN (SELECT record_id FROM record) GROUP BY record_id
                        """)
                {
                    out[Column.id(row, "record_id")] = Int(Column.int(row, "n") ?? 0)
                }
                return out
            }
        }
    }

    package func forEachRecordVersionCount(_ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws(VaultError) {
        try run {
            try dbQueue.read { db in
                // The record table in rowid order (as `allRecordIDs`, and the rewrite, read it);
                // each count through record_version's primary key, as `record(_:)` selects them.
                let statement = try db.makeStatement(
                    sql: """
                        SELECT r.record_id, (SELECT COUNT(*) FROM record_version v WHERE v.record_id = r.record_id)
                        FROM record r ORDER BY r.rowid
                        """)
                let s = statement.sqliteStatement
                defer { sqlite3_reset(s) }
                while try Self.step(s, db) {
                    var id = UnsafeRawBufferPointer(start: nil, count: 0)
                    if sqlite3_column_type(s, 0) == SQLITE_TEXT, let t = sqlite3_column_text(s, 0) {
                        id = UnsafeRawBufferPointer(start: t, count: Int(sqlite3_column_bytes(s, 0)))
                    }
                    try body(id, Int(sqlite3_column_int64(s, 1)))
                }
            }
        }
    }

    package func allRecordIDs() throws(VaultError) -> [String] {
        try run {
            try dbQueue.read { db in
                try Row.fetchAll(db, sql: "SELECT record_id FROM record ORDER BY rowid").map { Column.id($0, "record_id") }
            }
        }
    }

    package func rewriteEverything(_ plan: RewritePlan) throws {
        try checkedWrite { db in
            // Row ids, not the records' ids, and 1,000 at a time: not 20 MB of rows and strings at
            // 100,000 records, nor 800 KB of row ids.
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM record") ?? 0
            var i = 0
            var after: Int64?  // the last row id rewritten (none yet: from the least, whatever it is)
            while true {
                let rowids =
                    try after.map {
                        try Int64.fetchAll(
                            db, sql: "SELECT rowid FROM record WHERE rowid > ? ORDER BY rowid LIMIT 1000", arguments: [$0])
                    } ?? Int64.fetchAll(db, sql: "SELECT rowid FROM record ORDER BY rowid LIMIT 1000")
                guard let last = rowids.last else { break }
                after = last
                for rowid in rowids {
                    defer { i += 1 }
                    guard
                        let idRow = try Row.fetchOne(db, sql: "SELECT record_id FROM record WHERE rowid = ?", arguments: [rowid])
                    else { continue }
                    let id = Column.id(idRow, "record_id")
                    guard
                        let keyRow = try Row.fetchOne(
                            db, sql: "SELECT wrapped_key FROM record WHERE record_id = ?", arguments: [id])
                    else { continue }
                    let versions = try Row.fetchAll(
                        db, sql: "SELECT version, meta, body FROM record_version WHERE record_id = ? ORDER BY version",
                        arguments: [id]
                    ).map(Self.versionRow)
                    let old = SealedRecordRow(
                        recordID: id, wrappedKey: Column.blob(keyRow, "wrapped_key") ?? [], versions: versions)
                    let new = try plan.record(old)
                    try db.execute(
                        sql: "UPDATE record SET wrapped_key = ? WHERE record_id = ?", arguments: [Data(new.wrappedKey), id])
                    for v in new.versions {
                        try db.execute(
                            sql: "UPDATE record_version SET meta = ?, body = ? WHERE record_id = ? AND version = ?",
                            arguments: [Data(v.meta), Data(v.body), id, v.version])
                    }
                    plan.progress(i + 1, total)
                }
            }
            for kind in SealedItemKind.allCases where try db.tableExists(kind.rawValue) {
                let (table, idc) = (kind.rawValue, kind.idColumn)
                // One row in memory at a time (the summary pages are 25 MB at 100,000 records).
                for rowid in try Int64.fetchAll(db, sql: "SELECT rowid FROM \(table) ORDER BY rowid") {
                    guard
                        let r = try Row.fetchOne(
                            db, sql: "SELECT \(idc), sealed FROM \(table) WHERE rowid = ?", arguments: [rowid])
                    else { continue }
                    let new = try plan.item(kind, SealedItemRow(id: Column.id(r, idc), sealed: Column.blob(r, "sealed") ?? []))
                    try db.execute(sql: "UPDATE \(table) SET sealed = ? WHERE \(idc) = ?", arguments: [Data(new.sealed), new.id])
                }
            }
            if let check = plan.masterCheck { try Self.writeSingleton(db, "master_check", column: "value", check) }
            if let index = plan.retentionIndex { try Self.writeSingleton(db, "retention_index", column: "sealed", index) }
            if let root = plan.auditRootKey { try Self.writeSingleton(db, "audit_key", column: "sealed", root) }
            try Self.writeManifest(db, plan.manifest)
            if let audit = plan.auditState { try writeAuditState(db, audit) }
            try db.execute(sql: "DELETE FROM key_slot")
            for s in plan.slots { try insertSlot(db, s) }
        }
    }

    package func integrityCheck() throws(VaultError) -> [String] {
        try run {
            try dbQueue.read { db in
                try Row.fetchAll(db, sql: "PRAGMA integrity_check").compactMap { Column.text($0, "integrity_check") }.filter {
                    $0 != "ok"
                }
            }
        }
    }

    package func backup(to path: String) throws(VaultError) {
        try run {
            let target = try DatabaseQueue(path: path)
            try dbQueue.backup(to: target)
            try target.close()
        }
    }

    package func insertItem(_ kind: SealedItemKind, _ row: SealedItemRow, manifest: ManifestSeal?) throws(VaultError) {
        try run {
            try checkedWrite { db in
                try db.execute(
                    sql: "INSERT INTO \(kind.rawValue) (\(kind.idColumn), sealed) VALUES (?, ?)",
                    arguments: [row.id, Data(row.sealed)])
                try Self.writeManifest(db, manifest)
            }
        }
    }

    package func allItems(_ kind: SealedItemKind) throws(VaultError) -> [SealedItemRow] {
        try run { try dbQueue.read { db in try Self.items(db, kind) } }
    }

    package func forEachItemRow(_ kind: SealedItemKind, _ body: (String, UnsafeRawBufferPointer) throws -> Void)
        throws(VaultError)
    {
        try run { try dbQueue.read { db in try Self.forEachItemRow(db, kind, body) } }
    }

    /// Every row of an item table in the order written: the id as ``Column/id(_:_:)`` reads it (a
    /// malformed or non-text id becomes the stand-in) and the sealed blob (anything but a blob is
    /// empty, which never opens). Stepped with the C API as ``forEachLatest`` is: GRDB's `Row`,
    /// with a column lookup by name per value, was most of reading 1,000 facts (`make bench`).
    private static func items(_ db: Database, _ kind: SealedItemKind) throws -> [SealedItemRow] {
        var rows: [SealedItemRow] = []
        try forEachItemRow(db, kind) { id, sealed in rows.append(SealedItemRow(id: id, sealed: Array(sealed))) }
        return rows
    }

    /// ``items(_:_:)`` one row at a time, the sealed bytes borrowed from SQLite's row.
    private static func forEachItemRow(
        _ db: Database, _ kind: SealedItemKind, _ body: (String, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let statement = try db.makeStatement(sql: "SELECT \(kind.idColumn), sealed FROM \(kind.rawValue) ORDER BY rowid")
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        while true {
            guard try Self.step(s, db) else { break }
            let id = Self.columnID(s, 0)
            var sealed = UnsafeRawBufferPointer(start: nil, count: 0)
            if sqlite3_column_type(s, 1) == SQLITE_BLOB, let p = sqlite3_column_blob(s, 1) {
                sealed = UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, 1)))
            }
            try body(id, sealed)
        }
    }

    package func deleteItem(_ kind: SealedItemKind, id: String, manifest: ManifestSeal?) throws(VaultError) -> Bool {
        try run {
            try checkedWrite { db in
                try db.execute(sql: "DELETE FROM \(kind.rawValue) WHERE \(kind.idColumn) = ?", arguments: [id])
                guard db.changesCount > 0 else { return false }
                try Self.writeManifest(db, manifest)
                return true
            }
        }
    }

    package func replaceItems(
        _ kind: SealedItemKind, deleting: [String], inserting row: SealedItemRow, manifest: ManifestSeal?
    ) throws(VaultError) {
        try run {
            try checkedWrite { db in
                for id in deleting {
                    try db.execute(sql: "DELETE FROM \(kind.rawValue) WHERE \(kind.idColumn) = ?", arguments: [id])
                }
                try db.execute(
                    sql: "INSERT INTO \(kind.rawValue) (\(kind.idColumn), sealed) VALUES (?, ?)",
                    arguments: [row.id, Data(row.sealed)])
                try Self.writeManifest(db, manifest)
            }
        }
    }

    package func replaceItem(_ kind: SealedItemKind, _ row: SealedItemRow, manifest: ManifestSeal?) throws(VaultError) -> Bool {
        try run {
            try checkedWrite { db in
                try db.execute(
                    sql: "UPDATE \(kind.rawValue) SET sealed = ? WHERE \(kind.idColumn) = ?",
                    arguments: [Data(row.sealed), row.id])
                guard db.changesCount > 0 else { return false }
                try Self.writeManifest(db, manifest)
                return true
            }
        }
    }

    package func recordCount() throws(VaultError) -> Int {
        try run { try dbQueue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM record") ?? 0 } }
    }
}

/// Type-checked column access. GRDB's typed subscripts stop the process on a value of the wrong
/// type; a hostile file must give an integrity error instead, so every value is read as a
/// `DatabaseValue` and converted here.
enum Column {
    static func int(_ v: DatabaseValue) -> Int64? {
        if case .int64(let i) = v.storage { return i }
        return nil
    }

    static func int(_ row: Row, _ name: String) -> Int64? { int(row[name] as DatabaseValue) }

    static func blob(_ row: Row, _ name: String) -> [UInt8]? {
        if case .blob(let d) = (row[name] as DatabaseValue).storage { return Array(d) }
        return nil
    }

    static func text(_ row: Row, _ name: String) -> String? {
        if case .string(let s) = (row[name] as DatabaseValue).storage { return s }
        return nil
    }

    /// An object id as stored, or a printable stand-in for a malformed one. Ids end up in error
    /// messages and associated data; a hostile file must not be able to put terminal escapes or
    /// line breaks there. A stand-in never authenticates, so the item reports an integrity error.
    static func id(_ row: Row, _ name: String) -> String {
        if let s = text(row, name), ObjectID.isValid(s) { return s }
        return ObjectID.malformed
    }
}

/// Backup files (SECURITY.md §8.2): an SQLite online-backup copy of the vault database with one
/// extra table holding the audit log as it was at that moment.
extension SQLiteVaultStore {
    /// Adds the audit log to a backup copy made with ``backup(to:)``.
    static func embedAuditLog(inBackup path: String, logPath: String, content: [UInt8]) throws(VaultError) {
        do {
            let q = try DatabaseQueue(path: path)
            try q.write { db in
                try db.execute(
                    sql:
                        "CREATE TABLE backup_audit_log (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), path TEXT NOT NULL, content BLOB NOT NULL)"
                )
                try db.execute(
                    sql: "INSERT INTO backup_audit_log (singleton, path, content) VALUES (1, ?, ?)",
                    arguments: [logPath, Data(content)])
            }
            try q.close()
        } catch {
            throw .storage("cannot write the backup: \(describe(error))")
        }
    }

    /// Copies a backup file into a staging database at `stagingPath` (online backup), takes the
    /// audit log out of it, points the vault at `newLogPath`, and returns the log's bytes.
    static func unpackBackup(_ backupPath: String, into stagingPath: String, newLogPath: String) throws(VaultError) -> [UInt8] {
        do {
            var config = Configuration()
            config.readonly = true
            let source = try DatabaseQueue(path: backupPath, configuration: config)
            let hasLog = try source.read { db in try db.tableExists("backup_audit_log") && db.tableExists("vault_header") }
            guard hasLog else { throw VaultError.invalidInput("that file is not a SourceVault backup") }
            let target = try DatabaseQueue(path: stagingPath)
            try source.backup(to: target)
            try source.close()
            let content: [UInt8] = try target.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT content FROM backup_audit_log WHERE singleton = 1"),
                    let bytes = Column.blob(row, "content")
                else { throw VaultError.invalidInput("the backup's audit log is missing") }
                try db.execute(sql: "DROP TABLE backup_audit_log")
                try db.execute(sql: "UPDATE audit_state SET log_path = ?", arguments: [newLogPath])
                return bytes
            }
            try target.close()
            return content
        } catch let e as VaultError {
            throw e
        } catch let e as DatabaseError where e.resultCode == .SQLITE_NOTADB {
            throw .invalidInput("that file is not a SourceVault backup")
        } catch {
            throw .storage("cannot read the backup: \(describe(error))")
        }
    }
}

/// The vault's files as a whole, for the layers above that must not name the backend: backup
/// copies and opening a staged database during `restore`.
package enum VaultFiles {
    /// Opens an existing vault database file (no header check, no migration).
    package static func openStore(path: String) throws(VaultError) -> any VaultStore {
        try SQLiteVaultStore(path: path, create: false)
    }

    /// Creates a new, empty vault database file (the schema comes with `initialize`).
    package static func createStore(path: String) throws(VaultError) -> any VaultStore {
        try SQLiteVaultStore(path: path, create: true)
    }

    /// A consistent copy of `store` at `path` with the audit log's bytes embedded (SECURITY.md §8.2).
    package static func writeBackup(of store: any VaultStore, to path: String, logPath: String, log: [UInt8]) throws(VaultError) {
        try store.backup(to: path)
        try SQLiteVaultStore.embedAuditLog(inBackup: path, logPath: logPath, content: log)
    }

    /// Copies a backup into a staging database and returns the audit log it held.
    package static func unpackBackup(_ backupPath: String, into stagingPath: String, newLogPath: String) throws(VaultError)
        -> [UInt8]
    {
        try SQLiteVaultStore.unpackBackup(backupPath, into: stagingPath, newLogPath: newLogPath)
    }
}
