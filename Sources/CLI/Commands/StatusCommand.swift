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
        let (store, header) = try Vault.openStore(dir)
        let pass = try store.keySlot(.passphrase) != nil
        let rec = try store.keySlot(.recovery) != nil
        var ways: [String] = []
        if pass { ways.append("passphrase") }
        if rec { ways.append("recovery key") }
        Output.line("vault: \(dir)")
        Output.line("format: \(header.formatVersion)")
        Output.line("records: \(try store.recordCount())")
        Output.line(ways.isEmpty ? "can be opened: NO — no key slots are on this device (travel mode: bring them back with 'sourcevault travel in FILE')"
                                 : "can be opened: yes, with \(ways.joined(separator: " or "))")
        if let audit = try store.auditState() {
            let present = FileManager.default.fileExists(atPath: audit.logPath)
            Output.line("audit log: \(audit.logPath) (\(audit.headSeq) entries recorded\(present ? "" : "; MISSING — commands are refused until 'audit recover'"))")
        } else {
            Output.line("audit log: none (start one with 'sourcevault audit recover')")
        }
    }
}
