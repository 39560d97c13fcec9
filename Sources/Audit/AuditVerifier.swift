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
    /// The entry blamed (§11.6), and the line of the log it is on (1-based) when known.
    public var seq: Int64?
    public var line: Int?
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
    /// The keys that signed the log, oldest first, each with the first entry it applies to: one,
    /// unless `rekey` handed the log over to new keys (§11.8).
    public var keys: [(from: Int64, key: [UInt8])] = []
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
        Ed25519.verify(
            signature: signature, message: AuditChain.checkpointMessage(vaultID: vaultID, size: size, head: head),
            publicKey: publicKey)
    }
}

public enum AuditVerifier {
    /// Verifies a whole log. Without `vault`, only what a public key can check: the hash chain, the
    /// signatures (following key hand-overs, §11.8) and the vault's recorded head. With it, also
    /// every MAC and the pending chain made with the vault's current audit key, and the vault's
    /// generation. `publicKey` is the key the verifier trusts: the current one, or any earlier one
    /// (the hand-overs lead from it to the current key).
    public static func verify(
        log: [UInt8], vaultID: [UInt8], publicKey: [UInt8], state: AuditState?,
        vault: Vault? = nil, checkpoint: AuditCheckpoint? = nil
    ) -> AuditReport {
        var report = AuditReport()
        report.macsChecked = vault != nil
        var lines = log.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        if log.last != 0x0A && !log.isEmpty {
            lines.removeLast()
            report.notes.append("the last line is incomplete (a write was interrupted); it is ignored")
        }
        let parsed = lines.map(AuditEntry.parse)
        func fail(_ seq: Int64?, _ line: Int?, _ f: AuditFailure, _ d: String) -> AuditReport {
            var r = report
            r.problem = AuditProblem(seq: seq, line: line, failure: f, detail: d)
            return r
        }
        /// The entry `seq` of the log, if its hash is not `hash` (the vault's record of it).
        func differs(_ seq: Int64, _ hash: [UInt8]) -> Bool {
            report.entries.first(where: { $0.seq == seq }).map { $0.hash != hash } ?? false
        }

        // Pass 1: what a public key can check.
        // The key in use starts as the trusted one, or, if the log was handed over to new keys, as
        // the key the first hand-over names as its origin; then a signature by the trusted key (or
        // its countersignature of a hand-over) vouches for everything before it.
        let firstHandover = parsed.lazy.compactMap { $0?.handover }.first
        var current = firstHandover?.from ?? publicKey
        var anchored = current == publicKey
        report.keys = [(1, current)]
        var pendingHandover: (seq: Int64, to: [UInt8])?
        var declaredSignedThrough: Int64 = 0
        var firstSigned: (seq: Int64, line: Int)?
        var previous: AuditEntry?
        // Each entry's hash, computed once: the next entry's `prev` and a signature both need it.
        var previousHash: [UInt8] = []
        var lastGeneration: (gen: UInt64, seq: Int64)?
        var sawFormatTwo = false
        var restoredAt: Int64?
        for i in lines.indices {
            let lineNo = i + 1
            let expectedSeq = (previous?.seq ?? 0) + 1
            guard let e = parsed[i] else {
                return fail(
                    expectedSeq, lineNo, .modified,
                    "line \(lineNo), where entry \(expectedSeq) belongs, is "
                        + "not a well-formed entry")
            }
            let hash = e.hash
            if let p = previous {
                if e.seq == p.seq && e.prev == p.prev {
                    // Two entries numbered alike after the same entry: the one the log goes on from
                    // is the original, the other was inserted.
                    let next = i + 1 < parsed.count ? parsed[i + 1] : nil
                    let inserted = next?.prev == hash ? lineNo - 1 : lineNo
                    return fail(
                        e.seq, inserted, .modified,
                        "entry \(e.seq) appears twice (lines \(lineNo - 1) and "
                            + "\(lineNo)); the one on line \(inserted) was inserted or "
                            + "duplicated")
                }
                if e.seq <= p.seq {
                    return fail(
                        e.seq, lineNo, .reordered,
                        "entry \(e.seq) comes after entry "
                            + "\(p.seq)")
                }
                if e.seq > p.seq + 1 {
                    // The expected entry further down means the order was changed, not an entry lost.
                    let later = parsed.contains { $0?.seq == p.seq + 1 }
                    return later
                        ? fail(p.seq + 1, lineNo, .reordered, "entry \(p.seq + 1) comes after entry \(e.seq)")
                        : fail(p.seq + 1, lineNo, .missing, "entries \(p.seq + 1)-\(e.seq - 1) are missing")
                }
                guard e.prev == previousHash else {
                    return fail(
                        e.seq, lineNo, .modified,
                        "entry \(e.seq) does not chain to entry \(p.seq) (one of "
                            + "them was altered, or it came from another log)")
                }
                if e.format == 2 && e.time < p.time {
                    return fail(
                        e.seq, lineNo, .modified,
                        "entry \(e.seq) is dated before entry \(p.seq) (forged or "
                            + "backdated)")
                }
            } else if e.seq == 1 {
                guard e.prev == AuditChain.genesis(vaultID: vaultID) else {
                    return fail(1, lineNo, .foreign, "the first entry belongs to another vault's log")
                }
            } else {
                guard e.action == "audit-recover" else {
                    return fail(
                        1, lineNo, .missing,
                        "the log starts at entry \(e.seq); entries 1-\(e.seq - 1) are "
                            + "missing")
                }
                report.notes.append("this log was restarted by 'audit recover' at entry \(e.seq); earlier entries are not in it")
            }
            if e.format == 1 && sawFormatTwo {
                return fail(
                    e.seq, lineNo, .modified,
                    "entry \(e.seq) is in the old format after format-2 entries "
                        + "(forged or inserted)")
            }
            sawFormatTwo = sawFormatTwo || e.format == 2
            if e.format == 2 && e.isAuthenticated {
                guard let g = e.generation else {
                    return fail(e.seq, lineNo, .modified, "entry \(e.seq) records no generation")
                }
                if let last = lastGeneration, g < last.gen {
                    return fail(
                        e.seq, lineNo, .rolledBack,
                        "entry \(e.seq) records generation \(g), older than entry "
                            + "\(last.seq)'s \(last.gen): it was written by an older "
                            + "copy of the vault")
                }
                lastGeneration = (g, e.seq)
            }
            if e.action == "restore" { restoredAt = e.seq }
            if let sig = e.signature {
                let message = AuditChain.headMessage(vaultID: vaultID, seq: e.seq, hash: hash)
                if let h = pendingHandover {
                    if Ed25519.verify(signature: sig, message: message, publicKey: h.to) {
                        current = h.to
                        report.keys.append((h.seq + 1, h.to))
                        pendingHandover = nil
                    } else if e.action == "rekey", e.outcome.hasPrefix("failed"),
                        Ed25519.verify(signature: sig, message: message, publicKey: current)
                    {
                        report.notes.append(
                            "the rekey that handed the log over at entry \(h.seq) did not complete "
                                + "(entry \(e.seq)); the key did not change")
                        pendingHandover = nil
                    } else {
                        return fail(
                            e.seq, lineNo, .modified,
                            "the signature of entry \(e.seq) does not verify with "
                                + "the key entry \(h.seq) handed the log over to")
                    }
                } else if !Ed25519.verify(signature: sig, message: message, publicKey: current) {
                    return fail(e.seq, lineNo, .modified, "the signature of entry \(e.seq) does not verify")
                }
                if firstSigned == nil { firstSigned = (e.seq, lineNo) }
                if anchored { report.signedThrough = e.seq } else { declaredSignedThrough = e.seq }
            }
            if e.action == AuditEntry.handoverAction {
                guard let h = e.handover, e.signature != nil, pendingHandover == nil, h.from == current else {
                    return fail(
                        e.seq, lineNo, .modified,
                        "entry \(e.seq) hands the log over, but not from the key in "
                            + "use, or unsigned")
                }
                let countersigned = AuditChain.handoverMessage(
                    vaultID: vaultID, seq: e.seq, prev: e.prev,
                    from: h.from, to: h.to)
                guard Ed25519.verify(signature: h.cosig, message: countersigned, publicKey: h.to) else {
                    return fail(
                        e.seq, lineNo, .modified,
                        "the hand-over in entry \(e.seq) is not countersigned by "
                            + "the key it names")
                }
                if !anchored && h.to == publicKey {
                    // The trusted key countersigned the chain up to here and the key before it.
                    anchored = true
                    report.signedThrough = max(declaredSignedThrough, e.seq)
                }
                pendingHandover = (e.seq, h.to)
            }
            report.entries.append(e)
            previous = e
            previousHash = hash
        }
        guard let last = previous else { return fail(1, nil, .truncated, "the log is empty") }
        if !anchored {
            return fail(
                firstSigned?.seq, firstSigned?.line, .modified,
                "no signature in the log verifies with the given key or a key it handed over to")
        }
        if let h = pendingHandover {
            // Settled by the vault when it is unlocked: its key is the new one once the rekey committed.
            if let vault, vault.auditPublicKey == h.to {
                report.keys.append((h.seq + 1, h.to))
            } else if vault == nil {
                report.notes.append(
                    "entry \(h.seq) hands the log over to a new key; no entry signed with it follows "
                        + "yet")
            }
        }
        if report.keys.count > 1 {
            let hops = report.keys.dropFirst().map { "entry \($0.from - 1) (to \(Hex.encode($0.key).prefix(16))…)" }
            report.notes.append(
                "rekey handed the log over to new audit keys at \(hops.joined(separator: ", ")); the "
                    + "key now in use is \(Hex.encode(report.keys.last!.key)): keep it with the one you had")
        }

        // The vault's record of the log.
        if let state {
            if last.seq < state.headSeq {
                return fail(
                    last.seq + 1, nil, .truncated,
                    "the log ends at entry \(last.seq) but the vault recorded "
                        + "\(state.headSeq) entries")
            }
            if differs(state.headSeq, state.headHash) {
                return fail(
                    state.headSeq, nil, .rolledBack,
                    "entry \(state.headSeq) is not the one the vault "
                        + "recorded (the log was replaced or rolled back)")
            }
            let beyond = report.entries.filter { $0.seq > state.headSeq }
            let allowed = beyond.contains { $0.format == 2 } ? 1 : AuditLog.formatOneUnrecordedTail
            if beyond.count > allowed {
                return fail(
                    state.headSeq + 1, nil, .rolledBack,
                    "\(beyond.count) entries follow entry "
                        + "\(state.headSeq), the last one the vault recorded, "
                        + "where an interrupted command leaves at most "
                        + "\(allowed): \(AuditLog.rolledBack), or another copy "
                        + "wrote to the log")
            }
            if !beyond.isEmpty {
                let check = vault == nil ? "; only --full can check that it is authentic" : ""
                report.notes.append(
                    "\(beyond.count) entr\(beyond.count == 1 ? "y" : "ies") after the vault's record "
                        + "(a command was interrupted)" + check)
            }
        }

        // Pass 2: MACs and the pending chain, under the vault's own audit key, from the entry where
        // that key took over (entries before a hand-over were MACed with keys since destroyed).
        if let vault {
            guard let epoch = report.keys.last(where: { $0.key == vault.auditPublicKey }) else {
                return fail(nil, nil, .foreign, "the vault's audit key never signed this log")
            }
            guard epoch.key == report.keys.last!.key else {
                return fail(
                    report.keys.last!.from - 1, nil, .rolledBack,
                    "\(AuditLog.rolledBack) (the log was handed "
                        + "over to a newer audit key at entry "
                        + "\(report.keys.last!.from - 1))")
            }
            if epoch.from > 1 {
                report.notes.append(
                    "MACs of entries before \(epoch.from) were made with an earlier audit key "
                        + "(destroyed by rekey); the signatures cover them")
            }
            var pendingSeed: [UInt8]?
            // The latest run of authenticated entries, newest first: the pending chain starts from
            // the seed after the last one the vault recorded, which is the run's last entry or, if
            // a writer was killed before recording it, the one before (format 1: up to 8 before).
            // Seeds are computed only when a pending entry needs them.
            var run: [Int64] = []
            var afterMAC = false
            func seed(after seq: Int64) -> [UInt8]? {
                try? vault.auditMAC(AuditChain.pendingSeedMessage(vaultID: vaultID, afterSeq: seq))
            }
            for (i, e) in report.entries.enumerated() where e.seq >= epoch.from - 1 {
                let lineNo = i + 1  // every line is an entry once pass 1 passed
                let inEpoch = e.seq >= epoch.from
                switch e.auth {
                case .mac(let m):
                    if inEpoch {
                        guard let expected = try? vault.auditMAC(e.body), expected == m else {
                            return fail(
                                e.seq, lineNo, .modified,
                                "the MAC of entry \(e.seq) does not verify (forged, "
                                    + "altered, or from another vault)")
                        }
                    }
                    if !afterMAC { run = [] }
                    run.insert(e.seq, at: 0)
                    if run.count > Int(AuditLog.formatOneUnrecordedTail) + 1 { run.removeLast() }
                    pendingSeed = nil
                    afterMAC = true
                case .pending(let m):
                    afterMAC = false
                    guard inEpoch else { continue }
                    if !run.isEmpty {
                        // First pending entry after authenticated ones: find the recorded starting seed.
                        let allowed = e.format == 2 ? 2 : run.count
                        let start = run.prefix(allowed).lazy.compactMap { seed(after: $0) }.first {
                            m == AuditChain.pendingMAC(seed: $0, body: e.body)
                        }
                        guard let start else {
                            return fail(
                                e.seq, lineNo, .modified,
                                "entry \(e.seq), written before an unlock, does not "
                                    + "verify")
                        }
                        pendingSeed = start
                        run = []
                    }
                    guard let seed = pendingSeed, m == AuditChain.pendingMAC(seed: seed, body: e.body) else {
                        return fail(
                            e.seq, lineNo, .modified,
                            "entry \(e.seq), written before an unlock, does not "
                                + "verify")
                    }
                    pendingSeed = AuditChain.evolve(seed)
                }
            }
            // A log ending in authenticated entries: the seed is the one after the last of them.
            if pendingSeed == nil, let newest = run.first { pendingSeed = seed(after: newest) }
            if let state {
                if differs(state.authSeq, state.authHash) {
                    return fail(
                        state.authSeq, nil, .rolledBack,
                        "entry \(state.authSeq) is not the last one the "
                            + "vault authenticated")
                }
                if let seed = pendingSeed, last.seq == state.headSeq, seed != state.pendingSeed {
                    return fail(state.headSeq, nil, .missing, "entries written before the next unlock were removed")
                }
            }
            if let logged = lastGeneration, let now = try? vault.currentGeneration(), now < logged.gen {
                return fail(
                    logged.seq, nil, .rolledBack,
                    "\(AuditLog.rolledBack) (the vault is at generation \(now); "
                        + "entry \(logged.seq) records generation \(logged.gen))")
            }
        }
        if let checkpoint {
            // The checkpoint was signed with the key in use at its entry.
            let key = report.keys.last(where: { $0.from <= checkpoint.size })?.key ?? publicKey
            guard checkpoint.vaultID == vaultID,
                checkpoint.verify(publicKey: key) || checkpoint.verify(publicKey: publicKey)
            else {
                return fail(nil, nil, .foreign, "the checkpoint is not signed by this vault's key")
            }
            let restore =
                restoredAt.map {
                    "; the log records a 'restore' of a backup at entry \($0): if you restored it, this is why"
                } ?? ""
            guard let at = report.entries.first(where: { $0.seq == checkpoint.size }) else {
                return fail(
                    checkpoint.size, nil, .rolledBack,
                    "the log is older than the checkpoint (it has "
                        + "\(last.seq) entries, the checkpoint "
                        + "\(checkpoint.size)): vault and log were rolled "
                        + "back\(restore)")
            }
            guard at.hash == checkpoint.head else {
                return fail(
                    checkpoint.size, nil, .rolledBack,
                    "entry \(checkpoint.size) differs from the "
                        + "checkpoint's head: the log was replaced\(restore)")
            }
        }
        if report.signedThrough < last.seq {
            report.notes.append(
                "\(last.seq - report.signedThrough) entr\(last.seq - report.signedThrough == 1 ? "y" : "ies") after the last signed head \(report.macsChecked ? "(checked by MAC)" : "are covered only by the hash chain (failed unlocks, or an interrupted command)")"
            )
        }
        return report
    }
}
