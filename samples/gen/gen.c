/* gen.c - chargegen's capture writer, TCP/UDP builders and helpers. */
#include "gen.h"

#include "chargeproto.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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

gen_writer_opts gen_wopts;

int gen_writer_option(const char *name, const char *value, int *used)
{
    static const char *const links[] = {"", "eth", "vlan", "qinq", "sll", "sll2", "raw", "null",
                                        "loop", "mixed"};
    static const char *const formats[] = {"pcap", "pcap-ns", "pcapng", "pcapng-us"};
    *used = 1;
    if (!strcmp(name, "--swap"))
        gen_wopts.swap = true;
    else if (!strcmp(name, "--ipv6"))
        gen_wopts.ipv6 = true;
    else if (!strcmp(name, "--ipv6-ext"))
        gen_wopts.ipv6 = gen_wopts.ipv6_ext = true;
    else if (!strcmp(name, "--gzip"))
        gen_wopts.gzip = true;
    else if (!strcmp(name, "--fragment-reverse"))
        gen_wopts.frag_reverse = true;
    else if (!value)
        return -1;
    else if (!strcmp(name, "--link")) {
        *used = 2;
        for (size_t i = 1; i < sizeof links / sizeof links[0]; i++)
            if (!strcmp(value, links[i])) {
                gen_wopts.link = (gen_link)i;
                return 0;
            }
        return -1;
    } else if (!strcmp(name, "--format")) {
        *used = 2;
        for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
            if (!strcmp(value, formats[i])) {
                gen_wopts.format = (gen_format)i;
                return 0;
            }
        return -1;
    } else if (!strcmp(name, "--fragment")) {
        *used = 2;
        char *end;
        unsigned long v = strtoul(value, &end, 10);
        if (*end || v < 8 || v > 65000)
            return -1;
        gen_wopts.fragment = (uint32_t)v;
    } else {
        return -1;
    }
    return 0;
}

static void out_bytes(gcap *c, const void *p, size_t n)
{
    if (!n)
        return;
    if (c->gz)
        gzwrite((gzFile)c->gz, p, (unsigned)n);
    else
        fwrite(p, 1, n, c->f);
}

static void put32(gcap *c, uint32_t v)
{
    if (c->o.swap)
        v = __builtin_bswap32(v);
    out_bytes(c, &v, 4);
}

static void put16(gcap *c, uint16_t v)
{
    if (c->o.swap)
        v = __builtin_bswap16(v);
    out_bytes(c, &v, 2);
}

static uint32_t link_type_of(gen_link l, uint32_t scenario)
{
    switch (l) {
    case GEN_LINK_ETH:
    case GEN_LINK_VLAN:
    case GEN_LINK_QINQ: return 1;
    case GEN_LINK_SLL: return 113;
    case GEN_LINK_SLL2: return 276;
    case GEN_LINK_RAW: return 101;
    case GEN_LINK_NULL: return 0;
    case GEN_LINK_LOOP: return 108;
    default: return scenario;
    }
}

gcap *gen_open(const char *path, uint32_t linktype, int64_t start_ns)
{
    gcap *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->o = gen_wopts;
    bool ng = c->o.format == GEN_FMT_PCAPNG || c->o.format == GEN_FMT_PCAPNG_US;
    if (c->o.link == GEN_LINK_MIXED && !ng) {
        fprintf(stderr, "chargegen: --link mixed needs --format pcapng\n");
        free(c);
        return NULL;
    }
    if (c->o.gzip) {
        c->gz = gzopen(path, "wb9");
        if (!c->gz) {
            perror(path);
            free(c);
            return NULL;
        }
    } else {
        c->f = fopen(path, "wb");
        if (!c->f) {
            perror(path);
            free(c);
            return NULL;
        }
    }
    c->now_ns = start_ns;
    c->ip_id = 1;
    if (c->o.link == GEN_LINK_MIXED) {
        c->iface_lt[0] = 1;
        c->iface_lt[1] = 276;
        c->n_ifaces = 2;
    } else {
        c->iface_lt[0] = link_type_of(c->o.link, linktype);
        c->n_ifaces = 1;
    }
    c->linktype = c->iface_lt[0];
    if (ng) {
        /* Section Header Block */
        put32(c, 0x0A0D0D0A);
        put32(c, 28);
        put32(c, 0x1A2B3C4D);
        put16(c, 1);
        put16(c, 0);
        put32(c, 0xFFFFFFFF);
        put32(c, 0xFFFFFFFF);
        put32(c, 28);
        bool ns = c->o.format == GEN_FMT_PCAPNG;
        for (int i = 0; i < c->n_ifaces; i++) {
            /* Interface Description Block: nanoseconds, or the default
             * microseconds without options */
            uint32_t len = ns ? 32 : 20;
            put32(c, 1);
            put32(c, len);
            put16(c, (uint16_t)c->iface_lt[i]);
            put16(c, 0);
            put32(c, 262144);
            if (ns) {
                put16(c, 9); /* if_tsresol */
                put16(c, 1);
                uint8_t res[4] = {9, 0, 0, 0};
                out_bytes(c, res, 4);
                put16(c, 0); /* opt_endofopt */
                put16(c, 0);
            }
            put32(c, len);
        }
    } else {
        put32(c, c->o.format == GEN_FMT_PCAP_NS ? 0xa1b23c4d : 0xa1b2c3d4);
        put16(c, 2);
        put16(c, 4);
        put32(c, 0);
        put32(c, 0);
        put32(c, 262144);
        put32(c, c->linktype);
    }
    return c;
}

