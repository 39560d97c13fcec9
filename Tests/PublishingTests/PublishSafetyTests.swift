import Foundation
import Redaction
import SodiumKit
import Testing
import VaultCore

@testable import Publishing

/// `--quote` selects sentences (issue 14, item 5).
@Suite struct SentenceQuoteTests {
    func quote(_ q: String, in body: String) throws -> Excerpt { try Excerpt.select(.quote(q), from: body) }

    @Test func english() throws {
        // No blank lines: a paragraph would be all four lines.
        let body =
            "I left in February. Mr. Kim met us at the station.\nRi paid him. He took me across the Tumen\n"
            + "at night. We walked for hours!\nThen we rested \"near the bend.\" Later we slept.\n"
        #expect(
            try quote("took me across the Tumen", in: body)
                == Excerpt(text: "He took me across the Tumen\nat night.", firstLine: 2, lastLine: 3))
        // "Mr." and an initial do not end a sentence; a closing quote stays with its sentence.
        #expect(try quote("Kim met us", in: body).text == "Mr. Kim met us at the station.")
        #expect(try quote("near the bend", in: body).text == "Then we rested \"near the bend.\"")
        #expect(try quote("we slept", in: body) == Excerpt(text: "Later we slept.", firstLine: 4, lastLine: 4))
        #expect(
            try quote("asked J. Kim", in: "Then I asked J. Kim to wait. He did.").text
                == "Then I asked J. Kim to wait.")
        // A quote across a boundary takes both sentences; 3.5 and "..." do not end one.
        #expect(try quote("hours! Then", in: body).text == "We walked for hours!\nThen we rested \"near the bend.\"")
        #expect(
            try quote("3.5 km", in: "We ran 3.5 km... then stopped. Done.").text
                == "We ran 3.5 km... then stopped.")
    }

    @Test func korean() throws {
        let body = "우리는 2월에 떠났다. 브로커가 나를 두만강 건너로 데려갔어요.그리고 쉬었다.\n정말요? 네!\n"
        #expect(try quote("두만강 건너로", in: body) == Excerpt(text: "브로커가 나를 두만강 건너로 데려갔어요.", firstLine: 1, lastLine: 1))
        #expect(try quote("쉬었다", in: body).text == "그리고 쉬었다.")
        #expect(try quote("정말", in: body).text == "정말요?")
    }

    @Test func chinese() throws {
        let body = "我们二月离开。向导带我过了图们江！然后我们休息了。“你好。”她说。\n"
        #expect(try quote("带我过了", in: body) == Excerpt(text: "向导带我过了图们江！", firstLine: 1, lastLine: 1))
        #expect(try quote("休息", in: body).text == "然后我们休息了。")
        #expect(try quote("你好", in: body).text == "“你好。”")
    }

    @Test func paragraphKeepsTheOldBehaviour() throws {
        let body = "One. Two here.\nThree.\n\nFour.\n"
        #expect(
            try Excerpt.select(.paragraph("two here"), from: body)
                == Excerpt(text: "One. Two here.\nThree.\n", firstLine: 1, lastLine: 2))
        #expect(try quote("two here", in: body) == Excerpt(text: "Two here.", firstLine: 1, lastLine: 1))
        // A blank line ends a sentence even without a full stop.
        #expect(try quote("four", in: "no stop here\n\nFour\n").text == "Four")
    }
}

/// Markdown and JSON exports render as the checked text (issue 14, item 1).
@Suite struct SafeMarkupTests {
    static let samples = [
        "*emph* _under_ **strong** `code` ~~strike~~ a|b \\ back\\slash",
        "[link](http://x) ![img](y) <http://auto.link> www.example.com",
        "&amp; &copy; &#65; &ocy; <b>tag</b> <!-- comment --> Jo<span\nclass=\"x\">ngyol</span>",
        "# heading", "1984. We crossed", "2) second", "- dash", "+ plus", "* star", "---", "===", "***",
        "    indented", "> quote", "  ## spaced", "Tom & Jerry < 3 > 2 \"q\" 'q' $5 100%", "[ref]: http://example.com",
        "trailing \\", "| a | b |", "<div>", "</p>", "<?php x ?>", "~~~", "```", "\t\ttabbed"
    ]

    /// cmark renders the markdown export to HTML; the HTML's text is the excerpt's text.
    @Test func cmarkRendersTheCheckedText() throws {
        let text = Self.samples.joined(separator: "\n") + "\n\nafter a blank line\n\n    indented after a blank\n"
        let markdown = SafeMarkup.markdown(text)
        for safe in [true, false] {
            let html = try Renderer.cmark(markdown, unsafe: !safe)
            let shown = Renderer.text(ofHTML: html)
            #expect(Renderer.squeezed(shown) == Renderer.squeezed(text), "\(html)")
        }
    }

