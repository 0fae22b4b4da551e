import Testing
import Foundation
import Artifacts
import Diagnosis

/// Parsers on real text: public samples (fixtures/public-text, from shared/corpus) and this
/// machine's own command output (fixtures/node, made by the collector), then cut and garbage input.
@Suite struct ParserTests {
    static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: Paths.fixture(relative), encoding: .utf8)
    }

    static func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false) }

    @Test(arguments: try FileManager.default.contentsOfDirectory(atPath: Paths.fixture("public-text")).filter { $0.hasPrefix("coredns") }.sorted())
    func coreDNSLogsFromPublicIssues(_ name: String) throws {
        let text = try Self.text("public-text/\(name)")
        var queries = 0, errors = 0
        for line in Self.lines(text) {
            switch CoreDNSLogLine.parse(line) {
            case .query(let q):
                queries += 1
                #expect(q.name.hasSuffix(".") && q.duration >= 0 && !q.rcode.isEmpty, "\(line)")
            case .error(let e):
                errors += 1
                if e.message.hasPrefix("read udp") { #expect(e.upstream?.hasSuffix(":53") == true, "\(line)") }
            default: break
            }
        }
        // Every query line (a quoted question) and every errors-plugin line is recognised.
        #expect(queries == Self.lines(text).filter { $0.contains(" \"") && $0.contains(" IN ") }.count, "\(name)")
        #expect(errors == Self.lines(text).filter { $0.contains("plugin/errors: 2 ") }.count, "\(name)")
    }

    @Test func coreDNSFormats() {
        guard case .query(let old) = CoreDNSLogLine.parse(
            "192.168.2.14:44879 - [11/Jan/2019:19:59:01 +0000] 15 \"A IN kubernetes.default.default.svc.cluster.local. udp 62 false 512\" NXDOMAIN qr,aa,rd,ra 155 0.000205726s")
        else { Issue.record("1.2-era line"); return }
        #expect(old.id == 15 && old.client == "192.168.2.14" && old.rcode == "NXDOMAIN" && old.time == "11/Jan/2019:19:59:01 +0000")
        guard case .query(let v6) = CoreDNSLogLine.parse("[INFO] [::1]:50759 - 29008 \"A IN example.org. udp 41 false 4096\" NOERROR qr,rd,ra,ad 68 0.037990251s")
        else { Issue.record("IPv6 client"); return }
        #expect(v6.client == "::1" && v6.port == 50759 && abs(v6.duration - 0.037990251) < 1e-12 && v6.recursed)
        guard case .query(let micro) = CoreDNSLogLine.parse("[INFO] 10.0.0.1:1 - 2 \"AAAA IN a.b. tcp 41 false 65535\" NOERROR qr,aa,rd 68 850µs")
        else { Issue.record("µs duration"); return }
        #expect(abs(micro.duration - 0.00085) < 1e-12 && !micro.recursed)
        #expect(CoreDNSLogLine.parse("[INFO] plugin/reload: Running configuration SHA512 = 591cf3") == .other)
        #expect(CoreDNSLogLine.parse("[ERROR] plugin/errors: 12 errors like '^read udp .* i/o timeout$' occurred in last 30s")
                == .consolidated(count: 12, pattern: "'^read"))
    }

    @Test(arguments: try FileManager.default.contentsOfDirectory(atPath: Paths.fixture("public-text")).filter { $0.hasPrefix("dmesg-conntrack") }.sorted())
    func conntrackFullInEveryKernelLogFormat(_ name: String) throws {
        let text = try Self.text("public-text/\(name)")
        var b = FactsBuilder()
        b.add(path: name, kind: .dmesg, text: text)
        let expected = Self.lines(text).filter { $0.contains("conntrack: table full") }.count
        #expect(expected > 0)
        #expect(b.facts.kernelEvents.filter { $0.match.event == .conntrackTableFull }.count == expected, "\(name)")
    }

    @Test func kernelLogTimeFormats() {
        #expect(KernelLogLine("[ 5604.030347] msg").time == .sinceBoot(5604.030347))
        #expect(KernelLogLine("[ 5604.030347] msg").message == "msg")
        #expect(KernelLogLine("[Tue Nov 20 22:30:22 2018] nf_conntrack: table full").time == .wallClock("Tue Nov 20 22:30:22 2018"))
        #expect(KernelLogLine("[Ср мар 10 20:19:39 2021] msg").time == .wallClock("Ср мар 10 20:19:39 2021"))
        let syslog = KernelLogLine("Jan 15 10:50:12 node-1 kernel: [1694413.644132] nf_conntrack: table full, dropping packet")
        #expect(syslog.time == .sinceBoot(1694413.644132) && syslog.message == "nf_conntrack: table full, dropping packet")
        #expect(KernelLogLine("Jan 15 10:50:12 node-1 kernel: neighbour: arp_cache: neighbor table overflow!").time == .wallClock("Jan 15 10:50:12"))
        let caller = KernelLogLine("[  601.749973][    C1] NETDEV WATCHDOG: eth0 (ixgbe): transmit queue 3 timed out")
        #expect(caller.message.hasPrefix("NETDEV") && caller.time == .sinceBoot(601.749973))
        #expect(KernelLogLine("kern  :warn  : [ 12.5] TCP: out of memory -- consider tuning tcp_mem").message == "TCP: out of memory -- consider tuning tcp_mem")
        #expect(KernelEvent.match("NETDEV WATCHDOG: eth0 (ixgbe): transmit queue 3 timed out") == .transmitTimeout(device: "eth0", driver: "ixgbe", queue: 3))
        #expect(KernelEvent.match("TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:7070. Sending cookies.") == .synFlood(port: "0.0.0.0:7070", droppingRequests: false))
        #expect(KernelEvent.match("Memory cgroup out of memory: Killed process 30112 (coredns) total-vm:812444kB") == .oomKill(pid: 30112, process: "coredns", memoryCgroup: true))
        #expect(KernelEvent.match("IPv4: martian source 10.244.1.5 from 10.244.2.3, on dev eth0") == .martian(destination: "10.244.1.5", source: "10.244.2.3", device: "eth0"))
    }

    @Test func realDmesgFromThisMachineAndANode() throws {
        for name in ["node/dmesg.txt", "public-text/dmesg__hotsos__kubernetes-node_dmesg.txt"] {
            let text = try Self.text(name)
            let parsed = Self.lines(text).map { KernelLogLine($0) }
            // Every line with a "[ seconds]" prefix gets a boot-relative time.
            let stamped = Self.lines(text).filter { $0.hasPrefix("[") && $0.dropFirst().trimmingPrefix(while: { $0 == " " }).first?.isNumber == true }.count
            #expect(parsed.filter { if case .sinceBoot = $0.time { true } else { false } }.count == stamped, "\(name)")
        }
    }

    @Test func fioOutputs() throws {
        let public3 = try FioResult.parse(try Self.text("public-text/fio-json__replicatedhq-troubleshoot__fixture-fdatasync-fio-3.28.json"))
        #expect(public3.format == .json && public3.jobs.count == 1 && public3.jobs[0].syncSamples == 32400)
        #expect(public3.jobs[0].options["fdatasync"] == "1")  // from "global options"
        let mine = try FioResult.parse(try Self.text("node/fio-fdatasync.json"))
        #expect(mine.version?.hasPrefix("fio-3") == true && mine.jobs[0].hasSyncLatency && (mine.jobs[0].percentile(99) ?? 0) > 0)
        let text = try FioResult.parse(try Self.text("public-text/fio-text__d-uzlov-k8s-homelab__nvme-tforce-raw-7ms-fdatasync.txt"))
        #expect(text.format == .text && text.version == "fio-3.25" && text.jobs[0].percentile(99) == 11_731_000)
        let warned = try FioResult.parse("fio: this platform does not support process shared mutexes\n" + (try Self.text("node/fio-fdatasync.json")))
        #expect(warned.jobs == mine.jobs)
        #expect(throws: FioError.noJSON) { try FioResult.parse("fio: command not found") }
        #expect(throws: FioError.self) { try FioResult.parse("{ \"jobs\" : [ { \"jobname\" : ") }
    }

    @Test func linksAndRoutes() throws {
        let flannel = LinkTable.parse(try Self.text("public-text/ip-d-link__flannel-1757__flannel.1.txt"))
        let f1 = try #require(flannel.device(named: "flannel.1"))
        #expect(f1.kind == "vxlan" && f1.encapsulationOverhead == 50)
        let overlays = LinkTable.parse(try Self.text("node/ip-d-link-overlays.txt"))
        #expect(overlays.device(named: "vxlan.calico")?.lowerDevice == "eth0")
        #expect(overlays.device(named: "eth0")?.mtu == 1400 && overlays.device(named: "eth0")?.peer == "if2")
        #expect(overlays.device(named: "v6vx")?.encapsulationOverhead == 70)
        #expect(overlays.device(named: "cni0")?.kind == "bridge" && overlays.device(named: "veth1")?.master == "cni0")
        let host = LinkTable.parse(try Self.text("node/ip-d-link.txt"))
        #expect(host.device(named: "eth0")?.mtu == 1400 && host.device(named: "lo")?.mtu == 65536)
        let hotsos = LinkTable.parse(try Self.text("public-text/ip-d-link__hotsos__openstack-compute_ip_-s_-d_link.txt"))
        #expect(hotsos.devices.count == (try Self.text("public-text/ip-d-link__hotsos__openstack-compute_ip_-s_-d_link.txt"))
            .split(separator: "\n").filter { $0.first?.isNumber == true && $0.contains(" mtu ") }.count)
        let routes = RouteTable.parse(try Self.text("node/ip-route-overlays.txt"))
        #expect(routes.defaultDevice == "eth0" && routes.routes.first { $0.device == "flannel.1" && $0.destination == "10.244.1.0/24" }?.mtu == 1400)
        #expect(RouteTable.parse("10.0.0.0/8 via 10.1.1.1 dev eth0 mtu lock 1380").routes.first?.mtu == 1380)
    }

    @Test func sysctlAndCounters() throws {
        let mine = SysctlSettings.parse(try Self.text("node/sysctl-a.txt"))
        #expect(mine.entries.count > 1000 && mine.ints("net.ipv4.ip_local_port_range") == [32768, 60999])
        let node = SysctlSettings.parse(try Self.text("public-text/sysctl-a__hotsos__kubernetes-node_sysctl_-a.txt"))
        #expect(node.int("net.ipv4.ip_forward") == 1 && node.int("net.netfilter.nf_conntrack_max") != nil)
        #expect(SysctlSettings.parse("net/ipv4/ip_forward=1\n# c\nsysctl: permission denied on key 'x'").int("net.ipv4.ip_forward") == 1)
        let stat = ConntrackStats.parse(try Self.text("node/proc-net-stat-nf_conntrack.txt"))
        #expect(stat.entries == 0 && stat.counters["clashres"] == 0 && stat.counters["insert_failed"] == 0 && stat.lines.count == 2)
        let netstat = NetCounters.parse(try Self.text("node/proc-net-netstat.txt"))
        #expect(netstat["TcpExtListenOverflows"] != nil && netstat["IpExtInOctets"] != nil)
        let nstat = NetCounters.parse(try Self.text("node/nstat-az.txt"))
        #expect(nstat["TcpExtListenOverflows"] != nil)
        #expect(SoftnetStat.parse(try Self.text("node/softnet_stat.txt")).cpus == 2)
        #expect(SocketSummary.parse(try Self.text("node/ss-s.txt")).timeWait == 0)
        let a = ProcStat.parse(try Self.text("node/proc-stat-start.txt")), b = ProcStat.parse(try Self.text("node/proc-stat-end.txt"))
        #expect(a.cpuCount == 2 && a.bootTime != nil)
        let share = try #require(b.cpu?.stealShare(since: a.cpu))
        #expect(share >= 0 && share < 1)
        let resolv = ResolvConf.parse("search a.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5 timeout:2\nsearch x y z")
        #expect(resolv.search == ["x", "y", "z"] && resolv.ndots == 5 && resolv.nameservers == ["10.96.0.10"])
        #expect(ResolvConf.parse(try Self.text("node/resolv.conf")).ndots == 1)
    }

    /// Every parser on every prefix of real files and on garbage: no trap, and what a cut file
    /// yields is a subset of what the whole file yields (never invented values).
    @Test(arguments: ["node/sysctl-a.txt", "node/ip-d-link-overlays.txt", "node/ip-route-overlays.txt", "node/fio-fdatasync.json",
                      "node/proc-net-stat-nf_conntrack.txt", "node/nstat-az.txt", "node/proc-stat-end.txt",
                      "public-text/coredns-log__coredns-2494__k8s-search-path.txt", "public-text/dmesg-conntrack__kubernetes-71261__dmesg-T.txt",
                      "public-text/coredns-errors__sealos-4251__startup-and-hinfo.txt"])
    func truncatedAtManyLengths(_ name: String) throws {
        let bytes = Array(try Self.text(name).utf8)
        let kind = ArtifactKind.classifyText(path: name, head: String(decoding: bytes.prefix(4096), as: UTF8.self))
        #expect(kind != .text, "\(name) classified")
        let step = max(1, bytes.count / 400)
        let whole = Set(SysctlSettings.parse(String(decoding: bytes, as: UTF8.self)).entries.keys)
        var length = 0
        while length <= bytes.count {
            var b = FactsBuilder()
            b.add(path: name, kind: kind, text: String(decoding: bytes.prefix(length), as: UTF8.self))
            if let s = b.facts.sysctl?.value {
                let cut = Set(s.entries.keys)
                #expect(cut.isSubset(of: whole), "\(name) cut at \(length): \(cut.subtracting(whole).sorted().prefix(3))")
            }
            length += step
        }
    }

    @Test func garbageIsNamedAndNotFatal() {
        var rng = SplitMix64(seed: 0x6e61_7574_6f70_7379)  // seeded: a failure can be reproduced
        let junk = String(decoding: (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &rng) }, as: UTF8.self)
        for kind in ArtifactKind.allCases {
            var b = FactsBuilder()
            _ = b.add(path: "junk-\(kind.rawValue)", kind: kind, text: junk)
            _ = b.add(path: "long-\(kind.rawValue)", kind: kind, text: String(repeating: "x=1 [ 1.0] \"A IN ", count: 5000))
            _ = CheckCatalog.run(b.facts)
        }
        var b = FactsBuilder()
        #expect(b.add(path: "node/sysctl-a.txt", kind: .sysctl, text: "this is not\nsysctl output") == "no sysctl content recognised in 2 lines: not used")
        #expect(b.add(path: "disk/fio.json", kind: .fio, text: "{ \"jobs\": [ ")?.hasPrefix("invalid fio JSON") == true)
        #expect(b.add(path: "net/ip-d-link.txt", kind: .ipLink, text: "Device \"eth9\" does not exist.") != nil)
    }
}

/// A seeded generator (SplitMix64) for reproducible random test input.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
