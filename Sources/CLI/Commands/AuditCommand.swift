import ArgumentParser
import Audit
import Foundation
import SodiumKit
import VaultCore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The tamper-evident audit log of every access (it holds no names, titles or search terms).",
        subcommands: [
            Verify.self, Show.self, Checkpoint.self, PublicKey.self, CheckValue.self, Recover.self,
            Rebind.self
        ])

    /// The one line a failed verification prints: the class and the entry (and line) it blames.
    static func failure(_ p: AuditProblem) -> String {
        let at = p.seq.map { " at entry \($0)" + (p.line.map { " (line \($0))" } ?? "") } ?? ""
        return "audit log verification FAILED\(at): \(p.failure.rawValue) — \(p.detail)"
    }

    /// Full verification for `check`: throws a one-line error if the log fails.
    static func verifyForCheck(vault: VaultOptions, unlocked: Vault) throws {
        let l = try AuditLog.load(directory: vault.directory)
        let report = AuditVerifier.verify(
            log: l.log, vaultID: l.header.vaultID, publicKey: l.state.publicKey, state: l.state,
            vault: unlocked)
        if let p = report.problem { throw CLIError.auditFailed(failure(p)) }
    }

    static func unlockRequested(_ u: UnlockOptions) -> Bool { u.passphraseFd != nil || u.recoveryKeyFd != nil }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract:
                "Check the log's chain, signatures and length against the vault (and a checkpoint). With --passphrase-fd or --full, also every MAC."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Verify signatures with this public key (hex) instead of the one stored in the vault.", valueName: "KEY"))
        var publicKey: String?
        @Option(
            name: .long, help: ArgumentHelp("A checkpoint from 'audit checkpoint': the log must extend it.", valueName: "FILE"))
        var checkpoint: String?
        @Flag(name: .long, help: "Unlock (passphrase prompt) to check every MAC and the failed-attempt chain too.")
        var full = false

        func run() throws {
            _ = try AuditLog.load(directory: vault.directory)  // no log: say so before any prompt
            var key: [UInt8]?
            if let publicKey {
                guard let k = Hex.decode(publicKey.lowercased()), k.count == 32 else {
                    throw CLIError.usage("--public-key takes the 64 hex characters printed by 'audit pubkey'")
                }
                key = k
            }
            var cp: AuditCheckpoint?
            if let checkpoint {
                guard let text = FileManager.default.contents(atPath: checkpoint).map({ String(decoding: $0, as: UTF8.self) }),
                    let parsed = AuditCheckpoint.parse(text)
                else {
                    throw CLIError.usage("that checkpoint file is unreadable or not a SourceVault audit checkpoint")
                }
                cp = parsed
            }
            var unlocked: Vault?
            if full || AuditCommand.unlockRequested(unlock) {
                // Unlock without appending first: the verdict is about the log as found.
                unlocked = try unlock.unlock(vault, requireAuditLog: false)
            }
            let (report, seconds) = try AuditLog.verify(
                directory: vault.directory, publicKey: key, checkpoint: cp, vault: unlocked)
            for n in report.notes { Output.info("note: \(n)") }
            if publicKey == nil {
                Output.info(
                    "note: signatures were checked against the public key stored in the vault; to rule out a replaced key, pass --public-key with the key printed by init"
                )
            }
            if let p = report.problem { throw CLIError.auditFailed(AuditCommand.failure(p)) }
            // A rate over a few dozen entries measures start-up, not verification: only shown for big logs.
            let rate =
                seconds > 0 && report.entries.count >= 1000 ? ", \(Int(Double(report.entries.count) / seconds)) entries/s" : ""
            Output.line(
                "OK: \(Output.count(report.entries.count, "entry", "entries")) verified (chain\(report.macsChecked ? ", MACs" : "")\(report.signedThrough > 0 ? ", signatures through entry \(report.signedThrough)" : "")\(cp != nil ? ", extends the checkpoint" : "")) in \(String(format: "%.3f", seconds)) s\(rate)"
            )
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "List log entries. With --passphrase-fd (or --resolve), record ids are shown with their titles.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Flag(name: .long, help: "JSON output.") var json = false
        @Option(name: .long, help: ArgumentHelp("Only entries on or after this day.", valueName: "YYYY-MM-DD")) var since: String?
        @Flag(name: .long, help: "Unlock (passphrase prompt) to show titles beside record ids.") var resolve = false

        struct Item: Encodable {
            var seq: Int64; var time: String; var action: String; var outcome: String
            var attributes: [String: String]; var signed: Bool; var beforeUnlock: Bool; var title: String?
        }

        func validate() throws {
            if let since, since.count != 10 || Int(since.prefix(4)) == nil { throw ValidationError("--since takes YYYY-MM-DD") }
        }

        func run() throws {
            let log = try AuditLog.load(directory: vault.directory).log
            var titles: [String: String] = [:]
            if resolve || AuditCommand.unlockRequested(unlock) {
                let v = try unlock.unlock(vault)
                for r in try v.list().records { titles[r.id] = r.metadata.title }
                try v.audit(AuditEvent("audit-show", ids: ["resolved": "yes"]))
            }
            var items: [Item] = []
            for line in log.split(separator: 0x0A) {
                guard let e = AuditEntry.parse(line) else { continue }
                if let since, e.time < since { continue }
                var attrs: [String: String] = [:]
                for a in e.attrs { attrs[a.key] = a.value }
                let beforeUnlock: Bool
                if case .pending = e.auth { beforeUnlock = true } else { beforeUnlock = false }
                items.append(
                    Item(
                        seq: e.seq, time: e.time, action: e.action, outcome: e.outcome, attributes: attrs,
                        signed: e.signature != nil, beforeUnlock: beforeUnlock, title: attrs["record"].flatMap { titles[$0] }))
            }
            if json { try Output.json(items); return }
            for i in items {
                // The entry's own attributes first, the log's bookkeeping (generation, place) after.
                let bookkeeping: Set<String> = ["gen", "loc"]
                func order(_ key: String) -> (Int, String) { (bookkeeping.contains(key) ? 1 : 0, key) }
                let attrs = i.attributes.sorted { order($0.key) < order($1.key) }
                    .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                var line = "\(i.seq)  \(i.time)  \(i.action)  \(i.outcome)  \(attrs)"
                if let t = i.title { line += "  \"\(t)\"" }
                if i.beforeUnlock { line += "  (before unlock)" }
                Output.line(Output.terminalSafe(line))
            }
        }
    }

    struct Checkpoint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Print a signed statement of the log's size and head to keep elsewhere (paper, an editor's phone).")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions

        func run() throws {
            let cp = try AuditLog.checkpoint(vault: try unlock.unlock(vault))
            Output.write(STDOUT_FILENO, Array(cp.text.utf8))
        }
    }

    struct PublicKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pubkey", abstract: "Print the log's Ed25519 public key (hex), to verify it without the passphrase.")
        @OptionGroup var vault: VaultOptions

        func run() throws {
            guard let key = try AuditLog.publicKey(directory: vault.directory) else { throw AuditLog.noLogError }
            Output.line(Hex.encode(key))
        }
    }

    struct CheckValue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-value",
            abstract:
                "Was this value (a query, title, alias, term, export path) ever used? Reads it from standard input, never argv.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions

        func run() throws {
            let v = try unlock.unlock(vault)
            // Not echoed: the value is the very name being looked for.
            let value = try SecretInput.hiddenTextLine(prompt: "Value to look for (not shown): ", what: "value")
            let hits = try AuditLog.entries(mentioning: Array(value.utf8), vault: v)
            for h in hits { Output.line(h) }
            if hits.isEmpty { Output.line("not found: that value appears in no entry of this log") }
        }
    }

    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "recover",
            abstract:
                "Start a new audit log when the old one is missing (or, with --replace, damaged). Logged as the new log's first entry."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Option(name: .long, help: ArgumentHelp("Start the new log here instead of where the old one was.", valueName: "PATH"))
        var auditLog: String?
        @Flag(name: .long, help: "Move an existing (damaged) log aside instead of refusing.") var replace = false

        func run() throws {
            let v = try unlock.unlock(vault, requireAuditLog: false)
            let (path, anchor) = try AuditLog().recover(
                vault: v, path: auditLog.map { VaultOptions.absolute($0) }, replace: replace)
            Output.info(
                "Started a new audit log at \(path)\(anchor > 0 ? "; it continues from entry \(anchor) of the lost log, whose entries are not in it" : "")."
            )
        }
    }

    struct Rebind: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rebind",
            abstract: "After moving a vault whose audit log is outside its directory: bind the log to the vault's new "
                + "place (logged).")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions

        func run() throws {
            // The normal unlock refuses a log last written from another place: unlock without it.
            let v = try unlock.unlock(vault, requireAuditLog: false)
            try AuditLog().rebind(vault: v)
            Output.info("The audit log is bound to this vault at \(vault.directory).")
        }
    }
}
