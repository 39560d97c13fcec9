import ArgumentParser
import Foundation
import SodiumKit
import VaultCore

struct PasswdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Change the passphrase (optionally the KDF cost). With --passphrase-fd N: current, then new, one line each.",
        discussion:
            "Unlocking with --recovery-key-fd N instead sets a new passphrase after a forgotten one (recovery key, then new passphrase)."
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Option(
        name: .long,
        help: ArgumentHelp("New key derivation cost: interactive, moderate, sensitive or test.", valueName: "PROFILE"))
    var kdf: KDFProfile?

    func run() throws {
        let v = try unlock.unlock(vault)
        let new = try unlock.newSecret("passphrase")
        try PassphraseWarning.check(new, what: "passphrase")
        try v.changePassphrase(to: new, profile: kdf)
        Output.info("Passphrase changed; the old one no longer opens the vault.")
    }
}

struct RecoveryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recovery", abstract: "Replace or remove the recovery key.", subcommands: [Rotate.self, Remove.self])

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate", abstract: "Make a new recovery key; the old one stops working. Printed once.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions

        func run() throws {
            let v = try unlock.unlock(vault)
            try v.rotateRecoveryKey { key in try Output.lineOrThrow("Recovery key: \(key)") }
            Output.info("Write the new recovery key on paper; the old one no longer opens the vault.")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Delete the recovery key slot (only the passphrase will open the vault).")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @OptionGroup var confirm: ConfirmOptions

        func run() throws {
            let v = try unlock.unlock(vault)
            try confirm.confirm(
                v, action: "recovery-remove",
                [
                    "Only the passphrase will open this vault (\(Output.count(try v.recordCount(), "record"))): if it is forgotten, they are lost for good."
                ], "Remove the recovery key?")
            try v.removeRecoveryKey()
            Output.info("Recovery key removed: only the passphrase opens the vault now.")
        }
    }
}

struct RekeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey",
        abstract:
            "New master key and record keys; every record re-encrypted in one transaction. A recovery key, if any, is replaced and printed."
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Option(name: .long, help: ArgumentHelp("Also change the key derivation cost.", valueName: "PROFILE"))
    var kdf: KDFProfile?
    @OptionGroup var confirm: ConfirmOptions

    func run() throws {
        // rekey only: its peak is a few 2 MB manifest buffers at 100,000 records (issue 19). Every
        // command mapping its large buffers on their own cost the export system time.
        ProcessHardening.mapLargeAllocations()
        var recovery: String?
        try unlock.withPassphraseUnlock(vault) { v, pass in
            let status = try Vault.status(directory: vault.directory)
            try confirm.confirm(
                v, action: "rekey",
                [
                    "Re-encrypts \(Output.count(status.records, "record")) under new keys, in one transaction."
                        + (status.slots.contains(.recovery)
                            ? " The recovery key is replaced: the old one stops working and the new one is printed once." : "")
                ], "Rekey the vault?")
            let onTerminal = isatty(STDERR_FILENO) == 1
            recovery = try v.rekey(
                passphrase: pass, profile: kdf,
                showRecoveryKey: { key in
                    try Output.lineOrThrow("Recovery key: \(key)")
                }
            ) { done, total in
                if onTerminal && (done == total || done % 100 == 0) {
                    Output.write(STDERR_FILENO, Array("\rre-encrypting records: \(done)/\(total)".utf8))
                    if done == total { Output.write(STDERR_FILENO, Array("\n".utf8)) }
                }
            }
        }
        if recovery != nil {
            Output.info("The recovery key was replaced too: write the new one on paper; the old one no longer opens the vault.")
        }
        Output.info("Rekeyed: a copy of the old master key opens nothing written from now on.")
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Verify every record (all versions), source, rule, export entry, the database and the audit log; report every problem.",
        discussion: """
            --rebuild-pages repairs the summary pages `list` reads (format 5, SECURITY.md §6.12): \
            every page is replaced by pages built from the record rows, after each row is checked \
            against the manifest (listed with its count of versions, every listed record present, \
            every latest metadata opens). Use it when a page is missing, does not open, is an older \
            copy or a row was planted; it refuses, changing nothing, if anything other than the \
            summary pages differs from the manifest. The check then runs as usual.
            """
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Flag(
        name: .customLong("rebuild-pages"),
        help: "First rebuild the summary pages from the record rows checked against the manifest (SECURITY.md §6.12).")
    var rebuildPages = false

    func run() throws {
        let v = try unlock.unlock(vault, inspecting: true)
        if rebuildPages {
            let pages = try v.rebuildSummaryPages()
            Output.line("Rebuilt \(Output.count(pages, "summary page")) from the record rows")
        }
        let (records, problems) = try v.check()
        var failures = problems.count
        for p in problems { _ = ErrorReporter.report(p) }
        do {
            try AuditCommand.verifyForCheck(vault: self.vault, unlocked: v)
        } catch {
            failures += 1
            _ = ErrorReporter.report(error)
        }
        if failures > 0 { throw CLIError.alreadyReported(ExitStatus.integrity) }
        Output.line(
            "OK: \(Output.count(records, "record")) (every version), sources, rules, export entries, the database and the audit log verified"
        )
    }
}
