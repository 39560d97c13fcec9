import ArgumentParser
import Foundation
import Publishing
import Redaction
import VaultCore

struct RuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rule",
        abstract: "Manage redaction rules (stored encrypted: they list the very names to hide).",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a term (with variants), --regex or --detector rule.",
            discussion: """
                A term rule catches its term and every --variant in any case, with or without accents, \
                in full-width forms, across hyphens, spaces, line breaks and invisible characters, with \
                possessives and plurals, and Hangul followed by particles. A transliteration you do not \
                list is NOT implied: add each spelling as a --variant ('sourcevault suggest ID' helps). \
                Implied: look-alike letters of other scripts, Hangul spelled in jamo, the North/South \
                Korean spelling of a Hangul name (리종열/이종열), and for a phone number (--label PHONE, or \
                a term that is one) every grouping, with or without +CC, 00CC or the trunk 0. \
                TERM, --variant and --regex may be given as - to read them, one line each and in that \
                order, from standard input; leave TERM out to be asked on the terminal.
                Detectors: \(Detector.allCases.map(\.rawValue).joined(separator: ", ")).
                """)
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Argument(help: ArgumentHelp("The term to hide; - reads it from standard input.", valueName: "TERM"))
        var term: String?
        @Option(name: .long, help: ArgumentHelp("Another spelling of the term (repeatable).", valueName: "V"))
        var variant: [String] = []
        @Option(name: .long, help: ArgumentHelp("A regular expression (ICU syntax) instead of a term.", valueName: "PATTERN"))
        var regex: String?
        @Option(name: .long, help: ArgumentHelp("A built-in detector instead of a term.", valueName: "NAME"))
        var detector: String?
        @Option(
            name: .long, help: ArgumentHelp("What it hides: PERSON (default), PLACE, ORG, DATE, AGE, ID, …", valueName: "LABEL"))
        var label: String?
        @Option(name: .long, help: ArgumentHelp("Fixed replacement text instead of [LABEL-N].", valueName: "TEXT"))
        var replace: String?
        @Option(name: .long, help: ArgumentHelp("Only for this source's records.", valueName: "ALIAS"))
        var source: String?
        @Option(name: .long, help: ArgumentHelp("Only for this record.", valueName: "ID"))
        var record: String?
        @Flag(name: .long, help: "Also match inside longer words (\"Kim\" in \"Kimchi\").")
        var substring = false

        func validate() throws {
            let kinds = [term != nil, regex != nil, detector != nil].filter { $0 }.count
            if kinds > 1 { throw ValidationError("give one of TERM, --regex or --detector") }
            if source != nil && record != nil { throw ValidationError("give --source or --record, not both") }
            if (regex != nil || detector != nil) && (!variant.isEmpty || substring) {
                throw ValidationError("--variant and --substring go with a TERM only")
            }
            if let detector, Detector(rawValue: detector) == nil {
                throw ValidationError(
                    "unknown detector; choose one of: \(Detector.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let label, RuleLabel(rawValue: label.uppercased()) == nil {
                throw ValidationError("--label must be letters, digits or _ (for example PERSON, PLACE, ORG)")
            }
        }

        func run() throws {
            let v = try unlock.unlock(vault)
            var rule: StoredRule
            let label = label?.uppercased()
            if let detector {
                rule = StoredRule(
                    kind: .detector, value: detector,
                    label: label ?? Detector(rawValue: detector)!.defaultLabel.rawValue)
            } else if let regex {
                rule = StoredRule(
                    kind: .regex,
                    value: try SensitiveArgument.resolve(regex, prompt: "Pattern (regular expression): ", what: "pattern"),
                    label: label ?? "PERSON")
            } else {
                let t = try SensitiveArgument.resolve(term, prompt: "Term: ", what: "term")
                var variants = try variant.map { try SensitiveArgument.resolve($0, prompt: "Variant: ", what: "variant") }
                // A term asked for on the terminal: its variants too, so no spelling reaches argv.
                if term == nil && variant.isEmpty {
                    variants = try SensitiveArgument.askList("Variant (empty line to finish): ", what: "variant")
                }
                rule = StoredRule(kind: .term, value: t, variants: variants, substring: substring, label: label ?? "PERSON")
            }
            rule.replacement = try replace.map {
                try SensitiveArgument.resolve($0, prompt: "Replacement text: ", what: "replacement")
            }
            if let source {
                let alias = try SensitiveArgument.resolve(source, prompt: "Source alias: ", what: "source alias")
                rule.scope = .source(id: try v.source(alias: alias).id)
            } else if let record {
                rule.scope = .record(id: try v.resolveRecordID(record))
            }
            try RuleCompiler.validate(rule)
            Output.line(try v.addRule(rule))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List rules with their terms (decrypted in memory).")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Flag(name: .long, help: "JSON output.") var json = false

        struct Item: Encodable {
            var id: String; var kind: String; var value: String; var variants: [String]; var substring: Bool
            var label: String; var replacement: String?; var scope: String; var created: String
            /// What the rule's matches become in every excerpt (SECURITY.md §6.6).
            var placeholder: String
        }

        /// `[LABEL-N]` for a term rule (its own number), `[LABEL-…]` for a detector or regex (each
        /// distinct match gets its own stable name), or the fixed replacement.
        func placeholder(_ r: StoredRule) -> String {
            if let rep = r.replacement { return rep }
            if r.kind == .term, let n = r.number { return "[\(r.label)-\(n)]" }
            return "[\(r.label)-…]"
        }

        func run() throws {
            let v = try unlock.unlock(vault)
            let aliases = Dictionary(v.sourcesChecked().sources.map { ($0.id, $0.alias) }, uniquingKeysWith: { a, _ in a })
            func scope(_ s: RuleScope) -> String {
                switch s {
                case .vault: "all records"
                case .source(let id): "source " + (aliases[id] ?? id)
                case .record(let id): "record " + id
                }
            }
            let rules = try v.listRules()
            if json {
                try Output.json(
                    rules.map { r in
                        Item(
                            id: r.id, kind: r.rule.kind.rawValue, value: r.rule.value, variants: r.rule.variants,
                            substring: r.rule.substring, label: r.rule.label, replacement: r.rule.replacement,
                            scope: scope(r.rule.scope), created: r.rule.created, placeholder: placeholder(r.rule))
                    })
                return
            }
            for (id, r) in rules {
                var what: String
                switch r.kind {
                case .term: what = ([r.value] + r.variants).map { "\"\($0)\"" }.joined(separator: " | ")
                case .regex: what = "/\(r.value)/"
                case .detector: what = "detector:\(r.value)"
                }
                if r.substring { what += " (substring)" }
                if let rep = r.replacement { what += " → \"\(rep)\"" }
                Output.line(Output.terminalSafe("\(id)  \(placeholder(r))  [\(scope(r.scope))]  \(what)"))
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a rule.")
        @OptionGroup var vault: VaultOptions
        @OptionGroup var unlock: UnlockOptions
        @Argument(help: "Rule id or unique prefix (at least 4 characters).") var id: String

        func run() throws {
            let v = try unlock.unlock(vault)
            Output.info("Deleted rule \(try v.removeRule(id)).")
        }
    }
}
