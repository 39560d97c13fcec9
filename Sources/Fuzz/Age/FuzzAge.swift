// libFuzzer entry point: any bytes as an age file (binary or armored) opened with a fixed X25519
// identity (the CCTV vectors', so seeds reach the payload) must give an AgeError or a plaintext,
// never a crash; a header that parses must re-encode to the same bytes (one spelling, §13.1).
import AgeFormat
import FuzzDriver
import SodiumKit

let fuzzIdentityText = Array("AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAge(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let identity = try? AgeIdentity.parse(fuzzIdentityText) else { return 0 }
    _ = try? Age.decrypt(bytes, identity: identity)
    let binary = AgeArmor.isArmored(bytes) ? try? AgeArmor.decode(bytes) : bytes
    if let binary, let stanzas = try? Age.stanzas(of: binary) {
        let encoded = Age.encodeHeaderWithoutMAC(stanzas)
        precondition(binary.starts(with: encoded), "a parsed header does not re-encode to its bytes")
    }
    return 0
}

@_cdecl("fuzz_age_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        guard let data else { return 0 }
        return fuzzAge(data, size)
    }
}
