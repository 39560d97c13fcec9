import Foundation
import SodiumKit
import VaultCore

/// The audit sink the CLI attaches to every vault it opens (SECURITY.md §11). Each append runs
/// under the log's exclusive lock: read the tail, check it against the vault's recorded head,
/// append and fsync the entry, then record the new head in the vault database.
package final class AuditLog: AuditSink {
    /// Where a new vault's log goes unless `init --audit-log PATH` says otherwise.
    package static let defaultFileName = "audit.log"
    /// Extra entries past the vault's recorded head that an interrupted command may leave.
    static let maxUnrecordedTail: Int64 = 8

    /// For `init`: the log to create (its path is then stored in the vault).
    let newLogPath: String?
    /// Log only failed unlocks (for `audit verify --full` and `audit recover`, which look at or
    /// restart the log before writing the entry for their own access).
    let failuresOnly: Bool
    /// True once this sink created a log file (so a failed `init` can remove it again).
    package private(set) var createdLog = false

    package init(newLogPath: String? = nil, failuresOnly: Bool = false) {
        self.newLogPath = newLogPath
        self.failuresOnly = failuresOnly
    }

    /// Locks the log, then reads the vault's record of it *under the lock*, so no other writer can
    /// slip in between reading the state and saving the next one.
    static func lockedState(_ store: any VaultStore) throws -> (AuditFile, AuditState) {
        guard let first = try store.auditState() else { throw noLog }
        let file = try AuditFile(openExisting: first.logPath)
        guard let state = try store.auditState(), state.logPath == first.logPath else {
            throw VaultError.auditUnavailable("the audit log changed while it was being opened; try again")
        }
        return (file, state)
    }

    // MARK: AuditSink

    package func record(_ event: AuditEvent, vault: Vault, sign: Bool) throws {
        if event.action == "init", let newLogPath {
            try start(vault: vault, path: newLogPath, event: event, anchor: nil)
            return
        }
        if failuresOnly { return }
        let (file, state) = try Self.lockedState(vault.store)
        let (tailSeq, tailHash) = try checkedTail(file, state: state, vaultID: vault.vaultID)
        let entry = try makeEntry(event, seq: tailSeq + 1, prev: tailHash, vault: vault, sign: sign)
        try file.append(entry.line)
        try vault.store.saveAuditState(try authenticatedState(state, after: entry, vault: vault))
        withExtendedLifetime(file) {}
    }

    package func failedUnlock(store: any VaultStore, vaultID: [UInt8], method: String) {
        // Best effort: the attempt is refused whatever happens here.
        _ = try? Self.recordUnauthenticated(store: store, vaultID: vaultID, action: "unlock", outcome: "denied",
                                            attrs: [("method", method)])
    }

    /// An entry written without the vault's key (a failed unlock, a public `audit verify`), keyed
    /// with the pending chain's current seed, which then moves on (SECURITY.md §11.4).
    package static func recordUnauthenticated(store: any VaultStore, vaultID: [UInt8], action: String, outcome: String,
                                             attrs: [(key: String, value: String)]) throws {
        let (file, state) = try lockedState(store)
        let (tailSeq, tailHash) = try AuditLog().checkedTail(file, state: state, vaultID: vaultID)
        var entry = AuditEntry(seq: tailSeq + 1, time: AuditChain.timestamp(), action: action, outcome: outcome,
                               attrs: attrs, prev: tailHash, auth: .pending([]))
        entry.auth = .pending(AuditChain.pendingMAC(seed: state.pendingSeed, body: entry.body))
        try file.append(entry.line)
        var next = state
        next.headSeq = entry.seq
        next.headHash = entry.hash
        next.pendingSeed = AuditChain.evolve(state.pendingSeed)
        next.pendingCount += 1
        try store.saveAuditState(next)
        withExtendedLifetime(file) {}
    }

    package func unauthenticated(store: any VaultStore, vaultID: [UInt8], action: String) {
        _ = try? Self.recordUnauthenticated(store: store, vaultID: vaultID, action: action, outcome: "ok", attrs: [])
    }

    package func unlocked(_ vault: Vault, method: String) throws -> Int {
        if failuresOnly { return 0 }
        let (file, state) = try Self.lockedState(vault.store)
        defer { withExtendedLifetime(file) {} }
        // The key stored for verifiers must be this vault's own: a replaced key would let a
        // rewritten log pass a public verification.
        guard state.publicKey == vault.auditPublicKey else {
            throw VaultError.auditTampered("the audit log's public key stored in the vault was replaced; run 'sourcevault audit verify --full'")
        }
        let (tailSeq, tailHash) = try checkedTail(file, state: state, vaultID: vault.vaultID)
        let failed = try checkPendingTail(file, state: state, vault: vault)
        let entry = try makeEntry(AuditEvent("unlock", ids: ["method": method, "failed": String(failed)]),
                                  seq: tailSeq + 1, prev: tailHash, vault: vault, sign: false)
        try file.append(entry.line)
        try vault.store.saveAuditState(try authenticatedState(state, after: entry, vault: vault))
        return failed
    }

    // MARK: Starting a log

    /// `audit recover`: starts a new log for a vault whose log is missing (or, with `replace`, moves a
    /// damaged one aside). The first entry records the head the old log had, so the gap is visible.
    package func recover(vault: Vault, path: String?, replace: Bool) throws -> (path: String, anchor: Int64) {
        let state = try vault.store.auditState()
        let target = path ?? state?.logPath ?? (vault.directory as NSString).appendingPathComponent(Self.defaultFileName)
        if let current = state?.logPath, current != target, FileManager.default.fileExists(atPath: current), !replace {
            throw VaultError.invalidInput("the audit log \(current) still exists; 'audit recover' starts a new log only when it is lost (add --replace to abandon it)")
        }
        if FileManager.default.fileExists(atPath: target) {
            guard replace else {
                throw VaultError.invalidInput("the audit log \(target) exists; 'audit recover' only starts a log that is missing (add --replace to move a damaged one aside)")
            }
            let aside = target + ".damaged-" + AuditChain.timestamp().replacingOccurrences(of: ":", with: "")
            guard rename(target, aside) == 0 else { throw VaultError.auditUnavailable("cannot move the damaged log aside") }
        }
        let anchor = state.map { (seq: $0.headSeq, hash: $0.headHash) }
        try start(vault: vault, path: target,
                  event: AuditEvent("audit-recover", ids: ["lost": String(state?.headSeq ?? 0)]), anchor: anchor)
        return (target, anchor?.seq ?? 0)
    }

    private func start(vault: Vault, path: String, event: AuditEvent, anchor: (seq: Int64, hash: [UInt8])?) throws {
        let file = try AuditFile(create: path)
        createdLog = true
        let prev = anchor?.hash ?? AuditChain.genesis(vaultID: vault.vaultID)
        let entry = try makeEntry(event, seq: (anchor?.seq ?? 0) + 1, prev: prev, vault: vault, sign: true)
        do { try file.append(entry.line) } catch {
            unlink(path)
            throw error
        }
        let base = AuditState(logPath: path, publicKey: vault.auditPublicKey, headSeq: 0, headHash: [], authSeq: 0,
                              authHash: [], authMAC: [], pendingSeed: [], pendingCount: 0)
        try vault.store.saveAuditState(try authenticatedState(base, after: entry, vault: vault))
    }

    // MARK: Helpers

    package static var noLogError: VaultError { noLog }

    static let noLog = VaultError.auditUnavailable(
        "this vault has no audit log yet (made by an older version); start one with 'sourcevault audit recover'")

    /// Builds an entry for `event`: ids verbatim, sensitive values as keyed hashes.
    package func makeEntry(_ event: AuditEvent, seq: Int64, prev: [UInt8], vault: Vault, sign: Bool) throws -> AuditEntry {
        var attrs: [(key: String, value: String)] = []
        for (k, v) in event.ids { attrs.append((Self.clean(k), Self.clean(v))) }
        for (k, v) in event.values { attrs.append((Self.clean(k), "h:" + Hex.encode(try vault.auditValueHash(v)))) }
        var entry = AuditEntry(seq: seq, time: AuditChain.timestamp(), action: Self.clean(event.action),
                               outcome: Self.clean(event.outcome.text), attrs: attrs, prev: prev, auth: .mac([]))
        entry.auth = .mac(try vault.auditMAC(entry.body))
        if sign {
            entry.signature = try vault.auditSign(AuditChain.headMessage(vaultID: vault.vaultID, seq: seq, hash: entry.hash))
        }
        return entry
    }

    /// Only the log's own alphabet; anything else (which no caller should pass) becomes "x".
    static func clean(_ s: String) -> String {
        let ok = s.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."z").contains($0) || $0 == "-" || $0 == ":" || $0 == "." }
        return ok && !s.isEmpty ? s : "x"
    }

    func authenticatedState(_ state: AuditState, after entry: AuditEntry, vault: Vault) throws -> AuditState {
        var next = state
        next.headSeq = entry.seq
        next.headHash = entry.hash
        next.authSeq = entry.seq
        next.authHash = entry.hash
        next.authMAC = try vault.auditMAC(AuditChain.stateMessage(vaultID: vault.vaultID, authSeq: entry.seq, authHash: entry.hash))
        next.pendingSeed = try vault.auditMAC(AuditChain.pendingSeedMessage(vaultID: vault.vaultID, afterSeq: entry.seq))
        next.pendingCount = 0
        next.publicKey = vault.auditPublicKey
        return next
    }

    /// The log's last entry, checked against the head the vault recorded: equal, or extended by a
    /// few entries that chain from it (a command interrupted between the two writes). Anything
    /// else is truncation, rollback or replacement, and nothing more is appended.
    func checkedTail(_ file: AuditFile, state: AuditState, vaultID: [UInt8]) throws(VaultError) -> (Int64, [UInt8]) {
        var (lines, torn) = file.lastLines(Int(Self.maxUnrecordedTail) + 1)
        if torn {
            try file.dropTornTail()
            (lines, torn) = file.lastLines(Int(Self.maxUnrecordedTail) + 1)
        }
        let entries = lines.compactMap(AuditEntry.parse)
        guard entries.count == lines.count, let last = entries.last else {
            throw .auditTampered("the audit log's last entries are unreadable or it is empty (\(file.path)); run 'sourcevault audit verify'")
        }
        if last.seq == state.headSeq {
            guard last.hash == state.headHash else {
                throw .auditTampered("the audit log's last entry is not the one the vault recorded: the log was replaced or rolled back; run 'sourcevault audit verify'")
            }
            return (last.seq, last.hash)
        }
        guard last.seq > state.headSeq else {
            throw .auditTampered("the audit log ends at entry \(last.seq) but the vault recorded \(state.headSeq): it was truncated or rolled back; run 'sourcevault audit verify'")
        }
        guard last.seq - state.headSeq <= Self.maxUnrecordedTail,
              let anchor = entries.firstIndex(where: { $0.seq == state.headSeq }), entries[anchor].hash == state.headHash
        else {
            throw .auditTampered("the audit log does not continue from the entry the vault recorded; run 'sourcevault audit verify'")
        }
        for i in (anchor + 1)..<entries.count where entries[i].prev != entries[i - 1].hash || entries[i].seq != entries[i - 1].seq + 1 {
            throw .auditTampered("the audit log's last entries do not chain; run 'sourcevault audit verify'")
        }
        return (last.seq, last.hash)
    }

    /// At unlock: the entries after the last authenticated one must be exactly the failed attempts
    /// the vault counted, each keyed with the next seed of the pending chain, ending at the seed the
    /// vault holds. Deleting, editing or reordering them is caught here (SECURITY.md §11.4).
    /// Returns the number of failed unlocks among them.
    func checkPendingTail(_ file: AuditFile, state: AuditState, vault: Vault) throws -> Int {
        let expectedMAC = try vault.auditMAC(AuditChain.stateMessage(vaultID: vault.vaultID, authSeq: state.authSeq, authHash: state.authHash))
        guard expectedMAC == state.authMAC else {
            throw VaultError.auditTampered("the vault's record of its audit log was altered; run 'sourcevault audit verify'")
        }
        let n = state.headSeq - state.authSeq
        guard n >= 0, state.pendingCount >= 0, state.pendingCount <= n else {
            throw VaultError.auditTampered("the count of failed unlock attempts recorded in the vault was altered")
        }
        let lines = file.lastLines(Int(n + Self.maxUnrecordedTail) + 1).lines.compactMap(AuditEntry.parse)
        guard let authIndex = lines.firstIndex(where: { $0.seq == state.authSeq }), lines[authIndex].hash == state.authHash else {
            throw VaultError.auditTampered("the last entry written by an unlocked session is missing from the audit log")
        }
        var seed = try vault.auditMAC(AuditChain.pendingSeedMessage(vaultID: vault.vaultID, afterSeq: state.authSeq))
        var prev = state.authHash
        let after = lines[(authIndex + 1)...].filter { $0.seq <= state.headSeq }
        guard after.count == Int(n) else {
            throw VaultError.auditTampered("failed unlock attempts logged since the last session were deleted")
        }
        var pending: [AuditEntry] = []
        for e in after {
            guard e.prev == prev else {
                throw VaultError.auditTampered("a failed unlock attempt logged since the last session was altered")
            }
            switch e.auth {
            case .mac(let m):
                // An authenticated entry the vault did not record (a command killed between its
                // two writes): it carries the key's MAC, so it is checked, not counted.
                guard m == (try vault.auditMAC(e.body)) else {
                    throw VaultError.auditTampered("an entry after the last recorded session was altered")
                }
            case .pending(let m):
                guard m == AuditChain.pendingMAC(seed: seed, body: e.body) else {
                    throw VaultError.auditTampered("a failed unlock attempt logged since the last session was altered")
                }
                seed = AuditChain.evolve(seed)
                pending.append(e)
            }
            prev = e.hash
        }
        guard pending.count == Int(state.pendingCount) else {
            throw VaultError.auditTampered("failed unlock attempts logged since the last session were deleted")
        }
        guard seed == state.pendingSeed else {
            throw VaultError.auditTampered("failed unlock attempts logged since the last session were deleted or replaced")
        }
        return pending.filter { $0.action == "unlock" && $0.outcome == "denied" }.count
    }
}

extension AuditLog {
    /// Before asking for a passphrase: the vault has an audit log and it can be opened for writing.
    /// Refusing here means no secret is typed and nothing is decrypted (fail closed).
    package static func precheck(directory: String) throws {
        guard let state = try Vault.openStore(directory).0.auditState() else { throw noLog }
        _ = try AuditFile(openExisting: state.logPath)
    }
}
