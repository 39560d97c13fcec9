import Foundation
import GRDB
import SodiumKit
import TestSupport

@testable import VaultCore

/// A throwaway vault directory (not created until `create`), removed when the value is released.
final class TempVault {
    let tmp = TempDirectory("vaultcore")
    var dir: String { tmp.vault }
    var dbPath: String { Vault.databasePath(in: dir) }

    func create(_ passphrase: String = "pass phrase") throws -> (Vault, String) {
        var shown = ""
        let v = try Vault.create(directory: dir, passphrase: try SecureBytes(copying: Array(passphrase.utf8)), profile: .test) {
            shown = $0
        }
        return (v, shown)
    }

    func unlock(_ passphrase: String = "pass phrase") throws -> Vault {
        try Vault.unlock(directory: dir, passphrase: try SecureBytes(copying: Array(passphrase.utf8)))
    }

    /// Direct SQL outside a transaction (pragmas such as `foreign_keys` and `journal_mode`).
    func sqlOutsideTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        let q = try DatabaseQueue(path: dbPath)
        return try q.writeWithoutTransaction(body)
    }

    /// Direct SQL on the vault file, as an attacker with the file would do.
    func sql<T>(_ body: (Database) throws -> T) throws -> T {
        let q = try DatabaseQueue(path: dbPath)
        return try q.write(body)
    }
}

func secret(_ s: String) throws -> SecureBytes { try SecureBytes(copying: Array(s.utf8)) }

/// The vault's sealed manifest lists exactly its rows (the high-water marks of placeholder numbers
/// cannot be derived from the rows and are taken as they are).
func manifestDescribesTheRows(_ v: Vault, generation: UInt64) throws -> Bool {
    let current = try v.currentManifest()
    var rows = try Manifest.describing(v.store, generation: generation)
    rows.placeholderNumbers = current.placeholderNumbers
    return current == rows
}
