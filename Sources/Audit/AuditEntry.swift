import Foundation
import SodiumKit

/// One line of the audit log (SECURITY.md §11.2):
/// `SVA2 TAB seq TAB time TAB action TAB outcome TAB attrs TAB prev TAB auth [TAB sig] LF`.
/// Only the characters `[0-9a-z:=,.TZ-]` occur in fields, so no value can break a line or forge a field.
/// The magic is the entry's format: `SVA1` entries were written before format 2's rules (§11.2)
/// existed and are verified by the old rules; this version writes `SVA2`.
public struct AuditEntry: Sendable, Equatable {
    public enum Auth: Sendable, Equatable {
        /// Written by an unlocked process: keyed BLAKE2b under the audit MAC key.
        case mac([UInt8])
        /// Written before unlock (a failed attempt): keyed with the pending-chain seed.
        case pending([UInt8])
    }

    public var seq: Int64 { didSet { parsed = nil } }
    public var time: String { didSet { parsed = nil } }
    public var action: String { didSet { parsed = nil } }
    public var outcome: String { didSet { parsed = nil } }
    /// Sorted `key=value` pairs.
    public var attrs: [(key: String, value: String)] { didSet { parsed = nil } }
    public var prev: [UInt8] { didSet { parsed = nil } }
    public var auth: Auth { didSet { parsed = nil } }
    public var signature: [UInt8]?
    /// 1 (`SVA1`) or 2 (`SVA2`).
    public var format: Int { didSet { parsed = nil } }
    /// For a parsed entry, the bytes of `chained` as read (they re-encode exactly, so they are the
    /// encoding): verification hashes them without building the text again. Cleared by any change.
    private var parsed: [UInt8]?

    /// The magic this version writes.
    public static let magic = "SVA2"
    static func magic(_ format: Int) -> String { format == 1 ? "SVA1" : "SVA2" }

    public init(
        seq: Int64, time: String, action: String, outcome: String, attrs: [(key: String, value: String)],
        prev: [UInt8], auth: Auth, signature: [UInt8]? = nil, format: Int = 2
    ) {
        self.seq = seq; self.time = time; self.action = action; self.outcome = outcome
        self.attrs = attrs.sorted { $0.key < $1.key }; self.prev = prev; self.auth = auth; self.signature = signature
        self.format = format
    }

    public static func == (a: AuditEntry, b: AuditEntry) -> Bool {
        a.body == b.body && a.auth == b.auth && a.signature == b.signature
    }

    /// The authenticated part: everything up to and including `prev`.
    public var body: [UInt8] {
        if let parsed, let tab = parsed.lastIndex(of: 0x09) { return Array(parsed[..<tab]) }
        let attrText = attrs.isEmpty ? "-" : attrs.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        let fields = [Self.magic(format), String(seq), time, action, outcome, attrText, Hex.encode(prev)]
        return Array(fields.joined(separator: "\t").utf8)
    }

    /// BLAKE2b-256 of `body` TAB `auth`: what the next entry's `prev` and signatures refer to.
    /// It covers the MAC too, so a changed MAC breaks the chain even for a public-key verifier.
    public var hash: [UInt8] { (try? GenericHash.hash(chained, length: 32)) ?? [] }

    /// `body`, a TAB and the auth field.
    public var chained: [UInt8] {
        if let parsed { return parsed }
        var out = body
        out.append(0x09)
        switch auth {
        case .mac(let m): out += Array("m:".utf8) + Array(Hex.encode(m).utf8)
        case .pending(let m): out += Array("p:".utf8) + Array(Hex.encode(m).utf8)
        }
        return out
    }

    /// The full line, with its newline.
    public var line: [UInt8] {
        var out = chained
        if let signature { out.append(0x09); out += Array("s:".utf8) + Array(Hex.encode(signature).utf8) }
        out.append(0x0A)
        return out
    }

