/*
 * flood.c - hostile captures of many sessions, written to standard output
 * as a pcap (Ethernet, IPv4), for tests/fuzz/flood.sh:
 *
 *   flood syn N            N SYNs, each opening a connection of its own
 *                          (a new client address every time), never
 *                          answered, to 47.96.10.20:8992 (Woshi's port)
 *   flood tiny N SAMPLE    N tiny sessions, a new client each: the
 *                          handshake, then the client's first payloads
 *                          of SAMPLE (up to the server's first turn); every
 *                          second session also gets the server's turn
 *                          that follows and closes with FIN both ways,
 *                          the others stay open with the request
 *                          unanswered
 *   flood rss CMD ARG...   runs CMD with standard input and output as
 *                          given, and prints its peak resident memory in
 *                          KiB ("rss N"), then its exit status ("status N")
 *
 * Sessions follow each other 20 µs apart (a million in 20 s of capture
 * time, far within --idle-timeout): without the session table's bound
 * (--max-sessions) they would all be open at once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static uint8_t pkt[2048];

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static void write_or_die(const void *p, size_t n)
{
    if (fwrite(p, 1, n, stdout) != n) {
        perror("flood: write");
        exit(1);
    }
}

/* One TCP segment between client i and the server. */
static void segment(uint64_t ts_us, uint32_t client, int from_server, uint8_t flags, uint32_t seq,
                    uint32_t ack, const uint8_t *data, uint32_t n)
{
    static const uint8_t mac_c[6] = {2, 0, 0, 0, 0, 1}, mac_s[6] = {2, 0, 0, 0, 0, 2};
    uint8_t *e = pkt, *ip = pkt + 14, *tcp = ip + 20;
    memcpy(e, from_server ? mac_c : mac_s, 6);
    memcpy(e + 6, from_server ? mac_s : mac_c, 6);
    put16(e + 12, 0x0800);
    uint32_t cip = 0x0A000000u | (client & 0xFFFFFF), sip = 0x2F600A14u; /* 47.96.10.20 */
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(40 + n));
    ip[8] = 64;
    ip[9] = 6;
    put32(ip + 12, from_server ? sip : cip);
    put32(ip + 16, from_server ? cip : sip);
    memset(tcp, 0, 20);
    uint16_t cport = (uint16_t)(40000 + (client >> 24)), sport = 8992;
    put16(tcp, from_server ? sport : cport);
    put16(tcp + 2, from_server ? cport : sport);
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    if (n)
        memcpy(tcp + 20, data, n);
    uint32_t len = 54 + n;
    uint32_t h[4] = {(uint32_t)(ts_us / 1000000), (uint32_t)(ts_us % 1000000), len, len};
    write_or_die(h, sizeof h);
    write_or_die(pkt, len);
}

/* The first bytes each way of a pcap (microseconds, Ethernet, IPv4, TCP):
 * the payloads of the first sender up to the first answer, then those of
 * the answer up to the next turn. */
static int sample_payloads(const char *path, uint8_t pl[2][1024], uint32_t n[2])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t gh[24], rh[16], d[65536];
    int turn = -1;
    uint16_t first_port = 0;
    if (fread(gh, 1, 24, f) != 24)
        turn = 2;
    while (turn < 2 && fread(rh, 1, 16, f) == 16) {
        uint32_t cap;
        memcpy(&cap, rh + 8, 4);
        if (cap > sizeof d || fread(d, 1, cap, f) != cap)
            break;
        if (cap < 54 || d[12] != 0x08 || d[13] != 0 || d[23] != 6)
            continue;
        uint32_t ihl = (d[14] & 15) * 4u, tot = (uint32_t)d[16] << 8 | d[17];
        const uint8_t *t = d + 14 + ihl;
        uint32_t thl = (uint32_t)(t[12] >> 4) * 4;
        if (14 + tot > cap || ihl + thl >= tot)
            continue;
        uint32_t len = tot - ihl - thl;
        uint16_t sport = (uint16_t)(t[0] << 8 | t[1]);
        if (turn < 0) {
            turn = 0;
            first_port = sport;
        } else if ((turn == 0) != (sport == first_port)) {
            turn++;
        }
        if (turn < 2 && n[turn] + len <= 1024) {
            memcpy(pl[turn] + n[turn], t + thl, len);
            n[turn] += len;
        }
    }
    fclose(f);
    return n[0] && n[1] ? 0 : -1;
}

static int rss(char **argv)
{
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        execvp(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid)
        return 2;
    fprintf(stderr, "rss %ld\nstatus %d\n", ru.ru_maxrss,
            WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "rss"))
        return rss(argv + 2);
    if (argc < 3 || (strcmp(argv[1], "syn") && strcmp(argv[1], "tiny")) ||
        (!strcmp(argv[1], "tiny") && argc < 4)) {
        fprintf(stderr, "usage: flood syn N | flood tiny N SAMPLE.pcap | flood rss CMD...\n");
        return 2;
    }
    uint32_t n = (uint32_t)strtoul(argv[2], NULL, 10);
    int tiny = !strcmp(argv[1], "tiny");
    uint8_t pl[2][1024];
    uint32_t pn[2] = {0, 0};
    if (tiny && sample_payloads(argv[3], pl, pn)) {
        fprintf(stderr, "flood: %s: no two TCP payloads\n", argv[3]);
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    uint32_t gh[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 1};
    write_or_die(gh, sizeof gh);
    uint64_t t0 = 1730000000ULL * 1000000;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t t = t0 + (uint64_t)i * 20;
        uint32_t c = i + 1, cs = 1000, ss = 5000;
        segment(t, c, 0, 0x02, cs, 0, NULL, 0); /* SYN */
        if (!tiny)
            continue;
        segment(t + 1, c, 1, 0x12, ss, cs + 1, NULL, 0); /* SYN-ACK */
        segment(t + 2, c, 0, 0x18, cs + 1, ss + 1, pl[0], pn[0]);
        if (i % 2)
            continue; /* left open, the request unanswered */
        segment(t + 3, c, 1, 0x18, ss + 1, cs + 1 + pn[0], pl[1], pn[1]);
        segment(t + 4, c, 0, 0x11, cs + 1 + pn[0], ss + 1 + pn[1], NULL, 0);
        segment(t + 5, c, 1, 0x11, ss + 1 + pn[1], cs + 2 + pn[0], NULL, 0);
    }
    if (fflush(stdout)) {
        perror("flood: write");
        return 1;
    }
    return 0;
}
