/*
 * report.h - the output of one file, written in key order by the merger:
 * JSON lines and --messages text as they come, and at the end the human
 * report (80 columns) and the JSON summary record.
 */
#ifndef CHARGECAP_REPORT_H
#define CHARGECAP_REPORT_H

#include "emit.h"

#include <stdio.h>

typedef struct cc_outputs {
    FILE *json;   /* NULL: no --json */
    FILE *text;   /* --messages text and the report; NULL: none */
    bool report;  /* print the human report */
    bool failed;  /* a write failed */
} cc_outputs;

typedef struct cc_frep cc_frep;

cc_frep *cc_frep_new(const cc_config *cfg, cc_outputs *out, const char *file);
/* One record of a chunk, in key order. */
void cc_frep_record(cc_frep *r, uint8_t type, const uint8_t *p, uint32_t len);
/* Every record of a chunk (one producer: no merging needed). */
void cc_frep_chunk(cc_frep *r, const cc_chunk *c);
/* The end of the file: the report and the summary record. */
void cc_frep_finish(cc_frep *r, const cc_stats *st);
void cc_frep_free(cc_frep *r);

/* Run totals, for the last line of the report. */
typedef struct cc_totals {
    uint64_t files, frames, sessions, messages, violations, damaged;
} cc_totals;
void cc_totals_add(cc_totals *t, const cc_stats *st);
void cc_totals_print(const cc_totals *t, cc_outputs *out);

#endif
