import Foundation
import GRDB
import SodiumKit
import TestSupport
import Testing

@testable import Audit
@testable import VaultCore

/// The audit layer's rules (SECURITY.md §11.3–§11.8), driven in-process against a throwaway vault.
/// `Vault.generation` is set directly where a test needs a generation the manifest would give.
final class AuditFixture {
    let tmp = TempDirectory("auditlog")
    var dir: String { tmp.vault }
    var logPath: String { dir + "/audit.log" }
    static let passphrase = "correct horse battery staple"

    init() throws {
        _ = try Vault.create(
            directory: dir, passphrase: try Self.secret(), profile: .test,
            audit: AuditLog(newLogPath: logPath), showRecoveryKey: { _ in })
    }

    static func secret(_ s: String = passphrase) throws -> SecureBytes { try SecureBytes(copying: Array(s.utf8)) }

    func unlock(_ s: String = passphrase) throws -> Vault {
        try Vault.unlock(directory: dir, passphrase: try Self.secret(s), audit: AuditLog())
    }

    /// The message of the `auditTampered` error `body` throws, or nil (any other outcome).
    func tampered(_ body: () throws -> Void) -> String? {
        do { try body() } catch VaultError.auditTampered(let m) { return m } catch { return "other error: \(error)" }
        return nil
    }

    var log: [UInt8] { Array(FileManager.default.contents(atPath: logPath) ?? Data()) }
    var lines: [String] { String(decoding: log, as: UTF8.self).split(separator: "\n").map(String.init) }
    var entries: [AuditEntry] { lines.compactMap { AuditEntry.parse(ArraySlice(Array($0.utf8))) } }
    func write(_ lines: [String]) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: logPath))
    }
    func appendRaw(_ bytes: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        h.seekToEndOfFile()
        h.write(Data(bytes.utf8))
        try h.close()
    }

    func state() throws -> AuditState { try #require(try Vault.openStore(dir).0.auditState()) }
    func save(_ s: AuditState) throws { try Vault.openStore(dir).0.saveAuditState(s) }

    /// Public verification (with `vault`: also every MAC and the pending chain).
    func verify(_ vault: Vault? = nil, key: [UInt8]? = nil) throws -> AuditReport {
        let l = try AuditLog.load(directory: dir)
        return AuditVerifier.verify(
            log: l.log, vaultID: l.header.vaultID, publicKey: key ?? l.state.publicKey,
            state: l.state, vault: vault)
    }

    /// An entry after the log's last one that no SourceVault wrote: chains correctly, with a MAC
    /// made with a key nobody holds.
    func forged(after last: AuditEntry, action: String = "export", time: String? = nil) -> AuditEntry {
        AuditEntry(
            seq: last.seq + 1, time: time ?? last.time, action: action, outcome: "ok",
            attrs: [("gen", String(last.generation ?? 0)), ("record", "0123456789abcdef")], prev: last.hash,
            auth: .mac([UInt8](repeating: 0x5a, count: 32)))
    }

    /// An authentic entry after `last`, MACed by `vault` at `time`, not recorded in the vault.
    /// (Its generation is the last entry's unless given: real writes carry the manifest's.)
    func authentic(
        _ vault: Vault, after last: AuditEntry, action: String = "show", time: String? = nil,
        generation: UInt64? = nil, sign: Bool = false
    ) throws -> AuditEntry {
        try AuditLog.entry(
            AuditEvent(action), seq: last.seq + 1, prev: last.hash, time: time ?? last.time,
            signer: vault, vaultID: vault.vaultID, generation: generation ?? last.generation ?? 0,
            location: "0000000000000000", sign: sign)
    }
}

