/*
 * core.c - the protocol-independent part of the shared library: output
 * buffers, value names, options, garbage, request/response pairing and
 * the checksum algorithms.
 */
#include "cs_impl.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef CHARGESHARK_VERSION
#error "CHARGESHARK_VERSION must be defined by the build"
#endif

const char *cs_version(void) { return CHARGESHARK_VERSION; }

/* ---- value names ----------------------------------------------------- */

const char *cs_vs_find(const cs_vs *vs, uint32_t v)
{
    if (!vs)
        return NULL;
    for (; vs->name; vs++)
        if (vs->value == v)
            return vs->name;
    return NULL;
}

const char *cs_vs_name(const cs_vs *vs, uint32_t v, const char *fallback)
{
    const char *n = cs_vs_find(vs, v);
    return n ? n : fallback;
}

const cs_vs cs_dir_vals[] = {
    {CS_DIR_UNKNOWN, "Unknown"},
    {CS_DIR_TO_SERVER, "Device to server"},
    {CS_DIR_TO_DEVICE, "Server to device"},
    {CS_DIR_PEER, "Device to device"},
    {0, NULL},
};

const char *cs_dir_key(cs_dir d)
{
    switch (d) {
    case CS_DIR_TO_SERVER: return "to_server";
    case CS_DIR_TO_DEVICE: return "to_device";
    case CS_DIR_PEER: return "peer";
    default: return "unknown";
    }
}

const cs_vs cs_dir_source_vals[] = {
    {CS_DS_NONE, "undetermined"},
    {CS_DS_SHAPE, "inferred from the payload shape"},
    {CS_DS_TRANSPORT, "from the TCP handshake"},
    {CS_DS_LEARNED, "learned from this endpoint's earlier messages"},
    {CS_DS_OVERRIDE, "decided on the first pass"},
    {CS_DS_DECLARED, "declared in the message"},
    {CS_DS_PORTS, "guessed: the lower port is the server's"},
    {0, NULL},
};

const cs_vs cs_cksum_vals[] = {
    {CS_CK_BAD, "Bad"},
    {CS_CK_GOOD, "Good"},
    {CS_CK_UNVERIFIED, "Unverified"},
    {CS_CK_ABSENT, "Not present"},
    {0, NULL},
};

const char *cs_cksum_key(cs_cksum c)
{
    switch (c) {
    case CS_CK_GOOD: return "good";
    case CS_CK_BAD: return "bad";
    case CS_CK_UNVERIFIED: return "unverified";
    case CS_CK_ABSENT: return "absent";
    default: return "none";
    }
}

const cs_vs cs_severity_vals[] = {
    {CS_SEV_NOTE, "Note"},
    {CS_SEV_WARN, "Warning"},
    {CS_SEV_ERROR, "Error"},
    {0, NULL},
};

const char *cs_severity_key(cs_severity s)
{
    switch (s) {
    case CS_SEV_ERROR: return "error";
    case CS_SEV_WARN: return "warning";
    default: return "note";
    }
}

/* ---- the output buffer ------------------------------------------------ */

void cs_out_init(cs_out *o, uint32_t want)
{
    memset(o, 0, sizeof *o);
    o->want = want;
    cs_out_reset(o);
}

void cs_out_reset(cs_out *o)
{
    o->n_items = o->n_viols = 0;
    o->n_items_stateless = o->n_viols_stateless = 0;
    o->arena_len = 1; /* offset 0 means "no string" */
    if (o->arena)
        o->arena[0] = '\0';
    o->cmd = -1;
    o->cmd_name = NULL;
    o->dir = CS_DIR_UNKNOWN;
    o->dir_source = CS_DS_NONE;
    o->cksum = CS_CK_NONE;
    o->garbage = false;
    o->result = -1;
    o->result_name = NULL;
    o->info[0] = '\0';
    o->info_len = 0;
    o->derived_len = 0;
    o->derived_name = NULL;
    o->pending = false;
    o->req_frame = 0;
    o->req_ts_ns = 0;
    o->req_tag = 0;
    o->n_facts = 0;
    o->depth = 0;
    o->oom = false;
}

void cs_out_free(cs_out *o)
{
    free(o->items);
    free(o->viols);
    free(o->arena);
    free(o->derived);
    memset(o, 0, sizeof *o);
}

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    uint32_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > UINT32_MAX / 2)
            return false;
        n *= 2;
    }
    void *q = realloc(*p, (size_t)n * elem);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

static uint32_t arena_reserve(cs_out *o, size_t n)
{
    if (n > UINT32_MAX / 4 || !grow((void **)&o->arena, &o->arena_cap, o->arena_len + (uint32_t)n + 1, 1)) {
        o->oom = true;
        return 0;
    }
    if (o->arena_len == 1)
        o->arena[0] = '\0';
    uint32_t off = o->arena_len;
    o->arena_len += (uint32_t)n + 1;
    return off;
}

static uint32_t arena_copy(cs_out *o, const char *s, size_t n)
{
    uint32_t off = arena_reserve(o, n);
    if (!off)
        return 0;
    memcpy(o->arena + off, s, n);
    o->arena[off + n] = '\0';
    return off;
}

static inline bool plain_char(unsigned char c) { return c >= 0x20 && c < 0x7F && c != '\\'; }

uint32_t cs_arena_printable(cs_out *o, const char *s, size_t n)
{
    /* the usual case, nothing to escape, is a copy */
    size_t k = 0;
    while (k < n && plain_char((unsigned char)s[k]))
        k++;
    if (k == n)
        return arena_copy(o, s, n);
    size_t need = k;
    for (size_t i = k; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        need += plain_char(c) ? 1 : 4;
    }
    uint32_t off = arena_reserve(o, need);
    if (!off)
        return 0;
    char *d = o->arena + off;
    memcpy(d, s, k);
    d += k;
    for (size_t i = k; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (plain_char(c))
            *d++ = (char)c;
        else {
            static const char hx[] = "0123456789abcdef";
            *d++ = '\\';
            *d++ = 'x';
            *d++ = hx[c >> 4];
            *d++ = hx[c & 15];
        }
    }
    *d = '\0';
    return off;
}

