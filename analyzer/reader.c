/*
 * reader.c - pcap and pcapng, plain or gzip, from a file or a pipe.
 *
 * The file is read in large blocks into one buffer; a record is handed
 * out as a pointer into it (no copy per packet).  Every length in the file
 * is checked before the bytes it announces are used.
 */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define READ_BLOCK (128u * 1024) /* what read() copies stays in the 2nd-level cache until parsed */
#define ZIN_BLOCK (256u * 1024)
#define MAX_BLOCK (CC_MAX_CAPLEN + 65536u) /* the largest pcapng block accepted */
#define MAX_IFACES 4096

enum { FMT_PCAP = 1, FMT_PCAPNG, FMT_LIBPCAP };

typedef struct iface {
    int linktype;
    uint32_t snaplen;
    uint64_t units;   /* timestamp units per second */
    int64_t off_s;    /* if_tsoffset */
} iface;

struct cc_reader {
    int fd;
    bool regular;
    uint64_t size, in_off;

    bool gz, z_ready, z_done, z_cut;
    z_stream z;
    uint8_t *zin;

    uint8_t *buf;
    size_t cap, pos, end;
    bool raw_eof; /* nothing more from the file (or the inflater) */

    int fmt;
    bool swap, nsec;
    uint32_t snaplen;
    int linktype;

    iface *ifs;
    uint32_t n_ifs;
    bool section;

    pcap_t *pc;

    uint64_t frame;
    char fmtname[24];
    char err[320];
    char warn[200];
};

static uint16_t rd16(const cc_reader *r, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return r->swap ? (uint16_t)__builtin_bswap16(v) : v;
}

static uint32_t rd32(const cc_reader *r, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return r->swap ? __builtin_bswap32(v) : v;
}

