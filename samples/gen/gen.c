/* gen.c - chargegen's capture writer, TCP/UDP builders and helpers. */
#include "gen.h"

#include "chargeproto.h"

#include <stdlib.h>
#include <string.h>

/* ---- byte builder ----------------------------------------------------- */

void gb_reset(gbuf *b) { b->n = 0; }

void gb_free(gbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void gb_put(gbuf *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + n)
            c *= 2;
        uint8_t *q = realloc(b->p, c);
        if (!q) {
            fprintf(stderr, "chargegen: out of memory\n");
            exit(1);
        }
        b->p = q;
        b->cap = c;
    }
    if (n)
        memcpy(b->p + b->n, data, n);
    b->n += n;
}

void gb_u8(gbuf *b, uint8_t v) { gb_put(b, &v, 1); }

void gb_be16(gbuf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    gb_put(b, x, 2);
}

void gb_be32(gbuf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    gb_put(b, x, 4);
}

void gb_le16(gbuf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    gb_put(b, x, 2);
}

void gb_le32(gbuf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    gb_put(b, x, 4);
}

void gb_hex(gbuf *b, const char *hex)
{
    size_t n = strlen(hex) / 2 + 1;
    uint8_t *tmp = malloc(n);
    if (!tmp) {
        fprintf(stderr, "chargegen: out of memory\n");
        exit(1);
    }
    gb_put(b, tmp, cs_unhex(hex, tmp, n));
    free(tmp);
}

void gb_lstr(gbuf *b, const char *s)
{
    size_t n = strlen(s) + 1;
    gb_be16(b, (uint16_t)n);
    gb_put(b, s, n);
}

/* ---- PRNG ---------------------------------------------------------------- */

void rng_seed(grng *r, uint64_t seed) { r->s = seed ? seed : 0x9E3779B97F4A7C15ull; }

uint64_t rng_next(grng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

uint32_t rng_range(grng *r, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(rng_next(r) % ((uint64_t)hi - lo + 1));
}

/* ---- capture writer ------------------------------------------------------- */

static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void put16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }

gcap *gen_open(const char *path, uint32_t linktype, int64_t start_ns)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return NULL;
    }
    gcap *c = calloc(1, sizeof *c);
    if (!c) {
        fclose(f);
        return NULL;
    }
    c->f = f;
    c->linktype = linktype;
    c->now_ns = start_ns;
    c->ip_id = 1;
    put32(f, 0xa1b2c3d4); /* microsecond pcap, host byte order */
    put16(f, 2);
    put16(f, 4);
    put32(f, 0);
    put32(f, 0);
    put32(f, 262144);
    put32(f, linktype);
    return c;
}

int gen_close(gcap *c)
{
    int bad = ferror(c->f) != 0;
    if (fclose(c->f) != 0)
        bad = 1;
    free(c);
    return bad ? -1 : 0;
}

void gen_advance(gcap *c, int64_t ns) { c->now_ns += ns; }

static void write_record(gcap *c, const uint8_t *frame, size_t len)
{
    put32(c->f, (uint32_t)(c->now_ns / 1000000000));
    put32(c->f, (uint32_t)((c->now_ns % 1000000000) / 1000));
    put32(c->f, (uint32_t)len);
    put32(c->f, (uint32_t)len);
    fwrite(frame, 1, len, c->f);
    c->packets++;
    c->bytes += len;
}

static uint16_t csum_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)(p[n - 1] << 8);
    return s;
}

void gen_ipv4(gcap *c, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
              const uint8_t *l4, size_t l4len)
{
    static gbuf fb;
    gb_reset(&fb);
    /* Ethernet: fixed locally administered MACs derived from the IPs. */
    uint8_t eth[14] = {0x02, 0, dst[0], dst[1], dst[2], dst[3], 0x02, 0, src[0], src[1], src[2], src[3],
                       0x08, 0x00};
    gb_put(&fb, eth, sizeof eth);
    uint8_t ip[20] = {0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0};
    uint16_t tot = (uint16_t)(20 + l4len);
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[4] = (uint8_t)(c->ip_id >> 8);
    ip[5] = (uint8_t)c->ip_id;
    c->ip_id++;
    memcpy(ip + 12, src, 4);
    memcpy(ip + 16, dst, 4);
    uint16_t cs = csum_fold(csum_add(0, ip, 20));
    ip[10] = (uint8_t)(cs >> 8);
    ip[11] = (uint8_t)cs;
    gb_put(&fb, ip, 20);
    size_t l4off = fb.n;
    gb_put(&fb, l4, l4len);
    /* Transport checksum over the pseudo-header. */
    uint8_t ph[12];
    memcpy(ph, src, 4);
    memcpy(ph + 4, dst, 4);
    ph[8] = 0;
    ph[9] = proto;
    ph[10] = (uint8_t)(l4len >> 8);
    ph[11] = (uint8_t)l4len;
    size_t cso = proto == 6 ? 16 : proto == 17 ? 6 : 0;
    if (cso && l4len >= cso + 2) {
        fb.p[l4off + cso] = fb.p[l4off + cso + 1] = 0;
        uint16_t s = csum_fold(csum_add(csum_add(0, ph, 12), fb.p + l4off, l4len));
        if (proto == 17 && s == 0)
            s = 0xFFFF;
        fb.p[l4off + cso] = (uint8_t)(s >> 8);
        fb.p[l4off + cso + 1] = (uint8_t)s;
    }
    write_record(c, fb.p, fb.n);
}

