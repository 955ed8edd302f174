/*
 * woshi.c - Woshi (沃诗) power-bank cabinet protocol, v4.6P.
 *
 * Sources: seed 000 (the vendor document) and protocol-facts sections 1
 * and 6.1.  docs/protocols/woshi.md records every decision taken where the
 * document is wrong or silent, with its evidence.
 *
 * Frame (all integers big-endian):
 *   0  PacketLen u16  bytes after this field (total = PacketLen + 2)
 *   2  Command   u8
 *   3  VSN       u8   0x01
 *   4  Checksum  u8   XOR of the payload
 *   5  Token     u32  11 22 33 44
 *   9  Payload
 * The cabinet is the TCP client.  Requests and responses share the
 * command code; direction comes from the TCP handshake when it was seen,
 * else from the payload shape, else from what the endpoint sent before.
 */
#include "woshi.h"

#include "cs_impl.h"

#include <stdio.h>

#define W_HDR 9
#define W_TOKEN 0x11223344u
#define W_MAX_PACKETLEN 2048 /* framing plausibility bound; see docs */

/* ---- value names --------------------------------------------------------- */

static const cs_vs cmd_vals[] = {
    {0x60, "Login"},
    {0x61, "Heartbeat"},
    {0x62, "Query software version"},
    {0x63, "Set server address"},
    {0x64, "Query inventory"},
    {0x65, "Borrow power bank"},
    {0x66, "Return power bank"},
    {0x67, "Remote reboot"},
    {0x68, "Remote upgrade (FTP)"},
    {0x69, "Query ICCID"},
    {0x6A, "Query server address"},
    {0x80, "Force eject"},
    {0x77, "Query voice volume"},
    {0x70, "Set voice volume"},
    {0x72, "Query network info"},
    {0x6B, "Query inventory count (seen in the field, not in 4.6P)"},
    {0x71, "Query network info, MOD variant (seen in the field, not in 4.6P)"},
    {0x73, "Set APN (seen in the field, not in 4.6P)"},
    {0x74, "Query APN (seen in the field, not in 4.6P)"},
    {0, NULL},
};

/* Short names for the Info column. */
static const cs_vs cmd_short[] = {
    {0x60, "Login"},           {0x61, "Heartbeat"},      {0x62, "SW version"},
    {0x63, "Set server"},      {0x64, "Inventory"},      {0x65, "Borrow"},
    {0x66, "Return"},          {0x67, "Reboot"},         {0x68, "FTP upgrade"},
    {0x69, "ICCID"},           {0x6A, "Server address"}, {0x80, "Force eject"},
    {0x77, "Volume"},          {0x70, "Set volume"},     {0x72, "Network info"},
    {0x6B, "Inventory count"}, {0x71, "Network info (MOD)"}, {0x73, "Set APN"},
    {0x74, "Query APN"},       {0, NULL},
};

static const cs_vs login_result_vals[] = {
    {0, "Failed"},
    {1, "Success"},
    {2, "Failed: time error"},
    {0, NULL},
};

static const cs_vs ok_vals[] = {
    {0, "Failed"},
    {1, "Success"},
    {0, NULL},
};

static const cs_vs return_result_vals[] = {
    {0, "Failed (server error)"},
    {1, "Success"},
    {2, "Power bank state abnormal"},
    {3, "Duplicate return"},
    {4, "Illegal power bank ID"},
    {5, "Slot not empty"},
    {0, NULL},
};

static const cs_vs level_vals[] = {
    {0, "20 %"}, {1, "40 %"}, {2, "60 %"}, {3, "80 %"}, {4, "100 %"}, {0, NULL},
};

static const cs_vs mode_vals[] = {
    {2, "GSM/GPRS/EDGE"},
    {3, "WCDMA"},
    {5, "Wi-Fi"},
    {7, "LTE"},
    {0, NULL},
};

static const cs_vs csq_special_vals[] = {
    {99, "Not known or not detectable"},
    {0, NULL},
};

static const cs_vs ber_vals[] = {
    {0, "RXQUAL 0 (BER < 0.2 %)"},
    {1, "RXQUAL 1"},
    {2, "RXQUAL 2"},
    {3, "RXQUAL 3"},
    {4, "RXQUAL 4"},
    {5, "RXQUAL 5"},
    {6, "RXQUAL 6"},
    {7, "RXQUAL 7 (BER > 12.8 %)"},
    {99, "Not known or not detectable"},
    {0, NULL},
};

static const cs_vs model_vals[] = {
    {6, "All-in-one, 6 slots"},
    {8, "All-in-one, 8 slots"},
    {12, "All-in-one, 12 slots"},
    {16, "Iteration series (4/8/12/16 slots)"},
    {24, "Advertising unit, 24 slots"},
    {48, "Advertising unit, 48 slots"},
    {0, NULL},
};

/* ---- fields --------------------------------------------------------------- */

#define F(abbrev, name, type, base, vals, unit, blurb, flags) \
    {abbrev, name, type, base, vals, unit, blurb, flags, -1}

