import Foundation
import SodiumKit

@testable import VaultCore

/// A test double of the storage protocol: every row in dictionaries, nothing on disk. It lets the
/// facade's tests run without SQLite and shows the protocol is all `Vault` needs.
final class InMemoryVaultStore: VaultStore {
    var header: VaultHeader?
    var slots: [KeySlotKind: KeySlotRow] = [:]
    var records: [(id: String, wrappedKey: [UInt8])] = []
    var versions: [String: [SealedVersionRow]] = [:]
    var items: [SealedItemKind: [SealedItemRow]] = [:]
    var check: [UInt8]?
    var travelBundle: [UInt8]?
    var retention: [UInt8]?
    var auditRoot: [UInt8]?
    var audit: AuditState?
    var manifest: [UInt8]?
    var formatVersion = VaultFormat.currentVersion
    /// Tests: `forEachItem` fails (as a SQLite read error would) after this many rows.
    var failItemWalkAfter: Int?

    /// Runs the manifest update of a write (after its row changes, as the SQLite store does).
    private func commit(_ seal: ManifestSeal?) throws(VaultError) {
        guard let seal else { return }
        do { manifest = try seal(manifest) } catch let e as VaultError { throw e } catch { throw .storage("\(error)") }
    }

    func initialize(header: VaultHeader, slots: [KeySlotRow]) throws(VaultError) {
        guard self.header == nil else { throw .vaultAlreadyExists(path: "(memory)") }
        self.header = header
        for s in slots { self.slots[s.kind] = s }
    }

    func readHeader() throws(VaultError) -> VaultHeader {
        guard let header else { throw .notAVault(path: "(memory)") }
        return header
    }

    func migrateIfNeeded(formatVersion: Int) throws(VaultError) {}
    func verifySchema(formatVersion: Int, complete: Bool) throws(VaultError) {}
    func keySlot(_ kind: KeySlotKind) throws(VaultError) -> KeySlotRow? { slots[kind] }
    func replaceKeySlot(_ slot: KeySlotRow, manifest: ManifestSeal?) throws(VaultError) {
        slots[slot.kind] = slot
        try commit(manifest)
    }

    func deleteKeySlots(_ kinds: [KeySlotKind], manifest: ManifestSeal?) throws(VaultError) {
        for k in kinds { slots[k] = nil }
        try commit(manifest)
    }
    func pendingTravelBundle() throws(VaultError) -> [UInt8]? { travelBundle }

    func sendSlotsAway(bundleID: [UInt8], manifest: ManifestSeal?) throws(VaultError) {
        slots = [:]
        travelBundle = bundleID
        try commit(manifest)
    }

    func bringSlotsHome(_ slots: [KeySlotRow]) throws(VaultError) {
        for s in slots { self.slots[s.kind] = s }
        travelBundle = nil
    }

    func masterCheck() throws(VaultError) -> [UInt8]? { check }
    func saveMasterCheck(_ value: [UInt8], manifest: ManifestSeal?) throws(VaultError) {
        check = value
        try commit(manifest)
    }

    /// The summary pages as `items[.summaryPage]`, for a write's page update.
    private final class Pages: SummaryPageAccess {
        unowned let store: InMemoryVaultStore
        init(_ store: InMemoryVaultStore) { self.store = store }
        func manifest() throws -> [UInt8]? { store.manifest }
        func pageIDs() throws -> [String] { (store.items[.summaryPage] ?? []).map(\.id).sorted() }
        func page(_ id: String) throws -> [UInt8]? { store.items[.summaryPage]?.first { $0.id == id }?.sealed }
        func write(_ row: SealedItemRow) throws {
            if let i = store.items[.summaryPage]?.firstIndex(where: { $0.id == row.id }) {
                store.items[.summaryPage]![i] = row
            } else {
                store.items[.summaryPage, default: []].append(row)
            }
        }
        func insert(_ row: SealedItemRow) throws {
            guard try page(row.id) == nil else { throw VaultError.storage("UNIQUE constraint failed: summary_page.id") }
            store.items[.summaryPage, default: []].append(row)
        }
        func delete(_ id: String) throws { store.items[.summaryPage]?.removeAll { $0.id == id } }
    }

