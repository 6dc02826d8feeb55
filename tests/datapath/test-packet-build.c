/* test-packet-build.c — pkt_build() writes frames that flow_key_parse() reads back as the
 * same key, with correct lengths and checksums, for every kind of packet sluice parses; keys
 * no frame can carry are refused with the field's name.
 *
 * The checksums are verified here independently of the builder (one's complement sums over
 * header + pseudo-header must come out as 0xffff; SCTP's CRC32c against the RFC 3720 check
 * value), so a builder that writes a wrong checksum consistently still fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datapath/flow-key.h"
#include "datapath/packet-build.h"

static const uint8_t mac1[6] = {0, 0, 0, 0, 0, 1}, mac2[6] = {0, 0, 0, 0, 0, 2};

static struct flow_key base_key(uint16_t eth_type)
{
    struct flow_key k = {0};
    k.in_port = 7;
    memcpy(k.eth_src, mac1, 6);
    memcpy(k.eth_dst, mac2, 6);
    k.eth_type = htons(eth_type);
    return k;
}

static void ipv4(struct flow_key *k, const char *src, const char *dst, uint8_t proto)
{
    inet_pton(AF_INET, src, &k->nw_src);
    inet_pton(AF_INET, dst, &k->nw_dst);
    k->nw_proto = proto;
    k->nw_ttl = 64;
}

static void ipv6(struct flow_key *k, const char *src, const char *dst, uint8_t proto)
{
    inet_pton(AF_INET6, src, k->ipv6_src);
    inet_pton(AF_INET6, dst, k->ipv6_dst);
    k->nw_proto = proto;
    k->nw_ttl = 255;
}

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* Builds `k`, parses the frame back and checks that every byte of the key survived, that the
 * frame is at least 60 bytes, and that every length and checksum is right. */
static void check_roundtrip(const struct flow_key *k, const char *what)
{
    uint8_t buf[PKT_BUILD_MAX_LEN];
    size_t len = 0;
    char err[256] = "";
    int rc = pkt_build(k, buf, sizeof buf, &len, err, sizeof err);
    if (rc)
        fail_msg("%s: pkt_build failed: %s", what, err);
    assert_true(len >= PKT_BUILD_MIN_LEN && len <= PKT_BUILD_MAX_LEN);

    struct flow_key got;
    struct flow_layout lay;
    int flags = flow_key_parse(buf, (uint32_t)len, k->in_port, &got, &lay);
    if (flags)
        fail_msg("%s: the frame parses with flags 0x%x", what, flags);
    struct flow_key want = *k;
    want.flags = 0;
    if (memcmp(&want, &got, sizeof want)) {
        for (size_t i = 0; i < sizeof want; i++)
            if (((uint8_t *)&want)[i] != ((uint8_t *)&got)[i])
                fail_msg("%s: key byte %zu differs: built 0x%02x, parsed 0x%02x", what, i,
                         ((uint8_t *)&want)[i], ((uint8_t *)&got)[i]);
    }

    /* Lengths and checksums, layer by layer. */
    if (lay.l3 == FLOW_LAYOUT_NONE)
        return;
    const uint8_t *l3 = buf + lay.l3;
    uint16_t type = ntohs(k->eth_type);
    if (type == 0x0800) {
        size_t ihl = (size_t)(l3[0] & 15) * 4;
        size_t tot = (size_t)l3[2] << 8 | l3[3];
        assert_true(lay.l3 + tot <= len);
        if (fold(sum16(0, l3, ihl)) != 0xffff)
            fail_msg("%s: bad IPv4 header checksum", what);
        if (lay.l4 == FLOW_LAYOUT_NONE)
            return;
        const uint8_t *l4 = buf + lay.l4;
        size_t l4len = tot - ihl;
        if (k->nw_proto == 6 || k->nw_proto == 17) {
            uint32_t s = sum16(0, l3 + 12, 8) + k->nw_proto + (uint32_t)l4len;
            if (fold(sum16(s, l4, l4len)) != 0xffff)
                fail_msg("%s: bad TCP/UDP checksum", what);
            if (k->nw_proto == 17)
                assert_int_equal((size_t)l4[4] << 8 | l4[5], l4len);
        } else if (k->nw_proto == 1) {
            if (fold(sum16(0, l4, l4len)) != 0xffff)
                fail_msg("%s: bad ICMP checksum", what);
        } else if (k->nw_proto == 132) {
            uint8_t copy[64];
            memcpy(copy, l4, l4len);
            memset(copy + 8, 0, 4);
            uint32_t crc = pkt_crc32c(copy, l4len);
            uint32_t stored = (uint32_t)l4[8] | (uint32_t)l4[9] << 8 | (uint32_t)l4[10] << 16 |
                              (uint32_t)l4[11] << 24;
            assert_int_equal(crc, stored);
        }
    } else if (type == 0x86dd) {
        size_t plen = (size_t)l3[4] << 8 | l3[5];
        assert_true(lay.l3 + 40 + plen <= len);
        if (lay.l4 == FLOW_LAYOUT_NONE)
            return;
        const uint8_t *l4 = buf + lay.l4;
        size_t l4len = lay.l3 + 40 + plen - lay.l4;
        if (k->nw_proto == 6 || k->nw_proto == 17 || k->nw_proto == 58) {
            uint32_t s = sum16(0, l3 + 8, 32) + k->nw_proto + (uint32_t)l4len;
            if (fold(sum16(s, l4, l4len)) != 0xffff)
                fail_msg("%s: bad IPv6 upper-layer checksum", what);
        }
    }
}