int gen_close(gcap *c)
{
    int bad = 0;
    if (c->gz) {
        bad = gzclose((gzFile)c->gz) != Z_OK;
    } else {
        bad = ferror(c->f) != 0;
        if (fclose(c->f) != 0)
            bad = 1;
    }
    free(c);
    return bad ? -1 : 0;
}

void gen_advance(gcap *c, int64_t ns) { c->now_ns += ns; }

static void write_record(gcap *c, int iface, const uint8_t *frame, size_t len)
{
    if (c->o.format == GEN_FMT_PCAPNG || c->o.format == GEN_FMT_PCAPNG_US) {
        uint32_t padded = (uint32_t)((len + 3) & ~(size_t)3);
        uint64_t ts = (uint64_t)c->now_ns;
        if (c->o.format == GEN_FMT_PCAPNG_US)
            ts /= 1000;
        put32(c, 6);
        put32(c, 32 + padded);
        put32(c, (uint32_t)iface);
        put32(c, (uint32_t)(ts >> 32));
        put32(c, (uint32_t)ts);
        put32(c, (uint32_t)len);
        put32(c, (uint32_t)len);
        out_bytes(c, frame, len);
        static const uint8_t zero[4];
        out_bytes(c, zero, padded - len);
        put32(c, 32 + padded);
    } else {
        bool ns = c->o.format == GEN_FMT_PCAP_NS;
        put32(c, (uint32_t)(c->now_ns / 1000000000));
        put32(c, (uint32_t)(ns ? c->now_ns % 1000000000 : (c->now_ns % 1000000000) / 1000));
        put32(c, (uint32_t)len);
        put32(c, (uint32_t)len);
        out_bytes(c, frame, len);
    }
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

/* Frame an IP packet for the next interface and write it. */
static void emit_ip(gcap *c, const uint8_t src[4], const uint8_t dst[4], const uint8_t *ip,
                    size_t n, int version)
{
    static gbuf fb;
    gb_reset(&fb);
    int iface = c->n_ifaces > 1 ? (int)(c->packets % (uint64_t)c->n_ifaces) : 0;
    uint32_t lt = c->iface_lt[iface];
    uint16_t et = version == 6 ? 0x86DD : 0x0800;
    /* fixed locally administered MACs derived from the IPv4 addresses */
    uint8_t smac[6] = {0x02, 0, src[0], src[1], src[2], src[3]};
    uint8_t dmac[6] = {0x02, 0, dst[0], dst[1], dst[2], dst[3]};
    switch (lt) {
    case 1:
        gb_put(&fb, dmac, 6);
        gb_put(&fb, smac, 6);
        if (c->o.link == GEN_LINK_QINQ) {
            gb_be16(&fb, 0x88A8);
            gb_be16(&fb, 10);
        }
        if (c->o.link == GEN_LINK_VLAN || c->o.link == GEN_LINK_QINQ) {
            gb_be16(&fb, 0x8100);
            gb_be16(&fb, 100);
        }
        gb_be16(&fb, et);
        break;
    case 113: /* SLL: packet type, ARPHRD, address length, address, protocol */
        gb_be16(&fb, 0);
        gb_be16(&fb, 1);
        gb_be16(&fb, 6);
        gb_put(&fb, smac, 6);
        gb_be16(&fb, 0);
        gb_be16(&fb, et);
        break;
    case 276: /* SLL2: protocol, reserved, ifindex, ARPHRD, type, address */
        gb_be16(&fb, et);
        gb_be16(&fb, 0);
        gb_be32(&fb, 2);
        gb_be16(&fb, 1);
        gb_u8(&fb, 0);
        gb_u8(&fb, 6);
        gb_put(&fb, smac, 6);
        gb_be16(&fb, 0);
        break;
    case 0:
        gb_le32(&fb, version == 6 ? 24 : 2);
        break;
    case 108:
        gb_be32(&fb, version == 6 ? 24 : 2);
        break;
    default: /* raw IP */
        break;
    }
    gb_put(&fb, ip, n);
    write_record(c, iface, fb.p, fb.n);
}

static void map6(const uint8_t a[4], uint8_t out[16])
{
    static const uint8_t pre[12] = {0x20, 0x01, 0x0d, 0xb8};
    memcpy(out, pre, 12);
    memcpy(out + 12, a, 4);
}

void gen_ipv4(gcap *c, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
              const uint8_t *l4, size_t l4len)
{
    static gbuf ipb, seg;
    uint16_t id = c->ip_id++;
    /* the transport checksum over the pseudo-header of the IP version used */
    gb_reset(&seg);
    gb_put(&seg, l4, l4len);
    size_t cso = proto == 6 ? 16 : proto == 17 ? 6 : 0;
    if (cso && l4len >= cso + 2) {
        uint32_t s = 0;
        seg.p[cso] = seg.p[cso + 1] = 0;
        if (c->o.ipv6) {
            uint8_t ph[40] = {0};
            map6(src, ph);
            map6(dst, ph + 16);
            ph[34] = (uint8_t)(l4len >> 8);
            ph[35] = (uint8_t)l4len;
            ph[39] = proto;
            s = csum_add(0, ph, 40);
        } else {
            uint8_t ph[12] = {src[0], src[1], src[2], src[3], dst[0], dst[1], dst[2], dst[3],
                              0, proto, (uint8_t)(l4len >> 8), (uint8_t)l4len};
            s = csum_add(0, ph, 12);
        }
        uint16_t cs = csum_fold(csum_add(s, seg.p, l4len));
        if (proto == 17 && cs == 0)
            cs = 0xFFFF;
        seg.p[cso] = (uint8_t)(cs >> 8);
        seg.p[cso + 1] = (uint8_t)cs;
    }
    if (c->o.ipv6) {
        gb_reset(&ipb);
        size_t ext = c->o.ipv6_ext ? 16 : 0;
        uint8_t h[40] = {0x60, 0, 0, 0};
        h[4] = (uint8_t)((l4len + ext) >> 8);
        h[5] = (uint8_t)(l4len + ext);
        h[6] = c->o.ipv6_ext ? 0 : proto;
        h[7] = 64;
        map6(src, h + 8);
        map6(dst, h + 24);
        gb_put(&ipb, h, 40);
        if (c->o.ipv6_ext) {
            /* hop-by-hop then destination options, each padded with PadN */
            uint8_t hbh[8] = {60, 0, 1, 4, 0, 0, 0, 0};
            uint8_t dst_opts[8] = {proto, 0, 1, 4, 0, 0, 0, 0};
            gb_put(&ipb, hbh, 8);
            gb_put(&ipb, dst_opts, 8);
        }
        gb_put(&ipb, seg.p, l4len);
        emit_ip(c, src, dst, ipb.p, ipb.n, 6);
        return;
    }
    /* IPv4, in fragments when asked */
    size_t chunk = l4len;
    if (c->o.fragment && l4len > c->o.fragment)
        chunk = c->o.fragment & ~(size_t)7;
    size_t nfrag = (l4len + chunk - 1) / chunk;
    if (!nfrag)
        nfrag = 1;
    for (size_t k = 0; k < nfrag; k++) {
        size_t i = c->o.frag_reverse ? nfrag - 1 - k : k;
        size_t off = i * chunk, n = l4len - off < chunk ? l4len - off : chunk;
        bool more = i + 1 < nfrag;
        uint8_t ip[20] = {0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0};
        uint16_t tot = (uint16_t)(20 + n);
        ip[2] = (uint8_t)(tot >> 8);
        ip[3] = (uint8_t)tot;
        ip[4] = (uint8_t)(id >> 8);
        ip[5] = (uint8_t)id;
        uint16_t fl = nfrag > 1 ? (uint16_t)((more ? 0x2000 : 0) | (off / 8)) : 0x4000;
        ip[6] = (uint8_t)(fl >> 8);
        ip[7] = (uint8_t)fl;
        memcpy(ip + 12, src, 4);
        memcpy(ip + 16, dst, 4);
        uint16_t cs = csum_fold(csum_add(0, ip, 20));
        ip[10] = (uint8_t)(cs >> 8);
        ip[11] = (uint8_t)cs;
        gb_reset(&ipb);
        gb_put(&ipb, ip, 20);
        gb_put(&ipb, seg.p + off, n);
        emit_ip(c, src, dst, ipb.p, ipb.n, 4);
    }
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

static void tcp_raw(gtcp *t, bool from_client, uint32_t seq, uint8_t flags, const uint8_t *data,
                    size_t len)
{
    static gbuf seg;
    gb_reset(&seg);
    gb_be16(&seg, from_client ? t->cport : t->sport);
    gb_be16(&seg, from_client ? t->sport : t->cport);
    gb_be32(&seg, seq);
    gb_be32(&seg, (flags & TCP_ACK) ? (from_client ? t->sseq : t->cseq) : 0);
    gb_u8(&seg, 5 << 4);
    gb_u8(&seg, flags);
    gb_be16(&seg, 64240);
    gb_be16(&seg, 0); /* checksum, filled by gen_ipv4 */
    gb_be16(&seg, 0);
    gb_put(&seg, data, len);
    gen_ipv4(t->cap, from_client ? t->cip : t->sip, from_client ? t->sip : t->cip, 6, seg.p,
             seg.n);
}

void tcp_segment(gtcp *t, bool from_client, uint32_t seq, uint8_t flags, const uint8_t *data,
                 size_t len)
{
    tcp_raw(t, from_client, seq, flags, data, len);
}

static void tcp_packet(gtcp *t, bool from_client, uint8_t flags, const uint8_t *data, size_t len)
{
    tcp_raw(t, from_client, from_client ? t->cseq : t->sseq, flags, data, len);
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

void tcp_send_ex(gtcp *t, bool from_client, const uint8_t *data, size_t len, const size_t *cuts,
                 const char *fates)
{
    uint32_t *seq = from_client ? &t->cseq : &t->sseq;
    struct {
        size_t off, n;
        uint32_t seq;
        char fate;
    } segs[64];
    size_t ns = 0, off = 0;
    while (off < len && ns < 64) {
        size_t n = len - off;
        if (cuts && *cuts) {
            if (*cuts < n)
                n = *cuts;
            cuts++;
        }
        segs[ns].off = off;
        segs[ns].n = n;
        segs[ns].seq = *seq + (uint32_t)off;
        segs[ns].fate = fates && ns < strlen(fates) ? fates[ns] : '.';
        ns++;
        off += n;
    }
    uint32_t base = *seq;
    for (size_t i = 0; i < ns; i++) {
        if (segs[i].fate == 'd')
            continue;
        if (segs[i].fate == 's' && i + 1 < ns) {
            tcp_raw(t, from_client, segs[i + 1].seq, TCP_PSH | TCP_ACK, data + segs[i + 1].off,
                    segs[i + 1].n);
            gen_advance(t->cap, t->gap_ns);
            tcp_raw(t, from_client, segs[i].seq, TCP_PSH | TCP_ACK, data + segs[i].off, segs[i].n);
            gen_advance(t->cap, t->gap_ns);
            i++;
            continue;
        }
        tcp_raw(t, from_client, segs[i].seq, TCP_PSH | TCP_ACK, data + segs[i].off, segs[i].n);
        gen_advance(t->cap, t->gap_ns);
    }
    *seq = base + (uint32_t)len;
    tcp_packet(t, !from_client, TCP_ACK, NULL, 0);
    gen_advance(t->cap, t->gap_ns);
    for (size_t i = 0; i < ns; i++) {
        if (segs[i].fate != 'r' && segs[i].fate != 'a')
            continue;
        static gbuf alt;
        gb_reset(&alt);
        gb_put(&alt, data + segs[i].off, segs[i].n);
        if (segs[i].fate == 'a')
            alt.p[alt.n / 2] ^= 0xFF;
        tcp_raw(t, from_client, segs[i].seq, TCP_PSH | TCP_ACK, alt.p, alt.n);
        gen_advance(t->cap, t->gap_ns);
    }
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
