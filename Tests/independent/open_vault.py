#!/usr/bin/python3
"""Independent reader of a SourceVault vault, written from SECURITY.md alone.

Usage:
    /usr/bin/python3 open_vault.py VAULT_DIR (--passphrase-fd N | --recovery-key-fd N)

Reads the secret's first line from file descriptor N, opens every sealed item in the
vault and prints one JSON object (keys sorted) on stdout:

    {"format_version": 5, "generation": N (formats 2 to 5, §6.8),
     "identity": "age1…" (format 3, §6.9), "contacts": [{"id", "name", "recipient", "created"}] (§6.10),
     "facts": [{"id", "source", "kind", "term", "variants", "created"}] (format 4, §6.11),
     "summaries": [{"id", "version", "meta"}] (format 5, §6.12: the summary pages in page order,
                  each entry checked against the manifest and equal to its record's latest version),
     "sources": [{"id", "alias", "note"?, "created"}, ...],          # sorted by id
     "records": [{"id", "versions": [{"version", "meta", "body"}]}]}  # sorted by id, version

Only PyNaCl (libsodium) and the Python standard library are used. Section numbers (§N)
refer to SECURITY.md.

Exit status (the same convention as the `sourcevault` command):
    0 ok, 2 usage or invalid input (empty or over-long passphrase), 3 wrong passphrase or
    recovery key (including a mistyped recovery key, §4.2, and a missing slot), 5 integrity
    failure / refused KDF parameters (§4.1), 6 no vault / not a vault / newer format (§3).
SECURITY.md itself only fixes exit 5 for §4.1; the other values follow `sourcevault --help`.
"""

import argparse
import json
import os
import sqlite3
import struct
import sys
import urllib.parse

import nacl.bindings as sodium
import nacl.exceptions

EXIT_USAGE = 2
EXIT_WRONG_SECRET = 3
EXIT_INTEGRITY = 5
EXIT_NOT_A_VAULT = 6

KNOWN_FORMAT_VERSION = 5  # §3: version 5 is this document (1 to 4 are read too: not yet upgraded)
MAGIC = "SourceVault"  # §3

KIND_PASSPHRASE = 1  # §3 key_slot.kind, §4.1
KIND_RECOVERY = 2  # §3 key_slot.kind, §4.2

NONCE_BYTES = 24  # §2 sealed box
TAG_BYTES = 16  # §2 sealed box
KEY_BYTES = 32  # §4 master key, §4.1/§4.2 KEK, §5 subkeys, §6.1 record key
SALT_BYTES = 16  # §3 kdf_salt
VAULT_ID_BYTES = 16  # §3 vault_id
ID_HEX_CHARS = 16  # §3 source_id / record_id

MAX_PASSPHRASE_BYTES = 4096  # §4.1