uint32_t cs_arena_vprintf(cs_out *o, const char *fmt, va_list ap)
{
    /* "%s" is a copy; anything else is formatted once into a local
     * buffer, and a second time only when it does not fit */
    if (fmt[0] == '%' && fmt[1] == 's' && !fmt[2]) {
        va_list ap2;
        va_copy(ap2, ap);
        const char *str = va_arg(ap2, const char *);
        va_end(ap2);
        if (!str)
            str = "(null)"; /* as glibc prints it */
        return arena_copy(o, str, strlen(str));
    }
    char local[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(local, sizeof local, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return 0;
    if ((size_t)n < sizeof local)
        return arena_copy(o, local, (size_t)n);
    uint32_t off = arena_reserve(o, (size_t)n);
    if (!off)
        return 0;
    vsnprintf(o->arena + off, (size_t)n + 1, fmt, ap);
    return off;
}

uint32_t cs_arena_printf(cs_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    uint32_t off = cs_arena_vprintf(o, fmt, ap);
    va_end(ap);
    return off;
}

int cs_item_add(cs_out *o, int field, uint32_t off, uint32_t len, uint64_t u)
{
    if (!(o->want & CS_WANT_ITEMS) || field < 0)
        return -1;
    if (!grow((void **)&o->items, &o->cap_items, o->n_items + 1, sizeof(cs_item))) {
        o->oom = true;
        return -1;
    }
    cs_item *it = &o->items[o->n_items];
    memset(it, 0, sizeof *it);
    it->field = (uint16_t)field;
    it->depth = o->depth;
    it->offset = off;
    it->length = len;
    it->v.u = u;
    return (int)o->n_items++;
}

int cs_item_str(cs_out *o, int field, uint32_t off, uint32_t len, const char *s, size_t n)
{
    int idx = cs_item_add(o, field, off, len, 0);
    if (idx >= 0)
        o->items[idx].str = cs_arena_printable(o, s, n);
    return idx;
}

int cs_item_strf(cs_out *o, int field, uint32_t off, uint32_t len, const char *fmt, ...)
{
    int idx = cs_item_add(o, field, off, len, 0);
    if (idx >= 0) {
        va_list ap;
        va_start(ap, fmt);
        o->items[idx].str = cs_arena_vprintf(o, fmt, ap);
        va_end(ap);
    }
    return idx;
}

void cs_item_text(cs_out *o, int idx, const char *fmt, ...)
{
    if (idx < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    o->items[idx].str = cs_arena_vprintf(o, fmt, ap);
    va_end(ap);
}

int cs_item_direction(cs_out *o, int field, int dir, int src, const char *to_server,
                      const char *to_device)
{
    o->dir = (uint8_t)dir;
    o->dir_source = (uint8_t)src;
    int it = cs_item_add(o, field, 0, 0, (uint64_t)dir);
    if (it >= 0) {
        cs_item_flag(o, it, CS_IF_GENERATED);
        cs_item_text(o, it, "%s (%s)",
                     dir == CS_DIR_TO_SERVER   ? to_server
                     : dir == CS_DIR_TO_DEVICE ? to_device
                                               : "Unknown",
                     cs_vs_name(cs_dir_source_vals, src, "?"));
    }
    return it;
}

int cs_item_cksum(cs_out *o, int field, uint32_t off, uint32_t len, uint32_t stored,
                  uint32_t computed, cs_cksum status, bool le)
{
    o->cksum = (uint8_t)status;
    int idx = cs_item_add(o, field, off, len, stored);
    if (idx >= 0) {
        o->items[idx].aux = computed;
        o->items[idx].status = (uint8_t)status;
        if (le)
            o->items[idx].flags |= CS_IF_LE;
    }
    return idx;
}

static cs_viol *viol_new(cs_out *o, int code)
{
    if (code < 0)
        return NULL;
    if (!grow((void **)&o->viols, &o->cap_viols, o->n_viols + 1, sizeof(cs_viol))) {
        o->oom = true;
        return NULL;
    }
    cs_viol *v = &o->viols[o->n_viols++];
    memset(v, 0, sizeof *v);
    v->code = (uint16_t)code;
    v->item = -1;
    return v;
}

int cs_viol_add(cs_out *o, int code, int item, uint32_t off, uint32_t len, const char *fmt, ...)
{
    cs_viol *v = viol_new(o, code);
    if (!v)
        return -1;
    v->item = item;
    v->offset = off;
    v->length = len;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        v->msg = cs_arena_vprintf(o, fmt, ap);
        va_end(ap);
    }
    return (int)(v - o->viols);
}

void cs_viol_frame(cs_out *o, int code, uint32_t frame, uintptr_t tag, const char *fmt, ...)
{
    cs_viol *v = viol_new(o, code);
    if (!v)
        return;
    v->frame = frame;
    v->tag = tag;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        v->msg = cs_arena_vprintf(o, fmt, ap);
        va_end(ap);
    }
}

void cs_info(cs_out *o, const char *fmt, ...)
{
    if (!(o->want & CS_WANT_INFO) || o->info_len >= sizeof o->info - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->info + o->info_len, sizeof o->info - o->info_len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        o->info_len += (uint32_t)n;
        if (o->info_len > sizeof o->info - 1)
            o->info_len = sizeof o->info - 1;
    }
}

void cs_fact_add(cs_out *o, cs_fact_kind kind, const char *fmt, ...)
{
    if (o->n_facts >= CS_MAX_FACTS)
        return;
    va_list ap;
    va_start(ap, fmt);
    uint32_t s = cs_arena_vprintf(o, fmt, ap);
    va_end(ap);
    cs_fact_push(o, kind, s);
}

void cs_fact_text(cs_out *o, cs_fact_kind kind, const char *s, size_t n)
{
    if (o->n_facts < CS_MAX_FACTS)
        cs_fact_push(o, kind, arena_copy(o, s, n));
}

void cs_fact_printable(cs_out *o, cs_fact_kind kind, const char *s, size_t n)
{
    if (o->n_facts < CS_MAX_FACTS)
        cs_fact_push(o, kind, cs_arena_printable(o, s, n));
}

uint8_t *cs_derived_alloc(cs_out *o, size_t n, const char *name)
{
    if (n > UINT32_MAX / 2 || !grow((void **)&o->derived, &o->derived_cap, (uint32_t)n ? (uint32_t)n : 1, 1)) {
        o->oom = true;
        return NULL;
    }
    o->derived_len = (uint32_t)n;
    o->derived_name = name;
    return o->derived;
}

char *cs_hex(char *buf, size_t bufsize, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t j = 0;
    for (size_t i = 0; i < n && j + 2 < bufsize; i++) {
        buf[j++] = hx[p[i] >> 4];
        buf[j++] = hx[p[i] & 15];
    }
    if (bufsize)
        buf[j < bufsize ? j : bufsize - 1] = '\0';
    return buf;
}

static int hexval(char c)
{
    return (c >= '0' && c <= '9')   ? c - '0'
           : (c >= 'a' && c <= 'f') ? c - 'a' + 10
           : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                    : -1;
}

size_t cs_unhex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;
    int hi = -1;
    for (; *hex && n < max; hex++) {
        int v = hexval(*hex);
        if (v < 0)
            continue;
        if (hi < 0)
            hi = v;
        else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

/* ---- registry helpers ----------------------------------------------- */

const cs_proto *cs_proto_by_name(const char *name)
{
    for (const cs_proto *const *p = cs_protocols; *p; p++)
        if (strcmp((*p)->name, name) == 0)
            return *p;
    return NULL;
}

int cs_field_index(const cs_proto *p, const char *abbrev)
{
    for (int i = 0; i < p->n_fields; i++)
        if (strcmp(p->fields[i].abbrev, abbrev) == 0)
            return i;
    return -1;
}

int cs_violation_index(const cs_proto *p, const char *code)
{
    for (int i = 0; i < p->n_violations; i++)
        if (strcmp(p->violations[i].code, code) == 0)
            return i;
    return -1;
}

void cs_opts_default(const cs_proto *p, uint32_t *opts)
{
    memset(opts, 0, CS_MAX_OPTS * sizeof *opts);
    for (int i = 0; i < p->n_options && i < CS_MAX_OPTS; i++)
        opts[i] = p->options[i].def;
}

int cs_opts_set(const cs_proto *p, uint32_t *opts, const char *name, const char *value, char *err,
                size_t errlen)
{
    for (int i = 0; i < p->n_options && i < CS_MAX_OPTS; i++) {
        const cs_option_def *d = &p->options[i];
        if (strcmp(d->name, name) != 0)
            continue;
        switch (d->type) {
        case CS_OPT_BOOL:
            if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "TRUE")) {
                opts[i] = 1;
                return 0;
            }
            if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "FALSE")) {
                opts[i] = 0;
                return 0;
            }
            snprintf(err, errlen, "%s.%s takes true or false, not '%s'", p->name, name, value);
            return -1;
        case CS_OPT_UINT: {
            char *end = NULL;
            unsigned long v = strtoul(value, &end, 10);
            if (!*value || *end || v > UINT32_MAX || value[0] == '-') {
                snprintf(err, errlen, "%s.%s takes a whole number, not '%s'", p->name, name, value);
                return -1;
            }
            opts[i] = (uint32_t)v;
            return 0;
        }
        case CS_OPT_ENUM:
            for (const cs_vs *e = d->enum_vals; e && e->name; e++)
                if (!strcmp(e->name, value)) {
                    opts[i] = e->value;
                    return 0;
                }
            snprintf(err, errlen, "%s.%s: '%s' is not one of its choices", p->name, name, value);
            return -1;
        }
    }
    snprintf(err, errlen, "%s has no option '%s'", p->name, name);
    return -1;
}

