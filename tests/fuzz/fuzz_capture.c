/*
 * fuzz_capture.c - libFuzzer harness for chargecap's whole path: a capture
 * file (pcap in µs or ns, either byte order, pcapng, either of them gzip,
 * or libpcap's modified pcap: the reader tells them by magic) goes through
 * cc_run(), exactly as `chargecap FILE` runs it: reader -> link, IP, TCP,
 * UDP -> flows, sessions, reassembly -> identification -> the protocol
 * library -> violations, records, the report, --extract.
 *
 * The input is a capture file and nothing else, so every reproducer is a
 * capture chargecap can be run on by hand.  It is written to a file in a
 * private temporary folder (under /dev/shm when there is one), and run
 * with four configurations, each standing for a command line:
 *
 *   A  chargecap -m --json J                       (records and the report)
 *   B  chargecap --json J --extract X --payload --max-sessions 3
 *        --idle-timeout 5 --max-pdu 64 --max-open-files 2 --fail-on warning
 *   C  chargecap -m --json J -j 2 --shard-min 0    (the same output as A)
 *   D  chargecap -m                                (text messages, the report)
 *
 * The outputs go to memory (open_memstream); chargecap's own messages on
 * standard error go to /dev/null (the sanitizers and libFuzzer write to
 * file descriptor 2 directly and are unaffected).  The harness aborts on
 * any ASan/UBSan/LSan report and on any broken invariant:
 *   - the exit status is documented (0, 1 or 3) and says what the records
 *     say: 3 exactly when the summary says the file is damaged, else 1
 *     exactly when a violation at or above --fail-on was recorded;
 *   - every JSON line is one valid JSON object (RFC 8259, strictly), the
 *     whole output valid UTF-8; one summary, last;
 *   - every session record: stream = decoded + garbage + unparsed + gap on
 *     each side; session numbers 1..N, each once; frames within the file;
 *   - the records agree with the counts: messages, garbage runs and
 *     violations per session and in the summary, and the bytes of the
 *     message records of a session = its decoded + garbage bytes;
 *   - -j 2 (sharded by flow) writes byte for byte what -j 1 writes;
 *   - the text outputs are valid UTF-8 without control characters;
 *   - --extract: nothing is written outside the folder; in it, one folder
 *     for the capture, and in that exactly one pcap, one .client.bin and
 *     one .server.bin per session, named from the session's numbers and
 *     addresses; each pcap holds the session's frames, each .bin its
 *     side's stream bytes less the gaps.  The folder is removed after
 *     each run.
 */
#define _GNU_SOURCE
#include "extract.h"
#include "run.h"
#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CS_MAX_INPUT (1u << 20)

static FILE *err_out; /* the real standard error */
static FILE *devnull;
static char base[256];    /* the private temporary folder */
static char in_path[300]; /* the capture, in it */
static char x_path[300];  /* the --extract folder, in it */
static int in_fd = -1;
static cc_input input;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz_capture: invariant broken: ", err_out);
    vfprintf(err_out, fmt, ap);
    fputc('\n', err_out);
    va_end(ap);
    fflush(err_out);
    abort();
}

#define REQUIRE(cond, ...)                                                                    \
    do {                                                                                      \
        if (!(cond))                                                                          \
            fail(__VA_ARGS__);                                                                \
    } while (0)

/* ---- configurations --------------------------------------------------------------- */

typedef struct config {
    const char *name;
    cc_config cfg;
    cc_run_opts ro;
    bool json;
} config;

enum { CFG_A, CFG_B, CFG_C, CFG_D, N_CFG };
static config cfgs[N_CFG];

/* What main.c does with the options of a command line. */
static void config_make(config *c, const char *name, bool messages, bool json, bool extract,
                        int jobs)
{
    c->name = name;
    cc_config_init(&c->cfg);
    c->cfg.json = json;
    c->cfg.messages = messages;
    c->cfg.text_messages = messages && !json;
    c->cfg.want = messages ? (CS_WANT_INFO | (json ? CS_WANT_ITEMS : 0)) : 0;
    if (extract) {
        c->cfg.extract_dir = x_path;
        c->cfg.payload = true;
    }
    if ((uint32_t)jobs > c->cfg.fd_budget)
        c->cfg.fd_budget = (uint32_t)jobs;
    c->ro = (cc_run_opts){.cfg = &c->cfg, .jobs = jobs, .shard_min = 64u << 20,
                          .fail_on = CS_SEV_ERROR};
    c->json = json;
}

