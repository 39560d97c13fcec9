import Foundation
import Testing

@Suite struct ExportCLITests {
    func setUp() throws -> (CLI, String) {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(source: "Magpie", title: "T", body: "Ri Jong-yol crossed near Hoeryŏng.\n\n이종열은 도착했다.\nThe end.\n")
        return (c, id)
    }

    func expectOneLine(_ r: CLI.Result, status: Int32, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderrLines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(fragment), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    }

    /// Issue 14 item 4, through the binary: Broker Pak is the same placeholder in the whole record, in
    /// lines 3-3 and in another record; the same phone number is the same placeholder in two
    /// records; `rule list` shows each rule's placeholder.
    @Test func placeholdersAreStableAcrossExcerptsAndRecords() throws {
        let (c, id) = try setUp()
        #expect(c.run(["rule", "add", "Ri Jong-yol", "--variant", "이종열"] + pw).status == 0)
        #expect(c.run(["rule", "add", "Broker Pak"] + pw).status == 0)
        #expect(c.run(["rule", "add", "--detector", "phone", "--label", "PHONE"] + pw).status == 0)
        let other = try c.add(source: "Magpie", title: "U", body: "Broker Pak called from +86 159 2271 0634.\n")
        let third = try c.add(
            source: "Magpie", title: "V",
            body: "Ri Jong-yol met Broker Pak.\nPak's phone: +86 159 2271 0634.\n")
        let a = c.run(["export", other, "--no-rules"] + pw).stdout
        let b = c.run(["export", third] + pw).stdout
        let line2 = c.run(["export", third, "--lines", "2-2"] + pw).stdout
        #expect(a.hasPrefix("[PERSON-2] called from [PHONE-"), "\(a)")
        #expect(b.hasPrefix("[PERSON-1] met [PERSON-2]."), "\(b)")
        let phone = try #require(a.firstMatch(of: /\[PHONE-[A-Z]{8}\]/)).output
        #expect(b.contains(String(phone)) && line2.contains(String(phone)), "\(b) \(line2)")
        #expect(c.run(["export", id] + pw).stdout.hasPrefix("[PERSON-1] crossed"))
        let list = c.run(["rule", "list"] + pw).stdout
        #expect(list.contains("[PERSON-1]") && list.contains("[PERSON-2]") && list.contains("[PHONE-…]"), "\(list)")
    }

    /// The export's audit entry holds the excerpt's keyed hash (hashed beside the file's bytes, not
    /// by the audit log after them): `audit check-value` finds the published line as an excerpt,
    /// and nothing finds the hidden name.
    @Test func theExportEntryHoldsTheExcerptsKeyedHash() throws {
        let (c, id) = try setUp()
        #expect(c.run(["rule", "add", "Ri Jong-yol"] + pw).status == 0)
        // (A sentence: its excerpt has no final line feed, which check-value's one line cannot give.)
        #expect(c.run(["export", id, "--quote", "crossed near", "--out", c.root + "/q.txt"] + pw).status == 0)
        let published = try String(contentsOfFile: c.root + "/q.txt", encoding: .utf8)
        #expect(published == "[PERSON-1] crossed near Hoeryŏng.\n")
        let found = c.run(["audit", "check-value"] + pw, input: "[PERSON-1] crossed near Hoeryŏng.\n")
        #expect(found.status == 0 && found.stdout.contains("export  ok  as excerpt"), "\(found.stdout) \(found.stderr)")
        for other in ["[PERSON-1] crossed near Hoeryong.\n", "Ri Jong-yol crossed near Hoeryŏng.\n"] {
            #expect(c.run(["audit", "check-value"] + pw, input: other).stdout.contains("not found"), "\(other)")
        }
    }

    @Test func ruleRedactExportProvenance() throws {
        let (c, id) = try setUp()
        let rule = c.run(["rule", "add", "-", "--variant", "-", "--label", "person"] + pw, input: "Ri Jong-yol\n이종열\n")
        #expect(rule.status == 0)
        let ruleID = rule.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(c.run(["rule", "add", "Hoeryŏng", "--label", "PLACE", "--replace", "a border town"] + pw).status == 0)
        let list = c.run(["rule", "list"] + pw)
        #expect(list.stdout.contains(ruleID) && list.stdout.contains("이종열") && list.stdout.contains("a border town"))

        let preview = c.run(["redact", id] + pw)
        #expect(preview.status == 0)
        #expect(preview.stdout.contains("[PERSON-1] crossed near a border town."))
        #expect(preview.stdout.contains("[PERSON-1]은 도착했다."))
        #expect(preview.stdout.contains("rule \(ruleID)  PERSON  2 hits"))
        #expect(preview.stdout.contains("leak check: clean"))

        let out = c.root + "/excerpt.json"
        let export = c.run(["export", id, "--lines", "1-3", "--format", "json", "--out", out] + pw)
        #expect(export.status == 0, "\(export.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(!data.contains("Jong") && !data.contains("이종열") && !data.contains("Hoery"))
        #expect(try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int == 0o600)
        let again = c.run(["export", id, "--out", out] + pw)
        expectOneLine(again, status: 2, "--overwrite")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == data)

        let prov = c.run(["provenance", out] + pw)
        #expect(prov.status == 0 && prov.stdout.contains("record \(id) version 1 lines 1-3"))
        let stranger = c.writeFile("stranger.txt", Data("not ours\n".utf8))
        expectOneLine(c.run(["provenance", stranger] + pw), status: 4, "matches no export")

