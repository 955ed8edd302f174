/* flow.c - the flow table (see flow.h). */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

#define SLAB_BITS 10 /* slabs of 96 KiB */
#define SLAB_SIZE (1u << SLAB_BITS)
#define NONE UINT32_MAX

struct cc_flows {
    uint64_t *slot;    /* entry index + 1 | hash << 32; 0 = empty: a probe
                        * looks at an entry only when the hash matches */
    uint32_t mask;     /* slots - 1 */
    uint32_t count, max;
    cc_flow **slabs;
    uint32_t n_slabs, cap_slabs;
    uint32_t n_entries; /* entries ever handed out (free ones included) */
    uint32_t free_head;
    uint32_t head[2], tail[2];
};

static inline cc_flow *entry(const cc_flows *t, uint32_t i)
{
    return &t->slabs[i >> SLAB_BITS][i & (SLAB_SIZE - 1)];
}

cc_flows *cc_flows_new(uint32_t max_flows)
{
    cc_flows *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->max = max_flows ? max_flows : 1;
    t->mask = 1023;
    t->slot = calloc(t->mask + 1, sizeof *t->slot);
    t->free_head = NONE;
    t->head[0] = t->head[1] = t->tail[0] = t->tail[1] = NONE;
    if (!t->slot) {
        free(t);
        return NULL;
    }
    return t;
}

void cc_flows_free(cc_flows *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->n_slabs; i++)
        free(t->slabs[i]);
    free(t->slabs);
    free(t->slot);
    free(t);
}

uint32_t cc_flows_count(const cc_flows *t) { return t->count; }

static inline uint64_t rotl(uint64_t v, int r) { return v << r | v >> (64 - r); }

static inline uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* a word loaded from memory, as a number that compares as memcmp() does */
static inline uint64_t be_order(uint64_t v)
{
    return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? __builtin_bswap64(v) : v;
}

uint32_t cc_flow_key_of(const cc_packet *p, cc_flow_key *k, int *sender)
{
    /* the endpoints in memcmp() order of (address, port): the address as
     * two big-endian words, compared without a call */
    uint64_t s0 = ld64(p->src.a), s1 = ld64(p->src.a + 8);
    uint64_t d0 = ld64(p->dst.a), d1 = ld64(p->dst.a + 8);
    uint64_t bs0 = be_order(s0), bd0 = be_order(d0), bs1 = be_order(s1), bd1 = be_order(d1);
    bool fwd = bs0 != bd0 ? bs0 < bd0 : bs1 != bd1 ? bs1 < bd1 : p->sport <= p->dport;
    uint64_t w[5];
    w[0] = fwd ? s0 : d0;
    w[1] = fwd ? s1 : d1;
    w[2] = fwd ? d0 : s0;
    w[3] = fwd ? d1 : s1;
    uint16_t p0 = fwd ? p->sport : p->dport, p1 = fwd ? p->dport : p->sport;
    /* port[0], port[1], l4, family, pad: the key's last word */
    w[4] = (uint64_t)p0 | (uint64_t)p1 << 16 | (uint64_t)p->l4 << 32 |
           (uint64_t)p->src.family << 40;
    if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) {
        memcpy(k, w, sizeof w);
    } else {
        memcpy(k->addr[0], &w[0], 16);
        memcpy(k->addr[1], &w[2], 16);
        k->port[0] = p0;
        k->port[1] = p1;
        k->l4 = p->l4;
        k->family = p->src.family;
        k->pad[0] = k->pad[1] = 0;
        memcpy(w, k, sizeof w);
    }
    *sender = fwd ? 0 : 1;
    /* three products of words that do not overlap for IPv4 (an address in
     * the low half, the ports in the high half), folded; the last multiply
     * spreads every bit into the high half, which is the hash */
    uint64_t a = (w[0] ^ rotl(w[4], 32)) * 0x9E3779B97F4A7C15ULL;
    uint64_t b = (w[1] ^ rotl(w[2], 32)) * 0xC2B2AE3D27D4EB4FULL;
    uint64_t c = w[3] * 0x165667B19E3779F9ULL;
    uint64_t h = a ^ rotl(b, 23) ^ rotl(c, 41);
    h ^= h >> 29;
    return (uint32_t)((h * 0xff51afd7ed558ccdULL) >> 32);
}

