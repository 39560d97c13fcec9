import AgeFormat
import Foundation
import SodiumKit

/// A contact's sealed JSON (SECURITY.md §6.10).
struct ContactPayload: Codable {
    var name: String
    var recipient: String
    var created: String
}

/// Someone `share` can encrypt to: a name (sealed, as sensitive as an alias) and an age recipient.
public struct Contact: Sendable, Equatable {
    public var id: String
    public var name: String
    /// `age1…`, or `ssh-ed25519 BASE64`.
    public var recipient: String
    /// The recipient's public fingerprint (what the audit log records, never the name).
    public var fingerprint: String
    public var created: String
}

/// The vault's age identity and contacts (format 3, SECURITY.md §6.9, §6.10, §13): the identity
/// is one sealed item holding the 32-byte X25519 secret, opened into secure memory only when it is
/// used; contacts are sealed items like sources.
extension Vault {
    static func newIdentity() throws(VaultError) -> AgeIdentity {
        do { return try AgeIdentity.generate() } catch { throw .storage("could not create an age identity: \(error)") }
    }

    /// `init`: the first identity, stored before the first manifest is written (which lists it).
    func createFirstIdentity() throws(VaultError) -> AgeRecipient {
        let identity = try Self.newIdentity()
        let id = try Self.newObjectID()
        let sealed = try keyring.seal(.identity, secure: try Self.sodium { try identity.secretCopy() }, id: id)
        try store.insertItem(.identity, SealedItemRow(id: id, sealed: sealed), manifest: nil)
        return identity.recipient
    }

    /// The identity row: exactly one in a format-3 vault.
    private func identityRow() throws(VaultError) -> SealedItemRow {
        guard formatVersion >= 3 else {
            throw .invalidInput("this vault has no age identity yet (it is upgraded at its next unlock)")
        }
        let rows = try checkedRows(.identity)
        guard rows.count == 1, let row = rows.first else {
            throw .vaultIntegrity("the vault holds \(rows.count) age identities where it must hold one")
        }
        return row
    }

    /// The identity, opened into secure memory.
    package func openIdentity() throws(VaultError) -> AgeIdentity {
        let row = try identityRow()
        let secret = try keyring.open(.identity, row.sealed, id: row.id)
        guard secret.count == 32 else { throw SealedKind.identity.integrityError(id: row.id) }
        do { return try AgeIdentity(secret: secret) } catch { throw SealedKind.identity.integrityError(id: row.id) }
    }

    /// `identity`: the vault's `age1…` recipient, to give to colleagues.
    public func identityRecipient() throws(VaultError) -> String {
        try audited("identity", after: { ["recipient": (try? AgeRecipient(parsing: $0))?.fingerprint ?? ""] }) {
            () throws(VaultError) -> String in try openIdentity().recipient.encoded
        }
    }

    /// `identity export`: `AGE-SECRET-KEY-1…` in secure memory (the CLI shows it only on a
    /// terminal after confirmation, or writes it to a file descriptor it was given).
    public func exportIdentity() throws(VaultError) -> SecureBytes {
        let encoded: SecureBytes
        do {
            let identity = try openIdentity()
            encoded = try Self.sodium { try identity.encodedSecret() }
        } catch {
            try? audit(AuditEvent("identity-export", outcome: .failure(error)))
            throw error
        }
        // Logged before the secret is returned: if the entry cannot be written, nothing leaves.
        try audit(AuditEvent("identity-export", ids: ["recipient": (try openIdentity()).recipient.fingerprint]))
        return encoded
    }

    /// `identity rotate`: a new identity replaces the old one, whose secret is deleted (files
    /// shared to the old recipient can no longer be received). Returns the new recipient.
    public func rotateIdentity() throws(VaultError) -> String {
        let old = (try? openIdentity())?.recipient.fingerprint ?? "unreadable"
        let identity = try Self.newIdentity()
        return try audited(
            "identity-rotate", ids: ["from": old], after: { _ in ["to": identity.recipient.fingerprint] }
        ) { () throws(VaultError) -> String in
            _ = try openIdentity()  // the old one must open: a damaged identity is an integrity error, not replaced silently
            let oldRow = try identityRow()
            let id = try Self.newObjectID()
            let sealed = try keyring.seal(.identity, secure: try Self.sodium { try identity.secretCopy() }, id: id)
            try writing({ m in m.items[.identity] = [id] }) { (seal) throws(VaultError) -> Void in
                try store.replaceItems(
                    .identity, deleting: [oldRow.id], inserting: SealedItemRow(id: id, sealed: sealed), manifest: seal)
            }
            return identity.recipient.encoded
        }
    }