static void cleanup(void)
{
    if (in_fd >= 0)
        close(in_fd);
    unlink(in_path);
    rmdir(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (err_out)
        return 0;
    err_out = stderr;
    devnull = fopen("/dev/null", "w");
    struct stat sb;
    const char *tmp = getenv("CS_FUZZ_TMP");
    if (!tmp)
        tmp = stat("/dev/shm", &sb) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL;
    if (!tmp)
        tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(base, sizeof base, "%s/chargeshark-fuzzcap.XXXXXX", tmp);
    if (!devnull || !mkdtemp(base)) {
        fprintf(stderr, "fuzz_capture: cannot make a temporary folder in %s\n", tmp);
        abort();
    }
    snprintf(in_path, sizeof in_path, "%s/in.cap", base);
    snprintf(x_path, sizeof x_path, "%s/x", base);
    in_fd = open(in_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (in_fd < 0)
        abort();
    atexit(cleanup);
    input.path = in_path;
    cc_extract_stem(in_path, input.stem, sizeof input.stem);

    config_make(&cfgs[CFG_A], "A (-m --json)", true, true, false, 1);
    config_make(&cfgs[CFG_B], "B (--json --extract --payload, tight limits)", false, true, true, 1);
    cc_config *b = &cfgs[CFG_B].cfg;
    b->max_sessions = 3;
    b->idle_ns = 5LL * 1000000000;
    b->max_pdu = 64;
    b->fd_budget = 2;
    cfgs[CFG_B].ro.fail_on = CS_SEV_WARN;
    config_make(&cfgs[CFG_C], "C (-m --json -j 2 --shard-min 0)", true, true, false, 2);
    cfgs[CFG_C].ro.shard_min = 0;
    config_make(&cfgs[CFG_D], "D (-m)", true, false, false, 1);
    return 0;
}

/* ---- one run -------------------------------------------------------------------------- */

typedef struct result {
    int status;
    char *json, *text;
    size_t json_n, text_n;
} result;

static void run(const config *c, result *r)
{
    memset(r, 0, sizeof *r);
    cc_outputs out = {0};
    FILE *j = c->json ? open_memstream(&r->json, &r->json_n) : NULL;
    FILE *t = open_memstream(&r->text, &r->text_n);
    if ((c->json && !j) || !t)
        abort();
    out.json = j;
    out.text = t;
    out.report = true;
    FILE *saved = stderr;
    stderr = devnull; /* chargecap's messages; not the sanitizers' */
    r->status = cc_run(&c->ro, &input, 1, &out);
    stderr = saved;
    if (j)
        fclose(j);
    fclose(t);
}

static void result_free(result *r)
{
    free(r->json);
    free(r->text);
}

/* ---- checking text -------------------------------------------------------------------- */

/* Valid UTF-8 (GLib's validator: an implementation apart from the one
 * analyzer/sbuf.c escapes with, as a check must not share the code it
 * checks; it also refuses NUL, which no output of chargecap holds); with
 * `terminal`, also no control character but the line end (C0, DEL, C1):
 * what a terminal shows as it is. */
static void check_text(const config *c, const char *what, const char *p, size_t n, bool terminal)
{
    const gchar *end = NULL;
    REQUIRE(!n || g_utf8_validate_len(p, (gssize)n, &end), "%s: %s: invalid UTF-8 at byte %zu",
            c->name, what, (size_t)(end - p));
    for (const char *q = p; terminal && q < p + n; q = g_utf8_next_char(q)) {
        gunichar u = g_utf8_get_char(q);
        REQUIRE((u >= 0x20 || u == '\n') && (u < 0x7F || u >= 0xA0),
                "%s: %s: control character U+%04X at byte %zu", c->name, what, (unsigned)u,
                (size_t)(q - p));
    }
    REQUIRE(!n || p[n - 1] == '\n', "%s: %s: does not end with a line end", c->name, what);
}

/* ---- strict JSON (RFC 8259) ---------------------------------------------------------- */

static const char *js_value(const char *p, int depth);

static const char *js_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

static bool hexdig(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *js_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!hexdig(p[i]))
                        return NULL;
                p += 5;
                continue;
            }
            if (!*p || !strchr("\"\\/bfnrt", *p))
                return NULL;
        }
        p++;
    }
}

