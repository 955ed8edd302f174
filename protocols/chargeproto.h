/*
 * chargeproto.h - the shared protocol library of chargeshark.
 *
 * One definition per protocol: framing, field layouts, value names,
 * checksum algorithms and the rules that make a violation.  The Wireshark
 * plugin and the chargecap analyzer both decode through this interface; it
 * has no dependency on Wireshark, glib or libpcap.
 *
 * A protocol is a `cs_proto` descriptor (see the bottom of this file):
 *   - static tables: fields (cs_field_def), violations (cs_violation_def),
 *     options (cs_option_def);
 *   - functions: frame() splits a byte stream, probe() is the strict
 *     heuristic, decode() turns one PDU into items and violations, and the
 *     session functions carry state (request/response pairing, login,
 *     heartbeat timing) from one PDU to the next.
 *
 * decode() writes into a caller-owned cs_out: a flat list of items (field,
 * offset, length, value, tree depth) and violations (code, offset, length,
 * message).  The plugin turns items into a proto_tree and violations into
 * expert items; the analyzer turns them into records.  Both see the same
 * list, so they cannot disagree about a frame.
 */
#ifndef CHARGEPROTO_H
#define CHARGEPROTO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* The library version, compiled in (set by CMake). */
const char *cs_version(void);

/* ------------------------------------------------------------------ */
/* Value names                                                         */

/* Same layout as Wireshark's value_string; terminated by {0, NULL}. */
typedef struct cs_vs {
    uint32_t value;
    const char *name;
} cs_vs;

/* The name of `v`, or NULL when the table does not list it. */
const char *cs_vs_find(const cs_vs *vs, uint32_t v);
/* The name of `v`, or `fallback`. */
const char *cs_vs_name(const cs_vs *vs, uint32_t v, const char *fallback);

/* ------------------------------------------------------------------ */
/* Directions and checksum verdicts                                    */

typedef enum cs_dir {
    CS_DIR_UNKNOWN = 0,
    CS_DIR_TO_SERVER = 1, /* device (cabinet, pile, gateway) -> server */
    CS_DIR_TO_DEVICE = 2, /* server -> device */
    CS_DIR_PEER = 3       /* device <-> device (AI-Cloud P2P) */
} cs_dir;

extern const cs_vs cs_dir_vals[];
/* "to_server", "to_device", "peer" or "unknown" (the JSON spelling). */
const char *cs_dir_key(cs_dir d);

/* Numbered as Wireshark's PROTO_CHECKSUM_E_*, so a status field filters
 * the same way: 0 bad, 1 good, 2 unverified, 3 absent. */
typedef enum cs_cksum {
    CS_CK_BAD = 0,
    CS_CK_GOOD = 1,
    CS_CK_UNVERIFIED = 2,
    CS_CK_ABSENT = 3,
    CS_CK_NONE = 0xFF /* the PDU carries no checksum verdict (garbage) */
} cs_cksum;

extern const cs_vs cs_cksum_vals[];
/* "good", "bad", "unverified" or "absent" (the JSON spelling). */
const char *cs_cksum_key(cs_cksum c);

/* ------------------------------------------------------------------ */
/* Field definitions                                                   */

typedef enum cs_ftype {
    CS_FT_NONE = 0, /* a label that heads a subtree; no value */
    CS_FT_BOOL,
    CS_FT_U8,
    CS_FT_U16,
    CS_FT_U24,
    CS_FT_U32,
    CS_FT_U64,
    CS_FT_I32,
    CS_FT_DOUBLE,
    CS_FT_STRING,   /* text produced by the decoder */
    CS_FT_BYTES,    /* the bytes at offset/length */
    CS_FT_IPV4,     /* v.u: address, host byte order */
    CS_FT_ABSTIME,  /* v.i: seconds since 1970 UTC; aux: nanoseconds */
    CS_FT_RELTIME,  /* v.i: nanoseconds */
    CS_FT_FRAMENUM  /* v.u: a frame number (request_in, response_in) */
} cs_ftype;

typedef enum cs_base {
    CS_BASE_NONE = 0,
    CS_BASE_DEC,
    CS_BASE_HEX,
    CS_BASE_DEC_HEX,
    CS_BASE_HEX_DEC
} cs_base;