    // MARK: - Contacts

    /// The rows of `table`, read in one transaction with the manifest and checked against its list
    /// (SECURITY.md §6.8): an older identity or a removed contact put back into the file while a
    /// session is open must not be used (`share` would encrypt to a key the reporter removed).
    func checkedRows(_ table: SealedItemKind) throws(VaultError) -> [SealedItemRow] {
        let (rows, sealed) = try store.allItemsWithManifest(table)
        let ids = rows.map { $0.id }
        if try Self.withManifestView(sealed, keyring: keyring, { $0.lists(ids, in: table) }) { return rows }
        let m = try Self.openManifest(sealed, keyring: keyring)
        var got = m
        got.items[table] = Set(ids)
        throw .vaultIntegrity(m.differences(from: got).first ?? "the \(table.noun) rows differ from the manifest")
    }

    private func contacts() throws(VaultError) -> [Contact] {
        guard formatVersion >= 3 else { return [] }
        let decoded = decodeItems(try checkedRows(.contact), .contact, as: ContactPayload.self)
        if let damaged = decoded.problems.first { throw damaged }
        return decoded.items.map { item in
            let fp = (try? AgeRecipient(parsing: item.value.recipient))?.fingerprint ?? "?"
            return Contact(
                id: item.id, name: item.value.name, recipient: item.value.recipient, fingerprint: fp, created: item.value.created)
        }
    }

    /// `contact add NAME`: names are unique (compared as aliases are: case, accents, width).
    public func addContact(name rawName: String, recipient rawRecipient: String) throws(VaultError) -> Contact {
        try audited(
            "contact-add", values: ["name": Array(rawName.utf8)], after: { ["contact": $0.id, "recipient": $0.fingerprint] }
        ) {
            () throws(VaultError) -> Contact in
            let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty, name.utf8.count <= 200,
                !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { throw .invalidInput("a contact name is one line of 1 to 200 bytes") }
            let text = rawRecipient.trimmingCharacters(in: .whitespacesAndNewlines)
            let recipient: AgeRecipient
            do { recipient = try AgeRecipient(parsing: text) } catch {
                throw .invalidInput(
                    "that is not an age recipient (age1…, as 'age-keygen -y' or 'sourcevault identity' prints) or an ssh-ed25519 public key"
                )
            }
            let existing = try contacts()
            let folded = TextFolding.fold(name)
            guard !existing.contains(where: { TextFolding.fold($0.name) == folded }) else {
                throw .invalidInput("a contact with that name already exists")
            }
            if try recipient == openIdentity().recipient { throw .invalidInput("that recipient is this vault's own identity") }
            let payload = ContactPayload(name: name, recipient: recipient.encoded, created: Self.timestamp())
            let id = try insertItem(.contact, payload)
            return Contact(
                id: id, name: name, recipient: recipient.encoded, fingerprint: recipient.fingerprint, created: payload.created)
        }
    }

    /// `contact list`, by name.
    public func listContacts() throws(VaultError) -> [Contact] {
        try audited("contact-list", after: { ["count": String($0.count)] }) { () throws(VaultError) -> [Contact] in
            try contacts().sorted { TextFolding.fold($0.name).lexicographicallyPrecedes(TextFolding.fold($1.name)) }
        }
    }

    /// `contact rm NAME`.
    public func removeContact(name: String) throws(VaultError) {
        try audited("contact-rm", values: ["name": Array(name.utf8)]) { () throws(VaultError) -> Void in
            let c = try contact(named: name)
            let removed = try writing({ m in m.items[.contact]?.remove(c.id) }) { (seal) throws(VaultError) -> Bool in
                try store.deleteItem(.contact, id: c.id, manifest: seal)
            }
            guard removed else { throw .noSuchContact }
        }
    }

    func contact(named name: String) throws(VaultError) -> Contact {
        let folded = TextFolding.fold(name.trimmingCharacters(in: .whitespacesAndNewlines))
        guard let c = try contacts().first(where: { TextFolding.fold($0.name) == folded }) else {
            throw .noSuchContact
        }
        return c
    }