class VaultError(Exception):
    """An error with the exit status it maps to; the message is one line, without secrets."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def integrity(message):
    return VaultError(EXIT_INTEGRITY, "integrity failure: " + message)


# ---------------------------------------------------------------------------------------
# §2 Primitives
# ---------------------------------------------------------------------------------------

def u32le(n):
    """§2: integers in associated data are little-endian."""
    return struct.pack("<I", n)


def u64le(n):
    """§2: integers in associated data are little-endian."""
    return struct.pack("<Q", n)


def label(text):
    """§6: every associated data starts with an ASCII label and a 0x00 byte."""
    return text.encode("ascii") + b"\x00"


def open_sealed_box(key, box, ad):
    """§2: a sealed box is nonce (24) || ciphertext || tag (16); open it with
    crypto_aead_xchacha20poly1305_ietf_decrypt. Returns None if authentication fails."""
    if not isinstance(box, bytes) or len(box) < NONCE_BYTES + TAG_BYTES:
        return None
    nonce, combined = box[:NONCE_BYTES], box[NONCE_BYTES:]
    try:
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(combined, ad, nonce, key)
    except nacl.exceptions.CryptoError:
        return None


def blake2b(message, outlen=32, key=b""):
    """§2: BLAKE2b (`crypto_generichash`), optionally keyed."""
    return sodium.crypto_generichash_blake2b_salt_personal(message, digest_size=outlen, key=key)


# ---------------------------------------------------------------------------------------
# §3 Files, database schema and versioning
# ---------------------------------------------------------------------------------------

def open_database(vault_dir):
    """§3: a vault is a directory holding vault.sqlite3. Opened read-only."""
    path = os.path.join(vault_dir, "vault.sqlite3")
    if not os.path.isfile(path):
        raise VaultError(EXIT_NOT_A_VAULT, "no vault at this path (vault.sqlite3 not found)")
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        raise VaultError(EXIT_NOT_A_VAULT, "not a vault (cannot read the database: %s)" % error)
    return db


def read_header(db):
    """§3 Versioning: check magic, then refuse a format_version above the one we know.
    Returns (format_version, vault_id)."""
    try:
        rows = db.execute(
            "SELECT magic, format_version, vault_id FROM vault_header WHERE singleton = 1"
        ).fetchall()
    except sqlite3.DatabaseError as error:
        raise VaultError(EXIT_NOT_A_VAULT, "not a vault (cannot read vault_header: %s)" % error)
    if len(rows) != 1:
        raise VaultError(EXIT_NOT_A_VAULT, "not a vault (no vault header row)")
    magic, format_version, vault_id = rows[0]
    if magic != MAGIC:
        raise VaultError(EXIT_NOT_A_VAULT, "not a vault (wrong magic)")
    if not isinstance(format_version, int):
        raise integrity("format_version is not an integer")
    if format_version > KNOWN_FORMAT_VERSION:
        raise VaultError(
            EXIT_NOT_A_VAULT,
            "this vault uses format version %d; this reader knows only version %d: "
            "upgrade sourcevault" % (format_version, KNOWN_FORMAT_VERSION),
        )
    if format_version < 1:
        raise integrity("invalid format_version %d" % format_version)
    if not isinstance(vault_id, bytes) or len(vault_id) != VAULT_ID_BYTES:
        raise integrity("vault_id is not %d bytes" % VAULT_ID_BYTES)
    return format_version, vault_id


def check_id(kind, value):
    """§3: source_id / record_id are 16 lowercase hex characters."""
    if (not isinstance(value, str) or len(value) != ID_HEX_CHARS
            or any(c not in "0123456789abcdef" for c in value)):
        raise integrity("malformed %s id %r" % (kind, value))
    return value


# ---------------------------------------------------------------------------------------
# Reading the secret (§4.1 passphrase line rules; also used for the recovery key line)
# ---------------------------------------------------------------------------------------

def read_first_line(fd):
    """§4.1: the raw bytes of the first line without its line ending (\\n or \\r\\n)."""
    chunks = []
    total = 0
    while True:
        byte = os.read(fd, 1)  # byte by byte: never read past the first line
        if not byte or byte == b"\n":
            break
        chunks.append(byte)
        total += 1
        if total > MAX_PASSPHRASE_BYTES + 1:  # enough to know it is too long
            break
    line = b"".join(chunks)
    if line.endswith(b"\r"):
        line = line[:-1]
    return line


def check_passphrase(passphrase):
    """§4.1: at most 4096 bytes; empty passphrases are refused."""
    if not passphrase:
        raise VaultError(EXIT_USAGE, "empty passphrase")
    if len(passphrase) > MAX_PASSPHRASE_BYTES:
        raise VaultError(EXIT_USAGE, "passphrase longer than %d bytes" % MAX_PASSPHRASE_BYTES)
    return passphrase


# ---------------------------------------------------------------------------------------
# §4 Key slots and the master key
# ---------------------------------------------------------------------------------------

def read_slot(db, kind):
    try:
        row = db.execute(
            "SELECT kdf_algorithm, kdf_opslimit, kdf_memlimit, kdf_salt, wrapped_master_key "
            "FROM key_slot WHERE kind = ?", (kind,)
        ).fetchone()
    except sqlite3.DatabaseError as error:
        raise VaultError(EXIT_NOT_A_VAULT, "not a vault (cannot read key_slot: %s)" % error)
    if row is None:  # SECURITY.md does not say; reported like a secret that does not open it
        name = "passphrase" if kind == KIND_PASSPHRASE else "recovery key"
        raise VaultError(EXIT_WRONG_SECRET, "this vault has no %s slot" % name)
    return row


def slot_ad(vault_id, format_version, kind, opslimit, memlimit, salt):
    """§4: "sourcevault.v1.key-slot" || 0x00 || vault_id || u32le(1) || kind (1)
    || u64le(ops) || u64le(mem) || kdf_salt (16). The 1 is the slot format, the same in
    formats 1 and 2 (so format_version is not used here)."""
    return (label("sourcevault.v1.key-slot") + vault_id + u32le(1) + bytes([kind])
            + u64le(opslimit) + u64le(memlimit) + salt)


def check_passphrase_slot_bounds(algorithm, opslimit, memlimit, salt):
    """§4.1 Bounds, checked before running Argon2id."""
    ok = (
        algorithm == 2
        and isinstance(opslimit, int) and 1 <= opslimit <= 16
        and isinstance(memlimit, int) and 8192 <= memlimit <= 1073741824
        and isinstance(salt, bytes) and len(salt) == SALT_BYTES
    )
    if not ok:
        raise VaultError(
            EXIT_INTEGRITY,
            "refusing to unlock: the key derivation parameters are out of bounds; "
            "the vault may have been tampered with",
        )


def check_recovery_slot_fields(algorithm, opslimit, memlimit, salt):
    """§4.2: kdf_algorithm, kdf_opslimit and kdf_memlimit are 0; §3: salt is 16 bytes.
    (SECURITY.md gives no rule for other values; they are in slot_ad, so the AEAD would fail
    anyway. This reader refuses them like §4.1 out-of-bounds values.)"""
    if not (algorithm == 0 and opslimit == 0 and memlimit == 0
            and isinstance(salt, bytes) and len(salt) == SALT_BYTES):
        raise VaultError(
            EXIT_INTEGRITY,
            "refusing to unlock: the recovery slot parameters are invalid; "
            "the vault may have been tampered with",
        )


def passphrase_kek(passphrase, salt, opslimit, memlimit):
    """§4.1: KEK = crypto_pwhash(32, passphrase, salt, ops, mem, ALG_ARGON2ID13)."""
    return sodium.crypto_pwhash_alg(
        KEY_BYTES, passphrase, salt, opslimit, memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13
    )


def recovery_kek(recovery_key, salt):
    """§4.2: KEK = BLAKE2b-256(key = recovery_key,
    message = "sourcevault.v1.recovery-slot" || 0x00 || kdf_salt)."""
    return blake2b(label("sourcevault.v1.recovery-slot") + salt, 32, key=recovery_key)


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # §4.2
RECOVERY_CHARS = 56  # §4.2: 35 bytes = 280 bits = 56 five-bit characters
RECOVERY_KEY_BYTES = 32
RECOVERY_CHECK_BYTES = 3


def parse_recovery_key(text):
    """§4.2 Printed form: ignore '-', spaces and tabs; any case; I/L -> 1, O -> 0; 56
    Crockford base32 characters, big-endian, 5 bits each = recovery_key (32) || first 3
    bytes of BLAKE2b-256(recovery_key). Any problem is a typo, reported before any slot
    is tried."""
    typo = VaultError(EXIT_WRONG_SECRET, "the recovery key has a typo (wrong length, character "
                                  "or checksum); check it and try again")
    try:
        text = text.decode("ascii")
    except UnicodeDecodeError:
        raise typo
    chars = [c for c in text.upper() if c not in "- \t"]
    chars = ["1" if c in "IL" else "0" if c == "O" else c for c in chars]
    if len(chars) != RECOVERY_CHARS or any(c not in CROCKFORD for c in chars):
        raise typo
    value = 0
    for c in chars:
        value = (value << 5) | CROCKFORD.index(c)
    payload = value.to_bytes(RECOVERY_KEY_BYTES + RECOVERY_CHECK_BYTES, "big")
    key, check = payload[:RECOVERY_KEY_BYTES], payload[RECOVERY_KEY_BYTES:]
    if blake2b(key, 32)[:RECOVERY_CHECK_BYTES] != check:
        raise typo
    return key


def unlock(db, vault_id, format_version, passphrase=None, recovery_key=None):
    """§8 Unlock: read the slot, bounds-check (§4.1), derive KEK, open the master key (§4)."""
    kind = KIND_PASSPHRASE if passphrase is not None else KIND_RECOVERY
    algorithm, opslimit, memlimit, salt, wrapped = read_slot(db, kind)
    if kind == KIND_PASSPHRASE:
        check_passphrase_slot_bounds(algorithm, opslimit, memlimit, salt)
        kek = passphrase_kek(passphrase, salt, opslimit, memlimit)
    else:
        check_recovery_slot_fields(algorithm, opslimit, memlimit, salt)
        kek = recovery_kek(recovery_key, salt)
    ad = slot_ad(vault_id, format_version, kind, opslimit, memlimit, salt)
    master_key = open_sealed_box(kek, wrapped, ad)
    if master_key is None:
        # §4: a wrong passphrase or recovery key makes the AEAD fail.
        what = "passphrase" if kind == KIND_PASSPHRASE else "recovery key"
        raise VaultError(EXIT_WRONG_SECRET, "wrong %s" % what)
    if len(master_key) != KEY_BYTES:
        raise integrity("the master key is not %d bytes" % KEY_BYTES)
    return master_key


# ---------------------------------------------------------------------------------------
# §5 Subkeys
# ---------------------------------------------------------------------------------------

SUBKEY_RECORD_KEK = (1, b"SVrecKEK")  # §5
SUBKEY_SOURCE = (2, b"SVsource")  # §5
SUBKEY_MANIFEST = (11, b"SVmanife")  # §5, §6.8


def derive_subkey(master_key, subkey):
    """§5: crypto_kdf_derive_from_key(32, subkey_id, context, master_key), which libsodium
    defines as BLAKE2b(key = master_key, message = empty, outlen = 32,
    salt = u64le(subkey_id) || 8 zero bytes, personal = context (8) || 8 zero bytes)."""
    subkey_id, context = subkey
    assert len(context) == 8
    return sodium.crypto_generichash_blake2b_salt_personal(
        b"", digest_size=KEY_BYTES, key=master_key,
        salt=u64le(subkey_id) + bytes(8), person=context + bytes(8),
    )


# ---------------------------------------------------------------------------------------
# §7 Padding
# ---------------------------------------------------------------------------------------

def padme(length):
    """§7 PADMÉ(L): E = floor(log2 L), S = floor(log2 E) + 1, z = E - S; if z <= 0 the
    result is L, else (L + 2^z - 1) rounded down to a multiple of 2^z."""
    exponent = length.bit_length() - 1
    if exponent < 1:  # L = 1: log2(0) is undefined; the result is L (z would be <= 0)
        return length
    s = exponent.bit_length()  # floor(log2 E) + 1
    z = exponent - s
    if z <= 0:
        return length
    mask = (1 << z) - 1
    return (length + mask) & ~mask


def padded_length(n):
    """§7: P(n) = max(256, PADMÉ(n + 1))."""
    return max(256, padme(n + 1))


def unpad(padded, what, page=False):
    """§7: strip trailing 0x00 bytes and the one 0x80 before them (missing 0x80 is an
    integrity error); also check the padded length is exactly P(n). A summary page (§6.12):
    exactly max(P(n), 256 x its entry count), the count being the plaintext's first u32."""
    end = len(padded)
    while end > 0 and padded[end - 1] == 0x00:
        end -= 1
    if end == 0 or padded[end - 1] != 0x80:
        raise integrity("%s: padding has no 0x80 marker" % what)
    plaintext = padded[:end - 1]
    want = padded_length(len(plaintext))
    if page and len(plaintext) >= 4:
        want = max(want, 256 * struct.unpack("<I", plaintext[:4])[0])
    if len(padded) != want:
        raise integrity("%s: padded length %d is not the %d required for %d bytes"
                        % (what, len(padded), want, len(plaintext)))
    return plaintext


