import SodiumKit

/// Constants and byte layouts of vault format version 1. Each item cites its SECURITY.md section;
/// change the spec and this file together.
public enum VaultFormat {
    /// SECURITY.md §3: the `vault_header.magic` value.
    public static let magic = "SourceVault"
    /// SECURITY.md §3: the format this build writes and the newest it reads (format 1 to 4
    /// vaults are upgraded to 5 at their first session unlock, one step at a time).
    public static let currentVersion = 5
    /// SECURITY.md §3: file name of the database inside the vault directory.
    public static let databaseFileName = "vault.sqlite3"
    public static let vaultIDBytes = 16
    public static let objectIDBytes = 8
    public static let masterKeyBytes = 32

    static func masterCheckMessage(vaultID: [UInt8]) -> [UInt8] {
        Array("sourcevault.v1.master-check\0".utf8) + vaultID
    }

    /// SECURITY.md §7: padded length for `n` plaintext bytes: PADMÉ of n+1, at least 256.
    public static func paddedLength(forPlaintextCount n: Int) -> Int {
        max(256, padme(n + 1))
    }

    /// PADMÉ (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files", 2019): rounds L up
    /// so that at most O(log log L) bits of the length leak, with at most 12% overhead.
    static func padme(_ length: Int) -> Int {
        guard length > 1 else { return max(length, 1) }
        let e = Int.bitWidth - 1 - length.leadingZeroBitCount  // floor(log2 L)
        let s = Int.bitWidth - 1 - e.leadingZeroBitCount + 1  // floor(log2 E) + 1
        let lastBits = e - s
        guard lastBits > 0 else { return length }
        let mask = (1 << lastBits) - 1
        return (length + mask) & ~mask
    }

    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
}

/// Ids of records, sources, rules and exports: 16 lowercase hex characters (SECURITY.md §3).
public enum ObjectID {
    /// What a malformed id read from the file is shown as.
    public static let malformed = "(malformed-id)"

    public static func isValid(_ s: String) -> Bool {
        s.utf8.count == VaultFormat.objectIDBytes * 2
            && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Checks a record id or prefix typed by the user before anything is unlocked: the same errors
    /// `resolveRecordID` would give for it after the key derivation (too short; not hex, so no
    /// record can have it).
    public static func checkRecordPrefix(_ s: String) throws(VaultError) {
        guard s.count >= 4 else { throw .invalidInput("a record id needs at least 4 characters") }
        guard isPlausiblePrefix(s) else { throw .noSuchRecord(prefix: s) }
    }

    /// True if `s` could be (a prefix of) an id: 1 to 16 ASCII hex characters, any case.
    public static func isPlausiblePrefix(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= VaultFormat.objectIDBytes * 2
            && s.utf8.allSatisfy {
                (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0)
            }
    }
}
