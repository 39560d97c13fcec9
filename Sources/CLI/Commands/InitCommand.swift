import ArgumentParser
import Audit
import Foundation
import SodiumKit
import VaultCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new vault with a passphrase and print its recovery key once.")

    @OptionGroup var vault: VaultOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Key derivation cost: interactive, moderate, sensitive, or test (insecure, for test suites).", valueName: "PROFILE"))
    var kdf: KDFProfile = .moderate

    @Option(
        name: .long, help: ArgumentHelp("Read the new passphrase from the first line of this file descriptor.", valueName: "N"))
    var passphraseFd: Int32?

    @Option(
        name: .long,
        help: ArgumentHelp("Keep the audit log here (for example on another device) instead of DIR/audit.log.", valueName: "PATH")
    )
    var auditLog: String?

    func validate() throws {
        if let fd = passphraseFd, fd < 0 { throw ValidationError("file descriptors are not negative") }
    }

    func run() throws {
        let profile = kdf
        let dir = vault.directory
        // Before the passphrase is asked for twice: a vault that is already there (Vault.create
        // checks again, under its lock).
        if FileManager.default.fileExists(atPath: Vault.databasePath(in: dir)) { throw VaultError.vaultAlreadyExists(path: dir) }
        let passphrase: SecureBytes
        if let fd = passphraseFd {
            passphrase = try SecretInput.readSecretLine(fd: fd, what: "passphrase")
        } else {
            let first = try SecretInput.prompt("New passphrase for \(dir): ", what: "passphrase")
            let again = try SecretInput.prompt("Repeat the passphrase: ", what: "passphrase")
            guard first.constantTimeEquals(again) else {
                throw CLIError.usage("the passphrases do not match; nothing was created")
            }
            passphrase = first
        }
        try PassphraseWarning.check(passphrase, what: "passphrase")
        let logPath =
            auditLog.map { VaultOptions.absolute($0) } ?? (dir as NSString).appendingPathComponent(AuditLog.defaultFileName)
        let audit = AuditLog(newLogPath: logPath)
        do {
            let v = try Vault.create(directory: dir, passphrase: passphrase, profile: profile, audit: audit) { recovery in
                try Output.lineOrThrow("Recovery key: \(recovery)")
            }
            // Kept away from the device, it lets 'audit verify --public-key' catch a log rewritten
            // by someone who also replaced the key stored in the vault.
            Output.line("Audit public key: \(Hex.encode(v.auditPublicKey))")
        } catch {
            // No vault came of it: the log we started belongs to nothing.
            if audit.createdLog && !FileManager.default.fileExists(atPath: Vault.databasePath(in: dir)) { unlink(logPath) }
            throw error
        }
        if profile == .test {
            Output.info(
                """
                WARNING: --kdf test uses libsodium's minimum Argon2id cost (1 pass, 8 KiB). Anyone \
                with a copy of this vault can try passphrases very fast. Use it only for test suites.
                """)
        }
        Output.info(
            "Created vault at \(dir) (Argon2id: \(Output.count(Int(profile.opsLimit), "pass", "passes")), \(profile.memLimit >> 10) KiB); audit log at \(logPath)."
        )
        Output.info(
            "Write the recovery key on paper and keep it away from this device: it is shown only once and opens the vault without the passphrase."
        )
    }
}
