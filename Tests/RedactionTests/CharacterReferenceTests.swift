import Foundation
import Testing

@testable import Redaction

/// HTML character references, read as a browser reads them (issue 14, item 1): the complete
/// WHATWG table of named references, numeric references of any length.
@Suite struct CharacterReferenceTests {
    @Test func referencesDecodeAsInABrowser() throws {
        func decode(_ s: String) -> String? {
            HTMLEntities.reference(Array(s.utf8), at: 0).map { r in
                String(String.UnicodeScalarView(r.scalars.compactMap(Unicode.Scalar.init)))
            }
        }
        #expect(decode("&ocy;") == "о")
        #expect(decode("&NotEqualTilde;") == "\u{2242}\u{338}")
        #expect(decode("&notit;") == "¬")  // legacy name without ';', longest match
        #expect(decode("&notin;") == "∉")
        #expect(decode("&#0000000000000000000111;") == "o")
        #expect(decode("&#99999999999999999999999;") == "\u{FFFD}")  // overlong: the replacement
        #expect(decode("&#0;") == "\u{FFFD}")
        #expect(decode("&#xD800;") == "\u{FFFD}")
        #expect(decode("&#x80;") == "€")
        #expect(decode("&#;") == nil && decode("&#x;") == nil && decode("&zzz;") == nil && decode("& ") == nil)
    }

    /// The committed table is the whole WHATWG table, as Python's standard library has it.
    @Test func entityTableIsComplete() throws {
        #expect(HTMLEntities.named.count == HTMLEntityData.count)
        #expect(HTMLEntityData.count >= 2231)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = [
            "python3", "-c",
            "import html.entities, json, sys; json.dump(html.entities.html5, sys.stdout)"
        ]
        let pipe = Pipe()
        python.standardOutput = pipe
        do { try python.run() } catch { Issue.record("python3 is needed to compare the table: \(error)"); return }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        python.waitUntilExit()
        let reference = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        #expect(reference.count == HTMLEntities.named.count)
        for (name, value) in reference {
            #expect(HTMLEntities.named[Array(name.utf8)] == value.unicodeScalars.map(\.value), "\(name)")
        }
    }

    @Test func redactorReadsEveryNamedReference() throws {
        // The redactor's folding uses the same table: these are hidden, not just refused.
        let rules: [RedactionRule] = [.term("p1", "Jongyol"), .term("p2", "Kim")]
        #expect(try redact("K&iacute;m and J&ograve;ngyol", rules) == "[PERSON-1] and [PERSON-2]")
        #expect(try redact("J&#000000000000111;ngyol", rules) == "[PERSON-1]")
    }
}
