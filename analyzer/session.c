/*
 * session.c - a shard: flows, sessions, TCP reassembly, identification,
 * framing and decoding through the shared library.
 *
 * Agreement with the Wireshark plugin (plugin/engine.c) is the point:
 *   - a session is identified as Wireshark does it: the port table (the
 *     protocols' default ports and --port, lower port first), else the
 *     protocols' strict probes on each segment (or datagram) with payload
 *     while the session is unclaimed; bytes before that are unparsed;
 *   - framing runs as each in-order segment arrives, on exactly the bytes
 *     tcp_dissect_pdus() would hand to get_pdu_len: from the start of a
 *     PDU to the end of the segment, or to the end of the PDU it waited
 *     for, or the whole next segment after "one more segment";
 *   - each PDU (or garbage run) is framed again on its own bytes to decide
 *     PDU or garbage, as dissect_one() does;
 *   - the library session starts at the first PDU, with the sender of that
 *     PDU as its side 0 and "start seen" when a SYN was; the transport
 *     direction comes from the SYN only (Wireshark's server port);
 *   - a PDU belongs to the frame holding its last byte;
 *   - UDP: each datagram on its own, PDUs whole, too few bytes are garbage.
 * What only chargecap can see (gaps, overlaps that differ, streams that
 * end inside a PDU, evictions) is reported under its own codes.
 */
#include "session.h"

#include "emit.h"
#include "extract.h"
#include "ipfrag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define OOO_MAX_SEGMENTS 64
#define OOO_MAX_BYTES (256u * 1024)
#define MAX_PENDING 256
#define POOL_CLASSES 9 /* 256 B .. 64 KiB */
#define POOL_KEEP 256

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)

const cs_violation_def cc_acodes[CC_A__COUNT] = {
    [CC_A_TCP_GAP] = {"tcp.gap", CS_SEV_WARN, CS_GRP_SEQUENCE,
                      "Bytes missing from the capture; the stream resumes after them"},
    [CC_A_TCP_OVERLAP] = {"tcp.overlap_mismatch", CS_SEV_WARN, CS_GRP_SEQUENCE,
                          "Retransmitted bytes differ from the bytes first received"},
    [CC_A_STREAM_TRUNCATED] = {"stream.truncated", CS_SEV_NOTE, CS_GRP_MALFORMED,
                               "The stream ends inside a PDU"},
    [CC_A_PDU_TOO_LARGE] = {"stream.pdu_too_large", CS_SEV_WARN, CS_GRP_MALFORMED,
                            "A PDU longer than --max-pdu was skipped unparsed"},
    [CC_A_IDLE] = {"session.idle_timeout", CS_SEV_NOTE, CS_GRP_SEQUENCE,
                   "The session was idle longer than --idle-timeout and was ended"},
    [CC_A_EVICTED] = {"session.evicted", CS_SEV_WARN, CS_GRP_SEQUENCE,
                      "The session table was full; this session was ended early"},
};

/* ---- configuration ------------------------------------------------------------- */

int cc_proto_index(const cs_proto *p)
{
    int i = 0;
    for (; cs_protocols[i] && i < CC_MAX_PROTOS; i++)
        if (cs_protocols[i] == p)
            return i;
    return i; /* NULL: the slot after the last protocol */
}

int cc_ports_parse(const char *ranges, uint8_t *table, uint8_t value)
{
    const char *s = ranges;
    while (s && *s) {
        while (*s == ' ' || *s == ',')
            s++;
        if (!*s)
            break;
        char *end;
        unsigned long a = strtoul(s, &end, 10), b;
        if (end == s || a > 65535)
            return -1;
        s = end;
        while (*s == ' ')
            s++;
        if (*s == '-') {
            s++;
            b = strtoul(s, &end, 10);
            if (end == s || b > 65535 || b < a)
                return -1;
            s = end;
        } else {
            b = a;
        }
        while (*s == ' ')
            s++;
        if (*s && *s != ',')
            return -1;
        for (unsigned long p = a; p <= b; p++)
            if (p)
                table[p] = value;
    }
    return 0;
}

void cc_config_init(cc_config *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; cs_protocols[i] && i < CC_MAX_PROTOS; i++) {
        const cs_proto *p = cs_protocols[i];
        cs_opts_default(p, c->opts[i]);
        if (p->transports & CS_TR_TCP)
            cc_ports_parse(p->tcp_ports, c->port_tcp, (uint8_t)(i + 1));
        if (p->transports & CS_TR_UDP)
            cc_ports_parse(p->udp_ports, c->port_udp, (uint8_t)(i + 1));
    }
    c->max_sessions = 100000;
    c->idle_ns = 900LL * 1000000000;
    c->linger_ns = 10LL * 1000000000;
    c->max_pdu = 1u << 20;
    c->fd_budget = 64;
    c->extract_mem = 32u << 20;
}

/* ---- the shard ------------------------------------------------------------------- */

typedef struct pool_node {
    struct pool_node *next;
} pool_node;

struct cc_shard {
    const cc_config *cfg;
    cc_emit *emit;
    cc_extract *x;
    int shard, nshards;
    cc_flows *flows;
    cc_frag_table *frag;
    uint64_t next_id, ev;
    cs_out out;
    uint64_t frame;   /* the record being processed */
    int64_t ts;
    pool_node *pool[POOL_CLASSES];
    uint32_t pool_n[POOL_CLASSES];
    uint64_t skipped[CC_SKIP__COUNT], tcp, udp;
    char msg[320];
    /* -j leader: where the workers' operations go */
    cc_route_fn route;
    cc_assign_fn assign;
    void *route_ctx;
    bool keep_raw;
    /* -j worker: its sessions by the leader's flow entry */
    cc_session **by_flow;
    uint32_t n_by_flow;
    /* sessions' memory: slabs of SSLAB from the hot chunks, each session
     * on a cache-line boundary; ended sessions wait in a free list for the
     * next */
    void *sfree;
    /* the hot chunks (hot_alloc) */
    void *hot;
    char *hot_at;
    size_t hot_left;
    /* ended library sessions, by protocol, for the next of their kind */
    void *lfree[CC_MAX_PROTOS];
};

/* Free lists of blocks of one size: the link in a block's first bytes.  A
 * block in a list is poisoned under AddressSanitizer, so a use after its
 * end is still caught. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static void fl_push(void **head, void *p, size_t n)
{
    memcpy(p, head, sizeof *head);
    *head = p;
    POISON(p, n);
}

static void *fl_pop(void **head, size_t n)
{
    void *p = *head;
    if (p) {
        UNPOISON(p, n);
        memcpy(head, p, sizeof *head);
    }
    return p;
}

/* Memory for what every packet touches: sessions and library states.  It
 * comes from 2 MiB chunks the kernel is asked to back with huge pages
 * (MADV_HUGEPAGE; Linux does when transparent huge pages are "madvise" or
 * "always"), so ten thousand live sessions need a few TLB entries instead
 * of thousands.  Nothing is given back before the shard ends: ended
 * sessions and states wait in free lists for the next.  Under
 * AddressSanitizer every block is followed by a poisoned gap, as malloc's
 * blocks are. */