    /// Runs a record write's page update, then its manifest; all or nothing.
    private func commit(pages: SummaryPagesUpdate?, _ seal: ManifestSeal?) throws(VaultError) {
        let saved = items[.summaryPage]
        do {
            try pages?(Pages(self))
            try commit(seal)
        } catch {
            items[.summaryPage] = saved
            throw error as? VaultError ?? .storage("\(error)")
        }
    }

    func insertRecord(_ row: SealedRecordRow, pages: SummaryPagesUpdate?, manifest: ManifestSeal?) throws(VaultError) {
        guard versions[row.recordID] == nil else { throw .storage("duplicate record id") }
        let (savedRecords, savedVersions) = (records, versions)
        records.append((row.recordID, row.wrappedKey))
        versions[row.recordID] = row.versions
        do { try commit(pages: pages, manifest) } catch {
            (records, versions) = (savedRecords, savedVersions)
            throw error
        }
    }

    func insertRecords(
        _ produce: (_ insert: (SealedRecordRow) throws -> Void) throws -> Void, pages: SummaryPagesUpdate?,
        manifest: ManifestSeal?
    ) throws {
        let (savedRecords, savedVersions) = (records, versions)
        do {
            try produce { try self.insertRecord($0, pages: nil, manifest: nil) }
            try commit(pages: pages, manifest)
        } catch {
            (records, versions) = (savedRecords, savedVersions)  // all or nothing
            throw error
        }
    }

    func appendVersion(recordID: String, _ version: SealedVersionRow, pages: SummaryPagesUpdate?, manifest: ManifestSeal?)
        throws(VaultError)
    {
        guard versions[recordID] != nil else { throw .noSuchRecord(prefix: recordID) }
        versions[recordID]!.append(version)
        do { try commit(pages: pages, manifest) } catch {
            versions[recordID]!.removeLast()
            throw error
        }
    }

