import ArgumentParser
import Foundation
import PassphraseQuality
import SodiumKit
import VaultCore

#if canImport(Glibc)
import Glibc
#endif

/// "Are you sure?" before what cannot be undone (`rm`, `travel out`, `recovery remove`, `rekey`):
/// what it affects, then y/N on the terminal. `--yes` skips it; without a terminal on standard
/// input (scripts, pipes) the command goes ahead as it always did.
enum Confirmation {
    /// True when a person can be asked: standard input is a terminal and /dev/tty opens.
    static var canAsk: Bool { isatty(STDIN_FILENO) == 1 }

    /// Shows `lines` and asks `question` [y/N] on the terminal; throws `.declined` unless the
    /// answer is y or yes. Does nothing with `yes` or without a terminal.
    static func ask(_ lines: [String], _ question: String, yes: Bool) throws {
        guard !yes, canAsk else { return }
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard tty >= 0 else { return }
        defer { close(tty) }
        let text = lines.map { Output.terminalSafe($0) + "\n" }.joined() + question + " [y/N] "
        Output.write(tty, Array(text.utf8))
        guard SessionContext.waitReadable(tty) else { throw CLIError.declined }
        let answer = (try? SecretInput.readTextLine(fd: tty, what: "answer")) ?? ""
        guard ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw CLIError.declined
        }
    }
}

/// `--yes`: no y/N question (for scripts run on a terminal).
struct ConfirmOptions: ParsableArguments {
    @Flag(name: .long, help: "Do not ask for confirmation (without a terminal nothing is asked anyway).")
    var yes = false

    /// Asks, and logs a refusal in the audit log of `vault` as `action` before failing.
    func confirm(_ vault: Vault, action: String, ids: [String: String] = [:], _ lines: [String], _ question: String) throws {
        do {
            try Confirmation.ask(lines, question, yes: yes)
        } catch CLIError.declined {
            try vault.auditDeclined(action, ids: ids)
            throw CLIError.declined
        }
    }
}

/// The weak-passphrase warning for a new passphrase (init, passwd, travel out): libpwquality's
/// verdict on stderr; on a terminal, a chance to choose another.
enum PassphraseWarning {
    static func check(_ passphrase: borrowing SecureBytes, what: String, yes: Bool = false) throws {
        let verdict = PassphraseQuality.assess(passphrase)
        guard let problem = verdict.problem else { return }
        Output.info(
            "sourcevault: warning: weak \(what) (\(problem)); anyone with a copy of the vault can try guesses offline: several random words are stronger"
        )
        try Confirmation.ask([], "Use this \(what) anyway?", yes: yes)
    }
}
