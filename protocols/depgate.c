/*
 * depgate.c - dEpGate "EC" protocol: the AiCharge / Wanma charging
 * gateway pushing pile data to a third-party server.
 *
 * Sources: seed 002 (the vendor document, truncated after the first row
 * of its header table) and protocol-facts sections 3 and 6.2 (the header
 * and body layouts of the vendor's public reference server).
 * docs/protocols/depgate.md records every decision with its evidence.
 *
 * Frame (all integers big-endian, no checksum of any kind):
 *   0  magic  2  45 43 ("EC")
 *   2  len    u16  bytes after this field (command + body)
 *   4  cmd    u16  101 heartbeat, 1001 real-time data, 1005 consumption record
 *   6  body   len - 2 bytes
 * Strings are a u16 length and that many bytes.  The gateway is the TCP
 * client and nothing it sends is answered.
 */
#include "depgate.h"

#include "cs_impl.h"

#include <stdio.h>

#define D_HDR 6
#define D_MAX_LEN 4096 /* framing plausibility bound; see docs */
#define D_PILE_FIXED 16 /* the document's fixed text field sizes */
#define D_SERIAL_FIXED 32
#define D_RT_MAX 64      /* piles/guns whose real-time timing is tracked */
#define D_KEY_MAX 32     /* pile-code bytes that key that table */
#define SEC 1000000000LL

/* ---- value names --------------------------------------------------------- */

static const cs_vs cmd_vals[] = {
    {DEPGATE_CMD_HEARTBEAT, "Heartbeat"},
    {DEPGATE_CMD_REALTIME, "Real-time data"},
    {DEPGATE_CMD_CONSUMPTION, "Consumption record"},
    {0, NULL},
};

static const cs_vs org_vals[] = {
    {1000, "Wanma users"},
    {0, NULL},
};

static const cs_vs pile_type_vals[] = {
    {14, "AC"},
    {5, "DC"},
    {0, NULL},
};

static const cs_vs point_type_vals[] = {
    {1, "Single-point status"},
    {2, "Double-point status"},
    {3, "Measurement"},
    {4, "Long measurement"},
    {0, NULL},
};

static const cs_vs layout_vals[] = {
    {0, "Length-sized strings (reference server)"},
    {1, "Fixed 16/32-byte text fields (document)"},
    {0, NULL},
};

/* Charger state (measurement point 1): the gun states of the reference
 * server's EpProtocolConstant (EP_GUN_W_STATUS_*). */
static const cs_vs charger_state_vals[] = {
    {0, "Offline"},
    {1, "Fault"},
    {2, "Standby"},
    {3, "Working (charging)"},
    {8, "Reserved"},
    {9, "Upgrading"},
    {10, "User operating"},
    {11, "Setting"},
    {12, "Selecting charge mode"},
    {30, "Initialising"},
    {31, "Under-voltage fault"},
    {32, "Over-voltage fault"},
    {33, "Over-current fault"},
    {34, "Surge arrester fault"},
    {35, "Meter fault"},
    {36, "Contactor fault"},
    {37, "Insulation fault"},
    {38, "Emergency stop"},
    {0, NULL},
};

/* The deployment's point table (dEpGate/conf/thirdRealData.xml,
 * protocol-facts 6.2): a point is named only when its address AND its
 * type match. */
typedef struct dpoint_name {
    uint8_t type;
    uint16_t addr;
    const char *name;
    const cs_vs *vals;
} dpoint_name;

static const dpoint_name point_names[] = {
    {1, 1, "Battery (vehicle) connected", NULL},
    {1, 5, "Parking space occupied", NULL},
    {1, 7, "Card reader communication fault", NULL},
    {2, 2, "Charger over-temperature fault", NULL},
    {2, 13, "Vehicle battery output connector state", NULL},
    {3, 1, "Charger state", charger_state_vals},
    {3, 2, "Parking lock state", NULL},
    {3, 3, "Charger output voltage", NULL},
    {3, 4, "Charger output current", NULL},
    {3, 5, "SOC", NULL},
    {3, 7, "Remaining charge time", NULL},
    {3, 41, "A-phase voltage", NULL},
    {3, 42, "B-phase voltage", NULL},
    {3, 43, "C-phase voltage", NULL},
    {3, 44, "A-phase current", NULL},
    {3, 45, "B-phase current", NULL},
    {3, 46, "C-phase current", NULL},
    {4, 1, "Total active energy", NULL},
};

static const dpoint_name *point_name(uint8_t type, uint16_t addr)
{
    for (size_t i = 0; i < sizeof point_names / sizeof point_names[0]; i++)
        if (point_names[i].type == type && point_names[i].addr == addr)
            return &point_names[i];
    return NULL;
}

/* Value size by point type (4.2 row 8); 0 = unknown type. */
static uint32_t point_size(uint8_t type)
{
    switch (type) {
    case 1:
    case 2: return 1;
    case 3: return 2;
    case 4: return 4;
    default: return 0;
    }
}

/* ---- fields --------------------------------------------------------------- */

#define F(abbrev, name, type, base, vals, unit, blurb, flags) \
    {abbrev, name, type, base, vals, unit, blurb, flags, -1}

