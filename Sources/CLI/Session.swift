import ArgumentParser
import Foundation
import SodiumKit
import VaultCore

#if canImport(Glibc)
import Glibc
#endif

/// State of an interactive session (`sourcevault open`), shared with the commands it runs.
enum SessionContext {
    /// The unlocked vault while the session is unlocked; commands reuse it instead of unlocking.
    nonisolated(unsafe) static var vault: Vault?
    nonisolated(unsafe) static var directory: String?
    /// True inside a session: testimony is read until a line holding only "." instead of until EOF.
    nonisolated(unsafe) static var active = false
    /// This session's commands, in memory only (gone at lock, like everything else).
    nonisolated(unsafe) static var history: [String] = []

    /// Signals seen by the session loop (set by async-signal-safe handlers, read by the loop).
    nonisolated(unsafe) static var interrupted: sig_atomic_t = 0
    nonisolated(unsafe) static var terminated: sig_atomic_t = 0
    /// Seconds without input before the session locks.
    nonisolated(unsafe) static var idleSeconds = 300
    /// Set when a wait inside a command ran out of time: the loop locks after the command.
    nonisolated(unsafe) static var commandTimedOut = false

    /// Inside a session, waits until `fd` is readable, but gives up (false) after the idle time or
    /// on a signal, so no prompt, paste or pager can keep an unlocked session waiting forever.
    /// Outside a session it returns true at once (a plain blocking read follows).
    static func waitReadable(_ fd: Int32) -> Bool {
        guard active else { return true }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(idleSeconds) * 1_000_000_000
        while true {
            if interrupted != 0 || terminated != 0 { return false }
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return false }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&pfd, 1, Int32(clamping: (deadline - now) / 1_000_000))
            if rc > 0 { return true }
            if rc == 0 { commandTimedOut = true; return false }
            if errno != EINTR { return true }
        }
    }
}

/// The session loop: one unlock, many commands, lock on request, idle timeout, SIGINT, and wipe.
///
/// Locking releases the keys (wiped by `sodium_free`) and then re-executes this program in the
/// locked state: the whole address space, including every copy of decrypted text Swift made on
/// the heap (strings are not wipeable), is replaced. This is what makes "wiped after lock" true.
struct Session {
    let vault: VaultOptions
    let unlock: UnlockOptions
    let idleSeconds: Int
    let startLocked: Bool

    /// The commands a session runs (``CommandRegistry``).
    static let verbs: Set<String> = CommandRegistry.sessionVerbs
    /// The session's own commands, handled by the loop below.
    static let builtins: Set<String> = ["history", "quit", "exit", "lock", "help", "hardening"]

    func run() throws -> Never {
        SessionContext.active = true
        SessionContext.directory = vault.directory
        installSignalHandlers()
        let interactive = isatty(STDIN_FILENO) == 1
        // Bracketed paste: the terminal marks pasted text, so a pasted line break is data, never
        // Enter (LineEditor, SecretInput.readUntilDotLine).
        if interactive { Output.raw(TerminalControl.bracketedPasteOn) }
        if startLocked {
            Output.info("sourcevault: session locked; the next command asks for the passphrase again")
        } else {
            try open()
            if interactive { Output.info("sourcevault: session open. Type help for commands, lock to lock, quit to leave.") }
        }
        SessionContext.idleSeconds = idleSeconds
        while true {
            // A signal that arrived during the last command is acted on before anything else.
            checkSignals()
            let prompt = SessionContext.vault == nil ? "sourcevault (locked)> " : "sourcevault> "
            let input =
                interactive ? LineEditor.read(prompt: prompt, timeout: idleSeconds) : readCommandLine(timeout: idleSeconds)
            if SessionContext.terminated != 0 { finish(status: 0, reason: "terminated") }
            switch input {
            case .eof:
                finish(status: 0, reason: "end of input")
            case .timeout:
                if SessionContext.vault != nil { lockAndRestart(reason: "idle for \(idleSeconds) s") }
                continue
            case .interrupted:
                if SessionContext.vault != nil { lockAndRestart(reason: "interrupted") }
                continue
            case .line(let text):
                let words: [String]
                do { words = try ShellWords.split(text) } catch {
                    ErrorReporter.printError("\(error)")
                    continue
                }
                guard let verb = words.first else { continue }
                if verb != "history" { SessionContext.history.append(text) }
                switch verb {
                case "history":
                    for (i, h) in SessionContext.history.enumerated() { Output.line(Output.terminalSafe("\(i + 1)  \(h)")) }
                case "quit", "exit": finish(status: 0, reason: "quit")
                case "lock": lockAndRestart(reason: "lock")
                case "help": Output.line(Self.helpText(idleSeconds: idleSeconds))
                case "hardening": hardening()
                default:
                    guard Self.verbs.contains(verb) else {
                        let hint = ArgumentHints.suggestion(for: verb, among: Array(Self.verbs.union(Self.builtins)).sorted())
                        ErrorReporter.printError(
                            "unknown session command '\(verb.count < 20 && verb.allSatisfy(\.isLetter) ? verb : "…")'"
                                + (hint.isEmpty ? "; type help" : hint))
                        continue
                    }
                    if let v = SessionContext.vault, !v.keysAreCurrent() {
                        // Another process rekeyed the vault: these keys must not write anything.
                        lockAndRestart(reason: "the vault was rekeyed elsewhere")
                    }
                    if SessionContext.vault == nil {
                        do { try open() } catch { _ = ErrorReporter.report(error); continue }
                    }
                    runCommand(words)
                    // A wait inside the command (pager, paste, prompt) that ran out also locks.
                    if SessionContext.commandTimedOut {
                        SessionContext.commandTimedOut = false; lockAndRestart(reason: "idle for \(idleSeconds) s")
                    }
                }
            }
        }
    }

