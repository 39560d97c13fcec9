import Foundation

/// The `sqlite3` command-line shell, run as someone holding a vault file (but not its key) would.
public enum SQLiteShell {
    /// sqlite3 could not be started or exited non-zero; the description carries its stderr.
    public struct Failure: Error, CustomStringConvertible {
        public var status: Int32
        public var sql: String
        public var database: String
        public var stderr: String
        public var description: String {
            "sqlite3 exited with status \(status) on \(database) running `\(sql)`: \(stderr)"
        }
    }

    /// Runs `sql` on the database file `database` (`sqlite3 -batch -bail`, stdin empty) and returns
    /// its standard output. Throws ``Failure`` if it exits non-zero, so the calling test fails.
    @discardableResult
    public static func run(_ sql: String, on database: String) throws -> String {
        // Files rather than pipes: no deadlock however much either stream holds.
        let tmp = TempDirectory("sqlite3")
        let outPath = tmp.file("stdout"), errPath = tmp.file("stderr")
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sqlite3", "-batch", "-bail", database, sql]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        do {
            try p.run()
        } catch {
            throw Failure(status: -1, sql: sql, database: database, stderr: "cannot start: \(error)")
        }
        p.waitUntilExit()
        let out = String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self)
        let err = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
        guard p.terminationReason == .exit, p.terminationStatus == 0 else {
            throw Failure(status: p.terminationStatus, sql: sql, database: database, stderr: err)
        }
        return out
    }
}
