import ArgumentParser
import Foundation
import Publishing
import VaultCore

extension FactKind: ChoiceArgument {
    static var option: String { "--kind" }
    static var invalidValueMessage: String { "\(option) must be one of: \(words.joined(separator: ", "))" }

    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}

struct FactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fact",
        abstract: "Manage facts about sources: details that may be published but narrow down who a source is.",
        discussion: """
            A fact is matched in published excerpts like a rule term (case, accents, separators, scripts, \
            Hangul particles, listed variants) but never redacted: export and share count which facts each \
            excerpt publishes, per source, and refuse (exit 7) the excerpt that brings a source to its \
            disclosure threshold ('sourcevault disclosure ALIAS').
            """,
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a fact about a source (stored encrypted).",
            discussion: """
                TERM and --variant may be given as - to read them, one line each and in that order, from \
                standard input; leave TERM out to be asked on the terminal (a fact is as sensitive as a \
                name: keep it out of shell history).
                """)
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Option(
            name: .long, help: ArgumentHelp("The source the fact is about; - reads it from standard input.", valueName: "ALIAS"))
        var source: String
        @Option(
            name: .long,
            help: ArgumentHelp("AGE, PLACE, DATE, WORK, FAMILY, BODY or OTHER (default OTHER).", valueName: "KIND"))
        var kind: FactKind = .other
        @Argument(help: ArgumentHelp("The fact as it would be written; - reads it from standard input.", valueName: "TERM"))
        var term: String?
        @Option(name: .long, help: ArgumentHelp("Another way of writing it (repeatable).", valueName: "V"))
        var variant: [String] = []

        func run() throws {
            let v = try unlock.unlock(vault)
            let t = try SensitiveArgument.resolve(term, prompt: "Fact: ", what: "fact")
            let variants = try variant.map { try SensitiveArgument.resolve($0, prompt: "", what: "variant") }
            let alias = try SensitiveArgument.resolve(source, prompt: "Source alias: ", what: "source alias")
            try RuleCompiler.validateFact(term: t, variants: variants)
            Output.line(try v.addFact(sourceAlias: alias, kind: kind, term: t, variants: variants))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List facts with their source, kind and text (decrypted in memory).")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Option(name: .long, help: ArgumentHelp("Only this source's facts; - reads it from standard input.", valueName: "ALIAS"))
        var source: String?
        @Flag(name: .long, help: "JSON output.") var json = false

        struct Item: Encodable {
            var id: String; var source: String; var kind: String; var term: String; var variants: [String]
            var created: String
        }

        func run() throws {
            let v = try unlock.unlock(vault)
            let alias = try source.map { try SensitiveArgument.resolve($0, prompt: "Source alias: ", what: "source alias") }
            let facts = try v.listFacts(sourceAlias: alias)
            if json {
                try Output.json(
                    facts.map {
                        Item(
                            id: $0.id, source: $0.fact.source, kind: $0.fact.kind.rawValue, term: $0.fact.term,
                            variants: $0.fact.variants, created: $0.fact.created)
                    })
                return
            }
            for f in facts {
                let variants = f.fact.variants.isEmpty ? "" : "  (also: \(f.fact.variants.joined(separator: ", ")))"
                Output.line(
                    Output.terminalSafe(
                        "\(f.id)  source \(f.fact.source)  \(f.fact.kind.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))  \(f.fact.term)\(variants)"
                    ))
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Remove a fact (what earlier excerpts published stays in the disclosure ledger).")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Argument(help: "Fact id or unique prefix (at least 4 characters).") var id: String

        func run() throws {
            let v = try unlock.unlock(vault)
            Output.line("Removed fact \(try v.removeFact(id)).")
        }
    }
}

struct DisclosureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disclosure",
        abstract: "Show a source's facts and every export or share that published them.",
        discussion: """
            Counts per source across all its records, including records since removed. The threshold \
            (default 3 facts of at least 2 kinds) is set with 'sourcevault source set ALIAS \
            --disclosure-threshold N'. It knows only the facts entered and this vault's exports.
            """)
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: ArgumentHelp("The source; - reads it from standard input; omit it to be asked.", valueName: "ALIAS"))
    var alias: String?

    func run() throws {
        let v = try unlock.unlock(vault)
        let alias = try SensitiveArgument.resolve(alias, prompt: "Source alias: ", what: "source alias")
        let ledger = try v.disclosureLedger(sourceAlias: alias)
        let published = ledger.published
        let kinds = Set(published.map(\.kind)).count
        let reached = Vault.reachesThreshold(published.map(\.kind), threshold: ledger.threshold)
        Output.line(
            "source \(ledger.source.id): \(published.count) of \(ledger.facts.count) fact\(ledger.facts.count == 1 ? "" : "s") published, "
                + "\(kinds) kind\(kinds == 1 ? "" : "s"); threshold \(ledger.threshold) facts of at least \(min(2, ledger.threshold)) kinds"
                + (reached ? " (reached: each export adding a fact needs --accept-disclosure)" : ""))
        var rows: [(id: String, kind: FactKind, term: String?)] = ledger.facts.map { ($0.id, $0.fact.kind, $0.fact.term) }
        for p in published where !rows.contains(where: { $0.id == p.id }) { rows.append((p.id, p.kind, nil)) }
        for f in rows {
            let exports = ledger.exports.filter { ($0.facts ?? []).contains { $0.id == f.id } }
            Output.line(
                Output.terminalSafe(
                    "fact \(f.id)  \(f.kind.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))  \(f.term ?? "(removed)")  "
                        + (exports.isEmpty ? "not published" : "published \(exports.count)×")))
            for e in exports.sorted(by: { $0.created < $1.created }) {
                Output.line(
                    "    \(e.created)  record \(e.recordID) version \(e.version) lines \(e.firstLine)-\(e.lastLine)  \(e.format)  output \(e.outputHash)"
                )
            }
        }
        let ids = published.map(\.id).sorted()
        Output.line("published set: \(ids.isEmpty ? "none" : ids.joined(separator: " "))")
    }
}

/// The table `export`, `share` and `redact` print when an excerpt reaches the threshold (stderr):
/// what was published before and what this excerpt adds, by fact id, kind and text.
enum DisclosureReport {
    static func lines(_ d: DisclosureCheck) -> [String] {
        func row(_ i: DisclosureCheck.Item) -> String {
            Output.terminalSafe(
                "    fact \(i.id)  \(i.kind.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))  \(i.term ?? "(removed)")"
            )
        }
        let after = d.before.count + d.added.count
        var out = [
            "disclosure: this excerpt brings source \(d.sourceID) to \(after) published facts of \(d.kindsAfter.count) kinds "
                + "(threshold \(d.threshold) facts of at least \(min(2, d.threshold)) kinds)",
            "  published before (\(d.before.count)):"
        ]
        out += d.before.isEmpty ? ["    none"] : d.before.map(row)
        out.append("  added by this excerpt (\(d.added.count)):")
        out += d.added.map(row)
        return out
    }

    static func print(_ d: DisclosureCheck) { for l in lines(d) { Output.info(l) } }

    static let refusal =
        "refused: the excerpt would bring the source to its disclosure threshold (above); nothing was written; "
        + "rephrase, or pass --accept-disclosure if publishing these together is a decision you have made"
}
