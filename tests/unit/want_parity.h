/*
 * want_parity.h - a decoder says the same whatever text the caller wants
 * (issue 8).  chargecap decodes with want = 0 unless it prints messages,
 * and still reports every violation (code, offsets, message) and the
 * summary (command, direction, checksum, result, facts); so decoding with
 * want = 0, CS_WANT_INFO or CS_WANT_ITEMS must give exactly what decoding
 * with CS_WANT_ITEMS | CS_WANT_INFO gives, less the items / Info not
 * asked for (and the items, when asked for, exactly the same).
 *
 * wp_run_pcap() replays the TCP streams of a capture (the committed
 * samples) through frame() and decodes every PDU four times, each want
 * with its own session; every PDU is also decoded corrupted (each byte
 * flipped and zeroed) and cut at every length, in fresh sessions, with
 * and without a transport direction and as a whole frame.  Included by the
 * unit tests of the protocols that keep this promise.
 */
#ifndef CS_WANT_PARITY_H
#define CS_WANT_PARITY_H

#include "check.h"

#include "chargeproto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WP_N 4 /* [0] items + info (the reference), [1] none, [2] info, [3] items */
static const uint32_t wp_want[WP_N] = {CS_WANT_ITEMS | CS_WANT_INFO, 0, CS_WANT_INFO,
                                       CS_WANT_ITEMS};

typedef struct wp_state {
    const cs_proto *p;
    const uint32_t *opts;
    cs_out out[WP_N];
    unsigned pdus, decodes, violations, failures;
} wp_state;

