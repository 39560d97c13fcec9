import Foundation
import VaultCore

#if canImport(Glibc)
import Glibc
#endif

/// Writes an export file: created 0600, never over an existing file unless asked, and atomically
/// (a temporary name in the same directory holding only the redacted bytes, fsync, rename).
public enum OutputFile {
    /// Refuses an output path that is missing its directory, exists (without `overwrite`), is not
    /// a regular file or a new name (a directory, device, pipe, symbolic link such as /dev/stdout),
    /// or lies inside a protected place (the vault directory, the audit log): `--out
    /// vault.sqlite3 --overwrite` must not be able to destroy the vault (`OutputTarget`).
    public static func checkTarget(_ path: String, overwrite: Bool, protecting protected: [String]) throws(VaultError) {
        try OutputTarget.check(path, flag: "--out", overwrite: overwrite, protecting: protected)
    }

    public static func write(_ bytes: [UInt8], to path: String, overwrite: Bool) throws(PublishingError) {
        try write(bytes, staged: nil, to: path, overwrite: overwrite)
    }

    /// ``write(_:to:overwrite:)`` of bytes `staged` may hold already (``AtomicFile/Staged``): they
    /// are given the name, or, where that cannot be done, written the usual way.
    public static func write(
        _ bytes: [UInt8], staged: AtomicFile.Staged?, to path: String, overwrite: Bool
    ) throws(PublishingError) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw .outputFailed("the --out directory does not exist; nothing was written")
        }
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw .outputExists(path)
        }
        if let staged {
            do {
                if try staged.name(path, replace: overwrite) { return }
            } catch {
                switch error {
                case .exists: throw .outputExists(path)
                case .failed: break  // (the usual write says why)
                }
            }
        }
        // Without --overwrite, link() refuses an existing target atomically (no race with rename).
        do { try AtomicFile.write(bytes, to: path, replace: overwrite) } catch {
            switch error {
            case .exists: throw .outputExists(path)
            case .failed(let why): throw .outputFailed("cannot write \(path): \(why); nothing was written")
            }
        }
    }
}
