import Foundation
import Testing

/// Issue 16, item 6: fixing what was typed wrong: source rename and rm, edit, diff.
@Suite struct EditTests {
    @Test func sourceRenameKeepsTheRecordsAndRemovesTheOldAliasFromTheFile() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Kim Real Name")
        let id = try c.add(source: "Kim Real Name", title: "T", body: "text\n")
        let r = c.run(["source", "rename", "-", "-"] + pw, input: "kim real name\nMagpie\n")
        #expect(r.status == 0 && r.stderr.contains("Renamed source"), "\(r.stderr)")
        #expect(!r.stderr.contains("Magpie") && !r.stderr.contains("Kim"))
        #expect(c.run(["list"] + pw).stdout.contains("\(id)  ----------  Magpie  T"))
        #expect(c.run(["source", "list"] + pw).stdout.contains("Magpie"))
        #expect(c.run(["list", "--source", "Magpie"] + pw).stdout.hasPrefix(id))
        #expect(c.run(["source", "rename", "Nobody", "X"] + pw).status == 4)
        try c.addSource("Crane")
        #expect(c.run(["source", "rename", "Crane", "MAGPIE"] + pw).status == 2, "duplicate alias")
        #expect(c.run(["check"] + pw).status == 0)
        #expect(c.run(["audit", "show"]).stdout.contains("source-rename  ok"))
    }

    @Test func sourceRmRefusesWhileRecordsNameIt() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        try c.addSource("Unused")
        let id = try c.add(source: "Magpie", title: "T", body: "text\n")
        let refused = c.run(["source", "rm", "Magpie"] + pw)
        #expect(refused.status == 2 && refused.stderrLines.count == 1 && refused.stderr.contains("1 record names this source"))
        // --reassign: the record gets a new version naming the other source, then the source goes.
        try c.addSource("Heron")
        let reassigned = c.run(["source", "rm", "Magpie", "--reassign", "Heron"] + pw)
        #expect(reassigned.status == 0 && reassigned.stderr.contains("1 record moved"), "\(reassigned.stderr)")
        #expect(c.run(["list"] + pw).stdout.contains("\(id)  ----------  Heron  T"))
        #expect(c.run(["show", id, "--rev", "1"] + pw).stdout.contains("source:   ?"), "the old version names the deleted source")
        #expect(c.run(["source", "rename", "Heron", "Magpie"] + pw).status == 0)
        #expect(c.run(["source", "rm", "Unused"] + pw).status == 0)
        #expect(!c.run(["source", "list"] + pw).stdout.contains("Unused"))
        #expect(c.run(["rm", id] + pw).status == 0)
        // On a terminal it asks; no keeps it.
        let no = try PTY.run(c, ["source", "rm", "Magpie"] + pw, [("expect", "Delete it? [y/N]"), ("send", "n\n")])
        #expect(no.status == 1 && c.run(["source", "list"] + pw).stdout.contains("Magpie"), "\(no.screen)")
        #expect(c.run(["source", "rm", "Magpie", "--yes"] + pw).status == 0)
        #expect(c.run(["check"] + pw).status == 0)
    }

    @Test func editWritesANewVersionWithTheSameTestimonyAndDiffShowsIt() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(
            source: "Magpie", title: "Real Name Title", body: "one\ntwo\nthree\n", extra: ["--tag", "a", "--date", "2024-03-05"])
        let e = c.run(["edit", id, "--title", "-", "--tag", "river", "--no-date"] + pw, input: "Crossing\n")
        #expect(e.status == 0 && e.stdout == "\(id) version 2\n", "\(e.stderr)")
        let show = c.run(["show", id, "--json"] + pw).stdout
        #expect(show.contains("\"title\" : \"Crossing\"") && show.contains("\"river\"") && !show.contains("2024-03-05"))
        #expect(show.contains("\"body\" : \"one\\ntwo\\nthree\\n\""))
        #expect(c.run(["show", id, "--rev", "1"] + pw).stdout.contains("Real Name Title"), "old versions are kept")
        #expect(c.run(["amend", id] + pw, input: "one\n2\nthree\nfour\n").status == 0)
        let d = c.run(["diff", id, "1", "3"] + pw)
        #expect(d.status == 0, "\(d.stderr)")
        for line in [
            "- title: Real Name Title", "+ title: Crossing", "- tags: a", "+ tags: river", "- date: 2024-03-05", "+ date: -",
            "  one", "- two", "+ 2", "  three", "+ four"
        ] {
            #expect(d.stdout.contains(line + "\n"), "\(line) in \(d.stdout)")
        }
        #expect(c.run(["diff", id, "1", "2"] + pw).stdout.contains("(testimony unchanged)"))
        #expect(c.run(["diff", id, "1", "9"] + pw).status == 4)
        #expect(c.run(["edit", id] + pw).status == 2, "nothing to change")
        #expect(c.run(["edit", id, "--date", "2024-02-30"] + pw, fd3: OutputPathTests.wrong(c)).status == 2)
        #expect(c.run(["check"] + pw).status == 0)
        let log = c.run(["audit", "show"]).stdout
        #expect(log.contains("edit  ok  record=\(id) title=h:") && log.contains("diff  ok  from=1 record=\(id) to=3"), "\(log)")
        #expect(!log.contains("Crossing"))
    }
}
