import AgeFormat
import SodiumKit
import Testing

@Suite struct AgeFormatTests {
    /// The spec's example identity and recipient (age-encryption.org/v1 §X25519 recipient type).
    @Test func specExampleIdentityGivesItsRecipient() throws {
        let id = try AgeIdentity.parse(Array("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX".utf8))
        #expect(id.recipient.encoded == "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")
        let encoded = try id.encodedSecret()
        #expect(
            encoded.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
                == "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")
        #expect(try AgeRecipient(parsing: id.recipient.encoded) == id.recipient)
        #expect(id.recipient.fingerprint.count == 16)
    }

    @Test func malformedRecipientsAreRefused() {
        for bad in [
            "", "age1", "AGE1ZVKYG2LQZRAA2LNJVQEJ32NKUU0UES2S82HZRYE869XEEXVN73EQUNUJWj",
            "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwk",  // checksum
            "age2zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj",
            "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX",
            " age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj",
            "ssh-ed25519", "ssh-ed25519 AAAA", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
            // The right length, but an ssh-rsa type inside.
            "ssh-ed25519 AAAAB3NzaC1yc2EAAAAgj2dfaMJHyP6BMkHflqjPpIQkl7zUAlFw8JpTvda5DQI="
        ] {
            #expect(throws: AgeError.self, "\(bad)") { _ = try AgeRecipient(parsing: bad) }
        }
    }

    /// Sizes around the chunk boundary, several recipients, armored and not: each recipient opens
    /// it, a stranger gets no match, and the payload length is exactly plaintext + 16 per chunk.
    @Test(arguments: [0, 1, 65535, 65536, 65537, 3 * 65536 + 5])
    func roundTrip(size: Int) throws {
        let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let a = try AgeIdentity.generate(), b = try AgeIdentity.generate(), stranger = try AgeIdentity.generate()
        for armor in [false, true] {
            let file = try plain.withUnsafeBytes { try Age.encrypt($0, to: [a.recipient, b.recipient], armor: armor) }
            #expect(AgeArmor.isArmored(file) == armor)
            #expect(try Age.decrypt(file, identity: a).withUnsafeBytes { Array($0) } == plain)
            #expect(try Age.decrypt(file, identity: b).withUnsafeBytes { Array($0) } == plain)
            #expect(throws: AgeError.noMatch) { _ = try Age.decrypt(file, identity: stranger) }
            if !armor {
                let stanzas = try Age.stanzas(of: file)
                #expect(stanzas.count == 2 && stanzas.allSatisfy { $0.type == "X25519" && $0.body.count == 32 })
                let chunks = max(1, (size + 65535) / 65536)
                let headerLength = Age.encodeHeaderWithoutMAC(stanzas).count + 1 + 43 + 1
                #expect(file.count == headerLength + 16 + size + 16 * chunks)
            }
        }
    }

    /// Every byte of a small file flipped: never opens, never releases anything.
    @Test func everyByteFlipIsRefused() throws {
        let id = try AgeIdentity.generate()
        let plain = Array("testimony that must not be malleable".utf8)
        let file = try plain.withUnsafeBytes { try Age.encrypt($0, to: [id.recipient]) }
        for i in 0..<file.count {
            var bad = file
            bad[i] ^= 0x01
            #expect(throws: AgeError.self, "byte \(i)") { _ = try Age.decrypt(bad, identity: id) }
        }
        #expect(throws: AgeError.self) { _ = try Age.decrypt(Array(file.dropLast()), identity: id) }
        #expect(throws: AgeError.self) { _ = try Age.decrypt(file + [0], identity: id) }
    }
}