#define HOT_CHUNK ((size_t)2 << 20)
#if defined(__SANITIZE_ADDRESS__)
#define HOT_GAP 64
#else
#define HOT_GAP 0
#endif

_Static_assert(CS_MAX_SESS_SIZE + HOT_GAP <= HOT_CHUNK - 64, "a library state fits a chunk");

static void *hot_alloc(cc_shard *sh, size_t n)
{
    n = (n + 63) & ~(size_t)63;
    if (n + HOT_GAP > HOT_CHUNK - 64)
        return NULL;
    if (sh->hot_left < n + HOT_GAP) {
        char *c = aligned_alloc(HOT_CHUNK, HOT_CHUNK);
        if (!c)
            return NULL;
#ifdef MADV_HUGEPAGE
        madvise(c, HOT_CHUNK, MADV_HUGEPAGE); /* a hint: without it, small pages */
#endif
        memcpy(c, &sh->hot, sizeof sh->hot); /* the chunks' list, in their first line */
        sh->hot = c;
        sh->hot_at = c + 64;
        sh->hot_left = HOT_CHUNK - 64;
        POISON(sh->hot_at, sh->hot_left);
    }
    char *p = sh->hot_at;
    sh->hot_at += n + HOT_GAP;
    sh->hot_left -= n + HOT_GAP;
    UNPOISON(p, n);
    return p;
}

#define SSLAB 64

static cc_session *sess_alloc(cc_shard *sh)
{
    if (!sh->sfree) {
        cc_session *b = hot_alloc(sh, SSLAB * sizeof *b);
        if (!b)
            return NULL;
        for (int i = SSLAB - 1; i >= 0; i--)
            fl_push(&sh->sfree, &b[i], sizeof b[i]);
    }
    return fl_pop(&sh->sfree, sizeof(cc_session));
}

/* A library session of protocol pi (its state, sess_size bytes, not set
 * up: sess_init does that). */
static void *lib_alloc(cc_shard *sh, int pi, size_t size)
{
    void *l = fl_pop(&sh->lfree[pi], size);
    return l ? l : hot_alloc(sh, size < sizeof(void *) ? sizeof(void *) : size);
}

cc_shard *cc_shard_new(const cc_config *cfg, cc_emit *emit, cc_extract *x, int shard, int nshards)
{
    cc_shard *sh = calloc(1, sizeof *sh);
    if (!sh)
        return NULL;
    sh->cfg = cfg;
    sh->emit = emit;
    sh->x = x;
    sh->shard = shard;
    sh->nshards = nshards > 0 ? nshards : 1;
    sh->flows = cc_flows_new(cfg->max_sessions);
    sh->frag = cc_frag_new();
    cs_out_init(&sh->out, cfg->want);
    if (!sh->flows || !sh->frag) {
        cc_shard_free(sh);
        return NULL;
    }
    return sh;
}

static void session_free(cc_shard *sh, cc_session *s);

cc_shard *cc_shard_leader(const cc_config *cfg, cc_emit *emit, cc_extract *x, int nshards,
                          bool keep_raw, cc_route_fn route, cc_assign_fn assign, void *ctx)
{
    cc_shard *sh = cc_shard_new(cfg, emit, x, 0, nshards);
    if (sh) {
        sh->route = route;
        sh->assign = assign;
        sh->route_ctx = ctx;
        sh->keep_raw = keep_raw;
    }
    return sh;
}

void cc_shard_free(cc_shard *sh)
{
    if (!sh)
        return;
    for (uint32_t i = 0; i < sh->n_by_flow; i++)
        if (sh->by_flow[i])
            session_free(sh, sh->by_flow[i]);
    free(sh->by_flow);
    if (sh->flows) {
        cc_flow **all;
        uint32_t n = cc_flows_all(sh->flows, &all);
        for (uint32_t i = 0; i < n; i++)
            if (all[i]->sess)
                session_free(sh, all[i]->sess);
        free(all);
        cc_flows_free(sh->flows);
    }
    while (sh->hot) {
        char *c = sh->hot;
        UNPOISON(c, HOT_CHUNK);
        memcpy(&sh->hot, c, sizeof sh->hot);
        free(c);
    }
    cc_frag_free(sh->frag);
    cs_out_free(&sh->out);
    for (int c = 0; c < POOL_CLASSES; c++)
        while (sh->pool[c]) {
            pool_node *n = sh->pool[c];
            sh->pool[c] = n->next;
            free(n);
        }
    free(sh);
}

void cc_shard_counts(const cc_shard *sh, uint64_t skipped[CC_SKIP__COUNT], uint64_t *frag_dropped,
                     uint64_t *tcp, uint64_t *udp)
{
    memcpy(skipped, sh->skipped, sizeof sh->skipped);
    *frag_dropped = cc_frag_dropped(sh->frag, true);
    *tcp = sh->tcp;
    *udp = sh->udp;
}

/* ---- framing buffers: recycled by size class ------------------------------------- */

static int pool_class(uint32_t size)
{
    int c = 0;
    uint32_t s = 256;
    while (s < size && c < POOL_CLASSES) {
        s <<= 1;
        c++;
    }
    return c; /* POOL_CLASSES: too big to pool */
}

static void buf_release(cc_shard *sh, cc_dir *d)
{
    if (!d->buf)
        return;
    int c = pool_class(d->bcap);
    if (c < POOL_CLASSES && (256u << c) == d->bcap && sh->pool_n[c] < POOL_KEEP) {
        pool_node *n = (pool_node *)d->buf;
        n->next = sh->pool[c];
        sh->pool[c] = n;
        sh->pool_n[c]++;
    } else {
        free(d->buf);
    }
    d->buf = NULL;
    d->blen = d->bcap = 0;
}

static void buf_append(cc_shard *sh, cc_dir *d, const uint8_t *p, uint32_t n)
{
    if (d->blen + n > d->bcap) {
        uint32_t need = d->blen + n;
        int c = pool_class(need);
        uint8_t *nb;
        uint32_t cap;
        if (c < POOL_CLASSES && sh->pool[c]) {
            nb = (uint8_t *)sh->pool[c];
            sh->pool[c] = sh->pool[c]->next;
            sh->pool_n[c]--;
            cap = 256u << c;
        } else {
            /* beyond the pool: grow by half again at least, so a long PDU
             * in many segments is not copied over and over */
            cap = c < POOL_CLASSES ? 256u << c
                                   : (need > d->bcap + d->bcap / 2 ? need : d->bcap + d->bcap / 2);
            nb = malloc(cap);
            if (!nb) {
                fputs("chargecap: out of memory\n", stderr);
                abort();
            }
        }
        if (d->blen)
            memcpy(nb, d->buf, d->blen);
        uint32_t keep = d->blen;
        buf_release(sh, d);
        d->buf = nb;
        d->bcap = cap;
        d->blen = keep;
    }
    memcpy(d->buf + d->blen, p, n);
    d->blen += n;
}

