/*
 * aicloud.c - Ai-Thinker (安信可) AI-Cloud protocol of ESP8266 devices, V1.0.
 *
 * Sources: seed 003 (the vendor document) and protocol-facts sections 4
 * and 6.3.  docs/protocols/aicloud.md records every decision taken where
 * the document is wrong or silent, with its evidence.
 *
 * Logical frame (integers little-endian unless noted):
 *   0  head     0x55
 *   1  length   u16  the whole unescaped frame, head to tail
 *   3  class    u8   A0 link, AA data, F0 terminal, EF platform/app
 *   4  command  u8
 *   5  sequence u16
 *   7  extension u16 (reserved)
 *   9  status   u8   00 success, 01 fail, 02 active send (a request), 03 unsupported
 *  10  device ID 8 bytes, shown as 16 hex digits
 *  18  token    documented: a length byte and that many bytes, absent in
 *               the device's login; field dialect: 8 bytes, no length byte
 *   .. data
 *  -3  CRC-16   low byte first, over head .. data (unescaped)
 *  -1  tail     0x55 (documented) or 0xAA (field dialect)
 * Between head and tail every byte is escaped: 55 -> 54 01, 54 -> 54 02,
 * and in the field dialect also AA -> A9 01, A9 -> A9 02.  decode() shows
 * the unescaped frame as a second data source; every field refers to it.
 */
#include "aicloud.h"

#include "cs_impl.h"

#include <stdio.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define AC_HDR 18  /* head .. device ID */
#define AC_MIN 21  /* header, CRC and tail: the smallest frame */
#define AC_WEAK_MAX 4 /* field-tail candidates remembered while framing */
#define AC_MAX_BAD 8  /* bad escapes reported one by one */

/* ---- value names --------------------------------------------------------- */

static const cs_vs class_vals[] = {
    {0xA0, "Link"},
    {0xAA, "Data transfer"},
    {0xF0, "Terminal"},
    {0xEF, "Platform / app"},
    {0, NULL},
};

/* Data layouts. */
enum {
    K_NONE, K_LOGIN, K_PC_LOGIN, K_HEARTBEAT, K_OPAQUE, K_P2P_REQ, K_P2P_CONFIRM, K_GROUP, K_VIA_PLATFORM,
    K_P2P_DATA, K_TRANSPARENT, K_UPGRADE, K_UPGRADE_FRAME, K_READ_CONFIG, K_WRITE_CONFIG,
    K_EVENT, K_ADD_WIFI
};

/* Every (class << 8 | command): the direction of the request (status
 * 0x02), the data layout, the full name and the Info name. */
#define AC_COMMANDS(X)                                                                          \
    X(0xA000, CS_DIR_TO_SERVER, K_LOGIN, "Login", "Login")                                     \
    X(0xA001, CS_DIR_TO_SERVER, K_HEARTBEAT, "Heartbeat", "Heartbeat")                         \
    X(0xA002, CS_DIR_TO_SERVER, K_PC_LOGIN, "PC client login (field)", "PC client login")         \
    X(0xA003, CS_DIR_TO_SERVER, K_HEARTBEAT, "PC client heartbeat (field)", "PC client heartbeat") \
    X(0xA055, CS_DIR_TO_SERVER, K_P2P_REQ, "P2P request", "P2P request")                       \
    X(0xA0EE, CS_DIR_PEER, K_P2P_CONFIRM, "P2P confirm (device to device)", "P2P confirm")     \
    X(0xAA00, CS_DIR_TO_SERVER, K_GROUP, "Get group devices", "Group devices")                 \
    X(0xAA55, CS_DIR_UNKNOWN, K_VIA_PLATFORM, "Send to a group device via the platform", "Via platform") \
    X(0xAA66, CS_DIR_PEER, K_P2P_DATA, "Send to a P2P peer", "P2P data")                       \
    X(0xAAEE, CS_DIR_TO_SERVER, K_TRANSPARENT, "Transparent data up", "Transparent up")        \
    X(0xAAFF, CS_DIR_TO_DEVICE, K_TRANSPARENT, "Transparent data down", "Transparent down")    \
    X(0xF055, CS_DIR_TO_DEVICE, K_NONE, "Reboot", "Reboot")                                    \
    X(0xF056, CS_DIR_TO_DEVICE, K_UPGRADE, "Remote upgrade", "Remote upgrade")                 \
    X(0xF057, CS_DIR_TO_SERVER, K_UPGRADE_FRAME, "Request upgrade file frame", "Upgrade frame") \
    X(0xF088, CS_DIR_TO_DEVICE, K_OPAQUE, "Set clock / serial baud rate (field)", "Clock/baud rate") \
    X(0xF0AA, CS_DIR_TO_DEVICE, K_READ_CONFIG, "Read configuration", "Read config")            \
    X(0xF0AB, CS_DIR_TO_DEVICE, K_WRITE_CONFIG, "Write configuration", "Write config")         \
    X(0xF0F0, CS_DIR_TO_SERVER, K_EVENT, "Status event", "Status event")                       \
    X(0xEF00, CS_DIR_TO_SERVER, K_LOGIN, "Login [between platforms]", "Platform login")        \
    X(0xEF01, CS_DIR_TO_SERVER, K_HEARTBEAT, "Heartbeat [between platforms]", "Platform heartbeat") \
    X(0xEF06, CS_DIR_TO_SERVER, K_ADD_WIFI, "Add WiFi terminal [app to centre]", "Add WiFi terminal")

typedef struct accmd {
    uint16_t code;
    uint8_t req_dir;
    uint8_t kind;
    const char *name;
    const char *short_;
} accmd;

#define AC_CMD_ROW(code, dir, kind, name, short_) {code, dir, kind, name, short_},
static const accmd cmds[] = {AC_COMMANDS(AC_CMD_ROW)};
#define AC_CMD_VS(code, dir, kind, name, short_) {code, name},
static const cs_vs command_vals[] = {AC_COMMANDS(AC_CMD_VS){0, NULL}};

static const cs_vs status_vals[] = {
    {0x00, "Success"},
    {0x01, "Fail"},
    {0x02, "Active send (request)"},
    {0x03, "Not supported"},
    {0, NULL},
};

/* For the Info column. */
static const cs_vs status_short[] = {
    {0x00, "success"}, {0x01, "fail"}, {0x02, "active send"}, {0x03, "not supported"}, {0, NULL},
};

static const cs_vs dialect_vals[] = {
    {AICLOUD_DIALECT_DOC, "Documented (tail 0x55, token with a length byte)"},
    {AICLOUD_DIALECT_FIELD, "Field (tail 0xAA, AA/A9 escaped, fixed 8-byte token)"},
    {0, NULL},
};

static const cs_vs dialect_opt_vals[] = {
    {AICLOUD_DIALECT_AUTO, "auto"},
    {AICLOUD_DIALECT_DOC, "documented"},
    {AICLOUD_DIALECT_FIELD, "field"},
    {0, NULL},
};

/* The CRC preference: auto, or one variant (named as cs_crc16_variant_vals). */
static const cs_vs crc_opt_vals[] = {
    {0, "auto"},
    {CS_CRC16_AICLOUD, "aicloud-field"},
    {CS_CRC16_MODBUS, "modbus"},
    {CS_CRC16_CCITT_FALSE, "ccitt-false"},
    {CS_CRC16_XMODEM, "xmodem"},
    {CS_CRC16_KERMIT, "kermit"},
    {CS_CRC16_ARC, "arc"},
    {CS_CRC16_X25, "x-25"},
    {0, NULL},
};

static const cs_vs transport_vals[] = {
    {0, "UDP"},
    {1, "TCP"},
    {0, NULL},
};

static const cs_vs event_vals[] = {
    {0x10, "Upgrade status"},
    {0x20, "Work status"},
    {0, NULL},
};

/* Configuration parameters (F0/AA, F0/AB): ID, name, Info name, value
 * layout, value size range. */
enum { PV_VERSION, PV_SERVER, PV_IP, PV_U8, PV_RTC };

#define AC_PARAMS(X)                                                                        \
    X(0x0001, "Version info", "version", PV_VERSION, 1, 0xFFFF, -1)                        \
    X(0x0005, "Communication server", "comm server", PV_SERVER, 4, 0xFFFF, -1)              \
    X(0x0006, "Disaster-recovery server", "backup server", PV_SERVER, 4, 0xFFFF, -1)        \
    X(0x0007, "Communication server DNS", "DNS", PV_IP, 4, 4, AF_DNS)                       \
    X(0x000B, "Data send wait time", "send wait", PV_U8, 1, 1, AF_SEND_WAIT)                \
    X(0x000C, "Heartbeat interval", "heartbeat interval", PV_U8, 1, 1, AF_HEARTBEAT)        \
    X(0x0016, "RTC", "RTC", PV_RTC, 8, 8, -1)                                              \
    X(0x0020, "Write timeout", "write timeout", PV_U8, 1, 1, AF_WRITE_TIMEOUT)              \
    X(0x0021, "Read timeout", "read timeout", PV_U8, 1, 1, AF_READ_TIMEOUT)

typedef struct acparam {
    uint16_t id;
    const char *name, *short_;
    uint8_t layout;
    uint16_t min, max;
    int field; /* PV_U8, PV_IP: the value's field */
} acparam;

#define AC_PARAM_ROW(id, name, short_, layout, min, max, field) {id, name, short_, layout, min, max, field},
static const acparam params[] = {AC_PARAMS(AC_PARAM_ROW)};
#define AC_PARAM_VS(id, name, short_, layout, min, max, field) {id, name},
static const cs_vs param_vals[] = {AC_PARAMS(AC_PARAM_VS){0, NULL}};

/* ---- fields --------------------------------------------------------------- */

#define F(abbrev, name, type, base, vals, unit, blurb, flags) \
    {abbrev, name, type, base, vals, unit, blurb, flags, -1}

