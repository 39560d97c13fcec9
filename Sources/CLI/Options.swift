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

    @Option(
        name: .long,
        help: ArgumentHelp("Unlock with the recovery key, read from the first line of this file descriptor.", valueName: "N"))
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
                Output.info(
                    "sourcevault: warning: \(path) is accessible to other users (mode \(String(st.st_mode & 0o777, radix: 8))); run chmod go= on it"
                )
            }
        }
    }

    /// Unlocks with the passphrase and keeps it (for `rekey`, which rewraps the passphrase slot).
    func withPassphraseUnlock(_ vault: VaultOptions, _ body: (Vault, borrowing SecureBytes) throws -> Void) throws {
        guard recoveryKeyFd == nil else {
            throw CLIError.usage("this command needs the passphrase, not the recovery key (use 'passwd' first if you lost it)")
        }
        let dir = vault.directory
        let locked = try Vault.locked(directory: dir)
        try AuditLog.precheck(locked)
        try locked.checkSlot(recovery: false)
        let pass =
            try passphraseFd.map { try SecretInput.readSecretLine(fd: $0, what: "passphrase") }
            ?? SecretInput.prompt("Passphrase for \(dir): ", what: "passphrase")
        let v = try locked.unlock(passphrase: pass, audit: AuditLog())
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

    /// Passphrase tries on a terminal before a command gives up (exit 3).
    static let terminalTries = 3

    /// Asks on the terminal and unlocks, up to `terminalTries` times; each failure is logged by
    /// the unlock itself.
    static func promptedUnlock(_ dir: String, _ unlock: (borrowing SecureBytes) throws(VaultError) -> Vault) throws -> Vault {
        var attempt = 1
        while true {
            let pass = try SecretInput.prompt("Passphrase for \(dir): ", what: "passphrase")
            let outcome: Result<Vault, VaultError>
            do {
                outcome = .success(try UnlockNotice.during { () throws(VaultError) -> Vault in try unlock(pass) })
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let v): return v
            case .failure(let error):
                // (A `catch … where` here crashed the 6.3 optimizer: an ownership error in SIL.)
                guard error == .wrongPassphrase, attempt < terminalTries else { throw error }
                Output.info("sourcevault: wrong passphrase (\(attempt) of \(terminalTries) tries); try again")
                attempt += 1
            }
        }
    }

    /// Unlocks the vault in `vault` with the audit log attached. Checks that the vault exists and
    /// that its audit log can be written before asking for any secret (fail closed).
    func unlock(_ vault: VaultOptions, requireAuditLog: Bool = true, inspecting: Bool = false) throws -> Vault {
        let dir = vault.directory
        // Inside `open`, commands share the session's unlocked vault.
        if let v = SessionContext.vault, SessionContext.directory == dir { return v }
        // Opened and checked once, before any secret is asked for.
        let locked = try Vault.locked(directory: dir)
        if requireAuditLog { try AuditLog.precheck(locked) }
        try locked.checkSlot(recovery: recoveryKeyFd != nil)
        // Even when the access itself is logged later (verify, recover), a wrong passphrase is logged now.
        let audit = requireAuditLog ? AuditLog() : AuditLog(failuresOnly: true)
        let policy: UnlockPolicy = requireAuditLog ? (inspecting ? .inspection : .session) : .auditMaintenance
        let v: Vault
        if let fd = recoveryKeyFd {
            let key = try SecretInput.readSecretLine(fd: fd, what: "recovery key")
            v = try locked.unlock(recoveryKey: key, audit: audit, policy: policy)
        } else if let fd = passphraseFd {
            let pass = try SecretInput.readSecretLine(fd: fd, what: "passphrase")
            v = try UnlockNotice.during { () throws(VaultError) -> Vault in
                try locked.unlock(passphrase: pass, audit: audit, policy: policy)
            }
        } else {
            v = try Self.promptedUnlock(dir) { (pass) throws(VaultError) -> Vault in
                try locked.unlock(passphrase: pass, audit: audit, policy: policy)
            }
        }
        Self.warnAboutPermissions(dir)
        do {
            let shredded = v.shreddedAtUnlock
            if !shredded.isEmpty {
                Output.info(
                    "sourcevault: retention: shredded \(shredded.count) record\(shredded.count == 1 ? "" : "s") past their retention date"
                )
            }
        }
        for n in v.notices { Output.info("sourcevault: warning: \(n)") }
        v.onNotice = { Output.info("sourcevault: warning: \($0)") }
        if v.failedAttemptsSinceLastSession > 0 {
            Output.info(
                "sourcevault: warning: \(v.failedAttemptsSinceLastSession) failed unlock attempt\(v.failedAttemptsSinceLastSession == 1 ? "" : "s") since your last session (see 'sourcevault audit show')"
            )
        }
        return v
    }
}

/// "unlocking…" on a terminal while a key derivation runs longer than 0.3 s (moderate takes about
/// 0.5 s, sensitive several), erased when it is done.
enum UnlockNotice {
    static let delay = 0.3

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var done = false
        var shown = false
    }

    static func during<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        guard isatty(STDERR_FILENO) == 1 else { return try body() }
        let state = State()
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) {
            state.lock.lock()
            defer { state.lock.unlock() }
            if !state.done {
                Output.write(STDERR_FILENO, Array("unlocking…".utf8))
                state.shown = true
            }
        }
        defer {
            state.lock.lock()
            state.done = true
            if state.shown { Output.write(STDERR_FILENO, Array("\r\u{1B}[K".utf8)) }
            state.lock.unlock()
        }
        return try body()
    }
}

/// Output files (`export --out`, `backup --to`, `travel out --to`) checked before any passphrase is
/// asked for (`OutputTarget`; the write checks again).
enum OutputPaths {
    static func check(
        _ path: String, flag: String, overwrite: Bool, offersOverwrite: Bool = true, vault: VaultOptions
    ) throws {
        let dir = vault.directory
        // The audit log's path is in the vault file, readable without a key; no vault: no log to protect.
        let log = (try? Vault.status(directory: dir))?.auditLog?.path
        try OutputTarget.check(
            VaultOptions.absolute(path), flag: flag, overwrite: overwrite, offersOverwrite: offersOverwrite,
            protecting: [dir] + [log].compactMap { $0 })
    }
}

/// A sensitive argument (alias, title, query): given on argv, `-` for one line of standard input,
/// or left out and asked for on the terminal — so it need never enter shell history.
enum SensitiveArgument {
    /// `-` on a terminal is asked for with `prompt` (naming the value), like a value left out; from
    /// a pipe or file it is the next line, without a prompt.
    static func resolve(_ value: String?, prompt: String, what: String) throws -> String {
        switch value {
        case "-":
            if isatty(STDIN_FILENO) == 1 { return try SecretInput.promptVisible(prompt, what: what) }
            return try SecretInput.readTextLine(fd: STDIN_FILENO, what: what)
        case let v?: return v
        case nil: return try SecretInput.promptVisible(prompt, what: what)
        }
    }

    /// Values a list may hold more of (variants): asked one by one on the terminal until an empty
    /// line; nothing is asked without a terminal.
    static func askList(_ prompt: String, what: String) throws -> [String] {
        guard isatty(STDIN_FILENO) == 1 else { return [] }
        var out: [String] = []
        while let v = try SecretInput.promptVisibleOptional(prompt, what: what) { out.append(v) }
        return out
    }
}
