import ArgumentParser
import SodiumKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Before anything else: no core dumps, not ptrace-attachable by other users, files 0600/dirs 0700.
ProcessHardening.apply()

do {
    var command = try SourceVaultCommand.parseAsRoot()
    try command.run()
    exit(0)
} catch {
    exit(ErrorReporter.report(error))
}
