import Foundation
import Testing

/// Issue 15 through the built binary: for every class of "the same name" (phone groupings, emoji edges,
/// look-alike letters, McCune–Reischauer spellings, jamo and stretchers, variant order, North/South
/// Korean spelling), `redact` hides every form and `export` succeeds without `--accept`; what only
/// resembles a rule stays.
@Suite struct MatchingCLITests {
    struct Scenario: CustomTestStringConvertible, Sendable {
        let name: String
        /// Arguments after `rule add`, one rule each.
        let rules: [[String]]
        let body: String
        /// Strings that must not be in the export nor in the preview.
        let hidden: [String]
        /// Strings that must stay in the export.
        var kept: [String] = []
        var testDescription: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(
            name: "phone numbers in any grouping",
            rules: [["+86 159 2271 0634", "--label", "PHONE"], ["010-7720-3158"]],
            body: """
                He wrote 159-2271-0634, later 15922710634 and 0086 159 2271 0634.
                On the receipt: 159.2271.0634; in the OCR: １５９ ２２７１ ０６３４; (+86) 159\u{2009}2271\u{2009}0634.
                Her brother: +82-10-7720-3158, or (010) 7720-3158, or 010 7720
                3158.
                """,
            hidden: ["2271", "0634", "7720", "3158", "２２７１"], kept: ["He wrote", "Her brother"]),
        Scenario(
            name: "phone detector with the same groupings",
            rules: [["--detector", "phone"]],
            body: "Call 0086 159 2271 0634, (+82) 10 7720 3158 or 1 3 8 0 0 1 3 8 0 0 0.\n",
            hidden: ["2271", "7720", "0 0 1 3"], kept: ["Call"]),
        Scenario(
            name: "emoji and symbols at both edges",
            rules: [["Sambong", "--label", "PLACE"]],
            body: "Sambong🇨🇳 and 🇰🇵Sambong, Sambong‼️, 1️⃣Sambong, Sambong👨‍👩‍👧, Sambong™.\n",
            hidden: ["Sambong", "ambong"], kept: ["🇨🇳", "🇰🇵", "‼️", "1️⃣", "👨‍👩‍👧", "™"]),
        Scenario(
            name: "look-alike letters from Unicode's confusables",
            rules: [["Ri Jong-yol", "--variant", "Jong-yol"]],
            body: "ꓙꓳꓠꓖ-ꓬꓳꓡ, ᎫᎾNG-YOL, Jоng-yоl, ΚΙΜ-free, 𝐉𝐨𝐧𝐠-𝐲𝐨𝐥 and Ϳong-yol.\n",
            hidden: ["ꓙꓳꓠꓖ", "ᎫᎾNG", "Jоng", "𝐉𝐨𝐧𝐠", "Ϳong"], kept: ["ΚΙΜ-free"]),
        Scenario(
            name: "McCune-Reischauer apostrophes, breves and carons",
            rules: [["Kŭmch'ŏn-ri", "--label", "PLACE"]],
            body: "From Kŭmchʼŏn-ri, Kŭmch’ŏn-ri, Kǔmch‘ǒn-ri, Ku˘mch'o˘n-ri, Kumch`on ri and "
                + "KŬMCHʻŎN-RI.\n",
            hidden: ["mch", "MCH"], kept: ["From"]),
        Scenario(
            name: "compatibility jamo and stretchers",
            rules: [["이종열", "--variant", "Jong-yol"]],
            body: "ㅇㅣㅈㅗㅇㅇㅕㄹ은 \u{FFB7}\u{FFDC}\u{FFB8}\u{FFCC}\u{FFB7}\u{FFB7}\u{FFCA}\u{FFA9}과 "
                + "Jongـyol, Jong\u{2060}yol.\n",
            hidden: ["ㅈㅗㅇ", "\u{FFB8}", "Jong", "yol"], kept: ["은 "]),
        Scenario(
            name: "variants are a set",
            rules: [["Kim Hye-jin", "--variant", "김혜진", "--variant", "Hyejin", "--variant", "Hye-jin"]],
            body: "Hye jin said so; HYE JIN, Hye-jin and 김혜진 too.\n",
            hidden: ["Hye", "HYE", "혜진"], kept: ["said so"]),
        Scenario(
            name: "North and South Korean spellings",
            rules: [["리종열"], ["로동신문", "--label", "ORG"], ["류경", "--label", "PLACE"]],
            body: "이종열은 노동신문 기자였다. 리종열 동무는 유경호텔에 있었다.\n",
            hidden: ["종열", "동신문", "유경", "류경"], kept: ["기자였다", "호텔"]),
        Scenario(
            name: "what only resembles a rule stays",
            rules: [["Kim"], ["34", "--label", "AGE"], ["Ri Jong-yol"], ["+86 159 2271 0634", "--label", "PHONE"]],
            body: "Kimbap, 2034, Ri Jong-su, order 215922710634 — but Kim, 34 and Ri Jong-yol go.\n",
            hidden: ["Kim,", " 34 ", "Jong-yol"], kept: ["Kimbap", "2034", "Ri Jong-su", "215922710634"]),
        Scenario(
            name: "a short name stays a word",
            rules: [["Ri"]],
            body: "Riverside, Rio and Riga stay; Ri went.\n",
            hidden: ["Ri went"], kept: ["Riverside", "Rio", "Riga"])
    ]

    @Test(arguments: scenarios)
    func redactHidesItAndExportSucceeds(_ s: Scenario) throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(source: "Magpie", title: "T", body: s.body)
        for rule in s.rules {
            let r = c.run(["rule", "add"] + rule + pw)
            #expect(r.status == 0, "rule add: \(r.stderr)")
        }
        let preview = c.run(["redact", id] + pw)
        #expect(preview.status == 0, "\(preview.stderr)")
        #expect(preview.stdout.contains("leak check: clean"), "\(preview.stdout)")
        let out = c.root + "/excerpt.txt"
        let export = c.run(["export", id, "--out", out] + pw)
        #expect(export.status == 0, "export refused without --accept: \(export.stderr)")
        let text = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: out))) ?? Data(), as: UTF8.self)
        #expect(!text.isEmpty)
        for h in s.hidden {
            #expect(!text.contains(h), "\(h.debugDescription) in the export: \(text)")
            #expect(!preview.stdout.contains(h), "\(h.debugDescription) in the preview")
        }
        for k in s.kept { #expect(text.contains(k), "\(k.debugDescription) lost: \(text)") }
    }

    @Test func suggestProposesTheOtherKoreanSpelling() throws {
        let c = CLI()
        try c.initVault()
        try c.addSource("Magpie")
        let id = try c.add(source: "Magpie", title: "T", body: "그날\n리종열은 강을 건넜다.\n")
        #expect(c.run(["rule", "add", "리종열"] + pw).status == 0)
        let r = c.run(["suggest", id] + pw)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("line 2  otherSpelling  PERSON  이종열"), "\(r.stdout)")
    }
}
