import ArgumentParser
import Foundation
import VaultCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads testimony from `--file` or standard input; must be UTF-8 text (`TestimonyText`: CRLF
/// becomes LF, UTF-16 and NUL bytes are refused).
enum TestimonyInput {
    static func read(file: String?) throws -> String {
        let bytes: [UInt8]
        if let file, file != "-" {
            // The path is not repeated: file names are often named after the source.
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIError.io("cannot read the --file (missing, unreadable or a directory); nothing was stored")
            }
            bytes = Array(data)
        } else if SessionContext.active || isatty(STDIN_FILENO) == 1 {
            // Typed or pasted by a person (and in a session, where standard input carries the
            // commands): it ends the same way everywhere, at a line holding only ".".
            if isatty(STDIN_FILENO) == 1 { Output.info("Paste the testimony; end with a line holding only a period (.):") }
            bytes = try SecretInput.readUntilDotLine(fd: STDIN_FILENO)
        } else {
            // A pipe or a file: everything to the end.
            bytes = try SecretInput.readAll(fd: STDIN_FILENO, what: "testimony")
        }
        return try TestimonyText.decode(bytes)
    }
}

struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add testimony (from --file or standard input); prints the new record id.")

    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Option(
        name: .long, help: ArgumentHelp("Source alias; - reads it from standard input; omit it to be asked.", valueName: "ALIAS"))
    var source: String?
    @Option(name: .long, help: ArgumentHelp("Title; - reads it from standard input; omit it to be asked.", valueName: "TITLE"))
    var title: String?
    @Option(name: .long, help: ArgumentHelp("A tag (repeatable); - reads it from standard input.", valueName: "T"))
    var tag: [String] = []
    @Option(name: .long, help: ArgumentHelp("Date of the interview; - reads it from standard input.", valueName: "YYYY-MM-DD"))
    var date: String?
    @Option(name: .long, help: ArgumentHelp("Read the testimony from this file instead of standard input.", valueName: "PATH"))
    var file: String?
    @Option(
        name: .long,
        help: ArgumentHelp("Shred the record automatically on the first unlock after this day.", valueName: "YYYY-MM-DD"))
    var retainUntil: String?

    func validate() throws {
        if (source == "-" || title == "-" || tag.contains("-") || date == "-") && (file == nil || file == "-")
            && isatty(STDIN_FILENO) != 1
        {
            throw ValidationError("a value given as - is read from standard input, so the testimony must come from --file PATH")
        }
    }

    func run() throws {
        // Checked before the passphrase: the dates; after it, before the paste: the alias.
        if let date, date != "-" { try NewRecord.checkDate(date) }
        try retainUntil.map { try NewRecord.checkDate($0) }
        let v = try unlock.unlock(vault)
        let alias = try SensitiveArgument.resolve(source, prompt: "Source alias: ", what: "source alias")
        try v.checkSourceForAdd(alias: alias)
        // Standard input's lines, for values given as -: alias, title, each tag, date.
        let title = try SensitiveArgument.resolve(title, prompt: "Title: ", what: "title")
        let tag = try tag.map { try SensitiveArgument.resolve($0, prompt: "Tag: ", what: "tag") }
        let date = try date.map { try SensitiveArgument.resolve($0, prompt: "Interview date (YYYY-MM-DD): ", what: "date") }
        let body = try TestimonyInput.read(file: file)
        let id = try v.addRecord(
            NewRecord(sourceAlias: alias, title: title, tags: tag, date: date, body: body, retainUntil: retainUntil))
        Output.line(id)
    }
}

struct AmendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amend",
        abstract: "Add a new version of a record's testimony (from --file or standard input); older versions are kept.")

    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String
    @Option(name: .long, help: ArgumentHelp("Read the new testimony from this file.", valueName: "PATH"))
    var file: String?

    func run() throws {
        try ObjectID.checkRecordPrefix(id)
        let v = try unlock.unlock(vault)
        let body = try TestimonyInput.read(file: file)
        let (rid, version) = try v.amend(id, body: body)
        Output.line("\(rid) version \(version)")
    }
}

