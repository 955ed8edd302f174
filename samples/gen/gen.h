/*
 * gen.h - chargegen: deterministic capture generator.
 *
 * A capture writer (classic pcap), a TCP/UDP conversation builder that
 * emits handshakes, segments and teardown with correct sequence numbers,
 * a byte builder for payloads, and a seeded PRNG.  Every scenario is a
 * function of its seed: the same command writes the same bytes.
 */
#ifndef CHARGEGEN_H
#define CHARGEGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- byte builder --------------------------------------------------- */

typedef struct gbuf {
    uint8_t *p;
    size_t n, cap;
} gbuf;

void gb_reset(gbuf *b);
void gb_free(gbuf *b);
void gb_put(gbuf *b, const void *data, size_t n);
void gb_u8(gbuf *b, uint8_t v);
void gb_be16(gbuf *b, uint16_t v);
void gb_be32(gbuf *b, uint32_t v);
void gb_le16(gbuf *b, uint16_t v);
void gb_le32(gbuf *b, uint32_t v);
void gb_hex(gbuf *b, const char *hex); /* "00 1c 64" */
/* Woshi-style string: Len u16 BE (counting the NUL), text, NUL. */
void gb_lstr(gbuf *b, const char *s);

/* ---- PRNG (xorshift64*) ----------------------------------------------- */

typedef struct grng {
    uint64_t s;
} grng;

void rng_seed(grng *r, uint64_t seed);
uint64_t rng_next(grng *r);
/* Uniform in [lo, hi]. */
uint32_t rng_range(grng *r, uint32_t lo, uint32_t hi);

/* ---- capture writer ----------------------------------------------------- */

#define GEN_LINKTYPE_ETHERNET 1

/* How captures are written.  The defaults (Ethernet, microsecond pcap in
 * host byte order, IPv4) write the committed samples; the options write
 * the same traffic in another form, for chargecap's variant tests. */
typedef enum gen_link {
    GEN_LINK_DEFAULT = 0, /* the scenario's (Ethernet) */
    GEN_LINK_ETH,
    GEN_LINK_VLAN,        /* Ethernet with an 802.1Q tag */
    GEN_LINK_QINQ,        /* Ethernet with 802.1ad + 802.1Q tags */
    GEN_LINK_SLL,         /* Linux cooked capture */
    GEN_LINK_SLL2,        /* Linux cooked capture v2 (tcpdump -i any) */
    GEN_LINK_RAW,         /* raw IP */
    GEN_LINK_NULL,        /* BSD loopback, host byte order */
    GEN_LINK_LOOP,        /* OpenBSD loopback, network byte order */
    GEN_LINK_MIXED        /* pcapng: interfaces of Ethernet and SLL2, alternating */
} gen_link;

typedef enum gen_format {
    GEN_FMT_PCAP = 0,
    GEN_FMT_PCAP_NS,      /* nanosecond pcap */
    GEN_FMT_PCAPNG,       /* nanosecond resolution (if_tsresol 9) */
    GEN_FMT_PCAPNG_US     /* the default microsecond resolution, no option */
} gen_format;

typedef struct gen_writer_opts {
    gen_link link;
    gen_format format;
    bool swap;            /* headers in the other byte order */
    bool ipv6;            /* every IPv4 packet as IPv6 (2001:db8::a.b.c.d) */
    bool ipv6_ext;        /* with hop-by-hop and destination options headers */
    bool gzip;            /* gzip-compressed */
    uint32_t fragment;    /* IPv4: fragment IP payloads longer than this */
    bool frag_reverse;    /* write a datagram's fragments last first */
} gen_writer_opts;

extern gen_writer_opts gen_wopts;

/* Set a writer option from the command line ("--link", "sll2"); 0 on
 * success, -1 when the name or the value is unknown.  Names: --link
 * eth|vlan|qinq|sll|sll2|raw|null|loop|mixed, --format pcap|pcap-ns|pcapng|pcapng-us,
 * --swap, --ipv6, --ipv6-ext, --gzip, --fragment N, --fragment-reverse.
 * *used: how many arguments it took (1 or 2). */
int gen_writer_option(const char *name, const char *value, int *used);

typedef struct gcap {
    FILE *f;
    uint32_t linktype;
    int64_t now_ns; /* the clock: every packet is stamped with it */
    uint64_t packets;
    uint64_t bytes;
    uint16_t ip_id;
    /* the writer's own */
    void *gz;
    gen_writer_opts o;
    uint32_t iface_lt[2];
    int n_ifaces;
} gcap;

gcap *gen_open(const char *path, uint32_t linktype, int64_t start_ns);
/* Returns 0, or -1 when a write failed. */
int gen_close(gcap *c);
void gen_advance(gcap *c, int64_t ns);
/* Write one IPv4 packet (protocol `proto`, payload l4) framed for the
 * capture's link type. */
void gen_ipv4(gcap *c, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
              const uint8_t *l4, size_t l4len);

/* ---- TCP ------------------------------------------------------------------ */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

