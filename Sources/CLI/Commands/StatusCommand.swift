import ArgumentParser
import Foundation
import VaultCore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say whether the vault exists and can be opened, without unlocking it.")

    @OptionGroup var vault: VaultOptions
    @Flag(name: .long, help: "JSON output.") var json = false

    /// `status --json`: the same facts as the text, for scripts.
    struct StatusJSON: Encodable {
        struct AuditLogJSON: Encodable {
            var path: String
            var entries: Int64
            var present: Bool
        }
        var vault: String
        var format: Int
        var records: Int
        var canBeOpened: Bool
        var unlockWith: [String]
        var travelMode: Bool
        var auditLog: AuditLogJSON?
    }

    func run() throws {
        let dir = vault.directory
        let status = try Vault.status(directory: dir)
        let ways = status.slots.map { $0 == .passphrase ? "passphrase" : "recovery key" }
        // The log's path is read from the vault file: shown escaped, like any text from the file.
        let audit = status.auditLog.map {
            StatusJSON.AuditLogJSON(path: $0.path, entries: $0.entries, present: FileManager.default.fileExists(atPath: $0.path))
        }
        if json {
            try Output.json(
                StatusJSON(
                    vault: dir, format: status.formatVersion, records: status.records, canBeOpened: !ways.isEmpty,
                    unlockWith: ways, travelMode: ways.isEmpty, auditLog: audit))
            return
        }
        Output.line("vault: \(Output.terminalSafe(dir))")
        Output.line("format: \(status.formatVersion)")
        Output.line("records: \(status.records)")
        Output.line(
            ways.isEmpty
                ? "can be opened: NO — no key slots are on this device (travel mode: bring them back with 'sourcevault travel in FILE')"
                : "can be opened: yes, with \(ways.joined(separator: " or "))")
        if let audit {
            Output.line(
                "audit log: \(Output.terminalSafe(audit.path)) (\(Output.count(Int(audit.entries), "entry", "entries")) recorded\(audit.present ? "" : "; MISSING — commands are refused until 'audit recover'"))"
            )
        } else {
            Output.line("audit log: none (start one with 'sourcevault audit recover')")
        }
    }
}
