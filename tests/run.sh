#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The test command of the README: installs what is missing (as root), builds
# with warnings as errors, and runs every test.  Unit and simulator tests run
# two at a time; tests with namespaces and real peers too (each has its own
# namespaces, ports and daemon directories, and their deadlines hold with the
# machine loaded), except the few marked RUN_SERIAL in tests/CMakeLists.txt,
# which count packets over a window or bring up hundreds of sessions and run
# alone.
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
ctest --test-dir "$build" --output-on-failure -j2 -L 'netns|interop' || rc=1
exit $rc
