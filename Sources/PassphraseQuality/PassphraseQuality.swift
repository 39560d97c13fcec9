internal import CPWQuality
import SodiumKit

/// How guessable a new passphrase is, by libpwquality (Debian's maintained checker: length,
/// character classes, repeats and sequences, cracklib's dictionary), with its built-in defaults,
/// not the machine's /etc/security/pwquality.conf, so every machine gives the same verdict.
///
/// The passphrase is handed to libpwquality as a NUL-terminated copy in secure memory; the library
/// makes short-lived working copies of its own on the ordinary heap (SECURITY.md §9 says so).
public enum PassphraseQuality {
    /// libpwquality's verdict.
    public struct Verdict: Sendable, Equatable {
        /// 0-100, libpwquality's score (0 when it refused the passphrase outright).
        public let score: Int
        /// Why it is weak, in libpwquality's words (never the passphrase itself); nil if it is not.
        public let problem: String?

        public var isWeak: Bool { problem != nil }
    }

    /// Below this score a passphrase it accepts is still called weak.
    public static let minimumScore = 50

    public static func assess(_ passphrase: borrowing SecureBytes) -> Verdict {
        guard let settings = pwquality_default_settings() else { return Verdict(score: 0, problem: nil) }
        defer { pwquality_free_settings(settings) }
        var terminated: SecureBytes
        do { terminated = try SecureBytes(count: passphrase.count + 1) } catch { return Verdict(score: 0, problem: nil) }
        passphrase.withUnsafeBytes { src in
            terminated.withUnsafeMutableBytes { dst in
                if let s = src.baseAddress, let d = dst.baseAddress, src.count > 0 { d.copyMemory(from: s, byteCount: src.count) }
            }
        }
        var aux: UnsafeMutableRawPointer?
        let result = terminated.withUnsafeBytes { bytes -> Int32 in
            guard let p = bytes.baseAddress?.assumingMemoryBound(to: CChar.self) else { return -1 }
            return pwquality_check(settings, p, nil, nil, &aux)
        }
        if result < 0 {
            let message = pwquality_strerror(nil, 0, result, aux).map { String(cString: $0) } ?? "rejected by libpwquality"
            return Verdict(score: 0, problem: message)
        }
        if result < minimumScore {
            return Verdict(score: Int(result), problem: "libpwquality scores it \(result) of 100")
        }
        return Verdict(score: Int(result), problem: nil)
    }
}
