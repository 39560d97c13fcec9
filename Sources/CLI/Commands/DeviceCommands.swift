import ArgumentParser
import Audit
import Foundation
import VaultCore

struct TravelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "travel",
        abstract: "Move the key slots off the device before a border crossing, and bring them back.",
        subcommands: [Out.self, In.self])

    struct Out: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "out",
            abstract: "Seal every key slot into FILE under a separate travel passphrase, then delete them from the vault.",
            discussion:
                "On a terminal, says what leaves and asks y/N first (--yes skips the question). The travel passphrase must differ from the vault passphrase. With --passphrase-fd N: the vault passphrase, then the travel passphrase. Send FILE ahead or leave it with an editor: without it nobody, you included, can open the vault."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Option(name: .long, help: ArgumentHelp("Where to write the travel bundle (must not exist).", valueName: "FILE")) var to:
            String
        @OptionGroup var confirm: ConfirmOptions

        func run() throws {
            try OutputPaths.check(to, flag: "--to", overwrite: false, offersOverwrite: false, vault: vault)
            let v = try unlock.unlock(vault)
            let status = try Vault.status(directory: vault.directory)
            try confirm.confirm(
                v, action: "travel-out",
                [
                    "The \(Output.count(status.slots.count, "key slot")) (\(status.slots.map { $0 == .passphrase ? "passphrase" : "recovery key" }.joined(separator: ", "))) leave for the bundle and are deleted here:",
                    "nobody, you included, can open this vault (\(Output.count(status.records, "record"))) until 'sourcevault travel in' with that bundle."
                ], "Go into travel mode?")
            let travel = try unlock.newSecret("travel passphrase")
            try PassphraseWarning.check(travel, what: "travel passphrase", yes: confirm.yes)
            try v.travelOut(to: VaultOptions.absolute(to), travelPassphrase: travel)
            Output.info(
                "The key slots are in \(to) and gone from the vault: it cannot be opened until 'sourcevault travel in \(to)'.")
        }
    }

    struct In: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "in",
            abstract: "Restore the key slots from a travel bundle (travel passphrase: first line of --passphrase-fd, or asked).")
        @OptionGroup var vault: VaultOptions
        @Option(
            name: .long,
            help: ArgumentHelp("Read the travel passphrase from the first line of this file descriptor.", valueName: "N"))
        var passphraseFd: Int32?
        @Argument(help: "The travel bundle.", completion: .file()) var file: String

        func run() throws {
            let pass =
                try passphraseFd.map { try SecretInput.readSecretLine(fd: $0, what: "travel passphrase") }
                ?? SecretInput.prompt("Travel passphrase: ", what: "travel passphrase")
            let n = try Vault.travelIn(directory: vault.directory, bundle: file, travelPassphrase: pass, audit: AuditLog())
            Output.info("Restored \(n) key slot\(n == 1 ? "" : "s"): the vault opens again. You may now delete the bundle.")
        }
    }
}

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent, still-encrypted copy of the vault and its audit log (SQLite online backup).")
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Option(name: .long, help: ArgumentHelp("The backup file.", valueName: "FILE")) var to: String
    @Flag(name: .long, help: "Replace FILE if it exists.") var overwrite = false

    func run() throws {
        try OutputPaths.check(to, flag: "--to", overwrite: overwrite, vault: vault)
        let v = try unlock.unlock(vault)
        try VaultBackup.write(vault: v, to: VaultOptions.absolute(to), overwrite: overwrite)
        Output.info(
            "Backed up \(Output.count(try v.recordCount(), "record")) and the audit log to \(to) (still encrypted; the passphrase or recovery key opens it)."
        )
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Bring back a backup into --vault DIR and verify it (database and audit log).")
    @OptionGroup var vault: VaultOptions
    @Argument(help: "A file written by 'sourcevault backup'.", completion: .file()) var file: String
    @Flag(name: .long, help: "Replace a vault that is already in DIR.") var overwrite = false

    func run() throws {
        let r = try VaultBackup.restore(VaultOptions.absolute(file), to: vault.directory, overwrite: overwrite)
        for n in r.notes { Output.info("note: \(n)") }
        Output.info(
            "Restored \(Output.count(r.records, "record")) to \(vault.directory); the database and its audit log (\(Output.count(r.logEntries, "entry", "entries"))) verify. Run 'sourcevault check' to verify every record with the passphrase."
        )
    }
}

struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Shred records whose --retain-until day has passed (also done on every unlock).",
        subcommands: [Apply.self])

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "apply", abstract: "Shred expired records now.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Also shred what is due by this later day (for example before travelling).", valueName: "YYYY-MM-DD"))
        var asOf: String?

        func validate() throws {
            if let asOf, asOf.count != 10 || asOf.split(separator: "-").count != 3 {
                throw ValidationError("--as-of takes YYYY-MM-DD")
            }
        }

        func run() throws {
            let v = try unlock.unlock(vault)
            // Only forward in time: an earlier day would shred less, never more, than today's rule.
            let today = String(UTCTimestamp.string().prefix(10))
            let shredded = try v.applyRetention(today: max(asOf ?? today, today), fullScan: true)
            Output.info(
                shredded.isEmpty
                    ? "No record is past its retention date."
                    : "Shredded \(shredded.count) expired record\(shredded.count == 1 ? "" : "s").")
        }
    }
}
