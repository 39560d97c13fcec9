import AgeFormat
import ArgumentParser
import Foundation
import Publishing
import SodiumKit
import VaultCore

#if canImport(Glibc)
import Glibc
#endif

/// A typed confirmation on the terminal (never a y/N: a reflexive "y" must not share testimony or
/// show a key). True only if the person typed `word`.
enum TypedConfirmation {
    static func ask(_ question: String, word: String) throws -> Bool {
        // Asked on the controlling terminal (/dev/tty); without one, this refuses.
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard tty >= 0 else { throw CLIError.usage("no terminal to confirm on; nothing was done (scripts: see --yes)") }
        close(tty)
        let answer = try SecretInput.promptVisible(question + " Type '\(word)' to continue: ", what: "confirmation")
        return answer.trimmingCharacters(in: .whitespaces) == word
    }
}

struct IdentityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "The vault's age identity: print its age1… recipient (the default), export or rotate it.",
        subcommands: [Show.self, Export.self, Rotate.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print the vault's age1… recipient, for colleagues to encrypt to.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions

        func run() throws {
            let v = try unlock.unlock(vault)
            Output.line(try v.identityRecipient())
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Show the vault's secret age key (AGE-SECRET-KEY-1…), after a typed confirmation on a terminal.",
            discussion: """
                Anyone holding this key can read every file shared with this vault. On a terminal it is \
                shown after you type 'export'. For a script, --out-fd N --yes writes it to descriptor N \
                (3 or above, a pipe or socket: never a file, never standard output).
                """)
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Option(name: .long, help: ArgumentHelp("Write the key to this file descriptor (a pipe).", valueName: "N"))
        var outFd: Int32?
        @Flag(name: .long, help: "With --out-fd: do not ask (scripts).") var yes = false

        func validate() throws {
            if let outFd, outFd < 3 {
                throw ValidationError("--out-fd takes a descriptor of 3 or above (not standard input, output or error)")
            }
            if yes && outFd == nil {
                throw ValidationError("--yes goes with --out-fd N; on a terminal the key is shown after a typed confirmation")
            }
        }

        func run() throws {
            if let fd = outFd {
                var st = stat()
                guard fstat(fd, &st) == 0 else { throw CLIError.usage("--out-fd \(fd) is not an open file descriptor") }
                let type = st.st_mode & S_IFMT
                guard type == S_IFIFO || type == S_IFSOCK else {
                    throw CLIError.usage(
                        "--out-fd must be a pipe or socket: the secret key is never written to a file by sourcevault")
                }
                guard yes else {
                    throw CLIError.usage("--out-fd needs --yes (the key gives access to everything shared with this vault)")
                }
            } else {
                guard isatty(STDOUT_FILENO) == 1 else {
                    throw CLIError.usage("identity export shows the key on a terminal only (scripts: --out-fd N --yes)")
                }
            }
            let v = try unlock.unlock(vault)
            if outFd == nil {
                guard
                    try TypedConfirmation.ask(
                        "This shows the vault's secret age key: anyone who sees it can read everything shared with this vault.",
                        word: "export")
                else { throw CLIError.usage("not confirmed; nothing was shown") }
            }
            let key = try v.exportIdentity()
            key.withUnsafeBytes { k in
                let fd = outFd ?? STDOUT_FILENO
                Output.write(fd, Array(k) + [0x0A])
            }
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract:
                "Replace the vault's age identity with a new one; files shared to the old recipient can no longer be received.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions

        func run() throws {
            let v = try unlock.unlock(vault)
            Output.line(try v.rotateIdentity())
            Output.info("sourcevault: new age identity; give the recipient above to your contacts (the old one no longer works)")
        }
    }
}

