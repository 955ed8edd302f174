/*
 * mixgen - a large capture of many concurrent device sessions, made from
 * the committed sample captures.
 *
 *   mixgen OUT.pcap --sessions N --bytes SIZE [--seed S] [--fault-weight W] TEMPLATE.pcap...
 *
 * Every TCP connection and UDP peer pair of the templates is a template
 * conversation.  N slots each replay one template conversation packet by
 * packet - handshake, segmentation, ACKs, timing and teardown as recorded
 * - with their own client address and port and their own sequence
 * numbers; when a slot's conversation ends it reconnects (a new client
 * port) with another template, so N conversations are open at any time.
 * All slots start within the first template-length of the capture and
 * their packets are merged by time.  Templates from files whose name
 * contains "faults" are picked W times less often than the others
 * (default 50: a small share of faults).  Writing stops once SIZE bytes
 * of packets are written (K, M and G suffixes; powers of 1000).
 */
#include "gen.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL

typedef struct tpkt {
    int64_t t;      /* ns since the conversation's first packet */
    bool from_client;
    uint8_t proto;  /* 6 or 17 */
    uint32_t len;
    uint8_t *l4;    /* TCP or UDP header and payload */
} tpkt;

typedef struct tconv {
    uint8_t cip[4], sip[4];
    uint16_t cport, sport;
    uint8_t proto;
    bool faults;
    uint32_t isn[2]; /* [0] client, [1] server: first sequence number seen */
    bool seen[2];
    tpkt *p;
    size_t n, cap;
    int64_t t0;
    int64_t duration;
} tconv;

static tconv *convs;
static size_t n_convs, cap_convs;

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "mixgen: out of memory\n");
        exit(1);
    }
    return q;
}

/* The conversation of a packet; a new one's client is its first sender
 * (the templates start with the client's SYN, or its first segment). */
static tconv *find_conv(const uint8_t *src, const uint8_t *dst, uint16_t sp, uint16_t dp,
                        uint8_t proto, bool *from_client, bool faults)
{
    for (size_t i = 0; i < n_convs; i++) {
        tconv *c = &convs[i];
        if (c->proto != proto)
            continue;
        if (!memcmp(c->cip, src, 4) && !memcmp(c->sip, dst, 4) && c->cport == sp && c->sport == dp) {
            *from_client = true;
            return c;
        }
        if (!memcmp(c->cip, dst, 4) && !memcmp(c->sip, src, 4) && c->cport == dp && c->sport == sp) {
            *from_client = false;
            return c;
        }
    }
    if (n_convs == cap_convs) {
        cap_convs = cap_convs ? cap_convs * 2 : 64;
        convs = xrealloc(convs, cap_convs * sizeof *convs);
    }
    tconv *c = &convs[n_convs++];
    memset(c, 0, sizeof *c);
    memcpy(c->cip, src, 4);
    memcpy(c->sip, dst, 4);
    c->cport = sp;
    c->sport = dp;
    c->proto = proto;
    c->faults = faults;
    c->t0 = -1;
    *from_client = true;
    return c;
}

static void load_template(const char *path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc) {
        fprintf(stderr, "mixgen: %s\n", err);
        exit(1);
    }
    if (pcap_datalink(pc) != DLT_EN10MB) {
        fprintf(stderr, "mixgen: %s: templates must be Ethernet\n", path);
        exit(1);
    }
    bool faults = strstr(path, "faults") != NULL;
    struct pcap_pkthdr *h;
    const u_char *d;
    while (pcap_next_ex(pc, &h, &d) == 1) {
        if (h->caplen < 14 + 20 || be16(d + 12) != 0x0800)
            continue;
        const uint8_t *ip = d + 14;
        uint32_t hl = (uint32_t)(ip[0] & 15) * 4, tot = be16(ip + 2);
        if (hl < 20 || tot < hl || 14 + tot > h->caplen)
            continue;
        uint8_t proto = ip[9];
        if (proto != 6 && proto != 17)
            continue;
        const uint8_t *l4 = ip + hl;
        uint32_t l4n = tot - hl;
        if (l4n < (proto == 6 ? 20u : 8u))
            continue;
        bool fc;
        tconv *c = find_conv(ip + 12, ip + 16, be16(l4), be16(l4 + 2), proto, &fc, faults);
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 32;
            c->p = xrealloc(c->p, c->cap * sizeof *c->p);
        }
        int64_t t = (int64_t)h->ts.tv_sec * SEC + (int64_t)h->ts.tv_usec * 1000;
        if (c->t0 < 0)
            c->t0 = t;
        tpkt *p = &c->p[c->n++];
        p->t = t - c->t0;
        p->from_client = fc;
        p->proto = proto;
        p->len = l4n;
        p->l4 = xrealloc(NULL, l4n);
        memcpy(p->l4, l4, l4n);
        if (proto == 6 && !c->seen[fc ? 0 : 1]) {
            c->seen[fc ? 0 : 1] = true;
            c->isn[fc ? 0 : 1] = be32(l4 + 4);
        }
        c->duration = p->t;
    }
    pcap_close(pc);
}

/* ---- the merge ------------------------------------------------------------ */

typedef struct slot {
    int64_t start;   /* capture time of its current conversation's start */
    size_t conv;     /* template */
    size_t next;     /* next packet */
    uint32_t isn[2];
    uint8_t cip[4];
    uint16_t cport;
} slot;

static slot *slots;
static size_t *heap; /* slot indices ordered by next packet time */
static size_t heap_n;