/* ---- garbage ------------------------------------------------------------ */

void cs_decode_garbage(const cs_proto *p, const uint8_t *buf, size_t len, const cs_ctx *ctx,
                       cs_out *o)
{
    (void)buf;
    (void)ctx;
    cs_out_reset(o);
    o->garbage = true;
    int it = cs_item_add(o, p->f_garbage, 0, (uint32_t)len, 0);
    cs_viol_add(o, p->v_garbage, it, 0, (uint32_t)len, "%zu byte%s skipped: no %s PDU starts here",
                len, len == 1 ? "" : "s", p->short_name);
    cs_info(o, "[%zu bytes of garbage]", len);
    cs_mark_stateless(o);
}

/* ---- request/response pairing ------------------------------------------ */

void cs_rr_request(cs_rr *rr, const cs_proto *p, uint64_t key, uint32_t aux, const cs_ctx *ctx,
                   cs_out *o)
{
    if (rr->n == CS_RR_MAX) {
        cs_rr_entry *old = &rr->e[0];
        cs_viol_frame(o, p->v_unanswered, old->frame, old->tag,
                      "Request never answered (given up after %u newer requests)", CS_RR_MAX);
        memmove(&rr->e[0], &rr->e[1], (CS_RR_MAX - 1) * sizeof rr->e[0]);
        rr->n--;
    }
    cs_rr_entry *e = &rr->e[rr->n++];
    e->key = key;
    e->frame = ctx->frame;
    e->ts_ns = ctx->ts_ns;
    e->tag = ctx->tag;
    e->aux = aux;
    o->pending = true;
}

bool cs_rr_response(cs_rr *rr, const cs_proto *p, uint64_t key, const cs_ctx *ctx, cs_out *o,
                    int v_unsolicited, cs_rr_entry *hit)
{
    for (uint32_t i = 0; i < rr->n; i++) {
        if (rr->e[i].key != key)
            continue;
        cs_rr_entry e = rr->e[i];
        memmove(&rr->e[i], &rr->e[i + 1], (rr->n - i - 1) * sizeof rr->e[0]);
        rr->n--;
        o->req_frame = e.frame;
        o->req_ts_ns = e.ts_ns;
        o->req_tag = e.tag;
        int it = cs_item_add(o, p->f_request_in, 0, 0, e.frame);
        cs_item_flag(o, it, CS_IF_GENERATED);
        it = cs_item_add(o, p->f_response_time, 0, 0, 0);
        if (it >= 0) {
            o->items[it].v.i = ctx->ts_ns - e.ts_ns;
            o->items[it].flags |= CS_IF_GENERATED;
        }
        if (hit)
            *hit = e;
        return true;
    }
    if (v_unsolicited >= 0)
        cs_viol_add(o, v_unsolicited, -1, 0, 0, "Response without a matching request");
    return false;
}

void cs_rr_end(cs_rr *rr, const cs_proto *p, cs_out *o)
{
    for (uint32_t i = 0; i < rr->n; i++)
        cs_viol_frame(o, p->v_unanswered, rr->e[i].frame, rr->e[i].tag, NULL);
    rr->n = 0;
}

/* ---- checksums ------------------------------------------------------------- */

uint8_t cs_xor8(const uint8_t *p, size_t n)
{
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++)
        x ^= p[i];
    return x;
}

