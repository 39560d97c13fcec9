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
show show "${M:0:6}"; sv show "${M:0:6}" | head -12

step "Amend keeps the old version"
show "amend ${M:0:6} (new text on stdin)"
printf 'Corrected: we crossed in the first week of March.\n' | sv amend "${M:0:6}"
show "show ${M:0:6} --version 1 --json | head -5"; sv show "${M:0:6}" --version 1 --json | head -5

step "Nothing readable is on disk: grep the vault for names from the testimony"
for word in Magpie Hoery Jong-yol 이종열 "Old Kim" Sanhe Chongjin "Crossing in February"; do
  if grep -rqa -- "$word" "$SOURCEVAULT_DIR"; then echo "FOUND $word  <-- leak"; exit 1; else echo "not found: $word"; fi
done

step "A wrong passphrase is refused (exit 3), a tampered record is named (exit 5)"
set +e
"$BIN" list --passphrase-fd 3 3< <(printf 'wrong\n'); echo "exit status $?"
sqlite3 "$SOURCEVAULT_DIR/vault.sqlite3" "UPDATE record_version SET meta = substr(meta,1,50) || (CASE WHEN substr(meta,51,1) = x'00' THEN x'01' ELSE x'00' END) || substr(meta,52) WHERE record_id = '$C'"
sv list; echo "exit status $?"
set -e

step "Status without unlocking"
show status; "$BIN" status
printf '\nDemo vault removed. See README.md for the full command list.\n'