def decode_utf8(data, what):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise integrity("%s is not valid UTF-8" % what)


def decode_json_object(data, what):
    text = decode_utf8(data, what)
    try:
        value = json.loads(text)
    except ValueError:
        raise integrity("%s is not valid JSON" % what)
    if not isinstance(value, dict):
        raise integrity("%s is not a JSON object" % what)
    return value


# ---------------------------------------------------------------------------------------
# §6.3 Source entries
# ---------------------------------------------------------------------------------------

def source_ad(vault_id, source_id):
    """§6.3: "sourcevault.v1.source" || 0x00 || vault_id || source_id (16 ASCII)."""
    return label("sourcevault.v1.source") + vault_id + source_id.encode("ascii")


def read_sources(db, vault_id, source_key):
    sources = []
    for source_id, sealed in db.execute("SELECT source_id, sealed FROM source ORDER BY source_id"):
        check_id("source", source_id)
        what = "source %s" % source_id
        padded = open_sealed_box(source_key, sealed, source_ad(vault_id, source_id))
        if padded is None:
            raise integrity("%s: ciphertext failed authentication" % what)
        entry = decode_json_object(unpad(padded, what), what)
        # §6.3: {"alias": string, "created": string, "note": string (optional)}
        if not isinstance(entry.get("alias"), str) or not isinstance(entry.get("created"), str):
            raise integrity("%s: source JSON lacks alias or created" % what)
        if "note" in entry and not isinstance(entry["note"], str):
            raise integrity("%s: note is not a string" % what)
        source = {"id": source_id, "alias": entry["alias"], "created": entry["created"]}
        if "note" in entry:
            source["note"] = entry["note"]
        sources.append(source)
    return sources