uint32_t cs_sum32(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

const cs_vs cs_crc16_variant_vals[] = {
    {CS_CRC16_AICLOUD, "aicloud-field"},
    {CS_CRC16_MODBUS, "modbus"},
    {CS_CRC16_CCITT_FALSE, "ccitt-false"},
    {CS_CRC16_XMODEM, "xmodem"},
    {CS_CRC16_KERMIT, "kermit"},
    {CS_CRC16_ARC, "arc"},
    {CS_CRC16_X25, "x-25"},
    {0, NULL},
};

/* Table-driven CRC-16: one table per polynomial and bit order.  The
 * catalogue parameters are in cs_crc16(); tests/unit/test_core.c checks
 * every variant's check value. */
/* reflected 0x8005 (MODBUS, ARC) */
static const uint16_t crc_a001_table[256] = {
    0x0000, 0xC0C1, 0xC181, 0x0140, 0xC301, 0x03C0, 0x0280, 0xC241,
    0xC601, 0x06C0, 0x0780, 0xC741, 0x0500, 0xC5C1, 0xC481, 0x0440,
    0xCC01, 0x0CC0, 0x0D80, 0xCD41, 0x0F00, 0xCFC1, 0xCE81, 0x0E40,
    0x0A00, 0xCAC1, 0xCB81, 0x0B40, 0xC901, 0x09C0, 0x0880, 0xC841,
    0xD801, 0x18C0, 0x1980, 0xD941, 0x1B00, 0xDBC1, 0xDA81, 0x1A40,
    0x1E00, 0xDEC1, 0xDF81, 0x1F40, 0xDD01, 0x1DC0, 0x1C80, 0xDC41,
    0x1400, 0xD4C1, 0xD581, 0x1540, 0xD701, 0x17C0, 0x1680, 0xD641,
    0xD201, 0x12C0, 0x1380, 0xD341, 0x1100, 0xD1C1, 0xD081, 0x1040,
    0xF001, 0x30C0, 0x3180, 0xF141, 0x3300, 0xF3C1, 0xF281, 0x3240,
    0x3600, 0xF6C1, 0xF781, 0x3740, 0xF501, 0x35C0, 0x3480, 0xF441,
    0x3C00, 0xFCC1, 0xFD81, 0x3D40, 0xFF01, 0x3FC0, 0x3E80, 0xFE41,
    0xFA01, 0x3AC0, 0x3B80, 0xFB41, 0x3900, 0xF9C1, 0xF881, 0x3840,
    0x2800, 0xE8C1, 0xE981, 0x2940, 0xEB01, 0x2BC0, 0x2A80, 0xEA41,
    0xEE01, 0x2EC0, 0x2F80, 0xEF41, 0x2D00, 0xEDC1, 0xEC81, 0x2C40,
    0xE401, 0x24C0, 0x2580, 0xE541, 0x2700, 0xE7C1, 0xE681, 0x2640,
    0x2200, 0xE2C1, 0xE381, 0x2340, 0xE101, 0x21C0, 0x2080, 0xE041,
    0xA001, 0x60C0, 0x6180, 0xA141, 0x6300, 0xA3C1, 0xA281, 0x6240,
    0x6600, 0xA6C1, 0xA781, 0x6740, 0xA501, 0x65C0, 0x6480, 0xA441,
    0x6C00, 0xACC1, 0xAD81, 0x6D40, 0xAF01, 0x6FC0, 0x6E80, 0xAE41,
    0xAA01, 0x6AC0, 0x6B80, 0xAB41, 0x6900, 0xA9C1, 0xA881, 0x6840,
    0x7800, 0xB8C1, 0xB981, 0x7940, 0xBB01, 0x7BC0, 0x7A80, 0xBA41,
    0xBE01, 0x7EC0, 0x7F80, 0xBF41, 0x7D00, 0xBDC1, 0xBC81, 0x7C40,
    0xB401, 0x74C0, 0x7580, 0xB541, 0x7700, 0xB7C1, 0xB681, 0x7640,
    0x7200, 0xB2C1, 0xB381, 0x7340, 0xB101, 0x71C0, 0x7080, 0xB041,
    0x5000, 0x90C1, 0x9181, 0x5140, 0x9301, 0x53C0, 0x5280, 0x9241,
    0x9601, 0x56C0, 0x5780, 0x9741, 0x5500, 0x95C1, 0x9481, 0x5440,
    0x9C01, 0x5CC0, 0x5D80, 0x9D41, 0x5F00, 0x9FC1, 0x9E81, 0x5E40,
    0x5A00, 0x9AC1, 0x9B81, 0x5B40, 0x9901, 0x59C0, 0x5880, 0x9841,
    0x8801, 0x48C0, 0x4980, 0x8941, 0x4B00, 0x8BC1, 0x8A81, 0x4A40,
    0x4E00, 0x8EC1, 0x8F81, 0x4F40, 0x8D01, 0x4DC0, 0x4C80, 0x8C41,
    0x4400, 0x84C1, 0x8581, 0x4540, 0x8701, 0x47C0, 0x4680, 0x8641,
    0x8201, 0x42C0, 0x4380, 0x8341, 0x4100, 0x81C1, 0x8081, 0x4040,
};

/* reflected 0x1021 (KERMIT, X-25) */
static const uint16_t crc_8408_table[256] = {
    0x0000, 0x1189, 0x2312, 0x329B, 0x4624, 0x57AD, 0x6536, 0x74BF,
    0x8C48, 0x9DC1, 0xAF5A, 0xBED3, 0xCA6C, 0xDBE5, 0xE97E, 0xF8F7,
    0x1081, 0x0108, 0x3393, 0x221A, 0x56A5, 0x472C, 0x75B7, 0x643E,
    0x9CC9, 0x8D40, 0xBFDB, 0xAE52, 0xDAED, 0xCB64, 0xF9FF, 0xE876,
    0x2102, 0x308B, 0x0210, 0x1399, 0x6726, 0x76AF, 0x4434, 0x55BD,
    0xAD4A, 0xBCC3, 0x8E58, 0x9FD1, 0xEB6E, 0xFAE7, 0xC87C, 0xD9F5,
    0x3183, 0x200A, 0x1291, 0x0318, 0x77A7, 0x662E, 0x54B5, 0x453C,
    0xBDCB, 0xAC42, 0x9ED9, 0x8F50, 0xFBEF, 0xEA66, 0xD8FD, 0xC974,
    0x4204, 0x538D, 0x6116, 0x709F, 0x0420, 0x15A9, 0x2732, 0x36BB,
    0xCE4C, 0xDFC5, 0xED5E, 0xFCD7, 0x8868, 0x99E1, 0xAB7A, 0xBAF3,
    0x5285, 0x430C, 0x7197, 0x601E, 0x14A1, 0x0528, 0x37B3, 0x263A,
    0xDECD, 0xCF44, 0xFDDF, 0xEC56, 0x98E9, 0x8960, 0xBBFB, 0xAA72,
    0x6306, 0x728F, 0x4014, 0x519D, 0x2522, 0x34AB, 0x0630, 0x17B9,
    0xEF4E, 0xFEC7, 0xCC5C, 0xDDD5, 0xA96A, 0xB8E3, 0x8A78, 0x9BF1,
    0x7387, 0x620E, 0x5095, 0x411C, 0x35A3, 0x242A, 0x16B1, 0x0738,
    0xFFCF, 0xEE46, 0xDCDD, 0xCD54, 0xB9EB, 0xA862, 0x9AF9, 0x8B70,
    0x8408, 0x9581, 0xA71A, 0xB693, 0xC22C, 0xD3A5, 0xE13E, 0xF0B7,
    0x0840, 0x19C9, 0x2B52, 0x3ADB, 0x4E64, 0x5FED, 0x6D76, 0x7CFF,
    0x9489, 0x8500, 0xB79B, 0xA612, 0xD2AD, 0xC324, 0xF1BF, 0xE036,
    0x18C1, 0x0948, 0x3BD3, 0x2A5A, 0x5EE5, 0x4F6C, 0x7DF7, 0x6C7E,
    0xA50A, 0xB483, 0x8618, 0x9791, 0xE32E, 0xF2A7, 0xC03C, 0xD1B5,
    0x2942, 0x38CB, 0x0A50, 0x1BD9, 0x6F66, 0x7EEF, 0x4C74, 0x5DFD,
    0xB58B, 0xA402, 0x9699, 0x8710, 0xF3AF, 0xE226, 0xD0BD, 0xC134,
    0x39C3, 0x284A, 0x1AD1, 0x0B58, 0x7FE7, 0x6E6E, 0x5CF5, 0x4D7C,
    0xC60C, 0xD785, 0xE51E, 0xF497, 0x8028, 0x91A1, 0xA33A, 0xB2B3,
    0x4A44, 0x5BCD, 0x6956, 0x78DF, 0x0C60, 0x1DE9, 0x2F72, 0x3EFB,
    0xD68D, 0xC704, 0xF59F, 0xE416, 0x90A9, 0x8120, 0xB3BB, 0xA232,
    0x5AC5, 0x4B4C, 0x79D7, 0x685E, 0x1CE1, 0x0D68, 0x3FF3, 0x2E7A,
    0xE70E, 0xF687, 0xC41C, 0xD595, 0xA12A, 0xB0A3, 0x8238, 0x93B1,
    0x6B46, 0x7ACF, 0x4854, 0x59DD, 0x2D62, 0x3CEB, 0x0E70, 0x1FF9,
    0xF78F, 0xE606, 0xD49D, 0xC514, 0xB1AB, 0xA022, 0x92B9, 0x8330,
    0x7BC7, 0x6A4E, 0x58D5, 0x495C, 0x3DE3, 0x2C6A, 0x1EF1, 0x0F78,
};

/* Four bytes per step ("slicing by 4"), then two: a table-driven CRC is
 * linear, so for a reflected update, with w = crc ^ (b0 | b1 << 8), two
 * steps are t2[w & 0xFF] ^ t[w >> 8], where t2 is the table of a byte
 * followed by a zero byte: t2[x] = (t[x] >> 8) ^ t[t[x] & 0xFF]; and with
 * w = crc ^ (b0 | b1 << 8 | b2 << 16 | b3 << 24), four steps are
 * t4[w & 0xFF] ^ t3[w >> 8 & 0xFF] ^ t2[w >> 16 & 0xFF] ^ t[w >> 24], t3
 * and t4 made from t2 and t3 the same way (at load time, lsb_init()).  An
 * odd last byte takes the one-byte step. */
typedef struct lsb_slices {
    uint16_t t3[256], t4[256];
} lsb_slices;

static lsb_slices slices_a001, slices_8408, slices_1021refl;

static void slices_make(lsb_slices *s, const uint16_t *t, const uint16_t *t2)
{
    for (int x = 0; x < 256; x++) {
        s->t3[x] = (uint16_t)((t2[x] >> 8) ^ t[t2[x] & 0xFF]);
        s->t4[x] = (uint16_t)((s->t3[x] >> 8) ^ t[s->t3[x] & 0xFF]);
    }
}

static uint16_t crc16_lsb(uint16_t crc, const uint16_t *t, const uint16_t *t2,
                          const lsb_slices *s, const uint8_t *p, size_t n)
{
    for (; n >= 4; p += 4, n -= 4) {
        uint32_t w = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                            (uint32_t)p[3] << 24);
        crc = (uint16_t)(s->t4[w & 0xFF] ^ s->t3[w >> 8 & 0xFF] ^ t2[w >> 16 & 0xFF] ^ t[w >> 24]);
    }
    const uint8_t *e = p + (n & ~(size_t)1);
    for (; p < e; p += 2) {
        uint32_t w = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8);
        crc = (uint16_t)(t2[w & 0xFF] ^ t[w >> 8]);
    }
    if (n & 1)
        crc = (uint16_t)((crc >> 8) ^ t[(crc ^ *p) & 0xFF]);
    return crc;
}

