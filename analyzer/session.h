/*
 * session.h - sessions (TCP connections, UDP peer pairs): reassembly,
 * identification and decoding through the shared library.
 */
#ifndef CHARGECAP_SESSION_H
#define CHARGECAP_SESSION_H

#include "packet.h"

#include "chargeproto.h"

#include <glib.h>

typedef struct cc_session cc_session;
typedef struct cc_tracker cc_tracker;

/* Everything a decoded PDU (or garbage run) reports. */
typedef struct cc_message {
    const cc_session *s;
    const cs_proto *proto;
    uint64_t frame;
    int64_t ts_ns;
    uint64_t stream_off; /* offset of the PDU in its direction's stream */
    uint32_t len;
    const cs_out *out;   /* items, violations, summary */
    const uint8_t *bytes;
} cc_message;

/* A violation raised without a PDU of its own (end of session). */
typedef struct cc_late_violation {
    const cc_session *s;
    const cs_proto *proto;
    uint64_t frame;
    const cs_out *out;
    const cs_viol *v;
} cc_late_violation;

typedef struct cc_sink {
    void *ctx;
    void (*message)(void *ctx, const cc_message *m);
    void (*late)(void *ctx, const cc_late_violation *lv);
    void (*session_end)(void *ctx, const cc_session *s);
} cc_sink;

typedef struct cc_dir_stats {
    uint64_t packets, bytes;      /* payload bytes seen */
    uint64_t decoded, garbage;    /* bytes in PDUs / skipped as garbage */
    uint64_t unparsed;            /* before identification, or left at the end */
    uint64_t gap;                 /* bytes missing from the capture */
} cc_dir_stats;

struct cc_session {
    uint64_t id;              /* in order of first packet */
    uint8_t l4;
    cc_addr addr[2];          /* [0]: client when known, else first sender */
    uint16_t port[2];
    bool handshake;           /* SYN seen: addr[0] is the client */
    const cs_proto *proto;    /* NULL until identified */
    void *sess;               /* the library session */
    uint64_t first_frame, last_frame;
    int64_t first_ts, last_ts;
    cc_dir_stats dir[2];      /* [i]: sent by addr[i] */
    uint64_t messages;
    char device[80];
    bool closed, reset;

    /* reassembly, per direction */
    struct cc_stream {
        bool started;         /* sequence base known */
        uint32_t next_seq;
        GByteArray *buf;      /* bytes received in order, not yet framed */
        uint64_t consumed;    /* stream offset of buf[0] */
        GList *ooo;           /* out-of-order segments */
        bool decoding;        /* identified: framing runs */
        bool fin;
    } st[2];
};

/* What the command line decides, shared by every file of a run. */
#define CC_MAX_PROTOS 16
typedef struct cc_config {
    const cs_proto *port_hint[65536]; /* --port PROTO=PORT */
    uint32_t opts[CC_MAX_PROTOS][CS_MAX_OPTS]; /* by index in cs_protocols */
} cc_config;

/* Defaults: no hints, every option at its default. */
void cc_config_init(cc_config *c);
uint32_t *cc_config_opts(cc_config *c, const cs_proto *p);

cc_tracker *cc_tracker_new(const cc_sink *sink, const char *file, const cc_config *cfg);
void cc_tracker_free(cc_tracker *t);
void cc_tracker_packet(cc_tracker *t, const cc_packet *p);
/* End every session (in id order). */
void cc_tracker_finish(cc_tracker *t);

#endif
