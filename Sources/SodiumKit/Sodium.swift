internal import CSodium

/// Errors from the libsodium wrapper. Authentication failure is deliberately one opaque case:
/// callers learn that a ciphertext did not verify, never why.
public enum SodiumError: Error, Equatable, Sendable {
    /// `sodium_init` failed; no cryptography is available in this process.
    case initializationFailed
    /// A ciphertext, tag or associated data did not verify.
    case authenticationFailed
    /// Secure memory (or Argon2id's working memory) could not be allocated.
    case outOfMemory
    /// An argument had the wrong size or was out of the range libsodium accepts.
    case invalidArgument(String)
    /// Padding was malformed after a successful decryption (should not happen with our writer).
    case invalidPadding
}

/// Process-wide libsodium initialisation, done exactly once.
public enum Sodium {
    private static let initResult: Int32 = sodium_init()

    /// Zeroes memory in a way the compiler may not remove (`sodium_memzero`), for ordinary
    /// buffers that held traces of plaintext just before they are freed.
    public static func wipe(_ bytes: UnsafeMutableRawBufferPointer) {
        if let p = bytes.baseAddress, bytes.count > 0 { sodium_memzero(p, bytes.count) }
    }

    /// Initialises libsodium if needed. Every public entry point of this module calls it.
    public static func ensureInitialized() throws(SodiumError) {
        // sodium_init returns 0 on first success, 1 if already initialised, -1 on failure.
        if initResult < 0 { throw .initializationFailed }
    }

    /// The libsodium version string, for diagnostics.
    public static var versionString: String {
        String(cString: sodium_version_string())
    }
}
