/// Why an age file was refused, named as the age test vectors name their outcomes (C2SP CCTV:
/// `header failure`, `no match`, `HMAC failure`, `payload failure`, `armor failure`). Messages are
/// fixed sentences: they never quote bytes of the file.
public enum AgeError: Error, Equatable, Sendable {
    /// The header does not parse (age-encryption.org/v1 §Header), or a stanza addressed to an
    /// X25519 identity is malformed or yields an all-zero shared secret.
    case headerFailure(String)
    /// The header parses but no stanza opens with the identity given.
    case noMatch
    /// A file key was unwrapped but the header MAC does not verify.
    case hmacFailure
    /// The STREAM payload does not decrypt to its end (a bad tag, a missing or misplaced final
    /// chunk, trailing data). Nothing of the plaintext is released.
    case payloadFailure(String)
    /// The ASCII armor is not strict RFC 7468 with the label `AGE ENCRYPTED FILE`.
    case armorFailure(String)
    /// A recipient or identity string is not a valid `age1…` / `AGE-SECRET-KEY-1…` encoding.
    case invalidKey(String)
    /// libsodium failed (out of secure memory); not a property of the file.
    case crypto(String)
}
