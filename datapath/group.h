/* group.h — OpenFlow groups as the datapath runs them.
 *
 * A group is an id, a type and buckets of actions. The PMD, on a DP_ACT_GROUP action, finds
 * the group in its bridge's published group table (datapath/id-table.h) and:
 *   ALL:           runs every bucket on its own copy of the packet;
 *   SELECT:        runs one live bucket, chosen by a hash of the flow's addresses and ports
 *                  weighted by bucket weight (so one flow always takes one path);
 *   INDIRECT:      runs its single bucket;
 *   FAST_FAILOVER: runs the first live bucket.
 * A bucket is live when its watch_port (if any) has link up and its watch_group (if any) has a
 * live bucket. Groups are immutable once published: a group-mod publishes a new object and
 * carries the counters over.
 */
#ifndef SLUICE_DATAPATH_GROUP_H
#define SLUICE_DATAPATH_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "datapath/actions.h"

enum dp_group_type {
    DP_GROUP_ALL = 0,
    DP_GROUP_SELECT = 1,
    DP_GROUP_INDIRECT = 2,
    DP_GROUP_FF = 3,
};

#define DP_GROUP_MAX_BUCKETS 64
#define DP_GROUP_ANY 0xffffffffu /* "no group" in watch_group */

struct dp_bucket {
    uint16_t weight;
    uint32_t watch_port;  /* DP_OFPORT_ANY: none */
    uint32_t watch_group; /* DP_GROUP_ANY: none */
    uint64_t n_packets;   /* relaxed atomics */
    uint64_t n_bytes;
    uint32_t n_actions;
    struct dp_action actions[DP_MAX_ACTIONS];
};

struct dp_group {
    uint32_t id; /* first: id-table key */
    uint8_t type;
    uint32_t n_buckets;
    uint64_t n_packets; /* relaxed atomics */
    uint64_t n_bytes;
    uint64_t created_ns;
    struct dp_bucket buckets[];
};

/* Allocates a group with n_buckets zeroed buckets (NULL when n_buckets is too large). */
struct dp_group *dp_group_alloc(uint32_t id, uint8_t type, uint32_t n_buckets);
void dp_group_free(void *g);

#endif
