/* test-flow-field.c — the field table: consistency, get/set round trips that touch only the
 * field's own bits, agreement with the parser's byte conventions, and prerequisites. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "datapath/flow-field.h"
#include "datapath/flow-key.h"

static uint64_t rnd64(void)
{
    /* xorshift64*: deterministic, so a failure reproduces */
    static uint64_t x = 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545f4914f6cdd1dull;
}

static void fill_random(void *buf, size_t n)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)rnd64();
}

static uint64_t value_mask(const struct flow_field *f)
{
    return f->bits >> f->shift;
}

/* Which bits of the key a field occupies, as a byte mask over struct flow_key. */
static void field_footprint(const struct flow_field *f, uint8_t fp[sizeof(struct flow_key)])
{
    memset(fp, 0, sizeof(struct flow_key));
    if (f->n_bytes > 8) {
        memset(fp + f->offset, 0xff, f->n_bytes);
        return;
    }
    if (f->id == FF_IN_PORT) { /* host order: all four bytes */
        memset(fp + f->offset, 0xff, 4);
        return;
    }
    for (unsigned i = 0; i < f->n_bytes; i++)
        fp[f->offset + i] = (uint8_t)(f->bits >> (8 * (f->n_bytes - 1 - i)));
}

static void test_table_consistent(void **state)
{
    (void)state;
    for (int i = 0; i < FF_N_FIELDS; i++) {
        const struct flow_field *f = &flow_fields[i];
        assert_int_equal(f->id, i);
        assert_non_null(f->name);
        assert_true(f->offset + f->n_bytes <= offsetof(struct flow_key, flags));
        assert_true(f->n_bytes == 1 || f->n_bytes == 2 || f->n_bytes == 4 || f->n_bytes == 6 ||
                    f->n_bytes == 8 || f->n_bytes == 16);
        if (f->n_bytes <= 8) {
            assert_int_equal(__builtin_popcountll(f->bits), f->n_bits);
            assert_true(f->n_bytes == 8 || (f->bits >> (8 * f->n_bytes)) == 0);
            assert_true((f->bits >> f->shift) << f->shift == f->bits); /* no bits lost */
            assert_true(((f->bits >> f->shift) & 1) == 1);             /* shift is exact */
            /* contiguous */
            uint64_t v = f->bits >> f->shift;
            assert_int_equal(v & (v + 1), 0);
        } else {
            assert_int_equal(f->n_bits, 128);
        }
        assert_ptr_equal(flow_field_by_name(f->name), f);
        if (f->alias)
            assert_ptr_equal(flow_field_by_name(f->alias), f);
        if (f->oxm_field >= 0)
            assert_ptr_equal(flow_field_by_oxm(f->oxm_field), f);
        for (int j = 0; j < i; j++) {
            assert_true(strcmp(flow_fields[j].name, f->name) != 0);
            if (f->oxm_field >= 0)
                assert_int_not_equal(flow_fields[j].oxm_field, f->oxm_field);
        }
    }
    assert_null(flow_field_by_name("no_such_field"));
    assert_null(flow_field_by_name("TCP_DST")); /* case-sensitive, as ovs-ofctl */
    assert_null(flow_field_by_oxm(-1));
    assert_null(flow_field_by_oxm(1000));
}

static void test_get_set_round_trip(void **state)
{
    (void)state;
    uint8_t fp[sizeof(struct flow_key)];
    for (int i = 0; i < FF_N_FIELDS; i++) {
        const struct flow_field *f = &flow_fields[i];
        field_footprint(f, fp);
        for (int round = 0; round < 64; round++) {
            struct flow_key before, k;
            fill_random(&before, sizeof before);
            k = before;
            if (f->n_bytes > 8) {
                uint8_t in[16], out[16];
                fill_random(in, sizeof in);
                flow_field_set_bytes(f, &k, in);
                flow_field_get_bytes(f, &k, out);
                assert_memory_equal(in, out, f->n_bytes);
                assert_memory_equal((uint8_t *)&k + f->offset, in, f->n_bytes);
            } else {
                uint64_t vm = value_mask(f);
                uint64_t v = round == 0 ? 0 : round == 1 ? vm : rnd64() & vm;
                flow_field_set(f, &k, v);
                assert_true(flow_field_get(f, &k) == v);
                /* Bits above the field's width are dropped, not spilled. */
                struct flow_key k2 = before;
                flow_field_set(f, &k2, v | ~vm);
                assert_true(flow_field_get(f, &k2) == v);
                assert_memory_equal(&k2, &k, sizeof k);
            }
            const uint8_t *a = (const uint8_t *)&before, *b = (const uint8_t *)&k;
            for (size_t j = 0; j < sizeof k; j++)
                if ((a[j] ^ b[j]) & ~fp[j])
                    fail_msg("field %s changed byte %zu outside its bits", f->name, j);
        }
    }
}

