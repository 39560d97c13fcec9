import ArgumentParser
import Foundation
import Publishing
import Redaction
import VaultCore

/// `--lines`, `--quote`, `--paragraph` and `--rev`, shared by `redact` and `export` (`--version N`
/// after the record id still works: `ArgumentHints.rewritingLegacy`).
struct SelectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Only these record lines (1-based, inclusive).", valueName: "A-B"))
    var lines: String?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The sentence(s) containing this quote (must occur once); - reads it from standard input.", valueName: "TEXT"))
    var quote: String?
    @Flag(name: .long, help: "With --quote: the whole paragraph(s) around the quote instead of its sentence(s).")
    var paragraph = false
    @Option(name: .customLong("rev"), help: ArgumentHelp("Use this version of the record instead of the latest.", valueName: "N"))
    var version: Int?

    func validate() throws {
        if lines != nil && quote != nil { throw ValidationError("give --lines or --quote, not both") }
        if paragraph && quote == nil { throw ValidationError("--paragraph goes with --quote TEXT") }
        if let version, version < 1 { throw ValidationError("--rev starts at 1") }
    }

    func selection() throws -> ExcerptSelection {
        if let lines { return try ExcerptSelection.parseLines(lines) }
        if let quote {
            let text = try SensitiveArgument.resolve(quote, prompt: "Quote: ", what: "quote")
            return paragraph ? .paragraph(text) : .quote(text)
        }
        return .whole
    }
}

/// `--accept` and `--no-rules`, shared by `redact` and `export` (so `redact` answers for the same
/// command line that `export` would get).
struct ReviewOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Accept one reviewed near miss of the leak check for this export only (repeatable).",
            valueName: "RULE_ID:LINE"))
    var accept: [String] = []
    @Flag(
        name: .customLong("no-rules"),
        help: "Export a record that no redaction rule applies to (it truly names nobody); recorded in the audit log.")
    var noRules = false
    @Flag(
        name: .customLong("accept-disclosure"),
        help: "Publish even though the excerpt brings its source to the disclosure threshold; recorded in the audit log.")
    var acceptDisclosure = false
}

enum LeakReport {
    /// One line per leak on stderr: rule id, record line and what was found in plain words, never the term.
    static func print(_ leaks: [Leak]) {
        for l in leaks.sorted(by: { ($0.line, $0.ruleID) < ($1.line, $1.ruleID) }) {
            let hint =
                l.kind.isNearMiss && l.occurrences == 1
                ? " (a near miss: if it is a different word, accept it with --accept \(l.ruleID):\(l.line))" : ""
            Output.info("  rule \(l.ruleID) line \(l.line): \(l.kind.explanation)\(hint)")
        }
    }

    static let noRulesMessage =
        "no redaction rule applies to this record; add rules or pass --no-rules if it truly names nobody"

    /// What `suggest` would still list in the excerpt: a count and the record lines.
    static func uncovered(_ p: PreparedExcerpt) -> String {
        let n = p.uncoveredLines.count
        guard n > 0 else { return "suggest: 0 phrases no rule covers" }
        // The first 20 lines with a phrase (an export of 10 MB has a hundred thousand phrases).
        var lines: [String] = []
        var previous: Int?
        for line in p.uncoveredLines.sorted() where line != previous {
            previous = line
            guard lines.count < 20 else { lines.append("…"); break }
            lines.append(String(line))
        }
        return "suggest: \(n) phrase\(n == 1 ? "" : "s") no rule covers, on line\(lines.count == 1 ? "" : "s") "
            + "\(lines.joined(separator: ", ")) ('sourcevault suggest \(p.recordID)' lists them)"
    }

    static func invisible(_ p: PreparedExcerpt) -> String? {
        guard p.invisibleRemoved > 0 else { return nil }
        let n = p.invisibleRemoved
        return "removed \(n) invisible formatting character\(n == 1 ? "" : "s") (bidi controls, zero-width characters)"
    }
}

