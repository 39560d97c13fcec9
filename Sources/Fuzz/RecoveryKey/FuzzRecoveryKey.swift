// libFuzzer entry point: recovery-key parsing and record, rule and export decoding must never crash.
import Foundation
import FuzzDriver
import SodiumKit
import VaultCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecoveryKey(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let s = try? SecureBytes(copying: bytes) { _ = try? RecoveryKey.decode(s) }
    let reference = (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]).flatMap { RecordMetadata(json: $0) }
    // The strict decoder list and search use accepts nothing the reference refuses, with the same
    // value (except around U+FEFF, which swift-corelibs' JSONSerialization drops in places).
    if let ours = bytes.withUnsafeBytes({ MetadataJSON.decode($0) }),
        !String(decoding: bytes, as: UTF8.self).unicodeScalars.contains("\u{FEFF}")
    {
        precondition(reference == ours, "MetadataJSON accepted what the reference decodes differently")
    }
    // Rule and export entries are decoded with JSONDecoder after authentication; fuzz that too.
    _ = try? JSONDecoder().decode(StoredRule.self, from: Data(bytes))
    _ = try? JSONDecoder().decode(ExportEntry.self, from: Data(bytes))
    _ = ObjectID.isPlausiblePrefix(String(decoding: bytes, as: UTF8.self))
    return 0
}

@_cdecl("fuzz_recovery_key_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        guard let data else { return 0 }
        return fuzzRecoveryKey(data, size)
    }
}