/* ---- reports ---------------------------------------------------------------------- */

static void violation(cc_shard *sh, cc_session *s, const cc_vrec *v)
{
    s->violations++;
    cc_emit_violation(sh->emit, s, v);
}

static void analyzer_violation(cc_shard *sh, cc_session *s, int code, uint64_t frame, int64_t ts,
                               bool has_off, uint64_t off, uint32_t len, const uint8_t *hex,
                               uint32_t hex_len, const char *msg)
{
    if (!s->proto)
        return; /* nobody asked about sessions of no known protocol */
    cc_vrec v = {.p = NULL, .code = code, .frame = frame, .ts = ts, .has_off = has_off,
                 .off = off, .len = len, .hex = hex, .hex_len = hex_len, .msg = msg};
    violation(sh, s, &v);
}

/* ---- requests waiting for an answer -------------------------------------------------- */

static cc_pending *pending_find(cc_session *s, uintptr_t tag)
{
    for (uint32_t i = 0; i < s->n_pend; i++)
        if (s->pend[i].tag == tag)
            return &s->pend[i];
    return NULL;
}

static void pending_remove(cc_session *s, cc_pending *p)
{
    *p = s->pend[--s->n_pend]; /* the order does not matter */
}

static void pending_add(cc_session *s, uintptr_t tag, const cc_pdu *pdu)
{
    if (s->n_pend == MAX_PENDING)
        pending_remove(s, &s->pend[0]); /* beyond any library's table: forget one */
    if (s->n_pend == s->cap_pend) {
        uint32_t c = s->cap_pend ? s->cap_pend * 2 : 4;
        cc_pending *n = realloc(s->pend, c * sizeof *n);
        if (!n)
            return;
        s->pend = n;
        s->cap_pend = c;
    }
    cc_pending *p = &s->pend[s->n_pend++];
    p->tag = tag;
    p->frame = pdu->frame;
    p->ts = pdu->ts;
    p->off = pdu->off;
    p->head_len = (uint8_t)(pdu->len < sizeof p->head ? pdu->len : sizeof p->head);
    memcpy(p->head, pdu->b, p->head_len);
}

/* ---- devices ---------------------------------------------------------------------------- */

static cc_device *device_add(cc_session *s, const char *id, uint64_t frame, int64_t ts)
{
    if (s->n_dev == CC_MAX_DEVICES)
        return &s->dev[s->cur_dev];
    cc_device *n = realloc(s->dev, (s->n_dev + 1u) * sizeof *n);
    if (!n)
        return s->n_dev ? &s->dev[s->cur_dev] : NULL;
    s->dev = n;
    cc_device *d = &s->dev[s->n_dev];
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", id);
    d->first_frame = frame;
    d->first_ts = ts;
    s->cur_dev = s->n_dev++;
    return d;
}

static void facts(cc_session *s, const cs_out *o, uint64_t frame, int64_t ts)
{
    for (uint8_t i = 0; i < o->n_facts && i < CS_MAX_FACTS; i++) {
        const char *v = cs_str(o, o->facts[i].str);
        cc_device *d = NULL;
        if (o->facts[i].kind == CS_FACT_DEVICE_ID) {
            for (uint8_t k = 0; k < s->n_dev; k++)
                if (!strncmp(s->dev[k].id, v, sizeof s->dev[k].id - 1)) {
                    s->cur_dev = k;
                    d = &s->dev[k];
                    break;
                }
            if (!d && s->n_dev == 1 && !s->dev[0].id[0]) {
                d = &s->dev[0]; /* facts came before the ID */
                snprintf(d->id, sizeof d->id, "%s", v);
            }
            if (!d)
                d = device_add(s, v, frame, ts);
        } else {
            d = s->n_dev ? &s->dev[s->cur_dev] : device_add(s, "", frame, ts);
            if (d) {
                char *f = o->facts[i].kind == CS_FACT_FIRMWARE ? d->firmware
                          : o->facts[i].kind == CS_FACT_ICCID  ? d->iccid
                          : o->facts[i].kind == CS_FACT_SIGNAL ? d->signal
                                                               : NULL;
                size_t fl = o->facts[i].kind == CS_FACT_FIRMWARE ? sizeof d->firmware
                            : o->facts[i].kind == CS_FACT_ICCID  ? sizeof d->iccid
                                                                 : sizeof d->signal;
                if (f)
                    snprintf(f, fl, "%s", v);
            }
        }
        if (d) {
            d->last_frame = frame;
            d->last_ts = ts;
        }
    }
}

/* ---- after a decode: violations, links, facts ------------------------------------------ */

/* `pdu` NULL: the output of sess_end (only violations about other frames). */
static void after_decode(cc_shard *sh, cc_session *s, const cc_pdu *pdu, const cs_out *o,
                         uintptr_t tag)
{
    const cs_proto *p = s->proto;
    for (uint32_t i = 0; i < o->n_viols; i++) {
        const cs_viol *v = &o->viols[i];
        uint8_t head[sizeof s->pend[0].head];
        if (v->code >= p->n_violations)
            continue;
        cc_vrec r = {.p = p, .code = v->code, .msg = v->msg ? cs_str(o, v->msg) : NULL};
        if (!v->frame && pdu) {
            r.frame = pdu->frame;
            r.ts = pdu->ts;
            r.has_off = true;
            bool derived = (v->flags & CS_VF_DERIVED) && o->derived;
            const uint8_t *src = derived ? o->derived : pdu->b;
            uint32_t avail = derived ? o->derived_len : pdu->len;
            uint32_t off = v->offset < avail ? v->offset : avail;
            r.off = pdu->off + (derived ? 0 : off);
            r.len = v->length;
            if (v->length) {
                r.hex = src + off;
                r.hex_len = v->length < avail - off ? v->length : avail - off;
            } else {
                r.hex = pdu->b;
                r.hex_len = pdu->len;
            }
        } else {
            /* about an earlier request (never answered) */
            cc_pending *pe = pending_find(s, v->tag);
            r.frame = v->frame;
            if (pe) {
                r.ts = pe->ts;
                r.has_off = true;
                r.off = pe->off;
                /* a copy: removing the entry moves another one into its place */
                memcpy(head, pe->head, pe->head_len);
                r.hex = head;
                r.hex_len = pe->head_len;
                pending_remove(s, pe);
            } else {
                r.ts = pdu ? pdu->ts : sh->ts;
            }
        }
        violation(sh, s, &r);
    }
    if (!pdu)
        return;
    if (o->req_tag) {
        cc_pending *pe = pending_find(s, o->req_tag);
        if (pe)
            pending_remove(s, pe);
    }
    if (o->pending)
        pending_add(s, tag, pdu);
    if (o->n_facts)
        facts(s, o, pdu->frame, pdu->ts);
}

/* ---- decoding ---------------------------------------------------------------------------- */