static const cs_field_def fields[WF__COUNT] = {
    [WF_LEN] = F("woshi.len", "Packet length", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                 "PacketLen: bytes after this field (the frame is PacketLen + 2 bytes)", 0),
    [WF_CMD] = F("woshi.cmd", "Command", CS_FT_U8, CS_BASE_HEX, cmd_vals, NULL, NULL, 0),
    [WF_VSN] = F("woshi.vsn", "Protocol version (VSN)", CS_FT_U8, CS_BASE_HEX, NULL, NULL,
                 "Fixed 0x01 in 4.6P", 0),
    [WF_CHECKSUM] = {"woshi.checksum", "Checksum", CS_FT_U8, CS_BASE_HEX, NULL, NULL,
                     "XOR of the payload bytes (0x00 for an empty payload)", CS_FF_CHECKSUM,
                     WF_CHECKSUM_STATUS},
    [WF_CHECKSUM_STATUS] = F("woshi.checksum.status", "Checksum status", CS_FT_U8, CS_BASE_NONE,
                             cs_cksum_vals, NULL, NULL, CS_FF_GENERATED),
    [WF_TOKEN] = F("woshi.token", "Token", CS_FT_U32, CS_BASE_HEX, NULL, NULL,
                   "Session token, fixed 11 22 33 44 in 4.6P", 0),
    [WF_DIRECTION] = F("woshi.direction", "Direction", CS_FT_U8, CS_BASE_DEC, cs_dir_vals, NULL,
                       "Cabinet to server or server to cabinet; the cabinet is the TCP client",
                       CS_FF_GENERATED),
    [WF_PAYLOAD] = F("woshi.payload", "Payload", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                     "Payload whose layout 4.6P does not define", 0),
    [WF_TRAILING] = F("woshi.trailing", "Trailing bytes", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                      "Bytes after the fields of the command", 0),
    [WF_GARBAGE] = F("woshi.garbage.data", "Garbage", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                     "Bytes between PDUs that do not start a Woshi PDU", CS_FF_GARBAGE),
    [WF_RAND] = F("woshi.rand", "Random number", CS_FT_U32, CS_BASE_HEX, NULL, NULL,
                  "Rand: 4 random bytes (always 55 66 77 88 in the field)", 0),
    [WF_MAGIC] = F("woshi.magic", "Magic", CS_FT_U16, CS_BASE_HEX, NULL, NULL,
                   "Meaning undocumented; 0x0233 in every known login", 0),
    [WF_BOX_ID_LEN] = F("woshi.box_id.len", "BoxID length", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                        "Includes the terminating NUL", 0),
    [WF_BOX_ID] = F("woshi.box_id", "BoxID (cabinet SN)", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                    NULL, CS_FF_SUBTREE),
    [WF_BOX_VENDOR] = F("woshi.box_id.vendor", "Vendor code", CS_FT_STRING, CS_BASE_NONE, NULL,
                        NULL, "Characters 1-2 of the SN (document section 4; informational)",
                        CS_FF_GENERATED),
    [WF_BOX_CUSTOMER] = F("woshi.box_id.customer", "Customer code", CS_FT_STRING, CS_BASE_NONE,
                          NULL, NULL, "Characters 3-4 of the SN (informational)", CS_FF_GENERATED),
    [WF_BOX_MODEL] = F("woshi.box_id.model", "Device model", CS_FT_STRING, CS_BASE_NONE, NULL,
                       NULL, "Characters 5-6 of the SN (informational)", CS_FF_GENERATED),
    [WF_BOX_BATCH] = F("woshi.box_id.batch", "Batch", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                       "Characters 7-16 of the SN; the format is unknown", CS_FF_GENERATED),
    [WF_RESULT] = F("woshi.result", "Result", CS_FT_U8, CS_BASE_DEC, NULL, NULL,
                    "Result code; its meaning depends on the command", 0),
    [WF_SOFT_VER_LEN] = F("woshi.soft_ver.len", "Software version length", CS_FT_U16, CS_BASE_DEC,
                          NULL, NULL, NULL, 0),
    [WF_SOFT_VER] = F("woshi.soft_ver", "Software version", CS_FT_STRING, CS_BASE_NONE, NULL,
                      NULL, NULL, 0),
    [WF_ADDRESS_LEN] = F("woshi.address.len", "Server address length", CS_FT_U16, CS_BASE_DEC,
                         NULL, NULL, NULL, 0),
    [WF_ADDRESS] = F("woshi.address", "Server address", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                     NULL, 0),
    [WF_PORT_LEN] = F("woshi.port.len", "Server port length", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                      NULL, 0),
    [WF_PORT] = F("woshi.port", "Server port", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                  "An ASCII string, not an integer", 0),
    [WF_HEARTBEAT] = F("woshi.heartbeat", "Heartbeat interval", CS_FT_U8, CS_BASE_DEC, NULL, "s",
                       "1-255; the unit is not stated, seconds is inferred", CS_FF_INFERRED),
    [WF_REMAIN_NUM] = F("woshi.remain_num", "Power banks present", CS_FT_U8, CS_BASE_DEC, NULL,
                        NULL, "RemainNum", 0),
    [WF_ENTRY] = F("woshi.entry", "Slot entry", CS_FT_NONE, CS_BASE_NONE, NULL, NULL, NULL,
                   CS_FF_SUBTREE),
    [WF_SLOT] = F("woshi.slot", "Slot", CS_FT_U8, CS_BASE_DEC, NULL, NULL, NULL, 0),
    [WF_TERMINAL_ID] = F("woshi.terminal_id", "Power bank ID (TerminalID)", CS_FT_STRING,
                         CS_BASE_NONE, NULL, NULL,
                         "4 characters and 4 BCD bytes; a non-BCD serial is shown in hex", 0),
    [WF_LEVEL] = F("woshi.level", "Charge level", CS_FT_U8, CS_BASE_DEC, level_vals, NULL, NULL, 0),
    [WF_FTP_ADDRESS_LEN] = F("woshi.ftp.address.len", "FTP address length", CS_FT_U16,
                             CS_BASE_DEC, NULL, NULL, NULL, 0),
    [WF_FTP_ADDRESS] = F("woshi.ftp.address", "FTP address", CS_FT_STRING, CS_BASE_NONE, NULL,
                         NULL, NULL, 0),
    [WF_FTP_PORT_LEN] = F("woshi.ftp.port.len", "FTP port length", CS_FT_U16, CS_BASE_DEC, NULL,
                          NULL, NULL, 0),
    [WF_FTP_PORT] = F("woshi.ftp.port", "FTP port", CS_FT_STRING, CS_BASE_NONE, NULL, NULL, NULL,
                      0),
    [WF_FTP_FILE_LEN] = F("woshi.ftp.file_name.len", "File name length", CS_FT_U16, CS_BASE_DEC,
                          NULL, NULL, NULL, 0),
    [WF_FTP_FILE] = F("woshi.ftp.file_name", "File name", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                      NULL, 0),
    [WF_FTP_USER_LEN] = F("woshi.ftp.username.len", "Username length", CS_FT_U16, CS_BASE_DEC,
                          NULL, NULL, NULL, 0),
    [WF_FTP_USER] = F("woshi.ftp.username", "Username", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                      NULL, 0),
    [WF_FTP_PASS_LEN] = F("woshi.ftp.password.len", "Password length", CS_FT_U16, CS_BASE_DEC,
                          NULL, NULL, NULL, 0),
    [WF_FTP_PASS] = F("woshi.ftp.password", "Password", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                      NULL, 0),
    [WF_ICCID_LEN] = F("woshi.iccid.len", "ICCID length", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                       NULL, 0),
    [WF_ICCID] = F("woshi.iccid", "ICCID", CS_FT_STRING, CS_BASE_NONE, NULL, NULL, NULL, 0),
    [WF_VOLUME] = F("woshi.volume", "Voice volume", CS_FT_U8, CS_BASE_DEC, NULL, NULL, "Lvl, 0-15",
                    0),
    [WF_CSQ] = F("woshi.csq", "Signal strength (CSQ)", CS_FT_U8, CS_BASE_DEC, csq_special_vals,
                 NULL, "0-31; 99 = not known", 0),
    [WF_SER] = F("woshi.ser", "Bit error rate (SER)", CS_FT_U8, CS_BASE_DEC, ber_vals, NULL,
                 "Names as for AT+CSQ <ber> [inferred]", CS_FF_INFERRED),
    [WF_NET_MODE] = F("woshi.net_mode", "Network mode", CS_FT_U8, CS_BASE_DEC, mode_vals, NULL,
                      NULL, 0),
    [WF_REQUEST_IN] = {"woshi.request_in", "Request in frame", CS_FT_FRAMENUM, CS_BASE_NONE, NULL,
                       NULL, "The request this PDU answers", CS_FF_GENERATED | CS_FF_FN_REQUEST,
                       -1},
    [WF_RESPONSE_IN] = {"woshi.response_in", "Response in frame", CS_FT_FRAMENUM, CS_BASE_NONE,
                        NULL, NULL, "The response to this request",
                        CS_FF_GENERATED | CS_FF_FN_RESPONSE, -1},
    [WF_RESPONSE_TIME] = F("woshi.response_time", "Response time", CS_FT_RELTIME, CS_BASE_NONE,
                           NULL, NULL, "Time from the request to this response", CS_FF_GENERATED),
    [WF_HB_GAP] = F("woshi.heartbeat.gap", "Time since previous heartbeat", CS_FT_RELTIME,
                    CS_BASE_NONE, NULL, NULL, "Or since the login, for the first heartbeat",
                    CS_FF_GENERATED),
    [WF_HB_EXPECTED] = F("woshi.heartbeat.expected", "Expected heartbeat interval", CS_FT_U32,
                         CS_BASE_DEC, NULL, "s",
                         "From 0x63/0x6A when seen, else the heartbeat_interval preference",
                         CS_FF_GENERATED),
};

/* ---- violations ----------------------------------------------------------- */

