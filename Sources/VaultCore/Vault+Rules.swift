import Foundation
import SodiumKit

/// Where a rule applies (SECURITY.md §6.6).
public enum RuleScope: Codable, Sendable, Equatable {
    case vault
    case source(id: String)
    case record(id: String)
}

/// A redaction rule as stored, encrypted (SECURITY.md §6.6). The vault stores and scopes rules;
/// what they match is the redaction layer's business, so this type knows nothing about matching.
public struct StoredRule: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case term, regex, detector }
    public var kind: Kind
    /// The term (kind `term`), the pattern (kind `regex`) or the detector name (kind `detector`).
    public var value: String
    public var variants: [String]
    /// Match inside longer words too (kind `term`).
    public var substring: Bool
    public var label: String
    public var replacement: String?
    public var scope: RuleScope
    public var created: String
    /// Its placeholder number (`[LABEL-number]`), assigned once per label when the rule is added
    /// (SECURITY.md §6.6); nil only for a rule of a format-1 vault not yet upgraded.
    public var number: Int?

    public init(
        kind: Kind, value: String, variants: [String] = [], substring: Bool = false, label: String,
        replacement: String? = nil, scope: RuleScope = .vault, created: String = ""
    ) {
        self.kind = kind; self.value = value; self.variants = variants; self.substring = substring
        self.label = label; self.replacement = replacement; self.scope = scope; self.created = created
    }

    /// True if `self` applies to a record of `sourceID`.
    public func applies(toRecord recordID: String, sourceID: String) -> Bool {
        switch scope {
        case .vault: true
        case .source(let id): id == sourceID
        case .record(let id): id == recordID
        }
    }
}

/// One export, kept encrypted so `provenance` can trace a published excerpt (SECURITY.md §6.7).
public struct ExportEntry: Codable, Sendable, Equatable {
    public var recordID: String
    public var version: Int
    public var firstLine: Int
    public var lastLine: Int
    public var format: String
    /// BLAKE2b-256 (hex) of the redacted excerpt text.
    public var excerptHash: String
    /// BLAKE2b-256 (hex) of the exact bytes written.
    public var outputHash: String
    /// Redactions by label.
    public var redactions: [String: Int]
    /// Near-miss leak-check hits the reporter accepted for this export (`RULE_ID:LINE`).
    public var accepted: [String]
    public var created: String
    /// The record's source id when it was exported (format 4, §6.11): the ledger counts per source
    /// and outlives the record.
    public var source: String?
    /// The source's facts the published text states, with their kinds (§6.11): the kind is kept
    /// so a fact removed later still counts as what it was.
    public var facts: [PublishedFact]?

    public init(
        recordID: String, version: Int, firstLine: Int, lastLine: Int, format: String, excerptHash: String,
        outputHash: String, redactions: [String: Int], accepted: [String], created: String = "",
        source: String? = nil, facts: [PublishedFact]? = nil
    ) {
        self.recordID = recordID; self.version = version; self.firstLine = firstLine; self.lastLine = lastLine
        self.format = format; self.excerptHash = excerptHash; self.outputHash = outputHash
        self.redactions = redactions; self.accepted = accepted; self.created = created
        self.source = source; self.facts = facts
    }
}

extension Vault {
    // MARK: - Rules

    /// Stores a rule; returns its id. Refuses an empty value and an identical rule (same kind,
    /// value and variants after folding, same scope).
    public func addRule(_ rule: StoredRule) throws(VaultError) -> String {
        try audited("rule-add", values: ["term": Array(rule.value.utf8)], after: { ["rule": $0] }) {
            () throws(VaultError) -> String in
            try self.insertRule(rule)
        }
    }

    /// `rule list`: every rule, audited.
    public func listRules() throws(VaultError) -> [(id: String, rule: StoredRule)] {
        try audited("rule-list", after: { ["count": String($0.count)] }) {
            () throws(VaultError) -> [(id: String, rule: StoredRule)] in
            try self.rules()
        }
    }