    private func checkSignals() {
        if SessionContext.terminated != 0 { finish(status: 0, reason: "terminated") }
        if SessionContext.interrupted != 0 {
            SessionContext.interrupted = 0
            if SessionContext.vault != nil { lockAndRestart(reason: "interrupted") }
        }
    }

    private func open() throws {
        let v = try unlock.unlock(vault)
        SessionContext.vault = v
        try v.audit(AuditEvent("session-open", ids: ["idle": String(idleSeconds)]))
    }

    private func runCommand(_ words: [String]) {
        // Always appended: the last --vault wins, so a word in the line cannot redirect the command.
        let args = words + ["--vault", vault.directory]
        do {
            var command: ParsableCommand
            do {
                command = try SourceVaultCommand.parseAsRoot(ArgumentHints.rewritingLegacy(args))
            } catch {
                // The hint comes from the words typed in the session, not the process's argv.
                _ = ErrorReporter.reportParse(error, arguments: words)
                return
            }
            try command.run()
        } catch {
            _ = ErrorReporter.report(error)
        }
    }

    /// What `help` prints: the session commands of ``CommandRegistry``, then the session's own.
    static func helpText(idleSeconds: Int) -> String {
        (["Commands (as on the command line, without 'sourcevault'):"] + CommandRegistry.sessionHelpLines() + [
            "Session: lock (wipe keys and decrypted text; ask again next time), history, hardening, help, quit.",
            "Auto-lock after \(idleSeconds) s without input and on Ctrl-C. History is kept only in memory."
        ]).joined(separator: "\n")
    }

    /// Prints what protects this process right now.
    private func hardening() {
        let dumpable = prctlDumpable()
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let locked =
            status.split(separator: "\n").first { $0.hasPrefix("VmLck:") }.map {
                $0.dropFirst(6).trimmingCharacters(in: .whitespaces)
            } ?? "?"
        var core = rlimit()
        getrlimit(Int32(RLIMIT_CORE.rawValue), &core)
        Output.line(
            "locked memory: \(locked); dumpable: \(dumpable ? "yes" : "no"); core dumps: \(core.rlim_cur == 0 ? "off" : "on"); vault: \(SessionContext.vault == nil ? "locked" : "unlocked")"
        )
    }

    /// Keys are wiped, then the program replaces itself (see the type's comment).
    private func lockAndRestart(reason: String) -> Never {
        if let v = SessionContext.vault {
            try? v.audit(
                AuditEvent(
                    "session-lock", ids: ["reason": reason == "lock" ? "command" : (reason == "interrupted" ? "signal" : "idle")])
            )
        }
        SessionContext.vault = nil
        // What was shown goes with the keys: the screen and the terminal's scrollback are cleared.
        if isatty(STDOUT_FILENO) == 1 { Output.raw(TerminalControl.bracketedPasteOff + TerminalControl.clearScreenAndScrollback) }
        Output.info("sourcevault: locked (\(reason)); keys and decrypted text wiped, screen and scrollback cleared")
        var args = CommandLine.arguments
        if !args.contains("--resume-locked") { args.append("--resume-locked") }
        let argv = args.map { strdup($0) } + [nil]
        execv("/proc/self/exe", argv)
        ErrorReporter.printError("could not restart the locked session (\(String(cString: strerror(errno)))); exiting")
        exit(1)
    }