static const cs_field_def fields[DF__COUNT] = {
    [DF_MAGIC] = F("depgate.magic", "Protocol identifier", CS_FT_U16, CS_BASE_HEX, NULL, NULL,
                   "Fixed 45 43 (\"EC\")", 0),
    [DF_LEN] = F("depgate.len", "Length", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                 "Bytes after this field: the command and the body (the PDU is len + 4 bytes)",
                 0),
    [DF_CMD] = F("depgate.cmd", "Command", CS_FT_U16, CS_BASE_DEC, cmd_vals, NULL, NULL, 0),
    [DF_DIRECTION] = F("depgate.direction", "Direction", CS_FT_U8, CS_BASE_DEC, cs_dir_vals, NULL,
                       "Gateway to server or server to gateway; the gateway is the TCP client",
                       CS_FF_GENERATED),
    [DF_BODY] = F("depgate.body", "Body", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                  "The body of a command without a known layout, or of a heartbeat", 0),
    [DF_TRAILING] = F("depgate.trailing", "Trailing bytes", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                      "Body bytes after the fields of the command", 0),
    [DF_GARBAGE] = F("depgate.garbage.data", "Garbage", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                     "Bytes between PDUs that do not start a dEpGate PDU", CS_FF_GARBAGE),
    [DF_LAYOUT] = F("depgate.layout", "Body layout", CS_FT_U8, CS_BASE_DEC, layout_vals, NULL,
                    "Which of the two string layouts the body uses", CS_FF_GENERATED),
    [DF_ORG] = F("depgate.org", "Organisation code", CS_FT_U32, CS_BASE_DEC, org_vals, NULL,
                 "组织编码", 0),
    [DF_PILE_LEN] = F("depgate.pile_code.len", "Pile code length", CS_FT_U16, CS_BASE_DEC, NULL,
                      NULL, NULL, 0),
    [DF_PILE] = F("depgate.pile_code", "Pile code", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                  "电桩编码", 0),
    [DF_PILE_PAD] = F("depgate.pile_code.padding", "Pile code padding", CS_FT_BYTES, CS_BASE_NONE,
                      NULL, NULL, "The rest of the document's fixed 16-byte pile code field", 0),
    [DF_GUN] = F("depgate.gun", "Gun number", CS_FT_U8, CS_BASE_DEC, NULL, NULL, "枪编号", 0),
    [DF_PILE_TYPE] = F("depgate.pile_type", "Pile type", CS_FT_U8, CS_BASE_DEC, pile_type_vals,
                       NULL, "14 AC, 5 DC (电桩类型)", 0),
    [DF_POINT_COUNT] = F("depgate.point_count", "Point count", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                         "测点数量", 0),
    [DF_POINT] = F("depgate.point", "Point", CS_FT_NONE, CS_BASE_NONE, NULL, NULL,
                   "One measurement point: address, type, value", CS_FF_SUBTREE),
    [DF_POINT_ADDR] = F("depgate.point.addr", "Point address", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                        "测点地址; its meaning depends on the point type", 0),
    [DF_POINT_TYPE] = F("depgate.point.type", "Point type", CS_FT_U8, CS_BASE_DEC,
                        point_type_vals, NULL, "测点类型; sizes the value: 1, 1, 2, 4 bytes", 0),
    [DF_POINT_VALUE] = F("depgate.point.value", "Point value", CS_FT_U32, CS_BASE_DEC, NULL, NULL,
                         "测点值, unscaled: u8 (status), u16 (measurement), u32 (long)", 0),
    [DF_POINT_NAME] = F("depgate.point.name", "Point name", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                        "From the deployment's point table (address and type match)",
                        CS_FF_GENERATED),
    [DF_POINTS_REST] = F("depgate.points.undecoded", "Undecoded points", CS_FT_BYTES,
                         CS_BASE_NONE, NULL, NULL,
                         "Point bytes after an unknown point type or a cut point", 0),
    [DF_SERIAL_LEN] = F("depgate.serial.len", "Transaction serial length", CS_FT_U16, CS_BASE_DEC,
                        NULL, NULL, NULL, 0),
    [DF_SERIAL] = F("depgate.serial", "Transaction serial", CS_FT_STRING, CS_BASE_NONE, NULL,
                    NULL, "交易流水号", 0),
    [DF_SERIAL_PAD] = F("depgate.serial.padding", "Transaction serial padding", CS_FT_BYTES,
                        CS_BASE_NONE, NULL, NULL,
                        "The rest of the document's fixed 32-byte serial field", 0),
    [DF_START] = F("depgate.start_time", "Start time", CS_FT_ABSTIME, CS_BASE_NONE, NULL, NULL,
                   "u32 seconds since 1970 (Unix time) [inferred]", CS_FF_INFERRED),
    [DF_END] = F("depgate.end_time", "End time", CS_FT_ABSTIME, CS_BASE_NONE, NULL, NULL,
                 "u32 seconds since 1970 (Unix time) [inferred]", CS_FF_INFERRED),
    [DF_DURATION] = F("depgate.duration", "Duration", CS_FT_RELTIME, CS_BASE_NONE, NULL, NULL,
                      "End time minus start time", CS_FF_GENERATED),
    [DF_ENERGY] = F("depgate.energy", "Total energy (raw)", CS_FT_U32, CS_BASE_DEC, NULL, NULL,
                    "总电量 as sent: thousandths of a kWh", 0),
    [DF_ENERGY_KWH] = F("depgate.energy.kwh", "Total energy", CS_FT_DOUBLE, CS_BASE_NONE, NULL,
                        NULL, "depgate.energy / 1000, in kWh", CS_FF_GENERATED),
    [DF_AMOUNT] = F("depgate.amount", "Total charge amount (raw)", CS_FT_U32, CS_BASE_DEC, NULL,
                    NULL, "总充电金额 as sent: hundredths of a yuan (fen)", 0),
    [DF_AMOUNT_YUAN] = F("depgate.amount.yuan", "Total charge amount", CS_FT_DOUBLE, CS_BASE_NONE,
                         NULL, NULL, "depgate.amount / 100, in yuan", CS_FF_GENERATED),
    [DF_FEE] = F("depgate.service_fee", "Service fee (raw)", CS_FT_U32, CS_BASE_DEC, NULL, NULL,
                 "服务费 as sent: hundredths of a yuan (fen)", 0),
    [DF_FEE_YUAN] = F("depgate.service_fee.yuan", "Service fee", CS_FT_DOUBLE, CS_BASE_NONE, NULL,
                      NULL, "depgate.service_fee / 100, in yuan", CS_FF_GENERATED),
    [DF_GW_GAP] = F("depgate.gateway_gap", "Gateway silence before this PDU", CS_FT_RELTIME,
                    CS_BASE_NONE, NULL, NULL, "Time since the gateway's previous PDU",
                    CS_FF_GENERATED),
    [DF_RT_GAP] = F("depgate.realtime.gap", "Time since previous real-time data",
                    CS_FT_RELTIME, CS_BASE_NONE, NULL, NULL,
                    "Since the previous real-time data of the same pile and gun",
                    CS_FF_GENERATED),
};

