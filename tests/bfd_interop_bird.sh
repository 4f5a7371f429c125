#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bfd_interop_bird (label interop, root): RFC 5880 authentication against
# BIRD 2 (FRR 8.4's bfdd has none; lab-recipes section 2).
#   A (svr-bfd --rfc5881) 10.93.0.1 --veth-- 10.93.0.2 B (bird), key id 7
# For each of keyed SHA1, meticulous keyed SHA1, keyed MD5, meticulous keyed
# MD5 and simple password: both sides reach Up (BIRD per `birdc show bfd
# sessions`).  tshark in A decodes every packet we send as BFD without
# malformed/expert info, with the right Auth Type and Key ID, and for the
# meticulous types sequence numbers that grow by exactly 1 per packet (keyed
# types: never decreasing).  A wrong key never comes Up (bounded wait of 5 s,
# i.e. five of BIRD's 1 s slow-start packets) and we count auth failures.
. "$SVR_SOURCE_DIR/tests/lib/netns.sh"
svr_require_root "network namespaces and bird"
svr_require_cmd ip tshark bird birdc
. "$SVR_SOURCE_DIR/tests/lib/bfd_io.sh"
chmod 755 "$SVR_TMP"

svr_ns_add A; svr_ns_add B
svr_veth A 10.93.0.1/24 B 10.93.0.2/24

bird_conf() { # "bird auth words" -> config on stdout
cat <<EOC
log stderr all;
router id 10.93.0.2;
protocol device { scan time 10; }
protocol bfd {
  interface "vBA" {
    min rx interval 300 ms; min tx interval 300 ms; multiplier 3;
    authentication $1;
    password "labsecret" { id 7; };
  };
  neighbor 10.93.0.1 dev "vBA" local 10.93.0.2;
}
EOC
}
bird_up() { birdc -s "$SVR_TMP/bird.ctl" show bfd sessions 2>/dev/null | grep -c ' Up '; }

# phase "BIRD auth" OURTYPE KEY IANA_TYPE -> starts both, leaves BPID/OPID/OLOG
start_pair() {
  bird_conf "$1" >"$SVR_TMP/bird.conf"
  svr_bg B bird -f -c "$SVR_TMP/bird.conf" -s "$SVR_TMP/bird.ctl" -P "$SVR_TMP/bird.pid"
  BPID=$SVR_LAST_PID
  svr_wait_for 10 "[ -S '$SVR_TMP/bird.ctl' ]" || svr_fail "bird did not start: $(cat "$SVR_LAST_LOG")"
  svr_bg A "$SVR_BFD" -l 10.93.0.1 -p 10.93.0.2 --rfc5881 --tx 300 --rx 300 --hold-down 0 \
    --auth "$2:7:$3" --json
  OPID=$SVR_LAST_PID; OLOG=$SVR_LAST_LOG
}
stop_pair() {
  kill "$OPID" "$BPID" 2>/dev/null
  svr_wait_for 5 "! kill -0 $OPID 2>/dev/null && ! kill -0 $BPID 2>/dev/null"
  rm -f "$SVR_TMP/bird.ctl"
}

# seq_verdict METICULOUS SEQ...: "ok", or "bad a->b ..." for steps that are
# not +1 (meticulous) or that go backwards (keyed), modulo 2^32.
seq_verdict() {
  local met=$1 p="" v d bad=""; shift
  for v in "$@"; do
    v=$(( v ))   # tshark may print 0x... or decimal
    if [ -n "$p" ]; then
      d=$(( (v - p + 4294967296) % 4294967296 ))
      if [ "$met" = 1 ] && [ "$d" != 1 ]; then bad="$bad $p->$v"; fi
      if [ "$met" = 0 ] && [ "$d" -gt 2147483647 ]; then bad="$bad $p->$v"; fi
    fi
    p=$v
  done
  [ -z "$bad" ] && echo ok || echo "bad$bad"
}

PCAP=$SVR_TMP/auth.pcap
bfd_capture_start A vAB "$PCAP" "udp port 3784" || { svr_fail "tshark"; svr_finish; }
while read -r words ours iana; do
  words=${words//_/ }
  start_pair "$words" "$ours" labsecret
  if svr_wait_for 10 "[ -n \"\$(bfd_state_time '$OLOG' up)\" ] && [ \"\$(bird_up)\" = 1 ]"; then
    # a few Up packets each way in the capture (300 ms each)
    svr_wait_for 5 "[ \$(bfd_pcap_count '$PCAP' 'ip.src==10.93.0.1 && bfd.sta==3 && bfd.auth.type==$iana') -ge 4 ] 2>/dev/null"
    svr_pass "$words: svr-bfd and BIRD Up"
  else
    svr_fail "$words: not Up (ours: $(tail -1 "$OLOG"); bird: $(birdc -s "$SVR_TMP/bird.ctl" show bfd sessions 2>&1 | tail -1))"
  fi
  stop_pair
done <<'EOL'
keyed_sha1 sha1 4
meticulous_keyed_sha1 meticulous-sha1 5
keyed_md5 md5 2
meticulous_keyed_md5 meticulous-md5 3
simple simple 1
EOL
bfd_capture_stop

if r=$(bfd_pcap_check_ours "$PCAP" 10.93.0.1); then svr_pass "tshark: $r"; else svr_fail "tshark: $r"; fi
for iana in 4 5 2 3 1; do
  n=$(bfd_pcap_count "$PCAP" "ip.src==10.93.0.1 && bfd.auth.type==$iana && bfd.auth.key==7")
  if [ "$n" -lt 3 ]; then svr_fail "auth type $iana: only $n packets from us with key ID 7"; continue; fi
  [ "$iana" = 1 ] && { svr_pass "auth type 1: $n packets, key ID 7"; continue; }
  seqs=$(tshark -r "$PCAP" -Y "ip.src==10.93.0.1 && bfd.auth.type==$iana" -T fields -e bfd.auth.seq_num 2>/dev/null)
  verdict=$(seq_verdict $(( iana == 3 || iana == 5 )) $seqs)
  if [ "$verdict" = ok ]; then
    svr_pass "auth type $iana: $n packets, key ID 7, sequence numbers $( [ $iana = 3 ] || [ $iana = 5 ] && echo '+1 per packet' || echo 'never decreasing')"
  else
    svr_fail "auth type $iana sequence: $verdict"
  fi
done

# wrong key: never Up within the bounded wait
start_pair "keyed sha1" sha1 wrongsecret
svr_wait_for 10 "grep -q '\"event\":\"start\"' '$OLOG'"
if svr_wait_for 5 "[ -n \"\$(bfd_state_time '$OLOG' up)\" ] || [ \"\$(bird_up)\" = 1 ] || [ -n \"\$(bfd_state_time '$OLOG' init)\" ]"; then
  svr_fail "wrong key: a session left Down ($(tail -1 "$OLOG"))"
else
  f=$(bfd_json_field "$(bfd_table "$OLOG" "$OPID")" auth_failures)
  if [ "${f:-0}" -ge 2 ]; then
    svr_pass "wrong key: neither side left Down in 5 s; we rejected $f of BIRD's packets"
  else
    svr_fail "wrong key: auth_failures '$f'"
  fi
fi
stop_pair
svr_finish
