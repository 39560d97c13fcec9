import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where a command may write a file it makes (`export --out`, `backup --to`, `travel out --to`):
/// a new name, or with `overwrite` an existing regular file, in an existing directory, and never
/// the vault directory, the vault database or the audit log. Checked before any passphrase is
/// asked for, and again just before writing. Messages name the flag, never the path (file names
/// are often named after a source).
public enum OutputTarget {
    /// Throws `.invalidInput` (exit 2) for a path that must not be written, `.storage` (exit 1) if
    /// its directory does not exist.
    /// `offersOverwrite`: whether the command has `--overwrite` (said in the "exists" message).
    public static func check(
        _ path: String, flag: String, overwrite: Bool, offersOverwrite: Bool = true, protecting protected: [String]
    ) throws(VaultError) {
        let refused = "; nothing was written"
        if path.isEmpty || path.hasSuffix("/") {
            throw .invalidInput("the \(flag) path is a directory; give a file name\(refused)")
        }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw .storage("the \(flag) directory does not exist\(refused)")
        }
        var st = stat()
        if lstat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw .invalidInput("the \(flag) path is a directory; give a file name\(refused)")
            case S_IFLNK:
                throw .invalidInput(
                    "the \(flag) path is a symbolic link (like /dev/stdout); give a regular file or a new name\(refused)")
            default:
                throw .invalidInput("the \(flag) path is a device, pipe or socket, not a regular file\(refused)")
            }
        }
        // The vault's own files, by resolved path and (for hard links) by inode.
        let realDir = URL(fileURLWithPath: dir).resolvingSymlinksInPath().path
        let realTarget = (realDir as NSString).appendingPathComponent(url.lastPathComponent)
        for p in protected {
            let real = URL(fileURLWithPath: p).resolvingSymlinksInPath().path
            var ps = stat()
            let sameFile = lstat(path, &st) == 0 && stat(p, &ps) == 0 && ps.st_dev == st.st_dev && ps.st_ino == st.st_ino
            if sameFile || realTarget == real || realTarget.hasPrefix(real + "/") || realDir == real {
                throw .invalidInput(
                    "refusing to write the \(flag) file inside the vault directory or over its audit log\(refused)")
            }
        }
        if lstat(path, &st) == 0 && !overwrite {
            throw .invalidInput(
                "the \(flag) file exists; choose another name\(offersOverwrite ? " or add --overwrite" : "")\(refused)")
        }
    }
}
