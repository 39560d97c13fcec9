import Foundation
import SodiumKit
import VaultCore

/// The audit sink the CLI attaches to every vault it opens (SECURITY.md §11). Each append runs
/// under the log's exclusive lock: read the end of the log back to the last entry the vault
/// recorded, check every entry after it (§11.3), append and fsync the entry, then record the new
/// head in the vault database.
package final class AuditLog: AuditSink {
    /// Where a new vault's log goes unless `init --audit-log PATH` says otherwise.
    package static let defaultFileName = "audit.log"
    /// Format-1 (`SVA1`) logs only: entries past the vault's recorded head that an interrupted
    /// command could leave under the old rule. Format 2 allows exactly one (§11.3).
    static let formatOneUnrecordedTail: Int64 = 8

    /// What a vault file older than its log is refused with (§11.3).
    package static let rolledBack = "the vault file is older than its audit log: rolled back or restored from a copy"

    /// For `init`: the log to create (its path is then stored in the vault).
    let newLogPath: String?
    /// Log only failed unlocks (for `audit verify --full` and `audit recover`, which look at or
    /// restart the log before writing the entry for their own access).
    let failuresOnly: Bool
    /// True once this sink created a log file (so a failed `init` can remove it again).
    package private(set) var createdLog = false
    /// `loc` values already computed, by public key and directory.
    private var locations: [String: String] = [:]

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
        defer { withExtendedLifetime(file) {} }
        try Self.checkKey(state, vault)
        var tail = try verifiedTail(file, state: state, vault: vault)
        try append(event, after: &tail, file: file, vault: vault, sign: sign)
    }

    package func failedUnlock(store: any VaultStore, vaultID: [UInt8], method: String) {
        // Best effort: the attempt is refused whatever happens here.
        _ = try? Self.recordUnauthenticated(
            store: store, vaultID: vaultID, action: "unlock", outcome: "denied",
            attrs: [("method", method)])
    }

    /// An entry written without the vault's key (a failed unlock, a public `audit verify`, a
    /// restore), keyed with the pending chain's current seed, which then moves on (§11.4). It is
    /// written whatever state the log is in: if the end of the log does not continue the head the
    /// vault recorded (garbage, a forged or unreadable entry, a cut), the entry chains to that
    /// recorded head, is marked `log=damaged`, and the damage stays in the log for the next unlock
    /// to report.
    package static func recordUnauthenticated(
        store: any VaultStore, vaultID: [UInt8], action: String, outcome: String,
        attrs: [(key: String, value: String)]
    ) throws {
        let (file, state) = try lockedState(store)
        defer { withExtendedLifetime(file) {} }
        let tail = file.tail(anchoredAt: state.headSeq, hash: state.headHash)
        var next = state
        var chainTo: (seq: Int64, hash: [UInt8], time: String?) = (state.headSeq, state.headHash, nil)
        var damaged = tail.anchor == nil
        if let head = tail.anchor {
            chainTo = (head.seq, head.hash, head.time)
            if tail.after.count == 1, let e = AuditEntry.parse(tail.after[0]),
                e.seq == head.seq + 1, e.prev == head.hash, e.format == 1 || e.time >= head.time
            {
                // One entry the vault did not record (a writer killed between appending and
                // recording it): recorded now, before this one, so at most one is ever unrecorded.
                switch e.auth {
                case .pending(let m):
                    if m == AuditChain.pendingMAC(seed: state.pendingSeed, body: e.body) {
                        next.pendingSeed = AuditChain.evolve(state.pendingSeed)
                        next.pendingCount += 1
                    } else {
                        damaged = true
                    }
                case .mac:
                    break  // its MAC is checked by the next unlock, which has the key
                }
                if !damaged {
                    next.headSeq = e.seq
                    next.headHash = e.hash
                    chainTo = (e.seq, e.hash, e.time)
                    try save(store, next)
                }
            } else if !tail.after.isEmpty {
                damaged = true
            }
        }
        var extra = attrs
        var prefix: [UInt8] = []
        if !tail.partial.isEmpty {
            if !damaged && AuditEntry.couldBeTornEntry(tail.partial) {
                try file.cut(tail.partial.count)
                extra.append(("torn", String(tail.partial.count)))
            } else {
                prefix = [0x0A]  // garbage stays, as evidence, on a line of its own
                extra.append(("log", "damaged"))
            }
        }
        if damaged {
            chainTo = (state.headSeq, state.headHash, nil)
            if !extra.contains(where: { $0.key == "log" }) { extra.append(("log", "damaged")) }
        }
        var entry = AuditEntry(
            seq: chainTo.seq + 1, time: timestamp(after: chainTo.time), action: action,
            outcome: outcome, attrs: extra, prev: chainTo.hash, auth: .pending([]))
        entry.auth = .pending(AuditChain.pendingMAC(seed: next.pendingSeed, body: entry.body))
        try file.append(prefix + entry.line)
        next.headSeq = entry.seq
        next.headHash = entry.hash
        next.pendingSeed = AuditChain.evolve(next.pendingSeed)
        next.pendingCount += 1
        try save(store, next)
    }

    package func unauthenticated(store: any VaultStore, vaultID: [UInt8], action: String) {
        _ = try? Self.recordUnauthenticated(store: store, vaultID: vaultID, action: action, outcome: "ok", attrs: [])
    }

    package func unlocked(_ vault: Vault, method: String) throws -> Int {
        if failuresOnly { return 0 }
        let (file, state) = try Self.lockedState(vault.store)
        defer { withExtendedLifetime(file) {} }
        try Self.checkKey(state, vault)
        var tail = try verifiedTail(file, state: state, vault: vault)
        try checkBinding(file.path, vault: vault, lastLocation: tail.location)
        var ids = ["method": method, "failed": String(tail.failedUnlocks)]
        if let logged = tail.generation {
            var generation = vault.generation
            if generation < logged { generation = try vault.currentGeneration() }
            guard generation >= logged else {
                throw VaultError.auditTampered(
                    "\(Self.rolledBack) (the vault is at generation \(generation); entry "
                        + "\(tail.generationEntry) of the log records generation \(logged))")
            }
            // Writes committed that no entry records yet: a command killed between its commit and
            // its entry, or one still running.
            if generation > logged { ids["unlogged"] = String(generation - logged) }
        }
        try append(AuditEvent("unlock", ids: ids), after: &tail, file: file, vault: vault, sign: false)
        return tail.failedUnlocks
    }

    /// `rekey` (§11.8): the hand-over entry, MACed and signed with the old keys and countersigned
    /// by the new one; the commit, which stores the new keys with the log's state under them; then
    /// the rekey's last entry, signed with the new key. If the commit fails, its failure is logged
    /// and signed with the old key, which voids the hand-over. The log stays locked throughout.
    package func rotate(
        _ event: AuditEvent, vault: Vault, to next: AuditKeys,
        commit: (AuditState?) throws -> Void
    ) throws {
        // (Refused before anything is handed over: its closing entry is made under the new keys.)
        guard event.hashedValues.isEmpty else { throw VaultError.auditUnavailable("a hashed audit value under other keys") }
        if failuresOnly {
            try commit(nil)
            return
        }
        let (file, state) = try Self.lockedState(vault.store)
        defer { withExtendedLifetime(file) {} }
        try Self.checkKey(state, vault)
        var tail = try verifiedTail(file, state: state, vault: vault)
        try prepare(&tail, file: file, vault: vault)
        let from = vault.auditPublicKey, to = next.auditPublicKey
        let cosig = try next.auditSign(
            AuditChain.handoverMessage(
                vaultID: vault.vaultID, seq: tail.last.seq + 1,
                prev: tail.last.hash, from: from, to: to))
        let handover = AuditEvent(
            AuditEntry.handoverAction,
            ids: ["from": Hex.encode(from), "key": Hex.encode(to), "cosig": Hex.encode(cosig)])
        let h = try makeEntry(handover, after: &tail, signer: vault, vault: vault, sign: true)
        try file.append(h.line)
        let underOld = try Self.authenticatedState(tail.state, after: h, signer: vault, vaultID: vault.vaultID)
        try Self.save(vault.store, underOld)
        tail.last = h
        tail.state = underOld
        let underNew = try Self.authenticatedState(tail.state, after: h, signer: next, vaultID: vault.vaultID)
        do { try commit(underNew) } catch {
            var failure = event
            failure.outcome = .failure(error)
            if let void = try? makeEntry(failure, after: &tail, signer: vault, vault: vault, sign: true),
                (try? file.append(void.line)) != nil
            {
                try? vault.store.saveAuditState(
                    try Self.authenticatedState(
                        underOld, after: void, signer: vault,
                        vaultID: vault.vaultID))
            }
            throw error
        }
        tail.state = underNew
        do {
            let closing = try makeEntry(event, after: &tail, signer: next, vault: vault, sign: true)
            try file.append(closing.line)
            try Self.save(
                vault.store,
                try Self.authenticatedState(
                    underNew, after: closing, signer: next,
                    vaultID: vault.vaultID))
        } catch {
            throw VaultError.auditUnavailable(
                "the vault was rekeyed, but the rekey's last audit entry could not be "
                    + "written (\(error)); the next unlock completes the hand-over")
        }
    }

    /// `audit rebind`: a vault whose log is outside its directory was moved on purpose; its
    /// entries from now on carry its new place (§11.5). Logged and signed.
    package func rebind(vault: Vault) throws {
        let (file, state) = try Self.lockedState(vault.store)
        defer { withExtendedLifetime(file) {} }
        try Self.checkKey(state, vault)
        if let owner = Self.vaultBeside(file.path, vault: vault) {
            throw VaultError.auditTampered(
                "the audit log \(file.path) belongs to the vault in \(owner), not to this "
                    + "one; give this vault a log of its own with 'sourcevault audit recover "
                    + "--replace --audit-log PATH'")
        }
        var tail = try verifiedTail(file, state: state, vault: vault)
        try append(AuditEvent("audit-rebind"), after: &tail, file: file, vault: vault, sign: true)
    }

    // MARK: Starting a log

    /// `audit recover`: starts a new log for a vault whose log is missing (or, with `replace`, moves a
    /// damaged one aside). The first entry records the head the old log had, so the gap is visible.
    package func recover(vault: Vault, path: String?, replace: Bool) throws -> (path: String, anchor: Int64) {
        let state = try vault.store.auditState()
        let target =
            path ?? state?.logPath
            ?? (vault.directory as NSString).appendingPathComponent(Self.defaultFileName)
        if let current = state?.logPath, current != target, FileManager.default.fileExists(atPath: current), !replace {
            throw VaultError.invalidInput(
                "the audit log \(current) still exists; 'audit recover' starts a new log "
                    + "only when it is lost (add --replace to abandon it)")
        }
        if FileManager.default.fileExists(atPath: target) {
            guard replace else {
                throw VaultError.invalidInput(
                    "the audit log \(target) exists; 'audit recover' only starts a log that "
                        + "is missing (add --replace to move a damaged one aside)")
            }
            // A copied vault must not move the original vault's log out of its way.
            if let owner = Self.vaultBeside(target, vault: vault) {
                throw VaultError.invalidInput(
                    "the audit log \(target) belongs to the vault in \(owner), not to this "
                        + "one; start this vault's own log elsewhere with --audit-log PATH")
            }
            let aside = target + ".damaged-" + AuditChain.timestamp().replacingOccurrences(of: ":", with: "")
            guard rename(target, aside) == 0 else {
                throw VaultError.auditUnavailable("cannot move the damaged log aside")
            }
        }
        let anchor = state.map { (seq: $0.headSeq, hash: $0.headHash) }
        try start(
            vault: vault, path: target,
            event: AuditEvent("audit-recover", ids: ["lost": String(state?.headSeq ?? 0)]), anchor: anchor)
        return (target, anchor?.seq ?? 0)
    }

    /// A new log: entry 1 chains to the genesis value; after `audit recover`, the first entry is
    /// numbered one past the vault's recorded head and its `prev` is that head's hash (§11.6).
    private func start(vault: Vault, path: String, event: AuditEvent, anchor: (seq: Int64, hash: [UInt8])?) throws {
        let file = try AuditFile(create: path)
        createdLog = true
        let prev = anchor?.hash ?? AuditChain.genesis(vaultID: vault.vaultID)
        let entry = try Self.entry(
            event, seq: (anchor?.seq ?? 0) + 1, prev: prev, time: AuditChain.timestamp(),
            signer: vault, vaultID: vault.vaultID, generation: vault.generation,
            location: try location(of: vault, signer: vault), sign: true)
        do { try file.append(entry.line) } catch {
            unlink(path)
            throw error
        }
        let base = AuditState(
            logPath: path, publicKey: vault.auditPublicKey, headSeq: 0, headHash: [], authSeq: 0,
            authHash: [], authMAC: [], pendingSeed: [], pendingCount: 0)
        try Self.save(
            vault.store,
            try Self.authenticatedState(
                base, after: entry, signer: vault,
                vaultID: vault.vaultID))
    }

    // MARK: The end of the log

    /// The end of the log as an unlocked writer found it (§11.3), and what must be recorded
    /// before the next entry is appended.
    struct CheckedTail {
        /// The entry the next one chains to.
        var last: AuditEntry
        /// The vault's record, with the one entry it did not record yet (if any) taken in.
        var state: AuditState
        /// `state` differs from the stored record: save it before appending.
        var adopt = false
        /// Bytes of a torn last line to cut; then recorded as `torn=N` in the next entry.
        var torn = 0
        var notes: [String: String] = [:]
        var failedUnlocks = 0
        /// The highest `gen` among the entries read, and the entry that records it.
        var generation: UInt64?
        var generationEntry: Int64 = 0
        /// `loc` of the last entry (not a hand-over) that has one.
        var location: String?
        /// A hand-over entry no signed entry follows yet.
        var handover: AuditEntry?
        /// The next entry must be signed (it confirms a hand-over to this vault's key).
        var signNext = false
    }

    /// Reads the log back to the last entry this vault wrote (`auth_seq`, whose record the state
    /// MAC authenticates) and checks every entry after it: each must parse, chain, not be dated
    /// before the one it follows, and authenticate (`m:` by the audit MAC, `p:` by the pending
    /// chain); the head the vault recorded must be among them, with exactly the failed attempts it
    /// counted; at most one may follow the head (a writer killed between appending and recording)
    /// and at most one `m:` entry may follow `auth_seq`; more means the vault file is older than
    /// its log. Nothing is appended after anything that fails: a forged entry is refused, never
    /// signed over.
    func verifiedTail(_ file: AuditFile, state: AuditState, vault: Vault) throws -> CheckedTail {
        let expectedMAC = try vault.auditMAC(
            AuditChain.stateMessage(
                vaultID: vault.vaultID, authSeq: state.authSeq,
                authHash: state.authHash))
        guard expectedMAC == state.authMAC else {
            throw VaultError.auditTampered(
                "the vault's record of its audit log was altered; run 'sourcevault audit "
                    + "verify'")
        }
        guard state.headSeq >= state.authSeq, state.pendingCount >= 0,
            state.pendingCount <= state.headSeq - state.authSeq
        else {
            throw VaultError.auditTampered("the count of failed unlock attempts recorded in the vault was altered")
        }
        let tail = file.tail(anchoredAt: state.authSeq, hash: state.authHash)
        guard let auth = tail.anchor else {
            if let last = tail.lastEntry, last.seq < state.authSeq, !tail.sawSeq {
                throw VaultError.auditTampered(
                    "the audit log ends at entry \(last.seq) but the vault recorded "
                        + "\(state.headSeq): it was truncated or rolled back; run 'sourcevault "
                        + "audit verify'")
            }
            throw VaultError.auditTampered(
                "entry \(state.authSeq), the last one this vault wrote, is missing from "
                    + "the audit log or is not the one it recorded: the log was replaced, cut or "
                    + "rolled back; run 'sourcevault audit verify'")
        }
        var checked = CheckedTail(last: auth, state: state)
        func note(_ e: AuditEntry) {
            guard e.isAuthenticated else { return }
            if let g = e.generation, g >= checked.generation ?? 0 {
                checked.generation = g
                checked.generationEntry = e.seq
            }
            if e.handover == nil, let loc = e.attr("loc") { checked.location = loc }
            if e.signature != nil { checked.handover = nil }
            if e.handover != nil { checked.handover = e }
        }
        note(auth)
        var prev = auth
        var seed = try vault.auditMAC(AuditChain.pendingSeedMessage(vaultID: vault.vaultID, afterSeq: state.authSeq))
        var seedAtHead: [UInt8]? = state.headSeq == auth.seq ? seed : nil
        var recordedPending: Int64 = 0
        var unrecorded: [AuditEntry] = []
        var authentic = 0
        var handedOver: AuditEntry?
        for line in tail.after {
            guard let e = AuditEntry.parse(line) else {
                throw VaultError.auditTampered(
                    "the line after entry \(prev.seq) in the audit log is not an entry: "
                        + "something other than SourceVault wrote there; nothing was appended "
                        + "(run 'sourcevault audit verify')")
            }
            guard e.seq == prev.seq + 1, e.prev == prev.hash else {
                throw VaultError.auditTampered(
                    "entry \(e.seq) does not continue the audit log after entry "
                        + "\(prev.seq): an entry was inserted, removed or altered; nothing was "
                        + "appended")
            }
            if e.format == 1 && prev.format == 2 {
                throw VaultError.auditTampered(
                    "entry \(e.seq) is in the old format after a format-2 entry: it was "
                        + "forged or inserted")
            }
            if e.format == 2 && e.time < prev.time {
                throw VaultError.auditTampered(
                    "entry \(e.seq) is dated before entry \(prev.seq): it was forged or "
                        + "backdated; nothing was appended")
            }
            let pastHead = seedAtHead != nil
            switch e.auth {
            case .mac(let m):
                guard m == (try vault.auditMAC(e.body)) else {
                    if let h = handedOver {
                        throw VaultError.auditTampered(
                            "\(Self.rolledBack) (the log was handed over to another audit "
                                + "key at entry \(h.seq) by a rekey this vault file does not "
                                + "have)")
                    }
                    throw VaultError.auditTampered(
                        "entry \(e.seq) is not authentic: its MAC does not verify (a "
                            + "forged or altered entry); nothing was appended")
                }
                authentic += 1
                guard authentic == 1, handedOver == nil else {
                    throw VaultError.auditTampered(
                        "\(Self.rolledBack) (entries after entry \(state.authSeq), the "
                            + "last one it recorded, were written with its key)")
                }
                if let h = e.handover, h.from == vault.auditPublicKey { handedOver = e }
            case .pending(let m):
                guard m == AuditChain.pendingMAC(seed: seed, body: e.body) else {
                    throw VaultError.auditTampered(
                        "entry \(e.seq), written without the key (a failed unlock "
                            + "attempt), was altered or forged; run 'sourcevault audit verify'")
                }
                seed = AuditChain.evolve(seed)
                if !pastHead { recordedPending += 1 }
                if e.action == "unlock" && e.outcome == "denied" { checked.failedUnlocks += 1 }
            }
            note(e)
            if pastHead { unrecorded.append(e) }
            if e.seq == state.headSeq {
                guard e.hash == state.headHash else {
                    throw VaultError.auditTampered(
                        "entry \(e.seq) is not the one the vault recorded as the log's "
                            + "last: the log was replaced or rolled back; run 'sourcevault audit "
                            + "verify'")
                }
                seedAtHead = seed
            }
            prev = e
        }
        guard let headSeed = seedAtHead else {
            throw VaultError.auditTampered(
                "the audit log ends at entry \(prev.seq) but the vault recorded "
                    + "\(state.headSeq): it was truncated or rolled back; run 'sourcevault audit "
                    + "verify'")
        }
        guard recordedPending == state.pendingCount else {
            throw VaultError.auditTampered("failed unlock attempts logged since the last session were deleted")
        }
        guard headSeed == state.pendingSeed else {
            throw VaultError.auditTampered(
                "failed unlock attempts logged since the last session were deleted or "
                    + "replaced")
        }
        guard unrecorded.count <= 1 else {
            throw VaultError.auditTampered(
                "the audit log holds \(unrecorded.count) entries after entry "
                    + "\(state.headSeq), the last one the vault recorded, and an interrupted "
                    + "command leaves at most one: another copy of this vault wrote to it, or "
                    + "the vault's record was rolled back")
        }
        if !tail.partial.isEmpty {
            guard AuditEntry.couldBeTornEntry(tail.partial) else {
                throw VaultError.auditTampered(
                    "the audit log's last line (after entry \(prev.seq)) is not an entry: "
                        + "something other than SourceVault wrote there; nothing was appended "
                        + "(run 'sourcevault audit verify')")
            }
            checked.torn = tail.partial.count
        }
        if let e = unrecorded.first {
            if e.isAuthenticated {
                checked.state = try Self.authenticatedState(state, after: e, signer: vault, vaultID: vault.vaultID)
            } else {
                checked.state.headSeq = e.seq
                checked.state.headHash = e.hash
                checked.state.pendingSeed = AuditChain.evolve(state.pendingSeed)
                checked.state.pendingCount += 1
            }
            checked.adopt = true
        }
        checked.last = prev
        return checked
    }

    /// Before the next entry: record the entry the vault did not record yet (so at most one is
    /// ever unrecorded), cut a torn line (noted in the next entry), and settle a hand-over no
    /// signature follows yet: to this vault's key, the next entry is signed and confirms it; from
    /// this vault's key, the rekey never committed, and its failure, signed, voids it (§11.8).
    func prepare(_ tail: inout CheckedTail, file: AuditFile, vault: Vault) throws {
        if tail.adopt {
            try Self.save(vault.store, tail.state)
            tail.adopt = false
        }
        if tail.torn > 0 {
            try file.cut(tail.torn)
            tail.notes["torn"] = String(tail.torn)
            tail.torn = 0
        }
        guard let h = tail.handover, let keys = h.handover else { return }
        if keys.to == vault.auditPublicKey {
            tail.signNext = true
        } else if keys.from == vault.auditPublicKey {
            let void = try makeEntry(
                AuditEvent("rekey", outcome: .failed("interrupted")), after: &tail, signer: vault,
                vault: vault, sign: true)
            try file.append(void.line)
            tail.state = try Self.authenticatedState(tail.state, after: void, signer: vault, vaultID: vault.vaultID)
            try Self.save(vault.store, tail.state)
            tail.last = void
        } else {
            throw VaultError.auditTampered(
                "entry \(h.seq) hands the audit log over between keys that are not this "
                    + "vault's")
        }
        tail.handover = nil
    }

    /// Appends `event` after a checked tail and records it as the vault's new head.
    func append(_ event: AuditEvent, after tail: inout CheckedTail, file: AuditFile, vault: Vault, sign: Bool) throws {
        try prepare(&tail, file: file, vault: vault)
        let entry = try makeEntry(event, after: &tail, signer: vault, vault: vault, sign: sign || tail.signNext)
        try file.append(entry.line)
        tail.state = try Self.authenticatedState(tail.state, after: entry, signer: vault, vaultID: vault.vaultID)
        try Self.save(vault.store, tail.state)
        tail.last = entry
        tail.signNext = false
    }

    // MARK: Binding a log to its vault

    /// A log outside the vault's directory (§11.5) must not sit beside another vault's database
    /// (a copy of a vault whose log path was absolute), and must have been written last from this
    /// vault's directory (a copy, `cp -a`, shares the original's log outside the directory).
    func checkBinding(_ logPath: String, vault: Vault, lastLocation: String?) throws {
        guard Self.real((logPath as NSString).deletingLastPathComponent) != Self.real(vault.directory) else { return }
        if let owner = Self.vaultBeside(logPath, vault: vault) {
            throw VaultError.auditTampered(
                "the audit log \(logPath) belongs to the vault in \(owner), not to this "
                    + "one: this vault is a copy of it; give the copy a log of its own with "
                    + "'sourcevault audit recover --replace --audit-log PATH'")
        }
        if let lastLocation, lastLocation != (try location(of: vault, signer: vault)) {
            throw VaultError.auditTampered(
                "the audit log \(logPath) was last written from another vault directory: "
                    + "this vault is a copy (cp -a), or was moved; a copy needs a log of its own "
                    + "('sourcevault audit recover --replace --audit-log PATH'), a moved vault "
                    + "is confirmed with 'sourcevault audit rebind'")
        }
    }

    /// The directory of another vault's database beside `logPath`, if there is one.
    static func vaultBeside(_ logPath: String, vault: Vault) -> String? {
        let logDir = real((logPath as NSString).deletingLastPathComponent)
        guard logDir != real(vault.directory),
            FileManager.default.fileExists(atPath: Vault.databasePath(in: logDir))
        else { return nil }
        return logDir
    }

    static func real(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// `loc`: the first 8 bytes, in hex, of the keyed hash (kind `location`) of the vault
    /// directory's real path. Equal only for the same directory; reveals nothing without the key.
    func location(of vault: Vault, signer: AuditSigner) throws -> String {
        let dir = Self.real(vault.directory)
        let key = Hex.encode(signer.auditPublicKey) + dir
        if let known = locations[key] { return known }
        let loc = Hex.encode(Array(try signer.auditValueHash(Array(dir.utf8), kind: "location").prefix(8)))
        locations[key] = loc
        return loc
    }

    // MARK: Helpers

    package static var noLogError: VaultError { noLog }

    /// Records the log's new head in the vault. If the database cannot be written (full, I/O
    /// error), the audit write is incomplete and the operation is refused like any audit failure.
    static func save(_ store: any VaultStore, _ state: AuditState) throws {
        do { try store.saveAuditState(state) } catch {
            var why = "\(error)"
            if case .storage(let m) = error { why = m }
            throw VaultError.auditUnavailable(
                "cannot record the audit log's new head in the vault (\(why)); the "
                    + "operation was refused")
        }
    }

    static let noLog = VaultError.auditUnavailable(
        "this vault has no audit log yet (made by an older version); start one with 'sourcevault audit recover'")

    /// The key stored for verifiers must be this vault's own: a replaced key would let a rewritten
    /// log pass a public verification. A vault object whose keys another process's `rekey`
    /// replaced must not write at all.
    static func checkKey(_ state: AuditState, _ vault: Vault) throws {
        guard state.publicKey != vault.auditPublicKey else { return }
        if !vault.keysAreCurrent() {
            throw VaultError.auditUnavailable(
                "the vault was rekeyed by another process since it was unlocked; unlock "
                    + "it again")
        }
        throw VaultError.auditTampered(
            "the audit log's public key stored in the vault was replaced; run 'sourcevault "
                + "audit verify --full'")
    }

    /// Builds an entry for `event` numbered `seq` after `prev` (the benchmark's door): the
    /// vault's generation and place, ids verbatim, sensitive values as keyed hashes.
    package func makeEntry(
        _ event: AuditEvent, seq: Int64, prev: [UInt8], vault: Vault,
        sign: Bool
    ) throws -> AuditEntry {
        try Self.entry(
            event, seq: seq, prev: prev, time: AuditChain.timestamp(), signer: vault, vaultID: vault.vaultID,
            generation: vault.generation, location: try location(of: vault, signer: vault), sign: sign)
    }

    /// The next entry after a checked tail: never dated before the entry it follows; `gen` is
    /// the highest generation known, the vault's or one already logged (§11.3); the tail's notes
    /// (a cut torn line) go in once.
    func makeEntry(
        _ event: AuditEvent, after tail: inout CheckedTail, signer: AuditSigner, vault: Vault,
        sign: Bool
    ) throws -> AuditEntry {
        // (Hashed values are the vault's own keyed hashes: never under another signer's keys.)
        guard event.hashedValues.isEmpty || signer === vault else {
            throw VaultError.auditUnavailable("a hashed audit value under other keys")
        }
        var event = event
        for (k, v) in tail.notes { event.ids[k] = v }
        tail.notes = [:]
        let generation = max(vault.generation, tail.generation ?? 0)
        let entry = try Self.entry(
            event, seq: tail.last.seq + 1, prev: tail.last.hash,
            time: Self.timestamp(after: tail.last.time), signer: signer, vaultID: vault.vaultID,
            generation: generation, location: try location(of: vault, signer: signer),
            sign: sign)
        tail.generation = generation
        return entry
    }

    static func entry(
        _ event: AuditEvent, seq: Int64, prev: [UInt8], time: String, signer: AuditSigner,
        vaultID: [UInt8], generation: UInt64, location: String, sign: Bool
    ) throws -> AuditEntry {
        var attrs: [(key: String, value: String)] = [("gen", String(generation)), ("loc", location)]
        for (k, v) in event.ids where k != "gen" && k != "loc" { attrs.append((clean(k), clean(v))) }
        for (k, v) in event.values {
            attrs.append((clean(k), "h:" + Hex.encode(try signer.auditValueHash(v, kind: clean(k)))))
        }
        for (k, h) in event.hashedValues {
            // Only a 32-byte hash of the kind it is logged as (`check-value` looks for that kind).
            guard clean(k) == k, h.count == 32 else { throw VaultError.auditUnavailable("a hashed audit value is malformed") }
            attrs.append((k, "h:" + Hex.encode(h)))
        }
        var entry = AuditEntry(
            seq: seq, time: time, action: clean(event.action), outcome: clean(event.outcome.text),
            attrs: attrs, prev: prev, auth: .mac([]))
        entry.auth = .mac(try signer.auditMAC(entry.body))
        if sign {
            entry.signature = try signer.auditSign(AuditChain.headMessage(vaultID: vaultID, seq: seq, hash: entry.hash))
        }
        return entry
    }

    /// Now, or the time of the entry before if the clock says earlier: times never decrease.
    static func timestamp(after previous: String?) -> String {
        let now = AuditChain.timestamp()
        guard let previous, previous > now else { return now }
        return previous
    }

    /// Only the log's own alphabet; anything else (which no caller should pass) becomes "x".
    static func clean(_ s: String) -> String {
        let ok = s.unicodeScalars.allSatisfy {
            ("0"..."9").contains($0) || ("a"..."z").contains($0) || $0 == "-" || $0 == ":" || $0 == "."
        }
        return ok && !s.isEmpty ? s : "x"
    }

    /// The vault's record after an authenticated entry: head and last authenticated entry are
    /// `entry`, the state MAC covers them, the pending chain starts afresh from it.
    static func authenticatedState(
        _ state: AuditState, after entry: AuditEntry, signer: AuditSigner,
        vaultID: [UInt8]
    ) throws -> AuditState {
        var next = state
        next.headSeq = entry.seq
        next.headHash = entry.hash
        next.authSeq = entry.seq
        next.authHash = entry.hash
        next.authMAC = try signer.auditMAC(
            AuditChain.stateMessage(
                vaultID: vaultID, authSeq: entry.seq,
                authHash: entry.hash))
        next.pendingSeed = try signer.auditMAC(AuditChain.pendingSeedMessage(vaultID: vaultID, afterSeq: entry.seq))
        next.pendingCount = 0
        next.publicKey = signer.auditPublicKey
        return next
    }
}

extension AuditLog {
    /// Before asking for a passphrase: the vault has an audit log and it can be opened for writing.
    /// Refusing here means no secret is typed and nothing is decrypted (fail closed).
    package static func precheck(_ vault: LockedVault) throws {
        guard let state = try vault.auditState() else { throw noLog }
        _ = try AuditFile(openExisting: state.logPath)
    }
}
