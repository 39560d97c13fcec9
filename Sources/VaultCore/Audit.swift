import Foundation
import SodiumKit

/// How an audited operation ended (SECURITY.md §11).
public enum AuditOutcome: Sendable, Equatable {
    case ok
    /// A wrong passphrase or recovery key.
    case denied
    /// Failed with this class: `notfound`, `integrity`, `invalid`, `storage`, `leak`.
    case failed(String)

    public var text: String {
        switch self {
        case .ok: "ok"
        case .denied: "denied"
        case .failed(let c): "failed:" + c
        }
    }

    package static func failure(_ e: Error) -> AuditOutcome {
        switch e as? VaultError {
        case .noSuchRecord?, .ambiguousRecordID?, .noSuchVersion?, .noSuchSource?, .noSuchContact?, .noSuchRule?,
            .ambiguousRuleID?, .noSuchFact?, .ambiguousFactID?:
            return .failed("notfound")
        case .recordIntegrity?, .sourceIntegrity?, .itemIntegrity?, .vaultIntegrity?, .kdfParametersOutOfBounds?:
            return .failed("integrity")
        case .invalidInput?, .duplicateSource?:
            return .failed("invalid")
        default:
            return .failed("error")
        }
    }
}

/// One audited operation. `ids` are opaque (record, rule, source ids, counts, versions); `values`
/// are sensitive (queries, titles, aliases, terms, paths, excerpts) and are written to the log only
/// as keyed hashes.
public struct AuditEvent: Sendable {
    public var action: String
    public var outcome: AuditOutcome
    public var ids: [String: String]
    public var values: [String: [UInt8]]
    /// Values already hashed by the caller, each with ``Vault/auditValueHash(_:kind:)`` of the
    /// vault the event is logged in and its key as the kind: logged as `values` are, without the
    /// value (an export hashes its 10 MB excerpt beside other work rather than after it). Only
    /// for the vault's own audit keys: an entry written under other keys (`rekey`'s hand-over)
    /// refuses them.
    package var hashedValues: [String: [UInt8]] = [:]

    public init(_ action: String, outcome: AuditOutcome = .ok, ids: [String: String] = [:], values: [String: [UInt8]] = [:]) {
        self.action = action; self.outcome = outcome; self.ids = ids; self.values = values
    }

    package init(
        _ action: String, outcome: AuditOutcome = .ok, ids: [String: String] = [:], values: [String: [UInt8]] = [:],
        hashedValues: [String: [UInt8]]
    ) {
        self.init(action, outcome: outcome, ids: ids, values: values)
        self.hashedValues = hashedValues
    }
}

/// Where audited events go. Implemented by the audit layer (`Sources/Audit`); the vault calls it
/// at every operation so no command can forget to. `record` must make the entry durable before it
/// returns; if it throws, the vault refuses the operation before releasing any plaintext.
package protocol AuditSink: AnyObject {
    /// A failed unlock: no key exists, so the entry is chained with the pending seed (SECURITY.md §11.4).
    func failedUnlock(store: any VaultStore, vaultID: [UInt8], method: String)
    /// An event that happens without the vault unlocked (travel in, restore): keyed with the
    /// pending seed like a failed unlock. Best effort.
    func unauthenticated(store: any VaultStore, vaultID: [UInt8], action: String)
    /// Unlock succeeded. Checks the failed attempts logged since the last session, writes the
    /// unlock entry and returns how many failed attempts there were. Throws on tampering.
    func unlocked(_ vault: Vault, method: String) throws -> Int
    /// Appends an entry for `event`; `sign` asks for a signed head (the command's last entry).
    func record(_ event: AuditEvent, vault: Vault, sign: Bool) throws
    /// `rekey` (SECURITY.md §11.8): hands the log over from the vault's audit keys to `next`. Calls
    /// `commit` once, with the audit state to store in the same transaction as the new keys, and
    /// logs `event` as the rekey's last entry, signed with the new key (or its failure, signed
    /// with the old one, if `commit` throws).
    func rotate(_ event: AuditEvent, vault: Vault, to next: AuditKeys, commit: (AuditState?) throws -> Void) throws
}

extension AuditSink {
    /// A sink that does not chain entries (a test double): commit, then record the event.
    package func rotate(
        _ event: AuditEvent, vault: Vault, to next: AuditKeys,
        commit: (AuditState?) throws -> Void
    ) throws {
        try commit(nil)
        try record(event, vault: vault, sign: true)
    }
}

