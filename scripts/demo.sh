#!/usr/bin/env bash
# End-to-end walkthrough on a throwaway vault with the bundled (fictional) sample testimony.
# The passphrase goes through file descriptor 3 from a pipe, never argv, env or a file.
set -euo pipefail
BIN=${BIN:-.build/debug/sourcevault}
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/sourcevault-demo.XXXXXX")
trap 'rm -rf "$DEMO"' EXIT
export SOURCEVAULT_DIR="$DEMO/vault"
PASS='demo passphrase, not a real one'
sv() { "$BIN" "$@" --passphrase-fd 3 3< <(printf '%s\n' "$PASS"); }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ sourcevault %s\n' "$*"; }
# The first N lines of a command's output: captured whole first, so the command never writes into a
# pipe that `head` has already closed (SIGPIPE, exit 141 under pipefail, depending on timing).
first() { local n=$1 out; shift; out=$("$@"); printf '%s\n' "$out" | head -"$n"; }

step "Create a vault (test KDF so the demo is fast; real vaults use the default 'moderate')"
show init --kdf test --passphrase-fd 3
sv init --kdf test

step "Add two sources (pseudonyms only) and their testimony"
show source add Magpie; sv source add Magpie >/dev/null
show source add Crane;  sv source add Crane >/dev/null
show "add --source Magpie --title 'Crossing in February' --tag river --date 2024-02-27 --file samples/testimony-magpie.txt"
M=$(sv add --source Magpie --title "Crossing in February" --tag river --date 2024-02-27 --file samples/testimony-magpie.txt)
echo "$M"
show "add --source Crane --title 'Letter from Chongjin' --tag boats --file samples/testimony-crane.txt"
C=$(sv add --source Crane --title "Letter from Chongjin" --tag boats --file samples/testimony-crane.txt)
echo "$C"

step "List and search (decrypted in memory, one record at a time; accents and case ignored)"
show list; sv list
show search hoeryong; sv search hoeryong
show search 이종열; sv search 이종열

step "Show a record by a unique id prefix"
show show "${M:0:6}"; first 12 sv show "${M:0:6}"

step "Amend keeps the old version"
show "amend ${M:0:6} (new text on stdin)"
printf 'Corrected: we crossed in the first week of March.\n' | sv amend "${M:0:6}"
show "show ${M:0:6} --rev 1 --json | head -5"; first 5 sv show "${M:0:6}" --rev 1 --json

step "Redaction rules (stored encrypted: they are the very names to hide)"
show "rule add 'Ri Jong-yol' --variant 이종열 --variant Jong-yol"; sv rule add "Ri Jong-yol" --variant 이종열 --variant Jong-yol >/dev/null
show "rule add Hoeryŏng --label PLACE";                        sv rule add Hoeryŏng --label PLACE >/dev/null
show "rule add 'Musan County' --label PLACE --replace 'a border county'"; sv rule add "Musan County" --label PLACE --replace "a border county" >/dev/null
show "rule add Sanhe --label PLACE --source Magpie";            sv rule add Sanhe --label PLACE --source Magpie >/dev/null
show "rule add Yanji --label PLACE --source Crane";             sv rule add Yanji --label PLACE --source Crane >/dev/null
show "rule add 'Old Kim'";                                      sv rule add "Old Kim" >/dev/null
show "rule add --detector phone";                               sv rule add --detector phone >/dev/null
show rule list; sv rule list

step "Preview the redaction of version 1 (nothing is written)"
show "redact ${M:0:6} --rev 1"; sv redact "${M:0:6}" --rev 1

step "Export the sentence around a quote, as JSON, to a 0600 file; then trace it back"
OUT="$DEMO/excerpt.json"
show "export ${M:0:6} --rev 1 --quote 'walked on the ice' --format json --out excerpt.json"
sv export "${M:0:6}" --rev 1 --quote "walked on the ice" --format json --out "$OUT"
cat "$OUT"
show "provenance excerpt.json"; sv provenance "$OUT"

step "The leak check fails closed: a person's name one letter away from a word in the text"
show "rule add Chongjon   (a person Crane mentioned elsewhere)"; R=$(sv rule add Chongjon); echo "$R"
set +e
show "export ${C:0:6}"; sv export "${C:0:6}" >/dev/null; echo "exit status $?"
set -e
show "export ${C:0:6} --accept $R:3   (reviewed: line 3 says Chongjin, the city, not the person)"
first 4 sv export "${C:0:6}" --accept "$R:3"

