import Foundation
import TestSupport
import Testing

@testable import Audit

/// The audit-log fuzz corpus (Tests/Fuzz/corpus/audit-log, the inputs of Sources/Fuzz/AuditLog) as
/// regression tests: the entry parser, the verifier and the checkpoint parser answer on any bytes,
/// and what they accept is what they would have written.
@Suite struct FuzzCorpusTests {
    @Test func auditLogCorpus() throws {
        let inputs = try FuzzCorpus.inputs("audit-log")
        try #require(!inputs.isEmpty)
        let vaultID = [UInt8](repeating: 1, count: 16), nobodysKey = [UInt8](repeating: 2, count: 32)
        for (name, bytes) in inputs {
            for line in bytes.split(separator: 0x0A) {
                // An entry has one spelling: what parses re-encodes to the same line.
                if let entry = AuditEntry.parse(line) { #expect(entry.line.dropLast().elementsEqual(line), "\(name)") }
            }
            let report = AuditVerifier.verify(log: bytes, vaultID: vaultID, publicKey: nobodysKey, state: nil)
            #expect(report.signedThrough == 0, "\(name): a signature verified under a key nobody holds")
            if let checkpoint = AuditCheckpoint.parse(String(decoding: bytes, as: UTF8.self)) {
                #expect(AuditCheckpoint.parse(checkpoint.text) == checkpoint, "\(name)")
            }
        }
        // The real log seed parses entry by entry.
        #expect(inputs.contains { $0.bytes.split(separator: 0x0A).allSatisfy { AuditEntry.parse($0) != nil } })
    }
}
