import Foundation
import Testing

/// Issue 17 through the built binary: identity, contacts, share and receive, against the real
/// `age` binary (Debian's, which `make test` installs) in both directions.
@Suite struct ShareCLITests {
    static let age = "/usr/bin/age"
    static let ageKeygen = "/usr/bin/age-keygen"
    static let pw = ["--passphrase-fd", "3"]

    /// Runs a program (age, age-keygen) with arguments; stdin from bytes.
    static func tool(_ path: String, _ args: [String], stdin: Data = Data()) throws -> (status: Int32, out: Data, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let tmp = TempFiles()
        p.standardInput = FileHandle(forReadingAtPath: tmp.file(stdin))
        let outPath = tmp.file(Data()), errPath = tmp.file(Data())
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        try p.run()
        p.waitUntilExit()
        return (
            p.terminationStatus, FileManager.default.contents(atPath: outPath) ?? Data(),
            String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
        )
    }

    /// Scratch files for `tool` (removed with the value).
    final class TempFiles {
        let dir = NSTemporaryDirectory() + "sv-tool-" + UUID().uuidString
        init() { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: dir) }
        func file(_ data: Data) -> String {
            let path = dir + "/" + UUID().uuidString
            _ = FileManager.default.createFile(atPath: path, contents: data)
            return path
        }
    }

    /// An age identity made by age-keygen: (key file, recipient).
    static func editor(_ c: CLI, _ name: String) throws -> (key: String, recipient: String) {
        let key = c.root + "/\(name).key"
        let r = try tool(ageKeygen, ["-o", key])
        #expect(r.status == 0, "age-keygen: \(r.err)")
        let pub = try tool(ageKeygen, ["-y", key])
        return (key, String(decoding: pub.out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func requireAge() -> Bool {
        guard FileManager.default.isExecutableFile(atPath: age), FileManager.default.isExecutableFile(atPath: ageKeygen) else {
            Issue.record("age is missing: make test installs it (apt-get install age)")
            return false
        }
        return true
    }

    /// The vault's secret key through `identity export --out-fd 4 --yes`, fd 4 a pipe (never argv
    /// or env), saved 0600 in the test's own directory for `age -d -i`.
    static func exportedKey(_ c: CLI) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments =
            ["-c", "exec \"$0\" \"$@\" 3<\"$SV_FD3\" 4>&1 >/dev/null", CLI.binary, "identity", "export", "--out-fd", "4", "--yes"]
            + pw + ["--vault", c.vault]
        var env = ProcessInfo.processInfo.environment
        env["SV_FD3"] = c.passFile
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let path = c.root + "/vault.key"
        _ = FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
        return path
    }

    @Test func identityPrintsTheRecipientAndExportIsGuarded() throws {
        guard Self.requireAge() else { return }
        let c = CLI()
        try c.initVault()
        let r = c.run(["identity"] + Self.pw)
        #expect(r.status == 0 && r.stdout.hasPrefix("age1") && r.stdout.count == 63, "\(r.stderr)")
        // The exported key is the identity's (age-keygen -y derives the same recipient).
        let key = try Self.exportedKey(c)
        let derived = try Self.tool(Self.ageKeygen, ["-y", key])
        #expect(String(decoding: derived.out, as: UTF8.self) == r.stdout)
        // Not on a non-terminal stdout, never to a file, never without --yes, never to fd 0-2.
        let plain = c.run(["identity", "export"] + Self.pw)
        #expect(plain.status == 2 && !plain.stdout.contains("AGE-SECRET-KEY") && plain.stderrLines.count == 1, "\(plain.stderr)")
        let toFile = c.run(["identity", "export", "--out-fd", "3", "--yes"] + Self.pw)
        #expect(toFile.status == 2 && toFile.stderr.contains("pipe"), "\(toFile.stderr)")
        #expect(c.run(["identity", "export", "--out-fd", "1", "--yes"] + Self.pw).status == 2)
        #expect(c.run(["identity", "export", "--yes"] + Self.pw).status == 2)
        // Rotate: a new recipient; the old key can no longer receive.
        let rotated = c.run(["identity", "rotate"] + Self.pw)
        #expect(rotated.status == 0 && rotated.stdout.hasPrefix("age1") && rotated.stdout != r.stdout)
        #expect(c.run(["identity"] + Self.pw).stdout == rotated.stdout)
        let log = try String(contentsOfFile: c.vault + "/audit.log", encoding: .utf8)
        #expect(log.contains("identity-export") && log.contains("identity-rotate") && log.contains("identity-create"))
        #expect(!log.contains("AGE-SECRET-KEY") && !log.contains(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func contactsAddListRemoveWithOneLineErrors() throws {
        guard Self.requireAge() else { return }
        let c = CLI()
        try c.initVault()
        let ed = try Self.editor(c, "ed")
        let add = c.run(["contact", "add", "ContactNameCanary"] + Self.pw, input: ed.recipient + "\n")
        #expect(add.status == 0, "\(add.stderr)")
        let list = c.run(["contact", "list"] + Self.pw)
        #expect(list.stdout.contains("ContactNameCanary") && list.stdout.contains(ed.recipient))
        let dup = c.run(["contact", "add", "contactnamecanary"] + Self.pw, input: ed.recipient + "\n")
        #expect(dup.status == 2 && dup.stderrLines.count == 1 && !dup.stderr.contains("ContactNameCanary"))
        let bad = c.run(["contact", "add", "Other"] + Self.pw, input: "age1qqqq\n")
        #expect(bad.status == 2 && bad.stderrLines.count == 1)
        let ssh = c.run(["contact", "add", "Ssh"] + Self.pw, input: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB x@y\n")
        #expect(ssh.status == 2)
        let rsa = c.run(["contact", "add", "Rsa"] + Self.pw, input: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ x@y\n")
        #expect(rsa.status == 2 && rsa.stderrLines.count == 1)
        let missing = c.run(["contact", "rm", "Nobody"] + Self.pw)
        #expect(missing.status == 4 && missing.stderrLines.count == 1 && !missing.stderr.contains("Nobody"))
        #expect(c.run(["contact", "rm", "-"] + Self.pw, input: "ContactNameCanary\n").status == 0)
        #expect(c.run(["contact", "list"] + Self.pw).stdout.isEmpty)
        // Sealed: the name and the recipient are nowhere in the vault files or the log.
        for (path, data) in c.vaultFiles() {
            #expect(!data.contains("ContactNameCanary") && !data.contains(ed.recipient), "\(path)")
        }
    }

    /// What `share` writes opens with `age -d -i`, byte for byte what `export` writes; the review
    /// guard and the leak check refuse as export does (exit 7, nothing written).
    @Test func shareIsExportEncryptedAndRefusedAsExportIs() throws {
        guard Self.requireAge() else { return }
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let ed = try Self.editor(c, "ed"), desk = try Self.editor(c, "desk")
        let edAdded = c.run(["contact", "add", "Editor"] + Self.pw, input: ed.recipient + "\n")
        let deskAdded = c.run(["contact", "add", "Desk"] + Self.pw, input: desk.recipient + "\n")
        #expect(edAdded.status == 0 && deskAdded.status == 0)
        let fingerprints = [edAdded, deskAdded].map {
            String($0.stdout.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let id = try c.add(
            source: "Magpie", title: "Crossing", body: "My cousin Ri Jong-yol paid a broker.\nWe crossed at night.\nThird line.\n"
        )
        let out = c.root + "/s.age"
        let refused = c.run(["share", id, "--to", "Editor", "--out", out] + Self.pw)
        #expect(refused.status == 7 && refused.stderr.contains("no redaction rule applies"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(c.run(["rule", "add", "Ri Jong-yol"] + Self.pw).status == 0)
        let export = c.run(["export", id, "--lines", "1-2", "--format", "markdown"] + Self.pw)
        for armor in [false, true] {
            let file = c.root + "/s-\(armor).age"
            let r = c.run(
                ["share", id, "--lines", "1-2", "--format", "markdown", "--to", "Editor", "--to", "Desk", "--out", file]
                    + (armor ? ["--armor"] : []) + Self.pw)
            #expect(r.status == 0, "\(r.stderr)")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(bytes.starts(with: Data((armor ? "-----BEGIN AGE ENCRYPTED FILE-----" : "age-encryption.org/v1").utf8)))
            for key in [ed.key, desk.key] {
                let d = try Self.tool(Self.age, ["-d", "-i", key, file])
                #expect(d.status == 0, "age -d: \(d.err)")
                #expect(String(decoding: d.out, as: UTF8.self) == export.stdout)
            }
            #expect(!bytes.contains("Ri Jong-yol") && !bytes.contains("cousin"))
            // `provenance` knows the decrypted file.
            let plain = c.writeFile("plain-\(armor).md", try Self.tool(Self.age, ["-d", "-i", ed.key, file]).out)
            #expect(c.run(["provenance", plain] + Self.pw).stdout.contains(id))
        }
        let noContact = c.run(["share", id, "--to", "Nobody", "--out", c.root + "/n.age"] + Self.pw)
        #expect(noContact.status == 4 && noContact.stderrLines.count == 1 && !noContact.stderr.contains("Nobody"))
        let exists = c.run(["share", id, "--to", "Editor", "--out", c.root + "/s-false.age"] + Self.pw)
        #expect(exists.status != 0)
        // Inside the vault directory: refused.
        #expect(c.run(["share", id, "--to", "Editor", "--out", c.vault + "/x.age"] + Self.pw).status != 0)
        let log = try String(contentsOfFile: c.vault + "/audit.log", encoding: .utf8)
        // Audited with the recipients' fingerprints, never their names or recipients.
        #expect(
            fingerprints.allSatisfy { $0.count == 16 } && log.contains("to=" + fingerprints.joined(separator: ".")),
            "\(fingerprints)")
        #expect(!log.contains("Editor") && !log.contains("Desk") && !log.contains(ed.recipient))
    }

    /// An `ssh-ed25519` contact (an editor's OpenSSH key): `age -d -i ~/.ssh/id_ed25519` opens the share.
    @Test func shareToAnSSHKeyOpensWithAge() throws {
        guard Self.requireAge(), FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen") else { return }
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let key = c.root + "/id_ed25519"
        #expect(
            try Self.tool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "SshCommentCanary", "-f", key]).status
                == 0)
        let pub = try Data(contentsOf: URL(fileURLWithPath: key + ".pub"))
        let added = c.run(["contact", "add", "Ssh editor"] + Self.pw, stdin: pub)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(c.run(["contact", "list"] + Self.pw).stdout.contains("ssh-ed25519 AAAA"))
        let id = try c.add(source: "Magpie", title: "t", body: "Pak Chol said so.\nSecond line.\n")
        #expect(c.run(["rule", "add", "Pak Chol"] + Self.pw).status == 0)
        let out = c.root + "/ssh.age"
        let r = c.run(["share", id, "--to", "Ssh editor", "--out", out] + Self.pw)
        #expect(r.status == 0, "\(r.stderr)")
        let d = try Self.tool(Self.age, ["-d", "-i", key, out])
        #expect(d.status == 0 && String(decoding: d.out, as: UTF8.self) == "[PERSON-1] said so.\nSecond line.\n", "\(d.err)")
        for (_, data) in c.vaultFiles() { #expect(!data.contains("SshCommentCanary")) }
    }

    /// Sizes around the 64 KiB chunk (and 5 MiB) through `share --unredacted --yes`, whose plaintext
    /// is the testimony's exact bytes: `age -d` returns them.
    @Test(arguments: [1, 65535, 65536, 65537, 5 * 1024 * 1024])
    func ageOpensSharesOfEverySize(size: Int) throws {
        guard Self.requireAge() else { return }
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let ed = try Self.editor(c, "ed")
        #expect(c.run(["contact", "add", "Editor"] + Self.pw, input: ed.recipient + "\n").status == 0)
        var body = Data(count: size)
        for i in 0..<size { body[i] = i % 61 == 60 ? 0x0A : UInt8(ascii: "a") + UInt8(i % 26) }
        let file = c.writeFile("body.txt", body)
        let id = try c.add(source: "Magpie", title: "big", body: "", extra: ["--file", file])
        let out = c.root + "/big.age"
        // Not confirmed: refused without --yes on a non-terminal.
        let unconfirmed = c.run(["share", id, "--unredacted", "--to", "Editor", "--out", out] + Self.pw)
        #expect(unconfirmed.status == 2 && !FileManager.default.fileExists(atPath: out), "\(unconfirmed.stderr)")
        let r = c.run(["share", id, "--unredacted", "--yes", "--to", "Editor", "--out", out] + Self.pw)
        #expect(r.status == 0, "\(r.stderr)")
        let d = try Self.tool(Self.age, ["-d", "-i", ed.key, out])
        #expect(d.status == 0 && d.out == body, "age -d: \(d.err)")
        let log = try String(contentsOfFile: c.vault + "/audit.log", encoding: .utf8)
        #expect(log.contains("unredacted=yes"))
    }

    /// `receive` opens what `age -r` and `age -a -r` wrote; a share from another vault keeps its
    /// provenance; foreign, damaged and non-UTF-8 files are refused with one line.
    @Test func receiveOpensWhatAgeWrote() throws {
        guard Self.requireAge() else { return }
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let me = c.run(["identity"] + Self.pw).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let text = "Testimony a colleague sent, 이종열, line one.\nLine two.\n"
        let input = c.writeFile("in.txt", Data(text.utf8))
        for armor in [false, true] {
            let file = c.root + "/in-\(armor).age"
            let e = try Self.tool(Self.age, (armor ? ["-a"] : []) + ["-r", me, "-o", file, input])
            #expect(e.status == 0, "age: \(e.err)")
            let r = c.run(["receive", file, "--source", "Magpie", "--title", "-"] + Self.pw, input: "From Seoul\n")
            #expect(r.status == 0, "\(r.stderr)")
            let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.count == 16)
            let shown = c.run(["show", id, "--json"] + Self.pw)
            #expect(shown.stdout.contains("이종열") && shown.stdout.contains("From Seoul"))
        }
        // Another vault shares to this one: its provenance is kept.
        let other = CLI()
        try other.initVault()
        try other.addSource("Heron")
        #expect(other.run(["contact", "add", "Colleague"] + Self.pw, input: me + "\n").status == 0)
        let oid = try other.add(source: "Heron", title: "t", body: "Kim Chol crossed.\nSecond.\n")
        #expect(other.run(["rule", "add", "Kim Chol"] + Self.pw).status == 0)
        let shared = other.root + "/to-colleague.age"
        #expect(other.run(["share", oid, "--lines", "1-2", "--to", "Colleague", "--out", shared] + Self.pw).status == 0)
        let got = c.run(["receive", shared, "--source", "Magpie"] + Self.pw)
        #expect(got.status == 0, "\(got.stderr)")
        let gid = got.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let json = c.run(["show", gid, "--json"] + Self.pw).stdout
        let sender = other.run(["identity"] + Self.pw).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(json.contains("record=\(oid) version=1 lines=1-2 format=text sender=\(sender)"), "\(json)")
        #expect(json.contains("[PERSON-1] crossed.") && !json.contains("Kim Chol"))
        // Refusals: not for this vault (2), modified (5), not UTF-8 (2), not an age file (2).
        let ed = try Self.editor(c, "ed")
        let foreign = c.root + "/foreign.age"
        _ = try Self.tool(Self.age, ["-r", ed.recipient, "-o", foreign, input])
        let f = c.run(["receive", foreign, "--source", "Magpie"] + Self.pw)
        #expect(f.status == 2 && f.stderrLines.count == 1 && f.stderr.contains("not encrypted to this vault"), "\(f.stderr)")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: c.root + "/in-false.age"))
        bytes[bytes.count - 3] ^= 1
        let damaged = c.writeFile("damaged.age", bytes)
        let dmg = c.run(["receive", damaged, "--source", "Magpie"] + Self.pw)
        #expect(dmg.status == 5 && dmg.stderrLines.count == 1, "\(dmg.stderr)")
        let binary = c.writeFile("bin.dat", Data([0xff, 0xfe, 0x00, 0x01]))
        let bin = c.root + "/bin.age"
        _ = try Self.tool(Self.age, ["-r", me, "-o", bin, binary])
        let nb = c.run(["receive", bin, "--source", "Magpie"] + Self.pw)
        #expect(nb.status == 2 && nb.stderr.contains("UTF-8"), "\(nb.stderr)")
        let garbage = c.run(["receive", input, "--source", "Magpie"] + Self.pw)
        #expect(garbage.status == 2 && garbage.stderrLines.count == 1)
        #expect(c.run(["list"] + Self.pw).stdout.split(separator: "\n").count == 3)
    }

    /// A canary in the testimony appears in no file written by `share` or `receive` (strace, every
    /// write decoded): only the .age file's ciphertext is written, and the canary is in it once
    /// decrypted (the scan works).
    @Test func noPlaintextReachesAnyFile() throws {
        guard Self.requireAge(), FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            Issue.record("strace or age missing: make test installs them"); return
        }
        let canary = "CanaryShareQz9"
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let ed = try Self.editor(c, "ed")
        #expect(c.run(["contact", "add", "Editor"] + Self.pw, input: ed.recipient + "\n").status == 0)
        let id = try c.add(source: "Magpie", title: "t", body: "Ri Jong-yol told us: \(canary) at the river.\n")
        #expect(c.run(["rule", "add", "Ri Jong-yol"] + Self.pw).status == 0)
        let tracer = NoPlaintextWriteTests()
        let out = c.root + "/traced.age"
        let shared = try tracer.traced(c, ["share", id, "--to", "Editor", "--out", out, "--armor"] + Self.pw)
        #expect(shared.status == 0, "\(tracer.lastStderr)")
        let me = c.run(["identity"] + Self.pw).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let incoming = c.writeFile("incoming.txt", Data("Received text \(canary) here.\n".utf8))
        let inAge = c.root + "/incoming.age"
        _ = try Self.tool(Self.age, ["-r", me, "-o", inAge, incoming])
        try FileManager.default.removeItem(atPath: incoming)
        let received = try tracer.traced(c, ["receive", inAge, "--source", "Magpie", "--title", "t2"] + Self.pw)
        #expect(received.status == 0, "\(tracer.lastStderr)")
        let writes = shared.writes + received.writes
        #expect(writes.contains { $0.0.contains("traced.age") }, "the .age write was not seen")
        #expect(writes.contains { $0.0.hasSuffix("/vault.sqlite3") })
        for (target, data) in writes {
            for form in [canary, canary.lowercased(), canary.uppercased()] {
                #expect(!Data(data).contains(form), "\(canary) written to \(target)")
            }
        }
        for path in shared.created + received.created {
            #expect(path.hasPrefix(c.vault + "/") || path.hasPrefix(c.root + "/.traced.age") || path == out, "created \(path)")
        }
        // The scan is meaningful: the canary is in the share's plaintext.
        let d = try Self.tool(Self.age, ["-d", "-i", ed.key, out])
        #expect(
            String(decoding: d.out, as: UTF8.self).contains(canary)
                && !String(decoding: d.out, as: UTF8.self).contains("Jong-yol"))
        for (_, data) in c.vaultFiles() { #expect(!data.contains(canary)) }
    }
}