# ---------------------------------------------------------------------------------------
# §6.1 Record keys, §6.2 record fields, §6.4 metadata, §6.5 testimony
# ---------------------------------------------------------------------------------------

def record_key_ad(vault_id, record_id):
    """§6.1: "sourcevault.v1.record-key" || 0x00 || vault_id || record_id (16 ASCII)."""
    return label("sourcevault.v1.record-key") + vault_id + record_id.encode("ascii")


def field_ad(vault_id, record_id, version, field):
    """§6.2: "sourcevault.v1.record-field" || 0x00 || vault_id || record_id (16 ASCII)
    || u32le(version) || field (1 byte: 1 = meta, 2 = body)."""
    return (label("sourcevault.v1.record-field") + vault_id + record_id.encode("ascii")
            + u32le(version) + bytes([field]))


FIELD_META = 1  # §6.2
FIELD_BODY = 2  # §6.2


def open_record_key(vault_id, record_kek, record_id, wrapped_key):
    """§6.1: the record's own 32-byte key, wrapped under subkey 1."""
    record_key = open_sealed_box(record_kek, wrapped_key, record_key_ad(vault_id, record_id))
    if record_key is None:
        raise integrity("record %s: record key failed authentication" % record_id)
    if len(record_key) != KEY_BYTES:
        raise integrity("record %s: record key is not %d bytes" % (record_id, KEY_BYTES))
    return record_key