static inline bool key_eq(const cc_flow_key *a, const cc_flow_key *b)
{
    uint64_t x[5], y[5];
    memcpy(x, a, sizeof x);
    memcpy(y, b, sizeof y);
    return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

cc_flow *cc_flows_find(cc_flows *t, const cc_flow_key *k, uint32_t hash)
{
    for (uint32_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        uint64_t s = t->slot[i];
        if (!s)
            return NULL;
        if ((uint32_t)(s >> 32) == hash) {
            cc_flow *f = entry(t, (uint32_t)s - 1);
            if (key_eq(&f->key, k))
                return f;
        }
    }
}

static inline uint64_t slot_of(const cc_flow *f)
{
    return (uint64_t)f->hash << 32 | (f->idx + 1);
}

static void place(cc_flows *t, uint64_t s)
{
    uint32_t i = (uint32_t)(s >> 32) & t->mask;
    while (t->slot[i])
        i = (i + 1) & t->mask;
    t->slot[i] = s;
}

static bool grow_index(cc_flows *t)
{
    uint32_t n = (t->mask + 1) * 2;
    uint64_t *s = calloc(n, sizeof *s);
    if (!s)
        return false;
    uint64_t *old = t->slot;
    uint32_t old_n = t->mask + 1;
    t->slot = s;
    t->mask = n - 1;
    for (uint32_t i = 0; i < old_n; i++)
        if (old[i])
            place(t, old[i]);
    free(old);
    return true;
}

static void list_unlink(cc_flows *t, cc_flow *f)
{
    int l = f->list;
    if (f->prev != NONE)
        entry(t, f->prev)->next = f->next;
    else
        t->head[l] = f->next;
    if (f->next != NONE)
        entry(t, f->next)->prev = f->prev;
    else
        t->tail[l] = f->prev;
    f->prev = f->next = NONE;
}

static void list_append(cc_flows *t, cc_flow *f, int l)
{
    f->list = (uint8_t)l;
    f->next = NONE;
    f->prev = t->tail[l];
    if (t->tail[l] != NONE)
        entry(t, t->tail[l])->next = f->idx;
    else
        t->head[l] = f->idx;
    t->tail[l] = f->idx;
}

cc_flow *cc_flows_insert(cc_flows *t, const cc_flow_key *k, uint32_t hash)
{
    if ((uint64_t)(t->count + 1) * 2 > (uint64_t)t->mask + 1 && !grow_index(t))
        return NULL;
    uint32_t idx;
    if (t->free_head != NONE) {
        idx = t->free_head;
        t->free_head = entry(t, idx)->next;
    } else {
        if (t->n_entries == t->n_slabs * SLAB_SIZE) {
            if (t->n_slabs == t->cap_slabs) {
                uint32_t c = t->cap_slabs ? t->cap_slabs * 2 : 16;
                cc_flow **s = realloc(t->slabs, c * sizeof *s);
                if (!s)
                    return NULL;
                t->slabs = s;
                t->cap_slabs = c;
            }
            cc_flow *slab = malloc(SLAB_SIZE * sizeof(cc_flow));
            if (!slab)
                return NULL;
            t->slabs[t->n_slabs++] = slab;
        }
        idx = t->n_entries++;
    }
    cc_flow *f = entry(t, idx);
    memset(f, 0, sizeof *f);
    f->key = *k;
    f->hash = hash;
    f->idx = idx;
    place(t, slot_of(f));
    list_append(t, f, CC_LIST_ACTIVE);
    t->count++;
    return f;
}

void cc_flows_remove(cc_flows *t, cc_flow *f)
{
    /* backward-shift deletion keeps probe chains intact without tombstones */
    uint64_t me = slot_of(f);
    uint32_t i = f->hash & t->mask;
    while (t->slot[i] != me)
        i = (i + 1) & t->mask;
    for (uint32_t j = (i + 1) & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
        uint32_t home = (uint32_t)(t->slot[j] >> 32) & t->mask;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        t->slot[i] = t->slot[j];
        i = j;
    }
    t->slot[i] = 0;
    list_unlink(t, f);
    f->sess = NULL;
    f->next = t->free_head;
    t->free_head = f->idx;
    t->count--;
}

void cc_flows_touch(cc_flows *t, cc_flow *f, int list)
{
    if (f->list == list && t->tail[list] == f->idx)
        return;
    list_unlink(t, f);
    list_append(t, f, list);
}

cc_flow *cc_flows_oldest(cc_flows *t, int list)
{
    return t->head[list] == NONE ? NULL : entry(t, t->head[list]);
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = (*(cc_flow *const *)a)->id, y = (*(cc_flow *const *)b)->id;
    return x < y ? -1 : x > y;
}

uint32_t cc_flows_all(cc_flows *t, cc_flow ***out)
{
    cc_flow **v = malloc((t->count ? t->count : 1) * sizeof *v);
    uint32_t n = 0;
    if (!v) {
        *out = NULL;
        return 0;
    }
    for (int l = 0; l < 2; l++)
        for (uint32_t i = t->head[l]; i != NONE; i = entry(t, i)->next)
            v[n++] = entry(t, i);
    qsort(v, n, sizeof *v, by_id);
    *out = v;
    return n;
}
