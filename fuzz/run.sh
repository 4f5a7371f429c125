#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Replays every fuzz target's committed corpus, then runs each target under
# libFuzzer for a number of executions and prints one line per target:
# executions, seconds, executions per second, new corpus entries, crashes.
# Exits 1 if any target crashed (or leaked, timed out, ran out of memory)
# during the replay or the run, 2 on a usage or build error.
#
#   fuzz/run.sh [-n EXECUTIONS] [-t SECONDS] [-j JOBS] [-B BUILD_DIR]
#               [-o OUT_DIR] [-M] [-N] [-x 'LIBFUZZER FLAGS'] [TARGET...]
#
#   -n N    executions per target (libFuzzer -runs=N, seed replays included;
#           default 100000)
#   -t S    stop a target after S seconds even if it has not reached N
#           (libFuzzer -max_total_time; default 1800); the line says which
#           bound ended the run
#   -j J    run J targets at a time (default 1: each target gets a core, the
#           other stays for the machine)
#   -B DIR  the fuzz build (default $SVR_FUZZ_BUILD_DIR, or build-fuzz in the
#           checkout); made with the README's command if missing, then
#           `--target fuzz` is built in it (-N: use it as it is)
#   -o DIR  keep new corpus entries, crash artifacts and logs in
#           DIR/<target>/{new,artifacts,replay.log,fuzz.log}; by default
#           they go to a temporary directory that is removed at the end
#           unless something crashed
#   -M      merge the new entries that reach new code (edges, not hit counts)
#           into fuzz/corpus/<target>/ (libFuzzer -merge=1 -use_counters=0);
#           without -M the committed corpus is only read
#   -x F    extra libFuzzer flags for the runs, e.g. -x '-max_len=2048'
#   TARGET  the targets to run (default: every target of the build, listed in
#           BUILD_DIR/fuzz/fuzz-targets.txt)
#
# See docs/fuzzing.md for the numbers of a long run and how to reproduce them.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

runs=100000
max_time=1800
jobs=1
build=${SVR_FUZZ_BUILD_DIR:-$here/build-fuzz}
out=
merge=0
do_build=1
extra=
timeout=${SVR_FUZZ_TIMEOUT:-25}

usage() {  # usage [EXIT_CODE]
  sed -n '/^#   fuzz\/run.sh/,/^# See docs/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}
isnum() { [[ $1 =~ ^[0-9]+$ ]]; }

while getopts ':n:t:j:B:o:MNx:h' opt; do
  case $opt in
    n) isnum "$OPTARG" || usage; runs=$OPTARG ;;
    t) isnum "$OPTARG" || usage; max_time=$OPTARG ;;
    j) { isnum "$OPTARG" && [ "$OPTARG" -ge 1 ]; } || usage; jobs=$OPTARG ;;
    B) build=$OPTARG ;;
    o) out=$OPTARG ;;
    M) merge=1 ;;
    N) do_build=0 ;;
    x) extra=$OPTARG ;;
    h) usage 0 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
case $build in /*) ;; *) build=$PWD/$build ;; esac

# --- the build ---------------------------------------------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
  if [ $do_build = 0 ]; then
    echo "fuzz/run.sh: no build in $build (drop -N to make one)" >&2
    exit 2
  fi
  echo "== configuring $build (CC=${CC:-clang} cmake -DSVR_FUZZ=ON -DSVR_BUILD_TESTS=OFF)"
  CC=${CC:-clang} cmake -S "$here" -B "$build" -DSVR_FUZZ=ON \
    -DSVR_BUILD_TESTS=OFF >/dev/null || exit 2
fi
if ! grep -q '^SVR_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "fuzz/run.sh: $build is not a fuzz build (SVR_FUZZ=ON); use -B DIR" >&2
  exit 2
fi
if [ $do_build = 1 ]; then
  echo "== building the fuzz targets in $build"
  cmake --build "$build" --target fuzz -j2 >"$build/fuzz-build.log" 2>&1 || {
    tail -40 "$build/fuzz-build.log" >&2
    echo "fuzz/run.sh: build failed (log: $build/fuzz-build.log)" >&2
    exit 2
  }
fi
list=$build/fuzz/fuzz-targets.txt
[ -f "$list" ] || { echo "fuzz/run.sh: $list missing; reconfigure $build" >&2; exit 2; }
mapfile -t known < <(sed '/^\s*$/d' "$list")
if [ $# -eq 0 ]; then
  targets=("${known[@]}")
else
  targets=("$@")
  for t in "${targets[@]}"; do
    printf '%s\n' "${known[@]}" | grep -qx -- "$t" || {
      echo "fuzz/run.sh: unknown target $t (known: ${known[*]})" >&2
      exit 2
    }
  done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz/run.sh: no fuzz targets" >&2; exit 2; }

# --- where results go ----------------------------------------------------------
keep=0
if [ -n "$out" ]; then
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  keep=1
else
  out=$(mktemp -d "${TMPDIR:-/tmp}/svr-fuzz.XXXXXX")
fi
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  if [ "$keep" = 0 ] && ! compgen -G "$out/*/CRASHED" >/dev/null; then
    rm -rf "$out"
  fi
}
trap cleanup EXIT