def open_field(vault_id, record_key, record_id, version, field, sealed):
    """§6.2 + §7: open one field of one version and unpad it."""
    name = "meta" if field == FIELD_META else "body"
    what = "record %s version %d %s" % (record_id, version, name)
    padded = open_sealed_box(record_key, sealed, field_ad(vault_id, record_id, version, field))
    if padded is None:
        raise integrity("%s: ciphertext failed authentication" % what)
    return unpad(padded, what), what


def read_records(db, vault_id, record_kek):
    records = []
    rows = db.execute("SELECT record_id, wrapped_key FROM record ORDER BY record_id").fetchall()
    for record_id, wrapped_key in rows:
        check_id("record", record_id)
        record_key = open_record_key(vault_id, record_kek, record_id, wrapped_key)
        versions = []
        version_rows = db.execute(
            "SELECT version, meta, body FROM record_version WHERE record_id = ? ORDER BY version",
            (record_id,),
        ).fetchall()
        for version, meta_box, body_box in version_rows:
            if not isinstance(version, int) or not 1 <= version <= 0xFFFFFFFF:
                raise integrity("record %s: invalid version number %r" % (record_id, version))
            meta_bytes, meta_what = open_field(
                vault_id, record_key, record_id, version, FIELD_META, meta_box)
            body_bytes, body_what = open_field(
                vault_id, record_key, record_id, version, FIELD_BODY, body_box)
            # §6.4: UTF-8 JSON object; unknown keys are kept as-is (readers ignore them).
            meta = decode_json_object(meta_bytes, meta_what)
            # §6.5: the testimony as UTF-8, exactly as entered (no normalization).
            body = decode_utf8(body_bytes, body_what)
            versions.append({"version": version, "meta": meta, "body": body})
        # §3: versions are 1, 2, 3, … with no gaps. (A missing latest version cannot be
        # detected, §1.2; a gap can, and is reported.)
        numbers = [v["version"] for v in versions]
        if numbers != list(range(1, len(numbers) + 1)):
            raise integrity("record %s: versions %s are not 1..n without gaps"
                            % (record_id, numbers))
        records.append({"id": record_id, "versions": versions})
    return records


# ---------------------------------------------------------------------------------------
# §6.8 The manifest (format 2)
# ---------------------------------------------------------------------------------------

MANIFEST_MAGIC = {2: b"SVMANIFEST2\x00", 3: b"SVMANIFEST3\x00", 4: b"SVMANIFEST4\x00",
                  5: b"SVMANIFEST5\x00"}  # §6.8, by format
MANIFEST_ITEM_TABLES = [("source", "source_id"), ("rule", "id"), ("export_record", "id"),
                        ("identity", "id"), ("contact", "id"), ("fact", "id"), ("summary_page", "id")]
# §6.8 order (format 2: the first three; format 3: the first five; format 4: the first six)


def manifest_tables(format_version):
    return MANIFEST_ITEM_TABLES[:{2: 3, 3: 5, 4: 6}.get(format_version, 7)]


def parse_manifest(m, format_version):
    """§6.8: M, after unpadding. Returns a dict with every list and digest."""
    at = 0

    def take(n):
        nonlocal at
        if len(m) - at < n:
            raise integrity("the manifest is truncated")
        at += n
        return m[at - n:at]

    def u32():
        return struct.unpack("<I", take(4))[0]

    def ident():
        raw = take(ID_HEX_CHARS)
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            raise integrity("the manifest holds a malformed id")
        check_id("manifest", text)
        return text

    if take(12) != MANIFEST_MAGIC[min(format_version, 5)]:
        raise integrity("the manifest's magic is not the one of the vault's format")
    out = {"generation": struct.unpack("<Q", take(8))[0], "records": {}, "items": {}, "slots": {}}
    for _ in range(u32()):
        record_id = ident()
        out["records"][record_id] = u32()
    for table, _ in manifest_tables(format_version):
        listed = [ident() for _ in range(u32())]
        # §6.8: the page list strictly ascending, no page twice.
        if table == "summary_page" and any(a >= b for a, b in zip(listed, listed[1:])):
            raise integrity("the manifest's page list is not strictly ascending")
        out["items"][table] = set(listed)
    for _ in range(u32()):
        kind = take(1)[0]
        out["slots"][kind] = take(32)
    for name in ("retention", "audit_key", "master_check"):
        flag, value = take(1)[0], take(32)
        out[name] = value if flag == 1 else None
    flag, bundle = take(1)[0], take(16)
    out["travel"] = bundle if flag == 1 else None
    out["placeholder_numbers"] = {}
    for _ in range(u32()):
        name = take(take(1)[0]).decode("ascii", "replace")
        out["placeholder_numbers"][name] = u32()
    if format_version >= 5:
        # Each summary page with the 24-byte nonce it was last sealed with (§6.8, §6.12).
        out["page_nonces"] = {}
        last = None
        for _ in range(u32()):
            page_id = ident()
            # Strictly ascending by page id, no page twice (§6.8).
            if last is not None and page_id <= last:
                raise integrity("the manifest's page nonces are not strictly ascending")
            last = page_id
            out["page_nonces"][page_id] = take(24)
        # The page list and the (id, nonce) list name the same pages, each a page number
        # 1 ... 2^31 - 1 in 16 lowercase hex digits (§6.8, §6.12); otherwise the manifest is refused.
        if set(out["page_nonces"]) != out["items"]["summary_page"]:
            raise integrity("the manifest's page list and its page nonces name different pages")
        for page_id in out["page_nonces"]:
            if not 1 <= int(page_id, 16) <= 0x7FFFFFFF:
                raise integrity("the manifest lists %s, which is no page number" % page_id)
    if at != len(m):
        raise integrity("the manifest has trailing bytes")
    return out


