import SodiumKit

/// SECURITY.md §5: the subkeys, each `crypto_kdf_derive_from_key(id, context)` of its parent key
/// (the master key, or the audit root key for the three audit subkeys).
enum Subkey: UInt64, CaseIterable {
    /// Wrap each record's key, seal sources, rules and export entries.
    case recordKeyWrap = 1, source = 2, rule = 3, export = 4
    /// Of the audit root key: the MAC of log entries and of the audit state.
    case auditMAC = 5
    /// Of the audit root key: the Ed25519 seed of the log's signing key.
    case auditSigning = 6
    /// Of the audit root key: keyed hashes of sensitive values in log entries.
    case auditValue = 7
    /// Seals the audit root key (so a rekey can keep the log's keys and public key).
    case auditRootSeal = 8
    /// Seals the retention index (record id → retain-until day).
    case retention = 9
    /// A value only the current master key produces (SECURITY.md §5, master check).
    case masterCheck = 10
    /// Seals the manifest of the vault's whole state (SECURITY.md §6.8).
    case manifest = 11
    /// Keys the stable placeholder names of detector and regex matches (SECURITY.md §6.6).
    case placeholder = 12
    /// Seals the vault's age identity (format 3, SECURITY.md §6.9).
    case identity = 13
    /// Seals contacts, the age recipients `share` encrypts to (format 3, SECURITY.md §6.10).
    case contact = 14
    /// Seals facts, what may be published about a source but narrows who they are (format 4,
    /// SECURITY.md §6.11).
    case fact = 15
    /// Seals the summary pages `list` reads (format 5, SECURITY.md §6.12).
    case summaryPage = 16

    /// The 8-byte `crypto_kdf` context, in subkey id order (SECURITY.md §5's table).
    var context: String { Self.contexts[Int(rawValue) - 1] }
    private static let contexts = [
        "SVrecKEK", "SVsource", "SVrules_", "SVexport", "SVauditM", "SVauditS", "SVauditV",
        "SVauditK", "SVretain", "SVmcheck", "SVmanife", "SVplaceh", "SVidenty", "SVcontct",
        "SVfacts_", "SVsummry"
    ]

    /// The subkeys of the master key that seal something (the rest are audit subkeys of the audit
    /// root key, or the master check).
    static let sealing: [Subkey] = [
        .recordKeyWrap, .source, .rule, .export, .auditRootSeal, .retention, .manifest, .identity, .contact, .fact,
        .summaryPage
    ]

    /// Derives this subkey of `parent`.
    func derive(from parent: borrowing SecureBytes) throws(VaultError) -> SecureBytes {
        let id = rawValue
        let context = self.context
        return try Vault.sodium { try KeyDerivation.deriveSubkey(from: parent, subkeyID: id, context: context) }
    }
}

/// SECURITY.md §6: the one table of sealed kinds. For each kind: the key it is sealed under, how
/// its associated data is built, whether it is padded (§7), where it is stored and which integrity
/// error names it. `seal`, `open`, `check` and `rekey` are loops over this table: adding a sealed
/// kind is one case here, its payload type, and (for a kind stored as rows) its table.
enum SealedKind: CaseIterable, Sendable {
    /// A record's own 32-byte key, wrapped (§6.1).
    case recordKey
    /// A record version's metadata JSON (§6.4), sealed with the record's key.
    case recordMeta
    /// A record version's testimony (§6.5), sealed with the record's key.
    case recordBody
    /// A source's JSON (§6.3).
    case source
    /// A redaction rule's JSON (§6.6).
    case rule
    /// An export provenance entry's JSON (§6.7).
    case export
    /// The retention index (§8.3), one per vault.
    case retentionIndex
    /// The audit root key (§5), one per vault.
    case auditRootKey
    /// The manifest of the vault's whole state (§6.8), one per vault (format 2).
    case manifest
    /// The vault's age X25519 identity: its 32-byte secret scalar (§6.9, format 3).
    case identity
    /// A contact: a name and an age recipient (§6.10, format 3).
    case contact
    /// A fact about a source (§6.11, format 4).
    case fact
    /// A summary page: up to 256 records' latest metadata, in the order they were added (§6.12,
    /// format 5).
    case summaryPage

