import SodiumKit

// SECURITY.md §4: key slots, in one place (shaped like age's scrypt recipient): the KDF profiles,
// the bounds applied to parameters read from a file, and how a slot wraps and unwraps the master key.

/// SECURITY.md §4: the kinds of key slot.
public enum KeySlotKind: UInt8, Sendable {
    case passphrase = 1
    case recovery = 2
}

/// Argon2id cost profiles for the passphrase slot (SECURITY.md §4).
public enum KDFProfile: String, CaseIterable, Sendable {
    case interactive, moderate, sensitive, test

    public var opsLimit: UInt64 {
        switch self {
        case .interactive: PasswordHash.opsLimitInteractive
        case .moderate: PasswordHash.opsLimitModerate
        case .sensitive: PasswordHash.opsLimitSensitive
        case .test: PasswordHash.opsLimitMin
        }
    }

    public var memLimit: UInt64 {
        switch self {
        case .interactive: PasswordHash.memLimitInteractive
        case .moderate: PasswordHash.memLimitModerate
        case .sensitive: PasswordHash.memLimitSensitive
        case .test: PasswordHash.memLimitMin
        }
    }
}

/// SECURITY.md §4: bounds applied to KDF parameters read from disk *before* they are used, so a
/// hostile vault file cannot make us allocate a terabyte or spin for a day.
public enum KDFBounds {
    // Upper bounds: the `sensitive` profile's memory (1 GiB) and 4x its passes, so a hostile file
    // cannot get an unlock OOM-killed on an ordinary laptop or make it spin for minutes.
    public static let opsLimit: ClosedRange<UInt64> = PasswordHash.opsLimitMin...16
    public static let memLimit: ClosedRange<UInt64> = PasswordHash.memLimitMin...(1 << 30)

    static func check(algorithm: Int64, opsLimit: UInt64, memLimit: UInt64, saltCount: Int) throws(VaultError) {
        guard algorithm == Int64(PasswordHash.algorithmArgon2id13) else {
            throw .kdfParametersOutOfBounds("the passphrase key slot names an unknown key derivation algorithm (\(algorithm))")
        }
        guard Self.opsLimit.contains(opsLimit) else {
            throw .kdfParametersOutOfBounds(
                "the passphrase key slot asks for \(opsLimit) Argon2id passes; accepted: \(Self.opsLimit.lowerBound)-\(Self.opsLimit.upperBound)"
            )
        }
        guard Self.memLimit.contains(memLimit) else {
            throw .kdfParametersOutOfBounds(
                "the passphrase key slot asks for \(memLimit) bytes of Argon2id memory; accepted: \(Self.memLimit.lowerBound)-\(Self.memLimit.upperBound)"
            )
        }
        guard saltCount == PasswordHash.saltBytes else {
            throw .kdfParametersOutOfBounds(
                "the passphrase key slot has a \(saltCount)-byte salt; expected \(PasswordHash.saltBytes)")
        }
    }
}

/// SECURITY.md §4: wrapping the master key into a slot, and unwrapping it.
enum KeySlot {
    /// §4: `"sourcevault.v1.key-slot\0" || vault_id || u32le(1) || kind || opslimit (u64 LE) ||
    /// memlimit (u64 LE) || salt`. The `1` is the slot format, which format 2 keeps: a recovery
    /// slot written by format 1 cannot be rewrapped without its key. (Format 2's header version is
    /// protected by the schema pin and the manifest instead, §3 and §6.8.)
    static let adVersion = 1

    static func ad(
        vaultID: [UInt8], formatVersion: Int, kind: KeySlotKind, opsLimit: UInt64, memLimit: UInt64,
        salt: [UInt8]
    ) -> [UInt8] {
        var ad = Array("sourcevault.v1.key-slot\0".utf8)
        ad += vaultID
        ad += VaultFormat.le32(UInt32(truncatingIfNeeded: formatVersion))
        ad.append(kind.rawValue)
        ad += VaultFormat.le64(opsLimit) + VaultFormat.le64(memLimit) + salt
        return ad
    }

    /// §5: the recovery slot's key-encryption key is BLAKE2b-256 keyed with the recovery key over
    /// this label followed by the slot salt.
    static let recoveryKEKLabel = Array("sourcevault.v1.recovery-slot\0".utf8)