# Undefined behaviour is a crash (the build compiles with
# -fno-sanitize-recover=undefined; this covers builds made without it).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# --- one target ------------------------------------------------------------------
# Writes $out/<t>/result: "replayed executions seconds new crashes stop merged".
# "stop" is runs (reached N), time (hit -t), or replay/crash.
run_target() {
  local t=$1 bin=$build/fuzz/$1 corpus=$here/fuzz/corpus/$1
  local w=$out/$1 rc=0 nrep=0 execs=0 newn=0 crashes=0 stop merged=-
  local t0 t1 secs files=()
  rm -rf "$w"
  mkdir -p "$w/new" "$w/artifacts"
  if [ -d "$corpus" ]; then
    mapfile -t files < <(find "$corpus" -maxdepth 1 -type f ! -name '.*' | sort)
  fi
  nrep=${#files[@]}
  # 1. replay: every committed input once, as files (no mutation)
  if [ "$nrep" -gt 0 ]; then
    "$bin" -timeout="$timeout" "${files[@]}" >"$w/replay.log" 2>&1 || rc=$?
  fi
  if [ $rc != 0 ]; then
    touch "$w/CRASHED"
    echo "$nrep 0 0 0 1 replay -" >"$w/result"
    return 0
  fi
  # 2. the run: new entries to $w/new; the committed corpus only read
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086  # $extra is a list of flags
  "$bin" -runs="$runs" -max_total_time="$max_time" -timeout="$timeout" \
    -print_final_stats=1 -artifact_prefix="$w/artifacts/" $extra \
    "$w/new" ${files[0]:+"$corpus"} >"$w/fuzz.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/fuzz.log" | tail -1)
  execs=${execs:-0}
  newn=$(find "$w/new" -type f | wc -l)
  crashes=$(find "$w/artifacts" -type f ! -name 'slow-unit-*' | wc -l)
  if [ $rc != 0 ] && [ "$crashes" = 0 ]; then
    crashes=1   # died without an artifact (e.g. killed): count it
  fi
  if [ "$crashes" != 0 ]; then
    stop=crash
    touch "$w/CRASHED"
  elif [ "$execs" -ge "$runs" ]; then
    stop=runs
  else
    stop='time'
  fi
  # 3. merge into the committed corpus only when asked
  if [ $merge = 1 ] && [ "$crashes" = 0 ] && [ "$newn" -gt 0 ]; then
    mkdir -p "$corpus"
    local before after
    before=$(find "$corpus" -maxdepth 1 -type f | wc -l)
    "$bin" -merge=1 -use_counters=0 -timeout="$timeout" "$corpus" "$w/new" \
      >"$w/merge.log" 2>&1 || true
    after=$(find "$corpus" -maxdepth 1 -type f | wc -l)
    merged=$((after - before))
  fi
  echo "$nrep $execs $secs $newn $crashes $stop $merged" >"$w/result"
}

report() {
  local t=$1 w=$out/$1 nrep execs secs newn crashes stop merged rate
  read -r nrep execs secs newn crashes stop merged <"$w/result"
  rate=$(awk -v e="$execs" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? e / s : 0) }')
  [ "$merged" = - ] || stop="$stop, $merged merged into fuzz/corpus/$t"
  printf '%-18s %8s %12s %9s %9s %6s %7s  %s\n' "$t" "$nrep" "$execs" "$secs" \
    "$rate" "$newn" "$crashes" "$stop"
  if [ "$crashes" != 0 ]; then
    local log=$w/fuzz.log
    [ "$stop" = replay ] && log=$w/replay.log
    {
      echo "---- $t crashed ($stop); logs and artifacts in $w"
      # the input being run, the sanitizer's first line and first stack
      awk '/^Running: / { last = $0 }
           !keep && /^==[0-9]+==ERROR|runtime error:|^==[0-9]+== ERROR/ {
             keep = 1; if (last != "") print last }
           keep && n < 25 { if ($0 == "" && n > 2) exit; print; n++ }' "$log"
      grep -E '^SUMMARY|Test unit written' "$log" || true
      for a in "$w"/artifacts/*; do
        [ -f "$a" ] && echo "reproduce: $build/fuzz/$t $a"
      done
      echo "----"
    } >&2
  fi
}

echo "== ${#targets[@]} targets, $runs executions each (at most ${max_time} s each), $jobs at a time; outputs in $out"
printf '%-18s %8s %12s %9s %9s %6s %7s  %s\n' target replayed executions seconds \
  exec/s new crashes stopped
start=$(date +%s)
declare -A pending=()   # started, not yet reported
report_finished() {
  local r
  for r in "${!pending[@]}"; do
    if [ -f "$out/$r/result" ]; then
      report "$r"
      unset "pending[$r]"
    fi
  done
}
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
    wait -n || true
  done
  report_finished
  run_target "$t" &
  pending[$t]=1
done
wait || true
report_finished
for t in "${!pending[@]}"; do   # a run that died without a result
  echo "0 0 0 0 1 crash -" >"$out/$t/result"
  touch "$out/$t/CRASHED"
  report "$t"
done

total_execs=0 total_new=0 total_crashes=0
for t in "${targets[@]}"; do
  read -r _ execs _ newn crashes _ _ <"$out/$t/result"
  total_execs=$((total_execs + execs))
  total_new=$((total_new + newn))
  total_crashes=$((total_crashes + crashes))
done
printf '%-18s %8s %12s %9s %9s %6s %7s\n' total "" "$total_execs" \
  "$(( $(date +%s) - start )).0" "" "$total_new" "$total_crashes"
if [ "$total_crashes" != 0 ]; then
  echo "fuzz/run.sh: $total_crashes crash(es); artifacts and logs in $out" >&2
  exit 1
fi
[ $keep = 1 ] && echo "new corpus entries and logs in $out"
exit 0
