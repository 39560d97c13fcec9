import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VaultCore

/// The log file, opened for append under an exclusive `flock` so concurrent processes never
/// interleave or lose an entry. Never created implicitly: only `init` and `audit recover` create it.
final class AuditFile {
    let path: String
    let fd: Int32

    /// Opens an existing log for appending and locks it (blocking).
    init(openExisting path: String) throws(VaultError) {
        self.path = path
        let fd = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT {
                throw .auditUnavailable("the audit log \(path) is missing; it is never recreated silently — if you know why, start a new one with 'sourcevault audit recover' (which is itself logged)")
            }
            throw .auditUnavailable("cannot open the audit log \(path): \(String(cString: strerror(e)))")
        }
        self.fd = fd
        try lock()
    }

    /// Creates a new, empty log (mode 0600); fails if one exists.
    init(create path: String) throws(VaultError) {
        self.path = path
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .auditUnavailable("cannot create the audit log \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        try lock()
    }

    deinit {
        _ = flock(fd, LOCK_UN)
        close(fd)
    }

    private func lock() throws(VaultError) {
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw .auditUnavailable("cannot lock the audit log: \(String(cString: strerror(errno)))")
        }
    }

    var size: Int64 {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// Reads `length` bytes at `offset`.
    func read(at offset: Int64, length: Int) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            done += n
        }
        return Array(buf.prefix(done))
    }

    /// The whole file.
    func readAll() -> [UInt8] { read(at: 0, length: Int(size)) }

    /// The last `count` complete lines (fewer if the file has fewer), oldest first, and whether the
    /// file ends in a partial line (a torn append from a crash).
    func lastLines(_ count: Int) -> (lines: [ArraySlice<UInt8>], torn: Bool) {
        let total = size
        guard total > 0, count > 0 else { return ([], false) }
        var chunk = 4096
        while true {
            let start = max(0, total - Int64(chunk))
            let bytes = read(at: start, length: Int(total - start))
            let torn = bytes.last != 0x0A
            var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            if lines.last?.isEmpty == true { lines.removeLast() }
            if torn { lines.removeLast() }
            // The first piece may be cut unless we read from the start of the file.
            if start > 0 { lines.removeFirst() }
            if lines.count >= count || start == 0 { return (Array(lines.suffix(count)), torn) }
            chunk *= 4
        }
    }

    /// Cuts a torn final line left by a crash mid-append (it was never counted by the vault).
    func dropTornTail() throws(VaultError) {
        let bytes = read(at: max(0, size - 65536), length: Int(min(size, 65536)))
        guard let lastNL = bytes.lastIndex(of: 0x0A) else {
            if size < 65536 { guard ftruncate(fd, 0) == 0 else { throw .auditUnavailable("cannot repair the audit log") } }
            return
        }
        let keep = size - Int64(bytes.count - lastNL - 1)
        guard ftruncate(fd, off_t(keep)) == 0 else { throw .auditUnavailable("cannot repair the audit log's torn last line") }
    }

    /// Appends one line and waits until it is on disk.
    func append(_ line: [UInt8]) throws(VaultError) {
        var off = 0
        while off < line.count {
            let n = line[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .auditUnavailable("cannot write the audit log: \(String(cString: strerror(errno))); the operation was refused")
            }
            off += n
        }
        guard fsync(fd) == 0 else {
            throw .auditUnavailable("cannot sync the audit log: \(String(cString: strerror(errno))); the operation was refused")
        }
    }
}
