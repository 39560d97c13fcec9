import ArgumentParser
import Foundation
import Publishing
import Redaction
import VaultCore

/// Errors raised by the CLI layer itself.
enum CLIError: Error {
    /// Bad arguments or input; exit 2.
    case usage(String)
    /// Reading or writing a file or descriptor failed; exit 1.
    case io(String)
    /// Something asked for does not exist; exit 4.
    case notFound(String)
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
        FileHandle.standardError.write(Data("sourcevault: \(message)\n".utf8))
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
            case .alreadyReported(let c): return (c, nil)
            }
        default:
            // ArgumentParser: help and --version go to stdout with status 0; parse errors are
            // usage errors, shown as one line with a pointer to --help.
            let code = SourceVaultCommand.exitCode(for: error)
            if code == .success {
                print(SourceVaultCommand.fullMessage(for: error))
                return (ExitStatus.success, nil)
            }
            if let e = error as? ExitCode { return (e.rawValue, nil) }
            let msg = SourceVaultCommand.message(for: error)
                .split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            return (ExitStatus.usage, "\(msg) (see 'sourcevault --help')")
        }
    }

    static func describe(_ e: PublishingError) -> (Int32, String) {
        switch e {
        case .lineRange(let m): return (ExitStatus.usage, m)
        case .quoteNotFound: return (ExitStatus.notFound, "the quote does not occur in the record; nothing was written")
        case .quoteAmbiguous(let n): return (ExitStatus.usage, "the quote occurs \(n) times in the record; quote more of it so it occurs once")
        case .badRule(let r): return (ExitStatus.usage, "\(r)")
        case .leaksFound(let leaks):
            // The details (rule ids and lines only) go to stderr first; this is the one summary line.
            LeakReport.print(leaks)
            return (ExitStatus.leak, "export refused: the leak check found \(leaks.count) possible leak\(leaks.count == 1 ? "" : "s") (above); nothing was written")
        case .invalidAccept(let m): return (ExitStatus.usage, m)
        case .outputExists(let p): return (ExitStatus.usage, "\(p) exists; choose another name or add --overwrite")
        case .outputFailed(let m): return (ExitStatus.failure, m)
        }
    }

    static func describe(_ e: VaultError) -> (Int32, String) {
        switch e {
        case .vaultNotFound(let p): return (ExitStatus.vault, "no vault at \(p) (create one with 'sourcevault init', or pass --vault DIR)")
        case .vaultAlreadyExists(let p): return (ExitStatus.vault, "a vault already exists at \(p); nothing was changed")
        case .notAVault(let p): return (ExitStatus.vault, "\(p) is not a SourceVault vault")
        case .unsupportedFormatVersion(let found, let supported):
            return (ExitStatus.vault, "this vault has format version \(found); this sourcevault reads up to version \(supported): upgrade sourcevault")
        case .kdfParametersOutOfBounds(let m):
            return (ExitStatus.integrity, "refusing to unlock: \(m) (the vault file may have been tampered with)")
        case .wrongPassphrase: return (ExitStatus.authentication, "wrong passphrase (nothing was decrypted)")
        case .wrongRecoveryKey: return (ExitStatus.authentication, "that recovery key does not open this vault (nothing was decrypted)")
        case .recoveryKeyMalformed(let m): return (ExitStatus.authentication, "that is not a valid recovery key: \(m)")
        case .noSuchKeySlot(let m): return (ExitStatus.authentication, m)
        case .noSuchRecord(let p): return (ExitStatus.notFound, "no record id starts with '\(p)' (see 'sourcevault list')")
        case .ambiguousRecordID(let p, let n): return (ExitStatus.notFound, "'\(p)' matches \(n) records; give more characters of the id")
        case .noSuchVersion(let id, let v): return (ExitStatus.notFound, "record \(id) has no version \(v)")
        case .noSuchSource: return (ExitStatus.notFound, "no source has that alias (see 'sourcevault source list')")
        case .duplicateSource: return (ExitStatus.usage, "a source with that alias already exists (aliases are compared ignoring case and accents)")
        case .recordIntegrity(let id):
            return (ExitStatus.integrity, "record \(id) failed its integrity check: its key or ciphertext was modified or corrupted")
        case .sourceIntegrity(let id):
            return (ExitStatus.integrity, "source entry \(id) failed its integrity check: it was modified or corrupted")
        case .noSuchRule(let p): return (ExitStatus.notFound, "no rule id starts with '\(p)' (see 'sourcevault rule list')")
        case .ambiguousRuleID(let p, let n): return (ExitStatus.notFound, "'\(p)' matches \(n) rules; give more characters of the id")
        case .itemIntegrity(let kind, let id):
            return (ExitStatus.integrity, "\(kind) \(id) failed its integrity check: it was modified or corrupted")
        case .vaultIntegrity(let m): return (ExitStatus.integrity, "the vault is damaged: \(m)")
        case .invalidInput(let m): return (ExitStatus.usage, m)
        case .storage(let m): return (ExitStatus.failure, m)
        }
    }
}
