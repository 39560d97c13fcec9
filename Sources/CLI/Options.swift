import ArgumentParser
import Audit
import Foundation
import SodiumKit
import VaultCore
#if canImport(Glibc)
import Glibc
#endif

/// `--vault DIR`, else `$SOURCEVAULT_DIR`, else `${XDG_DATA_HOME:-~/.local/share}/sourcevault`.
struct VaultOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Vault directory.", valueName: "DIR"))
    var vault: String?

    var directory: String {
        if let vault, !vault.isEmpty { return Self.absolute(vault) }
        let env = ProcessInfo.processInfo.environment
        if let dir = env["SOURCEVAULT_DIR"], !dir.isEmpty { return Self.absolute(dir) }
        // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
        let base: String
        if let xdg = env["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            base = xdg
        } else {
            base = (NSHomeDirectory() as NSString).appendingPathComponent(".local/share")
        }
        return (base as NSString).appendingPathComponent("sourcevault")
    }

    static func absolute(_ path: String) -> String {
        // Not standardizingPath: it resolves symbolic links, and a symlinked vault path must be
        // seen (and refused by init) as what it is.
        var expanded = (path as NSString).expandingTildeInPath
        while expanded.count > 1 && expanded.hasSuffix("/") { expanded.removeLast() }
        if expanded.hasPrefix("/") { return expanded }
        return (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(expanded)
    }
}

/// How a command that unlocks gets its secret: terminal prompt by default.
struct UnlockOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Read the passphrase from the first line of this file descriptor.", valueName: "N"))
    var passphraseFd: Int32?

    @Option(name: .long, help: ArgumentHelp("Unlock with the recovery key, read from the first line of this file descriptor.", valueName: "N"))
    var recoveryKeyFd: Int32?

    func validate() throws {
        if passphraseFd != nil && recoveryKeyFd != nil {
            throw ValidationError("give either --passphrase-fd or --recovery-key-fd, not both")
        }
        if let fd = passphraseFd ?? recoveryKeyFd, fd < 0 { throw ValidationError("file descriptors are not negative") }
    }

    /// Files others can read are only ciphertext, but their names, sizes and times are not: warn,
    /// once per command, if the vault directory or database is open to other users.
    static func warnAboutPermissions(_ dir: String) {
        for path in [dir, Vault.databasePath(in: dir)] {
            var lst = stat()
            if lstat(path, &lst) == 0 && (lst.st_mode & S_IFMT) == S_IFLNK {
                Output.info("sourcevault: warning: \(path) is a symbolic link; make sure the vault lives where you think it does")
            }
            var st = stat()
            if stat(path, &st) == 0 && st.st_mode & 0o077 != 0 {
                Output.info("sourcevault: warning: \(path) is accessible to other users (mode \(String(st.st_mode & 0o777, radix: 8))); run chmod go= on it")
            }
        }
    }

    /// Unlocks with the passphrase and keeps it (for `rekey`, which rewraps the passphrase slot).
    func withPassphraseUnlock(_ vault: VaultOptions, _ body: (Vault, borrowing SecureBytes) throws -> Void) throws {
        guard recoveryKeyFd == nil else { throw CLIError.usage("this command needs the passphrase, not the recovery key (use 'passwd' first if you lost it)") }
        let dir = vault.directory
        try AuditLog.precheck(directory: dir)
        let pass = try passphraseFd.map { try SecretInput.readSecretLine(fd: $0, what: "passphrase") }
            ?? SecretInput.prompt("Passphrase for \(dir): ", what: "passphrase")
        let v = try Vault.unlock(directory: dir, passphrase: pass, audit: AuditLog())
        try body(v, pass)
    }

    /// A new secret: the next line of `--passphrase-fd` (no confirmation line), or asked twice on
    /// the terminal.
    func newSecret(_ what: String) throws -> SecureBytes {
        if let fd = passphraseFd ?? recoveryKeyFd { return try SecretInput.readSecretLine(fd: fd, what: what) }
        let first = try SecretInput.prompt("New \(what): ", what: what)
        let again = try SecretInput.prompt("Repeat the new \(what): ", what: what)
        guard first.constantTimeEquals(again) else { throw CLIError.usage("the two entries do not match; nothing was changed") }
        return first
    }

    /// Unlocks the vault in `vault` with the audit log attached. Checks that the vault exists and
    /// that its audit log can be written before asking for any secret (fail closed).
    func unlock(_ vault: VaultOptions, requireAuditLog: Bool = true) throws -> Vault {
        let dir = vault.directory
        // Inside `open`, commands share the session's unlocked vault.
        if let v = SessionContext.vault, SessionContext.directory == dir { return v }
        if requireAuditLog { try AuditLog.precheck(directory: dir) } else { _ = try Vault.status(directory: dir) }
        // Even when the access itself is logged later (verify, recover), a wrong passphrase is logged now.
        let audit = requireAuditLog ? AuditLog() : AuditLog(failuresOnly: true)
        let policy: UnlockPolicy = requireAuditLog ? .session : .auditMaintenance
        let v: Vault
        if let fd = recoveryKeyFd {
            let key = try SecretInput.readSecretLine(fd: fd, what: "recovery key")
            v = try Vault.unlock(directory: dir, recoveryKey: key, audit: audit, policy: policy)
        } else {
            let pass = try passphraseFd.map { try SecretInput.readSecretLine(fd: $0, what: "passphrase") }
                ?? SecretInput.prompt("Passphrase for \(dir): ", what: "passphrase")
            v = try Vault.unlock(directory: dir, passphrase: pass, audit: audit, policy: policy)
        }
        Self.warnAboutPermissions(dir)
        do {
            let shredded = v.shreddedAtUnlock
            if !shredded.isEmpty { Output.info("sourcevault: retention: shredded \(shredded.count) record\(shredded.count == 1 ? "" : "s") past their retention date") }
        }
        if v.failedAttemptsSinceLastSession > 0 {
            Output.info("sourcevault: warning: \(v.failedAttemptsSinceLastSession) failed unlock attempt\(v.failedAttemptsSinceLastSession == 1 ? "" : "s") since your last session (see 'sourcevault audit show')")
        }
        return v
    }
}

