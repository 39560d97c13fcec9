import Foundation
// swift-tools-version:6.0
import PackageDescription

// Layers, and what each target may import (declared below; nothing else):
//   CSodium (system library)  ← SodiumKit: the only code touching libsodium pointers (`internal import CSodium`)
//   AgeFormat ← SodiumKit: the age v1 file format (SECURITY.md §13), no storage, no vault
//   Redaction: pure text, imports Foundation and Foundation's ICU (`_FoundationICU`) only (no crypto, no storage)
//   CTextScan: a leaf C module for search folding (no libsodium, no state)
//   CSQLiteHarden: a leaf C module that hardens each SQLite connection (SECURITY.md §3)
//   VaultCore ← SodiumKit, AgeFormat, CTextScan, CSQLiteHarden, GRDB (internal imports): format, keyring, storage, the
//     audited facade `Vault` (its age identity and contacts)
//   Audit ← VaultCore, SodiumKit: the tamper-evident log (implements VaultCore's AuditSink)
//   Publishing ← VaultCore, Redaction, AgeFormat: selection, redaction, leak check, export files, age shares
//   CPWQuality (system library, Debian libpwquality-dev) ← PassphraseQuality: the weak-passphrase estimate
//   sourcevault (CLI, Sources/CLI) ← VaultCore, Audit, Publishing, Redaction, SodiumKit, PassphraseQuality (secrets read into
//     SecureBytes), ArgumentParser: parses, prompts, calls one facade method, prints
let package = Package(
    name: "SourceVault",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sourcevault", targets: ["sourcevault"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0")
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        .target(name: "SodiumKit", dependencies: ["CSodium"]),
        // The age v1 file format (X25519 recipients, header MAC, STREAM, armor): SodiumKit only, so
        // it is testable alone against the CCTV vectors.
        .target(name: "AgeFormat", dependencies: ["SodiumKit"]),
        // Passphrase strength (issue 16): libpwquality through a system-library module; only
        // PassphraseQuality imports it.
        .systemLibrary(name: "CPWQuality", pkgConfig: "pwquality", providers: [.apt(["libpwquality-dev"])]),
        .target(name: "PassphraseQuality", dependencies: ["CPWQuality", "SodiumKit"]),
        // Pure text in, text and findings out: no crypto, no storage.
        // Its regular expressions run on the ICU that Foundation itself is built on (`_FoundationICU`,
        // part of the Swift toolchain): the engine `NSRegularExpression` uses, through its C API.
        .target(name: "Redaction", linkerSettings: [.linkedLibrary("_FoundationICU")]),
        // SSE2 block scan for search folding (plain C: no libsodium, no secrets of its own; it
        // reads and writes only the buffers it is given).
        .target(name: "CTextScan"),
        // Hardens each SQLite connection (triggers and views off, defensive mode): plain C because
        // sqlite3_db_config is variadic. The system SQLite, as GRDB uses it.
        .target(name: "CSQLiteHarden", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "VaultCore",
            dependencies: [
                "SodiumKit", "AgeFormat", "CTextScan", "CSQLiteHarden", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift")
            ]
        ),
        // The tamper-evident audit log; implements VaultCore's AuditSink.
        .target(name: "Audit", dependencies: ["VaultCore", "SodiumKit"]),
        // Redaction applied to vault records: selection, leak check, export files, provenance.
        .target(name: "Publishing", dependencies: ["VaultCore", "Redaction", "AgeFormat"]),
        .executableTarget(
            name: "sourcevault",
            dependencies: [
                "VaultCore", "Publishing", "Redaction", "Audit", "SodiumKit", "AgeFormat", "PassphraseQuality",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ],
            path: "Sources/CLI"
        ),
        // `make bench`: throughput figures (brief section 5), built in release.
        .executableTarget(
            name: "sourcevault-bench",
            dependencies: [
                "Redaction", "Publishing", "Audit", "VaultCore",
                "SodiumKit", "AgeFormat"
            ], path: "Sources/Bench"),
        // What the test targets share (temporary directories, the sqlite3 shell, the fuzz corpora):
        // Foundation only, none of the product's modules.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SodiumKitTests", dependencies: ["SodiumKit"]),
        // Vectors/: the C2SP CCTV age vectors this implementation runs (SKIPPED names the others).
        .testTarget(name: "AgeFormatTests", dependencies: ["AgeFormat", "SodiumKit", "TestSupport"], exclude: ["Vectors"]),
        // Corpus/: the redaction corpus (JSON), read from the source tree by CorpusTests.
        .testTarget(name: "RedactionTests", dependencies: ["Redaction", "TestSupport"], exclude: ["Corpus"]),
        .testTarget(
            name: "VaultCoreTests",
            dependencies: ["VaultCore", "SodiumKit", "AgeFormat", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Vectors"]
        ),
        .testTarget(
            name: "PublishingTests",
            dependencies: [
                "Publishing", "VaultCore", "Redaction", "SodiumKit", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")
            ]
        ),
        .testTarget(
            name: "AuditTests",
            dependencies: [
                "Audit", "VaultCore", "SodiumKit", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift")
            ]
        ),
        // pty_run.py drives the binary on a pseudo-terminal for the terminal tests (read by path).
        .testTarget(name: "CLITests", dependencies: ["sourcevault", "TestSupport"], exclude: ["pty_run.py"])
    ]
)

// libFuzzer targets, only with SOURCEVAULT_FUZZ=1 (`make fuzz`): they have no main of their own and
// link only with -sanitize=fuzzer.
if ProcessInfo.processInfo.environment["SOURCEVAULT_FUZZ"] == "1" {
    package.targets += [
        .target(name: "FuzzDriver", path: "Sources/Fuzz/Driver"),
        .executableTarget(name: "fuzz-audit-log", dependencies: ["Audit", "FuzzDriver"], path: "Sources/Fuzz/AuditLog"),
        .executableTarget(name: "fuzz-redaction", dependencies: ["Redaction", "FuzzDriver"], path: "Sources/Fuzz/Redaction"),
        .executableTarget(
            name: "fuzz-recovery-key", dependencies: ["VaultCore", "SodiumKit", "FuzzDriver"], path: "Sources/Fuzz/RecoveryKey"),
        .executableTarget(
            name: "fuzz-vault-file", dependencies: ["VaultCore", "SodiumKit", "FuzzDriver"], path: "Sources/Fuzz/VaultFile"),
        .executableTarget(name: "fuzz-folding", dependencies: ["VaultCore", "FuzzDriver"], path: "Sources/Fuzz/Folding"),
        .executableTarget(name: "fuzz-age", dependencies: ["AgeFormat", "SodiumKit", "FuzzDriver"], path: "Sources/Fuzz/Age")
    ]
}