struct EditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Change a record's title, tags or date: a new version with the same testimony; older versions are kept.")

    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String
    @Option(name: .long, help: ArgumentHelp("New title; - reads it from standard input.", valueName: "TITLE"))
    var title: String?
    @Option(name: .long, help: ArgumentHelp("The tags from now on (repeatable; replaces the old ones).", valueName: "T"))
    var tag: [String] = []
    @Flag(name: .long, help: "Remove every tag.") var noTags = false
    @Option(name: .long, help: ArgumentHelp("New interview date.", valueName: "YYYY-MM-DD")) var date: String?
    @Flag(name: .long, help: "Remove the interview date.") var noDate = false

    func validate() throws {
        if noTags && !tag.isEmpty { throw ValidationError("give --tag or --no-tags, not both") }
        if noDate && date != nil { throw ValidationError("give --date or --no-date, not both") }
        if title == nil && tag.isEmpty && !noTags && date == nil && !noDate {
            throw ValidationError("nothing to change: give --title, --tag, --no-tags, --date or --no-date")
        }
    }

    func run() throws {
        try ObjectID.checkRecordPrefix(id)
        if let date, date != "-" { try NewRecord.checkDate(date) }
        let v = try unlock.unlock(vault)
        // Standard input's lines, for values given as -: title, each tag, date.
        let title = try title.map { try SensitiveArgument.resolve($0, prompt: "Title: ", what: "title") }
        let tag = try tag.map { try SensitiveArgument.resolve($0, prompt: "Tag: ", what: "tag") }
        let date = try date.map { try SensitiveArgument.resolve($0, prompt: "Interview date (YYYY-MM-DD): ", what: "date") }
        var edit = Vault.MetadataEdit(title: title)
        if noTags { edit.tags = [] } else if !tag.isEmpty { edit.tags = tag }
        if noDate { edit.date = .some(nil) } else if let date { edit.date = .some(date) }
        let (rid, version) = try v.editMetadata(id, edit)
        Output.line("\(rid) version \(version)")
    }
}

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two versions of a record (title, tags, date and testimony), decrypted in memory.")

    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String
    @Argument(help: "The older version.") var from: Int
    @Argument(help: "The newer version.") var to: Int

    func validate() throws {
        if from < 1 || to < 1 { throw ValidationError("versions start at 1") }
    }

    func run() throws {
        try ObjectID.checkRecordPrefix(id)
        let v = try unlock.unlock(vault)
        let (a, b) = try v.versions(id, from, to)
        var out = ["--- \(a.summary.id) version \(from)", "+++ \(b.summary.id) version \(to)"]
        let ma = a.summary.metadata, mb = b.summary.metadata
        func field(_ name: String, _ x: String, _ y: String) {
            if x != y { out += ["- \(name): \(x)", "+ \(name): \(y)"] }
        }
        field("title", ma.title, mb.title)
        field("tags", ma.tags.joined(separator: ", "), mb.tags.joined(separator: ", "))
        field("date", ma.date ?? "-", mb.date ?? "-")
        let lines = LineDiff.diff(a.body, b.body)
        if lines.allSatisfy({ if case .same = $0 { return true } else { return false } }) {
            out.append("(testimony unchanged)")
        } else {
            out.append("@@ testimony")
            for l in lines {
                switch l {
                case .same(let s): out.append("  " + s)
                case .removed(let s): out.append("- " + s)
                case .added(let s): out.append("+ " + s)
                }
            }
        }
        Output.page(Output.terminalSafe(out.joined(separator: "\n") + "\n", multiline: true))
    }
}

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Delete a record, every version of it and its key.",
        discussion: "On a terminal, shows the record and asks y/N first (--yes skips the question).")

    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String
    @OptionGroup var confirm: ConfirmOptions

    func run() throws {
        try ObjectID.checkRecordPrefix(id)
        let v = try unlock.unlock(vault)
        if Confirmation.canAsk && !confirm.yes {
            // What would go: read (and logged as a show) only when someone is there to see it.
            let r = try v.record(id)
            let m = r.summary.metadata
            try confirm.confirm(
                v, action: "rm", ids: ["record": r.summary.id],
                [
                    "record \(r.summary.id)  \(m.date ?? "----------")  \(r.summary.sourceAlias ?? "?")  \(m.title)",
                    "\(Output.count(r.versionCount, "version")), created \(m.created); its key is destroyed: this cannot be undone."
                ], "Delete it?")
        }
        let rid = try v.remove(id)
        Output.info(
            "Deleted record \(rid), its versions and its wrapped key from the vault file (copies it cannot reach: SECURITY.md §1.2)."
        )
    }
}