# ---------------------------------------------------------------------------------------
# §6.9, §6.10 The age identity and contacts (format 3)
# ---------------------------------------------------------------------------------------

SUBKEY_IDENTITY = (13, b"SVidenty")  # §5
SUBKEY_CONTACT = (14, b"SVcontct")  # §5
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_encode(hrp, data):
    """BIP 173, as age writes recipients (§6.9: `age1…`)."""
    def polymod(values):
        gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
        chk = 1
        for v in values:
            top = chk >> 25
            chk = (chk & 0x1ffffff) << 5 ^ v
            for i in range(5):
                chk ^= gen[i] if ((top >> i) & 1) else 0
        return chk
    acc, bits, groups = 0, 0, []
    for b in data:
        acc, bits = (acc << 8) | b, bits + 8
        while bits >= 5:
            bits -= 5
            groups.append((acc >> bits) & 31)
    if bits:
        groups.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod(expanded + groups + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[g] for g in groups + checksum)


def read_identity(db, vault_id, key):
    """§6.9: exactly one row; its 32-byte secret's X25519 public key, as `age1…`."""
    rows = db.execute("SELECT id, sealed FROM identity").fetchall()
    if len(rows) != 1:
        raise integrity("the vault holds %d age identities where it must hold one" % len(rows))
    ident, sealed = rows[0]
    check_id("identity", ident)
    padded = open_sealed_box(key, bytes(sealed), label("sourcevault.v3.identity") + vault_id + ident.encode("ascii"))
    if padded is None:
        raise integrity("identity %s failed authentication" % ident)
    secret = unpad(padded, "identity " + ident)
    if len(secret) != 32:
        raise integrity("identity %s is not 32 bytes" % ident)
    return bech32_encode("age", sodium.crypto_scalarmult_base(secret))


def read_contacts(db, vault_id, key):
    """§6.10: every contact's JSON, sorted by id."""
    out = []
    for ident, sealed in db.execute("SELECT id, sealed FROM contact ORDER BY id"):
        check_id("contact", ident)
        padded = open_sealed_box(key, bytes(sealed), label("sourcevault.v3.contact") + vault_id + ident.encode("ascii"))
        if padded is None:
            raise integrity("contact %s failed authentication" % ident)
        c = json.loads(unpad(padded, "contact " + ident))
        if sorted(c) != ["created", "name", "recipient"]:
            raise integrity("contact %s has unexpected keys" % ident)
        out.append({"id": ident, "name": c["name"], "recipient": c["recipient"], "created": c["created"]})
    return out


# ---------------------------------------------------------------------------------------
# §6.11 Facts (format 4)
# ---------------------------------------------------------------------------------------

SUBKEY_FACT = (15, b"SVfacts_")  # §5
FACT_KINDS = {"AGE", "PLACE", "DATE", "WORK", "FAMILY", "BODY", "OTHER"}


def read_facts(db, vault_id, key):
    """§6.11: every fact's JSON, sorted by id."""
    out = []
    for ident, sealed in db.execute("SELECT id, sealed FROM fact ORDER BY id"):
        check_id("fact", ident)
        padded = open_sealed_box(key, bytes(sealed), label("sourcevault.v4.fact") + vault_id + ident.encode("ascii"))
        if padded is None:
            raise integrity("fact %s failed authentication" % ident)
        f = json.loads(unpad(padded, "fact " + ident))
        if sorted(f) != ["created", "kind", "source", "term", "variants"] or f["kind"] not in FACT_KINDS:
            raise integrity("fact %s is malformed" % ident)
        if not isinstance(f["term"], str) or not all(isinstance(v, str) for v in f["variants"]):
            raise integrity("fact %s is malformed" % ident)
        check_id("fact source", f["source"])
        out.append({"id": ident, "source": f["source"], "kind": f["kind"], "term": f["term"],
                    "variants": f["variants"], "created": f["created"]})
    return out