static void test_crc32c(void **state)
{
    (void)state;
    /* The CRC32c check value (RFC 3720 B.4 / iSCSI): "123456789" -> 0xe3069283. */
    assert_int_equal(pkt_crc32c((const uint8_t *)"123456789", 9), 0xe3069283u);
    uint8_t zeros[32] = {0};
    assert_int_equal(pkt_crc32c(zeros, 32), 0x8a9136aau);
}

static void test_l2(void **state)
{
    (void)state;
    struct flow_key k = base_key(0x88cc); /* LLDP: no L3 the key knows */
    check_roundtrip(&k, "ethernet 0x88cc");
    k = base_key(FLOW_ETH_TYPE_NONE);
    check_roundtrip(&k, "802.3 length framing");
    k = base_key(0x0800);
    ipv4(&k, "10.0.0.1", "10.0.0.2", 6);
    k.vlan_tci = htons(FLOW_VLAN_PRESENT | 5 << FLOW_VLAN_PCP_SHIFT | 100);
    k.vlan_tpid = htons(0x8100);
    check_roundtrip(&k, "802.1Q vlan 100 pcp 5 tcp");
    k.vlan_tpid = htons(0x88a8);
    k.vlan_inner_tci = htons(FLOW_VLAN_PRESENT | 200);
    check_roundtrip(&k, "802.1ad QinQ 100/200");
    k = base_key(0x0806);
    k.vlan_tci = htons(FLOW_VLAN_PRESENT | 4095);
    k.vlan_tpid = htons(0x8100);
    k.nw_proto = 1;
    check_roundtrip(&k, "arp in vlan 4095");
}

static void test_arp(void **state)
{
    (void)state;
    for (int op = 0; op < 4; op++) {
        struct flow_key k = base_key(op == 3 ? 0x8035 : 0x0806);
        k.nw_proto = (uint8_t)(op + 1);
        inet_pton(AF_INET, "192.168.1.1", &k.nw_src);
        inet_pton(AF_INET, "192.168.1.254", &k.nw_dst);
        memcpy(k.arp_sha, mac1, 6);
        if (op == 1)
            memcpy(k.arp_tha, mac2, 6);
        check_roundtrip(&k, op == 3 ? "rarp" : "arp");
    }
}

static void test_ipv4(void **state)
{
    (void)state;
    static const uint8_t protos[] = {6, 17, 132, 1, 47, 0, 89, 255};
    for (size_t i = 0; i < sizeof protos; i++) {
        for (int frag = 0; frag < 3; frag++) {
            struct flow_key k = base_key(0x0800);
            ipv4(&k, "10.1.2.3", "172.16.0.200", protos[i]);
            k.nw_tos = (uint8_t)(i * 36); /* DSCP and ECN bits */
            k.nw_ttl = (uint8_t)(1 + i * 30);
            k.nw_frag = frag == 0   ? 0
                        : frag == 1 ? FLOW_NW_FRAG_ANY
                                    : FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER;
            bool l4 = frag != 2;
            if (l4 && (protos[i] == 6 || protos[i] == 17 || protos[i] == 132)) {
                k.tp_src = htons((uint16_t)(1000 + i));
                k.tp_dst = htons(80);
            } else if (l4 && protos[i] == 1) {
                k.tp_src = htons(8);
                k.tp_dst = htons(0);
            }
            if (l4 && protos[i] == 6)
                k.tcp_flags = htons(0x012); /* SYN|ACK */
            char what[64];
            snprintf(what, sizeof what, "ipv4 proto %u frag %d", protos[i], frag);
            check_roundtrip(&k, what);
        }
    }
    /* Extremes: all-ones ports, every TCP flag, ICMP type/code 255. */
    struct flow_key k = base_key(0x0800);
    ipv4(&k, "255.255.255.255", "0.0.0.0", 6);
    k.tp_src = k.tp_dst = 0xffff;
    k.tcp_flags = htons(0x0fff);
    check_roundtrip(&k, "tcp all flags");
    k.nw_proto = 1;
    k.tcp_flags = 0;
    k.tp_src = htons(255);
    k.tp_dst = htons(255);
    check_roundtrip(&k, "icmp 255/255");
    k.nw_proto = 17;
    k.tp_src = htons(53);
    k.tp_dst = htons(0);
    check_roundtrip(&k, "udp to port 0");
}