static const char *js_digits(const char *p)
{
    if (*p < '0' || *p > '9')
        return NULL;
    while (*p >= '0' && *p <= '9')
        p++;
    return p;
}

static const char *js_number(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (!(p = js_digits(p)))
        return NULL;
    if (*p == '.' && !(p = js_digits(p + 1)))
        return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(p = js_digits(p)))
            return NULL;
    }
    return p;
}

static const char *js_container(const char *p, int depth, char close)
{
    p = js_ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            if (!(p = js_string(js_ws(p))))
                return NULL;
            p = js_ws(p);
            if (*p++ != ':')
                return NULL;
        }
        if (!(p = js_value(p, depth + 1)))
            return NULL;
        p = js_ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *js_value(const char *p, int depth)
{
    if (depth > 32)
        return NULL;
    p = js_ws(p);
    switch (*p) {
    case '{': return js_container(p, depth, '}');
    case '[': return js_container(p, depth, ']');
    case '"': return js_string(p);
    case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
    case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
    case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
    default: return js_number(p);
    }
}

/* Accessors of validated JSON, without allocating: `v` points at a value. */

/* The value of member `key` of the object at `obj`, or NULL. */
static const char *jget(const char *obj, const char *key)
{
    if (!obj || *obj != '{')
        return NULL;
    size_t kl = strlen(key);
    const char *p = js_ws(obj + 1);
    while (*p == '"') {
        const char *e = js_string(p);
        bool match = (size_t)(e - p - 2) == kl && !memcmp(p + 1, key, kl);
        p = js_ws(js_ws(e) + 1);
        if (match)
            return p;
        p = js_ws(js_value(p, 0));
        if (*p == ',')
            p = js_ws(p + 1);
    }
    return NULL;
}

/* The members of an object, found in one pass. */
typedef struct jobj {
    int n;
    const char *key[64], *val[64];
    size_t klen[64];
} jobj;

static void jindex(const char *obj, jobj *j)
{
    j->n = 0;
    if (!obj || *obj != '{')
        return;
    const char *p = js_ws(obj + 1);
    while (*p == '"' && j->n < 64) {
        const char *e = js_string(p);
        j->key[j->n] = p + 1;
        j->klen[j->n] = (size_t)(e - p - 2);
        p = js_ws(js_ws(e) + 1);
        j->val[j->n++] = p;
        p = js_ws(js_value(p, 0));
        if (*p == ',')
            p = js_ws(p + 1);
    }
}

static const char *jo(const jobj *j, const char *key)
{
    size_t kl = strlen(key);
    for (int i = 0; i < j->n; i++)
        if (j->klen[i] == kl && !memcmp(j->key[i], key, kl))
            return j->val[i];
    return NULL;
}

/* A count: a non-negative integer up to 2^53. */
static bool jnum(const char *v, uint64_t *out)
{
    if (!v || *v < '0' || *v > '9')
        return false;
    uint64_t n = 0;
    for (; *v >= '0' && *v <= '9'; v++) {
        if (n > (1ULL << 53) / 10)
            return false;
        n = n * 10 + (uint64_t)(*v - '0');
    }
    if (*v == '.' || *v == 'e' || *v == 'E' || n > (1ULL << 53))
        return false;
    *out = n;
    return true;
}

/* A string's bytes as written (escapes left as they are) into buf; NULL
 * when v is not a string. */
static const char *jstr(const char *v, char *buf, size_t n)
{
    if (!v || *v != '"')
        return NULL;
    const char *e = js_string(v);
    size_t len = (size_t)(e - v - 2);
    snprintf(buf, n, "%.*s", (int)len, v + 1);
    return buf;
}

/* ---- checking the records ------------------------------------------------------------- */

typedef struct sess_seen {
    bool ended;
    uint64_t msgs, garbage, viols, bytes; /* from message and violation records */
    uint64_t messages, garbage_runs, violations, decoded_garbage, frames;
    uint64_t payload[2]; /* stream - gap, per side */
    char name[288];      /* its --extract name, without the suffix */
} sess_seen;

typedef struct facts {
    uint64_t n_sess;
    sess_seen *sess;
    size_t cap;
    uint64_t msgs, garbage, viols, max_frame;
    int worst;
    bool summary, damaged;
} facts;

static uint64_t need_num(const config *c, const jobj *o, const char *key, const char *line)
{
    uint64_t v;
    REQUIRE(jnum(jo(o, key), &v), "%s: \"%s\" is not a count in %s", c->name, key, line);
    return v;
}

