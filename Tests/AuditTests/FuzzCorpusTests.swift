import Foundation
import Testing
import Redaction
import SodiumKit
@_spi(Fuzzing) import VaultCore
@testable import Audit

/// Every input in the fuzz corpora (Tests/Fuzz/corpus: seeds, and any crash found by `make fuzz`
/// once added) runs through the same entry points in the ordinary test suite, as regression tests.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    static func inputs(_ name: String) -> [[UInt8]] {
        let dir = corpus.appendingPathComponent(name).path
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().compactMap {
            FileManager.default.contents(atPath: dir + "/" + $0).map(Array.init)
        }
    }

    @Test func auditLogCorpus() {
        let inputs = Self.inputs("audit-log")
        #expect(!inputs.isEmpty)
        for bytes in inputs {
            for line in bytes.split(separator: 0x0A) { _ = AuditEntry.parse(line) }
            _ = AuditVerifier.verify(log: bytes, vaultID: [UInt8](repeating: 1, count: 16), publicKey: [UInt8](repeating: 2, count: 32), state: nil)
        }
        // The real log seed parses entry by entry.
        #expect(inputs.contains { $0.split(separator: 0x0A).allSatisfy { AuditEntry.parse($0) != nil } })
    }

    @Test func redactionCorpus() throws {
        let rules: [RedactionRule] = [.term("r1", "Jong-yol", variants: ["이종열", "李钟烈"]), .term("r2", "Hoeryŏng", label: .place),
                                      .term("r3", "Kim"), .detector("r4", .phone), .detector("r5", .date), .detector("r6", .email)]
        let redactor = try Redactor(rules: rules)
        let checker = try LeakChecker(rules: rules)
        for bytes in Self.inputs("redaction") {
            let once = redactor.redact(String(decoding: bytes, as: UTF8.self))
            #expect(redactor.redact(once.text).text == once.text)
            #expect(checker.check(once.text).allSatisfy { $0.kind != .exact })
        }
    }

    @Test func recoveryKeyAndMetadataCorpus() throws {
        for bytes in Self.inputs("recovery-key") {
            _ = try? RecoveryKey.decode(try SecureBytes(copying: bytes))
            if let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] { _ = RecordMetadata(json: obj) }
            _ = bytes.withUnsafeBytes { MetadataJSON.decode($0) }
            _ = try? JSONDecoder().decode(StoredRule.self, from: Data(bytes))
        }
    }

    @Test func foldingCorpus() throws {
        let inputs = Self.inputs("folding")
        #expect(!inputs.isEmpty)
        for bytes in inputs {
            let expected = String(validating: bytes, as: UTF8.self).map { FoldingProbe.reference($0) }
            #expect(bytes.withUnsafeBytes { FoldingProbe.fold($0, cache: false) } == expected)
            #expect(bytes.withUnsafeBytes { FoldingProbe.fold($0, cache: true) } == expected)
        }
    }

    @Test func vaultFileCorpus() throws {
        for bytes in Self.inputs("vault-file") {
            let dir = NSTemporaryDirectory() + "sv-corpus-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            FileManager.default.createFile(atPath: Vault.databasePath(in: dir), contents: Data(bytes))
            if let pass = try? SecureBytes(copying: Array("pw".utf8)) { _ = try? Vault.unlock(directory: dir, passphrase: pass) }
        }
    }
}
