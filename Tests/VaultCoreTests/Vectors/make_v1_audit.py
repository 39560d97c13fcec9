#!/usr/bin/env python3
"""Makes the v1-audit vector (a vault with its audit log) ONCE; the committed files are the vector.
Usage: make_v1_audit.py path/to/sourcevault"""
import json, os, subprocess, sys, tempfile, shutil

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
PASS = "sourcevault audit vector v1"
tmp = tempfile.mkdtemp()
vault = os.path.join(tmp, "v")

def sv(*args, stdin=b"", secret=PASS):
    r, w = os.pipe()
    os.write(w, (secret + "\n").encode()); os.close(w)
    p = subprocess.run([BIN, *args, "--vault", vault, "--passphrase-fd", str(r)], input=stdin, capture_output=True, pass_fds=(r,))
    os.close(r)
    return p

out = sv("init", "--kdf", "test").stdout.decode()
pub = [l for l in out.splitlines() if l.startswith("Audit public key: ")][0].split(": ")[1]
sv("source", "add", "Magpie")
rid = sv("add", "--source", "Magpie", "--title", "Vector", stdin=b"audit vector testimony\n").stdout.decode().strip()
sv("show", rid)
sv("search", "vector")
sv("list", secret="a wrong guess")
sv("list")
dest = os.path.join(HERE, "v1-audit")
shutil.copy(os.path.join(vault, "vault.sqlite3"), dest)
shutil.copy(os.path.join(vault, "audit.log"), dest)
json.dump({"passphrase": PASS, "publicKey": pub, "recordID": rid}, open(os.path.join(dest, "expected.json"), "w"), indent=1)
shutil.rmtree(tmp)
print("wrote v1-audit")
