import Foundation
import GRDB
import SodiumKit
import Testing

@testable import VaultCore

@Suite struct UnlockTests {
    @Test func createThenUnlockWithPassphraseAndRecoveryKey() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (v, recovery) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        let v2 = try t.unlock()
        #expect(try v2.sources().map(\.alias) == ["Magpie"])
        let v3 = try Vault.unlock(directory: t.dir, recoveryKey: try secret(recovery))
        #expect(try v3.sources().count == 1)
        // Lowercase and without separators is accepted too.
        let sloppy = recovery.replacingOccurrences(of: "-", with: "").lowercased()
        #expect(try Vault.unlock(directory: t.dir, recoveryKey: try secret(sloppy)).sources().count == 1)
    }

    @Test func permissionsAre0700And0600() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        _ = try t.create()
        let dirMode = try FileManager.default.attributesOfItem(atPath: t.dir)[.posixPermissions] as? Int
        let fileMode = try FileManager.default.attributesOfItem(atPath: t.dbPath)[.posixPermissions] as? Int
        #expect(dirMode == 0o700)
        #expect(fileMode == 0o600)
    }

    @Test func wrongPassphraseIsRefused() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        _ = try t.create()
        #expect(throws: VaultError.wrongPassphrase) { _ = try t.unlock("pass phrasE") }
        #expect(throws: VaultError.wrongPassphrase) { _ = try t.unlock("pass phras") }
    }

    @Test func emptyPassphraseIsRefusedAtInit() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        #expect(throws: VaultError.self) {
            _ = try Vault.create(directory: t.dir, passphrase: try SecureBytes(count: 0), profile: .test) { _ in }
        }
    }

    @Test func recoveryKeyTyposAreCaughtBeforeAnySlotIsTried() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        let (_, recovery) = try t.create()
        var chars = Array(recovery)
        let i = chars.firstIndex { $0 != "-" }!
        chars[i] = chars[i] == "A" ? "B" : "A"
        #expect {
            _ = try Vault.unlock(directory: t.dir, recoveryKey: try secret(String(chars)))
        } throws: { e in
            if case VaultError.recoveryKeyMalformed = e { return true } else { return false }
        }
        #expect { _ = try Vault.unlock(directory: t.dir, recoveryKey: try secret(String(recovery.dropLast(2)))) } throws: { e in
            if case VaultError.recoveryKeyMalformed = e { return true } else { return false }
        }
        #expect { _ = try Vault.unlock(directory: t.dir, recoveryKey: try secret(recovery + "!")) } throws: { e in
            if case VaultError.recoveryKeyMalformed = e { return true } else { return false }
        }
    }

    @Test func anotherVaultsRecoveryKeyIsWrong() throws {
        let a = TempVault(), b = TempVault()
        defer { withExtendedLifetime((a, b)) {} }
        _ = try a.create()
        let (_, otherKey) = try b.create()
        #expect(throws: VaultError.wrongRecoveryKey) { _ = try Vault.unlock(directory: a.dir, recoveryKey: try secret(otherKey)) }
    }

    @Test func recoveryKeyEncodingRoundTrips() throws {
        for _ in 0..<50 {
            let k = try SecureBytes.random(count: 32)
            let text = try RecoveryKey.encode(k)
            #expect(text.count == 56 + 13)
            #expect(text.split(separator: "-").allSatisfy { $0.count == 4 })
            let back = try RecoveryKey.decode(try secret(text))
            let eq = back.constantTimeEquals(k)
            #expect(eq)
        }
    }

    /// A vault file claiming absurd KDF costs is refused before Argon2id runs.
    @Test(arguments: [
        ("kdf_memlimit", Int64(1) << 40),
        ("kdf_memlimit", Int64(100)),
        ("kdf_opslimit", Int64(1_000_000)),
        ("kdf_opslimit", Int64(0)),
        ("kdf_algorithm", Int64(1))
    ])
    func hostileKDFParametersAreRefused(column: String, value: Int64) throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        _ = try t.create()
        try t.sql { try $0.execute(sql: "UPDATE key_slot SET \(column) = ? WHERE kind = 1", arguments: [value]) }
        #expect { _ = try t.unlock() } throws: { e in
            if case VaultError.kdfParametersOutOfBounds = e { return true } else { return false }
        }
    }

    /// Parameters that are in bounds but altered give a failed unlock, never a different key.
    @Test func alteredSlotFieldsFailAuthentication() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        _ = try t.create()
        try t.sql { try $0.execute(sql: "UPDATE key_slot SET kdf_opslimit = 2 WHERE kind = 1") }
        #expect(throws: VaultError.wrongPassphrase) { _ = try t.unlock() }
    }

    @Test func newerFormatIsRefused() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        _ = try t.create()
        try t.sql { try $0.execute(sql: "UPDATE vault_header SET format_version = 6") }
        #expect(throws: VaultError.unsupportedFormatVersion(found: 6, supported: 5)) { _ = try t.unlock() }
    }

    @Test func missingVaultAndNonVaultFiles() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        #expect(throws: VaultError.vaultNotFound(path: t.dir)) { _ = try t.unlock() }
        try FileManager.default.createDirectory(atPath: t.dir, withIntermediateDirectories: true)
        #expect(throws: VaultError.vaultNotFound(path: t.dbPath)) { _ = try t.unlock() }
        // Not SQLite at all.
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: t.dbPath))
        #expect(throws: VaultError.notAVault(path: t.dbPath)) { _ = try t.unlock() }
        // SQLite, but not ours.
        try FileManager.default.removeItem(atPath: t.dbPath)
        let q = try DatabaseQueue(path: t.dbPath)
        try q.write { try $0.execute(sql: "CREATE TABLE notes (x TEXT)") }
        #expect(throws: VaultError.notAVault(path: t.dbPath)) { _ = try t.unlock() }
    }

    @Test func initRefusesExistingVaultAndNonEmptyDirectory() throws {
        let t = TempVault()
        defer { withExtendedLifetime(t) {} }
        _ = try t.create()
        #expect(throws: VaultError.vaultAlreadyExists(path: t.dir)) { _ = try t.create() }
        let u = TempVault()
        defer { withExtendedLifetime(u) {} }
        try FileManager.default.createDirectory(atPath: u.dir, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: u.dir + "/other"))
        #expect { _ = try u.create() } throws: { e in
            if case VaultError.invalidInput = e { return true } else { return false }
        }
    }
}
