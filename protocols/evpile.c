/*
 * evpile.c - EV charging pile protocol (header 0x75 0x72, "ur").
 *
 * Sources: seed 004 (appendix 7.1 of a 44-page pile protocol; only its 19
 * example frames survive) and protocol-facts section 5, which decodes them
 * byte by byte.  docs/protocols/evpile.md records every decision taken
 * where the appendix is silent, with its evidence.
 *
 * Frame (integers little-endian):
 *   0      2  magic      75 72
 *   2      2  L          total length - 2
 *   4      4  terminal   shown as 8 decimal digits ("01122334")
 *   8      1  cmd
 *   9      1  src        0x10 pile -> platform, 0x00/0x01 platform -> pile
 *   10     1  type       0x00 platform command, 0x02 pile report, 0x01 response
 *   11     n  data       n = total - 16
 *   L-3    1  0x68       end marker (offset total - 5)
 *   L-2    4  checksum   u32, sum of every byte from the magic through 0x68
 * Data areas are fixed layouts, point lists (count u16 + addresses u16) or
 * TLV lists (count u16 + {addr u16, len u8, value}).
 */
#include "evpile.h"

#include "cs_impl.h"

#include <stdio.h>

#define E_HDR 11         /* magic .. type */
#define E_MIN 16         /* a frame with no data */
#define E_END 0x68       /* end marker */
#define E_MAX_LEN 4096   /* framing plausibility bound on L; see docs */

/* ---- value names --------------------------------------------------------- */

static const cs_vs cmd_vals[] = {
    {0x01, "Heartbeat"},
    {0x02, "Login"},
    {0x04, "Get terminal data"},
    {0x05, "Set rates"},
    {0x06, "Upload charging bill"},
    {0x08, "Time sync"},
    {0x09, "Get real-time data"},
    {0x30, "Card authentication"},
    {0, NULL},
};

/* Short names for the Info column. */
static const cs_vs cmd_short[] = {
    {0x01, "Heartbeat"},  {0x02, "Login"},     {0x04, "Get terminal data"},
    {0x05, "Set rates"},  {0x06, "Bill upload"}, {0x08, "Time sync"},
    {0x09, "Get real-time data"}, {0x30, "Card auth"}, {0, NULL},
};

static const cs_vs type_vals[] = {
    {0x00, "Command (platform-initiated)"},
    {0x01, "Response"},
    {0x02, "Report or request (pile-initiated)"},
    {0, NULL},
};

static const cs_vs src_sender_vals[] = {
    {0x0, "platform to pile"},
    {0x1, "pile to platform"},
    {0, NULL},
};

/* Addresses of points and TLV items whose meaning the examples suggest.
 * Every name is a hypothesis (protocol-facts 5.3). */
static const cs_vs addr_vals[] = {
    {0x002C, "Pile or asset number? [inferred]"},
    {0x0104, "Card number [inferred]"},
    {0x0105, "Order number? (DDhhmmss) [inferred]"},
    {0x0106, "Balance at authorisation [inferred]"},
    {0x0113, "Charging start time [inferred]"},
    {0x0114, "Charging end time [inferred]"},
    {0x0115, "Reference, as in the card reply and the confirmation [inferred]"},
    {0x0116, "Value echoed in the confirmation [inferred]"},
    {0x0117, "Per-period values? [inferred]"},
    {0x0B02, "Card or account number? [inferred]"},
    {0x0B03, "Order number? (DDhhmmss) [inferred]"},
    {0, NULL},
};

/* The name of point/TLV address a; buf holds a formatted one. */
static const char *addr_name(uint16_t a, char *buf, size_t n)
{
    const char *k = cs_vs_find(addr_vals, a);
    if (k)
        return k;
    if (a >= 0x15 && a <= 0x1E) {
        snprintf(buf, n, "Tariff period %u price (0.01/kWh) [inferred]", a - 0x14u);
        return buf;
    }
    if (a >= 0x1F && a <= 0x28) {
        snprintf(buf, n, "Tariff period %u start hour [inferred]", a - 0x1Eu);
        return buf;
    }
    switch (a >> 8) {
    case 0x00: return "Terminal parameter";
    case 0x01: return "Bill item";
    case 0x06: return "Group 0x06 item";
    case 0x0B: return "Real-time item";
    default: return "Item of an unknown group";
    }
}

/* BCD times among the TLV items: decoded as times [V: 2017-11-10 15:03:44
 * and 15:03:54 in the bill]. */
static bool addr_is_time(uint16_t a) { return a == 0x0113 || a == 0x0114; }

/* ---- fields --------------------------------------------------------------- */

#define F(abbrev, name, type, base, vals, unit, blurb, flags) \
    {abbrev, name, type, base, vals, unit, blurb, flags, -1}

