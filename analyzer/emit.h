/*
 * emit.h - what a shard reports: records (JSON lines, --messages text,
 * session summaries for the report) and counters.
 *
 * Records go into chunks, each record tagged with the key of the event
 * that produced it (a counter the leader of a split file advances: one step
 * per packet, per eviction, per session ended at the end).  A chunk is
 * handed to the merger with a watermark: nothing with a smaller key will
 * follow.  The merger interleaves the shards' chunks by key, so the output
 * of -j N is the output of -j 1.
 */
#ifndef CHARGECAP_EMIT_H
#define CHARGECAP_EMIT_H

#include "sbuf.h"
#include "session.h"

#define CC_SCHEMA_VERSION 1
#define CC_STR(x) #x
#define CC_XSTR(x) CC_STR(x)
#define CC_FIRST_FRAMES 5

enum cc_rtype { CC_R_JSON = 1, CC_R_TEXT, CC_R_SESS };

struct cc_stats;

typedef struct cc_chunk {
    struct cc_chunk *next;
    uint64_t watermark; /* records with keys up to this one are all here */
    bool last;          /* the producer has finished */
    struct cc_stats *stats; /* with the last chunk: the producer's counters */
    sbuf data;          /* [u64 key][u8 type][u32 len][len bytes]... */
} cc_chunk;

typedef void (*cc_chunk_fn)(void *ctx, cc_chunk *c);

/* A new chunk with room for records: one given back earlier, with its
 * buffer, when there is one (any thread). */
cc_chunk *cc_chunk_new(void);
/* Give a consumed chunk back (any thread): its counters are freed, its
 * buffer is kept for cc_chunk_new() while few are kept, else freed. */
void cc_chunk_release(cc_chunk *c);

typedef struct cc_vstat {
    uint64_t count;
    uint64_t first[CC_FIRST_FRAMES]; /* the lowest frame numbers, sorted */
    uint8_t n_first;
} cc_vstat;

typedef struct cc_pstat {
    uint64_t sessions, messages, garbage, ck[4], stream, gap;
} cc_pstat;

/* Counters of one file (or one shard of it). */
typedef struct cc_stats {
    cc_pstat proto[CC_MAX_PROTOS + 1]; /* [n_protocols]: unidentified */
    cc_vstat *v[CC_MAX_PROTOS];        /* by violation code of each protocol */
    cc_vstat a[CC_A__COUNT];           /* analyzer-only codes */
    uint64_t violations;
    int worst;                         /* highest severity seen, 0 none */
    /* whole-file facts (shard 0, the reader of the file, sets them) */
    uint64_t frames, bytes_read, tcp_packets, udp_packets, frag_dropped;
    uint64_t skipped[CC_SKIP__COUNT];
    int lt_val[8];                     /* frames by link type (the first 8) */
    uint64_t lt_count[8];
    int64_t first_ts, last_ts;
    char format[24];
    char damaged[320], warning[200], open_error[320], extract_error[256];
} cc_stats;

void cc_stats_init(cc_stats *s);
void cc_stats_free(cc_stats *s);
/* dst += src (counts add, first frames merge, whole-file facts from the
 * first that has them). */
void cc_stats_merge(cc_stats *dst, const cc_stats *src);

/* A session as the report needs it (CC_R_SESS records). */
typedef struct cc_sess_sum {
    uint64_t id, first_frame, last_frame, messages, violations, gap;
    uint64_t bytes[2], packets[2];
    int64_t first_ts, last_ts;
    int proto; /* index in cs_protocols, -1 unidentified */
    uint8_t l4, end, state, n_dev;
    bool client_known;
    cc_addr addr[2];
    uint16_t port[2];
    cc_device dev[CC_MAX_DEVICES];
} cc_sess_sum;

typedef struct cc_pdu {
    uint64_t frame, off;
    int64_t ts;
    const uint8_t *b;
    uint32_t len;
    int side;
} cc_pdu;

typedef struct cc_vrec {
    const cs_proto *p; /* NULL: an analyzer-only code (cc_acodes) */
    int code;
    uint64_t frame;
    int64_t ts;
    bool has_off;
    uint64_t off;
    uint32_t len;
    const uint8_t *hex;
    uint32_t hex_len;
    const char *msg;   /* NULL: the code's summary */
} cc_vrec;

typedef struct cc_emit cc_emit;

cc_emit *cc_emit_new(const cc_config *cfg, const char *file, cc_chunk_fn fn, void *ctx);
void cc_emit_free(cc_emit *e);
cc_stats *cc_emit_stats(cc_emit *e);
/* The key of the records that follow. */
void cc_emit_key(cc_emit *e, uint64_t key);
/* Hand the current chunk over (when it holds enough, or `force`); the
 * last one carries the counters. */
void cc_emit_flush(cc_emit *e, uint64_t watermark, bool force, bool last, struct cc_stats *stats);

void cc_emit_message(cc_emit *e, const cc_session *s, const cc_pdu *pdu, const cs_out *o);
void cc_emit_violation(cc_emit *e, const cc_session *s, const cc_vrec *v);
void cc_emit_session(cc_emit *e, const cc_session *s);

/* Severity of a violation record. */
static inline int cc_vrec_severity(const cc_vrec *v)
{
    return v->p ? (int)v->p->violations[v->code].severity : (int)cc_acodes[v->code].severity;
}

/* The state of a TCP session's close as a word ("fin", "rst", ...). */
const char *cc_state_name(uint8_t state);
uint8_t cc_session_state(const cc_session *s);

#endif
