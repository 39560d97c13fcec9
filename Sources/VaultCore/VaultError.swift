/// Every way a vault operation can fail. Messages are produced by the CLI and never contain
/// sensitive values (aliases, titles, terms, queries): only ids, paths and counts.
public enum VaultError: Error, Equatable, Sendable {
    /// No vault database at this directory.
    case vaultNotFound(path: String)
    /// `init` on a directory that already holds a vault.
    case vaultAlreadyExists(path: String)
    /// The file exists but is not a SourceVault database (not SQLite, or no SourceVault header).
    case notAVault(path: String)
    /// The vault was written by a newer SourceVault (format version above what we read).
    case unsupportedFormatVersion(found: Int, supported: Int)
    /// Key derivation parameters read from disk fall outside the accepted bounds (SECURITY.md §4).
    case kdfParametersOutOfBounds(String)
    /// The passphrase did not open the passphrase key slot (or that slot was damaged).
    case wrongPassphrase
    /// The recovery key did not open the recovery key slot (or that slot was damaged).
    case wrongRecoveryKey
    /// The recovery key is not well formed (bad character, wrong length, checksum mismatch).
    case recoveryKeyMalformed(String)
    /// The vault has no key slot of the kind asked for.
    case noSuchKeySlot(String)
    /// No record id starts with this prefix.
    case noSuchRecord(prefix: String)
    /// More than one record id starts with this prefix.
    case ambiguousRecordID(prefix: String, matches: Int)
    /// A record exists but has no such version.
    case noSuchVersion(recordID: String, version: Int)
    /// No source has this alias (the alias itself is not repeated).
    case noSuchSource
    /// No contact has that name (compared as aliases are).
    case noSuchContact
    /// `receive` refused an age file: malformed or not for this vault (`damaged` false), or
    /// modified (`damaged` true: a bad header MAC or payload). Nothing was added.
    case ageFileRefused(String, damaged: Bool)
    /// A source with this alias (compared case- and accent-insensitively) already exists.
    case duplicateSource
    /// A record's key or ciphertext failed authentication: modified or corrupted.
    case recordIntegrity(recordID: String)
    /// A source entry failed authentication.
    case sourceIntegrity(sourceID: String)
    /// No rule id starts with this prefix.
    case noSuchRule(prefix: String)
    /// More than one rule id starts with this prefix.
    case ambiguousRuleID(prefix: String, matches: Int)
    /// No fact id starts with this prefix.
    case noSuchFact(prefix: String)
    /// More than one fact id starts with this prefix.
    case ambiguousFactID(prefix: String, matches: Int)
    /// A rule or export provenance entry failed authentication.
    case itemIntegrity(kind: String, id: String)
    /// The audit log cannot be written or does not match the vault: the operation is refused.
    case auditUnavailable(String)
    /// The audit log was modified, truncated or rolled back (found at unlock or by verify).
    case auditTampered(String)
    /// The vault's structure is damaged (header or key slot rows malformed).
    case vaultIntegrity(String)
    /// Bad user input (empty testimony, not UTF-8, bad date, …); the message says which.
    case invalidInput(String)
    /// The database could not be read or written.
    case storage(String)
}
