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

    private init(store: any VaultStore, directory: String, vaultID: [UInt8], masterKey: consuming SecureBytes) throws(VaultError) {
        self.store = store
        self.directory = directory
        self.vaultID = vaultID
        self.recordKEK = try Self.sodium {
            try KeyDerivation.deriveSubkey(from: masterKey, subkeyID: VaultFormat.recordKeyWrapSubkey.id,
                                           context: VaultFormat.recordKeyWrapSubkey.context)
        }
        self.sourceKey = try Self.sodium {
            try KeyDerivation.deriveSubkey(from: masterKey, subkeyID: VaultFormat.sourceSubkey.id,
                                           context: VaultFormat.sourceSubkey.context)
        }
        self.ruleKey = try Self.sodium {
            try KeyDerivation.deriveSubkey(from: masterKey, subkeyID: VaultFormat.ruleSubkey.id,
                                           context: VaultFormat.ruleSubkey.context)
        }
        self.exportKey = try Self.sodium {
            try KeyDerivation.deriveSubkey(from: masterKey, subkeyID: VaultFormat.exportSubkey.id,
                                           context: VaultFormat.exportSubkey.context)
        }
        self.masterKey = masterKey
    }

    /// The database path inside a vault directory.
    public static func databasePath(in directory: String) -> String {
        (directory as NSString).appendingPathComponent(VaultFormat.databaseFileName)
    }

    // MARK: - Creating and unlocking

    /// Creates a new vault in `directory` (which must not exist or be empty), with a passphrase slot
    /// and a recovery slot. Returns the unlocked vault and the printable recovery key.
    public static func create(
        directory: String, passphrase: borrowing SecureBytes, profile: KDFProfile
    ) throws(VaultError) -> (vault: Vault, recoveryKey: String) {
        guard passphrase.count > 0 else { throw .invalidInput("the passphrase is empty") }
        try prepareDirectory(directory)
        let vaultID = try sodium { try Random.bytes(VaultFormat.vaultIDBytes) }
        let masterKey = try sodium { try SecureBytes.random(count: VaultFormat.masterKeyBytes) }
        let recoveryKey = try sodium { try SecureBytes.random(count: RecoveryKey.keyBytes) }

        let passSalt = try sodium { try Random.bytes(PasswordHash.saltBytes) }
        let passKEK = try sodium {
            try PasswordHash.deriveKey(length: 32, passphrase: passphrase, salt: passSalt,
                                       opsLimit: profile.opsLimit, memLimit: profile.memLimit)
        }
        let passSlot = try wrapMasterKey(masterKey, kek: passKEK, vaultID: vaultID, kind: .passphrase,
                                         algorithm: Int64(PasswordHash.algorithmArgon2id13),
                                         opsLimit: profile.opsLimit, memLimit: profile.memLimit, salt: passSalt)
        let recSalt = try sodium { try Random.bytes(PasswordHash.saltBytes) }
        let recKEK = try recoveryKEK(recoveryKey, salt: recSalt)
        let recSlot = try wrapMasterKey(masterKey, kek: recKEK, vaultID: vaultID, kind: .recovery,
                                        algorithm: 0, opsLimit: 0, memLimit: 0, salt: recSalt)
        let printable = try sodium { try RecoveryKey.encode(recoveryKey) }

        let path = databasePath(in: directory)
        let store = try SQLiteVaultStore(path: path, create: true)
        do {
            try store.initialize(header: VaultHeader(formatVersion: VaultFormat.currentVersion, vaultID: vaultID),
                                 slots: [passSlot, recSlot])
        } catch {
            // Nothing of value is in a half-initialised file yet; remove it so init can be retried.
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        chmod(path, 0o600)
        let vault = try Vault(store: store, directory: directory, vaultID: vaultID, masterKey: masterKey)
        return (vault, printable)
    }

    /// Unlocks with the passphrase slot.
    public static func unlock(directory: String, passphrase: borrowing SecureBytes) throws(VaultError) -> Vault {
        let (store, header) = try openStore(directory)
        guard let slot = try store.keySlot(.passphrase) else { throw .noSuchKeySlot("this vault has no passphrase slot") }
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
        let master = try unwrapMasterKey(slot, kek: kek, vaultID: header.vaultID, failure: .wrongPassphrase)
        return try Vault(store: store, directory: directory, vaultID: header.vaultID, masterKey: master)
    }

    /// Unlocks with the recovery slot; `typedKey` is the recovery key as the person typed it.
    public static func unlock(directory: String, recoveryKey typedKey: borrowing SecureBytes) throws(VaultError) -> Vault {
        let key = try RecoveryKey.decode(typedKey)
        let (store, header) = try openStore(directory)
        guard let slot = try store.keySlot(.recovery) else { throw .noSuchKeySlot("this vault has no recovery key slot") }
        guard slot.kdfAlgorithm == 0, slot.opsLimit == 0, slot.memLimit == 0, slot.salt.count == PasswordHash.saltBytes else {
            throw .vaultIntegrity("the recovery key slot is malformed")
        }
        let kek = try recoveryKEK(key, salt: slot.salt)
        let master = try unwrapMasterKey(slot, kek: kek, vaultID: header.vaultID, failure: .wrongRecoveryKey)
        return try Vault(store: store, directory: directory, vaultID: header.vaultID, masterKey: master)
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

    private static func prepareDirectory(_ directory: String) throws(VaultError) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw .invalidInput("\(directory) exists and is not a directory") }
            if fm.fileExists(atPath: databasePath(in: directory)) { throw .vaultAlreadyExists(path: directory) }
            let contents = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            guard contents.isEmpty else {
                throw .invalidInput("\(directory) is not empty; choose a new or empty directory for the vault")
            }
        } else {
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: 0o700])
            } catch {
                throw .storage("cannot create \(directory): \(error.localizedDescription)")
            }
        }
        // The directory is new or empty, so it is ours to lock down.
        guard chmod(directory, 0o700) == 0 else { throw .storage("cannot set permissions on \(directory)") }
    }

    private static func recoveryKEK(_ key: borrowing SecureBytes, salt: [UInt8]) throws(VaultError) -> SecureBytes {
        try sodium {
            let mac = try GenericHash.keyedHash(VaultFormat.recoveryKEKLabel + salt, key: key, length: 32)
            return try SecureBytes(copying: mac)
        }
    }

    private static func wrapMasterKey(
        _ master: borrowing SecureBytes, kek: borrowing SecureBytes, vaultID: [UInt8], kind: KeySlotKind,
        algorithm: Int64, opsLimit: UInt64, memLimit: UInt64, salt: [UInt8]
    ) throws(VaultError) -> KeySlotRow {
        let ad = VaultFormat.slotAD(vaultID: vaultID, kind: kind, opsLimit: opsLimit, memLimit: memLimit, salt: salt)
        let wrapped = try sodium { try XChaCha20Poly1305.seal(master, key: kek, associatedData: ad) }
        return KeySlotRow(kind: kind, kdfAlgorithm: algorithm, opsLimit: opsLimit, memLimit: memLimit,
                          salt: salt, wrappedMasterKey: wrapped)
    }

    private static func unwrapMasterKey(
        _ slot: KeySlotRow, kek: borrowing SecureBytes, vaultID: [UInt8], failure: VaultError
    ) throws(VaultError) -> SecureBytes {
        let ad = VaultFormat.slotAD(vaultID: vaultID, kind: slot.kind, opsLimit: slot.opsLimit,
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