typedef struct gtcp {
    gcap *cap;
    uint8_t cip[4], sip[4];
    uint16_t cport, sport;
    uint32_t cseq, sseq; /* next sequence number each side sends */
    int64_t gap_ns;      /* time between packets of one send */
} gtcp;

/* Client is the device (cabinet, pile, gateway). */
void tcp_init(gtcp *t, gcap *cap, const char *cip, uint16_t cport, const char *sip,
              uint16_t sport, uint32_t cisn, uint32_t sisn);
void tcp_handshake(gtcp *t);
/* Send len bytes from the client (from_client) or the server, cut into
 * segments of the given sizes (0-terminated list; NULL = one segment);
 * the peer acknowledges the last segment. */
void tcp_send(gtcp *t, bool from_client, const uint8_t *data, size_t len, const size_t *cuts);
/* The same, cut into segments of at most mss bytes. */
void tcp_send_mss(gtcp *t, bool from_client, const uint8_t *data, size_t len, size_t mss);
void tcp_close(gtcp *t, bool client_first);
/* Like tcp_send, with a fate for each segment, one character each ('.' or
 * past the end of `fates`: as sent):
 *   'd' dropped: sent but not captured (a gap the peer acknowledges);
 *   'r' retransmitted unchanged after the peer's acknowledgement;
 *   'a' retransmitted after the acknowledgement with one byte altered;
 *   's' swapped: captured after the next segment (out of order). */
void tcp_send_ex(gtcp *t, bool from_client, const uint8_t *data, size_t len, const size_t *cuts,
                 const char *fates);
/* One segment exactly as given (does not move the sequence numbers). */
void tcp_segment(gtcp *t, bool from_client, uint32_t seq, uint8_t flags, const uint8_t *data,
                 size_t len);

/* ---- UDP ---------------------------------------------------------------- */

void udp_send(gcap *cap, const char *src, uint16_t sport, const char *dst, uint16_t dport,
              const uint8_t *data, size_t len);

void ip_parse(const char *s, uint8_t out[4]);

/* ---- scenarios ----------------------------------------------------------- */

typedef int (*gen_scenario_fn)(const char *path, uint64_t seed);

typedef struct gen_scenario {
    const char *name;
    const char *desc;
    gen_scenario_fn fn;
} gen_scenario;

/* Each protocol's file defines its scenarios. */
int gen_woshi_session(const char *path, uint64_t seed);
int gen_woshi_faults(const char *path, uint64_t seed);
int gen_noise(const char *path, uint64_t seed);
int gen_evpile_session(const char *path, uint64_t seed);
int gen_evpile_faults(const char *path, uint64_t seed);
int gen_depgate_session(const char *path, uint64_t seed);
int gen_depgate_faults(const char *path, uint64_t seed);
int gen_ruioo_session(const char *path, uint64_t seed);
int gen_ruioo_faults(const char *path, uint64_t seed);
int gen_aicloud_session(const char *path, uint64_t seed);
int gen_aicloud_p2p(const char *path, uint64_t seed);
int gen_aicloud_field(const char *path, uint64_t seed);
int gen_aicloud_faults(const char *path, uint64_t seed);
/* chargecap's own test captures (edge_gen.c) */
int gen_tcp_edges(const char *path, uint64_t seed);
int gen_garbage_runs(const char *path, uint64_t seed);
int gen_hostile_ids(const char *path, uint64_t seed);
int gen_many_sessions(const char *path, uint64_t seed);

/* Woshi frames: header + payload with the XOR checksum computed, unless
 * `cksum` >= 0 forces a byte. */
void woshi_put(gbuf *out, uint8_t cmd, const uint8_t *payload, size_t n, int cksum,
               uint32_t token);

/* EV pile frames: header, data, end marker 0x68 and the byte sum. */
void evpile_put(gbuf *out, uint32_t terminal, uint8_t cmd, uint8_t src, uint8_t type,
                const uint8_t *data, size_t n);
/* AI-Cloud frames (aicloud_gen.c): the logical frame is built, its CRC
 * computed, then every byte between head and tail escaped. */
typedef struct ac_spec {
    int dialect;          /* 1 documented (tail 55), 2 field (tail AA) */
    int crc;              /* a cs_crc16_variant */
    uint8_t cls, cmd, status;
    uint16_t seq, ext;
    uint8_t dev[8];
    const uint8_t *token; /* documented: NULL = no token; field: NULL = 8 zero bytes */
    size_t token_len;     /* documented: the bytes after the length byte */
    const uint8_t *data;
    size_t data_len;
    int len;              /* 0 the unescaped size, -1 the on-wire size, else this value */
    bool crc_forced;      /* store crc_stored instead of the computed CRC */
    uint16_t crc_stored;
    bool no_tail;         /* leave the tail off */
    int raw_byte;         /* > 0: the first such byte of the data goes on the wire
                             unescaped (a device that forgot to escape it) */
} ac_spec;

/* The logical (unescaped) frame, head to tail. */
void aicloud_logical(gbuf *out, const ac_spec *f);
/* The frame as it goes on the wire. */
void aicloud_put(gbuf *out, const ac_spec *f);

#endif
