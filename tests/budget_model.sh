#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svr-budget's model (unit, no root): known rows worked out by hand.
#
# Two routers r1 (node n1, 10.0.0.1) and r2 (node n2, 10.0.0.2), one peer
# path, the product's defaults, one conductor node:
#
#  * BFD asynchronous, what r1 sends: RFC 5880 mandatory section 24 bytes,
#    then the SVR metadata trailer (docs/wire-format.md 3.1): base header 12,
#    TLV 14 router name "r1" 4+2, TLV 0xE010 node name "n1" 4+2, TLV 0xE011
#    observed hop count 4+1 = 29; UDP 8 + IPv4 20: 24 + 29 + 28 = 81 bytes
#    per packet.  Interval max(desired-tx 1000 ms, the peer's
#    required-min-rx 500 ms) = 1 s less RFC 5880 6.8.7's jitter, uniform
#    0-25 % (mean 12.5 %): one packet every 0.875 s, 81 * 8 / 0.875 =
#    740.571 bit/s from r1 (the simulation draws the jitter: +-0.5 %).
#  * SSH keepalive, r1 every 5 s (chacha20-poly1305): keepalive@openssh.com
#    request payload 27 bytes -> 4 + 1 + 27 + padding 4 + tag 16 = 52; the
#    answer (REQUEST_SUCCESS, 1 byte) 4 + 1 + 1 + 6 + 16 = 28; each TCP
#    segment 20 IP + 20 TCP + 12 timestamps = 52.  r1 sends 52 + 52 and a
#    pure ACK 52 = 156 bytes per keepalive, receives 52 + 28 = 80.
#    86,400 / 5 = 17,280 a day, less one per ENTITLEMENT_ACK (every 300 s:
#    288 a day restart r1's keepalive timer): 16,992, so 2,650,752 and
#    1,359,360 bytes.
#  * Echo, defaults (10 requests every 10 s, 1 s apart): a request is 122
#    bytes (94 + 28), a reply 146: r1 sends 86,400 of each a day (+-2:
#    where the counted day starts in the burst cycle).
#  * Asset channel (libconductor's asset encoder, TLS 1.3, r1 "r1.n1"):
#    KEEPALIVE every second: frame header 8, seq 4+8, time 4+8, status
#    4+1, asset id "r1.n1" 4+5, installed version 4+len(CONDUCTOR_VERSION)
#    ("0.1.0": 55 bytes), TLS record 5 + content type 1 + tag 16, TCP/IP
#    52: 129 bytes, and r1's pure ACK of the answer 52; KEEPALIVE_ACK 8 +
#    12 + 12 + 22 + 52 = 106.  4505: TCP keepalive probes, r1's every
#    10.24 s and the conductor's every 20.48 s (the kernel's timer wheel
#    rounds 10 and 20 s up), each a 52-byte segment and a 52-byte ACK:
#    86,400 / 10.24 + 86,400 / 20.48 = 12,656.25 segments each way.
#  * Rekey every 5 s, r1's one security element (peer "r2"), chacha20:
#    KEY add = header 8 + peer 4+2 + index 4+4 + op 4+1 + key 4+32 +
#    interval 4+8 = 75, in CHANNEL_DATA 84, SSH 4 + 1 + 84 + 11 + 16 = 116;
#    activate and remove 39 -> 48 -> 76; KEY_ACK (error code 4+2) 33 ->
#    42 -> 68.  With TCP/IP: r1 receives 168 + 128 + 128 and the pure ACK
#    52 = 476 bytes a rekey, sends 3 * 120 = 360; 17,280 rekeys a day.
#    SSH keepalives every 2 s: a rekey every 2.5 intervals moves the
#    keepalives on by half an interval: 4 every 10 s, 34,560 a day.
# And: --compare lte costs less than the defaults on every peer channel,
# a spoke asks its hub for Demand mode (almost no BFD async), bad input
# exits 2.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
B="$SVR_BUILD_DIR/cli/svr-budget"
svr_require_cmd "$B" python3
T=$SVR_TMP
for x in 1 2; do
  y=$((3 - x))
  printf '%s\n' "router r$x" "node n$x" "[interface wan]" "address 10.0.0.$x" \
    "[neighborhood lab]" "interface wan" "[adjacency r$y]" \
    "neighborhood lab" "address 10.0.0.$y" >"$T/r$x.conf"