/* The AI-Cloud field variant: T[i] is the MSB-first CRC-16 (poly 0x1021)
 * of the byte i, but the update is the reflected one. */
static const uint16_t crc1021_table[256] = {
    0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50A5, 0x60C6, 0x70E7,
    0x8108, 0x9129, 0xA14A, 0xB16B, 0xC18C, 0xD1AD, 0xE1CE, 0xF1EF,
    0x1231, 0x0210, 0x3273, 0x2252, 0x52B5, 0x4294, 0x72F7, 0x62D6,
    0x9339, 0x8318, 0xB37B, 0xA35A, 0xD3BD, 0xC39C, 0xF3FF, 0xE3DE,
    0x2462, 0x3443, 0x0420, 0x1401, 0x64E6, 0x74C7, 0x44A4, 0x5485,
    0xA56A, 0xB54B, 0x8528, 0x9509, 0xE5EE, 0xF5CF, 0xC5AC, 0xD58D,
    0x3653, 0x2672, 0x1611, 0x0630, 0x76D7, 0x66F6, 0x5695, 0x46B4,
    0xB75B, 0xA77A, 0x9719, 0x8738, 0xF7DF, 0xE7FE, 0xD79D, 0xC7BC,
    0x48C4, 0x58E5, 0x6886, 0x78A7, 0x0840, 0x1861, 0x2802, 0x3823,
    0xC9CC, 0xD9ED, 0xE98E, 0xF9AF, 0x8948, 0x9969, 0xA90A, 0xB92B,
    0x5AF5, 0x4AD4, 0x7AB7, 0x6A96, 0x1A71, 0x0A50, 0x3A33, 0x2A12,
    0xDBFD, 0xCBDC, 0xFBBF, 0xEB9E, 0x9B79, 0x8B58, 0xBB3B, 0xAB1A,
    0x6CA6, 0x7C87, 0x4CE4, 0x5CC5, 0x2C22, 0x3C03, 0x0C60, 0x1C41,
    0xEDAE, 0xFD8F, 0xCDEC, 0xDDCD, 0xAD2A, 0xBD0B, 0x8D68, 0x9D49,
    0x7E97, 0x6EB6, 0x5ED5, 0x4EF4, 0x3E13, 0x2E32, 0x1E51, 0x0E70,
    0xFF9F, 0xEFBE, 0xDFDD, 0xCFFC, 0xBF1B, 0xAF3A, 0x9F59, 0x8F78,
    0x9188, 0x81A9, 0xB1CA, 0xA1EB, 0xD10C, 0xC12D, 0xF14E, 0xE16F,
    0x1080, 0x00A1, 0x30C2, 0x20E3, 0x5004, 0x4025, 0x7046, 0x6067,
    0x83B9, 0x9398, 0xA3FB, 0xB3DA, 0xC33D, 0xD31C, 0xE37F, 0xF35E,
    0x02B1, 0x1290, 0x22F3, 0x32D2, 0x4235, 0x5214, 0x6277, 0x7256,
    0xB5EA, 0xA5CB, 0x95A8, 0x8589, 0xF56E, 0xE54F, 0xD52C, 0xC50D,
    0x34E2, 0x24C3, 0x14A0, 0x0481, 0x7466, 0x6447, 0x5424, 0x4405,
    0xA7DB, 0xB7FA, 0x8799, 0x97B8, 0xE75F, 0xF77E, 0xC71D, 0xD73C,
    0x26D3, 0x36F2, 0x0691, 0x16B0, 0x6657, 0x7676, 0x4615, 0x5634,
    0xD94C, 0xC96D, 0xF90E, 0xE92F, 0x99C8, 0x89E9, 0xB98A, 0xA9AB,
    0x5844, 0x4865, 0x7806, 0x6827, 0x18C0, 0x08E1, 0x3882, 0x28A3,
    0xCB7D, 0xDB5C, 0xEB3F, 0xFB1E, 0x8BF9, 0x9BD8, 0xABBB, 0xBB9A,
    0x4A75, 0x5A54, 0x6A37, 0x7A16, 0x0AF1, 0x1AD0, 0x2AB3, 0x3A92,
    0xFD2E, 0xED0F, 0xDD6C, 0xCD4D, 0xBDAA, 0xAD8B, 0x9DE8, 0x8DC9,
    0x7C26, 0x6C07, 0x5C64, 0x4C45, 0x3CA2, 0x2C83, 0x1CE0, 0x0CC1,
    0xEF1F, 0xFF3E, 0xCF5D, 0xDF7C, 0xAF9B, 0xBFBA, 0x8FD9, 0x9FF8,
    0x6E17, 0x7E36, 0x4E55, 0x5E74, 0x2E93, 0x3EB2, 0x0ED1, 0x1EF0,
};

