import Foundation
import SodiumKit
import VaultCore

/// The classes of failure `audit verify` reports (SECURITY.md §11.6).
public enum AuditFailure: String, Sendable {
    case modified, reordered, missing, truncated
    case rolledBack = "rolled back"
    case foreign = "foreign entry"
}

public struct AuditProblem: Sendable, Equatable {
    public var seq: Int64?
    public var failure: AuditFailure
    public var detail: String
}

/// What verification found. `problem` is the first bad thing; everything before it checked out.
public struct AuditReport: Sendable {
    public var entries: [AuditEntry] = []
    public var problem: AuditProblem?
    /// Highest sequence number covered by a valid signature (0 if none).
    public var signedThrough: Int64 = 0
    /// Whether entry MACs and the pending chain were checked (needs the vault unlocked).
    public var macsChecked = false
    public var notes: [String] = []
    public var ok: Bool { problem == nil }
}

/// A signed statement of the log's size and head, kept away from the device (SECURITY.md §11.7).
public struct AuditCheckpoint: Sendable, Equatable {
    public var vaultID: [UInt8]
    public var size: Int64
    public var head: [UInt8]
    public var time: String
    public var signature: [UInt8]

    public init(vaultID: [UInt8], size: Int64, head: [UInt8], time: String, signature: [UInt8]) {
        self.vaultID = vaultID; self.size = size; self.head = head; self.time = time; self.signature = signature
    }

    public var text: String {
        """
        sourcevault-audit-checkpoint v1
        vault: \(Hex.encode(vaultID))
        size: \(size)
        head: \(Hex.encode(head))
        time: \(time)
        signature: \(Hex.encode(signature))

        """
    }

