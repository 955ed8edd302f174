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
void sb_u64(sbuf *b, uint64_t v);
void sb_i64(sbuf *b, int64_t v);
/* v right-aligned in `width` columns, as "%<width>llu" */
void sb_pad_u64(sbuf *b, uint64_t v, int width);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal with quotes.  Bytes that are not valid UTF-8 are
 * written as the text \xNN (so the output is always valid JSON). */
void sb_json_str(sbuf *b, const char *s, size_t n);
static inline void sb_json_cstr(sbuf *b, const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    sb_json_str(b, s, n);
}
/* Lower-case hex of p[0..n). */
void sb_hex(sbuf *b, const uint8_t *p, size_t n);
/* "2024-10-27T03:33:20.123456Z" (microseconds, UTC). */
void sb_iso(sbuf *b, int64_t ts_ns);
/* Text for a terminal: printable ASCII and valid UTF-8 as is, anything
 * else (controls, escapes, broken bytes) as \xNN. */
void sb_safe(sbuf *b, const char *s, size_t n);

/* "812 B", "1.2 kB", "3.4 MB", "1.1 GB" into buf. */
void cc_human_size(double v, char *buf, size_t n);

#endif
