import Foundation
import Testing

@testable import Redaction

/// Emoji and symbols are word boundaries for Latin forms (issue 15, item 2): flags (regional-indicator
/// pairs), keycaps, ZWJ sequences, variation selectors, skin tones, letter-like symbols, at both edges.
@Suite struct BoundaryTests {
    static let rules: [RedactionRule] = [.term("s", "Sambong", label: .place), .term("k", "Kim")]

    static let edges: [String] = [
        "🇨🇳", "🇰🇵", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",  // flags: regional indicators, a tag sequence
        "1️⃣", "#️⃣", "🔟",  // keycaps
        "👨‍👩‍👧", "🏳️‍🌈", "👩🏽‍🚀",  // ZWJ sequences, a skin tone
        "‼️", "❤️", "✔︎", "☎️",  // variation selectors 16 and 15
        "🔥", "👍🏻", "™", "©", "®", "ℹ️", "Ⓜ️", "🅿️", "🆗", "℡", "№", "℃", "✈"
    ]

    @Test(arguments: edges)
    func emojiIsABoundaryOnTheRight(_ e: String) throws {
        let out = try redact("at Sambong\(e) today", Self.rules)
        #expect(out == "at [PLACE-1]\(e) today")
        #expect(try LeakChecker(rules: Self.rules).check(out).isEmpty)
    }

    @Test(arguments: edges)
    func emojiIsABoundaryOnTheLeft(_ e: String) throws {
        let out = try redact("at \(e)Sambong today", Self.rules)
        #expect(out == "at \(e)[PLACE-1] today")
        #expect(try LeakChecker(rules: Self.rules).check(out).isEmpty)
    }

    @Test(arguments: edges)
    func emojiOnBothSides(_ e: String) throws {
        #expect(try redact("\(e)Kim\(e)", Self.rules) == "\(e)[PERSON-1]\(e)")
    }

    @Test func lettersSpelledInSymbolsStillMatch() throws {
        // Regional indicators and enclosed letters spell a name; they are boundaries only against
        // letters and digits written as such.
        #expect(try redact("🇰🇮🇲 said", Self.rules) == "[PERSON-1] said")
        #expect(try redact("Ⓚⓘⓜ said", Self.rules) == "[PERSON-1] said")
        #expect(try redact("🅚🅘🅜 said", Self.rules) == "[PERSON-1] said")
        #expect(try redact("K\u{FE0F}im said", Self.rules) == "[PERSON-1] said")
    }

    @Test func symbolLettersAreTheirOwnClass() {
        var folder = Folder(mode: .standard)
        let f = folder.fold("a🇰™ⓚ1")
        #expect(f.unitClass(0) == .letter)
        #expect((1..<f.count).filter { f.unitClass($0) == .symbol }.count == 4)  // k, t, m, k
        #expect(f.unitClass(f.count - 1) == .digit)
    }

    @Test func overRedactionUnchanged() throws {
        #expect(try redact("Kimbap🇰🇷 and Sambongs🔥", Self.rules) == "Kimbap🇰🇷 and [PLACE-1]🔥")
    }
}
