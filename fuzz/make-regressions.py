#!/usr/bin/env python3
"""fuzz/make-regressions.py - hand-made hostile inputs in fuzz/regressions/TARGET/ (stdlib only).

The test suite replays every file there through its fuzz target (FuzzRegressionTests); crash
inputs libFuzzer finds are added beside these, named after what they broke.
"""
import gzip, os, struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(data)


def ipv4(proto, payload):
    total = 20 + len(payload)
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, min(total, 65535), 1, 0, 64, proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + payload


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


# IP-in-IP 3000 deep, and VXLAN in VXLAN 400 deep: recursion must be bounded.
inner = ipv4(17, udp(1000, 53, b"\0" * 12))
for _ in range(3000):
    inner = ipv4(4, inner)
for t in ("packet", "redact"):
    put(t, "ipip-3000-deep", struct.pack(">H", 101) + inner)
eth = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00"
frame = eth + ipv4(17, udp(1000, 53, b"\0" * 12))
for _ in range(400):
    frame = eth + ipv4(17, udp(1000, 4789, b"\x08\0\0\0\0\0\x01\0" + frame))
for t in ("packet", "redact"):
    put(t, "vxlan-400-deep", struct.pack(">H", 1) + frame)
# ICMP errors quoting ICMP errors.
quote = ipv4(6, b"\0" * 20)
for _ in range(1000):
    quote = ipv4(1, b"\x03\x04\0\0\0\0\x05\xaa" + quote)
for t in ("packet", "redact"):
    put(t, "icmp-quotes-1000-deep", struct.pack(">H", 101) + quote)
# DNS: a name that points at itself, a label longer than the message, counts far beyond the data.
header = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0)
put("dns", "pointer-to-itself", header + b"\xc0\x0c\0\x01\0\x01")
put("dns", "label-overrun", header + b"\x3fabc")
put("dns", "counts-65535", struct.pack(">HHHHHH", 1, 0x8180, 65535, 65535, 65535, 65535) + b"\0\0\x01\0\x01")
for t in ("packet", "redact"):
    put(t, "dns-pointer-loop", struct.pack(">H", 101) + ipv4(17, udp(53, 40000, header + b"\xc0\x0c\0\x01\0\x01")))
# Captures: a record claiming 2 GiB, a pcapng block of length 0, an IDB cut short.
pcap = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1) + struct.pack("<IIII", 1, 0, 0x7FFFFFF0, 0x7FFFFFF0) + b"\0" * 64
put("capture", "pcap-caplen-2gib", pcap)
shb = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
put("capture", "pcapng-zero-length-block", shb + struct.pack("<II", 6, 0) + b"\0" * 32)
put("capture", "pcapng-idb-cut", shb + struct.pack("<IIHHI", 1, 20, 1, 0, 0))
# Archives: 32 MiB of zeros in gzip (over the fuzzing cap of 16 MiB), and gzip of gzip of that.
zeros = gzip.compress(b"\0" * (32 << 20), 9, mtime=0)
put("archive", "gzip-32mib-zeros", zeros)
put("archive", "gzip-gzip-32mib-zeros", gzip.compress(zeros, 9, mtime=0))
# Text: a line of 200 KiB, NUL bytes, invalid UTF-8, numbers beyond 64 bits.
put("text", "long-line", b"\x00" + b"net.core.somaxconn = " + b"9" * (200 << 10) + b"\n")
put("text", "invalid-utf8", b"\x01" + b"\xff\xfe\xc3\x28 table full, dropping packet\n" * 100)
put("text", "huge-numbers", b"\x02" + b"nf_conntrack: 99999999999999999999999999 entries\nMTU 184467440737095516150\n")
put("manifest", "deep-nesting", b"[" * 100000)
put("fio", "huge-latency", b'{"jobs":[{"sync":{"lat_ns":{"percentile":{"99.000000":1e400}}}}]}')
for d in sorted(os.listdir(OUT)):
    print("%-10s %s" % (d, " ".join(sorted(os.listdir(os.path.join(OUT, d))))))
