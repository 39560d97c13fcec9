import AgeFormat
import Foundation
import VaultCore

/// `share`: exactly what `export` would write (same selection, redaction, leak check, review
/// guard and provenance entry: ``Exporter/prepare(vault:id:version:selection:accept:noRules:)``
/// and ``Exporter/render(_:format:)``), encrypted in the age v1 format to each contact's
/// recipient before a byte is written (SECURITY.md §13.3). The plaintext stays in memory.
public enum Sharing {
    /// What a share wrote.
    public struct Shared: Sendable {
        /// The redacted excerpt; nil for `--unredacted`.
        public var excerpt: PreparedExcerpt?
        public var recordID: String
        public var version: Int
        public var recipients: Int
        /// Bytes of the plaintext and of the file written.
        public var plaintextBytes: Int
        public var fileBytes: Int
    }

    /// Shares a redacted excerpt (or, with `unredacted`, the whole testimony of that version: the
    /// CLI asks for confirmation first) with `contacts`, into `out`.
    public static func share(
        vault: Vault, id: String, version: Int? = nil, selection: ExcerptSelection, accept: [String] = [],
        noRules: Bool = false, acceptDisclosure: Bool = false, format: ExportFormat = .text, to contacts: [String],
        out: String, armor: Bool, overwrite: Bool = false, unredacted: Bool = false
    ) throws -> Shared {
        let recipients = try vault.recipients(forContacts: contacts)
        var ids = ["to": recipients.map(\.fingerprint).joined(separator: "."), "recipients": String(recipients.count)]
        if armor { ids["armor"] = "yes" }
        let plaintext: [UInt8]
        var excerpt: PreparedExcerpt? = nil
        let entry: ExportEntry
        if unredacted {
            let record = try vault.recordForPublishing(id, version: version)
            plaintext = Array(record.body.utf8)
            let lines = record.body.split(separator: "\n", omittingEmptySubsequences: false).count
            ids.merge(["record": record.summary.id, "version": String(record.summary.version), "unredacted": "yes"]) { $1 }
            let hash = try ContentHash.blake2b256Hex(plaintext)
            entry = ExportEntry(
                recordID: record.summary.id, version: record.summary.version, firstLine: 1, lastLine: max(1, lines),
                format: "unredacted", excerptHash: hash, outputHash: hash, redactions: [:], accepted: [])
        } else {
            let p = try Exporter.prepare(
                vault: vault, id: id, version: version, selection: selection, accept: accept, noRules: noRules,
                acceptDisclosure: acceptDisclosure)
            // The review guard, the leak check and the disclosure guard, as export applies them.
            try Exporter.gate(
                p, action: "share", format: format, noRules: noRules, acceptDisclosure: acceptDisclosure, vault: vault, ids: &ids)
            plaintext = try Exporter.render(p, format: format)
            excerpt = p
            entry = try Exporter.provenanceEntry(p, format: format, output: plaintext)
        }
        try OutputFile.checkTarget(
            out, overwrite: overwrite, protecting: [vault.directory] + [try vault.auditLogPath()].compactMap { $0 })
        let sender = try vault.openIdentity().recipient.encoded
        let note =
            "sourcevault record=\(entry.recordID) version=\(entry.version) lines=\(entry.firstLine)-\(entry.lastLine) "
            + "format=\(entry.format) sender=\(sender)"
        let file: [UInt8]
        do {
            file = try plaintext.withUnsafeBytes {
                try Age.encrypt(
                    $0, to: recipients.map(\.recipient), armor: armor, note: (Vault.provenanceStanza, Array(note.utf8)))
            }
        } catch { throw PublishingError.outputFailed("age encryption failed (\(error)); nothing was written") }
        let values: [String: [UInt8]] = ["excerpt": plaintext, "path": Array(out.utf8)]
        // Recorded, then audited, before a byte is written, as export is (a redacted excerpt only
        // on the ledger its disclosure guard read).
        let entryID: String
        if let excerpt {
            entryID = try DisclosureCheck.record(
                entry, excerpt.disclosure, accept: acceptDisclosure, vault: vault, action: "share", ids: &ids)
        } else {
            entryID = try vault.recordExport(entry) ?? ""
        }
        do { try vault.audit(AuditEvent("share", ids: ids, values: values)) } catch {
            try? vault.removeExport(entryID)
            throw error
        }
        do { try OutputFile.write(file, to: out, overwrite: overwrite) } catch {
            try? vault.audit(AuditEvent("share", outcome: .failed("io"), ids: ids, values: values))
            try? vault.removeExport(entryID)
            throw error
        }
        return Shared(
            excerpt: excerpt, recordID: entry.recordID, version: entry.version, recipients: recipients.count,
            plaintextBytes: plaintext.count, fileBytes: file.count)
    }
}