/// What makes an audit entry's MAC, signature and value hashes: the unlocked vault's own audit
/// keys, or, during `rekey`, the keys the log is handed over to.
package protocol AuditSigner: AnyObject {
    var auditPublicKey: [UInt8] { get }
    func auditMAC(_ message: [UInt8]) throws(VaultError) -> [UInt8]
    func auditSign(_ message: [UInt8]) throws(VaultError) -> [UInt8]
    /// The keyed hash of a sensitive value of `kind` (the attribute it is logged as: `query`,
    /// `alias`, `title`, `term`, …); `kind` nil gives the format-1 hash, which has no domain.
    func auditValueHash(_ value: [UInt8], kind: String?) throws(VaultError) -> [UInt8]
}

/// The audit log's keys derived from one audit root key (SECURITY.md §5): the keys `rekey` hands
/// the log over to. Held in secure memory and wiped with the object.
package final class AuditKeys: AuditSigner {
    private let macKey: SecureBytes
    private let valueKey: SecureBytes
    private let signingKey: Ed25519.SigningKey

    package init(root: borrowing SecureBytes) throws(VaultError) {
        macKey = try Subkey.auditMAC.derive(from: root)
        valueKey = try Subkey.auditValue.derive(from: root)
        let seed = try Subkey.auditSigning.derive(from: root)
        signingKey = try Vault.sodium { try Ed25519.SigningKey(seed: seed) }
    }

    package var auditPublicKey: [UInt8] { signingKey.publicKey }

    package func auditMAC(_ message: [UInt8]) throws(VaultError) -> [UInt8] {
        try Vault.sodium { try GenericHash.keyedHash(message, key: macKey, length: 32) }
    }

    package func auditSign(_ message: [UInt8]) throws(VaultError) -> [UInt8] {
        try Vault.sodium { try signingKey.sign(message) }
    }

    package func auditValueHash(_ value: [UInt8], kind: String?) throws(VaultError) -> [UInt8] {
        try VaultCore.auditValueHash(value, kind: kind, key: valueKey)
    }
}

/// The audit log's state kept inside the vault database (SECURITY.md §11.5).
public struct AuditState: Sendable, Equatable {
    /// The log file, as an absolute path (the store resolves a relative `log_path` against the
    /// database's directory, §3).
    public var logPath: String
    public var publicKey: [UInt8]
    /// Last entry appended, by anyone.
    public var headSeq: Int64
    public var headHash: [UInt8]
    /// Last entry appended by an unlocked process, and a MAC over the pair.
    public var authSeq: Int64
    public var authHash: [UInt8]
    public var authMAC: [UInt8]
    /// Pending (pre-unlock) chain: current seed and number of entries since `authSeq`.
    public var pendingSeed: [UInt8]
    public var pendingCount: Int64

    public init(
        logPath: String, publicKey: [UInt8], headSeq: Int64, headHash: [UInt8], authSeq: Int64, authHash: [UInt8],
        authMAC: [UInt8], pendingSeed: [UInt8], pendingCount: Int64
    ) {
        self.logPath = logPath; self.publicKey = publicKey; self.headSeq = headSeq; self.headHash = headHash
        self.authSeq = authSeq; self.authHash = authHash; self.authMAC = authMAC
        self.pendingSeed = pendingSeed; self.pendingCount = pendingCount
    }
}

/// The keyed hash of a sensitive value of `kind` under `key` (SECURITY.md §11.2): BLAKE2b-256 of
/// "sourcevault.v2.audit-value" 0x00 kind 0x00 value, streamed (an exported excerpt of 10 MB is not
/// copied twice more to be hashed); `kind` nil: the format-1 hash of the value alone.
func auditValueHash(_ value: [UInt8], kind: String?, key: borrowing SecureBytes) throws(VaultError) -> [UInt8] {
    guard let kind else { return try Vault.sodium { try GenericHash.keyedHash(value, key: key, length: 32) } }
    let head = Array("sourcevault.v2.audit-value\0".utf8) + Array(kind.utf8) + [0]
    return try Vault.sodium {
        try head.withUnsafeBytes { h in
            try value.withUnsafeBytes { v in try GenericHash.keyedHash(parts: [h, v], key: key, length: 32) }
        }
    }
}

extension AuditState {
    /// `log_path` as stored (SECURITY.md §3): the file name alone when the log sits in the same
    /// directory as the database, so a copied vault directory (`cp -a`) finds its own copy of the
    /// log and never writes into the original's; otherwise the absolute path.
    package static func storedLogPath(_ path: String, databaseDirectory: String) -> String {
        let logDir = (path as NSString).deletingLastPathComponent
        guard path.hasPrefix("/"), !logDir.isEmpty,
            URL(fileURLWithPath: logDir).resolvingSymlinksInPath().path
                == URL(fileURLWithPath: databaseDirectory).resolvingSymlinksInPath().path
        else { return path }
        return (path as NSString).lastPathComponent
    }

