import SodiumKit

/// SECURITY.md §5: one master key and every subkey that seals something, derived once at unlock,
/// held in secure memory and wiped when the keyring is released. Non-copyable: a key exists once.
///
/// Everything sealed under a master subkey goes through `seal` and `open` here, which read the
/// kind's subkey, associated data and padding from ``SealedKind``. Record fields are sealed with
/// the record's own key (``Vault`` opens those into reused buffers).
struct Keyring: ~Copyable {
    let vaultID: [UInt8]
    let master: SecureBytes
    /// The master subkeys that seal something (``Subkey/sealing``), each in its own locked buffer,
    /// derived in one loop: a new sealed kind needs no change here.
    private let keys: [Subkey: SecureScratch]

    /// `master` must be 32 bytes (``KeySlot`` checks what it unwraps).
    init(master: consuming SecureBytes, vaultID: [UInt8]) throws(VaultError) {
        var keys: [Subkey: SecureScratch] = [:]
        for sub in Subkey.sealing { keys[sub] = SecureScratch(holding: try sub.derive(from: master)) }
        self.vaultID = vaultID
        self.keys = keys
        self.master = master
    }

    /// A keyring for a new random master key (`init`, `rekey`).
    static func random(vaultID: [UInt8]) throws(VaultError) -> Keyring {
        try Keyring(master: try Vault.sodium { try SecureBytes.random(count: VaultFormat.masterKeyBytes) }, vaultID: vaultID)
    }

    /// Runs `body` with the master subkey that seals `kind`.
    func withKey<R: ~Copyable>(for kind: SealedKind, _ body: (borrowing SecureBytes) throws(VaultError) -> R) throws(VaultError)
        -> R
    {
        guard let sub = kind.subkey, let key = keys[sub] else {
            throw .storage("internal error: \(kind) is not sealed under a master subkey")
        }
        var out: R?
        var failure: VaultError?
        key.withSecureBytes { k in
            do throws(VaultError) { out = try body(k) } catch { failure = error }
        }
        if let failure { throw failure }
        guard let result = out.take() else { throw .storage("internal error: no result") }
        return result
    }

    /// Seals `plaintext` as `kind` (padded first if the kind is).
    func seal(_ kind: SealedKind, _ plaintext: [UInt8], id: String = "") throws(VaultError) -> [UInt8] {
        let ad = kind.ad(vaultID: vaultID, id: id)
        return try withKey(for: kind) { (key) throws(VaultError) -> [UInt8] in
            guard kind.isPadded else { throw .storage("internal error: \(kind) is sealed from secure memory only") }
            return try Vault.sealPadded(plaintext, key: key, ad: ad, kind: kind)
        }
    }

    /// Seals `count` bytes of a padded kind (not a summary page) that `fill` writes straight into
    /// the buffer that is padded and then encrypted in place: no other copy of the plaintext
    /// (`rekey`'s manifest, 2 MB at 100,000 records, is built from the old one's parts).
    func seal(_ kind: SealedKind, count: Int, fill: (UnsafeMutableRawBufferPointer) -> Void) throws(VaultError) -> [UInt8] {
        guard kind.isPadded, kind != .summaryPage else { throw .storage("internal error: \(kind) cannot be sealed in place") }
        let ad = kind.ad(vaultID: vaultID, id: "")
        let padded = VaultFormat.paddedLength(forPlaintextCount: count)
        return try withKey(for: kind) { (key) throws(VaultError) -> [UInt8] in
            try Vault.sodium { () throws -> [UInt8] in
                try XChaCha20Poly1305.seal(count: padded, key: key, associatedData: ad) { (b) throws(SodiumError) in
                    fill(UnsafeMutableRawBufferPointer(rebasing: b[0..<count]))
                    try Padding.pad(inPlace: b, count: count, blockSize: padded)
                }
            }
        }
    }

    /// Seals a secret held in secure memory (no copy of it outside secure memory).
    func seal(_ kind: SealedKind, secure plaintext: borrowing SecureBytes, id: String = "") throws(VaultError) -> [UInt8] {
        let ad = kind.ad(vaultID: vaultID, id: id)
        return try withKey(for: kind) { (key) throws(VaultError) -> [UInt8] in
            guard kind.isPadded else {
                return try Vault.sodium { try XChaCha20Poly1305.seal(plaintext, key: key, associatedData: ad) }
            }
            return try Vault.sealPadded(secure: plaintext, key: key, ad: ad, kind: kind)
        }
    }

