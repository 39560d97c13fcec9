import Foundation
import SodiumKit
import Testing

@testable import VaultCore

/// The audited facade over the in-memory store double: every operation passes the audit sink, the
/// unlock policy runs inside `Vault.unlock`, and rekey and check loop over the table of sealed kinds.
@Suite struct FacadeTests {
    let store = InMemoryVaultStore()
    let sink = RecordingAuditSink()

    func makeVault() throws -> Vault {
        let (v, _) = try Vault.create(in: store, directory: "/nonexistent", passphrase: try secret("pw"), profile: .test)
        v.attachAudit(sink)
        return v
    }

    func unlock(_ passphrase: String = "pw", policy: UnlockPolicy = .session) throws -> Vault {
        try Vault.unlock(
            store: store, header: try store.readHeader(), directory: "/nonexistent",
            passphrase: try secret(passphrase), audit: sink, policy: policy)
    }

    @Test func everyPublicOperationIsAudited() throws {
        let v = try makeVault()
        _ = try v.addSource(alias: "Magpie")
        let id = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "Crossing", body: "Ri Jong-yol crossed at Musan."))
        _ = try v.list()
        _ = try v.search("musan")
        _ = try v.record(id)
        let rule = try v.addRule(StoredRule(kind: .term, value: "Ri Jong-yol", label: "PERSON"))
        _ = try v.listRules()
        _ = try v.listSources()
        _ = try v.amend(id, body: "Ri Jong-yol crossed at Musan in 2019.")
        _ = try v.removeRule(rule)
        _ = try v.check()
        _ = try v.remove(id)
        #expect(
            sink.actions == [
                "source-add", "add", "list", "search", "show", "rule-add", "rule-list", "source-list",
                "amend", "rule-rm", "check", "rm"
            ])
    }

    @Test func aFailedOperationIsAuditedToo() throws {
        let v = try makeVault()
        #expect(throws: VaultError.self) { _ = try v.record("ffff") }
        #expect(sink.actions == ["show"])
    }

    @Test func unlockAppliesRetentionAndNotDuringAuditMaintenance() throws {
        let v = try makeVault()
        _ = try v.addSource(alias: "Magpie")
        let id = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "t", body: "text"))
        _ = try v.retentionIndex()
        try v.saveRetentionIndex([id: "2001-01-01"])  // as if its day had passed
        let maintenance = try unlock(policy: .auditMaintenance)
        #expect(maintenance.shreddedAtUnlock.isEmpty)
        #expect(try store.recordCount() == 1)
        let session = try unlock()
        #expect(session.shreddedAtUnlock == [id])
        #expect(try store.recordCount() == 0)
        #expect(sink.actions.suffix(2) == ["unlock", "retention-shred"])
    }

    @Test func rekeyResealsEveryKindUnderNewKeys() throws {
        let v = try makeVault()
        _ = try v.addSource(alias: "Magpie")
        let id = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "t", body: "Ri Jong-yol"))
        _ = try v.addRule(StoredRule(kind: .term, value: "Ri Jong-yol", label: "PERSON"))
        try v.recordExport(
            ExportEntry(
                recordID: id, version: 1, firstLine: 1, lastLine: 1, format: "text", excerptHash: "x",
                outputHash: "y", redactions: [:], accepted: []))
        let before = (store.items, store.records.map(\.wrappedKey), store.auditRoot)
        _ = try v.rekey(passphrase: try secret("pw"), profile: nil)
        for kind in SealedItemKind.allCases {
            #expect(store.items[kind]?.count == 1)
            #expect(store.items[kind]?.first?.sealed != before.0[kind]?.first?.sealed, "\(kind) was not resealed")
        }
        #expect(store.records.map(\.wrappedKey) != before.1)
        #expect(store.auditRoot != before.2)
        #expect(!v.keysAreCurrent())
        let after = try unlock()
        #expect(try after.record(id).body == "Ri Jong-yol")
        #expect(try after.rules().count == 1 && after.exports().count == 1 && after.sources().count == 1)
        #expect(after.auditPublicKey != v.auditPublicKey)  // rekey rotates the audit keys (SECURITY.md §11.8)
    }

    @Test func checkNamesEveryDamagedItemOfEveryKind() throws {
        let v = try makeVault()
        _ = try v.addSource(alias: "Magpie")
        let id = try v.addRecord(NewRecord(sourceAlias: "Magpie", title: "t", body: "text"))
        _ = try v.addRule(StoredRule(kind: .term, value: "Kim", label: "PERSON"))
        try v.recordExport(
            ExportEntry(
                recordID: id, version: 1, firstLine: 1, lastLine: 1, format: "text", excerptHash: "x",
                outputHash: "y", redactions: [:], accepted: []))
        for kind in SealedItemKind.allCases { store.items[kind]![0].sealed[30] ^= 1 }
        let problems = try v.check().problems
        let ids = SealedItemKind.allCases.map { store.items[$0]![0].id }
        #expect(problems.count == 3)
        #expect(problems.contains(.sourceIntegrity(sourceID: ids[0])))
        #expect(problems.contains(.itemIntegrity(kind: "rule", id: ids[1])))
        #expect(problems.contains(.itemIntegrity(kind: "export record", id: ids[2])))
    }

    @Test func theTableCoversEveryKindOnce() {
        // Every stored item kind has exactly one sealed kind, and every master subkey that seals
        // something is used by some kind: a new kind cannot be half added.
        for table in SealedItemKind.allCases {
            #expect(SealedKind.allCases.filter { $0.itemTable == table }.count == 1, "\(table)")
        }
        #expect(Set(SealedKind.allCases.compactMap(\.subkey)) == Set(Subkey.sealing))
        let contexts = Subkey.allCases.map(\.context)
        #expect(Set(contexts).count == contexts.count && contexts.allSatisfy { $0.utf8.count == 8 })
    }
}
