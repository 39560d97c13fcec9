import ArgumentParser

/// The root command only dispatches.
struct SourceVaultCommand: ParsableCommand {
    /// Command and option words, which parse errors may quote (anything else quoted is a user value).
    static let knownWords: Set<String> = CommandRegistry.knownWords

    static let configuration = CommandConfiguration(
        commandName: "sourcevault",
        abstract: "An encrypted vault for testimony from sources at risk.",
        discussion: """
            Sensitive values (aliases, titles, search queries) may be left out to be asked for on \
            the terminal, or given as - to be read from standard input, so they stay out of shell history.
            Exit status: 0 ok, 1 other failure (or search found nothing), 2 usage or invalid input, 3 wrong passphrase or \
            recovery key, 4 not found, 5 integrity failure, 6 no vault / not a vault / newer format, \
            7 export refused by the leak check, 8 refused because the audit log cannot be written.
            """,
        version: "0.1.0",
        subcommands: CommandRegistry.commands
    )
}