enum cs_field_flags {
    CS_FF_SUBTREE = 1u << 0,     /* items of this field may have children */
    CS_FF_INFERRED = 1u << 1,    /* the meaning is a hypothesis */
    CS_FF_CHECKSUM = 1u << 2,    /* a checksum; `link` is its status field */
    CS_FF_GENERATED = 1u << 3,   /* always computed, never on the wire */
    CS_FF_FN_REQUEST = 1u << 4,  /* FRAMENUM pointing at a request */
    CS_FF_FN_RESPONSE = 1u << 5, /* FRAMENUM pointing at a response */
    CS_FF_GARBAGE = 1u << 6      /* the field that shows skipped bytes */
};

typedef struct cs_field_def {
    const char *abbrev; /* display-filter name, e.g. "woshi.len" */
    const char *name;   /* human name, e.g. "Packet length" */
    cs_ftype type;
    cs_base base;
    const cs_vs *vals; /* value names, or NULL */
    const char *unit;  /* unit appended to numbers, e.g. "s", or NULL */
    const char *blurb; /* description; hypotheses say "[inferred]" */
    uint32_t flags;    /* cs_field_flags */
    int link;          /* CS_FF_CHECKSUM: index of the status field */
} cs_field_def;

/* ------------------------------------------------------------------ */
/* Violations                                                          */

typedef enum cs_severity {
    CS_SEV_NOTE = 1,
    CS_SEV_WARN = 2,
    CS_SEV_ERROR = 3
} cs_severity;

extern const cs_vs cs_severity_vals[];
/* "note", "warning" or "error" (the JSON spelling). */
const char *cs_severity_key(cs_severity s);

/* Mapped onto Wireshark's expert groups by the plugin. */
typedef enum cs_group {
    CS_GRP_CHECKSUM = 1,
    CS_GRP_MALFORMED,
    CS_GRP_PROTOCOL,
    CS_GRP_SEQUENCE,
    CS_GRP_RESPONSE,
    CS_GRP_UNDECODED,
    CS_GRP_ASSUMPTION
} cs_group;

typedef struct cs_violation_def {
    const char *code;    /* expert filter name, e.g. "woshi.checksum.bad" */
    cs_severity severity;
    cs_group group;
    const char *summary; /* one line; messages add the particulars */
} cs_violation_def;

/* ------------------------------------------------------------------ */
/* Options (Wireshark preferences, chargecap --set NAME=VALUE)         */

typedef enum cs_opt_type {
    CS_OPT_BOOL = 1,
    CS_OPT_UINT,
    CS_OPT_ENUM
} cs_opt_type;

typedef struct cs_option_def {
    const char *name;  /* pref name under the protocol, e.g. "heartbeat_interval" */
    const char *title;
    const char *desc;
    cs_opt_type type;
    uint32_t def;
    const cs_vs *enum_vals; /* CS_OPT_ENUM: the choices */
} cs_option_def;

#define CS_MAX_OPTS 16
/* The largest per-session state a protocol may have (cs_proto.sess_size). */
#define CS_MAX_SESS_SIZE (64u * 1024)

/* ------------------------------------------------------------------ */
/* Decode output                                                       */

enum cs_item_flags {
    CS_IF_GENERATED = 1u << 0, /* computed, not read from the wire */
    CS_IF_LE = 1u << 1,        /* checksum: stored little-endian */
    CS_IF_DERIVED = 1u << 2,   /* offsets refer to cs_out.derived */
    CS_IF_HIDDEN = 1u << 3     /* filterable but not displayed */
};

typedef struct cs_item {
    uint16_t field;  /* index into the protocol's field table */
    uint8_t depth;   /* 0 = directly under the protocol item */
    uint8_t flags;   /* cs_item_flags */
    uint32_t offset; /* within the PDU (or cs_out.derived) */
    uint32_t length;
    union {
        uint64_t u;
        int64_t i;
        double d;
    } v;
    uint32_t aux;   /* ABSTIME: ns; checksum: the computed value */
    uint32_t str;   /* arena offset: STRING value, or display text for
                       other types; 0 = none */
    uint8_t status; /* checksum items: cs_cksum */
} cs_item;

enum cs_viol_flags {
    CS_VF_DERIVED = 1u << 0 /* offsets refer to cs_out.derived */
};

