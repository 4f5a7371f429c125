-- SPDX-License-Identifier: BSD-2-Clause
-- svr.lua: Wireshark/tshark dissector for the packets svr-suite puts on the
-- wire (docs/wire-format.md, docs/wireshark.md).
--
--   * 1280/UDP, the peer-path port: BFD control packets (RFC 5880, handed to
--     Wireshark's own BFD dissector) with the SVR metadata trailer, and the
--     SVR control datagrams: path-quality echo request/reply, PMTU probe/ack,
--     firewall-detector request/report.
--   * Data plane: any UDP or TCP payload that starts with the SVR cookie
--     (first packets of a session, with the metadata handshake), and the
--     fast-path packets of a session once its first packet was seen
--     (security ID, sequence, ciphertext, tag).  Only what travels in clear
--     is decoded: header TLVs always, payload TLVs when the session is not
--     encrypted.
--   * Firewall-detector TCP probes (payload "SVRFWDET" on 1280/1283).
--
-- Load it with `tshark -X lua_script:svr.lua`, or copy it to
-- ~/.local/lib/wireshark/plugins/.  Filters: `svr`, `svr.tlv.type == 16`,
-- `svr.router == "rtr-a"`, `svr.truncated`, `svr.malformed`.
--
-- Every length is checked against what is really in the packet: a header,
-- TLV or trailer that runs past the end is flagged `svr.truncated`; a
-- known TLV with the wrong length, a header length below 12, a version
-- other than 1 are flagged `svr.malformed`.

local svr = Proto("svr", "Secure Vector Routing (svr-suite)")

local COOKIE = "4c48dbc6ddf6670c"
local PEER_PORT = 1280

local ctrl_kinds = {
  [1] = "Echo request (path quality)",
  [2] = "Echo reply (path quality)",
  [3] = "PMTU probe",
  [4] = "PMTU ack",
  [5] = "Firewall-detector request/report",
}

local tlv_names = {
  [1] = "Fragment",
  [2] = "Forward context (IPv4)",
  [3] = "Forward context (IPv6)",
  [4] = "Reverse context (IPv4)",
  [5] = "Reverse context (IPv6)",
  [6] = "Session UUID",
  [7] = "Tenant",
  [10] = "Service",
  [11] = "Payload encrypted",
  [12] = "TCP SYN (TCP carried as UDP)",
  [14] = "Source router name",
  [16] = "Security ID",
  [17] = "Destination router name",
  [18] = "Disable forward metadata",
  [19] = "Peer pathway ID",
  [24] = "Control message",
  [26] = "Path metrics",
  [0xE000] = "Control datagram kind (svr-suite)",
  [0xE010] = "Node name (svr-suite BFD trailer)",
  [0xE011] = "Observed hop count (svr-suite BFD trailer)",
  [0xE030] = "Echo token (svr-suite)",
  [0xE031] = "Echo burst (svr-suite)",
  [0xE032] = "Echo sequence (svr-suite)",
  [0xE033] = "Echo tx time (svr-suite)",
  [0xE034] = "Echo reflector rx time (svr-suite)",
  [0xE035] = "Echo reflector tx time (svr-suite)",
  [0xE036] = "Echo padding (svr-suite)",
  [0xE040] = "PMTU probe (svr-suite)",
  [0xE041] = "PMTU padding (svr-suite)",
  [0xE042] = "PMTU ack (svr-suite)",
  [0xE060] = "Detector op (svr-suite)",
  [0xE061] = "Detector path id (svr-suite)",
  [0xE062] = "Detector burst (svr-suite)",
  [0xE063] = "Detector kinds (svr-suite)",
  [0xE064] = "Detector flags seen (svr-suite)",
  [0xE065] = "Detector node name (svr-suite)",
  [0xE080] = "Sequence number (svr-suite data plane)",
  [0xE081] = "Sender time, ms (svr-suite data plane)",
  [0xE082] = "Original L4 checksum (svr-suite data plane)",
}

local probe_kinds = { [0] = "TCP SYN", [1] = "Mid-flow", [2] = "TCP SYN Jumbo",
                      [3] = "Out-of-order" }
local fwdet_ops = { [1] = "Request", [2] = "Report" }

local f = svr.fields
f.cookie = ProtoField.bytes("svr.cookie", "Cookie")
f.version = ProtoField.uint16("svr.version", "Version", base.DEC, nil, 0xF000)
f.hdr_len = ProtoField.uint16("svr.hdr_len", "Header length", base.DEC, nil, 0x0FFF)
f.pay_len = ProtoField.uint16("svr.pay_len", "Payload length")
f.tlv_type = ProtoField.uint16("svr.tlv.type", "Type", base.HEX, tlv_names)
f.tlv_len = ProtoField.uint16("svr.tlv.len", "Length")
f.tlv_value = ProtoField.bytes("svr.tlv.value", "Value")
f.ctrl_kind = ProtoField.uint16("svr.ctrl_kind", "Control kind", base.DEC, ctrl_kinds)
f.frag_ext = ProtoField.uint32("svr.frag.ext_id", "Extended ID", base.HEX)
f.frag_orig = ProtoField.uint16("svr.frag.orig_id", "Original ID", base.HEX)
f.frag_off = ProtoField.uint16("svr.frag.flags_offset", "Flags and offset", base.HEX)
f.frag_largest = ProtoField.uint16("svr.frag.largest", "Largest fragment")
f.ctx_dir = ProtoField.string("svr.ctx.direction", "Context")
f.ctx_src = ProtoField.ipv4("svr.ctx.src", "Source")
f.ctx_dst = ProtoField.ipv4("svr.ctx.dst", "Destination")
f.ctx_src6 = ProtoField.ipv6("svr.ctx.src6", "Source")
f.ctx_dst6 = ProtoField.ipv6("svr.ctx.dst6", "Destination")
f.ctx_sport = ProtoField.uint16("svr.ctx.sport", "Source port")
f.ctx_dport = ProtoField.uint16("svr.ctx.dport", "Destination port")
f.ctx_proto = ProtoField.uint8("svr.ctx.proto", "Protocol")
f.uuid = ProtoField.guid("svr.uuid", "Session UUID")
f.tenant = ProtoField.string("svr.tenant", "Tenant")
f.service = ProtoField.string("svr.service", "Service")
f.encrypted = ProtoField.bool("svr.encrypted", "Payload encrypted")
f.tcp_syn = ProtoField.bool("svr.tcp_syn", "TCP carried as UDP")
f.router = ProtoField.string("svr.router", "Source router")
f.security_id = ProtoField.uint32("svr.security_id", "Security ID", base.HEX)
f.dest_router = ProtoField.string("svr.dest_router", "Destination router")
f.no_fwd_meta = ProtoField.bool("svr.disable_fwd_meta", "Disable forward metadata")
f.pathway = ProtoField.string("svr.pathway", "Peer pathway ID")
f.control = ProtoField.uint8("svr.control", "Control message")
f.metrics = ProtoField.bytes("svr.path_metrics", "Path metrics")
f.seq = ProtoField.uint64("svr.seq", "Sequence number")
f.time_ms = ProtoField.uint64("svr.time_ms", "Sender time (ms)")
f.l4_cksum = ProtoField.uint16("svr.orig_cksum", "Original L4 checksum", base.HEX)
f.node = ProtoField.string("svr.node", "Node name")
f.hops = ProtoField.uint8("svr.hops", "Observed hop count")
f.echo_token = ProtoField.uint32("svr.echo.token", "Token", base.HEX)
f.echo_burst = ProtoField.uint32("svr.echo.burst", "Burst")
f.echo_seq = ProtoField.uint32("svr.echo.seq", "Sequence")
f.echo_tx = ProtoField.uint64("svr.echo.tx_time", "Sender tx time (ns)")
f.echo_rrx = ProtoField.uint64("svr.echo.refl_rx_time", "Reflector rx time (ns)")
f.echo_rtx = ProtoField.uint64("svr.echo.refl_tx_time", "Reflector tx time (ns)")
f.pad = ProtoField.uint16("svr.pad_len", "Padding length")
f.pmtu_path = ProtoField.uint32("svr.pmtu.path_id", "Path id", base.HEX)
f.pmtu_seq = ProtoField.uint32("svr.pmtu.seq", "Sequence")
f.pmtu_nonce = ProtoField.uint64("svr.pmtu.nonce", "Nonce", base.HEX)
f.pmtu_size = ProtoField.uint16("svr.pmtu.probed_size", "Probed size")
f.pmtu_udp = ProtoField.uint16("svr.pmtu.udp_len", "UDP length")
f.det_op = ProtoField.uint8("svr.fwdet.op", "Op", base.DEC, fwdet_ops)
f.det_path = ProtoField.uint32("svr.fwdet.path_id", "Path id", base.HEX)
f.det_burst = ProtoField.uint32("svr.fwdet.burst", "Burst")
f.det_kinds = ProtoField.uint8("svr.fwdet.kinds", "Kinds", base.HEX)
f.det_flags = ProtoField.bytes("svr.fwdet.flags_seen", "TCP flags seen per kind")
f.fp_secid = ProtoField.uint32("svr.fp.security_id", "Security ID", base.HEX)
f.fp_seq = ProtoField.uint64("svr.fp.seq", "Sequence number")
f.fp_time = ProtoField.uint64("svr.fp.time_ms", "Sender time (ms)")
f.ciphertext = ProtoField.bytes("svr.ciphertext", "Ciphertext")
f.tag = ProtoField.bytes("svr.tag", "Tag")
f.clear = ProtoField.bytes("svr.clear_payload", "Original payload (cipher none)")
f.probe_magic = ProtoField.string("svr.probe.magic", "Magic")
f.probe_ver = ProtoField.uint8("svr.probe.version", "Version")
f.probe_kind = ProtoField.uint8("svr.probe.kind", "Kind", base.DEC, probe_kinds)
f.probe_len = ProtoField.uint16("svr.probe.payload_len", "Payload length")
f.probe_path = ProtoField.uint32("svr.probe.path_id", "Path id", base.HEX)
f.probe_burst = ProtoField.uint32("svr.probe.burst", "Burst")

local ef_trunc = ProtoExpert.new("svr.truncated", "Truncated",
                                 expert.group.MALFORMED, expert.severity.ERROR)
local ef_bad = ProtoExpert.new("svr.malformed", "Malformed",
                               expert.group.MALFORMED, expert.severity.ERROR)
local ef_unknown = ProtoExpert.new("svr.tlv.unknown", "Unknown TLV type",
                                   expert.group.UNDECODED, expert.severity.NOTE)
svr.experts = { ef_trunc, ef_bad, ef_unknown }

-- Sessions seen with a metadata packet: their later packets are fast path.
-- Key: "proto src sport dst dport" (both directions recorded).
local sessions = {}

local function conv_key(pinfo, proto, rev)
  if rev then
    return proto .. " " .. tostring(pinfo.dst) .. " " .. pinfo.dst_port .. " " ..
           tostring(pinfo.src) .. " " .. pinfo.src_port
  end
  return proto .. " " .. tostring(pinfo.src) .. " " .. pinfo.src_port .. " " ..
         tostring(pinfo.dst) .. " " .. pinfo.dst_port
end

function svr.init()
  sessions = {}
end

local function starts_with_cookie(tvb, off)
  return tvb:len() >= off + 8 and tostring(tvb(off, 8):bytes()):lower() == COOKIE
end

-- Fixed value lengths of known TLVs (nil: any length).
local fixed_len = {
  [1] = 10, [2] = 13, [3] = 37, [4] = 13, [5] = 37, [6] = 16, [11] = 0,
  [12] = 0, [16] = 4, [18] = 0, [24] = 1, [26] = 10,
  [0xE000] = 2, [0xE011] = 1, [0xE030] = 4, [0xE031] = 4, [0xE032] = 4,
  [0xE033] = 8, [0xE034] = 8, [0xE035] = 8, [0xE040] = 20, [0xE042] = 20,
  [0xE060] = 1, [0xE061] = 4, [0xE062] = 4, [0xE063] = 1, [0xE064] = 4,
  [0xE080] = 8, [0xE081] = 8, [0xE082] = 2,
}

-- Adds the named fields of one TLV whose value is |v| (a TvbRange, may be
-- empty) to |t|.  |st| collects what the caller needs (security ID, etc.).
local function tlv_fields(t, typ, v, st)
  local n = v:len()
  if typ == 1 then
    t:add(f.frag_ext, v(0, 4)); t:add(f.frag_orig, v(4, 2))
    t:add(f.frag_off, v(6, 2)); t:add(f.frag_largest, v(8, 2))
  elseif typ >= 2 and typ <= 5 then
    local v6 = (typ == 3 or typ == 5)
    local a = v6 and 16 or 4
    t:add(f.ctx_dir, (typ <= 3) and "forward" or "reverse")
    t:add(v6 and f.ctx_src6 or f.ctx_src, v(0, a))
    t:add(v6 and f.ctx_dst6 or f.ctx_dst, v(a, a))
    t:add(f.ctx_sport, v(2 * a, 2)); t:add(f.ctx_dport, v(2 * a + 2, 2))
    t:add(f.ctx_proto, v(2 * a + 4, 1))
  elseif typ == 6 then t:add(f.uuid, v)
  elseif typ == 7 then t:add(f.tenant, v)
  elseif typ == 10 then t:add(f.service, v)
  elseif typ == 11 then t:add(f.encrypted, true); st.encrypted = true
  elseif typ == 12 then t:add(f.tcp_syn, true)
  elseif typ == 14 then t:add(f.router, v)
  elseif typ == 16 then t:add(f.security_id, v); st.security = true
  elseif typ == 17 then t:add(f.dest_router, v)
  elseif typ == 18 then t:add(f.no_fwd_meta, true)
  elseif typ == 19 then t:add(f.pathway, v)
  elseif typ == 24 then t:add(f.control, v)
  elseif typ == 26 then t:add(f.metrics, v)
  elseif typ == 0xE000 then t:add(f.ctrl_kind, v); st.kind = st.kind or v:uint()
  elseif typ == 0xE010 or typ == 0xE065 then t:add(f.node, v)
  elseif typ == 0xE011 then t:add(f.hops, v)
  elseif typ == 0xE030 then t:add(f.echo_token, v)
  elseif typ == 0xE031 then t:add(f.echo_burst, v)
  elseif typ == 0xE032 then t:add(f.echo_seq, v)
  elseif typ == 0xE033 then t:add(f.echo_tx, v)
  elseif typ == 0xE034 then t:add(f.echo_rrx, v)
  elseif typ == 0xE035 then t:add(f.echo_rtx, v)
  elseif typ == 0xE036 or typ == 0xE041 then t:add(f.pad, n)
  elseif typ == 0xE040 or typ == 0xE042 then
    t:add(f.pmtu_path, v(0, 4)); t:add(f.pmtu_seq, v(4, 4))
    t:add(f.pmtu_nonce, v(8, 8)); t:add(f.pmtu_size, v(16, 2))
    t:add(f.pmtu_udp, v(18, 2))
  elseif typ == 0xE060 then t:add(f.det_op, v)
  elseif typ == 0xE061 then t:add(f.det_path, v)
  elseif typ == 0xE062 then t:add(f.det_burst, v)
  elseif typ == 0xE063 then t:add(f.det_kinds, v)
  elseif typ == 0xE064 then t:add(f.det_flags, v)
  elseif typ == 0xE080 then t:add(f.seq, v)
  elseif typ == 0xE081 then t:add(f.time_ms, v); st.cbc = true
  elseif typ == 0xE082 then t:add(f.l4_cksum, v)
  else return false
  end
  return true
end

-- TLVs in tvb[off, off+len).  Returns false when one is cut or malformed.
local function dissect_tlvs(tvb, tree, off, len, area, st)
  local stop = off + len
  local ok = true
  while off < stop do
    if stop - off < 4 then
      tree:add_proto_expert_info(ef_trunc, area .. ": TLV header runs past the area")
      return false
    end
    local typ = tvb(off, 2):uint()
    local vlen = tvb(off + 2, 2):uint()
    local name = tlv_names[typ] or string.format("Unknown (0x%04x)", typ)
    if vlen > stop - off - 4 then
      local t = tree:add(svr, tvb(off, stop - off), name .. " (cut)")
      t:add(f.tlv_type, tvb(off, 2)); t:add(f.tlv_len, tvb(off + 2, 2))
      t:add_proto_expert_info(ef_trunc, string.format(
        "%s: TLV 0x%04x length %d runs past the area (%d bytes left)",
        area, typ, vlen, stop - off - 4))
      return false
    end
    local t = tree:add(svr, tvb(off, 4 + vlen), name)
    t:set_text(string.format("TLV %s, length %d", name, vlen))
    t:add(f.tlv_type, tvb(off, 2)); t:add(f.tlv_len, tvb(off + 2, 2))
    local v = vlen > 0 and tvb(off + 4, vlen) or tvb(off + 4, 0)
    local want = fixed_len[typ]
    if want ~= nil and want ~= vlen then
      t:add_proto_expert_info(ef_bad, string.format(
        "TLV 0x%04x must be %d bytes, is %d", typ, want, vlen))
      ok = false
    elseif vlen > 0 or want == 0 then
      if not tlv_fields(t, typ, v, st) then
        if vlen > 0 then t:add(f.tlv_value, v) end
        t:add_proto_expert_info(ef_unknown)
      end
    else
      if not tlv_fields(t, typ, v, st) then t:add_proto_expert_info(ef_unknown) end
    end
    off = off + 4 + vlen
  end
  return ok
end

-- The metadata block at tvb[off..].  Returns the state table or nil (error;
-- the tree is flagged).  st.hdr_end / st.pay_end: where the areas end.
local function dissect_meta(tvb, pinfo, tree, off, label, encrypted_payload)
  local avail = tvb:len() - off
  local t = tree:add(svr, tvb(off, math.min(avail, 12)), label)
  local st = {}
  if avail < 12 then
    t:add(f.cookie, tvb(off, math.min(avail, 8)))
    t:add_proto_expert_info(ef_trunc, string.format(
      "metadata header needs 12 bytes, %d in the packet", avail))
    return nil, t
  end
  t:add(f.cookie, tvb(off, 8))
  t:add(f.version, tvb(off + 8, 2))
  t:add(f.hdr_len, tvb(off + 8, 2))
  t:add(f.pay_len, tvb(off + 10, 2))
  local ver = bit.rshift(tvb(off + 8, 1):uint(), 4)
  local hlen = bit.band(tvb(off + 8, 2):uint(), 0x0fff)
  local plen = tvb(off + 10, 2):uint()
  if ver ~= 1 then
    t:add_proto_expert_info(ef_bad, "version " .. ver .. ", only 1 is defined")
    return nil, t
  end
  if hlen < 12 then
    t:add_proto_expert_info(ef_bad, "header length " .. hlen .. " is below 12")
    return nil, t
  end
  if hlen > avail then
    t:set_len(avail)
    t:add_proto_expert_info(ef_trunc, string.format(
      "header length %d runs past the packet (%d bytes)", hlen, avail))
    dissect_tlvs(tvb, t, off + 12, avail - 12, "header", st)
    return nil, t
  end
  t:set_len(hlen)
  if not dissect_tlvs(tvb, t, off + 12, hlen - 12, "header", st) then
    return nil, t
  end
  st.hdr_end = off + hlen
  if encrypted_payload or st.security then
    -- Payload TLVs travel inside the ciphertext (docs/libsvrfwd.md 4).
    st.pay_end = nil
    return st, t
  end
  if plen > avail - hlen then
    t:add_proto_expert_info(ef_trunc, string.format(
      "payload length %d runs past the packet (%d bytes after the header)",
      plen, avail - hlen))
    if avail > hlen then
      dissect_tlvs(tvb, tree:add(svr, tvb(off + hlen), "Payload TLVs (cut)"),
                   off + hlen, avail - hlen, "payload", st)
    end
    return nil, t
  end
  if plen > 0 then
    local pt = tree:add(svr, tvb(off + hlen, plen), "Payload TLVs")
    if not dissect_tlvs(tvb, pt, off + hlen, plen, "payload", st) then
      return nil, t
    end
  end
  st.pay_end = off + hlen + plen
  return st, t
end

local function tag_len(cbc) return cbc and 32 or 16 end

-- Ciphertext + tag in tvb[off..].
local function dissect_sealed(tvb, tree, off, cbc)
  local left = tvb:len() - off
  local tl = tag_len(cbc)
  if left < tl then
    tree:add_proto_expert_info(ef_trunc, string.format(
      "%d bytes left, the %d-byte tag does not fit", left, tl))
    return false
  end
  if left > tl then tree:add(f.ciphertext, tvb(off, left - tl)) end
  tree:add(f.tag, tvb(off + left - tl, tl))
  return true
end

-- A data-plane packet (UDP or TCP payload) starting with the cookie.
local function dissect_first(tvb, pinfo, tree, proto)
  pinfo.cols.protocol = "SVR"
  local st, t = dissect_meta(tvb, pinfo, tree, 0, "SVR metadata", false)
  if not st then
    pinfo.cols.info = "SVR metadata (bad)"
    return
  end
  local enc = st.security == true
  local ses = { enc = enc, cbc = st.cbc == true }
  if not pinfo.visited then
    sessions[conv_key(pinfo, proto, false)] = ses
    sessions[conv_key(pinfo, proto, true)] = ses
  end
  if enc then
    pinfo.cols.info = "SVR first packet, encrypted"
    dissect_sealed(tvb, tree, st.hdr_end, st.cbc)
  else
    pinfo.cols.info = "SVR first packet"
    if tvb:len() > st.pay_end then
      tree:add(f.clear, tvb(st.pay_end))
    end
  end
end

local function dissect_fast(tvb, pinfo, tree, ses)
  pinfo.cols.protocol = "SVR"
  local t = tree:add(svr, tvb(), "SVR fast path")
  if not ses.enc then
    pinfo.cols.info = "SVR fast path (cipher none)"
    if tvb:len() > 0 then t:add(f.clear, tvb()) end
    return
  end
  local pre = ses.cbc and 20 or 12
  pinfo.cols.info = "SVR fast path, encrypted"
  if tvb:len() < pre then
    t:add_proto_expert_info(ef_trunc, string.format(
      "fast-path prefix needs %d bytes, %d in the packet", pre, tvb:len()))
    return
  end
  t:add(f.fp_secid, tvb(0, 4))
  t:add(f.fp_seq, tvb(4, 8))
  if ses.cbc then t:add(f.fp_time, tvb(12, 8)) end
  dissect_sealed(tvb, t, pre, ses.cbc)
end

-- A detector probe's TCP payload (docs/libsvrfwdet.md section 2).
local function dissect_probe(tvb, pinfo, tree)
  pinfo.cols.protocol = "SVR"
  local t = tree:add(svr, tvb(), "SVR firewall-detector probe")
  if tvb:len() < 24 then
    t:add_proto_expert_info(ef_trunc, "probe identifier needs 24 bytes")
    return
  end
  t:add(f.probe_magic, tvb(0, 8))
  t:add(f.probe_ver, tvb(8, 1))
  t:add(f.probe_kind, tvb(9, 1))
  t:add(f.probe_len, tvb(10, 2))
  t:add(f.probe_path, tvb(12, 4))
  t:add(f.probe_burst, tvb(16, 4))
  local kind = tvb(9, 1):uint()
  pinfo.cols.info = "SVR detector probe: " .. (probe_kinds[kind] or "?")
  if tvb(10, 2):uint() ~= tvb:len() then
    t:add_proto_expert_info(ef_trunc, string.format(
      "payload length field %d, %d bytes in the packet", tvb(10, 2):uint(),
      tvb:len()))
  end
end

-- 1280/UDP: BFD with trailer, or an SVR control datagram.
local bfd_handle = nil
local function dissect_peer_port(tvb, pinfo, tree)
  local len = tvb:len()
  if starts_with_cookie(tvb, 0) then
    pinfo.cols.protocol = "SVR"
    local st = dissect_meta(tvb, pinfo, tree, 0, "SVR control datagram", false)
    local kind = st and st.kind
    pinfo.cols.info = "SVR control: " .. (kind and (ctrl_kinds[kind] or
                                                    ("kind " .. kind)) or "bad")
    return len
  end
  if len >= 1 and bit.rshift(tvb(0, 1):uint(), 5) == 1 then
    if len < 4 then
      tree:add(svr, tvb(), "BFD (cut)"):add_proto_expert_info(ef_trunc,
        "BFD control packet shorter than 4 bytes")
      return len
    end
    local blen = tvb(3, 1):uint()
    if blen > len then
      tree:add(svr, tvb(), "BFD (cut)"):add_proto_expert_info(ef_trunc,
        string.format("BFD Length %d runs past the datagram (%d bytes)", blen, len))
      return len
    end
    if bfd_handle == nil then
      bfd_handle = DissectorTable.get("udp.port"):get_dissector(3784)
    end
    if bfd_handle ~= nil then bfd_handle:call(tvb(0, blen):tvb(), pinfo, tree) end
    if len > blen then
      if starts_with_cookie(tvb, blen) or len - blen < 8 then
        dissect_meta(tvb, pinfo, tree, blen, "SVR metadata trailer", false)
      else
        tree:add(svr, tvb(blen), "Bytes after BFD Length"):add_proto_expert_info(
          ef_bad, "not an SVR metadata block (no cookie)")
      end
    end
    pinfo.cols.protocol = "BFD+SVR"
    return len
  end
  tree:add(svr, tvb(), "SVR peer-path port"):add_proto_expert_info(ef_bad,
    "neither the SVR cookie nor BFD version 1")
  return len
end

-- Called for 1280/UDP (port table) and for the conversations of sessions
-- whose first packet was seen (pinfo.conversation, set below): a
-- conversation dissector comes before the port tables and heuristics of
-- other protocols, so a waypoint port that Wireshark assigns to something
-- else still decodes as SVR.
function svr.dissector(tvb, pinfo, tree)
  for _, proto in ipairs({ "udp", "tcp" }) do
    local ses = sessions[conv_key(pinfo, proto, false)]
    if ses then
      if tvb:len() >= 8 and starts_with_cookie(tvb, 0) then
        dissect_first(tvb, pinfo, tree, proto)
      else
        dissect_fast(tvb, pinfo, tree, ses)
      end
      return tvb:len()
    end
  end
  return dissect_peer_port(tvb, pinfo, tree)
end

local function heur(proto)
  return function(tvb, pinfo, tree)
    if pinfo.src_port == PEER_PORT or pinfo.dst_port == PEER_PORT then
      if proto == "udp" then return false end
    end
    if tvb:len() >= 8 and starts_with_cookie(tvb, 0) then
      dissect_first(tvb, pinfo, tree, proto)
      pinfo.conversation = svr
      return true
    end
    if proto == "tcp" and tvb:len() >= 8 and tvb(0, 8):string() == "SVRFWDET" then
      dissect_probe(tvb, pinfo, tree)
      return true
    end
    local ses = sessions[conv_key(pinfo, proto, false)]
    if ses then
      dissect_fast(tvb, pinfo, tree, ses)
      return true
    end
    return false
  end
end

DissectorTable.get("udp.port"):add(PEER_PORT, svr)
svr:register_heuristic("udp", heur("udp"))
svr:register_heuristic("tcp", heur("tcp"))
