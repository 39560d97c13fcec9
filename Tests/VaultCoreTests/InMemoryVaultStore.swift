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

    func initialize(header: VaultHeader, slots: [KeySlotRow]) throws(VaultError) {
        guard self.header == nil else { throw .vaultAlreadyExists(path: "(memory)") }
        self.header = header
        for s in slots { self.slots[s.kind] = s }
    }

    func readHeader() throws(VaultError) -> VaultHeader {
        guard let header else { throw .notAVault(path: "(memory)") }
        return header
    }

    func migrateIfNeeded() throws(VaultError) {}
    func keySlot(_ kind: KeySlotKind) throws(VaultError) -> KeySlotRow? { slots[kind] }
    func replaceKeySlot(_ slot: KeySlotRow) throws(VaultError) { slots[slot.kind] = slot }
    func deleteKeySlots(_ kinds: [KeySlotKind]) throws(VaultError) { for k in kinds { slots[k] = nil } }
    func pendingTravelBundle() throws(VaultError) -> [UInt8]? { travelBundle }

    func sendSlotsAway(bundleID: [UInt8]) throws(VaultError) {
        slots = [:]
        travelBundle = bundleID
    }

    func bringSlotsHome(_ slots: [KeySlotRow]) throws(VaultError) {
        for s in slots { self.slots[s.kind] = s }
        travelBundle = nil
    }

    func masterCheck() throws(VaultError) -> [UInt8]? { check }
    func saveMasterCheck(_ value: [UInt8]) throws(VaultError) { check = value }

    func insertRecord(_ row: SealedRecordRow) throws(VaultError) {
        guard versions[row.recordID] == nil else { throw .storage("duplicate record id") }
        records.append((row.recordID, row.wrappedKey))
        versions[row.recordID] = row.versions
    }

    func insertRecords(_ produce: (_ insert: (SealedRecordRow) throws -> Void) throws -> Void) throws {
        let (savedRecords, savedVersions) = (records, versions)
        do { try produce { try self.insertRecord($0) } } catch {
            (records, versions) = (savedRecords, savedVersions)      // all or nothing
            throw error
        }
    }

    func appendVersion(recordID: String, _ version: SealedVersionRow) throws(VaultError) {
        guard versions[recordID] != nil else { throw .noSuchRecord(prefix: recordID) }
        versions[recordID]!.append(version)
    }

    func recordIDs(withPrefix prefix: String, limit: Int) throws(VaultError) -> [String] {
        Array(records.map(\.id).filter { $0.hasPrefix(prefix) }.sorted().prefix(limit))
    }

    func record(_ recordID: String) throws(VaultError) -> SealedRecordRow? {
        guard let r = records.first(where: { $0.id == recordID }) else { return nil }
        return SealedRecordRow(recordID: r.id, wrappedKey: r.wrappedKey, versions: versions[recordID] ?? [])
    }

    func forEachLatest(includeBody: Bool, _ body: (LatestRowView) throws -> Void) throws {
        for r in records {
            let latest = versions[r.id]?.last
            let meta = latest?.meta ?? [], text = includeBody ? (latest?.body ?? []) : []
            try r.wrappedKey.withUnsafeBytes { k in
                try meta.withUnsafeBytes { m in
                    try text.withUnsafeBytes { b in
                        try body(LatestRowView(recordID: r.id, wrappedKey: k, version: latest?.version, meta: m, body: b))
                    }
                }
            }
        }
    }

    func deleteRecord(_ recordID: String) throws(VaultError) {
        records.removeAll { $0.id == recordID }
        versions[recordID] = nil
    }

    func recordCount() throws(VaultError) -> Int { records.count }
    func allRecordIDs() throws(VaultError) -> [String] { records.map(\.id) }

    func insertItem(_ kind: SealedItemKind, _ row: SealedItemRow) throws(VaultError) {
        guard !(items[kind] ?? []).contains(where: { $0.id == row.id }) else { throw .storage("duplicate item id") }
        items[kind, default: []].append(row)
    }

    func allItems(_ kind: SealedItemKind) throws(VaultError) -> [SealedItemRow] { items[kind] ?? [] }

    func deleteItem(_ kind: SealedItemKind, id: String) throws(VaultError) -> Bool {
        let before = items[kind]?.count ?? 0
        items[kind]?.removeAll { $0.id == id }
        return (items[kind]?.count ?? 0) < before
    }

    func sealedRetentionIndex() throws(VaultError) -> [UInt8]? { retention }
    func saveSealedRetentionIndex(_ sealed: [UInt8]) throws(VaultError) { retention = sealed }
    func sealedAuditRootKey() throws(VaultError) -> [UInt8]? { auditRoot }
    func saveSealedAuditRootKey(_ sealed: [UInt8]) throws(VaultError) { auditRoot = sealed }
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
    var failedUnlocks = 0

    func failedUnlock(store: any VaultStore, vaultID: [UInt8], method: String) { failedUnlocks += 1 }
    func unauthenticated(store: any VaultStore, vaultID: [UInt8], action: String) { actions.append(action) }
    func unlocked(_ vault: Vault, method: String) throws -> Int {
        actions.append("unlock")
        return 0
    }
    func record(_ event: AuditEvent, vault: Vault, sign: Bool) throws { actions.append(event.action) }
}
