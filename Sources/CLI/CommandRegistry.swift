import ArgumentParser

/// One top-level command: its type, and whether and how `open` offers it.
struct CommandEntry: Sendable {
    /// How a command appears in the session's `help`.
    struct SessionHelp: Sendable {
        /// What follows the command's name (and, for a group, its subcommands' names).
        let usage: String
        /// What it does, in a few words.
        let summary: String
    }

    let command: any ParsableCommand.Type
    /// Nil for a command of the command line only, which `open` refuses.
    let session: SessionHelp?

    /// A command also run inside the session (`open`).
    static func session(_ command: any ParsableCommand.Type, usage: String = "", _ summary: String) -> CommandEntry {
        CommandEntry(command: command, session: SessionHelp(usage: usage, summary: summary))
    }

    /// A command of the command line only (vault lifecycle, key changes, the session itself).
    static func commandLine(_ command: any ParsableCommand.Type) -> CommandEntry {
        CommandEntry(command: command, session: nil)
    }

    var name: String { CommandRegistry.name(of: command) }
}

/// The one list of commands. Derived from it: the root's subcommands (in this order, as `--help`
/// lists them), ``SourceVaultCommand/knownWords``, ``Session/verbs`` and the session's `help`.
/// A new command is one entry here.
enum CommandRegistry {
    static let entries: [CommandEntry] = [
        .commandLine(InitCommand.self),
        .session(SourceCommand.self, "source aliases"),
        .session(
            AddCommand.self, usage: "--source ALIAS --title TITLE",
            "new record: paste the testimony, then a line holding only ."),
        .session(AmendCommand.self, usage: "ID", "new version of a record (pasted like add)"),
        .session(EditCommand.self, usage: "ID [--title T] [--tag T]... [--date D]", "new version with other title, tags or date"),
        .session(DiffCommand.self, usage: "ID V1 V2", "what changed between two versions"),
        .session(ListCommand.self, usage: "[--source ALIAS] [--tag T] [--limit N] [--offset M]", "records, one a line"),
        .session(ShowCommand.self, usage: "ID [--rev N] [-n]", "one record, a screenful at a time"),
        .session(SearchCommand.self, usage: "QUERY [--limit N]", "titles, tags, aliases and testimony"),
        .commandLine(ImportCommand.self),
        .commandLine(RemoveCommand.self),
        .session(RuleCommand.self, "redaction rules"),
        .session(RedactCommand.self, usage: "ID", "preview what export would produce"),
        .session(ExportCommand.self, usage: "ID ...", "redacted excerpt to stdout or --out FILE"),
        .session(SuggestCommand.self, usage: "ID", "phrases and numbers no rule covers yet"),
        .session(ProvenanceCommand.self, usage: "FILE", "which record an exported excerpt came from"),
        .session(FactCommand.self, "facts about sources that excerpts may publish"),
        .session(DisclosureCommand.self, usage: "ALIAS", "which facts about a source were published, and where"),
        .commandLine(IdentityCommand.self),
        .session(ContactCommand.self, "people share encrypts to"),
        .session(ShareCommand.self, usage: "ID --to CONTACT --out FILE.age", "what export would write, encrypted with age"),
        .session(ReceiveCommand.self, usage: "FILE --source ALIAS", "an age file sent to this vault, as a new record"),
        .session(AuditCommand.self, "the audit log"),
        .commandLine(PasswdCommand.self),
        .commandLine(RecoveryCommand.self),
        .commandLine(RekeyCommand.self),
        .session(CheckCommand.self, "verify every record, rule and the audit log"),
        .commandLine(TravelCommand.self),
        .commandLine(BackupCommand.self),
        .commandLine(RestoreCommand.self),
        .commandLine(RetentionCommand.self),
        .commandLine(OpenCommand.self),
        .session(StatusCommand.self, "whether the vault exists and can be opened")
    ]

    /// The name a command is typed by.
    static func name(of command: any ParsableCommand.Type) -> String { command._commandName }

    /// The root command's subcommands.
    static var commands: [any ParsableCommand.Type] { entries.map(\.command) }

    /// Every command type: the entries and, depth first, their subcommands.
    static var allCommands: [any ParsableCommand.Type] {
        func walk(_ command: any ParsableCommand.Type) -> [any ParsableCommand.Type] {
            [command] + command.configuration.subcommands.flatMap(walk)
        }
        return commands.flatMap(walk)
    }

    /// Names of the commands `open` runs.
    static var sessionVerbs: Set<String> { Set(entries.filter { $0.session != nil }.map(\.name)) }

    /// Words parse errors may quote (anything else quoted is a user value): command and
    /// subcommand names, the words of typed options, and the session's own commands.
    static var knownWords: Set<String> {
        Set(allCommands.map(name(of:))).union(ChoiceArguments.words).union(Session.builtins)
    }

    /// One line per session command for `help`: its name, its subcommands' names, its usage, what it does.
    static func sessionHelpLines() -> [String] {
        entries.compactMap { entry in
            guard let help = entry.session else { return nil }
            let subcommands = entry.command.configuration.subcommands.map(name(of:))
            let synopsis =
                ([entry.name] + (subcommands.isEmpty ? [] : [subcommands.joined(separator: "|")])
                + (help.usage.isEmpty ? [] : [help.usage])).joined(separator: " ")
            let padding = String(repeating: " ", count: max(2, 38 - synopsis.count))
            return "  " + synopsis + padding + help.summary
        }
    }
}
