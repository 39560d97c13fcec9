import ArgumentParser
import VaultCore

struct SourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Manage sources (pseudonymous aliases, never real names).",
        subcommands: [Add.self, List.self, Set.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a source alias.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Argument(help: ArgumentHelp("The alias; - reads it from standard input; omit it to be asked.", valueName: "ALIAS"))
        var alias: String?
        @Option(
            name: .long,
            help: ArgumentHelp(
                "A private note about the source (stored encrypted); - reads it from standard input, after the alias if that is read too.",
                valueName: "TEXT"))
        var note: String?

        func run() throws {
            let v = try unlock.unlock(vault)
            let alias = try SensitiveArgument.resolve(alias, prompt: "Source alias: ", what: "source alias")
            let note = try note.map { try SensitiveArgument.resolve($0, prompt: "Private note: ", what: "note") }
            let s = try v.addSource(alias: alias, note: note)
            Output.line(s.id)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List source aliases.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Flag(name: .long, help: "JSON output.") var json = false

        struct Item: Encodable { var id: String; var alias: String; var note: String?; var created: String }

        func run() throws {
            let v = try unlock.unlock(vault)
            let (sources, problems) = try v.listSources()
            if json {
                try Output.json(sources.map { Item(id: $0.id, alias: $0.alias, note: $0.note, created: $0.created) })
            } else {
                for s in sources { Output.line("\(s.id)  \(Output.terminalSafe(s.alias))") }
            }
            for p in problems { _ = ErrorReporter.report(p) }
            if !problems.isEmpty { throw CLIError.alreadyReported(ExitStatus.integrity) }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change a source's settings: --disclosure-threshold N.",
            discussion: """
                export and share refuse (exit 7) an excerpt that brings the facts published about the \
                source to N (of at least 2 kinds; default 3) unless --accept-disclosure.
                """)
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Argument(help: ArgumentHelp("The alias; - reads it from standard input; omit it to be asked.", valueName: "ALIAS"))
        var alias: String?
        @Option(
            name: .customLong("disclosure-threshold"),
            help: ArgumentHelp("Facts published about the source at which export refuses (1 to 1000).", valueName: "N"))
        var disclosureThreshold: Int

        func validate() throws {
            if !(1...1000).contains(disclosureThreshold) {
                throw ValidationError("--disclosure-threshold is a number of facts, 1 to 1000")
            }
        }

        func run() throws {
            let v = try unlock.unlock(vault)
            let alias = try SensitiveArgument.resolve(alias, prompt: "Source alias: ", what: "source alias")
            try v.setDisclosureThreshold(sourceAlias: alias, disclosureThreshold)
            Output.line("Disclosure threshold set to \(disclosureThreshold).")
        }
    }
}
