import Foundation
import VaultCore

/// `backup` and `restore` (SECURITY.md §8.2): a consistent, still-encrypted copy of the vault and
/// its audit log, and bringing one back with a verification.
public enum VaultBackup {
    /// Writes a backup of an unlocked vault to `path`. The log stays locked while the database is
    /// copied, so the copy's record of the log and the log's bytes match.
    public static func write(vault: Vault, to path: String, overwrite: Bool) throws {
        try OutputTarget.check(
            path, flag: "--to", overwrite: overwrite, protecting: [vault.directory] + [try vault.auditLogPath()].compactMap { $0 }
        )
        try vault.audit(AuditEvent("backup", values: ["path": Array(path.utf8)]))
        guard let state = try vault.store.auditState() else { throw AuditLog.noLogError }
        let file = try AuditFile(openExisting: state.logPath)  // holds the lock until released
        let log = file.readAll()
        let temp = AtomicFile.temporaryPath(beside: path, tag: "sourcevault-backup")
        do {
            try VaultFiles.writeBackup(of: vault.store, to: temp, logPath: state.logPath, log: log)
        } catch {
            unlink(temp)
            throw error
        }
        do { try AtomicFile.commit(temp, to: path, replace: overwrite) } catch {
            switch error {
            case .exists: throw VaultError.invalidInput("the --to file exists; choose another name or add --overwrite")
            case .failed(let why): throw VaultError.storage("cannot write \(path): \(why)")
            }
        }
        withExtendedLifetime(file) {}
    }

    public struct Restored: Sendable { public var records: Int; public var logEntries: Int; public var notes: [String] }

    /// Restores `backupPath` into `directory` (new or empty, or holding a vault only with
    /// `overwrite`), then verifies the database and the audit log against each other.
    public static func restore(_ backupPath: String, to directory: String, overwrite: Bool) throws -> Restored {
        let fm = FileManager.default
        let dbPath = Vault.databasePath(in: directory)
        let logPath = (directory as NSString).appendingPathComponent(AuditLog.defaultFileName)
        if (fm.fileExists(atPath: dbPath) || fm.fileExists(atPath: logPath)) && !overwrite {
            throw VaultError.vaultAlreadyExists(path: directory)
        }
        // Replacing a live vault: hold its log's lock so no other process appends meanwhile.
        let liveLock = fm.fileExists(atPath: logPath) ? try? AuditFile(openExisting: logPath) : nil
        if !fm.fileExists(atPath: directory) {
            do {
                try fm.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw VaultError.storage("cannot create \(directory)")
            }
        }
        chmod(directory, 0o700)
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let stagingDB = (directory as NSString).appendingPathComponent(".vault.sqlite3.restoring-" + tag)
        let stagingLog = (directory as NSString).appendingPathComponent(".audit.log.restoring-" + tag)
        defer { unlink(stagingDB); unlink(stagingLog) }
        let log = try VaultFiles.unpackBackup(backupPath, into: stagingDB, newLogPath: logPath)
        chmod(stagingDB, 0o600)
        guard fm.createFile(atPath: stagingLog, contents: Data(log), attributes: [.posixPermissions: 0o600]) else {
            throw VaultError.storage("cannot write the restored audit log")
        }
        // Verify before anything replaces what is there.
        let staging = try VaultFiles.openStore(path: stagingDB)
        let header = try staging.readHeader()
        let problems = try staging.integrityCheck()
        guard problems.isEmpty else { throw VaultError.vaultIntegrity("the backup's database is damaged: \(problems[0])") }
        guard let state = try staging.auditState() else { throw AuditLog.noLogError }
        let report = AuditVerifier.verify(log: log, vaultID: header.vaultID, publicKey: state.publicKey, state: state)
        if let p = report.problem {
            throw VaultError.auditTampered("the backup's audit log fails verification: \(p.failure.rawValue) — \(p.detail)")
        }
        let records = try staging.recordCount()
        try staging.close()
        // A log being replaced is the record of every access since the backup: it is kept beside
        // the restored one, and the restore entry names the head it had (§8.2).
        var attrs: [(key: String, value: String)] = [("backup-head", String(state.headSeq))]
        if liveLock != nil {
            let replacedHead = (try? Vault.openStore(directory).0.auditState())??.headSeq
            attrs.append(("replaced", replacedHead.map(String.init) ?? "unknown"))
            let aside = logPath + ".replaced-" + AuditChain.timestamp().replacingOccurrences(of: ":", with: "")
            guard rename(logPath, aside) == 0 else {
                throw VaultError.storage(
                    "cannot keep the audit log being replaced: "
                        + "\(String(cString: strerror(errno)))")
            }
        }
        guard rename(stagingLog, logPath) == 0, rename(stagingDB, dbPath) == 0 else {
            throw VaultError.storage("cannot move the restored vault into place: \(String(cString: strerror(errno)))")
        }
        unlink(dbPath + "-journal")
        withExtendedLifetime(liveLock) {}
        let store = try VaultFiles.openStore(path: dbPath)
        // Logged so that a vault and log older than a checkpoint are seen to be a deliberate restore.
        try? AuditLog.recordUnauthenticated(
            store: store, vaultID: header.vaultID, action: "restore", outcome: "ok",
            attrs: attrs)
        return Restored(records: records, logEntries: report.entries.count, notes: report.notes)
    }
}
