import Foundation
import SodiumKit

/// An unlocked vault: the one type through which every operation on vault contents goes, so that
/// auditing and policy can be added in one place. Holds the master key and its subkeys in secure
/// memory; they are wiped when the `Vault` is released.
public final class Vault {
    public let store: any VaultStore
    public let directory: String
    public let vaultID: [UInt8]
    let masterKey: SecureBytes
    let recordKEK: SecureBytes
    let sourceKey: SecureBytes
    let ruleKey: SecureBytes
    let exportKey: SecureBytes
    let retentionKey: SecureBytes
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
    public internal(set) var auditSink: AuditSink?
    /// Failed unlock attempts logged since the previous successful unlock.
    public internal(set) var failedAttemptsSinceLastSession = 0

    private init(store: any VaultStore, directory: String, vaultID: [UInt8], masterKey: consuming SecureBytes) throws(VaultError) {
        self.store = store
        self.directory = directory
        self.vaultID = vaultID
        self.recordKEK = try Self.subkey(of: masterKey, VaultFormat.recordKeyWrapSubkey)
        self.sourceKey = try Self.subkey(of: masterKey, VaultFormat.sourceSubkey)
        self.ruleKey = try Self.subkey(of: masterKey, VaultFormat.ruleSubkey)
        self.exportKey = try Self.subkey(of: masterKey, VaultFormat.exportSubkey)
        self.keyScratch = try Self.sodium { try SecureScratch(capacity: XChaCha20Poly1305.keyBytes) }
        self.dataScratch = try Self.sodium { try SecureScratch(capacity: 8192) }
        self.foldScratch = try Self.sodium { try SecureScratch(capacity: 8192) }
        self.sealScratch = try Self.sodium { try SecureScratch(capacity: 8192) }
        self.newKeyScratch = try Self.sodium { try SecureScratch(capacity: XChaCha20Poly1305.keyBytes) }
        self.retentionKey = try Self.subkey(of: masterKey, VaultFormat.retentionSubkey)
        let auditRoot = try Self.loadOrCreateAuditRootKey(store: store, vaultID: vaultID, masterKey: masterKey)
        self.auditMACKey = try Self.subkey(of: auditRoot, VaultFormat.auditMACSubkey)
        self.auditValueKey = try Self.subkey(of: auditRoot, VaultFormat.auditValueSubkey)
        let seed = try Self.subkey(of: auditRoot, VaultFormat.auditSigningSubkey)
        self.auditSigningKey = try Self.sodium { try Ed25519.SigningKey(seed: seed) }
        self.masterCheckValue = try Self.masterCheck(masterKey, vaultID: vaultID)
        if try store.masterCheck() == nil { try store.saveMasterCheck(masterCheckValue) }
        self.masterKey = masterKey
    }

    static func masterCheck(_ master: borrowing SecureBytes, vaultID: [UInt8]) throws(VaultError) -> [UInt8] {
        let sub = try subkey(of: master, VaultFormat.masterCheckSubkey)
        return try sodium { try GenericHash.keyedHash(VaultFormat.masterCheckMessage(vaultID: vaultID), key: sub, length: 32) }
    }

    /// False once another process has rekeyed the vault: this object's keys are stale and must not
    /// write (a session unlocks again).
    public func keysAreCurrent() -> Bool {
        (try? store.masterCheck()) == masterCheckValue
    }

    /// The audit root key: opened from the vault, or (first unlock of a vault made before it
    /// existed, or a new vault) created and stored.
    static func loadOrCreateAuditRootKey(store: any VaultStore, vaultID: [UInt8], masterKey: borrowing SecureBytes) throws(VaultError) -> SecureBytes {
        let sealKey = try subkey(of: masterKey, VaultFormat.auditRootSealSubkey)
        let ad = VaultFormat.auditRootAD(vaultID: vaultID)
        if let sealed = try store.sealedAuditRootKey() {
            let root = try openPadded(sealed, key: sealKey, ad: ad, integrity: .vaultIntegrity("the audit key failed its integrity check"))
            guard root.count == 32 else { throw .vaultIntegrity("the audit key has the wrong length") }
            return root
        }
        let root = try sodium { try SecureBytes.random(count: 32) }
        let sealed = try sodium { () throws -> [UInt8] in
            let padded = try root.withUnsafeBytes { (r) throws(SodiumError) -> SecureBytes in
                try Padding.pad(r, blockSize: VaultFormat.paddedLength(forPlaintextCount: 32))
            }
            return try XChaCha20Poly1305.seal(padded, key: sealKey, associatedData: ad)
        }
        try store.saveSealedAuditRootKey(sealed)
        return root
    }