static int wp_streq(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* out[k] against the reference out[0]; reports the first difference. */
static void wp_compare(wp_state *w, int k, const char *where)
{
    const cs_out *a = &w->out[0], *b = &w->out[k];
    const char *diff = NULL;
    char d[160] = "";
    if (a->n_viols != b->n_viols || a->n_viols_stateless != b->n_viols_stateless)
        snprintf(d, sizeof d, "violation count %u/%u vs %u/%u", a->n_viols,
                 a->n_viols_stateless, b->n_viols, b->n_viols_stateless);
    for (uint32_t i = 0; !d[0] && i < a->n_viols; i++) {
        const cs_viol *x = &a->viols[i], *y = &b->viols[i];
        if (x->code != y->code || x->flags != y->flags || x->offset != y->offset ||
            x->length != y->length || x->frame != y->frame || x->tag != y->tag ||
            strcmp(cs_str(a, x->msg), cs_str(b, y->msg)))
            snprintf(d, sizeof d, "violation %u: %s @%u+%u \"%s\" vs %s @%u+%u \"%s\"", i,
                     w->p->violations[x->code].code, x->offset, x->length, cs_str(a, x->msg),
                     w->p->violations[y->code].code, y->offset, y->length, cs_str(b, y->msg));
    }
    if (d[0])
        diff = d;
    else if (a->cmd != b->cmd || !wp_streq(a->cmd_name, b->cmd_name))
        diff = "cmd";
    else if (a->dir != b->dir || a->dir_source != b->dir_source)
        diff = "direction";
    else if (a->cksum != b->cksum)
        diff = "checksum verdict";
    else if (a->garbage != b->garbage)
        diff = "garbage";
    else if (a->result != b->result || !wp_streq(a->result_name, b->result_name))
        diff = "result";
    else if (a->pending != b->pending || a->req_frame != b->req_frame ||
             a->req_ts_ns != b->req_ts_ns || a->req_tag != b->req_tag)
        diff = "request/response pairing";
    else if (a->derived_len != b->derived_len ||
             (a->derived_len && memcmp(a->derived, b->derived, a->derived_len)))
        diff = "derived bytes";
    else if (a->n_facts != b->n_facts)
        diff = "fact count";
    for (uint8_t i = 0; !diff && i < a->n_facts; i++)
        if (a->facts[i].kind != b->facts[i].kind ||
            strcmp(cs_str(a, a->facts[i].str), cs_str(b, b->facts[i].str)))
            diff = "fact";
    if (!diff && (b->want & CS_WANT_INFO) && strcmp(a->info, b->info))
        diff = "Info";
    if (!diff && !(b->want & CS_WANT_INFO) && (b->info_len || b->info[0]))
        diff = "Info built though not wanted";
    if (!diff && !(b->want & CS_WANT_ITEMS) && b->n_items)
        diff = "items built though not wanted";
    if (!diff && (b->want & CS_WANT_ITEMS)) {
        if (a->n_items != b->n_items || a->n_items_stateless != b->n_items_stateless)
            diff = "item count";
        for (uint32_t i = 0; !diff && i < a->n_items; i++) {
            const cs_item *x = &a->items[i], *y = &b->items[i];
            if (x->field != y->field || x->depth != y->depth || x->flags != y->flags ||
                x->offset != y->offset || x->length != y->length || x->v.u != y->v.u ||
                x->aux != y->aux || x->status != y->status ||
                strcmp(cs_str(a, x->str), cs_str(b, y->str)))
                diff = "item";
        }
        for (uint32_t i = 0; !diff && i < a->n_viols; i++)
            if (a->viols[i].item != b->viols[i].item)
                diff = "violation's item";
    }
    if (!diff && !(b->want & CS_WANT_ITEMS))
        for (uint32_t i = 0; !diff && i < b->n_viols; i++)
            if (b->viols[i].item != -1)
                diff = "violation names an item that was not built";
    if (diff && ++w->failures <= 20)
        CHECK(!diff, "%s: want %u differs from items+info: %s", where, b->want, diff);
}

/* One PDU in each want's session (sess[k], or NULL: stateless). */
static void wp_decode(wp_state *w, void *const *sess, const uint8_t *b, size_t n,
                      const cs_ctx *ctx, const char *where)
{
    for (int k = 0; k < WP_N; k++)
        w->p->decode(sess ? sess[k] : NULL, w->opts, b, n, ctx, &w->out[k]);
    for (int k = 1; k < WP_N; k++)
        wp_compare(w, k, where);
    w->decodes++;
    w->violations += w->out[0].n_viols;
}

static void wp_sess_new(wp_state *w, void **sess, bool start_seen)
{
    for (int k = 0; k < WP_N; k++) {
        sess[k] = calloc(1, w->p->sess_size ? w->p->sess_size : 1);
        if (w->p->sess_init)
            w->p->sess_init(sess[k], w->opts, start_seen);
    }
}

/* The end of a conversation: the same unanswered requests. */
static void wp_sess_end(wp_state *w, void **sess, const char *where)
{
    if (w->p->sess_end) {
        for (int k = 0; k < WP_N; k++)
            w->p->sess_end(sess[k], &w->out[k]);
        for (int k = 1; k < WP_N; k++)
            wp_compare(w, k, where);
    }
    for (int k = 0; k < WP_N; k++) {
        if (w->p->sess_fini)
            w->p->sess_fini(sess[k]);
        free(sess[k]);
        sess[k] = NULL;
    }
}

/* One PDU alone, in fresh sessions, in each way a transport can show it. */
static void wp_alone(wp_state *w, const uint8_t *b, size_t n, const char *where)
{
    static const struct {
        uint8_t dir, whole;
    } how[] = {{0, 0}, {CS_DIR_TO_SERVER, 0}, {CS_DIR_TO_DEVICE, 0}, {0, 1}};
    for (size_t h = 0; h < sizeof how / sizeof how[0]; h++) {
        void *sess[WP_N];
        wp_sess_new(w, sess, h & 1);
        cs_ctx ctx = {.frame = 7, .ts_ns = 1000000000LL, .transport_dir = how[h].dir,
                      .whole = how[h].whole, .side = (uint8_t)(h & 1), .src_port = 50000,
                      .dst_port = 8000, .tag = 7};
        wp_decode(w, sess, b, n, &ctx, where);
        wp_sess_end(w, sess, where);
    }
}

/* Every byte of the PDU flipped and zeroed, and every cut. */
static void wp_mutate(wp_state *w, const uint8_t *b, size_t n, const char *where)
{
    uint8_t m[4096];
    char wh[200];
    if (n > sizeof m)
        n = sizeof m;
    wp_alone(w, b, n, where);
    for (size_t i = 0; i < n; i++) {
        static const uint8_t flips[] = {0xFF, 0x01};
        for (size_t f = 0; f < sizeof flips / sizeof flips[0] + 1; f++) {
            memcpy(m, b, n);
            m[i] = f < sizeof flips ? (uint8_t)(m[i] ^ flips[f]) : 0;
            snprintf(wh, sizeof wh, "%.150s, byte %zu set to 0x%02X", where, i, m[i]);
            wp_alone(w, m, n, wh);
        }
    }
    for (size_t cut = 0; cut < n; cut++) {
        snprintf(wh, sizeof wh, "%.150s, cut to %zu bytes", where, cut);
        wp_alone(w, b, cut, wh);
    }
}

/* ---- the TCP streams of a capture (Ethernet, IPv4; classic pcap) ---- */

typedef struct wp_side {
    uint8_t *buf;
    size_t n, cap;
    uint32_t next_seq;
    bool seq_known;
} wp_side;

typedef struct wp_flow {
    uint32_t ip[2];
    uint16_t port[2]; /* [0] the side that sent first (or the SYN) */
    bool syn_seen;
    wp_side side[2];
    void *sess[WP_N];
} wp_flow;

static uint32_t wp_rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint32_t wp_be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint16_t wp_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Frame what side `sd` of flow `f` has buffered; decode every PDU. */
static void wp_drain(wp_state *w, wp_flow *f, int sd, uint32_t frame, int64_t ts,
                     const char *name, bool mutate)
{
    wp_side *s = &f->side[sd];
    size_t off = 0;
    while (s->n - off >= w->p->frame_min) {
        size_t len = 0;
        cs_frame_kind k = w->p->frame(s->buf + off, s->n - off, &len);
        if (k == CS_FRAME_NEED || (k == CS_FRAME_PDU && len > s->n - off))
            break;
        if (k == CS_FRAME_PDU) {
            char where[160];
            snprintf(where, sizeof where, "%.80s frame %u (PDU of %zu bytes)", name, frame, len);
            cs_ctx ctx = {.frame = frame, .ts_ns = ts, .side = (uint8_t)sd,
                          .src_port = f->port[sd], .dst_port = f->port[!sd], .tag = frame};
            if (f->syn_seen)
                ctx.transport_dir = sd == 0 ? CS_DIR_TO_SERVER : CS_DIR_TO_DEVICE;
            wp_decode(w, f->sess, s->buf + off, len, &ctx, where);
            w->pdus++;
            if (mutate)
                wp_mutate(w, s->buf + off, len, where);
        }
        off += len ? len : 1;
    }
    memmove(s->buf, s->buf + off, s->n - off);
    s->n -= off;
}

/* Replay the capture at `path`; mutate: also every corruption of each PDU. */
static void wp_run_pcap(wp_state *w, const char *path, bool mutate)
{
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL, "cannot open %s", path);
    if (!fp)
        return;
    uint8_t gh[24], rh[16];
    static uint8_t pkt[65536];
    wp_flow flows[32];
    int n_flows = 0;
    uint32_t frame = 0;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    CHECK(fread(gh, 1, 24, fp) == 24 && wp_rd32(gh) == 0xA1B2C3D4 && wp_rd32(gh + 20) == 1,
          "%s: a little-endian Ethernet pcap", path);
    while (fread(rh, 1, 16, fp) == 16) {
        uint32_t caplen = wp_rd32(rh + 8);
        if (caplen > sizeof pkt || fread(pkt, 1, caplen, fp) != caplen)
            break;
        frame++;
        int64_t ts = (int64_t)wp_rd32(rh) * 1000000000LL + (int64_t)wp_rd32(rh + 4) * 1000;
        const uint8_t *q = pkt;
        uint32_t n = caplen, et;
        if (n < 14)
            continue;
        et = wp_be16(q + 12);
        q += 14;
        n -= 14;
        while (et == 0x8100 && n >= 4) {
            et = wp_be16(q + 2);
            q += 4;
            n -= 4;
        }
        if (et != 0x0800 || n < 20 || (q[0] >> 4) != 4 || q[9] != 6)
            continue;
        uint32_t ihl = (q[0] & 15u) * 4, tot = wp_be16(q + 2);
        if (tot > n || ihl < 20 || tot < ihl + 20)
            continue;
        uint32_t sip = wp_be32(q + 12), dip = wp_be32(q + 16);
        const uint8_t *t = q + ihl;
        uint32_t tl = tot - ihl, thl = (t[12] >> 4) * 4u;
        if (thl < 20 || thl > tl)
            continue;
        uint16_t sp = wp_be16(t), dp = wp_be16(t + 2);
        uint32_t seq = wp_be32(t + 4);
        uint8_t fl = t[13];
        const uint8_t *pl = t + thl;
        uint32_t pn = tl - thl;

        wp_flow *f = NULL;
        int sd = 0;
        for (int i = 0; i < n_flows && !f; i++) {
            wp_flow *g = &flows[i];
            for (int k = 0; k < 2; k++)
                if (g->ip[k] == sip && g->port[k] == sp && g->ip[!k] == dip && g->port[!k] == dp) {
                    f = g;
                    sd = k;
                }
        }
        if (!f) {
            if (n_flows == (int)(sizeof flows / sizeof flows[0]))
                continue;
            f = &flows[n_flows++];
            memset(f, 0, sizeof *f);
            f->ip[0] = sip;
            f->ip[1] = dip;
            f->port[0] = sp;
            f->port[1] = dp;
            f->syn_seen = (fl & 0x12) == 0x02;
            wp_sess_new(w, f->sess, f->syn_seen);
        }
        wp_side *s = &f->side[sd];
        if (fl & 0x02) { /* SYN */
            s->next_seq = seq + 1;
            s->seq_known = true;
            continue;
        }
        if (!pn)
            continue;
        if (s->seq_known && (int32_t)(seq - s->next_seq) < 0) {
            uint32_t dup = s->next_seq - seq; /* a retransmission: keep what is new */
            if (dup >= pn)
                continue;
            pl += dup;
            pn -= dup;
            seq += dup;
        } else if (s->seq_known && seq != s->next_seq) {
            s->n = 0; /* a gap: start again after it */
        }
        s->next_seq = seq + pn;
        s->seq_known = true;
        if (s->n + pn > s->cap) {
            s->cap = (s->n + pn) * 2;
            s->buf = realloc(s->buf, s->cap);
        }
        memcpy(s->buf + s->n, pl, pn);
        s->n += pn;
        wp_drain(w, f, sd, frame, ts, name, mutate);
    }
    fclose(fp);
    for (int i = 0; i < n_flows; i++) {
        char where[160];
        snprintf(where, sizeof where, "%.80s: the end of conversation %d", name, i + 1);
        wp_sess_end(w, flows[i].sess, where);
        free(flows[i].side[0].buf);
        free(flows[i].side[1].buf);
    }
}

