/*
 * chargegen - writes chargeshark's sample captures.
 *
 *   chargegen list
 *   chargegen SCENARIO OUT.pcap [--seed N] [WRITER OPTIONS]
 *   chargegen all DIR [WRITER OPTIONS]   every committed sample into DIR
 * Writer options (gen.h): --link, --format, --swap, --ipv6, --ipv6-ext,
 * --gzip, --fragment N, --fragment-reverse.
 */
#include "gen.h"

#include <stdlib.h>
#include <string.h>

static const gen_scenario scenarios[] = {
    {"woshi-session", "a Woshi cabinet session using every 4.6P command", gen_woshi_session},
    {"woshi-faults", "every Woshi fault the dissector reports", gen_woshi_faults},
    {"noise", "ordinary TCP traffic no dissector may claim", gen_noise},
    {"evpile-session", "an EV pile session: login, sync, parameters, rates, card, real-time data, bill",
     gen_evpile_session},
    {"evpile-faults", "every EV pile fault the dissector reports", gen_evpile_faults},
    {"depgate-session", "a dEpGate gateway: heartbeats, real-time data, consumption records",
     gen_depgate_session},
    {"depgate-faults", "every dEpGate fault the dissector reports", gen_depgate_faults},
    {"ruioo-session", "two Ruioo cabinets through every flow, two CRC-16 combinations",
     gen_ruioo_session},
    {"ruioo-faults", "every Ruioo fault and tolerated variant the dissector reports",
     gen_ruioo_faults},
    {"aicloud-session", "an AI-Cloud device over TCP: login, configuration, heartbeats, data",
     gen_aicloud_session},
    {"aicloud-p2p", "two AI-Cloud devices talking directly over UDP", gen_aicloud_p2p},
    {"aicloud-field", "AI-Cloud in the field dialect (tail 0xAA, fixed token)", gen_aicloud_field},
    {"aicloud-faults", "every AI-Cloud fault the dissector reports", gen_aicloud_faults},
    {"tcp-edges", "chargecap: TCP edge cases, one per connection", gen_tcp_edges},
    {"garbage-runs", "chargecap: short garbage runs between PDUs", gen_garbage_runs},
    {"hostile-ids", "chargecap: device IDs that are paths and escapes", gen_hostile_ids},
    {"many-sessions", "chargecap: 300 concurrent cabinets, some falling silent", gen_many_sessions},
};
#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

/* The samples committed in samples/, with their fixed seeds. */
static const struct {
    const char *scenario;
    uint64_t seed;
} committed[] = {
    {"woshi-session", 1},
    {"woshi-faults", 1},
    {"evpile-session", 1},
    {"evpile-faults", 1},
    {"depgate-session", 1},
    {"depgate-faults", 1},
    {"ruioo-session", 1},
    {"ruioo-faults", 1},
    {"aicloud-session", 1},
    {"aicloud-p2p", 1},
    {"aicloud-field", 1},
    {"aicloud-faults", 1},
};

static const gen_scenario *find(const char *name)
{
    for (size_t i = 0; i < N_SCENARIOS; i++)
        if (!strcmp(scenarios[i].name, name))
            return &scenarios[i];
    return NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: chargegen list | chargegen SCENARIO OUT.pcap [--seed N] [options] | "
                    "chargegen all DIR [options]\n"
                    "options: --link eth|vlan|qinq|sll|sll2|raw|null|loop|mixed, --format "
                    "pcap|pcap-ns|pcapng|pcapng-us, --swap, --ipv6, --ipv6-ext, --gzip, --fragment N, "
                    "--fragment-reverse\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "list")) {
        for (size_t i = 0; i < N_SCENARIOS; i++)
            printf("%-16s %s\n", scenarios[i].name, scenarios[i].desc);
        return 0;
    }
    /* writer options and --seed, after the positional arguments */
    uint64_t seed = 1;
    int npos = 0;
    for (int i = 2; i < argc;) {
        int used = 1;
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[i + 1], NULL, 0);
            used = 2;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            if (gen_writer_option(argv[i], i + 1 < argc ? argv[i + 1] : NULL, &used))
                return usage();
        } else if (i == 2 + npos) {
            npos++;
        } else {
            return usage();
        }
        i += used;
    }
    if (!strcmp(argv[1], "all")) {
        if (npos != 1)
            return usage();
        for (size_t i = 0; i < sizeof committed / sizeof committed[0]; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.pcap", argv[2], committed[i].scenario);
            if (find(committed[i].scenario)->fn(path, committed[i].seed)) {
                fprintf(stderr, "chargegen: writing %s failed\n", path);
                return 1;
            }
        }
        return 0;
    }
    const gen_scenario *s = find(argv[1]);
    if (!s) {
        fprintf(stderr, "chargegen: no scenario '%s' (chargegen list shows them)\n", argv[1]);
        return 2;
    }
    if (npos != 1)
        return usage();
    if (s->fn(argv[2], seed)) {
        fprintf(stderr, "chargegen: writing %s failed\n", argv[2]);
        return 1;
    }
    return 0;
}
