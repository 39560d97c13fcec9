import SodiumKit

/// The age v1 file format (age-encryption.org/v1, `Docs/age.md` in the shared specs; SECURITY.md
/// §13 says how SourceVault uses it): X25519 recipients, HKDF-SHA-256, the header MAC, STREAM
/// payload, ASCII armor. Every primitive comes from SodiumKit; nothing here touches a pointer
/// from libsodium.
public enum Age {
    static let x25519Type = "X25519"
    static let x25519Info = Array("age-encryption.org/v1/X25519".utf8)
    static let zeroNonce = [UInt8](repeating: 0, count: 12)

    /// Encrypts `plaintext` to every recipient (one X25519 stanza each, in the order given), armored
    /// if asked. The plaintext is read in place; only ciphertext is returned.
    ///
    /// `note`, if given, adds one more stanza of that type (a fully qualified name, which age and
    /// every other identity ignores) whose body is `ChaCha20-Poly1305(key = HKDF-SHA-256(ikm = file
    /// key, salt = "", info = type), nonce = 0, note)`: readable only by a recipient, and
    /// authenticated by the header MAC (SECURITY.md §13.4).
    public static func encrypt(
        _ plaintext: UnsafeRawBufferPointer, to recipients: [AgeRecipient], armor: Bool = false,
        note: (type: String, text: [UInt8])? = nil
    ) throws(AgeError) -> [UInt8] {
        guard !recipients.isEmpty else { throw .invalidKey("no recipient") }
        if let note {
            guard note.type.contains("/"), !note.type.isEmpty, note.type.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7e }) else {
                throw .invalidKey("a note stanza type must be a fully qualified name")
            }
        }
        do {
            let fileKey = try SecureBytes.random(count: 16)
            var stanzas: [AgeStanza] = []
            for r in recipients { stanzas.append(try wrap(fileKey, to: r)) }
            if let note {
                let key = try HKDFSHA256.deriveKey(ikm: fileKey, salt: [], info: Array(note.type.utf8))
                var body: [UInt8] = []
                try note.text.withUnsafeBytes { try ChaCha20Poly1305.encrypt($0, key: key, nonce: zeroNonce, appendingTo: &body) }
                stanzas.append(AgeStanza(type: note.type, arguments: [], body: body))
            }
            var out = AgeHeader.encodeWithoutMAC(stanzas)
            let macKey = try HKDFSHA256.deriveKey(ikm: fileKey, salt: [], info: Array("header".utf8))
            let mac = try HMACSHA256.authenticate(out, key: macKey)
            out += [0x20] + Base64.encode(mac) + [0x0a]
            let nonce = try Random.bytes(AgeStream.nonceSize)
            out += nonce
            let payloadKey = try HKDFSHA256.deriveKey(ikm: fileKey, salt: nonce, info: Array("payload".utf8))
            try AgeStream.encrypt(plaintext, key: payloadKey, appendingTo: &out)
            return armor ? AgeArmor.encode(out) : out
        } catch let e as AgeError { throw e } catch { throw .crypto("libsodium failed: \(error)") }
    }

    /// §X25519 recipient stanza: a fresh ephemeral key per stanza. For an `ssh-ed25519` recipient,
    /// age's agessh construction: the shared secret is multiplied by a tweak derived from the SSH
    /// key, `HKDF-SHA-256(ikm = "", salt = ssh key, info = "age-encryption.org/v1/ssh-ed25519")`,
    /// and the stanza is `ssh-ed25519 TAG SHARE` with TAG = base64(SHA-256(ssh key)[:4]).
    static func wrap(_ fileKey: borrowing SecureBytes, to recipient: AgeRecipient) throws -> AgeStanza {
        let ephemeral = try X25519.generateSecret()
        let share = try X25519.publicKey(of: ephemeral)
        if let sshKey = recipient.sshKey {
            let info = Array("age-encryption.org/v1/ssh-ed25519".utf8)
            let tweak = try HKDFSHA256.deriveKey(ikm: try SecureBytes(count: 0), salt: sshKey, info: info)
            let shared = try X25519.sharedSecret(tweak, securePeer: try X25519.sharedSecret(ephemeral, peer: recipient.publicKey))
            let wrapKey = try HKDFSHA256.deriveKey(ikm: shared, salt: share + recipient.publicKey, info: info)
            var body: [UInt8] = []
            try ChaCha20Poly1305.encrypt(fileKey, key: wrapKey, nonce: zeroNonce, appendingTo: &body)
            let tag = Array(try SHA256.hash(sshKey).prefix(4))
            return AgeStanza(
                type: "ssh-ed25519",
                arguments: [
                    String(decoding: Base64.encode(tag), as: UTF8.self), String(decoding: Base64.encode(share), as: UTF8.self)
                ],
                body: body)
        }
        let shared = try X25519.sharedSecret(ephemeral, peer: recipient.publicKey)
        let wrapKey = try HKDFSHA256.deriveKey(ikm: shared, salt: share + recipient.publicKey, info: x25519Info)
        var body: [UInt8] = []
        try ChaCha20Poly1305.encrypt(fileKey, key: wrapKey, nonce: zeroNonce, appendingTo: &body)
        return AgeStanza(type: x25519Type, arguments: [String(decoding: Base64.encode(share), as: UTF8.self)], body: body)
    }

    /// The canonical header up to and including `---` (what the MAC covers) for these stanzas.
    public static func encodeHeaderWithoutMAC(_ stanzas: [AgeStanza]) -> [UInt8] { AgeHeader.encodeWithoutMAC(stanzas) }

    /// The file's stanzas as parsed (armor removed): for `receive` to report what it was given.
    public static func stanzas(of file: [UInt8]) throws(AgeError) -> [AgeStanza] {
        let binary = AgeArmor.isArmored(file) ? try AgeArmor.decode(file) : file
        return try AgeHeader.parse(binary).stanzas
    }

    /// Decrypts an age file (binary or armored) with `identity`, into secure memory. Outcomes as
    /// the CCTV vectors name them: a malformed header (or a malformed stanza addressed to X25519),
    /// no stanza for this identity, a bad header MAC, a payload that does not decrypt to its end.
    /// `armored` nil: armor is detected (the file begins, after whitespace, with `-----`).
    public static func decrypt(_ file: [UInt8], identity: borrowing AgeIdentity, armored: Bool? = nil) throws(AgeError)
        -> SecureBytes
    {
        var note: [UInt8]? = nil
        return try open(file, identity: identity, armored: armored, noteType: nil, note: &note)
    }

    /// ``decrypt(_:identity:armored:)``, and the note of type `noteType` if the file carries one
    /// that opens (see ``encrypt(_:to:armor:note:)``). A note stanza that does not open is
    /// ignored, like any stanza not addressed to this identity: it is a claim, not a requirement.
    public static func decryptWithNote(_ file: [UInt8], identity: borrowing AgeIdentity, armored: Bool? = nil, noteType: String?)
        throws(AgeError) -> AgeOpened
    {
        var note: [UInt8]? = nil
        let plaintext = try open(file, identity: identity, armored: armored, noteType: noteType, note: &note)
        return AgeOpened(plaintext: plaintext, note: note)
    }

    static func open(
        _ file: [UInt8], identity: borrowing AgeIdentity, armored: Bool?, noteType: String?, note: inout [UInt8]?
    ) throws(AgeError) -> SecureBytes {
        let binary = (armored ?? AgeArmor.isArmored(file)) ? try AgeArmor.decode(file) : file
        let header = try AgeHeader.parse(binary)
        guard binary.count - header.payloadOffset >= AgeStream.nonceSize else {
            throw .headerFailure("the payload nonce is missing or short")
        }
        let fileKey = try unwrap(header.stanzas, identity: identity)
        do {
            let macKey = try HKDFSHA256.deriveKey(ikm: fileKey, salt: [], info: Array("header".utf8))
            let ok = try Array(header.macInput).withUnsafeBytes { m in try HMACSHA256.verify(header.mac, m, key: macKey) }
            guard ok else { throw AgeError.hmacFailure }
            let nonceEnd = header.payloadOffset + AgeStream.nonceSize
            let nonce = Array(binary[header.payloadOffset..<nonceEnd])
            let payloadKey = try HKDFSHA256.deriveKey(ikm: fileKey, salt: nonce, info: Array("payload".utf8))
            let plaintext = try AgeStream.decrypt(binary[nonceEnd...], key: payloadKey)
            if let noteType, let s = header.stanzas.first(where: { $0.type == noteType && $0.arguments.isEmpty }) {
                let key = try HKDFSHA256.deriveKey(ikm: fileKey, salt: [], info: Array(noteType.utf8))
                note = (try? ChaCha20Poly1305.open(s.body, key: key, nonce: zeroNonce))?.withUnsafeBytes { Array($0) }
            }
            return plaintext
        } catch let e as AgeError { throw e } catch { throw .crypto("libsodium failed") }
    }

    /// The file key from the first X25519 stanza that opens with `identity`. Other stanza types are
    /// ignored (age §Recipient stanza); a malformed X25519 stanza is a header failure.
    static func unwrap(_ stanzas: [AgeStanza], identity: borrowing AgeIdentity) throws(AgeError) -> SecureBytes {
        for s in stanzas where s.type == x25519Type {
            guard s.arguments.count == 1, let share = Base64.decode(Array(s.arguments[0].utf8)), share.count == 32 else {
                throw .headerFailure("an X25519 stanza has a malformed share")
            }
            guard s.body.count == 32 else { throw .headerFailure("an X25519 stanza body is not 32 bytes") }
            let shared: SecureBytes
            do { shared = try X25519.sharedSecret(identity.secret, peer: share) } catch {
                throw .headerFailure("an X25519 stanza gives an all-zero shared secret")
            }
            do {
                let wrapKey = try HKDFSHA256.deriveKey(ikm: shared, salt: share + identity.recipient.publicKey, info: x25519Info)
                let fileKey = try ChaCha20Poly1305.open(s.body, key: wrapKey, nonce: zeroNonce)
                return fileKey
            } catch SodiumError.authenticationFailed {
                continue
            } catch { throw .crypto("libsodium failed") }
        }
        throw .noMatch
    }
}

/// A decrypted age file: the plaintext in secure memory and the note stanza's text, if any.
public struct AgeOpened: ~Copyable {
    public var plaintext: SecureBytes
    public var note: [UInt8]?
}
