#!/usr/bin/env python3
"""Cross-checks the Swift implementation against open_vault.py, a reader written from SECURITY.md
alone with PyNaCl. Run by `make test`: check_independent.py path/to/sourcevault
Prints 'N passed, M failed' and exits non-zero on any failure."""
import json, os, subprocess, sys, tempfile, shutil

BIN = os.path.abspath(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))
READER = os.path.join(HERE, "open_vault.py")
VECTOR = os.path.join(HERE, "..", "VaultCoreTests", "Vectors", "v1")
passed = failed = 0

def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")

def run(cmd, secret, stdin=b""):
    r, w = os.pipe()
    os.write(w, (secret + "\n").encode()); os.close(w)
    cmd = [c.replace("{fd}", str(r)) for c in cmd]
    p = subprocess.run(cmd, input=stdin, capture_output=True, pass_fds=(r,))
    os.close(r)
    return p

def reader(vault, secret, recovery=False):
    flag = "--recovery-key-fd" if recovery else "--passphrase-fd"
    return run([sys.executable, READER, vault, flag, "{fd}"], secret)

def normalized(records):
    """What both sides must agree on for every version of every record."""
    out = {}
    for r in records:
        for v in r["versions"]:
            meta = v["meta"]
            out[(r["id"], v["version"])] = (meta["title"], meta["tags"], meta.get("date"), meta["source"],
                                            meta["created"], meta["versionCreated"], v["body"])
    return out

