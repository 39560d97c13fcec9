import ArgumentParser
import Foundation
import Publishing
import Redaction
import VaultCore

/// `--lines`, `--quote` and `--version`, shared by `redact` and `export`.
struct SelectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Only these record lines (1-based, inclusive).", valueName: "A-B"))
    var lines: String?
    @Option(name: .long, help: ArgumentHelp("The paragraph(s) around this quote (must occur once); - reads it from standard input.", valueName: "TEXT"))
    var quote: String?
    @Option(name: .long, help: "Use this version of the record instead of the latest.")
    var version: Int?

    func validate() throws {
        if lines != nil && quote != nil { throw ValidationError("give --lines or --quote, not both") }
        if let version, version < 1 { throw ValidationError("--version starts at 1") }
    }

    func selection() throws -> ExcerptSelection {
        if let lines { return try ExcerptSelection.parseLines(lines) }
        if let quote { return .quote(try SensitiveArgument.resolve(quote, prompt: "Quote: ", what: "quote")) }
        return .whole
    }
}

enum LeakReport {
    /// One line per leak on stderr: rule id, record line and kind, never the term.
    static func print(_ leaks: [Leak]) {
        for l in leaks.sorted(by: { ($0.line, $0.ruleID) < ($1.line, $1.ruleID) }) {
            let hint = (l.kind == .confusableSkeleton || l.kind == .editDistance1) && l.occurrences == 1
                ? " (a near miss: if it is a different word, accept it with --accept \(l.ruleID):\(l.line))" : ""
            Output.info("  rule \(l.ruleID) line \(l.line): \(l.kind.rawValue)\(hint)")
        }
    }
}

struct RedactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Preview in the terminal what export would produce, with what each rule hit. Writes nothing.")
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String
    @OptionGroup var select: SelectionOptions

    func run() throws {
        let v = try unlock.unlock(vault)
        let p = try Exporter.preview(vault: v, id: id, version: select.version, selection: try select.selection())
        Output.line(Output.terminalSafe(p.text, multiline: true))
        Output.line("--- record \(p.recordID) version \(p.version), lines \(p.firstLine)-\(p.lastLine): \(p.findings.count) redactions")
        var byRule: [String: (label: String, count: Int, lines: [Int])] = [:]
        for f in p.findings {
            var e = byRule[f.ruleID] ?? (f.label, 0, [])
            e.count += 1
            if !e.lines.contains(f.line) { e.lines.append(f.line) }
            byRule[f.ruleID] = e
        }
        for (rule, e) in byRule.sorted(by: { $0.key < $1.key }) {
            Output.line("rule \(rule)  \(e.label)  \(e.count) hit\(e.count == 1 ? "" : "s")  lines \(e.lines.map(String.init).joined(separator: ","))")
        }
        if p.leaks.isEmpty {
            Output.line("leak check: clean — export would proceed")
        } else {
            Output.line("leak check: \(p.leaks.count) problem\(p.leaks.count == 1 ? "" : "s") — export would be refused (details on stderr)")
            LeakReport.print(p.leaks)
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a redacted excerpt (the whole record, --lines or --quote) to stdout or --out FILE.",
        discussion: """
            Before a byte is written the redacted output is checked again for every rule term with a \
            stricter net; any hit refuses the export (exit 7). There is no --force.
            """)
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String
    @OptionGroup var select: SelectionOptions
    @Option(name: .long, help: "text, markdown or json.") var format: ExportFormat = .text
    @Option(name: .long, help: ArgumentHelp("Write to this file (created 0600, atomically).", valueName: "FILE")) var out: String?
    @Flag(name: .long, help: "Replace --out if it exists.") var overwrite = false
    @Option(name: .long, help: ArgumentHelp("Accept one reviewed near miss of the leak check for this export only (repeatable).", valueName: "RULE_ID:LINE"))
    var accept: [String] = []

    func validate() throws {
        if overwrite && out == nil { throw ValidationError("--overwrite goes with --out FILE") }
    }

    func run() throws {
        let v = try unlock.unlock(vault)
        let (p, bytes) = try Exporter.export(vault: v, id: id, version: select.version, selection: try select.selection(),
                                             accept: accept, format: format, out: out, overwrite: overwrite)
        if out == nil { Output.write(STDOUT_FILENO, Array(bytes)) }
        if out != nil {
            Output.info("Exported record \(p.recordID) version \(p.version), lines \(p.firstLine)-\(p.lastLine): \(p.findings.count) redactions.")
        }
    }
}

struct SuggestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggest",
        abstract: "List name-like phrases, numbers and detector hits that no rule covers yet (advisory).")
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String

    func run() throws {
        let v = try unlock.unlock(vault)
        for s in try Exporter.suggestions(vault: v, id: id) {
            Output.line(Output.terminalSafe("line \(s.line)  \(s.kind.rawValue)  \(s.suggestedLabel)  \(s.text)"))
        }
    }
}

struct ProvenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenance",
        abstract: "Say which record, version and export an exported excerpt came from.")
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "An exported file.", completion: .file()) var file: String

    func run() throws {
        let v = try unlock.unlock(vault)
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError.io("cannot read that file") }
        let matches = try Exporter.provenance(vault: v, fileBytes: Array(data))
        guard !matches.isEmpty else { throw CLIError.notFound("that file matches no export from this vault") }
        for m in matches {
            Output.line("record \(m.recordID) version \(m.version) lines \(m.firstLine)-\(m.lastLine), exported \(m.created) as \(m.format)"
                        + (m.accepted.isEmpty ? "" : ", accepted near misses: \(m.accepted.joined(separator: " "))"))
        }
    }
}