    /// One subkey (SECURITY.md §5) of `key`.
    static func subkey(of key: borrowing SecureBytes, _ sub: (id: UInt64, context: String)) throws(VaultError) -> SecureBytes {
        try sodium { try KeyDerivation.deriveSubkey(from: key, subkeyID: sub.id, context: sub.context) }
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
    public static func create(
        directory: String, passphrase: borrowing SecureBytes, profile: KDFProfile,
        audit: AuditSink? = nil, auditLogPath: String? = nil,
        showRecoveryKey: (String) throws -> Void
    ) throws(VaultError) -> Vault {
        guard passphrase.count > 0 else { throw .invalidInput("the passphrase is empty") }
        try prepareDirectory(directory)
        let vaultID = try sodium { try Random.bytes(VaultFormat.vaultIDBytes) }
        let masterKey = try sodium { try SecureBytes.random(count: VaultFormat.masterKeyBytes) }
        let recoveryKey = try sodium { try SecureBytes.random(count: RecoveryKey.keyBytes) }
        let version = VaultFormat.currentVersion

        let passSalt = try sodium { try Random.bytes(PasswordHash.saltBytes) }
        let passKEK = try sodium {
            try PasswordHash.deriveKey(length: 32, passphrase: passphrase, salt: passSalt,
                                       opsLimit: profile.opsLimit, memLimit: profile.memLimit)
        }
        let passSlot = try wrapMasterKey(masterKey, kek: passKEK, vaultID: vaultID, formatVersion: version, kind: .passphrase,
                                         algorithm: Int64(PasswordHash.algorithmArgon2id13),
                                         opsLimit: profile.opsLimit, memLimit: profile.memLimit, salt: passSalt)
        let recSalt = try sodium { try Random.bytes(PasswordHash.saltBytes) }
        let recKEK = try recoveryKEK(recoveryKey, salt: recSalt)
        let recSlot = try wrapMasterKey(masterKey, kek: recKEK, vaultID: vaultID, formatVersion: version, kind: .recovery,
                                        algorithm: 0, opsLimit: 0, memLimit: 0, salt: recSalt)
        let printable = try sodium { try RecoveryKey.encode(recoveryKey) }

        let path = databasePath(in: directory)
        let suffix = try sodium { try Random.bytes(6) }.map { String(format: "%02x", $0) }.joined()
        let temp = (directory as NSString).appendingPathComponent(creatingPrefix + suffix)
        do {
            let staging = try SQLiteVaultStore(path: temp, create: true)
            try staging.initialize(header: VaultHeader(formatVersion: version, vaultID: vaultID),
                                   slots: [passSlot, recSlot])
            if let audit {
                // The audit log starts before the vault exists under its real name: a vault is
                // never usable without one. Its state goes into the staging database.
                let staged = try Vault(store: staging, directory: directory, vaultID: vaultID, masterKey: try sodium { try masterKey.duplicate() })
                staged.auditSink = audit
                try staged.audit(AuditEvent("init", ids: ["kdf": profile.rawValue]))
            }
            try staging.close()
            chmod(temp, 0o600)
            do { try showRecoveryKey(printable) } catch {
                throw VaultError.storage("could not show the recovery key (\(error)); no vault was created")
            }
            // link() refuses to replace an existing file, so a concurrent init cannot be clobbered.
            guard link(temp, path) == 0 else {
                let e = errno
                if e == EEXIST { throw VaultError.vaultAlreadyExists(path: directory) }
                throw VaultError.storage("cannot create \(path): \(String(cString: strerror(e)))")
            }
            unlink(temp)
            syncDirectory(directory)
        } catch let e as VaultError {
            unlink(temp)
            throw e
        } catch {
            unlink(temp)
            throw .storage("\(error)")
        }
        let store = try SQLiteVaultStore(path: path, create: false)
        let vault = try Vault(store: store, directory: directory, vaultID: vaultID, masterKey: masterKey)
        vault.auditSink = audit
        return vault
    }

    /// Name prefix of a database being created; a leftover one (killed `init`) is removed by the next `init`.
    static let creatingPrefix = ".vault.sqlite3.creating-"

    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// Unlocks with the passphrase slot. With an audit sink, a failed attempt is logged and a
    /// successful one is logged before the vault is returned.
    public static func unlock(directory: String, passphrase: borrowing SecureBytes, audit: AuditSink? = nil) throws(VaultError) -> Vault {
        let (store, header) = try openStore(directory)
        guard let slot = try store.keySlot(.passphrase) else { throw .noSuchKeySlot("this vault has no passphrase slot (if its key slots are away in a travel bundle, see 'sourcevault status')") }
        try KDFBounds.check(algorithm: slot.kdfAlgorithm, opsLimit: slot.opsLimit, memLimit: slot.memLimit,
                            saltCount: slot.salt.count)
        let kek: SecureBytes
        do {
            kek = try PasswordHash.deriveKey(length: 32, passphrase: passphrase, salt: slot.salt,
                                             opsLimit: slot.opsLimit, memLimit: slot.memLimit)
        } catch .outOfMemory {
            throw .storage("not enough memory for the key derivation (\(slot.memLimit >> 20) MiB)")
        } catch {
            throw .kdfParametersOutOfBounds("libsodium refused the key slot's parameters")
        }
        let master: SecureBytes
        do { master = try unwrapMasterKey(slot, kek: kek, header: header, failure: .wrongPassphrase) } catch {
            if error == .wrongPassphrase { audit?.failedUnlock(store: store, vaultID: header.vaultID, method: "passphrase") }
            throw error
        }
        return try attach(try Vault(store: store, directory: directory, vaultID: header.vaultID, masterKey: master), audit, "passphrase")
    }

    /// Unlocks with the recovery slot; `typedKey` is the recovery key as the person typed it.
    public static func unlock(directory: String, recoveryKey typedKey: borrowing SecureBytes, audit: AuditSink? = nil) throws(VaultError) -> Vault {
        let key = try RecoveryKey.decode(typedKey)
        let (store, header) = try openStore(directory)
        guard let slot = try store.keySlot(.recovery) else { throw .noSuchKeySlot("this vault has no recovery key slot") }
        guard slot.kdfAlgorithm == 0, slot.opsLimit == 0, slot.memLimit == 0, slot.salt.count == PasswordHash.saltBytes else {
            throw .vaultIntegrity("the recovery key slot is malformed")
        }
        let kek = try recoveryKEK(key, salt: slot.salt)
        let master: SecureBytes
        do { master = try unwrapMasterKey(slot, kek: kek, header: header, failure: .wrongRecoveryKey) } catch {
            if error == .wrongRecoveryKey { audit?.failedUnlock(store: store, vaultID: header.vaultID, method: "recovery") }
            throw error
        }
        return try attach(try Vault(store: store, directory: directory, vaultID: header.vaultID, masterKey: master), audit, "recovery")
    }

    private static func attach(_ vault: Vault, _ audit: AuditSink?, _ method: String) throws(VaultError) -> Vault {
        guard let audit else { return vault }
        vault.auditSink = audit
        do { vault.failedAttemptsSinceLastSession = try audit.unlocked(vault, method: method) } catch let e as VaultError {
            throw e
        } catch {
            throw .auditUnavailable("\(error)")
        }
        return vault
    }

    /// Opens the store and validates the header without unlocking (also used by `status`).
    public static func openStore(_ directory: String) throws(VaultError) -> (any VaultStore, VaultHeader) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) else {
            throw .vaultNotFound(path: directory)
        }
        guard isDir.boolValue else { throw .notAVault(path: directory) }
        let store = try SQLiteVaultStore(path: databasePath(in: directory), create: false)
        let header = try store.readHeader()
        try store.migrateIfNeeded()
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
            guard st.st_uid == geteuid() else { throw .invalidInput("\(directory) belongs to another user; choose a directory of your own") }
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
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw .storage("cannot create \(directory): \((error as NSError).localizedDescription)")
            }
        }
        // The directory is new, or empty and ours, so it is ours to lock down.
        guard chmod(directory, 0o700) == 0 else { throw .storage("cannot set permissions on \(directory)") }
    }

    private static func recoveryKEK(_ key: borrowing SecureBytes, salt: [UInt8]) throws(VaultError) -> SecureBytes {
        try sodium { try GenericHash.keyedHashIntoSecureMemory(VaultFormat.recoveryKEKLabel + salt, key: key, length: 32) }
    }

    private static func wrapMasterKey(
        _ master: borrowing SecureBytes, kek: borrowing SecureBytes, vaultID: [UInt8], formatVersion: Int, kind: KeySlotKind,
        algorithm: Int64, opsLimit: UInt64, memLimit: UInt64, salt: [UInt8]
    ) throws(VaultError) -> KeySlotRow {
        let ad = VaultFormat.slotAD(vaultID: vaultID, formatVersion: formatVersion, kind: kind, opsLimit: opsLimit,
                                    memLimit: memLimit, salt: salt)
        let wrapped = try sodium { try XChaCha20Poly1305.seal(master, key: kek, associatedData: ad) }
        return KeySlotRow(kind: kind, kdfAlgorithm: algorithm, opsLimit: opsLimit, memLimit: memLimit,
                          salt: salt, wrappedMasterKey: wrapped)
    }

    private static func unwrapMasterKey(
        _ slot: KeySlotRow, kek: borrowing SecureBytes, header: VaultHeader, failure: VaultError
    ) throws(VaultError) -> SecureBytes {
        let ad = VaultFormat.slotAD(vaultID: header.vaultID, formatVersion: header.formatVersion, kind: slot.kind, opsLimit: slot.opsLimit,
                                    memLimit: slot.memLimit, salt: slot.salt)
        let master: SecureBytes
        do {
            master = try XChaCha20Poly1305.open(slot.wrappedMasterKey, key: kek, associatedData: ad)
        } catch .authenticationFailed {
            throw failure
        } catch {
            throw .storage("secure memory unavailable")
        }
        guard master.count == VaultFormat.masterKeyBytes else { throw .vaultIntegrity("the master key has the wrong length") }
        return master
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
