import Foundation
import SodiumKit
import TestSupport
import Testing

@_spi(Fuzzing) @testable import VaultCore

/// VaultCore's fuzz corpora (Tests/Fuzz/corpus/{recovery-key,folding,vault-file}, the inputs of
/// Sources/Fuzz/{RecoveryKey,Folding,VaultFile}) as regression tests, each checking what its fuzz
/// target checks.
@Suite struct FuzzCorpusTests {
    /// Recovery keys decode to 32 bytes that print back to the same key, or are refused as malformed;
    /// the strict metadata decoder accepts nothing the JSONSerialization reference decodes differently;
    /// rule and export entries decode or not, without crashing.
    @Test func recoveryKeyCorpus() throws {
        let inputs = try FuzzCorpus.inputs("recovery-key")
        try #require(!inputs.isEmpty)
        var keys = 0, metadata = 0
        for (name, bytes) in inputs {
            if let typed = try? SecureBytes(copying: bytes) {
                do {
                    let key = try RecoveryKey.decode(typed)
                    let raw = key.withUnsafeBytes { Array($0) }
                    #expect(raw.count == 32, "\(name)")
                    let printed = try RecoveryKey.encode(key)
                    let again = try RecoveryKey.decode(try SecureBytes(copying: Array(printed.utf8)))
                    #expect(again.withUnsafeBytes { Array($0) } == raw, "\(name): the printed key decodes differently")
                    keys += 1
                } catch VaultError.recoveryKeyMalformed(_) {
                    // Refused as a mistyped key: what the CLI reports.
                } catch {
                    Issue.record("\(name): \(error)")
                }
            }
            let reference = (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
                .flatMap { RecordMetadata(json: $0) }
            // (swift-corelibs' JSONSerialization drops U+FEFF in places, so those inputs are not compared.)
            if let ours = bytes.withUnsafeBytes({ MetadataJSON.decode($0) }),
                !String(decoding: bytes, as: UTF8.self).unicodeScalars.contains("\u{FEFF}")
            {
                #expect(ours == reference, "\(name): MetadataJSON accepted what the reference decodes differently")
                metadata += 1
            }
            _ = try? JSONDecoder().decode(StoredRule.self, from: Data(bytes))
            _ = try? JSONDecoder().decode(ExportEntry.self, from: Data(bytes))
            _ = ObjectID.isPlausiblePrefix(String(decoding: bytes, as: UTF8.self))
        }
        // Both differential checks ran on at least one seed.
        #expect(keys > 0 && metadata > 0, "keys \(keys), metadata \(metadata)")
    }

    /// Search folding (Swift paths and the SSE2 block scan, with and without the cache) refuses
    /// exactly what is not UTF-8 and otherwise gives what the reference folding gives.
    @Test func foldingCorpus() throws {
        let inputs = try FuzzCorpus.inputs("folding")
        try #require(!inputs.isEmpty)
        for (name, bytes) in inputs {
            let expected = String(validating: bytes, as: UTF8.self).map { FoldingProbe.reference($0) }
            for cached in [false, true] {
                #expect(
                    bytes.withUnsafeBytes { FoldingProbe.fold($0, cache: cached) } == expected,
                    "\(name): folding disagrees with the reference (cache: \(cached))")
            }
        }
    }

    /// Any file as a vault's database: opening it either gives a VaultError or a store whose reads
    /// answer, and unlocking agrees: it refuses what opening refused, with the same error, and what
    /// opened does not fail at the opening stage; a vault it unlocks has the header's id.
    @Test func vaultFileCorpus() throws {
        let inputs = try FuzzCorpus.inputs("vault-file")
        try #require(!inputs.isEmpty)
        for (name, bytes) in inputs {
            let tmp = TempDirectory("corpus")
            defer { withExtendedLifetime(tmp) {} }
            try FileManager.default.createDirectory(atPath: tmp.vault, withIntermediateDirectories: false)
            try Data(bytes).write(to: URL(fileURLWithPath: Vault.databasePath(in: tmp.vault)))
            var header: VaultHeader?, refused: VaultError?
            do throws(VaultError) {
                let (store, h) = try Vault.openStore(tmp.vault)
                header = h
                _ = try? store.keySlot(.passphrase)
                _ = try? store.keySlot(.recovery)
                _ = try? store.auditState()
                _ = try? store.allItems(.source)
                _ = try? store.record(String(repeating: "0", count: 16))
            } catch {
                refused = error
            }
            let pass = try secret("pw")
            do throws(VaultError) {
                let v = try Vault.unlock(directory: tmp.vault, passphrase: pass)
                #expect(refused == nil, "\(name): unlocked what opening refused (\(String(describing: refused)))")
                #expect(v.vaultID == header?.vaultID, "\(name)")
            } catch {
                if let refused {
                    #expect(error == refused, "\(name): opening refused with \(refused), unlocking with \(error)")
                } else {
                    switch error {
                    case .vaultNotFound, .notAVault, .unsupportedFormatVersion:
                        Issue.record("\(name): opened, then unlocking refused to open it: \(error)")
                    default: break
                    }
                }
            }
        }
    }
}
