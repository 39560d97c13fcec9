import Foundation
import SodiumKit
import VaultCore

/// The byte strings the chain is built from (SECURITY.md §11).
public enum AuditChain {
    /// `prev` of entry 1: BLAKE2b-256("sourcevault.v1.audit-genesis" 0x00 || vault_id). Binds the log
    /// to its vault, so a whole log (or a spliced entry) from another vault is caught.
    public static func genesis(vaultID: [UInt8]) -> [UInt8] {
        (try? GenericHash.hash(Array("sourcevault.v1.audit-genesis\0".utf8) + vaultID, length: 32)) ?? []
    }

    /// What a signed head signs.
    public static func headMessage(vaultID: [UInt8], seq: Int64, hash: [UInt8]) -> [UInt8] {
        Array("sourcevault.v1.audit-head\0".utf8) + vaultID + le64(UInt64(seq)) + hash
    }

    /// What a checkpoint signs.
    public static func checkpointMessage(vaultID: [UInt8], size: Int64, head: [UInt8]) -> [UInt8] {
        Array("sourcevault.v1.audit-checkpoint\0".utf8) + vaultID + le64(UInt64(size)) + head
    }

    /// What `auth_mac` in the vault's audit state covers.
    public static func stateMessage(vaultID: [UInt8], authSeq: Int64, authHash: [UInt8]) -> [UInt8] {
        Array("sourcevault.v1.audit-state\0".utf8) + vaultID + le64(UInt64(authSeq)) + authHash
    }

    /// What the new key countersigns in a hand-over entry (§11.8): the entry's position and the
    /// chain before it (`prev`), and both keys, so the new key vouches for the old one.
    public static func handoverMessage(
        vaultID: [UInt8], seq: Int64, prev: [UInt8], from: [UInt8],
        to: [UInt8]
    ) -> [UInt8] {
        Array("sourcevault.v2.audit-handover\0".utf8) + vaultID + le64(UInt64(seq)) + prev + from + to
    }

    /// The message whose audit-key MAC is the first pending seed after authenticated entry `seq`.
    public static func pendingSeedMessage(vaultID: [UInt8], afterSeq seq: Int64) -> [UInt8] {
        Array("sourcevault.v1.audit-pending\0".utf8) + vaultID + le64(UInt64(seq))
    }

    /// The next pending seed: BLAKE2b-256 keyed with the current one over a fixed label. One-way,
    /// so whoever reads the current seed cannot recompute the earlier ones.
    public static func evolve(_ seed: [UInt8]) -> [UInt8] {
        (try? GenericHash.keyedHash(Array("sourcevault.v1.audit-evolve".utf8), publicKey: seed, length: 32)) ?? []
    }

    public static func pendingMAC(seed: [UInt8], body: [UInt8]) -> [UInt8] {
        (try? GenericHash.keyedHash(body, publicKey: seed, length: 32)) ?? []
    }

    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    static func timestamp() -> String { UTCTimestamp.string() }
}