static const cs_field_def fields[EF__COUNT] = {
    [EF_MAGIC] = F("evpile.magic", "Magic", CS_FT_U16, CS_BASE_HEX, NULL, NULL,
                   "75 72 (\"ur\") at the start of every frame", 0),
    [EF_LEN] = F("evpile.len", "Length", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                 "u16 little-endian: the frame's total length - 2", 0),
    [EF_TERMINAL] = F("evpile.terminal", "Terminal number", CS_FT_STRING, CS_BASE_NONE, NULL,
                      NULL, "u32 little-endian, shown as its 8-digit decimal (01122334)", 0),
    [EF_CMD] = F("evpile.cmd", "Command", CS_FT_U8, CS_BASE_HEX, cmd_vals, NULL,
                 "Same code in the request and its response", 0),
    [EF_SRC] = F("evpile.src", "Source", CS_FT_U8, CS_BASE_HEX, NULL, NULL,
                 "0x10 in every pile frame, 0x00 or 0x01 in platform frames: the high nibble "
                 "names the sender",
                 CS_FF_INFERRED | CS_FF_SUBTREE),
    [EF_SRC_LOW] = F("evpile.src.low", "Low nibble (gun or channel?)", CS_FT_U8, CS_BASE_DEC,
                     NULL, NULL, "Nonzero once in the examples (a real-time request)",
                     CS_FF_INFERRED),
    [EF_TYPE] = F("evpile.type", "Frame type", CS_FT_U8, CS_BASE_HEX, type_vals, NULL,
                  "0x00 platform command, 0x02 pile report or request, 0x01 response, as "
                  "observed in all 19 examples",
                  CS_FF_INFERRED),
    [EF_DIRECTION] = F("evpile.direction", "Direction", CS_FT_U8, CS_BASE_DEC, cs_dir_vals, NULL,
                       "Pile to platform or platform to pile, and how it was decided",
                       CS_FF_GENERATED),
    [EF_DATA] = F("evpile.data", "Data", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                  "Data whose layout is not known", 0),
    [EF_END] = F("evpile.end", "End marker", CS_FT_U8, CS_BASE_HEX, NULL, NULL,
                 "0x68, five bytes before the frame's end", 0),
    [EF_CHECKSUM] = {"evpile.checksum", "Checksum", CS_FT_U32, CS_BASE_HEX, NULL, NULL,
                     "u32 little-endian: the sum of every byte from the magic through the end "
                     "marker",
                     CS_FF_CHECKSUM, EF_CHECKSUM_STATUS},
    [EF_CHECKSUM_STATUS] = F("evpile.checksum.status", "Checksum status", CS_FT_U8, CS_BASE_NONE,
                             cs_cksum_vals, NULL, NULL, CS_FF_GENERATED),
    [EF_TRAILING] = F("evpile.trailing", "Trailing bytes", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                      "Bytes after the fields of the message or after the frame's end", 0),
    [EF_GARBAGE] = F("evpile.garbage.data", "Garbage", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                     "Bytes between PDUs that do not start a frame", CS_FF_GARBAGE),
    [EF_RESULT] = F("evpile.result", "Result", CS_FT_U8, CS_BASE_DEC, NULL, NULL,
                    "Result or acknowledgement byte; 0x01 in the heartbeat ack and login reply, "
                    "0x00 in the time sync confirm and card reply, so the convention is unclear",
                    CS_FF_INFERRED),
    [EF_RESERVED] = F("evpile.reserved", "Unknown (zero in the examples)", CS_FT_BYTES,
                      CS_BASE_NONE, NULL, NULL, "Padding or reserved bytes", CS_FF_INFERRED),
    [EF_AFTER_NUL] = F("evpile.after_nul", "Bytes after the NUL", CS_FT_BYTES, CS_BASE_NONE, NULL,
                       NULL, "Nonzero bytes after the string's terminating NUL", 0),
    [EF_HB_PERIOD] = F("evpile.heartbeat.period", "Heartbeat period", CS_FT_U8, CS_BASE_DEC, NULL,
                       "s", "0x1E = 30 in the example", CS_FF_INFERRED),
    [EF_HB_COUNTER] = F("evpile.heartbeat.counter", "Counter or status", CS_FT_U32, CS_BASE_DEC,
                        NULL, NULL, "u32 little-endian, 1 in the example", CS_FF_INFERRED),
    [EF_LOGIN_TIME] = F("evpile.login.time", "Pile time", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                        "7-byte BCD, year low byte first; the pile's clock, no time zone", 0),
    [EF_LOGIN_UNKNOWN_A] = F("evpile.login.unknown_a", "Unknown byte", CS_FT_U8, CS_BASE_HEX,
                             NULL, NULL, "0x05 in both logins: version, gun count or type?",
                             CS_FF_INFERRED),
    [EF_LOGIN_UNKNOWN_B] = F("evpile.login.unknown_b", "Unknown, 4 bytes", CS_FT_BYTES,
                             CS_BASE_NONE, NULL, NULL, "4 bytes, zero in both logins", 0),
    [EF_LOGIN_UNKNOWN_C] = F("evpile.login.unknown_c", "Unknown u16", CS_FT_U16, CS_BASE_HEX,
                             NULL, NULL,
                             "0x0526 in both logins (little-endian): 1318, or version 5.26?",
                             CS_FF_INFERRED),
    [EF_LOGIN_UNKNOWN_D] = F("evpile.login.unknown_d", "Unknown, 2 bytes", CS_FT_BYTES,
                             CS_BASE_NONE, NULL, NULL, "2 bytes, zero in both logins", 0),
    [EF_LOGIN_EXTRA] = F("evpile.login.extra", "Extra login bytes", CS_FT_BYTES, CS_BASE_NONE,
                         NULL, NULL,
                         "16 more bytes in the 32-byte login variant (zero in the example): "
                         "padding, a password or a serial?",
                         CS_FF_INFERRED),
    [EF_LOGIN_REPLY_WORD] = F("evpile.login.reply_word", "Unknown u16", CS_FT_U16, CS_BASE_HEX,
                              NULL, NULL,
                              "1C 70 in the example: u16 0x701C, or two bytes 28 and 112?",
                              CS_FF_INFERRED),
    [EF_SYNC_TIME] = F("evpile.timesync.time", "Platform time", CS_FT_STRING, CS_BASE_NONE, NULL,
                       NULL, "7-byte BCD, year low byte first; no time zone", 0),
    [EF_CARD] = F("evpile.card", "Card number", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                  "20 bytes ASCII, NUL-padded", CS_FF_SUBTREE),
    [EF_CARD_BALANCE] = F("evpile.card.balance", "Balance", CS_FT_U32, CS_BASE_DEC, NULL, NULL,
                          "u32, in 0.01 currency units? (11000 = 110.00; the bill's 0x0106 "
                          "repeats it)",
                          CS_FF_INFERRED),
    [EF_CARD_REF] = F("evpile.card.ref", "Reference", CS_FT_U32, CS_BASE_DEC, NULL, NULL,
                      "u32; the bill's item 0x0115 and its confirmation repeat it: an account or "
                      "transaction ID?",
                      CS_FF_INFERRED),
    [EF_CARD_UNKNOWN] = F("evpile.card.unknown", "Unknown u32", CS_FT_U32, CS_BASE_DEC, NULL, NULL,
                          "30 in the example", 0),
    [EF_BILL_ACK_COUNT] = F("evpile.bill_ack.count", "Item count", CS_FT_U16, CS_BASE_DEC, NULL,
                            NULL, "Equals the bill's TLV count in the example: an echo?",
                            CS_FF_INFERRED),
    [EF_BILL_ACK_REF] = F("evpile.bill_ack.ref", "Reference", CS_FT_U32, CS_BASE_DEC, NULL, NULL,
                          "Equals the bill's item 0x0115 in the example", CS_FF_INFERRED),
    [EF_BILL_ACK_VALUE] = F("evpile.bill_ack.value", "Value", CS_FT_U32, CS_BASE_DEC, NULL, NULL,
                            "Equals the bill's item 0x0116 in the example", CS_FF_INFERRED),
    [EF_BILL_ACK_RESULT] = F("evpile.bill_ack.result", "Result", CS_FT_U32, CS_BASE_DEC, NULL,
                             NULL, "0 in the example", CS_FF_INFERRED),
    [EF_POINTS] = F("evpile.points", "Point list", CS_FT_NONE, CS_BASE_NONE, NULL, NULL,
                    "Count, then the addresses asked for", CS_FF_SUBTREE),
    [EF_POINTS_COUNT] = F("evpile.points.count", "Count", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                          NULL, 0),
    [EF_POINT] = F("evpile.point", "Point", CS_FT_U16, CS_BASE_HEX, NULL, NULL,
                   "An address: 0x00xx terminal parameter, 0x0Bxx real-time item, 0x06xx unknown "
                   "group",
                   0),
    [EF_TLVS] = F("evpile.tlvs", "Item list", CS_FT_NONE, CS_BASE_NONE, NULL, NULL,
                  "Count, then {address u16, length u8, value}", CS_FF_SUBTREE),
    [EF_TLVS_COUNT] = F("evpile.tlvs.count", "Count", CS_FT_U16, CS_BASE_DEC, NULL, NULL, NULL, 0),
    [EF_TLV] = F("evpile.tlv", "Item", CS_FT_NONE, CS_BASE_NONE, NULL, NULL, NULL, CS_FF_SUBTREE),
    [EF_TLV_ADDR] = F("evpile.tlv.addr", "Address", CS_FT_U16, CS_BASE_HEX, NULL, NULL,
                      "The high byte selects the group: 0x00 terminal parameters, 0x01 bill, "
                      "0x0B real-time data, 0x06 unknown",
                      0),
    [EF_TLV_LEN] = F("evpile.tlv.len", "Length", CS_FT_U8, CS_BASE_DEC, NULL, NULL,
                     "Always the in-band length: the same address has different lengths in "
                     "different frames",
                     0),
    [EF_TLV_VALUE] = F("evpile.tlv.value", "Value", CS_FT_U32, CS_BASE_DEC, NULL, NULL,
                       "A 1, 2 or 4-byte value as a little-endian number", 0),
    [EF_TLV_STRING] = F("evpile.tlv.string", "Text", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                        "A longer value that is printable text, NUL-padded", CS_FF_SUBTREE),
    [EF_TLV_BYTES] = F("evpile.tlv.bytes", "Bytes", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                       "A longer value that is not text", CS_FF_SUBTREE),
    [EF_TLV_TIME] = F("evpile.tlv.time", "Time", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                      "7-byte BCD, year low byte first (items 0x0113 and 0x0114)", 0),
    [EF_TLV_WORD] = F("evpile.tlv.word", "u32", CS_FT_U32, CS_BASE_DEC, NULL, NULL,
                      "One little-endian u32 of item 0x0117", 0),
    [EF_REQUEST_IN] = {"evpile.request_in", "Request in frame", CS_FT_FRAMENUM, CS_BASE_NONE,
                       NULL, NULL, "The request this PDU answers",
                       CS_FF_GENERATED | CS_FF_FN_REQUEST, -1},
    [EF_RESPONSE_IN] = {"evpile.response_in", "Response in frame", CS_FT_FRAMENUM, CS_BASE_NONE,
                        NULL, NULL, "The response to this request",
                        CS_FF_GENERATED | CS_FF_FN_RESPONSE, -1},
    [EF_RESPONSE_TIME] = F("evpile.response_time", "Response time", CS_FT_RELTIME, CS_BASE_NONE,
                           NULL, NULL, "Time from the request to this response", CS_FF_GENERATED),
    [EF_HB_GAP] = F("evpile.heartbeat.gap", "Time since previous heartbeat", CS_FT_RELTIME,
                    CS_BASE_NONE, NULL, NULL, "Or since the login, for the first heartbeat",
                    CS_FF_GENERATED),
    [EF_HB_EXPECTED] = F("evpile.heartbeat.expected", "Expected heartbeat period", CS_FT_U32,
                         CS_BASE_DEC, NULL, "s",
                         "The period the pile announces in its heartbeat, or the "
                         "heartbeat_interval preference",
                         CS_FF_GENERATED),
};

