/*
 * packet.h - one captured packet, decoded down to its transport payload:
 * link layers, IPv4 (with its fragments handed to ipfrag.c) and IPv6 with
 * extension headers, TCP and UDP headers.  No allocation, no copy.
 */
#ifndef CHARGECAP_PACKET_H
#define CHARGECAP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cc_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t a[16];  /* IPv4 in the first 4 bytes, the rest zero */
} cc_addr;

/* Why a packet carries nothing for chargecap (counted per file). */
typedef enum cc_skip {
    CC_SKIP_NONE = 0,
    CC_SKIP_LINK,      /* a link type chargecap does not read */
    CC_SKIP_NOT_IP,    /* ARP, LLDP, ... */
    CC_SKIP_OTHER_L4,  /* ICMP, ESP, ... */
    CC_SKIP_MALFORMED, /* a header that is cut short or inconsistent */
    CC_SKIP_IP6_FRAG,  /* IPv6 fragments are not reassembled */
    CC_SKIP__COUNT
} cc_skip;

typedef struct cc_packet {
    uint64_t frame;
    int64_t ts_ns;

    const uint8_t *ip;    /* the IP header (for re-encapsulation) */
    uint8_t ip_version;
    cc_addr src, dst;
    uint8_t l4;           /* 6 TCP, 17 UDP */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t tcp_flags;
    const uint8_t *payload;
    uint32_t payload_len; /* bytes captured */
    uint32_t wire_len;    /* bytes on the wire (more when the capture cut it) */

    /* IPv4 fragments (CC_PK_FRAGMENT) */
    uint16_t ip_id;
    uint8_t ip_proto;
    uint16_t frag_off;    /* in bytes */
    bool frag_more;
    const uint8_t *frag_data;
    uint32_t frag_len;    /* bytes captured */
    uint32_t frag_wire;   /* bytes the header announces */
} cc_packet;

typedef enum cc_pk_status {
    CC_PK_OK = 0,       /* TCP or UDP */
    CC_PK_FRAGMENT,     /* an IPv4 fragment: reassemble, then cc_decode_l4() */
    CC_PK_SKIP          /* nothing usable; *why says which kind */
} cc_pk_status;

/* Decode link layer, IP and the TCP/UDP header of data[0..caplen). */
cc_pk_status cc_decode_packet(int linktype, const uint8_t *data, uint32_t caplen, cc_packet *p,
                              cc_skip *why);
/* The transport header of an IP payload (after fragment reassembly). */
cc_pk_status cc_decode_l4(cc_packet *p, uint8_t proto, const uint8_t *d, uint32_t n,
                          uint32_t wire, cc_skip *why);

/* "10.0.0.1" or "2001:db8::1" (no brackets). */
void cc_addr_str(const cc_addr *a, char *buf, size_t n);

#endif
