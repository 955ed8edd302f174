/*
 * reader.h - capture files, record by record.
 *
 * pcap (microsecond and nanosecond, either byte order), pcapng (every
 * section, every interface with its own link type and time resolution),
 * either of them gzip-compressed (detected by magic, not by name), from a
 * file or standard input.  Formats only libpcap knows (the modified pcap
 * variants) are read through libpcap.
 *
 * The reader never trusts a length: a record that is cut short, a block
 * whose lengths disagree or a capture length beyond every sane bound ends
 * the file with an error, after everything before it was delivered.
 */
#ifndef CHARGECAP_READER_H
#define CHARGECAP_READER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A capture length above this is damage, whatever the header says. */
#define CC_MAX_CAPLEN (16u * 1024 * 1024)
/* The usual bound (Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD). */
#define CC_STD_CAPLEN 262144u

typedef struct cc_rec {
    uint64_t frame;        /* 1-based, as Wireshark numbers it */
    int64_t ts_ns;         /* ns since 1970 UTC */
    uint32_t caplen, len;  /* captured / original length */
    int linktype;          /* LINKTYPE_* of the record's interface */
    const uint8_t *data;   /* valid until the next cc_reader_next() */
} cc_rec;

typedef struct cc_reader cc_reader;

typedef enum cc_read_status {
    CC_READ_OK = 1,
    CC_READ_EOF = 0,
    CC_READ_DAMAGED = -1 /* cc_reader_error() says why */
} cc_read_status;

/* Open `path` ("-" for standard input).  NULL with a message in err when
 * the file cannot be opened or is not a capture. */
cc_reader *cc_reader_open(const char *path, char *err, size_t errlen);
cc_read_status cc_reader_next(cc_reader *r, cc_rec *rec);
const char *cc_reader_error(const cc_reader *r);
/* Warnings that did not stop the reading (e.g. capture length above the
 * snapshot length), or NULL. */
const char *cc_reader_warning(const cc_reader *r);
void cc_reader_close(cc_reader *r);

/* Bytes read from the underlying file so far (compressed bytes for gzip),
 * and its size when known (0 otherwise): for the progress bar. */
uint64_t cc_reader_offset(const cc_reader *r);
uint64_t cc_reader_size(const cc_reader *r);
/* "pcap", "pcap-ns", "pcapng", with "+gzip" when compressed. */
const char *cc_reader_format(const cc_reader *r);
/* True when several readers may read the file at once (a regular,
 * uncompressed file): the file can be sharded by flow. */
bool cc_reader_shardable(const cc_reader *r);

/* A flag that interrupts a blocked read when set (by a signal handler). */
void cc_reader_stop_flag(volatile sig_atomic_t *flag);

/* What the first bytes of a file are: 2 plain pcap or pcapng, 1 another
 * capture (gzip, modified pcap), 0 something else, -1 unreadable. */
int cc_sniff_capture(const char *path);

#endif