    /// The recipients of `share --to NAME…`, in the order given (unaudited: `share` audits their
    /// fingerprints in its own entry). A name given twice is one recipient.
    package func recipients(forContacts names: [String]) throws(VaultError) -> [(fingerprint: String, recipient: AgeRecipient)] {
        guard !names.isEmpty else { throw .invalidInput("share needs at least one --to CONTACT") }
        var out: [(String, AgeRecipient)] = []
        for name in names {
            let c = try contact(named: name)
            let r: AgeRecipient
            do { r = try AgeRecipient(parsing: c.recipient) } catch { throw SealedKind.contact.integrityError(id: c.id) }
            if !out.contains(where: { $0.1 == r }) { out.append((c.fingerprint, r)) }
        }
        return out
    }

    // MARK: - Receive

    /// `receive`: decrypts an age file with the vault's identity (in memory) and adds the plaintext
    /// as a new record, as `add` would (UTF-8, not empty). `provenance` is what a SourceVault share
    /// said about itself (SECURITY.md §13.4), recorded in the new record's metadata.
    public func receive(file: [UInt8], sourceAlias: String, title: String?, tags: [String] = []) throws(VaultError) -> String {
        var values = ["alias": Array(sourceAlias.utf8)]
        if let title { values["title"] = Array(title.utf8) }
        return try audited("receive", values: values, after: { ["record": $0] }) {
            () throws(VaultError) -> String in
            let identity = try openIdentity()
            let opened: AgeOpened
            do throws(AgeError) {
                opened = try Age.decryptWithNote(file, identity: identity, noteType: Self.provenanceStanza)
            } catch {
                throw Self.refusal(error)
            }
            let body: String = try opened.plaintext.withUnsafeBytes { (b) throws(VaultError) -> String in
                guard let s = String(validating: b, as: UTF8.self) else {
                    throw .invalidInput("the decrypted file is not UTF-8 text; nothing was added")
                }
                return s
            }
            guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .invalidInput("the decrypted file is empty; nothing was added")
            }
            var record = NewRecord(sourceAlias: sourceAlias, title: title ?? "", tags: tags, body: body)
            record.received = opened.note.flatMap(Self.provenance(fromNote:)) ?? "age"
            if title == nil { record.title = "Received " + String(Self.timestamp().prefix(10)) }
            return try insertRecord(record)
        }
    }

    /// The stanza type that carries a SourceVault share's provenance (SECURITY.md §13.4).
    package static let provenanceStanza = "sourcevault.org/v1/provenance"

    /// The keys a provenance note has, in this order.
    static let provenanceKeys = ["record", "version", "lines", "format", "sender"]

    /// The provenance note `share` writes (§13.4): `sourcevault record=ID version=N lines=A-B
    /// format=F sender=age1…`, each value letters, digits and `-` only. Anything else (another
    /// tool's note, a hostile one) is not recorded: the record says only `age`.
    static func provenance(fromNote bytes: [UInt8]) -> String? {
        guard bytes.count <= 300, let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 1 + provenanceKeys.count, parts[0] == "sourcevault" else { return nil }
        for (part, key) in zip(parts.dropFirst(), provenanceKeys) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, kv[0] == key, !kv[1].isEmpty,
                kv[1].utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 })
            else { return nil }
        }
        return text
    }

    /// One line for an age failure: the outcome, never bytes of the file. A modified file
    /// (header MAC, payload) is an integrity failure; the rest are bad input.
    static func refusal(_ e: AgeError) -> VaultError {
        switch e {
        case .headerFailure(let why): .ageFileRefused("the age file is malformed: \(why); nothing was added", damaged: false)
        case .noMatch:
            .ageFileRefused(
                "the age file is not encrypted to this vault's identity ('sourcevault identity' prints the recipient to send to)",
                damaged: false)
        case .hmacFailure:
            .ageFileRefused("the age file's header was modified (its MAC does not verify); nothing was added", damaged: true)
        case .payloadFailure(let why):
            .ageFileRefused("the age file's content does not decrypt (\(why)); nothing was added", damaged: true)
        case .armorFailure(let why):
            .ageFileRefused("the age file's armor is malformed: \(why); nothing was added", damaged: false)
        case .invalidKey(let why): .invalidInput(why)
        case .crypto(let why): .storage("cryptography failed: \(why)")
        }
    }
}
