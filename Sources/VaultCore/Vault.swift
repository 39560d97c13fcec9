import AgeFormat
import Foundation
import SodiumKit

/// What an unlock does besides opening the keys.
public enum UnlockPolicy: Sendable {
    /// A working session: the unlock is logged and retention applied (SECURITY.md §8.3).
    case session
    /// `audit verify --full`, `audit recover`: the log itself is in question, so only failed
    /// attempts are logged and nothing is shredded.
    case auditMaintenance
    /// `check`: logged like a session, but a vault whose rows differ from its manifest still opens,
    /// read-only, so every difference can be listed; nothing is shredded.
    case inspection
}

/// An unlocked vault: the one type through which every operation on vault contents goes, so that
/// auditing and policy can be added in one place. Holds the master key and its subkeys in secure
/// memory; they are wiped when the `Vault` is released.
public final class Vault {
    package let store: any VaultStore
    public let directory: String
    public let vaultID: [UInt8]
    /// The master key and every subkey that seals something (SECURITY.md §5).
    let keyring: Keyring
    /// This vault object's master-key check value (SECURITY.md §5).
    let masterCheckValue: [UInt8]
    /// Reused secure buffers for walking many records (SECURITY.md §1.1: plaintext in locked memory).
    let keyScratch: SecureScratch
    let dataScratch: SecureScratch
    /// Search folds each record's testimony here (locked, wiped after each record).
    let foldScratch: SecureScratch
    /// Adding records: each field is padded here before sealing, and each new record key is
    /// generated here (a secure allocation per field cost 5 system calls; import made tens of
    /// thousands). Wiped after each use.
    let sealScratch: SecureScratch
    let newKeyScratch: SecureScratch
    let auditMACKey: SecureBytes
    let auditValueKey: SecureBytes
    let auditSigningKey: Ed25519.SigningKey
    /// Where audited events go (SECURITY.md §11); nil only for library use without an audit log.
    package internal(set) var auditSink: AuditSink?
    /// Failed unlock attempts logged since the previous successful unlock.
    public internal(set) var failedAttemptsSinceLastSession = 0
    /// The manifest's generation (SECURITY.md §6.8): incremented by every write transaction; the
    /// audit log records it with each write so a vault file older than its log is noticed.
    /// Any change drops `verifiedManifest`: its bytes are no longer the newest manifest this process
    /// knows of, and a copy of them put back must be refused as a rollback (§6.8).
    package internal(set) var generation: UInt64 = 0 {
        didSet { if generation != oldValue { verifiedManifest = nil } }
    }
    /// The manifest the unlock opened and checked, with its lists copied out: a walk that reads the
    /// same sealed bytes in its transaction uses them instead of opening it again, and only while
    /// its generation is still the vault's (§6.8). Dropped by every write, upgrade, rekey, travel
    /// confirmation and retention shred (each changes the generation).
    var verifiedManifest: VerifiedManifest?
    /// Summary pages a write decoded in full (tests: the bisection reads only record ids).
    var pagesDecodedForWrites = 0
    /// Set by a manifest update inside a write transaction; becomes `generation` on commit. Setting
    /// it drops `verifiedManifest` too (a seal that was drawn may be committed even if the caller
    /// never learns it).
    var pendingGeneration: UInt64? {
        didSet { if pendingGeneration != nil { verifiedManifest = nil } }
    }
    /// The digest of the sealed retention index last read (`.some(nil)`: there was none; nil: not
    /// read by this process), for the compare-and-swap of its next save.
    var retentionIndexRead: [UInt8]??
    /// The vault's format (SECURITY.md §3): 1 until its first unlock by this version, then 2.
    package internal(set) var formatVersion: Int
    /// The key slots came back from a travel bundle since the last unlock (confirmed after it).
    var travelReturned = false
    /// Opened by `check` although its rows differ from its manifest: nothing may be written.
    package internal(set) var manifestDamaged = false
    /// Records shredded by the retention policy when this vault was unlocked (SECURITY.md §8.3).
    public internal(set) var shreddedAtUnlock: [String] = []
    /// Warnings from writes that went ahead around a problem (a summary page left as it was, an
    /// upgrade put off: SECURITY.md §3, §6.12), kept until `onNotice` is set, then passed to it.
    public internal(set) var notices: [String] = []
    /// Receives every later notice (the CLI prints them); set after the unlock.
    public var onNotice: ((String) -> Void)?

