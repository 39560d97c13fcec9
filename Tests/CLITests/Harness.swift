import Foundation
import TestSupport

/// Runs the built `sourcevault` binary against a throwaway vault. The passphrase is passed on
/// file descriptor 3 from a file in the test's own temporary directory, as `--passphrase-fd 3`.
final class CLI: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var message: String; var description: String { message } }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    static let binary: String = {
        if let b = ProcessInfo.processInfo.environment["SOURCEVAULT_BIN"], !b.isEmpty { return b }
        // Tests/CLITests/Harness.swift → package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/sourcevault").path
    }()

    /// The test's own directory (removed with the CLI value): the vault, the passphrase file, outputs.
    let tmp = TempDirectory("cli")
    var root: String { tmp.path }
    var vault: String { tmp.vault }
    let passFile: String

    init(passphrase: String = "correct horse battery staple") {
        passFile = tmp.file("pass")
        try! Data((passphrase + "\n").utf8).write(to: URL(fileURLWithPath: passFile))
    }

    /// Runs `sourcevault ARGS --vault VAULT` with `stdin` as standard input and the passphrase file
    /// on fd 3 (when `fd3` is nil). `environment` replaces HOME/XDG variables when given.
    @discardableResult
    func run(
        _ args: [String], stdin: Data = Data(), fd3: String? = nil, vaultFlag: Bool = true,
        environment: [String: String]? = nil, closeStdout: Bool = false
    ) -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        var full = args
        if vaultFlag { full += ["--vault", vault] }
        // sh opens fd 3 for the child; arguments are passed positionally, never interpolated.
        p.arguments = ["-c", "exec \"$0\" \"$@\" 3<\"$SV_FD3\"" + (closeStdout ? " >&-" : ""), CLI.binary] + full
        var env = environment ?? ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SOURCEVAULT") }
        env["SV_FD3"] = fd3 ?? passFile
        p.environment = env
        // Files rather than pipes: no reader threads, no deadlock on large output.
        let tag = UUID().uuidString
        let inPath = root + "/.stdin-" + tag, outPath = root + "/.stdout-" + tag, errPath = root + "/.stderr-" + tag
        FileManager.default.createFile(atPath: inPath, contents: stdin)
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { for f in [inPath, outPath, errPath] { try? FileManager.default.removeItem(atPath: f) } }
        p.standardInput = FileHandle(forReadingAtPath: inPath)
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        try! p.run()
        p.waitUntilExit()
        let out = FileManager.default.contents(atPath: outPath) ?? Data()
        let err = FileManager.default.contents(atPath: errPath) ?? Data()
        return Result(
            status: p.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }

    func run(_ args: [String], input: String) -> Result { run(args, stdin: Data(input.utf8)) }

    /// `init --kdf test`, returning the recovery key.
    @discardableResult
    func initVault() throws -> String {
        let r = run(["init", "--kdf", "test", "--passphrase-fd", "3"])
        guard r.status == 0, let line = r.stdout.split(separator: "\n").first(where: { $0.hasPrefix("Recovery key: ") }) else {
            throw Failure(message: "init failed: \(r.stderr)")
        }
        return String(line.dropFirst("Recovery key: ".count))
    }

    func addSource(_ alias: String) throws {
        let r = run(["source", "add", alias, "--passphrase-fd", "3"])
        guard r.status == 0 else { throw Failure(message: "source add failed: \(r.stderr)") }
    }

    /// `add`, returning the printed id.
    func add(source: String, title: String, body: String, extra: [String] = []) throws -> String {
        let r = run(["add", "--source", source, "--title", title, "--passphrase-fd", "3"] + extra, input: body)
        guard r.status == 0 else { throw Failure(message: "add failed: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func writeFile(_ name: String, _ data: Data) -> String {
        let path = root + "/" + name
        try! data.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every byte of every file under the vault directory.
    func vaultFiles() -> [(String, Data)] {
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: vault) else { return [] }
        return e.compactMap { item in
            let path = vault + "/" + (item as! String)
            return fm.contents(atPath: path).map { (path, $0) }
        }
    }
}

extension CLI {
    /// Runs SQL on the vault file with the sqlite3 shell, as someone holding the file would, and
    /// returns what it printed; throws (failing the test, with sqlite3's stderr) if sqlite3 fails.
    @discardableResult
    func sql(_ statement: String) throws -> String {
        try SQLiteShell.run(statement, on: tmp.vaultDatabase)
    }
}

extension Data {
    func contains(_ needle: String) -> Bool { range(of: Data(needle.utf8)) != nil }
}
