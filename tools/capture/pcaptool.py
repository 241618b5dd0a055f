#!/usr/bin/env python3
"""Rewrites and synthesises pcap files for the wire tests (pure Python, classic pcap, Ethernet).

Mutations of a real capture (TCP checksums and IP lengths are recomputed):
  reorder    swap neighbouring data segments of each direction
  duplicate  send every data segment twice
  overlap    re-segment so each segment repeats the last bytes of the previous one (same bytes)
  conflict   retransmit 16 bytes of every 5th data segment with different bytes (first copy wins)
  tiny       re-segment every payload into 7-byte segments
  drop       drop one data segment of the first client flow that carries a body
  fragment   split IPv4 packets into fragments (rte_ip_frag reassembles them)
  fragment6  split IPv6 packets into fragments (fragment header after the fixed header)
  vlan       add an 802.1Q tag;  qinq: add 802.1ad + 802.1Q tags
  hostile    malformed frames of every kind between the real ones
Synthesis (mixed with a real capture so the real upload must still be found):
  synflood   N SYNs from random sources before and between the real packets
  manyflows  N half-open flows (handshake + a partial request) before the real packets
"""
import argparse
import random
import struct
import sys

ETH_IPV4, ETH_IPV6, ETH_VLAN, ETH_QINQ = 0x0800, 0x86DD, 0x8100, 0x88A8


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        endian = ">"
    else:
        sys.exit(f"{path}: not a classic pcap file")
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit(f"{path}: link type {linktype}, want Ethernet (1)")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        ts = sec + frac / (1e9 if nano else 1e6)
        out.append((ts, data[off:off + caplen]))
        off += caplen
    return out