    func notice(_ message: String) {
        if let onNotice { onNotice(message) } else { notices.append(message) }
    }

    /// `creating`: a new vault, whose first manifest is written after this (no manifest check).
    /// `inspecting`: a manifest mismatch leaves the vault open read-only instead of refusing it.
    init(
        store: any VaultStore, directory: String, vaultID: [UInt8], formatVersion: Int, keyring: consuming Keyring,
        creating: Bool = false, inspecting: Bool = false
    ) throws(VaultError) {
        self.store = store
        self.directory = directory
        self.vaultID = vaultID
        self.formatVersion = formatVersion
        // The manifest first (SECURITY.md §6.8): nothing is written to a vault whose rows are not
        // the ones it lists (the audit key and master check below are only ever written by init
        // and by the first unlock of a format-1 vault).
        if formatVersion >= 2 && !creating {
            do {
                (self.generation, self.travelReturned, self.verifiedManifest) = try Self.verifyManifestAtUnlock(
                    store: store, keyring: keyring, formatVersion: formatVersion)
            } catch {
                guard inspecting, case .vaultIntegrity = error else { throw error }
                self.manifestDamaged = true
                // The generation of the manifest that opened still guards the repair writes an
                // inspection allows (`check --rebuild-pages`) against a rollback raced in (§6.8).
                if let sealed = try? store.sealedManifest(), let m = try? Self.openManifest(sealed, keyring: keyring) {
                    self.generation = m.generation
                }
            }
        }
        self.keyScratch = try Self.sodium { try SecureScratch(capacity: XChaCha20Poly1305.keyBytes) }
        self.dataScratch = try Self.sodium { try SecureScratch(capacity: 8192) }
        self.foldScratch = try Self.sodium { try SecureScratch(capacity: 8192) }
        self.sealScratch = try Self.sodium { try SecureScratch(capacity: 8192) }
        self.newKeyScratch = try Self.sodium { try SecureScratch(capacity: XChaCha20Poly1305.keyBytes) }
        // Created only by init and by the first unlock of a format-1 vault made before it existed.
        let mayCreate = creating || formatVersion < 2
        let auditRoot = try Self.loadOrCreateAuditRootKey(store: store, keyring: keyring, mayCreate: mayCreate)
        self.auditMACKey = try Subkey.auditMAC.derive(from: auditRoot)
        self.auditValueKey = try Subkey.auditValue.derive(from: auditRoot)
        let seed = try Subkey.auditSigning.derive(from: auditRoot)
        self.auditSigningKey = try Self.sodium { try Ed25519.SigningKey(seed: seed) }
        self.masterCheckValue = try keyring.masterCheck()
        if try store.masterCheck() == nil {
            guard mayCreate else { throw .vaultIntegrity("the master check value is missing (deleted from the file?)") }
            try store.saveMasterCheck(masterCheckValue, manifest: nil)
        }
        self.keyring = keyring
    }

    /// False once another process has rekeyed the vault: this object's keys are stale and must not
    /// write (a session unlocks again).
    public func keysAreCurrent() -> Bool {
        (try? store.masterCheck()) == masterCheckValue
    }

    /// The audit root key: opened from the vault, or (first unlock of a vault made before it
    /// existed, or a new vault) created and stored.
    static func loadOrCreateAuditRootKey(
        store: any VaultStore, keyring: borrowing Keyring,
        mayCreate: Bool = true
    ) throws(VaultError) -> SecureBytes {
        if let sealed = try store.sealedAuditRootKey() {
            let root = try keyring.open(.auditRootKey, sealed)
            guard root.count == 32 else { throw .vaultIntegrity("the audit key has the wrong length") }
            return root
        }
        // A format-2 vault always has one (its manifest lists it): never make a new one there.
        guard mayCreate else { throw .vaultIntegrity("the audit key is missing (deleted from the file?)") }
        let root = try sodium { try SecureBytes.random(count: 32) }
        try store.saveSealedAuditRootKey(try keyring.seal(.auditRootKey, secure: root), manifest: nil)
        return root
    }

    /// The database path inside a vault directory.
    public static func databasePath(in directory: String) -> String {
        (directory as NSString).appendingPathComponent(VaultFormat.databaseFileName)
    }

    // MARK: - Creating and unlocking

