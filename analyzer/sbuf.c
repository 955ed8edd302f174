/* sbuf.c - output formatting (see sbuf.h). */
#include "sbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_free(sbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

void sb_reserve(sbuf *b, size_t more)
{
    if (b->n + more <= b->cap)
        return;
    size_t c = b->cap ? b->cap : 256;
    while (c < b->n + more)
        c *= 2;
    uint8_t *p = realloc(b->p, c);
    if (!p) {
        fputs("chargecap: out of memory\n", stderr);
        abort();
    }
    b->p = p;
    b->cap = c;
}

/* v's decimal digits at the end of t; returns where they start */
static inline int u64_digits(char t[24], uint64_t v)
{
    int i = 24;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return i;
}

void sb_u64(sbuf *b, uint64_t v)
{
    char t[24];
    int i = u64_digits(t, v);
    sb_put(b, t + i, (size_t)(24 - i));
}

void sb_pad_u64(sbuf *b, uint64_t v, int width)
{
    char t[24];
    int i = u64_digits(t, v);
    for (int k = 24 - i; k < width; k++)
        sb_c(b, ' ');
    sb_put(b, t + i, (size_t)(24 - i));
}

void sb_i64(sbuf *b, int64_t v)
{
    if (v < 0) {
        sb_c(b, '-');
        sb_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        sb_u64(b, (uint64_t)v);
    }
}

void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    sb_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t k;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 4, cp = c & 0x07;
    else
        return 0;
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return k;
}

static const char hexd[] = "0123456789abcdef";

void sb_json_str(sbuf *b, const char *str, size_t n)
{
    const uint8_t *s = (const uint8_t *)str;
    sb_reserve(b, n + 2);
    sb_c(b, '"');
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            size_t j = i;
            while (j < n && s[j] >= 0x20 && s[j] < 0x7F && s[j] != '"' && s[j] != '\\')
                j++;
            sb_put(b, s + i, j - i);
            i = j;
            continue;
        }
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_put(b, e, 2);
        } else if (c == '\n') {
            sb_put(b, "\\n", 2);
        } else if (c == '\t') {
            sb_put(b, "\\t", 2);
        } else if (c == '\r') {
            sb_put(b, "\\r", 2);
        } else if (c < 0x20 || c == 0x7F) {
            char e[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
            sb_put(b, e, 6);
        } else {
            size_t k = utf8_len(s + i, n - i);
            if (k) {
                sb_put(b, s + i, k);
                i += k;
                continue;
            }
            char e[5] = {'\\', '\\', 'x', hexd[c >> 4], hexd[c & 15]};
            sb_put(b, e, 5);
        }
        i++;
    }
    sb_c(b, '"');
}

void sb_hex(sbuf *b, const uint8_t *p, size_t n)
{
    sb_reserve(b, 2 * n);
    uint8_t *d = b->p + b->n;
    for (size_t i = 0; i < n; i++) {
        d[2 * i] = (uint8_t)hexd[p[i] >> 4];
        d[2 * i + 1] = (uint8_t)hexd[p[i] & 15];
    }
    b->n += 2 * n;
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static void put2(uint8_t *d, unsigned v)
{
    d[0] = (uint8_t)('0' + v / 10);
    d[1] = (uint8_t)('0' + v % 10);
}

void sb_iso(sbuf *b, int64_t ts)
{
    /* the date and time of the last second formatted, per thread */
    static __thread int64_t last_s = INT64_MIN;
    static __thread uint8_t last[24];
    static __thread size_t last_n;
    int64_t s = ts / 1000000000, ns = ts % 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        s--;
    }
    if (s != last_s) {
        sbuf t = {last, 0, sizeof last};
        int64_t days = s / 86400, sod = s % 86400;
        if (sod < 0) {
            sod += 86400;
            days--;
        }
        int64_t y;
        unsigned mo, d;
        civil(days, &y, &mo, &d);
        if (y < 0 || y > 9999)
            y = y < 0 ? 0 : 9999; /* out of ISO 8601's four digits: clamped */
        uint8_t *p = t.p;
        p[0] = (uint8_t)('0' + y / 1000);
        p[1] = (uint8_t)('0' + y / 100 % 10);
        p[2] = (uint8_t)('0' + y / 10 % 10);
        p[3] = (uint8_t)('0' + y % 10);
        p[4] = '-';
        put2(p + 5, mo);
        p[7] = '-';
        put2(p + 8, d);
        p[10] = 'T';
        put2(p + 11, (unsigned)(sod / 3600));
        p[13] = ':';
        put2(p + 14, (unsigned)(sod / 60 % 60));
        p[16] = ':';
        put2(p + 17, (unsigned)(sod % 60));
        last_n = 19;
        last_s = s;
    }
    sb_reserve(b, last_n + 8);
    uint8_t *p = b->p + b->n;
    memcpy(p, last, last_n);
    p += last_n;
    p[0] = '.';
    unsigned us = (unsigned)(ns / 1000);
    for (int i = 6; i >= 1; i--) {
        p[i] = (uint8_t)('0' + us % 10);
        us /= 10;
    }
    p[7] = 'Z';
    b->n += last_n + 8;
}