# ---------------------------------------------------------------------------------------
# §6.12 Summary pages (format 5)
# ---------------------------------------------------------------------------------------

SUBKEY_SUMMARY = (16, b"SVsummry")  # §5
PAGE_CAPACITY = 256  # §6.12


PAGE_KEYS = ("source", "title", "created", "versionCreated", "tags", "date", "retainUntil", "received")
PAGE_FLAGS = ((1, "date"), (2, "retainUntil"), (4, "received"))  # §6.12: the flags byte


def read_page_entry(page, at, ident):
    """§6.12: one binary entry at `at`: record_id (16) || u32le(version) || flags (u8) ||
    str(source) || str(title) || str(created) || str(versionCreated) || u32le(tags) || tags x str(tag)
    || str(date) if flags & 1 || str(retainUntil) if flags & 2 || str(received) if flags & 4, where
    str(s) = u32le(byte length) || UTF-8. Returns (record_id, version, metadata dict, next offset)."""
    def malformed():
        return integrity("summary page %s is malformed" % ident)

    def take(n):
        nonlocal at
        if n < 0 or len(page) - at < n:
            raise malformed()
        at += n
        return page[at - n:at]

    def u32():
        return struct.unpack("<I", take(4))[0]

    def text():
        raw = take(u32())
        try:
            return raw.decode("utf-8", "strict")
        except UnicodeDecodeError:
            raise integrity("summary page %s: a string is not UTF-8" % ident)

    record_id = take(16).decode("ascii", "replace")
    version = u32()
    flags = take(1)[0]
    if flags & ~7:
        raise malformed()
    meta = {"source": text(), "title": text(), "created": text(), "versionCreated": text()}
    meta["tags"] = [text() for _ in range(u32())]
    for bit, key in PAGE_FLAGS:
        if flags & bit:
            meta[key] = text()
    return record_id, version, meta, at


def read_summaries(db, vault_id, key, manifest, records):
    """§6.12: every summary page in page order; each entry must be listed in the manifest with its
    version (and met once), every listed record must be in some page, and each entry must equal
    its record's latest metadata."""
    latest = {r["id"]: r["versions"][-1] for r in records}
    out, seen = [], set()
    for ident, sealed in db.execute("SELECT id, sealed FROM summary_page ORDER BY id"):
        check_id("summary page", ident)
        if manifest["page_nonces"].get(ident) != bytes(sealed)[:24]:
            raise integrity("summary page %s is not the copy the manifest lists" % ident)
        padded = open_sealed_box(key, bytes(sealed), label("sourcevault.v5.summary-page") + vault_id + ident.encode("ascii"))
        if padded is None:
            raise integrity("summary page %s failed authentication" % ident)
        page = unpad(padded, "summary page " + ident, page=True)
        if len(page) < 4:
            raise integrity("summary page %s is malformed" % ident)
        n, at = struct.unpack("<I", page[:4])[0], 4
        if n > PAGE_CAPACITY:
            raise integrity("summary page %s is malformed" % ident)
        for _ in range(n):
            record_id, version, meta_json, at = read_page_entry(page, at, ident)
            if manifest["records"].get(record_id) != version or record_id in seen:
                raise integrity("summary page %s does not match the manifest at record %s" % (ident, record_id))
            seen.add(record_id)
            rec = latest.get(record_id)
            wanted = None if rec is None else {k: v for k, v in rec["meta"].items() if v is not None and k in PAGE_KEYS}
            if rec is None or rec["version"] != version or wanted != meta_json:
                raise integrity("summary page %s: record %s is not its latest version" % (ident, record_id))
            out.append({"id": record_id, "version": version, "meta": meta_json})
        if at != len(page):
            raise integrity("summary page %s has trailing bytes" % ident)
    if seen != set(manifest["records"]):
        raise integrity("a record listed in the manifest is in no summary page")
    return out


def singleton(db, table, column):
    row = db.execute("SELECT %s FROM %s WHERE singleton = 1" % (column, table)).fetchone()
    return None if row is None else bytes(row[0])