static sess_seen *sess_at(facts *f, uint64_t id)
{
    if (id >= f->cap) {
        size_t cap = f->cap ? f->cap : 16;
        while (cap <= id)
            cap *= 2;
        sess_seen *n = realloc(f->sess, cap * sizeof *n);
        if (!n)
            abort();
        memset(n + f->cap, 0, (cap - f->cap) * sizeof *n);
        f->sess = n;
        f->cap = cap;
    }
    return &f->sess[id];
}

static int severity(const char *s)
{
    if (!s)
        return -1;
    return !strcmp(s, "error") ? CS_SEV_ERROR : !strcmp(s, "warning") ? CS_SEV_WARN
                                            : !strcmp(s, "note")      ? CS_SEV_NOTE
                                                                      : -1;
}

/* An endpoint as --extract names it: "ip-port", ':' as '.'. */
static void ep_name(const char *ep, char *out, size_t n)
{
    char ip[64];
    uint64_t port = 0;
    jnum(jget(ep, "port"), &port);
    snprintf(out, n, "%s-%llu", jstr(jget(ep, "ip"), ip, sizeof ip) ? ip : "?",
             (unsigned long long)port);
    for (char *q = out; *q; q++)
        if (*q == ':')
            *q = '.';
}

static void session_record(const config *c, facts *f, const jobj *o, const char *line)
{
    uint64_t id = need_num(c, o, "session", line);
    REQUIRE(id >= 1, "%s: session number 0: %s", c->name, line);
    sess_seen *s = sess_at(f, id);
    REQUIRE(!s->ended, "%s: session %llu ended twice", c->name, (unsigned long long)id);
    s->ended = true;
    f->n_sess++;
    uint64_t first = need_num(c, o, "first_frame", line), last = need_num(c, o, "last_frame", line);
    s->frames = need_num(c, o, "frames", line);
    REQUIRE(first >= 1 && first <= last && s->frames >= 1, "%s: session frames: %s", c->name, line);
    REQUIRE(need_num(c, o, "frame", line) == first, "%s: frame != first_frame: %s", c->name, line);
    if (last > f->max_frame)
        f->max_frame = last;
    s->messages = need_num(c, o, "messages", line);
    s->garbage_runs = need_num(c, o, "garbage_runs", line);
    s->violations = need_num(c, o, "violations", line);
    uint64_t gaps = 0;
    static const char *const side[2] = {"from_client", "from_server"};
    for (int i = 0; i < 2; i++) {
        jobj dj;
        const jobj *d = &dj;
        jindex(jo(o, side[i]), &dj);
        REQUIRE(dj.n, "%s: no %s: %s", c->name, side[i], line);
        uint64_t stream = need_num(c, d, "stream", line), dec = need_num(c, d, "decoded", line),
                 garb = need_num(c, d, "garbage", line), unp = need_num(c, d, "unparsed", line),
                 gap = need_num(c, d, "gap", line);
        need_num(c, d, "packets", line);
        need_num(c, d, "bytes", line);
        REQUIRE(dec + garb + unp + gap == stream,
                "%s: session %llu %s: decoded %llu + garbage %llu + unparsed %llu + gap %llu != "
                "stream %llu",
                c->name, (unsigned long long)id, side[i], (unsigned long long)dec,
                (unsigned long long)garb, (unsigned long long)unp, (unsigned long long)gap,
                (unsigned long long)stream);
        s->decoded_garbage += dec + garb;
        s->payload[i] = stream - gap;
        gaps += gap;
    }
    REQUIRE(need_num(c, o, "gap_bytes", line) == gaps, "%s: gap_bytes: %s", c->name, line);
    char pb[64], cl[96], sv[96]; /* an IP of up to 63 characters, "-", a port */
    const char *proto = jstr(jo(o, "proto"), pb, sizeof pb);
    ep_name(jo(o, "client"), cl, sizeof cl);
    ep_name(jo(o, "server"), sv, sizeof sv);
    snprintf(s->name, sizeof s->name, "%llu_%s_%s_%s", (unsigned long long)id,
             proto ? proto : "unknown", cl, sv);
}