/* ---- violations ----------------------------------------------------------- */

static const cs_violation_def violations[EV__COUNT] = {
    [EV_MAGIC_BAD] = {"evpile.magic.bad", CS_SEV_ERROR, CS_GRP_MALFORMED,
                      "The frame does not start with 75 72"},
    [EV_LEN_TRUNCATED] = {"evpile.len.truncated", CS_SEV_ERROR, CS_GRP_MALFORMED,
                          "Frame cut short: the length announces more bytes than are present"},
    [EV_LEN_MISMATCH] = {"evpile.len.mismatch", CS_SEV_ERROR, CS_GRP_MALFORMED,
                         "The length disagrees with where the frame ends"},
    [EV_END_MISSING] = {"evpile.end.missing", CS_SEV_ERROR, CS_GRP_MALFORMED,
                        "No 0x68 end marker five bytes before the frame's end"},
    [EV_CHECKSUM_BAD] = {"evpile.checksum.bad", CS_SEV_ERROR, CS_GRP_CHECKSUM, "Bad checksum"},
    [EV_CMD_UNKNOWN] = {"evpile.cmd.unknown", CS_SEV_WARN, CS_GRP_UNDECODED, "Unknown command"},
    [EV_TYPE_UNKNOWN] = {"evpile.type.unknown", CS_SEV_WARN, CS_GRP_PROTOCOL,
                         "Frame type other than 0x00, 0x01 and 0x02"},
    [EV_TYPE_UNEXPECTED] = {"evpile.type.unexpected", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                            "Frame type or source unlike every example of the command"},
    [EV_SRC_UNKNOWN] = {"evpile.src.unknown", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                        "Source byte whose high nibble is neither 0 (platform) nor 1 (pile)"},
    [EV_DIR_MISMATCH] = {"evpile.direction.mismatch", CS_SEV_WARN, CS_GRP_PROTOCOL,
                         "The source byte names the other side than the TCP handshake"},
    [EV_DATA_SHORT] = {"evpile.data.short", CS_SEV_ERROR, CS_GRP_MALFORMED,
                       "Data shorter than the message's fields"},
    [EV_DATA_TRAILING] = {"evpile.data.trailing", CS_SEV_WARN, CS_GRP_MALFORMED,
                          "Bytes left over after the message's fields"},
    [EV_TIME_INVALID] = {"evpile.time.invalid", CS_SEV_WARN, CS_GRP_PROTOCOL,
                         "BCD time with a non-decimal digit or an impossible date"},
    [EV_LIST_OVERRUN] = {"evpile.list.overrun", CS_SEV_ERROR, CS_GRP_MALFORMED,
                         "A point or TLV list runs past the data"},
    [EV_LIST_COUNT] = {"evpile.list.count_mismatch", CS_SEV_ERROR, CS_GRP_MALFORMED,
                       "A list's count disagrees with the items present"},
    [EV_POINTS_MISMATCH] = {"evpile.points.mismatch", CS_SEV_WARN, CS_GRP_PROTOCOL,
                            "The reply's addresses are not the points its request asked for"},
    [EV_HB_LATE] = {"evpile.heartbeat.late", CS_SEV_WARN, CS_GRP_SEQUENCE,
                    "Heartbeat later than the period"},
    [EV_UNSOLICITED] = {"evpile.response.unsolicited", CS_SEV_WARN, CS_GRP_SEQUENCE,
                        "Response without a request"},
    [EV_UNANSWERED] = {"evpile.request.unanswered", CS_SEV_WARN, CS_GRP_SEQUENCE,
                       "Request never answered"},
    [EV_GARBAGE] = {"evpile.garbage", CS_SEV_ERROR, CS_GRP_MALFORMED,
                    "Bytes between PDUs that are not a frame"},
};

/* ---- options --------------------------------------------------------------- */

static const cs_option_def options[EO__COUNT] = {
    [EO_VERIFY_CHECKSUM] = {"verify_checksum", "Verify the checksum",
                            "Compare the checksum with the sum of the bytes from 75 through 68",
                            CS_OPT_BOOL, 1, NULL},
    [EO_HB_INTERVAL] = {"heartbeat_interval", "Heartbeat period (seconds)",
                        "Expected pile heartbeat period when the heartbeat announces none (or "
                        "heartbeat_announced is off)",
                        CS_OPT_UINT, 30, NULL},
    [EO_HB_TOLERANCE] = {"heartbeat_tolerance", "Heartbeat tolerance (percent)",
                         "A heartbeat is late when the gap exceeds the period by more than this",
                         CS_OPT_UINT, 50, NULL},
    [EO_HB_ANNOUNCED] = {"heartbeat_announced",
                         "Use the period the pile announces in its heartbeat",
                         "The first data byte of the pile's heartbeat is taken as its period in "
                         "seconds (0x1E = 30 in the example; an inference)",
                         CS_OPT_BOOL, 1, NULL},
};

/* ---- commands ----------------------------------------------------------------- */

typedef struct ecmd {
    uint8_t cmd;
    uint8_t initiator; /* cs_dir the request travels */
} ecmd;

static const ecmd cmds[] = {
    {0x01, CS_DIR_TO_SERVER}, {0x02, CS_DIR_TO_SERVER}, {0x04, CS_DIR_TO_DEVICE},
    {0x05, CS_DIR_TO_DEVICE}, {0x06, CS_DIR_TO_SERVER}, {0x08, CS_DIR_TO_DEVICE},
    {0x09, CS_DIR_TO_DEVICE}, {0x30, CS_DIR_TO_SERVER},
};

static const ecmd *find_cmd(uint8_t cmd)
{
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (cmds[i].cmd == cmd)
            return &cmds[i];
    return NULL;
}

static cs_dir opposite(cs_dir d)
{
    return d == CS_DIR_TO_SERVER ? CS_DIR_TO_DEVICE
           : d == CS_DIR_TO_DEVICE ? CS_DIR_TO_SERVER
                                   : CS_DIR_UNKNOWN;
}

static const char *side_name(cs_dir d)
{
    return d == CS_DIR_TO_SERVER ? "pile" : d == CS_DIR_TO_DEVICE ? "platform" : "unknown side";
}

/* ---- framing and heuristic --------------------------------------------- */

static bool header_plausible(const uint8_t *p)
{
    uint16_t len = cs_le16(p + 2);
    return p[0] == 0x75 && p[1] == 0x72 && len >= E_MIN - 2 && len <= E_MAX_LEN;
}

static cs_frame_kind evpile_frame(const uint8_t *buf, size_t avail, size_t *len)
{
    if (avail >= 4 && header_plausible(buf)) {
        *len = (size_t)cs_le16(buf + 2) + 2;
        return CS_FRAME_PDU;
    }
    if (avail < 4 && buf[0] == 0x75 && (avail < 2 || buf[1] == 0x72)) {
        *len = 4;
        return CS_FRAME_NEED;
    }
    /* Garbage: skip to the next 75 72 with a plausible length, or to a
     * 75 / 75 72 / 75 72 xx at the end that may start one. */
    for (size_t i = 1; i < avail; i++) {
        if (buf[i] != 0x75)
            continue;
        if (i + 1 == avail ||
            (buf[i + 1] == 0x72 && (i + 4 > avail || header_plausible(buf + i)))) {
            *len = i;
            return CS_FRAME_SKIP;
        }
    }
    *len = avail;
    return CS_FRAME_SKIP;
}

