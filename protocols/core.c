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
    if (!s)
        return;
    o->facts[o->n_facts].kind = (uint8_t)kind;
    o->facts[o->n_facts].str = s;
    o->n_facts++;
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

static uint16_t crc16_lsb(uint16_t crc, const uint16_t *t, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        crc = (uint16_t)((crc >> 8) ^ t[(crc ^ p[i]) & 0xFF]);
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

/* MSB-first with polynomial 0x1021 (CCITT-FALSE, XMODEM). */
static uint16_t crc16_msb1021(uint16_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        crc = (uint16_t)((crc << 8) ^ crc1021_table[((crc >> 8) ^ p[i]) & 0xFF]);
    return crc;
}

static uint16_t crc16_aicloud(const uint8_t *p, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++)
        crc = (uint16_t)((crc >> 8) ^ crc1021_table[(crc ^ p[i]) & 0xFF]);
    return crc;
}

uint16_t cs_crc16(cs_crc16_variant v, const uint8_t *p, size_t n)
{
    switch (v) {
    case CS_CRC16_AICLOUD: return crc16_aicloud(p, n);
    case CS_CRC16_MODBUS: return crc16_lsb(0xFFFF, crc_a001_table, p, n);
    case CS_CRC16_CCITT_FALSE: return crc16_msb1021(0xFFFF, p, n);
    case CS_CRC16_XMODEM: return crc16_msb1021(0x0000, p, n);
    case CS_CRC16_KERMIT: return crc16_lsb(0x0000, crc_8408_table, p, n);
    case CS_CRC16_ARC: return crc16_lsb(0x0000, crc_a001_table, p, n);
    case CS_CRC16_X25: return (uint16_t)(crc16_lsb(0xFFFF, crc_8408_table, p, n) ^ 0xFFFF);
    default: return 0;
    }
}