static const cs_field_def fields[AF__COUNT] = {
    [AF_DIALECT] = F("aicloud.dialect", "Dialect", CS_FT_U8, CS_BASE_DEC, dialect_vals, NULL,
                     "Documented form or the field dialect of protocol-facts 6.3, decided by the "
                     "tail (or forced by the dialect preference)",
                     CS_FF_GENERATED),
    [AF_WIRE_LEN] = F("aicloud.wire_len", "Frame size on the wire", CS_FT_U32, CS_BASE_DEC, NULL,
                      "bytes", "Escaped size, head and tail included", CS_FF_GENERATED),
    [AF_DIRECTION] = F("aicloud.direction", "Direction", CS_FT_U8, CS_BASE_DEC, cs_dir_vals, NULL,
                       "Device to server, server to device, or device to device (UDP P2P)",
                       CS_FF_GENERATED),
    [AF_COMMAND] = F("aicloud.command", "Command", CS_FT_U16, CS_BASE_HEX, command_vals, NULL,
                     "Class and command as one number (class << 8 | command)", CS_FF_GENERATED),
    [AF_GENERIC_REPLY] = F("aicloud.generic_reply", "Generic reply", CS_FT_BOOL, CS_BASE_NONE,
                           NULL, NULL,
                           "A reply with the request's class, command and sequence, a status "
                           "and no data (document convention 10)",
                           CS_FF_GENERATED),
    [AF_HEAD] = F("aicloud.head", "Head", CS_FT_U8, CS_BASE_HEX, NULL, NULL, "Always 0x55", 0),
    [AF_LEN] = F("aicloud.len", "Length", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                 "The whole unescaped frame, head to tail (the on-wire size is accepted with a "
                 "note)",
                 0),
    [AF_CLASS] = F("aicloud.class", "Command class", CS_FT_U8, CS_BASE_HEX, class_vals, NULL,
                   NULL, 0),
    [AF_CMD] = F("aicloud.cmd", "Command word", CS_FT_U8, CS_BASE_HEX, NULL, NULL,
                 "Its meaning depends on the class", 0),
    [AF_SEQ] = F("aicloud.seq", "Sequence", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                 "A reply repeats its request's sequence", 0),
    [AF_EXT] = F("aicloud.ext", "Extension", CS_FT_U16, CS_BASE_HEX, NULL, NULL,
                 "Reserved (sequence, encryption or other extensions)", 0),
    [AF_STATUS] = F("aicloud.status", "Status", CS_FT_U8, CS_BASE_HEX, status_vals, NULL,
                    "0x02 marks a request; the other values mark a reply", 0),
    [AF_DEVICE_ID] = F("aicloud.device_id", "Device ID", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                       "8 bytes, the MAC padded with zeros in front, as 16 hex digits", 0),
    [AF_TOKEN_LEN] = F("aicloud.token.len", "Token length", CS_FT_U8, CS_BASE_DEC, NULL, NULL,
                       "Documented form only: the token bytes that follow", 0),
    [AF_TOKEN] = F("aicloud.token", "Token", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                   "Communication token from the login reply; absent in the device's login "
                   "(documented form), always 8 bytes in the field dialect",
                   0),
    [AF_DATA] = F("aicloud.data", "Data", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL, NULL,
                  CS_FF_SUBTREE),
    [AF_CRC] = {"aicloud.crc", "CRC-16", CS_FT_U16, CS_BASE_HEX, NULL, NULL,
                "Low byte first, over the unescaped bytes from the head through the data",
                CS_FF_CHECKSUM, AF_CRC_STATUS},
    [AF_CRC_STATUS] = F("aicloud.crc.status", "CRC status", CS_FT_U8, CS_BASE_NONE, cs_cksum_vals,
                        NULL, "Good when one of the CRC-16 variants matches (or the chosen one)",
                        CS_FF_GENERATED),
    [AF_CRC_VARIANT] = F("aicloud.crc.variant", "CRC variant", CS_FT_U8, CS_BASE_DEC,
                         cs_crc16_variant_vals, NULL, "The CRC-16 variant that matched",
                         CS_FF_GENERATED),
    [AF_CRC_CANDIDATES] = F("aicloud.crc.candidates", "CRC variants matching", CS_FT_STRING,
                            CS_BASE_NONE, NULL, NULL,
                            "More than one variant gives this frame's CRC; the conversation's "
                            "learned variant decides",
                            CS_FF_GENERATED),
    [AF_TAIL] = F("aicloud.tail", "Tail", CS_FT_U8, CS_BASE_HEX, NULL, NULL,
                  "0x55 (documented) or 0xAA (field dialect)", 0),
    [AF_GARBAGE] = F("aicloud.garbage.data", "Garbage", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                     "Bytes between frames that do not start an AI-Cloud frame", CS_FF_GARBAGE),
    [AF_PASSWORD] = F("aicloud.login.password", "Device password", CS_FT_BYTES, CS_BASE_NONE,
                      NULL, NULL, "The password of this device ID (8 bytes in practice)", 0),
    [AF_LOGIN_TOKEN] = F("aicloud.login.token", "Communication token", CS_FT_BYTES, CS_BASE_NONE,
                         NULL, NULL, "The token the server gives in the login reply's data", 0),
    [AF_PEER] = F("aicloud.peer", "Peer", CS_FT_NONE, CS_BASE_NONE, NULL, NULL,
                  "A device: ID, token, IP address and UDP port", CS_FF_SUBTREE),
    [AF_PEER_ID] = F("aicloud.peer.device_id", "Peer device ID", CS_FT_STRING, CS_BASE_NONE, NULL,
                     NULL, "The other device (target, receiver or sender)", 0),
    [AF_PEER_TOKEN_LEN] = F("aicloud.peer.token.len", "Peer token length", CS_FT_U8, CS_BASE_DEC,
                            NULL, NULL, NULL, 0),
    [AF_PEER_TOKEN] = F("aicloud.peer.token", "Peer token", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                        "The peer's token, used in the P2P messages to it", 0),
    [AF_PEER_IP] = F("aicloud.peer.ip", "Peer IP address", CS_FT_IPV4, CS_BASE_NONE, NULL, NULL,
                     "Big-endian", 0),
    [AF_PEER_PORT] = F("aicloud.peer.port", "Peer UDP port", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                       "Big-endian", 0),
    [AF_SENDER_ID] = F("aicloud.p2p.sender_id", "Sender device ID", CS_FT_STRING, CS_BASE_NONE,
                       NULL, NULL, "P2P confirm: the sending device (the header names the target)",
                       0),
    [AF_PAYLOAD] = F("aicloud.payload", "Payload", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                     "Application data carried for the device", 0),
    [AF_FILE_NAME] = F("aicloud.upgrade.file_name", "File name", CS_FT_STRING, CS_BASE_NONE, NULL,
                       NULL, "GBK, NUL-terminated; bytes above 0x7F are shown as \\xNN", 0),
    [AF_FILE_CHECKSUM] = F("aicloud.upgrade.checksum", "File checksum", CS_FT_U8, CS_BASE_HEX,
                           NULL, NULL, "\"Checksum of all the data\" (algorithm not given)", 0),
    [AF_FRAME_NO] = F("aicloud.upgrade.frame_no", "Frame number", CS_FT_U16, CS_BASE_DEC, NULL,
                      NULL, "Little-endian [inferred]", CS_FF_INFERRED),
    [AF_FRAME_SIZE] = F("aicloud.upgrade.frame_size", "Frame size", CS_FT_U16, CS_BASE_DEC, NULL,
                        "bytes", "Little-endian [inferred]", CS_FF_INFERRED),
    [AF_PARAM_ID] = F("aicloud.param.id", "Parameter", CS_FT_U16, CS_BASE_HEX, param_vals, NULL,
                      "Little-endian", CS_FF_SUBTREE),
    [AF_PARAM_VALUE] = F("aicloud.param.value", "Parameter value", CS_FT_BYTES, CS_BASE_NONE,
                         NULL, NULL, NULL, CS_FF_SUBTREE),
    [AF_VERSION] = F("aicloud.param.version", "Version info", CS_FT_STRING, CS_BASE_NONE, NULL,
                     NULL, "Hardware, software and bootloader versions", CS_FF_SUBTREE),
    [AF_VERSION_HW] = F("aicloud.param.version.hardware", "Hardware version", CS_FT_STRING,
                        CS_BASE_NONE, NULL, NULL, NULL, 0),
    [AF_VERSION_SW] = F("aicloud.param.version.software", "Software version", CS_FT_STRING,
                        CS_BASE_NONE, NULL, NULL, NULL, 0),
    [AF_VERSION_BOOT] = F("aicloud.param.version.bootloader", "Bootloader version", CS_FT_STRING,
                          CS_BASE_NONE, NULL, NULL, NULL, 0),
    [AF_SERVER_PORT] = F("aicloud.param.server.port", "Server port", CS_FT_U16, CS_BASE_DEC, NULL,
                         NULL, "Little-endian", 0),
    [AF_SERVER_TRANSPORT] = F("aicloud.param.server.transport", "Server transport", CS_FT_U8,
                              CS_BASE_DEC, transport_vals, NULL, "1 TCP, 0 UDP", 0),
    [AF_SERVER_HOST] = F("aicloud.param.server.host", "Server host", CS_FT_STRING, CS_BASE_NONE,
                         NULL, NULL, "IP address or domain name, NUL-terminated", 0),
    [AF_DNS] = F("aicloud.param.dns", "Server DNS address", CS_FT_IPV4, CS_BASE_NONE, NULL, NULL,
                 NULL, 0),
    [AF_SEND_WAIT] = F("aicloud.param.send_wait", "Data send wait time", CS_FT_U8, CS_BASE_DEC,
                       NULL, NULL, "The unit is not given", 0),
    [AF_HEARTBEAT] = F("aicloud.param.heartbeat", "Heartbeat interval", CS_FT_U8, CS_BASE_DEC,
                       NULL, "s", NULL, 0),
    [AF_RTC] = F("aicloud.param.rtc", "RTC", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                 "Year (u16 LE), month, day, hour, minute, second, weekday; binary [inferred]",
                 CS_FF_SUBTREE | CS_FF_INFERRED),
    [AF_RTC_YEAR] = F("aicloud.param.rtc.year", "Year", CS_FT_U16, CS_BASE_DEC, NULL, NULL,
                      "Little-endian [inferred]", CS_FF_INFERRED),
    [AF_RTC_MONTH] = F("aicloud.param.rtc.month", "Month", CS_FT_U8, CS_BASE_DEC, NULL, NULL, NULL,
                       0),
    [AF_RTC_DAY] = F("aicloud.param.rtc.day", "Day", CS_FT_U8, CS_BASE_DEC, NULL, NULL, NULL, 0),
    [AF_RTC_HOUR] = F("aicloud.param.rtc.hour", "Hour", CS_FT_U8, CS_BASE_DEC, NULL, NULL, NULL,
                      0),
    [AF_RTC_MINUTE] = F("aicloud.param.rtc.minute", "Minute", CS_FT_U8, CS_BASE_DEC, NULL, NULL,
                        NULL, 0),
    [AF_RTC_SECOND] = F("aicloud.param.rtc.second", "Second", CS_FT_U8, CS_BASE_DEC, NULL, NULL,
                        NULL, 0),
    [AF_RTC_WEEKDAY] = F("aicloud.param.rtc.weekday", "Weekday", CS_FT_U8, CS_BASE_DEC, NULL,
                         NULL, NULL, 0),
    [AF_WRITE_TIMEOUT] = F("aicloud.param.write_timeout", "Write timeout", CS_FT_U8, CS_BASE_DEC,
                           NULL, NULL, "The unit is not given", 0),
    [AF_READ_TIMEOUT] = F("aicloud.param.read_timeout", "Read timeout", CS_FT_U8, CS_BASE_DEC,
                          NULL, NULL, "The unit is not given", 0),
    [AF_EVENT_CODE] = F("aicloud.event.code", "Event", CS_FT_U8, CS_BASE_HEX, event_vals, NULL,
                        NULL, 0),
    [AF_EVENT_TEXT] = F("aicloud.event.text", "Description", CS_FT_STRING, CS_BASE_NONE, NULL,
                        NULL, "GBK, NUL-terminated; bytes above 0x7F are shown as \\xNN", 0),
    [AF_WIFI_ID] = F("aicloud.wifi.id", "WiFi terminal ID", CS_FT_STRING, CS_BASE_NONE, NULL, NULL,
                     "8 bytes as 16 hex digits (the encoding rule is not published)", 0),
    [AF_WIFI_PASSWORD] = F("aicloud.wifi.password", "WiFi terminal password", CS_FT_BYTES,
                           CS_BASE_NONE, NULL, NULL, "8 bytes (the encoding rule is not published)",
                           0),
    [AF_TRAILING] = F("aicloud.trailing", "Trailing bytes", CS_FT_BYTES, CS_BASE_NONE, NULL, NULL,
                      "Bytes after the fields of the command", 0),
    [AF_REQUEST_IN] = {"aicloud.request_in", "Request in frame", CS_FT_FRAMENUM, CS_BASE_NONE,
                       NULL, NULL, "The request this reply answers",
                       CS_FF_GENERATED | CS_FF_FN_REQUEST, -1},
    [AF_RESPONSE_IN] = {"aicloud.response_in", "Response in frame", CS_FT_FRAMENUM, CS_BASE_NONE,
                        NULL, NULL, "The reply to this request",
                        CS_FF_GENERATED | CS_FF_FN_RESPONSE, -1},
    [AF_RESPONSE_TIME] = F("aicloud.response_time", "Response time", CS_FT_RELTIME, CS_BASE_NONE,
                           NULL, NULL, "Time from the request to this reply", CS_FF_GENERATED),
    [AF_HB_GAP] = F("aicloud.heartbeat.gap", "Time since previous heartbeat", CS_FT_RELTIME,
                    CS_BASE_NONE, NULL, NULL, "Or since the login, for the first heartbeat",
                    CS_FF_GENERATED),
    [AF_HB_EXPECTED] = F("aicloud.heartbeat.expected", "Expected heartbeat interval", CS_FT_U32,
                         CS_BASE_DEC, NULL, "s",
                         "From parameter 0x000C when seen, else the heartbeat_interval preference",
                         CS_FF_GENERATED),
};

/* ---- violations ----------------------------------------------------------- */