static void set_err(cc_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(cc_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
}

/* ---- the byte source --------------------------------------------------- */

static volatile sig_atomic_t *stop_flag;

void cc_reader_stop_flag(volatile sig_atomic_t *flag) { stop_flag = flag; }

static ssize_t read_fd(cc_reader *r, uint8_t *dst, size_t n)
{
    for (;;) {
        ssize_t k = read(r->fd, dst, n);
        if (k < 0 && errno == EINTR && !(stop_flag && *stop_flag))
            continue;
        if (k > 0)
            r->in_off += (uint64_t)k;
        return k;
    }
}

/* Decompressed bytes into dst; 0 at the end, -1 on error. */
static ssize_t read_gz(cc_reader *r, uint8_t *dst, size_t n)
{
    if (r->z_done)
        return 0;
    r->z.next_out = dst;
    r->z.avail_out = (uInt)n;
    while (r->z.avail_out == n) {
        if (r->z.avail_in == 0) {
            ssize_t k = read_fd(r, r->zin, ZIN_BLOCK);
            if (k < 0) {
                set_err(r, "read error: %s", strerror(errno));
                return -1;
            }
            if (k == 0) {
                /* the file ends inside the compressed stream */
                r->z_done = true;
                r->z_cut = true;
                break;
            }
            r->z.next_in = r->zin;
            r->z.avail_in = (uInt)k;
        }
        int rc = inflate(&r->z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            /* another gzip member may follow */
            if (r->z.avail_in == 0) {
                ssize_t k = read_fd(r, r->zin, ZIN_BLOCK);
                if (k > 0) {
                    r->z.next_in = r->zin;
                    r->z.avail_in = (uInt)k;
                }
            }
            if (r->z.avail_in >= 2 && r->z.next_in[0] == 0x1f && r->z.next_in[1] == 0x8b) {
                inflateReset(&r->z);
                continue;
            }
            r->z_done = true; /* anything after the last member is ignored */
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            set_err(r, "the gzip data is corrupt (%s)", r->z.msg ? r->z.msg : "inflate failed");
            return -1;
        }
    }
    return (ssize_t)(n - r->z.avail_out);
}

/* Make `need` bytes available at buf + pos.  Returns what is available
 * (less than need only at the end of the data), or -1 on a read error. */
static ssize_t fill(cc_reader *r, size_t need)
{
    if (r->end - r->pos >= need)
        return (ssize_t)(r->end - r->pos);
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    if (need > r->cap) {
        size_t c = r->cap;
        while (c < need)
            c *= 2;
        uint8_t *b = realloc(r->buf, c);
        if (!b) {
            set_err(r, "out of memory");
            return -1;
        }
        r->buf = b;
        r->cap = c;
    }
    while (r->end < need && !r->raw_eof) {
        ssize_t k = r->gz ? read_gz(r, r->buf + r->end, r->cap - r->end)
                          : read_fd(r, r->buf + r->end, r->cap - r->end);
        if (k < 0) {
            if (!r->err[0])
                set_err(r, "read error: %s", strerror(errno));
            return -1;
        }
        if (k == 0)
            r->raw_eof = true;
        r->end += (size_t)k;
    }
    return (ssize_t)(r->end - r->pos);
}

/* ---- opening ---------------------------------------------------------------- */

static bool is_gzip(const uint8_t *m) { return m[0] == 0x1f && m[1] == 0x8b; }

static int pcap_magic(const uint8_t *m, bool *swap, bool *nsec)
{
    static const uint8_t us_le[4] = {0xd4, 0xc3, 0xb2, 0xa1}, us_be[4] = {0xa1, 0xb2, 0xc3, 0xd4};
    static const uint8_t ns_le[4] = {0x4d, 0x3c, 0xb2, 0xa1}, ns_be[4] = {0xa1, 0xb2, 0x3c, 0x4d};
    static const uint8_t ng[4] = {0x0a, 0x0d, 0x0d, 0x0a};
    static const uint8_t mod_le[4] = {0x34, 0xcd, 0xb2, 0xa1}, mod_be[4] = {0xa1, 0xb2, 0xcd, 0x34};
    bool le_host = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
    if (!memcmp(m, us_le, 4) || !memcmp(m, us_be, 4) || !memcmp(m, ns_le, 4) ||
        !memcmp(m, ns_be, 4)) {
        bool le = m[0] != 0xa1;
        *swap = le != le_host;
        *nsec = !memcmp(m, ns_le, 4) || !memcmp(m, ns_be, 4);
        return FMT_PCAP;
    }
    if (!memcmp(m, ng, 4))
        return FMT_PCAPNG;
    if (!memcmp(m, mod_le, 4) || !memcmp(m, mod_be, 4))
        return FMT_LIBPCAP;
    return 0;
}

int cc_sniff_capture(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    uint8_t m[4];
    ssize_t k = read(fd, m, 4);
    close(fd);
    if (k != 4)
        return 0;
    bool s, n;
    int fmt = pcap_magic(m, &s, &n);
    if (fmt == FMT_PCAP || fmt == FMT_PCAPNG)
        return 2;
    return is_gzip(m) || fmt ? 1 : 0;
}

static cc_reader *open_libpcap(cc_reader *r, const char *path, char *err, size_t errlen)
{
    char e[PCAP_ERRBUF_SIZE] = "";
    if (r->gz || !r->regular) {
        snprintf(err, errlen, "a modified-pcap capture can only be read from a plain file");
        return NULL;
    }
    r->pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, e);
    if (!r->pc) {
        snprintf(err, errlen, "%s", e);
        return NULL;
    }
    r->fmt = FMT_LIBPCAP;
    r->linktype = pcap_datalink(r->pc);
    snprintf(r->fmtname, sizeof r->fmtname, "pcap (libpcap)");
    return r;
}

