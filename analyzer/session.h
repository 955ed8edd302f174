/*
 * session.h - one shard of the analysis: flows, sessions, TCP reassembly,
 * identification and decoding through the shared library.
 *
 * With one thread, one shard reads every packet of a file, keeps the flow
 * table and every session.  When -j splits a file, a leader shard reads
 * it and keeps the flow table for all flows (session numbers, idle
 * sweeps, evictions), follows some sessions itself and hands each worker
 * shard the packets and ends of the sessions it gave that worker; see
 * cc_shard_leader() below.
 */
#ifndef CHARGECAP_SESSION_H
#define CHARGECAP_SESSION_H

#include "chargeproto.h"
#include "flow.h"
#include "packet.h"
#include "reader.h"
#include "sbuf.h"

#include <stdbool.h>
#include <stdint.h>

#define CC_MAX_PROTOS 16

/* ---- the run's configuration (shared, read-only during a run) ------------- */

typedef struct cc_config {
    uint8_t port_tcp[65536]; /* protocol index + 1: default ports and --port */
    uint8_t port_udp[65536];
    uint32_t opts[CC_MAX_PROTOS][CS_MAX_OPTS];
    uint32_t want;           /* CS_WANT_* for decoding */
    bool json, messages, text_messages;
    uint32_t max_sessions;
    int64_t idle_ns;         /* 0: never */
    int64_t linger_ns;       /* after FIN both ways or RST */
    uint32_t max_pdu;
    const char *extract_dir;
    bool payload;
    uint32_t fd_budget;
    uint64_t extract_mem;
} cc_config;

int cc_proto_index(const cs_proto *p);
/* Defaults: every protocol's ports and options. */
void cc_config_init(cc_config *c);
/* A protocol's port range string ("8003", "8000-8010,9000") into a table;
 * -1 when it does not parse. */
int cc_ports_parse(const char *ranges, uint8_t *table, uint8_t value);

/* ---- analyzer-only findings ------------------------------------------------ */

enum cc_acode {
    CC_A_TCP_GAP,
    CC_A_TCP_OVERLAP,
    CC_A_STREAM_TRUNCATED,
    CC_A_PDU_TOO_LARGE,
    CC_A_IDLE,
    CC_A_EVICTED,
    CC_A__COUNT
};
extern const cs_violation_def cc_acodes[CC_A__COUNT];

/* ---- sessions ---------------------------------------------------------------- */

typedef struct cc_seg_rec {
    uint32_t seq, len;
    uint64_t fold;
} cc_seg_rec;

typedef struct cc_ooo {
    struct cc_ooo *next;
    uint32_t seq, len;
    uint64_t frame;
    int64_t ts;
    uint8_t data[];
} cc_ooo;

#define CC_RECENT 4

typedef struct cc_dir {
    /* three cache lines (sessions are allocated on a line boundary).  The
     * first: what every packet of the connection touches */
    uint64_t packets, bytes;
    cc_ooo *ooo;           /* TCP: segments held out of order */
    uint32_t next_seq;
    uint32_t acked;        /* the highest ACK the peer sent for this direction */
    bool started, fin, acked_set;
    uint8_t mode;          /* CC_FM_* */
    uint8_t recent_i;
    /* accounting: stream = decoded + garbage + unparsed + gap */
    uint64_t decoded, garbage, gap;
    /* the second: what data in this direction touches */
    uint64_t stream;
    uint64_t last_frame;   /* of the last in-order data */
    int64_t last_ts;
    uint8_t *buf;          /* framing: buf holds the stream from buf_off on, */
    uint32_t blen, bcap;   /* up to what arrived */
    uint64_t buf_off;
    uint64_t target;       /* CC_FM_TARGET / CC_FM_DISCARD: stream offset */
    uint64_t unparsed;
    /* the third: the latest segments, for retransmissions */
    cc_seg_rec recent[CC_RECENT];
} cc_dir;
_Static_assert(sizeof(cc_dir) == 192, "cc_dir is three cache lines");

enum { CC_FM_NONE = 0, CC_FM_TARGET, CC_FM_MORE, CC_FM_DISCARD };

typedef struct cc_device {
    /* first: a message's device fact compares the ID and sets last_*,
     * in the first cache line */
    uint64_t first_frame, last_frame;
    int64_t first_ts, last_ts;
    char id[64], firmware[48], iccid[40], signal[48];
} cc_device;

#define CC_MAX_DEVICES 4

typedef struct cc_pending {
    uintptr_t tag;
    uint64_t frame, off;
    int64_t ts;
    uint8_t head[16];      /* the request's first bytes, for the report's hex */
    uint8_t head_len;
} cc_pending;

/* Why a session ended. */
enum cc_end {
    CC_END_CAPTURE = 0, /* the capture ended */
    CC_END_CLOSED,      /* FIN both ways or RST, then the linger time */
    CC_END_IDLE,        /* --idle-timeout */
    CC_END_EVICTED,     /* the session table was full */
    CC_END_REUSED       /* a new SYN on the same ports */
};
extern const char *const cc_end_names[];

typedef struct cc_xsess cc_xsess;

