/*
 * memlat - how long one load waits for memory, by the size of what is
 * being read: a chain of pointers through the cache lines of a block, in
 * random order, so every load depends on the one before and the hardware
 * cannot guess the next line.  It shows how much state a program can keep
 * close to the core on this machine: the capacity that a cloud VM's caches
 * really offer can be far below what the CPU model reports.
 *
 *   memlat [KIB...]   ->  one line "<KiB> <ns per load>" per size
 *
 * The sizes default to 256 KiB up to 64 MiB.  Each is timed three times
 * and the median counts: on a shared machine the neighbours' use of the
 * caches is part of what a program meets.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LINE 64
#define LOADS 4000000L

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* ns per load over a block of kib KiB; < 0 when out of memory */
static double latency(size_t kib)
{
    size_t n = kib * 1024 / LINE; /* 16 or more */
    void **a = aligned_alloc(LINE, n * LINE);
    size_t *order = malloc(n * sizeof *order);
    if (!a || !order) {
        free(a);
        free(order);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n - 1; i > 0; i--) { /* one cycle through every line */
        size_t j = (size_t)(next_rand() % (i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    const size_t step = LINE / sizeof(void *);
    for (size_t i = 0; i < n; i++)
        a[order[i] * step] = &a[order[(i + 1) % n] * step];
    free(order);
    double t[3];
    for (int run = 0; run < 3; run++) {
        void **p = a;
        for (size_t i = 0; i < n; i++) /* once round, so the block is in place */
            p = *p;
        double t0 = now_ns();
        for (long i = 0; i < LOADS; i++)
            p = *p;
        t[run] = (now_ns() - t0) / LOADS;
        __asm__ volatile("" ::"r"(p));
    }
    free(a);
    double lo = t[0] < t[1] ? t[0] : t[1], hi = t[0] < t[1] ? t[1] : t[0];
    return t[2] < lo ? lo : t[2] > hi ? hi : t[2];
}

int main(int argc, char **argv)
{
    static const size_t def[] = {256, 1024, 2048, 3072, 4096, 8192, 32768, 65536};
    int n = argc > 1 ? argc - 1 : (int)(sizeof def / sizeof def[0]);
    for (int i = 0; i < n; i++) {
        size_t kib;
        if (argc > 1) {
            char *end;
            unsigned long v = strtoul(argv[i + 1], &end, 10);
            if (*end || !v || v > (1ul << 22)) {
                fprintf(stderr, "memlat: not a size in KiB (1 to 4194304): %s\n", argv[i + 1]);
                return 2;
            }
            kib = v;
        } else {
            kib = def[i];
        }
        double ns = latency(kib);
        if (ns < 0) {
            fprintf(stderr, "memlat: out of memory for %zu KiB\n", kib);
            return 1;
        }
        printf("%zu %.1f\n", kib, ns);
    }
    return 0;
}