/* The table's representation must be the parser's: set a field, read the struct member. */
static void test_byte_conventions(void **state)
{
    (void)state;
    struct flow_key k = {0};

    flow_field_set(&flow_fields[FF_IN_PORT], &k, 0x01020304);
    assert_int_equal(k.in_port, 0x01020304); /* host order */
    flow_field_set(&flow_fields[FF_METADATA], &k, 0x1122334455667788ull);
    assert_true(k.metadata == __builtin_bswap64(0x1122334455667788ull));
    flow_field_set(&flow_fields[FF_ETH_DST], &k, 0x001122334455ull);
    static const uint8_t mac[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
    assert_memory_equal(k.eth_dst, mac, 6);
    flow_field_set(&flow_fields[FF_VLAN_VID], &k, 0x1000 | 100);
    flow_field_set(&flow_fields[FF_VLAN_PCP], &k, 5);
    assert_int_equal(ntohs(k.vlan_tci), 0xa000 | 0x1000 | 100);
    flow_field_set(&flow_fields[FF_IP_DSCP], &k, 46);
    flow_field_set(&flow_fields[FF_IP_ECN], &k, 1);
    assert_int_equal(k.nw_tos, 46 << 2 | 1);
    flow_field_set(&flow_fields[FF_IPV4_SRC], &k, 0x0a000001);
    assert_int_equal(k.nw_src, htonl(0x0a000001));
    flow_field_set(&flow_fields[FF_IPV6_LABEL], &k, 0x12345);
    assert_int_equal(k.ipv6_label, htonl(0x12345));
    flow_field_set(&flow_fields[FF_TCP_DST], &k, 443);
    assert_int_equal(k.tp_dst, htons(443));
    k.tp_src = k.tp_dst = 0; /* ICMP fields are the low bytes only; the parser zeroes the rest */
    flow_field_set(&flow_fields[FF_ICMPV4_TYPE], &k, 3);
    flow_field_set(&flow_fields[FF_ICMPV4_CODE], &k, 4);
    assert_int_equal(k.tp_src, htons(3));
    assert_int_equal(k.tp_dst, htons(4));
    flow_field_set(&flow_fields[FF_TCP_FLAGS], &k, 0xfff);
    assert_int_equal(k.tcp_flags, htons(0x0fff));
    flow_field_set(&flow_fields[FF_ARP_OP], &k, 2);
    assert_int_equal(k.nw_proto, 2);
    flow_field_set(&flow_fields[FF_ND_SLL], &k, 0x0200000000ffull);
    assert_int_equal(k.arp_sha[0], 0x02);
    assert_int_equal(k.arp_sha[5], 0xff);
}

/* ---- Parsed packets --------------------------------------------------------------------- */

struct pkt {
    uint8_t b[256];
    size_t n;
};

static void put(struct pkt *p, const void *d, size_t n)
{
    assert_true(p->n + n <= sizeof p->b);
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void put8(struct pkt *p, uint8_t v)
{
    put(p, &v, 1);
}

static void put16(struct pkt *p, uint16_t v)
{
    put8(p, (uint8_t)(v >> 8));
    put8(p, (uint8_t)v);
}

static void put32(struct pkt *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p, (uint16_t)v);
}

static void put_eth(struct pkt *p, uint16_t type)
{
    static const uint8_t macs[12] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                                     0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
    put(p, macs, 12);
    put16(p, type);
}

static void put_ipv4(struct pkt *p, uint8_t proto, uint16_t payload)
{
    put8(p, 0x45);
    put8(p, 0xb9);
    put16(p, (uint16_t)(20 + payload));
    put32(p, 0);
    put8(p, 64);
    put8(p, proto);
    put16(p, 0);
    put32(p, 0x0a000001);
    put32(p, 0xc0a80102);
}

static void put_ipv6(struct pkt *p, uint8_t nxt, uint16_t payload)
{
    put32(p, 6u << 28 | 0xa5u << 20 | 0x12345);
    put16(p, payload);
    put8(p, nxt);
    put8(p, 255);
    for (int i = 0; i < 16; i++)
        put8(p, (uint8_t)(0x20 + i));
    for (int i = 0; i < 16; i++)
        put8(p, (uint8_t)(0x40 + i));
}

static void parse(const struct pkt *p, struct flow_key *k)
{
    assert_int_equal(flow_key_parse(p->b, (uint32_t)p->n, 3, k, NULL), 0);
}

static void test_parsed_values(void **state)
{
    (void)state;
    struct flow_key k;
    struct pkt p = {0};

    put_eth(&p, 0x8100);
    put16(&p, 0xa064); /* PCP 5, VID 100 */
    put16(&p, 0x0800);
    put_ipv4(&p, 6, 20);
    put16(&p, 40000);
    put16(&p, 80);
    put32(&p, 0);
    put32(&p, 0);
    put16(&p, 0x5000 | 0x012);
    put16(&p, 0);
    put32(&p, 0);
    parse(&p, &k);
#define GET(id) flow_field_get(&flow_fields[id], &k)
    assert_true(GET(FF_IN_PORT) == 3);
    assert_true(GET(FF_ETH_DST) == 0x001122334455ull);
    assert_true(GET(FF_ETH_SRC) == 0x02aabbccddeeull);
    assert_true(GET(FF_ETH_TYPE) == 0x0800);
    assert_true(GET(FF_VLAN_VID) == (0x1000 | 100));
    assert_true(GET(FF_VLAN_PCP) == 5);
    assert_true(GET(FF_IP_DSCP) == 0xb9 >> 2);
    assert_true(GET(FF_IP_ECN) == 1);
    assert_true(GET(FF_NW_TTL) == 64);
    assert_true(GET(FF_IP_PROTO) == 6);
    assert_true(GET(FF_IPV4_SRC) == 0x0a000001);
    assert_true(GET(FF_IPV4_DST) == 0xc0a80102);
    assert_true(GET(FF_TCP_SRC) == 40000);
    assert_true(GET(FF_TCP_DST) == 80);
    assert_true(GET(FF_TCP_FLAGS) == 0x012);

    /* ICMPv4 */
    p = (struct pkt){0};
    put_eth(&p, 0x0800);
    put_ipv4(&p, 1, 8);
    put8(&p, 3);
    put8(&p, 13);
    put16(&p, 0);
    put32(&p, 0);
    parse(&p, &k);
    assert_true(GET(FF_ICMPV4_TYPE) == 3);
    assert_true(GET(FF_ICMPV4_CODE) == 13);

    /* ARP */
    p = (struct pkt){0};
    put_eth(&p, 0x0806);
    put16(&p, 1);
    put16(&p, 0x0800);
    put8(&p, 6);
    put8(&p, 4);
    put16(&p, 2);
    put16(&p, 0x0201);
    put32(&p, 0x02030405);
    put32(&p, 0x0a000001);
    put16(&p, 0x020a);
    put32(&p, 0x0b0c0d0e);
    put32(&p, 0xc0a80102);
    parse(&p, &k);
    assert_true(GET(FF_ARP_OP) == 2);
    assert_true(GET(FF_ARP_SHA) == 0x020102030405ull);
    assert_true(GET(FF_ARP_THA) == 0x020a0b0c0d0eull);
    assert_true(GET(FF_ARP_SPA) == 0x0a000001);
    assert_true(GET(FF_ARP_TPA) == 0xc0a80102);

    /* IPv6 ND NA with TLL */
    p = (struct pkt){0};
    put_eth(&p, 0x86dd);
    put_ipv6(&p, 58, 32);
    put8(&p, 136);
    put8(&p, 0);
    put16(&p, 0);
    put32(&p, 0x60000000);
    for (int i = 0; i < 16; i++)
        put8(&p, (uint8_t)(0x80 + i));
    put8(&p, 2);
    put8(&p, 1);
    put16(&p, 0x0211);
    put32(&p, 0x22334455);
    parse(&p, &k);
    assert_true(GET(FF_IPV6_LABEL) == 0x12345);
    assert_true(GET(FF_IP_DSCP) == 0xa5 >> 2);
    assert_true(GET(FF_NW_TTL) == 255);
    assert_true(GET(FF_ICMPV6_TYPE) == 136);
    assert_true(GET(FF_ICMPV6_CODE) == 0);
    assert_true(GET(FF_ND_TLL) == 0x021122334455ull);
    uint8_t tgt[16];
    flow_field_get_bytes(&flow_fields[FF_ND_TARGET], &k, tgt);
    for (int i = 0; i < 16; i++)
        assert_int_equal(tgt[i], 0x80 + i);
    flow_field_get_bytes(&flow_fields[FF_IPV6_SRC], &k, tgt);
    assert_int_equal(tgt[0], 0x20);
    assert_int_equal(tgt[15], 0x2f);
#undef GET
}

/* ---- Matches and prerequisites ---------------------------------------------------------- */

static void test_match_set_field(void **state)
{
    (void)state;
    struct flow_match m = {0};
    const struct flow_field *nw_dst = &flow_fields[FF_IPV4_DST];
    assert_true(flow_match_field_is_wild(&m, nw_dst));
    flow_match_set_field(&m, nw_dst, 0xc0a801ff, 0xffffff00);
    assert_false(flow_match_field_is_wild(&m, nw_dst));
    assert_true(flow_match_get_mask(&m, nw_dst) == 0xffffff00);
    assert_true(flow_field_get(nw_dst, &m.value) == 0xc0a80100); /* kept pre-masked */

    const struct flow_field *v6 = &flow_fields[FF_IPV6_SRC];
    uint8_t val[16], mask[16] = {0xff, 0xff, 0xff, 0xf0};
    memset(val, 0xab, sizeof val);
    assert_true(flow_match_field_is_wild(&m, v6));
    flow_match_set_field_bytes(&m, v6, val, mask);
    assert_false(flow_match_field_is_wild(&m, v6));
    assert_int_equal(m.value.ipv6_src[3], 0xa0);
    assert_int_equal(m.value.ipv6_src[4], 0);

    /* Sub-byte fields sharing a word keep each other's mask bits. */
    struct flow_match t = {0};
    flow_match_set_field(&t, &flow_fields[FF_IP_DSCP], 46, 0x3f);
    flow_match_set_field(&t, &flow_fields[FF_IP_ECN], 3, 0x3);
    assert_int_equal(t.mask.nw_tos, 0xff);
    assert_int_equal(t.value.nw_tos, 46 << 2 | 3);
    assert_true(flow_match_get_mask(&t, &flow_fields[FF_IP_DSCP]) == 0x3f);
}

static void set_exact(struct flow_match *m, enum flow_field_id id, uint64_t v)
{
    const struct flow_field *f = &flow_fields[id];
    flow_match_set_field(m, f, v, f->bits >> f->shift);
}

static void test_match_prereqs(void **state)
{
    (void)state;
    struct flow_match m = {0};
    assert_true(flow_match_has_prereq(&m, FP_NONE));
    for (int p = FP_VLAN; p <= FP_ND_NA; p++)
        assert_false(flow_match_has_prereq(&m, p));

    /* ip_proto without eth_type is not enough. */
    set_exact(&m, FF_IP_PROTO, 6);
    assert_false(flow_match_has_prereq(&m, FP_TCP));
    set_exact(&m, FF_ETH_TYPE, 0x0800);
    assert_true(flow_match_has_prereq(&m, FP_IPV4));
    assert_true(flow_match_has_prereq(&m, FP_IP_ANY));
    assert_true(flow_match_has_prereq(&m, FP_TCP));
    assert_false(flow_match_has_prereq(&m, FP_UDP));
    assert_false(flow_match_has_prereq(&m, FP_IPV6));
    assert_false(flow_match_has_prereq(&m, FP_ARP));

    /* A partially masked ip_proto does not pin the protocol. */
    flow_match_set_field(&m, &flow_fields[FF_IP_PROTO], 6, 0xfe);
    assert_false(flow_match_has_prereq(&m, FP_TCP));

    m = (struct flow_match){0};
    set_exact(&m, FF_ETH_TYPE, 0x86dd);
    set_exact(&m, FF_IP_PROTO, 58);
    assert_true(flow_match_has_prereq(&m, FP_ICMPV6));
    assert_false(flow_match_has_prereq(&m, FP_ICMPV4));
    assert_false(flow_match_has_prereq(&m, FP_ND));
    set_exact(&m, FF_ICMPV6_TYPE, 135);
    assert_true(flow_match_has_prereq(&m, FP_ND));
    assert_true(flow_match_has_prereq(&m, FP_ND_NS));
    assert_false(flow_match_has_prereq(&m, FP_ND_NA));
    set_exact(&m, FF_ICMPV6_TYPE, 136);
    assert_true(flow_match_has_prereq(&m, FP_ND_NA));
    assert_false(flow_match_has_prereq(&m, FP_ND_NS));

    m = (struct flow_match){0};
    set_exact(&m, FF_ETH_TYPE, 0x8035);
    assert_true(flow_match_has_prereq(&m, FP_ARP));
    m = (struct flow_match){0};
    set_exact(&m, FF_ETH_TYPE, 0x0800);
    set_exact(&m, FF_IP_PROTO, 132);
    assert_true(flow_match_has_prereq(&m, FP_SCTP));

    /* vlan_pcp needs "a tag is present" pinned: mask and value both carry 0x1000. */
    m = (struct flow_match){0};
    flow_match_set_field(&m, &flow_fields[FF_VLAN_VID], 0x1000, 0x1000);
    assert_true(flow_match_has_prereq(&m, FP_VLAN));
    flow_match_set_field(&m, &flow_fields[FF_VLAN_VID], 0, 0x1000);
    assert_false(flow_match_has_prereq(&m, FP_VLAN));
}

static void test_key_prereqs(void **state)
{
    (void)state;
    struct flow_key k = {0};
    struct {
        uint16_t eth_type;
        uint8_t proto, icmp_type;
        uint32_t holds; /* bit per enum flow_prereq */
    } cases[] = {
        {0x0800, 6, 0, 1u << FP_IPV4 | 1u << FP_IP_ANY | 1u << FP_TCP},
        {0x86dd, 17, 0, 1u << FP_IPV6 | 1u << FP_IP_ANY | 1u << FP_UDP},
        {0x86dd, 132, 0, 1u << FP_IPV6 | 1u << FP_IP_ANY | 1u << FP_SCTP},
        {0x0800, 1, 8, 1u << FP_IPV4 | 1u << FP_IP_ANY | 1u << FP_ICMPV4},
        {0x86dd, 58, 135,
         1u << FP_IPV6 | 1u << FP_IP_ANY | 1u << FP_ICMPV6 | 1u << FP_ND | 1u << FP_ND_NS},
        {0x86dd, 58, 136,
         1u << FP_IPV6 | 1u << FP_IP_ANY | 1u << FP_ICMPV6 | 1u << FP_ND | 1u << FP_ND_NA},
        {0x86dd, 58, 128, 1u << FP_IPV6 | 1u << FP_IP_ANY | 1u << FP_ICMPV6},
        {0x0800, 58, 135, 1u << FP_IPV4 | 1u << FP_IP_ANY},
        {0x0806, 1, 0, 1u << FP_ARP},
        {0x8035, 3, 0, 1u << FP_ARP},
        {0x88cc, 6, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        k = (struct flow_key){0};
        k.eth_type = htons(cases[i].eth_type);
        k.nw_proto = cases[i].proto;
        k.tp_src = htons(cases[i].icmp_type);
        for (int p = FP_NONE; p <= FP_ND_NA; p++) {
            bool want = p == FP_NONE || (cases[i].holds >> p & 1);
            if (flow_key_has_prereq(&k, p) != want)
                fail_msg("case %zu: prerequisite %d should be %s", i, p, want ? "met" : "unmet");
        }
    }
    k = (struct flow_key){0};
    assert_false(flow_key_has_prereq(&k, FP_VLAN));
    k.vlan_tci = htons(FLOW_VLAN_PRESENT);
    assert_true(flow_key_has_prereq(&k, FP_VLAN));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_consistent), cmocka_unit_test(test_get_set_round_trip),
        cmocka_unit_test(test_byte_conventions), cmocka_unit_test(test_parsed_values),
        cmocka_unit_test(test_match_set_field),  cmocka_unit_test(test_match_prereqs),
        cmocka_unit_test(test_key_prereqs),
    };
    return cmocka_run_group_tests_name("flow-field", tests, NULL, NULL);
}
