import Foundation
import Testing

/// Every bad input: one line on stderr, a documented exit code, nothing lost, nothing echoed.
@Suite struct ErrorTests {
    func expectOneLine(_ r: CLI.Result, status: Int32, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderrLines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("sourcevault: "), sourceLocation: sourceLocation)
        #expect(r.stderr.contains(fragment), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func wrongPassphrase() throws {
        let c = CLI()
        try c.initVault()
        let bad = c.writeFile("bad", Data("not it\n".utf8))
        let r = c.run(["list", "--passphrase-fd", "3"], fd3: bad)
        expectOneLine(r, status: 3, "wrong passphrase")
        #expect(r.stdout.isEmpty)
        let badRK = c.writeFile("badrk", Data("0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000\n".utf8))
        expectOneLine(c.run(["list", "--recovery-key-fd", "3"], fd3: badRK), status: 3, "recovery key")
        let empty = c.writeFile("empty", Data())
        expectOneLine(c.run(["list", "--passphrase-fd", "3"], fd3: empty), status: 2, "no passphrase")
        expectOneLine(c.run(["list", "--passphrase-fd", "3", "--recovery-key-fd", "3"]), status: 2, "not both")
    }

    @Test func missingAndForeignVaults() throws {
        let c = CLI()
        expectOneLine(c.run(["list"] + pw), status: 6, "no vault at")
        try FileManager.default.createDirectory(atPath: c.vault, withIntermediateDirectories: true)
        _ = c.writeFile("vault/vault.sqlite3", Data(repeating: 0x42, count: 8192))
        expectOneLine(c.run(["list"] + pw), status: 6, "is not a SourceVault vault")
        let notDir = c.writeFile("plainfile", Data("x".utf8))
        expectOneLine(c.run(["list", "--vault", notDir] + pw, vaultFlag: false), status: 6, "not a SourceVault vault")
    }

    @Test func newerFormatAndHostileKDF() throws {
        let c = CLI()
        try c.initVault()
        try c.sql("UPDATE key_slot SET kdf_memlimit = 1099511627776 WHERE kind = 1")
        expectOneLine(c.run(["list"] + pw), status: 5, "refusing to unlock")
        try c.sql("UPDATE vault_header SET format_version = 7")
        expectOneLine(c.run(["list"] + pw), status: 6, "format version 7")
    }

    @Test func unknownIDsAliasesAndBadInput() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(source: "Magpie", title: "T", body: "x")
        expectOneLine(c.run(["show", "ffffffff"] + pw), status: 4, "no record id starts with")
        expectOneLine(c.run(["show", "abc"] + pw), status: 2, "at least 4")
        expectOneLine(c.run(["show", id, "--version", "9"] + pw), status: 4, "no version 9")
        // The unknown alias is not repeated on stderr (stderr may be logged).
        let unknown = c.run(["add", "--source", "SecretAliasCanary", "--title", "T"] + pw, input: "text")
        expectOneLine(unknown, status: 4, "no source has that alias")
        #expect(!unknown.stderr.contains("SecretAliasCanary"))
        expectOneLine(c.run(["source", "add", "MAGPIE"] + pw), status: 2, "already exists")
        expectOneLine(c.run(["add", "--source", "Magpie", "--title", "T"] + pw, input: "  \n"), status: 2, "testimony is empty")
        expectOneLine(
            c.run(["add", "--source", "Magpie", "--title", "T"] + pw, stdin: Data([0x66, 0xFF, 0xFE, 0x0A])),
            status: 2, "not valid UTF-8")
        expectOneLine(
            c.run(["add", "--source", "Magpie", "--title", "T", "--date", "2024-13-01"] + pw, input: "x"),
            status: 2, "YYYY-MM-DD")
        expectOneLine(
            c.run(["add", "--source", "Magpie", "--title", "T", "--file", c.root + "/missing.txt"] + pw),
            status: 1, "cannot read")
        expectOneLine(c.run(["frobnicate"]), status: 2, "see 'sourcevault --help'")
        expectOneLine(c.run(["list", "--bogus-flag"] + pw), status: 2, "bogus")
        // Nothing partial was stored by any of the failures.
        #expect(c.run(["list"] + pw).stdout.split(separator: "\n").count == 1)
    }

    @Test func damagedRecordIsNamedAndOthersStillList() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let good = try c.add(source: "Magpie", title: "Good", body: "fine")
        let bad = try c.add(source: "Magpie", title: "Bad", body: "to be damaged")
        try c.sql(
            "UPDATE record_version SET meta = CAST(substr(meta, 1, 40) || "
                + "(CASE WHEN substr(meta, 41, 1) = x'ff' THEN x'00' ELSE x'ff' END) || substr(meta, 42) AS BLOB) "
                + "WHERE record_id = '\(bad)'")
        // `search` reads the record rows (`list` reads the summary pages, SECURITY.md §6.12).
        let r = c.run(["search", "d"] + pw)
        #expect(r.status == 5)
        #expect(r.stdout.hasPrefix(good) && !r.stdout.contains(bad))
        #expect(r.stderrLines.count == 1 && r.stderr.contains(bad) && r.stderr.contains("integrity"))
        #expect(c.run(["show", good] + pw).status == 0)
        #expect(c.run(["show", bad] + pw).status == 5)
    }

    @Test func helpIsNotAnError() {
        let c = CLI()
        let r = c.run(["--help"], vaultFlag: false)
        #expect(r.status == 0 && r.stdout.contains("USAGE") && r.stdout.contains("Exit status"))
    }

    @Test func terminalEscapesInDecryptedTextAreShownNotInterpreted() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        // Single-line fields refuse control characters outright.
        let title = c.run(["add", "--source", "Magpie", "--title", "Title\u{1B}]0;pwned\u{07}"] + pw, input: "x")
        expectOneLine(title, status: 2, "control character")
        #expect(!title.stderr.contains("\u{1B}"))
        let id = try c.add(source: "Magpie", title: "T", body: "Body \u{1B}[2J cleared?\nnext\u{202E}line")
        let show = c.run(["show", id] + pw)
        #expect(!show.stdout.contains("\u{1B}") && !show.stdout.contains("\u{202E}") && show.stdout.contains("\nnext"))
        // JSON carries the exact text, escaped by the JSON encoder.
        let json = c.run(["show", id, "--json"] + pw)
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(obj["body"] as? String == "Body \u{1B}[2J cleared?\nnext\u{202E}line")
        // Bidi overrides and C1 controls pass the single-line check; listings escape them.
        _ = try c.add(
            source: "Magpie", title: "Evil\u{202E}txt.exe \u{2066}x\u{200F}\u{061C}", body: "y", extra: ["--tag", "t\u{202D}ag"])
        let list = c.run(["list"] + pw)
        #expect(list.status == 0 && list.stdout.contains("Evil\\u{202E}txt.exe"))
        for bad in ["\u{202E}", "\u{2066}", "\u{202D}", "\u{200F}", "\u{061C}"] {
            #expect(!list.stdout.unicodeScalars.contains(bad.unicodeScalars.first!))
        }
    }

    /// The listing's check for what to escape reads eight bytes at a time: a character to escape
    /// is found at every position within a word (titles), and so are ESC and DEL in a search
    /// snippet (testimony).
    @Test func escapingIsFoundAtEveryPositionOfALine() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        // One character to escape a line, alone in its line (any one sends the whole line through
        // the escaping): at each of 9 offsets, ESC, DEL and U+0085 in testimony (search snippets),
        // a bidi override in titles.
        let bad: [(scalar: Unicode.Scalar, shown: String)] = [("\u{1B}", "\\u{1B}"), ("\u{7F}", "\\u{7F}"), ("\u{85}", "\\u{85}")]
        for k in 0..<36 {
            let pad = String(repeating: "x", count: k % 9)
            if k < 27 {
                _ = try c.add(source: "Magpie", title: "plain \(k)", body: "\(pad)\(String(bad[k / 9].scalar)) needle \(k)")
            } else {
                _ = try c.add(source: "Magpie", title: "\(pad)\u{202E}\(k)", body: "plain needle \(k)")
            }
        }
        let list = c.run(["list"] + pw)
        let search = c.run(["search", "needle"] + pw)
        #expect(list.status == 0 && search.status == 0, "\(list.stderr) \(search.stderr)")
        for out in [list.stdout, search.stdout] {
            for scalar in bad.map(\.scalar) + ["\u{202E}"] {
                #expect(!out.unicodeScalars.contains(scalar), "\(scalar.value)")
            }
        }
        for k in 0..<36 {
            let pad = String(repeating: "x", count: k % 9)
            if k < 27 {
                #expect(search.stdout.contains("\(pad)\(bad[k / 9].shown) needle \(k)"), "snippet \(k)")
            } else {
                #expect(list.stdout.contains("\(pad)\\u{202E}\(k)"), "title \(k)")
            }
        }
    }
}

@Suite struct PassphraseLengthTests {
    @Test func limitIs4096BytesExactly() throws {
        let long = String(repeating: "p", count: 4096)
        let c = CLI(passphrase: long)
        try c.initVault()
        #expect(c.run(["list"] + pw).status == 0)
        let tooLong = c.writeFile("long", Data((long + "q\n").utf8))
        let r = c.run(["list", "--passphrase-fd", "3"], fd3: tooLong)
        #expect(r.status == 2 && r.stderr.contains("longer than 4096 bytes"))
        let crlf = c.writeFile("crlf", Data((long + "\r\n").utf8))
        #expect(c.run(["list", "--passphrase-fd", "3"], fd3: crlf).status == 0)
        let huge = c.writeFile("huge", Data(repeating: 0x61, count: 10 << 20))
        let h = c.run(["list", "--passphrase-fd", "3"], fd3: huge)
        #expect(h.status == 2 && h.stderrLines.count == 1)
    }
}