static cs_dir transport_dir(const cc_session *s, int side, bool *start_seen)
{
    uint16_t sp = s->port[side], dp = s->port[side ^ 1];
    *start_seen = false;
    if (!s->server_port_set || sp == dp)
        return CS_DIR_UNKNOWN;
    *start_seen = true;
    return dp == s->server_port ? CS_DIR_TO_SERVER : CS_DIR_TO_DEVICE;
}

/* What dissect_one() does with one PDU's (or garbage run's) bytes:
 * framed again on its own; "need more" is garbage for a datagram and for
 * a run the stream framing skipped (need_is_garbage).  `known` is what
 * frame() said on exactly these bytes when the caller asked it already
 * (frame() is a pure function of the bytes), else -1. */
static void dispatch_one(cc_shard *sh, cc_session *s, int side, const uint8_t *b, uint32_t len,
                         uint64_t off, bool udp, bool need_is_garbage, int known)
{
    const cs_proto *p = s->proto;
    cc_dir *d = &s->d[side];
    cs_frame_kind k;
    if (known >= 0) {
        k = (cs_frame_kind)known;
    } else {
        size_t flen = 0;
        k = p->frame(b, len, &flen);
    }
    cs_ctx ctx = {0};
    ctx.frame = (uint32_t)sh->frame;
    ctx.ts_ns = sh->ts;
    bool start_seen = false;
    ctx.transport_dir = udp ? (uint8_t)CS_DIR_PEER : (uint8_t)transport_dir(s, side, &start_seen);
    ctx.src_port = s->port[side];
    ctx.dst_port = s->port[side ^ 1];
    ctx.udp = udp;
    ctx.whole = udp;
    cc_pdu pdu = {.frame = sh->frame, .off = off, .ts = sh->ts, .b = b, .len = len, .side = side};
    cs_out *o = &sh->out;
    if (k == CS_FRAME_SKIP || (k == CS_FRAME_NEED && need_is_garbage)) {
        cs_decode_garbage(p, b, len, &ctx, o);
        d->garbage += len;
        s->garbage_runs++;
        cc_emit_message(sh->emit, s, &pdu, o);
        after_decode(sh, s, &pdu, o, 0);
        return;
    }
    if (!s->lib) {
        s->lib = lib_alloc(sh, s->proto_i, p->sess_size); /* sess_init sets it up */
        if (!s->lib) {
            fputs("chargecap: out of memory\n", stderr);
            abort();
        }
        if (p->sess_init)
            p->sess_init(s->lib, sh->cfg->opts[s->proto_i], start_seen);
        s->lib_side0 = (uint8_t)side;
    }
    ctx.side = side == s->lib_side0 ? 0 : 1;
    ctx.tag = ++s->next_tag;
    p->decode(s->lib, sh->cfg->opts[s->proto_i], b, len, &ctx, o);
    if (o->garbage) {
        /* the decoder says the bytes were no PDU (a Ruioo line end in a
         * segment of its own): garbage, as its record says */
        d->garbage += len;
        s->garbage_runs++;
    } else {
        d->decoded += len;
        s->messages++;
    }
    cc_emit_message(sh->emit, s, &pdu, o);
    after_decode(sh, s, &pdu, o, ctx.tag);
}

/* tcp_dissect_pdus() on b[0..len), which starts at stream offset `off`:
 * returns the bytes used and leaves the direction's mode (more bytes
 * wanted: up to a target, or one more segment). */
static uint32_t frame_run(cc_shard *sh, cc_session *s, int side, const uint8_t *b, uint32_t len,
                          uint64_t off)
{
    cc_dir *d = &s->d[side];
    const cs_proto *p = s->proto;
    uint32_t pos = 0;
    d->mode = CC_FM_NONE;
    while (pos < len) {
        uint32_t avail = len - pos;
        size_t plen = 0;
        cs_frame_kind k = p->frame(b + pos, avail, &plen);
        if (k == CS_FRAME_NEED || plen == 0) {
            d->mode = CC_FM_MORE;
            break;
        }
        if (plen > avail) {
            if (plen > sh->cfg->max_pdu) {
                char m[160];
                snprintf(m, sizeof m,
                         "A PDU of %zu bytes announced at stream offset %llu exceeds --max-pdu "
                         "(%u); its bytes are left unparsed",
                         plen, (unsigned long long)(off + pos), sh->cfg->max_pdu);
                analyzer_violation(sh, s, CC_A_PDU_TOO_LARGE, sh->frame, sh->ts, true, off + pos,
                                   avail, b + pos, avail, m);
                d->mode = CC_FM_DISCARD;
                d->target = off + pos + plen;
                d->unparsed += avail;
                return len;
            }
            d->mode = CC_FM_TARGET;
            d->target = off + pos + plen;
            break;
        }
        dispatch_one(sh, s, side, b + pos, (uint32_t)plen, off + pos, false, k == CS_FRAME_SKIP,
                     plen == avail ? (int)k : -1);
        pos += (uint32_t)plen;
    }
    return pos;
}

/* Frame what the buffer holds; keep what is left. */
static void run_buffer(cc_shard *sh, cc_session *s, int side)
{
    cc_dir *d = &s->d[side];
    uint32_t used = frame_run(sh, s, side, d->buf, d->blen, d->buf_off);
    if (used == d->blen) {
        d->buf_off += used;
        d->blen = 0;
        buf_release(sh, d);
        return;
    }
    if (used) {
        memmove(d->buf, d->buf + used, d->blen - used);
        d->blen -= used;
        d->buf_off += used;
    }
}

/* In-order bytes of an identified TCP stream, starting at offset `off`. */
static void tcp_frame_data(cc_shard *sh, cc_session *s, int side, const uint8_t *p, uint32_t n,
                           uint64_t off)
{
    cc_dir *d = &s->d[side];
    while (n) {
        if (d->mode == CC_FM_DISCARD) {
            uint64_t left = d->target - off;
            uint32_t take = n < left ? n : (uint32_t)left;
            d->unparsed += take;
            p += take;
            n -= take;
            off += take;
            if (off == d->target)
                d->mode = CC_FM_NONE;
            continue;
        }
        if (!d->blen) {
            uint32_t used = frame_run(sh, s, side, p, n, off);
            if (used < n && d->mode != CC_FM_DISCARD) {
                d->buf_off = off + used;
                buf_append(sh, d, p + used, n - used);
            }
            return;
        }
        if (d->mode == CC_FM_TARGET) {
            uint64_t have = d->buf_off + d->blen;
            uint64_t need = d->target > have ? d->target - have : 0;
            uint32_t take = n < need ? n : (uint32_t)need;
            buf_append(sh, d, p, take);
            p += take;
            n -= take;
            off += take;
            if (d->buf_off + d->blen < d->target)
                return;
            run_buffer(sh, s, side); /* exactly the PDU it waited for */
            continue;
        }
        /* one more segment: all of it */
        buf_append(sh, d, p, n);
        n = 0;
        run_buffer(sh, s, side);
    }
}

