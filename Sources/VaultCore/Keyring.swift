import SodiumKit

/// SECURITY.md §5: one master key and every subkey that seals something, derived once at unlock,
/// held in secure memory and wiped when the keyring is released. Non-copyable: a key exists once.
///
/// Everything sealed under a master subkey goes through `seal` and `open` here, which read the
/// kind's subkey, associated data and padding from ``SealedKind``. Record fields are sealed with
/// the record's own key (``Vault`` opens those into reused buffers).
struct Keyring: ~Copyable {
    let vaultID: [UInt8]
    let master: SecureBytes
    private let keys: SealingKeys

    /// The master subkeys that seal something (``Subkey/sealing``), one field each.
    private struct SealingKeys: ~Copyable {
        let recordKeyWrap, source, rule, export, auditRootSeal, retention, manifest: SecureBytes
    }

    /// `master` must be 32 bytes (``KeySlot`` checks what it unwraps).
    init(master: consuming SecureBytes, vaultID: [UInt8]) throws(VaultError) {
        // Derived before anything is stored: a noncopyable value must not be left half-initialized.
        let keys = SealingKeys(
            recordKeyWrap: try Subkey.recordKeyWrap.derive(from: master), source: try Subkey.source.derive(from: master),
            rule: try Subkey.rule.derive(from: master), export: try Subkey.export.derive(from: master),
            auditRootSeal: try Subkey.auditRootSeal.derive(from: master), retention: try Subkey.retention.derive(from: master),
            manifest: try Subkey.manifest.derive(from: master))
        self.vaultID = vaultID
        self.keys = keys
        self.master = master
    }

    /// A keyring for a new random master key (`init`, `rekey`).
    static func random(vaultID: [UInt8]) throws(VaultError) -> Keyring {
        try Keyring(master: try Vault.sodium { try SecureBytes.random(count: VaultFormat.masterKeyBytes) }, vaultID: vaultID)
    }

    /// Runs `body` with the master subkey that seals `kind`.
    func withKey<R>(for kind: SealedKind, _ body: (borrowing SecureBytes) throws(VaultError) -> R) throws(VaultError) -> R {
        switch kind.subkey {
        case .recordKeyWrap?: try body(keys.recordKeyWrap)
        case .source?: try body(keys.source)
        case .rule?: try body(keys.rule)
        case .export?: try body(keys.export)
        case .auditRootSeal?: try body(keys.auditRootSeal)
        case .retention?: try body(keys.retention)
        case .manifest?: try body(keys.manifest)
        default: throw .storage("internal error: \(kind) is not sealed under a master subkey")
        }
    }

    /// Seals `plaintext` as `kind` (padded first if the kind is).
    func seal(_ kind: SealedKind, _ plaintext: [UInt8], id: String = "") throws(VaultError) -> [UInt8] {
        let ad = kind.ad(vaultID: vaultID, id: id)
        return try withKey(for: kind) { (key) throws(VaultError) -> [UInt8] in
            guard kind.isPadded else { throw .storage("internal error: \(kind) is sealed from secure memory only") }
            return try Vault.sealPadded(plaintext, key: key, ad: ad)
        }
    }

    /// Seals a secret held in secure memory (no copy of it outside secure memory).
    func seal(_ kind: SealedKind, secure plaintext: borrowing SecureBytes, id: String = "") throws(VaultError) -> [UInt8] {
        let ad = kind.ad(vaultID: vaultID, id: id)
        return try withKey(for: kind) { (key) throws(VaultError) -> [UInt8] in
            guard kind.isPadded else { return try Vault.sodium { try XChaCha20Poly1305.seal(plaintext, key: key, associatedData: ad) } }
            return try Vault.sealPadded(secure: plaintext, key: key, ad: ad)
        }
    }

    /// Opens a `kind` sealed as `id`; any failure is the kind's integrity error.
    func open(_ kind: SealedKind, _ sealed: [UInt8], id: String = "") throws(VaultError) -> SecureBytes {
        let ad = kind.ad(vaultID: vaultID, id: id)
        let integrity = kind.integrityError(id: id)
        switch kind.subkey {
        case .recordKeyWrap?: return try Self.open(sealed, key: keys.recordKeyWrap, ad: ad, padded: kind.isPadded, integrity: integrity)
        case .source?: return try Self.open(sealed, key: keys.source, ad: ad, padded: kind.isPadded, integrity: integrity)
        case .rule?: return try Self.open(sealed, key: keys.rule, ad: ad, padded: kind.isPadded, integrity: integrity)
        case .export?: return try Self.open(sealed, key: keys.export, ad: ad, padded: kind.isPadded, integrity: integrity)
        case .auditRootSeal?: return try Self.open(sealed, key: keys.auditRootSeal, ad: ad, padded: kind.isPadded, integrity: integrity)
        case .retention?: return try Self.open(sealed, key: keys.retention, ad: ad, padded: kind.isPadded, integrity: integrity)
        case .manifest?: return try Self.open(sealed, key: keys.manifest, ad: ad, padded: kind.isPadded, integrity: integrity)
        default: throw .storage("internal error: \(kind) is not sealed under a master subkey")
        }
    }

    private static func open(_ sealed: [UInt8], key: borrowing SecureBytes, ad: [UInt8], padded: Bool,
                             integrity: VaultError) throws(VaultError) -> SecureBytes {
        if padded { return try Vault.openPadded(sealed, key: key, ad: ad, integrity: integrity) }
        do { return try XChaCha20Poly1305.open(sealed, key: key, associatedData: ad) } catch .outOfMemory {
            throw .storage("secure memory unavailable")
        } catch {
            throw integrity
        }
    }

    /// Opens a `kind` sealed under `self` and seals it again under `other` (`rekey`).
    func reseal(_ kind: SealedKind, _ sealed: [UInt8], id: String = "", under other: borrowing Keyring) throws(VaultError) -> [UInt8] {
        try other.seal(kind, secure: try open(kind, sealed, id: id), id: id)
    }

    /// SECURITY.md §5: the master check value of this master key.
    func masterCheck() throws(VaultError) -> [UInt8] {
        let sub = try Subkey.masterCheck.derive(from: master)
        let message = VaultFormat.masterCheckMessage(vaultID: vaultID)
        return try Vault.sodium { try GenericHash.keyedHash(message, key: sub, length: 32) }
    }
}