/// The JSON shape of a record in `list`, `search` and `show` output.
struct RecordJSON: Encodable {
    var id: String
    var version: Int
    var versions: Int?
    var source: String?
    var sourceID: String
    var title: String
    var tags: [String]
    var date: String?
    var created: String
    var versionCreated: String
    /// `receive`: `age`, or a SourceVault share's provenance (SECURITY.md §13.4).
    var received: String?
    var body: String?
    var snippet: String?

    init(_ s: RecordSummary, versions: Int? = nil, body: String? = nil) {
        id = s.id; version = s.version; self.versions = versions; source = s.sourceAlias
        sourceID = s.metadata.source; title = s.metadata.title; tags = s.metadata.tags; date = s.metadata.date
        created = s.metadata.created; versionCreated = s.metadata.versionCreated; self.body = body
        received = s.metadata.received
        snippet = s.snippet
    }
}

/// Prints records one a line, each beginning with its id.
enum RecordPrinter {
    /// Appends one record's line (id first; without its newline) as UTF-8: a listing of 10,000 records is built in
    /// one buffer, and only a line with a control or bidi character goes through `terminalSafe`
    /// (found exactly: a snippet's "…" or Hangul does not send it there).
    static func append(_ s: RecordSummary, to out: inout [UInt8]) {
        // Native strings are contiguous UTF-8: each piece is one copy, not a walk over its view.
        func put(_ text: String) {
            var text = text
            text.withUTF8 { out.append(contentsOf: $0) }
        }
        func gap() {
            out.append(0x20)
            out.append(0x20)
        }
        let start = out.count
        put(s.id)
        gap()
        put(s.metadata.date ?? "----------")
        gap()
        put(s.sourceAlias ?? "?")
        gap()
        put(s.metadata.title)
        for (i, tag) in s.metadata.tags.enumerated() {
            if i == 0 { out.append(0x20) }
            out.append(0x20)
            out.append(0x23)  // #
            put(tag)
        }
        if let snippet = s.snippet {
            gap()
            out.append(0x7C)  // |
            out.append(0x20)
            put(snippet)
        }
        let needsEscaping = out.withUnsafeBufferPointer { b in
            Output.needsEscaping(UnsafeBufferPointer(rebasing: b[start...]))
        }
        if needsEscaping {
            let safe = Output.terminalSafe(String(decoding: out[start...], as: UTF8.self))
            out.removeSubrange(start...)
            out += safe.utf8
        }
    }

    /// Prints summaries (text or JSON), then reports damaged records on stderr and fails with the
    /// integrity exit code if there were any: the readable records are still shown.
    static func print(_ result: (records: [RecordSummary], problems: [VaultError]), json: Bool) throws {
        let out = RecordStream(json: json)
        result.records.forEach(out.add)
        try out.finish(problems: result.problems)
    }
}

/// `list` and `search` output as the records come (text lines or the elements of one JSON array),
/// written in 64 KiB pieces: nothing grows with the number of records.
final class RecordStream {
    private let json: Bool
    private var buffer: [UInt8] = []
    private var count = 0
    private let encoder: JSONEncoder = {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return enc
    }()

    init(json: Bool) {
        self.json = json
        buffer.reserveCapacity(1 << 16 + 4096)
        if json { buffer += "[".utf8 }
    }

