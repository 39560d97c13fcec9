import Foundation
import Testing

let pw = ["--passphrase-fd", "3"]

@Suite struct WorkflowTests {
    @Test func endToEnd() throws {
        let c = CLI()
        let recovery = try c.initVault()
        #expect(recovery.count == 69)
        try c.addSource("Magpie")
        let id = try c.add(
            source: "Magpie", title: "Crossing at night", body: "We crossed the Tumen near Hoeryŏng.\n",
            extra: ["--tag", "river", "--date", "2024-03-05"])
        #expect(id.count == 16 && id.allSatisfy(\.isHexDigit))

        let list = c.run(["list"] + pw)
        #expect(list.status == 0)
        #expect(list.stdout.split(separator: "\n").count == 1)
        #expect(list.stdout.hasPrefix(id + " "))
        #expect(list.stdout.contains("Crossing at night") && list.stdout.contains("#river"))

        let search = c.run(["search", "HOERYONG"] + pw)
        #expect(search.status == 0 && search.stdout.hasPrefix(id))
        #expect(c.run(["search", "nothing-like-this"] + pw).stdout.isEmpty)

        let show = c.run(["show", String(id.prefix(5)), "--json"] + pw)
        #expect(show.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as! [String: Any]
        #expect(obj["id"] as? String == id)
        #expect(obj["body"] as? String == "We crossed the Tumen near Hoeryŏng.\n")
        #expect(obj["title"] as? String == "Crossing at night")
        #expect(obj["source"] as? String == "Magpie")
        #expect(obj["date"] as? String == "2024-03-05")

        let amendFile = c.writeFile("v2.txt", Data("Second version.\n".utf8))
        let amend = c.run(["amend", id, "--file", amendFile] + pw)
        #expect(amend.status == 0 && amend.stdout.contains("version 2"))
        #expect(c.run(["show", id, "--version", "1"] + pw).stdout.contains("Tumen"))
        #expect(c.run(["show", id] + pw).stdout.contains("Second version."))

        let listJSON = c.run(["list", "--json", "--source", "magpie", "--tag", "river"] + pw)
        let arr = try JSONSerialization.jsonObject(with: Data(listJSON.stdout.utf8)) as! [[String: Any]]
        #expect(arr.count == 1 && arr[0]["version"] as? Int == 2)

        // Recovery key unlock, typed sloppily.
        let rk = c.writeFile("rk", Data((recovery.replacingOccurrences(of: "-", with: " ").lowercased() + "\n").utf8))
        let viaRecovery = c.run(["list", "--recovery-key-fd", "3"], fd3: rk)
        #expect(viaRecovery.status == 0 && viaRecovery.stdout.hasPrefix(id))

        let rm = c.run(["rm", id] + pw)
        #expect(rm.status == 0)
        #expect(c.run(["list"] + pw).stdout.isEmpty)
        #expect(c.run(["show", id] + pw).status == 4)

        let status = c.run(["status"])
        #expect(status.status == 0 && status.stdout.contains("can be opened: yes"))
    }

