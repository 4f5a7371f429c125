#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# license_check: the tree ships under one licence (LICENSE, BSD-2-Clause) and
# every source file we wrote says so in its first lines with
#   SPDX-License-Identifier: BSD-2-Clause
# (C and headers, CMake, shell, Python, Lua, linker version scripts, the
# configure-time templates and .ci/run).  The files are the ones git tracks;
# outside a git checkout (a release tarball) every such file under the tree.
# A new file without the line, or with another identifier, fails here with its
# name: add the line as the first line (second after a #! line).
set -u
S=$SVR_SOURCE_DIR
ID='SPDX-License-Identifier: BSD-2-Clause'
fail=0

if git -C "$S" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  list() { git -C "$S" ls-files; }
else
  list() { (cd "$S" && find . -type f -not -path './.git/*' -not -path './build*' | sed 's|^\./||'); }
fi

files=()
while IFS= read -r f; do
  case "$f" in
    fuzz/corpus/*) continue ;;
    *.c|*.h|*.sh|*.py|*.lua|*.cmake|*.in|*.map|CMakeLists.txt|*/CMakeLists.txt|.ci/run)
      files+=("$f") ;;
  esac
done < <(list)
n=${#files[@]}
# one awk over every file: the names without the line in their first 3
missing=$(cd "$S" && awk -v id="$ID" '
  FNR == 1 { if (cur != "" && !ok) print cur; cur = FILENAME; ok = 0 }
  FNR <= 3 && index($0, id) { ok = 1 }
  END { if (cur != "" && !ok) print cur }' "${files[@]}")
while IFS= read -r f; do
  [ -n "$f" ] || continue
  echo "FAIL: $f: no '$ID' in its first 3 lines"
  fail=$((fail + 1))
done <<< "$missing"

if [ ! -f "$S/LICENSE" ] || ! grep -q 'BSD 2-Clause License' "$S/LICENSE"; then
  echo "FAIL: LICENSE missing or not the BSD 2-Clause text"; fail=$((fail + 1))
fi
if grep -qi 'to be decided' "$S/README.md"; then
  echo "FAIL: README.md still says the licence is to be decided"; fail=$((fail + 1))
fi
if [ "$n" -lt 100 ]; then
  echo "FAIL: only $n source files found under $S (wrong tree?)"; fail=$((fail + 1))
fi
echo "license_check: $n source files, $fail failures"
[ "$fail" -eq 0 ]
