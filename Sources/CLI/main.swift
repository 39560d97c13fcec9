import ArgumentParser
import Foundation
import SodiumKit

#if canImport(Glibc)
import Glibc
#endif

// Before anything else: no core dumps, not ptrace-attachable, files 0600/dirs 0700, and a crash
// prints one fixed line instead of the runtime's register and memory dump.
ProcessHardening.apply()

let command: ParsableCommand
do {
    command = try SourceVaultCommand.parseAsRoot(ArgumentHints.rewritingLegacy(Array(CommandLine.arguments.dropFirst())))
} catch {
    exit(ErrorReporter.reportParse(error))
}
do {
    var c = command
    try c.run()
    if Output.stdoutFailed {
        ErrorReporter.printError("cannot write to standard output (disk full or closed); the output is incomplete")
        exit(1)
    }
    exit(0)
} catch {
    exit(ErrorReporter.report(error))
}