static const cs_violation_def violations[WV__COUNT] = {
    [WV_LEN_INVALID] = {"woshi.len.invalid", CS_SEV_ERROR, CS_GRP_MALFORMED,
                        "PacketLen is below the 7-byte header"},
    [WV_LEN_TRUNCATED] = {"woshi.len.truncated", CS_SEV_ERROR, CS_GRP_MALFORMED,
                          "PDU cut short: PacketLen announces more bytes than are present"},
    [WV_LEN_MISMATCH] = {"woshi.len.mismatch", CS_SEV_ERROR, CS_GRP_MALFORMED,
                         "PacketLen disagrees with the size of the frame"},
    [WV_PAYLOAD_SHORT] = {"woshi.payload.short", CS_SEV_ERROR, CS_GRP_MALFORMED,
                          "Payload shorter than its command needs"},
    [WV_PAYLOAD_TRAILING] = {"woshi.payload.trailing", CS_SEV_WARN, CS_GRP_MALFORMED,
                             "Bytes left over after the command's fields"},
    [WV_CHECKSUM_BAD] = {"woshi.checksum.bad", CS_SEV_ERROR, CS_GRP_CHECKSUM,
                         "Bad checksum from the cabinet"},
    [WV_CHECKSUM_SERVER] = {"woshi.checksum.server_habit", CS_SEV_WARN, CS_GRP_CHECKSUM,
                            "Wrong checksum from the server (servers commonly send a constant; "
                            "cabinets accept it)"},
    [WV_VSN] = {"woshi.vsn.unexpected", CS_SEV_WARN, CS_GRP_PROTOCOL,
                "VSN is not the fixed 0x01"},
    [WV_TOKEN] = {"woshi.token.unexpected", CS_SEV_WARN, CS_GRP_PROTOCOL,
                  "Token is not the fixed 11 22 33 44"},
    [WV_TOKEN_ASCII] = {"woshi.token.ascii", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                        "Server sends a 4-digit ASCII token instead of 11 22 33 44 (a known "
                        "server habit)"},
    [WV_CMD_UNKNOWN] = {"woshi.cmd.unknown", CS_SEV_WARN, CS_GRP_UNDECODED, "Unknown command"},
    [WV_STRING_LEN] = {"woshi.string.len", CS_SEV_ERROR, CS_GRP_MALFORMED,
                       "String length overruns the payload"},
    [WV_STRING_NUL] = {"woshi.string.nul", CS_SEV_WARN, CS_GRP_MALFORMED,
                       "String is not a single NUL-terminated string of its stated length"},
    [WV_RANGE] = {"woshi.value.range", CS_SEV_WARN, CS_GRP_PROTOCOL,
                  "Value outside its documented range"},
    [WV_TID_BCD] = {"woshi.terminal_id.not_bcd", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                    "Power bank ID serial is not BCD (field IDs are 4 characters + 4 BCD bytes)"},
    [WV_INVENTORY_COUNT] = {"woshi.inventory.count", CS_SEV_ERROR, CS_GRP_MALFORMED,
                            "RemainNum disagrees with the slot entries present"},
    [WV_DIR_MISMATCH] = {"woshi.direction.mismatch", CS_SEV_WARN, CS_GRP_PROTOCOL,
                         "Payload shape does not fit the direction the PDU travels"},
    [WV_LOGIN_MISSING] = {"woshi.login.missing", CS_SEV_WARN, CS_GRP_SEQUENCE,
                          "Command before a successful login"},
    [WV_HB_LATE] = {"woshi.heartbeat.late", CS_SEV_WARN, CS_GRP_SEQUENCE,
                    "Heartbeat later than the interval"},
    [WV_UNSOLICITED] = {"woshi.response.unsolicited", CS_SEV_WARN, CS_GRP_SEQUENCE,
                        "Response without a request"},
    [WV_UNANSWERED] = {"woshi.request.unanswered", CS_SEV_WARN, CS_GRP_SEQUENCE,
                       "Request never answered"},
    [WV_SLOT_MISMATCH] = {"woshi.slot.mismatch", CS_SEV_WARN, CS_GRP_PROTOCOL,
                          "Response names another slot than its request"},
    [WV_GARBAGE] = {"woshi.garbage", CS_SEV_ERROR, CS_GRP_MALFORMED,
                    "Bytes between PDUs that are not a Woshi PDU"},
};

/* ---- options --------------------------------------------------------------- */

static const cs_option_def options[WO__COUNT] = {
    [WO_VERIFY_CHECKSUM] = {"verify_checksum", "Verify the payload checksum",
                            "Compare the checksum byte with the XOR of the payload", CS_OPT_BOOL, 1,
                            NULL},
    [WO_HB_INTERVAL] = {"heartbeat_interval", "Heartbeat interval (seconds)",
                        "Expected cabinet heartbeat interval when 0x63/0x6A has not shown one",
                        CS_OPT_UINT, 30, NULL},
    [WO_HB_TOLERANCE] = {"heartbeat_tolerance", "Heartbeat tolerance (percent)",
                         "A heartbeat is late when the gap exceeds the interval by more than this",
                         CS_OPT_UINT, 50, NULL},
};

/* ---- command shapes (payload sizes) ---------------------------------------
 * The request travels `req_dir`; the response the other way.  A size range
 * [min, max] (max 0xFFFF: no bound) and an optional step: 1+10N for the
 * inventory.  Field commands without a known layout have no shape. */

typedef struct wshape {
    uint16_t min, max, step;
} wshape;

typedef struct wcmd {
    uint8_t cmd;
    uint8_t req_dir;
    bool has_shape;
    wshape req, resp;
} wcmd;

/* Indexed by the command's offset from 0x60 (every command is 0x60-0x80);
 * an entry whose .cmd is 0 is no command. */
#define W_CMD_FIRST 0x60
#define W_CMD_LAST 0x80
#define ANY 0xFFFF
static const wcmd cmds[W_CMD_LAST - W_CMD_FIRST + 1] = {
    [0x60 - W_CMD_FIRST] = {0x60, CS_DIR_TO_SERVER, true, {9, ANY, 0}, {1, 1, 0}},
    [0x61 - W_CMD_FIRST] = {0x61, CS_DIR_TO_SERVER, true, {0, 0, 0}, {0, 0, 0}},
    [0x62 - W_CMD_FIRST] = {0x62, CS_DIR_TO_DEVICE, true, {0, 0, 0}, {3, ANY, 0}},
    [0x63 - W_CMD_FIRST] = {0x63, CS_DIR_TO_DEVICE, true, {7, ANY, 0}, {0, 0, 0}},
    [0x64 - W_CMD_FIRST] = {0x64, CS_DIR_TO_DEVICE, true, {0, 0, 0}, {1, ANY, 10}},
    [0x65 - W_CMD_FIRST] = {0x65, CS_DIR_TO_DEVICE, true, {1, 1, 0}, {10, 10, 0}},
    [0x66 - W_CMD_FIRST] = {0x66, CS_DIR_TO_SERVER, true, {9, 9, 0}, {2, 2, 0}},
    [0x67 - W_CMD_FIRST] = {0x67, CS_DIR_TO_DEVICE, true, {0, 0, 0}, {0, 0, 0}},
    [0x68 - W_CMD_FIRST] = {0x68, CS_DIR_TO_DEVICE, true, {15, ANY, 0}, {0, 0, 0}},
    [0x69 - W_CMD_FIRST] = {0x69, CS_DIR_TO_DEVICE, true, {0, 0, 0}, {3, ANY, 0}},
    [0x6A - W_CMD_FIRST] = {0x6A, CS_DIR_TO_DEVICE, true, {0, 0, 0}, {7, ANY, 0}},
    [0x80 - W_CMD_FIRST] = {0x80, CS_DIR_TO_DEVICE, true, {1, 1, 0}, {10, 10, 0}},
    [0x77 - W_CMD_FIRST] = {0x77, CS_DIR_TO_DEVICE, true, {0, 0, 0}, {1, 1, 0}},
    [0x70 - W_CMD_FIRST] = {0x70, CS_DIR_TO_DEVICE, true, {1, 1, 0}, {1, 1, 0}},
    [0x72 - W_CMD_FIRST] = {0x72, CS_DIR_TO_DEVICE, true, {0, 0, 0}, {3, 3, 0}},
    [0x6B - W_CMD_FIRST] = {0x6B, CS_DIR_TO_DEVICE, false, {0, 0, 0}, {0, 0, 0}},
    [0x71 - W_CMD_FIRST] = {0x71, CS_DIR_TO_DEVICE, false, {0, 0, 0}, {0, 0, 0}},
    [0x73 - W_CMD_FIRST] = {0x73, CS_DIR_TO_DEVICE, false, {0, 0, 0}, {0, 0, 0}},
    [0x74 - W_CMD_FIRST] = {0x74, CS_DIR_TO_DEVICE, false, {0, 0, 0}, {0, 0, 0}},
};
#undef ANY

