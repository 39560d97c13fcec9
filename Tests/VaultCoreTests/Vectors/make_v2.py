#!/usr/bin/env python3
"""Generates the v2 test-vector vault (format 2: manifest, numbered rules). Run ONCE; the committed output is the vector and must
never be regenerated for format v2 (future versions must open exactly these bytes).
Usage: make_v2.py path/to/sourcevault  (writes v2/vault.sqlite3 and v2/expected.json)"""
import json, os, subprocess, sys, tempfile, shutil

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
PASS = "sourcevault test vector v2 — passphrase ünïcode 암호"
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
sv("source", "add", "-", "--note", "-", stdin="Magpie\nmet through the church in Yanji\n".encode())
sv("source", "add", "까치")
r1 = sv("add", "--source", "Magpie", "--title", "Crossing at the bend", "--tag", "river", "--tag", "2019",
        "--date", "2019-02-27", stdin="We crossed below Hoeryŏng at night.\n".encode()).strip()
sv("amend", r1, stdin="We crossed below Hoeryŏng at night, in the first week of March.\n".encode())
r2 = sv("add", "--source", "까치", "--title", "이종열의 증언", stdin=("이종열은 국경을 넘었다. 在图们江边等了三天。\n" * 300).encode()).strip()
sv("rule", "add", "Hoeryŏng", "--variant", "회령", "--label", "PLACE", "--replace", "a border town")
sv("rule", "add", "--detector", "phone", "--record", r1)
# Format 2: numbered rules (one deleted, so the label's high-water mark is above the count).
gone = sv("rule", "add", "Pak", "--label", "PERSON").strip()
sv("rule", "add", "이종열", "--variant", "Ri Jong-yol", "--label", "PERSON")
sv("rule", "rm", gone)
export_out = sv("export", r1, "--version", "1", "--format", "json", "--no-rules")
sources = json.loads(sv("source", "list", "--json"))
rules = json.loads(sv("rule", "list", "--json"))
records = []
for rid in sorted([r1, r2]):
    first = json.loads(sv("show", rid, "--json"))
    versions = [json.loads(sv("show", rid, "--json", "--version", str(v))) for v in range(1, first["versions"] + 1)]
    records.append({"id": rid, "versions": versions})
shutil.copy(os.path.join(vault, "vault.sqlite3"), os.path.join(HERE, "v2", "vault.sqlite3"))
with open(os.path.join(HERE, "v2", "expected.json"), "w") as f:
    json.dump({"passphrase": PASS, "recoveryKey": recovery, "sources": sources, "records": records,
               "rules": rules, "export": json.loads(export_out)},
              f, ensure_ascii=False, indent=1, sort_keys=True)
shutil.rmtree(tmp)
print("wrote v2/vault.sqlite3 and v2/expected.json")