/* ---- TCP reassembly ---------------------------------------------------------------------- */

/* A cheap fingerprint of a segment's bytes, to notice a retransmission
 * that carries other bytes than the original. */
static uint64_t fold(const uint8_t *p, uint32_t n)
{
    uint64_t x = 0, a = n;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        x ^= w;
        a += w;
    }
    uint64_t w = 0;
    memcpy(&w, p + i, n - i);
    x ^= w;
    a += w;
    return x * 0x9E3779B97F4A7C15ULL ^ a;
}

static void deliver(cc_shard *sh, cc_session *s, int side, const uint8_t *p, uint32_t n)
{
    cc_dir *d = &s->d[side];
    uint64_t off = d->stream;
    if (s->proto) {
        cc_seg_rec *r = &d->recent[d->recent_i++ % CC_RECENT];
        r->seq = d->next_seq;
        r->len = n;
        r->fold = fold(p, n);
    }
    d->stream += n;
    d->next_seq += n;
    d->last_frame = sh->frame;
    d->last_ts = sh->ts;
    if (sh->x && s->x)
        cc_x_payload(sh->x, s->x, side, p, n);
    if (s->proto)
        tcp_frame_data(sh, s, side, p, n, off);
    else
        d->unparsed += n;
}

/* `len` bytes at next_seq are missing and will never come. */
static void gap(cc_shard *sh, cc_session *s, int side, uint32_t len, const char *why,
                uint64_t frame, int64_t ts)
{
    cc_dir *d = &s->d[side];
    uint64_t off = d->stream;
    uint32_t abandoned = 0;
    if (d->blen) {
        abandoned = d->blen;
        d->unparsed += d->blen;
        d->blen = 0;
        buf_release(sh, d);
    }
    d->mode = CC_FM_NONE;
    d->gap += len;
    d->stream += len;
    d->next_seq += len;
    if (s->proto) {
        char m[240];
        int k = snprintf(m, sizeof m, "%u byte%s missing from the capture at stream offset %llu (%s)",
                         len, len == 1 ? "" : "s", (unsigned long long)off, why);
        if (abandoned && k > 0 && (size_t)k < sizeof m)
            snprintf(m + k, sizeof m - (size_t)k,
                     "; the %u bytes of the PDU it cuts are left unparsed", abandoned);
        analyzer_violation(sh, s, CC_A_TCP_GAP, frame, ts, true, off, len, NULL, 0, m);
    }
}

static void overlap_mismatch(cc_shard *sh, cc_session *s, int side, uint32_t seq,
                             const uint8_t *p, uint32_t n)
{
    cc_dir *d = &s->d[side];
    /* the stream offset of `seq` (before next_seq) */
    uint64_t off = d->stream - (uint32_t)(d->next_seq - seq);
    char m[200];
    snprintf(m, sizeof m,
             "%u retransmitted byte%s at stream offset %llu differ from those first received; "
             "the first copy is kept",
             n, n == 1 ? "" : "s", (unsigned long long)off);
    analyzer_violation(sh, s, CC_A_TCP_OVERLAP, sh->frame, sh->ts, true, off, n, p, n, m);
}

/* A segment (seq, p[0..n), more on the wire) overlaps bytes already
 * delivered: compare it with the recent segments it covers whole. */
static void check_old(cc_shard *sh, cc_session *s, int side, uint32_t seq, const uint8_t *p,
                      uint32_t n)
{
    cc_dir *d = &s->d[side];
    if (!s->proto)
        return;
    for (int i = 0; i < CC_RECENT; i++) {
        const cc_seg_rec *r = &d->recent[i];
        if (!r->len)
            continue;
        uint32_t rel = r->seq - seq;
        if (SEQ_LT(r->seq, seq) || rel > n || r->len > n - rel)
            continue;
        if (fold(p + rel, r->len) != r->fold) {
            overlap_mismatch(sh, s, side, r->seq, p + rel, r->len);
            return;
        }
    }
}

static void drain(cc_shard *sh, cc_session *s, int side, bool own_frames);

static void ooo_free(cc_session *s, int side)
{
    cc_dir *d = &s->d[side];
    while (d->ooo) {
        cc_ooo *o = d->ooo;
        d->ooo = o->next;
        free(o);
    }
    s->n_ooo[side] = s->ooo_bytes[side] = 0;
}

/* Give up on the bytes before the lowest held segment: the gap and what
 * follows it belong to the frames that brought the held segments. */
static void skip_to_held(cc_shard *sh, cc_session *s, int side, const char *why)
{
    cc_dir *d = &s->d[side];
    if (!d->ooo)
        return;
    uint32_t lowest = d->ooo->seq;
    if (SEQ_GT(lowest, d->next_seq))
        gap(sh, s, side, lowest - d->next_seq, why, d->ooo->frame, d->ooo->ts);
    drain(sh, s, side, true);
}

/* In-order data at next_seq: n bytes captured of `wire` on the wire. */
static void take_inorder(cc_shard *sh, cc_session *s, int side, const uint8_t *p, uint32_t n,
                         uint32_t wire)
{
    if (n)
        deliver(sh, s, side, p, n);
    if (wire > n)
        gap(sh, s, side, wire - n, "cut by the capture's snapshot length", sh->frame, sh->ts);
}

/* Held segments that have become in order.  own_frames: they are given
 * up on what was missing before them, so what they complete belongs to
 * the frames that brought them; otherwise to the frame that filled the
 * hole (as Wireshark attributes a reassembled PDU). */
static void drain(cc_shard *sh, cc_session *s, int side, bool own_frames)
{
    cc_dir *d = &s->d[side];
    uint64_t frame = sh->frame;
    int64_t ts = sh->ts;
    while (d->ooo && !SEQ_GT(d->ooo->seq, d->next_seq)) {
        cc_ooo *o = d->ooo;
        d->ooo = o->next;
        s->n_ooo[side]--;
        s->ooo_bytes[side] -= o->len;
        uint32_t old = d->next_seq - o->seq;
        uint32_t wire = o->len; /* o->len counts wire bytes; data has `cap` */
        uint32_t cap;
        memcpy(&cap, o->data, 4);
        const uint8_t *data = o->data + 4;
        if (own_frames) {
            sh->frame = o->frame;
            sh->ts = o->ts;
        }
        if (old < wire) {
            if (old)
                check_old(sh, s, side, o->seq, data, old < cap ? old : cap);
            uint32_t skipc = old < cap ? old : cap;
            take_inorder(sh, s, side, data + skipc, cap - skipc, wire - old);
        }
        free(o);
    }
    sh->frame = frame;
    sh->ts = ts;
}

