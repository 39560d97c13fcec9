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
    public static func encrypt(_ plaintext: UnsafeRawBufferPointer, to recipients: [AgeRecipient], armor: Bool = false)
        throws(AgeError) -> [UInt8]
    {
        guard !recipients.isEmpty else { throw .invalidKey("no recipient") }
        do {
            let fileKey = try SecureBytes.random(count: 16)
            var stanzas: [AgeStanza] = []
            for r in recipients { stanzas.append(try wrap(fileKey, to: r)) }
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

    /// §X25519 recipient stanza: a fresh ephemeral key per stanza.
    static func wrap(_ fileKey: borrowing SecureBytes, to recipient: AgeRecipient) throws -> AgeStanza {
        let ephemeral = try X25519.generateSecret()
        let share = try X25519.publicKey(of: ephemeral)
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
            return try AgeStream.decrypt(binary[nonceEnd...], key: payloadKey)
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
