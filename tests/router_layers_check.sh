#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# router_layers_check: the modules of cli/router/ form the layers of the
# table "svr-router's modules" in docs/architecture.md (read from there):
#   - every file of cli/router/ belongs to a module of the table;
#   - a file includes only its own module's header and headers of lower
#     layers (#include "router*.h");
#   - with a build (SVR_BUILD_DIR), an object of a module refers to no
#     function defined by another module of its own or a higher layer
#     (a prototype written by hand instead of an include).
set -u
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
S=$SVR_SOURCE_DIR
DOC=$S/docs/architecture.md
declare -A layer
while IFS='|' read -r _ n mods _; do
  n=${n// /}
  for m in $(grep -oE '`router[a-z_]*`' <<<"$mods" | tr -d '`'); do
    layer[$m]=$n
  done
done < <(sed -n "/^### svr-router's modules/,/^#/p" "$DOC" | grep -E '^\| [0-9]+ \|')
if [ "${#layer[@]}" -lt 8 ]; then
  svr_fail "no table of svr-router's modules in docs/architecture.md (${#layer[@]} modules read)"
  svr_finish
fi

# module of a file: its name without the extension (router.h: "router")
mod_of() { m=${1##*/}; m=${m%.*}; }

bad=0 files=0 incs=0
for f in "$S"/cli/router/*.[ch]; do
  files=$((files + 1))
  mod_of "$f"
  if [ -z "${layer[$m]:-}" ]; then
    echo "  cli/router/${f##*/}: module $m is in no layer of docs/architecture.md"
    bad=$((bad + 1))
  fi
done
# FILE:LINE:HEADER of every #include "router*.h"
while IFS=: read -r f line h; do
  incs=$((incs + 1))
  mod_of "$f"
  t=${h%.h}
  [ "$t" = "$m" ] || [ -z "${layer[$m]:-}" ] && continue
  if [ -z "${layer[$t]:-}" ]; then
    echo "  cli/router/${f##*/}:$line: includes $h, in no layer"
    bad=$((bad + 1))
  elif [ "${layer[$t]}" -ge "${layer[$m]}" ]; then
    echo "  cli/router/${f##*/}:$line: $m (layer ${layer[$m]}) includes $h (layer ${layer[$t]})"
    bad=$((bad + 1))
  fi
done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"router[a-z_]*\.h"' "$S"/cli/router/*.[ch] |
         sed -E 's/^([^:]*):([0-9]+):.*"(router[a-z_]*\.h)".*/\1:\2:\3/')
if [ $bad -eq 0 ]; then
  svr_pass "$files files of cli/router, $incs includes: each includes its own module and lower layers only"
else
  svr_fail "$bad includes across the layers of docs/architecture.md (above)"
fi

# the calls, from the objects of a build
objs=()
if [ -n "${SVR_BUILD_DIR:-}" ] && [ -d "$SVR_BUILD_DIR/cli/CMakeFiles" ] && command -v nm >/dev/null; then
  mapfile -t objs < <(find "$SVR_BUILD_DIR/cli/CMakeFiles" -path '*/router/router*.o' | sort)
fi
if [ "${#objs[@]}" -eq 0 ]; then
  echo "note: no objects of cli/router in SVR_BUILD_DIR: calls not checked"
else
  declare -A def_by
  for o in "${objs[@]}"; do
    mod_of "${o%.o}"
    while read -r sym; do def_by[$sym]=$m; done < <(nm --defined-only "$o" | awk '$2 == "T" {print $3}')
  done
  bad=0 refs=0
  for o in "${objs[@]}"; do
    mod_of "${o%.o}"
    [ -n "${layer[$m]:-}" ] || continue
    while read -r sym; do
      t=${def_by[$sym]:-}
      [ -n "$t" ] && [ "$t" != "$m" ] || continue
      refs=$((refs + 1))
      if [ -z "${layer[$t]:-}" ] || [ "${layer[$t]}" -ge "${layer[$m]}" ]; then
        echo "  $m (layer ${layer[$m]}) calls $sym of $t (layer ${layer[$t]:-none})"
        bad=$((bad + 1))
      fi
    done < <(nm --undefined-only "$o" | awk '{print $2}')
  done
  if [ $bad -eq 0 ]; then
    svr_pass "${#objs[@]} objects, $refs references between modules: each calls lower layers only"
  else
    svr_fail "$bad calls across the layers of docs/architecture.md (above)"
  fi
fi
svr_finish
