import Foundation
import Testing

@testable import sourcevault

/// Issue 16, item 7: output a person reads. Names of commands and options may be suggested; what
/// the user typed is never repeated.
@Suite struct ReadableOutputTests {
    @Test func didYouMeanForCommandsSubcommandsAndOptions() throws {
        let c = CLI()
        try c.initVault()
        let cases: [([String], String)] = [
            (["shwo", "83cb"], "did you mean 'show'?"),
            (["sarch", "Hoeryong"], "did you mean 'search'?"),
            (["source", "ad", "Hoeryong"], "did you mean 'add'?"),
            (["rule", "lst"], "did you mean 'list'?"),
            (["export", "83cb", "Hoeryong.md"], "did you mean '--out FILE'?"),
            (["backup", "--to", "b.svb", "Hoeryong.svb"], "did you mean '--to FILE'?"),
            (["backup", "Hoeryong.svb"], "Missing expected argument '--to <FILE>'"),
            (["list", "--jsn"], "Did you mean '--json'?"),
            (["Hoeryong"], "unknown command (not shown); see 'sourcevault --help'")
        ]
        for (args, hint) in cases {
            let r = c.run(args + pw)
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(r.stderrLines.count == 1 && r.stderr.contains(hint), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("Hoeryong") && !r.stderr.contains("83cb"), "\(args): \(r.stderr)")
        }
    }

    @Test func suggestionsAreCloseNamesOnly() {
        #expect(ArgumentHints.suggestion(for: "shwo", among: ["show", "search"]) == "; did you mean 'show'?")
        #expect(ArgumentHints.suggestion(for: "Hoeryong", among: ["show", "search"]).isEmpty)
        #expect(ArgumentHints.distance("rm", "mr") == 1)
    }

