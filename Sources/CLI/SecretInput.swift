import Foundation
import SodiumKit

#if canImport(Glibc)
import Glibc
#endif

/// Reads secrets (passphrases, recovery keys) straight into secure memory, one byte at a time so
/// nothing after the secret's line is consumed and no Swift `String` ever holds it.
enum SecretInput {
    /// Longest secret line accepted; longer input is refused rather than truncated.
    static let maxSecretBytes = 4096

    /// Reads one line from `fd` (without its `\n` / `\r\n`). `what` names it in errors.
    static func readLine(fd: Int32, what: String) throws -> SecureBytes {
        // Room for the limit plus a trailing "\r" that is stripped below.
        var buffer = try SecureBytes(count: maxSecretBytes + 1)
        var count = 0
        var sawAnything = false
        let status: Int = buffer.withUnsafeMutableBytes { buf in
            var byte: UInt8 = 0
            while true {
                let n = read(fd, &byte, 1)
                if n < 0 {
                    if errno == EINTR { continue }
                    return -1
                }
                if n == 0 { break }
                sawAnything = true
                if byte == UInt8(ascii: "\n") { break }
                if count == buf.count { byte = 0; return -2 }
                buf[count] = byte
                count += 1
            }
            byte = 0
            if count > 0 && buf[count - 1] == UInt8(ascii: "\r") { count -= 1 }
            return count > maxSecretBytes ? -2 : 0
        }
        switch status {
        case -1: throw CLIError.io("cannot read the \(what) from file descriptor \(fd): \(String(cString: strerror(errno)))")
        case -2: throw CLIError.usage("the \(what) is longer than \(maxSecretBytes) bytes")
        default: break
        }
        guard sawAnything, count > 0 else {
            throw CLIError.usage("no \(what) on file descriptor \(fd) (empty line or end of input)")
        }
        return try buffer.prefix(count)
    }

    /// A secret line from a file descriptor given on the command line (`--passphrase-fd`). If that
    /// descriptor is a terminal (`--passphrase-fd 0` typed by hand), echo is turned off first.
    static func readSecretLine(fd: Int32, what: String) throws -> SecureBytes {
        guard isatty(fd) == 1 else { return try readLine(fd: fd, what: what) }
        var old = termios()
        guard tcgetattr(fd, &old) == 0 else { return try readLine(fd: fd, what: what) }
        var noEcho = old
        noEcho.c_lflag &= ~tcflag_t(ECHO)
        TerminalRestore.save(tty: fd, settings: old)
        _ = tcsetattr(fd, TCSAFLUSH, &noEcho)
        defer {
            var o = old
            _ = tcsetattr(fd, TCSAFLUSH, &o)
            TerminalRestore.clear()
        }
        return try readLine(fd: fd, what: what)
    }

    /// Asks on the controlling terminal with echo off.
    static func prompt(_ prompt: String, what: String) throws -> SecureBytes {
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard tty >= 0 else {
            throw CLIError.usage("no terminal to ask for the \(what) on; pass it with --passphrase-fd N (or --recovery-key-fd N)")
        }
        defer { close(tty) }
        // Echo off before the prompt is shown: whatever is typed once it appears is never echoed.
        var old = termios()
        let haveTermios = tcgetattr(tty, &old) == 0
        if haveTermios {
            var noEcho = old
            noEcho.c_lflag &= ~tcflag_t(ECHO)
            TerminalRestore.save(tty: tty, settings: old)
            _ = tcsetattr(tty, TCSAFLUSH, &noEcho)
        }
        _ = prompt.withCString { write(tty, $0, strlen($0)) }
        defer {
            if haveTermios {
                var o = old
                _ = tcsetattr(tty, TCSAFLUSH, &o)
                TerminalRestore.clear()
            }
            _ = write(tty, "\n", 1)
        }
        return try readLine(fd: tty, what: what)
    }

    /// Asks on the terminal with echo on, for a non-secret-but-sensitive value (alias, title,
    /// query) that must stay out of argv and shell history.
    static func promptVisible(_ prompt: String, what: String) throws -> String {
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard tty >= 0 else {
            throw CLIError.usage(
                "no \(what) given and no terminal to ask on; pass it as an argument or as - to read it from standard input")
        }
        defer { close(tty) }
        _ = prompt.withCString { write(tty, $0, strlen($0)) }
        guard SessionContext.waitReadable(tty) else { throw CLIError.usage("no answer in time; nothing was done") }
        return try readTextLine(fd: tty, what: what)
    }

