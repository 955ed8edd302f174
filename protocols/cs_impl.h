/*
 * cs_impl.h - helpers for protocol implementations inside the library.
 * Not part of the public interface (chargeproto.h is).
 */
#ifndef CS_IMPL_H
#define CS_IMPL_H

#include "chargeproto.h"

#include <stddef.h>
#include <string.h>

/* ---- bounded reading ------------------------------------------------ */

static inline uint16_t cs_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint16_t cs_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t cs_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint32_t cs_le32(const uint8_t *p)
{
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

/* Mark the end of the stateless part of the output. */
static inline void cs_mark_stateless(cs_out *o)
{
    o->n_items_stateless = o->n_items;
    o->n_viols_stateless = o->n_viols;
}

/* The arena string at `off` (0: none, the arena was full) as a fact, while
 * there is room for one (check it before making the string). */
static inline void cs_fact_push(cs_out *o, cs_fact_kind kind, uint32_t off)
{
    if (!off || o->n_facts >= CS_MAX_FACTS)
        return;
    o->facts[o->n_facts].kind = (uint8_t)kind;
    o->facts[o->n_facts].str = off;
    o->n_facts++;
}

/* A fact of n bytes of text: what cs_fact_add(o, kind, "%s", s) makes
 * (a copy), without the format. */
void cs_fact_text(cs_out *o, cs_fact_kind kind, const char *s, size_t n);
/* The same with bytes that are not printable ASCII written as \xNN (and a
 * backslash as \x5C), as cs_arena_printable() copies them. */
void cs_fact_printable(cs_out *o, cs_fact_kind kind, const char *s, size_t n);

/* Hex of p[0..n) into buf ("7C000041"), NUL-terminated; returns buf. */
char *cs_hex(char *buf, size_t bufsize, const uint8_t *p, size_t n);

/* ---- request/response pairing -----------------------------------------
 * A request waits under a key (usually its command); the oldest waiting
 * request with the same key takes the next response.  A bounded table:
 * when full, the oldest request is given up as unanswered. */

#define CS_RR_MAX 32

typedef struct cs_rr_entry { /* 32 bytes: no padding between the fields */
    uint64_t key;
    int64_t ts_ns;
    uintptr_t tag;
    uint32_t frame;
    uint32_t aux; /* protocol data, e.g. the requested slot */
} cs_rr_entry;

typedef struct cs_rr {
    uint32_t n; /* first: beside the first entries, in one cache line */
    cs_rr_entry e[CS_RR_MAX];
} cs_rr;

/* Record a request; out->pending is set.  An evicted entry is reported
 * as unanswered (violation `v_unanswered`, on its own frame). */
void cs_rr_request(cs_rr *rr, const cs_proto *p, uint64_t key, uint32_t aux, const cs_ctx *ctx,
                   cs_out *o);
/* Match a response: on success fills out->req_* , adds request_in and
 * response_time items, copies the request's entry to *hit and returns
 * true.  On failure raises `v_unsolicited` (if >= 0) and returns false. */
bool cs_rr_response(cs_rr *rr, const cs_proto *p, uint64_t key, const cs_ctx *ctx, cs_out *o,
                    int v_unsolicited, cs_rr_entry *hit);
/* Report every waiting request as unanswered and empty the table. */
void cs_rr_end(cs_rr *rr, const cs_proto *p, cs_out *o);

/* The last-resort direction guess: servers listen on the lower port. */
static inline cs_dir cs_dir_by_ports(const cs_ctx *ctx)
{
    if (!ctx->src_port || !ctx->dst_port || ctx->src_port == ctx->dst_port)
        return CS_DIR_UNKNOWN;
    return ctx->dst_port < ctx->src_port ? CS_DIR_TO_SERVER : CS_DIR_TO_DEVICE;
}

/* ---- BCD ----------------------------------------------------------- */

/* Two decimal digits of a packed BCD byte; -1 when a nibble is > 9. */
static inline int cs_bcd2(uint8_t b)
{
    return ((b >> 4) > 9 || (b & 15) > 9) ? -1 : (b >> 4) * 10 + (b & 15);
}

#endif /* CS_IMPL_H */