static const cs_violation_def violations[AV__COUNT] = {
    [AV_HEAD_MISSING] = {"aicloud.head.missing", CS_SEV_ERROR, CS_GRP_MALFORMED,
                         "The frame does not start with the head 0x55"},
    [AV_TAIL_MISSING] = {"aicloud.tail.missing", CS_SEV_ERROR, CS_GRP_MALFORMED,
                         "The frame ends without its tail (a new head follows, or the data ends)"},
    [AV_ESCAPE_BAD] = {"aicloud.escape.bad", CS_SEV_ERROR, CS_GRP_MALFORMED,
                       "Bad escape sequence (0x54 or 0xA9 followed by other than 01/02), or an "
                       "unescaped delimiter inside the frame"},
    [AV_TRUNCATED] = {"aicloud.frame.truncated", CS_SEV_ERROR, CS_GRP_MALFORMED,
                      "The frame is too short for its header, CRC and tail"},
    [AV_LEN_MISMATCH] = {"aicloud.len.mismatch", CS_SEV_ERROR, CS_GRP_MALFORMED,
                         "The length field is neither the unescaped nor the on-wire size"},
    [AV_LEN_ESCAPED] = {"aicloud.len.escaped", CS_SEV_NOTE, CS_GRP_PROTOCOL,
                        "The length field counts the escaped (on-wire) bytes"},
    [AV_OVERSIZE] = {"aicloud.frame.oversize", CS_SEV_WARN, CS_GRP_PROTOCOL,
                     "Frame above the documented maximum of 1400 bytes"},
    [AV_CRC_BAD] = {"aicloud.crc.bad", CS_SEV_ERROR, CS_GRP_CHECKSUM,
                    "Bad CRC: no CRC-16 variant gives the stored value"},
    [AV_CLASS_UNKNOWN] = {"aicloud.class.unknown", CS_SEV_WARN, CS_GRP_UNDECODED,
                          "Unknown command class"},
    [AV_CMD_UNKNOWN] = {"aicloud.cmd.unknown", CS_SEV_WARN, CS_GRP_UNDECODED,
                        "Unknown command word in a known class"},
    [AV_STATUS_UNKNOWN] = {"aicloud.status.unknown", CS_SEV_WARN, CS_GRP_PROTOCOL,
                           "Status other than 0x00-0x03"},
    [AV_TOKEN_MISSING] = {"aicloud.token.missing", CS_SEV_ERROR, CS_GRP_PROTOCOL,
                          "No token where one is required"},
    [AV_TOKEN_UNEXPECTED] = {"aicloud.token.unexpected", CS_SEV_WARN, CS_GRP_PROTOCOL,
                             "A token in the device's login, which has none"},
    [AV_DATA_SHORT] = {"aicloud.data.short", CS_SEV_ERROR, CS_GRP_MALFORMED,
                       "Data too short for its command"},
    [AV_DATA_TRAILING] = {"aicloud.data.trailing", CS_SEV_WARN, CS_GRP_MALFORMED,
                          "Bytes left over after the command's fields"},
    [AV_STRING_NUL] = {"aicloud.string.unterminated", CS_SEV_WARN, CS_GRP_MALFORMED,
                       "A string without its terminating NUL"},
    [AV_PARAM_UNKNOWN] = {"aicloud.param.unknown", CS_SEV_WARN, CS_GRP_UNDECODED,
                          "A configuration parameter the document does not list"},
    [AV_UNSOLICITED] = {"aicloud.response.unsolicited", CS_SEV_WARN, CS_GRP_SEQUENCE,
                        "A reply with no request of its class, command and sequence"},
    [AV_UNANSWERED] = {"aicloud.request.unanswered", CS_SEV_WARN, CS_GRP_SEQUENCE,
                       "Request never answered"},
    [AV_HB_LATE] = {"aicloud.heartbeat.late", CS_SEV_WARN, CS_GRP_SEQUENCE,
                    "Heartbeat later than the configured interval plus the tolerance"},
    [AV_GARBAGE] = {"aicloud.garbage", CS_SEV_ERROR, CS_GRP_MALFORMED,
                    "Bytes that do not start an AI-Cloud frame, skipped"},
};

/* ---- options ---------------------------------------------------------------- */

static const cs_option_def options[AO__COUNT] = {
    [AO_DIALECT] = {"dialect", "Framing dialect",
                    "auto: the tail of each frame decides; documented: tail 0x55 and a token "
                    "length byte; field: tail 0xAA, AA/A9 escaped, fixed 8-byte token",
                    CS_OPT_ENUM, AICLOUD_DIALECT_AUTO, dialect_opt_vals},
    [AO_CRC] = {"crc", "CRC-16 variant",
                "auto: a frame is good when one of the variants matches, and the conversation's "
                "variant decides between several; otherwise only the chosen variant",
                CS_OPT_ENUM, 0, crc_opt_vals},
    [AO_HB_INTERVAL] = {"heartbeat_interval", "Heartbeat interval (seconds)",
                        "Expected device heartbeat interval until parameter 0x000C shows one; "
                        "0: not checked",
                        CS_OPT_UINT, 0, NULL},
    [AO_HB_TOLERANCE] = {"heartbeat_tolerance", "Heartbeat tolerance (percent)",
                         "A heartbeat is late when the gap exceeds the interval by more than this",
                         CS_OPT_UINT, 50, NULL},
};

/* ---- lookups ------------------------------------------------------------------- */

/* Every frame looks its command up: a switch (a jump table or a few
 * compares) instead of a walk through the table. */
#define AC_CMD_IDX(code, dir, kind, name, short_) CMD_IDX_##code,
enum { AC_COMMANDS(AC_CMD_IDX) CMD_IDX__COUNT };
#define AC_CMD_CASE(code, dir, kind, name, short_) \
    case code:                                      \
        return &cmds[CMD_IDX_##code];

static const accmd *find_cmd(uint16_t code)
{
    switch (code) {
        AC_COMMANDS(AC_CMD_CASE)
    default:
        return NULL;
    }
}

/* The classes of class_vals. */
static bool class_known(uint8_t c) { return c == 0xA0 || c == 0xAA || c == 0xF0 || c == 0xEF; }

static const acparam *find_param(uint16_t id)
{
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        if (params[i].id == id)
            return &params[i];
    return NULL;
}

/* ---- escaping ------------------------------------------------------------------- */

/* Unescapes a byte stream one byte at a time; `out` must hold one byte
 * per byte fed, plus one. */
typedef struct unesc {
    uint8_t *out;
    uint32_t n;   /* bytes written */
    uint8_t pend; /* an escape byte waiting for its second byte, 0 = none */
    bool field;   /* the field dialect: A9 escapes too */
} unesc;

static inline bool is_esc(const unesc *u, uint8_t c)
{
    return c == AICLOUD_ESC || (u->field && c == AICLOUD_ESC_FIELD);
}

/* Feed one escaped byte; true when it shows a bad escape: the pending
 * escape byte is then kept as it is and `c` read on its own (what the
 * field server's receiver does). */
static inline bool ue_feed(unesc *u, uint8_t c)
{
    bool bad = false;
    if (u->pend) {
        uint8_t e = u->pend;
        u->pend = 0;
        if (c == 0x01) {
            u->out[u->n++] = e == AICLOUD_ESC ? 0x55 : 0xAA;
            return false;
        }
        if (c == 0x02) {
            u->out[u->n++] = e;
            return false;
        }
        u->out[u->n++] = e;
        bad = true;
    }
    if (is_esc(u, c))
        u->pend = c;
    else
        u->out[u->n++] = c;
    return bad;
}

/* The bytes so far as if the frame ended here: a pending escape byte
 * counts as itself.  Writes it after the end without consuming it. */
static inline uint32_t ue_peek(unesc *u)
{
    if (!u->pend)
        return u->n;
    u->out[u->n] = u->pend;
    return u->n + 1;
}

/* The CRC variants (bit v for variant v) that give the value stored
 * after u[0..m); with `first`, only the first of them in the fixed order. */
static uint32_t crc_mask_of(const uint8_t *u, uint32_t m, uint16_t stored, uint32_t pinned,
                            bool first)
{
    uint32_t mask = 0;
    for (uint32_t v = CS_CRC16_AICLOUD; v < CS_CRC16_COUNT_PLUS_ONE; v++) {
        if (pinned && v != pinned)
            continue;
        if (cs_crc16((cs_crc16_variant)v, u, m) == stored) {
            mask |= 1u << v;
            if (first)
                break;
        }
    }
    return mask;
}

/* Exactly one variant in the mask. */
static bool one_variant(uint32_t mask) { return mask && !(mask & (mask - 1)); }

/* The first variant of a mask (bit v for variant v, v >= CS_CRC16_AICLOUD),
 * 0 for none. */
static uint32_t lowest_variant(uint32_t mask)
{
    return mask ? (uint32_t)__builtin_ctz(mask) : 0;
}

/* A candidate frame: u[0..m) is head .. CRC, unescaped; the tail follows.
 * The first variant that matches decides. */
static bool cand_crc_ok(const uint8_t *u, uint32_t m)
{
    return m >= AC_MIN - 1 && crc_mask_of(u, m - 2, cs_le16(u + m - 2), 0, true) != 0;
}

/* ---- scanning ------------------------------------------------------------------- */

/* Bit q set when b[i + q] is c0, c1, c2 or c3, for q < 16 and i + q <
 * end; 16 bytes at once where SSE2 is there.  b[0..end) is readable (b
 * is the frame's start), so near the end the 16 bytes before `end` are
 * compared and shifted down, not read one by one. */
static inline uint32_t mask4(const uint8_t *b, size_t i, size_t end, uint8_t c0, uint8_t c1,
                             uint8_t c2, uint8_t c3)
{
#ifdef __SSE2__
    if (end >= 16) {
        size_t at = i + 16 <= end ? i : end - 16;
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + at));
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8((char)c0)),
                         _mm_cmpeq_epi8(x, _mm_set1_epi8((char)c1))),
            _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8((char)c2)),
                         _mm_cmpeq_epi8(x, _mm_set1_epi8((char)c3))));
        /* bit p is b[at + p]; shifted, bit q is b[i + q] */
        return (uint32_t)_mm_movemask_epi8(m) >> (i - at);
    }
#endif
    uint32_t bits = 0;
    for (size_t q = 0; q < 16 && i + q < end; q++) {
        uint8_t c = b[i + q];
        if (c == c0 || c == c1 || c == c2 || c == c3)
            bits |= 1u << q;
    }
    return bits;
}

/* The offset of the first byte of b[i..end) that is c0, c1, c2 or c3, or
 * end. */
static inline size_t scan4(const uint8_t *b, size_t i, size_t end, uint8_t c0, uint8_t c1,
                           uint8_t c2, uint8_t c3)
{
    for (; i < end; i += 16) {
        uint32_t bits = mask4(b, i, end, c0, c1, c2, c3);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
    }
    return end;
}

/* Feed b[i..end) to u: runs without an escape byte are copied whole. */
static void ue_run(unesc *u, const uint8_t *b, size_t i, size_t end)
{
    uint8_t e2 = u->field ? AICLOUD_ESC_FIELD : AICLOUD_ESC;
    while (i < end) {
        if (!u->pend) {
            size_t j = scan4(b, i, end, AICLOUD_ESC, e2, AICLOUD_ESC, e2);
            memcpy(u->out + u->n, b + i, j - i);
            u->n += (uint32_t)(j - i);
            i = j;
            if (i == end)
                break;
        }
        ue_feed(u, b[i++]);
    }
}

/* ---- framing ------------------------------------------------------------------- */

/* Framing reads the unescaped frame only where a decision needs it: the
 * length and the class (head_of), and, for a CRC check, the bytes up to
 * a candidate tail (lazy_upto, which unescapes once, further each time).
 * How many unescaped bytes precede a wire offset follows from counting
 * escape pairs (an escape byte followed by 01 or 02), so the scan itself
 * only looks at delimiter and escape bytes. */

/* The unescaped bytes 0..3 of the frame at b (head, length, class) by a
 * dialect's rules, from wire bytes before `end`; h holds 8 bytes.  The
 * frame has at least AC_HDR unescaped bytes before `end`. */
static void head_of(const uint8_t *b, size_t end, bool field, uint8_t *h)
{
    unesc u = {h, 1, 0, field};
    h[0] = b[0];
    if (!is_esc(&u, b[1]) && !is_esc(&u, b[2]) && !is_esc(&u, b[3])) {
        memcpy(h + 1, b + 1, 3); /* the usual case: nothing escaped */
        return;
    }
    for (size_t i = 1; i < end && u.n < 4; i++)
        ue_feed(&u, b[i]);
}

/* One dialect's unescaped view of the frame, extended on demand. */
typedef struct lazy_ue {
    unesc u;
    size_t wire; /* wire bytes fed */
} lazy_ue;

/* The view with every wire byte before k fed (a pending escape byte
 * counted as itself, as ue_peek does).  Bytes before an offset do not
 * change when the view is extended past it, since a candidate tail
 * (0x55, 0xAA) follows: k may be smaller than before. */
static const uint8_t *lazy_upto(lazy_ue *l, const uint8_t *b, size_t k)
{
    if (k > l->wire) {
        ue_run(&l->u, b, l->wire, k);
        l->wire = k;
        ue_peek(&l->u);
    }
    return l->u.out;
}

/* A field-dialect tail candidate is taken only on strong evidence, since
 * a raw 0xAA is an ordinary byte of the documented form (class 0xAA!):
 * the length is the unescaped size and the class is known (or the CRC
 * holds), or the length is the on-wire size and the CRC holds.  The 0xAA
 * is at wire offset k, with m unescaped bytes before it. */