def write_pcap(path, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for ts, frame in packets:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            if usec >= 1000000:
                sec, usec = sec + 1, usec - 1000000
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Tcp:
    """An IPv4/TCP frame split into its parts (only what the mutations need)."""

    def __init__(self, frame):
        self.l2 = frame[:14]
        ihl = (frame[14] & 0x0F) * 4
        total = struct.unpack("!H", frame[16:18])[0]
        self.ip = bytearray(frame[14:14 + ihl])
        seg = frame[14 + ihl:14 + total]
        doff = (seg[12] >> 4) * 4
        self.tcp = bytearray(seg[:doff])
        self.payload = bytes(seg[doff:])

    @staticmethod
    def parse(frame):
        if len(frame) < 54 or struct.unpack("!H", frame[12:14])[0] != ETH_IPV4 or frame[23] != 6:
            return None
        if struct.unpack("!H", frame[20:22])[0] & 0x3FFF:  # already a fragment
            return None
        return Tcp(frame)

    @property
    def seq(self):
        return struct.unpack("!I", self.tcp[4:8])[0]

    @property
    def key(self):
        return (bytes(self.ip[12:20]), bytes(self.tcp[0:4]))

    def flags(self):
        return self.tcp[13]

    def build(self, seq=None, payload=None):
        ip, tcp = bytearray(self.ip), bytearray(self.tcp)
        payload = self.payload if payload is None else payload
        if seq is not None:
            struct.pack_into("!I", tcp, 4, seq & 0xFFFFFFFF)
        struct.pack_into("!H", ip, 2, len(ip) + len(tcp) + len(payload))
        struct.pack_into("!H", ip, 10, 0)
        struct.pack_into("!H", ip, 10, csum(bytes(ip)))
        struct.pack_into("!H", tcp, 16, 0)
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
        struct.pack_into("!H", tcp, 16, csum(bytes(pseudo + tcp + payload)))
        return bytes(self.l2 + ip + tcp + payload)


def resegment(packets, pieces):
    """Replaces each data segment by the (offset, length) pieces `pieces(len)` returns."""
    out = []
    for ts, frame in packets:
        t = Tcp.parse(frame)
        if t is None or not t.payload:
            out.append((ts, frame))
            continue
        for off, n in pieces(len(t.payload)):
            out.append((ts, t.build(seq=t.seq + off, payload=t.payload[off:off + n])))
    return out


def m_tiny(packets, size=7):
    return resegment(packets, lambda n: [(o, min(size, n - o)) for o in range(0, n, size)])


def m_overlap(packets):
    def pieces(n):
        if n < 40:
            return [(0, n)]
        half = n // 2
        return [(0, half + 16), (half, n - half)]  # the second repeats 16 bytes of the first
    return resegment(packets, pieces)


def m_conflict(packets):
    """Every 5th data segment is held back until after the next one of its direction, which arrives
    followed by a copy of 16 of its bytes with other content: the receiver holds the early segment out
    of order when the conflicting copy arrives, so the first copy must win (the file still matches) and
    the conflicting overlap must be counted."""
    out, n, held = [], 0, {}
    for ts, frame in packets:
        t = Tcp.parse(frame)
        if t is None or len(t.payload) < 40:
            out.append((ts, frame))
            continue
        if t.key in held:
            out.append((ts, frame))
            half = len(t.payload) // 2
            forged = bytes(b ^ 0xFF for b in t.payload[half:half + 16])
            out.append((ts, t.build(seq=t.seq + half, payload=forged)))
            out.append(held.pop(t.key))
            continue
        n += 1
        if n % 5 == 0:
            held[t.key] = (ts, frame)
        else:
            out.append((ts, frame))
    out.extend(held.values())
    return out


def m_duplicate(packets):
    out = []
    for ts, frame in packets:
        out.append((ts, frame))
        t = Tcp.parse(frame)
        if t is not None and t.payload:
            out.append((ts, frame))
    return out


def m_reorder(packets):
    """Swaps each data segment with the next data segment of the same direction, pairwise."""
    out = list(packets)
    pending = {}
    for i, (ts, frame) in enumerate(out):
        t = Tcp.parse(frame)
        if t is None or not t.payload:
            continue
        if t.key in pending:
            j = pending.pop(t.key)
            out[i], out[j] = (out[i][0], out[j][1]), (out[j][0], out[i][1])
        else:
            pending[t.key] = i
    return out


def m_drop(packets):
    """Drops the 4th data segment of the first client->server flow that has at least 8 of them."""
    counts = {}
    for ts, frame in packets:
        t = Tcp.parse(frame)
        if t is not None and t.payload:
            counts[t.key] = counts.get(t.key, 0) + 1
    victim = next((k for ts, f in packets for k in [getattr(Tcp.parse(f), "key", None)]
                   if k is not None and counts.get(k, 0) >= 8), None)
    if victim is None:
        sys.exit("drop: no flow with enough data segments")
    out, seen, dropped = [], 0, False
    for ts, frame in packets:
        t = Tcp.parse(frame)
        if not dropped and t is not None and t.payload and t.key == victim:
            seen += 1
            if seen == 4:
                dropped = True
                continue
        out.append((ts, frame))
    return out


def m_fragment(packets, mtu=576):
    out = []
    ident = 0x4000
    for ts, frame in packets:
        t = Tcp.parse(frame)
        if t is None or len(frame) - 14 <= mtu:
            out.append((ts, frame))
            continue
        whole = t.build()
        ihl = len(t.ip)
        body = whole[14 + ihl:]
        step = (mtu - ihl) // 8 * 8
        ident += 1
        pieces = [(o, body[o:o + step]) for o in range(0, len(body), step)]
        for o, chunk in pieces:
            ip = bytearray(t.ip)
            more = 0x2000 if o + step < len(body) else 0
            struct.pack_into("!HHH", ip, 2, ihl + len(chunk), ident, more | (o // 8))
            struct.pack_into("!H", ip, 10, 0)
            struct.pack_into("!H", ip, 10, csum(bytes(ip)))
            out.append((ts, bytes(t.l2 + ip + chunk)))
        # the last fragment first: reassembly must not depend on order
        if len(pieces) > 1:
            out[-1], out[-2] = out[-2], out[-1]
    return out


def m_hostile(packets, seed=13):
    """Interleaves hostile frames with the real ones: truncated Ethernet, a third VLAN tag, ARP, bad IPv4
    header lengths, IP total length past the frame, UDP, TCP data offsets past the segment, random bytes,
    and an IPv6 chain of too many extension headers. The real upload must still be found."""
    rng = random.Random(seed)
    base = next(f for _, f in packets if Tcp.parse(f) is not None)
    eth = base[:12]

    def ip4(proto, body, ihl=5, total=None):
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 0, 1, 0, 64, proto, 0,
                                   bytes([10, 66, 0, 1]), bytes([10, 66, 0, 2])))
        struct.pack_into("!H", ip, 2, total if total is not None else 20 + len(body))
        return bytes(ip) + body

    bad = [
        eth[:10],                                                         # truncated Ethernet
        eth + struct.pack("!HHHHHHH", 0x8100, 1, 0x8100, 2, 0x8100, 3, 0x0800) + ip4(6, b"\0" * 20),
        eth + struct.pack("!H", 0x0806) + bytes(28),                      # ARP
        eth + struct.pack("!H", 0x0800) + ip4(6, b"\0" * 20, ihl=3),      # IHL below 5
        eth + struct.pack("!H", 0x0800) + ip4(6, b"\0" * 20, total=1400),  # total length past the frame
        eth + struct.pack("!H", 0x0800) + ip4(17, b"\0" * 16),            # UDP
        eth + struct.pack("!H", 0x0800) + ip4(6, struct.pack("!HHIIBBHHH", 1, 80, 0, 0, 0xF0, 0x18, 0, 0, 0)),
        eth + struct.pack("!H", 0x86DD) + struct.pack("!IHBB", 0x60000000, 9 * 8, 0, 64) + bytes(32)
        + b"".join(bytes([0, 0]) + bytes(6) for _ in range(9)),          # 9 hop-by-hop headers
    ]
    out = []
    for ts, frame in packets:
        out.append((ts, frame))
        for f in bad:
            out.append((ts, f))
        out.append((ts, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 120)))))
    return out