    /// Opens a `kind` sealed as `id`; any failure is the kind's integrity error.
    func open(_ kind: SealedKind, _ sealed: [UInt8], id: String = "") throws(VaultError) -> SecureBytes {
        let ad = kind.ad(vaultID: vaultID, id: id)
        let integrity = kind.integrityError(id: id)
        return try withKey(for: kind) { (key) throws(VaultError) -> SecureBytes in
            try Self.open(sealed, key: key, ad: ad, padded: kind.isPadded, integrity: integrity, kind: kind)
        }
    }

    /// The same, into `scratch` (reused across items): returns the plaintext's length there, padding
    /// removed. On failure the scratch holds nothing of it.
    func open(_ kind: SealedKind, _ sealed: [UInt8], id: String = "", into scratch: SecureScratch) throws(VaultError) -> Int {
        var result: Result<Int, VaultError> = .failure(kind.integrityError(id: id))
        sealed.withUnsafeBytes { box in
            result = Result { () throws(VaultError) -> Int in try open(kind, box, id: id, into: scratch) }
        }
        return try result.get()
    }

    /// The same, for a box borrowed from a database row without copying it (`list` opens 20 MB
    /// of summary pages at 100,000 records).
    func open(_ kind: SealedKind, _ sealed: UnsafeRawBufferPointer, id: String = "", into scratch: SecureScratch)
        throws(VaultError) -> Int
    {
        let ad = kind.ad(vaultID: vaultID, id: id)
        let integrity = kind.integrityError(id: id)
        return try withKey(for: kind) { (key) throws(VaultError) -> Int in
            let n: Int
            do { n = try XChaCha20Poly1305.open(sealed, key: key, associatedData: ad, into: scratch) } catch SodiumError
                .outOfMemory
            {
                throw .storage("secure memory unavailable")
            } catch {
                throw integrity
            }
            guard kind.isPadded else { return n }
            guard let length = scratch.withBytes(count: n, { Vault.plaintextLength(ofPadded: $0, kind: kind) }) else {
                scratch.wipe(count: n)
                throw integrity
            }
            return length
        }
    }

    private static func open(
        _ sealed: [UInt8], key: borrowing SecureBytes, ad: [UInt8], padded: Bool,
        integrity: VaultError, kind: SealedKind
    ) throws(VaultError) -> SecureBytes {
        if padded { return try Vault.openPadded(sealed, key: key, ad: ad, integrity: integrity, kind: kind) }
        do { return try XChaCha20Poly1305.open(sealed, key: key, associatedData: ad) } catch .outOfMemory {
            throw .storage("secure memory unavailable")
        } catch {
            throw integrity
        }
    }

    /// Opens a `kind` sealed as `id` and runs `body` with the plaintext where it was decrypted
    /// (no copy: the manifest is 200 KB at 10,000 records and opened at every unlock).
    func withOpened<R>(
        _ kind: SealedKind, _ sealed: [UInt8], id: String = "", _ body: (UnsafeRawBufferPointer) throws(VaultError) -> R
    ) throws(VaultError) -> R {
        let ad = kind.ad(vaultID: vaultID, id: id)
        let integrity = kind.integrityError(id: id)
        let opened = try withKey(for: kind) { (key) throws(VaultError) -> SecureBytes in
            do { return try XChaCha20Poly1305.open(sealed, key: key, associatedData: ad) } catch SodiumError.outOfMemory {
                throw .storage("secure memory unavailable")
            } catch {
                throw integrity
            }
        }
        return try opened.withUnsafeBytes { (p) throws(VaultError) -> R in
            guard kind.isPadded else { return try body(p) }
            guard let n = Vault.plaintextLength(ofPadded: p, kind: kind) else { throw integrity }
            return try body(UnsafeRawBufferPointer(rebasing: p[..<n]))
        }
    }

    /// Opens a `kind` sealed under `self` and seals it again under `other` (`rekey`).
    func reseal(_ kind: SealedKind, _ sealed: [UInt8], id: String = "", under other: borrowing Keyring) throws(VaultError)
        -> [UInt8]
    {
        try other.seal(kind, secure: try open(kind, sealed, id: id), id: id)
    }

    /// SECURITY.md §5: the master check value of this master key.
    func masterCheck() throws(VaultError) -> [UInt8] {
        let sub = try Subkey.masterCheck.derive(from: master)
        let message = VaultFormat.masterCheckMessage(vaultID: vaultID)
        return try Vault.sodium { try GenericHash.keyedHash(message, key: sub, length: 32) }
    }
}