cc_reader *cc_reader_open(const char *path, char *err, size_t errlen)
{
    cc_reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->fd = -1;
    if (!strcmp(path, "-")) {
        r->fd = 0;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            snprintf(err, errlen, "%s", strerror(errno));
            goto fail;
        }
    }
    struct stat st;
    if (fstat(r->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "is a folder");
            goto fail;
        }
        r->regular = S_ISREG(st.st_mode) && r->fd != 0;
        if (S_ISREG(st.st_mode))
            r->size = (uint64_t)st.st_size;
    }
    if (r->regular)
        posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    /* a block at a time; a small file in a buffer of about its size (a
     * record longer than the buffer grows it) */
    r->cap = READ_BLOCK;
    if (r->regular && r->size < READ_BLOCK)
        r->cap = r->size < 4096 ? 4096 : (size_t)r->size;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    ssize_t k = fill(r, 4);
    if (k < 0) {
        snprintf(err, errlen, "%s", r->err);
        goto fail;
    }
    if (k == 0) {
        snprintf(err, errlen, "the file is empty");
        goto fail;
    }
    if (k >= 2 && is_gzip(r->buf)) {
        /* what was read is compressed: hand it to the inflater */
        r->zin = malloc(ZIN_BLOCK > r->end ? ZIN_BLOCK : r->end);
        if (!r->zin || inflateInit2(&r->z, 15 + 32) != Z_OK) {
            snprintf(err, errlen, "cannot start gzip decompression");
            goto fail;
        }
        r->z_ready = true;
        memcpy(r->zin, r->buf, r->end);
        r->z.next_in = r->zin;
        r->z.avail_in = (uInt)r->end;
        r->pos = r->end = 0;
        r->gz = true;
        if (r->cap < READ_BLOCK) {
            /* the file's size says nothing of what it inflates to: read a
             * whole block, so corruption the inflater finds in it is
             * reported as such before its records are parsed */
            uint8_t *b = realloc(r->buf, READ_BLOCK);
            if (!b) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            r->buf = b;
            r->cap = READ_BLOCK;
        }
        r->raw_eof = false;
        k = fill(r, 4);
        if (k < 0) {
            snprintf(err, errlen, "%s", r->err);
            goto fail;
        }
        if (k == 0) {
            snprintf(err, errlen, "the gzip data is empty%s", r->z_cut ? " or cut short" : "");
            goto fail;
        }
    }
    if (k < 4) {
        snprintf(err, errlen, "not a capture file (only %zd byte%s)", k, k == 1 ? "" : "s");
        goto fail;
    }
    const uint8_t *m = r->buf + r->pos;
    r->fmt = pcap_magic(m, &r->swap, &r->nsec);
    if (r->fmt == FMT_LIBPCAP) {
        if (!open_libpcap(r, path, err, errlen))
            goto fail;
        return r;
    }
    if (!r->fmt) {
        snprintf(err, errlen,
                 "not a pcap or pcapng file%s (it begins %02x %02x %02x %02x)",
                 r->gz ? " inside the gzip data" : "", m[0], m[1], m[2], m[3]);
        goto fail;
    }
    if (r->fmt == FMT_PCAP) {
        k = fill(r, 24);
        if (k < 24) {
            snprintf(err, errlen, "the pcap file header is cut short (%zd of 24 bytes)", k < 0 ? 0 : k);
            goto fail;
        }
        m = r->buf + r->pos;
        r->snaplen = rd32(r, m + 16);
        r->linktype = (int)(rd32(r, m + 20) & 0xFFFF);
        r->pos += 24;
        snprintf(r->fmtname, sizeof r->fmtname, "pcap%s%s", r->nsec ? "-ns" : "", r->gz ? "+gzip" : "");
    } else {
        snprintf(r->fmtname, sizeof r->fmtname, "pcapng%s", r->gz ? "+gzip" : "");
    }
    return r;
fail:
    cc_reader_close(r);
    return NULL;
}

void cc_reader_close(cc_reader *r)
{
    if (!r)
        return;
    if (r->pc)
        pcap_close(r->pc);
    if (r->z_ready)
        inflateEnd(&r->z);
    if (r->fd > 0)
        close(r->fd);
    free(r->zin);
    free(r->buf);
    free(r->ifs);
    free(r);
}

/* ---- records ---------------------------------------------------------------- */

/* The end of the data inside a record: damaged, with what was there. */
static cc_read_status cut_short(cc_reader *r, const char *what, ssize_t have, size_t need)
{
    if (r->err[0])
        return CC_READ_DAMAGED;
    /* "packet N": the one being read; "the block after packet N": the last read */
    bool after = strstr(what, "after") != NULL;
    set_err(r, "the file ends inside %s %llu (%zd of %zu bytes)%s", what,
            (unsigned long long)r->frame + (after ? 0 : 1), have < 0 ? (ssize_t)0 : have, need,
            r->z_cut ? "; the gzip data is cut short" : "");
    return CC_READ_DAMAGED;
}