    @Test func recordVersionIsRevAndVersionStillWorksAfterAnID() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(source: "Magpie", title: "T", body: "first text\n")
        #expect(c.run(["amend", id] + pw, input: "second text\n").status == 0)
        for flags in [["--rev", "1"], ["--version", "1"], ["--version=1"]] {
            let r = c.run(["show", id] + flags + pw)
            #expect(r.status == 0 && r.stdout.contains("first text") && !r.stdout.contains("second"), "\(flags): \(r.stderr)")
        }
        #expect(c.run(["show", id, "--rev", "2"] + pw).stdout.contains("second text"))
        let tool = c.run(["show", "--version"])
        #expect(tool.status == 0 && tool.stdout == SourceVaultCommand.configuration.version + "\n")
        let missing = c.run(["show", id, "--version"] + pw)
        #expect(missing.status == 2 && missing.stderr.contains("'--rev <N>'"), "\(missing.stderr)")
        // One --version in the help: the tool's. The record's is --rev.
        let help = c.run(["show", "--help"]).stdout
        #expect(help.components(separatedBy: "--version").count == 2, "\(help)")
        #expect(help.contains("--rev <N>") && help.contains("-n, --line-numbers"))
    }

    @Test func showNumbersLinesAsExportCountsThem() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let body = (1...12).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let id = try c.add(source: "Magpie", title: "T", body: body)
        let r = c.run(["show", id, "-n"] + pw)
        #expect(r.status == 0)
        #expect(r.stdout.contains("\n 1  line 1\n") && r.stdout.contains("\n12  line 12\n"), "\(r.stdout)")
        let e = c.run(["export", id, "--lines", "12-12", "--no-rules"] + pw)
        #expect(e.stdout.contains("line 12") && !e.stdout.contains("line 11"))
        #expect(c.run(["show", id, "-n", "--json"] + pw).status == 2)
    }

    @Test func searchShowsASnippetMatchesAcrossSeparatorsAndExitsOneOnNoMatch() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let long = String(repeating: "The road north was closed that winter and we waited. ", count: 3)
        let id = try c.add(
            source: "Magpie", title: "Crossing", body: "First line.\n\(long)Then Hye-jin came with the broker.\nEnd.\n")
        let r = c.run(["search", "hye jin"] + pw)
        #expect(r.status == 0, "\(r.stderr)")
        let line = try #require(r.stdout.split(separator: "\n").first.map(String.init))
        #expect(r.stdout.split(separator: "\n").count == 1 && line.hasPrefix(id))
        #expect(line.contains("| …") && line.contains("Hye-jin came with the broker."), "\(line)")
        #expect(line.components(separatedBy: "| ")[1].count <= 82)
        #expect(c.run(["search", "HYEJIN"] + pw).status == 1, "no separator in the query: exact folding")
        #expect(c.run(["search", "hye-jin"] + pw).stdout.hasPrefix(id))
        let json = c.run(["search", "broker", "--json"] + pw)
        #expect(json.stdout.contains("\"snippet\" : \"") && json.stdout.contains("broker"))
        let none = c.run(["search", "nothing-like-this"] + pw)
        #expect(none.status == 1 && none.stdout.isEmpty && none.stderrLines == ["sourcevault: no record matches"])
        // A title hit has no snippet.
        let title = c.run(["search", "crossing"] + pw)
        #expect(title.status == 0 && !title.stdout.contains("|"))
    }

    @Test func statusJSONAndEscapedLogPath() throws {
        let c = CLI()
        try c.initVault()
        let r = c.run(["status", "--json"])
        #expect(r.status == 0)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["canBeOpened"] as? Bool == true && obj["records"] as? Int == 0 && obj["travelMode"] as? Bool == false)
        #expect((obj["unlockWith"] as? [String]) == ["passphrase", "recovery key"])
        #expect((obj["auditLog"] as? [String: Any])?["present"] as? Bool == true)
        try c.sql("UPDATE audit_state SET log_path = '/tmp/x' || char(27) || '[2J'")
        let text = c.run(["status"])
        #expect(!text.stdout.contains("\u{1B}") && text.stdout.contains("\\u{1B}[2J"), "\(text.stdout)")
    }

    @Test func pluralsAgreeWithTheirCounts() throws {
        #expect(Output.count(1, "entry", "entries") == "1 entry")
        #expect(Output.count(2, "record") == "2 records")
        #expect(Output.count(0, "record") == "0 records")
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        _ = try c.add(source: "Magpie", title: "T", body: "x")
        let b = c.run(["backup", "--to", c.root + "/b.svb"] + pw)
        #expect(b.status == 0 && b.stderr.contains("Backed up 1 record and"), "\(b.stderr)")
    }

    @Test func utf16AndNULInputIsRefusedAndCRLFBecomesLF() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let add = ["add", "--source", "Magpie", "--title", "T"] + pw
        let utf16 = Data([0xFF, 0xFE]) + "Hoeryong\n".data(using: .utf16LittleEndian)!
        let bom = c.run(add, stdin: utf16)
        #expect(bom.status == 2 && bom.stderrLines.count == 1 && bom.stderr.contains("UTF-16") && bom.stderr.contains("iconv"))
        let noBOM = c.run(add + ["--file", c.writeFile("u16.txt", "Hoeryong\n".data(using: .utf16LittleEndian)!)])
        #expect(noBOM.status == 2 && noBOM.stderr.contains("NUL bytes"), "\(noBOM.stderr)")
        #expect(c.run(["list"] + pw).stdout.isEmpty, "nothing was stored")
        let id = try c.add(source: "Magpie", title: "T", body: "one\r\ntwo\r\nthree\rfour\r\n")
        let show = c.run(["show", id, "--json"] + pw)
        #expect(show.stdout.contains("\"body\" : \"one\\ntwo\\nthree\\nfour\\n\""), "\(show.stdout)")
        #expect(c.run(["export", id, "--lines", "3-3", "--no-rules"] + pw).stdout.contains("three"))
    }
}