def check_manifest(db, vault_id, master_key, format_version):
    """§6.8: open the manifest and compare every list and digest with the rows."""
    sealed = singleton(db, "manifest", "sealed")
    if sealed is None:
        raise integrity("the manifest is missing")
    key = derive_subkey(master_key, SUBKEY_MANIFEST)
    padded = open_sealed_box(key, sealed, label("sourcevault.v2.manifest") + vault_id)
    if padded is None:
        raise integrity("the manifest failed authentication")
    m = parse_manifest(unpad(padded, "the manifest"), format_version)
    counts = {rid: n for rid, n in db.execute(
        "SELECT r.record_id, COUNT(v.version) FROM record r LEFT JOIN record_version v ON v.record_id = r.record_id "
        "GROUP BY r.record_id")}
    if counts != m["records"]:
        raise integrity("the records and their version counts differ from the manifest")
    for table, column in manifest_tables(format_version):
        ids = {row[0] for row in db.execute("SELECT %s FROM %s" % (column, table))}
        if ids != m["items"][table]:
            raise integrity("the %s rows differ from the manifest" % table)
    slots = {}
    for kind, alg, ops, mem, salt, wrapped in db.execute(
            "SELECT kind, kdf_algorithm, kdf_opslimit, kdf_memlimit, kdf_salt, wrapped_master_key FROM key_slot"):
        slots[kind] = blake2b(bytes([kind]) + u64le(alg) + u64le(ops) + u64le(mem) + bytes(salt) + bytes(wrapped))
    if slots != m["slots"]:
        raise integrity("the key slots differ from the manifest")
    for name, table, column, digest in (("retention", "retention_index", "sealed", True),
                                        ("audit_key", "audit_key", "sealed", True),
                                        ("master_check", "master_check", "value", False)):
        value = singleton(db, table, column)
        if value is not None and digest:
            value = blake2b(value)
        if value != m[name]:
            raise integrity("the %s differs from the manifest" % name)
    if singleton(db, "travel_pending", "bundle_id") != m["travel"]:
        raise integrity("the travel state differs from the manifest")
    return m


# ---------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------

def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Independent SourceVault reader (SECURITY.md).")
    parser.add_argument("vault", metavar="VAULT_DIR")
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--passphrase-fd", type=int, metavar="N")
    secret.add_argument("--recovery-key-fd", type=int, metavar="N")
    return parser.parse_args(argv)


def open_vault(args):
    # Read and check the secret first: §4.2 says a mistyped recovery key is reported
    # before any slot is tried.
    fd = args.passphrase_fd if args.passphrase_fd is not None else args.recovery_key_fd
    try:
        line = read_first_line(fd)
    except OSError as error:
        raise VaultError(EXIT_USAGE, "cannot read file descriptor %d: %s" % (fd, error.strerror))
    passphrase = recovery_key = None
    if args.passphrase_fd is not None:
        passphrase = check_passphrase(line)
    else:
        recovery_key = parse_recovery_key(line)

    db = open_database(args.vault)
    try:
        format_version, vault_id = read_header(db)  # §3
        master_key = unlock(db, vault_id, format_version, passphrase, recovery_key)  # §4, §8
        record_kek = derive_subkey(master_key, SUBKEY_RECORD_KEK)  # §5
        source_key = derive_subkey(master_key, SUBKEY_SOURCE)  # §5
        try:
            manifest = check_manifest(db, vault_id, master_key, format_version) if format_version >= 2 else None  # §6.8
            generation = manifest["generation"] if manifest is not None else None
            sources = read_sources(db, vault_id, source_key)  # §6.3
            records = read_records(db, vault_id, record_kek)  # §6.1, §6.2
            identity = contacts = facts = None
            if format_version >= 3:
                identity = read_identity(db, vault_id, derive_subkey(master_key, SUBKEY_IDENTITY))  # §6.9
                contacts = read_contacts(db, vault_id, derive_subkey(master_key, SUBKEY_CONTACT))  # §6.10
            if format_version >= 4:
                facts = read_facts(db, vault_id, derive_subkey(master_key, SUBKEY_FACT))  # §6.11
            summaries = None
            if format_version >= 5:
                summaries = read_summaries(db, vault_id, derive_subkey(master_key, SUBKEY_SUMMARY), manifest,
                                           records)  # §6.12
        except sqlite3.DatabaseError as error:
            raise VaultError(EXIT_NOT_A_VAULT, "not a vault (cannot read its tables: %s)" % error)
    finally:
        db.close()
    result = {"format_version": format_version, "sources": sources, "records": records}
    if generation is not None:
        result["generation"] = generation
    if identity is not None:
        result["identity"] = identity
        result["contacts"] = contacts
    if facts is not None:
        result["facts"] = facts
    if summaries is not None:
        result["summaries"] = summaries
    return result


def main(argv):
    args = parse_arguments(argv)
    try:
        result = open_vault(args)
    except VaultError as error:
        print("open_vault.py: %s" % error, file=sys.stderr)
        return error.status
    sys.stdout.write(json.dumps(result, sort_keys=True, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