void ip_parse(const char *s, uint8_t out[4])
{
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4) {
        fprintf(stderr, "chargegen: bad address %s\n", s);
        exit(1);
    }
    out[0] = (uint8_t)a;
    out[1] = (uint8_t)b;
    out[2] = (uint8_t)c;
    out[3] = (uint8_t)d;
}

/* ---- TCP -------------------------------------------------------------------- */

void tcp_init(gtcp *t, gcap *cap, const char *cip, uint16_t cport, const char *sip,
              uint16_t sport, uint32_t cisn, uint32_t sisn)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
    ip_parse(cip, t->cip);
    ip_parse(sip, t->sip);
    t->cport = cport;
    t->sport = sport;
    t->cseq = cisn;
    t->sseq = sisn;
    t->gap_ns = 200000; /* 0.2 ms between packets of one exchange */
}

static void tcp_packet(gtcp *t, bool from_client, uint8_t flags, const uint8_t *data, size_t len)
{
    static gbuf seg;
    gb_reset(&seg);
    gb_be16(&seg, from_client ? t->cport : t->sport);
    gb_be16(&seg, from_client ? t->sport : t->cport);
    gb_be32(&seg, from_client ? t->cseq : t->sseq);
    gb_be32(&seg, (flags & TCP_ACK) ? (from_client ? t->sseq : t->cseq) : 0);
    gb_u8(&seg, 5 << 4);
    gb_u8(&seg, flags);
    gb_be16(&seg, 64240);
    gb_be16(&seg, 0); /* checksum, filled by gen_ipv4 */
    gb_be16(&seg, 0);
    gb_put(&seg, data, len);
    gen_ipv4(t->cap, from_client ? t->cip : t->sip, from_client ? t->sip : t->cip, 6, seg.p,
             seg.n);
    uint32_t adv = (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
    if (from_client)
        t->cseq += adv;
    else
        t->sseq += adv;
}

void tcp_handshake(gtcp *t)
{
    tcp_packet(t, true, TCP_SYN, NULL, 0);
    gen_advance(t->cap, t->gap_ns * 5);
    tcp_packet(t, false, TCP_SYN | TCP_ACK, NULL, 0);
    gen_advance(t->cap, t->gap_ns * 5);
    tcp_packet(t, true, TCP_ACK, NULL, 0);
    gen_advance(t->cap, t->gap_ns);
}

void tcp_send(gtcp *t, bool from_client, const uint8_t *data, size_t len, const size_t *cuts)
{
    size_t off = 0;
    while (off < len) {
        size_t n = len - off;
        if (cuts && *cuts) {
            if (*cuts < n)
                n = *cuts;
            cuts++;
        }
        tcp_packet(t, from_client, TCP_PSH | TCP_ACK, data + off, n);
        off += n;
        gen_advance(t->cap, t->gap_ns);
    }
    tcp_packet(t, !from_client, TCP_ACK, NULL, 0);
    gen_advance(t->cap, t->gap_ns);
}

void tcp_send_mss(gtcp *t, bool from_client, const uint8_t *data, size_t len, size_t mss)
{
    size_t off = 0;
    while (off < len) {
        size_t n = len - off < mss ? len - off : mss;
        tcp_packet(t, from_client, TCP_PSH | TCP_ACK, data + off, n);
        off += n;
        gen_advance(t->cap, t->gap_ns);
    }
    tcp_packet(t, !from_client, TCP_ACK, NULL, 0);
    gen_advance(t->cap, t->gap_ns);
}

void tcp_close(gtcp *t, bool client_first)
{
    tcp_packet(t, client_first, TCP_FIN | TCP_ACK, NULL, 0);
    gen_advance(t->cap, t->gap_ns);
    tcp_packet(t, !client_first, TCP_FIN | TCP_ACK, NULL, 0);
    gen_advance(t->cap, t->gap_ns);
    tcp_packet(t, client_first, TCP_ACK, NULL, 0);
    gen_advance(t->cap, t->gap_ns);
}

/* ---- UDP ---------------------------------------------------------------------- */

void udp_send(gcap *cap, const char *src, uint16_t sport, const char *dst, uint16_t dport,
              const uint8_t *data, size_t len)
{
    static gbuf d;
    uint8_t s4[4], d4[4];
    ip_parse(src, s4);
    ip_parse(dst, d4);
    gb_reset(&d);
    gb_be16(&d, sport);
    gb_be16(&d, dport);
    gb_be16(&d, (uint16_t)(8 + len));
    gb_be16(&d, 0);
    gb_put(&d, data, len);
    gen_ipv4(cap, s4, d4, 17, d.p, d.n);
}
