/*
 * session.h - one shard of the analysis: flows, sessions, TCP reassembly,
 * identification and decoding through the shared library.
 *
 * A shard reads every packet of a file.  It keeps the flow table for all
 * flows (so session numbers and evictions are the same in every shard),
 * and the full session state only for the flows it owns (session number
 * modulo the number of shards).  With one shard it owns everything.
 */
#ifndef CHARGECAP_SESSION_H
#define CHARGECAP_SESSION_H

#include "chargeproto.h"
#include "flow.h"
#include "packet.h"
#include "reader.h"

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
    /* accounting: stream = decoded + garbage + unparsed + gap */
    uint64_t packets, bytes, stream, decoded, garbage, unparsed, gap;
    /* TCP */
    bool started, fin;
    uint32_t next_seq;
    bool acked_set;
    uint32_t acked;        /* the highest ACK the peer sent for this direction */
    cc_ooo *ooo;
    uint32_t n_ooo, ooo_bytes;
    cc_seg_rec recent[CC_RECENT];
    uint8_t recent_i;
    /* framing: buf holds the stream from buf_off on, up to what arrived */
    uint8_t *buf;
    uint32_t blen, bcap;
    uint64_t buf_off;
    uint8_t mode;          /* CC_FM_* */
    uint64_t target;       /* CC_FM_TARGET / CC_FM_DISCARD: stream offset */
    uint64_t last_frame;   /* of the last in-order data */
    int64_t last_ts;
} cc_dir;

enum { CC_FM_NONE = 0, CC_FM_TARGET, CC_FM_MORE, CC_FM_DISCARD };

typedef struct cc_device {
    char id[64], firmware[48], iccid[40], signal[48];
    uint64_t first_frame, last_frame;
    int64_t first_ts, last_ts;
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
    uint64_t id;
    cc_flow *flow;
    uint8_t l4;
    cc_addr addr[2];       /* [0] the client (SYN sender, else first sender) */
    uint16_t port[2];
    bool client_known;     /* from the handshake */
    bool server_port_set;  /* Wireshark's tcpd->server_port */
    uint16_t server_port;
    bool syn[2], rst;
    const cs_proto *proto; /* NULL until identified */
    int proto_i;           /* cc_proto_index(proto) */
    uint64_t ident_frame;
    void *lib;             /* library session, from the first PDU on */
    uint8_t lib_side0;     /* our side that is the library's side 0 */
    uint64_t first_frame, last_frame;
    int64_t first_ts, last_ts;
    uint64_t frames;       /* capture frames, every fragment counted */
    uint64_t messages, garbage_runs, violations;
    uint8_t end;
    int first_linktype;
    cc_dir d[2];           /* [i]: sent by addr[i] */
    cc_device *dev;
    uint8_t n_dev, cur_dev;
    cc_pending *pend;
    uint32_t n_pend, cap_pend;
    uintptr_t next_tag;
    cc_xsess *x;
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
/* Frames skipped by reason, fragments given up: for the summary. */
void cc_shard_counts(const cc_shard *sh, uint64_t skipped[CC_SKIP__COUNT], uint64_t *frag_dropped,
                     uint64_t *tcp, uint64_t *udp);

#endif
