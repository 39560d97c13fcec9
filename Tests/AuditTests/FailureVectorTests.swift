import Foundation
import GRDB
import SodiumKit
import TestSupport
import Testing
import VaultCore

@testable import Audit

/// Named failure vectors (Tests/VaultCoreTests/Vectors/failures.json): each case breaks a copy of a
/// committed vector vault or audit log in one named way and states the outcome every version of
/// SourceVault must give.
@Suite struct FailureVectorTests {
    /// `forgeAfter`: a forged entry (chained, with a MAC nobody made) numbered after line N (0-based),
    /// inserted after it; `appendText`: bytes added at the end as they are.
    struct LogEdit: Decodable {
        var replaceIn: Int?; var from: String?; var to: String?; var delete: Int?; var swap: Int?; var dropLast: Int?
        var flipPrev: Int?; var forgeAfter: Int?; var appendText: String?
    }
    /// `message`: what the error (or the verification's blamed entry and detail) must say, so the
    /// object at fault is named; `writes`: for `rollback`, the audited writes made after the copy.
    struct Case: Decodable, CustomTestStringConvertible {
        var name: String; var vector: String; var secret: String?; var recovery: String?; var sql: String?; var log: LogEdit?
        var op: String; var expect: String; var message: String?; var writes: Int?
        var testDescription: String { name }
    }

    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("VaultCoreTests/Vectors")

    static var cases: [Case] {
        (try? JSONDecoder().decode([Case].self, from: Data(contentsOf: vectors.appendingPathComponent("failures.json")))) ?? []
    }

    /// The name of a VaultError case ("recordIntegrity" for `.recordIntegrity(recordID:)`).
    static func caseName(_ e: Error) -> String {
        String(String(describing: e).prefix { $0 != "(" })
    }

