/* extract.c - one pcap per session (see extract.h). */
#include "extract.h"

#include "sbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_FLUSH (64u * 1024)

/* A file is in up to two lists: of open descriptors (least recently used
 * first) and of files with bytes buffered (oldest first). */
enum { L_OPEN = 0, L_BUF = 1 };

typedef struct xlink {
    struct xfile *prev, *next;
    bool in;
} xlink;

typedef struct xlist {
    struct xfile *head, *tail;
} xlist;

typedef struct xfile {
    int fd;
    bool used; /* created on disk */
    sbuf buf;
    xlink link[2];
    struct cc_xsess *owner;
    int which;
} xfile;

struct cc_xsess {
    uint64_t id;
    int linktype;
    xfile f[3]; /* the pcap, the client's bytes, the server's bytes */
    cc_xsess *prev, *next; /* live sessions */
};

struct cc_extract {
    int dirfd, partfd;
    char partname[64];
    uint32_t fd_budget, n_open;
    uint64_t mem_budget, mem_used;
    bool payload;
    xlist list[2];
    cc_xsess *live;
    char err[256];
};

/* ---- names ------------------------------------------------------------------ */

static void safe_copy(char *out, size_t outlen, const char *s)
{
    size_t j = 0;
    for (; *s && j + 1 < outlen; s++) {
        char c = *s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.')
            out[j++] = c;
        else if (c == ':')
            out[j++] = '.';
        else
            out[j++] = '_';
    }
    out[j] = '\0';
}

void cc_extract_stem(const char *file, char *out, size_t outlen)
{
    if (!strcmp(file, "-")) {
        snprintf(out, outlen, "stdin");
        return;
    }
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    char t[256];
    snprintf(t, sizeof t, "%s", b);
    static const char *const ext[] = {".gz", ".pcapng", ".pcap", ".cap", ".ntar"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t n = strlen(t), e = strlen(ext[i]);
        if (n > e && !strcmp(t + n - e, ext[i]))
            t[n - e] = '\0';
    }
    safe_copy(out, outlen, t);
    /* never ".", "..", hidden or empty */
    if (!out[0] || out[0] == '.') {
        char u[256];
        snprintf(u, sizeof u, "capture%s", out);
        snprintf(out, outlen, "%s", u);
    }
}

static int open_dir_at(int at, const char *name, char *err, size_t errlen)
{
    if (mkdirat(at, name, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", name, strerror(errno));
        return -1;
    }
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        snprintf(err, errlen, "cannot open %s: %s", name, strerror(errno));
    return fd;
}

int cc_extract_open_dir(const char *dir, const char *stem, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    int top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0) {
        snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    int fd = open_dir_at(top, stem, err, errlen);
    close(top);
    return fd;
}

/* ---- descriptors and buffers --------------------------------------------------- */

static void list_remove(cc_extract *x, int l, xfile *f)
{
    xlink *k = &f->link[l];
    if (!k->in)
        return;
    if (k->prev)
        k->prev->link[l].next = k->next;
    else
        x->list[l].head = k->next;
    if (k->next)
        k->next->link[l].prev = k->prev;
    else
        x->list[l].tail = k->prev;
    k->prev = k->next = NULL;
    k->in = false;
}

static void list_append(cc_extract *x, int l, xfile *f)
{
    xlink *k = &f->link[l];
    k->prev = x->list[l].tail;
    k->next = NULL;
    if (x->list[l].tail)
        x->list[l].tail->link[l].next = f;
    else
        x->list[l].head = f;
    x->list[l].tail = f;
    k->in = true;
}

static void close_fd(cc_extract *x, xfile *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
        x->n_open--;
    }
    list_remove(x, L_OPEN, f);
}

static void part_name(const cc_xsess *s, int which, char *out, size_t n)
{
    static const char *const suffix[] = {"pcap", "client", "server"};
    snprintf(out, n, "%llu.%s.part", (unsigned long long)s->id, suffix[which]);
}

static void fail(cc_extract *x, const char *what, const char *name)
{
    if (!x->err[0])
        snprintf(x->err, sizeof x->err, "%s %.120s: %.80s", what, name, strerror(errno));
}