typedef struct cs_viol {
    uint16_t code;   /* index into the protocol's violation table */
    uint8_t flags;   /* cs_viol_flags */
    int32_t item;    /* item index it belongs to, or -1 */
    uint32_t offset; /* within the PDU */
    uint32_t length;
    uint32_t msg;    /* arena offset of the message; 0 = the summary */
    uint32_t frame;  /* 0 = this PDU; else the frame it belongs to
                        (violations raised at session end) */
    uintptr_t tag;   /* with `frame`: the caller's tag of that PDU */
} cs_viol;

/* What a PDU says about the device, for the analyzer's device table. */
typedef enum cs_fact_kind {
    CS_FACT_DEVICE_ID = 1, /* BoxID, IMEI, terminal number, device ID */
    CS_FACT_FIRMWARE,
    CS_FACT_ICCID,
    CS_FACT_SIGNAL
} cs_fact_kind;

#define CS_MAX_FACTS 4

typedef struct cs_fact {
    uint8_t kind;
    uint32_t str; /* arena offset */
} cs_fact;

enum cs_want {
    CS_WANT_ITEMS = 1u << 0, /* build the item list (tree, --messages) */
    CS_WANT_INFO = 1u << 1   /* build the Info summary */
};

/* Caller-owned, reusable: cs_out_reset() before each PDU keeps the
 * buffers, so a long run allocates only while buffers grow. */
typedef struct cs_out {
    uint32_t want; /* cs_want */

    cs_item *items;
    uint32_t n_items, cap_items;
    cs_viol *viols;
    uint32_t n_viols, cap_viols;
    char *arena;
    uint32_t arena_len, arena_cap;

    /* Where the session's (stateful) part of the output starts; what
     * comes before it is a pure function of the bytes and the context. */
    uint32_t n_items_stateless, n_viols_stateless;

    /* Summary of the PDU. */
    int32_t cmd;          /* command code, -1 when none */
    const char *cmd_name; /* static; NULL when none */
    uint8_t dir;          /* cs_dir, as decided */
    uint8_t dir_source;   /* cs_dir_source */
    uint8_t cksum;        /* cs_cksum */
    bool garbage;         /* the bytes were not a PDU */
    int32_t result;       /* result/status code for statistics, -1 none */
    const char *result_name;
    char info[256];       /* Info column text (CS_WANT_INFO) */
    uint32_t info_len;

    /* A second view of the bytes (the unescaped AI-Cloud frame). */
    uint8_t *derived;
    uint32_t derived_len, derived_cap;
    const char *derived_name;

    /* Request/response pairing (filled by sessions). */
    bool pending;          /* this PDU is a request waiting for an answer */
    uint32_t req_frame;    /* != 0: this PDU answers the request in that frame */
    int64_t req_ts_ns;
    uintptr_t req_tag;

    cs_fact facts[CS_MAX_FACTS];
    uint8_t n_facts;

    /* Internal: current tree depth and allocation failure. */
    uint8_t depth;
    bool oom;
} cs_out;

typedef enum cs_dir_source {
    CS_DS_NONE = 0,
    CS_DS_SHAPE,     /* inferred from the payload shape */
    CS_DS_TRANSPORT, /* from the TCP handshake (client/server) */
    CS_DS_LEARNED,   /* from this endpoint's earlier PDUs */
    CS_DS_OVERRIDE,  /* decided earlier (re-dissection) */
    CS_DS_DECLARED,  /* the PDU says so itself */
    CS_DS_PORTS      /* a guess: the lower port is the server's */
} cs_dir_source;

extern const cs_vs cs_dir_source_vals[];

void cs_out_init(cs_out *o, uint32_t want);
void cs_out_reset(cs_out *o);
void cs_out_free(cs_out *o);
/* The NUL-terminated string at arena offset `off` ("" for 0). */
static inline const char *cs_str(const cs_out *o, uint32_t off)
{
    return off && o->arena ? o->arena + off : "";
}

/* ------------------------------------------------------------------ */
/* Building output (used by decoders, and by callers that append to it) */

/* Append an item; returns its index, or -1 when items are not wanted. */
int cs_item_add(cs_out *o, int field, uint32_t off, uint32_t len, uint64_t u);
/* A string item whose value is the text s[0..n) (made printable). */
int cs_item_str(cs_out *o, int field, uint32_t off, uint32_t len, const char *s, size_t n);
/* A string item with formatted text. */
int cs_item_strf(cs_out *o, int field, uint32_t off, uint32_t len, const char *fmt, ...) CS_PRINTF(5, 6);
/* Give item `idx` a display text (shown instead of the plain value). */
void cs_item_text(cs_out *o, int idx, const char *fmt, ...) CS_PRINTF(3, 4);
/* A checksum item: stored value, computed value, verdict. */
int cs_item_cksum(cs_out *o, int field, uint32_t off, uint32_t len, uint32_t stored,
                  uint32_t computed, cs_cksum status, bool le);