    func forEachItem(
        _ kind: SealedItemKind, manifest sealedManifest: ([UInt8]?) throws -> Void,
        _ body: (String, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try sealedManifest(manifest)
        for (n, row) in (items[kind] ?? []).sorted(by: { $0.id < $1.id }).enumerated() {
            if let failItemWalkAfter, n >= failItemWalkAfter { throw VaultError.storage("the walk failed (test)") }
            try row.sealed.withUnsafeBytes { try body(row.id, $0) }
        }
    }

    func upgradeToFormat5(
        pages: (_ walk: ((LatestRowView) throws -> Void) throws -> Void) throws -> [SealedItemRow],
        manifest seal: @escaping ManifestSeal
    ) throws(VaultError) {
        do {
            items[.summaryPage] = try pages { body in try self.forEachLatest(includeBody: false, body) }
        } catch {
            items[.summaryPage] = nil
            throw error as? VaultError ?? .storage("\(error)")
        }
        try commit(seal)
        formatVersion = 5
    }

    func rebuildSummaryPages(
        pages: (_ walk: ((LatestRowView) throws -> Void) throws -> Void) throws -> [SealedItemRow],
        manifest seal: @escaping ManifestSeal
    ) throws(VaultError) {
        let saved = items[.summaryPage]
        do {
            items[.summaryPage] = try pages { body in try self.forEachLatest(includeBody: false, body) }
            try commit(seal)
        } catch {
            items[.summaryPage] = saved
            throw error as? VaultError ?? .storage("\(error)")
        }
    }

    func recordIDs(withPrefix prefix: String, limit: Int) throws(VaultError) -> [String] {
        Array(records.map(\.id).filter { $0.hasPrefix(prefix) }.sorted().prefix(limit))
    }

    func record(_ recordID: String) throws(VaultError) -> SealedRecordRow? {
        guard let r = records.first(where: { $0.id == recordID }) else { return nil }
        return SealedRecordRow(recordID: r.id, wrappedKey: r.wrappedKey, versions: versions[recordID] ?? [])
    }

    func forEachLatest(
        includeBody: Bool, manifest sealedManifest: ([UInt8]?) throws -> Void, _ body: (LatestRowView) throws -> Void
    ) throws -> [UInt8]? {
        try sealedManifest(manifest)
        for r in records {
            let all = versions[r.id] ?? []
            let latest = all.first { $0.version == all.count }
            let meta = latest?.meta ?? [], text = includeBody ? (latest?.body ?? []) : []
            try r.wrappedKey.withUnsafeBytes { k in
                try meta.withUnsafeBytes { m in
                    try text.withUnsafeBytes { b in
                        try body(LatestRowView(recordID: r.id, wrappedKey: k, version: latest?.version, meta: m, body: b))
                    }
                }
            }
        }
        return manifest
    }

    func deleteRecord(_ recordID: String, pages: SummaryPagesUpdate?, manifest: ManifestSeal?) throws(VaultError) {
        let (savedRecords, savedVersions) = (records, versions)
        records.removeAll { $0.id == recordID }
        versions[recordID] = nil
        do { try commit(pages: pages, manifest) } catch {
            (records, versions) = (savedRecords, savedVersions)
            throw error
        }
    }

    func recordCount() throws(VaultError) -> Int { records.count }
    func allRecordIDs() throws(VaultError) -> [String] { records.map(\.id) }
    func orphanVersionCounts() throws(VaultError) -> [String: Int] {
        versions.filter { v in !records.contains { $0.id == v.key } && !v.value.isEmpty }.mapValues(\.count)
    }
    func forEachRecordVersionCount(_ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws(VaultError) {
        do {
            for r in records { try Array(r.id.utf8).withUnsafeBytes { try body($0, versions[r.id]?.count ?? 0) } }
        } catch let e as VaultError { throw e } catch { throw .storage("\(error)") }
    }
    func confirmUnchanged(since header: VaultHeader) throws(VaultError) {}

    func insertItem(_ kind: SealedItemKind, _ row: SealedItemRow, manifest: ManifestSeal?) throws(VaultError) {
        guard !(items[kind] ?? []).contains(where: { $0.id == row.id }) else { throw .storage("duplicate item id") }
        items[kind, default: []].append(row)
        try commit(manifest)
    }

    func allItems(_ kind: SealedItemKind) throws(VaultError) -> [SealedItemRow] { items[kind] ?? [] }
    func forEachItemRow(_ kind: SealedItemKind, _ body: (String, UnsafeRawBufferPointer) throws -> Void) throws(VaultError) {
        do {
            for row in items[kind] ?? [] { try row.sealed.withUnsafeBytes { try body(row.id, $0) } }
        } catch let e as VaultError { throw e } catch { throw .storage("\(error)") }
    }
    func replaceItem(_ kind: SealedItemKind, _ row: SealedItemRow, manifest: ManifestSeal?) throws(VaultError) -> Bool {
        guard let i = items[kind]?.firstIndex(where: { $0.id == row.id }) else { return false }
        items[kind]?[i] = row
        try commit(manifest)
        return true
    }
    func allItemsWithManifest(_ kind: SealedItemKind) throws(VaultError) -> ([SealedItemRow], [UInt8]?) {
        (items[kind] ?? [], manifest)
    }
    func recordWithManifest(_ recordID: String, bodyOf version: Int?) throws(VaultError) -> (SealedRecordRow?, [UInt8]?) {
        guard var row = try record(recordID) else { return (nil, manifest) }
        let wanted = version.map { v in row.versions.firstIndex { $0.version == v } } ?? row.versions.indices.last
        for k in row.versions.indices where k != wanted { row.versions[k].body = [] }
        return (row, manifest)
    }

    func deleteItem(_ kind: SealedItemKind, id: String, manifest: ManifestSeal?) throws(VaultError) -> Bool {
        let before = items[kind]?.count ?? 0
        items[kind]?.removeAll { $0.id == id }
        guard (items[kind]?.count ?? 0) < before else { return false }
        try commit(manifest)
        return true
    }

    func sealedRetentionIndex() throws(VaultError) -> [UInt8]? { retention }
    func saveSealedRetentionIndex(_ sealed: [UInt8], manifest: ManifestSeal?) throws(VaultError) {
        retention = sealed
        try commit(manifest)
    }
    func sealedAuditRootKey() throws(VaultError) -> [UInt8]? { auditRoot }
    func saveSealedAuditRootKey(_ sealed: [UInt8], manifest: ManifestSeal?) throws(VaultError) {
        auditRoot = sealed
        try commit(manifest)
    }

    func sealedManifest() throws(VaultError) -> [UInt8]? { manifest }

    func upgradeToFormat2(rules: [SealedItemRow], manifest seal: @escaping ManifestSeal) throws(VaultError) {
        for r in rules { if let i = items[.rule]?.firstIndex(where: { $0.id == r.id }) { items[.rule]![i] = r } }
        try commit(seal)
        formatVersion = 2
    }

    func upgradeToFormat3(identity: SealedItemRow, manifest seal: @escaping ManifestSeal) throws(VaultError) {
        items[.identity] = [identity]
        items[.contact] = []
        try commit(seal)
        formatVersion = 3
    }

    func upgradeToFormat4(manifest seal: @escaping ManifestSeal) throws(VaultError) {
        items[.fact] = []
        try commit(seal)
        formatVersion = 4
    }

    func replaceItems(_ kind: SealedItemKind, deleting: [String], inserting row: SealedItemRow, manifest: ManifestSeal?)
        throws(VaultError)
    {
        let saved = items[kind]
        items[kind]?.removeAll { deleting.contains($0.id) }
        items[kind, default: []].append(row)
        do { try commit(manifest) } catch {
            items[kind] = saved
            throw error
        }
    }

    func writeManifest(_ seal: @escaping ManifestSeal) throws(VaultError) { try commit(seal) }

    func manifestSnapshot() throws(VaultError) -> ManifestSnapshot {
        ManifestSnapshot(
            manifest: manifest, counts: rowCounts(),
            slots: [KeySlotKind.passphrase, .recovery].compactMap { slots[$0] }, travelBundle: travelBundle,
            retentionIndex: retention, auditKey: auditRoot, masterCheck: check)
    }

    private func rowCounts() -> RowCounts {
        RowCounts(
            records: records.count, versions: versions.values.map(\.count).reduce(0, +),
            items: Dictionary(uniqueKeysWithValues: SealedItemKind.allCases.map { ($0, items[$0]?.count ?? 0) }))
    }
    func auditState() throws(VaultError) -> AuditState? { audit }
    func saveAuditState(_ state: AuditState) throws(VaultError) { audit = state }

    func rewriteEverything(_ plan: RewritePlan) throws {
        // Built aside and swapped in at the end: a failure leaves the old state (one transaction).
        var newRecords = records, newVersions = versions, newItems = items
        for (i, r) in records.enumerated() {
            let new = try plan.record(SealedRecordRow(recordID: r.id, wrappedKey: r.wrappedKey, versions: versions[r.id] ?? []))
            newRecords[i].wrappedKey = new.wrappedKey
            newVersions[r.id] = new.versions
            plan.progress(i + 1, records.count)
        }
        for kind in SealedItemKind.allCases {
            newItems[kind] = try (items[kind] ?? []).map { try plan.item(kind, $0) }
        }
        if let seal = plan.manifest { manifest = try seal(manifest) }
        (records, versions, items) = (newRecords, newVersions, newItems)
        check = plan.masterCheck ?? check
        retention = plan.retentionIndex ?? retention
        auditRoot = plan.auditRootKey ?? auditRoot
        audit = plan.auditState ?? audit
        slots = [:]
        for s in plan.slots { slots[s.kind] = s }
    }

    func integrityCheck() throws(VaultError) -> [String] { [] }
    func backup(to path: String) throws(VaultError) { throw .storage("the in-memory store has no file to back up") }
    func close() throws(VaultError) {}
    func describe(_ error: Error) -> String { "\(error)" }
}

/// An audit sink that remembers the actions it was given, in order.
final class RecordingAuditSink: AuditSink {
    var actions: [String] = []
    var events: [AuditEvent] = []
    var failedUnlocks = 0

    func failedUnlock(store: any VaultStore, vaultID: [UInt8], method: String) { failedUnlocks += 1 }
    func unauthenticated(store: any VaultStore, vaultID: [UInt8], action: String) { actions.append(action) }
    func unlocked(_ vault: Vault, method: String) throws -> Int {
        actions.append("unlock")
        return 0
    }
    func record(_ event: AuditEvent, vault: Vault, sign: Bool) throws {
        actions.append(event.action)
        events.append(event)
    }
}
