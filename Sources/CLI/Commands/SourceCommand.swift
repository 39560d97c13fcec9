import ArgumentParser
import VaultCore

struct SourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Manage sources (pseudonymous aliases, never real names).",
        subcommands: [Add.self, List.self, Rename.self, Remove.self, Set.self])

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

    struct Rename: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rename",
            abstract: "Give a source a new alias (its records keep it); the old alias is sealed over in the vault file.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Argument(help: ArgumentHelp("The current alias; - reads it from standard input; omit it to be asked.", valueName: "OLD"))
        var old: String?
        @Argument(
            help: ArgumentHelp(
                "The new alias; - reads it from standard input (after OLD); omit it to be asked.", valueName: "NEW"))
        var new: String?

        func run() throws {
            let v = try unlock.unlock(vault)
            let old = try SensitiveArgument.resolve(old, prompt: "Current alias: ", what: "source alias")
            let new = try SensitiveArgument.resolve(new, prompt: "New alias: ", what: "new source alias")
            let s = try v.renameSource(alias: old, to: new)
            Output.info("Renamed source \(s.id); its records show the new alias.")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract:
                "Delete a source that no record names, or move its records to another with --reassign (asks y/N on a terminal; --yes skips it)."
        )
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Argument(help: ArgumentHelp("The alias; - reads it from standard input; omit it to be asked.", valueName: "ALIAS"))
        var alias: String?
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Move its records to this source first (a new version each); - reads it from standard input.", valueName: "ALIAS")
        )
        var reassign: String?
        @OptionGroup var confirm: ConfirmOptions

        func run() throws {
            let v = try unlock.unlock(vault)
            let alias = try SensitiveArgument.resolve(alias, prompt: "Source alias: ", what: "source alias")
            let target = try reassign.map {
                try SensitiveArgument.resolve($0, prompt: "Move its records to: ", what: "source alias")
            }
            if Confirmation.canAsk && !confirm.yes {
                let used = try v.recordCount(sourceAlias: alias)
                if used == 0 || target != nil {
                    try confirm.confirm(
                        v, action: "source-rm",
                        [
                            used == 0
                                ? "A source no record names."
                                : "\(Output.count(used, "record")) get a new version naming the other source; then this one is deleted."
                        ], "Delete it?")
                }
            }
            let (id, moved) = try v.removeSource(alias: alias, reassignTo: target)
            Output.info("Deleted source \(id)\(moved > 0 ? "; \(Output.count(moved, "record")) moved to the other source" : "").")
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
