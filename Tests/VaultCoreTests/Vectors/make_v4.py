#!/usr/bin/env python3
"""Generates the v4 test-vector vault (format 4: facts about a source, a threshold, and the
disclosure ledger in export entries). Run ONCE; the committed output is the vector and must never be
regenerated for format v4 (future versions must open exactly these bytes).
Usage: make_v4.py path/to/sourcevault  (writes v4/vault.sqlite3 and v4/expected.json)"""
import json, os, subprocess, sys, tempfile, shutil

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
PASS = "sourcevault test vector v4 — passphrase ünïcode 암호"
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
sv("source", "set", "Magpie", "--disclosure-threshold", "2")
r1 = sv("add", "--source", "Magpie", "--title", "Canteen",
        stdin="Ri Jong-yol was a 34-year-old cook.\nShe worked in the mine canteen.\n회령에서 왔다.\n".encode()).strip()
sv("rule", "add", "-", stdin=b"Ri Jong-yol\n")
f_age = sv("fact", "add", "--source", "Magpie", "--kind", "AGE", "-", "--variant", "-",
           stdin="34-year-old\n서른네 살\n".encode()).strip()
f_work = sv("fact", "add", "--source", "Magpie", "--kind", "WORK", "-", stdin=b"mine canteen\n").strip()
f_place = sv("fact", "add", "--source", "Magpie", "--kind", "PLACE", "-", "--variant", "-",
             stdin="Hoeryŏng\n회령\n".encode()).strip()
sv("export", r1, "--lines", "1-1", "--out", os.path.join(tmp, "e1.txt"))                            # AGE
sv("export", r1, "--lines", "2-2", "--out", os.path.join(tmp, "e2.txt"), "--accept-disclosure")     # + WORK
facts = json.loads(sv("fact", "list", "--json"))
ledger = sv("disclosure", "Magpie")
shutil.copy(os.path.join(vault, "vault.sqlite3"), os.path.join(HERE, "v4", "vault.sqlite3"))
with open(os.path.join(HERE, "v4", "expected.json"), "w") as f:
    json.dump({"passphrase": PASS, "recoveryKey": recovery, "record": r1, "facts": facts, "threshold": 2,
               "published": sorted([f_age, f_work]), "unpublished": [f_place], "disclosure": ledger},
              f, ensure_ascii=False, indent=1, sort_keys=True)
shutil.rmtree(tmp)
print("wrote v4/vault.sqlite3 and v4/expected.json")