static void hold(cc_shard *sh, cc_session *s, int side, uint32_t seq, const uint8_t *p, uint32_t n,
                 uint32_t wire)
{
    cc_dir *d = &s->d[side];
    /* compare with the held segments it overlaps */
    cc_ooo **at = &d->ooo;
    for (cc_ooo *o = d->ooo; o; o = o->next) {
        uint32_t ocap;
        memcpy(&ocap, o->data, 4);
        uint32_t a = SEQ_GT(seq, o->seq) ? seq : o->seq;
        uint32_t e1 = seq + n, e2 = o->seq + ocap;
        uint32_t b = SEQ_LT(e1, e2) ? e1 : e2;
        if (SEQ_LT(a, b) && memcmp(p + (a - seq), o->data + 4 + (a - o->seq), b - a)) {
            overlap_mismatch(sh, s, side, a, p + (a - seq), b - a);
            break;
        }
        if (o->seq == seq && o->len >= wire)
            return; /* a copy of a held segment */
    }
    while (*at && !SEQ_GT((*at)->seq, seq))
        at = &(*at)->next;
    cc_ooo *o = malloc(sizeof *o + 4 + n);
    if (!o)
        return;
    o->seq = seq;
    o->len = wire;
    o->frame = sh->frame;
    o->ts = sh->ts;
    memcpy(o->data, &n, 4);
    memcpy(o->data + 4, p, n);
    o->next = *at;
    *at = o;
    s->n_ooo[side]++;
    s->ooo_bytes[side] += wire;
    while (d->ooo && (s->n_ooo[side] > OOO_MAX_SEGMENTS || s->ooo_bytes[side] > OOO_MAX_BYTES))
        skip_to_held(sh, s, side, "out-of-order data beyond what chargecap holds");
}

/* The peer acknowledged up to `ack`: bytes before it that we never saw
 * will not be retransmitted. */
static void acked(cc_shard *sh, cc_session *s, int side)
{
    cc_dir *d = &s->d[side];
    while (d->ooo && d->acked_set && SEQ_GT(d->acked, d->next_seq)) {
        if (!SEQ_LT(d->acked, d->ooo->seq)) {
            skip_to_held(sh, s, side, "acknowledged by the peer but not captured");
            continue;
        }
        gap(sh, s, side, d->acked - d->next_seq, "acknowledged by the peer but not captured",
            sh->frame, sh->ts);
    }
}

static void tcp_data(cc_shard *sh, cc_session *s, int side, uint32_t seq, const uint8_t *p,
                     uint32_t n, uint32_t wire)
{
    cc_dir *d = &s->d[side];
    int32_t delta = (int32_t)(seq - d->next_seq);
    if (delta < 0) {
        uint32_t old = d->next_seq - seq; /* 2^31 too (delta = INT32_MIN) */
        check_old(sh, s, side, seq, p, old < n ? old : n);
        if (old >= wire)
            return; /* a retransmission: the first copy counts */
        uint32_t skipc = old < n ? old : n;
        p += skipc;
        n -= skipc;
        wire -= old;
        delta = 0;
    }
    if (delta > 0) {
        hold(sh, s, side, seq, p, n, wire);
        acked(sh, s, side);
        return;
    }
    take_inorder(sh, s, side, p, n, wire);
    drain(sh, s, side, false);
}

/* ---- identification ------------------------------------------------------------------------- */

static void identify(cc_shard *sh, cc_session *s, const cc_packet *pk)
{
    bool udp = pk->l4 == 17;
    const uint8_t *table = udp ? sh->cfg->port_udp : sh->cfg->port_tcp;
    uint16_t lo = pk->sport < pk->dport ? pk->sport : pk->dport;
    uint16_t hi = pk->sport < pk->dport ? pk->dport : pk->sport;
    const cs_proto *hit = NULL;
    if (lo && table[lo])
        hit = cs_protocols[table[lo] - 1];
    else if (hi && table[hi])
        hit = cs_protocols[table[hi] - 1];
    for (int i = 0; !hit && cs_protocols[i]; i++) {
        const cs_proto *p = cs_protocols[i];
        if ((p->transports & (udp ? CS_TR_UDP : CS_TR_TCP)) &&
            p->probe(pk->payload, pk->payload_len, udp))
            hit = p;
    }
    if (hit) {
        s->proto = hit;
        s->proto_i = cc_proto_index(hit);
        s->ident_frame = sh->frame;
    }
}

/* ---- sessions ---------------------------------------------------------------------------------- */

static bool same_ep(const cc_addr *a, uint16_t pa, const cc_addr *b, uint16_t pb)
{
    return pa == pb && a->family == b->family && !memcmp(a->a, b->a, 16);
}

static cc_session *session_new(cc_shard *sh, uint64_t id, cc_flow *f, const cc_packet *pk,
                               int linktype)
{
    cc_session *s = sess_alloc(sh);
    if (!s)
        return NULL;
    memset(s, 0, sizeof *s);
    s->id = id;
    s->flow = f;
    s->l4 = pk->l4;
    /* the client: the SYN's sender, the SYN-ACK's receiver, else the
     * first sender */
    bool synack = pk->l4 == 6 && (pk->tcp_flags & 0x12) == 0x12;
    s->addr[0] = synack ? pk->dst : pk->src;
    s->port[0] = synack ? pk->dport : pk->sport;
    s->addr[1] = synack ? pk->src : pk->dst;
    s->port[1] = synack ? pk->sport : pk->dport;
    s->first_frame = sh->frame;
    s->first_ts = sh->ts;
    s->first_linktype = linktype;
    s->proto_i = cc_proto_index(NULL);
    if (sh->x)
        s->x = cc_x_session(sh->x, s->id);
    return s;
}

static void session_free(cc_shard *sh, cc_session *s)
{
    for (int i = 0; i < 2; i++) {
        buf_release(sh, &s->d[i]);
        ooo_free(s, i);
    }
    if (s->lib) {
        if (s->proto->sess_fini)
            s->proto->sess_fini(s->lib);
        fl_push(&sh->lfree[s->proto_i], s->lib, s->proto->sess_size);
    }
    free(s->dev);
    free(s->pend);
    fl_push(&sh->sfree, s, sizeof *s); /* s is in one of the shard's hot chunks */
}

static void session_end(cc_shard *sh, cc_session *s, uint8_t why)
{
    s->end = why;
    for (int side = 0; side < 2 && s->l4 == 6; side++) {
        cc_dir *d = &s->d[side];
        while (d->ooo)
            skip_to_held(sh, s, side, "the session ended before it was retransmitted");
        if (d->blen) {
            char m[160];
            snprintf(m, sizeof m,
                     "The stream ends %u bytes into a PDU at stream offset %llu; they are left "
                     "unparsed",
                     d->blen, (unsigned long long)d->buf_off);
            analyzer_violation(sh, s, CC_A_STREAM_TRUNCATED, d->last_frame, d->last_ts, true,
                               d->buf_off, d->blen, d->buf, d->blen, m);
            d->unparsed += d->blen;
            d->blen = 0;
            buf_release(sh, d);
        }
        d->mode = CC_FM_NONE;
    }
    if (why == CC_END_IDLE || why == CC_END_EVICTED) {
        char m[160];
        if (why == CC_END_IDLE)
            snprintf(m, sizeof m, "No packet for more than %lld s of capture time; the session "
                                  "was ended (a later packet starts a new one)",
                     (long long)(sh->cfg->idle_ns / 1000000000));
        else
            snprintf(m, sizeof m, "The session table was full (%u sessions); this, the least "
                                  "recently active session, was ended",
                     sh->cfg->max_sessions);
        analyzer_violation(sh, s, why == CC_END_IDLE ? CC_A_IDLE : CC_A_EVICTED, sh->frame, sh->ts,
                           false, 0, 0, NULL, 0, m);
    }
    if (s->lib && s->proto->sess_end) {
        s->proto->sess_end(s->lib, &sh->out);
        after_decode(sh, s, NULL, &sh->out, 0);
    }
    if (sh->x && s->x)
        cc_x_end(sh->x, s->x, s->proto ? s->proto->name : "unknown", s->l4, s->addr, s->port);
    s->x = NULL;
    cc_emit_session(sh->emit, s);
    session_free(sh, s);
}