    private func finish(status: Int32, reason: String) -> Never {
        if let v = SessionContext.vault {
            try? v.audit(
                AuditEvent(
                    "session-close", ids: ["reason": reason == "quit" ? "quit" : (reason == "terminated" ? "signal" : "eof")]))
        }
        SessionContext.vault = nil  // sodium_free wipes the keys
        if isatty(STDOUT_FILENO) == 1 { Output.raw(TerminalControl.bracketedPasteOff) }
        exit(status)
    }

    enum Input { case line(String), eof, timeout, interrupted }

    /// Reads one line from standard input byte by byte (nothing past the newline is consumed, so a
    /// restart loses no input), waiting at most `timeout` seconds for the first byte.
    private func readCommandLine(timeout: Int) -> Input {
        var bytes: [UInt8] = []
        var first = true
        while true {
            var pfd = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            let rc = poll(&pfd, 1, first ? Int32(clamping: timeout * 1000) : -1)
            if rc < 0 {
                if errno == EINTR {
                    if SessionContext.terminated != 0 { return .eof }
                    if SessionContext.interrupted != 0 { SessionContext.interrupted = 0; return .interrupted }
                    continue
                }
                return .eof
            }
            if rc == 0 { return .timeout }
            var b: UInt8 = 0
            let n = read(STDIN_FILENO, &b, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return bytes.isEmpty ? .eof : .line(String(decoding: bytes, as: UTF8.self)) }
            first = false
            if b == 0x0A { return .line(String(decoding: bytes, as: UTF8.self)) }
            bytes.append(b)
        }
    }

    private func installSignalHandlers() {
        // A parent (or a runtime) may have started us with signals blocked, and a restarted
        // session inherits the mask: unblock the ones that lock or end the session.
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in SessionContext.interrupted = 1 }
        signal(SIGTERM) { _ in SessionContext.terminated = 1 }
        signal(SIGHUP) { _ in SessionContext.terminated = 1 }
        // Handlers without SA_RESTART, so poll() returns EINTR and the loop sees the flag.
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            var act = sigaction()
            sigaction(sig, nil, &act)
            act.sa_flags &= ~Int32(SA_RESTART)
            sigaction(sig, &act, nil)
        }
    }
}

/// Splits a session line into words: whitespace separates, '…' and "…" quote, \ escapes.
enum ShellWords {
    struct Unbalanced: Error, CustomStringConvertible { var description: String { "unbalanced quote in the command" } }

    static func split(_ line: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escape = false
        for c in line {
            if escape { current.append(c); escape = false; inWord = true; continue }
            if c == "\\" && quote != "'" { escape = true; continue }
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
                continue
            }
            if c == "'" || c == "\"" { quote = c; inWord = true; continue }
            if c.isWhitespace {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(c)
            inWord = true
        }
        if quote != nil || escape { throw Unbalanced() }
        if inWord { words.append(current) }
        return words
    }
}

struct OpenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Interactive review session: one unlock, many commands, auto-lock; plaintext stays in this process's memory.",
        discussion: """
            Commands can also be piped on standard input (with --passphrase-fd N; after 'lock' the next \
            line of N unlocks again). Sensitive values typed here never reach shell history.
            """)
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Option(name: .long, help: ArgumentHelp("Lock after this many seconds without input.", valueName: "SECONDS"))
    var idleTimeout: Int = 300
    @Flag(name: .long, help: .hidden) var resumeLocked = false

    func validate() throws {
        if idleTimeout < 1 || idleTimeout > 86_400 { throw ValidationError("--idle-timeout takes 1 to 86400 seconds") }
    }

    func run() throws {
        try Session(vault: vault, unlock: unlock, idleSeconds: idleTimeout, startLocked: resumeLocked).run()
    }
}

/// A small line editor for the session on a terminal: typing, backspace (by character, so Hangul
/// and Chinese erase correctly), Ctrl-U, up/down through this session's history, Ctrl-C (locks),
/// Ctrl-D on an empty line (leaves). The history is the session's own, in memory only.
/// Terminal control sequences the session uses (xterm; understood by the common terminals).
enum TerminalControl {
    static let bracketedPasteOn = "\u{1B}[?2004h"
    static let bracketedPasteOff = "\u{1B}[?2004l"
    /// Home, erase the screen, erase the scrollback (`CSI 3 J`).
    static let clearScreenAndScrollback = "\u{1B}[H\u{1B}[2J\u{1B}[3J"
    /// What the terminal sends around pasted text when bracketed paste is on.
    static let pasteStart: [UInt8] = Array("\u{1B}[200~".utf8)
    static let pasteEnd: [UInt8] = Array("\u{1B}[201~".utf8)