static bool field_accept(const uint8_t *b, size_t k, uint32_t m, lazy_ue *lf)
{
    if (m < AC_MIN - 1)
        return false;
    uint8_t h[8];
    head_of(b, k, true, h);
    uint16_t len = cs_le16(h + 1);
    if (len == m + 1)
        return class_known(h[3]) || cand_crc_ok(lazy_upto(lf, b, k), m);
    return len == k + 1 && cand_crc_ok(lazy_upto(lf, b, k), m);
}

typedef struct weak_cand {
    uint32_t k; /* wire offset of the 0xAA */
    uint32_t m; /* unescaped bytes before it */
} weak_cand;

/* The framer's state: the two dialects' views and the field-tail
 * candidates remembered. */
typedef struct ac_scan {
    const uint8_t *b;
    lazy_ue ld, lf;
    weak_cand weak[AC_WEAK_MAX];
    unsigned n_weak;
} ac_scan;

/* A remembered field tail whose CRC holds: the frame ends there. */
static bool weak_match(ac_scan *sc, size_t *len)
{
    for (unsigned i = 0; i < sc->n_weak; i++)
        if (cand_crc_ok(lazy_upto(&sc->lf, sc->b, sc->weak[i].k), sc->weak[i].m)) {
            *len = sc->weak[i].k + 1;
            return true;
        }
    return false;
}

/* A 0x55 at wire offset j, with m unescaped bytes (documented dialect)
 * before it, or the scan bound (j = 0), ends the search. */
static cs_frame_kind at_delimiter(ac_scan *sc, size_t j, uint32_t m, size_t *len)
{
    if (j) {
        uint8_t h[8];
        if (m >= AC_HDR)
            head_of(sc->b, j, false, h);
        if (m >= AC_MIN - 1) {
            uint16_t l = cs_le16(h + 1);
            bool len_ok = l == m + 1 || l == j + 1;
            if ((len_ok && class_known(h[3])) || cand_crc_ok(lazy_upto(&sc->ld, sc->b, j), m)) {
                *len = j + 1;
                return CS_FRAME_PDU;
            }
        }
        /* a field frame with a wrong length but a good CRC, then a head */
        if (weak_match(sc, len))
            return CS_FRAME_PDU;
        if (m >= AC_HDR && class_known(h[3])) {
            if (cs_le16(h + 1) > m + 1) {
                *len = j; /* the tail is missing: this 0x55 is the next head */
                return CS_FRAME_PDU;
            }
            if (m >= AC_MIN - 1) {
                *len = j + 1; /* a frame with a wrong length and a bad CRC */
                return CS_FRAME_PDU;
            }
        }
        *len = j; /* garbage; the 0x55 may start a frame */
        return CS_FRAME_SKIP;
    }
    if (weak_match(sc, len))
        return CS_FRAME_PDU;
    *len = AICLOUD_MAX_WIRE; /* no tail within the bound: not a frame */
    return CS_FRAME_SKIP;
}

static cs_frame_kind ac_frame(const uint8_t *b, size_t avail, size_t *len)
{
    if (!avail) {
        *len = 1;
        return CS_FRAME_NEED;
    }
    if (b[0] != AICLOUD_HEAD) {
        const uint8_t *h = memchr(b + 1, AICLOUD_HEAD, avail - 1);
        *len = h ? (size_t)(h - b) : avail;
        return CS_FRAME_SKIP;
    }
    /* Only delimiters and escape bytes matter, found in one scan: the
     * first 0x55 (or the scan bound) ends the search; each 0xAA before it
     * is a field tail candidate.  The unescaped size before an offset is
     * the wire size less the escape pairs before it (a dialect's own). */
    uint8_t bd[AICLOUD_MAX_WIRE + 1], bf[AICLOUD_MAX_WIRE + 1];
    ac_scan sc = {.b = b, .ld = {{bd, 1, 0, false}, 1}, .lf = {{bf, 1, 0, true}, 1}};
    bd[0] = bf[0] = AICLOUD_HEAD;
    size_t lim = avail < AICLOUD_MAX_WIRE ? avail : AICLOUD_MAX_WIRE;
    uint32_t pairs_doc = 0, pairs_field = 0; /* before the byte looked at */
    for (size_t base = 1; base < lim; base += 16) {
        uint32_t bits = mask4(b, base, lim, AICLOUD_HEAD, AICLOUD_TAIL_FIELD, AICLOUD_ESC,
                              AICLOUD_ESC_FIELD);
        for (; bits; bits &= bits - 1) {
            size_t i = base + (size_t)__builtin_ctz(bits);
            uint8_t c = b[i];
            if (c == AICLOUD_HEAD)
                return at_delimiter(&sc, i, (uint32_t)(i - pairs_doc), len);
            if (c == AICLOUD_TAIL_FIELD) {
                uint32_t m = (uint32_t)(i - pairs_field);
                if (field_accept(b, i, m, &sc.lf)) {
                    *len = i + 1;
                    return CS_FRAME_PDU;
                }
                if (sc.n_weak < AC_WEAK_MAX && m >= AC_MIN - 1)
                    sc.weak[sc.n_weak++] = (weak_cand){(uint32_t)i, m};
                continue;
            }
            /* An escape byte: a pair with 01 or 02.  Neither is an
             * escape byte or a delimiter, so the pair's second byte is
             * never looked at here and no pair spans a delimiter; 0x54
             * pairs count in both dialects, 0xA9 pairs in the field
             * dialect only. */
            if (i + 1 < lim && (b[i + 1] == 0x01 || b[i + 1] == 0x02)) {
                pairs_field++;
                if (c == AICLOUD_ESC)
                    pairs_doc++;
            }
        }
    }
    if (lim == AICLOUD_MAX_WIRE)
        return at_delimiter(&sc, 0, 0, len);
    *len = avail + 1;
    return CS_FRAME_NEED;
}

/* ---- unescaping a whole frame ------------------------------------------------- */

typedef struct ac_frame_info {
    int dialect;
    bool tail;        /* the last byte is the dialect's tail */
    uint32_t u;       /* unescaped size (head, tail included) */
    uint32_t n_bad;   /* bad escapes and raw delimiters */
    uint32_t bad_off[AC_MAX_BAD];
    uint8_t bad_kind[AC_MAX_BAD]; /* 0 bad escape, else the raw delimiter byte */
} ac_frame_info;

/* Any A9 01 / A9 02 in the body: the field dialect's escapes. */
static bool has_field_escapes(const uint8_t *b, size_t n)
{
    for (size_t i = 1; i + 1 < n; i++)
        if (b[i] == AICLOUD_ESC_FIELD && (b[i + 1] == 0x01 || b[i + 1] == 0x02))
            return true;
    return false;
}

/* A bad escape (kind 0) or an unescaped delimiter at wire offset off. */
static void frame_fault(ac_frame_info *fi, uint32_t off, uint8_t kind)
{
    if (fi->n_bad < AC_MAX_BAD) {
        fi->bad_off[fi->n_bad] = off;
        fi->bad_kind[fi->n_bad] = kind;
    }
    fi->n_bad++;
}

/* Copy b[from..to) to out + k; returns the new k.  A short run is copied
 * as 16 bytes when the input has them: the output never runs ahead of
 * the input (k <= from), so they fit in out[0..n) too, and the bytes
 * past the run are written again by what follows, or lie past the
 * unescaped end. */
static inline uint32_t copy_run(uint8_t *out, uint32_t k, const uint8_t *b, size_t from, size_t to,
                                size_t n)
{
    if (to - from <= 16 && from + 16 <= n)
        memcpy(out + k, b + from, 16);
    else
        memcpy(out + k, b + from, to - from);
    return k + (uint32_t)(to - from);
}

/* The body b[1..body_end) of the frame b[0..n) unescaped into out + 1 by
 * a dialect's rules; returns the bytes in out. */
static inline __attribute__((always_inline)) uint32_t
unescape_body(const uint8_t *b, size_t n, size_t body_end, bool field, uint8_t *out,
              ac_frame_info *fi)
{
    uint8_t d2 = field ? AICLOUD_TAIL_FIELD : AICLOUD_HEAD;
    uint8_t e2 = field ? AICLOUD_ESC_FIELD : AICLOUD_ESC;
    uint32_t k = 1; /* bytes written */
    size_t run = 1; /* b[run..) is not written yet */
    /* Only delimiters and escape bytes need a look; the runs between
     * them are copied whole. */
    for (size_t base = 1; base < body_end; base += 16) {
        uint32_t bits = mask4(b, base, body_end, AICLOUD_HEAD, AICLOUD_ESC, d2, e2);
        for (; bits; bits &= bits - 1) {
            /* (a pair's second byte, 01 or 02, is never looked at) */
            size_t i = base + (size_t)__builtin_ctz(bits);
            if (i > run) /* (specials often follow one another) */
                k = copy_run(out, k, b, run, i, n);
            uint8_t c = b[i];
            run = i + 1;
            if (c == AICLOUD_ESC || c == e2) {
                uint8_t c2 = i + 1 < body_end ? b[i + 1] : 0;
                if (c2 == 0x01 || c2 == 0x02) {
                    out[k++] = c2 == 0x02 ? c : c == AICLOUD_ESC ? 0x55 : 0xAA;
                    run = i + 2;
                    continue;
                }
                /* A bad escape (or one right before the tail): the
                 * escape byte is kept as it is and the next byte read
                 * on its own (what the field server's receiver does). */
                frame_fault(fi, (uint32_t)i, 0);
            } else {
                frame_fault(fi, (uint32_t)i, c); /* a delimiter that should have been escaped */
            }
            out[k++] = c;
        }
    }
    return copy_run(out, k, b, run, body_end, n);
}

/* Unescape b[0..n) (b[0] is the head) into out[0..n): head, body, tail. */
static void unescape_frame(const uint8_t *b, size_t n, uint32_t dialect_opt, uint8_t *out,
                           ac_frame_info *fi)
{
    memset(fi, 0, sizeof *fi);
    uint8_t last = n >= 2 ? b[n - 1] : 0;
    if (n >= 2 && last == AICLOUD_TAIL_FIELD && dialect_opt != AICLOUD_DIALECT_DOC) {
        fi->dialect = AICLOUD_DIALECT_FIELD;
        fi->tail = true;
    } else if (n >= 2 && last == AICLOUD_TAIL_DOC && dialect_opt != AICLOUD_DIALECT_FIELD) {
        fi->dialect = AICLOUD_DIALECT_DOC;
        fi->tail = true;
    } else {
        fi->dialect = dialect_opt ? (int)dialect_opt
                      : has_field_escapes(b, n) ? AICLOUD_DIALECT_FIELD
                                                : AICLOUD_DIALECT_DOC;
    }
    size_t body_end = fi->tail ? n - 1 : n;
    out[0] = b[0];
    /* each dialect's own copy of the body loop, with its bytes as constants */
    uint32_t k = fi->dialect == AICLOUD_DIALECT_FIELD ? unescape_body(b, n, body_end, true, out, fi)
                                                      : unescape_body(b, n, body_end, false, out, fi);
    if (fi->tail)
        out[k++] = last;
    fi->u = k;
}

/* ---- heuristic ------------------------------------------------------------------- */

/* Strict: head, tail, clean escapes, a length that is the unescaped (or
 * on-wire) size, a known class and a documented status. */
static bool strict_frame(const uint8_t *b, size_t n)
{
    if (n < AC_MIN || n > AICLOUD_MAX_WIRE)
        return false;
    uint8_t u[AICLOUD_MAX_WIRE];
    ac_frame_info fi;
    unescape_frame(b, n, AICLOUD_DIALECT_AUTO, u, &fi);
    if (!fi.tail || fi.n_bad || fi.u < AC_MIN)
        return false;
    uint16_t len = cs_le16(u + 1);
    return (len == fi.u || len == n) && class_known(u[3]) && u[9] <= 3;
}

/* The start of a frame whose tail is in a later segment: at least the
 * header up to the status, clean escapes so far, a known class, a
 * documented status and a plausible length larger than what is there. */
static bool strict_start(const uint8_t *b, size_t n)
{
    if (n > AICLOUD_MAX_WIRE)
        return false;
    uint8_t u[AICLOUD_MAX_WIRE + 1];
    unesc ue = {u, 1, 0, false};
    u[0] = b[0];
    for (size_t i = 1; i < n; i++)
        if (ue_feed(&ue, b[i]))
            return false;
    if (ue.n < 10)
        return false;
    uint16_t len = cs_le16(u + 1);
    return len >= AC_MIN && len <= AICLOUD_MAX_WIRE && len > ue.n && class_known(u[3]) &&
           u[9] <= 3;
}

