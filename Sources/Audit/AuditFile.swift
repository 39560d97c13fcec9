import Foundation
import VaultCore

#if canImport(Glibc)
import Glibc
#endif

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
                throw .auditUnavailable(
                    "the audit log \(path) is missing; it is never recreated silently — if you know why, start a new one with 'sourcevault audit recover' (which is itself logged)"
                )
            }
            throw .auditUnavailable("cannot open the audit log \(path): \(String(cString: strerror(e)))")
        }
        self.fd = fd
        try lock()
    }

    /// Opens an existing log for reading under a shared lock: a verifier sees the log and the
    /// vault's record of it as one writer left them, never half-way through an append.
    init(openForReading path: String) throws(VaultError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw .auditUnavailable(
                "the audit log \(path) is missing or unreadable: "
                    + "\(String(cString: strerror(errno)))")
        }
        self.fd = fd
        try lock(LOCK_SH)
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

    private func lock(_ mode: Int32 = LOCK_EX) throws(VaultError) {
        while flock(fd, mode) != 0 {
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

    /// The end of the log, read backwards from the last line until the entry `seq` whose hash is
    /// `hash` (the vault's record of it).
    struct Tail {
        /// That entry, if the log holds it.
        var anchor: AuditEntry?
        /// The complete lines after it, oldest first (all lines read, if it was not found).
        var after: [ArraySlice<UInt8>]
        /// Bytes after the last newline: a line cut short by a crash, or garbage.
        var partial: [UInt8]
        /// The last complete line that is an entry, and whether any line numbered `seq` was seen.
        var lastEntry: AuditEntry?
        var sawSeq = false
    }

    func tail(anchoredAt seq: Int64, hash: [UInt8]) -> Tail {
        let total = size
        var chunk = 4096
        let key = Array("\t\(seq)\t".utf8)
        while true {
            let start = max(0, total - Int64(chunk))
            let bytes = read(at: start, length: Int(total - start))
            var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            let partial = bytes.last == 0x0A || bytes.isEmpty ? [] : Array(lines.last ?? [])
            lines.removeLast()
            // The first piece may be cut unless we read from the start of the file.
            if start > 0 && !lines.isEmpty { lines.removeFirst() }
            var result = Tail(anchor: nil, after: [], partial: partial, lastEntry: nil)
            result.lastEntry = lines.reversed().lazy.compactMap { AuditEntry.parse($0) }.first
            for i in lines.indices.reversed() {
                let line = lines[i]
                // Cheap test first: only a line numbered `seq` can be the anchor.
                guard line.count > 6, line.dropFirst(4).starts(with: key) else { continue }
                result.sawSeq = true
                if let e = AuditEntry.parse(line), e.hash == hash {
                    result.anchor = e
                    result.after = Array(lines[(i + 1)...])
                    return result
                }
            }
            if start == 0 {
                result.after = lines
                return result
            }
            chunk *= 4
        }
    }

    /// Cuts the last `count` bytes (a line torn by a crash mid-append, §11.3).
    func cut(_ count: Int) throws(VaultError) {
        guard count > 0 else { return }
        guard ftruncate(fd, off_t(size - Int64(count))) == 0 else {
            throw .auditUnavailable("cannot cut the audit log's torn last line: \(String(cString: strerror(errno)))")
        }
    }

    /// Appends one line and waits until it is on disk.
    func append(_ line: [UInt8]) throws(VaultError) {
        var off = 0
        while off < line.count {
            let n = line[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .auditUnavailable(
                    "cannot write the audit log: \(String(cString: strerror(errno))); the operation was refused")
            }
            off += n
        }
        guard fsync(fd) == 0 else {
            throw .auditUnavailable("cannot sync the audit log: \(String(cString: strerror(errno))); the operation was refused")
        }
    }
}
