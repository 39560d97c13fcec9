// libFuzzer entry point: opening any file as a vault (SQLite header, vault header, key slots, KDF
// bounds, audit state) must give an error, never a crash.
import Foundation
import FuzzDriver
import SodiumKit
import VaultCore

let fuzzVaultDir = NSTemporaryDirectory() + "sv-fuzz-vault-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVaultFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    try? FileManager.default.createDirectory(atPath: fuzzVaultDir, withIntermediateDirectories: true)
    let path = Vault.databasePath(in: fuzzVaultDir)
    unlink(path); unlink(path + "-journal")
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    if let (store, _) = try? Vault.openStore(fuzzVaultDir) {
        _ = try? store.keySlot(.passphrase)
        _ = try? store.keySlot(.recovery)
        _ = try? store.auditState()
        _ = try? store.allItems(.source)
        _ = try? store.record(String(repeating: "0", count: 16))
        if let pass = try? SecureBytes(copying: Array("pw".utf8)) {
            _ = try? Vault.unlock(directory: fuzzVaultDir, passphrase: pass)
        }
    }
    return 0
}

@_cdecl("fuzz_vault_file_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        guard let data else { return 0 }
        return fuzzVaultFile(data, size)
    }
}
