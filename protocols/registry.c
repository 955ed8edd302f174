/* registry.c - every protocol of the library, in a fixed order. */
#include "chargeproto.h"
#include "aicloud.h"
#include "depgate.h"
#include "evpile.h"
#include "ruioo.h"
#include "woshi.h"

const cs_proto *const cs_protocols[] = {
    &woshi_proto,
    &evpile_proto,
    &depgate_proto,
    &ruioo_proto,
    &aicloud_proto,
    NULL,
};