static inline __attribute__((always_inline)) void tcp_packet(cc_shard *sh, cc_session *s, int side,
                                                         const cc_packet *pk)
{
    cc_dir *d = &s->d[side];
    uint8_t fl = pk->tcp_flags;
    uint32_t seq = pk->seq;
    if (fl & 0x02) { /* SYN */
        s->server_port_set = true;
        s->server_port = (fl & 0x10) ? pk->sport : pk->dport;
        if (!s->syn[side])
            s->client_known = s->client_known || (side == 0) == !(fl & 0x10);
        s->syn[side] = true;
        if (!d->started) {
            d->started = true;
            d->next_seq = seq + 1;
        }
        seq++;
    }
    if (!s->proto && pk->payload_len)
        identify(sh, s, pk);
    if (pk->wire_len) {
        if (!d->started) {
            d->started = true; /* picked up mid-stream */
            d->next_seq = seq;
        }
        tcp_data(sh, s, side, seq, pk->payload, pk->payload_len, pk->wire_len);
    }
    if (fl & 0x10) { /* ACK: what the peer has */
        cc_dir *o = &s->d[side ^ 1];
        if (o->started && (!o->acked_set || SEQ_GT(pk->ack, o->acked))) {
            o->acked = pk->ack;
            o->acked_set = true;
            acked(sh, s, side ^ 1);
        }
    }
    if (fl & 0x01)
        d->fin = true;
    if (fl & 0x04)
        s->rst = true;
}

static void udp_packet(cc_shard *sh, cc_session *s, int side, const cc_packet *pk)
{
    cc_dir *d = &s->d[side];
    if (!s->proto && pk->payload_len)
        identify(sh, s, pk);
    uint64_t off = d->stream;
    uint32_t n = pk->payload_len;
    d->stream += pk->wire_len;
    d->gap += pk->wire_len - n;
    d->last_frame = sh->frame;
    d->last_ts = sh->ts;
    if (sh->x && s->x)
        cc_x_payload(sh->x, s->x, side, pk->payload, n);
    if (!s->proto) {
        d->unparsed += n;
        return;
    }
    /* dissect_udp(): the datagram's PDUs one after another, each whole */
    uint32_t at = 0;
    while (at < n) {
        size_t len = 0;
        cs_frame_kind k = s->proto->frame(pk->payload + at, n - at, &len);
        if (k == CS_FRAME_NEED || len == 0 || len > n - at)
            len = n - at;
        dispatch_one(sh, s, side, pk->payload + at, (uint32_t)len, off + at, true, true,
                     len == n - at ? (int)k : -1);
        at += (uint32_t)len;
    }
}

/* ---- flows ------------------------------------------------------------------------------------ */

static bool owned(const cc_shard *sh, const cc_flow *f) { return f->owner == sh->shard; }

static void next_ev(cc_shard *sh)
{
    ++sh->ev;
    if (sh->emit)
        cc_emit_key(sh->emit, sh->ev);
}

static void end_flow(cc_shard *sh, cc_flow *f, uint8_t why)
{
    next_ev(sh);
    if (!owned(sh, f)) {
        cc_op op = {.kind = CC_OP_END, .why = why, .flow = f->idx, .frame = sh->frame,
                    .ev = sh->ev, .id = f->id, .ts = sh->ts};
        sh->route(sh->route_ctx, f->owner, &op, NULL, NULL, NULL);
    }
    if (f->sess)
        session_end(sh, f->sess, why);
    f->sess = NULL;
    cc_flows_remove(sh->flows, f);
}

static void sweep(cc_shard *sh)
{
    cc_flow *f;
    if (sh->cfg->idle_ns)
        while ((f = cc_flows_oldest(sh->flows, CC_LIST_ACTIVE)) &&
               sh->ts - f->last_ts > sh->cfg->idle_ns)
            end_flow(sh, f, CC_END_IDLE);
    while ((f = cc_flows_oldest(sh->flows, CC_LIST_CLOSING)) &&
           sh->ts - f->last_ts > sh->cfg->linger_ns)
        end_flow(sh, f, CC_END_CLOSED);
}

static inline __attribute__((always_inline)) void
session_packet(cc_shard *sh, cc_session *s, const cc_packet *pk, const cc_rec *rec,
               const sbuf *raw);

