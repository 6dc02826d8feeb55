/* test-packet-edit.c — header rewrites keep bytes, checksums and the flow key in agreement.
 *
 * Frames are built from keys (datapath/packet-build.h) into an mbuf laid out by hand (no EAL
 * needed), rewritten, then re-parsed: the re-parsed key must equal the rewritten key, and
 * every checksum must verify from scratch. */
#define ALLOW_EXPERIMENTAL_API /* rte_ipv4_udptcp_cksum_verify */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "datapath/flow-field.h"
#include "datapath/packet-build.h"
#include "datapath/packet-edit.h"

#define BUF 2048
#define HEADROOM 128

struct frame {
    struct rte_mbuf m;
    uint8_t buf[BUF];
};

/* An mbuf over f->buf holding the frame built from `k`, and its layout. */
static void frame_from_key(struct frame *f, const struct flow_key *k, struct flow_layout *lay)
{
    memset(&f->m, 0, sizeof f->m);
    f->m.buf_addr = f->buf;
    f->m.buf_len = BUF;
    f->m.data_off = HEADROOM;
    f->m.nb_segs = 1;
    rte_mbuf_refcnt_set(&f->m, 1);
    size_t len;
    char err[128];
    assert_int_equal(pkt_build(k, f->buf + HEADROOM, BUF - HEADROOM, &len, err, sizeof err), 0);
    f->m.data_len = (uint16_t)len;
    f->m.pkt_len = (uint32_t)len;
    struct flow_key parsed;
    assert_int_equal(flow_key_parse(f->buf + HEADROOM, (uint32_t)len, k->in_port, &parsed, lay), 0);
}

static struct flow_key reparse(struct frame *f)
{
    struct flow_key k;
    flow_key_parse(rte_pktmbuf_mtod(&f->m, void *), f->m.data_len, 1, &k, NULL);
    return k;
}

static struct flow_key tcp4_key(void)
{
    struct flow_key k;
    memset(&k, 0, sizeof k);
    k.in_port = 1;
    k.eth_type = rte_cpu_to_be_16(0x0800);
    k.nw_proto = 6;
    k.nw_ttl = 64;
    k.nw_src = rte_cpu_to_be_32(0x0a000001);
    k.nw_dst = rte_cpu_to_be_32(0x0a000002);
    k.tp_src = rte_cpu_to_be_16(1234);
    k.tp_dst = rte_cpu_to_be_16(80);
    uint8_t src[6] = {2, 0, 0, 0, 0, 1}, dst[6] = {2, 0, 0, 0, 0, 2};
    memcpy(k.eth_src, src, 6);
    memcpy(k.eth_dst, dst, 6);
    return k;
}

static void assert_checksums_ok(struct frame *f, const struct flow_layout *lay)
{
    const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(&f->m, struct rte_ipv4_hdr *, lay->l3);
    /* A correct header sums to 0xffff, i.e. its checksum over the whole header is 0. */
    uint16_t raw = rte_raw_cksum(ip, rte_ipv4_hdr_len(ip));
    assert_int_equal(raw, 0xffff);
    const void *l4 = rte_pktmbuf_mtod_offset(&f->m, const void *, lay->l4);
    assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, l4), 0);
}

static void set_field(struct frame *f, struct flow_layout *lay, struct flow_key *k,
                      enum flow_field_id id, uint64_t v)
{
    struct dp_action a = {.type = DP_ACT_SET_FIELD, .field = id, .arg = v};
    pkt_set_field(&f->m, lay, k, &a);
}

static void test_ipv4_tcp_rewrites(void **state)
{
    (void)state;
    struct frame f;
    struct flow_layout lay;
    struct flow_key k = tcp4_key();
    frame_from_key(&f, &k, &lay);
    assert_checksums_ok(&f, &lay);

    set_field(&f, &lay, &k, FF_IPV4_SRC, 0xc0a80105);
    set_field(&f, &lay, &k, FF_IPV4_DST, 0xc0a80106);
    set_field(&f, &lay, &k, FF_TCP_DST, 8080);
    set_field(&f, &lay, &k, FF_TCP_SRC, 40000);
    set_field(&f, &lay, &k, FF_IP_DSCP, 46);
    set_field(&f, &lay, &k, FF_IP_ECN, 1);
    set_field(&f, &lay, &k, FF_ETH_DST, 0x020000000099ull);
    assert_checksums_ok(&f, &lay);
    struct flow_key again = reparse(&f);
    assert_memory_equal(&again, &k, sizeof k);
    assert_int_equal(rte_be_to_cpu_32(again.nw_src), 0xc0a80105);
    assert_int_equal(rte_be_to_cpu_16(again.tp_dst), 8080);
    assert_int_equal(again.nw_tos, (46 << 2) | 1);

    assert_true(pkt_dec_ttl(&f.m, &lay, &k));
    assert_int_equal(k.nw_ttl, 63);
    assert_checksums_ok(&f, &lay);
    again = reparse(&f);
    assert_memory_equal(&again, &k, sizeof k);
}

static void test_dec_ttl_expires(void **state)
{
    (void)state;
    struct frame f;
    struct flow_layout lay;
    struct flow_key k = tcp4_key();
    k.nw_ttl = 1;
    frame_from_key(&f, &k, &lay);
    assert_false(pkt_dec_ttl(&f.m, &lay, &k)); /* must be dropped, not sent with TTL 0 */
}