/* Write out what `f` (file `which` of session s) has buffered. */
static void flush_file(cc_extract *x, cc_xsess *s, int which)
{
    xfile *f = &s->f[which];
    list_remove(x, L_BUF, f);
    if (!f->buf.n)
        return;
    char name[64];
    part_name(s, which, name, sizeof name);
    if (f->fd < 0) {
        while (x->n_open >= x->fd_budget && x->list[L_OPEN].head)
            close_fd(x, x->list[L_OPEN].head);
        f->fd = openat(x->partfd, name,
                       O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC |
                           (f->used ? 0 : O_TRUNC),
                       0644);
        if (f->fd < 0) {
            fail(x, "cannot write", name);
            x->mem_used -= f->buf.n;
            f->buf.n = 0;
            return;
        }
        x->n_open++;
        f->used = true;
    } else {
        list_remove(x, L_OPEN, f);
    }
    list_append(x, L_OPEN, f);
    size_t done = 0;
    while (done < f->buf.n) {
        ssize_t k = write(f->fd, f->buf.p + done, f->buf.n - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            fail(x, "cannot write", name);
            break;
        }
        done += (size_t)k;
    }
    x->mem_used -= f->buf.n;
    f->buf.n = 0;
    if (f->buf.cap > FILE_FLUSH * 2)
        sb_free(&f->buf);
}

/* Keep the buffered bytes under the budget: write the oldest out. */
static void enforce_budget(cc_extract *x)
{
    while (x->mem_used > x->mem_budget && x->list[L_BUF].head)
        flush_file(x, x->list[L_BUF].head->owner, x->list[L_BUF].head->which);
}

static void append(cc_extract *x, cc_xsess *s, int which, const void *p, size_t n)
{
    xfile *f = &s->f[which];
    sb_put(&f->buf, p, n);
    x->mem_used += n;
    if (!f->link[L_BUF].in)
        list_append(x, L_BUF, f);
    if (f->buf.n >= FILE_FLUSH)
        flush_file(x, s, which);
    else if (x->mem_used > x->mem_budget)
        enforce_budget(x);
}

/* ---- the interface ------------------------------------------------------------------ */

cc_extract *cc_extract_new(int dirfd, int shard, uint32_t fd_budget, uint64_t mem_budget,
                           bool payload, char *err, size_t errlen)
{
    cc_extract *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    x->dirfd = dirfd;
    x->fd_budget = fd_budget ? fd_budget : 1;
    x->mem_budget = mem_budget ? mem_budget : 1;
    x->payload = payload;
    snprintf(x->partname, sizeof x->partname, ".partial-%ld-%d", (long)getpid(), shard);
    x->partfd = open_dir_at(dirfd, x->partname, err, errlen);
    if (x->partfd < 0) {
        free(x);
        return NULL;
    }
    return x;
}

static void xsess_drop(cc_extract *x, cc_xsess *s, bool remove_parts)
{
    for (int i = 0; i < 3; i++) {
        xfile *f = &s->f[i];
        list_remove(x, L_BUF, f);
        close_fd(x, f);
        x->mem_used -= f->buf.n;
        sb_free(&f->buf);
        if (remove_parts && f->used) {
            char name[64];
            part_name(s, i, name, sizeof name);
            unlinkat(x->partfd, name, 0);
        }
    }
    if (s->prev)
        s->prev->next = s->next;
    else
        x->live = s->next;
    if (s->next)
        s->next->prev = s->prev;
    free(s);
}

void cc_extract_free(cc_extract *x)
{
    if (!x)
        return;
    while (x->live)
        xsess_drop(x, x->live, true);
    close(x->partfd);
    unlinkat(x->dirfd, x->partname, AT_REMOVEDIR);
    free(x);
}

const char *cc_extract_error(const cc_extract *x) { return x->err[0] ? x->err : NULL; }

cc_xsess *cc_x_session(cc_extract *x, uint64_t id)
{
    cc_xsess *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->id = id;
    s->linktype = -1;
    for (int i = 0; i < 3; i++) {
        s->f[i].fd = -1;
        s->f[i].owner = s;
        s->f[i].which = i;
    }
    s->next = x->live;
    if (x->live)
        x->live->prev = s;
    x->live = s;
    return s;
}