struct RedactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Preview in the terminal what export would produce, with what each rule hit. Writes nothing.",
        discussion: "Exits 7 if export with the same options would be refused, so scripts can check first.")
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String
    @OptionGroup var select: SelectionOptions
    @OptionGroup var review: ReviewOptions

    func run() throws {
        publishingMemoryPolicy()
        let v = try unlock.unlock(vault)
        let p = try Exporter.preview(
            vault: v, id: id, version: select.version, selection: try select.selection(),
            accept: review.accept, noRules: review.noRules, acceptDisclosure: review.acceptDisclosure)
        Output.line(Output.terminalSafe(p.text, multiline: true))
        Output.line(
            "--- record \(p.recordID) version \(p.version), lines \(p.firstLine)-\(p.lastLine): \(Output.count(p.findings.count, "redaction"))"
        )
        var byRule: [String: (label: String, count: Int, lines: [Int])] = [:]
        for f in p.findings {
            var e = byRule[f.ruleID] ?? (f.label, 0, [])
            e.count += 1
            if e.lines.last != f.line { e.lines.append(f.line) }  // findings come in text order
            byRule[f.ruleID] = e
        }
        for (rule, e) in byRule.sorted(by: { $0.key < $1.key }) {
            Output.line(
                "rule \(rule)  \(e.label)  \(e.count) hit\(e.count == 1 ? "" : "s")  lines \(e.lines.map(String.init).joined(separator: ","))"
            )
        }
        if let note = LeakReport.invisible(p) { Output.line(note) }
        Output.line(LeakReport.uncovered(p))
        if p.unreviewed {
            Output.line("review guard: no rule applies to this record — export would be refused")
        }
        if p.leaks.isEmpty {
            Output.line("leak check: clean\(p.unreviewed ? "" : " — export would proceed")")
        } else {
            Output.line(
                "leak check: \(p.leaks.count) problem\(p.leaks.count == 1 ? "" : "s") — export would be refused (details on stderr)"
            )
            LeakReport.print(p.leaks)
        }
        let d = p.disclosure
        if d.reachesThreshold {
            Output.line(
                "disclosure: \(d.added.count) new fact\(d.added.count == 1 ? "" : "s") of the source, \(d.before.count + d.added.count) published after it"
                    + (p.acceptDisclosure ? " — accepted (--accept-disclosure)" : " — export would be refused (table on stderr)"))
            if !p.acceptDisclosure { DisclosureReport.print(d) }
        } else {
            Output.line(
                "disclosure: \(d.stated.count) fact\(d.stated.count == 1 ? "" : "s") of the source stated, \(d.added.count) new; \(d.before.count) published before"
            )
        }
        if p.unreviewed {
            ErrorReporter.printError("export would be refused: \(LeakReport.noRulesMessage)")
            throw CLIError.alreadyReported(ExitStatus.leak)
        }
        if !p.leaks.isEmpty {
            let n = p.leaks.count
            ErrorReporter.printError(
                "export would be refused: the leak check found \(n) possible leak\(n == 1 ? "" : "s") (above)")
            throw CLIError.alreadyReported(ExitStatus.leak)
        }
        if p.disclosureRefused {
            ErrorReporter.printError("export would be \(DisclosureReport.refusal)")
            throw CLIError.alreadyReported(ExitStatus.leak)
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a redacted excerpt (the whole record, --lines or --quote) to stdout or --out FILE.",
        discussion: """
            Before a byte is written the redacted output is checked again for every rule term with a \
            stricter net, also as a web page would show it and with right-to-left text in display \
            order; any hit refuses the export (exit 7). There is no --force. A record that no rule \
            applies to is refused too (exit 7) unless --no-rules. Invisible formatting characters \
            (bidi controls, zero-width characters) are removed; markdown and JSON are escaped so they \
            render as the checked text; on a terminal, control characters are shown escaped.
            """)
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String
    @OptionGroup var select: SelectionOptions
    @Option(name: .long, help: "text, markdown or json.") var format: ExportFormat = .text
    @Option(name: .long, help: ArgumentHelp("Write to this file (created 0600, atomically).", valueName: "FILE")) var out: String?
    @Flag(name: .long, help: "Replace --out if it exists.") var overwrite = false
    @OptionGroup var review: ReviewOptions

    func validate() throws {
        if overwrite && out == nil { throw ValidationError("--overwrite goes with --out FILE") }
    }

    func run() throws {
        publishingMemoryPolicy()
        try ObjectID.checkRecordPrefix(id)
        if let out { try OutputPaths.check(out, flag: "--out", overwrite: overwrite, vault: vault) }
        let v = try unlock.unlock(vault)
        let (p, bytes) = try Exporter.export(
            vault: v, id: id, version: select.version, selection: try select.selection(),
            accept: review.accept, noRules: review.noRules, acceptDisclosure: review.acceptDisclosure, format: format,
            out: out, overwrite: overwrite)
        if out == nil {
            // A terminal would act on escape sequences in the testimony (OSC 52 sets the clipboard):
            // show them escaped, as `show` does. A pipe or a file gets the bytes.
            if isatty(STDOUT_FILENO) == 1 {
                let shown = Output.terminalSafe(String(decoding: bytes, as: UTF8.self), multiline: true)
                Output.write(STDOUT_FILENO, Array(shown.utf8))
            } else {
                Output.write(STDOUT_FILENO, bytes)
            }
        } else {
            Output.info(
                "Exported record \(p.recordID) version \(p.version), lines \(p.firstLine)-\(p.lastLine): \(Output.count(p.findings.count, "redaction"))."
            )
        }
        if let note = LeakReport.invisible(p) { Output.info(note) }
        Output.info(LeakReport.uncovered(p))
    }
}

struct SuggestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggest",
        abstract:
            "List name-like phrases, numbers and detector hits that no rule covers yet, and candidate facts no fact covers (advisory)."
    )
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String

    func run() throws {
        let v = try unlock.unlock(vault)
        for s in try Exporter.suggestions(vault: v, id: id) {
            Output.line(Output.terminalSafe("line \(s.line)  \(s.kind.rawValue)  \(s.suggestedLabel)  \(s.text)"))
        }
        // Candidate facts about the source (issue 18): `sourcevault fact add --source ALIAS --kind KIND`.
        for f in try Exporter.factSuggestions(vault: v, id: id) {
            Output.line(Output.terminalSafe("line \(f.line)  fact  \(f.kind)  \(f.text)"))
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
            Output.line(
                "record \(m.recordID) version \(m.version) lines \(m.firstLine)-\(m.lastLine), exported \(m.created) as \(m.format)"
                    + (m.accepted.isEmpty ? "" : ", accepted near misses: \(m.accepted.joined(separator: " "))"))
        }
    }
}

/// `export`, `share` and `redact` as one-shot processes ask glibc for one malloc arena
/// (``AllocatorPolicy``): the export's worker threads otherwise each keep what they freed
/// resident. Not in an `open` session, whose later parallel searches would contend for it.
func publishingMemoryPolicy() {
    if !SessionContext.active { _ = AllocatorPolicy.singleArena }
}