/* The generated direction item: dir and its source (cs_dir_source_vals)
 * recorded in o, and the item's text "<to_server|to_device|Unknown> (<source>)". */
int cs_item_direction(cs_out *o, int field, int dir, int src, const char *to_server,
                      const char *to_device);
static inline void cs_item_flag(cs_out *o, int idx, uint8_t f)
{
    if (idx >= 0)
        o->items[idx].flags |= f;
}

/* Items added after cs_push() are children of the last item. */
static inline void cs_push(cs_out *o) { o->depth++; }
static inline void cs_pop(cs_out *o)
{
    if (o->depth)
        o->depth--;
}

/* Raise violation `code` at off/len, attached to item `item` (-1: none).
 * fmt NULL: the definition's summary is the message. */
int cs_viol_add(cs_out *o, int code, int item, uint32_t off, uint32_t len, const char *fmt, ...)
    CS_PRINTF(6, 7);
/* The same for another frame (used at session end). */
void cs_viol_frame(cs_out *o, int code, uint32_t frame, uintptr_t tag, const char *fmt, ...)
    CS_PRINTF(5, 6);

/* Append to the Info summary (only when CS_WANT_INFO). */
void cs_info(cs_out *o, const char *fmt, ...) CS_PRINTF(2, 3);

/* Copy s[0..n) into the arena, non-printable bytes as \xNN; returns the
 * offset.  Used for strings from the wire. */
uint32_t cs_arena_printable(cs_out *o, const char *s, size_t n);
uint32_t cs_arena_printf(cs_out *o, const char *fmt, ...) CS_PRINTF(2, 3);
uint32_t cs_arena_vprintf(cs_out *o, const char *fmt, va_list ap);

void cs_fact_add(cs_out *o, cs_fact_kind kind, const char *fmt, ...) CS_PRINTF(3, 4);

/* A second view of the PDU's bytes (the unescaped AI-Cloud frame): n
 * bytes owned by o, shown by Wireshark as a data source called `name`.
 * Items and violations flagged CS_IF_DERIVED / CS_VF_DERIVED refer to it.
 * NULL when out of memory. */
uint8_t *cs_derived_alloc(cs_out *o, size_t n, const char *name);

/* ------------------------------------------------------------------ */
/* The decode context: what the transport knows about a PDU.           */

typedef struct cs_ctx {
    uint32_t frame;        /* 1-based frame number where the PDU ends */
    int64_t ts_ns;         /* that frame's time, ns since 1970 UTC */
    uint8_t side;          /* 0 or 1: which endpoint sent the bytes */
    uint16_t src_port;     /* transport ports (0 when unknown) */
    uint16_t dst_port;
    uint8_t transport_dir; /* cs_dir known from the TCP handshake, or 0 */
    uint8_t dir_override;  /* cs_dir decided on an earlier pass, or 0 */
    uint8_t dir_override_source; /* and how it was decided (cs_dir_source) */
    uint8_t udp;           /* the PDU came in a UDP datagram */
    uint8_t whole;         /* buf is a whole frame delimited by other means
                              (a datagram, a hex dump), not a stream PDU cut
                              by its own length field */
    uintptr_t tag;         /* the caller's handle for this PDU */
} cs_ctx;

/* ------------------------------------------------------------------ */
/* Stream framing                                                      */

typedef enum cs_frame_kind {
    CS_FRAME_PDU = 1, /* a PDU of *len bytes starts here (may exceed avail) */
    CS_FRAME_NEED,    /* undecided: at least *len bytes are needed */
    CS_FRAME_SKIP     /* not a PDU start: skip *len bytes of garbage */
} cs_frame_kind;

/* ------------------------------------------------------------------ */
/* The protocol descriptor                                             */

enum cs_transport {
    CS_TR_TCP = 1u << 0,
    CS_TR_UDP = 1u << 1
};

