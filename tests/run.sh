#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The test command of the README: installs what is missing (as root), builds
# with warnings as errors, and runs every test.  Unit and simulator tests run
# two at a time; tests with namespaces and real peers run one at a time (they
# measure detection times and must not fight each other for the two cores).
#
#   tests/run.sh              everything (netns/interop skip without root)
#   tests/run.sh -L unit      only one label (unit, sim, netns, interop)
#   SVR_BUILD_DIR=dir         build directory (default ./build)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SVR_BUILD_DIR:-$here/build}
"$here/tests/install-deps.sh"
cmake -S "$here" -B "$build" -DSVR_WERROR=ON >/dev/null
cmake --build "$build" -j2
if [ $# -gt 0 ]; then
  exec ctest --test-dir "$build" --output-on-failure "$@"
fi
rc=0
ctest --test-dir "$build" --output-on-failure -j2 -L 'unit|sim' || rc=1
ctest --test-dir "$build" --output-on-failure -L 'netns|interop' || rc=1
exit $rc
