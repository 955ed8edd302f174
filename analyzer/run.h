/*
 * run.h - running the analysis over the input files: jobs (one shard of
 * one file each), worker threads for -j, the merge of the shards' output
 * in key order, spilling to a temporary file the output of files that
 * finish before their turn, and the progress bar.
 */
#ifndef CHARGECAP_RUN_H
#define CHARGECAP_RUN_H

#include "report.h"
#include "session.h"

#include <signal.h>

typedef struct cc_input {
    char *path;
    char stem[128]; /* --extract folder name */
} cc_input;

typedef struct cc_run_opts {
    const cc_config *cfg;
    int jobs;
    uint64_t shard_min; /* files at least this big are sharded by flow */
    bool progress;
    int fail_on;        /* cs_severity */
} cc_run_opts;

/* Exit statuses (docs/chargecap.md). */
enum {
    CC_EXIT_CLEAN = 0,
    CC_EXIT_VIOLATIONS = 1,
    CC_EXIT_USAGE = 2,
    CC_EXIT_DAMAGED = 3,
    CC_EXIT_OUTPUT = 4,
    CC_EXIT_INTERRUPTED = 130
};

extern volatile sig_atomic_t cc_stop;

int cc_run(const cc_run_opts *o, cc_input *in, int n, cc_outputs *out);

#endif