/* Strict: every frame at the start of the payload has the magic and a
 * plausible length, and the end marker where the length puts it when the
 * whole frame is present; bytes after the last whole frame begin another. */
static bool evpile_probe(const uint8_t *buf, size_t len, bool udp)
{
    if (udp || len < 4)
        return false;
    size_t off = 0;
    while (off < len) {
        size_t rest = len - off;
        const uint8_t *p = buf + off;
        if (rest < 4)
            return p[0] == 0x75 && (rest < 2 || p[1] == 0x72);
        if (!header_plausible(p))
            return false;
        size_t total = (size_t)cs_le16(p + 2) + 2;
        if (total > rest)
            return true; /* continues in a later segment */
        if (p[total - 5] != E_END)
            return false;
        off += total;
    }
    return true;
}

/* ---- sessions ------------------------------------------------------------- */

typedef struct evpile_sess {
    uint32_t opts[CS_MAX_OPTS];
    bool start_seen;
    bool dir_mismatch_seen; /* reported once per conversation */
    uint8_t role[2];        /* learned cs_dir of what each side sends */
    int64_t hb_ref_ns;      /* previous pile heartbeat or login, 0 = none */
    cs_rr rr;               /* requests that expect a reply */
    cs_rr noreply;          /* set rates: linked if answered, never missed */
} evpile_sess;

static void evpile_sess_init(void *sv, const uint32_t *opts, bool start_seen)
{
    evpile_sess *s = sv;
    /* the tables' entries are read up to their counts only */
    memset(s, 0, offsetof(evpile_sess, rr.e));
    s->noreply.n = 0;
    memcpy(s->opts, opts, sizeof s->opts);
    s->start_seen = start_seen;
}

static void evpile_sess_fini(void *sv) { (void)sv; }

static void evpile_sess_end(void *sv, cs_out *o)
{
    evpile_sess *s = sv;
    cs_out_reset(o);
    cs_rr_end(&s->rr, &evpile_proto, o);
    s->noreply.n = 0; /* documented as not answered */
}

/* ---- the data cursor ----------------------------------------------------------- */

typedef struct ecur {
    cs_out *o;
    const uint8_t *p; /* the whole PDU */
    uint32_t pos;     /* absolute offset */
    uint32_t end;     /* end of the data present (absolute offset) */
    bool short_;      /* ran out of data */
    bool quiet;       /* the frame is cut short: shortage already reported */
    bool items;       /* items are wanted (names need formatting) */
    bool info;        /* the Info column is wanted */
    uint8_t cmd;      /* for messages: "Login" (what_name) */
    /* what the lists found, for the Info column and the session */
    uint32_t list_hash; /* addresses in order; 0 = no intact list */
    uint32_t list_count;
    char card[24];
} ecur;

/* The message's name for texts: looked up only when a text is built. */
static const char *what_name(const ecur *c) { return cs_vs_name(cmd_short, c->cmd, "the message"); }

static bool need(ecur *c, uint32_t n)
{
    if (c->pos <= c->end && n <= c->end - c->pos)
        return true;
    if (!c->short_) {
        c->short_ = true;
        if (!c->quiet) {
            uint32_t have = c->end - E_HDR;
            cs_viol_add(c->o, EV_DATA_SHORT, -1, c->pos, c->end - c->pos,
                        "Data ends after %u byte%s; %s needs at least %u", have,
                        have == 1 ? "" : "s", what_name(c), c->pos + n - E_HDR);
        }
    }
    return false;
}

/* A little-endian number of 1, 2 or 4 bytes. */
static bool rd_num(ecur *c, int field, uint32_t width, uint32_t *v, int *item)
{
    if (!need(c, width))
        return false;
    const uint8_t *p = c->p + c->pos;
    *v = width == 1 ? p[0] : width == 2 ? cs_le16(p) : cs_le32(p);
    int it = cs_item_add(c->o, field, c->pos, width, *v);
    if (item)
        *item = it;
    c->pos += width;
    return true;
}

static bool rd_bytes(ecur *c, int field, uint32_t n)
{
    if (!need(c, n))
        return false;
    cs_item_add(c->o, field, c->pos, n, 0);
    c->pos += n;
    return true;
}

/* The result byte of an acknowledgement. */
static bool rd_result(ecur *c, uint32_t *v)
{
    if (!rd_num(c, EF_RESULT, 1, v, NULL))
        return false;
    c->o->result = *v;
    c->o->result_name = "Result";
    return true;
}

/* A NUL-padded string at p[off..off+len): the text before the first NUL is
 * the value; nonzero bytes after the NUL are shown, never hidden. */
static int put_string(cs_out *o, int field, const uint8_t *p, uint32_t off, uint32_t len,
                      char *out, size_t outsz)
{
    const uint8_t *nul = memchr(p + off, 0, len);
    uint32_t vis = nul ? (uint32_t)(nul - (p + off)) : len;
    int it = cs_item_str(o, field, off, len, (const char *)p + off, vis);
    bool rest = false;
    for (uint32_t i = vis + 1; it >= 0 && i < len; i++)
        if (p[off + i])
            rest = true;
    if (rest) {
        cs_push(o);
        cs_item_add(o, EF_AFTER_NUL, off + vis + 1, len - vis - 1, 0);
        cs_pop(o);
    }
    if (out && outsz) {
        size_t k = vis < outsz - 1 ? vis : outsz - 1;
        for (size_t i = 0; i < k; i++)
            out[i] = (p[off + i] >= 0x20 && p[off + i] < 0x7F) ? (char)p[off + i] : '?';
        out[k] = '\0';
    }
    return it;
}

/* ---- BCD time ---------------------------------------------------------------- */

/* `YYlo YYhi MM DD hh mm ss` as "2017-11-10 14:46:30" (each BCD byte's two
 * nibbles printed as they are, so a bad digit shows as a hex letter). */
#define BCD_TEXT 20
static void bcd_text(const uint8_t *t, char out[BCD_TEXT])
{
    static const char hx[] = "0123456789ABCDEF";
    static const uint8_t order[7] = {1, 0, 2, 3, 4, 5, 6};
    static const char sep[7] = {0, '-', '-', ' ', ':', ':', 0};
    char *d = out;
    for (int i = 0; i < 7; i++) {
        uint8_t v = t[order[i]];
        *d++ = hx[v >> 4];
        *d++ = hx[v & 15];
        if (sep[i])
            *d++ = sep[i];
    }
    *d = '\0';
}

/* NULL when the BCD time at t is valid, else why not (in why). */
static const char *bcd_invalid(const uint8_t *t, char *why, size_t wn)
{
    static const char *const part[7] = {"year", "year", "month", "day", "hour", "minute", "second"};
    int d[7];
    for (int i = 0; i < 7; i++)
        if ((d[i] = cs_bcd2(t[i])) < 0) {
            snprintf(why, wn, "the %s byte 0x%02X is not BCD", part[i], t[i]);
            return why;
        }
    int year = d[1] * 100 + d[0];
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (d[2] < 1 || d[2] > 12)
        snprintf(why, wn, "month %d", d[2]);
    else if (d[3] < 1 || d[3] > dim[d[2] - 1] + (d[2] == 2 && leap))
        snprintf(why, wn, "day %d in month %d of %d", d[3], d[2], year);
    else if (d[4] > 23)
        snprintf(why, wn, "hour %d", d[4]);
    else if (d[5] > 59)
        snprintf(why, wn, "minute %d", d[5]);
    else if (d[6] > 59)
        snprintf(why, wn, "second %d", d[6]);
    else
        return NULL;
    return why;
}

