#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# doc_refs_check: what ships (the public headers under lib*/include, the
# version.h template, README.md and docs/) cites only files a reader has:
#   - every *.md it names is a file of this repository;
#   - nothing points outside the repository (../shared, shared/DESIGN.md,
#     the project's private reference notes): cite RFCs and public
#     documents instead (issue 16 item 15).
set -u
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
S=$SVR_SOURCE_DIR
cd "$S" || exit 1
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files >"$SVR_TMP/files"
else
  find . -type f -not -path './.git/*' | sed 's|^\./||' >"$SVR_TMP/files"
fi
shipped=$(ls lib*/include/*/*.h cmake/version.h.in README.md docs/*.md)
bad=0
# the same lines with URLs removed (a public document's own path is fine)
mkdir -p "$SVR_TMP/nourl"
shipped_nourl=""
for f in $shipped; do
  mkdir -p "$SVR_TMP/nourl/$(dirname "$f")"
  sed -E 's#[a-z]+://[^ )>]*##g' "$f" >"$SVR_TMP/nourl/$f"
  shipped_nourl="$shipped_nourl $f"
done
cd "$SVR_TMP/nourl" || exit 1
# names of markdown files, with or without a directory
while IFS=: read -r f line tok; do
  t=$tok
  while [[ $t == ./* || $t == ../* ]]; do t=${t#./}; t=${t#../}; done
  if ! grep -qE "(^|/)${t//./\\.}\$" "$SVR_TMP/files"; then
    echo "  $f:$line: $tok is not a file of this repository"
    bad=$((bad + 1))
  fi
done < <(grep -noE '[A-Za-z0-9_./-]*[A-Za-z0-9_-]+\.md\b' $shipped_nourl)
cd "$S" || exit 1
# anything pointing at the project's files outside the repository
while IFS= read -r hit; do
  echo "  $hit"
  bad=$((bad + 1))
done < <(grep -nE '\.\./shared|(^|[^A-Za-z0-9_.-])shared/[A-Za-z]|DESIGN\.md|STYLE\.md' $shipped)
n=$(echo "$shipped" | wc -l)
if [ $bad -eq 0 ]; then
  svr_pass "$n shipped headers and documents cite only files of the repository"
else
  svr_fail "$bad references to files outside the repository (above): cite an RFC or a public document, or put what the reader needs in docs/"
fi
svr_finish
