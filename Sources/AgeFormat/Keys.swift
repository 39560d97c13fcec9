import SodiumKit

/// An age recipient: an X25519 public key written `age1…` (Bech32, HRP `age`), or an SSH
/// Ed25519 public key (`ssh-ed25519 AAAA…`, age's `ssh-ed25519` recipient type, encrypt only).
public struct AgeRecipient: Hashable, Sendable {
    /// The X25519 key the file key is wrapped to (for `ssh-ed25519`, the Ed25519 key's Montgomery form).
    public let publicKey: [UInt8]
    /// For `ssh-ed25519`: the key in SSH wire form (`string "ssh-ed25519" || string key`).
    public let sshKey: [UInt8]?

    public init(publicKey: [UInt8]) throws(AgeError) {
        guard publicKey.count == X25519.keyBytes else { throw .invalidKey("an X25519 recipient is 32 bytes") }
        self.init(x25519: publicKey, sshKey: nil)
    }

    private init(x25519: [UInt8], sshKey: [UInt8]?) {
        self.publicKey = x25519
        self.sshKey = sshKey
    }

    /// Parses `age1…`, or `ssh-ed25519 BASE64 [comment]` as in an `authorized_keys` line (the
    /// comment is dropped). Surrounding spaces and a line ending are not accepted: trim first.
    public init(parsing text: String) throws(AgeError) {
        if text.hasPrefix("ssh-ed25519 ") {
            let fields = text.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let wire = Base64.decodePadded(Array(fields[1].utf8)),
                wire.count == 4 + 11 + 4 + 32, wire[0..<4].elementsEqual([0, 0, 0, 11]),
                wire[4..<15].elementsEqual(Array("ssh-ed25519".utf8)), wire[15..<19].elementsEqual([0, 0, 0, 32])
            else { throw .invalidKey("not an ssh-ed25519 public key (ssh-ed25519 AAAA…)") }
            let x: [UInt8]
            do { x = try X25519.publicKey(fromEd25519: Array(wire[19...])) } catch {
                throw .invalidKey("not a valid Ed25519 public key")
            }
            self.init(x25519: x, sshKey: wire)
            return
        }
        guard let (hrp, data) = Bech32.decode(Array(text.utf8)), hrp == "age" else {
            throw .invalidKey("not an age X25519 recipient (age1…)")
        }
        try self.init(publicKey: data)
    }

    /// `age1…`, or `ssh-ed25519 BASE64` (no comment).
    public var encoded: String {
        if let sshKey { return "ssh-ed25519 " + String(decoding: Base64.encodePadded(sshKey), as: UTF8.self) }
        return Bech32.encode(hrp: "age", data: publicKey)
    }

    /// A short public fingerprint for the audit log and listings: the first 8 bytes, in hex, of
    /// SHA-256 over the `age1…` string. It names no person.
    public var fingerprint: String {
        let h = (try? SHA256.hash(Array(encoded.utf8))) ?? []
        return h.prefix(8).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}

/// An age X25519 identity: a secret scalar in secure memory and its recipient.
public struct AgeIdentity: ~Copyable {
    let secret: SecureBytes
    public let recipient: AgeRecipient

    /// Takes ownership of a 32-byte secret scalar.
    public init(secret: consuming SecureBytes) throws(AgeError) {
        guard secret.count == X25519.keyBytes else { throw .invalidKey("an X25519 identity is 32 bytes") }
        let pub: [UInt8]
        do { pub = try X25519.publicKey(of: secret) } catch { throw .crypto("X25519 failed") }
        self.recipient = try AgeRecipient(publicKey: pub)
        self.secret = secret
    }

    /// A new identity from the CSPRNG.
    public static func generate() throws(AgeError) -> AgeIdentity {
        do { return try AgeIdentity(secret: try X25519.generateSecret()) } catch let e as AgeError { throw e } catch {
            throw .crypto("out of secure memory")
        }
    }

    /// Parses `AGE-SECRET-KEY-1…` (test vectors and imported identities). The decoded scalar goes
    /// to secure memory; the caller's string is its own to wipe (Swift strings cannot be).
    public static func parse(_ text: [UInt8]) throws(AgeError) -> AgeIdentity {
        guard let decoded = Bech32.decode(text), decoded.hrp == "age-secret-key-", decoded.data.count == 32 else {
            throw .invalidKey("not an age X25519 identity (AGE-SECRET-KEY-1…)")
        }
        var data = decoded.data
        defer { data.withUnsafeMutableBytes { Sodium.wipe($0) } }
        do { return try AgeIdentity(secret: try SecureBytes(copying: data)) } catch let e as AgeError { throw e } catch {
            throw .crypto("out of secure memory")
        }
    }

    /// A copy of the secret scalar (to seal it in the vault).
    public func secretCopy() throws(SodiumError) -> SecureBytes { try secret.duplicate() }

    /// `AGE-SECRET-KEY-1…` (uppercase, as age-keygen writes it) in secure memory, for
    /// `identity export` only.
    public func encodedSecret() throws(SodiumError) -> SecureBytes {
        let hrp = "age-secret-key-"
        var out = try SecureBytes(count: hrp.utf8.count + 1 + Bech32.fiveBitCount(32) + 6)
        try secret.withUnsafeBytes { (s) throws(SodiumError) in
            try out.withUnsafeMutableBytes { (o) throws(SodiumError) in
                try Bech32.encode(hrp: hrp, data: s, uppercase: true, into: o)
            }
        }
        return out
    }
}
