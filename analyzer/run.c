/* run.c - jobs, threads, the merge and the progress bar (see run.h). */
#include "run.h"

#include "extract.h"
#include "reader.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FLUSH_EVERY 16384 /* packets between chunks handed to the merger */
#define QUEUE_MAX_DEFAULT 8 /* chunks queued in memory per producer */

/* CHARGECAP_QUEUE_MAX (tests only) makes the spill path easy to reach. */
static uint32_t queue_max = QUEUE_MAX_DEFAULT;
/* For the tests, CHARGECAP_ASSIGN: who follows the sessions of a split file */
static enum { ASSIGN_BALANCE, ASSIGN_LEADER, ASSIGN_WORKERS, ASSIGN_TURNS } assign_mode;
#define QUEUE_MAX queue_max

volatile sig_atomic_t cc_stop;

/* Queues of items linked by `next`, with head, tail and a count n: the
 * merge's chunks and the workers' batches. */
#define FIFO_PUSH(q, k)                                                                           \
    do {                                                                                          \
        (k)->next = NULL;                                                                         \
        if ((q)->tail)                                                                            \
            (q)->tail->next = (k);                                                                \
        else                                                                                      \
            (q)->head = (k);                                                                      \
        (q)->tail = (k);                                                                          \
        (q)->n++;                                                                                 \
    } while (0)
#define FIFO_POP(q, k)                                                                            \
    do {                                                                                          \
        (k) = (q)->head;                                                                          \
        (q)->head = (k)->next;                                                                    \
        if (!(q)->head)                                                                           \
            (q)->tail = NULL;                                                                     \
        (q)->n--;                                                                                 \
    } while (0)

/* ---- progress ---------------------------------------------------------------------- */

static struct {
    bool on, shown;
    uint64_t total;
    _Atomic uint64_t bytes, packets;
    double start, last;
    pthread_mutex_t mu;
} prog = {.mu = PTHREAD_MUTEX_INITIALIZER};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void progress_draw(bool final)
{
    if (!prog.on || pthread_mutex_trylock(&prog.mu))
        return;
    double t = now_s();
    if (!final && (t - prog.start < 1.0 || t - prog.last < 0.25)) {
        pthread_mutex_unlock(&prog.mu);
        return;
    }
    prog.last = t;
    if (final) {
        if (prog.shown)
            fputs("\r\033[K", stderr);
        pthread_mutex_unlock(&prog.mu);
        return;
    }
    uint64_t bytes = atomic_load(&prog.bytes), pk = atomic_load(&prog.packets);
    char done[24], total[24], rate[24];
    cc_human_size((double)bytes, done, sizeof done);
    cc_human_size((double)prog.total, total, sizeof total);
    cc_human_size(bytes / (t - prog.start), rate, sizeof rate);
    char bar[23] = "[....................]";
    if (prog.total) {
        int k = (int)(20.0 * bytes / prog.total);
        for (int i = 0; i < k && i < 20; i++)
            bar[1 + i] = '#';
    }
    fprintf(stderr, "\r%s %s / %s, %llu packets, %s/s\033[K", prog.total ? bar : "", done, total,
            (unsigned long long)pk, rate);
    prog.shown = true;
    pthread_mutex_unlock(&prog.mu);
}

/* ---- channels: one producer (a job), one consumer (the merger) ----------------------------- */

typedef struct cc_chan {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cc_chunk *head, *tail;
    uint32_t n;
    bool live;     /* the merger reads it now: block instead of spilling */
    bool spilling; /* later chunks go to the spill file (keeps the order) */
    FILE *spill;
    uint64_t spill_w, spill_r;
} cc_chan;

static void chan_init(cc_chan *c)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
}


static void chan_destroy(cc_chan *c)
{
    while (c->head) {
        cc_chunk *k = c->head;
        c->head = k->next;
        cc_chunk_release(k);
    }
    if (c->spill)
        fclose(c->spill);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
}

/* Spilled chunks: the header, the bytes, the stats of the last. */
static bool spill_write(cc_chan *c, cc_chunk *k)
{
    if (!c->spill && !(c->spill = tmpfile()))
        return false;
    uint64_t h[3] = {k->watermark, k->last, k->data.n};
    if (fseeko(c->spill, (off_t)c->spill_w, SEEK_SET) || fwrite(h, sizeof h, 1, c->spill) != 1 ||
        (k->data.n && fwrite(k->data.p, k->data.n, 1, c->spill) != 1))
        return false;
    uint64_t w = c->spill_w + sizeof h + k->data.n;
    if (k->last) {
        uint8_t has = k->stats != NULL;
        if (fwrite(&has, 1, 1, c->spill) != 1)
            return false;
        w++;
        if (has) {
            /* the counters, then each protocol's violation counts */
            if (fwrite(k->stats, sizeof *k->stats, 1, c->spill) != 1)
                return false;
            w += sizeof *k->stats;
            for (int i = 0; cs_protocols[i] && i < CC_MAX_PROTOS; i++) {
                size_t n = cs_protocols[i]->n_violations * sizeof(cc_vstat);
                if (n && fwrite(k->stats->v[i], n, 1, c->spill) != 1)
                    return false;
                w += n;
            }
        }
    }
    if (fflush(c->spill))
        return false;
    c->spill_w = w;
    return true;
}

