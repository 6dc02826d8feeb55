#!/usr/bin/env python3
"""vlan_host.py — an 802.1Q host on a raw socket, for kernels without VLAN interfaces (8021q).

    vlan_host.py serve IFACE MAC LOG VLAN=IP...
        Answers ARP requests and ICMP echo requests for IP in VLAN (0: untagged), replying in
        the same VLAN, and appends one line per frame it receives to LOG: "vlan N" or
        "untagged", then the source MAC. Runs until killed.
    vlan_host.py ping IFACE MAC VLAN SRC DST COUNT
        Resolves DST with ARP and sends COUNT ICMP echo requests from SRC in VLAN (0:
        untagged). Exit 0 when every request was answered, 1 otherwise.

The kernel moves a received 802.1Q tag into the packet's metadata (PACKET_AUXDATA), so tags
are read from there as well as from the frame itself.
"""
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
PACKET_OUTGOING = 4


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def mac_text(b):
    return ":".join("%02x" % x for x in b)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def open_sock(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    return s


def receive(s, timeout):
    """(vlan or 0, frame without tag) of the next frame received (not sent), or None."""
    deadline = time.time() + timeout
    while True:
        left = deadline - time.time()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return None
        data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(32))
        if addr[2] == PACKET_OUTGOING:
            continue
        vlan = None
        for level, kind, aux in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(aux) >= 18:
                status, _, _, _, _, tci = struct.unpack_from("=IIIHHH", aux)
                if status & TP_STATUS_VLAN_VALID:
                    vlan = tci & 0xFFF
        if vlan is None and len(data) >= 18 and data[12:14] == b"\x81\x00":
            vlan = struct.unpack("!H", data[14:16])[0] & 0xFFF
            data = data[:12] + data[16:]
        return vlan, data


def frame(dst, src, vlan, ethertype, payload):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan else b""
    body = dst + src + tag + struct.pack("!H", ethertype) + payload
    return body + b"\0" * max(0, 60 - len(body))


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa


def ipv4(src, dst, proto, payload, ident=1):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                      src, dst)
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def icmp(kind, ident, seq, data):
    msg = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + data
    return msg[:2] + struct.pack("!H", checksum(msg)) + msg[4:]


def serve(iface, mac, log, pairs):
    mine = {}
    for p in pairs:
        vlan, ip = p.split("=")
        mine[(int(vlan), socket.inet_aton(ip))] = True
    s = open_sock(iface)
    with open(log, "a", buffering=1) as out:
        while True:
            got = receive(s, 3600)
            if not got:
                continue
            vlan, data = got
            if len(data) < 14:
                continue
            out.write("%s %s\n" % ("vlan %d" % vlan if vlan else "untagged", mac_text(data[6:12])))
            ethertype = struct.unpack("!H", data[12:14])[0]
            src = data[6:12]
            v = vlan or 0
            if ethertype == 0x0806 and len(data) >= 42:
                op = struct.unpack("!H", data[20:22])[0]
                spa, tpa = data[28:32], data[38:42]
                if op == 1 and (v, tpa) in mine:
                    s.send(frame(src, mac, v, 0x0806, arp(2, mac, tpa, data[22:28], spa)))
            elif ethertype == 0x0800 and len(data) >= 42 and data[23] == 1 and data[34] == 8:
                ihl = (data[14] & 0xF) * 4
                ip_src, ip_dst = data[26:30], data[30:34]
                if (v, ip_dst) in mine:
                    ident, seq = struct.unpack("!HH", data[14 + ihl + 4:14 + ihl + 8])
                    total = struct.unpack("!H", data[16:18])[0]
                    payload = data[14 + ihl + 8:14 + total]
                    reply = ipv4(ip_dst, ip_src, 1, icmp(0, ident, seq, payload))
                    s.send(frame(src, mac, v, 0x0800, reply))


def ping(iface, mac, vlan, src, dst, count):
    s = open_sock(iface)
    src_ip, dst_ip = socket.inet_aton(src), socket.inet_aton(dst)
    peer = None
    for _ in range(3):
        s.send(frame(b"\xff" * 6, mac, vlan, 0x0806, arp(1, mac, src_ip, b"\0" * 6, dst_ip)))
        deadline = time.time() + 1
        while peer is None and time.time() < deadline:
            got = receive(s, deadline - time.time())
            if got and (got[0] or 0) == vlan and got[1][12:14] == b"\x08\x06" and \
                    got[1][20:22] == b"\x00\x02" and got[1][28:32] == dst_ip:
                peer = got[1][22:28]
        if peer:
            break
    if peer is None:
        print("%s: no ARP reply in VLAN %d" % (dst, vlan))
        return 1
    answered = 0
    for seq in range(1, count + 1):
        req = ipv4(src_ip, dst_ip, 1, icmp(8, 0x5a5a, seq, b"sluice-vlan" * 4), seq)
        s.send(frame(peer, mac, vlan, 0x0800, req))
        deadline = time.time() + 1
        while time.time() < deadline:
            got = receive(s, deadline - time.time())
            if got and (got[0] or 0) == vlan and got[1][12:14] == b"\x08\x00" and \
                    got[1][26:30] == dst_ip and got[1][34] == 0 and \
                    struct.unpack("!H", got[1][40:42])[0] == seq:
                answered += 1
                break
    print("%s: %d/%d echo replies in VLAN %d" % (dst, answered, count, vlan))
    return 0 if answered == count else 1


def main(argv):
    if len(argv) >= 5 and argv[1] == "serve":
        serve(argv[2], mac_bytes(argv[3]), argv[4], argv[5:])
        return 0
    if len(argv) == 8 and argv[1] == "ping":
        return ping(argv[2], mac_bytes(argv[3]), int(argv[4]), argv[5], argv[6], int(argv[7]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