static void wp_init(wp_state *w, const cs_proto *p, const uint32_t *opts)
{
    memset(w, 0, sizeof *w);
    w->p = p;
    w->opts = opts;
    for (int k = 0; k < WP_N; k++)
        cs_out_init(&w->out[k], wp_want[k]);
}

static void wp_free(wp_state *w)
{
    for (int k = 0; k < WP_N; k++)
        cs_out_free(&w->out[k]);
}

/* The test: the session and faults samples of protocol `p`, found in
 * `dir`; each must yield at least min_pdus PDUs. */
static void wp_test_samples(const cs_proto *p, const uint32_t *opts, const char *dir,
                            unsigned min_pdus)
{
    static const char *const kinds[] = {"session", "faults"};
    for (int i = 0; i < 2; i++) {
        wp_state w;
        char path[1024];
        wp_init(&w, p, opts);
        snprintf(path, sizeof path, "%s/%s-%s.pcap", dir, p->name, kinds[i]);
        wp_run_pcap(&w, path, true);
        CHECK(w.pdus >= min_pdus && w.violations > 0 && w.failures == 0,
              "%s: %u PDUs (want >= %u), %u decodes, %u violations, %u differences", path,
              w.pdus, min_pdus, w.decodes, w.violations, w.failures);
        printf("want parity, %s: %u PDUs, %u decodes x %d wants, %u violations compared\n", path,
               w.pdus, w.decodes, WP_N, w.violations);
        wp_free(&w);
    }
}

#endif