    /// Like `promptVisible`, but an empty line is an answer: nil (the end of a list).
    static func promptVisibleOptional(_ prompt: String, what: String) throws -> String? {
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard tty >= 0 else { return nil }
        defer { close(tty) }
        _ = prompt.withCString { write(tty, $0, strlen($0)) }
        guard SessionContext.waitReadable(tty) else { throw CLIError.usage("no answer in time; nothing was done") }
        var bytes: [UInt8] = []
        var b: UInt8 = 0
        while read(tty, &b, 1) == 1 && b != 0x0A { bytes.append(b) }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        if bytes.last == 0x0D { bytes.removeLast() }
        guard !bytes.isEmpty else { return nil }
        guard let s = String(validating: bytes, as: UTF8.self) else { throw CLIError.usage("the \(what) is not valid UTF-8") }
        return s
    }

    /// A value looked for but not shown (`audit check-value`): asked with echo off on the terminal,
    /// else one line of standard input.
    static func hiddenTextLine(prompt: String, what: String) throws -> String {
        guard isatty(STDIN_FILENO) == 1 else { return try readTextLine(fd: STDIN_FILENO, what: what) }
        let secret = try SecretInput.prompt(prompt, what: what)
        let s: String? = secret.withUnsafeBytes { String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) }
        guard let s else { throw CLIError.usage("the \(what) is not valid UTF-8") }
        return s
    }

    /// One UTF-8 line from `fd` as a String (for sensitive arguments passed as `-`).
    static func readTextLine(fd: Int32, what: String) throws -> String {
        let line = try readLine(fd: fd, what: what)
        let s: String? = line.withUnsafeBytes { String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) }
        guard let s else { throw CLIError.usage("the \(what) is not valid UTF-8") }
        return s
    }

    /// Lines from `fd` up to (not including) a line holding only ".", read byte by byte. Pasted
    /// text is data: inside a bracketed paste a "." line does not end the testimony (the markers
    /// are dropped), and whatever was typed or pasted after the end is discarded, so it cannot run
    /// as session commands.
    static func readUntilDotLine(fd: Int32) throws -> [UInt8] {
        var out: [UInt8] = []
        var line: [UInt8] = []
        var b: UInt8 = 0
        var inPaste = false
        defer {
            let discarded = TerminalControl.discardTypeAhead(fd)
            if discarded > 0 {
                Output.info(
                    "sourcevault: discarded \(Output.count(discarded, "byte")) typed or pasted after the end of the testimony; none of it ran"
                )
            }
        }
        while true {
            guard SessionContext.waitReadable(fd) else {
                throw CLIError.usage("the session is locking (idle or interrupted); nothing was stored")
            }
            let n = read(fd, &b, 1)
            if n < 0 { if errno == EINTR { continue }; throw CLIError.io("cannot read the testimony") }
            if n == 0 { throw CLIError.usage("the testimony ended without a line holding only '.'; nothing was stored") }
            if b == 0x0A {
                if !inPaste && (line == [UInt8(ascii: ".")] || line == [UInt8(ascii: "."), 0x0D]) { return out }
                out += line + [0x0A]
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(b)
                for (marker, pasting) in [(TerminalControl.pasteStart, true), (TerminalControl.pasteEnd, false)]
                where line.count >= marker.count && line.suffix(marker.count).elementsEqual(marker) {
                    line.removeLast(marker.count)
                    inPaste = pasting
                }
            }
        }
    }

    /// Everything left on `fd` until end of input (testimony on standard input).
    static func readAll(fd: Int32, what: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError.io("cannot read the \(what): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}

/// Restores the terminal's echo if we are interrupted while it is off.
enum TerminalRestore {
    nonisolated(unsafe) private static var savedTTY: Int32 = -1
    nonisolated(unsafe) private static var saved = termios()
    nonisolated(unsafe) private static var previous: [Int32: sigaction] = [:]

    /// While echo is off, a signal first restores the terminal. Outside a session it then takes
    /// its default action; inside one, the session's own handlers (which lock) stay in charge.
    static func save(tty: Int32, settings: termios) {
        saved = settings
        savedTTY = tty
        if SessionContext.active { return }
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            var old = sigaction()
            sigaction(sig, nil, &old)
            previous[sig] = old
            signal(sig) { sig in
                if TerminalRestore.savedTTY >= 0 {
                    var s = TerminalRestore.saved
                    _ = tcsetattr(TerminalRestore.savedTTY, TCSAFLUSH, &s)
                }
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
    }

    static func clear() {
        savedTTY = -1
        for (sig, old) in previous {
            var o = old
            sigaction(sig, &o, nil)
        }
        previous = [:]
    }
}