static const wcmd *find_cmd(uint8_t cmd)
{
    if (cmd < W_CMD_FIRST || cmd > W_CMD_LAST)
        return NULL;
    const wcmd *c = &cmds[cmd - W_CMD_FIRST];
    return c->cmd == cmd ? c : NULL;
}

static cs_dir opposite(cs_dir d)
{
    return d == CS_DIR_TO_SERVER ? CS_DIR_TO_DEVICE
           : d == CS_DIR_TO_DEVICE ? CS_DIR_TO_SERVER
                                   : CS_DIR_UNKNOWN;
}

/* How far n is from fitting shape s (0 = fits). */
static uint32_t shape_distance(const wshape *s, uint32_t n)
{
    if (n < s->min)
        return s->min - n;
    if (n > s->max)
        return n - s->max;
    if (s->step) {
        uint32_t r = (n - s->min) % s->step;
        return r < s->step - r ? r : s->step - r;
    }
    return 0;
}

/* The direction the payload size points to, or UNKNOWN when both or
 * neither fit equally. */
static cs_dir shape_dir(const wcmd *c, uint32_t n)
{
    if (!c || !c->has_shape)
        return CS_DIR_UNKNOWN;
    uint32_t dq = shape_distance(&c->req, n), dr = shape_distance(&c->resp, n);
    if (dq < dr)
        return (cs_dir)c->req_dir;
    if (dr < dq)
        return opposite((cs_dir)c->req_dir);
    return CS_DIR_UNKNOWN;
}

static bool shape_fits_exactly(const wcmd *c, uint32_t n)
{
    return c && c->has_shape &&
           (shape_distance(&c->req, n) == 0 || shape_distance(&c->resp, n) == 0);
}

/* ---- framing and heuristic --------------------------------------------- */

/* A plausible header at p (4 bytes): PacketLen within bounds, and a known
 * command or the fixed VSN. */
static bool header_plausible(const uint8_t *p)
{
    uint16_t len = cs_be16(p);
    return len >= W_HDR - 2 && len <= W_MAX_PACKETLEN && (find_cmd(p[2]) || p[3] == 0x01);
}

static cs_frame_kind woshi_frame(const uint8_t *buf, size_t avail, size_t *len)
{
    if (avail < 4) {
        *len = 4;
        return CS_FRAME_NEED;
    }
    if (header_plausible(buf)) {
        *len = (size_t)cs_be16(buf) + 2;
        return CS_FRAME_PDU;
    }
    for (size_t i = 1; i + 4 <= avail; i++)
        if (header_plausible(buf + i)) {
            *len = i;
            return CS_FRAME_SKIP;
        }
    /* Keep the last 3 bytes: they may begin a header. */
    *len = avail > 3 ? avail - 3 : 1;
    return CS_FRAME_SKIP;
}

static bool token_ascii(const uint8_t *t)
{
    for (int i = 0; i < 4; i++)
        if (t[i] < '0' || t[i] > '9')
            return false;
    return true;
}

/* Strict: the first PDU of the payload must look exactly like 4.6P, and
 * every complete PDU after it must too. */
static bool woshi_probe(const uint8_t *buf, size_t len, bool udp)
{
    if (udp || len < W_HDR)
        return false;
    size_t off = 0;
    int seen = 0;
    while (off + W_HDR <= len) {
        const uint8_t *p = buf + off;
        uint16_t plen = cs_be16(p);
        const wcmd *c = find_cmd(p[2]);
        if (plen < W_HDR - 2 || plen > W_MAX_PACKETLEN || !c || p[3] != 0x01)
            return false;
        if (cs_be32(p + 5) != W_TOKEN && !token_ascii(p + 5))
            return false;
        size_t total = (size_t)plen + 2;
        if (off + total > len)
            break; /* the rest continues in a later segment */
        if (c->has_shape && !shape_fits_exactly(c, plen + 2u - W_HDR))
            return false;
        off += total;
        seen++;
    }
    return seen > 0 || off == 0;
}

/* ---- sessions ------------------------------------------------------------- */

typedef struct woshi_sess {
    uint32_t opts[CS_MAX_OPTS];
    bool start_seen;
    bool logged_in;
    uint8_t role[2];     /* learned cs_dir of what each side sends */
    uint32_t hb_learned; /* heartbeat interval from 0x63/0x6A, 0 = none */
    int64_t hb_ref_ns;   /* previous heartbeat or login, 0 = none */
    cs_rr rr;
} woshi_sess;

static void woshi_sess_init(void *sv, const uint32_t *opts, bool start_seen)
{
    woshi_sess *s = sv;
    memset(s, 0, offsetof(woshi_sess, rr.e)); /* rr.e[] is read up to rr.n only */
    memcpy(s->opts, opts, sizeof s->opts);
    s->start_seen = start_seen;
    s->logged_in = !start_seen; /* mid-stream: the login was before the capture */
}

static void woshi_sess_fini(void *sv) { (void)sv; }

static void woshi_sess_end(void *sv, cs_out *o)
{
    woshi_sess *s = sv;
    cs_out_reset(o);
    cs_rr_end(&s->rr, &woshi_proto, o);
}

/* ---- the payload cursor --------------------------------------------- */

typedef struct wcur {
    cs_out *o;
    const uint8_t *p; /* the whole PDU */
    uint32_t end;     /* end of the payload present (absolute offset) */
    uint32_t pos;     /* absolute offset */
    bool short_;      /* ran out of payload */
    uint8_t cmd;      /* for messages: "Borrow response" (what_name, what_kind) */
    bool request;
    uint32_t need;    /* documented payload size, for messages */
} wcur;

/* The message's name for texts, "Borrow" of "Borrow response": looked up
 * only when a text is built. */
static const char *what_name(const wcur *c) { return cs_vs_name(cmd_short, c->cmd, "Command"); }
static const char *what_kind(const wcur *c) { return c->request ? "request" : "response"; }

static bool need(wcur *c, uint32_t n)
{
    if (c->pos + n <= c->end)
        return true;
    if (!c->short_) {
        c->short_ = true;
        cs_viol_add(c->o, WV_PAYLOAD_SHORT, -1, c->pos, c->end - c->pos,
                    "Payload ends after %u byte%s; %s %s needs %s%u", c->end - W_HDR,
                    c->end - W_HDR == 1 ? "" : "s", what_name(c), what_kind(c),
                    c->need ? "" : "at least ",
                    c->need ? c->need : c->pos + n - W_HDR);
    }
    return false;
}

static bool rd_u8(wcur *c, int field, uint8_t *v, int *item)
{
    if (!need(c, 1))
        return false;
    *v = c->p[c->pos];
    int it = cs_item_add(c->o, field, c->pos, 1, *v);
    if (item)
        *item = it;
    c->pos += 1;
    return true;
}