static int64_t next_time(size_t s)
{
    const slot *sl = &slots[s];
    return sl->start + convs[sl->conv].p[sl->next].t;
}

static void heap_down(size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < heap_n && next_time(heap[l]) < next_time(heap[m]))
            m = l;
        if (l + 1 < heap_n && next_time(heap[l + 1]) < next_time(heap[m]))
            m = l + 1;
        if (m == i)
            return;
        size_t t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
}

static size_t pick(grng *r, uint32_t fault_weight, uint64_t total_weight)
{
    uint64_t x = rng_next(r) % total_weight;
    for (size_t i = 0; i < n_convs; i++) {
        uint64_t w = convs[i].faults ? 1 : fault_weight;
        if (x < w)
            return i;
        x -= w;
    }
    return n_convs - 1;
}

static void start_conversation(slot *sl, size_t idx, grng *r, uint32_t fault_weight,
                               uint64_t total_weight, int64_t at, uint32_t *port_seq)
{
    sl->conv = pick(r, fault_weight, total_weight);
    sl->next = 0;
    sl->start = at;
    sl->isn[0] = (uint32_t)rng_next(r);
    sl->isn[1] = (uint32_t)rng_next(r);
    /* 10.<a>.<b>.<c>: one address per slot */
    sl->cip[0] = 10;
    sl->cip[1] = (uint8_t)(100 + idx / 65536);
    sl->cip[2] = (uint8_t)(idx / 256);
    sl->cip[3] = (uint8_t)(idx % 256);
    sl->cport = (uint16_t)(20000 + (*port_seq)++ % 40000);
}

static uint64_t parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    uint64_t m = 1;
    if (*end == 'K' || *end == 'k')
        m = 1000;
    else if (*end == 'M' || *end == 'm')
        m = 1000000;
    else if (*end == 'G' || *end == 'g')
        m = 1000000000;
    return (uint64_t)(v * (double)m);
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    size_t n_slots = 10000;
    uint64_t target = 500000000, seed = 1;
    uint32_t fault_weight = 50;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--sessions") && i + 1 < argc)
            n_slots = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
            target = parse_size(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--fault-weight") && i + 1 < argc)
            fault_weight = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!out)
            out = argv[i];
        else
            load_template(argv[i]);
    }
    if (!out || !n_convs || !n_slots || !fault_weight) {
        fprintf(stderr, "usage: mixgen OUT.pcap --sessions N --bytes SIZE [--seed S] "
                        "[--fault-weight W] TEMPLATE.pcap...\n");
        return 2;
    }
    uint64_t total_weight = 0;
    int64_t longest = 0;
    for (size_t i = 0; i < n_convs; i++) {
        total_weight += convs[i].faults ? 1 : fault_weight;
        if (convs[i].duration > longest)
            longest = convs[i].duration;
    }
    grng r;
    rng_seed(&r, seed);
    gcap *cap = gen_open(out, GEN_LINKTYPE_ETHERNET, 1731000000LL * SEC);
    if (!cap)
        return 1;
    int64_t epoch = cap->now_ns;
    slots = calloc(n_slots, sizeof *slots);
    heap = calloc(n_slots, sizeof *heap);
    if (!slots || !heap)
        return 1;
    uint32_t port_seq = 0;
    for (size_t s = 0; s < n_slots; s++) {
        int64_t at = epoch + (int64_t)(rng_next(&r) % (uint64_t)(longest > SEC ? longest : SEC));
        start_conversation(&slots[s], s, &r, fault_weight, total_weight, at, &port_seq);
        heap[heap_n++] = s;
    }
    for (size_t i = heap_n / 2 + 1; i-- > 0;)
        heap_down(i);

    uint8_t buf[65536];
    uint64_t conversations = n_slots;
    while (cap->bytes < target) {
        size_t s = heap[0];
        slot *sl = &slots[s];
        const tconv *c = &convs[sl->conv];
        const tpkt *p = &c->p[sl->next];
        int64_t t = next_time(s);
        if (t > cap->now_ns)
            cap->now_ns = t;
        size_t n = p->len < sizeof buf ? p->len : sizeof buf;
        memcpy(buf, p->l4, n);
        uint16_t cport = sl->cport, sport = c->sport;
        put16(buf, p->from_client ? cport : sport);
        put16(buf + 2, p->from_client ? sport : cport);
        if (p->proto == 6) {
            int side = p->from_client ? 0 : 1;
            put32(buf + 4, be32(buf + 4) - c->isn[side] + sl->isn[side]);
            if (buf[13] & 0x10)
                put32(buf + 8, be32(buf + 8) - c->isn[side ^ 1] + sl->isn[side ^ 1]);
        }
        gen_ipv4(cap, p->from_client ? sl->cip : c->sip, p->from_client ? c->sip : sl->cip,
                 p->proto, buf, n);
        if (++sl->next == c->n) {
            /* reconnect a moment later, with another conversation */
            start_conversation(sl, s, &r, fault_weight, total_weight,
                               cap->now_ns + SEC + (int64_t)(rng_next(&r) % (uint64_t)SEC),
                               &port_seq);
            conversations++;
        }
        heap_down(0);
    }
    fprintf(stderr, "mixgen: %s: %llu packets, %llu bytes, %llu conversations (%zu concurrent), "
                    "%.0f s of traffic, %zu templates\n",
            out, (unsigned long long)cap->packets, (unsigned long long)cap->bytes,
            (unsigned long long)conversations, n_slots, (double)(cap->now_ns - epoch) / 1e9,
            n_convs);
    return gen_close(cap) ? 1 : 0;
}