# 1. The committed vector, by passphrase and by recovery key.
exp = json.load(open(os.path.join(VECTOR, "expected.json")))
tmp = tempfile.mkdtemp()
try:
    vdir = os.path.join(tmp, "vector")
    os.mkdir(vdir)
    shutil.copy(os.path.join(VECTOR, "vault.sqlite3"), vdir)
    want = {(r["id"], v["version"]): (v["title"], v["tags"], v.get("date"), v["sourceID"], v["created"],
                                      v["versionCreated"], v["body"]) for r in exp["records"] for v in r["versions"]}
    for recovery, secret in ((False, exp["passphrase"]), (True, exp["recoveryKey"].replace("-", "").lower())):
        p = reader(vdir, secret, recovery)
        check(f"vector opens (recovery={recovery})", p.returncode == 0, p.stderr.decode())
        if p.returncode == 0:
            got = json.loads(p.stdout)
            check("vector records match", normalized(got["records"]) == want)
            key = lambda s: (s["id"], s["alias"], s.get("note"), s["created"])
            check("vector sources match", sorted(map(key, got["sources"])) == sorted(map(key, exp["sources"])))
    check("vector wrong passphrase exits 3", reader(vdir, "nope").returncode == 3)

    # 2. A fresh vault written by the current binary, with text that exercises padding sizes.
    pw = "fresh vault pass"
    v = os.path.join(tmp, "fresh")
    sv = lambda *a, stdin=b"": run([BIN, *a, "--vault", v, "--passphrase-fd", "{fd}"], pw, stdin)
    p = sv("init", "--kdf", "test")
    check("init", p.returncode == 0, p.stderr.decode())
    sv("source", "add", "Heron")
    ids = []
    for n in (0, 1, 200, 255, 256, 4000, 70000):
        body = ("Ŏ한字x" * (n // 4 + 1))[: max(n, 1)] + "\n"
        p = sv("add", "--source", "Heron", "--title", f"size {n}", "--tag", "t", stdin=body.encode())
        check(f"add {n}", p.returncode == 0, p.stderr.decode())
        ids.append(p.stdout.decode().strip())
    sv("amend", ids[0], stdin=b"amended body\n")
    p = reader(v, pw)
    check("fresh vault opens", p.returncode == 0, p.stderr.decode())
    if p.returncode == 0:
        got = normalized(json.loads(p.stdout)["records"])
        for rid in ids:
            shown = json.loads(sv("show", rid, "--json").stdout)
            for ver in range(1, shown["versions"] + 1):
                s = json.loads(sv("show", rid, "--json", "--version", str(ver)).stdout)
                check(f"record {rid} v{ver}", got.get((rid, ver)) == (s["title"], s["tags"], s.get("date"),
                      s["sourceID"], s["created"], s["versionCreated"], s["body"]))

    # 3. The manifest (SECURITY.md §6.8): the reader checks it on the fresh vault, on the vector after
    #    the binary upgraded it from format 1, and refuses (like the binary) a vault with a rule deleted.
    sv("rule", "add", "Heron", "--variant", "heron")
    p = reader(v, pw)
    got = json.loads(p.stdout) if p.returncode == 0 else {}
    check("fresh vault is format 5 with a manifest", got.get("format_version") == 5 and got.get("generation", 0) > 1,
          p.stderr.decode())
    # §6.12: the summary pages the reader opens are what `list --json` prints, in the same order.
    listed = json.loads(sv("list", "--json").stdout or b"[]")
    check("summary pages: the reader's entries are list's records, in order",
          [(s["id"], s["version"], s["meta"]["title"], s["meta"]["created"]) for s in got.get("summaries", [])] ==
          [(r["id"], r["version"], r["title"], r["created"]) for r in listed] and len(listed) == len(ids),
          p.stderr.decode())
    # §6.9, §6.10: the identity the reader derives is the one the binary prints; contacts open.
    recipient = sv("identity").stdout.decode().strip()
    check("identity: the reader's age1 recipient is the binary's", got.get("identity") == recipient and
          recipient.startswith("age1"), f"{got.get('identity')} vs {recipient}")
    p = sv("contact", "add", "Desk", stdin=b"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\n")
    check("contact add", p.returncode == 0, p.stderr.decode())
    p = reader(v, pw)
    got = json.loads(p.stdout) if p.returncode == 0 else {}
    check("contacts open with the reader", [(c["name"], c["recipient"]) for c in got.get("contacts", [])] ==
          [("Desk", "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")], p.stderr.decode())
    up = lambda *a: run([BIN, *a, "--vault", vdir, "--passphrase-fd", "{fd}"], exp["passphrase"])
    p = up("audit", "recover")
    check("vector: audit recover", p.returncode == 0, p.stderr.decode())
    p = up("list")
    check("vector: list upgrades it", p.returncode == 0, p.stderr.decode())
    p = reader(vdir, exp["passphrase"])
    got = json.loads(p.stdout) if p.returncode == 0 else {}
    # Upgraded from format 1 to 2 (generation 1), to 3 (its identity, generation 2), to 4 (the
    # fact table, generation 3) and to 5 (the summary pages, generation 4) by one unlock.
    check("upgraded vector opens with its manifest", got.get("format_version") == 5 and got.get("generation") == 4
          and got.get("identity", "").startswith("age1") and len(got.get("summaries", [])) == len(exp["records"]),
          p.stderr.decode())
    check("upgraded vector records still match", normalized(got.get("records", [])) == want)
    # The committed format-2 vector opens with its manifest checked, by passphrase and recovery key.
    V2 = os.path.join(HERE, "..", "VaultCoreTests", "Vectors", "v2")
    exp2 = json.load(open(os.path.join(V2, "expected.json")))
    v2dir = os.path.join(tmp, "vector2")
    os.mkdir(v2dir)
    shutil.copy(os.path.join(V2, "vault.sqlite3"), v2dir)
    want2 = {(r["id"], v["version"]): (v["title"], v["tags"], v.get("date"), v["sourceID"], v["created"],
                                       v["versionCreated"], v["body"]) for r in exp2["records"] for v in r["versions"]}
    for recovery, secret in ((False, exp2["passphrase"]), (True, exp2["recoveryKey"])):
        p = reader(v2dir, secret, recovery)
        got = json.loads(p.stdout) if p.returncode == 0 else {}
        check(f"v2 vector opens with its manifest (recovery={recovery})",
              got.get("format_version") == 2 and got.get("generation", 0) > 1, p.stderr.decode())
        check(f"v2 vector records match (recovery={recovery})", normalized(got.get("records", [])) == want2)
    # Format 2 → 4 by the binary's first unlock: the reader then checks the format-4 manifest.
    p = run([BIN, "list", "--vault", v2dir, "--passphrase-fd", "{fd}"], exp2["passphrase"])
    if p.returncode != 0:
        p = run([BIN, "audit", "recover", "--vault", v2dir, "--passphrase-fd", "{fd}"], exp2["passphrase"])
        p = run([BIN, "list", "--vault", v2dir, "--passphrase-fd", "{fd}"], exp2["passphrase"])
    check("v2 vector: list upgrades it to format 5", p.returncode == 0, p.stderr.decode())
    p = reader(v2dir, exp2["passphrase"])
    got = json.loads(p.stdout) if p.returncode == 0 else {}
    check("v2 vector upgraded to 5 opens with its manifest", got.get("format_version") == 5 and
          got.get("identity", "").startswith("age1") and normalized(got.get("records", [])) == want2, p.stderr.decode())
    # The committed format-3 vector (make_v3.py): identity and contacts as recorded.
    V3 = os.path.join(HERE, "..", "VaultCoreTests", "Vectors", "v3")
    exp3 = json.load(open(os.path.join(V3, "expected.json")))
    v3dir = os.path.join(tmp, "vector3")
    os.mkdir(v3dir)
    shutil.copy(os.path.join(V3, "vault.sqlite3"), v3dir)
    for recovery, secret in ((False, exp3["passphrase"]), (True, exp3["recoveryKey"])):
        p = reader(v3dir, secret, recovery)
        got = json.loads(p.stdout) if p.returncode == 0 else {}
        check(f"v3 vector opens (recovery={recovery})", got.get("format_version") == 3 and
              got.get("identity") == exp3["identity"], p.stderr.decode())
        check(f"v3 vector contacts match (recovery={recovery})",
              sorted((c["id"], c["name"], c["recipient"]) for c in got.get("contacts", [])) ==
              sorted((c["id"], c["name"], c["recipient"]) for c in exp3["contacts"]))
        bodies = {r["id"]: r["versions"][0]["body"] for r in got.get("records", [])}
        check(f"v3 vector records match (recovery={recovery})",
              all(bodies.get(r["id"]) == r["versions"][0]["body"] for r in exp3["records"]))
    # The committed format-4 vector (make_v4.py): facts as recorded (§6.11).
    V4 = os.path.join(HERE, "..", "VaultCoreTests", "Vectors", "v4")
    exp4 = json.load(open(os.path.join(V4, "expected.json")))
    v4dir = os.path.join(tmp, "vector4")
    os.mkdir(v4dir)
    shutil.copy(os.path.join(V4, "vault.sqlite3"), v4dir)
    for recovery, secret in ((False, exp4["passphrase"]), (True, exp4["recoveryKey"])):
        p = reader(v4dir, secret, recovery)
        got = json.loads(p.stdout) if p.returncode == 0 else {}
        check(f"v4 vector opens (recovery={recovery})", got.get("format_version") == 4, p.stderr.decode())
        check(f"v4 vector facts match (recovery={recovery})",
              sorted((f["id"], f["kind"], f["term"], tuple(f["variants"])) for f in got.get("facts", [])) ==
              sorted((f["id"], f["kind"], f["term"], tuple(f["variants"])) for f in exp4["facts"]))
    # The committed format-5 vector (make_v5.py): summary pages as recorded (§6.12).
    V5 = os.path.join(HERE, "..", "VaultCoreTests", "Vectors", "v5")
    exp5 = json.load(open(os.path.join(V5, "expected.json")))
    v5dir = os.path.join(tmp, "vector5")
    os.mkdir(v5dir)
    shutil.copy(os.path.join(V5, "vault.sqlite3"), v5dir)
    for recovery, secret in ((False, exp5["passphrase"]), (True, exp5["recoveryKey"])):
        p = reader(v5dir, secret, recovery)
        got = json.loads(p.stdout) if p.returncode == 0 else {}
        check(f"v5 vector opens (recovery={recovery})", got.get("format_version") == 5, p.stderr.decode())
        check(f"v5 vector summaries match (recovery={recovery})",
              [(s["id"], s["version"], s["meta"]["title"]) for s in got.get("summaries", [])] ==
              [(r["id"], r["version"], r["title"]) for r in exp5["list"]], p.stderr.decode())
    # A page deleted from the file: both refuse. (The vector has no audit log: start one first.)
    run([BIN, "audit", "recover", "--vault", v5dir, "--passphrase-fd", "{fd}"], exp5["passphrase"])
    p = run([BIN, "list", "--vault", v5dir, "--passphrase-fd", "{fd}"], exp5["passphrase"])
    check("v5 vector: list by the binary", p.returncode == 0 and len(p.stdout.splitlines()) == len(exp5["list"]),
          p.stderr.decode())
    import sqlite3
    # An older copy of the last page put back after a record was added to it: the manifest binds
    # each page's nonce (§6.8), so both refuse it, though every entry it holds is still current.
    last_page = "SELECT id, sealed FROM summary_page WHERE id = (SELECT MAX(id) FROM summary_page)"
    db = sqlite3.connect(os.path.join(v5dir, "vault.sqlite3"))
    older = db.execute(last_page).fetchone()
    db.close()
    p = run([BIN, "add", "--source", "Magpie", "--title", "later", "--vault", v5dir, "--passphrase-fd", "{fd}"],
            exp5["passphrase"], stdin=b"later testimony\n")
    check("v5 vector: add by the binary", p.returncode == 0, p.stderr.decode())
    db = sqlite3.connect(os.path.join(v5dir, "vault.sqlite3"))
    current = db.execute(last_page).fetchone()
    db.execute("UPDATE summary_page SET sealed = ? WHERE id = ?", (older[1], older[0]))
    db.commit(); db.close()
    p = reader(v5dir, exp5["passphrase"])
    check("reader refuses an older copy of a summary page (exit 5)",
          p.returncode == 5 and b"not the copy the manifest lists" in p.stderr, p.stderr.decode())
    p = run([BIN, "list", "--vault", v5dir, "--passphrase-fd", "{fd}"], exp5["passphrase"])
    check("binary names an older copy of a summary page (exit 5)",
          p.returncode == 5 and b"not the copy the manifest lists" in p.stderr, p.stderr.decode())
    db = sqlite3.connect(os.path.join(v5dir, "vault.sqlite3"))
    db.execute("UPDATE summary_page SET sealed = ? WHERE id = ?", (current[1], current[0]))
    db.commit(); db.close()
    db = sqlite3.connect(os.path.join(v5dir, "vault.sqlite3"))
    db.execute("DELETE FROM summary_page WHERE id = (SELECT MAX(id) FROM summary_page)")
    db.commit(); db.close()
    p = reader(v5dir, exp5["passphrase"])
    check("reader refuses a deleted summary page (exit 5)", p.returncode == 5, p.stderr.decode())
    p = run([BIN, "list", "--vault", v5dir, "--passphrase-fd", "{fd}"], exp5["passphrase"])
    check("binary refuses a deleted summary page (exit 5)", p.returncode == 5, p.stderr.decode())
    # §6.8: the manifest's page list and its (id, nonce) list must name the same page numbers
    # (1 ... 2^31 - 1); the reader refuses a manifest where they differ.
    sys.path.insert(0, HERE)
    import open_vault as ov

    def manifest5(pages, nonces, as_given=False):
        order = (lambda ids: list(ids)) if as_given else sorted
        m = ov.MANIFEST_MAGIC[5] + ov.u64le(4) + ov.u32le(0)
        for table, _ in ov.manifest_tables(5):
            ids = order(pages) if table == "summary_page" else []
            m += ov.u32le(len(ids)) + b"".join(i.encode() for i in ids)
        m += ov.u32le(0) + 3 * (b"\x00" + bytes(32)) + b"\x00" + bytes(16) + ov.u32le(0)
        m += ov.u32le(len(nonces)) + b"".join(i.encode() + bytes(24) for i in order(nonces))
        return m

    def parses(m):
        try:
            ov.parse_manifest(m, 5)
            return True
        except ov.VaultError:
            return False

    one = "0000000000000001"
    check("reader parses a manifest whose page list and nonces agree", parses(manifest5([one], [one])))
    for name, pages, nonces in (("a nonce for an unlisted page", [one], [one, "0000000000000002"]),
                                ("a listed page without a nonce", [one, "0000000000000002"], [one]),
                                ("page 0", ["0000000000000000"], ["0000000000000000"]),
                                ("a page above 2^31 - 1", ["0000000080000000"], ["0000000080000000"])):
        check("reader refuses a manifest with " + name, not parses(manifest5(pages, nonces)))
    # Each list strictly ascending, no page twice (§6.8).
    two = "0000000000000002"
    check("reader parses a manifest listing two pages in order", parses(manifest5([one, two], [one, two], True)))
    for name, pages, nonces in (("a page listed twice", [one, one, two], [one, two]),
                                ("pages out of order", [two, one], [one, two]),
                                ("a nonce listed twice", [one, two], [one, one, two]),
                                ("nonces out of order", [one, two], [two, one])):
        check("reader refuses a manifest with " + name, not parses(manifest5(pages, nonces, True)))
    # A fact added by the binary opens with the reader.
    p = sv("fact", "add", "--source", "Heron", "--kind", "AGE", "-", stdin="34-year-old\n".encode())
    check("fact add", p.returncode == 0, p.stderr.decode())
    p = reader(v, pw)
    got = json.loads(p.stdout) if p.returncode == 0 else {}
    check("facts open with the reader", [(f["kind"], f["term"]) for f in got.get("facts", [])] == [("AGE", "34-year-old")],
          p.stderr.decode())
    import sqlite3
    db = sqlite3.connect(os.path.join(v, "vault.sqlite3"))
    db.execute("DELETE FROM rule")
    db.commit(); db.close()
    p = reader(v, pw)
    check("reader refuses a deleted rule (exit 5)", p.returncode == 5, p.stderr.decode())
    p = sv("list")
    check("binary refuses a deleted rule (exit 5)", p.returncode == 5 and b"rule" in p.stderr, p.stderr.decode())
finally:
    shutil.rmtree(tmp)

print(f"independent reader: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
