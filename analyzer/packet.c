/*
 * packet.c - link layers, IPv4/IPv6 and TCP/UDP headers.  Every length is
 * checked against the captured bytes before it is used.
 */
#include "packet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* libpcap link types */
#define LT_NULL 0
#define LT_EN10MB 1
#define LT_RAW 101
#define LT_LOOP 108
#define LT_LINUX_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_LINUX_SLL2 276

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool decode_ip(cc_packet *p, const uint8_t *d, uint32_t n, const char **why);

static bool decode_ethertype(cc_packet *p, uint16_t et, const uint8_t *d, uint32_t n,
                             const char **why)
{
    /* 802.1Q / 802.1ad / QinQ tags, any depth the bytes allow */
    int tags = 0;
    while ((et == 0x8100 || et == 0x88A8 || et == 0x9100) && n >= 4 && tags < 8) {
        et = be16(d + 2);
        d += 4;
        n -= 4;
        tags++;
    }
    if (et == 0x0800 || et == 0x86DD)
        return decode_ip(p, d, n, why);
    *why = "not IP";
    return false;
}

bool cc_decode_packet(int linktype, cc_packet *p, const char **why)
{
    const uint8_t *d = p->data;
    uint32_t n = p->caplen;
    p->is_ip = false;
    p->l4 = 0;
    p->payload = NULL;
    p->payload_len = 0;
    p->truncated = p->caplen < p->len;
    switch (linktype) {
    case LT_EN10MB:
        if (n < 14) {
            *why = "short Ethernet header";
            return false;
        }
        return decode_ethertype(p, be16(d + 12), d + 14, n - 14, why);
    case LT_LINUX_SLL:
        if (n < 16) {
            *why = "short SLL header";
            return false;
        }
        return decode_ethertype(p, be16(d + 14), d + 16, n - 16, why);
    case LT_LINUX_SLL2:
        if (n < 20) {
            *why = "short SLL2 header";
            return false;
        }
        return decode_ethertype(p, be16(d), d + 20, n - 20, why);
    case LT_NULL:
    case LT_LOOP: {
        if (n < 4) {
            *why = "short loopback header";
            return false;
        }
        uint32_t fam = linktype == LT_LOOP ? be32(d) : (uint32_t)(d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24);
        if (fam > 0xFFFF) /* the other byte order */
            fam = ((fam & 0xFF) << 24) | ((fam & 0xFF00) << 8) | ((fam >> 8) & 0xFF00) | (fam >> 24);
        if (fam != 2 && fam != 24 && fam != 28 && fam != 30) {
            *why = "not IP";
            return false;
        }
        return decode_ip(p, d + 4, n - 4, why);
    }
    case LT_RAW:
    case LT_IPV4:
    case LT_IPV6:
        return decode_ip(p, d, n, why);
    default:
        *why = "unsupported link type";
        return false;
    }
}

static bool decode_l4(cc_packet *p, uint8_t proto, const uint8_t *d, uint32_t n, const char **why)
{
    if (proto == 6) {
        if (n < 20) {
            *why = "short TCP header";
            return false;
        }
        uint32_t hl = (uint32_t)(d[12] >> 4) * 4;
        if (hl < 20 || hl > n) {
            *why = "bad TCP header length";
            return false;
        }
        p->l4 = 6;
        p->sport = be16(d);
        p->dport = be16(d + 2);
        p->seq = be32(d + 4);
        p->ack = be32(d + 8);
        p->tcp_flags = d[13];
        p->payload = d + hl;
        p->payload_len = n - hl;
        return true;
    }
    if (proto == 17) {
        if (n < 8) {
            *why = "short UDP header";
            return false;
        }
        uint32_t ul = be16(d + 4);
        p->l4 = 17;
        p->sport = be16(d);
        p->dport = be16(d + 2);
        p->payload = d + 8;
        p->payload_len = (ul >= 8 && ul - 8 < n - 8) ? ul - 8 : n - 8;
        return true;
    }
    *why = "not TCP or UDP";
    return false;
}

static bool decode_ip(cc_packet *p, const uint8_t *d, uint32_t n, const char **why)
{
    if (n < 1) {
        *why = "empty IP packet";
        return false;
    }
    int v = d[0] >> 4;
    if (v == 4) {
        if (n < 20) {
            *why = "short IPv4 header";
            return false;
        }
        uint32_t hl = (uint32_t)(d[0] & 15) * 4;
        uint32_t tot = be16(d + 2);
        if (hl < 20 || hl > n) {
            *why = "bad IPv4 header length";
            return false;
        }
        if (tot >= hl && tot < n)
            n = tot; /* drop Ethernet padding */
        uint16_t frag = be16(d + 6);
        p->is_ip = true;
        p->src.family = p->dst.family = 4;
        memset(p->src.a, 0, 16);
        memset(p->dst.a, 0, 16);
        memcpy(p->src.a, d + 12, 4);
        memcpy(p->dst.a, d + 16, 4);
        if ((frag & 0x1FFF) || (frag & 0x2000)) {
            *why = "IPv4 fragment";
            return false;
        }
        return decode_l4(p, d[9], d + hl, n - hl, why);
    }
    if (v == 6) {
        if (n < 40) {
            *why = "short IPv6 header";
            return false;
        }
        uint32_t plen = be16(d + 4);
        uint8_t nh = d[6];
        p->is_ip = true;
        p->src.family = p->dst.family = 6;
        memcpy(p->src.a, d + 8, 16);
        memcpy(p->dst.a, d + 24, 16);
        const uint8_t *q = d + 40;
        uint32_t m = n - 40;
        if (plen && plen < m)
            m = plen;
        /* extension headers */
        for (int i = 0; i < 8; i++) {
            if (nh == 0 || nh == 43 || nh == 60) {
                if (m < 8) {
                    *why = "short IPv6 extension header";
                    return false;
                }
                uint32_t el = ((uint32_t)q[1] + 1) * 8;
                if (el > m) {
                    *why = "bad IPv6 extension header";
                    return false;
                }
                nh = q[0];
                q += el;
                m -= el;
            } else if (nh == 44) {
                *why = "IPv6 fragment";
                return false;
            } else
                break;
        }
        return decode_l4(p, nh, q, m, why);
    }
    *why = "not IPv4 or IPv6";
    return false;
}

void cc_addr_str(const cc_addr *a, char *buf, size_t n)
{
    char t[64];
    if (a->family == 6) {
        inet_ntop(AF_INET6, a->a, t, sizeof t);
        snprintf(buf, n, "[%s]", t);
    } else {
        inet_ntop(AF_INET, a->a, t, sizeof t);
        snprintf(buf, n, "%s", t);
    }
}
