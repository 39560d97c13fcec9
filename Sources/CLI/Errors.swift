import ArgumentParser
import Foundation
import Publishing
import Redaction
import SodiumKit
import VaultCore

/// Errors raised by the CLI layer itself.
enum CLIError: Error {
    /// Bad arguments or input; exit 2.
    case usage(String)
    /// Reading or writing a file or descriptor failed; exit 1.
    case io(String)
    /// Something asked for does not exist; exit 4.
    case notFound(String)
    /// `audit verify` found a problem; exit 5.
    case auditFailed(String)
    /// The user answered no (or nothing) at a confirmation prompt; exit 1, nothing was changed.
    case declined
    /// Exits with this code after the command already reported on stderr (e.g. `list` that found
    /// damaged records but printed the others).
    case alreadyReported(Int32)
}

/// Documented exit codes (README "Exit codes"). Keep the two in step.
enum ExitStatus {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    static let authentication: Int32 = 3
    static let notFound: Int32 = 4
    static let integrity: Int32 = 5
    static let vault: Int32 = 6
    static let leak: Int32 = 7
    static let audit: Int32 = 8
}

/// Turns any error into one line on stderr and an exit code. Never prints sensitive values: the
/// messages come from ``VaultError`` cases, which carry only ids, paths and counts.
enum ErrorReporter {
    static func report(_ error: Error) -> Int32 {
        let (code, message) = describe(error)
        if let message { printError(message) }
        return code
    }

    static func printError(_ message: String) {
        // Paths in messages may come from the vault file (the audit log's): escaped like any text from it.
        Output.write(STDERR_FILENO, Array("sourcevault: \(Output.terminalSafe(message))\n".utf8))
    }

    static func describe(_ error: Error) -> (Int32, String?) {
        switch error {
        case let e as VaultError: return describe(e)
        case let e as PublishingError: return describe(e)
        case let e as CLIError:
            switch e {
            case .usage(let m): return (ExitStatus.usage, m)
            case .io(let m): return (ExitStatus.failure, m)
            case .notFound(let m): return (ExitStatus.notFound, m)
            case .auditFailed(let m): return (ExitStatus.integrity, m)
            case .alreadyReported(let c): return (c, nil)
            case .declined: return (ExitStatus.failure, "not confirmed; nothing was changed")
            }
        case let e as SodiumError:
            return (
                ExitStatus.failure, e == .outOfMemory ? "secure memory unavailable (mlock limit reached?)" : "cryptography failed"
            )
        case let e as ExitCode:
            return (e.rawValue, nil)
        default:
            // ArgumentParser's own errors (help requests from a command group, validation) can
            // also surface from run(); they get the same value-free handling as parse errors.
            return (reportParse(error), nil)
        }
    }

