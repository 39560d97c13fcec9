// libFuzzer entry point: the audit log parser and verifier must never crash on any bytes.
import Audit
import Foundation
import FuzzDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAuditLog(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for line in bytes.split(separator: 0x0A) { _ = AuditEntry.parse(line) }
    _ = AuditVerifier.verify(
        log: bytes, vaultID: [UInt8](repeating: 1, count: 16), publicKey: [UInt8](repeating: 2, count: 32), state: nil)
    _ = AuditCheckpoint.parse(String(decoding: bytes, as: UTF8.self))
    return 0
}

@_cdecl("fuzz_audit_log_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        guard let data else { return 0 }
        return fuzzAuditLog(data, size)
    }
}