def m_fragment6(packets, mtu=576):
    """Splits IPv6 TCP packets into fragments (fragment header right after the fixed header), the last
    fragment first."""
    out, ident = [], 0x6000
    for ts, frame in packets:
        if len(frame) - 14 <= mtu or struct.unpack("!H", frame[12:14])[0] != ETH_IPV6 or frame[20] != 6:
            out.append((ts, frame))
            continue
        eth, v6 = frame[:14], bytearray(frame[14:54])
        body = frame[54:54 + struct.unpack("!H", frame[18:20])[0]]
        step = (mtu - 48) // 8 * 8
        ident += 1
        pieces = []
        for off in range(0, len(body), step):
            chunk = body[off:off + step]
            more = 1 if off + step < len(body) else 0
            hdr = bytearray(v6)
            struct.pack_into("!H", hdr, 4, 8 + len(chunk))
            hdr[6] = 44
            pieces.append((ts, eth + bytes(hdr) + struct.pack("!BBHI", 6, 0, off | more, ident) + chunk))
        if len(pieces) > 1:
            pieces[-1], pieces[-2] = pieces[-2], pieces[-1]
        out.extend(pieces)
    return out


def tag(frame, tags):
    inner = frame[12:]
    head = b"".join(struct.pack("!HH", tpid, vid) for tpid, vid in tags)
    return frame[:12] + head + inner


def m_vlan(packets):
    return [(ts, tag(f, [(ETH_VLAN, 100)])) for ts, f in packets]


def m_qinq(packets):
    return [(ts, tag(f, [(ETH_QINQ, 200), (ETH_VLAN, 100)])) for ts, f in packets]


def synth_tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0x4000, 64, 6, 0, src, dst))
    tcp = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0))
    t = Tcp.__new__(Tcp)
    t.l2 = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + struct.pack("!H", ETH_IPV4)
    t.ip, t.tcp, t.payload = ip, tcp, payload
    return t.build()


def server_of(packets):
    for ts, frame in packets:
        t = Tcp.parse(frame)
        if t is not None and t.flags() & 0x12 == 0x02:  # SYN without ACK: client -> server
            return bytes(t.ip[16:20]), struct.unpack("!H", t.tcp[2:4])[0], ts
    sys.exit("no TCP handshake in the base capture")


def s_synflood(packets, n, seed=7):
    rng = random.Random(seed)
    dst, dport, t0 = server_of(packets)
    flood = []
    for i in range(n):
        src = bytes([10, 99, rng.randrange(256), rng.randrange(1, 255)])
        flood.append((t0 - 0.5 + i * 1e-5, synth_tcp(src, dst, rng.randrange(1024, 65535), dport,
                                                     rng.randrange(1 << 32), 0, 0x02)))
    # half before the real traffic, half interleaved with it
    return sorted(flood + packets, key=lambda p: p[0])


def s_manyflows(packets, n, seed=11):
    rng = random.Random(seed)
    dst, dport, t0 = server_of(packets)
    extra = []
    for i in range(n):
        src = bytes([10, 98, (i >> 8) & 0xFF, i & 0xFF])
        sport = 20000 + i % 40000
        isn, isn_s = rng.randrange(1 << 32), rng.randrange(1 << 32)
        t = t0 - 5.0 + i * 1e-4
        req = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial"
        extra.append((t, synth_tcp(src, dst, sport, dport, isn, 0, 0x02)))
        extra.append((t + 1e-6, synth_tcp(dst, src, dport, sport, isn_s, isn + 1, 0x12)))
        extra.append((t + 2e-6, synth_tcp(src, dst, sport, dport, isn + 1, isn_s + 1, 0x10)))
        extra.append((t + 3e-6, synth_tcp(src, dst, sport, dport, isn + 1, isn_s + 1, 0x18, req)))
    return extra + packets


MUTATIONS = {"fragment6": m_fragment6, "hostile": m_hostile, "conflict": m_conflict, "reorder": m_reorder, "duplicate": m_duplicate, "overlap": m_overlap, "tiny": m_tiny,
             "drop": m_drop, "fragment": m_fragment, "vlan": m_vlan, "qinq": m_qinq}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("op", choices=sorted(MUTATIONS) + ["synflood", "manyflows", "count"])
    p.add_argument("input")
    p.add_argument("output", nargs="?")
    p.add_argument("-n", type=int, default=2000, help="SYNs or flows to add")
    a = p.parse_args()
    packets = read_pcap(a.input)
    if a.op == "count":
        print(len(packets))
        return
    if a.op == "synflood":
        out = s_synflood(packets, a.n)
    elif a.op == "manyflows":
        out = s_manyflows(packets, a.n)
    else:
        out = MUTATIONS[a.op](packets)
    write_pcap(a.output, out)


if __name__ == "__main__":
    main()