/* ---- violations ----------------------------------------------------------- */

static const cs_violation_def violations[DV__COUNT] = {
    [DV_LEN_INVALID] = {"depgate.len.invalid", CS_SEV_ERROR, CS_GRP_MALFORMED,
                        "Length below 2: no room for the command"},
    [DV_LEN_TRUNCATED] = {"depgate.len.truncated", CS_SEV_ERROR, CS_GRP_MALFORMED,
                          "PDU cut short: the length announces more bytes than are present"},
    [DV_BODY_SHORT] = {"depgate.body.short", CS_SEV_ERROR, CS_GRP_MALFORMED,
                       "The length ends the body before the command's fields do"},
    [DV_BODY_TRAILING] = {"depgate.body.trailing", CS_SEV_WARN, CS_GRP_MALFORMED,
                          "Body bytes left over after the command's fields"},
    [DV_STRING_LEN] = {"depgate.string.len", CS_SEV_ERROR, CS_GRP_MALFORMED,
                       "A string length runs past the body"},
    [DV_POINT_COUNT] = {"depgate.point_count.mismatch", CS_SEV_ERROR, CS_GRP_MALFORMED,
                        "The point count disagrees with the points present"},
    [DV_POINT_TYPE] = {"depgate.point.type.unknown", CS_SEV_ERROR, CS_GRP_MALFORMED,
                       "Unknown point type: the value size is unknown, the points after it "
                       "cannot be decoded"},
    [DV_CMD_UNKNOWN] = {"depgate.cmd.unknown", CS_SEV_WARN, CS_GRP_UNDECODED,
                        "Unknown command: shown with its raw body"},
    [DV_HB_BODY] = {"depgate.heartbeat.body", CS_SEV_WARN, CS_GRP_MALFORMED,
                    "Heartbeat with a body (the document: it has none)"},
    [DV_LAYOUT_FIXED] = {"depgate.layout.fixed", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                         "Body laid out with the document's fixed 16/32-byte text fields, not "
                         "the reference server's length-sized strings"},
    [DV_SERVER_HB] = {"depgate.server.heartbeat", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                      "Heartbeat from the server (4.1 d); dEpGate does not answer it"},
    [DV_SERVER_UNEXPECTED] = {"depgate.server.unexpected", CS_SEV_WARN, CS_GRP_PROTOCOL,
                              "PDU from the server that the document defines only from the "
                              "gateway; dEpGate does not answer it"},
    [DV_TIME_ORDER] = {"depgate.record.time_order", CS_SEV_WARN, CS_GRP_PROTOCOL,
                       "Consumption record whose end time is not after its start time"},
    [DV_ZERO_ENERGY] = {"depgate.record.zero_energy", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                        "Consumption record with zero energy"},
    [DV_HB_LATE] = {"depgate.heartbeat.late", CS_SEV_WARN, CS_GRP_SEQUENCE,
                    "The gateway was silent longer than the heartbeat interval allows"},
    [DV_RT_LATE] = {"depgate.realtime.late", CS_SEV_WARN, CS_GRP_SEQUENCE,
                    "Real-time data of a pile and gun later than the real-time interval allows"},
    [DV_LINK_SILENCE] = {"depgate.link.silence", CS_SEV_WARN, CS_GRP_SEQUENCE,
                         "The gateway was silent longer than the server tolerates before "
                         "closing the link"},
    [DV_GARBAGE] = {"depgate.garbage", CS_SEV_ERROR, CS_GRP_MALFORMED,
                    "Bytes that do not start a dEpGate PDU, skipped"},
};

/* ---- options -------------------------------------------------------------- */

static const cs_option_def options[DO__COUNT] = {
    [DO_HB_INTERVAL] = {"heartbeat_interval", "Heartbeat interval (seconds)",
                        "The gateway sends a heartbeat after this long without other traffic; a "
                        "longer gateway silence is flagged (0: off)",
                        CS_OPT_UINT, 60, NULL},
    [DO_RT_INTERVAL] = {"realtime_interval", "Real-time data interval (seconds)",
                        "Each pile and gun reports real-time data this often; a longer gap is "
                        "flagged (0: off)",
                        CS_OPT_UINT, 60, NULL},
    [DO_LINK_TIMEOUT] = {"link_timeout", "Link timeout (seconds)",
                         "The server closes the link after this long without a gateway PDU; a "
                         "longer gateway silence on an open link is flagged (0: off)",
                         CS_OPT_UINT, 120, NULL},
    [DO_TOLERANCE] = {"timing_tolerance", "Timing tolerance (seconds)",
                      "Added to each interval above before a gap is flagged", CS_OPT_UINT, 10,
                      NULL},
};

/* ---- structure (no output): shared by the heuristic and the layout rule -- */

/* Whole points of known type from *pos, at most `max`; advances *pos past
 * them and returns how many. */
static uint32_t scan_points(const uint8_t *p, uint32_t *pos, uint32_t end, uint32_t max)
{
    uint32_t n = 0, at = *pos;
    while (n < max && end - at >= 3) {
        uint32_t sz = point_size(p[at + 2]);
        if (!sz || end - at - 3 < sz)
            break;
        at += 3 + sz;
        n++;
    }
    *pos = at;
    return n;
}

/* Does the body p[pos..end) of a real-time data or consumption record
 * consume exactly, every length in bounds and every point whole and
 * counted?  fixed: read the strings as the document's fixed 16/32-byte
 * fields (their length must fit the field). */
