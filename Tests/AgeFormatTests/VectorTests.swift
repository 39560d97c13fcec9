import AgeFormat
import Foundation
import SodiumKit
import TestSupport
import Testing

/// One C2SP CCTV age vector (Vectors/README in the shared copy: `expect`, `payload`, `identity`,
/// `armored`, `compressed`, then a blank line and the file).
struct AgeVector: CustomTestStringConvertible, Sendable {
    let name: String
    let expect: String
    let payloadSHA256: String?
    let identities: [String]
    let armored: Bool
    let file: [UInt8]
    var testDescription: String { name }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors")

    static func skipped() throws -> [String: String] {
        let text = try String(contentsOf: directory.appendingPathComponent("SKIPPED"), encoding: .utf8)
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            out[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return out
    }

    static func all() throws -> [AgeVector] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0 != "SKIPPED" && $0 != "LICENSE"
        }
        return try names.sorted().map { try load($0) }
    }

    static func load(_ name: String) throws -> AgeVector {
        let raw = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
        var at = 0
        var fields: [(String, String)] = []
        while true {
            let lf = raw[at...].firstIndex(of: 0x0a)!
            let line = String(decoding: raw[at..<lf], as: UTF8.self)
            at = lf + 1
            if line.isEmpty { break }
            let kv = line.split(separator: ":", maxSplits: 1)
            fields.append((String(kv[0]), kv[1].trimmingCharacters(in: .whitespaces)))
        }
        var file = Array(raw[at...])
        if fields.contains(where: { $0 == ("compressed", "zlib") }) { file = try inflate(file) }
        return AgeVector(
            name: name, expect: fields.first { $0.0 == "expect" }!.1, payloadSHA256: fields.first { $0.0 == "payload" }?.1,
            identities: fields.filter { $0.0 == "identity" }.map(\.1), armored: fields.contains { $0 == ("armored", "yes") },
            file: file)
    }

    /// zlib-compressed vectors (large STREAM cases): Foundation on Linux has no zlib API, so the
    /// test asks Python's zlib module (python3 is already a `make test` dependency).
    static func inflate(_ data: [UInt8]) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        let writer = Thread {
            input.fileHandleForWriting.write(Data(data))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile) }
        return Array(out)
    }
}

func hexString(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

/// The outcome name of an error, as the vectors spell it.
func outcome(_ e: AgeError) -> String {
    switch e {
    case .headerFailure: "header failure"
    case .noMatch: "no match"
    case .hmacFailure: "HMAC failure"
    case .payloadFailure: "payload failure"
    case .armorFailure: "armor failure"
    case .invalidKey, .crypto: "other: \(e)"
    }
}

@Suite struct AgeVectorTests {
    static let vectors: [AgeVector] = (try? AgeVector.all()) ?? []

    @Test func theImplementedVectorsAreAllHereAndTheOthersSkippedByName() throws {
        let skipped = try AgeVector.skipped()
        #expect(Self.vectors.count == 98)
        #expect(skipped.count == 45)
        for v in Self.vectors { #expect(skipped[v.name] == nil, "\(v.name) is both run and skipped") }
        for (name, reason) in skipped {
            #expect(name.hasPrefix("scrypt") || name.hasPrefix("hybrid") || name.hasPrefix("armor_"), "\(name)")
            #expect(!reason.isEmpty)
        }
        // Every outcome class is exercised.
        for expect in ["success", "no match", "HMAC failure", "header failure", "payload failure", "armor failure"] {
            #expect(Self.vectors.contains { $0.expect == expect }, "no vector expects \(expect)")
        }
    }

    /// Decrypt with each listed identity: the named outcome, and for success the payload's SHA-256.
    @Test(arguments: vectors) func vector(_ v: AgeVector) throws {
        // Detection agrees with the vector's flag wherever the armor begins as armor does.
        #expect(AgeArmor.isArmored(v.file) == v.armored || v.name == "armor_garbage_leading")
        var got = "no identity"
        var payload: [UInt8]? = nil
        // A vector without an identity (an empty file) is tried with a fresh one.
        for text in v.identities.isEmpty ? [nil] : v.identities.map(Optional.some) {
            let identity = try text.map { try AgeIdentity.parse(Array($0.utf8)) } ?? AgeIdentity.generate()
            do {
                let plain = try Age.decrypt(v.file, identity: identity, armored: v.armored)
                payload = plain.withUnsafeBytes { Array($0) }
                got = "success"
                break
            } catch {
                got = outcome(error)
                if error != .noMatch { break }
            }
        }
        #expect(got == v.expect, "\(v.name)")
        if got == "success", let want = v.payloadSHA256, let payload {
            #expect(hexString(try SHA256.hash(payload)) == want, "\(v.name): payload hash")
        }
    }

    /// The vectors' header round trip: every vector whose header parses re-encodes to the same bytes
    /// (canonical encoding), as the CCTV README suggests.
    @Test func headersRoundTrip() throws {
        var checked = 0
        for v in Self.vectors where v.expect != "header failure" && v.expect != "armor failure" {
            let binary = v.armored ? try AgeArmor.decode(v.file) : v.file
            let stanzas = try Age.stanzas(of: binary)
            let encoded = Age.encodeHeaderWithoutMAC(stanzas)
            #expect(Array(binary.prefix(encoded.count)) == encoded, "\(v.name)")
            checked += 1
        }
        #expect(checked >= 40)
    }

    /// Armored success vectors decode, and our armor of the decoded bytes decodes to the same bytes.
    @Test func armorRoundTrip() throws {
        var checked = 0
        for v in Self.vectors where v.armored && v.expect != "armor failure" {
            let binary = try AgeArmor.decode(v.file)
            #expect(try AgeArmor.decode(AgeArmor.encode(binary)) == binary, "\(v.name)")
            checked += 1
        }
        #expect(checked >= 5)
    }
}

/// The age fuzz corpus (Tests/Fuzz/corpus/age, the seeds of Sources/Fuzz/Age) as regression tests:
/// every input is answered (an AgeError or a plaintext), and a header that parses re-encodes to
/// the same bytes.
@Suite struct AgeFuzzCorpusTests {
    @Test func ageCorpus() throws {
        let inputs = try FuzzCorpus.inputs("age")
        try #require(!inputs.isEmpty)
        let identity = try AgeIdentity.parse(
            Array("AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0".utf8))
        var opened = 0
        for (name, bytes) in inputs {
            if (try? Age.decrypt(bytes, identity: identity)) != nil { opened += 1 }
            let binary = AgeArmor.isArmored(bytes) ? try? AgeArmor.decode(bytes) : bytes
            if let binary, let stanzas = try? Age.stanzas(of: binary) {
                #expect(binary.starts(with: Age.encodeHeaderWithoutMAC(stanzas)), "\(name)")
            }
        }
        #expect(opened > 0, "no seed decrypts: the corpus would not reach the payload")
    }
}