static void check_records(const config *c, const result *r, facts *f)
{
    memset(f, 0, sizeof *f);
    check_text(c, "JSON", r->json, r->json_n, false);
    char *p = r->json, *end = r->json + r->json_n;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        REQUIRE(nl, "%s: a JSON line without its line end", c->name);
        *nl = '\0';
        REQUIRE(!f->summary, "%s: a record after the summary: %s", c->name, p);
        const char *e = js_value(p, 0);
        REQUIRE(e && !*js_ws(e) && *js_ws(p) == '{', "%s: not one JSON object: %s", c->name, p);
        jobj oj;
        const jobj *o = &oj;
        jindex(js_ws(p), &oj);
        uint64_t v;
        REQUIRE(jnum(jo(o, "v"), &v) && v == 1, "%s: schema version: %s", c->name, p);
        char kb[16], sb[16];
        const char *kind = jstr(jo(o, "kind"), kb, sizeof kb);
        REQUIRE(kind, "%s: no kind: %s", c->name, p);
        uint64_t frame = need_num(c, o, "frame", p);
        if (!strcmp(kind, "message")) {
            REQUIRE(c->cfg.messages, "%s: a message record without -m", c->name);
            REQUIRE(frame >= 1, "%s: frame 0: %s", c->name, p);
            sess_seen *s = sess_at(f, need_num(c, o, "session", p));
            REQUIRE(!s->ended, "%s: a message after its session ended: %s", c->name, p);
            const char *g = jo(o, "garbage");
            REQUIRE(g && (*g == 't' || *g == 'f'), "%s: garbage: %s", c->name, p);
            if (*g == 't') {
                s->garbage++;
                f->garbage++;
            } else {
                s->msgs++;
                f->msgs++;
            }
            s->bytes += need_num(c, o, "len", p);
            need_num(c, o, "offset", p);
        } else if (!strcmp(kind, "violation")) {
            REQUIRE(frame >= 1, "%s: frame 0: %s", c->name, p);
            sess_seen *s = sess_at(f, need_num(c, o, "session", p));
            REQUIRE(!s->ended, "%s: a violation after its session ended: %s", c->name, p);
            s->viols++;
            f->viols++;
            int sev = severity(jstr(jo(o, "severity"), sb, sizeof sb));
            REQUIRE(sev > 0, "%s: severity: %s", c->name, p);
            if (sev > f->worst)
                f->worst = sev;
            REQUIRE(jo(o, "code") && *jo(o, "code") == '"' && jo(o, "message") &&
                        *jo(o, "message") == '"',
                    "%s: code, message: %s", c->name, p);
        } else if (!strcmp(kind, "session")) {
            session_record(c, f, o, p);
        } else if (!strcmp(kind, "summary")) {
            f->summary = true;
            uint64_t frames = need_num(c, o, "frames", p);
            REQUIRE(frames == frame, "%s: summary frame != frames: %s", c->name, p);
            REQUIRE(f->max_frame <= frames, "%s: a record names frame %llu of %llu", c->name,
                    (unsigned long long)f->max_frame, (unsigned long long)frames);
            const char *d = jo(o, "damaged");
            REQUIRE(d && (*d == 'n' || *d == '"'), "%s: damaged: %s", c->name, p);
            f->damaged = *d == '"';
            jobj ssj, msj, vsj;
            const jobj *ss = &ssj, *ms = &msj, *vs = &vsj;
            jindex(jo(o, "sessions"), &ssj);
            jindex(jo(o, "messages"), &msj);
            jindex(jo(o, "violations"), &vsj);
            REQUIRE(ssj.n && msj.n && vsj.n, "%s: summary counts: %s", c->name, p);
            REQUIRE(need_num(c, ss, "total", p) == f->n_sess,
                    "%s: summary: %llu sessions, %llu session records", c->name,
                    (unsigned long long)need_num(c, ss, "total", p), (unsigned long long)f->n_sess);
            REQUIRE(need_num(c, vs, "total", p) == f->viols,
                    "%s: summary: %llu violations, %llu violation records", c->name,
                    (unsigned long long)need_num(c, vs, "total", p), (unsigned long long)f->viols);
            if (c->cfg.messages)
                REQUIRE(need_num(c, ms, "total", p) == f->msgs,
                        "%s: summary: %llu messages, %llu message records", c->name,
                        (unsigned long long)need_num(c, ms, "total", p),
                        (unsigned long long)f->msgs);
        } else {
            fail("%s: unknown kind: %s", c->name, p);
        }
        if (frame > f->max_frame && strcmp(kind, "summary"))
            f->max_frame = frame;
        *nl = '\n';
        p = nl + 1;
    }
    REQUIRE(f->summary, "%s: no summary record", c->name);
    for (uint64_t id = 1; id < f->cap; id++) {
        const sess_seen *s = &f->sess[id];
        if (id <= f->n_sess)
            REQUIRE(s->ended, "%s: session %llu of %llu has no record", c->name,
                    (unsigned long long)id, (unsigned long long)f->n_sess);
        else
            REQUIRE(!s->ended && !s->msgs && !s->garbage && !s->viols,
                    "%s: records of session %llu beyond the %llu sessions", c->name,
                    (unsigned long long)id, (unsigned long long)f->n_sess);
        if (!s->ended)
            continue;
        REQUIRE(s->viols == s->violations, "%s: session %llu: %llu violations, %llu records",
                c->name, (unsigned long long)id, (unsigned long long)s->violations,
                (unsigned long long)s->viols);
        if (!c->cfg.messages)
            continue;
        REQUIRE(s->msgs == s->messages && s->garbage == s->garbage_runs,
                "%s: session %llu: %llu messages and %llu garbage runs, %llu and %llu records",
                c->name, (unsigned long long)id, (unsigned long long)s->messages,
                (unsigned long long)s->garbage_runs, (unsigned long long)s->msgs,
                (unsigned long long)s->garbage);
        REQUIRE(s->bytes == s->decoded_garbage,
                "%s: session %llu: %llu bytes decoded or garbage, %llu in its records", c->name,
                (unsigned long long)id, (unsigned long long)s->decoded_garbage,
                (unsigned long long)s->bytes);
    }
    /* the exit status says what the records say */
    int want = f->damaged ? CC_EXIT_DAMAGED
               : f->worst && f->worst >= c->ro.fail_on ? CC_EXIT_VIOLATIONS
                                                       : CC_EXIT_CLEAN;
    REQUIRE(r->status == want, "%s: exit status %d, the records say %d", c->name, r->status, want);
}