    /// Creates a new vault in `directory` (which must not exist, or be an empty directory owned by
    /// us), with a passphrase slot and a recovery slot.
    ///
    /// The database is built under a temporary name and linked into place only after
    /// `showRecoveryKey` returned: a vault never exists whose recovery key nobody saw, and a kill at
    /// any point leaves either no vault or a complete one.
    package static func create(
        directory: String, passphrase: borrowing SecureBytes, profile: KDFProfile,
        audit: AuditSink? = nil, auditLogPath: String? = nil,
        showRecoveryKey: (String) throws -> Void
    ) throws(VaultError) -> Vault {
        guard passphrase.count > 0 else { throw .invalidInput("the passphrase is empty") }
        try prepareDirectory(directory)
        let vaultID = try sodium { try Random.bytes(VaultFormat.vaultIDBytes) }
        let keyring = try Keyring.random(vaultID: vaultID)
        let version = VaultFormat.currentVersion
        let passSlot = try KeySlot.passphrase(
            keyring.master, passphrase: passphrase, vaultID: vaultID,
            opsLimit: profile.opsLimit, memLimit: profile.memLimit)
        let (recSlot, printable) = try KeySlot.recovery(keyring.master, vaultID: vaultID)

        let path = databasePath(in: directory)
        let temp = (directory as NSString).appendingPathComponent(creatingPrefix + Hex.encode(try sodium { try Random.bytes(6) }))
        do {
            let staging = try VaultFiles.createStore(path: temp)
            try staging.initialize(
                header: VaultHeader(formatVersion: version, vaultID: vaultID),
                slots: [passSlot, recSlot])
            if audit == nil {
                let staged = try Vault(
                    store: staging, directory: directory, vaultID: vaultID, formatVersion: version,
                    keyring: try Keyring(master: try sodium { try keyring.master.duplicate() }, vaultID: vaultID),
                    creating: true)
                _ = try staged.createFirstIdentity()
                try staged.writeFirstManifest()
            }
            if let audit {
                // The audit log starts before the vault exists under its real name: a vault is
                // never usable without one. Its state goes into the staging database.
                let copy = try Keyring(master: try sodium { try keyring.master.duplicate() }, vaultID: vaultID)
                let staged = try Vault(
                    store: staging, directory: directory, vaultID: vaultID, formatVersion: version,
                    keyring: copy, creating: true)
                let recipient = try staged.createFirstIdentity()
                try staged.writeFirstManifest()
                staged.auditSink = audit
                try staged.audit(AuditEvent("init", ids: ["kdf": profile.rawValue]))
                try staged.audit(AuditEvent("identity-create", ids: ["recipient": recipient.fingerprint]))
            }
            try staging.close()
            chmod(temp, 0o600)
            do { try showRecoveryKey(printable) } catch {
                throw VaultError.storage("could not show the recovery key (\(error)); no vault was created")
            }
            // Linked, never renamed: a concurrent init cannot be clobbered.
            do { try AtomicFile.commit(temp, to: path, replace: false) } catch {
                switch error {
                case .exists: throw VaultError.vaultAlreadyExists(path: directory)
                case .failed(let why): throw VaultError.storage("cannot create \(path): \(why)")
                }
            }
        } catch let e as VaultError {
            unlink(temp)
            throw e
        } catch {
            unlink(temp)
            throw .storage("\(error)")
        }
        let (store, _) = try openStore(directory)  // the header and the schema pin, like every open
        let vault = try Vault(store: store, directory: directory, vaultID: vaultID, formatVersion: version, keyring: keyring)
        vault.auditSink = audit
        return vault
    }

    /// Name prefix of a database being created; a leftover one (killed `init`) is removed by the next `init`.
    static let creatingPrefix = ".vault.sqlite3.creating-"

    /// Unlocks with the passphrase slot. With an audit sink, a failed attempt is logged and a
    /// successful one is logged before the vault is returned.
    package static func unlock(
        directory: String, passphrase: borrowing SecureBytes, audit: AuditSink? = nil,
        policy: UnlockPolicy = .session
    ) throws(VaultError) -> Vault {
        let (store, header) = try openStore(directory)
        return try unlock(
            store: store, header: header, directory: directory, passphrase: passphrase, audit: audit, policy: policy)
    }

    /// Unlocks a vault held by any store (the in-memory test double uses this directly).
    package static func unlock(
        store: any VaultStore, header: VaultHeader, directory: String, passphrase: borrowing SecureBytes,
        audit: AuditSink? = nil, policy: UnlockPolicy = .session
    ) throws(VaultError) -> Vault {
        guard let slot = try store.keySlot(.passphrase) else {
            throw .noSuchKeySlot(
                "this vault has no passphrase slot (if its key slots are away in a travel bundle, see 'sourcevault status')")
        }
        return try open(store: store, header: header, directory: directory, audit: audit, policy: policy, method: "passphrase") {
            () throws(VaultError) -> SecureBytes in try KeySlot.unwrap(slot, passphrase: passphrase, header: header)
        }
    }