step "A record no rule applies to is refused until rules are added (or --no-rules says it names nobody)"
N=$(printf 'Notes from the drive north. The broker Pak Chol waited at the bridge.\n' | sv add --source Crane --title "Notes")
set +e
show "export ${N:0:6}"; sv export "${N:0:6}" >/dev/null; echo "exit status $?"
set -e
show "rule add 'Pak Chol' --record ${N:0:6}"; sv rule add "Pak Chol" --record "${N:0:6}" >/dev/null
show "export ${N:0:6}"; sv export "${N:0:6}"

step "Nothing readable is on disk: grep the vault for names from the testimony"
for word in Magpie Hoery Jong-yol 이종열 "Old Kim" Sanhe Chongjin "Crossing in February" "Musan" "Chongjon" "Pak Chol"; do
  if grep -rqa -- "$word" "$SOURCEVAULT_DIR"; then echo "FOUND $word  <-- leak"; exit 1; else echo "not found: $word"; fi
done

step "The audit log: every access leaves a trace, and the trace holds no names"
show "list   (someone tries a guess)"; "$BIN" list --passphrase-fd 3 3< <(printf 'a guess\n') || true
show "audit show | tail -5   (no passphrase needed: the log holds no secrets)"; "$BIN" audit show | tail -5
show "list   (the next unlock reports the failed attempt)"; sv list >/dev/null
show audit verify; "$BIN" audit verify
show "audit checkpoint > checkpoint.txt"; sv audit checkpoint > "$DEMO/checkpoint.txt"; cat "$DEMO/checkpoint.txt"
for word in Magpie Hoery 이종열 "Old Kim" hoeryong "Crossing"; do
  if grep -qa -- "$word" "$SOURCEVAULT_DIR/audit.log"; then echo "FOUND $word in the audit log <-- leak"; exit 1; fi
done
echo "grep of audit.log for names, titles and queries: nothing found"

step "Review in memory: an interactive session (commands piped here; on a terminal you type them)"
show "open   (then: search march / hardening / lock / list / quit)"
printf 'search march\nhardening\nlock\nlist\nquit\n' | "$BIN" open --passphrase-fd 3 3< <(printf '%s\n%s\n' "$PASS" "$PASS")
echo "(after 'lock' the process restarted itself: nothing it decrypted is left in memory; the next command unlocked again)"

step "Keys and devices: passphrase change, backup, travel mode"
show "passwd   (fd: current, then new passphrase)"
"$BIN" passwd --passphrase-fd 3 3< <(printf '%s\n%s\n' "$PASS" "$PASS 2") && PASS="$PASS 2"
show "backup --to vault.svb"; sv backup --to "$DEMO/vault.svb"
show "restore vault.svb --vault restored"; "$BIN" restore "$DEMO/vault.svb" --vault "$DEMO/restored"
show "check --vault restored"; "$BIN" check --vault "$DEMO/restored" --passphrase-fd 3 3< <(printf '%s\n' "$PASS")
show "travel out --to slots.svt   (fd: vault passphrase, then a travel passphrase)"
"$BIN" travel out --to "$DEMO/slots.svt" --passphrase-fd 3 3< <(printf '%s\n%s\n' "$PASS" "travel words")
show status; "$BIN" status | grep "can be opened"
set +e; sv list; echo "exit status $?"; set -e
show "travel in slots.svt"; "$BIN" travel in "$DEMO/slots.svt" --passphrase-fd 3 3< <(printf 'travel words\n')
show "status"; "$BIN" status | grep "can be opened"

step "A wrong passphrase is refused (exit 3), a tampered record is named (exit 5)"
set +e
"$BIN" list --passphrase-fd 3 3< <(printf 'wrong\n'); echo "exit status $?"
sqlite3 "$SOURCEVAULT_DIR/vault.sqlite3" "UPDATE record_version SET meta = CAST(substr(meta,1,50) || (CASE WHEN substr(meta,51,1) = x'00' THEN x'01' ELSE x'00' END) || substr(meta,52) AS BLOB) WHERE record_id = '$C'"
sv list; echo "exit status $?"
set -e

step "Cutting even one entry from the log is detected"
echo "(removing the last line of audit.log, then: sourcevault list; sourcevault audit verify)"
sed -i '$ d' "$SOURCEVAULT_DIR/audit.log"
set +e
sv list >/dev/null; echo "exit status $?"
"$BIN" audit verify; echo "exit status $?"
set -e


step "Status without unlocking"
show status; "$BIN" status
printf '\nDemo vault removed. See README.md for the full command list.\n'
