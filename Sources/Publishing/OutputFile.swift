import Foundation
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
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let temp = (dir as NSString).appendingPathComponent(".\(url.lastPathComponent).sourcevault-\(suffix)")
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .outputFailed("cannot create a file in \(dir): \(String(cString: strerror(errno)))") }
        var ok = bytes.withUnsafeBytes { buf -> Bool in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        let closed = close(fd) == 0
        guard ok && closed else {
            let why = String(cString: strerror(errno))
            unlink(temp)
            throw .outputFailed("cannot write \(path): \(why); nothing was written")
        }
        // Without --overwrite, link() refuses an existing target atomically (no race with rename).
        if overwrite {
            guard rename(temp, path) == 0 else {
                let why = String(cString: strerror(errno)); unlink(temp)
                throw .outputFailed("cannot write \(path): \(why); nothing was written")
            }
        } else {
            guard link(temp, path) == 0 else {
                let e = errno; unlink(temp)
                if e == EEXIST { throw .outputExists(path) }
                throw .outputFailed("cannot write \(path): \(String(cString: strerror(e))); nothing was written")
            }
            unlink(temp)
        }
        let dfd = open(dir, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }
}