struct ContactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact",
        abstract: "People share can encrypt to: a name and their age1… recipient (both stored encrypted).",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a contact; the age1… recipient (or ssh-ed25519 public key) is read from standard input or asked for.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Argument(
            help: ArgumentHelp("The contact's name; - reads it from standard input; omit it to be asked.", valueName: "NAME"))
        var name: String?

        func run() throws {
            let v = try unlock.unlock(vault)
            let name = try SensitiveArgument.resolve(name, prompt: "Contact name: ", what: "contact name")
            let recipient =
                isatty(STDIN_FILENO) == 1
                ? try SecretInput.promptVisible("Their age recipient (age1… or ssh-ed25519 …): ", what: "recipient")
                : try SecretInput.readTextLine(fd: STDIN_FILENO, what: "recipient")
            let c = try v.addContact(name: name, recipient: recipient)
            Output.line("\(c.id)  \(c.fingerprint)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List contacts.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Flag(name: .long, help: "JSON output.") var json = false

        struct Item: Encodable { var id: String; var name: String; var recipient: String; var fingerprint: String }

        func run() throws {
            let v = try unlock.unlock(vault)
            let contacts = try v.listContacts()
            if json {
                try Output.json(
                    contacts.map { Item(id: $0.id, name: $0.name, recipient: $0.recipient, fingerprint: $0.fingerprint) })
            } else {
                for c in contacts { Output.line("\(c.id)  \(Output.terminalSafe(c.name))  \(c.recipient)") }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a contact.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Argument(
            help: ArgumentHelp("The contact's name; - reads it from standard input; omit it to be asked.", valueName: "NAME"))
        var name: String?

        func run() throws {
            let v = try unlock.unlock(vault)
            try v.removeContact(name: try SensitiveArgument.resolve(name, prompt: "Contact name: ", what: "contact name"))
        }
    }
}

struct ShareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "share",
        abstract: "Encrypt what export would write to contacts, as an age file (age -d opens it).",
        discussion: """
            The excerpt is selected, redacted, leak-checked and refused exactly as export does (exit 7), \
            then encrypted in memory with age (X25519) to each --to contact; only the encrypted file is \
            written. --unredacted shares the whole testimony instead: only after typing 'unredacted' on a \
            terminal, or with --yes in a script; the audit log records it with the recipients' \
            fingerprints. Once sent, a file is out of the vault's control.
            """)
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String
    @OptionGroup var select: SelectionOptions
    @Option(name: .long, help: ArgumentHelp("A contact to encrypt to (repeatable).", valueName: "CONTACT")) var to: [String] = []
    @Option(name: .long, help: ArgumentHelp("The age file to write (created 0600, atomically).", valueName: "FILE.age"))
    var out: String
    @Flag(name: .long, help: "ASCII armor (PEM), for e-mail or chat.") var armor = false
    @Option(name: .long, help: "text, markdown or json (what the recipient reads).") var format: ExportFormat = .text
    @Flag(name: .long, help: "Replace --out if it exists.") var overwrite = false
    @OptionGroup var review: ReviewOptions
    @Flag(name: .long, help: "Share the whole testimony without redaction (asks for a typed confirmation).") var unredacted =
        false
    @Flag(name: .long, help: "With --unredacted: do not ask (scripts).") var yes = false

    func validate() throws {
        if to.isEmpty { throw ValidationError("share needs at least one --to CONTACT ('sourcevault contact list')") }
        if yes && !unredacted { throw ValidationError("--yes goes with --unredacted") }
        if unredacted && (select.lines != nil || select.quote != nil) {
            throw ValidationError("--unredacted shares the whole record; leave out --lines and --quote")
        }
        if unredacted && (!review.accept.isEmpty || review.noRules || review.acceptDisclosure) {
            throw ValidationError("--accept, --no-rules and --accept-disclosure are for redacted shares")
        }
    }

    func run() throws {
        publishingMemoryPolicy()
        let v = try unlock.unlock(vault)
        let contacts = try to.map { try SensitiveArgument.resolve($0, prompt: "Contact: ", what: "contact name") }
        if unredacted && !yes {
            let n = Set(try v.recipients(forContacts: contacts).map(\.fingerprint)).count
            guard
                try TypedConfirmation.ask(
                    "This shares the full, unredacted testimony with \(n) recipient\(n == 1 ? "" : "s"); once sent it is out of your control.",
                    word: "unredacted")
            else { throw CLIError.usage("--unredacted not confirmed; nothing was written (scripts: --unredacted --yes)") }
        }
        let s = try Sharing.share(
            vault: v, id: id, version: select.version, selection: try select.selection(), accept: review.accept,
            noRules: review.noRules, acceptDisclosure: review.acceptDisclosure, format: format, to: contacts, out: out,
            armor: armor, overwrite: overwrite,
            unredacted: unredacted)
        if let p = s.excerpt {
            Output.info(
                "Shared record \(p.recordID) version \(p.version), lines \(p.firstLine)-\(p.lastLine): \(p.findings.count) redactions, to \(s.recipients) recipient\(s.recipients == 1 ? "" : "s")."
            )
            if let note = LeakReport.invisible(p) { Output.info(note) }
            Output.info(LeakReport.uncovered(p))
        } else {
            Output.info(
                "Shared record \(s.recordID) version \(s.version) UNREDACTED to \(s.recipients) recipient\(s.recipients == 1 ? "" : "s")."
            )
        }
    }
}

struct ReceiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Add an age file encrypted to this vault (sourcevault identity) as a new record; prints its id.",
        discussion: """
            The file (binary or armored) is decrypted in memory with the vault's identity and must be \
            UTF-8 text, as for add. A file made by another vault's share keeps its provenance (record, \
            version, lines, sender) in the new record's metadata.
            """)
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: ArgumentHelp("The age file.", valueName: "FILE")) var file: String
    @Option(name: .long, help: ArgumentHelp("Source alias; - reads it from standard input.", valueName: "ALIAS")) var source:
        String
    @Option(
        name: .long, help: ArgumentHelp("Title; - reads it from standard input (default: Received DATE).", valueName: "TITLE"))
    var title: String?
    @Option(name: .long, help: ArgumentHelp("A tag (repeatable).", valueName: "T")) var tag: [String] = []

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CLIError.io("cannot read the age file")
        }
        let v = try unlock.unlock(vault)
        let alias = try SensitiveArgument.resolve(source, prompt: "Source alias: ", what: "source alias")
        let title = try title.map { try SensitiveArgument.resolve($0, prompt: "Title: ", what: "title") }
        Output.line(try v.receive(file: Array(data), sourceAlias: alias, title: title, tags: tag))
    }
}
