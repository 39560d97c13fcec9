import Foundation
import Testing

/// Issue 18 through the built binary: facts about a source, the disclosure ledger, and the guard
/// that refuses the excerpt completing a mosaic (exit 7), accepted only with --accept-disclosure.
@Suite struct DisclosureCLITests {
    static let pw = ["--passphrase-fd", "3"]
    let pw = Self.pw

    /// Adds a fact with its text on standard input (never argv); returns its id.
    static func fact(_ c: CLI, _ kind: String, _ text: String, variants: [String] = []) -> String {
        let r = c.run(
            ["fact", "add", "--source", "Magpie", "--kind", kind, "-"] + variants.flatMap { _ in ["--variant", "-"] } + pw,
            input: ([text] + variants).joined(separator: "\n") + "\n")
        #expect(r.status == 0, "fact add: \(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Four facts of four kinds; three excerpts from two records; the third reaches the threshold.
    @Test func theThirdExcerptIsRefusedThenAcceptedAndTheLedgerListsEveryExport() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let age = Self.fact(c, "AGE", "CanaryAgeFact 34-year-old", variants: ["34 years old"])
        let work = Self.fact(c, "work", "CanaryWorkFact mine canteen")
        let place = Self.fact(c, "PLACE", "CanaryPlaceFact", variants: ["회령"])
        let date = Self.fact(c, "DATE", "CanaryDateFact March 2019")
        let list = c.run(["fact", "list"] + pw)
        #expect(list.status == 0 && [age, work, place, date].allSatisfy { list.stdout.contains($0) })
        #expect(list.stdout.contains("CanaryWorkFact mine canteen"))

        let r1 = try c.add(
            source: "Magpie", title: "First",
            body: "Ri Jong-yol is a canaryagefact 34 YEARS OLD widow.\nShe left CanaryPlaceFact.\nNothing else here.\n")
        let r2 = try c.add(
            source: "Magpie", title: "Second",
            body: "Ri Jong-yol cooked at the CANARYWORKFACT Mine-Canteen.\nShe crossed in canarydatefact march 2019.\n")
        #expect(c.run(["rule", "add", "-", "--label", "PERSON"] + pw, input: "Ri Jong-yol\n").status == 0)

        // Excerpt 1 (record 1): the age and the place, in other case and spacing and a variant.
        let e1 = c.run(["export", r1, "--lines", "1-2", "--out", c.root + "/e1.txt"] + pw)
        #expect(e1.status == 0, "\(e1.stderr)")
        // Excerpt 2 (record 2, line 2): one more fact, the date; 3 facts of 3 kinds would be reached.
        let preview = c.run(["redact", r2, "--lines", "2-2"] + pw)
        #expect(preview.status == 7 && preview.stderr.contains("added by this excerpt (1)"), "\(preview.stderr)")
        // Excerpt 2 instead publishes nothing new (record 2, the age is not in it): line 1 holds the
        // work fact, which would also complete it; so lower risk first: threshold raised to 4.
        #expect(c.run(["source", "set", "Magpie", "--disclosure-threshold", "4"] + pw).status == 0)
        let e2 = c.run(["export", r2, "--lines", "2-2", "--out", c.root + "/e2.txt"] + pw)
        #expect(e2.status == 0, "\(e2.stderr)")
        // Excerpt 3 (record 2, line 1): the work fact makes 4 facts of 4 kinds: refused, with the table.
        let out3 = c.root + "/e3.txt"
        let refused = c.run(["export", r2, "--lines", "1-1", "--out", out3] + pw)
        #expect(refused.status == 7)
        #expect(!FileManager.default.fileExists(atPath: out3))
        #expect(refused.stderr.contains("published before (3):") && refused.stderr.contains("added by this excerpt (1):"))
        for id in [age, place, date, work] { #expect(refused.stderr.contains("fact \(id)"), "\(id) missing from the table") }
        #expect(refused.stderrLines.last?.contains("--accept-disclosure") == true)
        // share goes through the same guard.
        #expect(
            c.run(["contact", "add", "Desk"] + pw, input: "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\n")
                .status == 0)
        let share = c.run(["share", r2, "--lines", "1-1", "--to", "Desk", "--out", c.root + "/s.age"] + pw)
        #expect(share.status == 7 && share.stderr.contains("added by this excerpt (1):"))
        // Accepted: written, and audited with counts and kinds only.
        let accepted = c.run(["export", r2, "--lines", "1-1", "--out", out3, "--accept-disclosure"] + pw)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(FileManager.default.fileExists(atPath: out3))
        let log = c.run(["audit", "show"] + pw).stdout
        let acceptedLine = log.split(separator: "\n").last { $0.contains("disclosure=accepted") }
        #expect(acceptedLine?.contains("published=3") == true && acceptedLine?.contains("kinds=age.date.place.work") == true)
        #expect(log.contains("outcome=failed:disclosure") || log.contains("failed:disclosure"))
        #expect(!log.lowercased().contains("canary"))

        // The ledger: every fact with the exports that published it.
        let ledger = c.run(["disclosure", "Magpie"] + pw)
        #expect(ledger.status == 0, "\(ledger.stderr)")
        #expect(ledger.stdout.contains("4 of 4 facts published"))
        for id in [age, place, date, work] {
            #expect(ledger.stdout.contains("fact \(id)") && ledger.stdout.contains("published set:"))
        }
        let lines = ledger.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.contains("record \(r1)") && $0.contains("lines 1-2") }.count == 2)  // age and place
        #expect(lines.filter { $0.contains("record \(r2)") && $0.contains("lines 2-2") }.count == 1)
        #expect(lines.filter { $0.contains("record \(r2)") && $0.contains("lines 1-1") }.count == 1)

        // suggest proposes the facts no fact covers ("widow"), not those one does (the age).
        let suggested = c.run(["suggest", r1] + pw).stdout
        #expect(suggested.contains("fact  FAMILY  widow") && !suggested.contains("fact  AGE"), "\(suggested)")
        // An excerpt that adds no new fact is never refused; the ledger survives amend and rm.
        #expect(c.run(["export", r1, "--lines", "1-1"] + pw).status == 0)
        #expect(c.run(["amend", r2] + pw, input: "Rewritten without a detail.\n").status == 0)
        #expect(c.run(["disclosure", "Magpie"] + pw).stdout.contains("4 of 4 facts published"))
        #expect(c.run(["rm", r1] + pw).status == 0)
        #expect(c.run(["disclosure", "Magpie"] + pw).stdout.contains("4 of 4 facts published"))

        // No fact is stored in plaintext anywhere in the vault directory.
        let files = c.vaultFiles()
        #expect(!files.isEmpty)
        for (path, data) in files {
            for needle in ["CanaryAgeFact", "canaryagefact", "CanaryWorkFact", "CanaryPlaceFact", "CanaryDateFact", "회령"] {
                #expect(!data.contains(needle), "\(needle) found in \(path)")
                #expect(data.range(of: needle.data(using: .utf16LittleEndian)!) == nil, "\(needle) (UTF-16) in \(path)")
            }
        }
    }

    @Test func badFactInputIsOneLineWithItsExitCode() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let punct = c.run(["fact", "add", "--source", "Magpie", "-"] + Self.pw, input: "--\n")
        #expect(punct.status == 2 && punct.stderrLines.count == 1)
        let kind = c.run(["fact", "add", "--source", "Magpie", "--kind", "HEIGHT", "-"] + Self.pw, input: "x\n")
        #expect(kind.status == 2 && kind.stderrLines.count == 1 && kind.stderr.contains("--kind must be one of"))
        let source = c.run(["fact", "add", "--source", "Crane", "-"] + Self.pw, input: "34\n")
        #expect(source.status == 4 && source.stderrLines.count == 1)
        let rm = c.run(["fact", "rm", "ffffffff"] + Self.pw)
        #expect(rm.status == 4 && rm.stderrLines.count == 1)
        let threshold = c.run(["source", "set", "Magpie", "--disclosure-threshold", "0"] + Self.pw)
        #expect(threshold.status == 2 && threshold.stderrLines.count == 1)
        let who = c.run(["disclosure", "Crane"] + Self.pw)
        #expect(who.status == 4 && who.stderrLines.count == 1)
    }
}
