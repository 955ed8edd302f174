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

/* "00" "01" ... "99": numbers are written two digits per division */
static const char dig2[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                              "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                              "8081828384858687888990919293949596979899";

static inline void put2(uint8_t *d, unsigned v) { memcpy(d, dig2 + 2 * v, 2); }

/* The number of decimal digits of v (1-20). */
static inline unsigned dec_len(uint64_t v)
{
    static const uint64_t p10[20] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
                                     10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
                                     100000000000ULL, 1000000000000ULL, 10000000000000ULL,
                                     100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
                                     100000000000000000ULL, 1000000000000000000ULL,
                                     10000000000000000000ULL};
    if (v < 10)
        return 1;
    /* floor(log10(2^bits)) is (bits * 1233) >> 12 for bits <= 64: v has
     * that many digits or one more */
    unsigned t = ((unsigned)(64 - __builtin_clzll(v)) * 1233) >> 12;
    return t + (v >= p10[t]);
}

uint8_t *w_u64(uint8_t *w, uint64_t v)
{
    uint8_t *end = w + dec_len(v), *d = end;
    while (v >= 100) {
        d -= 2;
        put2(d, (unsigned)(v % 100));
        v /= 100;
    }
    if (v >= 10)
        put2(d - 2, (unsigned)v);
    else
        d[-1] = (uint8_t)('0' + v);
    return end;
}

uint8_t *w_ipv4(uint8_t *w, const uint8_t a[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (i)
            *w++ = '.';
        if (v >= 100) {
            *w++ = (uint8_t)('0' + v / 100);
            put2(w, v % 100);
            w += 2;
        } else if (v >= 10) {
            put2(w, v);
            w += 2;
        } else {
            *w++ = (uint8_t)('0' + v);
        }
    }
    return w;
}