static cc_chunk *spill_read(cc_chan *c)
{
    uint64_t h[3];
    if (fseeko(c->spill, (off_t)c->spill_r, SEEK_SET) || fread(h, sizeof h, 1, c->spill) != 1)
        return NULL;
    cc_chunk *k = cc_chunk_new();
    k->watermark = h[0];
    k->last = h[1] != 0;
    sb_reserve(&k->data, h[2]);
    if (h[2] && fread(k->data.p, h[2], 1, c->spill) != 1) {
        cc_chunk_release(k);
        return NULL;
    }
    k->data.n = h[2];
    uint64_t r = c->spill_r + sizeof h + h[2];
    if (k->last) {
        uint8_t has = 0;
        if (fread(&has, 1, 1, c->spill) != 1) {
            cc_chunk_release(k);
            return NULL;
        }
        r++;
        if (has) {
            k->stats = calloc(1, sizeof *k->stats); /* released half read: v[] NULL */
            cc_stats tmp;
            if (!k->stats || fread(&tmp, sizeof tmp, 1, c->spill) != 1) {
                cc_chunk_release(k);
                return NULL;
            }
            cc_stats_init(k->stats);
            cc_vstat *keep[CC_MAX_PROTOS];
            memcpy(keep, k->stats->v, sizeof keep);
            *k->stats = tmp;
            memcpy(k->stats->v, keep, sizeof keep);
            r += sizeof tmp;
            for (int i = 0; cs_protocols[i] && i < CC_MAX_PROTOS; i++) {
                size_t n = cs_protocols[i]->n_violations * sizeof(cc_vstat);
                if (n && fread(k->stats->v[i], n, 1, c->spill) != 1) {
                    cc_chunk_release(k);
                    return NULL;
                }
                r += n;
            }
        }
    }
    c->spill_r = r;
    return k;
}