static void test_udp_zero_checksum_stays_zero(void **state)
{
    (void)state;
    struct frame f;
    struct flow_layout lay;
    struct flow_key k = tcp4_key();
    k.nw_proto = 17;
    frame_from_key(&f, &k, &lay);
    uint8_t *udp = rte_pktmbuf_mtod_offset(&f.m, uint8_t *, lay.l4);
    udp[6] = udp[7] = 0; /* "no checksum" over IPv4 */
    set_field(&f, &lay, &k, FF_UDP_DST, 53);
    set_field(&f, &lay, &k, FF_IPV4_SRC, 0x01020304);
    assert_int_equal(udp[6] | udp[7], 0);
    assert_int_equal(rte_be_to_cpu_16(reparse(&f).tp_dst), 53);
}

/* The SCTP packet's CRC32c as stored (least significant byte first) is right: computed
 * again by the bitwise reference over the packet with the field zero. */
static void assert_sctp_crc_ok(struct frame *f, const struct flow_layout *lay)
{
    uint8_t *l4 = rte_pktmbuf_mtod_offset(&f->m, uint8_t *, lay->l4);
    const uint8_t *l3 = rte_pktmbuf_mtod_offset(&f->m, const uint8_t *, lay->l3);
    /* The SCTP packet ends where the IP payload does (a short frame is padded past it). */
    uint32_t end = (l3[0] >> 4) == 4 ? lay->l3 + (uint32_t)(l3[2] << 8 | l3[3])
                                     : lay->l3 + 40u + (uint32_t)(l3[4] << 8 | l3[5]);
    uint32_t len = end - lay->l4;
    assert_true(end <= f->m.data_len);
    uint8_t copy[BUF];
    memcpy(copy, l4, len);
    memset(copy + 8, 0, 4);
    uint32_t want = pkt_crc32c(copy, len);
    uint32_t got = (uint32_t)l4[8] | (uint32_t)l4[9] << 8 | (uint32_t)l4[10] << 16 |
                   (uint32_t)l4[11] << 24;
    assert_int_equal(got, want);
}

static void test_sctp_port_rewrite_recomputes_crc(void **state)
{
    (void)state;
    for (int v6 = 0; v6 <= 1; v6++) {
        struct frame f;
        struct flow_layout lay;
        struct flow_key k = tcp4_key();
        k.nw_proto = 132;
        if (v6) {
            k.eth_type = rte_cpu_to_be_16(0x86dd);
            k.nw_src = k.nw_dst = 0;
            k.ipv6_src[15] = 1;
            k.ipv6_dst[15] = 2;
            k.ipv6_src[0] = k.ipv6_dst[0] = 0x20;
        }
        frame_from_key(&f, &k, &lay);
        assert_sctp_crc_ok(&f, &lay);
        set_field(&f, &lay, &k, FF_SCTP_DST, 9899);
        set_field(&f, &lay, &k, FF_SCTP_SRC, 5060);
        assert_sctp_crc_ok(&f, &lay);
        struct flow_key again = reparse(&f);
        assert_int_equal(rte_be_to_cpu_16(again.tp_dst), 9899);
        assert_int_equal(rte_be_to_cpu_16(again.tp_src), 5060);
        /* IP address rewrites do not touch it: SCTP has no pseudo-header. */
        if (!v6) {
            set_field(&f, &lay, &k, FF_IPV4_DST, 0x0a0000fe);
            assert_sctp_crc_ok(&f, &lay);
        }
    }
}

static void test_vlan_push_set_pop(void **state)
{
    (void)state;
    struct frame f;
    struct flow_layout lay;
    struct flow_key k = tcp4_key();
    frame_from_key(&f, &k, &lay);
    uint32_t len0 = f.m.pkt_len;

    assert_true(pkt_push_vlan(&f.m, &lay, &k, 0x8100));
    assert_int_equal(f.m.pkt_len, len0 + 4);
    set_field(&f, &lay, &k, FF_VLAN_VID, 0x1000 | 42);
    set_field(&f, &lay, &k, FF_VLAN_PCP, 5);
    struct flow_key again = reparse(&f);
    assert_memory_equal(&again, &k, sizeof k);
    assert_int_equal(rte_be_to_cpu_16(again.vlan_tci), 0x1000 | (5 << 13) | 42);
    assert_checksums_ok(&f, &lay); /* layout followed the push */

    pkt_pop_vlan(&f.m, &lay, &k);
    assert_int_equal(f.m.pkt_len, len0);
    again = reparse(&f);
    assert_memory_equal(&again, &k, sizeof k);
    assert_int_equal(again.vlan_tci, 0);
    assert_checksums_ok(&f, &lay);
}

static void test_prereq_not_met_is_a_noop(void **state)
{
    (void)state;
    struct frame f;
    struct flow_layout lay;
    struct flow_key k = tcp4_key();
    frame_from_key(&f, &k, &lay);
    uint8_t before[BUF];
    memcpy(before, f.buf, BUF);
    set_field(&f, &lay, &k, FF_UDP_DST, 53);     /* not UDP */
    set_field(&f, &lay, &k, FF_ARP_SPA, 0x01020304); /* not ARP */
    set_field(&f, &lay, &k, FF_VLAN_PCP, 3);     /* untagged */
    assert_memory_equal(before, f.buf, BUF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_tcp_rewrites),
        cmocka_unit_test(test_dec_ttl_expires),
        cmocka_unit_test(test_udp_zero_checksum_stays_zero),
        cmocka_unit_test(test_sctp_port_rewrite_recomputes_crc),
        cmocka_unit_test(test_vlan_push_set_pop),
        cmocka_unit_test(test_prereq_not_met_is_a_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
