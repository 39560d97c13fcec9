import ArgumentParser

/// Command-line words before parsing, and hints after a parse error. Command and option names are
/// not secrets and may be named in a hint; the words a user typed are never repeated (a name typed
/// in the wrong place must not reach stderr, which may be logged).
enum ArgumentHints {
    /// Commands with a record-version flag (`--rev N`, first named `--version N`).
    static let recordVersionCommands: Set<String> = ["show", "redact", "export"]

    /// `show ID --version N` (the record-version flag's first name) keeps working: rewritten to
    /// `--rev N` before parsing, so `--version` on its own still means the tool's version.
    static func rewritingLegacy(_ args: [String]) -> [String] {
        guard let verb = args.firstIndex(where: { !$0.hasPrefix("-") }), recordVersionCommands.contains(args[verb]) else {
            return args
        }
        var out = Array(args[...verb])
        var i = verb + 1
        while i < args.count {
            let a = args[i]
            if a == "--" { out += args[i...]; break }
            // `--version` followed by a value, or after a record id, is the record-version flag (a
            // bad or missing value is then reported for '--rev <N>'); `show --version` alone is the
            // tool's version.
            if a == "--version",
                (i + 1 < args.count && !args[i + 1].hasPrefix("-")) || out.dropFirst().contains(where: { !$0.hasPrefix("-") })
            {
                out.append("--rev")
                i += 1
                continue
            }
            if a.hasPrefix("--version=") {
                out.append("--rev=" + a.dropFirst("--version=".count))
            } else {
                out.append(a)
            }
            i += 1
        }
        return out
    }

    /// A better first line for a parse error than ArgumentParser's (which quotes the words it did
    /// not expect), or nil to keep its line. `args` are the words after the program name.
    static func message(for error: Error, arguments args: [String]) -> String? {
        let text = SourceVaultCommand.message(for: error)
        let words = args.prefix { $0 != "--" }
        // The command path the words name: the root's subcommand, then its group's subcommand. A
        // wrong command name explains any error that follows it (options it does not know, ...).
        guard let first = words.first, !first.hasPrefix("-") else { return nil }
        let entries = CommandRegistry.commands
        guard let command = entries.first(where: { CommandRegistry.name(of: $0) == first }) else {
            let names = entries.map(CommandRegistry.name(of:))
            let hint = suggestion(for: first, among: names)
            return "unknown command (not shown)" + (hint.isEmpty ? "; see 'sourcevault --help'" : hint)
        }
        let subcommands = command.configuration.subcommands
        if !subcommands.isEmpty {
            let rest = words.drop { $0 != first }.dropFirst()
            guard let second = rest.first(where: { !$0.hasPrefix("-") }) else { return nil }
            guard let sub = subcommands.first(where: { CommandRegistry.name(of: $0) == second }) else {
                let names = subcommands.map(CommandRegistry.name(of:))
                let hint = suggestion(for: second, among: names)
                return "'\(first)' has no such subcommand (not shown)"
                    + (hint.isEmpty ? "; it has: \(names.joined(separator: ", "))" : hint)
            }
            return unexpected(in: sub, path: "\(first) \(CommandRegistry.name(of: sub))", text: text)
        }
        return unexpected(in: command, path: first, text: text)
    }

    /// An argument a command does not take: if it takes a file option, that is the likely intent.
    private static func unexpected(in command: any ParsableCommand.Type, path: String, text: String) -> String? {
        guard text.contains("nexpected argument") else { return nil }
        let options = Set(command.optionNames)
        let fileOption = ["--out", "--to", "--file"].first { options.contains($0) }
        return "'\(path)' got an argument it does not take (value not shown)"
            + (fileOption.map { "; did you mean '\($0) FILE'?" } ?? "; 'sourcevault \(path) --help' lists what it takes")
    }

    /// "; did you mean 'show'?" for the closest name within two edits, else "".
    static func suggestion(for typed: String, among names: [String]) -> String {
        let typed = typed.lowercased()
        let scored = names.map { ($0, distance(typed, $0)) }.filter { $0.1 <= min(2, max(1, $0.0.count / 2)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return "" }
        return "; did you mean '\(best.0)'?"
    }

    /// Damerau–Levenshtein distance (optimal string alignment): a swap of two letters is one edit.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

extension ParsableCommand {
    /// The long option names a command declares (`--out`, ...), from its help.
    static var optionNames: [String] {
        let usage = helpMessage(columns: 1000)
        return usage.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "[" || $0 == "]" || $0 == "," })
            .filter { $0.hasPrefix("--") }.map { String($0.prefix { $0 != "=" }) }
    }
}
