#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Keeps the manual pages and the bash completion in step with the programs and
# the documentation: fails when an option that `tsync --help` lists (for tsync or
# any of its commands) is not in the manual page or not offered by the completion,
# when a configuration key in docs/configuration.md's tables is not in the page, when
# an option of `tsync-mock-api --help` is not in its page, or when man(1) warns
# about a page.
#   scripts/check-man-page.sh path/to/tsync path/to/man/tsync.1.gz \
#     [path/to/tsync-mock-api path/to/man/tsync-mock-api.1.gz]
# A page's Markdown, as built from its docs/man/NAME.1.md and the tables of docs/, is read beside it
# (NAME.1.built.md). Exits 77 (skipped, for ctest) when the pages were not built.
set -euo pipefail
cd "$(dirname "$0")/.."
tsync=$1
page=${2:-}
mock=${3:-}
mock_page=${4:-}
[ -n "$page" ] && [ -f "$page" ] ||
  { echo "check-man-page: skipped: the manual page was not built (go-md2man missing?)"; exit 77; }
if [ -n "$mock" ]; then
  [ -n "$mock_page" ] && [ -f "$mock_page" ] ||
    { echo "check-man-page: skipped: the manual pages were not built (go-md2man missing?)"; exit 77; }
fi
built=$(dirname "$page")/tsync.1.built.md
completion=scripts/bash-completion/tsync
missing=()

for command in "" sync status reset check init; do
  # The completion's words for this command: its line `<command>) words="..."`.
  words=$(grep -E "^ *\"?${command}\"?\) words=" "$completion") ||
    { echo "check-man-page: $completion has no words for 'tsync $command'" >&2; exit 1; }
  # CLI11 lists an option as "  -c,--config TEXT ..." at the start of a line.
  options=$("$tsync" $command --help | grep -E '^ +-' | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' |
    tr -d ' ,' | sort -u)
  for option in $options; do
    grep -qF -- "**$option**" "$built" ||
      missing+=("option $option of 'tsync $command' is not in the manual page (docs/man/tsync.1.md)")
    [[ " ${words//\"/ } " == *" $option "* ]] ||
      missing+=("option $option of 'tsync $command' is not offered by $completion")
  done
done

# Every key in a table of docs/configuration.md.
keys=$(grep -oE '^\| `[a-z_]+` \|' docs/configuration.md | tr -d '|` ' | sort -u)
[ -n "$keys" ] || { echo "check-man-page: docs/configuration.md has no table of configuration keys" >&2; exit 1; }
for key in $keys; do
  grep -qE -- "^\*\*$key\*\*" "$built" ||
    missing+=("configuration key $key of docs/configuration.md is not in the manual page")
done

# Every option of tsync-mock-api --help in its page.
if [ -n "$mock" ]; then
  mock_built=$(dirname "$mock_page")/tsync-mock-api.1.built.md
  options=$("$mock" --help | grep -E '^ +-' | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' |
    tr -d ' ,' | sort -u)
  [ -n "$options" ] || { echo "check-man-page: $mock --help lists no option" >&2; exit 1; }
  for option in $options; do
    grep -qF -- "**$option**" "$mock_built" ||
      missing+=("option $option of 'tsync-mock-api' is not in its manual page (docs/man/tsync-mock-api.1.md)")
  done
fi

if [ ${#missing[@]} -gt 0 ]; then
  for m in "${missing[@]}"; do echo "check-man-page: $m" >&2; done
  exit 1
fi

if command -v man >/dev/null; then
  for p in "$page" ${mock_page:+"$mock_page"}; do
    warnings=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
    [ -z "$warnings" ] || { echo "check-man-page: man warns about $p:" >&2; echo "$warnings" >&2; exit 1; }
  done
fi
echo "check-man-page: every option and configuration key is in the manual pages, every option in $completion"
