#!/usr/bin/env bash
# `make install PREFIX=DIR`: the binary, a man page per command and bash/zsh/fish completions.
# usage: scripts/install.sh BINARY MAN_SOURCE_DIR PREFIX
# MAN_SOURCE_DIR holds the pages of swift-argument-parser's generate-manual plugin (sourcevault.1,
# sourcevault.export.1, ...); they are installed as git names its pages: sourcevault-export.1, so
# `man sourcevault-export` works.
set -euo pipefail
bin=$1 mansrc=$2 prefix=$3
[ -x "$bin" ] || { echo "install: no binary at $bin" >&2; exit 1; }
[ -f "$mansrc/sourcevault.1" ] || { echo "install: no man pages in $mansrc" >&2; exit 1; }
install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
  "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
install -m 0755 "$bin" "$prefix/bin/sourcevault"
for page in "$mansrc"/sourcevault*.1; do
  name=$(basename "$page" .1)
  dashed=${name//./-}
  upper=$(printf '%s' "$dashed" | tr '[:lower:]' '[:upper:]')
  sed -e "s/^\.Dt [^ ]* /.Dt $upper /" "$page" > "$prefix/share/man/man1/$dashed.1"
  chmod 0644 "$prefix/share/man/man1/$dashed.1"
done
"$prefix/bin/sourcevault" --generate-completion-script bash > "$prefix/share/bash-completion/completions/sourcevault"
"$prefix/bin/sourcevault" --generate-completion-script zsh > "$prefix/share/zsh/site-functions/_sourcevault"
"$prefix/bin/sourcevault" --generate-completion-script fish > "$prefix/share/fish/vendor_completions.d/sourcevault.fish"
echo "installed sourcevault, $(ls "$prefix/share/man/man1" | grep -c '^sourcevault') man pages and bash/zsh/fish completions under $prefix"