    /// Discards what was typed or pasted but not read yet (the tail of a paste after the end of
    /// testimony must not run as commands); returns how many bytes went.
    static func discardTypeAhead(_ fd: Int32) -> Int {
        guard isatty(fd) == 1 else { return 0 }
        var pending: Int32 = 0
        _ = ioctl(fd, UInt(FIONREAD), &pending)
        _ = tcflush(fd, TCIFLUSH)
        return Int(pending)
    }
}

enum LineEditor {
    static func read(prompt: String, timeout: Int) -> Session.Input {
        var old = termios()
        guard tcgetattr(STDIN_FILENO, &old) == 0 else { Output.raw(prompt); return fallback(timeout) }
        var raw = old
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        defer { var o = old; _ = tcsetattr(STDIN_FILENO, TCSANOW, &o) }
        var line = ""
        var pending: [UInt8] = []
        var historyIndex = SessionContext.history.count
        var inPaste = false
        func redraw() { Output.raw("\r" + prompt + Output.terminalSafe(line) + "\u{1B}[K") }
        redraw()
        while true {
            guard SessionContext.waitReadable(STDIN_FILENO) || !SessionContext.active else {
                Output.raw("\r\n")
                if SessionContext.commandTimedOut { SessionContext.commandTimedOut = false; return .timeout }
                return SessionContext.terminated != 0 ? .eof : .interrupted
            }
            var b: UInt8 = 0
            let n = Glibc.read(STDIN_FILENO, &b, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { Output.raw("\r\n"); return .eof }
            switch b {
            case 0x0D, 0x0A:
                // A line break inside a paste is text, not Enter: nothing pasted runs by itself.
                if inPaste { line += " "; break }
                Output.raw("\r\n")
                return .line(line)
            case 0x03:  // Ctrl-C
                Output.raw("^C\r\n")
                return .interrupted
            case 0x04:  // Ctrl-D
                if line.isEmpty { Output.raw("\r\n"); return .eof }
            case 0x7F, 0x08:  // backspace
                if !line.isEmpty { line.removeLast() }
            case 0x15:  // Ctrl-U
                line = ""
            case 0x1B:  // arrows: ESC [ A / ESC [ B
                var seq: [UInt8] = [0, 0]
                guard Glibc.read(STDIN_FILENO, &seq[0], 1) == 1, Glibc.read(STDIN_FILENO, &seq[1], 1) == 1,
                    seq[0] == UInt8(ascii: "[")
                else { break }
                if seq[1] == UInt8(ascii: "2") {
                    // ESC [ 200 ~ / ESC [ 201 ~: bracketed paste starts / ends.
                    var rest: [UInt8] = [0, 0, 0]
                    guard Glibc.read(STDIN_FILENO, &rest, 3) == 3 else { break }
                    if rest == Array("00~".utf8) { inPaste = true } else if rest == Array("01~".utf8) { inPaste = false }
                } else if seq[1] == UInt8(ascii: "A"), historyIndex > 0 {
                    historyIndex -= 1
                    line = SessionContext.history[historyIndex]
                } else if seq[1] == UInt8(ascii: "B"), historyIndex < SessionContext.history.count {
                    historyIndex += 1
                    line = historyIndex == SessionContext.history.count ? "" : SessionContext.history[historyIndex]
                }
            default:
                guard b >= 0x20 else { break }
                pending.append(b)
                if let s = String(validating: pending, as: UTF8.self) {
                    line += s; pending = []
                } else if pending.count >= 4 {
                    pending = []
                }
            }
            redraw()
        }
    }

    private static func fallback(_ timeout: Int) -> Session.Input {
        // Not a real terminal after all: plain line reading.
        var bytes: [UInt8] = []
        var b: UInt8 = 0
        while Glibc.read(STDIN_FILENO, &b, 1) == 1 {
            if b == 0x0A { return .line(String(decoding: bytes, as: UTF8.self)) }
            bytes.append(b)
        }
        return bytes.isEmpty ? .eof : .line(String(decoding: bytes, as: UTF8.self))
    }
}
