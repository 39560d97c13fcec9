import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 14: exports that render safely (1), display safely (2), refuse unreviewed records (3), and
/// quote sentences (5), driven through the built binary.
@Suite struct PublishSafetyCLITests {
    /// A vault with one source and a person rule (Latin and Hangul) for "Ri Jong-yol".
    func setUp() throws -> CLI {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let rule = c.run(["rule", "add", "Ri Jong-yol", "--variant", "Jongyol", "--variant", "이종열"] + pw)
        guard rule.status == 0 else { throw CLI.Failure(message: rule.stderr) }
        return c
    }

    /// The name folded as a reader would recognise it: compatibility forms (𝕁 → J), case, Cyrillic
    /// and Greek look-alikes, and everything but letters removed.
    static func folded(_ s: String) -> String {
        let lookalikes: [Character: Character] = [
            "о": "o", "а": "a", "е": "e", "і": "i", "ј": "j", "ο": "o", "υ": "y",
            "у": "y", "ӏ": "l", "ɡ": "g", "ո": "n", "п": "n"
        ]
        return String(
            s.precomposedStringWithCompatibilityMapping.lowercased()
                .map { lookalikes[$0] ?? $0 }.filter { $0.isLetter })
    }

    static let tricks: [String] = [
        "Jo<!--\nx\n-->ngyol",
        "Jo<span\nclass=\"x\">ngyol</span>",
        "Jo<span title=\"" + String(repeating: "x", count: 300) + "\">ngyol</span>",
        "J&ocy;ngyol",
        "&Jopf;&oopf;&nopf;&gopf;&yopf;&oopf;&lopf;",
        "J&#0000000000000111;ngyol",
        "J&#x00000000000006F;ngyol",
        "J&#111ngyol",
        "J&#x043E;ngyol",
        "Jo<script>x</script>ngyol",
        "Jo<span hidden>x</span>ngyol",
        "Jo[](https://example.com)ngyol",
        "&#51060;&#51333;<i></i>&#50676;",
        "\u{202E}loy-gnoJ iR\u{202C}",
        "\u{202E}열종이"
    ]

