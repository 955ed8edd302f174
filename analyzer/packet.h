/*
 * packet.h - one captured packet, decoded down to its transport payload.
 */
#ifndef CHARGECAP_PACKET_H
#define CHARGECAP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cc_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t a[16];  /* IPv4 in the first 4 bytes */
} cc_addr;

typedef struct cc_packet {
    uint64_t frame;   /* 1-based, as Wireshark numbers it */
    int64_t ts_ns;
    uint32_t caplen, len;
    const uint8_t *data;

    /* Filled by cc_decode_packet(). */
    bool is_ip;
    cc_addr src, dst;
    uint8_t l4;       /* 6 TCP, 17 UDP, 0 other */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t tcp_flags;
    const uint8_t *payload;
    uint32_t payload_len;
    bool truncated;   /* the capture cut the packet short */
} cc_packet;

/* Decode link layer, IP and TCP/UDP headers.  Returns false when the
 * packet carries no TCP/UDP payload chargecap can use (with *why set). */
bool cc_decode_packet(int linktype, cc_packet *p, const char **why);

/* "10.0.0.1" or "[2001:db8::1]" */
void cc_addr_str(const cc_addr *a, char *buf, size_t n);

#endif
