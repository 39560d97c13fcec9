import AgeFormat
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
        _ = try v.identityRecipient()
        _ = try v.addContact(name: "Editor", recipient: try AgeIdentity.generate().recipient.encoded)
        _ = try v.listContacts()
        try v.removeContact(name: "editor")
        _ = try v.exportIdentity()
        _ = try v.rotateIdentity()
        let fact = try v.addFact(sourceAlias: "Magpie", kind: .place, term: "Musan")
        _ = try v.listFacts()
        try v.setDisclosureThreshold(sourceAlias: "Magpie", 4)
        _ = try v.disclosureLedger(sourceAlias: "Magpie")
        _ = try v.removeFact(fact)
        #expect(
            sink.actions == [
                "source-add", "add", "list", "search", "show", "rule-add", "rule-list", "source-list",
                "amend", "rule-rm", "check", "rm", "identity", "contact-add", "contact-list", "contact-rm",
                "identity-export", "identity-rotate", "fact-add", "fact-list", "source-set", "disclosure", "fact-rm"
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
        _ = try v.addContact(name: "Editor", recipient: try AgeIdentity.generate().recipient.encoded)
        let factID = try v.addFact(sourceAlias: "Magpie", kind: .age, term: "34-year-old")
        // The export entry above names no facts; the ledger is checked through one that does.
        store.items[.export]![0] = SealedItemRow(
            id: store.items[.export]![0].id,
            sealed: try v.keyring.seal(
                .export,
                try Vault.encodeJSON(
                    ExportEntry(
                        recordID: id, version: 1, firstLine: 1, lastLine: 1, format: "text", excerptHash: "x",
                        outputHash: "y", redactions: [:], accepted: [], source: try v.source(alias: "Magpie").id,
                        facts: [PublishedFact(id: factID, kind: .age)])), id: store.items[.export]![0].id))
        let recipient = try v.identityRecipient()
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
        // The age identity is resealed, not replaced (`identity rotate` replaces it).
        #expect(try after.identityRecipient() == recipient)
        #expect(try after.listContacts().map(\.name) == ["Editor"])
        #expect(try after.facts().map(\.id) == [factID] && after.facts().first?.fact.term == "34-year-old")
        #expect(try after.disclosureLedger(sourceAlias: "Magpie").published == [PublishedFact(id: factID, kind: .age)])
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
        _ = try v.addContact(name: "Editor", recipient: try AgeIdentity.generate().recipient.encoded)
        _ = try v.addFact(sourceAlias: "Magpie", kind: .work, term: "mine canteen")
        for kind in SealedItemKind.allCases { store.items[kind]![0].sealed[30] ^= 1 }
        let problems = try v.check().problems
        let ids = SealedItemKind.allCases.map { store.items[$0]![0].id }
        // (The damaged page's record is also named as in no summary page.)
        #expect(problems.count == 8)
        #expect(problems.contains(.vaultIntegrity("record \(id) is listed in the manifest but in no summary page")))
        #expect(problems.contains(.itemIntegrity(kind: "fact", id: ids[5])))
        #expect(problems.contains(.itemIntegrity(kind: "summary page", id: ids[6])))
        #expect(problems.contains(.sourceIntegrity(sourceID: ids[0])))
        #expect(problems.contains(.itemIntegrity(kind: "rule", id: ids[1])))
        #expect(problems.contains(.itemIntegrity(kind: "export record", id: ids[2])))
        #expect(problems.contains(.itemIntegrity(kind: "identity", id: ids[3])))
        #expect(problems.contains(.itemIntegrity(kind: "contact", id: ids[4])))
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

/// The age identity and contacts (format 3, SECURITY.md §6.9, §6.10).
@Suite struct IdentityAndContactTests {
    let store = InMemoryVaultStore()

    func makeVault() throws -> Vault {
        try Vault.create(in: store, directory: "/nonexistent", passphrase: try secret("pw"), profile: .test).0
    }

    @Test func aNewVaultHasOneIdentityListedInItsManifest() throws {
        let v = try makeVault()
        #expect(store.items[.identity]?.count == 1)
        #expect(try v.currentManifest().items[.identity] == Set(store.items[.identity]!.map(\.id)))
        let exported = try v.exportIdentity()
        let parsed = try AgeIdentity.parse(exported.withUnsafeBytes { Array($0) })
        #expect(try parsed.recipient.encoded == v.identityRecipient())
    }

    @Test func rotateReplacesTheIdentityAndTheOldOneCannotDecrypt() throws {
        let v = try makeVault()
        let old = try v.identityRecipient()
        let file = try Array("hello".utf8).withUnsafeBytes { try Age.encrypt($0, to: [try AgeRecipient(parsing: old)]) }
        let new = try v.rotateIdentity()
        #expect(new != old && store.items[.identity]?.count == 1)
        #expect(try v.currentManifest().items[.identity] == Set(store.items[.identity]!.map(\.id)))
        #expect(throws: AgeError.noMatch) { _ = try Age.decrypt(file, identity: try v.openIdentity()) }
    }

    @Test func contactsAreUniqueValidatedAndSealed() throws {
        let v = try makeVault()
        let r = try AgeIdentity.generate().recipient.encoded
        let c = try v.addContact(name: "Desk Editor", recipient: r + "\n")
        #expect(c.recipient == r && c.fingerprint.count == 16)
        #expect(throws: VaultError.self) { _ = try v.addContact(name: "DESK EDITOR", recipient: r) }
        #expect(throws: VaultError.self) { _ = try v.addContact(name: "Other", recipient: "age1notarecipient") }
        #expect(throws: VaultError.self) { _ = try v.addContact(name: "Me", recipient: try v.identityRecipient()) }
        #expect(throws: VaultError.self) { _ = try v.addContact(name: "", recipient: r) }
        // Sealed: neither the name nor the recipient is in the stored bytes.
        let sealed = store.items[.contact]![0].sealed
        #expect(!contains(sealed, Array("Desk Editor".utf8)) && !contains(sealed, Array(r.utf8)))
        #expect(try v.listContacts().map(\.name) == ["Desk Editor"])
        #expect(try v.recipients(forContacts: ["desk editor", "Desk Editor"]).count == 1)
        #expect(throws: VaultError.noSuchContact) { _ = try v.recipients(forContacts: ["nobody"]) }
        try v.removeContact(name: "desk editor")
        #expect(try v.listContacts().isEmpty)
        #expect(throws: VaultError.noSuchContact) { try v.removeContact(name: "desk editor") }
    }

    /// A contact row deleted from the store without the key is noticed at the next unlock.
    @Test func aDeletedContactIsNoticedAtUnlock() throws {
        let v = try makeVault()
        let c = try v.addContact(name: "Editor", recipient: try AgeIdentity.generate().recipient.encoded)
        store.items[.contact] = []
        #expect(throws: VaultError.self) {
            _ = try Vault.unlock(
                store: store, header: try store.readHeader(), directory: "/nonexistent", passphrase: try secret("pw"))
        }
        _ = c
    }

    /// `receive`: an age file to the vault's recipient becomes a record; a SourceVault share's note
    /// becomes its `received` metadata; non-UTF-8, foreign and damaged files are refused.
    @Test func receiveAddsARecordAndRefusesWhatAddRefuses() throws {
        let v = try makeVault()
        _ = try v.addSource(alias: "Magpie")
        let me = try AgeRecipient(parsing: try v.identityRecipient())
        let text = Array("Testimony from a colleague.\n".utf8)
        let plain = try text.withUnsafeBytes { try Age.encrypt($0, to: [me]) }
        let id = try v.receive(file: plain, sourceAlias: "Magpie", title: "From Seoul")
        let got = try v.record(id)
        #expect(got.body == "Testimony from a colleague.\n" && got.summary.metadata.received == "age")
        let note = Array("sourcevault record=0123456789abcdef version=2 lines=1-3 format=text sender=age1x".utf8)
        let shared = try text.withUnsafeBytes {
            try Age.encrypt($0, to: [me], armor: true, note: (Vault.provenanceStanza, note))
        }
        let id2 = try v.receive(file: shared, sourceAlias: "Magpie", title: nil)
        #expect(try v.record(id2).summary.metadata.received == String(decoding: note, as: UTF8.self))
        // A note of another shape is not recorded (the file is still received).
        let odd = try text.withUnsafeBytes {
            try Age.encrypt($0, to: [me], note: (Vault.provenanceStanza, Array("sourcevault record=<script> x".utf8)))
        }
        #expect(try v.record(try v.receive(file: odd, sourceAlias: "Magpie", title: "x")).summary.metadata.received == "age")
        let binary: [UInt8] = [0xff, 0xfe, 0x00]
        let bad = try binary.withUnsafeBytes { try Age.encrypt($0, to: [me]) }
        #expect(throws: VaultError.self) { _ = try v.receive(file: bad, sourceAlias: "Magpie", title: "x") }
        let foreign = try text.withUnsafeBytes { try Age.encrypt($0, to: [try AgeIdentity.generate().recipient]) }
        #expect(throws: VaultError.self) { _ = try v.receive(file: foreign, sourceAlias: "Magpie", title: "x") }
        var tampered = plain
        tampered[tampered.count - 1] ^= 1
        #expect(throws: VaultError.self) { _ = try v.receive(file: tampered, sourceAlias: "Magpie", title: "x") }
        #expect(try v.list().records.count == 3)
    }

    /// Rows put back without the key while the vault is open (a removed contact, the identity from
    /// before a rotate) are refused by the next read, against the manifest: share would otherwise
    /// encrypt to a key the reporter removed.
    @Test func rowsPutBackWhileOpenAreRefused() throws {
        let v = try makeVault()
        let key = try AgeIdentity.generate().recipient.encoded
        _ = try v.addContact(name: "Editor", recipient: key)
        let removed = store.items[.contact]!
        try v.removeContact(name: "Editor")
        _ = try v.addContact(name: "Editor", recipient: try AgeIdentity.generate().recipient.encoded)
        store.items[.contact]! += removed
        #expect(throws: VaultError.self) { _ = try v.recipients(forContacts: ["Editor"]) }
        #expect(throws: VaultError.self) { _ = try v.listContacts() }
        store.items[.contact]!.removeLast()
        #expect(try v.recipients(forContacts: ["Editor"]).count == 1)
        let before = store.items[.identity]!
        _ = try v.rotateIdentity()
        store.items[.identity] = before
        #expect(throws: VaultError.self) { _ = try v.identityRecipient() }
        #expect(throws: VaultError.self) { _ = try v.openIdentity() }
    }

    /// A second identity row (never written by SourceVault) is an integrity error, not a choice.
    @Test func twoIdentitiesAreAnIntegrityError() throws {
        let v = try makeVault()
        store.items[.identity]!.append(store.items[.identity]![0])
        #expect(throws: VaultError.self) { _ = try v.identityRecipient() }
        #expect(throws: VaultError.self) { _ = try v.rotateIdentity() }
    }

    /// A format-4 vault whose manifest is put back in an older form (which lists neither the
    /// identity nor the contacts, or not the facts) is refused at unlock.
    @Test(arguments: [2, 3, 4]) func anOlderManifestInAFormatFiveVaultIsRefused(format: Int) throws {
        let v = try makeVault()
        var m = try v.currentManifest()
        m.format = format
        m.generation += 1
        store.manifest = try v.keyring.seal(.manifest, m.encode())
        #expect(
            throws: VaultError.vaultIntegrity("the manifest is of format \(format), the vault of format 5 (an older copy?)")
        ) {
            _ = try Vault.unlock(
                store: store, header: try store.readHeader(), directory: "/nonexistent", passphrase: try secret("pw"))
        }
    }

    func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= hay.count else { return false }
        return (0...(hay.count - needle.count)).contains { Array(hay[$0..<$0 + needle.count]) == needle }
    }
}