/* The second tables of the two-byte steps (generated from the tables
 * above by the formulas in crc16_lsb() and crc16_msb1021()). */
/* crc_a001_table of a byte followed by a zero byte */
static const uint16_t crc_a001_table2[256] = {
    0x0000, 0x9001, 0x6001, 0xF000, 0xC002, 0x5003, 0xA003, 0x3002,
    0xC007, 0x5006, 0xA006, 0x3007, 0x0005, 0x9004, 0x6004, 0xF005,
    0xC00D, 0x500C, 0xA00C, 0x300D, 0x000F, 0x900E, 0x600E, 0xF00F,
    0x000A, 0x900B, 0x600B, 0xF00A, 0xC008, 0x5009, 0xA009, 0x3008,
    0xC019, 0x5018, 0xA018, 0x3019, 0x001B, 0x901A, 0x601A, 0xF01B,
    0x001E, 0x901F, 0x601F, 0xF01E, 0xC01C, 0x501D, 0xA01D, 0x301C,
    0x0014, 0x9015, 0x6015, 0xF014, 0xC016, 0x5017, 0xA017, 0x3016,
    0xC013, 0x5012, 0xA012, 0x3013, 0x0011, 0x9010, 0x6010, 0xF011,
    0xC031, 0x5030, 0xA030, 0x3031, 0x0033, 0x9032, 0x6032, 0xF033,
    0x0036, 0x9037, 0x6037, 0xF036, 0xC034, 0x5035, 0xA035, 0x3034,
    0x003C, 0x903D, 0x603D, 0xF03C, 0xC03E, 0x503F, 0xA03F, 0x303E,
    0xC03B, 0x503A, 0xA03A, 0x303B, 0x0039, 0x9038, 0x6038, 0xF039,
    0x0028, 0x9029, 0x6029, 0xF028, 0xC02A, 0x502B, 0xA02B, 0x302A,
    0xC02F, 0x502E, 0xA02E, 0x302F, 0x002D, 0x902C, 0x602C, 0xF02D,
    0xC025, 0x5024, 0xA024, 0x3025, 0x0027, 0x9026, 0x6026, 0xF027,
    0x0022, 0x9023, 0x6023, 0xF022, 0xC020, 0x5021, 0xA021, 0x3020,
    0xC061, 0x5060, 0xA060, 0x3061, 0x0063, 0x9062, 0x6062, 0xF063,
    0x0066, 0x9067, 0x6067, 0xF066, 0xC064, 0x5065, 0xA065, 0x3064,
    0x006C, 0x906D, 0x606D, 0xF06C, 0xC06E, 0x506F, 0xA06F, 0x306E,
    0xC06B, 0x506A, 0xA06A, 0x306B, 0x0069, 0x9068, 0x6068, 0xF069,
    0x0078, 0x9079, 0x6079, 0xF078, 0xC07A, 0x507B, 0xA07B, 0x307A,
    0xC07F, 0x507E, 0xA07E, 0x307F, 0x007D, 0x907C, 0x607C, 0xF07D,
    0xC075, 0x5074, 0xA074, 0x3075, 0x0077, 0x9076, 0x6076, 0xF077,
    0x0072, 0x9073, 0x6073, 0xF072, 0xC070, 0x5071, 0xA071, 0x3070,
    0x0050, 0x9051, 0x6051, 0xF050, 0xC052, 0x5053, 0xA053, 0x3052,
    0xC057, 0x5056, 0xA056, 0x3057, 0x0055, 0x9054, 0x6054, 0xF055,
    0xC05D, 0x505C, 0xA05C, 0x305D, 0x005F, 0x905E, 0x605E, 0xF05F,
    0x005A, 0x905B, 0x605B, 0xF05A, 0xC058, 0x5059, 0xA059, 0x3058,
    0xC049, 0x5048, 0xA048, 0x3049, 0x004B, 0x904A, 0x604A, 0xF04B,
    0x004E, 0x904F, 0x604F, 0xF04E, 0xC04C, 0x504D, 0xA04D, 0x304C,
    0x0044, 0x9045, 0x6045, 0xF044, 0xC046, 0x5047, 0xA047, 0x3046,
    0xC043, 0x5042, 0xA042, 0x3043, 0x0041, 0x9040, 0x6040, 0xF041,
};

/* crc_8408_table of a byte followed by a zero byte */
static const uint16_t crc_8408_table2[256] = {
    0x0000, 0x19D8, 0x33B0, 0x2A68, 0x6760, 0x7EB8, 0x54D0, 0x4D08,
    0xCEC0, 0xD718, 0xFD70, 0xE4A8, 0xA9A0, 0xB078, 0x9A10, 0x83C8,
    0x9591, 0x8C49, 0xA621, 0xBFF9, 0xF2F1, 0xEB29, 0xC141, 0xD899,
    0x5B51, 0x4289, 0x68E1, 0x7139, 0x3C31, 0x25E9, 0x0F81, 0x1659,
    0x2333, 0x3AEB, 0x1083, 0x095B, 0x4453, 0x5D8B, 0x77E3, 0x6E3B,
    0xEDF3, 0xF42B, 0xDE43, 0xC79B, 0x8A93, 0x934B, 0xB923, 0xA0FB,
    0xB6A2, 0xAF7A, 0x8512, 0x9CCA, 0xD1C2, 0xC81A, 0xE272, 0xFBAA,
    0x7862, 0x61BA, 0x4BD2, 0x520A, 0x1F02, 0x06DA, 0x2CB2, 0x356A,
    0x4666, 0x5FBE, 0x75D6, 0x6C0E, 0x2106, 0x38DE, 0x12B6, 0x0B6E,
    0x88A6, 0x917E, 0xBB16, 0xA2CE, 0xEFC6, 0xF61E, 0xDC76, 0xC5AE,
    0xD3F7, 0xCA2F, 0xE047, 0xF99F, 0xB497, 0xAD4F, 0x8727, 0x9EFF,
    0x1D37, 0x04EF, 0x2E87, 0x375F, 0x7A57, 0x638F, 0x49E7, 0x503F,
    0x6555, 0x7C8D, 0x56E5, 0x4F3D, 0x0235, 0x1BED, 0x3185, 0x285D,
    0xAB95, 0xB24D, 0x9825, 0x81FD, 0xCCF5, 0xD52D, 0xFF45, 0xE69D,
    0xF0C4, 0xE91C, 0xC374, 0xDAAC, 0x97A4, 0x8E7C, 0xA414, 0xBDCC,
    0x3E04, 0x27DC, 0x0DB4, 0x146C, 0x5964, 0x40BC, 0x6AD4, 0x730C,
    0x8CCC, 0x9514, 0xBF7C, 0xA6A4, 0xEBAC, 0xF274, 0xD81C, 0xC1C4,
    0x420C, 0x5BD4, 0x71BC, 0x6864, 0x256C, 0x3CB4, 0x16DC, 0x0F04,
    0x195D, 0x0085, 0x2AED, 0x3335, 0x7E3D, 0x67E5, 0x4D8D, 0x5455,
    0xD79D, 0xCE45, 0xE42D, 0xFDF5, 0xB0FD, 0xA925, 0x834D, 0x9A95,
    0xAFFF, 0xB627, 0x9C4F, 0x8597, 0xC89F, 0xD147, 0xFB2F, 0xE2F7,
    0x613F, 0x78E7, 0x528F, 0x4B57, 0x065F, 0x1F87, 0x35EF, 0x2C37,
    0x3A6E, 0x23B6, 0x09DE, 0x1006, 0x5D0E, 0x44D6, 0x6EBE, 0x7766,
    0xF4AE, 0xED76, 0xC71E, 0xDEC6, 0x93CE, 0x8A16, 0xA07E, 0xB9A6,
    0xCAAA, 0xD372, 0xF91A, 0xE0C2, 0xADCA, 0xB412, 0x9E7A, 0x87A2,
    0x046A, 0x1DB2, 0x37DA, 0x2E02, 0x630A, 0x7AD2, 0x50BA, 0x4962,
    0x5F3B, 0x46E3, 0x6C8B, 0x7553, 0x385B, 0x2183, 0x0BEB, 0x1233,
    0x91FB, 0x8823, 0xA24B, 0xBB93, 0xF69B, 0xEF43, 0xC52B, 0xDCF3,
    0xE999, 0xF041, 0xDA29, 0xC3F1, 0x8EF9, 0x9721, 0xBD49, 0xA491,
    0x2759, 0x3E81, 0x14E9, 0x0D31, 0x4039, 0x59E1, 0x7389, 0x6A51,
    0x7C08, 0x65D0, 0x4FB8, 0x5660, 0x1B68, 0x02B0, 0x28D8, 0x3100,
    0xB2C8, 0xAB10, 0x8178, 0x98A0, 0xD5A8, 0xCC70, 0xE618, 0xFFC0,
};

