import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes an export file: created 0600, never over an existing file unless asked, and atomically
/// (a temporary name in the same directory holding only the redacted bytes, fsync, rename).
public enum OutputFile {
    public static func write(_ bytes: [UInt8], to path: String, overwrite: Bool) throws(PublishingError) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw .outputFailed("the directory \(dir) does not exist; nothing was written")
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