static void chan_push(cc_chan *c, cc_chunk *k)
{
    pthread_mutex_lock(&c->mu);
    for (;;) {
        if (c->spilling || (!c->live && c->n >= QUEUE_MAX)) {
            if (spill_write(c, k)) {
                c->spilling = true;
                cc_chunk_release(k);
                pthread_cond_broadcast(&c->cv);
                pthread_mutex_unlock(&c->mu);
                return;
            }
            /* no room for a spill file: wait for the merger instead */
            if (!c->spilling) {
                pthread_cond_wait(&c->cv, &c->mu);
                continue;
            }
            fputs("chargecap: cannot write a temporary file\n", stderr);
            abort();
        }
        if (c->n < QUEUE_MAX || !c->live)
            break;
        pthread_cond_wait(&c->cv, &c->mu);
    }
    FIFO_PUSH(c, k);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static cc_chunk *chan_pop(cc_chan *c)
{
    pthread_mutex_lock(&c->mu);
    c->live = true;
    for (;;) {
        if (c->head) {
            cc_chunk *k;
            FIFO_POP(c, k);
            pthread_cond_broadcast(&c->cv);
            pthread_mutex_unlock(&c->mu);
            return k;
        }
        if (c->spill_r < c->spill_w) {
            cc_chunk *k = spill_read(c);
            if (!k) {
                fputs("chargecap: cannot read a temporary file\n", stderr);
                abort();
            }
            if (c->spill_r == c->spill_w)
                c->spilling = false; /* caught up: back to memory */
            pthread_cond_broadcast(&c->cv);
            pthread_mutex_unlock(&c->mu);
            return k;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
        pthread_mutex_unlock(&c->mu);
        progress_draw(false);
        pthread_mutex_lock(&c->mu);
    }
}

/* ---- files and jobs ---------------------------------------------------------------------- */

/* ---- feeds: the leader's operations for one worker (a file split by flow) ---------- */

#define BATCH_TARGET (64u * 1024) /* bytes of operations handed over at once */
#define FEED_MAX 8                /* batches queued per worker */
#define ASSIGN_DEPTH 2            /* batches queued: a worker is busy (assign()) */

typedef struct cc_batch {
    struct cc_batch *next;
    uint64_t watermark; /* every operation for this worker up to this key is here */
    bool force;         /* the worker hands its records over now */
    bool last;          /* the leader has finished */
    sbuf data;          /* cc_op, its bytes, padding to 8 bytes; ... */
} cc_batch;

typedef struct cc_feed {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cc_batch *head, *tail;
    uint32_t n;
    _Atomic uint32_t depth; /* n, for the leader's choice of a worker */
    cc_batch *spare; /* batches the worker is done with, for the leader again */
    uint32_t n_spare;
} cc_feed;

typedef struct cc_file {
    cc_input *in;
    int index;
    int nshards;
    int dirfd;       /* --extract folder, -1 */
    cc_chan *chans;  /* one per shard (threaded runs) */
    cc_feed *feeds;  /* one per shard, when the file is split (shard 0: the leader's, unused) */
} cc_file;

typedef struct cc_job {
    cc_file *f;
    int shard;
} cc_job;

typedef struct runner {
    const cc_run_opts *o;
    cc_outputs *out;
    cc_file *files;
    int nfiles;
    cc_job *jobs;
    int njobs;
    _Atomic int next_job;
    /* fewer threads than -j asked for: a worker of a split file may wait
     * for a thread while its leader feeds it, so the leader must not wait */
    _Atomic bool feeds_unbounded;
    /* inline (-j 1): the consumer of the running job */
    cc_frep *inline_rep;
    cc_stats *inline_stats;
} runner;

struct leader;
typedef struct job_sink {
    runner *R;
    cc_job *j;
    struct leader *L; /* shard 0 of a split file: its leader */
} job_sink;

static void inline_chunk(void *ctx, cc_chunk *k)
{
    job_sink *s = ctx;
    cc_frep_chunk(s->R->inline_rep, k);
    if (k->stats) {
        s->R->inline_stats = k->stats;
        k->stats = NULL;
    }
    cc_chunk_release(k);
    progress_draw(false);
}

static void leader_unblock(struct leader *L);

static void chan_chunk(void *ctx, cc_chunk *k)
{
    job_sink *s = ctx;
    cc_chan *c = &s->j->f->chans[s->j->shard];
    if (s->L) {
        /* the leader's own records: when its channel is (nearly) full, the
         * push may wait for the merge, and the merge for a worker's
         * records - so the workers get what the leader has for them first */
        pthread_mutex_lock(&c->mu);
        bool may_wait = c->n + 1 >= QUEUE_MAX;
        pthread_mutex_unlock(&c->mu);
        if (may_wait)
            leader_unblock(s->L);
    }
    chan_push(c, k);
}

/* ---- reading a file: one shard of it, or the leader of a split file ------------------- */

/* --extract for shard `shard` of file f (NULL without it, or when it
 * cannot start: then shard 0 says why). */
static cc_extract *shard_extract(runner *R, cc_file *f, int shard, cc_stats *st)
{
    const cc_config *cfg = R->o->cfg;
    if (f->dirfd < 0)
        return NULL;
    char err[320] = "";
    uint32_t budget = cfg->fd_budget / (uint32_t)f->nshards;
    cc_extract *x = cc_extract_new(f->dirfd, shard, budget ? budget : 1,
                                   cfg->extract_mem / (uint64_t)f->nshards, cfg->payload, err,
                                   sizeof err);
    if (!x && shard == 0)
        snprintf(st->warning, sizeof st->warning, "--extract: %.*s",
                 (int)(sizeof st->warning - sizeof "--extract: "), err);
    return x;
}

/* Every record of r through sh, the whole file's facts into st; tick(ctx,
 * big) every 256 records (big: every FLUSH_EVERY, after the progress).
 * Ends the flows at the end, unless interrupted. */
static void read_all(cc_reader *r, cc_shard *sh, cc_stats *st, void (*tick)(void *, bool),
                     void *ctx)
{
    snprintf(st->format, sizeof st->format, "%s", cc_reader_format(r));
    cc_rec rec;
    cc_read_status rs;
    uint64_t n = 0, last_off = 0;
    bool first = true;
    while ((rs = cc_reader_next(r, &rec)) == CC_READ_OK) {
        if (first) {
            st->first_ts = rec.ts_ns;
            first = false;
        }
        st->last_ts = rec.ts_ns;
        st->frames = rec.frame;
        int k = 0;
        while (k < 8 && st->lt_count[k] && st->lt_val[k] != rec.linktype)
            k++;
        if (k < 8) {
            st->lt_val[k] = rec.linktype;
            st->lt_count[k]++;
        }
        cc_shard_packet(sh, &rec);
        if ((++n & 255) == 0) {
            bool big = n % FLUSH_EVERY == 0;
            if (big) {
                uint64_t off = cc_reader_offset(r);
                atomic_fetch_add(&prog.bytes, off - last_off);
                atomic_fetch_add(&prog.packets, FLUSH_EVERY);
                last_off = off;
            }
            tick(ctx, big);
            if (big && cc_stop)
                break;
        }
    }
    uint64_t off = cc_reader_offset(r);
    atomic_fetch_add(&prog.bytes, off - last_off);
    atomic_fetch_add(&prog.packets, n % FLUSH_EVERY);
    st->bytes_read = off;
    if (cc_reader_warning(r))
        snprintf(st->warning, sizeof st->warning, "%s", cc_reader_warning(r));
    if (rs == CC_READ_DAMAGED && !cc_stop)
        snprintf(st->damaged, sizeof st->damaged, "%s", cc_reader_error(r));
    if (!cc_stop)
        cc_shard_finish(sh);
    cc_shard_counts(sh, st->skipped, &st->frag_dropped, &st->tcp_packets, &st->udp_packets);
}

/* The end of a shard: its --extract, then its counters with the last chunk. */
static void shard_end(cc_emit *e, cc_stats *st, cc_extract *x, uint64_t ev)
{
    if (x) {
        const char *xe = cc_extract_error(x);
        if (xe)
            snprintf(st->extract_error, sizeof st->extract_error, "%s", xe);
        cc_extract_free(x);
    }
    cc_stats *copy = malloc(sizeof *copy);
    if (!copy) {
        fputs("chargecap: out of memory\n", stderr);
        abort();
    }
    *copy = *st;
    memset(st->v, 0, sizeof st->v); /* the copy owns the arrays now */
    cc_emit_flush(e, ev, true, true, copy);
    cc_emit_free(e);
}

static void oom(void)
{
    fputs("chargecap: out of memory\n", stderr);
    abort();
}

/* ---- a file split by flow: the leader and its workers (session.h) ------------------- */

typedef struct leader {
    runner *R;
    cc_file *f;
    cc_shard *sh;
    cc_emit *e;     /* the leader's own sessions' records */
    cc_batch **cur; /* the batch being filled, per worker */
    int next_w;     /* where assign() starts looking */
} leader;

static cc_batch *batch_new(void)
{
    cc_batch *b = calloc(1, sizeof *b);
    if (!b) {
        fputs("chargecap: out of memory\n", stderr);
        abort();
    }
    sb_reserve(&b->data, BATCH_TARGET + 4096);
    return b;
}

static void batch_free(cc_batch *b)
{
    if (!b)
        return;
    sb_free(&b->data);
    free(b);
}

static void feed_send(leader *L, int w, bool force, bool last);

/* An empty batch for worker w: one it is done with, else a new one. */
static cc_batch *batch_get(leader *L, int w)
{
    cc_feed *q = &L->f->feeds[w];
    pthread_mutex_lock(&q->mu);
    cc_batch *b = q->spare;
    if (b) {
        q->spare = b->next;
        q->n_spare--;
    }
    pthread_mutex_unlock(&q->mu);
    if (!b)
        return batch_new();
    b->data.n = 0;
    return b;
}

/* Worker side: a batch done with goes back to the leader (a few are kept). */
static void batch_put(cc_feed *q, cc_batch *b)
{
    pthread_mutex_lock(&q->mu);
    if (q->n_spare < FEED_MAX && b->data.cap <= 4 * BATCH_TARGET) {
        b->next = q->spare;
        q->spare = b;
        q->n_spare++;
        b = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    batch_free(b);
}

static void feed_push(leader *L, int w, cc_batch *b, bool bounded)
{
    cc_feed *q = &L->f->feeds[w];
    pthread_mutex_lock(&q->mu);
    FIFO_PUSH(q, b);
    atomic_store_explicit(&q->depth, q->n, memory_order_relaxed);
    pthread_cond_broadcast(&q->cv);
    bool behind = bounded && q->n > FEED_MAX && !atomic_load(&L->R->feeds_unbounded);
    pthread_mutex_unlock(&q->mu);
    if (!behind)
        return;
    /* This worker is behind: the leader waits for it.  Before, the merge
     * may be waiting for another shard's records, so every other worker gets
     * what it has now, and the leader's own records go out.  That may wait
     * for the merge itself, which is why b went in first: no worker is
     * short of an operation while the leader waits. */
    for (int k = 1; k < L->f->nshards; k++)
        if (k != w)
            feed_send(L, k, true, false);
    cc_emit_flush(L->e, cc_shard_ev(L->sh), true, false, NULL);
    pthread_mutex_lock(&q->mu);
    while (q->n > FEED_MAX && !atomic_load(&L->R->feeds_unbounded))
        pthread_cond_wait(&q->cv, &q->mu);
    pthread_mutex_unlock(&q->mu);
}

static cc_batch *feed_pop(cc_feed *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head)
        pthread_cond_wait(&q->cv, &q->mu);
    cc_batch *b;
    FIFO_POP(q, b);
    atomic_store_explicit(&q->depth, q->n, memory_order_relaxed);
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return b;
}

/* Hand worker w its batch (an empty one too: the watermark moves on). */
static void feed_send(leader *L, int w, bool force, bool last)
{
    cc_batch *b = L->cur[w] ? L->cur[w] : batch_get(L, w);
    L->cur[w] = NULL;
    b->watermark = L->sh ? cc_shard_ev(L->sh) : 0;
    b->force = force;
    b->last = last;
    feed_push(L, w, b, !force && !last);
}

/* Who follows a new session: the worker with the fewest batches waiting
 * (in turn among equals), unless every worker has ASSIGN_DEPTH or more
 * waiting: then the leader itself.  The leader's own work (reading, the
 * headers, the flow table) is always there, so it takes sessions only
 * when the workers are behind, and the load evens out whatever the mix of
 * header and protocol work in the capture.  The output does not depend on
 * who follows a session: every session is followed on its own, and the
 * merge orders the records by key. */
static int assign(void *ctx)
{
    leader *L = ctx;
    int n = L->f->nshards - 1, best = 0;
    if (assign_mode == ASSIGN_LEADER)
        return 0;
    if (assign_mode == ASSIGN_TURNS) /* 0, 1, .. n in turn */
        return L->next_w = (L->next_w + 1) % (n + 1);
    uint32_t best_d = ASSIGN_DEPTH;
    for (int i = 0; i < n; i++) {
        int w = 1 + (L->next_w + i) % n;
        uint32_t d = atomic_load_explicit(&L->f->feeds[w].depth, memory_order_relaxed);
        if (d < best_d) {
            best = w;
            best_d = d;
        }
    }
    if (best)
        L->next_w = best % n;
    else if (assign_mode == ASSIGN_WORKERS)
        best = 1 + (L->next_w++ % n);
    return best;
}

static void route(void *ctx, int w, const cc_op *op, const uint8_t *data, const uint8_t *dgram,
                  const sbuf *raw)
{
    leader *L = ctx;
    if (!L->cur[w])
        L->cur[w] = batch_get(L, w);
    sbuf *b = &L->cur[w]->data;
    bool pkt = op->kind == CC_OP_PACKET;
    size_t body = pkt ? (size_t)op->caplen + op->dlen + op->rawlen : 0;
    size_t n = (sizeof *op + body + 7) & ~(size_t)7;
    if (b->n + n > b->cap)
        sb_reserve(b, n);
    uint8_t *d = b->p + b->n;
    memcpy(d, op, sizeof *op);
    d += sizeof *op;
    if (pkt) {
        memcpy(d, data, op->caplen);
        d += op->caplen;
        if (op->dlen) {
            memcpy(d, dgram, op->dlen);
            d += op->dlen;
        }
        if (op->rawlen) {
            memcpy(d, raw->p, op->rawlen);
            d += op->rawlen;
        }
    }
    memset(d, 0, (size_t)(b->p + b->n + n - d));
    b->n += n;
    if (b->n >= BATCH_TARGET)
        feed_send(L, w, false, false);
}

/* Every worker gets its batch now (without waiting for room). */
static void leader_unblock(leader *L)
{
    for (int w = 1; w < L->f->nshards; w++)
        feed_send(L, w, true, false);
}

static void leader_tick(void *ctx, bool big)
{
    leader *L = ctx;
    if (big) /* the watermarks move on, for the merge */
        leader_unblock(L);
    /* the own records: when big enough; every FLUSH_EVERY records in any case */
    cc_emit_flush(L->e, cc_shard_ev(L->sh), big, false, NULL);
}

/* Shard 0 of file f, which reads it: all of it when the file is not split;
 * else the leader, which follows the flows and the sessions it keeps, and
 * feeds the workers the others. */
static void run_job(runner *R, cc_job *j, cc_chunk_fn fn)
{
    const cc_config *cfg = R->o->cfg;
    cc_file *f = j->f;
    job_sink sink = {R, j, NULL};
    cc_emit *e = cc_emit_new(cfg, f->in->path, fn, &sink);
    if (!e)
        oom();
    leader L = {.R = R, .f = f, .e = e};
    bool split = f->nshards > 1;
    if (split) {
        sink.L = &L;
        if (!(L.cur = calloc((size_t)f->nshards, sizeof *L.cur)))
            oom();
    }
    cc_stats *st = cc_emit_stats(e);
    char err[320] = "";
    cc_reader *r = cc_reader_open(f->in->path, err, sizeof err);
    uint64_t ev = 0;
    cc_extract *x = NULL;
    if (!r) {
        snprintf(st->open_error, sizeof st->open_error, "%s", err);
    } else {
        x = shard_extract(R, f, 0, st);
        L.sh = split ? cc_shard_leader(cfg, e, x, f->nshards, f->dirfd >= 0, route, assign, &L)
                     : cc_shard_new(cfg, e, x, 0, 1);
        if (!L.sh)
            oom();
        read_all(r, L.sh, st, leader_tick, &L);
        cc_reader_close(r);
        ev = cc_shard_ev(L.sh);
    }
    for (int w = 1; w < f->nshards; w++)
        feed_send(&L, w, true, true);
    sink.L = NULL; /* the workers have everything */
    cc_shard_free(L.sh);
    free(L.cur);
    shard_end(e, st, x, ev);
}

/* Worker `j->shard` (1 and up) of a split file: the sessions the leader
 * hands it. */
static void run_worker(runner *R, cc_job *j, cc_chunk_fn fn)
{
    const cc_config *cfg = R->o->cfg;
    cc_file *f = j->f;
    job_sink sink = {R, j, NULL};
    cc_emit *e = cc_emit_new(cfg, f->in->path, fn, &sink);
    if (!e)
        oom();
    cc_stats *st = cc_emit_stats(e);
    cc_extract *x = shard_extract(R, f, j->shard, st);
    cc_shard *sh = cc_shard_new(cfg, e, x, j->shard, f->nshards);
    if (!sh)
        oom();
    for (;;) {
        cc_batch *b = feed_pop(&f->feeds[j->shard]);
        for (size_t at = 0; at + sizeof(cc_op) <= b->data.n;) {
            /* in place: the buffer is malloc'ed, every operation 8-aligned */
            const cc_op *op = (const cc_op *)(const void *)(b->data.p + at);
            cc_shard_op(sh, op, b->data.p + at + sizeof *op);
            at += sizeof *op;
            if (op->kind == CC_OP_PACKET)
                at += (size_t)op->caplen + op->dlen + op->rawlen;
            at = (at + 7) & ~(size_t)7;
        }
        cc_shard_set_ev(sh, b->watermark);
        bool last = b->last;
        if (!last)
            cc_emit_flush(e, b->watermark, b->force, false, NULL);
        batch_put(&f->feeds[j->shard], b);
        if (last)
            break;
    }
    uint64_t ev = cc_shard_ev(sh);
    cc_shard_free(sh);
    shard_end(e, st, x, ev);
}

static void *worker(void *arg)
{
    runner *R = arg;
    for (;;) {
        int i = atomic_fetch_add(&R->next_job, 1);
        if (i >= R->njobs)
            return NULL;
        if (R->jobs[i].shard)
            run_worker(R, &R->jobs[i], chan_chunk);
        else
            run_job(R, &R->jobs[i], chan_chunk);
    }
}

/* ---- the merge ---------------------------------------------------------------------------- */

typedef struct cursor {
    cc_chunk *k;
    size_t at;
    bool done;
} cursor;

static bool has_rec(const cursor *c) { return c->k && c->at + 13 <= c->k->data.n; }
static uint64_t rec_key(const cursor *c)
{
    uint64_t key;
    memcpy(&key, c->k->data.p + c->at, 8);
    return key;
}

/* Merge the shards of file f by key into its report; the merged counters
 * into *st. */
static void merge_file(cc_file *f, cc_frep *rep, cc_stats *st)
{
    int n = f->nshards;
    cursor *cur = calloc((size_t)n, sizeof *cur);
    if (!cur)
        abort();
    for (;;) {
        int best = -1, need = -1;
        uint64_t best_key = 0, bound = UINT64_MAX;
        for (int i = 0; i < n; i++) {
            cursor *c = &cur[i];
            if (c->done)
                continue;
            if (has_rec(c)) {
                uint64_t k = rec_key(c);
                if (best < 0 || k < best_key) {
                    best = i;
                    best_key = k;
                }
            } else {
                uint64_t w = c->k ? c->k->watermark : 0;
                if (need < 0 || w < bound) {
                    need = i;
                    bound = w;
                }
            }
        }
        if (best < 0 && need < 0)
            break;
        if (best >= 0 && (need < 0 || best_key <= bound)) {
            cursor *c = &cur[best];
            uint32_t len;
            memcpy(&len, c->k->data.p + c->at + 9, 4);
            cc_frep_record(rep, c->k->data.p[c->at + 8], c->k->data.p + c->at + 13, len);
            c->at += 13 + (size_t)len;
            continue;
        }
        /* a producer must say more before anything can go out */
        cursor *c = &cur[need];
        if (c->k && c->k->last) {
            if (c->k->stats)
                cc_stats_merge(st, c->k->stats);
            cc_chunk_release(c->k);
            c->k = NULL;
            c->done = true;
            continue;
        }
        cc_chunk *k = chan_pop(&f->chans[need]);
        if (c->k)
            cc_chunk_release(c->k);
        c->k = k;
        c->at = 0;
    }
    free(cur);
}

/* ---- the run -------------------------------------------------------------------------------- */

static int file_status(const cc_stats *st, cc_outputs *out)
{
    (void)out;
    if (st->open_error[0] || st->damaged[0])
        return CC_EXIT_DAMAGED;
    return CC_EXIT_CLEAN;
}

static void report_problems(const cc_input *in, const cc_stats *st)
{
    if (st->open_error[0])
        fprintf(stderr, "chargecap: %s: %s\n", in->path, st->open_error);
    if (st->damaged[0])
        fprintf(stderr, "chargecap: %s: damaged: %s (everything before it is reported)\n",
                in->path, st->damaged);
    if (st->warning[0])
        fprintf(stderr, "chargecap: %s: %s\n", in->path, st->warning);
    if (st->extract_error[0])
        fprintf(stderr, "chargecap: %s: --extract: %s\n", in->path, st->extract_error);
}

static bool plain_capture(const char *path, uint64_t *size)
{
    struct stat sb;
    *size = 0;
    if (!strcmp(path, "-") || stat(path, &sb) || !S_ISREG(sb.st_mode))
        return false;
    *size = (uint64_t)sb.st_size;
    return cc_sniff_capture(path) == 2;
}

int cc_run(const cc_run_opts *o, cc_input *in, int n, cc_outputs *out)
{
    const cc_config *cfg = o->cfg;
    runner R = {.o = o, .out = out, .nfiles = n};
    R.files = calloc((size_t)n, sizeof *R.files);
    if (!R.files)
        abort();
    int status = CC_EXIT_CLEAN, worst = 0;
    bool output_failed = false;
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        cc_file *f = &R.files[i];
        f->in = &in[i];
        f->index = i;
        f->dirfd = -1;
        uint64_t size;
        bool plain = plain_capture(in[i].path, &size);
        total += size;
        f->nshards = (o->jobs > 1 && plain && size >= o->shard_min) ? o->jobs : 1;
        R.njobs += f->nshards;
    }
    const char *qm = getenv("CHARGECAP_QUEUE_MAX");
    if (qm && atoi(qm) > 0)
        queue_max = (uint32_t)atoi(qm);
    const char *am = getenv("CHARGECAP_ASSIGN");
    assign_mode = !am                       ? ASSIGN_BALANCE
                  : !strcmp(am, "leader")  ? ASSIGN_LEADER
                  : !strcmp(am, "workers") ? ASSIGN_WORKERS
                  : !strcmp(am, "turns")   ? ASSIGN_TURNS
                                           : ASSIGN_BALANCE;
    prog.on = o->progress;
    prog.total = total;
    prog.start = prog.last = now_s();

    R.jobs = calloc((size_t)R.njobs, sizeof *R.jobs);
    if (!R.jobs)
        abort();
    for (int i = 0, k = 0; i < n; i++)
        for (int s = 0; s < R.files[i].nshards; s++) {
            R.jobs[k].f = &R.files[i];
            R.jobs[k].shard = s;
            k++;
        }
    /* extraction folders, made before any job runs */
    for (int i = 0; i < n && cfg->extract_dir; i++) {
        char err[320];
        R.files[i].dirfd = cc_extract_open_dir(cfg->extract_dir, in[i].stem, err, sizeof err);
        if (R.files[i].dirfd < 0) {
            fprintf(stderr, "chargecap: --extract: %s\n", err);
            output_failed = true;
        }
    }

    cc_totals totals = {0};
    bool threaded = o->jobs > 1;
    pthread_t *th = NULL;
    int nth = 0;
    if (threaded) {
        for (int i = 0; i < n; i++) {
            R.files[i].chans = calloc((size_t)R.files[i].nshards, sizeof(cc_chan));
            if (!R.files[i].chans)
                abort();
            for (int s = 0; s < R.files[i].nshards; s++)
                chan_init(&R.files[i].chans[s]);
            if (R.files[i].nshards > 1) {
                R.files[i].feeds = calloc((size_t)R.files[i].nshards, sizeof(cc_feed));
                if (!R.files[i].feeds)
                    abort();
                for (int s = 0; s < R.files[i].nshards; s++) {
                    pthread_mutex_init(&R.files[i].feeds[s].mu, NULL);
                    pthread_cond_init(&R.files[i].feeds[s].cv, NULL);
                }
            }
        }
        nth = o->jobs < R.njobs ? o->jobs : R.njobs;
        th = calloc((size_t)nth, sizeof *th);
        for (int t = 0; t < nth; t++)
            if (pthread_create(&th[t], NULL, worker, &R)) {
                nth = t;
                /* a leader already running must not wait for a worker that
                 * may have no thread until the others finish */
                atomic_store(&R.feeds_unbounded, true);
                for (int i = 0; i < n; i++)
                    for (int s = 0; R.files[i].feeds && s < R.files[i].nshards; s++) {
                        pthread_mutex_lock(&R.files[i].feeds[s].mu);
                        pthread_cond_broadcast(&R.files[i].feeds[s].cv);
                        pthread_mutex_unlock(&R.files[i].feeds[s].mu);
                    }
                break;
            }
        if (!nth) {
            /* no thread could start: do the work here */
            threaded = false;
        }
    }
    for (int i = 0; i < n; i++) {
        cc_file *f = &R.files[i];
        cc_frep *rep = cc_frep_new(cfg, out, f->in->path);
        cc_stats st;
        cc_stats_init(&st);
        if (threaded) {
            merge_file(f, rep, &st);
        } else {
            R.inline_rep = rep;
            R.inline_stats = NULL;
            cc_job j = {.f = f, .shard = 0};
            if (f->nshards > 1) {
                /* threads were asked for but none started: shards in turn
                 * would reorder the output, so read the file once */
                f->nshards = 1;
            }
            run_job(&R, &j, inline_chunk);
            if (R.inline_stats) {
                cc_stats_merge(&st, R.inline_stats);
                cc_stats_free(R.inline_stats);
                free(R.inline_stats);
            }
        }
        progress_draw(true);
        report_problems(f->in, &st);
        if (!cc_stop)
            cc_frep_finish(rep, &st);
        cc_frep_free(rep);
        cc_totals_add(&totals, &st);
        int fs = file_status(&st, out);
        if (fs > status)
            status = fs;
        if (st.worst > worst)
            worst = st.worst;
        if (st.extract_error[0])
            output_failed = true;
        cc_stats_free(&st);
        if (out->text)
            fflush(out->text);
        if (out->json)
            fflush(out->json);
    }
    for (int t = 0; t < nth; t++)
        pthread_join(th[t], NULL);
    free(th);
    if (!cc_stop)
        cc_totals_print(&totals, out);
    for (int i = 0; i < n; i++) {
        if (R.files[i].chans) {
            for (int s = 0; s < R.files[i].nshards; s++)
                chan_destroy(&R.files[i].chans[s]);
            free(R.files[i].chans);
        }
        if (R.files[i].feeds) {
            for (int s = 0; s < R.files[i].nshards; s++) {
                cc_feed *q = &R.files[i].feeds[s];
                while (q->head) {
                    cc_batch *b = q->head;
                    q->head = b->next;
                    batch_free(b);
                }
                while (q->spare) {
                    cc_batch *b = q->spare;
                    q->spare = b->next;
                    batch_free(b);
                }
                pthread_mutex_destroy(&q->mu);
                pthread_cond_destroy(&q->cv);
            }
            free(R.files[i].feeds);
        }
        if (R.files[i].dirfd >= 0)
            close(R.files[i].dirfd);
    }
    free(R.jobs);
    free(R.files);
    progress_draw(true);

    if (out->json && fflush(out->json))
        out->failed = true;
    if (out->text && fflush(out->text))
        out->failed = true;
    if (cc_stop)
        return CC_EXIT_INTERRUPTED;
    if (out->failed || output_failed) {
        if (out->failed)
            fprintf(stderr, "chargecap: writing the output failed: %s\n", strerror(errno));
        return status == CC_EXIT_DAMAGED ? CC_EXIT_DAMAGED : CC_EXIT_OUTPUT;
    }
    if (status == CC_EXIT_CLEAN && worst && worst >= o->fail_on)
        status = CC_EXIT_VIOLATIONS;
    return status;
}
