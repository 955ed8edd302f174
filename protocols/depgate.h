/*
 * depgate.h - indices into the dEpGate "EC" tables (protocols/depgate.c),
 * for code and tests that name a field, violation or option directly.
 */
#ifndef CS_DEPGATE_H
#define CS_DEPGATE_H

#include "chargeproto.h"

extern const cs_proto depgate_proto;

/* Command codes (protocol-facts 6.2). */
#define DEPGATE_CMD_HEARTBEAT 101
#define DEPGATE_CMD_REALTIME 1001
#define DEPGATE_CMD_CONSUMPTION 1005

enum depgate_field {
    DF_MAGIC, DF_LEN, DF_CMD, DF_DIRECTION, DF_BODY, DF_TRAILING, DF_GARBAGE, DF_LAYOUT,
    DF_ORG, DF_PILE_LEN, DF_PILE, DF_PILE_PAD, DF_GUN, DF_PILE_TYPE, DF_POINT_COUNT,
    DF_POINT, DF_POINT_ADDR, DF_POINT_TYPE, DF_POINT_VALUE, DF_POINT_NAME,
    DF_POINTS_REST,
    DF_SERIAL_LEN, DF_SERIAL, DF_SERIAL_PAD, DF_START, DF_END, DF_DURATION,
    DF_ENERGY, DF_ENERGY_KWH, DF_AMOUNT, DF_AMOUNT_YUAN, DF_FEE, DF_FEE_YUAN,
    DF_GW_GAP, DF_RT_GAP,
    DF__COUNT
};

enum depgate_violation {
    DV_LEN_INVALID, DV_LEN_TRUNCATED, DV_BODY_SHORT, DV_BODY_TRAILING, DV_STRING_LEN,
    DV_POINT_COUNT, DV_POINT_TYPE, DV_CMD_UNKNOWN, DV_HB_BODY, DV_LAYOUT_FIXED,
    DV_SERVER_HB, DV_SERVER_UNEXPECTED, DV_TIME_ORDER, DV_ZERO_ENERGY,
    DV_HB_LATE, DV_RT_LATE, DV_LINK_SILENCE, DV_GARBAGE,
    DV__COUNT
};

enum depgate_option {
    DO_HB_INTERVAL, DO_RT_INTERVAL, DO_LINK_TIMEOUT, DO_TOLERANCE,
    DO__COUNT
};

#endif