/* ---- --extract ---------------------------------------------------------------------------- */

static char *read_all(int dirfd, const char *name, size_t *n)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    REQUIRE(fd >= 0, "--extract: cannot open %s: %s", name, strerror(errno));
    struct stat sb;
    REQUIRE(fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode), "--extract: %s is not a file", name);
    char *p = malloc((size_t)sb.st_size + 1);
    REQUIRE(p && read(fd, p, (size_t)sb.st_size) == sb.st_size, "--extract: cannot read %s", name);
    close(fd);
    *n = (size_t)sb.st_size;
    return p;
}

/* The records of a pcap that --extract wrote. */
static uint64_t pcap_records(int dirfd, const char *name)
{
    size_t n;
    char *p = read_all(dirfd, name, &n);
    uint32_t h[6];
    REQUIRE(n >= 24, "--extract: %s: no pcap header", name);
    memcpy(h, p, sizeof h);
    REQUIRE(h[0] == 0xa1b23c4d, "--extract: %s: not a nanosecond pcap", name);
    uint64_t recs = 0;
    size_t at = 24;
    while (at < n) {
        uint32_t r[4];
        REQUIRE(n - at >= 16, "--extract: %s: a record header cut short", name);
        memcpy(r, p + at, sizeof r);
        REQUIRE(r[1] < 1000000000u, "--extract: %s: nanoseconds %u", name, r[1]);
        REQUIRE(r[2] <= n - at - 16, "--extract: %s: a record cut short", name);
        at += 16 + (size_t)r[2];
        recs++;
    }
    free(p);
    return recs;
}

static void remove_tree(int at, const char *name)
{
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        DIR *d = fdopendir(fd);
        if (d) {
            for (struct dirent *e; (e = readdir(d));)
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                    remove_tree(dirfd(d), e->d_name);
            closedir(d);
        } else {
            close(fd);
        }
        unlinkat(at, name, AT_REMOVEDIR);
    } else {
        unlinkat(at, name, 0);
    }
}

