#!/usr/bin/env python3
"""Generates the v5 test-vector vault (format 5: summary pages, SECURITY.md §6.12): 260 records in
two pages (256 + 4), one amended, one edited, one removed. Run ONCE; the committed output is the
vector and must never be regenerated for format v5 (future versions must open exactly these bytes).
Usage: make_v5.py path/to/sourcevault  (writes v5/vault.sqlite3 and v5/expected.json)"""
import json, os, subprocess, sys, tempfile, shutil

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
PASS = "sourcevault test vector v5 — passphrase ünïcode 암호"
tmp = tempfile.mkdtemp()
vault = os.path.join(tmp, "v")

def sv(*args, stdin=b"", ok=(0,)):
    r, w = os.pipe()
    os.write(w, (PASS + "\n").encode()); os.close(w)
    p = subprocess.run([BIN, *args, "--vault", vault, "--passphrase-fd", str(r)], input=stdin,
                       capture_output=True, pass_fds=(r,))
    os.close(r)
    assert p.returncode in ok, p.stderr
    return p.stdout.decode()

out = sv("init", "--kdf", "test")
recovery = [l for l in out.splitlines() if l.startswith("Recovery key: ")][0][len("Recovery key: "):]
sv("source", "add", "Magpie")
texts = os.path.join(tmp, "texts")
os.mkdir(texts)
for i in range(260):
    with open(os.path.join(texts, "%03d.txt" % i), "w") as f:
        f.write("Testimony %d: 회령에서 왔다. Hoeryŏng.\n" % i)
sv("import", texts, "--source", "Magpie")
ids = [l.split()[0] for l in sv("list").splitlines()]
sv("amend", ids[3], stdin="Amended: 图们江.\n".encode())
sv("edit", ids[257], "--title", "-", stdin="Renamed — 이름\n".encode())
sv("rm", ids[100], "--yes")
listed = json.loads(sv("list", "--json"))
shutil.copy(os.path.join(vault, "vault.sqlite3"), os.path.join(HERE, "v5", "vault.sqlite3"))
with open(os.path.join(HERE, "v5", "expected.json"), "w") as f:
    json.dump({"passphrase": PASS, "recoveryKey": recovery,
               "list": [{"id": r["id"], "version": r["version"], "title": r["title"]} for r in listed]},
              f, ensure_ascii=False, indent=1, sort_keys=True)
shutil.rmtree(tmp)
print("wrote v5/vault.sqlite3 and v5/expected.json")