/* the AI-Cloud field update of a byte followed by a zero byte */
static const uint16_t crc1021_refl_table2[256] = {
    0x0000, 0x3453, 0x68A6, 0x5CF5, 0xD14C, 0xE51F, 0xB9EA, 0x8DB9,
    0x8189, 0xB5DA, 0xE92F, 0xDD7C, 0x50C5, 0x6496, 0x3863, 0x0C30,
    0x2660, 0x1233, 0x4EC6, 0x7A95, 0xF72C, 0xC37F, 0x9F8A, 0xABD9,
    0xA7E9, 0x93BA, 0xCF4F, 0xFB1C, 0x76A5, 0x42F6, 0x1E03, 0x2A50,
    0x4CC0, 0x7893, 0x2466, 0x1035, 0x9D8C, 0xA9DF, 0xF52A, 0xC179,
    0xCD49, 0xF91A, 0xA5EF, 0x91BC, 0x1C05, 0x2856, 0x74A3, 0x40F0,
    0x6AA0, 0x5EF3, 0x0206, 0x3655, 0xBBEC, 0x8FBF, 0xD34A, 0xE719,
    0xEB29, 0xDF7A, 0x838F, 0xB7DC, 0x3A65, 0x0E36, 0x52C3, 0x6690,
    0x9980, 0xADD3, 0xF126, 0xC575, 0x48CC, 0x7C9F, 0x206A, 0x1439,
    0x1809, 0x2C5A, 0x70AF, 0x44FC, 0xC945, 0xFD16, 0xA1E3, 0x95B0,
    0xBFE0, 0x8BB3, 0xD746, 0xE315, 0x6EAC, 0x5AFF, 0x060A, 0x3259,
    0x3E69, 0x0A3A, 0x56CF, 0x629C, 0xEF25, 0xDB76, 0x8783, 0xB3D0,
    0xD540, 0xE113, 0xBDE6, 0x89B5, 0x040C, 0x305F, 0x6CAA, 0x58F9,
    0x54C9, 0x609A, 0x3C6F, 0x083C, 0x8585, 0xB1D6, 0xED23, 0xD970,
    0xF320, 0xC773, 0x9B86, 0xAFD5, 0x226C, 0x163F, 0x4ACA, 0x7E99,
    0x72A9, 0x46FA, 0x1A0F, 0x2E5C, 0xA3E5, 0x97B6, 0xCB43, 0xFF10,
    0x1011, 0x2442, 0x78B7, 0x4CE4, 0xC15D, 0xF50E, 0xA9FB, 0x9DA8,
    0x9198, 0xA5CB, 0xF93E, 0xCD6D, 0x40D4, 0x7487, 0x2872, 0x1C21,
    0x3671, 0x0222, 0x5ED7, 0x6A84, 0xE73D, 0xD36E, 0x8F9B, 0xBBC8,
    0xB7F8, 0x83AB, 0xDF5E, 0xEB0D, 0x66B4, 0x52E7, 0x0E12, 0x3A41,
    0x5CD1, 0x6882, 0x3477, 0x0024, 0x8D9D, 0xB9CE, 0xE53B, 0xD168,
    0xDD58, 0xE90B, 0xB5FE, 0x81AD, 0x0C14, 0x3847, 0x64B2, 0x50E1,
    0x7AB1, 0x4EE2, 0x1217, 0x2644, 0xABFD, 0x9FAE, 0xC35B, 0xF708,
    0xFB38, 0xCF6B, 0x939E, 0xA7CD, 0x2A74, 0x1E27, 0x42D2, 0x7681,
    0x8991, 0xBDC2, 0xE137, 0xD564, 0x58DD, 0x6C8E, 0x307B, 0x0428,
    0x0818, 0x3C4B, 0x60BE, 0x54ED, 0xD954, 0xED07, 0xB1F2, 0x85A1,
    0xAFF1, 0x9BA2, 0xC757, 0xF304, 0x7EBD, 0x4AEE, 0x161B, 0x2248,
    0x2E78, 0x1A2B, 0x46DE, 0x728D, 0xFF34, 0xCB67, 0x9792, 0xA3C1,
    0xC551, 0xF102, 0xADF7, 0x99A4, 0x141D, 0x204E, 0x7CBB, 0x48E8,
    0x44D8, 0x708B, 0x2C7E, 0x182D, 0x9594, 0xA1C7, 0xFD32, 0xC961,
    0xE331, 0xD762, 0x8B97, 0xBFC4, 0x327D, 0x062E, 0x5ADB, 0x6E88,
    0x62B8, 0x56EB, 0x0A1E, 0x3E4D, 0xB3F4, 0x87A7, 0xDB52, 0xEF01,
};