static cc_read_status at_end(cc_reader *r)
{
    if (r->z_cut) {
        set_err(r, "the gzip data is cut short after packet %llu", (unsigned long long)r->frame);
        return CC_READ_DAMAGED;
    }
    return CC_READ_EOF;
}

static cc_read_status next_pcap(cc_reader *r, cc_rec *rec)
{
    /* the common case: the header and the packet are in the buffer, the
     * capture length within the snapshot length */
    if (r->end - r->pos >= 16) {
        const uint8_t *h = r->buf + r->pos;
        uint32_t caplen = rd32(r, h + 8);
        if (caplen <= r->snaplen && caplen <= CC_STD_CAPLEN && r->end - r->pos - 16 >= caplen) {
            rec->frame = ++r->frame;
            rec->ts_ns = (int64_t)rd32(r, h) * 1000000000 + (int64_t)rd32(r, h + 4) * (r->nsec ? 1 : 1000);
            rec->caplen = caplen;
            rec->len = rd32(r, h + 12);
            rec->linktype = r->linktype;
            rec->data = h + 16;
            r->pos += 16 + (size_t)caplen;
            return CC_READ_OK;
        }
    }
    ssize_t k = fill(r, 16);
    if (k < 0)
        return CC_READ_DAMAGED;
    if (k == 0)
        return at_end(r);
    if (k < 16)
        return cut_short(r, "the header of packet", k, 16);
    const uint8_t *h = r->buf + r->pos;
    uint32_t sec = rd32(r, h), frac = rd32(r, h + 4);
    uint32_t caplen = rd32(r, h + 8), len = rd32(r, h + 12);
    uint32_t limit = r->snaplen > CC_STD_CAPLEN ? r->snaplen : CC_STD_CAPLEN;
    if (limit > CC_MAX_CAPLEN)
        limit = CC_MAX_CAPLEN;
    if (caplen > limit) {
        set_err(r, "packet %llu has a capture length of %u bytes, beyond any sane bound "
                   "(snapshot length %u); the rest of the file cannot be trusted",
                (unsigned long long)r->frame + 1, caplen, r->snaplen);
        return CC_READ_DAMAGED;
    }
    if (r->snaplen && caplen > r->snaplen && !r->warn[0])
        snprintf(r->warn, sizeof r->warn,
                 "packet %llu has a capture length of %u bytes, above the file's snapshot "
                 "length %u (read anyway)",
                 (unsigned long long)r->frame + 1, caplen, r->snaplen);
    k = fill(r, 16 + (size_t)caplen);
    if (k < 0)
        return CC_READ_DAMAGED;
    if ((size_t)k < 16 + (size_t)caplen)
        return cut_short(r, "packet", k - 16, caplen);
    h = r->buf + r->pos;
    rec->frame = ++r->frame;
    rec->ts_ns = (int64_t)sec * 1000000000 + (int64_t)frac * (r->nsec ? 1 : 1000);
    rec->caplen = caplen;
    rec->len = len;
    rec->linktype = r->linktype;
    rec->data = h + 16;
    r->pos += 16 + (size_t)caplen;
    return CC_READ_OK;
}

/* The latest time a pcap file can hold (2106); pcapng times are kept
 * between 1970 and it: beyond is damage, and every difference of two
 * times stays exact. */
#define TS_MAX ((int64_t)UINT32_MAX * 1000000000 + 999999999)

static int64_t ts_to_ns(cc_reader *r, const iface *f, uint64_t ts)
{
    uint64_t s = ts / f->units, rem = ts % f->units;
    uint64_t ns = (uint64_t)(((unsigned __int128)rem * 1000000000u) / f->units);
    __int128 t = (__int128)s * 1000000000 + ns + (__int128)f->off_s * 1000000000;
    if (t >= 0 && t <= TS_MAX)
        return (int64_t)t;
    if (!r->warn[0])
        snprintf(r->warn, sizeof r->warn,
                 "packet %llu has a time before 1970 or after 2106 (read as the nearest of the "
                 "two)",
                 (unsigned long long)r->frame + 1);
    return t < 0 ? 0 : TS_MAX;
}

