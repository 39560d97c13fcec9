import AgeFormat
import Foundation
import SodiumKit
import Testing

/// AgeFormat against Debian's `age` (installed by `make test`), both ways, at the sizes around
/// the 64 KiB chunk (0 included, which a vault record cannot be), several recipients, armored.
@Suite struct AgeInteropTests {
    static let age = "/usr/bin/age", keygen = "/usr/bin/age-keygen"

    final class Dir {
        let path = NSTemporaryDirectory() + "sv-age-" + UUID().uuidString
        init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func run(_ tool: String, _ args: [String], in dir: Dir) throws -> (Int32, Data) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = dir.path + "/.out-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, FileManager.default.contents(atPath: out) ?? Data())
    }

    static func available() -> Bool {
        guard FileManager.default.isExecutableFile(atPath: age) else {
            Issue.record("age is missing: make test installs it (apt-get install age)")
            return false
        }
        return true
    }

    @Test(arguments: [0, 1, 65535, 65536, 65537, 5 * 1024 * 1024])
    func bothWays(size: Int) throws {
        guard Self.available() else { return }
        let dir = Dir()
        let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
        // age-keygen identities for `age -d`.
        var keys: [String] = []
        var recipients: [AgeRecipient] = []
        for i in 0..<2 {
            let key = dir.path + "/k\(i).txt"
            #expect(try Self.run(Self.keygen, ["-o", key], in: dir).0 == 0)
            let pub = String(decoding: try Self.run(Self.keygen, ["-y", key], in: dir).1, as: UTF8.self)
            recipients.append(try AgeRecipient(parsing: pub.trimmingCharacters(in: .whitespacesAndNewlines)))
            keys.append(key)
        }
        for armor in [false, true] {
            let file = try plain.withUnsafeBytes { try Age.encrypt($0, to: recipients, armor: armor) }
            let path = dir.path + "/f-\(armor).age"
            _ = FileManager.default.createFile(atPath: path, contents: Data(file))
            for key in keys {
                let (status, out) = try Self.run(Self.age, ["-d", "-i", key, path], in: dir)
                #expect(status == 0 && Array(out) == plain, "age -d failed: size \(size) armor \(armor)")
            }
        }
        // The other way: `age -r` and `age -a -r` to our identity.
        let me = try AgeIdentity.generate()
        let input = dir.path + "/plain"
        _ = FileManager.default.createFile(atPath: input, contents: Data(plain))
        for armor in [false, true] {
            let out = dir.path + "/to-me-\(armor).age"
            let args = (armor ? ["-a"] : []) + ["-r", me.recipient.encoded, "-o", out, input]
            #expect(try Self.run(Self.age, args, in: dir).0 == 0)
            let file = Array(FileManager.default.contents(atPath: out) ?? Data())
            #expect(try Age.decrypt(file, identity: me).withUnsafeBytes { Array($0) } == plain)
        }
    }

    /// The provenance stanza does not bother age: it is ignored like any unknown stanza.
    @Test func ageIgnoresTheNoteStanza() throws {
        guard Self.available() else { return }
        let dir = Dir()
        let key = dir.path + "/k.txt"
        _ = try Self.run(Self.keygen, ["-o", key], in: dir)
        let pub = String(decoding: try Self.run(Self.keygen, ["-y", key], in: dir).1, as: UTF8.self)
        let r = try AgeRecipient(parsing: pub.trimmingCharacters(in: .whitespacesAndNewlines))
        let text = Array("excerpt\n".utf8)
        let file = try text.withUnsafeBytes { try Age.encrypt($0, to: [r], note: ("example.org/note", Array("hello".utf8))) }
        let path = dir.path + "/n.age"
        _ = FileManager.default.createFile(atPath: path, contents: Data(file))
        let (status, out) = try Self.run(Self.age, ["-d", "-i", key, path], in: dir)
        #expect(status == 0 && Array(out) == text)
    }
}

/// `ssh-ed25519` recipients (encrypt only): `age -d -i` with the OpenSSH private key opens the file.
@Suite struct SSHRecipientInteropTests {
    @Test func ageOpensFilesToAnSSHEd25519Key() throws {
        guard AgeInteropTests.available(), FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen") else {
            Issue.record("age or ssh-keygen is missing: make test installs them"); return
        }
        let dir = AgeInteropTests.Dir()
        let key = dir.path + "/id_ed25519"
        #expect(
            try AgeInteropTests.run(
                "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ed@example", "-f", key], in: dir
            ).0 == 0)
        let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let r = try AgeRecipient(parsing: pub)
        #expect(r.sshKey != nil && r.encoded.hasPrefix("ssh-ed25519 AAAA") && !r.encoded.contains("ed@example"))
        #expect(try AgeRecipient(parsing: r.encoded) == r)
        let other = try AgeIdentity.generate()
        for size in [0, 1, 65537] {
            let plain = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
            let file = try plain.withUnsafeBytes { try Age.encrypt($0, to: [r, other.recipient], armor: size == 1) }
            let path = dir.path + "/s\(size).age"
            _ = FileManager.default.createFile(atPath: path, contents: Data(file))
            let (status, out) = try AgeInteropTests.run(AgeInteropTests.age, ["-d", "-i", key, path], in: dir)
            #expect(status == 0 && Array(out) == plain, "size \(size)")
            // The X25519 recipient beside it still opens it; the ssh stanza is ignored by our reader.
            #expect(try Age.decrypt(file, identity: other).withUnsafeBytes { Array($0) } == plain)
            let stanzas = try Age.stanzas(of: file)
            #expect(stanzas[0].type == "ssh-ed25519" && stanzas[0].arguments.count == 2 && stanzas[0].body.count == 32)
        }
    }
}