    /// Errors from parsing the command line: help goes to stdout with status 0; anything else is
    /// a usage error in one line that never repeats the values given (they may be sensitive).
    static func reportParse(_ error: Error, arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Int32 {
        let code = SourceVaultCommand.exitCode(for: error)
        if code == .success {
            print(SourceVaultCommand.fullMessage(for: error))
            return ExitStatus.success
        }
        if let hint = ArgumentHints.message(for: error, arguments: arguments) {
            printError(hint)
            return ExitStatus.usage
        }
        var msg =
            SourceVaultCommand.message(for: error).split(separator: "\n").first.map(String.init)
            ?? "invalid arguments"
        // A value outside an option's fixed words: that option's own line, without the value.
        if let choice = ChoiceArguments.message(forParseError: msg) { msg = choice }
        printError("\(SafeText.withoutValues(msg)) (see 'sourcevault --help')")
        return ExitStatus.usage
    }

    static func describe(_ e: PublishingError) -> (Int32, String) {
        switch e {
        case .lineRange(let m): return (ExitStatus.usage, m)
        case .quoteNotFound: return (ExitStatus.notFound, "the quote does not occur in the record; nothing was written")
        case .quoteAmbiguous(let n):
            return (ExitStatus.usage, "the quote occurs \(n) times in the record; quote more of it so it occurs once")
        case .badRule(let r): return (ExitStatus.usage, "\(r)")
        case .leaksFound(let leaks):
            // The details (rule ids and lines only) go to stderr first; this is the one summary line.
            LeakReport.print(leaks)
            return (
                ExitStatus.leak,
                "export refused: the leak check found \(leaks.count) possible leak\(leaks.count == 1 ? "" : "s") (above); nothing was written"
            )
        case .noRuleApplies: return (ExitStatus.leak, LeakReport.noRulesMessage)
        case .disclosureThreshold(let d):
            // The table (fact ids, kinds and texts, for the reporter) goes to stderr first.
            DisclosureReport.print(d)
            return (ExitStatus.leak, DisclosureReport.refusal)
        case .invalidAccept(let m): return (ExitStatus.usage, m)
        case .patternGaveUp(let ids):
            return (
                ExitStatus.leak,
                "refused: the regular expression of rule \(ids.joined(separator: ", ")) gave up on this text (too much backtracking), so what it hides was not all found; simplify its pattern; nothing was written"
            )
        case .outputExists: return (ExitStatus.usage, "the --out file exists; choose another name or add --overwrite")
        case .outputFailed(let m): return (ExitStatus.failure, m)
        }
    }

    static func describe(_ e: VaultError) -> (Int32, String) {
        switch e {
        case .vaultNotFound(let p):
            return (ExitStatus.vault, "no vault at \(p) (create one with 'sourcevault init', or pass --vault DIR)")
        case .vaultAlreadyExists(let p): return (ExitStatus.vault, "a vault already exists at \(p); nothing was changed")
        case .notAVault(let p): return (ExitStatus.vault, "\(p) is not a SourceVault vault")
        case .unsupportedFormatVersion(let found, let supported):
            return (
                ExitStatus.vault,
                "this vault has format version \(found); this sourcevault reads up to version \(supported): upgrade sourcevault"
            )
        case .kdfParametersOutOfBounds(let m):
            return (ExitStatus.integrity, "refusing to unlock: \(m) (the vault file may have been tampered with)")
        case .wrongPassphrase: return (ExitStatus.authentication, "wrong passphrase (nothing was decrypted)")
        case .wrongRecoveryKey:
            return (ExitStatus.authentication, "that recovery key does not open this vault (nothing was decrypted)")
        case .recoveryKeyMalformed(let m): return (ExitStatus.authentication, "that is not a valid recovery key: \(m)")
        case .noSuchKeySlot(let m): return (ExitStatus.authentication, m)
        case .noSuchRecord(let p):
            return (ExitStatus.notFound, "no record id starts with \(SafeText.prefix(p)) (see 'sourcevault list')")
        case .ambiguousRecordID(let p, let n):
            return (ExitStatus.notFound, "\(SafeText.prefix(p)) matches \(n) records; give more characters of the id")
        case .noSuchVersion(let id, let v): return (ExitStatus.notFound, "record \(SafeText.id(id)) has no version \(v)")
        case .noSuchSource: return (ExitStatus.notFound, "no source has that alias (see 'sourcevault source list')")
        case .ageFileRefused(let m, let damaged): return (damaged ? ExitStatus.integrity : ExitStatus.usage, m)
        case .noSuchContact: return (ExitStatus.notFound, "no contact has that name (see 'sourcevault contact list')")
        case .duplicateSource:
            return (ExitStatus.usage, "a source with that alias already exists (aliases are compared ignoring case and accents)")
        case .recordIntegrity(let id):
            return (
                ExitStatus.integrity,
                "record \(SafeText.id(id)) failed its integrity check: its key or ciphertext was modified or corrupted"
            )
        case .sourceIntegrity(let id):
            return (
                ExitStatus.integrity, "source entry \(SafeText.id(id)) failed its integrity check: it was modified or corrupted"
            )
        case .noSuchRule(let p):
            return (ExitStatus.notFound, "no rule id starts with \(SafeText.prefix(p)) (see 'sourcevault rule list')")
        case .ambiguousRuleID(let p, let n):
            return (ExitStatus.notFound, "\(SafeText.prefix(p)) matches \(n) rules; give more characters of the id")
        case .noSuchFact(let p):
            return (ExitStatus.notFound, "no fact id starts with \(SafeText.prefix(p)) (see 'sourcevault fact list')")
        case .ambiguousFactID(let p, let n):
            return (ExitStatus.notFound, "\(SafeText.prefix(p)) matches \(n) facts; give more characters of the id")
        case .itemIntegrity(let kind, let id):
            return (ExitStatus.integrity, "\(kind) \(SafeText.id(id)) failed its integrity check: it was modified or corrupted")
        case .auditUnavailable(let m): return (ExitStatus.audit, "refused: \(m)")
        case .auditTampered(let m): return (ExitStatus.integrity, "audit log: \(m)")
        case .vaultIntegrity(let m): return (ExitStatus.integrity, "the vault is damaged: \(m)")
        case .invalidInput(let m): return (ExitStatus.usage, m)
        case .storage(let m): return (ExitStatus.failure, m)
        }
    }
}

/// Rendering of values in error messages: ids only if they look like ids, never user values.
enum SafeText {
    /// A stored id, if it is one; malformed ids from a hostile file are already replaced by the store.
    static func id(_ s: String) -> String {
        ObjectID.isValid(s) || s == ObjectID.malformed ? s : "(malformed-id)"
    }

    /// An id prefix typed by the user: shown only if it is hex (anything else may be a name typed
    /// in the wrong place).
    static func prefix(_ s: String) -> String {
        ObjectID.isPlausiblePrefix(s) ? "'\(s)'" : "that value (not shown: ids are hex)"
    }

    /// ArgumentParser quotes the offending value ('Kim Jong-il'); keep quoted option and argument
    /// names (--flag, <id>), replace everything else quoted.
    static func withoutValues(_ message: String) -> String {
        var out = ""
        var rest = Substring(message)
        while let open = rest.firstIndex(of: "'") {
            out += rest[..<open]
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "'") else { out += rest[open...]; return out }
            let quoted = after[..<close]
            // Kept: <placeholders>, option-looking words of lowercase letters (a value typed where an
            // option was expected, e.g. "--Ri-Jong-yol", is not kept), and our command names.
            let plainOption =
                quoted.hasPrefix("-") && quoted.count <= 24
                && quoted.allSatisfy { ($0.isLetter && $0.isLowercase && $0.isASCII) || $0 == "-" }
            // "--out <FILE>": an option and its placeholder.
            let optionWithValue =
                quoted.split(separator: " ").count == 2 && quoted.hasPrefix("--") && quoted.hasSuffix(">")
                && quoted.split(separator: " ")[1].hasPrefix("<")
                && quoted.split(separator: " ")[0].allSatisfy { ($0.isLetter && $0.isLowercase && $0.isASCII) || $0 == "-" }
            let isName =
                plainOption || optionWithValue || quoted.hasPrefix("<") || SourceVaultCommand.knownWords.contains(String(quoted))
            out += isName ? "'\(quoted)'" : "(value not shown)"
            rest = after[after.index(after: close)...]
        }
        return out + rest
    }
}