static bool rd_u16(wcur *c, int field, uint16_t *v)
{
    if (!need(c, 2))
        return false;
    *v = cs_be16(c->p + c->pos);
    cs_item_add(c->o, field, c->pos, 2, *v);
    c->pos += 2;
    return true;
}

static bool rd_u32(wcur *c, int field, uint32_t *v)
{
    if (!need(c, 4))
        return false;
    *v = cs_be32(c->p + c->pos);
    cs_item_add(c->o, field, c->pos, 4, *v);
    c->pos += 4;
    return true;
}

/* Len u16 + NUL-terminated string, the length counting the NUL.  The
 * value (up to the first NUL) goes to out[outsz]. */
static bool rd_string(wcur *c, int f_len, int f_str, const char *label, char *out, size_t outsz,
                      int *item)
{
    uint16_t slen;
    if (out && outsz)
        out[0] = '\0';
    if (item)
        *item = -1;
    if (!rd_u16(c, f_len, &slen))
        return false;
    uint32_t avail = c->end - c->pos;
    uint32_t take = slen <= avail ? slen : avail;
    const char *s = (const char *)c->p + c->pos;
    const char *nul = memchr(s, 0, take);
    size_t vis = nul ? (size_t)(nul - s) : take;
    int it = cs_item_str(c->o, f_str, c->pos, take, s, vis);
    if (item)
        *item = it;
    if (out && outsz) {
        size_t k = vis < outsz - 1 ? vis : outsz - 1;
        for (size_t i = 0; i < k; i++)
            out[i] = (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
        out[k] = '\0';
    }
    if (slen > avail) {
        cs_viol_add(c->o, WV_STRING_LEN, it, c->pos - 2, 2,
                    "%s length %u overruns the payload (%u byte%s left)", label, slen, avail,
                    avail == 1 ? "" : "s");
        c->pos = c->end;
        c->short_ = true; /* already reported */
        return false;
    }
    if (slen == 0)
        cs_viol_add(c->o, WV_STRING_NUL, it, c->pos - 2, 2,
                    "%s is empty: no terminating NUL (the length includes it)", label);
    else if (s[slen - 1] != '\0')
        cs_viol_add(c->o, WV_STRING_NUL, it, c->pos, slen, "%s is not NUL-terminated", label);
    else if (vis + 1 < slen)
        cs_viol_add(c->o, WV_STRING_NUL, it, c->pos, slen,
                    "%s has a NUL at byte %zu of %u: bytes after it are hidden", label, vis + 1,
                    slen);
    c->pos += slen;
    return true;
}

/* 4 characters + 4 BCD bytes, e.g. 53 4D 42 48 98 00 19 22 = SMBH98001922.
 * The text (for the item, the Info column and the violation) goes to
 * out[TID_TEXT]; it is built only when one of them needs it, else out
 * is "". */
#define TID_TEXT 20
static bool rd_terminal_id(wcur *c, char out[TID_TEXT])
{
    out[0] = '\0';
    if (!need(c, 8))
        return false;
    const uint8_t *t = c->p + c->pos;
    bool bcd = true, print = true;
    for (int i = 0; i < 4; i++)
        if (t[i] < 0x20 || t[i] >= 0x7F)
            print = false;
    for (int i = 4; i < 8; i++)
        if (cs_bcd2(t[i]) < 0)
            bcd = false;
    if (c->o->want || !bcd || !print) {
        /* the characters and the serial in hex, or all 8 bytes in hex */
        if (print) {
            memcpy(out, t, 4);
            cs_hex(out + 4, TID_TEXT - 4, t + 4, 4);
        } else {
            cs_hex(out, TID_TEXT, t, 8);
        }
    }
    int it = cs_item_str(c->o, WF_TERMINAL_ID, c->pos, 8, out, strlen(out));
    if (!bcd || !print)
        cs_viol_add(c->o, WV_TID_BCD, it, c->pos, 8,
                    "Power bank ID %s: %s; shown in hex", out,
                    !print ? "the first 4 bytes are not characters" : "the serial is not BCD");
    c->pos += 8;
    return true;
}

/* The byte at `off` (item `item`) holds v; ok: within its range. */
static void range_check(wcur *c, int item, uint32_t off, uint32_t v, bool ok, const char *what,
                        const char *allowed)
{
    if (!ok)
        cs_viol_add(c->o, WV_RANGE, item, off, 1, "%s %u is outside %s", what, v, allowed);
}

/* A result byte, shown with the command's own value names. */
static bool rd_result(wcur *c, const cs_vs *names, uint32_t max, const char **name, uint8_t *v)
{
    int it;
    if (!rd_u8(c, WF_RESULT, v, &it))
        return false;
    *name = cs_vs_name(names, *v, "Unknown");
    cs_item_text(c->o, it, "%s (%u)", *name, *v);
    c->o->result = *v;
    c->o->result_name = *name;
    if (*v > max)
        cs_viol_add(c->o, WV_RANGE, it, c->pos - 1, 1, "Result %u is outside 0-%u", *v, max);
    return true;
}

/* A fact for the device table: what cs_fact_add(o, kind, "%s", s) makes,
 * without formatting.  s comes from rd_string(), printable already, so
 * the arena's copy is s itself unless it holds a backslash (which the
 * copy would escape). */
static void fact(cs_out *o, cs_fact_kind kind, const char *s)
{
    size_t n = strlen(s);
    if (o->n_facts >= CS_MAX_FACTS)
        return;
    if (memchr(s, '\\', n)) {
        cs_fact_add(o, kind, "%s", s);
        return;
    }
    cs_fact_printable(o, kind, s, n);
}

/* ---- per-command payloads ------------------------------------------------- */

static void server_address(wcur *c, const char *verb)
{
    char addr[80], port[16];
    uint8_t hb;
    int it;
    if (!rd_string(c, WF_ADDRESS_LEN, WF_ADDRESS, "Address", addr, sizeof addr, NULL))
        return;
    if (!rd_string(c, WF_PORT_LEN, WF_PORT, "Port", port, sizeof port, NULL))
        return;
    if (!rd_u8(c, WF_HEARTBEAT, &hb, &it))
        return;
    range_check(c, it, c->pos - 1, hb, hb >= 1, "Heartbeat interval", "1-255");
    cs_info(c->o, "%s %s:%s heartbeat %u s", verb, addr, port, hb);
}

static void login_request(wcur *c)
{
    uint32_t v32;
    uint16_t v16;
    char box[40];
    int it;
    if (!rd_u32(c, WF_RAND, &v32) || !rd_u16(c, WF_MAGIC, &v16))
        return;
    if (!rd_string(c, WF_BOX_ID_LEN, WF_BOX_ID, "BoxID", box, sizeof box, &it))
        return;
    cs_info(c->o, "Login BoxID=%s", box);
    fact(c->o, CS_FACT_DEVICE_ID, box);
    if (it >= 0 && strlen(box) == 16) {
        uint32_t off = c->o->items[it].offset;
        cs_push(c->o);
        int g;
        g = cs_item_str(c->o, WF_BOX_VENDOR, off, 2, box, 2);
        cs_item_flag(c->o, g, CS_IF_GENERATED);
        g = cs_item_str(c->o, WF_BOX_CUSTOMER, off + 2, 2, box + 2, 2);
        cs_item_flag(c->o, g, CS_IF_GENERATED);
        int model = (box[4] >= '0' && box[4] <= '9' && box[5] >= '0' && box[5] <= '9')
                        ? (box[4] - '0') * 10 + (box[5] - '0')
                        : -1;
        const char *mn = model >= 0 ? cs_vs_find(model_vals, (uint32_t)model) : NULL;
        if (!mn && model >= 4 && model <= 48)
            mn = "Smart charging cabinet series (04-48)";
        g = cs_item_strf(c->o, WF_BOX_MODEL, off + 4, 2, "%.2s%s%s%s", box + 4, mn ? " (" : "",
                         mn ? mn : "", mn ? ")" : "");
        cs_item_flag(c->o, g, CS_IF_GENERATED);
        g = cs_item_str(c->o, WF_BOX_BATCH, off + 6, 10, box + 6, 10);
        cs_item_flag(c->o, g, CS_IF_GENERATED);
        cs_pop(c->o);
    }
}

static void inventory_response(wcur *c)
{
    uint8_t num;
    if (!rd_u8(c, WF_REMAIN_NUM, &num, NULL))
        return;
    uint32_t present = (c->end - c->pos) / 10;
    if (present != num || (c->end - c->pos) % 10)
        cs_viol_add(c->o, WV_INVENTORY_COUNT, -1, c->pos - 1, 1,
                    "RemainNum %u, but the payload holds %u entr%s%s", num, present,
                    present == 1 ? "y" : "ies",
                    (c->end - c->pos) % 10 ? " and a partial one" : "");
    cs_info(c->o, "Inventory: %u power bank%s", num, num == 1 ? "" : "s");
    uint32_t n = num < present ? num : present;
    bool info = (c->o->want & CS_WANT_INFO) != 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t start = c->pos;
        int e = cs_item_add(c->o, WF_ENTRY, start, 10, 0);
        cs_push(c->o);
        /* initialised for GCC 14, which cannot see that the entry is
         * present (n <= present) and every read below succeeds */
        uint8_t slot = 0, level = 0;
        char tid[TID_TEXT] = "";
        int lit = -1;
        rd_u8(c, WF_SLOT, &slot, NULL);
        rd_terminal_id(c, tid);
        rd_u8(c, WF_LEVEL, &level, &lit);
        range_check(c, lit, c->pos - 1, level, level <= 4, "Level", "0-4");
        cs_pop(c->o);
        if (e >= 0)
            cs_item_text(c->o, e, "Slot %u: %s, %s", slot, tid,
                         cs_vs_name(level_vals, level, "unknown level"));
        if (info && i < 3)
            cs_info(c->o, "%s slot %u %s %s", i ? "," : ";", slot, tid,
                    cs_vs_name(level_vals, level, "?"));
        else if (info && i == 3)
            cs_info(c->o, ", ...");
    }
}