done

if "$B" --json --conductor-nodes 1 "$T/r1.conf" "$T/r2.conf" >"$T/out.json"; then
  svr_pass "svr-budget --json on two configs"
else
  svr_fail "svr-budget --json on two configs"; svr_finish
fi
check() { # NAME PYTHON-EXPRESSION over l (r1's channels by name)
  if python3 - "$T/out.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["profiles"][0]
l = {c["channel"]: c for c in p["links"][0]["channels"]}
k = {c["channel"]: c for c in p["conductor"]["channels"]}
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps({n: (c["out"], c["in"]) for n, c in l.items()}, indent=1))
sys.exit(0 if ok else 1)
EOF
  then svr_pass "$1"; else svr_fail "$1"; fi
}
check "BFD async from r1: 81 bytes per packet (24 + 29 trailer + 28)" \
  'abs(l["bfd-async"]["out"]["bytes_per_day"] / l["bfd-async"]["out"]["events_per_day"] - 81) < 1e-4'
check "BFD async from r1: 740.571 bit/s (81 * 8 / 0.875) within 0.5 %" \
  'abs(l["bfd-async"]["out"]["bytes_per_day"] * 8 / 86400 / 740.571 - 1) < 0.005'
check "SSH keepalives: r1 sends 2,650,752 and receives 1,359,360 bytes a day" \
  'l["ssh-keepalive"]["out"]["bytes_per_day"] == 2650752 and l["ssh-keepalive"]["in"]["bytes_per_day"] == 1359360'
check "the conductor node sees r1 and r2's keepalives mirrored" \
  'k["ssh-keepalive"]["in"]["bytes_per_day"] == 2 * 2650752'
check "echo: 86,400 requests (122 B) and 86,400 replies (146 B) a day from r1" \
  'abs(l["bfd-echo"]["out"]["events_per_day"] / 172800 - 1) < 1e-4 and abs(l["bfd-echo"]["out"]["bytes_per_day"] / l["bfd-echo"]["out"]["events_per_day"] - (122 + 146) / 2) < 1e-6'

V=$(sed -n 's/^#define CONDUCTOR_VERSION "\(.*\)"$/\1/p' \
  "$SVR_BUILD_DIR/libconductor/include/conductor/version.h")
