// libFuzzer entry point: search folding (Swift scalar paths + the SSE2 block scan in CTextScan)
// must refuse exactly what is not UTF-8 and otherwise give what the reference folding gives.
import Foundation
import FuzzDriver
@_spi(Fuzzing) import VaultCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFolding(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let valid = String(validating: bytes, as: UTF8.self)
    let expected = valid.map { FoldingProbe.reference($0) }
    for cached in [false, true] {
        let folded = bytes.withUnsafeBytes { FoldingProbe.fold($0, cache: cached) }
        precondition(folded == expected, "folding disagrees with the reference (cache: \(cached))")
    }
    return 0
}

@_cdecl("fuzz_folding_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        guard let data else { return 0 }
        return fuzzFolding(data, size)
    }
}
