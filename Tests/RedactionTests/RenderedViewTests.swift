import Foundation
import Testing

@testable import Redaction

/// The leak check reads the text as an HTML renderer shows it (issue 14, item 1).
@Suite struct RenderedViewTests {
    static let rules: [RedactionRule] = [
        .term("p1", "Jong-yol", variants: ["이종열"]),
        .term("pl", "Hoeryang", label: .place),
        .detector("ph", .phone)
    ]

    struct Trick: CustomTestStringConvertible, Sendable {
        let text: String
        let why: String
        var testDescription: String { why }
    }

    static let tricks: [Trick] = [
        Trick(text: "Jo<!--\nx\n-->ngyol", why: "comment across lines"),
        Trick(text: "Jo<!-- " + String(repeating: "x ", count: 500) + "-->ngyol", why: "a 1000-character comment"),
        Trick(text: "Jo<!-- a --!>ngyol", why: "comment closed by --!>"),
        Trick(text: "Jo<span\nclass=\"x\">ngyol</span>", why: "tag with a line break"),
        Trick(
            text: "Jo<span title=\"" + String(repeating: "x", count: 300) + "\">ngyol</span>",
            why: "tag over 256 characters"),
        Trick(text: "Jo<span title=\"a>b\">ngyol</span>", why: "'>' inside a quoted attribute"),
        Trick(text: "Jo<script>x</script>ngyol", why: "script contents are not shown"),
        Trick(text: "Jo<style>p{}</style>ngyol", why: "style contents are not shown"),
        Trick(text: "Jo<span hidden>x</span>ngyol", why: "hidden element"),
        Trick(text: "Jo<span style=\"display:none\">x</span>ngyol", why: "element hidden by style"),
        Trick(text: "Jo<?x?>ngyol and J<!DOCTYPE x>ongyol", why: "processing instruction, doctype"),
        Trick(text: "J&ocy;ngyol", why: "HTML5 named reference for a Cyrillic o"),
        Trick(text: "&Jopf;&oopf;&nopf;&gopf;&yopf;&oopf;&lopf;", why: "double-struck letters by name"),
        Trick(text: "J&#0000000000000111;ngyol", why: "numeric reference with 16 digits"),
        Trick(text: "J&#x000000000006F;ngyol", why: "hex reference with leading zeros"),
        Trick(text: "J&#111ngyol", why: "numeric reference without ';'"),
        Trick(text: "Jo&shy;ngyol", why: "soft hyphen by name"),
        Trick(text: "J&#x043E;ngyol", why: "Cyrillic o by number"),
        Trick(text: "J&oacute;ngyol", why: "accented letter by name"),
        Trick(text: "Jo[](https://example.com)ngyol", why: "markdown link with empty text"),
        Trick(text: "&#51060;&#51333;<b></b>&#50676;", why: "Hangul references around a tag"),
        Trick(text: "call 010&#45;1234&#45;5678", why: "a phone number's dashes as references")
    ]

    /// The checker alone, on the trick as written: found, on its line, and never a near miss.
    @Test(arguments: tricks)
    func trickIsFoundAndNeverAcceptable(_ t: Trick) throws {
        let leaks = try LeakChecker(rules: Self.rules).check("Line one.\n" + t.text + "\n")
        #expect(!leaks.isEmpty, "\(t.why)")
        #expect(leaks.allSatisfy { !$0.kind.isNearMiss }, "\(t.why): \(leaks)")
        #expect(leaks.allSatisfy { $0.line == 2 }, "\(t.why): \(leaks)")
    }

    /// After redaction each trick is either hidden (the redactor reads the reference) or refused.
    @Test(arguments: tricks)
    func trickIsHiddenOrRefused(_ t: Trick) throws {
        let out = try Redactor(rules: Self.rules).redact("Line one.\n" + t.text + "\n").text
        let leaks = try LeakChecker(rules: Self.rules).check(out)
        if leaks.isEmpty {
            #expect(out.contains("[PERSON-1]") || out.contains("[PHONE-1]"), "\(t.why): \(out)")
        } else {
            #expect(leaks.allSatisfy { !$0.kind.isNearMiss }, "\(t.why): \(leaks)")
        }
    }

    @Test func ordinaryMarkupAndAmpersandsAreNotLeaks() throws {
        let checker = try LeakChecker(rules: Self.rules)
        for text in [
            "Q&A: 3 < 4 && 5 > 2, <3", "<b>bold</b> &amp; &copy; 2024 &#65;", "a [note](url) here",
            "<!-- never closed\nJong"
        ] {
            #expect(checker.check(text).isEmpty, "\(text)")
        }
        // A near miss as written stays a near miss (acceptable) when the text also has markup.
        let near = checker.check("From Hoeryŏng &amp; <b>beyond</b>")
        #expect(near.count == 1 && near[0].kind == .editDistance1, "\(near)")
    }

