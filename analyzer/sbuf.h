/*
 * sbuf.h - a growable byte buffer and the formatting chargecap needs on
 * its output paths: integers, JSON strings, hex, ISO 8601 times.  No
 * printf on the hot paths.
 */
#ifndef CHARGECAP_SBUF_H
#define CHARGECAP_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sbuf {
    uint8_t *p;
    size_t n, cap;
} sbuf;

void sb_free(sbuf *b);
/* Room for `more` bytes; aborts the program when memory is exhausted. */
void sb_reserve(sbuf *b, size_t more);

static inline void sb_put(sbuf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap)
        sb_reserve(b, n);
    if (n)
        memcpy(b->p + b->n, d, n);
    b->n += n;
}
static inline void sb_c(sbuf *b, char c)
{
    if (b->n + 1 > b->cap)
        sb_reserve(b, 1);
    b->p[b->n++] = (uint8_t)c;
}
/* a C string, as is (inline: the length of a literal is a constant) */
static inline void sb_s(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }
/*
 * Direct writing, for records made of many short pieces: reserve the most
 * the pieces can take once (sb_w), write them through the returned pointer
 * with the w_* helpers, each returning where the next piece goes, and set
 * the length from the final pointer (sb_wend).  Saves a capacity check and
 * a memcpy call per piece.
 */
#define CC_U64_MAX_DIGITS 20
#define CC_ISO_LEN 27 /* "2024-10-27T03:33:20.123456Z" */
static inline uint8_t *sb_w(sbuf *b, size_t max)
{
    if (b->n + max > b->cap)
        sb_reserve(b, max);
    return b->p + b->n;
}
static inline void sb_wend(sbuf *b, uint8_t *w) { b->n = (size_t)(w - b->p); }
static inline uint8_t *w_put(uint8_t *w, const void *d, size_t n)
{
    memcpy(w, d, n);
    return w + n;
}
/* a C string (inline: the length of a literal is a constant) */
static inline uint8_t *w_s(uint8_t *w, const char *s) { return w_put(w, s, strlen(s)); }
static inline uint8_t *w_c(uint8_t *w, char c)
{
    *w = (uint8_t)c;
    return w + 1;
}
/* v in decimal: at most CC_U64_MAX_DIGITS bytes */
uint8_t *w_u64(uint8_t *w, uint64_t v);
/* a dotted quad, "192.168.0.1": at most 15 bytes */
uint8_t *w_ipv4(uint8_t *w, const uint8_t a[4]);
/* sb_iso's text: CC_ISO_LEN bytes */
uint8_t *w_iso(uint8_t *w, int64_t ts_ns);

static inline void sb_u64(sbuf *b, uint64_t v) { sb_wend(b, w_u64(sb_w(b, CC_U64_MAX_DIGITS), v)); }
void sb_i64(sbuf *b, int64_t v);
/* v right-aligned in `width` columns, as "%<width>llu" */
void sb_pad_u64(sbuf *b, uint64_t v, int width);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* printf("%.17g", x), mostly without printf */
void sb_g17(sbuf *b, double x);
/* printf("%.<dec>f", x), dec <= 9, mostly without printf */
void sb_fixed(sbuf *b, double x, int dec);
/* A JSON string literal with quotes.  Bytes that are not valid UTF-8 are
 * written as the text \xNN (so the output is always valid JSON). */
void sb_json_str(sbuf *b, const char *s, size_t n);
static inline void sb_json_cstr(sbuf *b, const char *s) { sb_json_str(b, s, strlen(s)); }
/* Lower-case hex of p[0..n). */
void sb_hex(sbuf *b, const uint8_t *p, size_t n);
/* "2024-10-27T03:33:20.123456Z" (microseconds, UTC). */
static inline void sb_iso(sbuf *b, int64_t ts_ns) { sb_wend(b, w_iso(sb_w(b, CC_ISO_LEN), ts_ns)); }
/* Text for a terminal: printable ASCII and valid UTF-8 as is, anything
 * else (controls, escapes, broken bytes) as \xNN. */
void sb_safe(sbuf *b, const char *s, size_t n);

/* "812 B", "1.2 kB", "3.4 MB", "1.1 GB" into buf. */
void cc_human_size(double v, char *buf, size_t n);

#endif