    private func insertRule(_ rule: StoredRule) throws(VaultError) -> String {
        var rule = rule
        rule.value = rule.value.trimmingCharacters(in: .whitespacesAndNewlines)
        rule.variants = rule.variants.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard !rule.value.isEmpty else { throw .invalidInput("the rule's term is empty") }
        // SECURITY.md §6.6: a label is [A-Z][A-Z0-9_]*, at most 32 bytes (it goes into placeholders
        // and, with its length in one byte, into the manifest).
        guard let first = rule.label.utf8.first, (65...90).contains(first), rule.label.utf8.count <= 32,
            rule.label.utf8.allSatisfy({ (65...90).contains($0) || (48...57).contains($0) || $0 == 95 })
        else {
            throw .invalidInput("a rule label is A-Z, digits and _, starting with a letter, at most 32 characters")
        }
        guard !rule.variants.contains(where: \.isEmpty) else { throw .invalidInput("a --variant is empty") }
        switch rule.scope {
        case .vault: break
        case .source(let id): guard try sources().contains(where: { $0.id == id }) else { throw .noSuchSource }
        case .record(let id): _ = try resolveRecordID(id)
        }
        let key = Self.identity(rule)
        if let existing = try rules().first(where: { Self.identity($0.rule) == key }) {
            throw .invalidInput("an identical rule already exists (\(existing.id))")
        }
        rule.created = Self.timestamp()
        // Its placeholder number: one above any number the label ever had (deleted rules' too).
        let highest = max(
            try rules().filter { $0.rule.label == rule.label }.compactMap(\.rule.number).max() ?? 0,
            formatVersion >= 2 ? try currentManifest().placeholderNumbers[rule.label] ?? 0 : 0)
        rule.number = highest + 1
        return try insertItem(.rule, rule) { [label = rule.label, number = highest + 1] (m: inout Manifest) throws in
            // Checked inside the write transaction: another process may have given this number to
            // a rule added since it was chosen (two people must never share a placeholder).
            guard (m.placeholderNumbers[label] ?? 0) < number else {
                throw VaultError.storage("another process added a rule at the same time; nothing was changed, try again")
            }
            m.placeholderNumbers[label] = number
        }
    }

    /// Every rule with its id, decrypted, after checking that the rule rows are exactly the ones the manifest lists
    /// (SECURITY.md §6.8): a rule deleted from the file without the key must not let a name through. A
    /// damaged rule is an integrity error too: exporting without all rules would fail open.
    package func rules() throws(VaultError) -> [(id: String, rule: StoredRule)] {
        let (rows, sealedManifest) = try store.allItemsWithManifest(.rule)
        try verifyRuleSet(rows.map(\.id), against: sealedManifest)
        let decoded = decodeItems(rows, .rule, as: StoredRule.self)
        if let damaged = decoded.problems.first { throw damaged }
        // Format 2 numbers every rule (§6.6): one without is an older copy put back.
        if formatVersion >= 2, let old = decoded.items.first(where: { $0.value.number == nil }) {
            throw .vaultIntegrity("rule \(old.id) has no placeholder number: an older copy of it was put back")
        }
        return decoded.items.map { ($0.id, $0.value) }
    }

    /// The rules that apply to one record (vault-wide, its source's, its own).
    package func rules(forRecord recordID: String, sourceID: String) throws(VaultError) -> [(id: String, rule: StoredRule)] {
        try rules().filter { $0.rule.applies(toRecord: recordID, sourceID: sourceID) }
    }

    /// Deletes a rule by id or unique prefix (4+ characters); returns the full id.
    public func removeRule(_ idOrPrefix: String) throws(VaultError) -> String {
        try audited("rule-rm", after: { ["rule": $0] }) { () throws(VaultError) -> String in
            try self.deleteRule(idOrPrefix)
        }
    }