    /// One line escaped as ``SafeMarkup`` first did it, on a copy of the line's bytes.
    static func referenceMarkdownLine(_ line: ArraySlice<UInt8>, to out: inout [UInt8]) {
        func escaped(_ c: UInt8) {
            switch c {
            case 0x26: out.append(contentsOf: Array("&amp;".utf8))
            case 0x3C: out.append(contentsOf: Array("&lt;".utf8))
            case 0x3E: out.append(contentsOf: Array("&gt;".utf8))
            case 0x5C, 0x60, 0x2A, 0x5F, 0x5B, 0x5D, 0x7E, 0x7C: out.append(0x5C); out.append(c)
            default: out.append(c)
            }
        }
        var atStart = true
        var leadingDigits = 0
        var k = line.startIndex
        while k < line.endIndex {
            let c = line[k]
            k += 1
            if atStart && (c == 0x20 || c == 0x09) { continue }
            defer { atStart = false }
            if atStart, c == 0x23 || c == 0x2B || c == 0x2D || c == 0x3D {  // # + - =
                out.append(0x5C); out.append(c); continue
            }
            if leadingDigits >= 0 {
                if c &- 0x30 < 10, leadingDigits < 9, atStart || leadingDigits > 0 {
                    leadingDigits += 1
                } else {
                    if leadingDigits > 0, c == 0x2E || c == 0x29 {  // . )
                        out.append(0x5C); out.append(c); leadingDigits = -1; continue
                    }
                    leadingDigits = -1
                }
            }
            escaped(c)
        }
    }

    /// ``SafeMarkup/markdownBytes(_:)`` as first written (a list of lines, each escaped by
    /// ``referenceMarkdownLine(_:to:)`` from a copy of the text): the same bytes on random
    /// texts of everything it escapes, line starts, numbers, CR LF pairs and non-ASCII characters.
    static func referenceMarkdownBytes(_ text: String) -> [UInt8] {
        let b = Array(text.utf8)
        var out: [UInt8] = []
        var lines: [Range<Int>] = []
        var start = 0
        for i in b.indices where b[i] == 0x0A && (i == 0 || b[i - 1] != 0x0D) {
            lines.append(start..<i)
            start = i + 1
        }
        lines.append(start..<b.count)
        if lines.last!.isEmpty { lines.removeLast() }
        for (k, line) in lines.enumerated() {
            if k > 0 { out.append(0x0A) }
            out.append(0x3E)
            out.append(0x20)
            let before = out.count
            Self.referenceMarkdownLine(b[line], to: &out)
            if out.count == before { out.removeLast() }
        }
        out.append(0x0A)
        return out
    }

    @Test func markdownBytesAreTheReferences() {
        let pieces = [
            "a", "Kim", " ", "  ", "\t", "\n", "\r", "\r\n", "\n\n", "#", "+", "-", "=", "1", "12", "123456789", "1234567890",
            ".", ")", "&", "<", ">", "\\", "`", "*", "_", "[", "]", "~", "|", "[PERSON-1]", "이종열", "é", "\u{202E}", "😀",
            "&amp;", "<b>", "x"
        ]
        var rng = SplitMix(state: 0x3A4D)
        var compared = 0
        for _ in 0..<3_000 {
            let text = (0..<Int.random(in: 0..<25, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            #expect(SafeMarkup.markdownBytes(text) == Self.referenceMarkdownBytes(text), "\(text.debugDescription)")
            compared += text.utf8.count
        }
        for text in ["", "\n", "\r\n", "\n\n", "a\n", "a\r\nb", "\r", "1. a\n2) b\n# c"] {
            #expect(SafeMarkup.markdownBytes(text) == Self.referenceMarkdownBytes(text), "\(text.debugDescription)")
        }
        #expect(compared > 50_000)
    }

    @Test func jsonEscapesMarkupCharacters() throws {
        let json = SafeMarkup.jsonEscapingHTML(Array(#"{"a":"<b>&x</b>\#u{2028}\#u{2029}"}"#.utf8))
        let s = String(decoding: json, as: UTF8.self)
        #expect(!s.contains("<") && !s.contains(">") && !s.contains("&") && !s.contains("\u{2028}"))
        let back = try JSONSerialization.jsonObject(with: Data(json)) as? [String: String]
        #expect(back?["a"] == "<b>&x</b>\u{2028}\u{2029}")
    }
}

/// The review guard and display safety in `prepare` (issue 14, items 2 and 3).
@Suite struct ReviewGuardTests {
    @Test func noRuleMeansUnreviewed() throws {
        let f = try Fixture()
        let p = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole)
        #expect(!p.rulesApply && p.unreviewed && !p.exportable)
        #expect(try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole, noRules: true).exportable)
        #expect(throws: PublishingError.noRuleApplies) {
            _ = try Exporter.export(
                vault: f.vault, id: f.recordID, selection: .whole, accept: [], format: .text,
                out: nil, overwrite: false)
        }
        // A rule that hides nothing in the record does not count.
        _ = try f.vault.addRule(StoredRule(kind: .term, value: "Nobody Here", label: "PERSON"))
        #expect(try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole).unreviewed)
        // A rule that hides something elsewhere in the record does, for an excerpt without hits.
        _ = try f.vault.addRule(StoredRule(kind: .term, value: "Old Kim", label: "PERSON"))
        let excerpt = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .lines(6, 6))
        #expect(excerpt.findings.isEmpty && excerpt.rulesApply && excerpt.exportable)
    }

    @Test func uncoveredPhrasesAreCountedWithRecordLines() throws {
        let f = try Fixture(rules: [StoredRule(kind: .term, value: "Ri Jong-yol", label: "PERSON")])
        let p = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .lines(2, 5))
        let all = suggest(Fixture.body, rules: [.term("r", "Ri Jong-yol")]).map(\.line).filter { (2...5).contains($0) }
        #expect(!p.uncoveredLines.isEmpty && p.uncoveredLines == all)
    }

