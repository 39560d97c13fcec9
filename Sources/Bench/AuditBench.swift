// Audit verification speed (target ≥ 20,000 entries/s) on a synthetic log shaped like real use:
// per command an unsigned unlock entry and a signed operation entry. Baseline: the raw libsodium
// work the verifier cannot avoid (BLAKE2b of every entry, Ed25519 verification of every signature).
import Audit
import Foundation
import SodiumKit
import VaultCore

func auditBench(entries: Int) -> [Figure] {
    let dir = NSTemporaryDirectory() + "sv-bench-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: dir) }
    guard let pass = try? SecureBytes(copying: Array("bench".utf8)),
        let vault = try? Vault.create(directory: dir + "/v", passphrase: pass, profile: .test, showRecoveryKey: { _ in })
    else { print("audit bench: cannot create a vault"); return [] }
    let log = AuditLog()
    var bytes: [UInt8] = []
    var prev = AuditChain.genesis(vaultID: vault.vaultID)
    var last: AuditEntry?
    var bodies: [[UInt8]] = []
    var signed: [(sig: [UInt8], msg: [UInt8])] = []
    let t0 = Date()
    for i in 0..<entries {
        let isOp = i % 2 == 1
        let event =
            isOp
            ? AuditEvent("show", ids: ["record": "0123456789abcdef", "version": "1"])
            : AuditEvent("unlock", ids: ["method": "passphrase", "failed": "0"])
        guard let e = try? log.makeEntry(event, seq: Int64(i + 1), prev: prev, vault: vault, sign: isOp) else { return [] }
        bytes += e.line
        bodies.append(e.chained)
        if let s = e.signature { signed.append((s, AuditChain.headMessage(vaultID: vault.vaultID, seq: e.seq, hash: e.hash))) }
        prev = e.hash
        last = e
    }
    let build = Date().timeIntervalSince(t0)
    guard let last, let seed = try? vault.auditMAC(AuditChain.pendingSeedMessage(vaultID: vault.vaultID, afterSeq: last.seq))
    else { return [] }
    let state = AuditState(
        logPath: "", publicKey: vault.auditPublicKey, headSeq: last.seq, headHash: last.hash, authSeq: last.seq,
        authHash: last.hash, authMAC: [], pendingSeed: seed, pendingCount: 0)
    var ok = true
    let publicTime = bestOf(3) {
        ok = ok && AuditVerifier.verify(log: bytes, vaultID: vault.vaultID, publicKey: vault.auditPublicKey, state: state).ok
    }
    let fullTime = bestOf(3) {
        ok =
            ok
            && AuditVerifier.verify(
                log: bytes, vaultID: vault.vaultID, publicKey: vault.auditPublicKey, state: state, vault: vault
            ).ok
    }
    let pk = vault.auditPublicKey
    let rawTime = bestOf(3) {
        for b in bodies { _ = try? GenericHash.hash(b, length: 32) }
        for s in signed { _ = Ed25519.verify(signature: s.sig, message: s.msg, publicKey: pk) }
    }
    let rawRate = Double(entries) / rawTime
    let detail =
        "\(entries) entries (\(signed.count) signed), \(bytes.count / 1024) KiB, built in \(String(format: "%.1f", build)) s, all verified: \(ok)"
    return [
        Figure(
            name: "audit verify (public key)", detail: detail, value: Double(entries) / publicTime, unit: "entries/s",
            target: "≥ 20000/s", met: Double(entries) / publicTime >= 20000, baseline: rawRate,
            baselineName: "raw BLAKE2b + Ed25519 (entries/s)"),
        Figure(
            name: "audit verify (full, with MACs)", detail: detail, value: Double(entries) / fullTime, unit: "entries/s",
            target: "≥ 20000/s", met: Double(entries) / fullTime >= 20000, baseline: rawRate,
            baselineName: "raw BLAKE2b + Ed25519 (entries/s)")
    ]
}