/* the MSB-first update (crc1021_table) of a byte followed by a zero byte */
static const uint16_t crc1021_table2[256] = {
    0x0000, 0x3331, 0x6662, 0x5553, 0xCCC4, 0xFFF5, 0xAAA6, 0x9997,
    0x89A9, 0xBA98, 0xEFCB, 0xDCFA, 0x456D, 0x765C, 0x230F, 0x103E,
    0x0373, 0x3042, 0x6511, 0x5620, 0xCFB7, 0xFC86, 0xA9D5, 0x9AE4,
    0x8ADA, 0xB9EB, 0xECB8, 0xDF89, 0x461E, 0x752F, 0x207C, 0x134D,
    0x06E6, 0x35D7, 0x6084, 0x53B5, 0xCA22, 0xF913, 0xAC40, 0x9F71,
    0x8F4F, 0xBC7E, 0xE92D, 0xDA1C, 0x438B, 0x70BA, 0x25E9, 0x16D8,
    0x0595, 0x36A4, 0x63F7, 0x50C6, 0xC951, 0xFA60, 0xAF33, 0x9C02,
    0x8C3C, 0xBF0D, 0xEA5E, 0xD96F, 0x40F8, 0x73C9, 0x269A, 0x15AB,
    0x0DCC, 0x3EFD, 0x6BAE, 0x589F, 0xC108, 0xF239, 0xA76A, 0x945B,
    0x8465, 0xB754, 0xE207, 0xD136, 0x48A1, 0x7B90, 0x2EC3, 0x1DF2,
    0x0EBF, 0x3D8E, 0x68DD, 0x5BEC, 0xC27B, 0xF14A, 0xA419, 0x9728,
    0x8716, 0xB427, 0xE174, 0xD245, 0x4BD2, 0x78E3, 0x2DB0, 0x1E81,
    0x0B2A, 0x381B, 0x6D48, 0x5E79, 0xC7EE, 0xF4DF, 0xA18C, 0x92BD,
    0x8283, 0xB1B2, 0xE4E1, 0xD7D0, 0x4E47, 0x7D76, 0x2825, 0x1B14,
    0x0859, 0x3B68, 0x6E3B, 0x5D0A, 0xC49D, 0xF7AC, 0xA2FF, 0x91CE,
    0x81F0, 0xB2C1, 0xE792, 0xD4A3, 0x4D34, 0x7E05, 0x2B56, 0x1867,
    0x1B98, 0x28A9, 0x7DFA, 0x4ECB, 0xD75C, 0xE46D, 0xB13E, 0x820F,
    0x9231, 0xA100, 0xF453, 0xC762, 0x5EF5, 0x6DC4, 0x3897, 0x0BA6,
    0x18EB, 0x2BDA, 0x7E89, 0x4DB8, 0xD42F, 0xE71E, 0xB24D, 0x817C,
    0x9142, 0xA273, 0xF720, 0xC411, 0x5D86, 0x6EB7, 0x3BE4, 0x08D5,
    0x1D7E, 0x2E4F, 0x7B1C, 0x482D, 0xD1BA, 0xE28B, 0xB7D8, 0x84E9,
    0x94D7, 0xA7E6, 0xF2B5, 0xC184, 0x5813, 0x6B22, 0x3E71, 0x0D40,
    0x1E0D, 0x2D3C, 0x786F, 0x4B5E, 0xD2C9, 0xE1F8, 0xB4AB, 0x879A,
    0x97A4, 0xA495, 0xF1C6, 0xC2F7, 0x5B60, 0x6851, 0x3D02, 0x0E33,
    0x1654, 0x2565, 0x7036, 0x4307, 0xDA90, 0xE9A1, 0xBCF2, 0x8FC3,
    0x9FFD, 0xACCC, 0xF99F, 0xCAAE, 0x5339, 0x6008, 0x355B, 0x066A,
    0x1527, 0x2616, 0x7345, 0x4074, 0xD9E3, 0xEAD2, 0xBF81, 0x8CB0,
    0x9C8E, 0xAFBF, 0xFAEC, 0xC9DD, 0x504A, 0x637B, 0x3628, 0x0519,
    0x10B2, 0x2383, 0x76D0, 0x45E1, 0xDC76, 0xEF47, 0xBA14, 0x8925,
    0x991B, 0xAA2A, 0xFF79, 0xCC48, 0x55DF, 0x66EE, 0x33BD, 0x008C,
    0x13C1, 0x20F0, 0x75A3, 0x4692, 0xDF05, 0xEC34, 0xB967, 0x8A56,
    0x9A68, 0xA959, 0xFC0A, 0xCF3B, 0x56AC, 0x659D, 0x30CE, 0x03FF,
};

/* MSB-first with polynomial 0x1021 (CCITT-FALSE, XMODEM), two bytes per
 * step: with w = crc ^ (b0 << 8 | b1), two steps are
 * t2[w >> 8] ^ t[w & 0xFF], where t2[x] = ((t[x] << 8) ^ t[t[x] >> 8])
 * & 0xFFFF (t = crc1021_table, t2 = crc1021_table2). */
static uint16_t crc16_msb1021(uint16_t crc, const uint8_t *p, size_t n)
{
    const uint8_t *e = p + (n & ~(size_t)1);
    for (; p < e; p += 2) {
        uint32_t w = crc ^ ((uint32_t)p[0] << 8 | (uint32_t)p[1]);
        crc = (uint16_t)(crc1021_table2[w >> 8] ^ crc1021_table[w & 0xFF]);
    }
    if (n & 1)
        crc = (uint16_t)((crc << 8) ^ crc1021_table[((crc >> 8) ^ *p) & 0xFF]);
    return crc;
}

/* The AI-Cloud field variant: the reflected update with crc1021_table. */
static uint16_t crc16_aicloud(const uint8_t *p, size_t n)
{
    return crc16_lsb(0, crc1021_table, crc1021_refl_table2, &slices_1021refl, p, n);
}

/* The four-byte tables, made once when the library is loaded. */
__attribute__((constructor)) static void lsb_init(void)
{
    slices_make(&slices_a001, crc_a001_table, crc_a001_table2);
    slices_make(&slices_8408, crc_8408_table, crc_8408_table2);
    slices_make(&slices_1021refl, crc1021_table, crc1021_refl_table2);
}

uint16_t cs_crc16(cs_crc16_variant v, const uint8_t *p, size_t n)
{
    switch (v) {
    case CS_CRC16_AICLOUD: return crc16_aicloud(p, n);
    case CS_CRC16_MODBUS:
        return crc16_lsb(0xFFFF, crc_a001_table, crc_a001_table2, &slices_a001, p, n);
    case CS_CRC16_CCITT_FALSE: return crc16_msb1021(0xFFFF, p, n);
    case CS_CRC16_XMODEM: return crc16_msb1021(0x0000, p, n);
    case CS_CRC16_KERMIT:
        return crc16_lsb(0x0000, crc_8408_table, crc_8408_table2, &slices_8408, p, n);
    case CS_CRC16_ARC: return crc16_lsb(0x0000, crc_a001_table, crc_a001_table2, &slices_a001, p, n);
    case CS_CRC16_X25:
        return (uint16_t)(crc16_lsb(0xFFFF, crc_8408_table, crc_8408_table2, &slices_8408, p, n) ^
                          0xFFFF);
    default: return 0;
    }
}