/* The names in a folder, NUL-separated, sorted; their number in *n. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char **list_dir(const char *path, size_t *n)
{
    DIR *d = opendir(path);
    REQUIRE(d, "cannot list %s: %s", path, strerror(errno));
    char **v = NULL;
    *n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        v = realloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void check_extract(const config *c, const facts *f)
{
    size_t n;
    char **top = list_dir(base, &n);
    /* nothing next to the capture and the --extract folder */
    REQUIRE(n == 2 && !strcmp(top[0], "in.cap") && !strcmp(top[1], "x"),
            "%s: --extract wrote outside its folder (%zu names next to it, the first %s)", c->name,
            n, n ? top[0] : "-");
    free_list(top, n);
    char **xs = list_dir(x_path, &n);
    REQUIRE(n == 1 && !strcmp(xs[0], input.stem), "%s: --extract: %zu names in the folder (%s)",
            c->name, n, n ? xs[0] : "-");
    free_list(xs, n);
    char sub[440];
    snprintf(sub, sizeof sub, "%s/%s", x_path, input.stem);
    char **names = list_dir(sub, &n);
    REQUIRE(n == 3 * f->n_sess, "%s: --extract: %zu files for %llu sessions (the first: %s)",
            c->name, n, (unsigned long long)f->n_sess, n ? names[0] : "-");
    int dfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(dfd >= 0, "cannot open %s", sub);
    static const char *const suffix[3] = {".pcap", ".client.bin", ".server.bin"};
    for (uint64_t id = 1; id <= f->n_sess; id++) {
        const sess_seen *s = &f->sess[id];
        for (int k = 0; k < 3; k++) {
            char name[300];
            snprintf(name, sizeof name, "%s%s", s->name, suffix[k]);
            const char *key = name;
            REQUIRE(bsearch(&key, names, n, sizeof *names, cmp_str),
                    "%s: --extract: no %s", c->name, name);
            if (k == 0) {
                uint64_t recs = pcap_records(dfd, name);
                REQUIRE(recs == s->frames, "%s: --extract: %s holds %llu frames of %llu",
                        c->name, name, (unsigned long long)recs, (unsigned long long)s->frames);
            } else {
                size_t len;
                free(read_all(dfd, name, &len));
                REQUIRE(len == s->payload[k - 1],
                        "%s: --extract: %s holds %zu bytes, the stream less its gaps %llu", c->name,
                        name, len, (unsigned long long)s->payload[k - 1]);
            }
        }
    }
    close(dfd);
    free_list(names, n);
}

/* ---- the run -------------------------------------------------------------------------------- */

static void check_same(const config *c, const char *what, const char *a, size_t an, const char *b,
                       size_t bn)
{
    size_t i = 0;
    while (i < an && i < bn && a[i] == b[i])
        i++;
    REQUIRE(an == bn && i == an,
            "%s: the %s differs from -j 1's at byte %zu (%zu and %zu bytes): ...%.60s... vs ...%.60s...",
            c->name, what, i, bn, an, b + (i > 20 ? i - 20 : 0), a + (i > 20 ? i - 20 : 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    LLVMFuzzerInitialize(NULL, NULL);
    if (size > CS_MAX_INPUT)
        return 0;
    if (ftruncate(in_fd, 0) || (size && pwrite(in_fd, data, size, 0) != (ssize_t)size))
        abort();

    facts f;
    result a, r;
    run(&cfgs[CFG_A], &a);
    check_records(&cfgs[CFG_A], &a, &f);
    check_text(&cfgs[CFG_A], "report", a.text, a.text_n, true);
    free(f.sess);

    /* threads are dear under ASan: -j 2 for a quarter of the inputs (the
     * same ones every time), the text output for another quarter */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    if (h % 4 == 0) {
        run(&cfgs[CFG_C], &r);
        check_same(&cfgs[CFG_C], "JSON", a.json, a.json_n, r.json, r.json_n);
        check_same(&cfgs[CFG_C], "report", a.text, a.text_n, r.text, r.text_n);
        REQUIRE(a.status == r.status, "%s: exit status %d, -j 1's %d", cfgs[CFG_C].name,
                r.status, a.status);
        result_free(&r);
    }
    int status = a.status;
    result_free(&a);

    remove_tree(AT_FDCWD, x_path);
    run(&cfgs[CFG_B], &r);
    check_records(&cfgs[CFG_B], &r, &f);
    check_text(&cfgs[CFG_B], "report", r.text, r.text_n, true);
    check_extract(&cfgs[CFG_B], &f);
    remove_tree(AT_FDCWD, x_path);
    free(f.sess);
    result_free(&r);

    if (h % 4 == 1) {
        run(&cfgs[CFG_D], &r);
        check_text(&cfgs[CFG_D], "text", r.text, r.text_n, true);
        REQUIRE(r.status == status, "%s: exit status %d, with --json %d", cfgs[CFG_D].name,
                r.status, status);
        result_free(&r);
    }
    return 0;
}