typedef struct cs_proto {
    const char *name;       /* filter prefix, e.g. "woshi" */
    const char *short_name; /* protocol column, e.g. "Woshi" */
    const char *long_name;  /* e.g. "Woshi power-bank cabinet protocol" */

    const cs_field_def *fields;
    uint16_t n_fields;
    const cs_violation_def *violations;
    uint16_t n_violations;
    const cs_option_def *options;
    uint16_t n_options;

    uint32_t transports;        /* cs_transport */
    const char *tcp_ports;      /* default port range, "" for none */
    const char *udp_ports;

    /* Fields and violations the generic layers use. */
    int f_garbage;         /* bytes between PDUs */
    int f_request_in;      /* FRAMENUM */
    int f_response_in;     /* FRAMENUM */
    int f_response_time;   /* RELTIME */
    int v_garbage;
    int v_unanswered;
    int v_truncated;       /* PDU cut short by the end of the data */

    /* Stream framing.  Looks at buf[0..avail) (avail >= frame_min).
     * Deterministic in the bytes it is shown. */
    uint32_t frame_min;
    cs_frame_kind (*frame)(const uint8_t *buf, size_t avail, size_t *len);

    /* Strict heuristic: do these bytes, at the start of a TCP payload or
     * UDP datagram, begin this protocol?  Ordinary traffic must fail. */
    bool (*probe)(const uint8_t *buf, size_t len, bool udp);

    /* Sessions (one per conversation).  `sess` points at sess_size
     * bytes, not necessarily zeroed: sess_init sets up what is read
     * before it is written (tables sized for the worst case are not
     * cleared, only their counts); sess_fini releases what sess_init
     * allocated.  At most CS_MAX_SESS_SIZE (chargecap carves states
     * from 2 MiB chunks; test_core checks every protocol's). */
    size_t sess_size;
    void (*sess_init)(void *sess, const uint32_t *opts, bool start_seen);
    void (*sess_fini)(void *sess);

    /* Decode one PDU (buf holds len bytes; the PDU may announce more if
     * the data was cut short).  `sess` NULL: stateless decode only.
     * Calls cs_out_reset() itself. */
    void (*decode)(void *sess, const uint32_t *opts, const uint8_t *buf,
                   size_t len, const cs_ctx *ctx, cs_out *out);

    /* The end of the conversation: violations that only the end can
     * tell (requests never answered), each with its frame and tag. */
    void (*sess_end)(void *sess, cs_out *out);
} cs_proto;

/* All protocols, NULL-terminated, in a fixed order. */
extern const cs_proto *const cs_protocols[];
const cs_proto *cs_proto_by_name(const char *name);

/* Default option values of `p` into opts[CS_MAX_OPTS]. */
void cs_opts_default(const cs_proto *p, uint32_t *opts);
/* Set option `name` from text ("30", "true", an enum name); 0 on success,
 * -1 with a message in err otherwise. */
int cs_opts_set(const cs_proto *p, uint32_t *opts, const char *name,
                const char *value, char *err, size_t errlen);

/* Decode `len` bytes of garbage (bytes the framer skipped). */
void cs_decode_garbage(const cs_proto *p, const uint8_t *buf, size_t len,
                       const cs_ctx *ctx, cs_out *out);

/* Hex digits in `hex` to bytes (spaces and other characters are skipped);
 * returns the number of bytes written, at most max. */
size_t cs_unhex(const char *hex, uint8_t *out, size_t max);

/* Index of the field / violation named `abbrev` / `code`, or -1. */
int cs_field_index(const cs_proto *p, const char *abbrev);
int cs_violation_index(const cs_proto *p, const char *code);

/* ------------------------------------------------------------------ */
/* Checksums shared by the protocols                                   */

uint8_t cs_xor8(const uint8_t *p, size_t n);
uint32_t cs_sum32(const uint8_t *p, size_t n);

/* The CRC-16 variants a device may use.  CS_CRC16_AICLOUD is the table
 * for polynomial 0x1021 applied with the reflected update, init 0, as
 * deployed by AI-Cloud servers (protocol-facts 6.3). */
typedef enum cs_crc16_variant {
    CS_CRC16_AICLOUD = 1,
    CS_CRC16_MODBUS,
    CS_CRC16_CCITT_FALSE,
    CS_CRC16_XMODEM,
    CS_CRC16_KERMIT,
    CS_CRC16_ARC,
    CS_CRC16_X25,
    CS_CRC16_COUNT_PLUS_ONE
} cs_crc16_variant;

extern const cs_vs cs_crc16_variant_vals[];
uint16_t cs_crc16(cs_crc16_variant v, const uint8_t *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* CHARGEPROTO_H */