static void test_ipv6(void **state)
{
    (void)state;
    static const uint8_t protos[] = {6, 17, 132, 58, 47, 59};
    for (size_t i = 0; i < sizeof protos; i++) {
        for (int frag = 0; frag < 3; frag++) {
            struct flow_key k = base_key(0x86dd);
            ipv6(&k, "2001:db8::1", "fe80::1234:5678:9abc:def0", protos[i]);
            k.nw_tos = (uint8_t)(0xb8 + i);
            k.ipv6_label = htonl(0x12345 + (uint32_t)i);
            k.nw_frag = frag == 0   ? 0
                        : frag == 1 ? FLOW_NW_FRAG_ANY
                                    : FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER;
            bool l4 = frag != 2;
            if (l4 && (protos[i] == 6 || protos[i] == 17 || protos[i] == 132)) {
                k.tp_src = htons(40000);
                k.tp_dst = htons((uint16_t)(443 + i));
            } else if (l4 && protos[i] == 58) {
                k.tp_src = htons(128); /* echo request */
            }
            char what[64];
            snprintf(what, sizeof what, "ipv6 proto %u frag %d", protos[i], frag);
            check_roundtrip(&k, what);
        }
    }
}

static void test_nd(void **state)
{
    (void)state;
    struct flow_key k = base_key(0x86dd);
    ipv6(&k, "fe80::1", "ff02::1:ff00:2", 58);
    k.tp_src = htons(135);
    inet_pton(AF_INET6, "fe80::2", k.nd_target);
    check_roundtrip(&k, "neighbor solicitation without SLL");
    memcpy(k.arp_sha, mac1, 6);
    check_roundtrip(&k, "neighbor solicitation with SLL");
    memset(k.arp_sha, 0, 6);
    k.tp_src = htons(136);
    memcpy(k.arp_tha, mac2, 6);
    check_roundtrip(&k, "neighbor advertisement with TLL");
    k.vlan_tci = htons(FLOW_VLAN_PRESENT | 7);
    k.vlan_tpid = htons(0x8100);
    check_roundtrip(&k, "neighbor advertisement in a vlan");
}