static bool body_fits(const uint8_t *p, uint32_t pos, uint32_t end, uint16_t cmd, bool fixed)
{
#define NEED(n)                        \
    do {                               \
        if ((uint32_t)(n) > end - pos) \
            return false;              \
    } while (0)
    NEED(6);
    uint32_t slen = cs_be16(p + pos + 4);
    pos += 6;
    if (fixed) {
        if (slen > D_PILE_FIXED)
            return false;
        slen = D_PILE_FIXED;
    }
    NEED(slen);
    pos += slen;
    if (cmd == DEPGATE_CMD_REALTIME) {
        NEED(4);
        uint32_t count = cs_be16(p + pos + 2);
        pos += 4;
        return scan_points(p, &pos, end, count) == count && pos == end;
    }
    NEED(3);
    slen = cs_be16(p + pos + 1);
    pos += 3;
    if (fixed) {
        if (slen > D_SERIAL_FIXED)
            return false;
        slen = D_SERIAL_FIXED;
    }
    NEED(slen);
    pos += slen;
    NEED(20);
    return pos + 20 == end;
#undef NEED
}

/* The layout rule (docs: "Two layouts"): the length-sized reading unless
 * it fails and the fixed-field reading consumes the body exactly. */
static bool layout_is_fixed(const uint8_t *p, uint32_t pos, uint32_t end, uint16_t cmd)
{
    if (cmd != DEPGATE_CMD_REALTIME && cmd != DEPGATE_CMD_CONSUMPTION)
        return false;
    return !body_fits(p, pos, end, cmd, false) && body_fits(p, pos, end, cmd, true);
}

/* ---- framing and heuristic --------------------------------------------- */

static bool known_cmd(uint16_t cmd)
{
    return cs_vs_find(cmd_vals, cmd) != NULL;
}

static bool header_plausible(const uint8_t *p)
{
    return p[0] == 0x45 && p[1] == 0x43 && cs_be16(p + 2) <= D_MAX_LEN;
}

static cs_frame_kind depgate_frame(const uint8_t *buf, size_t avail, size_t *len)
{
    if (avail < 4) {
        *len = 4;
        return CS_FRAME_NEED;
    }
    if (header_plausible(buf)) {
        *len = (size_t)cs_be16(buf + 2) + 4;
        return CS_FRAME_PDU;
    }
    /* Resynchronise on the next plausible header whose command is known
     * (or not yet in view): a stray "EC" inside garbage rarely has one. */
    for (size_t i = 1; i + 4 <= avail; i++)
        if (header_plausible(buf + i) && (i + D_HDR > avail || known_cmd(cs_be16(buf + i + 4)))) {
            *len = i;
            return CS_FRAME_SKIP;
        }
    /* Keep a tail that may begin a header continued in the next segment:
     * "E C x", "E C" or "E". */
    for (size_t k = avail - 3; k < avail; k++)
        if (buf[k] == 0x45 && (k + 1 == avail || buf[k + 1] == 0x43)) {
            *len = k;
            return CS_FRAME_SKIP;
        }
    *len = avail;
    return CS_FRAME_SKIP;
}

/* Strict: every PDU at the start of the payload has the magic, a length
 * its command can have and a known command; every complete one has a
 * body that decodes exactly.  A PDU continued in a later segment is
 * judged on its header. */
static bool depgate_probe(const uint8_t *buf, size_t len, bool udp)
{
    if (udp || len < D_HDR)
        return false;
    size_t off = 0;
    while (off + D_HDR <= len) {
        const uint8_t *p = buf + off;
        uint16_t plen = cs_be16(p + 2), cmd = cs_be16(p + 4);
        if (p[0] != 0x45 || p[1] != 0x43 || plen > D_MAX_LEN || !known_cmd(cmd))
            return false;
        if (cmd == DEPGATE_CMD_HEARTBEAT ? plen != 2
            : cmd == DEPGATE_CMD_REALTIME ? plen < 2 + 10
                                          : plen < 2 + 29)
            return false;
        size_t total = (size_t)plen + 4;
        if (off + total > len)
            return true; /* continues in a later segment */
        if (cmd != DEPGATE_CMD_HEARTBEAT &&
            !body_fits(p, D_HDR, (uint32_t)total, cmd, false) &&
            !body_fits(p, D_HDR, (uint32_t)total, cmd, true))
            return false;
        off += total;
    }
    /* a header cut by the end of the segment must at least begin "EC" */
    return off == len || (buf[off] == 0x45 && (off + 1 == len || buf[off + 1] == 0x43));
}

/* ---- sessions ------------------------------------------------------------- */

typedef struct rt_entry {
    uint8_t key[D_KEY_MAX];
    uint16_t key_len; /* the full pile-code length */
    uint8_t gun;
    int64_t last_ns;
} rt_entry;

typedef struct depgate_sess {
    uint8_t role[2]; /* learned cs_dir of what each side sends */
    bool gw_seen;
    int64_t gw_last_ns; /* the gateway's previous PDU */
    uint32_t n_rt;
    rt_entry rt[D_RT_MAX];
} depgate_sess;

static void depgate_sess_init(void *sv, const uint32_t *opts, bool start_seen)
{
    (void)opts;
    (void)start_seen;
    memset(sv, 0, offsetof(depgate_sess, rt)); /* rt[] is read up to n_rt only */
}

/* The entry of a pile and gun: found, or a new one (replacing the one
 * heard from longest ago when the table is full).  *fresh: new entry. */
static rt_entry *rt_get(depgate_sess *s, const uint8_t *code, uint32_t code_len, uint8_t gun,
                        bool *fresh)
{
    uint32_t klen = code_len < D_KEY_MAX ? code_len : D_KEY_MAX;
    rt_entry *oldest = NULL;
    for (uint32_t i = 0; i < s->n_rt; i++) {
        rt_entry *e = &s->rt[i];
        if (e->gun == gun && e->key_len == code_len && !memcmp(e->key, code, klen)) {
            *fresh = false;
            return e;
        }
        if (!oldest || e->last_ns < oldest->last_ns)
            oldest = e;
    }
    rt_entry *e = s->n_rt < D_RT_MAX ? &s->rt[s->n_rt++] : oldest;
    memset(e, 0, sizeof *e);
    memcpy(e->key, code, klen);
    e->key_len = (uint16_t)code_len;
    e->gun = gun;
    *fresh = true;
    return e;
}