    /// Each trick, exported as markdown and rendered by cmark (with and without raw HTML), shows no
    /// protected name: either the export is refused (exit 7, nothing written) or the rendered text
    /// does not contain it.
    @Test(arguments: Array(tricks.indices))
    func markdownOfEachTrickRendersWithoutTheName(_ index: Int) throws {
        let c = try setUp()
        let trick = Self.tricks[index]
        let id = try c.add(source: "Magpie", title: "T", body: "Ri Jong-yol spoke first.\n" + trick + " was there.\n")
        let out = c.root + "/x.md"
        let r = c.run(["export", id, "--format", "markdown", "--out", out] + pw)
        #expect(r.status == 0 || r.status == 7, "\(r.stderr)")
        if r.status == 7 {
            #expect(!FileManager.default.fileExists(atPath: out))
            #expect(r.stderr.contains("export refused"))
            return
        }
        let markdown = try String(contentsOfFile: out, encoding: .utf8)
        for unsafe in [false, true] {
            let shown = Self.folded(Markup.text(ofHTML: try Markup.cmark(markdown, unsafe: unsafe)))
            #expect(
                !shown.contains("jongyol") && !shown.contains("이종열") && !shown.contains("loygnoj"),
                "trick \(index): \(shown)")
            #expect(shown.contains("person"))
        }
    }

    /// The leak check itself refuses each trick (exit 7), in every format, and names it in plain words.
    @Test func everyTrickIsRefusedAsWritten() throws {
        let c = try setUp()
        for (i, trick) in Self.tricks.enumerated() {
            let id = try c.add(source: "Magpie", title: "T\(i)", body: "Ri Jong-yol spoke first.\n" + trick + "\n")
            let r = c.run(["export", id, "--format", "text"] + pw)
            if r.status == 0 {
                // The redactor read it (a decoded reference): the name is hidden, not refused.
                #expect(r.stdout == "[PERSON-1] spoke first.\n[PERSON-1]\n", "trick \(i): \(r.stdout)")
                continue
            }
            #expect(r.status == 7 && r.stdout.isEmpty, "trick \(i): \(r.stderr)")
            #expect(r.stderr.contains(" line 2: "), "trick \(i): \(r.stderr)")
            for code in ["rendered", "reversed", "exact", "separatorsRemoved", "confusableSkeleton", "editDistance1"] {
                #expect(!r.stderr.contains(": \(code)"), "trick \(i): \(r.stderr)")
            }
            // No near miss to accept: the trick is deliberate.
            #expect(!r.stderr.contains("--accept"), "trick \(i): \(r.stderr)")
            // `redact` answers the same way, so scripts can check first.
            let preview = c.run(["redact", id] + pw)
            #expect(preview.status == 7 && preview.stderr.contains("export would be refused"), "trick \(i)")
        }
    }

    /// Markdown with every construct CommonMark knows, exported and rendered by cmark, reads as the
    /// testimony reads; JSON has no raw `<`, `>` or `&`.
    @Test func markdownRendersAsTheTextAndJSONIsEscaped() throws {
        let c = try setUp()
        let body = """
            Ri Jong-yol said: *not emphasis* _nor this_ `nor code` [nor](a link) <b>nor a tag</b> &amp; &copy;
            # not a heading
            1984. not a list
            - not a list
            ---
                not code
            > not a quote
            Tom & Jerry < 3 > 2 \\ back\\slash | pipe ~~tilde~~

            """
        let id = try c.add(source: "Magpie", title: "T", body: body)
        let md = c.run(["export", id, "--format", "markdown"] + pw)
        #expect(md.status == 0, "\(md.stderr)")
        let expected = body.replacingOccurrences(of: "Ri Jong-yol", with: "[PERSON-1]")
        for unsafe in [false, true] {
            let shown = Markup.text(ofHTML: try Markup.cmark(md.stdout, unsafe: unsafe))
            #expect(Markup.squeezed(shown) == Markup.squeezed(expected), "\(shown)")
        }
        let json = c.run(["export", id, "--format", "json"] + pw)
        #expect(json.status == 0)
        #expect(!json.stdout.contains("<") && !json.stdout.contains(">") && !json.stdout.contains("&"))
        #expect(json.stdout.contains("\\u003cb\\u003e"))
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(doc?["excerpt"] as? String == expected)
        // The escaped JSON is still traced back to its export.
        let file = c.writeFile("x.json", Data(json.stdout.utf8))
        #expect(c.run(["provenance", file] + pw).stdout.contains("record \(id)"))
    }

    /// Bidi controls and other invisible format characters never reach the export; the reporter is told.
    @Test func invisibleFormattingIsRemoved() throws {
        let c = try setUp()
        let id = try c.add(
            source: "Magpie", title: "T",
            body: "Ri Jong-yol said \u{202E}olleh\u{202C} and\u{200B} left\u{2066}.\u{2069}\n")
        let out = c.root + "/x.txt"
        let r = c.run(["export", id, "--out", out] + pw)
        #expect(r.status == 0, "\(r.stderr)")
        let bytes = try String(contentsOfFile: out, encoding: .utf8)
        #expect(bytes == "[PERSON-1] said olleh and left.\n")
        #expect(r.stderr.contains("removed 5 invisible formatting characters"))
    }

    /// On a terminal, escape sequences from the testimony are shown escaped (OSC 52 would set the
    /// clipboard); a file or a pipe gets the bytes.
    @Test func terminalGetsEscapesAFileGetsBytes() throws {
        let c = try setUp()
        let osc = "\u{1B}]52;c;aGVsbG8=\u{07}"
        let id = try c.add(source: "Magpie", title: "T", body: "Ri Jong-yol \(osc) and \u{1B}[2J clear\n")
        let tty = try Terminal.run(c, ["export", id] + pw)
        #expect(tty.status == 0)
        #expect(!tty.output.contains(0x1B) && !tty.output.contains(0x07), "\(tty.output)")
        let shown = String(decoding: tty.output, as: UTF8.self)
        #expect(shown.contains("[PERSON-1] \\u{1B}]52;c;aGVsbG8=\\u{7}"), "\(shown)")
        let piped = c.run(["export", id] + pw)
        #expect(piped.stdout == "[PERSON-1] \(osc) and \u{1B}[2J clear\n")
        let out = c.root + "/x.txt"
        #expect(c.run(["export", id, "--out", out] + pw).status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == piped.stdout)
    }

    /// No rule applies: refused with exit 7 and the fixed message, by `export` and `redact`; `--no-rules`
    /// exports and is in the audit log.
    @Test func reviewGuard() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(source: "Magpie", title: "T", body: "Ri Jong-yol of Sanhe, +86 138 0013 8000.\n")
        let out = c.root + "/raw.md"
        let message = "no redaction rule applies to this record; add rules or pass --no-rules if it truly names nobody"
        let refused = c.run(["export", id, "--format", "markdown", "--out", out] + pw)
        #expect(refused.status == 7 && refused.stderr == "sourcevault: \(message)\n", "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let preview = c.run(["redact", id] + pw)
        #expect(preview.status == 7 && preview.stderr.contains(message))
        #expect(preview.stdout.contains("Ri Jong-yol"))  // the preview is still shown, on the terminal
        // A rule that hides nothing in this record does not count.
        #expect(c.run(["rule", "add", "Somebody Else"] + pw).status == 0)
        #expect(c.run(["export", id] + pw).status == 7)
        // --no-rules: exported, and the audit log says so (refusals are logged too).
        #expect(c.run(["redact", id, "--no-rules"] + pw).status == 0)
        let ok = c.run(["export", id, "--no-rules", "--out", out] + pw)
        #expect(ok.status == 0, "\(ok.stderr)")
        let log = c.run(["audit", "show"]).stdout.split(separator: "\n").filter { $0.contains("  export  ") }
        #expect(log.count == 3)
        #expect(log.last?.contains("  ok  ") == true && log.last?.contains("no-rules=yes") == true, "\(log)")
        #expect(log.first?.contains("failed:norules") == true && log.first?.contains("no-rules") == false)
        // With a rule that applies, no flag is needed.
        #expect(c.run(["rule", "add", "Sanhe", "--label", "PLACE"] + pw).status == 0)
        #expect(c.run(["export", id] + pw).status == 0)
        #expect(c.run(["redact", id] + pw).status == 0)
    }

    /// Every export says on stderr how many `suggest` phrases no rule covers, and where.
    @Test func exportSummarisesUncoveredPhrases() throws {
        let c = try setUp()
        let id = try c.add(
            source: "Magpie", title: "T",
            body: "Ri Jong-yol crossed.\nThen Broker Pak called +86 138 0013 8000.\nNothing here.\n"
                + "Old Kim waited.\n")
        // `suggest` also proposes a rule's other Korean spelling; that form is already hidden, so the
        // export's count leaves it out.
        let suggestions = c.run(["suggest", id] + pw).stdout.split(separator: "\n").filter {
            !$0.contains("otherSpelling") && !$0.contains("  fact  ")
        }
        let lines = Set(suggestions.map { $0.split(separator: " ")[1] }).sorted().joined(separator: ", ")
        #expect(suggestions.count >= 3 && lines == "2, 4", "\(suggestions)")
        let r = c.run(["export", id] + pw)
        #expect(r.status == 0)
        #expect(
            r.stderr.contains(
                "suggest: \(suggestions.count) phrases no rule covers, on lines \(lines) "
                    + "('sourcevault suggest \(id)' lists them)"), "\(r.stderr)")
        #expect(!r.stderr.contains("Pak") && !r.stderr.contains("Kim"))
        let out = c.run(["export", id, "--lines", "3-3", "--out", c.root + "/x.txt"] + pw)
        #expect(out.stderr.contains("suggest: 0 phrases no rule covers"), "\(out.stderr)")
    }

    /// `--quote` takes the sentence (English, Korean, Chinese); `--paragraph` the paragraph.
    @Test func quoteSelectsSentences() throws {
        let c = try setUp()
        let body = """
            We left in February. Ri Jong-yol took me across the Tumen at night. We walked for hours.
            우리는 2월에 떠났다. 브로커가 나를 두만강 건너로 데려갔어요. 그리고 쉬었다.
            我们二月离开。向导带我过了图们江。然后我们休息了。
            The end.

            """
        let id = try c.add(source: "Magpie", title: "T", body: body)
        for (quote, sentence) in [
            ("took me across the Tumen", "[PERSON-1] took me across the Tumen at night.\n"),
            ("두만강 건너로", "브로커가 나를 두만강 건너로 데려갔어요.\n"),
            ("带我过了", "向导带我过了图们江。\n")
        ] {
            let r = c.run(["export", id, "--quote", "-"] + pw, input: quote + "\n")
            #expect(r.status == 0 && r.stdout == sentence, "\(quote): \(r.stdout) \(r.stderr)")
        }
        let paragraph = c.run(["export", id, "--quote", "took me across", "--paragraph"] + pw)
        #expect(paragraph.stdout == body.replacingOccurrences(of: "Ri Jong-yol", with: "[PERSON-1]"))
        let json = c.run(["export", id, "--quote", "带我过了", "--format", "json"] + pw)
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let lines = doc?["lines"] as? [String: Any]
        #expect(lines?["first"] as? Int == 3 && lines?["last"] as? Int == 3, "\(json.stdout)")
        let bad = c.run(["export", id, "--paragraph"] + pw)
        #expect(bad.status == 2 && bad.stderr.contains("--paragraph goes with --quote"))
    }
}

