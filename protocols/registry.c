/* registry.c - every protocol of the library, in a fixed order. */
#include "chargeproto.h"
#include "woshi.h"
#include "depgate.h"

const cs_proto *const cs_protocols[] = {
    &woshi_proto,
    &depgate_proto,
    NULL,
};