void sb_pad_u64(sbuf *b, uint64_t v, int width)
{
    unsigned len = dec_len(v);
    size_t pad = width > (int)len ? (size_t)width - len : 0;
    uint8_t *w = sb_w(b, pad + len);
    memset(w, ' ', pad);
    sb_wend(b, w_u64(w + pad, v));
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
    /* formatted once into the room there is (usually enough: the texts
     * are short), a second time only when it did not fit */
    sb_reserve(b, 64);
    size_t room = b->cap - b->n;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf((char *)b->p + b->n, room, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    if ((size_t)n >= room) {
        sb_reserve(b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf((char *)b->p + b->n, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
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

/* 1: a byte a JSON string holds as is: printable ASCII (0x20-0x7E) but
 * '"' (0x22) and '\\' (0x5C) */
static const uint8_t json_plain[256] = {[0x20 ... 0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7E] = 1};

/* Whether all 8 bytes of x are json_plain: none below 0x20, above 0x7E,
 * '"' or '\\' (the classic "has a byte less than / more than / equal to"
 * word tests, exact as a yes/no answer; which byte is left to the table). */
static inline bool word_plain(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t below = (x - ones * 0x20) & ~x;             /* a byte < 0x20 */
    uint64_t above = (x + ones * (0x7F - 0x7E)) | x;     /* a byte > 0x7E */
    uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
    uint64_t quote = (q - ones) & ~q, slash = (bs - ones) & ~bs; /* a byte equal */
    return !((below | above | quote | slash) & high);
}

void sb_json_str(sbuf *b, const char *str, size_t n)
{
    const uint8_t *s = (const uint8_t *)str;
    /* the most it can take: 6 bytes ("\u00NN") per byte, and the quotes */
    uint8_t *w = sb_w(b, 6 * n + 2);
    *w++ = '"';
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        for (uint64_t x; j + 8 <= n && (memcpy(&x, s + j, 8), word_plain(x));)
            j += 8;
        while (j < n && json_plain[s[j]])
            j++;
        w = w_put(w, s + i, j - i);
        if (j == n)
            break;
        i = j;
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            w[0] = '\\';
            w[1] = c;
            w += 2;
        } else if (c == '\n') {
            w = w_put(w, "\\n", 2);
        } else if (c == '\t') {
            w = w_put(w, "\\t", 2);
        } else if (c == '\r') {
            w = w_put(w, "\\r", 2);
        } else if (c < 0x20 || c == 0x7F) {
            w = w_put(w, "\\u00", 4);
            w[0] = (uint8_t)hexd[c >> 4];
            w[1] = (uint8_t)hexd[c & 15];
            w += 2;
        } else {
            size_t k = utf8_len(s + i, n - i);
            if (k) {
                w = w_put(w, s + i, k);
                i += k;
                continue;
            }
            w = w_put(w, "\\\\x", 3);
            w[0] = (uint8_t)hexd[c >> 4];
            w[1] = (uint8_t)hexd[c & 15];
            w += 2;
        }
        i++;
    }
    *w++ = '"';
    sb_wend(b, w);
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

uint8_t *w_iso(uint8_t *w, int64_t ts)
{
    /* the date of the last day formatted, per thread: records of one
     * capture rarely change days, but often seconds (a session's start and
     * end alternate) */
    static __thread int64_t last_day = INT64_MIN;
    static __thread uint8_t date[11]; /* "2024-10-27T" */
    int64_t s = ts / 1000000000, ns = ts % 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        s--;
    }
    int64_t days = s / 86400, sod = s % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    if (days != last_day) {
        int64_t y;
        unsigned mo, d;
        civil(days, &y, &mo, &d);
        if (y < 0 || y > 9999)
            y = y < 0 ? 0 : 9999; /* out of ISO 8601's four digits: clamped */
        put2(date, (unsigned)(y / 100));
        put2(date + 2, (unsigned)(y % 100));
        date[4] = '-';
        put2(date + 5, mo);
        date[7] = '-';
        put2(date + 8, d);
        date[10] = 'T';
        last_day = days;
    }
    memcpy(w, date, 11);
    unsigned sd = (unsigned)sod, us = (unsigned)(ns / 1000);
    put2(w + 11, sd / 3600);
    w[13] = ':';
    put2(w + 14, sd / 60 % 60);
    w[16] = ':';
    put2(w + 17, sd % 60);
    w[19] = '.';
    put2(w + 20, us / 10000);
    put2(w + 22, us / 100 % 100);
    put2(w + 24, us % 100);
    w[26] = 'Z';
    return w + CC_ISO_LEN;
}

void sb_safe(sbuf *b, const char *str, size_t n)
{
    const uint8_t *s = (const uint8_t *)str;
    for (size_t i = 0; i < n;) {
        /* printable ASCII, as is */
        size_t j = i;
        while (j < n && s[j] >= 0x20 && s[j] < 0x7F)
            j++;
        sb_put(b, s + i, j - i);
        if (j == n)
            break;
        i = j;
        uint8_t c = s[i];
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

/* v / 2^shift rounded to the nearest, ties to even (1 <= shift < 128):
 * printf's rounding of an exact binary value */
static unsigned __int128 shr_round(unsigned __int128 v, int shift)
{
    unsigned __int128 q = v >> shift;
    unsigned __int128 r = v & (((unsigned __int128)1 << shift) - 1);
    unsigned __int128 half = (unsigned __int128)1 << (shift - 1);
    if (r > half || (r == half && (q & 1)))
        q++;
    return q;
}

/* printf("%.<dec>f", x) for 0 <= x < 2^53 and dec <= 9 (when the result
 * has at most 19 digits), exactly as glibc rounds it (the exact binary
 * value, ties to even), without printf: the report prints two sizes per
 * session, --messages every relative time.  0 when x is out of that
 * range. */
static size_t fixed(char *out, double x, int dec)
{
    static const uint64_t p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
                                   1000000000};
    if (!(x >= 0 && x < 9007199254740992.0) || dec < 0 || dec > 9)
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
        q = shr_round(scaled, shift);
    }
    /* 64-bit arithmetic from here on (128-bit division is a library call
     * per digit) */
    if (q > UINT64_MAX)
        return 0;
    uint64_t v = (uint64_t)q;
    char t[48];
    int i = (int)sizeof t;
    int digits = 0;
    do {
        t[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
        if (++digits == dec)
            t[--i] = '.';
    } while (v || digits <= dec);
    size_t n = sizeof t - (size_t)i;
    memcpy(out, t + i, n);
    out[n] = '\0';
    return n;
}

/* Whether m / 2^shift >= 10^k (exactly; -4 <= k <= 15, shift <= 66). */
static bool ge_pow10(uint64_t m, int shift, int k)
{
    static const uint64_t p10[] = {1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
                                   10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
                                   100000000000ULL, 1000000000000ULL, 10000000000000ULL,
                                   100000000000000ULL, 1000000000000000ULL};
    if (k >= 0)
        return (unsigned __int128)m >= (unsigned __int128)p10[k] << shift;
    return (unsigned __int128)m * p10[-k] >= (unsigned __int128)1 << shift;
}

/* printf("%.17g", x) for 0, and 1e-4 <= |x| < 2^53, exactly as glibc
 * prints it (the exact binary value rounded to 17 significant digits,
 * ties to even, trailing zeros dropped), without printf: --messages
 * prints every double field this way.  0 when x is out of that range. */
static size_t g17(char *out, double x)
{
    char *o = out;
    uint64_t bits;
    memcpy(&bits, &x, 8);
    if (bits >> 63)
        *o++ = '-';
    double a = x < 0 ? -x : x;
    if (a == 0) {
        *o++ = '0';
        return (size_t)(o - out);
    }
    if (!(a >= 1e-4 && a < 9007199254740992.0))
        return 0;
    int e = (int)(bits >> 52 & 0x7FF);
    uint64_t m = (bits & ((1ULL << 52) - 1)) | 1ULL << 52; /* normal: e >= 1 here */
    int shift = 1075 - e; /* a = m / 2^shift, 0 <= shift <= 66 */
    int X = -4;           /* floor(log10(a)) */
    while (X < 15 && ge_pow10(m, shift, X + 1))
        X++;
    /* q = a * 10^(16 - X) rounded: the 17 significant digits */
    unsigned __int128 scaled = m;
    for (int k = 0; k < 16 - X; k++)
        scaled *= 10; /* < 2^53 * 10^20 < 2^120 */
    unsigned __int128 q = shift == 0 ? scaled : shr_round(scaled, shift);
    uint64_t v = (uint64_t)q; /* < 10^17 + 1 */
    if (v == 100000000000000000ULL) {
        v /= 10; /* rounded up to the next power of ten */
        X++;
    }
    char d[17];
    for (int k = 16; k >= 0; k--) {
        d[k] = (char)('0' + v % 10);
        v /= 10;
    }
    /* -4 <= X < 17: the %f style with 16 - X decimals, zeros dropped */
    int last = 16; /* the last digit kept */
    int first_frac = X >= 0 ? X + 1 : 0;
    while (last >= first_frac && d[last] == '0')
        last--;
    if (X >= 0) {
        memcpy(o, d, (size_t)X + 1);
        o += X + 1;
        if (last >= first_frac) {
            *o++ = '.';
            memcpy(o, d + first_frac, (size_t)(last - first_frac + 1));
            o += last - first_frac + 1;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int k = 0; k < -X - 1; k++)
            *o++ = '0';
        memcpy(o, d, (size_t)last + 1);
        o += last + 1;
    }
    return (size_t)(o - out);
}

void sb_g17(sbuf *b, double x)
{
    char t[40];
    size_t n = g17(t, x);
    if (n)
        sb_put(b, t, n);
    else
        sb_printf(b, "%.17g", x);
}

void sb_fixed(sbuf *b, double x, int dec)
{
    char t[48];
    uint64_t bits;
    memcpy(&bits, &x, 8);
    bool neg = bits >> 63 && x == x;
    size_t n = fixed(t, neg ? -x : x, dec);
    if (!n) {
        sb_printf(b, "%.*f", dec, x);
        return;
    }
    if (neg)
        sb_c(b, '-'); /* printf's sign, also when the digits are all zero */
    sb_put(b, t, n);
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
