/* ipfrag.c - IPv4 fragment reassembly (see ipfrag.h). */
#include "ipfrag.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DGRAM 65535u
#define MAX_RANGES 64

typedef struct frag_slot {
    bool used;
    bool cut;           /* a fragment was cut by the capture: never completes */
    uint8_t src[4], dst[4];
    uint16_t id;
    uint8_t proto;
    int64_t last_ts;
    int32_t total;      /* -1 until the last fragment is seen */
    uint32_t n_ranges;
    uint32_t r0[MAX_RANGES], r1[MAX_RANGES]; /* covered [r0, r1), sorted, disjoint */
    uint8_t *buf;       /* MAX_DGRAM bytes */
    sbuf raw;           /* kept records (--extract) */
} frag_slot;

struct cc_frag_table {
    frag_slot s[CC_FRAG_SLOTS];
    uint8_t *done; /* the last completed datagram */
    sbuf done_raw;
    uint64_t dropped;
};

cc_frag_table *cc_frag_new(void) { return calloc(1, sizeof(cc_frag_table)); }

void cc_frag_free(cc_frag_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < CC_FRAG_SLOTS; i++) {
        free(t->s[i].buf);
        sb_free(&t->s[i].raw);
    }
    sb_free(&t->done_raw);
    free(t->done);
    free(t);
}

uint64_t cc_frag_dropped(const cc_frag_table *t, bool final)
{
    uint64_t n = t->dropped;
    if (final)
        for (int i = 0; i < CC_FRAG_SLOTS; i++)
            n += t->s[i].used;
    return n;
}

static void give_up(cc_frag_table *t, frag_slot *s)
{
    s->used = false;
    t->dropped++;
}

/* Add [a, b) to the covered ranges; false when there are too many. */
static bool cover(frag_slot *s, uint32_t a, uint32_t b)
{
    uint32_t i = 0;
    while (i < s->n_ranges && s->r1[i] < a)
        i++;
    /* ranges i.. that touch [a, b) merge into one */
    uint32_t j = i;
    while (j < s->n_ranges && s->r0[j] <= b) {
        if (s->r0[j] < a)
            a = s->r0[j];
        if (s->r1[j] > b)
            b = s->r1[j];
        j++;
    }
    if (j == i) {
        if (s->n_ranges == MAX_RANGES)
            return false;
        memmove(&s->r0[i + 1], &s->r0[i], (s->n_ranges - i) * sizeof s->r0[0]);
        memmove(&s->r1[i + 1], &s->r1[i], (s->n_ranges - i) * sizeof s->r1[0]);
        s->n_ranges++;
    } else if (j > i + 1) {
        memmove(&s->r0[i + 1], &s->r0[j], (s->n_ranges - j) * sizeof s->r0[0]);
        memmove(&s->r1[i + 1], &s->r1[j], (s->n_ranges - j) * sizeof s->r1[0]);
        s->n_ranges -= j - i - 1;
    }
    s->r0[i] = a;
    s->r1[i] = b;
    return true;
}

bool cc_frag_add(cc_frag_table *t, const cc_packet *p, const cc_rec *keep, const uint8_t **data,
                 uint32_t *len, const sbuf **raw)
{
    if (p->src.family != 4)
        return false;
    frag_slot *s = NULL, *oldest = NULL, *free_slot = NULL;
    int64_t limit = p->ts_ns - (int64_t)CC_FRAG_TIMEOUT_S * 1000000000;
    for (int i = 0; i < CC_FRAG_SLOTS; i++) {
        frag_slot *x = &t->s[i];
        if (x->used && x->last_ts < limit)
            give_up(t, x);
        if (!x->used) {
            if (!free_slot)
                free_slot = x;
            continue;
        }
        if (x->id == p->ip_id && x->proto == p->ip_proto && !memcmp(x->src, p->src.a, 4) &&
            !memcmp(x->dst, p->dst.a, 4))
            s = x;
        else if (!oldest || x->last_ts < oldest->last_ts)
            oldest = x;
    }
    uint32_t a = p->frag_off, b = a + p->frag_wire;
    if (b > MAX_DGRAM)
        return false; /* impossible: ignored */
    if (!s) {
        if (!free_slot) {
            give_up(t, oldest);
            free_slot = oldest;
        }
        s = free_slot;
        if (!s->buf && !(s->buf = malloc(MAX_DGRAM)))
            return false;
        s->used = true;
        s->cut = false;
        memcpy(s->src, p->src.a, 4);
        memcpy(s->dst, p->dst.a, 4);
        s->id = p->ip_id;
        s->proto = p->ip_proto;
        s->total = -1;
        s->n_ranges = 0;
        s->raw.n = 0;
    }
    s->last_ts = p->ts_ns;
    if (p->frag_len < p->frag_wire)
        s->cut = true;
    memcpy(s->buf + a, p->frag_data, p->frag_len);
    if (!p->frag_more)
        s->total = (int32_t)b;
    if (b > a && !cover(s, a, b)) {
        give_up(t, s);
        return false;
    }
    if (s->total < 0 || s->cut || s->n_ranges != 1 || s->r0[0] != 0 ||
        s->r1[0] < (uint32_t)s->total) {
        if (keep && s->raw.n < 4u * MAX_DGRAM) {
            cc_raw_hdr h = {keep->frame, keep->ts_ns, keep->linktype, keep->caplen, keep->len,
                            (uint32_t)(p->ip - keep->data)};
            sb_put(&s->raw, &h, sizeof h);
            sb_put(&s->raw, keep->data, keep->caplen);
        }
        return false;
    }
    /* complete: hand out the bytes, keep the buffer for the next one */
    uint8_t *done = s->buf;
    s->buf = t->done;
    t->done = done;
    s->used = false;
    sbuf tr = s->raw;
    s->raw = t->done_raw;
    s->raw.n = 0;
    t->done_raw = tr;
    if (raw)
        *raw = &t->done_raw;
    *data = done;
    *len = (uint32_t)s->total;
    return true;
}