static void ftp_upgrade(wcur *c)
{
    char addr[80], port[16], file[80], user[40];
    if (!rd_string(c, WF_FTP_ADDRESS_LEN, WF_FTP_ADDRESS, "FTP address", addr, sizeof addr, NULL))
        return;
    if (!rd_string(c, WF_FTP_PORT_LEN, WF_FTP_PORT, "FTP port", port, sizeof port, NULL))
        return;
    if (!rd_string(c, WF_FTP_FILE_LEN, WF_FTP_FILE, "File name", file, sizeof file, NULL))
        return;
    if (!rd_string(c, WF_FTP_USER_LEN, WF_FTP_USER, "Username", user, sizeof user, NULL))
        return;
    if (!rd_string(c, WF_FTP_PASS_LEN, WF_FTP_PASS, "Password", NULL, 0, NULL))
        return;
    cs_info(c->o, "FTP upgrade ftp://%s@%s:%s/%s", user, addr, port, file);
}

/* Slot + Result + TerminalID: borrow and force-eject responses. */
static void eject_response(wcur *c, const char *verb)
{
    uint8_t slot, res;
    const char *rn;
    char tid[TID_TEXT];
    if (!rd_u8(c, WF_SLOT, &slot, NULL) || !rd_result(c, ok_vals, 1, &rn, &res))
        return;
    cs_info(c->o, "%s slot %u \u2192 %s", verb, slot, res == 1 ? "OK" : rn);
    if (rd_terminal_id(c, tid))
        cs_info(c->o, " %s", tid);
}

static void payload_decode(wcur *c, uint8_t cmd, bool request)
{
    cs_out *o = c->o;
    uint8_t v8;
    int it;
    char str[80];
    const char *rn;
    switch (cmd) {
    case 0x60:
        if (request)
            login_request(c);
        else if (rd_result(c, login_result_vals, 2, &rn, &v8))
            cs_info(o, "Login \u2192 %s", rn);
        break;
    case 0x61:
        cs_info(o, request ? "Heartbeat" : "Heartbeat echo");
        break;
    case 0x62:
        if (request)
            cs_info(o, "Query SW version");
        else if (rd_string(c, WF_SOFT_VER_LEN, WF_SOFT_VER, "SoftVer", str, sizeof str, NULL)) {
            cs_info(o, "SW version %s", str);
            fact(o, CS_FACT_FIRMWARE, str);
        }
        break;
    case 0x63:
        if (request)
            server_address(c, "Set server");
        else
            cs_info(o, "Set server address \u2192 ACK");
        break;
    case 0x64:
        if (request)
            cs_info(o, "Query inventory");
        else
            inventory_response(c);
        break;
    case 0x65:
    case 0x80:
        if (!request)
            eject_response(c, cmd == 0x65 ? "Borrow" : "Force eject");
        else if (rd_u8(c, WF_SLOT, &v8, NULL))
            cs_info(o, "%s slot %u", cmd == 0x65 ? "Borrow" : "Force eject", v8);
        break;
    case 0x66:
        if (request) {
            char tid[TID_TEXT];
            if (rd_u8(c, WF_SLOT, &v8, NULL) && rd_terminal_id(c, tid))
                cs_info(o, "Return slot %u %s", v8, tid);
        } else {
            uint8_t slot;
            if (rd_u8(c, WF_SLOT, &slot, NULL) && rd_result(c, return_result_vals, 5, &rn, &v8))
                cs_info(o, "Return slot %u \u2192 %s", slot, rn);
        }
        break;
    case 0x67:
        cs_info(o, request ? "Reboot" : "Reboot \u2192 ACK");
        break;
    case 0x68:
        if (request)
            ftp_upgrade(c);
        else
            cs_info(o, "FTP upgrade \u2192 ACK");
        break;
    case 0x69:
        if (request)
            cs_info(o, "Query ICCID");
        else if (rd_string(c, WF_ICCID_LEN, WF_ICCID, "ICCID", str, sizeof str, NULL)) {
            cs_info(o, "ICCID %s", str);
            fact(o, CS_FACT_ICCID, str);
        }
        break;
    case 0x6A:
        if (request)
            cs_info(o, "Query server address");
        else
            server_address(c, "Server address");
        break;
    case 0x77:
        if (request)
            cs_info(o, "Query volume");
        else if (rd_u8(c, WF_VOLUME, &v8, &it)) {
            range_check(c, it, c->pos - 1, v8, v8 <= 15, "Volume", "0-15");
            cs_info(o, "Volume %u", v8);
        }
        break;
    case 0x70:
        if (request) {
            if (rd_u8(c, WF_VOLUME, &v8, &it)) {
                range_check(c, it, c->pos - 1, v8, v8 <= 15, "Volume", "0-15");
                cs_info(o, "Set volume %u", v8);
            }
        } else if (rd_result(c, ok_vals, 1, &rn, &v8))
            cs_info(o, "Set volume \u2192 %s", rn);
        break;
    case 0x72:
        if (request)
            cs_info(o, "Query network info");
        else {
            uint8_t csq, ser, mode;
            int ci, mi;
            if (!rd_u8(c, WF_CSQ, &csq, &ci) || !rd_u8(c, WF_SER, &ser, NULL) ||
                !rd_u8(c, WF_NET_MODE, &mode, &mi))
                break;
            range_check(c, ci, c->pos - 3, csq, csq <= 31 || csq == 99, "CSQ", "0-31 (or 99)");
            const char *mn = cs_vs_find(mode_vals, mode);
            range_check(c, mi, c->pos - 1, mode, mn != NULL, "Network mode", "2, 3, 5 and 7");
            cs_info(o, "Network: CSQ %u, SER %u, %s", csq, ser, mn ? mn : "mode unknown");
            /* "CSQ %u, %s", the name being one of mode_vals */
            const char *mt = mn ? mn : "unknown mode";
            char sig[48] = "CSQ ";
            size_t k = 4, ml = strlen(mt);
            if (csq >= 100)
                sig[k++] = (char)('0' + csq / 100);
            if (csq >= 10)
                sig[k++] = (char)('0' + csq / 10 % 10);
            sig[k++] = (char)('0' + csq % 10);
            sig[k++] = ',';
            sig[k++] = ' ';
            if (ml < sizeof sig - k) {
                memcpy(sig + k, mt, ml + 1);
                fact(o, CS_FACT_SIGNAL, sig);
            } else {
                cs_fact_add(o, CS_FACT_SIGNAL, "CSQ %u, %s", csq, mt);
            }
        }
        break;
    default: {
        /* field commands: named, layout undocumented */
        if (o->want & CS_WANT_INFO)
            cs_info(o, "%s%s", what_name(c), request ? "" : " response");
        if (c->pos < c->end) {
            cs_item_add(o, WF_PAYLOAD, c->pos, c->end - c->pos, 0);
            c->pos = c->end;
        }
        break;
    }
    }
}