/* The first frame must be strict, and so must every other complete frame
 * of the payload.  On TCP the first frame may continue in the next
 * segment (a login cut in two); on UDP the datagram holds whole frames. */
static bool ac_probe(const uint8_t *buf, size_t len, bool udp)
{
    size_t off = 0;
    int seen = 0;
    while (off < len) {
        size_t fl = 0;
        cs_frame_kind k = ac_frame(buf + off, len - off, &fl);
        if (k == CS_FRAME_NEED)
            return !udp && (seen > 0 || strict_start(buf + off, len - off));
        if (k == CS_FRAME_SKIP || !strict_frame(buf + off, fl))
            return false;
        off += fl;
        seen++;
    }
    return seen > 0;
}

/* ---- sessions ------------------------------------------------------------------- */

typedef struct ac_sess {
    uint32_t opts[CS_MAX_OPTS];
    bool start_seen;
    uint8_t role[2];     /* learned cs_dir of what each side sends */
    uint8_t crc_learned; /* the conversation's CRC variant, 0 = none yet */
    uint32_t hb_learned; /* heartbeat interval from parameter 0x000C, 0 = none */
    int64_t hb_ref_ns;   /* previous heartbeat or login, 0 = none */
    cs_rr rr;
} ac_sess;

static void ac_sess_init(void *sv, const uint32_t *opts, bool start_seen)
{
    ac_sess *s = sv;
    memset(s, 0, offsetof(ac_sess, rr.e)); /* rr.e[] is read up to rr.n only */
    memcpy(s->opts, opts, sizeof s->opts);
    s->start_seen = start_seen;
}

static void ac_sess_fini(void *sv) { (void)sv; }

static void ac_sess_end(void *sv, cs_out *o)
{
    ac_sess *s = sv;
    cs_out_reset(o);
    cs_rr_end(&s->rr, &aicloud_proto, o);
}

/* ---- output helpers: items in the unescaped frame --------------------------------- */

/* Without CS_WANT_ITEMS no item is made: the helpers return -1 before
 * calling into the library, since most frames add a dozen of them. */
static inline bool want_items(const cs_out *o) { return (o->want & CS_WANT_ITEMS) != 0; }

static int dadd(cs_out *o, int field, uint32_t off, uint32_t len, uint64_t v)
{
    if (!want_items(o))
        return -1;
    int it = cs_item_add(o, field, off, len, v);
    cs_item_flag(o, it, CS_IF_DERIVED);
    return it;
}

static int dstr(cs_out *o, int field, uint32_t off, uint32_t len, const char *s, size_t n)
{
    if (!want_items(o))
        return -1;
    int it = cs_item_str(o, field, off, len, s, n);
    cs_item_flag(o, it, CS_IF_DERIVED);
    return it;
}

static int gen_item(cs_out *o, int field, uint64_t v)
{
    if (!want_items(o))
        return -1;
    int it = cs_item_add(o, field, 0, 0, v);
    cs_item_flag(o, it, CS_IF_GENERATED);
    return it;
}

static int derived_viol(cs_out *o, int idx)
{
    if (idx >= 0)
        o->viols[idx].flags |= CS_VF_DERIVED;
    return idx;
}
#define DVIOL(o, code, item, off, len, ...) \
    derived_viol(o, cs_viol_add(o, code, item, off, len, __VA_ARGS__))

/* cs_info() without the call (and its arguments) when Info is not wanted. */
#define INFO(o, ...)                          \
    do {                                      \
        if ((o)->want & CS_WANT_INFO)         \
            cs_info(o, __VA_ARGS__);          \
    } while (0)

/* ---- the data cursor ------------------------------------------------------------------- */

typedef struct acur {
    cs_out *o;
    const uint8_t *d; /* the unescaped frame */
    uint32_t pos;     /* absolute offsets in d */
    uint32_t start;   /* where the data begins */
    uint32_t end;     /* where the data ends (the CRC) */
    bool short_;      /* ran out of data (reported once) */
    bool text;        /* the caller wants items or Info: build their texts */
    const char *name, *kind; /* "Login", "request": for messages */
} acur;

static uint32_t left(const acur *c) { return c->end - c->pos; }

static bool need(acur *c, uint32_t n, const char *field)
{
    if (c->pos + n <= c->end)
        return true;
    if (!c->short_) {
        c->short_ = true;
        DVIOL(c->o, AV_DATA_SHORT, -1, c->pos, c->end - c->pos,
              "%s (%s): the data ends after %u byte%s, %s needs %u more", c->name, c->kind,
              c->pos - c->start,
              c->pos - c->start == 1 ? "" : "s", field, c->pos + n - c->end);
    }
    return false;
}

static bool rd_u8(acur *c, int field, const char *name, uint8_t *v, int *item)
{
    if (!need(c, 1, name))
        return false;
    *v = c->d[c->pos];
    int it = dadd(c->o, field, c->pos, 1, *v);
    if (item)
        *item = it;
    c->pos++;
    return true;
}

static bool rd_u16(acur *c, int field, const char *name, bool be, uint16_t *v, int *item)
{
    if (!need(c, 2, name))
        return false;
    *v = be ? cs_be16(c->d + c->pos) : cs_le16(c->d + c->pos);
    int it = dadd(c->o, field, c->pos, 2, *v);
    if (item)
        *item = it;
    c->pos += 2;
    return true;
}

/* 8 bytes as 16 hex digits into out[17]. */
static bool rd_id(acur *c, int field, const char *name, char *out)
{
    out[0] = '\0';
    if (!need(c, 8, name))
        return false;
    if (c->text) {
        cs_hex(out, 17, c->d + c->pos, 8);
        dstr(c->o, field, c->pos, 8, out, 16);
    }
    c->pos += 8;
    return true;
}

static bool rd_ipv4(acur *c, int field, const char *name, char *out, size_t outsz)
{
    if (!need(c, 4, name))
        return false;
    const uint8_t *p = c->d + c->pos;
    dadd(c->o, field, c->pos, 4, cs_be32(p));
    if (c->text)
        snprintf(out, outsz, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
    else if (outsz)
        out[0] = '\0';
    c->pos += 4;
    return true;
}

static int rd_bytes(acur *c, int field, uint32_t n)
{
    if (n > left(c))
        n = left(c);
    int it = dadd(c->o, field, c->pos, n, 0);
    c->pos += n;
    return it;
}

/* Printable text of s[0..n) into out (bytes above 0x7F as \xNN, as the
 * library shows them), cut to outsz. */
static void text_of(const uint8_t *s, size_t n, char *out, size_t outsz)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < outsz; i++) {
        uint8_t ch = s[i];
        if (ch >= 0x20 && ch < 0x7F && ch != '\\')
            out[k++] = (char)ch;
        else
            k += (size_t)snprintf(out + k, outsz - k, "\\x%02x", ch);
    }
    if (outsz)
        out[k < outsz ? k : outsz - 1] = '\0';
}

/* Append s to the string in buf[0..size), cut as snprintf would cut it
 * (the version info is built for its fact whatever the caller wants). */
static void append(char *buf, size_t size, const char *s)
{
    size_t l = strlen(buf), n = strlen(s);
    if (n > size - 1 - l)
        n = size - 1 - l;
    memcpy(buf + l, s, n);
    buf[l + n] = '\0';
}

/* A NUL-terminated string (GBK or ASCII); out gets its text. */
static bool rd_string(acur *c, int field, const char *name, char *out, size_t outsz)
{
    if (out && outsz)
        out[0] = '\0';
    if (!need(c, 1, name))
        return false;
    const uint8_t *s = c->d + c->pos;
    uint32_t avail = left(c), n = 0;
    while (n < avail && s[n])
        n++;
    bool nul = n < avail;
    int it = dstr(c->o, field, c->pos, nul ? n + 1 : n, (const char *)s, n);
    if (out && c->text)
        text_of(s, n, out, outsz);
    if (!nul)
        DVIOL(c->o, AV_STRING_NUL, it, c->pos, n, "%s is not NUL-terminated", name);
    c->pos += nul ? n + 1 : n;
    return true;
}

/* Bytes left after the command's fields (trailing() checks first, since
 * most data ends where its fields do). */
static void trailing_bytes(acur *c)
{
    int it = dadd(c->o, AF_TRAILING, c->pos, c->end - c->pos, 0);
    DVIOL(c->o, AV_DATA_TRAILING, it, c->pos, c->end - c->pos,
          "%s (%s): %u byte%s after its fields", c->name, c->kind, c->end - c->pos,
          c->end - c->pos == 1 ? "" : "s");
    c->pos = c->end;
}

static inline void trailing(acur *c)
{
    if (!c->short_ && c->pos < c->end)
        trailing_bytes(c);
}

/* Hex of a token, or its text when it is printable. */
static void token_text(const uint8_t *t, uint32_t n, char *out, size_t outsz)
{
    bool print = n > 0;
    for (uint32_t i = 0; i < n; i++)
        if (t[i] < 0x20 || t[i] >= 0x7F)
            print = false;
    if (print)
        snprintf(out, outsz, "\"%.*s\"", (int)(n < 32 ? n : 32), (const char *)t);
    else
        cs_hex(out, outsz, t, n);
}

/* ---- per-command data --------------------------------------------------------------- */

/* One device entry: ID 8, token (a length byte and 8 bytes, or 8 bytes),
 * IPv4 4 (BE), UDP port 2 (BE). */
static bool peer_entry(acur *c, bool with_len, char *desc, size_t descsz)
{
    uint32_t size = with_len ? 23 : 22;
    if (!need(c, size, "a device entry"))
        return false;
    uint32_t start = c->pos;
    int e = dadd(c->o, AF_PEER, start, size, 0);
    cs_push(c->o);
    char id[17] = "", ip[16] = "";
    uint8_t tl = 0;
    uint16_t port = 0;
    rd_id(c, AF_PEER_ID, "the device ID", id);
    if (with_len)
        rd_u8(c, AF_PEER_TOKEN_LEN, "the token length", &tl, NULL);
    rd_bytes(c, AF_PEER_TOKEN, 8);
    rd_ipv4(c, AF_PEER_IP, "the IP address", ip, sizeof ip);
    rd_u16(c, AF_PEER_PORT, "the UDP port", true, &port, NULL);
    cs_pop(c->o);
    cs_item_text(c->o, e, "%s at %s:%u", id, ip, port);
    if (c->text)
        snprintf(desc, descsz, "%s at %s:%u", id, ip, port);
    else
        desc[0] = '\0';
    return true;
}

/* Whether device entries carry a token length byte: the documented
 * form says 9 token bytes (length + 8); the field dialect has none. */
static bool entries_with_len(int dialect, uint32_t n)
{
    if (dialect == AICLOUD_DIALECT_FIELD)
        return n % 22 != 0 && n % 23 == 0;
    return !(n % 23 != 0 && n % 22 == 0);
}

/* A configuration value of parameter `p` in d[c->pos .. c->pos + n):
 * items, and its text for the Info column. */