    /// The master-key subkey this kind is sealed with; nil for record fields, which are sealed with
    /// the record's own key.
    var subkey: Subkey? {
        switch self {
        case .recordKey: .recordKeyWrap
        case .recordMeta, .recordBody: nil
        case .source: .source
        case .rule: .rule
        case .export: .export
        case .retentionIndex: .retention
        case .auditRootKey: .auditRootSeal
        case .manifest: .manifest
        case .identity: .identity
        case .contact: .contact
        case .fact: .fact
        case .summaryPage: .summaryPage
        }
    }

    /// §6: the associated-data label (ASCII, NUL-terminated, before the vault id).
    var adLabel: String {
        switch self {
        case .recordKey: "sourcevault.v1.record-key"
        case .recordMeta, .recordBody: "sourcevault.v1.record-field"
        case .source: "sourcevault.v1.source"
        case .rule: "sourcevault.v1.rule"
        case .export: "sourcevault.v1.export"
        case .retentionIndex: "sourcevault.v1.retention-index"
        case .auditRootKey: "sourcevault.v1.audit-root-key"
        case .manifest: "sourcevault.v2.manifest"
        case .identity: "sourcevault.v3.identity"
        case .contact: "sourcevault.v3.contact"
        case .fact: "sourcevault.v4.fact"
        case .summaryPage: "sourcevault.v5.summary-page"
        }
    }

    /// §6: the field byte that ends a record field's associated data.
    var fieldByte: UInt8? {
        switch self {
        case .recordMeta: 1
        case .recordBody: 2
        default: nil
        }
    }

    /// Padded to the §7 length before sealing (a wrapped record key is not: it is always 32 bytes).
    var isPadded: Bool { self != .recordKey }

    /// The table of a kind stored as `(id, sealed)` rows (SECURITY.md §3); nil for the others.
    var itemTable: SealedItemKind? {
        switch self {
        case .source: .source
        case .rule: .rule
        case .export: .export
        case .identity: .identity
        case .contact: .contact
        case .fact: .fact
        case .summaryPage: .summaryPage
        default: nil
        }
    }

    /// The kinds stored as `(id, sealed)` rows, in the order `check` reports them.
    static let items: [SealedKind] = [.source, .rule, .export, .identity, .contact, .fact, .summaryPage]

    /// How a damaged item of this kind is reported.
    func integrityError(id: String) -> VaultError {
        switch self {
        case .recordKey, .recordMeta, .recordBody: .recordIntegrity(recordID: id)
        case .source: .sourceIntegrity(sourceID: id)
        case .rule: .itemIntegrity(kind: "rule", id: id)
        case .export: .itemIntegrity(kind: "export record", id: id)
        case .retentionIndex: .vaultIntegrity("the retention index failed its integrity check")
        case .auditRootKey: .vaultIntegrity("the audit key failed its integrity check")
        case .manifest: .vaultIntegrity("the manifest failed its integrity check")
        case .identity: .itemIntegrity(kind: "identity", id: id)
        case .contact: .itemIntegrity(kind: "contact", id: id)
        case .fact: .itemIntegrity(kind: "fact", id: id)
        case .summaryPage: .itemIntegrity(kind: "summary page", id: id)
        }
    }

    /// §6: `label || 0x00 || vault_id || id (ASCII)` and, for record fields,
    /// `|| version (u32 LE) || field byte`. Singletons (retention index, audit root key) have no id.
    func ad(vaultID: [UInt8], id: String = "", version: Int = 0) -> [UInt8] {
        var ad = prefix
        ad.reserveCapacity(ad.count + vaultID.count + id.utf8.count + 5)
        ad += vaultID
        ad += id.utf8
        if let fieldByte {
            let v = UInt32(truncatingIfNeeded: version)
            for shift: UInt32 in [0, 8, 16, 24] { ad.append(UInt8(truncatingIfNeeded: v >> shift)) }
            ad.append(fieldByte)
        }
        return ad
    }

    private var prefix: [UInt8] {
        switch self {
        case .recordKey: Self.recordKeyPrefix
        case .recordMeta, .recordBody: Self.fieldPrefix
        default: Array(adLabel.utf8) + [0]
        }
    }

    // list and search build two of these per record: the prefixes are made once.
    private static let recordKeyPrefix = Array("sourcevault.v1.record-key\0".utf8)
    private static let fieldPrefix = Array("sourcevault.v1.record-field\0".utf8)
}
