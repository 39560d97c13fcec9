import ArgumentParser
import Foundation
import VaultCore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say whether the vault exists and can be opened, without unlocking it.")

    @OptionGroup var vault: VaultOptions

    func run() throws {
        let dir = vault.directory
        let status = try Vault.status(directory: dir)
        let ways = status.slots.map { $0 == .passphrase ? "passphrase" : "recovery key" }
        Output.line("vault: \(dir)")
        Output.line("format: \(status.formatVersion)")
        Output.line("records: \(status.records)")
        Output.line(
            ways.isEmpty
                ? "can be opened: NO — no key slots are on this device (travel mode: bring them back with 'sourcevault travel in FILE')"
                : "can be opened: yes, with \(ways.joined(separator: " or "))")
        if let audit = status.auditLog {
            let present = FileManager.default.fileExists(atPath: audit.path)
            Output.line(
                "audit log: \(audit.path) (\(audit.entries) entries recorded\(present ? "" : "; MISSING — commands are refused until 'audit recover'"))"
            )
        } else {
            Output.line("audit log: none (start one with 'sourcevault audit recover')")
        }
    }
}