/* Many keys with pseudo-random values in every field a frame carries. */
static void test_random_keys(void **state)
{
    (void)state;
    uint32_t seed = 12345;
#define RND() (seed = seed * 1103515245u + 12345u, seed >> 8)
    for (int n = 0; n < 2000; n++) {
        static const uint16_t types[] = {0x0800, 0x86dd, 0x0806,
                                         0x8035, 0x88cc, FLOW_ETH_TYPE_NONE};
        static const uint8_t v4p[] = {6, 17, 132, 1, 50};
        static const uint8_t v6p[] = {6, 17, 132, 58, 50};
        uint16_t type = types[RND() % 6];
        struct flow_key k = base_key(type);
        k.in_port = RND();
        k.metadata = (uint64_t)RND() << 32; /* metadata is not in a frame */
        k.metadata |= RND();
        for (int i = 0; i < 6; i++) {
            k.eth_src[i] = (uint8_t)RND();
            k.eth_dst[i] = (uint8_t)RND();
        }
        if (RND() % 2) {
            k.vlan_tci = htons((uint16_t)(FLOW_VLAN_PRESENT | (RND() & 0xefff)));
            k.vlan_tpid = htons(RND() % 2 ? 0x8100 : 0x88a8);
            if (RND() % 3 == 0)
                k.vlan_inner_tci = htons((uint16_t)(FLOW_VLAN_PRESENT | (RND() & 0xefff)));
        }
        bool l4 = true;
        if (type == 0x0800 || type == 0x86dd) {
            k.nw_proto = type == 0x0800 ? v4p[RND() % 5] : v6p[RND() % 5];
            k.nw_tos = (uint8_t)RND();
            k.nw_ttl = (uint8_t)RND();
            int f = (int)(RND() % 4);
            k.nw_frag = f == 1   ? FLOW_NW_FRAG_ANY
                        : f == 2 ? FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER
                                 : 0;
            l4 = !(k.nw_frag & FLOW_NW_FRAG_LATER);
            if (type == 0x0800) {
                k.nw_src = RND();
                k.nw_dst = RND();
            } else {
                for (int i = 0; i < 16; i++) {
                    k.ipv6_src[i] = (uint8_t)RND();
                    k.ipv6_dst[i] = (uint8_t)RND();
                }
                k.ipv6_label = htonl(RND() & 0xfffff);
            }
            if (l4 && (k.nw_proto == 6 || k.nw_proto == 17 || k.nw_proto == 132)) {
                k.tp_src = (uint16_t)RND();
                k.tp_dst = (uint16_t)RND();
                if (k.nw_proto == 6)
                    k.tcp_flags = htons((uint16_t)(RND() & 0x0fff));
            } else if (l4 && (k.nw_proto == 1 || k.nw_proto == 58)) {
                uint8_t t = (uint8_t)RND();
                if (k.nw_proto == 58 && RND() % 3 == 0) {
                    t = RND() % 2 ? 135 : 136;
                    for (int i = 0; i < 16; i++)
                        k.nd_target[i] = (uint8_t)RND();
                    uint8_t *ll = t == 135 ? k.arp_sha : k.arp_tha;
                    if (RND() % 2)
                        for (int i = 0; i < 6; i++)
                            ll[i] = (uint8_t)RND();
                    k.tp_dst = 0;
                } else {
                    if (k.nw_proto == 58 && (t == 135 || t == 136))
                        t = 1;
                    k.tp_dst = htons((uint16_t)(RND() & 0xff));
                }
                k.tp_src = htons(t);
            }
        } else if (type == 0x0806 || type == 0x8035) {
            k.nw_proto = (uint8_t)RND();
            k.nw_src = RND();
            k.nw_dst = RND();
            for (int i = 0; i < 6; i++) {
                k.arp_sha[i] = (uint8_t)RND();
                k.arp_tha[i] = (uint8_t)RND();
            }
        }
        char what[64];
        snprintf(what, sizeof what, "random key %d (type 0x%04x proto %u)", n, type, k.nw_proto);
        /* The metadata does not travel in a frame: compare what does. */
        uint8_t buf[PKT_BUILD_MAX_LEN];
        size_t len;
        char err[256];
        if (pkt_build(&k, buf, sizeof buf, &len, err, sizeof err))
            fail_msg("%s: %s", what, err);
        k.metadata = 0;
        check_roundtrip(&k, what);
    }
#undef RND
}

static void test_unbuildable(void **state)
{
    (void)state;
    uint8_t buf[PKT_BUILD_MAX_LEN];
    size_t len = 0;
    char err[256];

    struct flow_key k = base_key(0x0800);
    ipv4(&k, "10.0.0.1", "10.0.0.2", 47);
    k.tp_dst = htons(80);
    assert_int_equal(pkt_build(&k, buf, sizeof buf, &len, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "IPv4 protocol 47 packet cannot carry it"));

    k = base_key(0x0806);
    k.nw_ttl = 64;
    assert_int_equal(pkt_build(&k, buf, sizeof buf, &len, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "ARP packet cannot carry it"));

    k = base_key(0x86dd);
    ipv6(&k, "::1", "::2", 58);
    k.tp_src = htons(128);
    inet_pton(AF_INET6, "fe80::2", k.nd_target);
    assert_int_equal(pkt_build(&k, buf, sizeof buf, &len, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "nd_target"));

    k = base_key(0x0800);
    ipv4(&k, "10.0.0.1", "10.0.0.2", 6);
    k.nw_frag = FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER;
    k.tp_dst = htons(22);
    assert_int_equal(pkt_build(&k, buf, sizeof buf, &len, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "later-fragment IPv4"));

    k = base_key(0x0800);
    k.vlan_inner_tci = htons(FLOW_VLAN_PRESENT | 3); /* an inner tag without an outer one */
    assert_int_equal(pkt_build(&k, buf, sizeof buf, &len, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "inner VLAN"));

    k = base_key(0x0800);
    ipv4(&k, "10.0.0.1", "10.0.0.2", 6);
    assert_int_equal(pkt_build(&k, buf, 30, &len, err, sizeof err), -ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),      cmocka_unit_test(test_l2),
        cmocka_unit_test(test_arp),         cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_ipv6),        cmocka_unit_test(test_nd),
        cmocka_unit_test(test_random_keys), cmocka_unit_test(test_unbuildable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