/* ---- decode ---------------------------------------------------------------- */

static void woshi_decode(void *sv, const uint32_t *opts, const uint8_t *b, size_t n,
                         const cs_ctx *ctx, cs_out *o)
{
    woshi_sess *s = sv;
    cs_out_reset(o);
    if (n < 2) {
        cs_viol_add(o, WV_LEN_TRUNCATED, -1, 0, (uint32_t)n, "Only %zu byte%s of a PDU", n,
                    n == 1 ? "" : "s");
        cs_info(o, "[truncated PDU]");
        cs_mark_stateless(o);
        return;
    }
    uint16_t plen = cs_be16(b);
    uint32_t total = (uint32_t)plen + 2;
    int len_it = cs_item_add(o, WF_LEN, 0, 2, plen);
    if (plen < W_HDR - 2)
        cs_viol_add(o, WV_LEN_INVALID, len_it, 0, 2, "PacketLen %u is below the 7-byte header",
                    plen);

    /* The end of the PDU as far as bytes are present, and what to make of
     * a disagreement between PacketLen and the bytes. */
    uint32_t present = (uint32_t)n;
    uint32_t end = total < present ? total : present;
    bool cksum_verifiable = true;
    const wcmd *cmd_def = n >= 3 ? find_cmd(b[2]) : NULL;
    /* The payload size the shape is judged on: what PacketLen announces,
     * unless a whole frame shows PacketLen itself is wrong. */
    uint32_t shape_len = plen >= W_HDR - 2 ? plen - (W_HDR - 2) : 0;
    if (present < total) {
        uint32_t pay_present = present > W_HDR ? present - W_HDR : 0;
        if (ctx->whole && present >= W_HDR && shape_fits_exactly(cmd_def, pay_present)) {
            shape_len = pay_present;
            cs_viol_add(o, WV_LEN_MISMATCH, len_it, 0, 2,
                        "PacketLen %u announces a %u-byte frame, but the frame has %u bytes "
                        "and is complete for its command",
                        plen, total, present);
        } else {
            cs_viol_add(o, WV_LEN_TRUNCATED, len_it, 0, 2,
                        "PacketLen %u announces %u bytes, only %u present", plen, total, present);
            cksum_verifiable = false;
        }
    } else if (present > total && ctx->whole && plen >= W_HDR - 2) {
        cs_viol_add(o, WV_LEN_MISMATCH, len_it, 0, 2,
                    "PacketLen %u announces a %u-byte frame, but %u bytes follow", plen, total,
                    present);
    }
    if (plen < W_HDR - 2)
        end = present;

    if (n < 3) {
        cs_info(o, "[truncated PDU]");
        cs_mark_stateless(o);
        return;
    }
    uint8_t cmd = b[2];
    o->cmd = cmd;
    o->cmd_name = cs_vs_find(cmd_vals, cmd);
    int cmd_it = cs_item_add(o, WF_CMD, 2, 1, cmd);
    if (!cmd_def)
        cs_viol_add(o, WV_CMD_UNKNOWN, cmd_it, 2, 1, "Unknown command 0x%02X", cmd);
    if (n >= 4) {
        int it = cs_item_add(o, WF_VSN, 3, 1, b[3]);
        if (b[3] != 0x01)
            cs_viol_add(o, WV_VSN, it, 3, 1, "VSN 0x%02X, expected 0x01", b[3]);
    }

    /* Direction: the shape, else the transport, else what was learned. */
    uint32_t pay_len = end > W_HDR ? end - W_HDR : 0;
    cs_dir by_shape = shape_dir(cmd_def, shape_len);
    cs_dir dir = CS_DIR_UNKNOWN;
    cs_dir_source src = CS_DS_NONE;
    if (ctx->dir_override) {
        dir = (cs_dir)ctx->dir_override;
        src = ctx->dir_override_source ? (cs_dir_source)ctx->dir_override_source : CS_DS_OVERRIDE;
    } else if (by_shape && by_shape == ctx->transport_dir) {
        dir = by_shape;
        src = CS_DS_TRANSPORT; /* the handshake, confirmed by the shape */
    } else if (by_shape) {
        dir = by_shape;
        src = CS_DS_SHAPE;
    } else if (ctx->transport_dir) {
        dir = (cs_dir)ctx->transport_dir;
        src = CS_DS_TRANSPORT;
    } else if (s && s->role[ctx->side & 1]) {
        dir = (cs_dir)s->role[ctx->side & 1];
        src = CS_DS_LEARNED;
    } else if ((dir = cs_dir_by_ports(ctx)) != CS_DIR_UNKNOWN) {
        src = CS_DS_PORTS;
    }
    o->dir = (uint8_t)dir;
    o->dir_source = (uint8_t)src;
    int dir_it = cs_item_add(o, WF_DIRECTION, 0, 0, dir);
    if (dir_it >= 0) {
        cs_item_flag(o, dir_it, CS_IF_GENERATED);
        cs_item_text(o, dir_it, "%s (%s)",
                     cmd_def && cmd_def->has_shape && dir
                         ? (dir == CS_DIR_TO_SERVER ? "Cabinet to server" : "Server to cabinet")
                         : cs_vs_name(cs_dir_vals, dir, "Unknown"),
                     cs_vs_name(cs_dir_source_vals, src, "?"));
    }
    if (by_shape && ctx->transport_dir && by_shape != ctx->transport_dir)
        cs_viol_add(o, WV_DIR_MISMATCH, dir_it, 0, 0,
                    "The payload has the shape of a %s message, but travels %s",
                    by_shape == CS_DIR_TO_SERVER ? "cabinet-to-server" : "server-to-cabinet",
                    ctx->transport_dir == CS_DIR_TO_SERVER ? "cabinet to server"
                                                           : "server to cabinet");
    bool request = cmd_def && dir == (cs_dir)cmd_def->req_dir;
    bool info = (o->want & CS_WANT_INFO) != 0;
    wcur c = {.o = o, .p = b, .end = end, .pos = W_HDR, .short_ = true, .cmd = cmd,
              .request = request};

    if (n < W_HDR) {
        if (n >= 5)
            cs_item_add(o, WF_CHECKSUM, 4, 1, b[4]);
        if (info)
            cs_info(o, "%s [truncated]", cs_vs_name(cmd_short, cmd, "Unknown"));
        cs_mark_stateless(o);
        goto stateful;
    }

    /* Checksum: XOR of the payload. */
    {
        uint8_t computed = cs_xor8(b + W_HDR, pay_len);
        cs_cksum st;
        if (!opts[WO_VERIFY_CHECKSUM] || !cksum_verifiable)
            st = CS_CK_UNVERIFIED;
        else
            st = b[4] == computed ? CS_CK_GOOD : CS_CK_BAD;
        int it = cs_item_cksum(o, WF_CHECKSUM, 4, 1, b[4], computed, st, false);
        if (st == CS_CK_BAD) {
            if (dir == CS_DIR_TO_DEVICE)
                cs_viol_add(o, WV_CHECKSUM_SERVER, it, 4, 1,
                            "Checksum 0x%02X from the server, should be 0x%02X (servers commonly "
                            "send a constant; cabinets accept it)",
                            b[4], computed);
            else
                cs_viol_add(o, WV_CHECKSUM_BAD, it, 4, 1, "Checksum 0x%02X, should be 0x%02X%s",
                            b[4], computed, dir == CS_DIR_UNKNOWN ? " (direction unknown)" : "");
        }
    }

    /* Token. */
    {
        uint32_t tok = cs_be32(b + 5);
        int it = cs_item_add(o, WF_TOKEN, 5, 4, tok);
        if (tok != W_TOKEN) {
            if (dir == CS_DIR_TO_DEVICE && token_ascii(b + 5))
                cs_viol_add(o, WV_TOKEN_ASCII, it, 5, 4, "Token \"%.4s\" (ASCII digits)",
                            (const char *)b + 5);
            else
                cs_viol_add(o, WV_TOKEN, it, 5, 4, "Token %08X, expected 11223344", tok);
        }
    }

    /* Payload. */
    c.short_ = false;
    if (cmd_def && cmd_def->has_shape && dir) {
        const wshape *sh = request ? &cmd_def->req : &cmd_def->resp;
        c.need = sh->min == sh->max ? sh->min : 0;
    }
    if (!cmd_def) {
        cs_info(o, "Unknown command 0x%02X", cmd);
        if (c.pos < c.end)
            cs_item_add(o, WF_PAYLOAD, c.pos, c.end - c.pos, 0);
        c.pos = c.end;
    } else if (dir == CS_DIR_UNKNOWN) {
        if (info)
            cs_info(o, "%s (direction unknown)", cs_vs_name(cmd_short, cmd, "?"));
        if (c.pos < c.end)
            cs_item_add(o, WF_PAYLOAD, c.pos, c.end - c.pos, 0);
        c.pos = c.end;
    } else {
        payload_decode(&c, cmd, request);
    }

    if (c.pos < c.end && !c.short_) {
        int it = cs_item_add(o, WF_TRAILING, c.pos, c.end - c.pos, 0);
        cs_viol_add(o, WV_PAYLOAD_TRAILING, it, c.pos, c.end - c.pos,
                    "%u byte%s after the fields of %s %s", c.end - c.pos,
                    c.end - c.pos == 1 ? "" : "s", what_name(&c), what_kind(&c));
    }
    if (present > total && ctx->whole && plen >= W_HDR - 2)
        cs_item_add(o, WF_TRAILING, total, present - total, 0);
    if (info && !o->info_len) /* the payload ended before anything worth saying */
        cs_info(o, "%s %s", what_name(&c), what_kind(&c));
    if (c.short_)
        cs_info(o, " [short]");
    cs_mark_stateless(o);

stateful:
    if (!s)
        return;
    /* ---- session rules ---- */
    if (src == CS_DS_SHAPE || src == CS_DS_TRANSPORT) {
        if (!s->role[ctx->side & 1]) {
            s->role[ctx->side & 1] = (uint8_t)dir;
            s->role[(ctx->side & 1) ^ 1] = (uint8_t)opposite(dir);
        }
    }
    if (!cmd_def || dir == CS_DIR_UNKNOWN)
        return;

    if (cmd != 0x60 && request && !s->logged_in)
        cs_viol_add(o, WV_LOGIN_MISSING, cmd_it, 2, 1, "%s before a successful login",
                    cs_vs_name(cmd_vals, cmd, "Command"));

    if (request) {
        uint32_t aux = (cmd == 0x65 || cmd == 0x80) && end > W_HDR ? b[W_HDR] : 0;
        cs_rr_request(&s->rr, &woshi_proto, cmd, aux, ctx, o);
    } else {
        cs_rr_entry hit;
        if (cs_rr_response(&s->rr, &woshi_proto, cmd, ctx, o, WV_UNSOLICITED, &hit) &&
            (cmd == 0x65 || cmd == 0x80) && end > W_HDR && b[W_HDR] != hit.aux)
            cs_viol_add(o, WV_SLOT_MISMATCH, -1, W_HDR, 1,
                        "Response for slot %u, but the request in frame %u asked for slot %u",
                        b[W_HDR], hit.frame, hit.aux);
    }

    /* Login state. */
    if (cmd == 0x60 && !request && end > W_HDR) {
        s->logged_in = b[W_HDR] == 1;
        if (s->logged_in)
            s->hb_ref_ns = ctx->ts_ns;
    }

    /* Heartbeat interval learned from the configuration commands. */
    if ((cmd == 0x63 && request) || (cmd == 0x6A && !request)) {
        if (!c.short_ && c.pos >= W_HDR + 1 && b[c.pos - 1] >= 1 && c.pos == end)
            s->hb_learned = b[c.pos - 1];
    }

    /* Heartbeat timing (cabinet heartbeats only). */
    if (cmd == 0x61 && request) {
        uint32_t interval = s->hb_learned ? s->hb_learned : s->opts[WO_HB_INTERVAL];
        int it = cs_item_add(o, WF_HB_EXPECTED, 0, 0, interval);
        cs_item_flag(o, it, CS_IF_GENERATED);
        if (s->hb_ref_ns) {
            int64_t gap = ctx->ts_ns - s->hb_ref_ns;
            it = cs_item_add(o, WF_HB_GAP, 0, 0, 0);
            if (it >= 0) {
                o->items[it].v.i = gap;
                o->items[it].flags |= CS_IF_GENERATED;
            }
            int64_t limit = (int64_t)interval * (100 + s->opts[WO_HB_TOLERANCE]) * 10000000LL;
            if (interval && gap > limit)
                cs_viol_add(o, WV_HB_LATE, it, 0, 0,
                            "Heartbeat %.1f s after the previous one (interval %u s)",
                            (double)gap / 1e9, interval);
        }
        s->hb_ref_ns = ctx->ts_ns;
    }
}

const cs_proto woshi_proto = {
    .name = "woshi",
    .short_name = "Woshi",
    .long_name = "Woshi power-bank cabinet protocol",
    .fields = fields,
    .n_fields = WF__COUNT,
    .violations = violations,
    .n_violations = WV__COUNT,
    .options = options,
    .n_options = WO__COUNT,
    .transports = CS_TR_TCP,
    .tcp_ports = "",
    .udp_ports = "",
    .f_garbage = WF_GARBAGE,
    .f_request_in = WF_REQUEST_IN,
    .f_response_in = WF_RESPONSE_IN,
    .f_response_time = WF_RESPONSE_TIME,
    .v_garbage = WV_GARBAGE,
    .v_unanswered = WV_UNANSWERED,
    .v_truncated = WV_LEN_TRUNCATED,
    .frame_min = 4,
    .frame = woshi_frame,
    .probe = woshi_probe,
    .sess_size = sizeof(woshi_sess),
    .sess_init = woshi_sess_init,
    .sess_fini = woshi_sess_fini,
    .decode = woshi_decode,
    .sess_end = woshi_sess_end,
};
