import Foundation
import Redaction
import SodiumKit
import Testing
import VaultCore

@testable import Publishing

/// Issue 14 item 4: the same rule is the same placeholder in every excerpt of every record, and
/// the same detected value is the same placeholder too.
@Suite struct PlaceholderTests {
    @Test func aRuleKeepsItsNumberAcrossExcerptsAndRecords() throws {
        let f = try Fixture(rules: [
            StoredRule(kind: .term, value: "Old Kim", label: "PERSON"),  // PERSON-1, added first
            StoredRule(kind: .term, value: "Ri Jong-yol", variants: ["이종열"], label: "PERSON"),
            StoredRule(kind: .detector, value: "phone", label: "PHONE")
        ])
        let whole = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .whole).text
        let tail = try Exporter.prepare(vault: f.vault, id: f.recordID, selection: .lines(4, 5)).text
        // In the whole record Ri Jong-yol comes first, but keeps the number of his rule.
        #expect(whole.hasPrefix("[PERSON-2] crossed"), "\(whole)")
        #expect(whole.contains("met [PERSON-1] at"))
        #expect(tail.contains("[PERSON-2]은"), "\(tail)")
        let phone = try #require(whole.firstMatch(of: /\[PHONE-[A-Z]{8}\]/)).output
        #expect(tail.contains(phone))
        // Another record: the same rules and the same number give the same placeholders.
        let other = try f.vault.addRecord(
            NewRecord(
                sourceAlias: "Magpie", title: "U",
                body: "Call +86 138 0013 8000. Old Kim waited."))
        let text = try Exporter.prepare(vault: f.vault, id: other, selection: .whole).text
        #expect(text == "Call \(phone). [PERSON-1] waited.", "\(text)")
        // A different number gets a different name.
        let third = try f.vault.addRecord(NewRecord(sourceAlias: "Magpie", title: "V", body: "Call +86 138 0013 9999."))
        #expect(!(try Exporter.prepare(vault: f.vault, id: third, selection: .whole).text.contains(phone)))
    }

    @Test func numbersArePerLabelAndNeverReused() throws {
        let f = try Fixture(rules: [StoredRule(kind: .term, value: "Hoeryŏng", label: "PLACE")])
        let kim = try f.vault.addRule(StoredRule(kind: .term, value: "Old Kim", label: "PERSON"))
        let numbers = try f.vault.listRules().map { ($0.rule.label, $0.rule.number) }
        #expect(numbers.contains { $0 == ("PLACE", 1) } && numbers.contains { $0 == ("PERSON", 1) })
        _ = try f.vault.removeRule(kim)
        _ = try f.vault.addRule(StoredRule(kind: .term, value: "Ri Jong-yol", label: "PERSON"))
        // A deleted rule's number is never given to another rule: excerpts already published
        // with [PERSON-1] meant Old Kim.
        #expect(try f.vault.listRules().first { $0.rule.value == "Ri Jong-yol" }?.rule.number == 2)
        _ = try f.vault.addRule(StoredRule(kind: .term, value: "Pak", label: "PERSON"))
        #expect(try f.vault.listRules().first { $0.rule.value == "Pak" }?.rule.number == 3)
    }
}