void sb_safe(sbuf *b, const char *str, size_t n)
{
    const uint8_t *s = (const uint8_t *)str;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x7F) {
            sb_c(b, (char)c);
            i++;
            continue;
        }
        size_t k = c >= 0x80 ? utf8_len(s + i, n - i) : 0;
        if (k == 2 && c == 0xC2 && s[i + 1] < 0xA0)
            k = 0; /* C1 controls (CSI, ...) */
        if (k) {
            sb_put(b, s + i, k);
            i += k;
            continue;
        }
        char e[4] = {'\\', 'x', hexd[c >> 4], hexd[c & 15]};
        sb_put(b, e, 4);
        i++;
    }
}

/* printf("%.<dec>f", x) for 0 <= x < 2^53, exactly as glibc rounds it
 * (the exact binary value, ties to even), without printf: the report
 * prints two sizes per session.  0 when x is out of that range. */
static size_t fixed(char *out, double x, int dec)
{
    static const uint64_t p10[] = {1, 10, 100};
    if (!(x >= 0 && x < 9007199254740992.0) || dec < 0 || dec > 2)
        return 0;
    uint64_t bits;
    memcpy(&bits, &x, 8);
    int e = (int)(bits >> 52 & 0x7FF);
    uint64_t m = bits & ((1ULL << 52) - 1);
    if (e)
        m |= 1ULL << 52;
    else
        e = 1;
    int shift = 1075 - e; /* x = m / 2^shift */
    unsigned __int128 scaled = (unsigned __int128)m * p10[dec], q;
    if (shift <= 0) {
        q = scaled << -shift;
    } else if (shift >= 120) {
        q = 0; /* below 2^-67: nothing shows */
    } else {
        q = scaled >> shift;
        unsigned __int128 r = scaled & (((unsigned __int128)1 << shift) - 1);
        unsigned __int128 half = (unsigned __int128)1 << (shift - 1);
        if (r > half || (r == half && (q & 1)))
            q++;
    }
    char t[48];
    int i = (int)sizeof t;
    int digits = 0;
    do {
        t[--i] = (char)('0' + (int)(q % 10));
        q /= 10;
        if (++digits == dec)
            t[--i] = '.';
    } while (q || digits <= dec);
    size_t n = sizeof t - (size_t)i;
    memcpy(out, t + i, n);
    out[n] = '\0';
    return n;
}

void cc_human_size(double v, char *buf, size_t n)
{
    char t[64];
    if (n >= 24) {
        /* the same text as below, without printf, for sizes in bytes */
        const char *unit = v < 1e3 ? " B" : v < 1e6 ? " kB" : v < 1e9 ? " MB" : " GB";
        double x = v < 1e3 ? v : v < 1e6 ? v / 1e3 : v < 1e9 ? v / 1e6 : v / 1e9;
        size_t k = fixed(t, x, v < 1e3 ? 0 : v < 1e9 ? 1 : 2);
        if (k && k + strlen(unit) < n) {
            memcpy(buf, t, k);
            memcpy(buf + k, unit, strlen(unit) + 1);
            return;
        }
    }
    if (v < 1e3)
        snprintf(buf, n, "%.0f B", v);
    else if (v < 1e6)
        snprintf(buf, n, "%.1f kB", v / 1e3);
    else if (v < 1e9)
        snprintf(buf, n, "%.1f MB", v / 1e6);
    else
        snprintf(buf, n, "%.2f GB", v / 1e9);
}