    /// The absolute path of a stored `log_path`: a relative one is in the database's directory.
    package static func resolvedLogPath(_ stored: String, databaseDirectory: String) -> String {
        stored.hasPrefix("/") ? stored : (databaseDirectory as NSString).appendingPathComponent(stored)
    }
}

/// Audit keys live in the vault and never leave it: the audit layer asks for MACs, signatures
/// and value hashes (SECURITY.md §5, §11).
extension Vault: AuditSigner {
    /// Keyed BLAKE2b-256 under subkey 5 (`SVauditM`): the MAC of an entry, or of the audit state.
    package func auditMAC(_ message: [UInt8]) throws(VaultError) -> [UInt8] {
        try Self.sodium { try GenericHash.keyedHash(message, key: auditMACKey, length: 32) }
    }

    /// Ed25519 signature with the key whose seed is subkey 6 (`SVauditS`).
    package func auditSign(_ message: [UInt8]) throws(VaultError) -> [UInt8] {
        try Self.sodium { try auditSigningKey.sign(message) }
    }

    public var auditPublicKey: [UInt8] { auditSigningKey.publicKey }

    /// Where the audit log is (exports must never be written over it); nil without a log.
    package func auditLogPath() throws(VaultError) -> String? { try store.auditState()?.logPath }

    /// Attaches a sink to a vault unlocked without one (`audit verify --full`, `audit recover`:
    /// the log is checked or restarted first, then the operation is logged).
    package func attachAudit(_ sink: AuditSink) { auditSink = sink }

    /// Keyed BLAKE2b-256 under subkey 7 (`SVauditV`) of a sensitive value of `kind` (§11.2): equal
    /// values of one kind give equal hashes, so `audit check-value` can find them, but the log alone
    /// reveals nothing, and a query never matches an alias. `kind` nil: the format-1 hash.
    package func auditValueHash(_ value: [UInt8], kind: String?) throws(VaultError) -> [UInt8] {
        try VaultCore.auditValueHash(value, kind: kind, key: auditValueKey)
    }

    /// The manifest generation as the vault file holds it now, read while the audit log is locked
    /// (SECURITY.md §11.3): a command that unlocked earlier may hold an older `generation` while
    /// another process committed and logged a newer one. Opened from the stored manifest (only its
    /// fixed header is parsed: SECURITY.md §6.8).
    package func currentGeneration() throws(VaultError) -> UInt64 {
        guard formatVersion >= 2, let sealed = try store.sealedManifest() else { return generation }
        let plain = try keyring.open(.manifest, sealed)
        guard let g = plain.withUnsafeBytes({ Manifest.generation(of: $0) }) else {
            throw SealedKind.manifest.integrityError(id: "")
        }
        return g
    }

    /// `rekey`'s audit part (SECURITY.md §11.8): the log is handed over to the keys derived from
    /// `newRoot`; `commit` stores the new keys and the audit state it is given in one transaction.
    func rotateAuditKeys(
        to newRoot: borrowing SecureBytes, event: AuditEvent,
        commit: (AuditState?) throws -> Void
    ) throws(VaultError) {
        let next = try AuditKeys(root: newRoot)
        do {
            if let auditSink {
                try auditSink.rotate(event, vault: self, to: next, commit: commit)
            } else {
                try commit(nil)
            }
        } catch let e as VaultError {
            throw e
        } catch {
            throw .storage("\(error)")
        }
    }

    /// Records an event through the attached sink (no-op without one). Used by layers above the
    /// vault for operations the vault cannot see (export, redact, audit commands).
    /// A destructive command that was not confirmed at its y/N prompt: logged as `failed:declined`,
    /// so the log shows it was asked for and not done.
    public func auditDeclined(_ action: String, ids: [String: String] = [:]) throws(VaultError) {
        try audit(AuditEvent(action, outcome: .failed("declined"), ids: ids))
    }

    package func audit(_ event: AuditEvent, sign: Bool = true) throws(VaultError) {
        guard let auditSink else { return }
        do { try auditSink.record(event, vault: self, sign: sign) } catch let e as VaultError {
            throw e
        } catch {
            throw .auditUnavailable("\(error)")
        }
    }

    /// Runs `body`, then records its outcome. A successful operation whose entry cannot be written
    /// fails (nothing is returned, so nothing is released); a failed one is recorded best-effort.
    func audited<T>(
        _ action: String, ids: [String: String] = [:], values: [String: [UInt8]] = [:],
        after: (T) -> [String: String] = { _ in [:] },
        _ body: () throws(VaultError) -> T
    ) throws(VaultError) -> T {
        let result: T
        do {
            result = try body()
        } catch {
            try? audit(AuditEvent(action, outcome: .failure(error), ids: ids, values: values))
            throw error
        }
        try audit(AuditEvent(action, outcome: .ok, ids: ids.merging(after(result)) { $1 }, values: values))
        return result
    }
}