    @Test func invisibleFormattingIsRemovedFromTheExport() throws {
        let root = NSTemporaryDirectory() + "sv-pub-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let vault = try Vault.create(
            directory: root + "/v", passphrase: try .init(copying: Array("pw".utf8)),
            profile: .test
        ) { _ in }
        _ = try vault.addSource(alias: "Magpie")
        let id = try vault.addRecord(
            NewRecord(
                sourceAlias: "Magpie", title: "T",
                body: "Old Kim said \u{202E}olleh\u{202C} and\u{200B} left\u{FEFF}.\n"))
        _ = try vault.addRule(StoredRule(kind: .term, value: "Old Kim", label: "PERSON"))
        let p = try Exporter.prepare(vault: vault, id: id, selection: .whole)
        #expect(p.text == "[PERSON-1] said olleh and left.\n" && p.invisibleRemoved == 4 && p.exportable)
    }
}

/// Runs the `cmark` command (Debian package `cmark`, installed by `make deps`) and reads HTML as text.
enum Renderer {
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
        guard p.terminationStatus == 0 else { throw CocoaError(.executableLoad) }  // cmark missing: make deps
        return String(decoding: data, as: UTF8.self)
    }

    /// The text a browser shows for cmark's HTML: tags and comments dropped, references decoded
    /// (cmark writes `<` in text only as `&lt;`, so every `<` starts markup).
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

    /// White space runs as one space, none at the ends (rendering does not keep line layout).
    static func squeezed(_ s: String) -> String {
        s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}

/// The markdown export is escaped byte by byte in one pass: the same bytes as escaping each line's
/// characters after splitting the text into lines (the way it was first written).
@Suite struct SafeMarkupBytesTests {
    static func reference(_ text: String) -> String {
        func line<S: StringProtocol>(_ line: S) -> String {
            var out = ""
            var atStart = true
            var leadingDigits = 0
            for c in line.unicodeScalars {
                if atStart && (c == " " || c == "\t") { continue }
                defer { atStart = false }
                if atStart, c == "#" || c == "+" || c == "-" || c == "=" {
                    out.unicodeScalars.append("\\"); out.unicodeScalars.append(c); continue
                }
                if leadingDigits >= 0 {
                    if c.value &- 0x30 < 10, leadingDigits < 9, atStart || leadingDigits > 0 {
                        leadingDigits += 1
                    } else {
                        if leadingDigits > 0, c == "." || c == ")" {
                            out.unicodeScalars.append("\\"); out.unicodeScalars.append(c); leadingDigits = -1; continue
                        }
                        leadingDigits = -1
                    }
                }
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\\", "`", "*", "_", "[", "]", "~", "|":
                    out.unicodeScalars.append("\\"); out.unicodeScalars.append(c)
                default: out.unicodeScalars.append(c)
                }
            }
            return out
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines.map { l -> String in
            let escaped = line(l)
            return escaped.isEmpty ? ">" : "> " + escaped
        }.joined(separator: "\n") + "\n"
    }

    @Test func sameBytesAsEscapingLineByLine() {
        let pieces =
            SafeMarkupTests.samples + [
                "\n", "\n", "\r\n", "\r", " ", "\t", "12", "3.", "4)", "이종열", "é",
                "👍🏽", "&", "<", "\n\n", "#", "-", "123456789012.", ""
            ]
        var rng = SplitMix(state: 14)
        for text in ["", "\n", "\n\n", "a", "a\n", "\r\n", "a\r\nb\n", " \n  \n"]
            + (0..<300).map({ _ in
                (0..<Int.random(in: 0..<12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            })
        {
            #expect(SafeMarkup.markdown(text) == Self.reference(text), "\(text.debugDescription)")
        }
    }
}

/// A small deterministic generator (reproducible random texts).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