/// A sensitive argument (alias, title, query): given on argv, `-` for one line of standard input,
/// or left out and asked for on the terminal — so it need never enter shell history.
enum SensitiveArgument {
    static func resolve(_ value: String?, prompt: String, what: String) throws -> String {
        switch value {
        case "-": return try SecretInput.readTextLine(fd: STDIN_FILENO, what: what)
        case let v?: return v
        case nil: return try SecretInput.promptVisible(prompt, what: what)
        }
    }
}

/// Output helpers: stdout for results, terminal-safe rendering of decrypted text.
enum Output {
    static func line(_ s: String) {
        Output.write(STDOUT_FILENO, Array((s + "\n").utf8))
    }

    /// Set when standard output could not be written (full disk, closed pipe): the command then
    /// exits 1 with a message instead of claiming success.
    nonisolated(unsafe) static var stdoutFailed = false

    /// write(2) until done. Foundation's FileHandle.write stops the process on an I/O error, which a
    /// full disk or EIO must never do; errors on stdout are remembered, on stderr ignored.
    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if fd == STDOUT_FILENO { stdoutFailed = true }
                return
            }
            off += n
        }
    }

    /// Writes a line to stdout and fails if it could not be written (closed stdout, full disk),
    /// instead of dying on SIGPIPE: used where losing the line must abort the operation.
    static func lineOrThrow(_ s: String) throws {
        let old = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, old) }
        let bytes = Array((s + "\n").utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError.io("cannot write to standard output: \(String(cString: strerror(errno)))")
            }
            off += n
        }
    }

    /// Writes without a newline (prompts).
    static func raw(_ s: String) {
        Output.write(STDOUT_FILENO, Array(s.utf8))
    }

    /// Prints long text a screenful at a time inside a session on a terminal (no external pager
    /// ever receives the plaintext); otherwise prints it whole.
    static func page(_ text: String) {
        var size = winsize()
        guard SessionContext.active, isatty(STDOUT_FILENO) == 1, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 3 else {
            line(text); return
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let height = Int(size.ws_row) - 1
        var i = 0
        while i < lines.count {
            line(lines[i..<min(i + height, lines.count)].joined(separator: "\n"))
            i += height
            guard i < lines.count else { break }
            raw("-- more (\(i)/\(lines.count) lines): space or enter for more, q to stop --")
            let key = readKey()
            raw("\r\u{1B}[K")
            if key == UInt8(ascii: "q") || key == 0 { break }
        }
    }

    /// One key from the terminal, without echo or waiting for enter.
    private static func readKey() -> UInt8 {
        let tty = open("/dev/tty", O_RDONLY)
        guard tty >= 0 else { return 0 }
        defer { close(tty) }
        var old = termios()
        guard tcgetattr(tty, &old) == 0 else { return 0 }
        var rawMode = old
        rawMode.c_lflag &= ~tcflag_t(ICANON | ECHO)
        _ = tcsetattr(tty, TCSANOW, &rawMode)
        defer { var o = old; _ = tcsetattr(tty, TCSANOW, &o) }
        // The idle timeout and Ctrl-C apply while the pager waits, too.
        guard SessionContext.waitReadable(tty) else { return 0 }
        var b: UInt8 = 0
        return read(tty, &b, 1) == 1 ? b : 0
    }

    static func info(_ s: String) {
        Output.write(STDERR_FILENO, Array((s + "\n").utf8))
    }

    /// Escapes control characters (terminal escape sequences), C1 controls and bidi overrides so
    /// that decrypted text is shown, never interpreted by the terminal. Newlines and tabs are kept
    /// when `multiline` is true.
    /// True for a byte that starts or is something `terminalSafe` escapes (C0 controls and DEL;
    /// C2 leads the C1 controls, D8 leads U+061C, E2 the other bidi controls).
    @inline(__always)
    static func mayNeedEscaping(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x7F || b == 0xC2 || b == 0xD8 || b == 0xE2
    }

    static func terminalSafe(_ s: String, multiline: Bool = false) -> String {
        // Most text has none of these: a byte scan leaves it as it is.
        if !s.utf8.contains(where: mayNeedEscaping) { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            let v = u.value
            let keep = multiline && (v == 0x0A || v == 0x09)
            let dangerous = v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v)
                || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
                || v == 0x200E || v == 0x200F || v == 0x061C  // bidi marks (they reorder what is shown)
            if dangerous && !keep {
                out.append(contentsOf: String(format: "\\u{%X}", v).unicodeScalars)
            } else {
                out.append(u)
            }
        }
        return String(out)
    }

    static func json<T: Encodable>(_ value: T) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try enc.encode(value)
        Output.write(STDOUT_FILENO, Array(data))
        Output.write(STDOUT_FILENO, Array("\n".utf8))
    }
}
