import Foundation
import TestSupport
import Testing

@testable import Redaction

/// The redaction fuzz corpus (Tests/Fuzz/corpus/redaction, the inputs of Sources/Fuzz/Redaction) as
/// regression tests, with the fuzz target's rules and property: redacting is idempotent and no
/// rule's term survives it (the leak check finds no exact match in the output).
@Suite struct FuzzCorpusTests {
    static let rules: [RedactionRule] = [
        .term("r1", "Jong-yol", variants: ["이종열", "李钟烈"]), .term("r2", "Hoeryŏng", label: .place),
        .term("r3", "Kim"), .detector("r4", .phone), .detector("r5", .date), .detector("r6", .email)
    ]

    @Test func redactionCorpus() throws {
        let redactor = try Redactor(rules: Self.rules)
        let checker = try LeakChecker(rules: Self.rules)
        let inputs = try FuzzCorpus.inputs("redaction")
        try #require(!inputs.isEmpty)
        for (name, bytes) in inputs {
            let text = String(decoding: bytes, as: UTF8.self)
            let once = redactor.redact(text)
            #expect(redactor.redact(once.text).text == once.text, "\(name): redaction is not idempotent")
            #expect(
                checker.check(once.text).allSatisfy { $0.kind != .exact },
                "\(name): a rule term survived redaction")
            _ = suggest(text, rules: Self.rules)
        }
        // The seeds hold the rules' terms: the leak check sees them before redaction, so its silence after
        // redaction means something.
        #expect(
            inputs.contains { input in
                checker.check(String(decoding: input.bytes, as: UTF8.self)).contains { $0.kind == .exact }
            })
    }
}
