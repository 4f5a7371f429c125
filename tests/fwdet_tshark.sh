#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# libsvrfwdet probes decoded by an independent dissector: tshark must see
# every probe as TCP with a good checksum (IPv4 header checksum too), the
# right flags and ports, and reassemble the jumbo SYN's fragments (IPv4 and
# IPv6) into one 6536-byte TCP segment.  Label unit: no root, no network.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_cmd tshark
BIN="$SVR_BUILD_DIR/tests/fwdet_pkt_test"
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
P="$SVR_TMP/probes.pcap"
"$BIN" --pcap "$P" || { echo "FAIL: pcap writer"; exit 1; }

F="$SVR_TMP/fields.txt"
tshark -r "$P" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
  -o ip.defragment:TRUE -o ipv6.defragment:TRUE \
  -T fields -E separator=, -e frame.number -e ip.version -e ipv6.version \
  -e tcp.flags -e tcp.dstport -e tcp.len -e tcp.checksum.status \
  -e ip.checksum.status -Y tcp >"$F" 2>"$SVR_TMP/err" || { cat "$SVR_TMP/err"; exit 1; }
cat "$F"
# Each probe appears twice (whole, and for the jumbo SYN once more as its
# reassembled fragments): 4 + 1 per family = 10 TCP segments.
n=$(wc -l <"$F")
[ "$n" -eq 10 ] && svr_pass "tshark decoded 10 TCP segments" || svr_fail "tshark decoded $n TCP segments, want 10"
bad=$(awk -F, '$7 != 1' "$F" | wc -l)   # 1 = Good (0 Bad, 2 Unverified)
[ "$bad" -eq 0 ] && svr_pass "every TCP checksum good" || svr_fail "$bad TCP checksums not good"
badip=$(awk -F, '$2 == 4 && $8 != 1' "$F" | wc -l)
[ "$badip" -eq 0 ] && svr_pass "every IPv4 header checksum good" || svr_fail "$badip IPv4 checksums not good"
# flags/ports/lengths per kind: SYN 0x0002 ->1283 len 100; mid-flow 0x0018
# ->1280 100; jumbo 0x0002 ->1280 6516; out-of-order 0x0018 ->1283 100
for want in "0x0002,1283,100" "0x0018,1280,100" "0x0002,1280,6516" "0x0018,1283,100"; do
  c=$(cut -d, -f4-6 "$F" | grep -c "^$want\$")
  [ "$c" -ge 2 ] && svr_pass "probe $want seen in both families" || svr_fail "probe $want seen $c times"
done
# the reassembled jumbo SYNs (frames with fragments) are TCP, 6516 bytes
r=$(tshark -r "$P" -o ip.defragment:TRUE -o ipv6.defragment:TRUE -Y 'tcp.len == 6516 && (ip.fragments || ipv6.fragments)' 2>/dev/null | wc -l)
[ "$r" -eq 2 ] && svr_pass "tshark reassembled both fragmented jumbo SYNs" || svr_fail "reassembled jumbo SYNs: $r, want 2"
# a malformed-packet warning would mean a bad layout
m=$(tshark -r "$P" -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | wc -l)
[ "$m" -eq 0 ] && svr_pass "no malformed/error expert info" || svr_fail "$m packets with errors"
svr_finish