    public static func parse(_ text: String) -> AuditCheckpoint? {
        var fields: [String: String] = [:]
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.first == "sourcevault-audit-checkpoint v1" else { return nil }
        for l in lines.dropFirst() {
            guard let c = l.firstIndex(of: ":") else { return nil }
            fields[String(l[..<c])] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        guard let v = fields["vault"].flatMap(Hex.decode), v.count == 16, let size = fields["size"].flatMap({ Int64($0) }),
              let head = fields["head"].flatMap(Hex.decode), head.count == 32,
              let sig = fields["signature"].flatMap(Hex.decode), sig.count == Ed25519.signatureBytes
        else { return nil }
        return AuditCheckpoint(vaultID: v, size: size, head: head, time: fields["time"] ?? "", signature: sig)
    }

    public func verify(publicKey: [UInt8]) -> Bool {
        Ed25519.verify(signature: signature, message: AuditChain.checkpointMessage(vaultID: vaultID, size: size, head: head),
                       publicKey: publicKey)
    }
}

public enum AuditVerifier {
    /// Verifies a whole log. Without `vault`, only what a public key can check: the hash chain,
    /// the signatures and the vault's recorded head. With it, also every MAC and the pending chain.
    public static func verify(log: [UInt8], vaultID: [UInt8], publicKey: [UInt8], state: AuditState?,
                              vault: Vault? = nil, checkpoint: AuditCheckpoint? = nil) -> AuditReport {
        var report = AuditReport()
        report.macsChecked = vault != nil
        var lines = log.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        if log.last != 0x0A && !log.isEmpty {
            lines.removeLast()
            report.notes.append("the last line is incomplete (a write was interrupted); it is ignored")
        }
        var previous: AuditEntry?
        var pendingSeed: [UInt8]?
        // Seeds from the latest run of authenticated entries, newest first: the pending chain
        // starts from the last one the vault recorded, which a killed command may leave up to 8
        // entries before the first pending entry.
        var seedCandidates: [[UInt8]] = []
        func fail(_ seq: Int64?, _ f: AuditFailure, _ d: String) -> AuditReport {
            var r = report
            r.problem = AuditProblem(seq: seq, failure: f, detail: d)
            return r
        }
        for line in lines {
            let expectedSeq = (previous?.seq ?? 0) + 1
            guard let e = AuditEntry.parse(line) else {
                return fail(expectedSeq, .modified, "entry \(expectedSeq) is not a well-formed entry")
            }
            if let p = previous {
                if e.seq <= p.seq { return fail(e.seq, .reordered, "entry \(e.seq) comes after entry \(p.seq)") }
                if e.seq > p.seq + 1 {
                    // The expected entry further down means the order was changed, not an entry lost.
                    let later = lines.contains { AuditEntry.parse($0)?.seq == p.seq + 1 }
                    return later ? fail(p.seq + 1, .reordered, "entry \(p.seq + 1) comes after entry \(e.seq)")
                                 : fail(p.seq + 1, .missing, "entries \(p.seq + 1)-\(e.seq - 1) are missing")
                }
                guard e.prev == p.hash else {
                    return fail(e.seq, .modified, "entry \(e.seq) does not chain to entry \(p.seq) (one of them was altered, or it came from another log)")
                }
            } else if e.seq == 1 {
                guard e.prev == AuditChain.genesis(vaultID: vaultID) else {
                    return fail(1, .foreign, "the first entry belongs to another vault's log")
                }
            } else {
                guard e.action == "audit-recover" else {
                    return fail(1, .missing, "the log starts at entry \(e.seq); entries 1-\(e.seq - 1) are missing")
                }
                report.notes.append("this log was restarted by 'audit recover' at entry \(e.seq); earlier entries are not in it")
            }
            if let sig = e.signature {
                guard Ed25519.verify(signature: sig, message: AuditChain.headMessage(vaultID: vaultID, seq: e.seq, hash: e.hash),
                                     publicKey: publicKey) else {
                    return fail(e.seq, .modified, "the signature of entry \(e.seq) does not verify")
                }
                report.signedThrough = e.seq
            }
            if let vault {
                switch e.auth {
                case .mac(let m):
                    guard let expected = try? vault.auditMAC(e.body), expected == m else {
                        return fail(e.seq, .modified, "the MAC of entry \(e.seq) does not verify (altered, or from another vault)")
                    }
                    if let s = try? vault.auditMAC(AuditChain.pendingSeedMessage(vaultID: vaultID, afterSeq: e.seq)) {
                        var afterMAC = false
                        if let p = previous, case .mac = p.auth { afterMAC = true }
                        if !afterMAC { seedCandidates = [] }
                        seedCandidates.insert(s, at: 0)
                        if seedCandidates.count > Int(AuditLog.maxUnrecordedTail) + 1 { seedCandidates.removeLast() }
                        pendingSeed = s
                    }
                case .pending(let m):
                    if !seedCandidates.isEmpty {
                        // First pending entry after authenticated ones: find the recorded starting seed.
                        guard let start = seedCandidates.first(where: { m == AuditChain.pendingMAC(seed: $0, body: e.body) }) else {
                            return fail(e.seq, .modified, "entry \(e.seq), written before an unlock, does not verify")
                        }
                        pendingSeed = start
                        seedCandidates = []
                    }
                    guard let seed = pendingSeed, m == AuditChain.pendingMAC(seed: seed, body: e.body) else {
                        return fail(e.seq, .modified, "entry \(e.seq), written before an unlock, does not verify")
                    }
                    pendingSeed = AuditChain.evolve(seed)
                }
            }
            report.entries.append(e)
            previous = e
        }
        guard let last = previous else { return fail(1, .truncated, "the log is empty") }
        if let state {
            if last.seq < state.headSeq {
                return fail(last.seq + 1, .truncated, "the log ends at entry \(last.seq) but the vault recorded \(state.headSeq) entries")
            }
            if let recorded = report.entries.first(where: { $0.seq == state.headSeq }), recorded.hash != state.headHash {
                return fail(state.headSeq, .rolledBack, "entry \(state.headSeq) is not the one the vault recorded (the log was replaced or rolled back)")
            }
            if last.seq > state.headSeq {
                report.notes.append("\(last.seq - state.headSeq) entr\(last.seq - state.headSeq == 1 ? "y" : "ies") after the vault's record (a command was interrupted)")
            }
            if vault != nil, let authEntry = report.entries.first(where: { $0.seq == state.authSeq }), authEntry.hash != state.authHash {
                return fail(state.authSeq, .rolledBack, "entry \(state.authSeq) is not the last one the vault authenticated")
            }
            if let vault, let seed = pendingSeed, last.seq == state.headSeq, seed != state.pendingSeed {
                _ = vault
                return fail(state.headSeq, .missing, "entries written before the next unlock were removed")
            }
        }
        if let checkpoint {
            guard checkpoint.vaultID == vaultID, checkpoint.verify(publicKey: publicKey) else {
                return fail(nil, .foreign, "the checkpoint is not signed by this vault's key")
            }
            guard let at = report.entries.first(where: { $0.seq == checkpoint.size }) else {
                return fail(checkpoint.size, .rolledBack, "the log is older than the checkpoint (it has \(last.seq) entries, the checkpoint \(checkpoint.size)): vault and log were rolled back")
            }
            guard at.hash == checkpoint.head else {
                return fail(checkpoint.size, .rolledBack, "entry \(checkpoint.size) differs from the checkpoint's head: the log was replaced")
            }
        }
        if report.signedThrough < last.seq {
            report.notes.append("\(last.seq - report.signedThrough) entr\(last.seq - report.signedThrough == 1 ? "y" : "ies") after the last signed head \(report.macsChecked ? "(checked by MAC)" : "are covered only by the hash chain (failed unlocks, or an interrupted command)")")
        }
        return report
    }
}