@Suite struct AuditLogTests {
    @Test func aForgedEntryAppendedIsRefusedNotSignedOver() throws {
        let f = try AuditFixture()
        _ = try f.unlock().addSource(alias: "Magpie")
        let forged = f.forged(after: f.entries.last!)
        try f.appendRaw(String(decoding: forged.line, as: UTF8.self))
        let before = f.log
        let m = f.tampered { _ = try f.unlock() }
        #expect(m?.contains("entry \(forged.seq) is not authentic") == true, "\(m ?? "accepted")")
        #expect(f.log == before, "something was appended after the forged entry")
        // A failed unlock is still logged (after it: the keyless writer cannot check a MAC), and
        // the forged entry is still refused at the next unlock, not signed over.
        #expect(throws: VaultError.wrongPassphrase) { _ = try f.unlock("wrong") }
        #expect(f.entries.last?.action == "unlock" && f.entries.last?.outcome == "denied")
        #expect(f.tampered { _ = try f.unlock() }?.contains("entry \(forged.seq) is not authentic") == true)
        // Full verification names it too.
        let v = try Vault.unlock(directory: f.dir, passphrase: try AuditFixture.secret())
        #expect(try f.verify(v).problem?.seq == forged.seq)
    }

    @Test func aBackdatedForgedEntryFailsEvenPublicVerification() throws {
        let f = try AuditFixture()
        _ = try f.unlock().addSource(alias: "Magpie")
        let forged = f.forged(after: f.entries.last!, time: "2020-01-01T00:00:00Z")
        try f.appendRaw(String(decoding: forged.line, as: UTF8.self))
        let report = try f.verify()
        #expect(
            report.problem?.seq == forged.seq && report.problem?.detail.contains("dated before") == true,
            "\(report.problem as Any)")
        #expect(f.tampered { _ = try f.unlock() }?.contains("entry \(forged.seq) is dated before") == true)
        // An old-format (SVA1) forgery, which has no time rule, is refused as a downgrade.
        var old = f.forged(after: f.entries[f.entries.count - 2], time: "2020-01-01T00:00:00Z")
        old.format = 1
        var ls = f.lines
        ls[ls.count - 1] = String(decoding: old.line.dropLast(), as: UTF8.self)
        try f.write(ls)
        #expect(try f.verify().problem?.detail.contains("old format") == true)
    }

    @Test func aForgedEntryInsertedIsNamed() throws {
        let f = try AuditFixture()
        let v = try f.unlock()
        for i in 0..<3 { _ = try v.addSource(alias: "Source \(i)") }
        // In the middle: a second entry numbered 3 after entry 2.
        var ls = f.lines
        let forged = f.forged(after: f.entries[1])
        ls.insert(String(decoding: forged.line.dropLast(), as: UTF8.self), at: 2)
        try f.write(ls)
        let report = try f.verify()
        #expect(report.problem?.seq == 3 && report.problem?.line == 3, "\(report.problem as Any)")
        #expect(report.problem?.detail.contains("appears twice") == true, "\(report.problem as Any)")
        let plain = try Vault.unlock(directory: f.dir, passphrase: try AuditFixture.secret())
        let full = try f.verify(plain)
        #expect(full.problem?.seq == 3 && full.problem?.line == 3, "\(full.problem as Any)")
        // In the part of the log an unlock reads (after the last entry this vault wrote): refused there too.
        ls.remove(at: 2)
        try f.write(ls)
        #expect(throws: VaultError.wrongPassphrase) { _ = try f.unlock("wrong") }
        #expect(throws: VaultError.wrongPassphrase) { _ = try f.unlock("wrong again") }
        var tail = f.lines
        let denied = try #require(AuditEntry.parse(ArraySlice(Array(tail[tail.count - 2].utf8))))
        let inserted = AuditEntry(
            seq: denied.seq + 1, time: denied.time, action: "unlock", outcome: "denied",
            attrs: [("method", "passphrase")], prev: denied.hash,
            auth: .pending([UInt8](repeating: 7, count: 32)))
        tail.insert(String(decoding: inserted.line.dropLast(), as: UTF8.self), at: tail.count - 1)
        try f.write(tail)
        let m = f.tampered { _ = try f.unlock() }
        #expect(m?.contains("entry \(inserted.seq)") == true, "\(m ?? "accepted")")
    }

    /// The vault file put back from a copy taken mid-command (after the unlock entry was
    /// recorded, before the write's entry): structurally one unrecorded entry, allowed; the
    /// generation it records gives the rollback away. Generations are set directly here; with
    /// the manifest they come from the sealed manifest.
    @Test func aVaultFileOlderThanItsLogIsRefusedByGeneration() throws {
        let f = try AuditFixture()
        let v = try f.unlock()
        let copy = try Data(contentsOf: URL(fileURLWithPath: f.tmp.vaultDatabase))
        v.generation = 7
        try v.audit(AuditEvent("rule-add", ids: ["rule": "0123456789abcdef"]))
        #expect(f.entries.last?.generation == 7)
        let current = try f.state()
        try copy.write(to: URL(fileURLWithPath: f.tmp.vaultDatabase))
        let m = f.tampered { _ = try f.unlock() }
        #expect(m?.hasPrefix(AuditLog.rolledBack) == true && m?.contains("generation 7") == true, "\(m ?? "accepted")")
        #expect(
            AuditLog.rolledBack
                == "the vault file is older than its audit log: rolled back or restored from a copy")
        // The older file with the current record of the log spliced in (no key needed): the
        // record matches the log, the generation still gives the file away.
        try f.save(current)
        let g = f.tampered { _ = try f.unlock() }
        #expect(g?.hasPrefix(AuditLog.rolledBack) == true, "\(g ?? "accepted")")
        // Full verification says so as well.
        let plain = try Vault.unlock(directory: f.dir, passphrase: try AuditFixture.secret())
        #expect(try f.verify(plain).problem?.failure == .rolledBack)
    }

    /// A command killed between its commit and its entry leaves the vault one write ahead of the
    /// log: accepted, and the next unlock entry says so.
    @Test func aVaultAheadOfItsLogIsAcceptedAndNoted() throws {
        let f = try AuditFixture()
        _ = try f.unlock()
        let v = try Vault.unlock(directory: f.dir, passphrase: try AuditFixture.secret())
        let ahead = (f.entries.compactMap(\.generation).max() ?? 0) + 1
        v.generation = ahead
        _ = try AuditLog().unlocked(v, method: "passphrase")
        let last = try #require(f.entries.last)
        #expect(last.action == "unlock" && last.attr("unlogged") == "1" && last.generation == ahead)
        // Every later entry carries at least the highest generation logged, even from a process
        // that read an older one (a session unlocked before another process wrote).
        let stale = try Vault.unlock(directory: f.dir, passphrase: try AuditFixture.secret())
        stale.attachAudit(AuditLog())
        try stale.audit(AuditEvent("list"))
        #expect(f.entries.last?.generation == ahead)
    }

    /// The database replaced by a copy from one write earlier, and from ten: the log holds
    /// entries written with the vault's key after the last one the copy recorded.
    @Test(arguments: [1, 10])
    func theDatabaseReplacedByAnOlderCopyIsRefused(writes: Int) throws {
        let f = try AuditFixture()
        _ = try f.unlock().addSource(alias: "Magpie")
        let copy = try Data(contentsOf: URL(fileURLWithPath: f.tmp.vaultDatabase))
        for i in 0..<writes { _ = try f.unlock().addSource(alias: "Later \(i)") }
        try copy.write(to: URL(fileURLWithPath: f.tmp.vaultDatabase))
        let m = f.tampered { _ = try f.unlock() }
        #expect(m?.hasPrefix(AuditLog.rolledBack) == true, "\(m ?? "accepted")")
        #expect(try f.verify().problem?.failure == .rolledBack)
    }

    @Test func keyedHashesAreSeparatedByKindAndCheckValueFindsEveryKind() throws {
        let f = try AuditFixture()
        let v = try f.unlock()
        _ = try v.addSource(alias: "Ri Jong-yol")
        _ = try v.search("Ri Jong-yol")
        let alias = try #require(f.entries.first { $0.action == "source-add" }?.attr("alias"))
        let query = try #require(f.entries.first { $0.action == "search" }?.attr("query"))
        #expect(alias.hasPrefix("h:") && query.hasPrefix("h:") && alias != query)
        let value = Array("Ri Jong-yol".utf8)
        #expect(try v.auditValueHash(value, kind: "query") != v.auditValueHash(value, kind: "alias"))
        #expect(try v.auditValueHash(value, kind: nil) != v.auditValueHash(value, kind: "alias"))
        let hits = try AuditLog.entries(mentioning: value, vault: v)
        #expect(hits.count == 2, "\(hits)")
        #expect(hits.contains { $0.hasSuffix("as alias") } && hits.contains { $0.hasSuffix("as query") }, "\(hits)")
        #expect(try AuditLog.entries(mentioning: Array("someone else".utf8), vault: v).isEmpty)
    }

    /// The value hash is SECURITY.md §11.2's formula (streamed, it is never joined in memory):
    /// BLAKE2b-256 under subkey 7 of "sourcevault.v2.audit-value" 0x00 kind 0x00 value.
    @Test func valueHashesAreTheFormulaOfTheSpec() throws {
        let root = try SecureBytes(copying: Array(0..<32))
        let keys = try AuditKeys(root: root)
        let key = try Subkey.auditValue.derive(from: root)
        for value in [[], Array("Ri Jong-yol".utf8), (0..<300_000).map { UInt8(truncatingIfNeeded: $0) }] {
            for kind in ["excerpt", "query", ""] {
                let message = Array("sourcevault.v2.audit-value".utf8) + [0] + Array(kind.utf8) + [0] + value
                #expect(try keys.auditValueHash(value, kind: kind) == GenericHash.keyedHash(message, key: key, length: 32))
            }
            #expect(try keys.auditValueHash(value, kind: nil) == GenericHash.keyedHash(value, key: key, length: 32))
        }
    }

    @Test func timestampsNeverDecrease() throws {
        let f = try AuditFixture()
        let v = try f.unlock()
        // An authentic entry dated in the future (a clock set forward), recorded: later entries keep its date.
        let future = try f.authentic(v, after: f.entries.last!, time: "2099-01-01T00:00:00Z")
        try f.appendRaw(String(decoding: future.line, as: UTF8.self))
        try f.save(try AuditLog.authenticatedState(try f.state(), after: future, signer: v, vaultID: v.vaultID))
        try v.audit(AuditEvent("list"))
        #expect(f.entries.last?.time == "2099-01-01T00:00:00Z")
        #expect(try f.verify(v).ok)
        // An authentic entry dated before the one it follows is refused, even with a valid MAC.
        let back = try f.authentic(v, after: f.entries.last!, time: "2098-01-01T00:00:00Z")
        try f.appendRaw(String(decoding: back.line, as: UTF8.self))
        #expect(f.tampered { try v.audit(AuditEvent("list")) }?.contains("entry \(back.seq) is dated before") == true)
        #expect(try f.verify(v).problem?.seq == back.seq)
    }

    @Test func aTornLastLineIsCutAndRecorded() throws {
        let f = try AuditFixture()
        _ = try f.unlock()
        let torn = "SVA2\t\(f.entries.last!.seq + 1)\t2026-12-"
        try f.appendRaw(torn)
        _ = try f.unlock()
        let unlock = try #require(f.entries.last)
        #expect(unlock.attr("torn") == String(torn.utf8.count) && f.log.last == 0x0A)
        #expect(try f.verify(try f.unlock()).ok)
        // A keyless writer cuts it too, and records the cut.
        try f.appendRaw("SVA2\t\(f.entries.last!.seq + 1)\t2026-12-")
        #expect(throws: VaultError.wrongPassphrase) { _ = try f.unlock("wrong") }
        #expect(f.entries.last?.attr("torn") != nil && f.entries.last?.outcome == "denied")
        #expect(try f.verify(try f.unlock()).ok)
    }

    /// One garbage line, then wrong passphrases: each is still logged (chained to the vault's
    /// recorded head, after the garbage, which stays as evidence); the right one is refused,
    /// naming the line.
    @Test(arguments: ["not an entry at all\n", "garbage without a newline", "SVA2\tforged\n"])
    func garbageLastLineThenWrongPassphrasesAreStillLogged(_ garbage: String) throws {
        let f = try AuditFixture()
        _ = try f.unlock()
        let head = try f.state().headSeq
        try f.appendRaw(garbage)
        #expect(throws: VaultError.wrongPassphrase) { _ = try f.unlock("wrong 1") }
        #expect(throws: VaultError.wrongPassphrase) { _ = try f.unlock("wrong 2") }
        let denied = f.entries.filter { $0.action == "unlock" && $0.outcome == "denied" }
        #expect(denied.count == 2 && denied[0].seq == head + 1 && denied[0].attr("log") == "damaged")
        #expect(f.lines.contains(garbage.trimmingCharacters(in: .newlines)), "the garbage was removed")
        let m = f.tampered { _ = try f.unlock() }
        #expect(m?.contains("the line after entry \(head)") == true, "\(m ?? "accepted")")
        let report = try f.verify()
        #expect(report.problem?.seq == head + 1 && report.problem?.line == Int(head) + 1, "\(report.problem as Any)")
    }

    /// A writer killed between appending and recording leaves one entry the vault did not record;
    /// the next writer checks and records it. Two mean something else wrote to the log.
    @Test func exactlyOneUnrecordedEntryIsAccepted() throws {
        let f = try AuditFixture()
        let v = try f.unlock()
        let one = try f.authentic(v, after: f.entries.last!)
        try f.appendRaw(String(decoding: one.line, as: UTF8.self))
        // A keyless writer records it (it cannot check the MAC; the next unlock does).
        #expect(throws: VaultError.wrongPassphrase) { _ = try f.unlock("wrong") }
        #expect(try f.state().headSeq == one.seq + 1)
        let after = try f.unlock()
        #expect(after.failedAttemptsSinceLastSession == 1)
        #expect(try f.verify(after).ok)
        // Two entries written without the key that the vault never recorded (each correctly keyed
        // with the pending chain): more than a killed writer leaves.
        let before = f.lines
        let state = try f.state()
        var p1 = AuditEntry(
            seq: state.headSeq + 1, time: f.entries.last!.time, action: "unlock", outcome: "denied",
            attrs: [("method", "passphrase")], prev: state.headHash, auth: .pending([]))
        p1.auth = .pending(AuditChain.pendingMAC(seed: state.pendingSeed, body: p1.body))
        var p2 = AuditEntry(
            seq: p1.seq + 1, time: p1.time, action: "unlock", outcome: "denied",
            attrs: [("method", "passphrase")], prev: p1.hash, auth: .pending([]))
        p2.auth = .pending(AuditChain.pendingMAC(seed: AuditChain.evolve(state.pendingSeed), body: p2.body))
        try f.appendRaw(String(decoding: p1.line + p2.line, as: UTF8.self))
        let m = f.tampered { _ = try f.unlock() }
        #expect(m?.contains("holds 2 entries after entry \(state.headSeq)") == true, "\(m ?? "accepted")")
        // Two authentic entries written with the key after the last one it recorded: a rollback.
        try f.write(before)
        let a = try f.authentic(after, after: f.entries.last!)
        let b = try f.authentic(after, after: a)
        try f.appendRaw(String(decoding: a.line + b.line, as: UTF8.self))
        #expect(f.tampered { _ = try f.unlock() }?.hasPrefix(AuditLog.rolledBack) == true)
    }

    @Test func rekeyHandsTheLogOverAndSignsItsLastEntry() throws {
        let f = try AuditFixture()
        let v = try f.unlock()
        _ = try v.addSource(alias: "Magpie")
        let oldKey = v.auditPublicKey
        _ = try v.rekey(passphrase: try AuditFixture.secret(), profile: nil)
        let last = try #require(f.entries.last)
        let handover = try #require(f.entries.dropLast().last)
        #expect(last.action == "rekey" && last.outcome == "ok" && last.signature != nil)
        #expect(handover.action == AuditEntry.handoverAction && handover.handover?.from == oldKey)
        let after = try f.unlock()
        let newKey = after.auditPublicKey
        #expect(newKey != oldKey && handover.handover?.to == newKey)
        // End to end: from the key init printed, from the new one, and with every MAC.
        for key in [oldKey, newKey] {
            let r = try f.verify(key: key)
            #expect(r.ok && r.signedThrough == last.seq, "\(r.problem as Any)")
            #expect(r.keys.map({ $0.key }) == [oldKey, newKey])
        }
        #expect(try f.verify(after).ok)
        // The old keys can no longer add an entry: a process still holding them is refused, and
        // an entry signed with the old key after the hand-over fails verification.
        #expect(throws: VaultError.self) { try v.audit(AuditEvent("list")) }
        let forged = try f.authentic(v, after: f.entries.last!, sign: true)
        try f.appendRaw(String(decoding: forged.line, as: UTF8.self))
        var s = try f.state()
        s.headSeq = forged.seq
        s.headHash = forged.hash
        try f.save(s)
        for key in [oldKey, newKey] {
            #expect(try f.verify(key: key).problem?.seq == forged.seq)
        }
        // A key that never signed the log verifies nothing.
        #expect(try f.verify(key: [UInt8](repeating: 1, count: 32)).ok == false)
    }

    /// A hand-over the key it names did not countersign (someone with the old keys naming a key of
    /// their choosing) is refused.
    @Test func aHandoverWithoutTheNewKeysCountersignatureIsRefused() throws {
        let f = try AuditFixture()
        let v = try f.unlock()
        let other = try AuditKeys(root: try SecureBytes.random(count: 32))
        let last = try #require(f.entries.last)
        let event = AuditEvent(
            AuditEntry.handoverAction,
            ids: [
                "from": Hex.encode(v.auditPublicKey),
                "key": Hex.encode(other.auditPublicKey),
                "cosig": String(repeating: "ab", count: 64)
            ])
        let h = try AuditLog.entry(
            event, seq: last.seq + 1, prev: last.hash, time: last.time, signer: v,
            vaultID: v.vaultID, generation: last.generation ?? 0, location: "0000000000000000",
            sign: true)
        try f.appendRaw(String(decoding: h.line, as: UTF8.self))
        try f.save(try AuditLog.authenticatedState(try f.state(), after: h, signer: v, vaultID: v.vaultID))
        let r = try f.verify(key: v.auditPublicKey)
        #expect(r.problem?.seq == h.seq, "\(r.problem as Any)")
        #expect(r.problem?.detail.contains("not countersigned") == true, "\(r.problem as Any)")
    }

    /// A rekey that did not commit: its failure, signed with the old key, voids the hand-over. A
    /// process killed before writing it leaves the hand-over alone: the next unlock voids it.
    @Test func aRekeyThatDidNotCommitVoidsItsHandover() throws {
        struct Crash: Error {}
        let f = try AuditFixture()
        let v = try f.unlock()
        let next = try AuditKeys(root: try SecureBytes.random(count: 32))
        #expect(throws: Crash.self) {
            try AuditLog().rotate(AuditEvent("rekey"), vault: v, to: next, commit: { _ in throw Crash() })
        }
        let void = try #require(f.entries.last)
        #expect(void.action == "rekey" && void.outcome.hasPrefix("failed") && void.signature != nil)
        let r = try f.verify(key: v.auditPublicKey)
        #expect(r.ok && r.keys.count == 1, "\(r.problem as Any)")
        #expect(r.notes.contains { $0.contains("did not complete") })
        // Killed after the hand-over was recorded: no void entry yet.
        var ls = f.lines
        ls.removeLast()
        try f.write(ls)
        let handover = try #require(f.entries.last)
        try f.save(try AuditLog.authenticatedState(try f.state(), after: handover, signer: v, vaultID: v.vaultID))
        let again = try f.unlock()
        let voided = f.entries.suffix(2)
        #expect(voided.first?.outcome == "failed:interrupted" && voided.first?.signature != nil)
        #expect(voided.last?.action == "unlock")
        #expect(try f.verify(again).ok)
    }

    /// Killed after the commit, before the rekey's last entry: the vault has the new keys and its
    /// record names the hand-over; the next unlock's entry is signed with the new key.
    @Test func aRekeyKilledAfterItsCommitIsCompletedByTheNextUnlock() throws {
        let f = try AuditFixture()
        let v = try f.unlock()
        let oldKey = v.auditPublicKey
        _ = try v.rekey(passphrase: try AuditFixture.secret(), profile: nil)
        var ls = f.lines
        ls.removeLast()
        try f.write(ls)
        let plain = try Vault.unlock(directory: f.dir, passphrase: try AuditFixture.secret())
        try f.save(
            try AuditLog.authenticatedState(
                try f.state(), after: f.entries.last!, signer: plain,
                vaultID: plain.vaultID))
        _ = try f.unlock()
        let unlock = try #require(f.entries.last)
        #expect(unlock.action == "unlock" && unlock.signature != nil)
        for key in [oldKey, plain.auditPublicKey] { #expect(try f.verify(key: key).ok) }
        #expect(try f.verify(plain).ok)
    }

    /// Entries of a format-1 log (the committed vector) still verify, and a new version appends
    /// format-2 entries after them.
    @Test func aFormatOneLogContinuesInFormatTwo() throws {
        let tmp = TempDirectory("v1log")
        let src = FailureVectorTests.vectors.appendingPathComponent("v1-audit")
        let dir = tmp.vault
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in ["vault.sqlite3", "audit.log"] {
            try FileManager.default.copyItem(atPath: src.appendingPathComponent(name).path, toPath: dir + "/" + name)
        }
        let q = try DatabaseQueue(path: dir + "/vault.sqlite3")
        try q.write { try $0.execute(sql: "UPDATE audit_state SET log_path = ?", arguments: [dir + "/audit.log"]) }
        try q.close()
        let v = try Vault.unlock(
            directory: dir, passphrase: try AuditFixture.secret("sourcevault audit vector v1"),
            audit: AuditLog())
        _ = try v.list()
        let l = try AuditLog.load(directory: dir)
        #expect(l.state.logPath == dir + "/audit.log")
        let text = String(decoding: l.log, as: UTF8.self)
        #expect(text.hasPrefix("SVA1\t1\t") && text.contains("\nSVA1\t12\t") && text.contains("\nSVA2\t13\t"))
        let report = AuditVerifier.verify(
            log: l.log, vaultID: l.header.vaultID, publicKey: l.state.publicKey,
            state: l.state, vault: v)
        // 12 old entries, then the unlock, the upgrades to format 2 (issue 13), 3 (issue 17, with
        // its identity-create entry), 4 (issue 18) and 5 (issue 19) and the list.
        #expect(report.ok && report.entries.count == 19, "\(report.problem as Any)")
        let stored = try SQLiteShell.run("SELECT log_path FROM audit_state", on: dir + "/vault.sqlite3")
        #expect(stored.trimmingCharacters(in: .whitespacesAndNewlines) == "audit.log")
    }
}
