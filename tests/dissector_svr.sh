#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dissector_svr: tshark with cli/wireshark/svr.lua decodes every packet kind
# svr-suite sends (BFD + SVR trailer, echo, PMTU, detector report and TCP
# probes, data-plane first and fast-path packets for GCM, CBC+HMAC and
# cipher none, UDP and TCP): every expected field with its value, nothing
# malformed, and each cut or broken packet flagged as svr.truncated or
# svr.malformed.  The capture comes from tests/dissector_gen.c.
set -euo pipefail
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_cmd tshark python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$SVR_BUILD_DIR/tests/dissector_gen" "$dir/svr.pcap" "$dir/svr.expect" \
  >"$dir/gen.log" || { cat "$dir/gen.log"; exit 1; }
# The dissector as installed: the same file CMake installs to share/.
lua="$SVR_SOURCE_DIR/cli/wireshark/svr.lua"
# TCP sequence analysis off: an outer TCP waypoint segment carries the inner
# segment's sequence number while its payload is longer (metadata, prefix,
# tag), so with analysis on tshark calls the data retransmissions and hands
# them to no dissector (docs/wireshark.md).
tshark -n -o tcp.analyze_sequence_numbers:FALSE -X "lua_script:$lua" \
  -r "$dir/svr.pcap" -T json -V \
  >"$dir/svr.json" 2>"$dir/tshark.err"
if grep -qi "lua.*error\|error.*lua" "$dir/tshark.err"; then
  cat "$dir/tshark.err"; exit 1
fi
python3 "$SVR_SOURCE_DIR/tests/dissector_check.py" "$dir/svr.json" \
  "$dir/svr.expect"
# Without the dissector the same capture has no svr field at all: the
# checks above depend on svr.lua, not on something tshark does alone.
tshark -n -r "$dir/svr.pcap" -T json >"$dir/plain.json" 2>/dev/null
if grep -q '"svr\.' "$dir/plain.json"; then
  echo "FAIL: svr fields without the dissector loaded"; exit 1
fi
echo "PASS: dissector_svr"