/* A BCD time item at the cursor; its text into out (for the item, the
 * Info column and the violation: "" when none of them needs it). */
static bool rd_time(ecur *c, int field, char out[BCD_TEXT])
{
    out[0] = '\0';
    if (!need(c, 7))
        return false;
    char why[64];
    const char *bad = bcd_invalid(c->p + c->pos, why, sizeof why);
    if (bad || c->o->want)
        bcd_text(c->p + c->pos, out);
    int it = cs_item_str(c->o, field, c->pos, 7, out, strlen(out));
    if (bad)
        cs_viol_add(c->o, EV_TIME_INVALID, it, c->pos, 7, "Invalid BCD time %s: %s", out, bad);
    c->pos += 7;
    return true;
}

/* ---- lists ------------------------------------------------------------------------ */

#define FNV_BASIS 2166136261u
static uint32_t fnv16(uint32_t h, uint16_t v)
{
    h = (h ^ (v & 0xFF)) * 16777619u;
    return (h ^ (v >> 8)) * 16777619u;
}

/* A list's head: its label item over the rest of the data (returned),
 * and its count u16 as the label's first child.  -2 when even the count
 * is missing. */
static int list_open(ecur *c, int f_list, int f_count, uint32_t *count)
{
    if (!need(c, 2))
        return -2;
    int lst = cs_item_add(c->o, f_list, c->pos, c->end - c->pos, 0);
    cs_push(c->o);
    rd_num(c, f_count, 2, count, NULL);
    return lst;
}

/* A list's tail: the label's text, and what the session needs. */
static void list_close(ecur *c, int lst, const char *what, const char *unit, uint32_t count,
                       bool ok, uint32_t hash)
{
    cs_pop(c->o);
    if (lst >= 0)
        cs_item_text(c->o, lst, "%s, %u %s%s", what, count, unit,
                     count == 1 ? "" : unit[strlen(unit) - 1] == 's' ? "es" : "s");
    c->list_count = count;
    c->list_hash = ok ? (hash | 1u) : 0;
    c->pos = c->end;
}

/* Point list: count u16, then count addresses.  The rest of the data. */
static void point_list(ecur *c)
{
    cs_out *o = c->o;
    uint32_t count = 0, start = c->pos;
    int lst = list_open(c, EF_POINTS, EF_POINTS_COUNT, &count);
    if (lst == -2)
        return;
    uint32_t avail = (c->end - c->pos) / 2;
    uint32_t k = count < avail ? count : avail;
    uint32_t h = FNV_BASIS;
    char nb[64];
    for (uint32_t i = 0; i < k; i++) {
        uint16_t a = cs_le16(c->p + c->pos);
        h = fnv16(h, a);
        if (c->items) {
            int it = cs_item_add(o, EF_POINT, c->pos, 2, a);
            if (it >= 0)
                cs_item_text(o, it, "0x%04X %s", a, addr_name(a, nb, sizeof nb));
        }
        c->pos += 2;
    }
    bool ok = true;
    if (count > avail) {
        ok = false;
        if (!c->quiet)
            cs_viol_add(o, EV_LIST_OVERRUN, lst, start, c->end - start,
                        "Point count %u needs %u bytes; %u present", count, 2u + 2u * count,
                        c->end - start);
    } else if (c->pos < c->end) {
        ok = false;
        uint32_t extra = c->end - c->pos;
        int it = cs_item_add(o, EF_TRAILING, c->pos, extra, 0);
        cs_viol_add(o, EV_LIST_COUNT, it, c->pos, extra,
                    "Point count %u, but %u more byte%s follow the last address (%u more "
                    "address%s)",
                    count, extra, extra == 1 ? "" : "s", extra / 2, extra / 2 == 1 ? "" : "es");
    }
    list_close(c, lst, "Point list", "address", count, ok, h);
}

/* One TLV value at p[off..off+len) of item `addr`: items under the current
 * depth, and a short text for the item's label (only with items). */
static void tlv_value(ecur *c, uint16_t addr, uint32_t off, uint32_t len, char *txt, size_t tn)
{
    cs_out *o = c->o;
    const uint8_t *v = c->p + off;
    txt[0] = '\0';
    if (len == 0)
        return;
    if (addr_is_time(addr) && len == 7) {
        char why[64];
        const char *bad = bcd_invalid(v, why, sizeof why);
        if (bad || c->items)
            bcd_text(v, txt); /* tn >= BCD_TEXT */
        int it = cs_item_str(o, EF_TLV_TIME, off, 7, txt, strlen(txt));
        if (bad)
            cs_viol_add(o, EV_TIME_INVALID, it, off, 7, "Invalid BCD time %s: %s", txt, bad);
        return;
    }
    if (len == 1 || len == 2 || len == 4) {
        if (c->items) {
            uint32_t x = len == 1 ? v[0] : len == 2 ? cs_le16(v) : cs_le32(v);
            cs_item_add(o, EF_TLV_VALUE, off, len, x);
            snprintf(txt, tn, "%u", x);
        }
        return;
    }
    if (addr == 0x0117 && len % 4 == 0) {
        if (c->items) {
            int it = cs_item_add(o, EF_TLV_BYTES, off, len, 0);
            cs_item_text(o, it, "%u x u32", len / 4);
            cs_push(o);
            for (uint32_t i = 0; i < len; i += 4)
                cs_item_add(o, EF_TLV_WORD, off + i, 4, cs_le32(v + i));
            cs_pop(o);
            snprintf(txt, tn, "%u x u32", len / 4);
        }
        return;
    }
    uint32_t vis = 0;
    while (vis < len && v[vis] >= 0x20 && v[vis] < 0x7F)
        vis++;
    bool text = vis > 0 && (vis == len || v[vis] == 0);
    if (text) {
        bool card = (addr == 0x0104 || addr == 0x0B02) && c->info;
        char s[48];
        put_string(o, EF_TLV_STRING, c->p, off, len, c->items || card ? s : NULL, sizeof s);
        if (c->items)
            snprintf(txt, tn, "\"%s\"", s);
        if (card) /* for the Info column */
            snprintf(c->card, sizeof c->card, "%.23s", s);
        return;
    }
    if (!c->items)
        return;
    bool zero = true;
    for (uint32_t i = 0; i < len; i++)
        if (v[i])
            zero = false;
    int it = cs_item_add(o, EF_TLV_BYTES, off, len, 0);
    if (zero)
        cs_item_text(o, it, "all zero");
    snprintf(txt, tn, zero ? "%u zero bytes" : "%u bytes", len);
}

/* TLV list: count u16, then count {addr u16, len u8, value}.  The rest of
 * the data. */
