/* registry.c - every protocol of the library, in a fixed order. */
#include "chargeproto.h"
#include "woshi.h"
#include "aicloud.h"

const cs_proto *const cs_protocols[] = {
    &woshi_proto,
    &aicloud_proto,
    NULL,
};
