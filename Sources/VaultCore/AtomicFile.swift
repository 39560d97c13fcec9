import Foundation
import SodiumKit

#if canImport(Glibc)
import Glibc
#endif

/// Files written whole or not at all: the bytes go to a hidden temporary name in the target's
/// directory (0600, `O_EXCL|O_NOFOLLOW`), are synced, then `link()`ed into place (which refuses an
/// existing target atomically) or, when replacing is allowed, `rename()`d over it; the directory is
/// synced last. A crash leaves the old state or the new one, and at worst a hidden temporary file.
/// The one routine behind new vaults, exports, backups and travel bundles.
public enum AtomicFile {
    public enum Failure: Error, Equatable {
        /// The target exists and replacing it was not allowed.
        case exists
        /// A system call failed; the reason in words.
        case failed(String)
    }

    /// A hidden temporary path beside `path`, unique enough for `O_EXCL`.
    public static func temporaryPath(beside path: String, tag: String = "sourcevault") -> String {
        let dir = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let suffix = Hex.encode((0..<6).map { _ in UInt8.random(in: 0...255) })
        return ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent(".\(name).\(tag)-\(suffix)")
    }

    /// Writes all of `bytes` to `fd` (again after an interruption); false on an error (`errno`).
    static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        bytes.withUnsafeBytes { buf -> Bool in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return true
        }
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String, replace: Bool) throws(Failure) {
        let temp = temporaryPath(beside: path)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .failed(String(cString: strerror(errno))) }
        var ok = writeAll(bytes, to: fd)
        ok = ok && fsync(fd) == 0
        let why = ok ? "" : String(cString: strerror(errno))
        let closed = close(fd) == 0
        guard ok && closed else {
            unlink(temp)
            throw .failed(ok ? "close failed" : why)
        }
        try commit(temp, to: path, replace: replace)
    }

    /// Moves the complete `temp` (synced here first) to `path`; `temp` is gone afterwards, whatever
    /// happens.
    public static func commit(_ temp: String, to path: String, replace: Bool) throws(Failure) {
        chmod(temp, 0o600)
        let fd = open(temp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd >= 0 { _ = fsync(fd); close(fd) }
        if replace {
            guard rename(temp, path) == 0 else {
                let why = String(cString: strerror(errno))
                unlink(temp)
                throw .failed(why)
            }
        } else {
            if link(temp, path) != 0 {
                let e = errno
                // FAT and exFAT (USB sticks, where travel bundles go) have no hard links: there, an
                // existence check then rename (a concurrent writer of the same name could slip in
                // between; nothing else is lost).
                guard [EPERM, EOPNOTSUPP, ENOSYS, EXDEV].contains(e), access(path, F_OK) != 0, errno == ENOENT else {
                    unlink(temp)
                    throw e == EEXIST || access(path, F_OK) == 0 ? .exists : .failed(String(cString: strerror(e)))
                }
                guard rename(temp, path) == 0 else {
                    let why = String(cString: strerror(errno))
                    unlink(temp)
                    throw .failed(why)
                }
            } else {
                unlink(temp)
            }
        }
        syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// Bytes written and synced to a file with no name yet (`O_TMPFILE`) in the directory they are
    /// going to, so that the write can run while other work decides whether they may have a name
    /// (an export's audit entry: nothing may be published that the log does not hold first). A
    /// crash, a refusal or the object's end before ``name(_:replace:)`` leaves nothing behind: the
    /// file never had a name. Only where the kernel and the file system can (Linux; not FAT, exFAT
    /// or NFS): elsewhere ``stage(_:beside:)`` gives nil and the caller writes the usual way,
    /// ``write(_:to:replace:)``, afterwards.
    public final class Staged: @unchecked Sendable {
        private let fd: Int32
        private init(fd: Int32) { self.fd = fd }
        deinit { close(fd) }

        /// `bytes` written and synced, unnamed, in `path`'s directory; nil if that cannot be done
        /// (no `O_TMPFILE` there, or the write failed: the usual write then says why).
        public static func stage(_ bytes: [UInt8], beside path: String) -> Staged? {
            #if os(Linux)
            let dir = (path as NSString).deletingLastPathComponent
            let oTmpFile: Int32 = 0o2000_0000 | O_DIRECTORY  // __O_TMPFILE | O_DIRECTORY, <fcntl.h>
            let fd = open(dir.isEmpty ? "." : dir, oTmpFile | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return nil }
            let staged = Staged(fd: fd)
            let written = writeAll(bytes, to: fd)
            guard written, fchmod(fd, 0o600) == 0, fsync(fd) == 0 else { return nil }
            return staged
            #else
            return nil
            #endif
        }

        /// Gives the file the name `path` (never over an existing one unless `replace`), then
        /// syncs the directory. False if it cannot be named this way (no `/proc`, hard links not
        /// supported): the caller writes the bytes the usual way. Throws ``Failure/exists`` when
        /// `path` exists and `replace` is false.
        public func name(_ path: String, replace: Bool) throws(Failure) -> Bool {
            #if os(Linux)
            let handle = "/proc/self/fd/\(fd)"
            let target = replace ? AtomicFile.temporaryPath(beside: path) : path
            guard linkat(AT_FDCWD, handle, AT_FDCWD, target, AT_SYMLINK_FOLLOW) == 0 else {
                if errno == EEXIST && !replace { throw .exists }
                return false
            }
            // (Replacing: renamed over the target from the temporary name, as a named write is.)
            if replace {
                try commit(target, to: path, replace: true)
            } else {
                syncDirectory((path as NSString).deletingLastPathComponent)
            }
            return true
            #else
            return false
            #endif
        }
    }

    /// fsync of a directory, so a new name in it survives a power loss.
    public static func syncDirectory(_ directory: String) {
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }
}
