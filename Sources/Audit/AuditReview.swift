import Foundation
import SodiumKit
import VaultCore

/// Reading the log for review (SECURITY.md §11): loading it beside the vault's record of it,
/// verification, checkpoints and looking up a value. The CLI prints what these return.
extension AuditLog {
    /// The log's bytes and the vault's record of it, read without unlocking.
    package struct Loaded {
        package var store: any VaultStore
        package var header: VaultHeader
        package var state: AuditState
        package var log: [UInt8]
    }

    /// The log and the vault's record of it, read together under the log's (shared) lock, so
    /// neither is caught half-way through another process's append.
    package static func load(directory: String) throws -> Loaded {
        let (store, header) = try Vault.openStore(directory)
        guard let first = try store.auditState() else {
            throw VaultError.auditUnavailable("this vault has no audit log yet; start one with 'sourcevault audit recover'")
        }
        let file = try AuditFile(openForReading: first.logPath)
        guard let state = try store.auditState(), state.logPath == first.logPath else {
            throw VaultError.auditUnavailable("the audit log changed while it was being read; try again")
        }
        let log = file.readAll()
        withExtendedLifetime(file) {}
        return Loaded(store: store, header: header, state: state, log: log)
    }

    /// The log's public key as the vault records it (no unlock, the log file itself not read).
    package static func publicKey(directory: String) throws -> [UInt8]? {
        try Vault.openStore(directory).0.auditState()?.publicKey
    }

    /// Verifies the log (with every MAC when `vault` is unlocked) and, if it passes, logs the
    /// verification; a log that fails is left exactly as found: it is evidence.
    package static func verify(
        directory: String, publicKey: [UInt8]?, checkpoint: AuditCheckpoint?,
        vault: Vault?
    ) throws -> (report: AuditReport, seconds: Double) {
        let loaded = try load(directory: directory)
        let t0 = Date()
        let report = AuditVerifier.verify(
            log: loaded.log, vaultID: loaded.header.vaultID, publicKey: publicKey ?? loaded.state.publicKey,
            state: loaded.state, vault: vault, checkpoint: checkpoint)
        let seconds = Date().timeIntervalSince(t0)
        let attrs: [String: String] = ["entries": String(report.entries.count), "checkpoint": checkpoint == nil ? "no" : "yes"]
        if report.ok {
            if let vault {
                vault.attachAudit(AuditLog())
                try vault.audit(AuditEvent("audit-verify", ids: attrs))
            } else {
                try? recordUnauthenticated(
                    store: loaded.store, vaultID: loaded.header.vaultID, action: "audit-verify",
                    outcome: "ok", attrs: attrs.map { ($0.key, $0.value) })
            }
        }
        return (report, seconds)
    }

    /// `audit checkpoint`: logged first, then a signed statement of the log's size and head.
    package static func checkpoint(vault: Vault) throws -> AuditCheckpoint {
        try vault.audit(AuditEvent("audit-checkpoint"))
        guard let state = try vault.store.auditState() else { throw noLogError }
        let message = AuditChain.checkpointMessage(vaultID: vault.vaultID, size: state.headSeq, head: state.headHash)
        return AuditCheckpoint(
            vaultID: vault.vaultID, size: state.headSeq, head: state.headHash, time: UTCTimestamp.string(),
            signature: try vault.auditSign(message))
    }

    /// `audit check-value`: the entries whose attributes hold the keyed hash of `value`, as
    /// `SEQ  TIME  ACTION  OUTCOME  as KEY` lines, whatever kind of value it was logged as (format-2
    /// hashes are domain-separated by kind, §11.2, so each attribute is tested with its own kind;
    /// entries written before a `rekey` used audit keys since destroyed and cannot be matched).
    /// The lookup is logged (with the count only) before the answer is returned.
    package static func entries(mentioning value: [UInt8], vault: Vault) throws -> [String] {
        let formatOne = "h:" + Hex.encode(try vault.auditValueHash(value, kind: nil))
        var byKind: [String: String] = [:]
        let log = try load(directory: vault.directory).log
        var hits: [String] = []
        for line in log.split(separator: 0x0A) {
            guard let e = AuditEntry.parse(line) else { continue }
            for a in e.attrs where a.value.hasPrefix("h:") {
                let needle: String
                if e.format == 1 {
                    needle = formatOne
                } else if let known = byKind[a.key] {
                    needle = known
                } else {
                    needle = "h:" + Hex.encode(try vault.auditValueHash(value, kind: a.key))
                    byKind[a.key] = needle
                }
                if a.value == needle { hits.append("\(e.seq)  \(e.time)  \(e.action)  \(e.outcome)  as \(a.key)") }
            }
        }
        try vault.audit(AuditEvent("audit-check-value", ids: ["count": String(hits.count)]))
        return hits
    }
}