    /// Parses one line (without its newline). Nil if it is not a well-formed entry.
    public static func parse(_ line: ArraySlice<UInt8>) -> AuditEntry? {
        let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
        guard fields.count == 8 || fields.count == 9 else { return nil }
        let format: Int
        switch String(decoding: fields[0], as: UTF8.self) {
        case "SVA1": format = 1
        case "SVA2": format = 2
        default: return nil
        }
        for (i, f) in fields.enumerated().dropFirst() where !f.allSatisfy(i == 2 ? allowedInTime : allowed) { return nil }
        guard let seq = Int64(String(decoding: fields[1], as: UTF8.self)), seq >= 1,
            let prev = Hex.decode(fields[6]), prev.count == 32
        else { return nil }
        let time = String(decoding: fields[2], as: UTF8.self)
        let action = String(decoding: fields[3], as: UTF8.self)
        let outcome = String(decoding: fields[4], as: UTF8.self)
        guard !action.isEmpty, !outcome.isEmpty else { return nil }
        var attrs: [(key: String, value: String)] = []
        let attrText = String(decoding: fields[5], as: UTF8.self)
        if attrText != "-" {
            for pair in attrText.split(separator: ",", omittingEmptySubsequences: false) {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard kv.count == 2, !kv[0].isEmpty, !kv[1].isEmpty else { return nil }
                attrs.append((String(kv[0]), String(kv[1])))
            }
            guard attrs.map(\.key) == attrs.map(\.key).sorted() else { return nil }
        }
        let authField = fields[7]
        guard authField.count == 66, let mac = Hex.decode(authField.dropFirst(2)), mac.count == 32 else { return nil }
        let auth: Auth
        switch (authField.first, authField.dropFirst().first) {
        case (UInt8(ascii: "m")?, UInt8(ascii: ":")?): auth = .mac(mac)
        case (UInt8(ascii: "p")?, UInt8(ascii: ":")?): auth = .pending(mac)
        default: return nil
        }
        var signature: [UInt8]?
        if fields.count == 9 {
            let s = fields[8]
            guard s.count == 130, s.prefix(2).elementsEqual("s:".utf8), let sig = Hex.decode(s.dropFirst(2)) else { return nil }
            signature = sig
        }
        var entry = AuditEntry(
            seq: seq, time: time, action: action, outcome: outcome, attrs: attrs, prev: prev,
            auth: auth, signature: signature, format: format)
        // Reject anything that would not re-encode to the same bytes (e.g. "007" as a sequence number).
        guard entry.line.dropLast().elementsEqual(line) else { return nil }
        entry.parsed = Array(line[..<fields[7].endIndex])
        return entry
    }

    /// Fields other than the time: lowercase letters, digits and `:=,.-`.
    private static func allowed(_ b: UInt8) -> Bool {
        (48...57).contains(b) || (97...122).contains(b) || b == UInt8(ascii: ":") || b == UInt8(ascii: "=")
            || b == UInt8(ascii: ",") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
    }

    /// The time field: `YYYY-MM-DDTHH:MM:SSZ`.
    private static func allowedInTime(_ b: UInt8) -> Bool {
        (48...57).contains(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ":") || b == UInt8(ascii: "T")
            || b == UInt8(ascii: "Z")
    }

    public func attr(_ key: String) -> String? { attrs.first { $0.key == key }?.value }

    /// Written by an unlocked process (`m:`).
    public var isAuthenticated: Bool { if case .mac = auth { true } else { false } }

    /// `gen`: the manifest generation the writer knew (§11.3); every format-2 `m:` entry has one.
    public var generation: UInt64? { attr("gen").flatMap { UInt64($0) } }

    /// The action of a hand-over entry (§11.8).
    public static let handoverAction = "audit-rekey"

    /// A format-2 hand-over entry's keys and the new key's countersignature (§11.8); nil for any
    /// other entry, or one whose attributes are not well formed.
    public var handover: (from: [UInt8], to: [UInt8], cosig: [UInt8])? {
        guard format == 2, action == Self.handoverAction, outcome == "ok",
            let from = attr("from").flatMap(Hex.decode), from.count == 32,
            let to = attr("key").flatMap(Hex.decode), to.count == 32,
            let cosig = attr("cosig").flatMap(Hex.decode), cosig.count == Ed25519.signatureBytes
        else { return nil }
        return (from, to, cosig)
    }

    /// Whether `bytes` (a last line without its newline) can be the beginning of an entry cut
    /// short by a crash: a prefix of the magic, then only the log's own characters and at most
    /// eight more TABs. Anything else left there is garbage, reported rather than cut (§11.3).
    static func couldBeTornEntry(_ bytes: some Collection<UInt8>) -> Bool {
        let magic = Array("SVA".utf8)
        var tabs = 0
        for (i, b) in bytes.enumerated() {
            if i < magic.count { guard b == magic[i] else { return false }; continue }
            if b == 0x09 { tabs += 1; continue }
            guard allowed(b) || allowedInTime(b) || Array("SVA".utf8).contains(b) else { return false }
        }
        return !bytes.isEmpty && tabs <= 8 && bytes.count < 4096
    }
}