/* pcapng options: if_tsresol and if_tsoffset of an interface. */
static bool idb_options(cc_reader *r, iface *f, const uint8_t *p, size_t n)
{
    while (n >= 4) {
        uint16_t code = rd16(r, p), len = rd16(r, p + 2);
        size_t padded = ((size_t)len + 3) & ~(size_t)3;
        if (code == 0)
            break;
        if (4 + padded > n)
            return false;
        if (code == 9 && len >= 1) {
            uint8_t v = p[4];
            unsigned e = v & 0x7F;
            if (v & 0x80) {
                if (e > 63)
                    return false;
                f->units = (uint64_t)1 << e;
            } else {
                if (e > 19)
                    return false;
                f->units = 1;
                for (unsigned i = 0; i < e; i++)
                    f->units *= 10;
            }
        } else if (code == 14 && len >= 8) {
            uint64_t v;
            memcpy(&v, p + 4, 8);
            if (r->swap)
                v = __builtin_bswap64(v);
            f->off_s = (int64_t)v;
        }
        p += 4 + padded;
        n -= 4 + padded;
    }
    return true;
}

static cc_read_status next_pcapng(cc_reader *r, cc_rec *rec)
{
    for (;;) {
        ssize_t k = fill(r, 12);
        if (k < 0)
            return CC_READ_DAMAGED;
        if (k == 0)
            return at_end(r);
        if (k < 12)
            return cut_short(r, "the block after packet", k, 12);
        const uint8_t *b = r->buf + r->pos;
        uint32_t type;
        memcpy(&type, b, 4);
        if (type == 0x0A0D0D0A) {
            /* Section Header Block: its byte order applies to the section */
            uint32_t bom;
            memcpy(&bom, b + 8, 4);
            if (bom == 0x1A2B3C4D)
                r->swap = false;
            else if (bom == 0x4D3C2B1A)
                r->swap = true;
            else {
                set_err(r, "a pcapng section header after packet %llu has a bad byte-order magic",
                        (unsigned long long)r->frame);
                return CC_READ_DAMAGED;
            }
            r->n_ifs = 0;
            r->section = true;
        } else if (!r->section) {
            set_err(r, "the pcapng file does not begin with a section header");
            return CC_READ_DAMAGED;
        }
        type = rd32(r, b);
        uint32_t blen = rd32(r, b + 4);
        if (blen < 12 || (blen & 3) || blen > MAX_BLOCK) {
            set_err(r, "a pcapng block after packet %llu has an impossible length %u",
                    (unsigned long long)r->frame, blen);
            return CC_READ_DAMAGED;
        }
        k = fill(r, blen);
        if (k < 0)
            return CC_READ_DAMAGED;
        if ((size_t)k < blen)
            return cut_short(r, "the block after packet", k, blen);
        b = r->buf + r->pos;
        if (rd32(r, b + blen - 4) != blen) {
            set_err(r, "a pcapng block after packet %llu has inconsistent lengths",
                    (unsigned long long)r->frame);
            return CC_READ_DAMAGED;
        }
        const uint8_t *body = b + 8;
        size_t blen_body = blen - 12;
        r->pos += blen;

        if (type == 1) { /* Interface Description Block */
            if (blen_body < 8 || r->n_ifs >= MAX_IFACES) {
                set_err(r, "a pcapng interface block after packet %llu is malformed",
                        (unsigned long long)r->frame);
                return CC_READ_DAMAGED;
            }
            if (!(r->n_ifs & (r->n_ifs - 1)) || !r->ifs) {
                iface *ni = realloc(r->ifs, sizeof *ni * (r->n_ifs ? r->n_ifs * 2 : 4));
                if (!ni) {
                    set_err(r, "out of memory");
                    return CC_READ_DAMAGED;
                }
                r->ifs = ni;
            }
            iface *f = &r->ifs[r->n_ifs];
            f->linktype = rd16(r, body);
            f->snaplen = rd32(r, body + 4);
            f->units = 1000000;
            f->off_s = 0;
            if (!idb_options(r, f, body + 8, blen_body - 8)) {
                set_err(r, "a pcapng interface block after packet %llu has bad options",
                        (unsigned long long)r->frame);
                return CC_READ_DAMAGED;
            }
            r->n_ifs++;
            continue;
        }
        if (type == 6 || type == 2) { /* Enhanced / obsolete Packet Block */
            if (blen_body < 20) {
                set_err(r, "packet %llu: a pcapng packet block is too short",
                        (unsigned long long)r->frame + 1);
                return CC_READ_DAMAGED;
            }
            uint32_t ifid = type == 6 ? rd32(r, body) : rd16(r, body);
            uint64_t ts = (uint64_t)rd32(r, body + 4) << 32 | rd32(r, body + 8);
            uint32_t caplen = rd32(r, body + 12), len = rd32(r, body + 16);
            if (caplen > blen_body - 20) {
                set_err(r, "packet %llu: capture length %u runs past its pcapng block",
                        (unsigned long long)r->frame + 1, caplen);
                return CC_READ_DAMAGED;
            }
            if (ifid >= r->n_ifs) {
                set_err(r, "packet %llu names interface %u, but the section defines %u",
                        (unsigned long long)r->frame + 1, ifid, r->n_ifs);
                return CC_READ_DAMAGED;
            }
            const iface *f = &r->ifs[ifid];
            if (f->snaplen && caplen > f->snaplen && !r->warn[0])
                snprintf(r->warn, sizeof r->warn,
                         "packet %llu has a capture length of %u bytes, above its interface's "
                         "snapshot length %u (read anyway)",
                         (unsigned long long)r->frame + 1, caplen, f->snaplen);
            rec->frame = ++r->frame;
            rec->ts_ns = ts_to_ns(r, f, ts);
            rec->caplen = caplen;
            rec->len = len;
            rec->linktype = f->linktype;
            rec->data = body + 20;
            return CC_READ_OK;
        }
        if (type == 3) { /* Simple Packet Block: interface 0, no time */
            if (blen_body < 4 || r->n_ifs == 0) {
                set_err(r, "packet %llu: a simple packet block without an interface",
                        (unsigned long long)r->frame + 1);
                return CC_READ_DAMAGED;
            }
            uint32_t len = rd32(r, body);
            uint32_t caplen = (uint32_t)(blen_body - 4);
            if (len < caplen)
                caplen = len;
            if (r->ifs[0].snaplen && caplen > r->ifs[0].snaplen)
                caplen = r->ifs[0].snaplen;
            rec->frame = ++r->frame;
            rec->ts_ns = 0;
            rec->caplen = caplen;
            rec->len = len;
            rec->linktype = r->ifs[0].linktype;
            rec->data = body + 4;
            return CC_READ_OK;
        }
        /* any other block (names, statistics, secrets, custom): not a frame */
    }
}

