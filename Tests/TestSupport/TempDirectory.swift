import Foundation

/// A fresh private directory (mode 0700) under the system temporary directory, named
/// `sv-<label>-XXXXXX`, removed with everything in it when the value is released. Keep it alive for
/// as long as its path is used: hold it in a fixture, or `defer { withExtendedLifetime(tmp) {} }`.
public final class TempDirectory: Sendable {
    /// The directory's absolute path.
    public let path: String

    /// Creates the directory; a machine where that fails cannot run the tests at all.
    public init(_ label: String = "test") {
        let template = (NSTemporaryDirectory() as NSString).appendingPathComponent("sv-\(label)-XXXXXX")
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            preconditionFailure("cannot create a temporary directory at \(template): errno \(errno)")
        }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `name` (a relative path) inside the directory; nothing is created.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Where a throwaway vault lives: `<path>/vault`, not created (vault creation makes it).
    public var vault: String { file("vault") }

    /// The vault's database file (SECURITY.md §3: a vault is a directory holding `vault.sqlite3`).
    public var vaultDatabase: String { vault + "/vault.sqlite3" }
}
