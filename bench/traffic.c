/* traffic.c - the load the benchmark captures: real sockets and real packets through veth pairs.
 *
 *   traffic sink PORT                accept connections; read until EOF; close (bulk receiver)
 *   traffic closer PORT              accept connections and close them at once (the server closes
 *                                    first, so the client's ports are free again at once)
 *   traffic send HOST PORT BYTES MBIT  send BYTES random-looking bytes (a 64 KiB random block, repeated:
 *                                    beyond gzip's 32 KiB window, so as incompressible as encrypted
 *                                    traffic) over one connection, paced at MBIT
 *                                    megabits per second (SO_MAX_PACING_RATE; TCP paces by itself)
 *   traffic storm HOST PORT N        N sequential TCP connections: connect, wait for the close, close
 *   traffic synflood SRC DST PORT N  N SYNs from SRC (an address on this host's subnet) with distinct
 *                                    source ports and sequence numbers, over a raw socket (root)
 *
 * Build: cc -O2 -o traffic traffic.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listener(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = INADDR_ANY};
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 4096)) { perror("listen"); exit(1); }
    return s;
}

static int sink(int port) {
    int s = listener(port);
    static char buf[1 << 16];
    signal(SIGCHLD, SIG_IGN);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        if (fork() == 0) { while (read(c, buf, sizeof buf) > 0) {} _exit(0); }
        close(c);
    }
    return 0;
}

static int closer(int port) {
    int s = listener(port);
    for (;;) { int c = accept(s, NULL, NULL); if (c >= 0) close(c); }
    return 0;
}

static int storm(const char *host, int port, long n) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    char b;
    inet_pton(AF_INET, host, &a.sin_addr);
    for (long i = 0; i < n; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a) == 0) (void)read(c, &b, 1);
        close(c);
    }
    return 0;
}

static int sender(const char *host, int port, long long bytes, long mbit) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    static char buf[1 << 16];
    unsigned rate = (unsigned)(mbit * 1000000 / 8);
    inet_pton(AF_INET, host, &a.sin_addr);
    srandom((unsigned)getpid());
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)random();
    int c = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(c, SOL_SOCKET, SO_MAX_PACING_RATE, &rate, sizeof rate);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
    while (bytes > 0) {
        ssize_t n = write(c, buf, bytes < (long long)sizeof buf ? (size_t)bytes : sizeof buf);
        if (n <= 0) { perror("write"); return 1; }
        bytes -= n;
    }
    close(c);
    return 0;
}

static unsigned short checksum(const void *data, int len, unsigned long sum) {
    const unsigned short *p = data;
    for (; len > 1; len -= 2) sum += *p++;
    if (len) sum += *(const unsigned char *)p;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (unsigned short)~sum;
}

static int synflood(const char *src, const char *dst, int port, long n) {
    int s = socket(AF_INET, SOCK_RAW, IPPROTO_TCP), one = 1;
    if (s < 0 || setsockopt(s, IPPROTO_IP, IP_HDRINCL, &one, sizeof one)) { perror("raw socket"); return 1; }
    struct sockaddr_in to = {.sin_family = AF_INET};
    inet_pton(AF_INET, dst, &to.sin_addr);
    unsigned char pkt[40];
    struct iphdr *ip = (struct iphdr *)pkt;
    struct tcphdr *tcp = (struct tcphdr *)(pkt + 20);
    for (long i = 0; i < n; i++) {
        memset(pkt, 0, sizeof pkt);
        ip->version = 4; ip->ihl = 5; ip->ttl = 64; ip->protocol = IPPROTO_TCP;
        ip->tot_len = htons(40); ip->id = htons((unsigned short)i); ip->frag_off = htons(0x4000);
        inet_pton(AF_INET, src, &ip->saddr);
        /* a million distinct 4-tuples: the source port and the low byte of the source address vary */
        ip->saddr = htonl(ntohl(ip->saddr) + (unsigned)(i / 60000));
        ip->daddr = to.sin_addr.s_addr;
        tcp->source = htons((unsigned short)(1024 + i % 60000));
        tcp->dest = htons(port);
        tcp->seq = htonl((unsigned)(i * 2654435761u));
        tcp->doff = 5; tcp->syn = 1; tcp->window = htons(64240);
        struct { unsigned s, d; unsigned char z, p; unsigned short l; } ph = {ip->saddr, ip->daddr, 0, IPPROTO_TCP, htons(20)};
        unsigned long sum = 0;
        const unsigned short *w = (const unsigned short *)&ph;
        for (unsigned k = 0; k < sizeof ph / 2; k++) sum += w[k];
        tcp->check = checksum(tcp, 20, sum);
        ip->check = checksum(ip, 20, 0);
        while (sendto(s, pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to) < 0 && errno == ENOBUFS) usleep(100);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "sink")) return sink(atoi(argv[2]));
    if (argc == 3 && !strcmp(argv[1], "closer")) return closer(atoi(argv[2]));
    if (argc == 6 && !strcmp(argv[1], "send")) return sender(argv[2], atoi(argv[3]), atoll(argv[4]), atol(argv[5]));
    if (argc == 5 && !strcmp(argv[1], "storm")) return storm(argv[2], atoi(argv[3]), atol(argv[4]));
    if (argc == 6 && !strcmp(argv[1], "synflood")) return synflood(argv[2], argv[3], atoi(argv[4]), atol(argv[5]));
    fprintf(stderr, "usage: traffic sink PORT | closer PORT | send HOST PORT BYTES MBIT | storm HOST PORT N | synflood SRC DST PORT N\n");
    return 2;
}
