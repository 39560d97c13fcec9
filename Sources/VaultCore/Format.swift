import SodiumKit

/// Constants and byte layouts of vault format version 1. Each item cites its SECURITY.md section;
/// change the spec and this file together.
public enum VaultFormat {
    /// SECURITY.md §3: the `vault_header.magic` value.
    public static let magic = "SourceVault"
    /// SECURITY.md §3: the format this build writes and the newest it reads.
    public static let currentVersion = 1
    /// SECURITY.md §3: file name of the database inside the vault directory.
    public static let databaseFileName = "vault.sqlite3"
    public static let vaultIDBytes = 16
    public static let objectIDBytes = 8
    public static let masterKeyBytes = 32

    // SECURITY.md §5: subkeys of the master key (crypto_kdf_derive_from_key).
    static let recordKeyWrapSubkey = (id: UInt64(1), context: "SVrecKEK")
    static let sourceSubkey = (id: UInt64(2), context: "SVsource")
    static let ruleSubkey = (id: UInt64(3), context: "SVrules_")
    static let exportSubkey = (id: UInt64(4), context: "SVexport")
    static let auditMACSubkey = (id: UInt64(5), context: "SVauditM")
    static let auditSigningSubkey = (id: UInt64(6), context: "SVauditS")
    static let auditValueSubkey = (id: UInt64(7), context: "SVauditV")
    /// Of the master key: seals the audit root key, from which subkeys 5-7 derive (so a rekey
    /// keeps the log's keys and public key).
    static let auditRootSealSubkey = (id: UInt64(8), context: "SVauditK")
    /// Seals the retention index (record id → retain-until day), so an unlock can apply retention
    /// without decrypting every record's metadata.
    static let retentionSubkey = (id: UInt64(9), context: "SVretain")

    /// A value only the current master key produces: a session compares it before each command,
    /// so a `rekey` in another process is noticed instead of writing under stale keys.
    static let masterCheckSubkey = (id: UInt64(10), context: "SVmcheck")

    static func masterCheckMessage(vaultID: [UInt8]) -> [UInt8] {
        Array("sourcevault.v1.master-check\0".utf8) + vaultID
    }

    static func retentionAD(vaultID: [UInt8]) -> [UInt8] {
        Array("sourcevault.v1.retention-index\0".utf8) + vaultID
    }

    static func auditRootAD(vaultID: [UInt8]) -> [UInt8] {
        Array("sourcevault.v1.audit-root-key\0".utf8) + vaultID
    }

    // SECURITY.md §6: associated data prefixes (ASCII, NUL-terminated).
    static func slotAD(vaultID: [UInt8], formatVersion: Int, kind: KeySlotKind, opsLimit: UInt64, memLimit: UInt64, salt: [UInt8]) -> [UInt8] {
        var ad = Array("sourcevault.v1.key-slot\0".utf8)
        ad += vaultID
        // The format version is authenticated here, so editing it (a downgrade) breaks every unlock.
        ad += le32(UInt32(truncatingIfNeeded: formatVersion))
        ad.append(kind.rawValue)
        ad += le64(opsLimit) + le64(memLimit) + salt
        return ad
    }

    static func recordKeyAD(vaultID: [UInt8], recordID: String) -> [UInt8] {
        // Built in one allocation: list and search build two of these per record.
        var ad = recordKeyADPrefix
        ad.reserveCapacity(ad.count + vaultID.count + recordID.utf8.count)
        ad += vaultID
        ad += recordID.utf8
        return ad
    }

    static func fieldAD(vaultID: [UInt8], recordID: String, version: Int, field: RecordField) -> [UInt8] {
        var ad = fieldADPrefix
        ad.reserveCapacity(ad.count + vaultID.count + recordID.utf8.count + 5)
        ad += vaultID
        ad += recordID.utf8
        let v = UInt32(truncatingIfNeeded: version)
        for shift: UInt32 in [0, 8, 16, 24] { ad.append(UInt8(truncatingIfNeeded: v >> shift)) }
        ad.append(field.rawValue)
        return ad
    }

    private static let recordKeyADPrefix = Array("sourcevault.v1.record-key\0".utf8)
    private static let fieldADPrefix = Array("sourcevault.v1.record-field\0".utf8)

    static func sourceAD(vaultID: [UInt8], sourceID: String) -> [UInt8] {
        Array("sourcevault.v1.source\0".utf8) + vaultID + Array(sourceID.utf8)
    }

    static func ruleAD(vaultID: [UInt8], ruleID: String) -> [UInt8] {
        Array("sourcevault.v1.rule\0".utf8) + vaultID + Array(ruleID.utf8)
    }

    static func exportAD(vaultID: [UInt8], exportID: String) -> [UInt8] {
        Array("sourcevault.v1.export\0".utf8) + vaultID + Array(exportID.utf8)
    }

    /// SECURITY.md §5: the recovery slot's key-encryption key is BLAKE2b-256 keyed with the
    /// recovery key over this label followed by the slot salt.
    static let recoveryKEKLabel = Array("sourcevault.v1.recovery-slot\0".utf8)

    /// SECURITY.md §7: padded length for `n` plaintext bytes: PADMÉ of n+1, at least 256.
    public static func paddedLength(forPlaintextCount n: Int) -> Int {
        max(256, padme(n + 1))
    }

    /// PADMÉ (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files", 2019): rounds L up
    /// so that at most O(log log L) bits of the length leak, with at most 12% overhead.
    static func padme(_ length: Int) -> Int {
        guard length > 1 else { return max(length, 1) }
        let e = Int.bitWidth - 1 - length.leadingZeroBitCount          // floor(log2 L)
        let s = Int.bitWidth - 1 - e.leadingZeroBitCount + 1           // floor(log2 E) + 1
        let lastBits = e - s
        guard lastBits > 0 else { return length }
        let mask = (1 << lastBits) - 1
        return (length + mask) & ~mask
    }

    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
}

/// SECURITY.md §4: the kinds of key slot.
public enum KeySlotKind: UInt8, Sendable {
    case passphrase = 1
    case recovery = 2
}

/// SECURITY.md §6: which field of a record version a ciphertext holds.
enum RecordField: UInt8 {
    case meta = 1
    case body = 2
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
            throw .kdfParametersOutOfBounds("the passphrase key slot asks for \(opsLimit) Argon2id passes; accepted: \(Self.opsLimit.lowerBound)-\(Self.opsLimit.upperBound)")
        }
        guard Self.memLimit.contains(memLimit) else {
            throw .kdfParametersOutOfBounds("the passphrase key slot asks for \(memLimit) bytes of Argon2id memory; accepted: \(Self.memLimit.lowerBound)-\(Self.memLimit.upperBound)")
        }
        guard saltCount == PasswordHash.saltBytes else {
            throw .kdfParametersOutOfBounds("the passphrase key slot has a \(saltCount)-byte salt; expected \(PasswordHash.saltBytes)")
        }
    }
}

/// Ids of records, sources, rules and exports: 16 lowercase hex characters (SECURITY.md §3).
public enum ObjectID {
    /// What a malformed id read from the file is shown as.
    public static let malformed = "(malformed-id)"

    public static func isValid(_ s: String) -> Bool {
        s.utf8.count == VaultFormat.objectIDBytes * 2
            && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// True if `s` could be (a prefix of) an id: 1 to 16 ASCII hex characters, any case.
    public static func isPlausiblePrefix(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= VaultFormat.objectIDBytes * 2 && s.utf8.allSatisfy {
            (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0)
        }
    }
}
