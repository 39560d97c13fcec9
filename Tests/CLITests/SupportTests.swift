import Foundation
import TestSupport
import Testing

/// The shared test helpers themselves: a failing sqlite3 fails the test, temporary directories go away.
@Suite struct SupportTests {
    @Test func sqliteShellReturnsOutputAndThrowsWithStderrOnFailure() throws {
        let tmp = TempDirectory("support")
        defer { withExtendedLifetime(tmp) {} }
        let db = tmp.file("x.sqlite3")
        try SQLiteShell.run("CREATE TABLE t (a); INSERT INTO t VALUES (41), (1)", on: db)
        #expect(try SQLiteShell.run("SELECT SUM(a) FROM t", on: db) == "42\n")
        #expect {
            try SQLiteShell.run("UPDATE no_such_table SET a = 1", on: db)
        } throws: { error in
            let failure = error as? SQLiteShell.Failure
            return failure?.status == 1 && failure?.stderr.contains("no such table: no_such_table") == true
                && "\(error)".contains("no such table")
        }
        // -bail: nothing after the failing statement runs.
        #expect(throws: SQLiteShell.Failure.self) {
            try SQLiteShell.run("UPDATE nope SET a = 1; DELETE FROM t", on: db)
        }
        #expect(try SQLiteShell.run("SELECT COUNT(*) FROM t", on: db) == "2\n")
    }

    @Test func tempDirectoryIsPrivateAndRemovedWithItsContents() throws {
        var tmp: TempDirectory? = TempDirectory("support")
        let path = try #require(tmp?.path)
        #expect(URL(fileURLWithPath: path).lastPathComponent.hasPrefix("sv-support-"))
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o700)
        try FileManager.default.createDirectory(atPath: try #require(tmp?.vault), withIntermediateDirectories: false)
        try Data("x".utf8).write(to: URL(fileURLWithPath: try #require(tmp?.vaultDatabase)))
        #expect(TempDirectory("support").path != path)
        tmp = nil
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