static cc_read_status next_libpcap(cc_reader *r, cc_rec *rec)
{
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc = pcap_next_ex(r->pc, &h, &d);
    if (rc == 1) {
        rec->frame = ++r->frame;
        rec->ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec;
        rec->caplen = h->caplen;
        rec->len = h->len;
        rec->linktype = r->linktype;
        rec->data = d;
        return CC_READ_OK;
    }
    if (rc == -2)
        return CC_READ_EOF;
    set_err(r, "after packet %llu: %s", (unsigned long long)r->frame, pcap_geterr(r->pc));
    return CC_READ_DAMAGED;
}

cc_read_status cc_reader_next(cc_reader *r, cc_rec *rec)
{
    if (r->err[0])
        return CC_READ_DAMAGED;
    switch (r->fmt) {
    case FMT_PCAP: return next_pcap(r, rec);
    case FMT_PCAPNG: return next_pcapng(r, rec);
    default: return next_libpcap(r, rec);
    }
}

const char *cc_reader_error(const cc_reader *r) { return r->err[0] ? r->err : "unknown error"; }
const char *cc_reader_warning(const cc_reader *r) { return r->warn[0] ? r->warn : NULL; }
uint64_t cc_reader_offset(const cc_reader *r) { return r->pc ? 0 : r->in_off; }
uint64_t cc_reader_size(const cc_reader *r) { return r->size; }
const char *cc_reader_format(const cc_reader *r) { return r->fmtname; }
bool cc_reader_shardable(const cc_reader *r) { return r->regular && !r->gz && r->fmt != FMT_LIBPCAP; }