/* A link header of type `lt` for an IP packet of version v; its length. */
static uint32_t synth_link(int lt, uint8_t v, uint8_t *h)
{
    uint16_t et = v == 6 ? 0x86DD : 0x0800;
    switch (lt) {
    case 1: /* Ethernet */
        memset(h, 0, 12);
        h[12] = (uint8_t)(et >> 8);
        h[13] = (uint8_t)et;
        return 14;
    case 113: /* Linux SLL */
        memset(h, 0, 16);
        h[14] = (uint8_t)(et >> 8);
        h[15] = (uint8_t)et;
        return 16;
    case 276: /* Linux SLL2 */
        memset(h, 0, 20);
        h[0] = (uint8_t)(et >> 8);
        h[1] = (uint8_t)et;
        return 20;
    case 0: { /* BSD loopback, host order */
        uint32_t fam = v == 6 ? 24 : 2;
        memcpy(h, &fam, 4);
        return 4;
    }
    case 108: { /* OpenBSD loopback, network order */
        uint32_t fam = v == 6 ? 24 : 2;
        h[0] = (uint8_t)(fam >> 24);
        h[1] = (uint8_t)(fam >> 16);
        h[2] = (uint8_t)(fam >> 8);
        h[3] = (uint8_t)fam;
        return 4;
    }
    default: /* raw IP */
        return 0;
    }
}

void cc_x_packet(cc_extract *x, cc_xsess *s, const cc_rec *rec, uint32_t ip_off, uint8_t ip_version)
{
    if (!s)
        return;
    if (s->linktype < 0) {
        s->linktype = rec->linktype;
        struct {
            uint32_t magic;
            uint16_t major, minor;
            int32_t zone;
            uint32_t sigfigs, snaplen, linktype;
        } h = {0xa1b23c4d, 2, 4, 0, 0, 262144, (uint32_t)rec->linktype};
        append(x, s, 0, &h, sizeof h);
    }
    uint8_t link[20];
    uint32_t linklen = 0;
    const uint8_t *data = rec->data;
    uint32_t caplen = rec->caplen, len = rec->len;
    if (rec->linktype != s->linktype && ip_off <= caplen) {
        /* another link type than the file's: the same IP packet under the
         * file's link header */
        linklen = synth_link(s->linktype, ip_version, link);
        data += ip_off;
        caplen -= ip_off;
        len = len >= ip_off ? len - ip_off : caplen;
        caplen += linklen;
        len += linklen;
    }
    int64_t ts = rec->ts_ns;
    int64_t sec = ts / 1000000000, ns = ts % 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        sec--;
    }
    uint32_t r[4] = {(uint32_t)sec, (uint32_t)ns, caplen, len};
    append(x, s, 0, r, sizeof r);
    if (linklen)
        append(x, s, 0, link, linklen);
    append(x, s, 0, data, caplen - linklen);
}

void cc_x_payload(cc_extract *x, cc_xsess *s, int side, const uint8_t *d, uint32_t n)
{
    if (!s || !x->payload || !n)
        return;
    append(x, s, 1 + (side & 1), d, n);
}

void cc_x_end(cc_extract *x, cc_xsess *s, const char *proto, uint8_t l4, const cc_addr addr[2],
              const uint16_t port[2])
{
    if (!s)
        return;
    char a[64], b[64], sa[64], sb[64], sp[32], base[256];
    cc_addr_str(&addr[0], a, sizeof a);
    cc_addr_str(&addr[1], b, sizeof b);
    safe_copy(sa, sizeof sa, a);
    safe_copy(sb, sizeof sb, b);
    safe_copy(sp, sizeof sp, proto);
    snprintf(base, sizeof base, "%llu_%s_%s-%u_%s-%u", (unsigned long long)s->id, sp, sa, port[0],
             sb, port[1]);
    (void)l4;
    if (x->payload)
        for (int i = 1; i < 3; i++)
            if (!s->f[i].used && !s->f[i].buf.n) {
                /* an empty side still gets its (empty) file */
                char name[64];
                part_name(s, i, name, sizeof name);
                int fd = openat(x->partfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (fd >= 0) {
                    close(fd);
                    s->f[i].used = true;
                } else {
                    fail(x, "cannot write", name);
                }
            }
    static const char *const suffix[] = {".pcap", ".client.bin", ".server.bin"};
    for (int i = 0; i < 3; i++) {
        flush_file(x, s, i);
        close_fd(x, &s->f[i]);
        if (!s->f[i].used)
            continue;
        char from[64], to[300];
        part_name(s, i, from, sizeof from);
        snprintf(to, sizeof to, "%s%s", base, suffix[i]);
        if (renameat(x->partfd, from, x->dirfd, to) < 0)
            fail(x, "cannot rename", to);
        else
            s->f[i].used = false; /* nothing left to remove */
    }
    xsess_drop(x, s, true);
}
