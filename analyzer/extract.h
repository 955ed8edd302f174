/*
 * extract.h - --extract DIR: one pcap per session.
 *
 * Each input file gets a folder DIR/<file stem>/.  A session is written to
 * a hidden part file in DIR/<file stem>/.partial-<pid>-<shard>/ and renamed
 * to <session>_<proto>_<client ip>-<port>_<server ip>-<port>.pcap when it
 * ends, so a session's file is complete or absent.  Names are made of
 * numbers, addresses and protocol names only, of safe characters; files are
 * opened relative to the folder's descriptor with O_NOFOLLOW, never through
 * a path taken from the capture.  Writes are buffered per session within a
 * memory budget, and open descriptors are kept under a budget (least
 * recently used closed first).
 */
#ifndef CHARGECAP_EXTRACT_H
#define CHARGECAP_EXTRACT_H

#include "packet.h"
#include "reader.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct cc_extract cc_extract;
typedef struct cc_xsess cc_xsess;

/* Extraction into the folder `dirfd` (from cc_extract_open_dir) for one
 * shard of one file.  NULL with a message on failure. */
cc_extract *cc_extract_new(int dirfd, int shard, uint32_t fd_budget, uint64_t mem_budget,
                           bool payload, char *err, size_t errlen);
/* Remove the part files of sessions that never ended (interrupted run). */
void cc_extract_free(cc_extract *x);
/* The first error (a write failed), or NULL. */
const char *cc_extract_error(const cc_extract *x);

cc_xsess *cc_x_session(cc_extract *x, uint64_t id);
/* A packet of the session: its record, and where its IP header starts
 * (to re-encapsulate packets of another link type than the first). */
void cc_x_packet(cc_extract *x, cc_xsess *s, const cc_rec *rec, uint32_t ip_off, uint8_t ip_version);
/* In-order stream bytes of one side (--payload). */
void cc_x_payload(cc_extract *x, cc_xsess *s, int side, const uint8_t *d, uint32_t n);
/* The session ended: write what is buffered and give the file its name. */
void cc_x_end(cc_extract *x, cc_xsess *s, const char *proto, uint8_t l4, const cc_addr addr[2],
              const uint16_t port[2]);

/* The folder name for an input file: its name without folders and
 * capture extensions, in safe characters ("stdin" for "-"). */
void cc_extract_stem(const char *file, char *out, size_t outlen);
/* Create (if needed) and open DIR and DIR/stem; the descriptor of
 * DIR/stem, or -1 with a message. */
int cc_extract_open_dir(const char *dir, const char *stem, char *err, size_t errlen);

#endif