        let stdout = c.run(["export", id, "--quote", "-", "--paragraph"] + pw, input: "the END\n")
        #expect(stdout.status == 0 && stdout.stdout == "[PERSON-1]은 도착했다.\nThe end.\n")
        let sentence = c.run(["export", id, "--quote", "-"] + pw, input: "the END\n")
        #expect(sentence.status == 0 && sentence.stdout == "The end.\n")

        #expect(c.run(["rule", "rm", String(ruleID.prefix(6))] + pw).status == 0)
        #expect(c.run(["export", id] + pw).stdout.contains("Ri Jong-yol"))
    }

    @Test func leakCheckRefusesAndAcceptanceIsNarrow() throws {
        let (c, id) = try setUp()
        // A rule one letter off the text: redaction misses it, the leak check catches it.
        let r = c.run(["rule", "add", "Hoeryang", "--label", "PLACE"] + pw)
        let ruleID = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(c.run(["rule", "add", "Ri Jong-yol"] + pw).status == 0)  // so the review guard passes
        let out = c.root + "/x.txt"
        let refused = c.run(["export", id, "--out", out] + pw)
        #expect(refused.status == 7)
        #expect(refused.stderr.contains("rule \(ruleID) line 1") && refused.stderr.contains("export refused"))
        #expect(!refused.stderr.contains("Hoery"))
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(c.run(["export", id] + pw).stdout.isEmpty)
        expectOneLine(c.run(["export", id, "--accept", "\(ruleID):3"] + pw), status: 2, "nothing there")
        let ok = c.run(["export", id, "--accept", "\(ruleID):1", "--out", out] + pw)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(c.run(["provenance", out] + pw).stdout.contains("accepted near misses: \(ruleID):1"))
    }

    @Test func badRuleAndExportInputs() throws {
        let (c, id) = try setUp()
        expectOneLine(c.run(["rule", "add", "--regex", "([a-z"] + pw), status: 2, "does not compile")
        expectOneLine(c.run(["rule", "add", "   "] + pw), status: 2, "empty")
        expectOneLine(c.run(["rule", "add", "--detector", "dna"] + pw), status: 2, "unknown detector")
        #expect(c.run(["rule", "add", "Old Kim"] + pw).status == 0)
        let dup = c.run(["rule", "add", "old kim"] + pw)
        expectOneLine(dup, status: 2, "identical rule")
        #expect(!dup.stderr.lowercased().contains("kim"))
        expectOneLine(c.run(["rule", "add", "X", "--label", "no spaces"] + pw), status: 2, "--label")
        expectOneLine(c.run(["rule", "add", "X", "--source", "Nobody"] + pw), status: 4, "no source")
        expectOneLine(c.run(["rule", "rm", "ffffffff"] + pw), status: 4, "no rule id")
        expectOneLine(c.run(["export", id, "--lines", "2-99"] + pw), status: 2, "out of range")
        expectOneLine(c.run(["export", id, "--lines", "x"] + pw), status: 2, "A-B")
        expectOneLine(c.run(["export", id, "--quote", "never said"] + pw), status: 4, "does not occur")
        let twice = c.add2(c, id)
        expectOneLine(c.run(["export", twice, "--quote", "same words"] + pw), status: 2, "occurs 2 times")
        expectOneLine(
            c.run(["export", id, "--out", c.root + "/missing/x.txt", "--no-rules"] + pw), status: 1,
            "does not exist")
        expectOneLine(c.run(["export", id, "--format", "pdf"] + pw), status: 2, "--format")
        #expect(c.run(["rule", "list"] + pw).stdout.split(separator: "\n").count == 1)
    }
}

@Suite struct ExportSafetyTests {
    @Test func exportNeverWritesIntoTheVault() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(source: "Magpie", title: "T", body: "text")
        let before = try Data(contentsOf: URL(fileURLWithPath: c.vault + "/vault.sqlite3"))
        for target in [c.vault + "/vault.sqlite3", c.vault + "/audit.log", c.vault + "/new.txt"] {
            let r = c.run(["export", id, "--out", target, "--overwrite", "--no-rules"] + pw)
            #expect(r.status == 2 && r.stderr.contains("inside the vault"), "\(target): \(r.stderr)")
        }
        #expect(c.run(["list"] + pw).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: c.vault + "/vault.sqlite3")).count >= before.count)
    }

    /// `--accept` covers one near miss, never a term glued into an address, never several hits.
    /// (Line 2 holds two near misses: an edit and a digit for a letter. A Cyrillic "о" would not do any
    /// more: the redactor folds look-alike letters itself since issue 15.)
    @Test func acceptanceIsNarrow() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(
            source: "Magpie", title: "T",
            body: "Write to jongyolkim@example.com\nJongyul met J0ngyol at the gate\n"
                + "Jongyul alone\nOld Kim drove\n")
        let rule = c.run(["rule", "add", "Jongyol"] + pw).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(c.run(["rule", "add", "Old Kim"] + pw).status == 0)  // so the review guard passes
        let refused = c.run(["export", id] + pw)
        #expect(refused.status == 7)
        let token = c.run(["export", id, "--accept", "\(rule):1"] + pw)
        #expect(token.status == 2 && token.stdout.isEmpty, "\(token.stderr)")
        let several = c.run(["export", id, "--accept", "\(rule):2"] + pw)
        #expect(several.status == 2 && several.stdout.isEmpty, "\(several.stderr)")
        // A single edit-distance near miss on its own line can be accepted, with the others still refused.
        let partial = c.run(["export", id, "--accept", "\(rule):3"] + pw)
        #expect(partial.status == 7 && partial.stdout.isEmpty)
    }
}

extension CLI {
    func add2(_ c: CLI, _ id: String) -> String {
        (try? c.add(source: "Magpie", title: "T2", body: "same words here\n\nand same words there\n")) ?? ""
    }
}
