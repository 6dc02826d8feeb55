/* mac-learning.h — a bridge's MAC learning table, the memory of the NORMAL action.
 *
 * What?
 *   A map (VLAN id, Ethernet address) -> OpenFlow port, one per bridge, as a legacy learning
 *   switch keeps it: every packet that reaches NORMAL teaches the table where its source
 *   address lives (mac_table_learn()), and NORMAL forwards to where the destination was last
 *   seen (mac_normal_decide()), flooding when it was never seen or is broadcast/multicast.
 *   VLANs are separate address spaces: the same address may live on different ports in
 *   different VLANs. Untagged packets are VLAN 0.
 *
 * Layout.
 *   A fixed number of slots (a power of two, at least MAC_TABLE_WAYS), grouped in buckets of
 *   MAC_TABLE_WAYS consecutive slots; an address lives in the bucket its hash picks, in any
 *   slot of it (the "probe window"). The keys of one bucket fill one 64-byte cache line, so a
 *   lookup is one hash and one line of compares. Each slot is three words in three arrays:
 *     key  (64 bits)  bit 63 set (so 0 means empty), VLAN in bits 48..59, address below;
 *     val  (64 bits)  the port in the high half, a 32-bit fingerprint of the key in the low;
 *     seen (32 bits)  seconds since the table was created when the address was last seen.
 *   When a bucket is full a new address replaces the slot seen longest ago (evicted); so the
 *   table never grows and never allocates after creation, and a bucket that many addresses
 *   hash to keeps the active ones. Hashing is uneven, so some buckets fill before the table
 *   does: the capacity is an upper bound, not a promise.
 *
 * Concurrency (why there are no locks).
 *   Every PMD learns and looks up at once, and the control thread ages, flushes and dumps;
 *   nobody locks anything. Each word is read and written with single atomic loads and
 *   stores, and a slot is written val, seen, then key (release); a reader loads key
 *   (acquire), then val. A slot's three words are not updated together, so a reader could
 *   pair a key with a val written for another key (two writers racing for one slot, or a
 *   slot reused between the reader's two loads); the fingerprint in val catches that: a val
 *   is believed only with the fingerprint of the key it was read with, otherwise the lookup
 *   misses (and NORMAL floods, which is always correct). Racing writers: the last one wins;
 *   a slot left with a key and a val of different writers is simply a miss until the next
 *   packet from that address relearns it. A wrong port needs a 32-bit fingerprint collision
 *   between two racing keys. `seen` is advisory: a stale value only ages an entry early
 *   (relearned on the next packet) or late.
 *   Two PMDs inserting the same new address at once may take two slots; the inserter checks
 *   the bucket again afterwards and clears the later duplicate, so lookups (first match) and
 *   moves (first match) agree on one slot.
 *   A moved address (a packet from a known address on another port) overwrites val in place.
 *   Broadcast and multicast source addresses are never learned.
 *
 * Cost: a refresh of a known address writes nothing except `seen`, at most once a second.
 *
 * Threads: create/destroy/age/flush/dump/set_aging on the control thread; learn, lookup and
 * decide on any thread, concurrently with everything except destroy (the bridge frees the
 * table only once no PMD can reach it). No function here allocates except create, and none
 * makes a system call.
 */
#ifndef SLUICE_DATAPATH_MAC_LEARNING_H
#define SLUICE_DATAPATH_MAC_LEARNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    MAC_TABLE_WAYS = 8,             /* slots per bucket: one cache line of keys */
    MAC_TABLE_DEFAULT_SIZE = 8192,  /* slots per bridge (OVS: 2048 by default, settable) */
    MAC_AGING_DEFAULT_S = 300,      /* as Open vSwitch's mac-aging-time */
    MAC_AGING_MIN_S = 1,
    MAC_AGING_MAX_S = 1000000,
    MAC_VLAN_MAX = 4095,
};

struct mac_table;

/* What mac_table_learn() did. */
enum mac_learn_result {
    MAC_LEARN_IGNORED,   /* multicast/broadcast source, or a bad VLAN: nothing learned */
    MAC_LEARN_REFRESHED, /* known on that port: its age restarts */
    MAC_LEARN_NEW,       /* new address, in a free slot */
    MAC_LEARN_EVICTED,   /* new address; the bucket was full, its oldest entry was replaced */
    MAC_LEARN_MOVED,     /* known on another port: now on this one */
};

/* NORMAL's forwarding decision for one packet. */
enum mac_normal_verdict {
    MAC_NORMAL_FORWARD, /* unicast to a learned port (*out_port) */
    MAC_NORMAL_FLOOD,   /* unknown, broadcast or multicast destination: every port but in_port */
    MAC_NORMAL_DROP,    /* learned on the ingress port itself: it already got there */
};

struct mac_entry {
    uint8_t mac[6];
    uint16_t vlan;
    uint32_t ofport;
    uint32_t age_s;
};

struct mac_table_stats {
    uint32_t capacity;   /* slots */
    uint32_t n_entries;  /* slots in use now */
    uint32_t aging_s;
    uint64_t learned;    /* new addresses (including evictions) */
    uint64_t moved;
    uint64_t evicted;    /* replaced because their bucket was full */
    uint64_t aged;       /* removed by mac_table_age() */
};

/* Creates a table of `capacity` slots (rounded up to a power of two, at least
 * MAC_TABLE_WAYS, at most 1 << 24), aging `aging_s` seconds, its clock starting at `now_ns`
 * (dp_now_ns()). Returns NULL when out of memory. */
struct mac_table *mac_table_create(uint32_t capacity, uint32_t aging_s, uint64_t now_ns);
void mac_table_destroy(struct mac_table *t);

/* Learns that `mac` in `vlan` (0..4095) was just seen on `ofport` (any thread). `now_ns` may
 * be the coarse clock. */
enum mac_learn_result mac_table_learn(struct mac_table *t, const uint8_t mac[6], uint16_t vlan,
                                      uint32_t ofport, uint64_t now_ns);
/* The port `mac` in `vlan` was learned on (any thread). Entries past their age but not yet
 * swept by mac_table_age() still answer, as in a legacy switch between sweeps. */
bool mac_table_lookup(const struct mac_table *t, const uint8_t mac[6], uint16_t vlan,
                      uint32_t *ofport);

/* NORMAL's decision for a packet to `dst` in `vlan` that came in on `in_ofport` (a reserved
 * port such as CONTROLLER when it came from the controller). Pure: learning is separate. */
enum mac_normal_verdict mac_normal_decide(const struct mac_table *t, const uint8_t dst[6],
                                          uint16_t vlan, uint32_t in_ofport,
                                          uint32_t *out_port);

static inline bool mac_is_multicast(const uint8_t mac[6])
{
    return mac[0] & 1; /* the group bit: broadcast is a multicast address too */
}

/* Control thread. */
/* Removes the entries not seen for longer than the aging time; returns how many. */
unsigned mac_table_age(struct mac_table *t, uint64_t now_ns);
/* Removes every entry (ofport 0: all ports) or those on `ofport`; returns how many. */
unsigned mac_table_flush(struct mac_table *t, uint32_t ofport);
/* Sets the aging time; returns -EINVAL (with nothing changed) outside
 * MAC_AGING_MIN_S..MAC_AGING_MAX_S. */
int mac_table_set_aging(struct mac_table *t, uint32_t aging_s);
/* Copies up to `max` entries into `out` (in slot order); returns how many there are in all. */
unsigned mac_table_dump(const struct mac_table *t, uint64_t now_ns, struct mac_entry *out,
                        unsigned max);
void mac_table_get_stats(const struct mac_table *t, struct mac_table_stats *out);

#endif