    func add(_ s: RecordSummary) {
        if json {
            // One element of the array, indented as JSONEncoder indents a nested value.
            buffer += (count == 0 ? "\n  " : ",\n  ").utf8
            let element = (try? encoder.encode(RecordJSON(s))).map { Array($0) } ?? Array("null".utf8)
            for byte in element {
                buffer.append(byte)
                if byte == 0x0A { buffer += "  ".utf8 }
            }
        } else {
            RecordPrinter.append(s, to: &buffer)
            buffer.append(0x0A)
        }
        count += 1
        if buffer.count >= 1 << 16 {
            Output.write(STDOUT_FILENO, buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// Ends the output, then reports the problems (damaged records, differences from the
    /// manifest) on stderr and fails with the integrity exit code if there were any.
    func finish(problems: [VaultError]) throws {
        if json { buffer += (count == 0 ? "]\n" : "\n]\n").utf8 }
        if !buffer.isEmpty { Output.write(STDOUT_FILENO, buffer) }
        buffer = []
        for p in problems { _ = ErrorReporter.report(p) }
        if !problems.isEmpty { throw CLIError.alreadyReported(ExitStatus.integrity) }
    }
}

/// `--limit N` (and `list --offset M`): for scripts and the session's pager.
struct PageOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Show at most N records.", valueName: "N")) var limit: Int?

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List records, one a line, beginning with the id, in the order they were added.")
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Option(name: .long, help: ArgumentHelp("Only this source's records.", valueName: "ALIAS")) var source: String?
    @Option(name: .long, help: ArgumentHelp("Only records with this tag.", valueName: "T")) var tag: String?
    @OptionGroup var page: PageOptions
    @Option(name: .long, help: ArgumentHelp("Skip the first M records (after --source and --tag).", valueName: "M"))
    var offset = 0
    @Flag(name: .long, help: "JSON output.") var json = false

    func validate() throws {
        if offset < 0 { throw ValidationError("--offset must be 0 or more") }
    }

    func run() throws {
        let v = try unlock.unlock(vault)
        let alias = try source.map { try SensitiveArgument.resolve($0, prompt: "Source alias: ", what: "source alias") }
        let out = RecordStream(json: json)
        let outcome = try v.list(sourceAlias: alias, tag: tag, offset: offset, limit: page.limit) { out.add($0) }
        try out.finish(problems: outcome.problems)
    }
}

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract:
            "Search titles, tags, aliases and testimony (ignoring case and accents), decrypting one record at a time (per core).",
        discussion: """
            Each result is one line, id first, ending with '| ' and the testimony line of the first hit \
            (cut around it). A query with spaces or hyphens also finds the words joined by other \
            separators or none: 'hye jin' finds Hye-jin and Hyejin. Results come in the order the records \
            were added, as they are found. Exit status 1 when nothing matches.
            """)
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: ArgumentHelp("The query; - reads it from standard input; omit it to be asked.", valueName: "QUERY"))
    var query: String?
    @OptionGroup var page: PageOptions
    @Flag(name: .long, help: "JSON output.") var json = false

    func run() throws {
        let v = try unlock.unlock(vault)
        let q = try SensitiveArgument.resolve(query, prompt: "Search for: ", what: "search query")
        let out = RecordStream(json: json)
        let found = try v.search(q, limit: page.limit) { out.add($0) }
        try out.finish(problems: found.problems)
        // Like grep: exit 1 when nothing matches, so a script can tell.
        if found.count == 0 {
            ErrorReporter.printError("no record matches")
            throw CLIError.alreadyReported(ExitStatus.failure)
        }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one record (decrypted in memory only).")
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "Record id or unique prefix (at least 4 characters).") var id: String
    // `--version N` after the id still works: rewritten to `--rev N` before parsing (ArgumentHints).
    @Option(
        name: .customLong("rev"), help: ArgumentHelp("Show this version of the record instead of the latest.", valueName: "N"))
    var version: Int?
    @Flag(
        name: [.customShort("n"), .customLong("line-numbers")],
        help: "Number the lines of the testimony (as --lines counts them).")
    var lineNumbers = false
    @Flag(name: .long, help: "JSON output.") var json = false

    func validate() throws {
        if let version, version < 1 { throw ValidationError("--rev starts at 1") }
        if lineNumbers && json { throw ValidationError("-n numbers the text output; --json has the body as one string") }
    }

    func run() throws {
        try ObjectID.checkRecordPrefix(id)
        let v = try unlock.unlock(vault)
        let r = try v.record(id, version: version)
        if json {
            try Output.json(RecordJSON(r.summary, versions: r.versionCount, body: r.body))
            for p in r.problems { _ = ErrorReporter.report(p) }
            if !r.problems.isEmpty { throw CLIError.alreadyReported(ExitStatus.integrity) }
            return
        }
        let m = r.summary.metadata
        var lines = [
            "id:       \(r.summary.id)",
            "version:  \(r.summary.version) of \(r.versionCount)",
            "source:   \(r.summary.sourceAlias ?? "?")",
            "title:    \(m.title)",
            "date:     \(m.date ?? "-")",
            "tags:     \(m.tags.joined(separator: ", "))",
            "created:  \(m.created)"
        ]
        if r.summary.version > 1 { lines.append("amended:  \(m.versionCreated)") }
        if let received = m.received { lines.append("received: \(received)") }
        for l in lines { Output.line(Output.terminalSafe(l)) }
        Output.line("")
        Output.page(Output.terminalSafe(lineNumbers ? Self.numbered(r.body) : r.body, multiline: true))
        for p in r.problems { _ = ErrorReporter.report(p) }
        if !r.problems.isEmpty { throw CLIError.alreadyReported(ExitStatus.integrity) }
    }
}