static void tlv_list(ecur *c)
{
    cs_out *o = c->o;
    uint32_t count = 0, start = c->pos;
    int lst = list_open(c, EF_TLVS, EF_TLVS_COUNT, &count);
    if (lst == -2)
        return;
    uint32_t h = FNV_BASIS, i = 0;
    bool ok = true;
    char nb[64], txt[64];
    while (i < count && c->pos < c->end) {
        uint32_t left = c->end - c->pos;
        if (left < 3) {
            ok = false;
            if (!c->quiet) {
                int it = cs_item_add(o, EF_TRAILING, c->pos, left, 0);
                cs_viol_add(o, EV_LIST_OVERRUN, it, c->pos, left,
                            "Item %u of %u: its header needs 3 bytes, %u left", i + 1, count, left);
            }
            c->pos = c->end;
            break;
        }
        uint16_t a = cs_le16(c->p + c->pos);
        uint8_t len = c->p[c->pos + 2];
        uint32_t have = left - 3 < len ? left - 3 : len;
        int it = -1, lit = -1;
        const char *name = "";
        if (c->items) {
            it = cs_item_add(o, EF_TLV, c->pos, 3 + have, 0);
            cs_push(o);
            cs_item_add(o, EF_TLV_ADDR, c->pos, 2, a);
            lit = cs_item_add(o, EF_TLV_LEN, c->pos + 2, 1, len);
            name = addr_name(a, nb, sizeof nb);
        } else {
            cs_push(o);
        }
        if (have < len) {
            ok = false;
            cs_item_add(o, EF_TLV_BYTES, c->pos + 3, have, 0);
            if (!c->quiet)
                cs_viol_add(o, EV_LIST_OVERRUN, lit, c->pos + 2, 1,
                            "Item %u of %u (0x%04X) announces %u bytes, %u left", i + 1, count, a,
                            len, have);
            cs_pop(o);
            cs_item_text(o, it, "0x%04X %s: %u of %u bytes", a, name, have, len);
            c->pos = c->end;
            break;
        }
        tlv_value(c, a, c->pos + 3, len, txt, sizeof txt);
        cs_pop(o);
        if (it >= 0)
            cs_item_text(o, it, "0x%04X %s%s%s", a, name, txt[0] ? " = " : " (empty)", txt);
        h = fnv16(h, a);
        c->pos += 3u + len;
        i++;
    }
    if (ok && i < count) {
        ok = false;
        if (!c->quiet)
            cs_viol_add(o, EV_LIST_COUNT, lst, start, 2,
                        "Item count %u, but only %u item%s present", count, i, i == 1 ? "" : "s");
    } else if (ok && c->pos < c->end) {
        ok = false;
        /* how many whole items the rest would hold */
        uint32_t more = 0, p = c->pos;
        while (c->end - p >= 3 && c->end - p - 3 >= c->p[p + 2]) {
            p += 3u + c->p[p + 2];
            more++;
        }
        uint32_t extra = c->end - c->pos;
        int it = cs_item_add(o, EF_TRAILING, c->pos, extra, 0);
        cs_viol_add(o, EV_LIST_COUNT, it, c->pos, extra,
                    "Item count %u, but %u more byte%s follow the last item (%u more whole "
                    "item%s%s)",
                    count, extra, extra == 1 ? "" : "s", more, more == 1 ? "" : "s",
                    p == c->end ? "" : " and a partial one");
    }
    list_close(c, lst, "Item list", "item", count, ok, h);
}

/* ---- messages ----------------------------------------------------------------------- */

/* The terminal number as "%08u" (at least 8 digits) into out[16];
 * returns its length. */
static uint32_t terminal_text(uint32_t v, char out[16])
{
    char d[10];
    uint32_t n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    uint32_t len = n > 8 ? n : 8, k = 0;
    while (k < len - n)
        out[k++] = '0';
    while (n)
        out[k++] = d[--n];
    out[k] = '\0';
    return len;
}

typedef struct emsg {
    char terminal[16];
    uint8_t hb_period; /* announced by a pile heartbeat, 0 = none */
} emsg;

static void data_decode(ecur *c, uint8_t cmd, bool request, emsg *m)
{
    cs_out *o = c->o;
    uint32_t v, cnt, ref, res;
    char t[BCD_TEXT];
    switch (cmd) {
    case 0x01:
        if (request) {
            if (!rd_num(c, EF_HB_PERIOD, 1, &v, NULL))
                break;
            m->hb_period = (uint8_t)v;
            cs_info(o, "Heartbeat, period %u s", v);
            rd_num(c, EF_HB_COUNTER, 4, &v, NULL);
        } else if (rd_result(c, &res))
            cs_info(o, "Heartbeat ack: result %u", res);
        break;
    case 0x02:
        if (request) {
            if (!rd_time(c, EF_LOGIN_TIME, t))
                break;
            cs_info(o, "Login %s %s", m->terminal, t);
            if (!rd_num(c, EF_LOGIN_UNKNOWN_A, 1, &v, NULL) ||
                !rd_bytes(c, EF_LOGIN_UNKNOWN_B, 4) ||
                !rd_num(c, EF_LOGIN_UNKNOWN_C, 2, &v, NULL) || !rd_bytes(c, EF_LOGIN_UNKNOWN_D, 2))
                break;
            if (c->end - c->pos == 16) /* the 32-byte variant */
                rd_bytes(c, EF_LOGIN_EXTRA, 16);
        } else {
            int it;
            if (!rd_result(c, &res))
                break;
            cs_info(o, "Login reply: result %u", res);
            if (!rd_num(c, EF_LOGIN_REPLY_WORD, 2, &v, &it))
                break;
            cs_item_text(o, it, "0x%04X (bytes %u and %u)", v, v & 0xFF, v >> 8);
            rd_bytes(c, EF_RESERVED, 34);
        }
        break;
    case 0x04:
    case 0x09:
        if (request) {
            point_list(c);
            cs_info(o, "%s: %u point%s", cmd == 0x04 ? "Get terminal data" : "Get real-time data",
                    c->list_count, c->list_count == 1 ? "" : "s");
        } else {
            tlv_list(c);
            cs_info(o, "%s: %u item%s", cmd == 0x04 ? "Terminal data" : "Real-time data",
                    c->list_count, c->list_count == 1 ? "" : "s");
        }
        break;
    case 0x05:
        if (request) {
            tlv_list(c);
            cs_info(o, "Set rates: %u item%s", c->list_count, c->list_count == 1 ? "" : "s");
        } else {
            cs_info(o, "Set rates reply");
            if (c->pos < c->end)
                rd_bytes(c, EF_DATA, c->end - c->pos);
        }
        break;
    case 0x06:
        if (request) {
            tlv_list(c);
            cs_info(o, "Bill upload: %u item%s", c->list_count, c->list_count == 1 ? "" : "s");
            if (c->card[0])
                cs_info(o, ", card %s", c->card);
        } else {
            if (!rd_num(c, EF_BILL_ACK_COUNT, 2, &cnt, NULL) ||
                !rd_num(c, EF_BILL_ACK_REF, 4, &ref, NULL) ||
                !rd_num(c, EF_BILL_ACK_VALUE, 4, &v, NULL) ||
                !rd_num(c, EF_BILL_ACK_RESULT, 4, &res, NULL))
                break;
            o->result = (int32_t)(res > 0x7FFFFFFF ? 0x7FFFFFFF : res);
            o->result_name = "Result";
            cs_info(o, "Bill confirm: %u items, ref %u, result %u", cnt, ref, res);
        }
        break;
    case 0x08:
        if (request) {
            if (rd_time(c, EF_SYNC_TIME, t))
                cs_info(o, "Time sync %s", t);
        } else if (rd_result(c, &res))
            cs_info(o, "Time sync confirm: result %u", res);
        break;
    case 0x30: {
        char card[24];
        int it;
        if (!need(c, 20))
            break;
        card[0] = '\0';
        put_string(o, EF_CARD, c->p, c->pos, 20, c->info ? card : NULL, sizeof card);
        c->pos += 20;
        if (request) {
            cs_info(o, "Card auth %s", card);
            break;
        }
        if (!rd_num(c, EF_CARD_BALANCE, 4, &v, &it))
            break;
        cs_item_text(o, it, "%u (%u.%02u?)", v, v / 100, v % 100);
        cs_info(o, "Card auth %s \u2192 balance %u.%02u", card, v / 100, v % 100);
        if (!rd_result(c, &res) || !rd_num(c, EF_CARD_REF, 4, &ref, NULL) ||
            !rd_num(c, EF_CARD_UNKNOWN, 4, &v, NULL))
            break;
        rd_bytes(c, EF_RESERVED, 16);
        break;
    }
    default:
        break;
    }
}

/* ---- decode ---------------------------------------------------------------- */

/* The first j >= E_HDR where b[j] is the end marker and the 4 bytes after
 * it hold the sum of b[0..j]: where a frame whose length is wrong ends.
 * -1 when none within limit. */
static int find_end(const uint8_t *b, uint32_t limit)
{
    uint32_t s = 0;
    for (uint32_t j = 0; j + 5 <= limit; j++) {
        s += b[j];
        if (j >= E_HDR && b[j] == E_END && cs_le32(b + j + 1) == s)
            return (int)j;
    }
    return -1;
}