    /// A new vault in an empty `store` (no files: the in-memory test double). Returns the vault and
    /// its printable recovery key.
    package static func create(
        in store: any VaultStore, directory: String, passphrase: borrowing SecureBytes,
        profile: KDFProfile
    ) throws(VaultError) -> (Vault, String) {
        let vaultID = try sodium { try Random.bytes(VaultFormat.vaultIDBytes) }
        let keyring = try Keyring.random(vaultID: vaultID)
        let passSlot = try KeySlot.passphrase(
            keyring.master, passphrase: passphrase, vaultID: vaultID,
            opsLimit: profile.opsLimit, memLimit: profile.memLimit)
        let (recSlot, printable) = try KeySlot.recovery(keyring.master, vaultID: vaultID)
        try store.initialize(
            header: VaultHeader(formatVersion: VaultFormat.currentVersion, vaultID: vaultID), slots: [passSlot, recSlot])
        let vault = try Vault(
            store: store, directory: directory, vaultID: vaultID, formatVersion: VaultFormat.currentVersion,
            keyring: keyring, creating: true)
        _ = try vault.createFirstIdentity()
        try vault.writeFirstManifest()
        return (vault, printable)
    }

    /// Unlocks with the recovery slot; `typedKey` is the recovery key as the person typed it.
    package static func unlock(
        directory: String, recoveryKey typedKey: borrowing SecureBytes, audit: AuditSink? = nil,
        policy: UnlockPolicy = .session
    ) throws(VaultError) -> Vault {
        let (store, header) = try openStore(directory)
        return try unlock(
            store: store, header: header, directory: directory, recoveryKey: typedKey, audit: audit, policy: policy)
    }

    /// The vault in `directory` opened and checked (header, schema pin) without any key, to be
    /// unlocked once the secret is in hand: the CLI checks the audit log on it before asking.
    package static func locked(directory: String) throws(VaultError) -> LockedVault {
        let (store, header) = try openStore(directory)
        return LockedVault(directory: directory, store: store, header: header)
    }

    static func unlock(
        store: any VaultStore, header: VaultHeader, directory: String, recoveryKey typedKey: borrowing SecureBytes,
        audit: AuditSink?, policy: UnlockPolicy
    ) throws(VaultError) -> Vault {
        let key = try RecoveryKey.decode(typedKey)
        guard let slot = try store.keySlot(.recovery) else { throw .noSuchKeySlot("this vault has no recovery key slot") }
        return try open(store: store, header: header, directory: directory, audit: audit, policy: policy, method: "recovery") {
            () throws(VaultError) -> SecureBytes in try KeySlot.unwrap(slot, recoveryKey: key, header: header)
        }
    }

    /// Unwraps the master key with `unwrap`; a wrong secret is logged as a failed unlock.
    private static func open(
        store: any VaultStore, header: VaultHeader, directory: String, audit: AuditSink?,
        policy: UnlockPolicy, method: String,
        unwrap: () throws(VaultError) -> SecureBytes
    ) throws(VaultError) -> Vault {
        let master: SecureBytes
        do { master = try unwrap() } catch {
            if error == .wrongPassphrase || error == .wrongRecoveryKey {
                audit?.failedUnlock(store: store, vaultID: header.vaultID, method: method)
            }
            throw error
        }
        // The header and schema were checked before the secret was asked for; the file may have
        // been replaced or changed while the prompt waited.
        try store.confirmUnchanged(since: header)
        let vault = try Vault(
            store: store, directory: directory, vaultID: header.vaultID, formatVersion: header.formatVersion,
            keyring: try Keyring(master: master, vaultID: header.vaultID), inspecting: policy == .inspection)
        return try attach(vault, audit, method, policy)
    }

