/*
 * packet.c - link layers, IPv4/IPv6 and TCP/UDP headers.  Every length is
 * checked against the captured bytes before it is used.
 */
#include "packet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* LINKTYPE_* values as written in capture files */
#define LT_NULL 0
#define LT_EN10MB 1
#define LT_RAW_OLD1 12
#define LT_RAW_OLD2 14
#define LT_RAW 101
#define LT_LOOP 108
#define LT_LINUX_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_LINUX_SLL2 276

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static cc_pk_status skip(cc_skip *why, cc_skip w)
{
    *why = w;
    return CC_PK_SKIP;
}

static cc_pk_status decode_ip(cc_packet *p, const uint8_t *d, uint32_t n, cc_skip *why);

static cc_pk_status decode_ethertype(cc_packet *p, uint16_t et, const uint8_t *d, uint32_t n,
                                     cc_skip *why)
{
    /* 802.1Q, 802.1ad and the old QinQ tag types, as deep as they go */
    for (int tags = 0; (et == 0x8100 || et == 0x88A8 || et == 0x9100) && tags < 8; tags++) {
        if (n < 4)
            return skip(why, CC_SKIP_MALFORMED);
        et = be16(d + 2);
        d += 4;
        n -= 4;
    }
    if (et == 0x0800 || et == 0x86DD)
        return decode_ip(p, d, n, why);
    return skip(why, CC_SKIP_NOT_IP);
}

cc_pk_status cc_decode_packet(int linktype, const uint8_t *d, uint32_t n, cc_packet *p,
                              cc_skip *why)
{
    p->payload = NULL;
    p->payload_len = p->wire_len = 0;
    p->tcp_flags = 0;
    switch (linktype) {
    case LT_EN10MB: {
        if (n < 14)
            return skip(why, CC_SKIP_MALFORMED);
        uint16_t et = be16(d + 12);
        if (et < 0x0600) {
            /* 802.3 length: only LLC/SNAP can carry IP */
            if (n < 22 || d[14] != 0xAA || d[15] != 0xAA || d[16] != 0x03)
                return skip(why, CC_SKIP_NOT_IP);
            return decode_ethertype(p, be16(d + 20), d + 22, n - 22, why);
        }
        return decode_ethertype(p, et, d + 14, n - 14, why);
    }
    case LT_LINUX_SLL:
        if (n < 16)
            return skip(why, CC_SKIP_MALFORMED);
        return decode_ethertype(p, be16(d + 14), d + 16, n - 16, why);
    case LT_LINUX_SLL2:
        if (n < 20)
            return skip(why, CC_SKIP_MALFORMED);
        return decode_ethertype(p, be16(d), d + 20, n - 20, why);
    case LT_NULL:
    case LT_LOOP: {
        if (n < 4)
            return skip(why, CC_SKIP_MALFORMED);
        /* DLT_NULL is in the capturing host's byte order, DLT_LOOP in
         * network order; a family is small, so the order shows */
        uint32_t fam = be32(d);
        if (fam > 0xFFFF)
            fam = __builtin_bswap32(fam);
        /* AF_INET, and AF_INET6 of the BSDs, macOS and Linux */
        if (fam != 2 && fam != 24 && fam != 28 && fam != 30 && fam != 10)
            return skip(why, CC_SKIP_NOT_IP);
        return decode_ip(p, d + 4, n - 4, why);
    }
    case LT_RAW:
    case LT_RAW_OLD1:
    case LT_RAW_OLD2:
    case LT_IPV4:
    case LT_IPV6:
        return decode_ip(p, d, n, why);
    default:
        return skip(why, CC_SKIP_LINK);
    }
}

cc_pk_status cc_decode_l4(cc_packet *p, uint8_t proto, const uint8_t *d, uint32_t n,
                          uint32_t wire, cc_skip *why)
{
    if (wire < n)
        wire = n;
    if (proto == 6) {
        if (n < 20)
            return skip(why, CC_SKIP_MALFORMED);
        uint32_t hl = (uint32_t)(d[12] >> 4) * 4;
        if (hl < 20 || hl > n)
            return skip(why, CC_SKIP_MALFORMED);
        p->l4 = 6;
        p->sport = be16(d);
        p->dport = be16(d + 2);
        p->seq = be32(d + 4);
        p->ack = be32(d + 8);
        p->tcp_flags = d[13];
        p->payload = d + hl;
        p->payload_len = n - hl;
        p->wire_len = wire - hl;
        return CC_PK_OK;
    }
    if (proto == 17) {
        if (n < 8)
            return skip(why, CC_SKIP_MALFORMED);
        uint32_t ul = be16(d + 4);
        p->l4 = 17;
        p->sport = be16(d);
        p->dport = be16(d + 2);
        p->payload = d + 8;
        /* the UDP length when it is consistent, else what IP says */
        p->wire_len = (ul >= 8 && ul <= wire) ? ul - 8 : wire - 8;
        p->payload_len = n - 8 < p->wire_len ? n - 8 : p->wire_len;
        return CC_PK_OK;
    }
    return skip(why, CC_SKIP_OTHER_L4);
}