/* ---- the body cursor -------------------------------------------------- */

typedef struct dcur {
    cs_out *o;
    const uint8_t *p; /* the whole PDU */
    uint32_t end;     /* end of the body present (absolute offset) */
    uint32_t pos;     /* absolute offset */
    bool short_;      /* ran out of body (reported once) */
    bool truncated;   /* the PDU is cut short: running out is not a length fault */
    uint16_t plen;    /* the length field */
    const char *what; /* "Real-time data", for messages */
} dcur;

static bool need(dcur *c, uint32_t n, const char *field)
{
    if (n <= c->end - c->pos)
        return true;
    if (!c->short_) {
        c->short_ = true;
        if (!c->truncated)
            cs_viol_add(c->o, DV_BODY_SHORT, -1, c->pos, c->end - c->pos,
                        "Length %u ends the %s body after %u byte%s, in the %s (%u byte%s "
                        "missing)",
                        c->plen, c->what, c->end - D_HDR, c->end - D_HDR == 1 ? "" : "s", field,
                        n - (c->end - c->pos), n - (c->end - c->pos) == 1 ? "" : "s");
    }
    return false;
}

static bool rd_uint(dcur *c, int field, uint32_t size, const char *label, uint32_t *v, int *item)
{
    if (!need(c, size, label))
        return false;
    const uint8_t *q = c->p + c->pos;
    *v = size == 1 ? q[0] : size == 2 ? cs_be16(q) : cs_be32(q);
    int it = cs_item_add(c->o, field, c->pos, size, *v);
    if (item)
        *item = it;
    c->pos += size;
    return true;
}

/* The text of a string field: up to its first NUL. */
typedef struct dstr {
    const uint8_t *s;
    uint32_t n;
} dstr;

/* u16 length + text.  fixed > 0: the document's layout, a fixed field of
 * that many bytes of which the length says how many are text (the layout
 * rule guarantees length <= fixed). */
static bool rd_str(dcur *c, int f_len, int f_str, int f_pad, uint32_t fixed, const char *label,
                   dstr *out)
{
    uint32_t slen;
    int len_it;
    out->s = NULL;
    out->n = 0;
    if (!rd_uint(c, f_len, 2, label, &slen, &len_it))
        return false;
    uint32_t avail = c->end - c->pos;
    uint32_t field = fixed ? fixed : slen;
    uint32_t take = slen < avail ? slen : avail;
    if (fixed && take > fixed)
        take = fixed;
    const uint8_t *s = c->p + c->pos;
    const uint8_t *nul = memchr(s, 0, take);
    uint32_t vis = nul ? (uint32_t)(nul - s) : take;
    cs_item_str(c->o, f_str, c->pos, take, (const char *)s, vis);
    out->s = s;
    out->n = vis;
    if (field > avail) {
        if (!fixed && !c->truncated) {
            cs_viol_add(c->o, DV_STRING_LEN, len_it, c->pos - 2, 2,
                        "The %s length %u runs past the body (%u byte%s left)", label, slen, avail,
                        avail == 1 ? "" : "s");
            c->short_ = true;
        } else {
            need(c, field, label);
        }
        c->pos = c->end;
        return false;
    }
    if (fixed && fixed > take)
        cs_item_add(c->o, f_pad, c->pos + take, fixed - take, 0);
    c->pos += field;
    return true;
}

/* The items of the point at q (offset off, value size sz, 0 = unknown
 * type): the point, and under it its address, type, value and name.
 * Returns the type's item. */
static int point_items(cs_out *o, uint32_t off, const uint8_t *q, uint32_t sz)
{
    uint16_t addr = cs_be16(q);
    uint8_t type = q[2];
    uint32_t value = sz == 1 ? q[3] : sz == 2 ? cs_be16(q + 3) : sz == 4 ? cs_be32(q + 3) : 0;
    const dpoint_name *pn = sz ? point_name(type, addr) : NULL;
    const char *vn = pn && pn->vals ? cs_vs_find(pn->vals, value) : NULL;
    int pit = cs_item_add(o, DF_POINT, off, 3 + sz, 0);
    if (!sz)
        cs_item_text(o, pit, "Point %u: unknown type %u", addr, type);
    else if (vn)
        cs_item_text(o, pit, "Point %u: %s = %u (%s)", addr, pn->name, value, vn);
    else if (pn)
        cs_item_text(o, pit, "Point %u: %s = %u", addr, pn->name, value);
    else
        cs_item_text(o, pit, "Point %u: %s (not in the point table) = %u", addr,
                     cs_vs_name(point_type_vals, type, "?"), value);
    cs_push(o);
    cs_item_add(o, DF_POINT_ADDR, off, 2, addr);
    int tit = cs_item_add(o, DF_POINT_TYPE, off + 2, 1, type);
    if (sz) {
        int vit = cs_item_add(o, DF_POINT_VALUE, off + 3, sz, value);
        if (pn && pn->vals)
            cs_item_text(o, vit, "%u (%s)", value, cs_vs_name(pn->vals, value, "unknown"));
        if (pn) {
            int nit = cs_item_str(o, DF_POINT_NAME, off, 0, pn->name, strlen(pn->name));
            cs_item_flag(o, nit, CS_IF_GENERATED);
        }
    }
    cs_pop(o);
    return tit;
}