    /// The unlock policy: the unlock is logged (and failed attempts since the last session
    /// counted), then retention shreds what is due (SECURITY.md §8.3), before the vault is returned.
    private static func attach(
        _ vault: Vault, _ audit: AuditSink?, _ method: String,
        _ policy: UnlockPolicy
    ) throws(VaultError) -> Vault {
        vault.auditSink = audit
        if let audit {
            do { vault.failedAttemptsSinceLastSession = try audit.unlocked(vault, method: method) } catch let e as VaultError {
                throw e
            } catch {
                throw .auditUnavailable("\(error)")
            }
        }
        // The upgrade vouches for the rows as they are: only in a session whose audit log was
        // verified (a vault whose manifest and log were both deleted and header edited back must
        // not be re-vouched by `audit recover`, `rebind` or `verify --full`).
        if vault.formatVersion < 2 && policy == .session {
            try vault.audited("format-upgrade", ids: ["from": String(vault.formatVersion), "to": "2"]) {
                () throws(VaultError) -> Void in
                try vault.upgradeToFormat2()
            }
        }
        // Format 3 brings the vault's age identity (SECURITY.md §6.9), in a session only, like
        // the upgrade to 2; `check` of a vault whose rows differ from its manifest stays read-only,
        // and format 2.
        if vault.formatVersion == 2 && policy == .session && !vault.manifestDamaged {
            let recipient = try vault.audited("format-upgrade", ids: ["from": "2", "to": "3"]) {
                () throws(VaultError) -> AgeRecipient in try vault.upgradeToFormat3()
            }
            try vault.audit(AuditEvent("identity-create", ids: ["recipient": recipient.fingerprint]))
        }
        // Format 4 brings the fact table (SECURITY.md §6.11), in a session only, like the others.
        if vault.formatVersion == 3 && policy == .session && !vault.manifestDamaged {
            try vault.audited("format-upgrade", ids: ["from": "3", "to": "4"]) {
                () throws(VaultError) -> Void in try vault.upgradeToFormat4()
            }
        }
        // Format 5 brings the summary pages `list` reads (SECURITY.md §6.12), in a session only.
        // The pages vouch for the record rows they are built from: a row that differs from the
        // manifest, or a latest metadata that does not open, puts the upgrade off (nothing
        // written, the vault stays format 4 and usable) until a later unlock finds them right.
        if vault.formatVersion == 4 && policy == .session && !vault.manifestDamaged {
            do {
                try vault.audited("format-upgrade", ids: ["from": "4", "to": "5"]) {
                    () throws(VaultError) -> Void in try vault.upgradeToFormat5()
                }
            } catch .vaultIntegrity(let m) {
                vault.notice("the upgrade to format 5 was put off: \(m) (the vault stays format 4; see 'sourcevault check')")
            } catch .recordIntegrity(let id) {
                vault.notice(
                    "the upgrade to format 5 was put off: record \(id)'s latest metadata does not open (the vault stays format 4; see 'sourcevault check')"
                )
            } catch .storage(let m) {
                // A busy or read-only file, a full disk: nothing was written (one transaction);
                // the vault stays format 4 and a later unlock upgrades.
                vault.notice("the upgrade to format 5 was put off: \(m) (the vault stays format 4; a later unlock upgrades it)")
            }
        }
        if vault.travelReturned && !vault.manifestDamaged {
            try vault.audited("travel-in-confirm") { () throws(VaultError) -> Void in try vault.confirmTravelReturn() }
            vault.travelReturned = false
        }
        if policy == .session && audit != nil { vault.shreddedAtUnlock = try vault.applyRetention() }
        return vault
    }