static cc_pk_status decode_ip(cc_packet *p, const uint8_t *d, uint32_t n, cc_skip *why)
{
    if (n < 1)
        return skip(why, CC_SKIP_MALFORMED);
    int v = d[0] >> 4;
    p->ip = d;
    p->ip_version = (uint8_t)v;
    if (v == 4) {
        if (n < 20)
            return skip(why, CC_SKIP_MALFORMED);
        uint32_t hl = (uint32_t)(d[0] & 15) * 4;
        uint32_t tot = be16(d + 2);
        if (hl < 20 || hl > n)
            return skip(why, CC_SKIP_MALFORMED);
        if (tot == 0)
            tot = n; /* segmentation offload: the length was never filled in */
        if (tot < hl)
            return skip(why, CC_SKIP_MALFORMED);
        uint32_t cap = n < tot ? n : tot; /* drops Ethernet padding */
        p->src.family = p->dst.family = 4;
        memset(p->src.a + 4, 0, 12);
        memset(p->dst.a + 4, 0, 12);
        memcpy(p->src.a, d + 12, 4);
        memcpy(p->dst.a, d + 16, 4);
        uint16_t frag = be16(d + 6);
        if (frag & 0x3FFF) {
            p->ip_id = be16(d + 4);
            p->ip_proto = d[9];
            p->frag_off = (uint16_t)((frag & 0x1FFF) * 8);
            p->frag_more = (frag & 0x2000) != 0;
            p->frag_data = d + hl;
            p->frag_len = cap - hl;
            p->frag_wire = tot - hl;
            return CC_PK_FRAGMENT;
        }
        return cc_decode_l4(p, d[9], d + hl, cap - hl, tot - hl, why);
    }
    if (v == 6) {
        if (n < 40)
            return skip(why, CC_SKIP_MALFORMED);
        uint32_t plen = be16(d + 4);
        uint8_t nh = d[6];
        p->src.family = p->dst.family = 6;
        memcpy(p->src.a, d + 8, 16);
        memcpy(p->dst.a, d + 24, 16);
        const uint8_t *q = d + 40;
        uint32_t m = n - 40;
        uint32_t wire = plen ? plen : m; /* 0: a jumbogram or offload */
        if (m > wire)
            m = wire;
        for (int i = 0; i < 16; i++) {
            uint32_t el;
            switch (nh) {
            case 0:   /* hop-by-hop */
            case 43:  /* routing */
            case 60:  /* destination options */
            case 135: /* mobility */
            case 139: /* HIP */
            case 140: /* shim6 */
                if (m < 8)
                    return skip(why, CC_SKIP_MALFORMED);
                el = ((uint32_t)q[1] + 1) * 8;
                break;
            case 51: /* authentication header */
                if (m < 8)
                    return skip(why, CC_SKIP_MALFORMED);
                el = ((uint32_t)q[1] + 2) * 4;
                break;
            case 44:
                return skip(why, CC_SKIP_IP6_FRAG);
            default:
                return cc_decode_l4(p, nh, q, m, wire, why);
            }
            if (el > m || el > wire)
                return skip(why, CC_SKIP_MALFORMED);
            nh = q[0];
            q += el;
            m -= el;
            wire -= el;
        }
        return skip(why, CC_SKIP_MALFORMED);
    }
    return skip(why, CC_SKIP_NOT_IP);
}

void cc_addr_str(const cc_addr *a, char *buf, size_t n)
{
    if (a->family != 6 && n >= 16) {
        /* IPv4 without printf: this runs for every session ended */
        char *d = buf;
        for (int i = 0; i < 4; i++) {
            unsigned v = a->a[i];
            if (v >= 100)
                *d++ = (char)('0' + v / 100);
            if (v >= 10)
                *d++ = (char)('0' + v / 10 % 10);
            *d++ = (char)('0' + v % 10);
            *d++ = i < 3 ? '.' : '\0';
        }
        return;
    }
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)n) && n)
        buf[0] = '\0';
}
