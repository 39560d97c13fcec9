#!/usr/bin/env python3
"""Generates the v3 test-vector vault (format 3: an age identity, contacts, a received record, a
share's provenance entry). Run ONCE; the committed output is the vector and must never be
regenerated for format v3 (future versions must open exactly these bytes).
Needs Debian's age and age-keygen.
Usage: make_v3.py path/to/sourcevault  (writes v3/vault.sqlite3, v3/to-vault.age and v3/expected.json)"""
import json, os, subprocess, sys, tempfile, shutil

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
PASS = "sourcevault test vector v3 — passphrase ünïcode 암호"
tmp = tempfile.mkdtemp()
vault = os.path.join(tmp, "v")

def sv(*args, stdin=b""):
    r, w = os.pipe()
    os.write(w, (PASS + "\n").encode()); os.close(w)
    p = subprocess.run([BIN, *args, "--vault", vault, "--passphrase-fd", str(r)], input=stdin,
                       capture_output=True, pass_fds=(r,))
    os.close(r)
    assert p.returncode == 0, p.stderr
    return p.stdout.decode()

out = sv("init", "--kdf", "test")
recovery = [l for l in out.splitlines() if l.startswith("Recovery key: ")][0][len("Recovery key: "):]
recipient = sv("identity").strip()
sv("source", "add", "Magpie")
r1 = sv("add", "--source", "Magpie", "--title", "Crossing", stdin="Ri Jong-yol crossed below Hoeryŏng.\nSecond line.\n".encode()).strip()
sv("rule", "add", "Ri Jong-yol", "--label", "PERSON")
# Two contacts (fixed recipients: the spec's example and one made here), one share to both.
subprocess.run(["age-keygen", "-o", os.path.join(tmp, "ed.key")], check=True, capture_output=True)
ed = subprocess.run(["age-keygen", "-y", os.path.join(tmp, "ed.key")], check=True, capture_output=True).stdout.decode().strip()
sv("contact", "add", "Desk editor", stdin=(ed + "\n").encode())
sv("contact", "add", "편집자", stdin=b"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\n")
sv("share", r1, "--lines", "1-1", "--to", "Desk editor", "--to", "편집자", "--out", os.path.join(tmp, "s.age"))
# A file age wrote to the vault, received; and one more, kept beside the vector, that every future
# version must still open with the vault's identity.
text = "Testimony a colleague sent with age.\n이종열.\n"
with open(os.path.join(tmp, "in.txt"), "w") as f:
    f.write(text)
subprocess.run(["age", "-r", recipient, "-o", os.path.join(tmp, "in.age"), os.path.join(tmp, "in.txt")], check=True)
r2 = sv("receive", os.path.join(tmp, "in.age"), "--source", "Magpie", "--title", "From a colleague").strip()
subprocess.run(["age", "-a", "-r", recipient, "-o", os.path.join(HERE, "v3", "to-vault.age"), os.path.join(tmp, "in.txt")],
               check=True)
contacts = json.loads(sv("contact", "list", "--json"))
records = []
for rid in sorted([r1, r2]):
    records.append({"id": rid, "versions": [json.loads(sv("show", rid, "--json"))]})
shutil.copy(os.path.join(vault, "vault.sqlite3"), os.path.join(HERE, "v3", "vault.sqlite3"))
with open(os.path.join(HERE, "v3", "expected.json"), "w") as f:
    json.dump({"passphrase": PASS, "recoveryKey": recovery, "identity": recipient, "contacts": contacts,
               "records": records, "toVault": text},
              f, ensure_ascii=False, indent=1, sort_keys=True)
shutil.rmtree(tmp)
print("wrote v3/vault.sqlite3, v3/to-vault.age and v3/expected.json")
