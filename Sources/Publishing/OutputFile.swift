import Foundation
import VaultCore

#if canImport(Glibc)
import Glibc
#endif

/// Writes an export file: created 0600, never over an existing file unless asked, and atomically
/// (a temporary name in the same directory holding only the redacted bytes, fsync, rename).
public enum OutputFile {
    /// Refuses an output path that is missing its directory, exists (without `overwrite`), is not
    /// a regular file, or lies inside a protected place (the vault directory, the audit log):
    /// `--out vault.sqlite3 --overwrite` must not be able to destroy the vault.
    public static func checkTarget(_ path: String, overwrite: Bool, protecting protected: [String]) throws(PublishingError) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw .outputFailed("the --out directory does not exist; nothing was written")
        }
        let realDir = URL(fileURLWithPath: dir).resolvingSymlinksInPath().path
        let realTarget = (realDir as NSString).appendingPathComponent(url.lastPathComponent)
        for p in protected {
            let real = URL(fileURLWithPath: p).resolvingSymlinksInPath().path
            if realTarget == real || realTarget.hasPrefix(real + "/") || realDir == real {
                throw .outputFailed("refusing to write an export inside the vault directory or over its audit log")
            }
        }
        var st = stat()
        if lstat(path, &st) == 0 {
            guard overwrite else { throw .outputExists(path) }
            guard (st.st_mode & S_IFMT) == S_IFREG || (st.st_mode & S_IFMT) == S_IFLNK else {
                throw .outputFailed("the --out path exists and is not a regular file; nothing was written")
            }
        }
    }

    public static func write(_ bytes: [UInt8], to path: String, overwrite: Bool) throws(PublishingError) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw .outputFailed("the --out directory does not exist; nothing was written")
        }
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw .outputExists(path)
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