static void param_value(acur *c, const acparam *p, uint32_t n, char *txt, size_t txtsz)
{
    cs_out *o = c->o;
    uint32_t saved_end = c->end;
    c->end = c->pos + n;
    txt[0] = '\0';
    if (!p) {
        rd_bytes(c, AF_PARAM_VALUE, n);
        if (c->text)
            snprintf(txt, txtsz, "%u byte%s", n, n == 1 ? "" : "s");
        c->end = saved_end;
        return;
    }
    uint8_t v8;
    uint16_t v16;
    switch (p->layout) {
    case PV_VERSION: {
        /* Three NUL-terminated strings, or one with commas between them. */
        const uint8_t *s = c->d + c->pos;
        char full[96] = "";
        int it = dadd(o, AF_VERSION, c->pos, n, 0);
        cs_push(o);
        static const int parts[3] = {AF_VERSION_HW, AF_VERSION_SW, AF_VERSION_BOOT};
        uint32_t i = 0;
        bool nul_sep = memchr(s, 0, n) && memchr(s, 0, n) != s + n - 1;
        for (int k = 0; k < 3 && i < n; k++) {
            uint32_t j = i;
            char sep = nul_sep || k == 2 ? '\0' : ',';
            while (j < n && s[j] && s[j] != sep)
                j++;
            uint32_t a = i, b = j;
            if (b > a + 1 && s[a] == '"' && s[b - 1] == '"') { /* "hw","sw","boot" */
                a++;
                b--;
            }
            dstr(o, parts[k], c->pos + i, j - i, (const char *)s + a, b - a);
            char part[40];
            text_of(s + a, b - a, part, sizeof part);
            append(full, sizeof full, k ? ", " : "");
            append(full, sizeof full, part);
            i = j < n ? j + 1 : j;
        }
        cs_pop(o);
        cs_item_text(o, it, "%s", full);
        if (n && s[n - 1] != 0)
            DVIOL(o, AV_STRING_NUL, it, c->pos, n, "Version info is not NUL-terminated");
        c->pos += n;
        if (c->text)
            snprintf(txt, txtsz, "%s", full);
        if (full[0])
            cs_fact_add(o, CS_FACT_FIRMWARE, "%s", full);
        break;
    }
    case PV_SERVER: {
        uint8_t tr;
        char host[48];
        if (!rd_u16(c, AF_SERVER_PORT, "the server port", false, &v16, NULL) ||
            !rd_u8(c, AF_SERVER_TRANSPORT, "the transport", &tr, NULL) ||
            !rd_string(c, AF_SERVER_HOST, "Server host", host, sizeof host))
            break;
        if (c->text)
            snprintf(txt, txtsz, "%s://%s:%u", tr == 1 ? "tcp" : tr == 0 ? "udp" : "?", host,
                     v16);
        break;
    }
    case PV_IP: {
        char ip[16];
        if (rd_ipv4(c, p->field, p->name, ip, sizeof ip) && c->text)
            snprintf(txt, txtsz, "%s", ip);
        break;
    }
    case PV_U8:
        if (rd_u8(c, p->field, p->name, &v8, NULL) && c->text)
            snprintf(txt, txtsz, "%u%s", v8, p->id == 0x000C ? " s" : "");
        break;
    case PV_RTC: {
        if (!need(c, 8, "the RTC"))
            break;
        const uint8_t *r = c->d + c->pos;
        uint16_t y = cs_le16(r);
        int it = dadd(o, AF_RTC, c->pos, 8, 0);
        char when[64] = "";
        if (c->text)
            snprintf(when, sizeof when, "%04u-%02u-%02u %02u:%02u:%02u, weekday %u%s", y, r[2],
                     r[3], r[4], r[5], r[6], r[7],
                     (r[2] < 1 || r[2] > 12 || r[3] < 1 || r[3] > 31 || r[4] > 23 || r[5] > 59 ||
                      r[6] > 59 || r[7] > 7)
                         ? " (not a valid date)"
                         : "");
        cs_item_text(o, it, "%s", when);
        cs_push(o);
        static const int f[7] = {AF_RTC_YEAR, AF_RTC_MONTH, AF_RTC_DAY, AF_RTC_HOUR,
                                 AF_RTC_MINUTE, AF_RTC_SECOND, AF_RTC_WEEKDAY};
        dadd(o, f[0], c->pos, 2, y);
        for (int k = 1; k < 7; k++)
            dadd(o, f[k], c->pos + 1 + (uint32_t)k, 1, r[1 + k]);
        cs_pop(o);
        c->pos += 8;
        if (c->text)
            snprintf(txt, txtsz, "%s", when);
        break;
    }
    }
    c->end = saved_end;
}

/* Parameter ID + value (a write, or a read reply that repeats the ID). */
static const acparam *param_id(acur *c, uint16_t *id)
{
    int it;
    if (!rd_u16(c, AF_PARAM_ID, "the parameter ID", false, id, &it))
        return NULL;
    const acparam *p = find_param(*id);
    if (!p)
        DVIOL(c->o, AV_PARAM_UNKNOWN, it, c->pos - 2, 2, "Parameter 0x%04X is not in the table",
              *id);
    return p;
}

/* The size check of a parameter value: short or trailing. */
static uint32_t param_size(acur *c, const acparam *p)
{
    uint32_t n = left(c);
    if (p && n < p->min) {
        need(c, p->min, p->name);
        return 0;
    }
    if (p && n > p->max)
        return p->max;
    return n;
}

static bool reply_has_id(const uint8_t *d, uint32_t n)
{
    if (n < 2)
        return false;
    const acparam *p = find_param(cs_le16(d));
    return p && n - 2 >= p->min && n - 2 <= p->max;
}

/* ---- decode --------------------------------------------------------------------------- */

typedef struct ac_hdr {
    uint8_t cls, cmd, status;
    uint16_t seq, len;
    bool request;
    const accmd *def;
    cs_dir dir;
    cs_dir_source dir_src;
    int cmd_item;
    uint32_t data, end; /* data area in the unescaped frame */
    bool generic;       /* a reply without data */
    uint32_t crc_mask;  /* variants matching (auto), 0 none */
    bool crc_checked;
    uint16_t param;     /* read/write config: the parameter ID seen, 0 none */
    bool value_only;    /* read reply without the parameter ID */
    int hb_value;       /* a heartbeat interval in this frame, -1 none */
    uint32_t token_off, token_len; /* the header token, if any */
} ac_hdr;

static cs_dir opposite(cs_dir d)
{
    return d == CS_DIR_TO_SERVER ? CS_DIR_TO_DEVICE
           : d == CS_DIR_TO_DEVICE ? CS_DIR_TO_SERVER
                                   : d;
}

/* Which way the frame travels, and how that was decided. */
static void decide_dir(ac_hdr *h, const ac_sess *s, const cs_ctx *ctx)
{
    cs_dir by_cmd = CS_DIR_UNKNOWN;
    if (h->def && h->def->req_dir != CS_DIR_UNKNOWN)
        by_cmd = h->request ? (cs_dir)h->def->req_dir : opposite((cs_dir)h->def->req_dir);
    if (ctx->dir_override) {
        h->dir = (cs_dir)ctx->dir_override;
        h->dir_src = ctx->dir_override_source ? (cs_dir_source)ctx->dir_override_source
                                              : CS_DS_OVERRIDE;
    } else if (ctx->udp || ctx->transport_dir == CS_DIR_PEER) {
        h->dir = CS_DIR_PEER;
        h->dir_src = CS_DS_TRANSPORT;
    } else if (ctx->transport_dir) {
        h->dir = (cs_dir)ctx->transport_dir;
        h->dir_src = CS_DS_TRANSPORT;
    } else if (by_cmd == CS_DIR_TO_SERVER || by_cmd == CS_DIR_TO_DEVICE) {
        h->dir = by_cmd;
        h->dir_src = CS_DS_DECLARED;
    } else if (s && s->role[ctx->side & 1]) {
        h->dir = (cs_dir)s->role[ctx->side & 1];
        h->dir_src = CS_DS_LEARNED;
    } else if ((h->dir = cs_dir_by_ports(ctx)) != CS_DIR_UNKNOWN) {
        h->dir_src = CS_DS_PORTS;
    }
}

/* The data size a command has without a token, when it is fixed; -1 when
 * it varies. */
static int32_t fixed_size(const ac_hdr *h)
{
    if (!h->def)
        return -1;
    switch (h->def->kind) {
    case K_HEARTBEAT:
    case K_NONE:
        return 0;
    case K_P2P_REQ:
    case K_P2P_CONFIRM:
        return h->request ? 8 : -1;
    case K_READ_CONFIG:
        return h->request ? 2 : -1;
    case K_ADD_WIFI:
        return 16;
    default:
        return -1;
    }
}

/* The documented token rules (protocol-facts 4.1); returns the data start
 * and sets h->token_off/token_len when a token is there. */
static uint32_t doc_token(cs_out *o, const uint8_t *d, ac_hdr *h, uint32_t end)
{
    uint32_t pos = AC_HDR, r = end > pos ? end - pos : 0;
    uint8_t t = r ? d[pos] : 0;
    bool fits = r >= 1 && 1u + t <= r;
    bool login = h->def && (h->def->kind == K_LOGIN || h->def->kind == K_PC_LOGIN);
    if (login && h->request) {
        /* None expected.  A length byte, that many bytes and an 8-byte
         * password would be one. */
        if (!(fits && t >= 1 && r - 1 - t == 8))
            return pos;
        int it = dadd(o, AF_TOKEN_LEN, pos, 1, t);
        DVIOL(o, AV_TOKEN_UNEXPECTED, it, pos, 1u + t,
              "A token (%u bytes) in the device's login, which has none", t);
    } else if (login) {
        /* The reply: a header token when the length byte fits, else the
         * token is the data alone (the document is ambiguous). */
        if (!fits || t == 0)
            return pos;
        dadd(o, AF_TOKEN_LEN, pos, 1, t);
    } else {
        int32_t want = fixed_size(h);
        if (!fits || (want >= 0 && r == (uint32_t)want && r - 1 - t != (uint32_t)want)) {
            DVIOL(o, AV_TOKEN_MISSING, h->cmd_item, pos, 0, "No token: %s",
                  !r      ? "the frame ends after the device ID"
                  : !fits ? "the byte after the device ID is not a length that fits"
                          : "the bytes after the device ID are the command's data");
            return pos;
        }
        dadd(o, AF_TOKEN_LEN, pos, 1, t);
    }
    dadd(o, AF_TOKEN, pos + 1, t, 0);
    h->token_off = pos + 1;
    h->token_len = t;
    return pos + 1 + t;
}