    /// A passphrase slot for `master` with a fresh salt.
    static func passphrase(
        _ master: borrowing SecureBytes, passphrase: borrowing SecureBytes, vaultID: [UInt8],
        opsLimit: UInt64, memLimit: UInt64
    ) throws(VaultError) -> KeySlotRow {
        guard passphrase.count > 0 else { throw .invalidInput("the passphrase is empty") }
        let salt = try Vault.sodium { try Random.bytes(PasswordHash.saltBytes) }
        let kek = try passphraseKEK(passphrase, salt: salt, opsLimit: opsLimit, memLimit: memLimit)
        return try wrap(
            master, kek: kek, vaultID: vaultID, kind: .passphrase,
            algorithm: Int64(PasswordHash.algorithmArgon2id13), opsLimit: opsLimit, memLimit: memLimit, salt: salt)
    }

    /// A recovery slot for `master` under a new random recovery key; returns the slot and the key
    /// in its printable form (show it once).
    static func recovery(_ master: borrowing SecureBytes, vaultID: [UInt8]) throws(VaultError) -> (KeySlotRow, String) {
        let key = try Vault.sodium { try SecureBytes.random(count: RecoveryKey.keyBytes) }
        let salt = try Vault.sodium { try Random.bytes(PasswordHash.saltBytes) }
        let slot = try wrap(
            master, kek: try recoveryKEK(key, salt: salt), vaultID: vaultID, kind: .recovery,
            algorithm: 0, opsLimit: 0, memLimit: 0, salt: salt)
        return (slot, try Vault.sodium { try RecoveryKey.encode(key) })
    }

    /// The master key from a passphrase slot whose parameters passed ``KDFBounds``.
    static func unwrap(_ slot: KeySlotRow, passphrase: borrowing SecureBytes, header: VaultHeader) throws(VaultError)
        -> SecureBytes
    {
        try KDFBounds.check(
            algorithm: slot.kdfAlgorithm, opsLimit: slot.opsLimit, memLimit: slot.memLimit,
            saltCount: slot.salt.count)
        let kek = try passphraseKEK(passphrase, salt: slot.salt, opsLimit: slot.opsLimit, memLimit: slot.memLimit)
        return try unwrap(slot, kek: kek, header: header, failure: .wrongPassphrase)
    }

    /// The master key from the recovery slot.
    static func unwrap(_ slot: KeySlotRow, recoveryKey key: borrowing SecureBytes, header: VaultHeader) throws(VaultError)
        -> SecureBytes
    {
        guard slot.kdfAlgorithm == 0, slot.opsLimit == 0, slot.memLimit == 0, slot.salt.count == PasswordHash.saltBytes else {
            throw .vaultIntegrity("the recovery key slot is malformed")
        }
        return try unwrap(slot, kek: try recoveryKEK(key, salt: slot.salt), header: header, failure: .wrongRecoveryKey)
    }

    private static func passphraseKEK(
        _ passphrase: borrowing SecureBytes, salt: [UInt8], opsLimit: UInt64,
        memLimit: UInt64
    ) throws(VaultError) -> SecureBytes {
        do {
            return try PasswordHash.deriveKey(
                length: 32, passphrase: passphrase, salt: salt, opsLimit: opsLimit, memLimit: memLimit)
        } catch .outOfMemory {
            throw .storage("not enough memory for the key derivation (\(memLimit >> 20) MiB)")
        } catch {
            throw .kdfParametersOutOfBounds("libsodium refused the key slot's parameters")
        }
    }

    private static func recoveryKEK(_ key: borrowing SecureBytes, salt: [UInt8]) throws(VaultError) -> SecureBytes {
        try Vault.sodium { try GenericHash.keyedHashIntoSecureMemory(recoveryKEKLabel + salt, key: key, length: 32) }
    }

    private static func wrap(
        _ master: borrowing SecureBytes, kek: borrowing SecureBytes, vaultID: [UInt8], kind: KeySlotKind,
        algorithm: Int64, opsLimit: UInt64, memLimit: UInt64, salt: [UInt8]
    ) throws(VaultError) -> KeySlotRow {
        let ad = ad(
            vaultID: vaultID, formatVersion: adVersion, kind: kind, opsLimit: opsLimit,
            memLimit: memLimit, salt: salt)
        let wrapped = try Vault.sodium { try XChaCha20Poly1305.seal(master, key: kek, associatedData: ad) }
        return KeySlotRow(
            kind: kind, kdfAlgorithm: algorithm, opsLimit: opsLimit, memLimit: memLimit, salt: salt,
            wrappedMasterKey: wrapped)
    }

    private static func unwrap(
        _ slot: KeySlotRow, kek: borrowing SecureBytes, header: VaultHeader,
        failure: VaultError
    ) throws(VaultError) -> SecureBytes {
        let ad = ad(
            vaultID: header.vaultID, formatVersion: adVersion, kind: slot.kind, opsLimit: slot.opsLimit,
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
}
