import Foundation
import Testing

@testable import sourcevault

/// The root's subcommands, the words parse errors may quote, the session's verbs and its help all
/// come from `CommandRegistry`. These fail when a command is missing from any of them.
@Suite struct CommandRegistryTests {
    /// Top-level commands and their subcommands fixed by the brief (section 3); tests outside the
    /// project drive them.
    static let contract: [String: [String]] = [
        "init": [], "source": ["add", "list"], "add": [], "list": [], "show": [], "search": [],
        "rule": ["add", "list", "rm"], "redact": [], "export": [], "audit": ["verify", "show", "checkpoint", "pubkey"],
        "open": [], "passwd": [], "recovery": ["rotate", "remove"], "rekey": [], "rm": [], "check": [],
        "backup": [], "restore": [], "travel": ["out", "in"], "status": [],
        // Second round (issue 18).
        "fact": ["add", "list", "rm"], "disclosure": []
    ]

    /// The commands `open` runs with the session's unlocked keys. Pinned on purpose: what runs
    /// inside an unlocked session is a security decision, not a side effect of a new command.
    static let sessionVerbs: Set<String> = [
        "list", "show", "search", "source", "add", "amend", "edit", "diff", "rule", "redact", "export", "suggest", "provenance",
        "audit", "status", "check",
        // Issue 17: share goes where export goes and receive where add goes; contacts with them. Not
        // `identity`, whose export shows the secret key and whose rotate replaces it: command line only.
        "contact", "share", "receive",
        // Issue 18: facts and the disclosure ledger go where rules and export go.
        "fact", "disclosure"
    ]

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Names of the `ParsableCommand` types declared in Sources/CLI (nested ones by their own name).
    static func declaredCommands() throws -> [String] {
        let dir = root.appendingPathComponent("Sources/CLI")
        let files = FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String } ?? []
        let declaration = try Regex(#"struct\s+(\w+)\s*:\s*(?:[\w.]+\s*,\s*)*(?:Async)?ParsableCommand\b"#)
        var names: [String] = []
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: declaration) {
                if let name = match.output[1].substring { names.append(String(name)) }
            }
        }
        return names.filter { $0 != "SourceVaultCommand" }.sorted()
    }

    @Test func everyCommandDeclaredInSourcesIsRegistered() throws {
        let declared = try Self.declaredCommands()
        #expect(declared.count > 20, "the scan of Sources/CLI found \(declared)")
        let reachable = CommandRegistry.allCommands.map { String(describing: $0) }.sorted()
        #expect(reachable == declared, "declared but unreachable: \(Set(declared).subtracting(reachable).sorted())")
    }

    @Test func rootSubcommandsAreTheRegistryInOrder() {
        let root = SourceVaultCommand.configuration.subcommands.map(ObjectIdentifier.init)
        #expect(root == CommandRegistry.entries.map { ObjectIdentifier($0.command) })
        let names = CommandRegistry.entries.map(\.name)
        #expect(Set(names).count == names.count, "two commands share a name: \(names)")
    }

    @Test func contractCommandsAreRegistered() {
        let entries = Dictionary(uniqueKeysWithValues: CommandRegistry.entries.map { ($0.name, $0.command) })
        for (name, subcommands) in Self.contract {
            guard let command = entries[name] else {
                Issue.record("'\(name)' is not in CommandRegistry.entries")
                continue
            }
            let registered = Set(command.configuration.subcommands.map(CommandRegistry.name(of:)))
            #expect(registered.isSuperset(of: subcommands), "\(name): \(registered.sorted())")
        }
    }

    @Test func knownWordsHoldEveryCommandSubcommandAndOptionWord() {
        let known = SourceVaultCommand.knownWords
        let commands = Set(CommandRegistry.allCommands.map(CommandRegistry.name(of:)))
        #expect(known == commands.union(ChoiceArguments.words).union(Session.builtins))
        for (name, subcommands) in Self.contract { #expect(known.isSuperset(of: [name] + subcommands), "\(name)") }
        #expect(known.isSuperset(of: ["text", "markdown", "json", "interactive", "moderate", "sensitive", "test"]))
        // Every word of the list this replaced (kept by hand until the registry).
        let before: Set<String> = [
            "init", "source", "add", "import", "amend", "list", "show", "search", "rm", "rule", "redact", "export",
            "suggest", "provenance", "status", "text", "markdown", "json", "audit", "verify", "checkpoint", "pubkey",
            "check-value", "recover", "passwd", "recovery", "rotate", "remove", "rekey", "check", "backup", "restore",
            "travel", "out", "in", "retention", "apply", "open", "lock", "quit", "help", "hardening"
        ]
        #expect(known.isSuperset(of: before), "lost: \(before.subtracting(known).sorted())")
    }

    @Test func sessionVerbsAndHelpComeFromTheRegistry() {
        #expect(Session.verbs == Self.sessionVerbs)
        #expect(Session.verbs == Set(CommandRegistry.entries.filter { $0.session != nil }.map(\.name)))
        #expect(Session.verbs.isDisjoint(with: Session.builtins))
        let help = Session.helpText(idleSeconds: 300).split(separator: "\n").map(String.init)
        for entry in CommandRegistry.entries {
            let lines = help.filter { $0.hasPrefix("  \(entry.name) ") }
            #expect(lines.count == (entry.session == nil ? 0 : 1), "help lines for '\(entry.name)': \(lines)")
        }
        #expect(help.allSatisfy { $0.count <= 100 }, "\(help.filter { $0.count > 100 })")
    }

    /// The same, seen from outside: the binary's `--help` and the session's `help`.
    @Test func binaryListsEveryCommand() throws {
        let c = CLI()
        let rootHelp = c.run(["--help"], vaultFlag: false).stdout
        let section = rootHelp.components(separatedBy: "SUBCOMMANDS:").last ?? ""
        let listed = section.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { $0 != "See" }
        #expect(listed == CommandRegistry.entries.map(\.name))

        try c.initVault()
        let session = c.run(["open", "--passphrase-fd", "3"], input: "help\nrekey\nquit\n")
        #expect(session.status == 0, "stderr: \(session.stderr)")
        let lines = session.stdout.split(separator: "\n")
        for verb in Self.sessionVerbs { #expect(lines.contains { $0.hasPrefix("  \(verb) ") }, "\(verb)") }
        #expect(!lines.contains { $0.hasPrefix("  rekey ") })
        #expect(session.stderr.contains("unknown session command 'rekey'"))
    }
}
