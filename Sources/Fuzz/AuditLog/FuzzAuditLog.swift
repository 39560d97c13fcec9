// libFuzzer entry point: the audit log parser and verifier must never crash on any bytes.
import Audit
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAuditLog(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for line in bytes.split(separator: 0x0A) { _ = AuditEntry.parse(line) }
    _ = AuditVerifier.verify(log: bytes, vaultID: [UInt8](repeating: 1, count: 16), publicKey: [UInt8](repeating: 2, count: 32), state: nil)
    _ = AuditCheckpoint.parse(String(decoding: bytes, as: UTF8.self))
    return 0
}

// SwiftPM links an executable's entry point as <module>_main; libFuzzer's driver is started from
// it with LLVMFuzzerRunDriver (so libFuzzer's own main is not needed).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("fuzz_audit_log_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var c = argc
    var v: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in
        guard let data else { return 0 }
        return fuzzAuditLog(data, size)
    }
}
