#if canImport(Glibc)
import Glibc
#endif

/// The session's built-in pager: long decrypted text a screenful at a time, never handed to an
/// external pager.
extension Output {
    /// Prints long text a screenful at a time inside a session on a terminal (no external pager
    /// ever receives the plaintext); otherwise prints it whole.
    static func page(_ text: String) {
        var size = winsize()
        guard SessionContext.active, isatty(STDOUT_FILENO) == 1,
            ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 3
        else {
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
}