static void evpile_decode(void *sv, const uint32_t *opts, const uint8_t *b, size_t n,
                          const cs_ctx *ctx, cs_out *o)
{
    evpile_sess *s = sv;
    cs_out_reset(o);
    uint32_t present = n > 0x1000000 ? 0x1000000 : (uint32_t)n;
    if (present < 4) {
        cs_viol_add(o, EV_LEN_TRUNCATED, -1, 0, present, "Only %u byte%s of a frame", present,
                    present == 1 ? "" : "s");
        cs_info(o, "[truncated frame]");
        cs_mark_stateless(o);
        return;
    }
    int it = cs_item_add(o, EF_MAGIC, 0, 2, cs_be16(b));
    if (it >= 0)
        cs_item_text(o, it, "%02X %02X%s", b[0], b[1],
                     b[0] == 0x75 && b[1] == 0x72 ? " (\"ur\")" : "");
    if (b[0] != 0x75 || b[1] != 0x72)
        cs_viol_add(o, EV_MAGIC_BAD, it, 0, 2, "Magic %02X %02X, expected 75 72", b[0], b[1]);
    uint16_t L = cs_le16(b + 2);
    uint32_t total = (uint32_t)L + 2;
    int len_it = cs_item_add(o, EF_LEN, 2, 2, L);

    /* Where the frame ends: `end`; the marker and checksum sit at end - 5
     * when `trailer`.  `limit`: the bytes that belong to this PDU. */
    uint32_t limit = ctx->whole ? present : (present < total ? present : total);
    uint32_t end;
    bool trailer;
    if (L >= E_MIN - 2 && total <= present && b[total - 5] == E_END) {
        end = total;
        trailer = true;
        if (ctx->whole && present > total)
            cs_viol_add(o, EV_LEN_MISMATCH, len_it, 2, 2,
                        "Length %u announces a %u-byte frame, but %u more byte%s follow", L, total,
                        present - total, present - total == 1 ? "" : "s");
    } else {
        int j = find_end(b, limit);
        if (j >= 0) {
            end = (uint32_t)j + 5;
            trailer = true;
            cs_viol_add(o, EV_LEN_MISMATCH, len_it, 2, 2,
                        "Length %u announces a %u-byte frame, but the end marker and a matching "
                        "checksum end the frame after %u bytes",
                        L, total, end);
        } else if (L >= E_MIN - 2 && total <= present) {
            end = total;
            trailer = true; /* the marker is missing: reported at its item */
            if (ctx->whole && present > total)
                cs_viol_add(o, EV_LEN_MISMATCH, len_it, 2, 2,
                            "Length %u announces a %u-byte frame, but %u bytes are present", L,
                            total, present);
        } else if (L < E_MIN - 2) {
            /* only whole frames get here: the framer never starts a PDU
             * with such a length */
            cs_viol_add(o, EV_LEN_MISMATCH, len_it, 2, 2,
                        "Length %u is below 14 (a frame has at least 16 bytes)", L);
            end = present;
            trailer = present >= E_MIN;
        } else {
            cs_viol_add(o, EV_LEN_TRUNCATED, len_it, 2, 2,
                        "Length %u announces %u bytes, only %u present", L, total, present);
            end = present;
            trailer = false;
        }
    }

    emsg m = {{0}, 0};
    bool pile_hello = present >= E_HDR && (b[9] >> 4) == 1 && b[10] == 0x02 &&
                      (b[8] == 0x01 || b[8] == 0x02);
    uint32_t term_len = 0;
    if (present >= 8) {
        if (pile_hello || (o->want & (CS_WANT_ITEMS | CS_WANT_INFO)))
            term_len = terminal_text(cs_le32(b + 4), m.terminal);
        cs_item_str(o, EF_TERMINAL, 4, 4, m.terminal, term_len);
    }
    if (present < E_HDR) {
        cs_info(o, "[truncated frame]");
        cs_mark_stateless(o);
        return;
    }
    uint8_t cmd = b[8], srcb = b[9], type = b[10];
    const ecmd *cd = find_cmd(cmd);
    o->cmd = cmd;
    o->cmd_name = cs_vs_find(cmd_vals, cmd);
    int cmd_it = cs_item_add(o, EF_CMD, 8, 1, cmd);
    if (!cd)
        cs_viol_add(o, EV_CMD_UNKNOWN, cmd_it, 8, 1, "Unknown command 0x%02X", cmd);

    /* Source byte: the high nibble names the sender [inferred]. */
    cs_dir declared = (srcb >> 4) == 1 ? CS_DIR_TO_SERVER
                      : (srcb >> 4) == 0 ? CS_DIR_TO_DEVICE
                                         : CS_DIR_UNKNOWN;
    int src_it = cs_item_add(o, EF_SRC, 9, 1, srcb);
    if (src_it >= 0)
        cs_item_text(o, src_it, "0x%02X (%s)", srcb,
                     cs_vs_name(src_sender_vals, srcb >> 4, "sender unknown"));
    if (srcb & 0x0F) {
        cs_push(o);
        cs_item_add(o, EF_SRC_LOW, 9, 1, srcb & 0x0F);
        cs_pop(o);
    }
    if (!declared)
        cs_viol_add(o, EV_SRC_UNKNOWN, src_it, 9, 1,
                    "Source byte 0x%02X: high nibble %u is neither 0 (platform) nor 1 (pile)", srcb,
                    srcb >> 4);
    int type_it = cs_item_add(o, EF_TYPE, 10, 1, type);
    bool request = type == 0x00 || type == 0x02, response = type == 0x01;
    if (!request && !response)
        cs_viol_add(o, EV_TYPE_UNKNOWN, type_it, 10, 1, "Frame type 0x%02X", type);

    /* Direction: the source byte, else the transport, else what was
     * learned, else the ports. */
    cs_dir dir = CS_DIR_UNKNOWN;
    cs_dir_source dsrc = CS_DS_NONE;
    if (ctx->dir_override) {
        dir = (cs_dir)ctx->dir_override;
        dsrc = ctx->dir_override_source ? (cs_dir_source)ctx->dir_override_source : CS_DS_OVERRIDE;
    } else if (declared) {
        dir = declared;
        dsrc = CS_DS_DECLARED;
    } else if (ctx->transport_dir) {
        dir = (cs_dir)ctx->transport_dir;
        dsrc = CS_DS_TRANSPORT;
    } else if (s && s->role[ctx->side & 1]) {
        dir = (cs_dir)s->role[ctx->side & 1];
        dsrc = CS_DS_LEARNED;
    } else if ((dir = cs_dir_by_ports(ctx)) != CS_DIR_UNKNOWN) {
        dsrc = CS_DS_PORTS;
    }
    cs_item_direction(o, EF_DIRECTION, dir, dsrc, "Pile to platform", "Platform to pile");

    /* The type against the command's initiator and the sender. */
    if (cd && (request || response)) {
        cs_dir type_sender = type == 0x00   ? CS_DIR_TO_DEVICE
                             : type == 0x02 ? CS_DIR_TO_SERVER
                                            : opposite((cs_dir)cd->initiator);
        if (request && type_sender != (cs_dir)cd->initiator)
            cs_viol_add(o, EV_TYPE_UNEXPECTED, type_it, 10, 1,
                        "Frame type 0x%02X (%s request) on %s, which the %s initiates in the "
                        "examples",
                        type, side_name(type_sender), o->cmd_name, side_name(cd->initiator));
        else if (declared && declared != type_sender)
            cs_viol_add(o, EV_TYPE_UNEXPECTED, src_it, 9, 2,
                        "Source 0x%02X (%s) with frame type 0x%02X, which the %s sends on %s in "
                        "the examples",
                        srcb, side_name(declared), type, side_name(type_sender), o->cmd_name);
    }

    /* Data. */
    uint32_t dend = trailer ? end - 5 : end;
    ecur c = {.o = o, .p = b, .pos = E_HDR, .end = dend, .quiet = !trailer,
              .items = (o->want & CS_WANT_ITEMS) != 0, .info = (o->want & CS_WANT_INFO) != 0,
              .cmd = cmd};
    if (!cd || (!request && !response)) {
        if (!cd)
            cs_info(o, "Unknown command 0x%02X", cmd);
        else
            cs_info(o, "%s (frame type 0x%02X)", o->cmd_name, type);
        if (c.pos < c.end)
            cs_item_add(o, EF_DATA, c.pos, c.end - c.pos, 0);
        c.pos = c.end;
    } else {
        data_decode(&c, cmd, request, &m);
    }
    if (c.pos < c.end && !c.short_) {
        uint32_t extra = c.end - c.pos;
        int t_it = cs_item_add(o, EF_TRAILING, c.pos, extra, 0);
        cs_viol_add(o, EV_DATA_TRAILING, t_it, c.pos, extra, "%u byte%s after the fields of %s%s",
                    extra, extra == 1 ? "" : "s", what_name(&c),
                    cmd == 0x02 && request ? " (the examples have 16 or 32 bytes of data)" : "");
    }
    if (c.info && !o->info_len) /* the data ended before anything worth saying */
        cs_info(o, "%s%s", what_name(&c), response ? " reply" : "");
    if (!trailer)
        cs_info(o, " [truncated]");
    else if (c.short_)
        cs_info(o, " [short]");

    /* End marker and checksum. */
    if (trailer) {
        uint8_t mk = b[end - 5];
        int mk_it = cs_item_add(o, EF_END, end - 5, 1, mk);
        if (mk != E_END)
            cs_viol_add(o, EV_END_MISSING, mk_it, end - 5, 1,
                        "0x%02X where the end marker 0x68 belongs (offset %u)", mk, end - 5);
        uint32_t stored = cs_le32(b + end - 4), computed = cs_sum32(b, end - 4);
        cs_cksum st = !opts[EO_VERIFY_CHECKSUM] ? CS_CK_UNVERIFIED
                      : stored == computed      ? CS_CK_GOOD
                                                : CS_CK_BAD;
        int ck_it = cs_item_cksum(o, EF_CHECKSUM, end - 4, 4, stored, computed, st, true);
        if (st == CS_CK_BAD)
            cs_viol_add(o, EV_CHECKSUM_BAD, ck_it, end - 4, 4, "Checksum 0x%08X, should be 0x%08X",
                        stored, computed);
    } else {
        o->cksum = CS_CK_UNVERIFIED;
    }
    if (end < limit)
        cs_item_add(o, EF_TRAILING, end, limit - end, 0);

    /* The pile names itself in its login and heartbeats: the terminal's
     * digits, copied as they are, other bytes escaped. */
    if (pile_hello)
        cs_fact_printable(o, CS_FACT_DEVICE_ID, m.terminal, term_len);
    cs_mark_stateless(o);

    if (!s)
        return;
    /* ---- session rules ---- */
    if ((dsrc == CS_DS_DECLARED || dsrc == CS_DS_TRANSPORT) && !s->role[ctx->side & 1]) {
        s->role[ctx->side & 1] = (uint8_t)dir;
        s->role[(ctx->side & 1) ^ 1] = (uint8_t)opposite(dir);
    }
    if (declared && ctx->transport_dir && declared != (cs_dir)ctx->transport_dir &&
        !s->dir_mismatch_seen) {
        s->dir_mismatch_seen = true;
        cs_viol_add(o, EV_DIR_MISMATCH, src_it, 9, 1,
                    "Source byte 0x%02X names the %s as sender, but the TCP handshake says the %s "
                    "sent it (reported once per conversation)",
                    srcb, side_name(declared), side_name((cs_dir)ctx->transport_dir));
    }
    if (!cd || (!request && !response))
        return;

    /* Request/response pairing on the command and the request's type. */
    cs_rr *t = cmd == 0x05 ? &s->noreply : &s->rr;
    if (request) {
        if (t == &s->noreply) {
            if (t->n == CS_RR_MAX) { /* drop the oldest: it needs no answer */
                memmove(&t->e[0], &t->e[1], (CS_RR_MAX - 1) * sizeof t->e[0]);
                t->n--;
            }
            cs_rr_request(t, &evpile_proto, (uint64_t)cmd << 8 | type, 0, ctx, o);
            o->pending = false;
        } else {
            cs_rr_request(t, &evpile_proto, (uint64_t)cmd << 8 | type, c.list_hash, ctx, o);
        }
    } else {
        cs_dir req_dir = dir ? opposite(dir) : (cs_dir)cd->initiator;
        uint8_t req_type = req_dir == CS_DIR_TO_SERVER ? 0x02 : 0x00;
        cs_rr_entry hit;
        if (cs_rr_response(t, &evpile_proto, (uint64_t)cmd << 8 | req_type, ctx, o, EV_UNSOLICITED,
                           &hit) &&
            hit.aux && c.list_hash && hit.aux != c.list_hash)
            cs_viol_add(o, EV_POINTS_MISMATCH, -1, E_HDR, dend - E_HDR,
                        "The reply's addresses are not the points the request in frame %u asked "
                        "for, in order",
                        hit.frame);
    }

    /* Heartbeat timing: the pile's heartbeats, from the previous one or
     * the login. */
    if (request && dir == CS_DIR_TO_SERVER && cmd == 0x02)
        s->hb_ref_ns = ctx->ts_ns;
    if (request && dir == CS_DIR_TO_SERVER && cmd == 0x01) {
        bool announced = s->opts[EO_HB_ANNOUNCED] && m.hb_period;
        uint32_t period = announced ? m.hb_period : s->opts[EO_HB_INTERVAL];
        int e_it = cs_item_add(o, EF_HB_EXPECTED, 0, 0, period);
        cs_item_flag(o, e_it, CS_IF_GENERATED);
        cs_item_text(o, e_it, "%u s (%s)", period,
                     announced ? "announced in this heartbeat" : "heartbeat_interval preference");
        if (s->hb_ref_ns) {
            int64_t gap = ctx->ts_ns - s->hb_ref_ns;
            int g_it = cs_item_add(o, EF_HB_GAP, 0, 0, 0);
            if (g_it >= 0) {
                o->items[g_it].v.i = gap;
                o->items[g_it].flags |= CS_IF_GENERATED;
            }
            int64_t lim = (int64_t)period * (100 + (int64_t)s->opts[EO_HB_TOLERANCE]) * 10000000LL;
            if (period && gap > lim)
                cs_viol_add(o, EV_HB_LATE, g_it, 0, 0,
                            "Heartbeat %.1f s after the previous one (period %u s, tolerance "
                            "%u %%)",
                            (double)gap / 1e9, period, s->opts[EO_HB_TOLERANCE]);
        }
        s->hb_ref_ns = ctx->ts_ns;
    }
}

const cs_proto evpile_proto = {
    .name = "evpile",
    .short_name = "EV pile",
    .long_name = "EV charging pile protocol (0x75 0x72)",
    .fields = fields,
    .n_fields = EF__COUNT,
    .violations = violations,
    .n_violations = EV__COUNT,
    .options = options,
    .n_options = EO__COUNT,
    .transports = CS_TR_TCP,
    .tcp_ports = "",
    .udp_ports = "",
    .f_garbage = EF_GARBAGE,
    .f_request_in = EF_REQUEST_IN,
    .f_response_in = EF_RESPONSE_IN,
    .f_response_time = EF_RESPONSE_TIME,
    .v_garbage = EV_GARBAGE,
    .v_unanswered = EV_UNANSWERED,
    .v_truncated = EV_LEN_TRUNCATED,
    .frame_min = 4,
    .frame = evpile_frame,
    .probe = evpile_probe,
    .sess_size = sizeof(evpile_sess),
    .sess_init = evpile_sess_init,
    .sess_fini = evpile_sess_fini,
    .decode = evpile_decode,
    .sess_end = evpile_sess_end,
};