static void data_decode(acur *c, ac_hdr *h, int dialect, const char *dev)
{
    cs_out *o = c->o;
    const accmd *def = h->def;
    const char *sn = def ? def->short_ : "Command";
    char a[80], b[80], stbuf[16];
    const char *st = NULL; /* the status, for Info only */
    if (o->want & CS_WANT_INFO) {
        st = cs_vs_find(status_short, h->status);
        if (!st) {
            snprintf(stbuf, sizeof stbuf, "status 0x%02X", h->status);
            st = stbuf;
        }
    }
    uint8_t v8;
    uint16_t v16;
    uint32_t n = left(c);

    if (!def) {
        if (n)
            rd_bytes(c, AF_PAYLOAD, n);
        if (!class_known(h->cls))
            INFO(o, "Unknown class 0x%02X cmd 0x%02X", h->cls, h->cmd);
        else
            INFO(o, "%s: unknown cmd 0x%02X", cs_vs_name(class_vals, h->cls, "?"), h->cmd);
        if (!h->request)
            INFO(o, " \u2192 %s", st);
        return;
    }
    if (h->generic) {
        INFO(o, "%s \u2192 %s (generic reply)", sn, st);
        return;
    }
    switch (def->kind) {
    case K_LOGIN:
        if (h->request) {
            if (n)
                rd_bytes(c, AF_PASSWORD, n);
            else
                need(c, 1, "the password");
            INFO(o, "%s dev %s", sn, dev);
        } else {
            INFO(o, "%s \u2192 %s", sn, st);
            if (n) {
                if (c->text) {
                    token_text(c->d + c->pos, n, a, sizeof a);
                    INFO(o, ", token %s", a);
                }
                rd_bytes(c, AF_LOGIN_TOKEN, n);
            } else if (h->token_len && c->text) {
                token_text(c->d + h->token_off, h->token_len, a, sizeof a);
                INFO(o, ", token %s", a);
            }
        }
        break;
    case K_PC_LOGIN: /* layout not published */
        if (n)
            rd_bytes(c, AF_PAYLOAD, n);
        if (h->request)
            INFO(o, "%s dev %s", sn, dev);
        else
            INFO(o, "%s \u2192 %s", sn, st);
        if (!h->request && h->token_len && c->text) {
            token_text(c->d + h->token_off, h->token_len, a, sizeof a);
            INFO(o, ", token %s", a);
        }
        break;
    case K_HEARTBEAT:
        if (h->request)
            INFO(o, "%s dev %s", sn, dev);
        else
            INFO(o, "%s \u2192 %s", sn, st);
        break;
    case K_P2P_REQ:
        if (h->request) {
            if (rd_id(c, AF_PEER_ID, "the target device ID", a))
                INFO(o, "%s dev %s \u2192 %s", sn, dev, a);
        } else if (peer_entry(c, entries_with_len(dialect, n), b, sizeof b)) {
            INFO(o, "%s \u2192 %s", sn, b);
        }
        break;
    case K_P2P_CONFIRM:
        if (rd_id(c, AF_SENDER_ID, "the sender device ID", a)) {
            if (h->request)
                INFO(o, "%s from %s to %s", sn, a, dev);
            else
                INFO(o, "%s from %s \u2192 %s", sn, a, st);
        }
        break;
    case K_GROUP:
        if (h->request) {
            INFO(o, "%s", sn);
            if (n)
                rd_bytes(c, AF_PAYLOAD, n);
        } else {
            bool wl = entries_with_len(dialect, n);
            uint32_t count = 0;
            while (left(c) && peer_entry(c, wl, b, sizeof b))
                count++;
            INFO(o, "%s \u2192 %u device%s", sn, count, count == 1 ? "" : "s");
        }
        break;
    case K_VIA_PLATFORM:
    case K_P2P_DATA:
        if (rd_id(c, AF_PEER_ID, "the device ID", a)) {
            uint32_t m = left(c);
            rd_bytes(c, AF_PAYLOAD, m);
            INFO(o, "%s, dev %s, %u byte%s", sn, a, m, m == 1 ? "" : "s");
            if (!h->request)
                INFO(o, " \u2192 %s", st);
        }
        break;
    case K_TRANSPARENT:
    case K_OPAQUE:
        rd_bytes(c, AF_PAYLOAD, n);
        INFO(o, "%s, %u byte%s", sn, n, n == 1 ? "" : "s");
        if (!h->request)
            INFO(o, " \u2192 %s", st);
        break;
    case K_NONE:
        INFO(o, "%s", sn);
        if (!h->request)
            INFO(o, " \u2192 %s", st);
        break;
    case K_UPGRADE:
        if (!h->request) {
            rd_bytes(c, AF_PAYLOAD, n);
            INFO(o, "%s \u2192 %s, %u bytes", sn, st, n);
        } else if (rd_string(c, AF_FILE_NAME, "File name", a, sizeof a) &&
                   rd_u8(c, AF_FILE_CHECKSUM, "the checksum", &v8, NULL)) {
            INFO(o, "%s %s (checksum 0x%02X)", sn, a, v8);
        }
        break;
    case K_UPGRADE_FRAME:
        if (!h->request) {
            rd_bytes(c, AF_PAYLOAD, n);
            INFO(o, "%s \u2192 %s, %u bytes", sn, st, n);
        } else {
            uint16_t size;
            if (rd_string(c, AF_FILE_NAME, "File name", a, sizeof a) &&
                rd_u16(c, AF_FRAME_NO, "the frame number", false, &v16, NULL) &&
                rd_u16(c, AF_FRAME_SIZE, "the frame size", false, &size, NULL))
                INFO(o, "%s %s #%u (%u bytes)", sn, a, v16, size);
        }
        break;
    case K_READ_CONFIG:
        if (h->request) {
            const acparam *p = param_id(c, &v16);
            if (c->short_)
                break;
            h->param = v16;
            if (p)
                INFO(o, "%s %s", sn, p->short_);
            else
                INFO(o, "%s 0x%04X", sn, v16);
        } else if (reply_has_id(c->d + c->pos, n)) {
            const acparam *p = param_id(c, &v16);
            h->param = v16;
            param_value(c, p, left(c), b, sizeof b);
            INFO(o, "%s %s \u2192 %s", sn, p->short_, b);
            if (v16 == 0x000C && c->pos > c->start)
                h->hb_value = c->d[c->pos - 1];
        } else {
            /* the value alone: its parameter is the request's */
            h->value_only = true;
            int it = rd_bytes(c, AF_PARAM_VALUE, n);
            cs_item_text(o, it, "value of the parameter read by the request");
            INFO(o, "%s \u2192 %u-byte value", sn, n);
        }
        break;
    case K_WRITE_CONFIG:
        if (h->request) {
            const acparam *p = param_id(c, &v16);
            if (c->short_)
                break;
            h->param = v16;
            uint32_t vn = param_size(c, p);
            if (c->short_)
                break;
            dadd(o, AF_PARAM_VALUE, c->pos, vn, 0);
            cs_push(o);
            param_value(c, p, vn, b, sizeof b);
            cs_pop(o);
            if (p)
                INFO(o, "%s %s \u2190 %s", sn, p->short_, b);
            else
                INFO(o, "%s 0x%04X \u2190 %s", sn, v16, b);
            if (v16 == 0x000C && vn == 1)
                h->hb_value = c->d[c->pos - 1];
        } else {
            rd_bytes(c, AF_PAYLOAD, n);
            INFO(o, "%s \u2192 %s, %u bytes", sn, st, n);
        }
        break;
    case K_EVENT:
        if (h->request) {
            int it;
            if (!rd_u8(c, AF_EVENT_CODE, "the event code", &v8, &it))
                break;
            rd_string(c, AF_EVENT_TEXT, "Description", a, sizeof a);
            INFO(o, "%s: %s \"%s\"", sn, cs_vs_name(event_vals, v8, "unknown event"), a);
        } else {
            rd_bytes(c, AF_PAYLOAD, n);
            INFO(o, "%s \u2192 %s", sn, st);
        }
        break;
    case K_ADD_WIFI:
        if (rd_id(c, AF_WIFI_ID, "the WiFi terminal ID", a) && need(c, 8, "the WiFi password")) {
            rd_bytes(c, AF_WIFI_PASSWORD, 8);
            INFO(o, "%s %s", sn, a);
            if (!h->request)
                INFO(o, " \u2192 %s", st);
        }
        break;
    }
    trailing(c);
}

/* The CRC stored at d[crc_off], over d[0..crc_off): items, verdict and
 * h->crc_mask. */
static void crc_check(cs_out *o, ac_hdr *h, const uint8_t *d, uint32_t crc_off, uint32_t pinned,
                      const ac_sess *s)
{
    int it;
    uint16_t stored = cs_le16(d + crc_off);
    /* Without items only the verdict matters, and it is the same
     * whatever the order: the conversation's variant is tried alone
     * first (the session learns nothing new from it), and without a
     * session the search stops at the first match. */
    bool lean = !(o->want & CS_WANT_ITEMS);
    uint32_t hint = s && lean && !pinned ? s->crc_learned : 0;
    if (hint && cs_crc16((cs_crc16_variant)hint, d, crc_off) == stored)
        h->crc_mask = 1u << hint;
    else
        h->crc_mask = crc_mask_of(d, crc_off, stored, pinned, lean && !s);
    h->crc_checked = true;
    uint32_t shown = h->crc_mask ? lowest_variant(h->crc_mask)
                     : pinned   ? pinned
                                : CS_CRC16_AICLOUD;
    /* a variant in the mask computes the stored value: no second pass */
    uint16_t computed = h->crc_mask ? stored : cs_crc16((cs_crc16_variant)shown, d, crc_off);
    it = dadd(o, AF_CRC, crc_off, 2, stored);
    if (it >= 0) {
        o->items[it].aux = computed;
        o->items[it].status = h->crc_mask ? CS_CK_GOOD : CS_CK_BAD;
        o->items[it].flags |= CS_IF_LE;
    }
    o->cksum = (uint8_t)(h->crc_mask ? CS_CK_GOOD : CS_CK_BAD);
    if (!h->crc_mask) {
        if (pinned) {
            DVIOL(o, AV_CRC_BAD, it, crc_off, 2, "CRC 0x%04X, %s gives 0x%04X", stored,
                  cs_vs_name(cs_crc16_variant_vals, pinned, "?"), computed);
        } else {
            char all[160] = "";
            size_t k = 0;
            for (uint32_t v = CS_CRC16_AICLOUD; v < CS_CRC16_COUNT_PLUS_ONE; v++)
                k += (size_t)snprintf(all + k, sizeof all - k, "%s%s 0x%04X", k ? ", " : "",
                                      cs_vs_name(cs_crc16_variant_vals, v, "?"),
                                      cs_crc16((cs_crc16_variant)v, d, crc_off));
            DVIOL(o, AV_CRC_BAD, it, crc_off, 2, "CRC 0x%04X matches no variant (%s)",
                  stored, all);
        }
    } else if (one_variant(h->crc_mask)) {
        gen_item(o, AF_CRC_VARIANT, lowest_variant(h->crc_mask));
    } else if (o->want & CS_WANT_ITEMS) {
        char all[120] = "";
        size_t k = 0;
        for (uint32_t v = CS_CRC16_AICLOUD; v < CS_CRC16_COUNT_PLUS_ONE; v++)
            if (h->crc_mask & (1u << v))
                k += (size_t)snprintf(all + k, sizeof all - k, "%s%s", k ? ", " : "",
                                      cs_vs_name(cs_crc16_variant_vals, v, "?"));
        it = cs_item_strf(o, AF_CRC_CANDIDATES, 0, 0, "%s", all);
        cs_item_flag(o, it, CS_IF_GENERATED);
    }
}

/* What the conversation adds: direction roles, the learned CRC variant,
 * request/reply pairs, a read reply's parameter, heartbeat timing. */
static void session_rules(ac_sess *s, ac_hdr *h, const uint8_t *d, uint16_t code,
                          const acur *dc, const cs_ctx *ctx, cs_out *o)
{
    int it;
    if (h->dir_src == CS_DS_TRANSPORT || h->dir_src == CS_DS_DECLARED) {
        if (!s->role[ctx->side & 1] && (h->dir == CS_DIR_TO_SERVER || h->dir == CS_DIR_TO_DEVICE)) {
            s->role[ctx->side & 1] = (uint8_t)h->dir;
            s->role[(ctx->side & 1) ^ 1] = (uint8_t)opposite(h->dir);
        }
    }

    /* The CRC variant: learned from frames only one variant explains,
     * it decides between several. */
    if (h->crc_checked && h->crc_mask) {
        if (one_variant(h->crc_mask)) {
            s->crc_learned = (uint8_t)lowest_variant(h->crc_mask);
        } else {
            bool learned = s->crc_learned && (h->crc_mask & (1u << s->crc_learned));
            uint32_t v = learned ? s->crc_learned : lowest_variant(h->crc_mask);
            it = gen_item(o, AF_CRC_VARIANT, v);
            cs_item_text(o, it, "%s (%s)", cs_vs_name(cs_crc16_variant_vals, v, "?"),
                         learned ? "the variant this conversation uses"
                                 : "the first of the matching variants");
        }
    }

    /* Requests and replies pair on (class, command, sequence); the side
     * that asked is part of the key (both P2P peers send requests). */
    uint64_t key = (uint64_t)code << 16 | h->seq;
    const acparam *asked = NULL;
    uint16_t asked_id = 0;
    if (h->request) {
        cs_rr_request(&s->rr, &aicloud_proto, key | (uint64_t)(ctx->side & 1) << 40,
                      h->param, ctx, o);
    } else {
        cs_rr_entry hit;
        bool unsolicited_known = s->start_seen && !ctx->udp;
        if (cs_rr_response(&s->rr, &aicloud_proto,
                           key | (uint64_t)((ctx->side & 1) ^ 1) << 40, ctx, o,
                           unsolicited_known ? AV_UNSOLICITED : -1, &hit) &&
            h->value_only && h->def && h->def->kind == K_READ_CONFIG) {
            asked_id = (uint16_t)hit.aux;
            asked = find_param(asked_id);
        }
    }
    /* A read reply that is the value alone: decoded as the request's
     * parameter. */
    if (asked_id && h->value_only) {
        it = dadd(o, AF_PARAM_ID, h->data, 0, asked_id);
        cs_item_flag(o, it, CS_IF_GENERATED);
        cs_item_text(o, it, "%s (0x%04X), from the request in frame %u",
                     asked ? asked->name : "Unknown", asked_id, o->req_frame);
        cs_push(o);
        char txt[80];
        acur v = {.o = o, .d = d, .pos = h->data, .start = h->data, .end = h->end,
                  .text = dc->text, .name = dc->name, .kind = dc->kind};
        uint32_t vn = asked ? param_size(&v, asked) : h->end - h->data;
        if (!v.short_) {
            param_value(&v, asked, vn, txt, sizeof txt);
            trailing(&v);
        }
        cs_pop(o);
        if (asked_id == 0x000C && vn == 1 && h->end > h->data)
            h->hb_value = d[h->data];
    }

    /* The heartbeat interval from parameter 0x000C. */
    if (h->hb_value > 0)
        s->hb_learned = (uint32_t)h->hb_value;

    /* Heartbeat timing: device heartbeats, from the login on. */
    if (h->def && h->def->kind == K_LOGIN && !h->request && h->status == 0)
        s->hb_ref_ns = ctx->ts_ns;
    if (h->def && h->def->kind == K_HEARTBEAT && h->request) {
        uint32_t interval = s->hb_learned ? s->hb_learned : s->opts[AO_HB_INTERVAL];
        if (interval) {
            it = gen_item(o, AF_HB_EXPECTED, interval);
            cs_item_text(o, it, "%u s (%s)", interval,
                         s->hb_learned ? "parameter 0x000C" : "the heartbeat_interval preference");
        }
        if (s->hb_ref_ns) {
            int64_t gap = ctx->ts_ns - s->hb_ref_ns;
            it = gen_item(o, AF_HB_GAP, 0);
            if (it >= 0)
                o->items[it].v.i = gap;
            int64_t limit = (int64_t)interval * (100 + s->opts[AO_HB_TOLERANCE]) * 10000000LL;
            if (interval && gap > limit)
                cs_viol_add(o, AV_HB_LATE, it, 0, 0,
                            "Heartbeat %.1f s after the previous one (interval %u s)",
                            (double)gap / 1e9, interval);
        }
        s->hb_ref_ns = ctx->ts_ns;
    }
}