    /// Opens the store and validates the header without unlocking (also used by `status`).
    package static func openStore(_ directory: String) throws(VaultError) -> (any VaultStore, VaultHeader) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) else {
            throw .vaultNotFound(path: directory)
        }
        guard isDir.boolValue else { throw .notAVault(path: directory) }
        let store = try VaultFiles.openStore(path: databasePath(in: directory))
        let header = try store.readHeader()
        // The usual case, one read: the schema is the format's, complete. Otherwise (an older
        // format-1 vault missing a migration, or a planted object): nothing unknown before the
        // migrations write, then complete after them.
        do { try store.verifySchema(formatVersion: header.formatVersion, complete: true) } catch {
            try store.verifySchema(formatVersion: header.formatVersion, complete: false)
            try store.migrateIfNeeded(formatVersion: header.formatVersion)
            try store.verifySchema(formatVersion: header.formatVersion, complete: true)
        }
        return (store, header)
    }

    /// Makes sure `directory` is a real directory we own and that holds nothing, creating it
    /// (mode 0700) if needed. Refuses symlinks, other users' directories and anything unlistable.
    private static func prepareDirectory(_ directory: String) throws(VaultError) {
        var st = stat()
        if lstat(directory, &st) == 0 {
            guard (st.st_mode & S_IFMT) != S_IFLNK else {
                throw .invalidInput("\(directory) is a symbolic link; give the real path of the vault directory")
            }
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .invalidInput("\(directory) exists and is not a directory") }
            guard st.st_uid == geteuid() else {
                throw .invalidInput("\(directory) belongs to another user; choose a directory of your own")
            }
            if FileManager.default.fileExists(atPath: databasePath(in: directory)) { throw .vaultAlreadyExists(path: directory) }
            let contents: [String]
            do { contents = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
                throw .storage("cannot list \(directory): permission denied")
            }
            for leftover in contents where leftover.hasPrefix(creatingPrefix) || leftover.hasPrefix(creatingPrefix.dropFirst()) {
                unlink((directory as NSString).appendingPathComponent(leftover))
            }
            let rest = contents.filter { !$0.hasPrefix(creatingPrefix) }
            guard rest.isEmpty else {
                throw .invalidInput("\(directory) is not empty; choose a new or empty directory for the vault")
            }
        } else {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                throw .storage("cannot create \(directory): \((error as NSError).localizedDescription)")
            }
        }
        // The directory is new, or empty and ours, so it is ours to lock down.
        guard chmod(directory, 0o700) == 0 else { throw .storage("cannot set permissions on \(directory)") }
    }

    /// Maps wrapper errors that are not authentication failures (out of memory, misuse).
    static func sodium<T: ~Copyable>(_ body: () throws -> T) throws(VaultError) -> T {
        do { return try body() } catch let e as VaultError {
            throw e
        } catch SodiumError.outOfMemory {
            throw .storage("secure memory unavailable (mlock limit reached?)")
        } catch {
            throw .storage("cryptography failed: \(error)")
        }
    }
}

/// What `status` shows without unlocking: only public structure (SECURITY.md §1.2).
public struct VaultStatus: Sendable {
    public var formatVersion: Int
    public var records: Int
    public var slots: [KeySlotKind]
    /// The audit log's path and the number of entries the vault recorded; nil without a log.
    public var auditLog: (path: String, entries: Int64)?
}

extension Vault {
    /// Reads the vault's public structure without any key.
    public static func status(directory: String) throws(VaultError) -> VaultStatus {
        let (store, header) = try openStore(directory)
        var slots: [KeySlotKind] = []
        for kind in [KeySlotKind.passphrase, .recovery] where try store.keySlot(kind) != nil { slots.append(kind) }
        let audit = try store.auditState().map { (path: $0.logPath, entries: $0.headSeq) }
        return VaultStatus(formatVersion: header.formatVersion, records: try store.recordCount(), slots: slots, auditLog: audit)
    }
}

/// A vault opened and checked before any secret is asked for (`Vault.locked`): the header and the
/// schema pin are done once, and `unlock` needs only the secret. (Opened once to check the audit log
/// and again to unlock, every command paid for two opens.)
package struct LockedVault {
    package let directory: String
    let store: any VaultStore
    let header: VaultHeader

    /// The audit log this vault records (nil: none), read without a key.
    package func auditState() throws(VaultError) -> AuditState? { try store.auditState() }

    /// The error `unlock` would give for a missing key slot (travel mode, a removed recovery key),
    /// before any secret is asked for.
    package func checkSlot(recovery: Bool) throws(VaultError) {
        if recovery {
            guard try store.keySlot(.recovery) != nil else { throw .noSuchKeySlot("this vault has no recovery key slot") }
        } else if try store.keySlot(.passphrase) == nil {
            throw .noSuchKeySlot(
                try store.keySlot(.recovery) == nil
                    ? "this vault is in travel mode: its key slots are away in a travel bundle ('sourcevault travel in FILE' brings them back)"
                    : "this vault has no passphrase slot (unlock with --recovery-key-fd N)")
        }
    }

    package func unlock(passphrase: borrowing SecureBytes, audit: AuditSink?, policy: UnlockPolicy = .session) throws(VaultError)
        -> Vault
    {
        try Vault.unlock(store: store, header: header, directory: directory, passphrase: passphrase, audit: audit, policy: policy)
    }

    package func unlock(recoveryKey: borrowing SecureBytes, audit: AuditSink?, policy: UnlockPolicy = .session) throws(VaultError)
        -> Vault
    {
        try Vault.unlock(
            store: store, header: header, directory: directory, recoveryKey: recoveryKey, audit: audit, policy: policy)
    }
}