    private func deleteRule(_ idOrPrefix: String) throws(VaultError) -> String {
        let id = try resolveItemID(
            .rule, idOrPrefix, what: "rule", notFound: .noSuchRule(prefix: idOrPrefix),
            ambiguous: { .ambiguousRuleID(prefix: idOrPrefix, matches: $0) })
        _ = try writing({ _ = $0.items[.rule]?.remove(id) }) { (m) throws(VaultError) -> Bool in
            try store.deleteItem(.rule, id: id, manifest: m)
        }
        return id
    }

    // MARK: - Export provenance

    /// Seals an export's provenance entry; returns its id. Called by Publishing before the export
    /// is audited and written (it is removed again if either fails).
    ///
    /// With `exportIDs` (the ledger the disclosure guard read, ``ledgerSnapshot(sourceID:)``), only
    /// if the manifest, read in the write transaction, still lists exactly those export entries;
    /// else nothing is written and the result is nil: another export was recorded meanwhile,
    /// perhaps by another process, and the guard must look again (SECURITY.md §6.11).
    @discardableResult
    package func recordExport(_ entry: ExportEntry, ifExportsAre exportIDs: Set<String>? = nil) throws(VaultError)
        -> String?
    {
        var entry = entry
        entry.created = Self.timestamp()
        let id = try Self.newObjectID()
        let row = SealedItemRow(id: id, sealed: try keyring.seal(.export, try Self.encodeJSON(entry), id: id))
        var changed = false
        do {
            try writing({ m in
                if let exportIDs, (m.items[.export] ?? []) != exportIDs {
                    changed = true
                    throw VaultError.storage("the export ledger changed while this export was checked")
                }
                m.items[.export, default: []].insert(id)
            }) { (m) throws(VaultError) -> Void in
                try store.insertItem(.export, row, manifest: m)
            }
        } catch {
            if changed { return nil }
            throw error
        }
        return id
    }

    /// Removes the entry of an export that was not written after all (its audit entry or its
    /// output file failed).
    package func removeExport(_ id: String) throws(VaultError) {
        _ = try writing({ _ = $0.items[.export]?.remove(id) }) { (m) throws(VaultError) -> Bool in
            try store.deleteItem(.export, id: id, manifest: m)
        }
    }

    /// Every export entry (Publishing's `provenance` audits the lookup).
    package func exports() throws(VaultError) -> [ExportEntry] {
        try items(.export, as: ExportEntry.self).map(\.value)
    }

    // MARK: - Helpers

    private static func identity(_ r: StoredRule) -> String {
        let fold: (String) -> String = {
            String(decoding: TextFolding.fold($0), as: UTF8.self).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        let value = r.kind == .term ? fold(r.value) : r.value
        return [r.kind.rawValue, value, r.variants.map(fold).sorted().joined(separator: "\u{1F}"), "\(r.scope)"]
            .joined(separator: "\u{1E}")
    }
}

/// A key for placeholder names, held in secure memory by the closure `placeholderNamer` returns.
private final class PlaceholderKey: @unchecked Sendable {
    let key: SecureBytes
    init(_ key: consuming SecureBytes) { self.key = key }
}

extension Vault {
    /// SECURITY.md §6.6: names for what detector and regex rules match, stable across excerpts and
    /// records: eight letters from 20 consonants (no vowels: no word can be spelled), taken from
    /// BLAKE2b-256 keyed with subkey 12 over `LABEL || 0x00 || the folded match`. Without the key the
    /// name says nothing about the value; with it, equal values give equal names.
    package func placeholderNamer() throws(VaultError) -> @Sendable (String) -> String {
        let box = PlaceholderKey(try Subkey.placeholder.derive(from: keyring.master))
        // (The letters made once and the name written in place: on text dense with numbers this
        // runs for each of a hundred thousand values.)
        let letters = Array("BCDFGHJKLMNPQRSTVWXZ".utf8)
        return { input in
            guard let mac = try? GenericHash.keyedHash(Array(input.utf8), key: box.key, length: 32) else { return "X" }
            var value = mac.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return String(unsafeUninitializedCapacity: 8) { out in
                for i in 0..<8 {
                    out[i] = letters[Int(value % 20)]
                    value /= 20
                }
                return 8
            }
        }
    }
}