    /// Issue 19: `list` and `search` print in the order the records were added, and
    /// `--offset`/`--limit` cut that order into pages.
    @Test func listAndSearchInPages() throws {
        let c = CLI()
        _ = try c.initVault()
        try c.addSource("Magpie")
        var ids: [String] = []
        for i in 1...5 {
            ids.append(try c.add(source: "Magpie", title: "Record \(i)", body: "Crossed the river, part \(i).\n"))
        }
        func lines(_ args: [String]) -> [String] {
            let r = c.run(args + pw)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return r.stdout.split(separator: "\n").map { String($0.prefix(16)) }
        }
        #expect(lines(["list"]) == ids)
        #expect(lines(["list", "--offset", "1", "--limit", "2"]) == Array(ids[1...2]))
        #expect(lines(["list", "--offset", "4"]) == [ids[4]])
        #expect(lines(["list", "--offset", "5"]).isEmpty)
        #expect(lines(["search", "river"]) == ids)
        #expect(lines(["search", "river", "--limit", "2"]) == Array(ids[0...1]))
        let json = c.run(["list", "--json", "--offset", "3"] + pw)
        let arr = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        #expect(arr.map { $0["id"] as? String } == [ids[3], ids[4]])
        let none = c.run(["list", "--json", "--limit", "0"] + pw)
        #expect((try JSONSerialization.jsonObject(with: Data(none.stdout.utf8)) as? [Any])?.isEmpty == true)
        // `--limit=-1` reaches validate() (`--limit -1` is refused earlier, as a missing value).
        for (bad, message) in [
            (["list", "--limit=-1"], "--limit must be 0 or more"), (["list", "--offset=-2"], "--offset must be 0 or more"),
            (["search", "river", "--limit=-1"], "--limit must be 0 or more")
        ] {
            let r = c.run(bad + pw)
            #expect(
                r.status == 2 && r.stderr.contains(message) && r.stderr.split(separator: "\n").count == 1, "\(bad): \(r.stderr)")
        }
        // Offsets and limits up to Int.max: no overflow (`offset + limit` once was "internal error").
        let most = String(Int.max)
        #expect(lines(["list", "--offset", most, "--limit", "1"]).isEmpty)
        #expect(lines(["list", "--offset", "1", "--limit", most]) == Array(ids[1...]))
    }

    @Test func sensitiveArgumentsFromStandardInput() throws {
        let c = CLI()
        try c.initVault()
        let add = c.run(["source", "add", "-"] + pw, input: "Crane\n")
        #expect(add.status == 0)
        let body = c.writeFile("t.txt", Data("Testimony about the ferry.".utf8))
        let rec = c.run(["add", "--source", "-", "--title", "-", "--file", body] + pw, input: "crane\nThe ferry\n")
        #expect(rec.status == 0)
        let id = rec.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let s = c.run(["search", "-"] + pw, input: "FERRY\n")
        #expect(s.status == 0 && s.stdout.hasPrefix(id))
        #expect(c.run(["list"] + pw).stdout.contains("The ferry"))
        // Without a terminal, a missing sensitive argument is a usage error, not a hang.
        let noTTY = c.run(["search"] + pw)
        #expect(noTTY.status == 2 && noTTY.stderrLines.count == 1)
    }

    @Test func passphraseAndTestimonyShareStandardInput() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Heron")
        let r = c.run(
            ["add", "--source", "Heron", "--title", "T", "--passphrase-fd", "0"],
            input: "correct horse battery staple\nLine one\nLine two\n")
        #expect(r.status == 0)
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let show = c.run(["show", id, "--json"] + pw)
        let obj = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as! [String: Any]
        #expect(obj["body"] as? String == "Line one\nLine two\n")
    }

    @Test func vaultLocationFromEnvironment() throws {
        let c = CLI()
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SOURCEVAULT") }
        env["SOURCEVAULT_DIR"] = c.root + "/envvault"
        #expect(c.run(["init", "--kdf", "test"] + pw, vaultFlag: false, environment: env).status == 0)
        #expect(FileManager.default.fileExists(atPath: c.root + "/envvault/vault.sqlite3"))
        env["SOURCEVAULT_DIR"] = nil
        env["XDG_DATA_HOME"] = c.root + "/xdg"
        #expect(c.run(["init", "--kdf", "test"] + pw, vaultFlag: false, environment: env).status == 0)
        #expect(FileManager.default.fileExists(atPath: c.root + "/xdg/sourcevault/vault.sqlite3"))
        // --vault wins over the environment.
        env["SOURCEVAULT_DIR"] = c.root + "/envvault"
        #expect(c.run(["status"], environment: env).status == 6)
    }

    @Test func initRefusesToOverwriteAndWarnsAboutTestKDF() throws {
        let c = CLI()
        let first = c.run(["init", "--kdf", "test"] + pw)
        #expect(first.status == 0 && first.stderr.contains("WARNING"))
        let before = try Data(contentsOf: URL(fileURLWithPath: c.vault + "/vault.sqlite3"))
        let again = c.run(["init", "--kdf", "test"] + pw)
        #expect(again.status == 6 && again.stderrLines.count == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: c.vault + "/vault.sqlite3")) == before)
        #expect(c.run(["init", "--kdf", "bogus"] + pw).status == 2)
    }
}