/* The points; returns how many whole points of known type were shown. */
static uint32_t points(dcur *c, uint32_t count)
{
    cs_out *o = c->o;
    bool want = (o->want & CS_WANT_ITEMS) != 0;
    uint32_t i;
    for (i = 0; i < count && c->end - c->pos >= 3; i++) {
        const uint8_t *q = c->p + c->pos;
        uint32_t sz = point_size(q[2]);
        if (sz && c->end - c->pos - 3 < sz)
            break; /* a cut point */
        int tit = want ? point_items(o, c->pos, q, sz) : -1;
        if (!sz) {
            cs_viol_add(o, DV_POINT_TYPE, tit, c->pos + 2, 1,
                        "Point %u of %u (address %u) has type %u: the value size is unknown, "
                        "the rest of the points cannot be decoded",
                        i + 1, count, cs_be16(q), q[2]);
            c->pos += 3;
            if (c->pos < c->end)
                cs_item_add(o, DF_POINTS_REST, c->pos, c->end - c->pos, 0);
            c->pos = c->end;
            c->short_ = true; /* nothing more can be said about the body */
            return i;
        }
        c->pos += 3 + sz;
    }
    if (i == count) {
        /* whole points beyond the count, exactly to the end of the body? */
        uint32_t at = c->pos;
        uint32_t extra = scan_points(c->p, &at, c->end, UINT32_MAX);
        if (!extra || at != c->end)
            return count; /* left for the trailing-bytes rule */
        cs_viol_add(o, DV_POINT_COUNT, -1, c->pos, c->end - c->pos,
                    "Point count %u, but the body holds %u points", count, count + extra);
        return count + points(c, extra); /* bounded: scan_points() found exactly these */
    }
    if (c->truncated) {
        c->short_ = true;
        return i;
    }
    uint32_t left = c->end - c->pos;
    if (left) {
        cs_item_add(o, DF_POINTS_REST, c->pos, left, 0);
        cs_viol_add(o, DV_POINT_COUNT, -1, c->pos, left,
                    "Point count %u, but the body holds %u whole point%s and %u byte%s of a cut "
                    "one",
                    count, i, i == 1 ? "" : "s", left, left == 1 ? "" : "s");
    } else {
        cs_viol_add(o, DV_POINT_COUNT, -1, c->pos, 0,
                    "Point count %u, but the body holds only %u point%s", count, i,
                    i == 1 ? "" : "s");
    }
    c->pos = c->end;
    c->short_ = true;
    return i;
}

/* What the stateful part needs from the body. */
typedef struct dsum {
    dstr pile;
    bool have_gun;
    uint8_t gun;
} dsum;

static void info_pile(cs_out *o, const dsum *d)
{
    if (!(o->want & CS_WANT_INFO))
        return;
    if (d->pile.s)
        cs_info(o, " pile %.*s", (int)d->pile.n, (const char *)d->pile.s);
    if (d->have_gun)
        cs_info(o, " gun %u", d->gun);
}

static bool rd_head(dcur *c, bool fixed, dsum *d)
{
    uint32_t v;
    if (!rd_uint(c, DF_ORG, 4, "organisation code", &v, NULL))
        return false;
    if (!rd_str(c, DF_PILE_LEN, DF_PILE, DF_PILE_PAD, fixed ? D_PILE_FIXED : 0, "pile code",
                &d->pile))
        return false;
    if (!rd_uint(c, DF_GUN, 1, "gun number", &v, NULL))
        return false;
    d->gun = (uint8_t)v;
    d->have_gun = true;
    return true;
}

static void realtime(dcur *c, bool fixed, dsum *d)
{
    cs_out *o = c->o;
    uint32_t ptype, count = 0, shown = 0;
    bool got = rd_head(c, fixed, d) && rd_uint(c, DF_PILE_TYPE, 1, "pile type", &ptype, NULL) &&
               rd_uint(c, DF_POINT_COUNT, 2, "point count", &count, NULL);
    if (got)
        shown = points(c, count);
    if (!(o->want & CS_WANT_INFO))
        return;
    cs_info(o, "Real-time data");
    info_pile(o, d);
    if (got && shown == count)
        cs_info(o, ": %u point%s", count, count == 1 ? "" : "s");
    else if (got)
        cs_info(o, ": %u point%s (count says %u)", shown, shown == 1 ? "" : "s", count);
}

static int scaled(cs_out *o, int field, uint32_t raw, double div, int raw_it, const char *fmt)
{
    int it = cs_item_add(o, field, raw_it >= 0 ? o->items[raw_it].offset : 0,
                         raw_it >= 0 ? o->items[raw_it].length : 0, 0);
    if (it >= 0) {
        o->items[it].v.d = raw / div;
        o->items[it].flags |= CS_IF_GENERATED;
        cs_item_text(o, it, fmt, raw / div);
    }
    return it;
}

static void consumption(dcur *c, bool fixed, dsum *d)
{
    cs_out *o = c->o;
    dstr serial;
    uint32_t start, endt, energy = 0, amount = 0, fee;
    int s_it = -1, e_it = -1, it;
    bool got = false;
    if (!rd_head(c, fixed, d) ||
        !rd_str(c, DF_SERIAL_LEN, DF_SERIAL, DF_SERIAL_PAD, fixed ? D_SERIAL_FIXED : 0,
                "transaction serial", &serial))
        goto info;
    if (!rd_uint(c, DF_START, 4, "start time", &start, &s_it) ||
        !rd_uint(c, DF_END, 4, "end time", &endt, &e_it))
        goto info;
    if (s_it >= 0)
        o->items[s_it].v.i = start;
    if (e_it >= 0)
        o->items[e_it].v.i = endt;
    if (endt == start) {
        cs_viol_add(o, DV_TIME_ORDER, e_it, c->pos - 4, 4,
                    "End time equals the start time (the reference server discards such a "
                    "record)");
    } else if (endt < start) {
        cs_viol_add(o, DV_TIME_ORDER, e_it, c->pos - 4, 4,
                    "End time is %u s before the start time (the reference server discards "
                    "such a record)",
                    start - endt);
    } else {
        it = cs_item_add(o, DF_DURATION, c->pos - 8, 8, 0);
        if (it >= 0) {
            o->items[it].v.i = (int64_t)(endt - start) * SEC;
            o->items[it].flags |= CS_IF_GENERATED;
        }
    }
    if (!rd_uint(c, DF_ENERGY, 4, "total energy", &energy, &it))
        goto info;
    if (it >= 0) {
        cs_item_text(o, it, "%u (%u.%03u kWh)", energy, energy / 1000, energy % 1000);
        scaled(o, DF_ENERGY_KWH, energy, 1000.0, it, "%.3f kWh");
    }
    if (!energy)
        cs_viol_add(o, DV_ZERO_ENERGY, it, c->pos - 4, 4,
                    "Consumption record with zero energy (the reference server discards it)");
    if (!rd_uint(c, DF_AMOUNT, 4, "charge amount", &amount, &it))
        goto info;
    if (it >= 0) {
        cs_item_text(o, it, "%u (\u00a5%u.%02u)", amount, amount / 100, amount % 100);
        scaled(o, DF_AMOUNT_YUAN, amount, 100.0, it, "\u00a5%.2f");
    }
    if (!rd_uint(c, DF_FEE, 4, "service fee", &fee, &it))
        goto info;
    if (it >= 0) {
        cs_item_text(o, it, "%u (\u00a5%u.%02u)", fee, fee / 100, fee % 100);
        scaled(o, DF_FEE_YUAN, fee, 100.0, it, "\u00a5%.2f");
    }
    got = true;
info:
    if (!(o->want & CS_WANT_INFO))
        return;
    cs_info(o, "Consumption");
    if (got)
        cs_info(o, " %u.%03u kWh \u00a5%u.%02u,", energy / 1000, energy % 1000, amount / 100,
                amount % 100);
    info_pile(o, d);
}

