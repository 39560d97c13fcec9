import Foundation
import Testing

/// Issue 16, item 2: on a terminal every sensitive value left out or given as - is asked for by
/// name; check-value does not echo; testimony typed on a terminal ends at a "." line everywhere.
@Suite struct PromptTests {
    @Test func ruleTermAndVariantsAreAskedByName() throws {
        let c = CLI()
        try c.initVault()
        let r = try PTY.run(
            c, ["rule", "add"] + pw,
            [
                ("expect", "Term: "), ("send", "Ri Jong-yol\n"), ("expect", "Variant (empty line to finish): "),
                ("send", "이종열\n"), ("expect", "Variant (empty line to finish): "), ("send", "\n")
            ])
        #expect(r.status == 0 && r.unmet == nil, "\(r.screen)")
        let list = c.run(["rule", "list"] + pw).stdout
        #expect(list.contains("Ri Jong-yol") && list.contains("이종열"), "\(list)")
        // check-value: the value is not echoed.
        let cv = try PTY.run(
            c, ["audit", "check-value"] + pw, [("expect", "Value to look for (not shown): "), ("send", "Ri Jong-yol\n")])
        #expect(cv.status == 0 && !cv.screen.contains("Ri Jong-yol") && cv.screen.contains("rule-add"), "\(cv.screen)")
    }

    @Test func tagsDatesAndTitlesAsDashAreAskedOnATerminal() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let r = try PTY.run(
            c, ["add", "--source", "-", "--title", "-", "--tag", "-", "--date", "-"] + pw,
            [
                ("expect", "Source alias: "), ("send", "Magpie\n"), ("expect", "Title: "), ("send", "Crossing\n"),
                ("expect", "Tag: "), ("send", "river\n"), ("expect", "Interview date (YYYY-MM-DD): "), ("send", "2024-03-05\n"),
                ("expect", "end with a line holding only a period (.)"), ("send", "We crossed.\n.\n")
            ])
        #expect(r.status == 0 && r.unmet == nil, "\(r.screen)")
        let show = c.run(["list", "--json"] + pw).stdout
        #expect(show.contains("Crossing") && show.contains("river") && show.contains("2024-03-05"), "\(show)")
        // From a pipe, - reads lines in order (alias, title, each tag, date), testimony from --file.
        let file = c.writeFile("t.txt", Data("text\n".utf8))
        let piped = c.run(
            ["add", "--source", "-", "--title", "-", "--tag", "-", "--date", "-", "--file", file] + pw,
            input: "Magpie\nSecond\nborder\n2024-04-01\n")
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(c.run(["list", "--tag", "border"] + pw).stdout.contains("2024-04-01  Magpie  Second"))
        #expect(c.run(["add", "--source", "Magpie", "--title", "T", "--tag", "-"] + pw, input: "x\n").status == 2)
    }
}