/// `cmark` (Debian package `cmark`, installed by `make deps`) and reading its HTML as text.
enum Markup {
    static func cmark(_ markdown: String, unsafe: Bool) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["cmark"] + (unsafe ? ["--unsafe"] : [])
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data(markdown.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CLI.Failure(message: "cmark failed or is missing (make deps)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Text a browser shows for cmark's HTML: markup dropped, references decoded (cmark writes `<`
    /// in text only as `&lt;`, so every `<` starts markup).
    static func text(ofHTML html: String) -> String {
        var out = ""
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            out += rest[..<open]
            if rest[open...].hasPrefix("<!--"), let close = rest[open...].range(of: "-->") {
                rest = rest[close.upperBound...]
            } else if let close = rest[open...].firstIndex(of: ">") {
                rest = rest[rest.index(after: close)...]
            } else {
                rest = ""
            }
        }
        out += rest
        for (entity, char) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: entity, with: char)
        }
        return out
    }

    static func squeezed(_ s: String) -> String {
        s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}

/// Runs the binary with standard output on a pseudo-terminal (output processing off, so the bytes
/// read are the bytes written).
enum Terminal {
    static func run(_ c: CLI, _ args: [String]) throws -> (status: Int32, output: [UInt8]) {
        // posix_openpt and ptsname are not imported from Glibc; the Linux ioctls behind them are
        // TIOCSPTLCK (unlock) and TIOCGPTN (number), _IOW/_IOR('T', 0x31/0x30, int).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, UInt(0x4004_5431), &unlock) == 0,
            ioctl(master, UInt(0x8004_5430), &number) == 0
        else {
            throw CLI.Failure(message: "no pseudo-terminal")
        }
        defer { close(master) }
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw CLI.Failure(message: "cannot open the pseudo-terminal") }
        var settings = termios()
        tcgetattr(slave, &settings)
        settings.c_oflag &= ~tcflag_t(OPOST)
        tcsetattr(slave, TCSANOW, &settings)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "exec \"$0\" \"$@\" 3<\"$SV_FD3\"", CLI.binary] + args + ["--vault", c.vault]
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SOURCEVAULT") }
        env["SV_FD3"] = c.passFile
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        p.standardError = FileHandle.nullDevice
        try p.run()
        close(slave)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(master, &buffer, buffer.count)
            if n > 0 { output += buffer[0..<n] } else if n < 0 && errno == EINTR { continue } else { break }
        }
        p.waitUntilExit()
        return (p.terminationStatus, output)
    }
}