void cc_shard_packet(cc_shard *sh, const cc_rec *rec)
{
    cc_packet pk;
    cc_skip why = CC_SKIP_NONE;
    sh->frame = rec->frame;
    sh->ts = rec->ts_ns;
    pk.frame = rec->frame;
    pk.ts_ns = rec->ts_ns;
    cc_pk_status st = cc_decode_packet(rec->linktype, rec->data, rec->caplen, &pk, &why);
    const sbuf *raw = NULL;
    const uint8_t *dg = NULL;
    uint32_t dlen = 0;
    if (st == CC_PK_FRAGMENT) {
        if (!cc_frag_add(sh->frag, &pk, sh->x || sh->keep_raw ? rec : NULL, &dg, &dlen, &raw))
            return;
        st = cc_decode_l4(&pk, pk.ip_proto, dg, dlen, dlen, &why);
    }
    if (st != CC_PK_OK) {
        sh->skipped[why]++;
        return;
    }
    if (pk.l4 == 6)
        sh->tcp++;
    else
        sh->udp++;
    sweep(sh);

    cc_flow_key key;
    int sender;
    uint32_t h = cc_flow_key_of(&pk, &key, &sender);
    cc_flow *f = cc_flows_find(sh->flows, &key, h);
    bool syn_only = pk.l4 == 6 && (pk.tcp_flags & 0x12) == 0x02;
    if (f && syn_only && (f->base_set & (1u << sender)) && f->base_seq[sender] != pk.seq) {
        end_flow(sh, f, CC_END_REUSED); /* TCP port numbers reused */
        f = NULL;
    }
    /* the session's first two lines, which the packet reads next: fetched
     * while the flow's own fields are updated */
    if (f && f->sess) {
        __builtin_prefetch(f->sess, 1);
        __builtin_prefetch((const char *)f->sess + 64, 1);
    }
    bool fresh = !f;
    if (!f) {
        if (cc_flows_count(sh->flows) >= sh->cfg->max_sessions) {
            cc_flow *v = cc_flows_oldest(sh->flows, CC_LIST_CLOSING);
            if (!v)
                v = cc_flows_oldest(sh->flows, CC_LIST_ACTIVE);
            if (v)
                end_flow(sh, v, CC_END_EVICTED);
        }
        f = cc_flows_insert(sh->flows, &key, h);
        if (!f) {
            fputs("chargecap: out of memory\n", stderr);
            abort();
        }
        f->id = ++sh->next_id;
        f->owner = sh->assign ? (uint16_t)sh->assign(sh->route_ctx) : (uint16_t)sh->shard;
        if (owned(sh, f))
            f->sess = session_new(sh, f->id, f, &pk, rec->linktype);
    }
    next_ev(sh);

    /* what every shard knows */
    f->last_ts = pk.ts_ns;
    if (pk.l4 == 6) {
        if (!(f->base_set & (1u << sender))) {
            f->base_set |= (uint8_t)(1u << sender);
            f->base_seq[sender] = pk.seq;
        }
        if (pk.tcp_flags & 0x01)
            f->fin |= (uint8_t)(1u << sender);
        if (pk.tcp_flags & 0x04)
            f->rst = 1;
    }
    cc_flows_touch(sh->flows, f, (f->rst || f->fin == 3) ? CC_LIST_CLOSING : CC_LIST_ACTIVE);

    if (!owned(sh, f)) {
        cc_op op;
        op.kind = CC_OP_PACKET;
        op.why = 0;
        op.fresh = fresh;
        op.pad = 0;
        op.linktype = rec->linktype;
        op.flow = f->idx;
        op.caplen = rec->caplen;
        op.len = rec->len;
        op.dlen = dg ? dlen : 0;
        op.rawlen = raw ? (uint32_t)raw->n : 0;
        op.ip_off = (uint32_t)(pk.ip - rec->data);
        op.payload_off = dg ? rec->caplen + (uint32_t)(pk.payload - dg)
                            : (uint32_t)(pk.payload - rec->data);
        op.frame = rec->frame;
        op.ev = sh->ev;
        op.id = f->id;
        op.ts = rec->ts_ns;
        op.pk = pk;
        sh->route(sh->route_ctx, f->owner, &op, rec->data, dg, raw);
        return;
    }
    if (f->sess)
        session_packet(sh, f->sess, &pk, rec, raw);
}

/* A packet of session s (decoded into pk; raw: the datagram's other
 * fragments, for --extract). */
static inline __attribute__((always_inline)) void
session_packet(cc_shard *sh, cc_session *s, const cc_packet *pk, const cc_rec *rec,
               const sbuf *raw)
{
    int side = same_ep(&pk->src, pk->sport, &s->addr[0], s->port[0]) ? 0 : 1;
    /* data goes to the decoder's state, and its facts and requests to the
     * current device's record and the table of open requests: ask for
     * their first lines now, while the counters and the ACK are done
     * (docs/performance.md) */
    if (pk->payload_len && s->lib) {
        __builtin_prefetch(s->lib, 1);
        if (s->n_dev)
            __builtin_prefetch(&s->dev[s->cur_dev], 1);
        if (s->n_pend)
            __builtin_prefetch(s->pend, 1);
    }
    s->last_frame = sh->frame;
    s->last_ts = sh->ts;
    s->frames++;
    for (size_t at = 0; raw && at + sizeof(cc_raw_hdr) <= raw->n; s->frames++) {
        cc_raw_hdr rh;
        memcpy(&rh, raw->p + at, sizeof rh);
        at += sizeof rh + rh.caplen;
    }
    s->d[side].packets++;
    s->d[side].bytes += pk->wire_len;
    if (sh->x && s->x) {
        if (raw) {
            for (size_t at = 0; at + sizeof(cc_raw_hdr) <= raw->n;) {
                cc_raw_hdr rh;
                memcpy(&rh, raw->p + at, sizeof rh);
                cc_rec r = {.frame = rh.frame, .ts_ns = rh.ts_ns, .caplen = rh.caplen,
                            .len = rh.len, .linktype = rh.linktype,
                            .data = raw->p + at + sizeof rh};
                cc_x_packet(sh->x, s->x, &r, rh.ip_off, 4);
                at += sizeof rh + rh.caplen;
            }
        }
        cc_x_packet(sh->x, s->x, rec, (uint32_t)(pk->ip - rec->data), pk->ip_version);
    }
    if (pk->l4 == 6)
        tcp_packet(sh, s, side, pk);
    else
        udp_packet(sh, s, side, pk);
}

void cc_shard_op(cc_shard *sh, const cc_op *op, const uint8_t *bytes)
{
    sh->frame = op->frame;
    sh->ts = op->ts;
    sh->ev = op->ev;
    cc_emit_key(sh->emit, op->ev);
    if (op->flow >= sh->n_by_flow) {
        uint32_t n = sh->n_by_flow ? sh->n_by_flow : 1024;
        while (n <= op->flow)
            n *= 2;
        cc_session **v = realloc(sh->by_flow, n * sizeof *v);
        if (!v) {
            fputs("chargecap: out of memory\n", stderr);
            abort();
        }
        memset(v + sh->n_by_flow, 0, (n - sh->n_by_flow) * sizeof *v);
        sh->by_flow = v;
        sh->n_by_flow = n;
    }
    cc_session **slot = &sh->by_flow[op->flow];
    if (op->kind == CC_OP_END) {
        if (*slot)
            session_end(sh, *slot, op->why);
        *slot = NULL;
        return;
    }
    cc_rec rec = {.frame = op->frame, .ts_ns = op->ts, .caplen = op->caplen, .len = op->len,
                  .linktype = op->linktype, .data = bytes};
    cc_packet pk = op->pk;
    pk.ip = bytes + op->ip_off;
    pk.payload = bytes + op->payload_off;
    pk.frag_data = NULL;
    if (op->fresh)
        *slot = session_new(sh, op->id, NULL, &pk, op->linktype);
    if (!*slot)
        return;
    sbuf raw = {.p = (uint8_t *)bytes + op->caplen + op->dlen, .n = op->rawlen, .cap = op->rawlen};
    session_packet(sh, *slot, &pk, &rec, op->rawlen && sh->x ? &raw : NULL);
}

void cc_shard_set_ev(cc_shard *sh, uint64_t ev) { sh->ev = ev; }

void cc_shard_finish(cc_shard *sh)
{
    cc_flow **all;
    uint32_t n = cc_flows_all(sh->flows, &all);
    for (uint32_t i = 0; i < n; i++)
        end_flow(sh, all[i], CC_END_CAPTURE);
    free(all);
}

uint64_t cc_shard_ev(const cc_shard *sh) { return sh->ev; }
