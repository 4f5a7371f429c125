#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The router's own waypoint address changes while it forwards
# (`dynamic-address`, docs/svr-router.md "Dynamic peer update";
# docs/dataplane.md section 1): the data plane follows it.
#   - router A's interface has `dynamic-address aB`; a 4 MB curl C -> S
#     works at the start address 192.168.50.1;
#   - 192.168.50.11 is added to aB and 192.168.50.1 removed: A moves (its
#     log); B learns it by a SIGHUP with the new adjacency address (standing
#     in for the conductor's PEER_ADDRESS push, which goes through the same
#     apply: conductor_dpu tests the push); both paths come up again;
#   - A's nft tables (netdev ingress drop and inet notrack rules) name the
#     new address and no longer the old one;
#   - a 20 MB curl C -> S through the routers after the move: sha256 equal
#     (the ring filter and the drop rule take waypoint packets to the new
#     address);
#   - the old address is the kernel's again: put back on aB as a plain
#     address, a TCP connection from B (a peer) to 192.168.50.1 port 40000
#     (a waypoint port) reaches a listener in A, and A's ring took none of it
#     (no drop counted);
#   - the same in tap mode (forwarding-peer-input tap), where the nft rule
#     alone takes the waypoint packets.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "namespaces, TUN devices, nftables, AF_PACKET"
svr_require_cmd curl python3 nft
. "$SVR_SOURCE_DIR/tests/lib/dataplane.sh"
cd "$SVR_TMP"

OLD=192.168.50.1
NEW=192.168.50.11

dp_topo
# deleting the first address of a subnet must keep the second one
dp_exec A sysctl -qw net.ipv4.conf.aB.promote_secondaries=1
mkdir -p www
want4=$(dp_gen_file www/f4.bin 4)
want=$(dp_gen_file www/f.bin 20)
dp_http_serve "$SVR_TMP/www" 8080 || svr_fail "HTTP server"

cat >listen.py <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(4)
print("listening", flush=True)
while True:
    c, a = s.accept()
    c.sendall(b"kernel-answered\n")
    c.close()
EOF
cat >connect.py <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(3)
try:
    s.connect((sys.argv[3], int(sys.argv[4])))
    print(s.recv(100).decode().strip())
except OSError as e:
    print("error: %s" % e)
EOF

stats() {
  "$DP_ROUTER" -c "$SVR_TMP/router$1.conf" show stats --json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

fetch() {  # NAME SHA LABEL
  rm -f got.bin
  if dp_http_fetch "$1" "$SVR_TMP/got.bin" 8080 2>curl.err &&
     [ "$(dp_sha256_file got.bin)" = "$2" ]; then
    svr_pass "$3: curl C -> S through the routers, sha256 equal"
  else
    svr_fail "$3: curl: $(cat curl.err) sha256 $(dp_sha256_file got.bin 2>/dev/null)"
  fi
}

# nft_has PID FAMILY ADDR: A's table FAMILY svr_fwd_PID names ADDR
nft_has() {
  dp_exec A nft list table "$2" "svr_fwd_$1" 2>/dev/null | grep -qw "${3//./\\.}"
}

for mode in ring tap; do
  extra=()
  [ $mode = tap ] && extra=(forwarding-peer-input tap)
  dp_router_conf A "${extra[@]}" >/dev/null
  dp_router_conf B "${extra[@]}" >/dev/null
  sed -i "s/^address $OLD\$/address $OLD\ndynamic-address aB/" routerA.conf
  grep -q '^dynamic-address aB$' routerA.conf || svr_fail "$mode: config edit"
  dp_routers_up 30 || { svr_fail "$mode: routers did not come up"; svr_finish; }
  [ "$(stats A 'd["peer_input"]')" = $mode ] || svr_fail "$mode: A's peer_input is $(stats A 'd["peer_input"]')"
  fetch f4.bin "$want4" "$mode, at $OLD"

  # ---- A's address moves
  dp_ip A addr add $NEW/24 dev aB
  dp_ip A addr del $OLD/24 dev aB
  svr_wait_for 10 "grep -q 'address on aB changed $OLD -> $NEW' '$DP_ROUTER_LOG_A'" ||
    svr_fail "$mode: A did not move: $(grep -i 'interface\|dynamic' "$DP_ROUTER_LOG_A" | tail -3 | tr '\n' ' ')"
  # B follows (the conductor's push in a deployment)
  sed -i "s/^address $OLD\$/address $NEW/" routerB.conf
  n0=$(grep -c 'reloaded:' "$DP_ROUTER_LOG_B")
  kill -HUP "$DP_ROUTER_PID_B"
  svr_wait_for 10 "[ \$(grep -c 'reloaded:' '$DP_ROUTER_LOG_B') -gt $n0 ]" || svr_fail "$mode: B's reload not done"
  if svr_wait_for 30 "dp_peers_up '$SVR_TMP/routerA.conf' && dp_peers_up '$SVR_TMP/routerB.conf'"; then
    svr_pass "$mode: A moved $OLD -> $NEW (dynamic-address), B followed, the path is up again"
  else
    svr_fail "$mode: path not up after the move: $("$DP_ROUTER" -c routerA.conf show peers 2>&1 | tail -n +3 | cut -c1-100 | tr '\n' ';')"
  fi

  # ---- A's nft tables follow the address
  pa=$DP_ROUTER_PID_A
  if svr_wait_for 10 "nft_has $pa netdev $NEW && ! nft_has $pa netdev $OLD &&
       nft_has $pa inet $NEW && ! nft_has $pa inet $OLD"; then
    svr_pass "$mode: A's nft ingress rule and notrack rules name $NEW, not $OLD"
  else
    svr_fail "$mode: A's nft tables: $(dp_exec A nft list table netdev svr_fwd_$pa 2>&1 | grep daddr | tr '\n' ' ') / $(dp_exec A nft list table inet svr_fwd_$pa 2>&1 | grep saddr | tr '\n' ' ')"
  fi

  # ---- traffic at the new address
  fetch f.bin "$want" "$mode, after the move to $NEW"

  # ---- the old address is the kernel's again
  d0=$(stats A 'sum(d["drops"].values()), d["rx_tap"]')
  dp_ip A addr add $OLD/24 dev aB
  svr_bg A python3 listen.py $OLD 40000; lpid=$SVR_LAST_PID
  svr_wait_for 10 "grep -q listening '$SVR_LAST_LOG'" || svr_fail "$mode: listener in A"
  got=$(dp_exec B python3 connect.py 192.168.50.2 5000 $OLD 40000)
  d1=$(stats A 'sum(d["drops"].values()), d["rx_tap"]')
  if [ "$got" = kernel-answered ] && [ "$d0" = "$d1" ]; then
    svr_pass "$mode: $OLD released: B (a peer) connects to A's $OLD port 40000 (a waypoint port) and A's kernel answers; the data plane took nothing (drops, ring frames: $d1)"
  else
    svr_fail "$mode: $OLD still captured: connect: '$got'; A's drops, ring frames $d0 -> $d1"
  fi
  dp_kill "$lpid"
  dp_routers_down
  # back to the start address for the next round
  dp_ip A addr del $NEW/24 dev aB
done
svr_finish
