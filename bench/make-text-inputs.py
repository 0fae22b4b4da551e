#!/usr/bin/env python3
"""make-text-inputs.py - the text inputs of bench/text.sh, made the same way on every machine.

  kern-100m.log      100 MB kernel log: the real dmesg of a Kubernetes node (hotsos test data,
                     fixtures/public-text/dmesg__hotsos__kubernetes-node_dmesg.txt) repeated with
                     advancing `[seconds]` stamps, as a node's log grows over weeks.
  coredns-100m.log   100 MB of CoreDNS `log` plugin lines in the format of the real log in
                     fixtures/public-text/coredns-log__coredns-2494__k8s-search-path.txt: 2,000 clients
                     resolving service names through the ndots:5 search list (NXDOMAIN siblings, then
                     the answer), with some SERVFAIL and slow upstream answers; seeded, so identical
                     on every run.
  big-log.tar.gz     a tarball holding a 2 GiB kernel log (the first input repeated) and nothing else.

Usage: bench/make-text-inputs.py DIR   (inputs already there are kept)
"""
import gzip, io, os, random, sys, tarfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..")
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".bench")
os.makedirs(out, exist_ok=True)
MB = 1000 * 1000


def kernel_lines():
    """Endless kernel log lines: the seed's messages with their stamps moved forward each round."""
    seed = open(os.path.join(root, "fixtures/public-text/dmesg__hotsos__kubernetes-node_dmesg.txt"), "rb").read().splitlines()
    messages = []
    for line in seed:
        if line.startswith(b"[") and b"]" in line:
            stamp, rest = line[1:].split(b"]", 1)
            try:
                messages.append((float(stamp), rest))
                continue
            except ValueError:
                pass
        messages.append((None, b" " + line))
    base = 0.0
    while True:
        for t, rest in messages:
            if t is None:
                yield rest.lstrip() + b"\n"
            else:
                yield b"[%12.6f]%s\n" % (base + t, rest)
        base += 86400.0


def write(path, lines, size):
    if os.path.exists(path) and os.path.getsize(path) >= size:
        return
    n = 0
    with open(path + ".tmp", "wb") as f:
        buf = []
        for line in lines:
            buf.append(line)
            n += len(line)
            if len(buf) >= 4096:
                f.write(b"".join(buf)); buf = []
            if n >= size:
                break
        f.write(b"".join(buf))
    os.rename(path + ".tmp", path)
    print(f"{path}: {n} bytes", file=sys.stderr)


def coredns_lines():
    rnd = random.Random(21)
    services = [f"svc-{i}" for i in range(300)]
    namespaces = [f"ns-{i}" for i in range(20)]
    clients = [f"10.244.{i // 250}.{i % 250 + 2}" for i in range(2000)]
    sec = 0.0
    while True:
        client = rnd.choice(clients)
        port = rnd.randrange(32768, 61000)
        name = f"{rnd.choice(services)}.{rnd.choice(namespaces)}.svc.cluster.local."
        searches = [f"{name}{rnd.choice(namespaces)}.svc.cluster.local.", f"{name}svc.cluster.local.", f"{name}cluster.local."]
        for qtype in ("A", "AAAA"):
            for s in searches + [name]:
                sec += 0.0003
                last = s == name
                rcode = "NOERROR" if last else "NXDOMAIN"
                duration = rnd.expovariate(1 / 0.00012)
                if last and rnd.random() < 0.002:
                    rcode, duration = "SERVFAIL", 2.0 + rnd.random() * 3
                elif rnd.random() < 0.001:
                    duration = 1.0 + rnd.random()
                stamp = "2019-01-24T%02d:%02d:%06.3fZ" % ((sec // 3600) % 24, (sec // 60) % 60, sec % 60)
                size = 100 + len(s)
                flags = "qr,aa,rd" if not last else "qr,rd,ra"
                yield (f'{stamp} [INFO] {client}:{port} - {rnd.randrange(65536)} "{qtype} IN {s} udp {len(s) + 15} false 512" '
                       f'{rcode} {flags} {size} {duration:.9f}s\n').encode()


write(os.path.join(out, "kern-100m.log"), kernel_lines(), 100 * MB)
write(os.path.join(out, "coredns-100m.log"), coredns_lines(), 100 * MB)

tgz = os.path.join(out, "big-log.tar.gz")
if not os.path.exists(tgz):
    size = 2 << 30
    info = tarfile.TarInfo("node-1/var/log/kern.log")
    info.size = size

    class Stream(io.RawIOBase):
        """The first `size` bytes of the kernel log, read by tarfile in blocks."""
        def __init__(self):
            self.lines, self.pending, self.left = kernel_lines(), b"", size
        def readable(self):
            return True
        def readinto(self, b):
            if self.left == 0:
                return 0
            while len(self.pending) < len(b) and len(self.pending) < self.left:
                self.pending += b"".join(next(self.lines) for _ in range(2048))
            n = min(len(b), len(self.pending), self.left)
            b[:n] = self.pending[:n]
            self.pending, self.left = self.pending[n:], self.left - n
            return n

    with gzip.open(tgz + ".tmp", "wb", compresslevel=6) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        tar.addfile(info, io.BufferedReader(Stream(), 1 << 20))
    os.rename(tgz + ".tmp", tgz)
    print(f"{tgz}: {os.path.getsize(tgz)} bytes", file=sys.stderr)
