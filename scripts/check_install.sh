#!/usr/bin/env bash
# The install test (`make test`): installs into a throwaway PREFIX, then reads what was installed
# as a user would: the binary runs, `man` finds per-command pages, completions name the commands.
set -euo pipefail
prefix=$1
fail() { echo "check-install: $*" >&2; exit 1; }
"$prefix/bin/sourcevault" --version >/dev/null || fail "the installed binary does not run"
page=$(MANPATH="$prefix/share/man" MANWIDTH=100 man sourcevault-export 2>/dev/null) || fail "man sourcevault-export"
grep -q "sourcevault export" <<<"$page" || fail "sourcevault-export(1) does not describe export"
grep -q -- "--out" <<<"$page" || fail "sourcevault-export(1) lacks --out"
MANWIDTH=100 man -l "$prefix/share/man/man1/sourcevault.1" | grep -q "SUBCOMMANDS\|sourcevault" || fail "sourcevault(1)"
for cmd in init add show search rm travel-out audit-verify; do
  [ -s "$prefix/share/man/man1/sourcevault-$cmd.1" ] || fail "no page for $cmd"
done
bash -n "$prefix/share/bash-completion/completions/sourcevault" || fail "bash completion does not parse"
for f in share/bash-completion/completions/sourcevault share/zsh/site-functions/_sourcevault \
  share/fish/vendor_completions.d/sourcevault.fish; do
  grep -q "export" "$prefix/$f" || fail "$f does not complete 'export'"
done
echo "check-install: ok ($(ls "$prefix/share/man/man1" | wc -l) man pages, 3 completions)"
