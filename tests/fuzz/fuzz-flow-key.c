/* fuzz-flow-key.c — libFuzzer target for flow_key_parse().
 *
 * ASan catches any read past the input (libFuzzer hands over a buffer of exactly `size`
 * bytes); the checks below catch what ASan cannot: a parse that is not a pure function of
 * the bytes, a layout that points outside the frame, or a key that contradicts itself.
 *
 * The parser is compiled into this target (the #include below) rather than taken from the
 * datapath library, so that it carries libFuzzer's coverage instrumentation whatever flags
 * the library was built with; without it the fuzzer would mutate blind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/flow-key.c"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz-flow-key: invariant failed: %s (line %d)\n", #cond, __LINE__);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static uint16_t be16_host(uint16_t be)
{
    return (uint16_t)(((const uint8_t *)&be)[0] << 8 | ((const uint8_t *)&be)[1]);
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct flow_key k1, k2;
    struct flow_layout l1, l2;
    uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;

    memset(&k1, 0x00, sizeof k1);
    memset(&k2, 0xff, sizeof k2);
    memset(&l1, 0x00, sizeof l1);
    memset(&l2, 0xff, sizeof l2);
    int rc = flow_key_parse(data, len, 42, &k1, &l1);
    int rc2 = flow_key_parse(data, len, 42, &k2, &l2);

    /* Deterministic, and every byte of the key written (the two started different). */
    CHECK(rc == rc2);
    CHECK(!memcmp(&k1, &k2, sizeof k1));
    CHECK(!memcmp(&l1, &l2, sizeof l1));
    CHECK(rc == k1.flags);
    CHECK((rc & ~(FLOW_F_TRUNCATED | FLOW_F_MALFORMED | FLOW_F_VLAN_EXTRA)) == 0);
    /* One reason per parse: parsing stops at the first problem. */
    CHECK((rc & (rc - 1)) == 0);

    /* Metadata is never taken from the packet. */
    CHECK(k1.in_port == 42 && k1.recirc_id == 0 && k1.metadata == 0 && k1.tun_id == 0 &&
          k1.tun_src == 0 && k1.tun_dst == 0);
    CHECK(k1.pad0 == 0 && all_zero(k1.pad1, sizeof k1.pad1));

    /* Layout: present layers inside the frame and in order. */
    uint32_t plen = len > 0xfffe ? 0xfffe : len;
    CHECK(l1.l2 == 0);
    uint16_t last = 0;
    const uint16_t ofs[] = {l1.l2_5, l1.l3, l1.l4};
    for (size_t i = 0; i < 3; i++) {
        if (ofs[i] == FLOW_LAYOUT_NONE)
            continue;
        CHECK(ofs[i] < plen);
        CHECK(ofs[i] >= last);
        last = ofs[i];
    }
    if (l1.l7 != FLOW_LAYOUT_NONE) {
        CHECK(l1.l4 != FLOW_LAYOUT_NONE);
        CHECK(l1.l7 > l1.l4 && l1.l7 <= plen);
    }
    if (l1.l4 != FLOW_LAYOUT_NONE)
        CHECK(l1.l3 != FLOW_LAYOUT_NONE);

    if (len < 14) {
        struct flow_key empty = {.in_port = 42, .flags = FLOW_F_TRUNCATED};
        CHECK(!memcmp(&k1, &empty, sizeof k1));
        return 0;
    }

    /* Ethernet is copied as is. */
    CHECK(!memcmp(k1.eth_dst, data, 6) && !memcmp(k1.eth_src, data + 6, 6));

    /* VLAN: PRESENT set exactly when a tag was parsed; the inner only after the outer. */
    uint16_t tci = be16_host(k1.vlan_tci), inner = be16_host(k1.vlan_inner_tci);
    CHECK(k1.vlan_tci == 0 || (tci & FLOW_VLAN_PRESENT));
    CHECK(k1.vlan_inner_tci == 0 || (inner & FLOW_VLAN_PRESENT));
    CHECK((k1.vlan_tci != 0) == (k1.vlan_tpid != 0));
    CHECK((k1.vlan_tci != 0) == (l1.l2_5 != FLOW_LAYOUT_NONE));
    CHECK(k1.vlan_inner_tci == 0 || k1.vlan_tci != 0);
    if (k1.vlan_tci)
        CHECK(l1.l2_5 == 14);
    if (rc == FLOW_F_VLAN_EXTRA)
        CHECK(k1.vlan_inner_tci != 0);

    uint16_t et = be16_host(k1.eth_type);
    CHECK(et >= 0x0600 || et == FLOW_ETH_TYPE_NONE);
    bool l3_valid = l1.l3 != FLOW_LAYOUT_NONE;
    bool ip4 = et == 0x0800, ip6 = et == 0x86dd, arp = et == 0x0806 || et == 0x8035;
    CHECK(!l3_valid || ip4 || ip6 || arp);

    /* Fields of a layer that did not parse are zero, and foreign fields are never set. */
    if (!l3_valid)
        CHECK(all_zero((const uint8_t *)&k1 + offsetof(struct flow_key, nw_src),
                       offsetof(struct flow_key, flags) - offsetof(struct flow_key, nw_src)));
    if (!ip6)
        CHECK(all_zero(k1.ipv6_src, 16) && all_zero(k1.ipv6_dst, 16) && k1.ipv6_label == 0 &&
              all_zero(k1.nd_target, 16));
    if (!arp && !(ip6 && k1.nw_proto == 58))
        CHECK(all_zero(k1.arp_sha, 6) && all_zero(k1.arp_tha, 6));
    if (arp)
        CHECK(k1.nw_tos == 0 && k1.nw_ttl == 0 && k1.nw_frag == 0 && k1.tp_src == 0 &&
              k1.tp_dst == 0 && k1.tcp_flags == 0 && l1.l4 == FLOW_LAYOUT_NONE);
    if (!ip4 && !arp)
        CHECK(k1.nw_src == 0 && k1.nw_dst == 0);
    CHECK((k1.ipv6_label & ~to_be32(0xfffff)) == 0);
    CHECK((k1.nw_frag & ~(FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER)) == 0);
    CHECK(!(k1.nw_frag & FLOW_NW_FRAG_LATER) || (k1.nw_frag & FLOW_NW_FRAG_ANY));
    if (k1.nw_frag & FLOW_NW_FRAG_LATER)
        CHECK(l1.l4 == FLOW_LAYOUT_NONE && k1.tp_src == 0 && k1.tp_dst == 0);
    if (l1.l4 == FLOW_LAYOUT_NONE || l1.l7 == FLOW_LAYOUT_NONE)
        CHECK(k1.tp_src == 0 && k1.tp_dst == 0 && k1.tcp_flags == 0);
    if (k1.nw_proto != 6 || arp)
        CHECK(k1.tcp_flags == 0);
    CHECK((be16_host(k1.tcp_flags) & ~0x0fff) == 0);
    if ((ip4 && k1.nw_proto == 1) || (ip6 && k1.nw_proto == 58))
        CHECK(be16_host(k1.tp_src) <= 0xff && be16_host(k1.tp_dst) <= 0xff);
    if (!all_zero(k1.nd_target, 16))
        CHECK(ip6 && k1.nw_proto == 58 && (k1.tp_src == to_be16(135) || k1.tp_src == to_be16(136)));
    if (ip6 && k1.nw_proto == 58) {
        if (!all_zero(k1.arp_sha, 6))
            CHECK(k1.tp_src == to_be16(135));
        if (!all_zero(k1.arp_tha, 6))
            CHECK(k1.tp_src == to_be16(136));
    }

    /* The fields the key claims for IPv4 are the bytes at layout->l3. */
    if (ip4 && l3_valid) {
        const uint8_t *ip = data + l1.l3;
        CHECK(!memcmp(&k1.nw_src, ip + 12, 4) && !memcmp(&k1.nw_dst, ip + 16, 4));
        CHECK(k1.nw_proto == ip[9] && k1.nw_ttl == ip[8]);
    }
    if (l1.l7 != FLOW_LAYOUT_NONE && (k1.nw_proto == 6 || k1.nw_proto == 17 || k1.nw_proto == 132))
        CHECK(!memcmp(&k1.tp_src, data + l1.l4, 2) && !memcmp(&k1.tp_dst, data + l1.l4 + 2, 2));

    /* The hash is a function of the key. */
    CHECK(flow_key_hash(&k1, 7) == flow_key_hash(&k2, 7));

    /* Parsing any prefix never reads more than the prefix (ASan) and is as deterministic. */
    if (size > 1) {
        size_t cut = size / 2;
        uint8_t *copy = malloc(cut);
        if (copy) {
            memcpy(copy, data, cut);
            int rc3 = flow_key_parse(copy, (uint32_t)cut, 42, &k2, &l2);
            CHECK(rc3 == k2.flags);
            free(copy);
        }
    }
    return 0;
}