/* The device ID (8 bytes) as 16 hex digits into out[17], as cs_hex()
 * writes them; every frame needs it for the device fact, so without
 * cs_hex()'s general bounds. */
static void device_hex(char *out, const uint8_t *id)
{
#ifdef __SSE2__
    /* the 16 nibbles, high one first, each as '0' + v, plus 7 above 9
     * ('A' - '0' - 10) */
    __m128i x = _mm_loadl_epi64((const __m128i *)(const void *)id);
    __m128i f = _mm_set1_epi8(0x0F);
    __m128i nib = _mm_unpacklo_epi8(_mm_and_si128(_mm_srli_epi16(x, 4), f), _mm_and_si128(x, f));
    __m128i above9 = _mm_and_si128(_mm_cmpgt_epi8(nib, _mm_set1_epi8(9)), _mm_set1_epi8(7));
    __m128i digits = _mm_add_epi8(_mm_add_epi8(nib, _mm_set1_epi8('0')), above9);
    _mm_storeu_si128((__m128i *)(void *)out, digits);
#else
    static const char hx[] = "0123456789ABCDEF";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hx[id[i] >> 4];
        out[2 * i + 1] = hx[id[i] & 15];
    }
#endif
    out[16] = '\0';
}

static void ac_decode(void *sv, const uint32_t *opts, const uint8_t *b, size_t n,
                      const cs_ctx *ctx, cs_out *o)
{
    ac_sess *s = sv;
    cs_out_reset(o);
    ac_hdr h;
    memset(&h, 0, sizeof h);
    h.cmd_item = -1;
    h.hb_value = -1;
    if (n == 0 || b[0] != AICLOUD_HEAD) {
        if (n)
            cs_viol_add(o, AV_HEAD_MISSING, -1, 0, 1, "The frame starts with 0x%02X, not 0x55",
                        b[0]);
        else
            cs_viol_add(o, AV_TRUNCATED, -1, 0, 0, "An empty frame");
        INFO(o, "[not an AI-Cloud frame]");
        cs_mark_stateless(o);
        return;
    }

    /* Unescape into the second view. */
    uint8_t *d = cs_derived_alloc(o, n, "Unescaped frame");
    if (!d) {
        INFO(o, "[out of memory]");
        cs_mark_stateless(o);
        return;
    }
    ac_frame_info fi;
    unescape_frame(b, n, opts[AO_DIALECT], d, &fi);
    o->derived_len = fi.u;
    uint32_t u = fi.u;

    int it = gen_item(o, AF_DIALECT, (uint64_t)fi.dialect);
    it = gen_item(o, AF_WIRE_LEN, n);
    for (uint32_t i = 0; i < fi.n_bad && i < AC_MAX_BAD; i++) {
        uint32_t off = fi.bad_off[i];
        if (fi.bad_kind[i])
            cs_viol_add(o, AV_ESCAPE_BAD, -1, off, 1,
                        "Unescaped 0x%02X at byte %u inside the frame (%s)", fi.bad_kind[i], off,
                        fi.bad_kind[i] == 0x55 ? "should be 54 01" : "should be A9 01");
        else if (off + 1 < n)
            cs_viol_add(o, AV_ESCAPE_BAD, -1, off, 2,
                        "Bad escape %02X %02X at byte %u (kept as 0x%02X)", b[off], b[off + 1],
                        off, b[off]);
        else
            cs_viol_add(o, AV_ESCAPE_BAD, -1, off, 1, "Escape byte 0x%02X at the end (kept)",
                        b[off]);
    }
    if (fi.n_bad > AC_MAX_BAD)
        cs_viol_add(o, AV_ESCAPE_BAD, -1, 0, (uint32_t)n, "%u more escape faults in this frame",
                    fi.n_bad - AC_MAX_BAD);

    uint32_t cend = fi.tail ? u - 1 : u; /* the end of head .. CRC */
    if (cend < AC_HDR) {
        dadd(o, AF_HEAD, 0, 1, d[0]);
        /* not even a header: show what there is */
        if (cend >= 3)
            dadd(o, AF_LEN, 1, 2, cs_le16(d + 1));
        if (cend >= 4)
            dadd(o, AF_CLASS, 3, 1, d[3]);
        if (cend >= 5)
            dadd(o, AF_CMD, 4, 1, d[4]);
        DVIOL(o, AV_TRUNCATED, -1, 0, u, "Only %u unescaped byte%s; the header alone is %u", u,
              u == 1 ? "" : "s", AC_HDR);
        if (!fi.tail)
            cs_viol_add(o, AV_TAIL_MISSING, -1, (uint32_t)n - 1, 1, "No tail");
        else
            dadd(o, AF_TAIL, u - 1, 1, d[u - 1]);
        INFO(o, "[truncated frame]");
        cs_mark_stateless(o);
        return;
    }

    h.len = cs_le16(d + 1);
    h.cls = d[3];
    h.cmd = d[4];
    h.seq = cs_le16(d + 5);
    h.status = d[9];
    h.request = h.status == 0x02;
    uint16_t code = (uint16_t)(h.cls << 8 | h.cmd);
    h.def = find_cmd(code);
    o->cmd = code;
    o->cmd_name = h.def ? h.def->name : NULL;
    if (!h.request) {
        o->result = h.status;
        o->result_name = h.status <= 3 ? status_vals[h.status].name : "Unknown"; /* (in order) */
    }

    /* Where the CRC is: before the tail; without a tail, only when the
     * length says that the tail alone is missing. */
    bool crc_present = cend >= AC_HDR + 2 && (fi.tail || h.len == u + 1);
    uint32_t crc_off = crc_present ? cend - 2 : cend;

    decide_dir(&h, s, ctx);
    o->dir = (uint8_t)h.dir;
    o->dir_source = (uint8_t)h.dir_src;
    it = gen_item(o, AF_DIRECTION, h.dir);
    if (it >= 0)
        cs_item_text(o, it, "%s (%s)", cs_vs_name(cs_dir_vals, h.dir, "Unknown"),
                     cs_vs_name(cs_dir_source_vals, h.dir_src, "?"));
    gen_item(o, AF_COMMAND, code);

    /* Header. */
    dadd(o, AF_HEAD, 0, 1, d[0]);
    int len_it = dadd(o, AF_LEN, 1, 2, h.len);
    if (!fi.tail) {
        cs_viol_add(o, AV_TAIL_MISSING, len_it, (uint32_t)n - 1, 1,
                    "No tail: the length announces %u bytes, %u are present", h.len, u);
    } else if (h.len == u) {
        /* the documented meaning */
    } else if (h.len == n) {
        DVIOL(o, AV_LEN_ESCAPED, len_it, 1, 2,
              "Length %u is the on-wire size; the unescaped frame has %u bytes", h.len, u);
    } else {
        DVIOL(o, AV_LEN_MISMATCH, len_it, 1, 2,
              "Length %u, but the frame has %u bytes unescaped (%zu on the wire)", h.len, u, n);
    }
    if (fi.tail && !crc_present)
        DVIOL(o, AV_TRUNCATED, len_it, 0, u, "A %u-byte frame: no room for the CRC after the header",
              u);
    if (u > AICLOUD_MAX_FRAME)
        DVIOL(o, AV_OVERSIZE, len_it, 0, u, "A %u-byte frame; the maximum is %u", u,
              AICLOUD_MAX_FRAME);
    int cls_it = dadd(o, AF_CLASS, 3, 1, h.cls);
    h.cmd_item = dadd(o, AF_CMD, 4, 1, h.cmd);
    if (h.def && h.cmd_item >= 0)
        cs_item_text(o, h.cmd_item, "%s (0x%02X)", h.def->name, h.cmd);
    if (!class_known(h.cls))
        DVIOL(o, AV_CLASS_UNKNOWN, cls_it, 3, 1, "Unknown class 0x%02X", h.cls);
    else if (!h.def)
        DVIOL(o, AV_CMD_UNKNOWN, h.cmd_item, 4, 1, "Unknown command 0x%02X in class 0x%02X (%s)",
              h.cmd, h.cls, cs_vs_name(class_vals, h.cls, "?"));
    dadd(o, AF_SEQ, 5, 2, h.seq);
    dadd(o, AF_EXT, 7, 2, cs_le16(d + 7));
    int st_it = dadd(o, AF_STATUS, 9, 1, h.status);
    if (h.status > 3)
        DVIOL(o, AV_STATUS_UNKNOWN, st_it, 9, 1, "Status 0x%02X is not 0x00-0x03", h.status);
    char dev[17];
    device_hex(dev, d + 10);
    dstr(o, AF_DEVICE_ID, 10, 8, dev, 16);
    cs_fact_text(o, CS_FACT_DEVICE_ID, dev, 16);

    /* Token. */
    if (fi.dialect == AICLOUD_DIALECT_FIELD) {
        if (crc_off >= AC_HDR + 8) {
            dadd(o, AF_TOKEN, AC_HDR, 8, 0);
            h.data = AC_HDR + 8;
            h.token_off = AC_HDR;
            h.token_len = 8;
        } else {
            DVIOL(o, AV_TOKEN_MISSING, h.cmd_item, AC_HDR, crc_off - AC_HDR,
                  "No room for the field dialect's 8-byte token (%u bytes)", crc_off - AC_HDR);
            h.data = crc_off;
        }
    } else {
        h.data = doc_token(o, d, &h, crc_off);
    }
    h.end = crc_off;
    /* A reply without data; a login reply's token may be in the header. */
    h.generic = !h.request && h.data == h.end &&
                !(h.def && (h.def->kind == K_LOGIN || h.def->kind == K_PC_LOGIN) && h.token_len);

    /* Data. */
    acur c = {.o = o, .d = d, .pos = h.data, .start = h.data, .end = h.end,
              .text = (o->want & (CS_WANT_ITEMS | CS_WANT_INFO)) != 0,
              .name = h.def ? h.def->name : "Command", .kind = h.request ? "request" : "reply"};
    if (h.generic)
        gen_item(o, AF_GENERIC_REPLY, 1);
    if (h.data < h.end) { /* the data's fields below it */
        dadd(o, AF_DATA, h.data, h.end - h.data, 0);
        cs_push(o);
        data_decode(&c, &h, fi.dialect, dev);
        cs_pop(o);
    } else {
        data_decode(&c, &h, fi.dialect, dev);
    }

    /* CRC. */
    if (crc_present)
        crc_check(o, &h, d, crc_off, opts[AO_CRC], s);
    else
        cs_item_flag(o, cs_item_cksum(o, AF_CRC, crc_off, 0, 0, 0, CS_CK_ABSENT, true),
                     CS_IF_DERIVED);
    if (fi.tail)
        dadd(o, AF_TAIL, u - 1, 1, d[u - 1]);
    else
        INFO(o, " [no tail]");
    if (!o->info_len)
        INFO(o, "%s (%s)", c.name, c.kind);
    if (c.short_)
        INFO(o, " [short]");
    cs_mark_stateless(o);

    if (s)
        session_rules(s, &h, d, code, &c, ctx, o);
}

const cs_proto aicloud_proto = {
    .name = "aicloud",
    .short_name = "AI-Cloud",
    .long_name = "Ai-Thinker AI-Cloud protocol (ESP8266)",
    .fields = fields,
    .n_fields = AF__COUNT,
    .violations = violations,
    .n_violations = AV__COUNT,
    .options = options,
    .n_options = AO__COUNT,
    .transports = CS_TR_TCP | CS_TR_UDP,
    .tcp_ports = "",
    .udp_ports = "",
    .f_garbage = AF_GARBAGE,
    .f_request_in = AF_REQUEST_IN,
    .f_response_in = AF_RESPONSE_IN,
    .f_response_time = AF_RESPONSE_TIME,
    .v_garbage = AV_GARBAGE,
    .v_unanswered = AV_UNANSWERED,
    .v_truncated = AV_TRUNCATED,
    .frame_min = 1,
    .frame = ac_frame,
    .probe = ac_probe,
    .sess_size = sizeof(ac_sess),
    .sess_init = ac_sess_init,
    .sess_fini = ac_sess_fini,
    .decode = ac_decode,
    .sess_end = ac_sess_end,
};
