import SodiumKit
import Testing

@Suite struct PrimitiveTests {
    /// Argon2id value computed independently with PyNaCl (nacl.pwhash.argon2id.kdf); pins the
    /// order of opslimit / memlimit / salt arguments.
    @Test func argon2idKnownAnswer() throws {
        let pw = try secure(Array("correct horse battery staple".utf8))
        let key = try PasswordHash.deriveKey(length: 32, passphrase: pw, salt: Array(0..<16), opsLimit: 2, memLimit: 65536)
        #expect(hexString(bytes(key)) == "2df47ede6358ed17a9976d4fcedb897a10036d432a4acef17d263bfc98bd20ac")
    }

    @Test func argon2idRejectsOutOfRangeParameters() throws {
        let pw = try secure([1, 2, 3])
        #expect(throws: SodiumError.self) {
            _ = try PasswordHash.deriveKey(length: 32, passphrase: pw, salt: Array(0..<16), opsLimit: 0, memLimit: 65536)
        }
        #expect(throws: SodiumError.self) {
            _ = try PasswordHash.deriveKey(length: 32, passphrase: pw, salt: Array(0..<16), opsLimit: 1, memLimit: 100)
        }
        #expect(throws: SodiumError.self) {
            _ = try PasswordHash.deriveKey(length: 32, passphrase: pw, salt: Array(0..<15), opsLimit: 1, memLimit: 8192)
        }
    }

    /// crypto_kdf_derive_from_key = BLAKE2b(key = master, salt = id‖0⁸, personal = ctx‖0⁸);
    /// value from Python's independent hashlib.blake2b.
    @Test func kdfKnownAnswer() throws {
        let mk = try secure(Array(0..<32))
        let sub = try KeyDerivation.deriveSubkey(from: mk, subkeyID: 7, context: "SVrecKEK")
        #expect(hexString(bytes(sub)) == "47762feb2156321b5b50561879b8aa238a001401f3640c2b36cf537b41c42e78")
        let other = try KeyDerivation.deriveSubkey(from: mk, subkeyID: 7, context: "SVsource")
        let eq_subother = sub.constantTimeEquals(other)
        #expect(!eq_subother)
        #expect(throws: SodiumError.self) { _ = try KeyDerivation.deriveSubkey(from: mk, subkeyID: 1, context: "short") }
    }

    /// BLAKE2b values from Python's hashlib.
    @Test func genericHashKnownAnswers() throws {
        #expect(
            hexString(try GenericHash.hash(Array("abc".utf8)))
                == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
        let k = try secure(Array(0..<32))
        #expect(
            hexString(try GenericHash.keyedHash(Array("message".utf8), key: k))
                == "2615bcafac3ebcd31940a8f15d876916435d805823d2db78c201a8e94624a0ae")
        // In parts (streamed): the same hash as of the parts joined, however they are cut, empty
        // parts included; a different key gives another.
        let mess = Array("mes".utf8), sage = Array("sage".utf8), empty: [UInt8] = []
        let streamed = try mess.withUnsafeBytes { a in
            try sage.withUnsafeBytes { b in
                try empty.withUnsafeBytes { e in try GenericHash.keyedHash(parts: [e, a, e, b], key: k) }
            }
        }
        #expect(hexString(streamed) == "2615bcafac3ebcd31940a8f15d876916435d805823d2db78c201a8e94624a0ae")
        let long = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for cut in [0, 1, 127, 128, 129, 65_536, 100_000] {
            let parts = try long.withUnsafeBytes { all in
                try GenericHash.keyedHash(
                    parts: [UnsafeRawBufferPointer(rebasing: all[..<cut]), UnsafeRawBufferPointer(rebasing: all[cut...])], key: k)
            }
            #expect(parts == (try GenericHash.keyedHash(long, key: k)), "cut at \(cut)")
        }
        let other = try secure(Array(1..<33))
        #expect(
            try long.withUnsafeBytes { try GenericHash.keyedHash(parts: [$0], key: other) }
                != (try GenericHash.keyedHash(long, key: k)))
    }

    @Test func paddingRoundTripsAndAlwaysAddsAByte() throws {
        for n in [0, 1, 15, 16, 17, 255, 256, 1000] {
            let data = [UInt8](repeating: 0x41, count: n)
            let padded = try Padding.pad(data, blockSize: 16)
            #expect(padded.count % 16 == 0 && padded.count > n)
            #expect(try Padding.unpaddedLength(of: padded, blockSize: 16) == n)
            #expect(bytes(padded)[n] == 0x80)
        }
    }

    @Test func unpaddingRejectsGarbage() throws {
        let zeros = try SecureBytes(count: 16)
        #expect(throws: SodiumError.invalidPadding) { _ = try Padding.unpaddedLength(of: zeros, blockSize: 16) }
        let odd = try SecureBytes(count: 15)
        #expect(throws: SodiumError.invalidPadding) { _ = try Padding.unpaddedLength(of: odd, blockSize: 16) }
    }

    /// The unpadding skips zeros eight bytes at a time: it must agree with a byte-by-byte reading
    /// for every alignment, for content that ends in zeros or in 0x80, and refuse what it refuses.
    @Test func unpaddingAgreesWithAByteByByteReading() throws {
        func reference(_ b: [UInt8], _ blockSize: Int) -> Int? {
            var i = b.count - 1
            while i >= 0 && b[i] == 0 { i -= 1 }
            return i >= 0 && b[i] == 0x80 && b.count - i <= blockSize ? i : nil
        }
        for count in [1, 7, 8, 9, 13, 16, 17, 24, 40, 64, 72, 255, 256] {
            for blockSize in [8, count] where count % blockSize == 0 {
                for last in -1..<count {
                    for marker: UInt8 in [0x80, 0x01, 0x00] {
                        for before: UInt8 in [0, 0x80, 0x41] {
                            var b = [UInt8](repeating: 0, count: count)
                            if last >= 0 { b[last] = marker }
                            if last >= 1 { b[last - 1] = before }
                            let got = try? b.withUnsafeBytes { try Padding.unpaddedLength($0, blockSize: blockSize) }
                            #expect(got == reference(b, blockSize), "count \(count) block \(blockSize) at \(last)")
                            // The same bytes one byte into a buffer: the eight-byte loads unaligned.
                            let shifted = [0x55] + b
                            let moved = try? shifted.withUnsafeBytes {
                                try Padding.unpaddedLength(UnsafeRawBufferPointer(rebasing: $0[1...]), blockSize: blockSize)
                            }
                            #expect(moved == got, "count \(count) block \(blockSize) at \(last), unaligned")
                        }
                    }
                }
            }
        }
    }

    @Test func secureBytesCompareAndCopy() throws {
        let a = try SecureBytes.random(count: 32)
        let b = try a.duplicate()
        let eq_ab = a.constantTimeEquals(b)
        #expect(eq_ab)
        let c = try SecureBytes.random(count: 32)
        let eq_ac = a.constantTimeEquals(c)
        #expect(!eq_ac)
        let d = try SecureBytes.random(count: 31)
        let eq_ad = a.constantTimeEquals(d)
        #expect(!eq_ad)
        #expect(try SecureBytes(count: 8).withUnsafeBytes { Array($0) } == [UInt8](repeating: 0, count: 8))
        #expect(bytes(try a.prefix(4)) == Array(bytes(a).prefix(4)))
        #expect(throws: SodiumError.self) { _ = try a.prefix(33) }
    }

    @Test func randomBytesAreRandom() throws {
        #expect(try Random.bytes(32) != Random.bytes(32))
        #expect(try Random.bytes(0).isEmpty)
    }
}