typedef struct cc_session {
    /* what every packet touches, first: two cache lines (sessions are
     * allocated on a cache-line boundary), then each direction's first */
    cc_addr addr[2];       /* [0] the client (SYN sender, else first sender) */
    uint16_t port[2];
    uint8_t l4;
    bool syn[2], rst;
    bool client_known;     /* from the handshake */
    bool server_port_set;  /* Wireshark's tcpd->server_port */
    uint16_t server_port;
    uint8_t lib_side0;     /* our side that is the library's side 0 */
    const cs_proto *proto; /* NULL until identified */
    void *lib;             /* library session, from the first PDU on */
    uint64_t last_frame;
    int64_t last_ts;
    uint64_t frames;       /* capture frames, every fragment counted */
    uint64_t messages;
    uintptr_t next_tag;
    uint8_t proto_i;       /* cc_proto_index(proto) */
    uint8_t n_dev, cur_dev;
    uint16_t n_pend, cap_pend;
    cc_device *dev;        /* here, so a packet with data can ask for the
                            * current device's record early */
    cc_pending *pend;
    cc_dir d[2] __attribute__((aligned(64))); /* [i]: sent by addr[i] */
    /* the rest */
    uint64_t id;
    cc_flow *flow;
    cc_xsess *x;
    uint64_t ident_frame;
    uint64_t first_frame;
    int64_t first_ts;
    uint64_t garbage_runs, violations;
    uint8_t end;
    int first_linktype;
    uint32_t n_ooo[2], ooo_bytes[2]; /* TCP: held out of order, per direction */
} cc_session;

/* ---- a shard -------------------------------------------------------------------- */

typedef struct cc_emit cc_emit;
typedef struct cc_extract cc_extract;
typedef struct cc_shard cc_shard;

cc_shard *cc_shard_new(const cc_config *cfg, cc_emit *emit, cc_extract *x, int shard,
                       int nshards);
void cc_shard_free(cc_shard *sh);
/* One record of the capture. */
void cc_shard_packet(cc_shard *sh, const cc_rec *rec);
/* End every session still open, in session-number order. */
void cc_shard_finish(cc_shard *sh);
/* The event counter: every record so far has a key up to it. */
uint64_t cc_shard_ev(const cc_shard *sh);
/* ---- -j: one reader (the leader) follows the flows, the shards the sessions ----
 *
 * The leader is shard 0: it reads the file, decodes the headers, keeps the
 * flow table (session numbers, idle sweeps, evictions, port reuse: every
 * decision that needs all flows).  When a flow starts, `assign` says which
 * shard follows its session: the leader itself, or a worker.  The leader
 * hands each worker, through `route`, what concerns its sessions, in the
 * order of the event keys: a packet of one of its flows, or the end of
 * one.  A worker is a shard that only follows those sessions
 * (cc_shard_op), so no packet is decoded twice. */
enum { CC_OP_PACKET = 1, CC_OP_END = 2 };
typedef struct cc_op {
    uint8_t kind;       /* CC_OP_* */
    uint8_t why;        /* CC_OP_END: enum cc_end */
    uint8_t fresh;      /* CC_OP_PACKET: the first packet of the flow */
    uint8_t pad;
    int32_t linktype;
    uint32_t flow;      /* the flow's entry in the leader's table */
    uint32_t caplen, len;
    uint32_t dlen;      /* a reassembled datagram's bytes (after the packet's) */
    uint32_t rawlen;    /* the other fragments' records, for --extract (after those) */
    uint32_t ip_off, payload_off; /* pk's pointers, as offsets into the bytes */
    uint64_t frame, ev, id;
    int64_t ts;
    cc_packet pk;       /* CC_OP_PACKET: the headers, decoded by the leader */
} cc_op;

typedef void (*cc_route_fn)(void *ctx, int worker, const cc_op *op, const uint8_t *data,
                            const uint8_t *dgram, const sbuf *raw);
/* The shard that will follow a new flow's session: 0 (the leader) or a worker. */
typedef int (*cc_assign_fn)(void *ctx);
/* The leader of a file split into `nshards` shards: shard 0, which reads the
 * file and keeps the flow table, follows the sessions `assign` gives it
 * itself (into emit and x, like a shard of its own) and routes the others'
 * operations to their workers (1 .. nshards-1).  keep_raw: fragments'
 * records for --extract. */
cc_shard *cc_shard_leader(const cc_config *cfg, cc_emit *emit, cc_extract *x, int nshards,
                          bool keep_raw, cc_route_fn route, cc_assign_fn assign, void *ctx);
/* One operation of the leader, in a worker (`bytes`: the packet, then the
 * datagram, then the raw records).  The event key becomes op->ev. */
void cc_shard_op(cc_shard *sh, const cc_op *op, const uint8_t *bytes);
/* A worker has seen every operation up to key `ev`. */
void cc_shard_set_ev(cc_shard *sh, uint64_t ev);

/* Frames skipped by reason, fragments given up: for the summary. */
void cc_shard_counts(const cc_shard *sh, uint64_t skipped[CC_SKIP__COUNT], uint64_t *frag_dropped,
                     uint64_t *tcp, uint64_t *udp);

#endif