/* ---- decode ---------------------------------------------------------------- */

static void depgate_decode(void *sv, const uint32_t *opts, const uint8_t *b, size_t n,
                           const cs_ctx *ctx, cs_out *o)
{
    depgate_sess *s = sv;
    if (n < 2 || b[0] != 0x45 || b[1] != 0x43) {
        /* only a caller with whole frames can get here: the framer never
         * starts a PDU elsewhere */
        cs_decode_garbage(&depgate_proto, b, n, ctx, o);
        return;
    }
    cs_out_reset(o);
    o->cksum = CS_CK_ABSENT;
    if (o->want & CS_WANT_ITEMS)
        cs_item_text(o, cs_item_add(o, DF_MAGIC, 0, 2, 0x4543), "0x4543 (\"EC\")");
    if (n < 4) {
        cs_viol_add(o, DV_LEN_TRUNCATED, -1, 0, (uint32_t)n, "Only %zu bytes of a PDU", n);
        cs_info(o, "[truncated PDU]");
        cs_mark_stateless(o);
        return;
    }
    uint16_t plen = cs_be16(b + 2);
    uint32_t total = (uint32_t)plen + 4;
    int len_it = cs_item_add(o, DF_LEN, 2, 2, plen);
    uint32_t present = (uint32_t)n;
    uint32_t end = total < present ? total : present;
    bool truncated = present < total;
    if (plen < 2)
        cs_viol_add(o, DV_LEN_INVALID, len_it, 2, 2, "Length %u: no room for the 2-byte command",
                    plen);
    else if (truncated)
        cs_viol_add(o, DV_LEN_TRUNCATED, len_it, 2, 2,
                    "Length %u announces a %u-byte PDU, only %u bytes present", plen, total,
                    present);
    bool has_cmd = end >= D_HDR;
    uint16_t cmd = has_cmd ? cs_be16(b + 4) : 0;
    int cmd_it = -1;
    if (has_cmd) {
        o->cmd = cmd;
        o->cmd_name = cs_vs_find(cmd_vals, cmd);
        cmd_it = cs_item_add(o, DF_CMD, 4, 2, cmd);
    }

    /* Direction: the gateway is the TCP client. */
    bool gw_only = has_cmd && (cmd == DEPGATE_CMD_REALTIME || cmd == DEPGATE_CMD_CONSUMPTION);
    cs_dir dir = CS_DIR_UNKNOWN;
    cs_dir_source src = CS_DS_NONE;
    if (ctx->dir_override) {
        dir = (cs_dir)ctx->dir_override;
        src = ctx->dir_override_source ? (cs_dir_source)ctx->dir_override_source : CS_DS_OVERRIDE;
    } else if (ctx->transport_dir) {
        dir = (cs_dir)ctx->transport_dir;
        src = CS_DS_TRANSPORT;
    } else if (s && s->role[ctx->side & 1]) {
        dir = (cs_dir)s->role[ctx->side & 1];
        src = CS_DS_LEARNED;
    } else if (gw_only) {
        dir = CS_DIR_TO_SERVER;
        src = CS_DS_SHAPE;
    } else if ((dir = cs_dir_by_ports(ctx)) != CS_DIR_UNKNOWN) {
        src = CS_DS_PORTS;
    }
    cs_item_direction(o, DF_DIRECTION, dir, src, "Gateway to server", "Server to gateway");
    bool from_server = dir == CS_DIR_TO_DEVICE;
    dsum d = {{NULL, 0}, false, 0};
    if (!has_cmd) {
        cs_info(o, plen < 2 ? "[no command]" : "[truncated PDU]");
        cs_mark_stateless(o);
        goto stateful;
    }
    if (from_server && cmd == DEPGATE_CMD_HEARTBEAT)
        cs_viol_add(o, DV_SERVER_HB, cmd_it, 4, 2, NULL);
    else if (from_server)
        cs_viol_add(o, DV_SERVER_UNEXPECTED, cmd_it, 4, 2,
                    "%s from the server: the document defines it only from the gateway, and "
                    "dEpGate does not answer it",
                    o->cmd_name ? o->cmd_name : "Unknown command");

    dcur c = {.o = o, .p = b, .end = end, .pos = D_HDR, .truncated = truncated, .plen = plen,
              .what = cmd == DEPGATE_CMD_REALTIME      ? "real-time data"
                      : cmd == DEPGATE_CMD_CONSUMPTION ? "consumption record"
                                                       : "PDU"};
    bool fixed = !truncated && layout_is_fixed(b, D_HDR, end, cmd);
    if (from_server)
        cs_info(o, "Server: ");
    switch (cmd) {
    case DEPGATE_CMD_HEARTBEAT:
        cs_info(o, "Heartbeat");
        if (c.pos < end) {
            int it = cs_item_add(o, DF_BODY, c.pos, end - c.pos, 0);
            cs_viol_add(o, DV_HB_BODY, it, c.pos, end - c.pos,
                        "Heartbeat with a %u-byte body (the document: it has none)",
                        end - c.pos);
            cs_info(o, " [%u-byte body]", end - c.pos);
            c.pos = end;
        }
        break;
    case DEPGATE_CMD_REALTIME:
    case DEPGATE_CMD_CONSUMPTION: {
        int it = cs_item_add(o, DF_LAYOUT, 0, 0, fixed);
        cs_item_flag(o, it, CS_IF_GENERATED);
        if (fixed)
            cs_viol_add(o, DV_LAYOUT_FIXED, it, D_HDR, end - D_HDR, NULL);
        if (cmd == DEPGATE_CMD_REALTIME)
            realtime(&c, fixed, &d);
        else
            consumption(&c, fixed, &d);
        if (fixed)
            cs_info(o, " [document layout]");
        break;
    }
    default:
        cs_viol_add(o, DV_CMD_UNKNOWN, cmd_it, 4, 2, "Unknown command %u (0x%04X)", cmd, cmd);
        cs_info(o, "Unknown command %u (%u-byte body)", cmd, end - c.pos);
        if (c.pos < end)
            cs_item_add(o, DF_BODY, c.pos, end - c.pos, 0);
        c.pos = end;
        break;
    }
    if (c.pos < c.end && !c.short_) {
        int it = cs_item_add(o, DF_TRAILING, c.pos, c.end - c.pos, 0);
        cs_viol_add(o, DV_BODY_TRAILING, it, c.pos, c.end - c.pos,
                    "%u byte%s after the fields of the %s", c.end - c.pos,
                    c.end - c.pos == 1 ? "" : "s", c.what);
    }
    if (truncated)
        cs_info(o, " [truncated]");
    else if (c.short_)
        cs_info(o, " [malformed]");
    cs_mark_stateless(o);

stateful:
    /* ---- session rules ---- */
    if (!s)
        return;
    if ((src == CS_DS_SHAPE || src == CS_DS_TRANSPORT) && !s->role[ctx->side & 1]) {
        s->role[ctx->side & 1] = (uint8_t)dir;
        s->role[(ctx->side & 1) ^ 1] =
            (uint8_t)(dir == CS_DIR_TO_SERVER ? CS_DIR_TO_DEVICE : CS_DIR_TO_SERVER);
    }
    if (dir != CS_DIR_TO_SERVER)
        return;
    int64_t tol = (int64_t)opts[DO_TOLERANCE] * SEC;
    if (s->gw_seen && ctx->ts_ns >= s->gw_last_ns) {
        int64_t gap = ctx->ts_ns - s->gw_last_ns;
        int it = cs_item_add(o, DF_GW_GAP, 0, 0, 0);
        if (it >= 0) {
            o->items[it].v.i = gap;
            o->items[it].flags |= CS_IF_GENERATED;
        }
        uint32_t hb = opts[DO_HB_INTERVAL], link = opts[DO_LINK_TIMEOUT];
        if (hb && gap > (int64_t)hb * SEC + tol)
            cs_viol_add(o, DV_HB_LATE, it, 0, 0,
                        "The gateway sent nothing for %.1f s; it sends a heartbeat after %u s "
                        "without other traffic (tolerance %u s)",
                        (double)gap / 1e9, hb, opts[DO_TOLERANCE]);
        if (link && gap > (int64_t)link * SEC + tol)
            cs_viol_add(o, DV_LINK_SILENCE, it, 0, 0,
                        "The gateway was silent for %.1f s on a link the server closes after "
                        "%u s without a gateway PDU (tolerance %u s)",
                        (double)gap / 1e9, link, opts[DO_TOLERANCE]);
    }
    s->gw_seen = true;
    s->gw_last_ns = ctx->ts_ns;

    if (cmd == DEPGATE_CMD_REALTIME && d.pile.s && d.have_gun) {
        bool fresh;
        rt_entry *e = rt_get(s, d.pile.s, d.pile.n, d.gun, &fresh);
        if (!fresh && ctx->ts_ns >= e->last_ns) {
            int64_t gap = ctx->ts_ns - e->last_ns;
            int it = cs_item_add(o, DF_RT_GAP, 0, 0, 0);
            if (it >= 0) {
                o->items[it].v.i = gap;
                o->items[it].flags |= CS_IF_GENERATED;
            }
            uint32_t rt = opts[DO_RT_INTERVAL];
            if (rt && gap > (int64_t)rt * SEC + tol)
                cs_viol_add(o, DV_RT_LATE, it, 0, 0,
                            "Real-time data of pile %.*s gun %u %.1f s after the previous one "
                            "(interval %u s, tolerance %u s)",
                            (int)d.pile.n, (const char *)d.pile.s, d.gun, (double)gap / 1e9, rt,
                            opts[DO_TOLERANCE]);
        }
        e->last_ns = ctx->ts_ns;
    }
}

const cs_proto depgate_proto = {
    .name = "depgate",
    .short_name = "dEpGate",
    .long_name = "dEpGate EC charging gateway protocol",
    .fields = fields,
    .n_fields = DF__COUNT,
    .violations = violations,
    .n_violations = DV__COUNT,
    .options = options,
    .n_options = DO__COUNT,
    .transports = CS_TR_TCP,
    .tcp_ports = "8003",
    .udp_ports = "",
    .f_garbage = DF_GARBAGE,
    .f_request_in = -1,
    .f_response_in = -1,
    .f_response_time = -1,
    .v_garbage = DV_GARBAGE,
    .v_unanswered = -1,
    .v_truncated = DV_LEN_TRUNCATED,
    .frame_min = 4,
    .frame = depgate_frame,
    .probe = depgate_probe,
    .sess_size = sizeof(depgate_sess),
    .sess_init = depgate_sess_init,
    .sess_fini = NULL,
    .decode = depgate_decode,
    .sess_end = NULL,
};
