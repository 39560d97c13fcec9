import ArgumentParser

/// The root command only dispatches.
struct SourceVaultCommand: ParsableCommand {
    /// Subcommand names, which parse errors may quote (anything else quoted is a user value).
    static let knownWords: Set<String> = [
        "init", "source", "add", "import", "amend", "list", "show", "search", "rm", "rule", "redact", "export",
        "suggest", "provenance", "status", "text", "markdown", "json", "audit", "verify", "checkpoint", "pubkey",
        "check-value", "recover", "passwd", "recovery", "rotate", "remove", "rekey", "check", "backup", "restore",
        "travel", "out", "in", "retention", "apply", "open", "lock", "quit", "help", "hardening",
    ]

    static let configuration = CommandConfiguration(
        commandName: "sourcevault",
        abstract: "An encrypted vault for testimony from sources at risk.",
        discussion: """
            Sensitive values (aliases, titles, search queries) may be left out to be asked for on \
            the terminal, or given as - to be read from standard input, so they stay out of shell history.
            Exit status: 0 ok, 1 other failure, 2 usage or invalid input, 3 wrong passphrase or \
            recovery key, 4 not found, 5 integrity failure, 6 no vault / not a vault / newer format, \
            7 export refused by the leak check, 8 refused because the audit log cannot be written.
            """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, SourceCommand.self, AddCommand.self, AmendCommand.self, ListCommand.self,
            ShowCommand.self, SearchCommand.self, ImportCommand.self, RemoveCommand.self, RuleCommand.self, RedactCommand.self,
            ExportCommand.self, SuggestCommand.self, ProvenanceCommand.self, AuditCommand.self, PasswdCommand.self, RecoveryCommand.self,
            RekeyCommand.self, CheckCommand.self, TravelCommand.self, BackupCommand.self, RestoreCommand.self,
            RetentionCommand.self, OpenCommand.self, StatusCommand.self,
        ]
    )
}