extension ShowCommand {
    /// Each line prefixed with its number, right-aligned, as `export --lines` counts them (from 1).
    static func numbered(_ body: String) -> String {
        var lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let width = String(lines.count).count
        return lines.enumerated().map { i, line in
            let n = String(i + 1)
            return String(repeating: " ", count: width - n.count) + n + "  " + line
        }.joined(separator: "\n") + "\n"
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add every text file in a folder as a record (title: its first line, else the file name), in one transaction.",
        discussion: "Files that are not valid UTF-8 text are reported and skipped; if anything else fails, nothing is imported.")
    @OptionGroup var vault: VaultOptions
    @OptionGroup var unlock: UnlockOptions
    @Argument(help: "The folder (not searched recursively; hidden files are skipped).", completion: .directory) var dir: String
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Source alias for every record; - reads it from standard input; omit it to be asked.", valueName: "ALIAS"))
    var source: String?
    @Option(name: .long, help: ArgumentHelp("A tag for every record (repeatable).", valueName: "T")) var tag: [String] = []

    func run() throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue,
            let names = try? fm.contentsOfDirectory(atPath: dir)
        else { throw CLIError.usage("that folder does not exist or cannot be read") }
        let files = names.filter { !$0.hasPrefix(".") }.sorted().map { (dir as NSString).appendingPathComponent($0) }
            .filter {
                var d: ObjCBool = false; return fm.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue
            }
        let v = try unlock.unlock(vault)
        let alias = try SensitiveArgument.resolve(source, prompt: "Source alias: ", what: "source alias")
        var i = 0
        var skipped: [String] = []
        let onTerminal = isatty(STDERR_FILENO) == 1
        let ids = try v.importRecords(
            { () throws -> NewRecord? in
                while i < files.count {
                    let path = files[i]
                    i += 1
                    let name = (path as NSString).lastPathComponent
                    guard let data = fm.contents(atPath: path), let text = try? TestimonyText.decode(Array(data)),
                        let record = NewRecord.imported(text: text, fileName: name, sourceAlias: alias, tags: tag)
                    else {
                        skipped.append(name)
                        continue
                    }
                    return record
                }
                return nil
            },
            progress: { n in
                if onTerminal && (n % 100 == 0 || n == files.count) {
                    let width = 30, filled = files.isEmpty ? width : width * n / files.count
                    Output.write(
                        STDERR_FILENO,
                        Array(
                            "\r[\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(n)/\(files.count)"
                                .utf8))
                }
            })
        if onTerminal { Output.write(STDERR_FILENO, Array("\n".utf8)) }
        // Skipped files are counted, not named: file names are often named after the source.
        Output.info(
            "Imported \(ids.count) record\(ids.count == 1 ? "" : "s")\(skipped.isEmpty ? "" : "; skipped \(skipped.count) file\(skipped.count == 1 ? "" : "s") that are not UTF-8 text (or empty)")."
        )
    }
}
