// libFuzzer entry point: recovery-key parsing and record, rule and export decoding must never crash.
import Foundation
import SodiumKit
import VaultCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecoveryKey(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let s = try? SecureBytes(copying: bytes) { _ = try? RecoveryKey.decode(s) }
    if let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] { _ = RecordMetadata(json: obj) }
    // Rule and export entries are decoded with JSONDecoder after authentication; fuzz that too.
    _ = try? JSONDecoder().decode(StoredRule.self, from: Data(bytes))
    _ = try? JSONDecoder().decode(ExportEntry.self, from: Data(bytes))
    _ = ObjectID.isPlausiblePrefix(String(decoding: bytes, as: UTF8.self))
    return 0
}

// SwiftPM links an executable's entry point as <module>_main; libFuzzer's driver is started from
// it with LLVMFuzzerRunDriver (so libFuzzer's own main is not needed).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("fuzz_recovery_key_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var c = argc
    var v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in
        guard let data else { return 0 }
        return fuzzRecoveryKey(data, size)
    }
}
