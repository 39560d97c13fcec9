import Foundation
import Testing

@testable import VaultCore

/// FactJSON.decode, the strict fact decoder (SECURITY.md §6.11) that reads facts for the guard:
/// whatever it accepts, JSONDecoder decodes to the same fact; whatever else it leaves to
/// JSONDecoder (nil), and the vault still reads it.
@Suite struct FactJSONTests {
    static func fast(_ bytes: [UInt8]) -> StoredFact? { bytes.withUnsafeBytes { FactJSON.decode($0) } }
    static func fast(_ text: String) -> StoredFact? { fast(Array(text.utf8)) }
    static func reference(_ text: String) -> StoredFact? { try? JSONDecoder().decode(StoredFact.self, from: Data(text.utf8)) }

    static let valid =
        #"{"created":"2026-12-07T10:00:00Z","kind":"PLACE","source":"0123456789abcdef","term":"Musan","variants":["무산","茂山"]}"#

    @Test func roundTripsTheVaultsEncoding() throws {
        let terms = [
            "34-year-old", "", "한국어 증언", "😀 🇰🇷 e\u{301} é 𝄞", "quote \" backslash \\ slash / end", "\u{0}\u{1}\u{1f}\u{7f}",
            "\u{8}\u{c}\n\r\t", "\u{2028}\u{2029}", "\u{feff}lead", "\u{10FFFF}\u{FFFD}", String(repeating: "회령 ", count: 60)
        ]
        for (n, term) in terms.enumerated() {
            for kind in FactKind.allCases {
                let fact = StoredFact(
                    source: "0123456789abcdef", kind: kind, term: term, variants: n % 2 == 0 ? [] : [term, "b"],
                    created: "2026-12-07T10:00:00Z")
                let sorted = try Vault.encodeJSON(fact)
                #expect(Self.fast(sorted) == fact, "\(term.debugDescription) \(kind)")
                for formatting: JSONEncoder.OutputFormatting in [[], [.prettyPrinted]] {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = formatting
                    #expect(Self.fast(Array(try encoder.encode(fact))) == fact, "\(term.debugDescription) \(formatting)")
                }
            }
        }
    }

    /// Accepted: the same fact as JSONDecoder's. Left to JSONDecoder (nil): anything off the one
    /// shape, whatever JSONDecoder makes of it.
    @Test func acceptsOnlyWhatJSONDecoderReadsAlike() {
        let accepted = [
            Self.valid, " \n" + Self.valid + "\t ",
            #"{ "variants" : [ ] , "term" : "a" , "source" : "s" , "kind" : "AGE" , "created" : "c" }"#,
            #"{"created":"c","kind":"OTHER","source":"s","term":"\u00e9\n\ud83d\ude00 \"x\"","variants":["\u0041"]}"#
        ]
        for json in accepted {
            #expect(Self.fast(json) != nil, "\(json)")
            #expect(Self.fast(json) == Self.reference(json), "\(json)")
        }
        let member = { (m: String) in "{" + m + "," + Self.valid.dropFirst() }
        let leftToJSONDecoder = [
            member(#""extra":1"#),  // unknown key (JSONDecoder ignores it)
            member(#""term":"x""#), member(#""variants":[]"#),  // duplicates
            #"{"created":"c","kind":"AGE","source":"s","\u0074erm":"t","variants":[]}"#,  // escaped key
            Self.valid.replacingOccurrences(of: "PLACE", with: "TOWN"),
            Self.valid.replacingOccurrences(of: #""PLACE""#, with: "1"),
            Self.valid.replacingOccurrences(of: #"["무산","茂山"]"#, with: #""무산""#),
            Self.valid.replacingOccurrences(of: #"["무산","茂山"]"#, with: #"["무산",1]"#),
            Self.valid.replacingOccurrences(of: #""Musan""#, with: "null"),
            Self.valid.replacingOccurrences(of: #","term":"Musan""#, with: ""),
            Self.valid + "x", Self.valid + "{}", String(Self.valid.dropLast()), "", "{}", "[]", "null"
        ]
        for json in leftToJSONDecoder { #expect(Self.fast(json) == nil, "\(json)") }
        #expect(Self.reference(member(#""extra":1"#)) != nil)  // so the vault still reads it
        var invalid = Array(Self.valid.utf8)
        invalid[invalid.firstIndex(of: UInt8(ascii: "M"))!] = 0xFF
        #expect(Self.fast(invalid) == nil)
    }

    /// A fact written in another valid shape (an unknown key: a later version's, or an independent
    /// implementation's) is read through JSONDecoder, as before.
    @Test func theVaultReadsOtherShapesThroughJSONDecoder() throws {
        let store = InMemoryVaultStore()
        let v = try Vault.create(in: store, directory: "/nonexistent", passphrase: try secret("pw"), profile: .test).0
        let source = try v.addSource(alias: "Magpie")
        let id = try v.addFact(sourceAlias: "Magpie", kind: .age, term: "34")
        let json = #"{"created":"c","kind":"WORK","note":"later","source":"\#(source.id)","term":"mine canteen","variants":[]}"#
        #expect(Self.fast(json) == nil)
        let row = SealedItemRow(id: id, sealed: try v.keyring.seal(.fact, Array(json.utf8), id: id))
        store.items[.fact] = [row]
        let facts = try v.facts()
        #expect(facts.count == 1 && facts[0].id == id && facts[0].fact.term == "mine canteen" && facts[0].fact.kind == .work)
    }
}