    /// Every byte of a view maps back to the byte of the text it comes from (a reference's bytes
    /// to where the reference starts), across many blocks of runs (a run every few bytes).
    @Test func everyViewByteMapsToItsOrigin() {
        let line = "a<b>bc</b>&amp;d&#x1D54F;e [x](y) &notin;f\n"
        let text = Array(String(repeating: line, count: 40_000).utf8)
        var view = TextView(kind: .rendered)
        var want: [Int] = []
        var i = 0
        let n = text.count
        while i < n {
            if text[i] == 0x3C, let t = RenderedView.markup(text, at: i) {
                i = t.end
            } else if text[i] == 0x26, let r = HTMLEntities.reference(text, at: i) {
                for s in r.scalars {
                    view.append(scalar: s, from: i)
                    want += Array(repeating: i, count: String(Unicode.Scalar(s)!).utf8.count)
                }
                i = r.end
            } else {
                view.append(text[i], from: i)
                want.append(i)
                i += 1
            }
        }
        #expect(want.count > 4 * TextView.blockSize)
        let got = (0..<want.count).map { view.origin($0) }
        #expect(got == want)
    }

    @Test func viewsTakeLinearTime() throws {
        // Unclosed markup of every kind, repeated: each must be read once (a quadratic scan of
        // 200,000 openers would not finish in a test run).
        let checker = try LeakChecker(rules: Self.rules)
        for unit in ["<a ", "<!--", "&#", "&amp", "](", "<script>", "\u{202E}x"] {
            let text = String(repeating: unit, count: 200_000 / unit.utf8.count)
            _ = checker.check(text)
        }
    }
}

/// Display safety (issue 14, item 2).
@Suite struct DisplaySafetyTests {
    static let rules: [RedactionRule] = [.term("p1", "Ri Jong-yol", variants: ["이종열", "Jong-yol"])]

    @Test(arguments: [
        "\u{202E}loy-gnoJ iR\u{202C}", "\u{202E}열종이", "Ri \u{202E}loy-gnoJ", "say \u{2067}loy-gnoJ\u{2069} now",
        "\u{202B}loy-gnoJ\u{202C}",
        // After other characters of the same lead byte (dashes, quotes, ellipses: E2 80 xx), the
        // first control found by the byte search is not the only one looked at.
        "— “…” \u{2014}\u{202E}loy-gnoJ iR", "“quoted” " + String(repeating: "x", count: 70_000) + " \u{202E}loy-gnoJ iR"
    ])
    func rightToLeftRunsAreReadInDisplayOrder(_ text: String) throws {
        let leaks = try LeakChecker(rules: Self.rules).check("first line\n" + text)
        #expect(leaks.contains { $0.kind == .reversed && $0.line == 2 }, "\(leaks)")
        #expect(leaks.allSatisfy { !$0.kind.isNearMiss })
    }

    @Test func reversedTextWithoutControlsIsNotALeak() throws {
        let checker = try LeakChecker(rules: Self.rules)
        #expect(checker.check("loy-gnoJ iR wrote backwards").isEmpty)
        // A closed override does not reach past its PDF, nor past the end of the line.
        #expect(checker.check("\u{202E}ab\u{202C} Jong\nyol").allSatisfy { $0.kind != .reversed })
    }

    @Test func invisibleFormattingIsRemoved() {
        let controls =
            "\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}"
            + "\u{200E}\u{200F}\u{061C}"
        let invisible = "\u{200B}\u{200C}\u{2060}\u{FEFF}\u{00AD}\u{2062}\u{E0041}\u{3164}\u{180E}\u{FE00}"
        let (text, removed) = DisplaySafety.removingInvisibleFormatting("a" + controls + "b" + invisible + "c")
        #expect(text == "abc")
        #expect(removed == controls.unicodeScalars.count + invisible.unicodeScalars.count)
        // Emoji sequences keep their joiner and presentation selector; quotes and dashes are untouched.
        let emoji = "family 👩\u{200D}👩\u{200D}👧, heart ❤\u{FE0F}, “quoted” — dash"
        #expect(DisplaySafety.removingInvisibleFormatting(emoji) == (emoji, 0))
        // A joiner between letters is not an emoji joiner.
        #expect(DisplaySafety.removingInvisibleFormatting("Jo\u{200D}ng").text == "Jong")
        #expect(DisplaySafety.removingInvisibleFormatting("plain text") == ("plain text", 0))
        // After and between ASCII runs of every length (read eight bytes at a time), at the start
        // and at the end: each removed, nothing else.
        for run in 0..<20 {
            let ascii = String(repeating: "x", count: run)
            let dirty = "\u{202E}" + ascii + "\u{200B}가" + ascii + "\u{2066}" + ascii + "\u{FEFF}"
            #expect(DisplaySafety.removingInvisibleFormatting(dirty) == (ascii + "가" + ascii + ascii, 4), "run \(run)")
        }
    }
}

/// Leak-check reasons are plain words, never internal names (issue 14, item 3).
@Suite struct LeakReasonTests {
    @Test func everyKindExplainsItselfInPlainWords() {
        let kinds: [Leak.Kind] = [
            .exact, .separatorsRemoved, .rendered, .reversed, .confusableSkeleton, .insideToken,
            .editDistance1
        ]
        for k in kinds {
            for code in kinds.map(\.rawValue) where code.count > 5 { #expect(!k.explanation.contains(code), "\(k)") }
            #expect(k.explanation.hasPrefix("a ") || k.explanation.hasPrefix("the "), "\(k)")
        }
        let spaces = "the letters of a protected name with the spaces removed"
        #expect(Leak.Kind.separatorsRemoved.explanation.contains(spaces))
        #expect(Leak.Kind.confusableSkeleton.explanation.contains("a look-alike spelling"))
    }
}