KA=$((8 + 12 + 12 + 5 + 4 + 5 + 4 + ${#V} + 22 + 52))
check "asset keepalive from r1: ($KA + 52) * 86,400 out, 106 * 86,400 in (model suite)" \
  "l['asset-keepalive']['model'] == 'suite' and l['asset-keepalive']['out']['bytes_per_day'] == ($KA + 52) * 86400 and l['asset-keepalive']['in']['bytes_per_day'] == 106 * 86400"
check "4505: 12,656.25 keepalive segments of 52 bytes each way (10.24 s and 20.48 s)" \
  'l["4505-keepalive"]["out"]["bytes_per_day"] == 52 * 12656.25 and l["4505-keepalive"]["in"]["events_per_day"] == 12656.25'
# conductor-asset-ports off: no asset channel of ours, the product's sizes
sed "1a conductor 192.0.2.10\nconductor-key k\nconductor-known-hosts kh\nconductor-asset-ports off" \
  "$T/r1.conf" >"$T/o1.conf"
"$B" --json "$T/o1.conf" >"$T/off.json" || svr_fail "conductor-asset-ports off"
if python3 -c '
import json, sys
l = {c["channel"]: c for c in json.load(open(sys.argv[1]))["profiles"][0]["links"][0]["channels"]}
sys.exit(0 if l["asset-keepalive"]["model"] == "product" and
         l["asset-keepalive"]["out"]["bytes_per_day"] == 86400 * (514 + 52) else 1)' "$T/off.json"
then svr_pass "conductor-asset-ports off: the asset rows from the product's published sizes"
else svr_fail "conductor-asset-ports off: $(cat "$T/off.json")"; fi
# rekey: libconductor's KEY frames, one element per peer router
for x in 1 2; do
  sed "1a conductor 192.0.2.10\nconductor-key k\nconductor-known-hosts kh\nconductor-keepalive-interval 2" \
    "$T/r$x.conf" >"$T/q$x.conf"
done
"$B" --json --rekey-interval 5s "$T/q1.conf" "$T/q2.conf" >"$T/rk.json" || svr_fail "--rekey-interval 5s"
if python3 -c '
import json, sys
l = {c["channel"]: c for c in json.load(open(sys.argv[1]))["profiles"][0]["links"][0]["channels"]}
k, s = l["key-exchange"], l["ssh-keepalive"]
print(k["out"], k["in"], s["out"]["events_per_day"])
sys.exit(0 if k["out"]["bytes_per_day"] == 360 * 17280 and
         k["in"]["bytes_per_day"] == 476 * 17280 and
         k["out"]["segments"] == [120] and sorted(k["in"]["segments"]) == [128, 168] and
         abs(s["out"]["events_per_day"] - 34560) <= 1 else 1)' "$T/rk.json"
then svr_pass "rekey every 5 s: r1 sends 360 and receives 476 bytes a rekey, 34,560 keepalives at 2 s"
else svr_fail "rekey every 5 s"; fi
"$B" --json --rekey-interval 5s --security-elements none "$T/q1.conf" "$T/q2.conf" >"$T/rk0.json" ||
  svr_fail "--security-elements none"
if python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["profiles"][0]
l = {c["channel"]: c for c in p["links"][0]["channels"]}
k = {c["channel"]: c for c in p["conductor"]["channels"]}
sys.exit(0 if not l["key-exchange"]["enabled"] and not k["key-exchange"]["enabled"] and
         l["ssh-keepalive"]["out"]["events_per_day"] == 43200 - 288 else 1)' "$T/rk0.json"
then svr_pass "--security-elements none: no key exchange, 42,912 keepalives"
else svr_fail "--security-elements none"; fi
# the routers' conductor-keepalive-interval drives the keepalive rate
for x in 1 2; do
  sed "1a conductor 192.0.2.10\nconductor-key k\nconductor-known-hosts kh\nconductor-keepalive-interval 1" \
    "$T/r$x.conf" >"$T/k$x.conf"
done
"$B" --json "$T/k1.conf" "$T/k2.conf" >"$T/ka.json" || svr_fail "conductor-keepalive-interval 1"
if python3 -c '
import json, sys
l = {c["channel"]: c for c in json.load(open(sys.argv[1]))["profiles"][0]["links"][0]["channels"]}
sys.exit(0 if l["ssh-keepalive"]["out"]["bytes_per_day"] == (86400 - 288) * 156 else 1)' "$T/ka.json"
then svr_pass "conductor-keepalive-interval 1: 86,112 keepalives a day (86,400 - 288)"
else svr_fail "conductor-keepalive-interval 1 not taken"; fi

# software-repository conductor-only: svr-router's own repository check,
# REPO_STATUS every 20 s (4,320 a day) answered by the conductor node;
# each answer restarts the keepalive timer and takes the place of one
# keepalive (20 s is 4 intervals): 17,280 - 4,320 = 12,960; the
# ENTITLEMENT_ACK every 300 s then splits a 20 s gap in two whose
# keepalives add up to the gap's three, and replaces none
for x in 1 2; do
  sed "1a conductor 192.0.2.10\nconductor-key k\nconductor-known-hosts kh\nsoftware-repository conductor-only" \
    "$T/r$x.conf" >"$T/s$x.conf"
done
"$B" --json --suite-only "$T/s1.conf" "$T/s2.conf" >"$T/repo.json" || svr_fail "software-repository"
if python3 -c '
import json, sys
l = {c["channel"]: c for c in json.load(open(sys.argv[1]))["profiles"][0]["links"][0]["channels"]}
r = l["repo-keepalive"]
sys.exit(0 if r["model"] == "suite" and r["out"]["events_per_day"] == 4320 and
         r["in"]["events_per_day"] == 4320 and
         abs(l["ssh-keepalive"]["out"]["events_per_day"] - 12960) <= 1 else 1)' "$T/repo.json"
then svr_pass "software-repository conductor-only: 4,320 checks a day (suite), 12,960 keepalives"
else svr_fail "software-repository conductor-only: $(cat "$T/repo.json")"; fi

"$B" --json --compare lte "$T/r1.conf" "$T/r2.conf" >"$T/cmp.json" || svr_fail "--compare lte"
if python3 - "$T/cmp.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["profiles"]
a = {c["channel"]: c["bytes_per_day"] for c in d[0]["links"][0]["channels"]}
b = {c["channel"]: c["bytes_per_day"] for c in d[1]["links"][0]["channels"]}
assert d[1]["profile"] == "lte"
assert b["bfd-async"] < a["bfd-async"] / 50, (a, b)   # 60 s instead of 1 s
assert b["bfd-echo"] < a["bfd-echo"] / 10, (a, b)     # 120 s instead of 10 s
assert b["fw-detector"] == 0 and a["fw-detector"] > 0  # always-transform
EOF
then svr_pass "--compare lte: BFD / 50, echo / 10, no detector traffic"
else svr_fail "--compare lte"; fi

"$B" --json --routers 3 --hub-spoke --channels none >"$T/hs.json" || svr_fail "--hub-spoke"
if python3 - "$T/hs.json" <<'EOF'
import json, sys
links = json.load(open(sys.argv[1]))["profiles"][0]["links"]
spoke = {c["channel"]: c for c in links[0]["channels"]}
mesh_pkt = 86400 / 0.875
assert links[0]["label"].startswith("spoke") and links[1]["label"].startswith("hub")
# Demand mode: the hub stops its periodic packets; the spoke's own stay
assert spoke["bfd-async"]["in"]["events_per_day"] < mesh_pkt / 10, spoke["bfd-async"]
EOF
then svr_pass "hub-and-spoke: the hub sends the spoke almost no BFD async (Demand mode)"
else svr_fail "hub-and-spoke Demand mode"; fi

for bad in "--routers 1" "--profile fast" "--mtu 100" "--channels foo" \
           "--rekey-interval 5x" "--routers 3 $T/r1.conf" \
           "--security-elements r1:r1" "--security-elements r1"; do
  # shellcheck disable=SC2086
  "$B" $bad >/dev/null 2>"$T/err"; rc=$?
  if [ $rc = 2 ] && [ -s "$T/err" ]; then
    svr_pass "bad input '$bad': exit 2 ($(head -1 "$T/err"))"
  else
    svr_fail "bad input '$bad': exit $rc"
  fi
done
printf 'router r1\nbogus-key 1\n' >"$T/bad.conf"
sed "1a conductor 192.0.2.10\nconductor-key k\nconductor-known-hosts kh\nconductor-keepalive-interval 11" \
  "$T/r1.conf" >"$T/bad2.conf"
"$B" "$T/bad2.conf" >/dev/null 2>"$T/err"; rc=$?
if [ $rc = 2 ] && grep -q "bad2.conf:5: conductor-keepalive-interval: expected 1-10" "$T/err"; then
  svr_pass "conductor-keepalive-interval 11: exit 2, $(head -1 "$T/err")"
else
  svr_fail "conductor-keepalive-interval 11: exit $rc: $(cat "$T/err")"
fi
"$B" "$T/bad.conf" >/dev/null 2>"$T/err"; rc=$?
if [ $rc = 2 ] && grep -q "bad.conf:2" "$T/err"; then
  svr_pass "a bad config file: exit 2 naming its line"
else
  svr_fail "a bad config file: exit $rc: $(cat "$T/err")"
fi
svr_finish