    @Test func theManifestIsThere() { #expect(Self.cases.count >= 20) }

    @Test(arguments: cases)
    func failureVector(_ c: Case) throws {
        let tmp = TempDirectory("vector")
        defer { withExtendedLifetime(tmp) {} }
        let dir = tmp.vault
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let src = Self.vectors.appendingPathComponent(c.vector)
        try FileManager.default.copyItem(atPath: src.appendingPathComponent("vault.sqlite3").path, toPath: dir + "/vault.sqlite3")
        let expected =
            try JSONSerialization.jsonObject(with: Data(contentsOf: src.appendingPathComponent("expected.json")))
            as! [String: Any]
        let passphrase = expected["passphrase"] as! String
        // The record with two versions in v1, or the vector's one record.
        let record =
            ((expected["records"] as? [[String: Any]])?.first { ($0["versions"] as? [Any])?.count == 2 }?["id"] as? String)
            ?? (expected["recordID"] as? String) ?? ""
        let logPath = dir + "/audit.log"
        let q = try DatabaseQueue(path: dir + "/vault.sqlite3")
        if FileManager.default.fileExists(atPath: src.appendingPathComponent("audit.log").path) {
            try FileManager.default.copyItem(atPath: src.appendingPathComponent("audit.log").path, toPath: logPath)
            try q.write { try $0.execute(sql: "UPDATE audit_state SET log_path = ?", arguments: [logPath]) }
        }
        // As the sqlite3 shell runs it: foreign keys off (an attacker's orphan rows go in).
        if let sql = c.sql {
            try q.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                try db.inTransaction {
                    try db.execute(sql: sql.replacingOccurrences(of: "{record}", with: record))
                    return .commit
                }
            }
        }
        try q.close()
        if let edit = c.log {
            var lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").map(String.init)
            if let i = edit.replaceIn, let from = edit.from, let to = edit.to {
                let k = i < 0 ? lines.count + i : i
                #expect(lines[k].contains(from), "the edit must change something")
                lines[k] = lines[k].replacingOccurrences(of: from, with: to)
            }
            if let i = edit.delete { lines.remove(at: i) }
            if let i = edit.swap { lines.swapAt(i, i + 1) }
            if let n = edit.dropLast { lines.removeLast(n) }
            if let i = edit.forgeAfter {
                let after = try #require(AuditEntry.parse(ArraySlice(Array(lines[i].utf8))))
                let forged = AuditEntry(
                    seq: after.seq + 1, time: after.time, action: "export", outcome: "ok",
                    attrs: [("record", record)], prev: after.hash,
                    auth: .mac([UInt8](repeating: 0x5a, count: 32)), format: after.format)
                lines.insert(String(decoding: forged.line.dropLast(), as: UTF8.self), at: i + 1)
            }
            if let i = edit.flipPrev {
                var fields = lines[i].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                fields[6] = (fields[6].first == "0" ? "1" : "0") + fields[6].dropFirst()
                lines[i] = fields.joined(separator: "\t")
            }
            let text = lines.joined(separator: "\n") + "\n" + (edit.appendText ?? "")
            try Data(text.utf8).write(to: URL(fileURLWithPath: logPath))
        }
        func secret(_ s: String? = nil) throws -> SecureBytes {
            try SecureBytes(copying: Array((s ?? c.secret ?? passphrase).utf8))
        }

        var outcome = "ok"
        var message = ""
        do {
            switch c.op {
            case "verify", "verify-full":
                let (store, header) = try Vault.openStore(dir)
                let state = try #require(try store.auditState())
                let pub = try #require(Hex.decode(expected["publicKey"] as! String))
                let vault = c.op == "verify-full" ? try Vault.unlock(directory: dir, passphrase: try secret()) : nil
                let report = AuditVerifier.verify(
                    log: Array(try Data(contentsOf: URL(fileURLWithPath: logPath))),
                    vaultID: header.vaultID, publicKey: pub, state: state, vault: vault)
                outcome = report.problem?.failure.rawValue ?? "ok"
                message = report.problem.map { "at entry \($0.seq ?? 0) (line \($0.line ?? 0)): \($0.detail)" } ?? ""
            case "audited-unlock":
                // Unlocked as a command does, with the audit log attached.
                _ = try Vault.unlock(directory: dir, passphrase: try secret(), audit: AuditLog()).list()
            case "wrong-then-unlock":
                // A wrong passphrase is refused and logged, whatever state the log is in; then the right one.
                #expect(throws: VaultError.wrongPassphrase) {
                    _ = try Vault.unlock(
                        directory: dir, passphrase: try secret("not the passphrase"),
                        audit: AuditLog())
                }
                let last = String(decoding: try Data(contentsOf: URL(fileURLWithPath: logPath)), as: UTF8.self)
                    .split(separator: "\n").last.flatMap { AuditEntry.parse(ArraySlice(Array($0.utf8))) }
                #expect(last?.action == "unlock" && last?.outcome == "denied", "\(c.name): not logged")
                _ = try Vault.unlock(directory: dir, passphrase: try secret(), audit: AuditLog())
            case "rollback":
                // The database replaced by a copy taken `writes` audited writes earlier.
                let db = URL(fileURLWithPath: dir + "/vault.sqlite3")
                let copy = try Data(contentsOf: db)
                for i in 0..<(c.writes ?? 1) {
                    let v = try Vault.unlock(directory: dir, passphrase: try secret(), audit: AuditLog())
                    _ = try v.addSource(alias: "later \(i)")
                }
                try copy.write(to: db)
                _ = try Vault.unlock(directory: dir, passphrase: try secret(), audit: AuditLog())
            case "copy-into-original":
                // A copy of the vault whose record points at the log in the original's directory.
                let copyDir = tmp.file("copy")
                try FileManager.default.createDirectory(atPath: copyDir, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: dir + "/vault.sqlite3", toPath: copyDir + "/vault.sqlite3")
                let before = try Data(contentsOf: URL(fileURLWithPath: logPath))
                defer {
                    let after = try? Data(contentsOf: URL(fileURLWithPath: logPath))
                    #expect(after == before, "\(c.name): the copy wrote")
                }
                _ = try Vault.unlock(directory: copyDir, passphrase: try secret(), audit: AuditLog())
            default:
                let v: Vault
                if let r = c.recovery {
                    v = try Vault.unlock(directory: dir, recoveryKey: try SecureBytes(copying: Array(r.utf8)))
                } else {
                    v = try Vault.unlock(directory: dir, passphrase: try secret())
                }
                switch c.op {
                case "show": _ = try v.record(record)
                case "show1": _ = try v.record(record, version: 1)
                case "sources": _ = try v.sources()
                case "rules": _ = try v.rules()
                case "check": outcome = try v.check().problems.first.map(Self.caseName) ?? "ok"
                case "list", "search":
                    let problems = try (c.op == "list" ? v.list() : v.search("e")).problems
                    outcome = problems.first.map(Self.caseName) ?? "ok"
                    message = "\(problems)"
                default: break
                }
            }
        } catch {
            outcome = Self.caseName(error)
            message = "\(error)"
        }
        if let m = c.message { #expect(message.contains(m), "\(c.name): \(message)") }
        #expect(outcome == c.expect, "\(c.name)")
    }
}
