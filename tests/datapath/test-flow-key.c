/* test-flow-key.c — flow_key_parse() on frames built byte by byte, and the match helpers.
 *
 * Every parse goes through parse_exact(), which copies the frame into a heap buffer of exactly
 * its length (so ASan and valgrind see any read past the end) and parses it twice, over keys
 * pre-filled with different garbage, to prove every byte of the key is written.
 * Expected keys are built field by field and compared whole, so a stray field fails too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "datapath/flow-key.h"

#define IN_PORT 7u
#define MAX_FRAME 512

static const uint8_t MAC_DST[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t MAC_SRC[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
static const uint8_t ARP_SHA[6] = {0x02, 0x01, 0x02, 0x03, 0x04, 0x05};
static const uint8_t ARP_THA[6] = {0x02, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e};
static const uint8_t IP6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t IP6_DST[16] = {0xfe, 0x80, 0,    0,    0,    0,    0,    0,
                                    0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55};
static const uint8_t ND_TARGET[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,    0,
                                      0,    0,    0,    0,    0, 0, 0xbe, 0xef};
#define IP4_SRC 0x0a000001u
#define IP4_DST 0xc0a80102u
#define IP4_TOS 0xb9
#define IP4_TTL 64
#define IP6_TC 0xa5
#define IP6_LABEL 0x12345u
#define IP6_HLIM 33

/* ---- Frame builder ---------------------------------------------------------------------- */

struct pkt {
    uint8_t b[MAX_FRAME];
    size_t n;
};

static size_t put(struct pkt *p, const void *d, size_t n)
{
    assert_true(p->n + n <= MAX_FRAME);
    size_t at = p->n;
    memcpy(p->b + at, d, n);
    p->n += n;
    return at;
}

static size_t put8(struct pkt *p, uint8_t v)
{
    return put(p, &v, 1);
}

static size_t put16(struct pkt *p, uint16_t host)
{
    uint16_t v = htons(host);
    return put(p, &v, 2);
}

static size_t put32(struct pkt *p, uint32_t host)
{
    uint32_t v = htonl(host);
    return put(p, &v, 4);
}

static void set16(struct pkt *p, size_t at, uint16_t host)
{
    p->b[at] = (uint8_t)(host >> 8);
    p->b[at + 1] = (uint8_t)host;
}

static void put_zeros(struct pkt *p, size_t n)
{
    while (n--)
        put8(p, 0);
}

static void put_eth(struct pkt *p, uint16_t type)
{
    put(p, MAC_DST, 6);
    put(p, MAC_SRC, 6);
    put16(p, type);
}

/* A tag after a TPID: TCI, then the next EtherType. */
static void put_vlan(struct pkt *p, uint16_t tci, uint16_t next_type)
{
    put16(p, tci);
    put16(p, next_type);
}

static size_t put_ipv4(struct pkt *p, uint8_t proto, uint16_t frag, unsigned n_opt_words)
{
    size_t at = put8(p, (uint8_t)(0x40 | (5 + n_opt_words)));
    put8(p, IP4_TOS);
    put16(p, 0); /* total length, patched by end_ipv4() */
    put16(p, 0x1234);
    put16(p, frag);
    put8(p, IP4_TTL);
    put8(p, proto);
    put16(p, 0);
    put32(p, IP4_SRC);
    put32(p, IP4_DST);
    for (unsigned i = 0; i < n_opt_words; i++)
        put32(p, 0x01010101); /* NOPs */
    return at;
}

static void end_ipv4(struct pkt *p, size_t at)
{
    set16(p, at + 2, (uint16_t)(p->n - at));
}

static size_t put_ipv6(struct pkt *p, uint8_t nxt)
{
    size_t at = put32(p, 6u << 28 | (uint32_t)IP6_TC << 20 | IP6_LABEL);
    put16(p, 0); /* payload length, patched by end_ipv6() */
    put8(p, nxt);
    put8(p, IP6_HLIM);
    put(p, IP6_SRC, 16);
    put(p, IP6_DST, 16);
    return at;
}

static void end_ipv6(struct pkt *p, size_t at)
{
    set16(p, at + 4, (uint16_t)(p->n - at - 40));
}

/* Hop-by-hop, routing or destination options header of (units + 1) * 8 bytes. */
static void put_ext6(struct pkt *p, uint8_t nxt, uint8_t units)
{
    put8(p, nxt);
    put8(p, units);
    put_zeros(p, (size_t)(units + 1) * 8 - 2);
}

static void put_frag6(struct pkt *p, uint8_t nxt, uint16_t offset_units, int more)
{
    put8(p, nxt);
    put8(p, 0);
    put16(p, (uint16_t)(offset_units << 3 | (more ? 1 : 0)));
    put32(p, 0xcafef00d);
}

static void put_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint16_t flags,
                    unsigned doff_words)
{
    put16(p, sport);
    put16(p, dport);
    put32(p, 0x01020304);
    put32(p, 0x05060708);
    put16(p, (uint16_t)(doff_words << 12 | flags));
    put16(p, 0xffff);
    put16(p, 0);
    put16(p, 0);
    for (unsigned i = 5; i < doff_words; i++)
        put32(p, 0x01010101);
}

static void put_udp(struct pkt *p, uint16_t sport, uint16_t dport, uint16_t payload)
{
    put16(p, sport);
    put16(p, dport);
    put16(p, (uint16_t)(8 + payload));
    put16(p, 0);
}

static void put_sctp(struct pkt *p, uint16_t sport, uint16_t dport)
{
    put16(p, sport);
    put16(p, dport);
    put32(p, 0xdeadbeef);
    put32(p, 0);
}

static void put_icmp(struct pkt *p, uint8_t type, uint8_t code)
{
    put8(p, type);
    put8(p, code);
    put16(p, 0);
    put32(p, 0x00010002);
}

static void put_payload(struct pkt *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(p, (uint8_t)(0x30 + i));
}

static void put_arp(struct pkt *p, uint16_t op)
{
    put16(p, 1);
    put16(p, 0x0800);
    put8(p, 6);
    put8(p, 4);
    put16(p, op);
    put(p, ARP_SHA, 6);
    put32(p, IP4_SRC);
    put(p, ARP_THA, 6);
    put32(p, IP4_DST);
}

static void put_nd_opt(struct pkt *p, uint8_t type, const uint8_t mac[6])
{
    put8(p, type);
    put8(p, 1);
    put(p, mac, 6);
}

/* ---- Expected keys ---------------------------------------------------------------------- */

static struct flow_key key_l2(uint16_t eth_type)
{
    struct flow_key k = {.in_port = IN_PORT};
    memcpy(k.eth_dst, MAC_DST, 6);
    memcpy(k.eth_src, MAC_SRC, 6);
    k.eth_type = htons(eth_type);
    return k;
}

static void key_ipv4(struct flow_key *k, uint8_t proto)
{
    k->nw_src = htonl(IP4_SRC);
    k->nw_dst = htonl(IP4_DST);
    k->nw_proto = proto;
    k->nw_tos = IP4_TOS;
    k->nw_ttl = IP4_TTL;
}

static void key_ipv6(struct flow_key *k, uint8_t proto)
{
    memcpy(k->ipv6_src, IP6_SRC, 16);
    memcpy(k->ipv6_dst, IP6_DST, 16);
    k->ipv6_label = htonl(IP6_LABEL);
    k->nw_proto = proto;
    k->nw_tos = IP6_TC;
    k->nw_ttl = IP6_HLIM;
}

static void key_ports(struct flow_key *k, uint16_t src, uint16_t dst)
{
    k->tp_src = htons(src);
    k->tp_dst = htons(dst);
}

/* Everything from L3 on (nw_src to the end of the key) is one contiguous region. */
static void clear_from_l3(struct flow_key *k)
{
    memset((uint8_t *)k + offsetof(struct flow_key, nw_src), 0,
           sizeof *k - offsetof(struct flow_key, nw_src));
}

static const struct {
    const char *name;
    size_t ofs, len;
} key_fields[] = {
/* clang-format off */
#define F(m) {#m, offsetof(struct flow_key, m), sizeof(((struct flow_key *)0)->m)}
    F(in_port), F(recirc_id), F(metadata),  F(tun_id),   F(tun_src),    F(tun_dst),
    F(eth_dst), F(eth_src),   F(eth_type),  F(vlan_tci), F(vlan_tpid),  F(vlan_inner_tci),
    F(nw_src),  F(nw_dst),    F(ipv6_src),  F(ipv6_dst), F(ipv6_label), F(nw_proto),
    F(nw_tos),  F(nw_ttl),    F(nw_frag),   F(tp_src),   F(tp_dst),     F(tcp_flags),
    F(arp_sha), F(arp_tha),   F(nd_target), F(pad0),     F(flags),      F(pad1),
#undef F
    /* clang-format on */
};

/* Whole-key comparison that names the first field that differs. */
static void check_key(const struct flow_key *got, const struct flow_key *exp, const char *what)
{
    for (size_t i = 0; i < sizeof key_fields / sizeof key_fields[0]; i++) {
        const uint8_t *g = (const uint8_t *)got + key_fields[i].ofs;
        const uint8_t *e = (const uint8_t *)exp + key_fields[i].ofs;
        if (memcmp(g, e, key_fields[i].len)) {
            char gs[64] = "", es[64] = "";
            for (size_t j = 0; j < key_fields[i].len; j++) {
                snprintf(gs + 2 * j, sizeof gs - 2 * j, "%02x", g[j]);
                snprintf(es + 2 * j, sizeof es - 2 * j, "%02x", e[j]);
            }
            fail_msg("%s: field %s is %s, expected %s", what, key_fields[i].name, gs, es);
        }
    }
    assert_memory_equal(got, exp, sizeof *got);
}

/* ---- Parsing harness -------------------------------------------------------------------- */

static int parse_exact(const uint8_t *frame, size_t len, struct flow_key *key,
                       struct flow_layout *lay)
{
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, frame, len);

    struct flow_key other;
    struct flow_layout other_lay;
    memset(key, 0xa5, sizeof *key);
    memset(&other, 0x5a, sizeof other);
    memset(lay, 0xa5, sizeof *lay);
    memset(&other_lay, 0x5a, sizeof other_lay);

    int rc = flow_key_parse(buf, (uint32_t)len, IN_PORT, key, lay);
    int rc2 = flow_key_parse(buf, (uint32_t)len, IN_PORT, &other, &other_lay);
    free(buf);

    assert_int_equal(rc, rc2);
    assert_int_equal(rc, key->flags);
    assert_memory_equal(key, &other, sizeof *key);
    assert_memory_equal(lay, &other_lay, sizeof *lay);
    assert_int_equal(lay->l2, 0);
    return rc;
}

static void check_layout(const struct flow_layout *lay, uint16_t l2_5, uint16_t l3, uint16_t l4,
                         uint16_t l7)
{
    assert_int_equal(lay->l2, 0);
    assert_int_equal(lay->l2_5, l2_5);
    assert_int_equal(lay->l3, l3);
    assert_int_equal(lay->l4, l4);
    assert_int_equal(lay->l7, l7);
}

#define NONE FLOW_LAYOUT_NONE

/* ---- Ethernet, VLAN ------------------------------------------------------------------- */

static void test_empty_and_short(void **state)
{
    (void)state;
    struct flow_key k, exp = {.in_port = IN_PORT, .flags = FLOW_F_TRUNCATED};
    struct flow_layout lay;
    uint8_t dummy = 0;

    assert_int_equal(flow_key_parse(NULL, 0, IN_PORT, &k, &lay), FLOW_F_TRUNCATED);
    check_key(&k, &exp, "NULL frame");
    assert_int_equal(flow_key_parse(&dummy, 0, IN_PORT, &k, NULL), FLOW_F_TRUNCATED);
    check_key(&k, &exp, "empty frame");
    check_layout(&lay, NONE, NONE, NONE, NONE);
}

static void test_eth_unknown_type(void **state)
{
    (void)state;
    struct pkt p = {0};
    put_eth(&p, 0x88cc); /* LLDP: known to nobody here */
    put_payload(&p, 46);
    struct flow_key k;
    struct flow_layout lay;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    struct flow_key exp = key_l2(0x88cc);
    check_key(&k, &exp, "LLDP");
    check_layout(&lay, NONE, NONE, NONE, NONE);
}

static void test_eth_8023_length(void **state)
{
    (void)state;
    struct pkt p = {0};
    put_eth(&p, 46); /* 802.3: a length, not a type */
    put_payload(&p, 46);
    struct flow_key k;
    struct flow_layout lay;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    struct flow_key exp = key_l2(FLOW_ETH_TYPE_NONE);
    check_key(&k, &exp, "802.3");

    /* 0x0600 is the first EtherType. */
    p.n = 12;
    put16(&p, 0x0600);
    assert_int_equal(parse_exact(p.b, 14, &k, &lay), 0);
    exp = key_l2(0x0600);
    check_key(&k, &exp, "EtherType 0x0600");
}

static void test_vlan_8021q(void **state)
{
    (void)state;
    struct pkt p = {0};
    put_eth(&p, 0x8100);
    put_vlan(&p, 0xa064, 0x0800); /* PCP 5, DEI 0, VID 100 */
    size_t ip = put_ipv4(&p, 17, 0, 0);
    put_udp(&p, 1111, 53, 4);
    put_payload(&p, 4);
    end_ipv4(&p, ip);

    struct flow_key k;
    struct flow_layout lay;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    struct flow_key exp = key_l2(0x0800);
    exp.vlan_tci = htons(0xa064 | FLOW_VLAN_PRESENT);
    exp.vlan_tpid = htons(0x8100);
    key_ipv4(&exp, 17);
    key_ports(&exp, 1111, 53);
    check_key(&k, &exp, "802.1Q UDP");
    check_layout(&lay, 14, 18, 38, 46);
    assert_int_equal(ntohs(k.vlan_tci) & FLOW_VLAN_VID_MASK, 100);
    assert_int_equal(ntohs(k.vlan_tci) >> FLOW_VLAN_PCP_SHIFT, 5);
}

static void test_vlan_vid0_dei(void **state)
{
    (void)state;
    /* A priority tag (VID 0) is still a tag; the DEI bit is where PRESENT lives. */
    struct pkt p = {0};
    put_eth(&p, 0x8100);
    put_vlan(&p, 0x1000, 0x88cc);
    put_payload(&p, 10);
    struct flow_key k;
    struct flow_layout lay;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    struct flow_key exp = key_l2(0x88cc);
    exp.vlan_tci = htons(FLOW_VLAN_PRESENT);
    exp.vlan_tpid = htons(0x8100);
    check_key(&k, &exp, "priority tag");
    check_layout(&lay, 14, NONE, NONE, NONE);
}

static void test_vlan_qinq(void **state)
{
    (void)state;
    static const uint16_t outer_tpids[] = {0x88a8, 0x8100};
    for (size_t i = 0; i < 2; i++) {
        struct pkt p = {0};
        put_eth(&p, outer_tpids[i]);
        put_vlan(&p, 0x0005, 0x8100);
        put_vlan(&p, 0xe123, 0x0800);
        size_t ip = put_ipv4(&p, 6, 0, 0);
        put_tcp(&p, 40000, 443, 0x012, 5);
        end_ipv4(&p, ip);

        struct flow_key k;
        struct flow_layout lay;
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
        struct flow_key exp = key_l2(0x0800);
        exp.vlan_tpid = htons(outer_tpids[i]);
        exp.vlan_tci = htons(0x0005 | FLOW_VLAN_PRESENT);
        exp.vlan_inner_tci = htons(0xe123 | FLOW_VLAN_PRESENT);
        key_ipv4(&exp, 6);
        key_ports(&exp, 40000, 443);
        exp.tcp_flags = htons(0x012);
        check_key(&k, &exp, "QinQ TCP");
        check_layout(&lay, 14, 22, 42, 62);
    }
}

static void test_vlan_three_tags(void **state)
{
    (void)state;
    struct pkt p = {0};
    put_eth(&p, 0x88a8);
    put_vlan(&p, 10, 0x8100);
    put_vlan(&p, 20, 0x8100);
    put_vlan(&p, 30, 0x0800);
    size_t ip = put_ipv4(&p, 17, 0, 0);
    put_udp(&p, 1, 2, 0);
    end_ipv4(&p, ip);

    struct flow_key k;
    struct flow_layout lay;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_VLAN_EXTRA);
    /* The third tag is not parsed: its TPID is what the frame carries after two tags. */
    struct flow_key exp = key_l2(0x8100);
    exp.vlan_tpid = htons(0x88a8);
    exp.vlan_tci = htons(10 | FLOW_VLAN_PRESENT);
    exp.vlan_inner_tci = htons(20 | FLOW_VLAN_PRESENT);
    exp.flags = FLOW_F_VLAN_EXTRA;
    check_key(&k, &exp, "three tags");
    check_layout(&lay, 14, NONE, NONE, NONE);
}

static void test_vlan_inner_length_field(void **state)
{
    (void)state;
    struct pkt p = {0};
    put_eth(&p, 0x8100);
    put_vlan(&p, 7, 100); /* 802.3 length after the tag */
    put_payload(&p, 42);
    struct flow_key k;
    struct flow_layout lay;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    struct flow_key exp = key_l2(FLOW_ETH_TYPE_NONE);
    exp.vlan_tpid = htons(0x8100);
    exp.vlan_tci = htons(7 | FLOW_VLAN_PRESENT);
    check_key(&k, &exp, "tagged 802.3");
}

/* ---- ARP -------------------------------------------------------------------------------- */

static void test_arp(void **state)
{
    (void)state;
    static const struct {
        uint16_t eth_type, op;
        uint8_t nw_proto;
    } cases[] = {
        {0x0806, 1, 1},         {0x0806, 2, 2},      {0x8035, 3, 3}, {0x8035, 4, 4},
        {0x0806, 0x00ff, 0xff}, {0x0806, 0x0101, 0}, /* opcodes > 255 do not fit nw_proto */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pkt p = {0};
        put_eth(&p, cases[i].eth_type);
        put_arp(&p, cases[i].op);
        put_zeros(&p, 18); /* Ethernet padding to 60 bytes */

        struct flow_key k;
        struct flow_layout lay;
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
        struct flow_key exp = key_l2(cases[i].eth_type);
        exp.nw_proto = cases[i].nw_proto;
        exp.nw_src = htonl(IP4_SRC);
        exp.nw_dst = htonl(IP4_DST);
        memcpy(exp.arp_sha, ARP_SHA, 6);
        memcpy(exp.arp_tha, ARP_THA, 6);
        check_key(&k, &exp, "ARP");
        check_layout(&lay, NONE, 14, NONE, NONE);
    }
}

static void test_arp_not_ethernet_ipv4(void **state)
{
    (void)state;
    /* hardware type, protocol type, hlen, plen: each one wrong in turn */
    static const size_t field_ofs[] = {14 + 1, 14 + 2, 14 + 4, 14 + 5};
    for (size_t i = 0; i < 4; i++) {
        struct pkt p = {0};
        put_eth(&p, 0x0806);
        put_arp(&p, 1);
        p.b[field_ofs[i]] ^= 0x40;
        struct flow_key k;
        struct flow_layout lay;
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_MALFORMED);
        struct flow_key exp = key_l2(0x0806);
        exp.flags = FLOW_F_MALFORMED;
        check_key(&k, &exp, "ARP with foreign address formats");
        check_layout(&lay, NONE, NONE, NONE, NONE);
    }
}

/* ---- IPv4 ------------------------------------------------------------------------------- */

static void test_ipv4_tcp(void **state)
{
    (void)state;
    struct pkt p = {0};
    put_eth(&p, 0x0800);
    size_t ip = put_ipv4(&p, 6, 0x4000 /* DF: not a fragment */, 0);
    put_tcp(&p, 0x8001, 80, 0xfff /* every flag incl. NS, ECE, CWR */, 5);
    put_payload(&p, 12);
    end_ipv4(&p, ip);

    struct flow_key k;
    struct flow_layout lay;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    struct flow_key exp = key_l2(0x0800);
    key_ipv4(&exp, 6);
    key_ports(&exp, 0x8001, 80);
    exp.tcp_flags = htons(0xfff);
    check_key(&k, &exp, "IPv4 TCP");
    check_layout(&lay, NONE, 14, 34, 54);
}

static void test_ipv4_options_tcp_options(void **state)
{
    (void)state;
    struct pkt p = {0};
    put_eth(&p, 0x0800);
    size_t ip = put_ipv4(&p, 6, 0, 3); /* IHL 8 */
    put_tcp(&p, 22, 50000, 0x018, 8);  /* data offset 8 */
    put_payload(&p, 5);
    end_ipv4(&p, ip);

    struct flow_key k;
    struct flow_layout lay;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    struct flow_key exp = key_l2(0x0800);
    key_ipv4(&exp, 6);
    key_ports(&exp, 22, 50000);
    exp.tcp_flags = htons(0x018);
    check_key(&k, &exp, "IPv4 options, TCP options");
    check_layout(&lay, NONE, 14, 14 + 32, 14 + 32 + 32);
}

static void test_ipv4_udp_padded(void **state)
{
    (void)state;
    /* A minimum-size frame: the IP total length, not the frame, bounds the packet. */
    struct pkt p = {0};
    put_eth(&p, 0x0800);
    size_t ip = put_ipv4(&p, 17, 0, 0);
    put_udp(&p, 68, 67, 0);
    end_ipv4(&p, ip);
    put_payload(&p, 60 - p.n);

    struct flow_key k;
    struct flow_layout lay;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    struct flow_key exp = key_l2(0x0800);
    key_ipv4(&exp, 17);
    key_ports(&exp, 68, 67);
    check_key(&k, &exp, "padded UDP");
    check_layout(&lay, NONE, 14, 34, 42);
}

static void test_ipv4_sctp_icmp_other(void **state)
{
    (void)state;
    struct flow_key k, exp;
    struct flow_layout lay;

    struct pkt p = {0};
    put_eth(&p, 0x0800);
    size_t ip = put_ipv4(&p, 132, 0, 0);
    put_sctp(&p, 2905, 3868);
    end_ipv4(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = key_l2(0x0800);
    key_ipv4(&exp, 132);
    key_ports(&exp, 2905, 3868);
    check_key(&k, &exp, "IPv4 SCTP");
    check_layout(&lay, NONE, 14, 34, 46);

    p = (struct pkt){0};
    put_eth(&p, 0x0800);
    ip = put_ipv4(&p, 1, 0, 0);
    put_icmp(&p, 3, 4); /* destination unreachable, fragmentation needed */
    put_payload(&p, 28);
    end_ipv4(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = key_l2(0x0800);
    key_ipv4(&exp, 1);
    key_ports(&exp, 3, 4);
    check_key(&k, &exp, "ICMPv4");
    check_layout(&lay, NONE, 14, 34, 42);
    assert_int_equal(k.tp_src, htons(3)); /* type as be16 of the 8-bit value */

    /* GRE: an IP protocol without ports; l4 still marks the payload. */
    p = (struct pkt){0};
    put_eth(&p, 0x0800);
    ip = put_ipv4(&p, 47, 0, 0);
    put_payload(&p, 8);
    end_ipv4(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = key_l2(0x0800);
    key_ipv4(&exp, 47);
    check_key(&k, &exp, "IPv4 GRE");
    check_layout(&lay, NONE, 14, 34, NONE);

    /* ICMPv6's protocol number inside IPv4 is just an unknown protocol. */
    p = (struct pkt){0};
    put_eth(&p, 0x0800);
    ip = put_ipv4(&p, 58, 0, 0);
    put_icmp(&p, 135, 0);
    end_ipv4(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = key_l2(0x0800);
    key_ipv4(&exp, 58);
    check_key(&k, &exp, "IPv4 proto 58");
}

static void test_ipv4_fragments(void **state)
{
    (void)state;
    struct flow_key k, exp;
    struct flow_layout lay;

    /* First fragment: MF set, offset 0, the L4 header is there. */
    struct pkt p = {0};
    put_eth(&p, 0x0800);
    size_t ip = put_ipv4(&p, 17, 0x2000, 0);
    put_udp(&p, 5000, 5001, 100);
    put_payload(&p, 16);
    end_ipv4(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = key_l2(0x0800);
    key_ipv4(&exp, 17);
    key_ports(&exp, 5000, 5001);
    exp.nw_frag = FLOW_NW_FRAG_ANY;
    check_key(&k, &exp, "first fragment");
    check_layout(&lay, NONE, 14, 34, 42);

    /* Later fragments, with and without MF: bytes that look like a UDP header are data. */
    static const uint16_t later[] = {0x2001, 0x0001, 0x1fff, 0x3000};
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
        p = (struct pkt){0};
        put_eth(&p, 0x0800);
        ip = put_ipv4(&p, 17, later[i], 0);
        put_udp(&p, 5000, 5001, 100);
        end_ipv4(&p, ip);
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
        exp = key_l2(0x0800);
        key_ipv4(&exp, 17);
        exp.nw_frag = FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER;
        check_key(&k, &exp, "later fragment");
        check_layout(&lay, NONE, 14, NONE, NONE);
    }
}

static void test_ipv4_malformed(void **state)
{
    (void)state;
    struct flow_key k, exp;
    struct flow_layout lay;

    /* IHL 0..4: the header cannot be shorter than 20 bytes. */
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        struct pkt p = {0};
        put_eth(&p, 0x0800);
        size_t ip = put_ipv4(&p, 6, 0, 0);
        put_tcp(&p, 1, 2, 0, 5);
        end_ipv4(&p, ip);
        p.b[ip] = (uint8_t)(0x40 | ihl);
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_MALFORMED);
        exp = key_l2(0x0800);
        exp.flags = FLOW_F_MALFORMED;
        check_key(&k, &exp, "IHL < 5");
        check_layout(&lay, NONE, NONE, NONE, NONE);
    }

    /* Versions other than 4 under EtherType 0x0800. */
    static const uint8_t bad_versions[] = {0x00, 0x65, 0xf5};
    for (size_t i = 0; i < sizeof bad_versions; i++) {
        struct pkt p = {0};
        put_eth(&p, 0x0800);
        size_t ip = put_ipv4(&p, 6, 0, 0);
        put_tcp(&p, 1, 2, 0, 5);
        end_ipv4(&p, ip);
        p.b[ip] = bad_versions[i];
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_MALFORMED);
        exp = key_l2(0x0800);
        exp.flags = FLOW_F_MALFORMED;
        check_key(&k, &exp, "IPv4 bad version");
    }

    /* Total length shorter than the header itself. */
    struct pkt p = {0};
    put_eth(&p, 0x0800);
    size_t ip = put_ipv4(&p, 6, 0, 2);
    put_tcp(&p, 1, 2, 0, 5);
    set16(&p, ip + 2, 24);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_MALFORMED);
    exp = key_l2(0x0800);
    exp.flags = FLOW_F_MALFORMED;
    check_key(&k, &exp, "total length < IHL");

    /* IHL pointing past the end of the frame. */
    p = (struct pkt){0};
    put_eth(&p, 0x0800);
    ip = put_ipv4(&p, 6, 0, 0);
    end_ipv4(&p, ip);
    p.b[ip] = 0x4f;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_TRUNCATED);
    exp = key_l2(0x0800);
    exp.flags = FLOW_F_TRUNCATED;
    check_key(&k, &exp, "IHL past the end");

    /* Total length larger than the frame: the IP layer cannot be trusted. */
    p = (struct pkt){0};
    put_eth(&p, 0x0800);
    ip = put_ipv4(&p, 17, 0, 0);
    put_udp(&p, 1, 2, 0);
    end_ipv4(&p, ip);
    set16(&p, ip + 2, 29);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_TRUNCATED);
    check_key(&k, &exp, "total length past the end");
}

static void test_ipv4_l4_cut_by_total_length(void **state)
{
    (void)state;
    /* The IP header is whole and honest, but its payload is shorter than an L4 header:
     * L3 stays, L4 is zero, and the bytes after tot_len (padding) are never used. */
    static const struct {
        uint8_t proto;
        uint16_t payload;
    } cases[] = {{6, 19}, {17, 7}, {132, 11}, {1, 7}, {6, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pkt p = {0};
        put_eth(&p, 0x0800);
        size_t ip = put_ipv4(&p, cases[i].proto, 0, 0);
        put_tcp(&p, 1, 2, 0x10, 5);
        put_payload(&p, 20);
        set16(&p, ip + 2, (uint16_t)(20 + cases[i].payload));

        struct flow_key k;
        struct flow_layout lay;
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_TRUNCATED);
        struct flow_key exp = key_l2(0x0800);
        key_ipv4(&exp, cases[i].proto);
        exp.flags = FLOW_F_TRUNCATED;
        check_key(&k, &exp, "L4 cut by IP total length");
        check_layout(&lay, NONE, 14, NONE, NONE);
    }

    /* TCP data offset below 5 is malformed; past the segment, truncated. */
    for (unsigned doff = 0; doff < 16; doff++) {
        struct pkt p = {0};
        put_eth(&p, 0x0800);
        size_t ip = put_ipv4(&p, 6, 0, 0);
        put_tcp(&p, 1, 2, 0x10, 5);
        put_payload(&p, 8); /* room for data offsets up to 7 */
        end_ipv4(&p, ip);
        p.b[34 + 12] = (uint8_t)(doff << 4);
        int want = doff < 5 ? FLOW_F_MALFORMED : doff > 7 ? FLOW_F_TRUNCATED : 0;
        struct flow_key k;
        struct flow_layout lay;
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), want);
        struct flow_key exp = key_l2(0x0800);
        key_ipv4(&exp, 6);
        if (want) {
            exp.flags = (uint16_t)want;
            check_layout(&lay, NONE, 14, NONE, NONE);
        } else {
            key_ports(&exp, 1, 2);
            exp.tcp_flags = htons(0x10);
            check_layout(&lay, NONE, 14, 34, (uint16_t)(34 + doff * 4));
        }
        check_key(&k, &exp, "TCP data offset");
    }
}

/* ---- IPv6 ------------------------------------------------------------------------------- */

static void test_ipv6_tcp_udp_sctp(void **state)
{
    (void)state;
    static const uint8_t protos[] = {6, 17, 132, 99};
    for (size_t i = 0; i < sizeof protos; i++) {
        struct pkt p = {0};
        put_eth(&p, 0x86dd);
        size_t ip = put_ipv6(&p, protos[i]);
        size_t hlen = 0;
        switch (protos[i]) {
        case 6:
            put_tcp(&p, 1234, 5678, 0x002, 5);
            hlen = 20;
            break;
        case 17:
            put_udp(&p, 1234, 5678, 3);
            hlen = 8;
            break;
        case 132:
            put_sctp(&p, 1234, 5678);
            hlen = 12;
            break;
        }
        put_payload(&p, 3);
        end_ipv6(&p, ip);

        struct flow_key k;
        struct flow_layout lay;
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
        struct flow_key exp = key_l2(0x86dd);
        key_ipv6(&exp, protos[i]);
        if (hlen)
            key_ports(&exp, 1234, 5678);
        if (protos[i] == 6)
            exp.tcp_flags = htons(0x002);
        check_key(&k, &exp, "IPv6 L4");
        check_layout(&lay, NONE, 14, 54, hlen ? (uint16_t)(54 + hlen) : NONE);
    }
}

static void test_ipv6_extension_headers(void **state)
{
    (void)state;
    /* hop-by-hop -> routing (24 bytes) -> destination options -> AH -> UDP */
    struct pkt p = {0};
    put_eth(&p, 0x86dd);
    size_t ip = put_ipv6(&p, 0);
    put_ext6(&p, 43, 0);
    put_ext6(&p, 60, 2);
    put_ext6(&p, 51, 1);
    put8(&p, 17); /* AH: next header, payload len 4 => (4 + 2) * 4 = 24 bytes */
    put8(&p, 4);
    put_zeros(&p, 22);
    put_udp(&p, 546, 547, 0);
    end_ipv6(&p, ip);

    struct flow_key k;
    struct flow_layout lay;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    struct flow_key exp = key_l2(0x86dd);
    key_ipv6(&exp, 17);
    key_ports(&exp, 546, 547);
    check_key(&k, &exp, "IPv6 extension chain");
    uint16_t l4 = 14 + 40 + 8 + 24 + 16 + 24;
    check_layout(&lay, NONE, 14, l4, (uint16_t)(l4 + 8));

    /* No next header: nothing after the chain, so no l4 either (it would be == len). */
    p = (struct pkt){0};
    put_eth(&p, 0x86dd);
    ip = put_ipv6(&p, 60);
    put_ext6(&p, 59, 0);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = key_l2(0x86dd);
    key_ipv6(&exp, 59);
    check_key(&k, &exp, "no next header");
    check_layout(&lay, NONE, 14, NONE, NONE);

    /* Trailing bytes after it (a payload the protocol does not announce) get an l4. */
    put_payload(&p, 4);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    check_key(&k, &exp, "no next header, trailing bytes");
    check_layout(&lay, NONE, 14, 62, NONE);
}

static void test_ipv6_fragments(void **state)
{
    (void)state;
    struct flow_key k, exp;
    struct flow_layout lay;

    /* First fragment (offset 0, M=1), and an atomic fragment (offset 0, M=0): L4 parsed. */
    for (int more = 1; more >= 0; more--) {
        struct pkt p = {0};
        put_eth(&p, 0x86dd);
        size_t ip = put_ipv6(&p, 0);
        put_ext6(&p, 44, 0);
        put_frag6(&p, 6, 0, more);
        put_tcp(&p, 179, 33000, 0x011, 5);
        end_ipv6(&p, ip);
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
        exp = key_l2(0x86dd);
        key_ipv6(&exp, 6);
        key_ports(&exp, 179, 33000);
        exp.tcp_flags = htons(0x011);
        exp.nw_frag = FLOW_NW_FRAG_ANY;
        check_key(&k, &exp, "IPv6 first fragment");
        check_layout(&lay, NONE, 14, 70, 90);
    }

    /* Later fragment: nw_proto is the fragment header's next header, no L4. */
    struct pkt p = {0};
    put_eth(&p, 0x86dd);
    size_t ip = put_ipv6(&p, 44);
    put_frag6(&p, 17, 185, 0);
    put_udp(&p, 1, 2, 0);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = key_l2(0x86dd);
    key_ipv6(&exp, 17);
    exp.nw_frag = FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER;
    check_key(&k, &exp, "IPv6 later fragment");
    check_layout(&lay, NONE, 14, NONE, NONE);
}

static void test_ipv6_malformed_and_cut(void **state)
{
    (void)state;
    struct flow_key k, exp;
    struct flow_layout lay;

    /* Version 4 (and 0, 15) under EtherType 0x86dd. */
    static const uint8_t bad_versions[] = {0x40, 0x00, 0xf0};
    for (size_t i = 0; i < sizeof bad_versions; i++) {
        struct pkt p = {0};
        put_eth(&p, 0x86dd);
        size_t ip = put_ipv6(&p, 17);
        put_udp(&p, 1, 2, 0);
        end_ipv6(&p, ip);
        p.b[ip] = (uint8_t)(bad_versions[i] | (p.b[ip] & 0x0f));
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_MALFORMED);
        exp = key_l2(0x86dd);
        exp.flags = FLOW_F_MALFORMED;
        check_key(&k, &exp, "IPv6 bad version");
        check_layout(&lay, NONE, NONE, NONE, NONE);
    }

    /* Payload length past the frame. */
    struct pkt p = {0};
    put_eth(&p, 0x86dd);
    size_t ip = put_ipv6(&p, 17);
    put_udp(&p, 1, 2, 0);
    set16(&p, ip + 4, 9);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_TRUNCATED);
    exp = key_l2(0x86dd);
    exp.flags = FLOW_F_TRUNCATED;
    check_key(&k, &exp, "IPv6 payload length past the end");

    /* Extension headers cut by the payload length: nw_proto names the header that was cut. */
    static const struct {
        uint8_t first;
        uint8_t units;
        uint16_t plen;
    } cuts[] = {{0, 0, 7}, {0, 1, 15}, {43, 0, 4}, {60, 3, 31}, {44, 0, 7}, {51, 1, 11}};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        p = (struct pkt){0};
        put_eth(&p, 0x86dd);
        ip = put_ipv6(&p, cuts[i].first);
        if (cuts[i].first == 44)
            put_frag6(&p, 17, 0, 1);
        else
            put_ext6(&p, 17, cuts[i].units);
        put_udp(&p, 1, 2, 0);
        set16(&p, ip + 4, cuts[i].plen);
        assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_TRUNCATED);
        exp = key_l2(0x86dd);
        key_ipv6(&exp, cuts[i].first);
        exp.flags = FLOW_F_TRUNCATED;
        check_key(&k, &exp, "IPv6 extension header cut");
        check_layout(&lay, NONE, 14, NONE, NONE);
    }

    /* UDP cut by the payload length. */
    p = (struct pkt){0};
    put_eth(&p, 0x86dd);
    ip = put_ipv6(&p, 17);
    put_udp(&p, 1, 2, 0);
    set16(&p, ip + 4, 7);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_TRUNCATED);
    exp = key_l2(0x86dd);
    key_ipv6(&exp, 17);
    exp.flags = FLOW_F_TRUNCATED;
    check_key(&k, &exp, "IPv6 UDP cut");
}

/* ---- ICMPv6 and Neighbor Discovery ------------------------------------------------------ */

static void test_icmpv6_echo(void **state)
{
    (void)state;
    struct pkt p = {0};
    put_eth(&p, 0x86dd);
    size_t ip = put_ipv6(&p, 58);
    put_icmp(&p, 128, 0);
    put_payload(&p, 16);
    end_ipv6(&p, ip);
    struct flow_key k;
    struct flow_layout lay;
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    struct flow_key exp = key_l2(0x86dd);
    key_ipv6(&exp, 58);
    key_ports(&exp, 128, 0);
    check_key(&k, &exp, "ICMPv6 echo");
    check_layout(&lay, NONE, 14, 54, 62);

    /* ICMPv4's number inside IPv6 is not ICMP. */
    p = (struct pkt){0};
    put_eth(&p, 0x86dd);
    ip = put_ipv6(&p, 1);
    put_icmp(&p, 8, 0);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = key_l2(0x86dd);
    key_ipv6(&exp, 1);
    check_key(&k, &exp, "IPv6 proto 1");
    check_layout(&lay, NONE, 14, 54, NONE);
}

static size_t build_nd(struct pkt *p, uint8_t type, uint8_t code)
{
    put_eth(p, 0x86dd);
    size_t ip = put_ipv6(p, 58);
    put8(p, type);
    put8(p, code);
    put16(p, 0);
    put32(p, type == 136 ? 0x60000000 : 0); /* NA: solicited, override */
    put(p, ND_TARGET, 16);
    return ip;
}

static struct flow_key nd_key(uint8_t type)
{
    struct flow_key exp = key_l2(0x86dd);
    key_ipv6(&exp, 58);
    key_ports(&exp, type, 0);
    memcpy(exp.nd_target, ND_TARGET, 16);
    return exp;
}

static void test_nd(void **state)
{
    (void)state;
    struct flow_key k, exp;
    struct flow_layout lay;
    struct pkt p;
    size_t ip;

    /* NS with SLL, after an unknown option (nonce, 1 unit). */
    p = (struct pkt){0};
    ip = build_nd(&p, 135, 0);
    put_nd_opt(&p, 14, ARP_THA);
    put_nd_opt(&p, 1, ARP_SHA);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = nd_key(135);
    memcpy(exp.arp_sha, ARP_SHA, 6);
    check_key(&k, &exp, "NS with SLL");
    check_layout(&lay, NONE, 14, 54, 62);

    /* NA with TLL; a second TLL does not override the first. */
    p = (struct pkt){0};
    ip = build_nd(&p, 136, 0);
    put_nd_opt(&p, 2, ARP_THA);
    put_nd_opt(&p, 2, ARP_SHA);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = nd_key(136);
    memcpy(exp.arp_tha, ARP_THA, 6);
    check_key(&k, &exp, "NA with TLL");

    /* NS without options; NA carrying only an SLL (not its kind: ignored). */
    p = (struct pkt){0};
    ip = build_nd(&p, 135, 0);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = nd_key(135);
    check_key(&k, &exp, "NS without options");

    p = (struct pkt){0};
    ip = build_nd(&p, 136, 0);
    put_nd_opt(&p, 1, ARP_SHA);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = nd_key(136);
    check_key(&k, &exp, "NA with SLL only");

    /* A 2-unit link-layer option (not Ethernet-sized) is skipped. */
    p = (struct pkt){0};
    ip = build_nd(&p, 135, 0);
    put8(&p, 1);
    put8(&p, 2);
    put_zeros(&p, 14);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = nd_key(135);
    check_key(&k, &exp, "NS with long SLL");

    /* ND code must be 0: otherwise it is plain ICMPv6. */
    p = (struct pkt){0};
    ip = build_nd(&p, 135, 1);
    put_nd_opt(&p, 1, ARP_SHA);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), 0);
    exp = key_l2(0x86dd);
    key_ipv6(&exp, 58);
    key_ports(&exp, 135, 1);
    check_key(&k, &exp, "NS with code 1");
}

static void test_nd_bad_options(void **state)
{
    (void)state;
    struct flow_key k, exp;
    struct flow_layout lay;
    struct pkt p;
    size_t ip;

    /* Zero-length option after a good SLL: the option area is invalid, the target stays. */
    p = (struct pkt){0};
    ip = build_nd(&p, 135, 0);
    put_nd_opt(&p, 1, ARP_SHA);
    put8(&p, 14);
    put8(&p, 0);
    put_zeros(&p, 6);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_MALFORMED);
    exp = nd_key(135);
    exp.flags = FLOW_F_MALFORMED;
    check_key(&k, &exp, "ND zero-length option");
    check_layout(&lay, NONE, 14, 54, 62);

    /* Option longer than the packet. */
    p = (struct pkt){0};
    ip = build_nd(&p, 136, 0);
    put_nd_opt(&p, 2, ARP_THA);
    put8(&p, 2);
    put8(&p, 3);
    put_zeros(&p, 6);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_TRUNCATED);
    exp = nd_key(136);
    exp.flags = FLOW_F_TRUNCATED;
    check_key(&k, &exp, "ND option past the end");

    /* One stray byte after the last option. */
    p = (struct pkt){0};
    ip = build_nd(&p, 135, 0);
    put_nd_opt(&p, 1, ARP_SHA);
    put8(&p, 1);
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_TRUNCATED);
    exp = nd_key(135);
    exp.flags = FLOW_F_TRUNCATED;
    check_key(&k, &exp, "ND stray byte");

    /* Message shorter than the target: type and code stay, no ND field. */
    p = (struct pkt){0};
    ip = build_nd(&p, 135, 0);
    p.n -= 1;
    end_ipv6(&p, ip);
    assert_int_equal(parse_exact(p.b, p.n, &k, &lay), FLOW_F_TRUNCATED);
    exp = key_l2(0x86dd);
    key_ipv6(&exp, 58);
    key_ports(&exp, 135, 0);
    exp.flags = FLOW_F_TRUNCATED;
    check_key(&k, &exp, "ND without a whole target");
    check_layout(&lay, NONE, 14, 54, 62);
}

/* ---- Truncation at every length --------------------------------------------------------- */

/* What a frame looks like to the parser when only its first L bytes are there:
 * the tags that are whole, and L3 and above only when the whole L3 packet is. */
struct frame_shape {
    const char *name;
    struct pkt p;
    unsigned n_tags; /* VLAN tags after the Ethernet header */
    size_t l3_end;   /* first length at which the L3 layer (and all above) is valid */
};

static void check_every_length(const struct frame_shape *s)
{
    struct flow_key full, k, exp;
    struct flow_layout full_lay, lay;
    int full_rc = parse_exact(s->p.b, s->p.n, &full, &full_lay);
    assert_int_equal(full_rc, 0);

    for (size_t len = 0; len <= s->p.n; len++) {
        char what[96];
        snprintf(what, sizeof what, "%s cut to %zu of %zu bytes", s->name, len, s->p.n);
        int rc = parse_exact(s->p.b, len, &k, &lay);

        if (len >= s->l3_end) {
            assert_int_equal(rc, 0);
            check_key(&k, &full, what);
            assert_memory_equal(&lay, &full_lay, sizeof lay);
            continue;
        }
        assert_int_equal(rc, FLOW_F_TRUNCATED);
        exp = full;
        clear_from_l3(&exp);
        exp.flags = FLOW_F_TRUNCATED;
        struct flow_layout exp_lay = {0, NONE, NONE, NONE, NONE};
        if (len < 14) {
            exp = (struct flow_key){.in_port = IN_PORT, .flags = FLOW_F_TRUNCATED};
        } else if (s->n_tags >= 1 && len < 18) {
            exp.eth_type = full.vlan_tpid;
            exp.vlan_tpid = 0;
            exp.vlan_tci = 0;
            exp.vlan_inner_tci = 0;
        } else if (s->n_tags >= 2 && len < 22) {
            exp.eth_type = htons((uint16_t)(s->p.b[16] << 8 | s->p.b[17]));
            exp.vlan_inner_tci = 0;
            exp_lay.l2_5 = 14;
        } else {
            exp_lay.l2_5 = s->n_tags ? 14 : NONE;
        }
        check_key(&k, &exp, what);
        assert_memory_equal(&lay, &exp_lay, sizeof lay);
    }
}

static void test_truncated_every_length(void **state)
{
    (void)state;
    static struct frame_shape shapes[7];
    size_t n = 0, ip;
    struct pkt *p;

    shapes[n] = (struct frame_shape){.name = "802.1Q IPv4 options TCP", .n_tags = 1};
    p = &shapes[n].p;
    put_eth(p, 0x8100);
    put_vlan(p, 0x2005, 0x0800);
    ip = put_ipv4(p, 6, 0, 2);
    put_tcp(p, 1000, 2000, 0x018, 6);
    put_payload(p, 7);
    end_ipv4(p, ip);
    shapes[n++].l3_end = p->n;

    shapes[n] = (struct frame_shape){.name = "QinQ IPv6 HBH frag UDP", .n_tags = 2};
    p = &shapes[n].p;
    put_eth(p, 0x88a8);
    put_vlan(p, 0x0064, 0x8100);
    put_vlan(p, 0x00c8, 0x86dd);
    ip = put_ipv6(p, 0);
    put_ext6(p, 44, 1);
    put_frag6(p, 17, 0, 1);
    put_udp(p, 53, 5353, 9);
    put_payload(p, 9);
    end_ipv6(p, ip);
    shapes[n++].l3_end = p->n;

    shapes[n] = (struct frame_shape){.name = "ARP reply"};
    p = &shapes[n].p;
    put_eth(p, 0x0806);
    put_arp(p, 2);
    shapes[n++].l3_end = p->n;

    shapes[n] = (struct frame_shape){.name = "ND NS with SLL"};
    p = &shapes[n].p;
    ip = build_nd(p, 135, 0);
    put_nd_opt(p, 1, ARP_SHA);
    end_ipv6(p, ip);
    shapes[n++].l3_end = p->n;

    shapes[n] = (struct frame_shape){.name = "ICMPv4 padded to 60"};
    p = &shapes[n].p;
    put_eth(p, 0x0800);
    ip = put_ipv4(p, 1, 0, 0);
    put_icmp(p, 8, 0);
    put_payload(p, 2);
    end_ipv4(p, ip);
    shapes[n].l3_end = p->n;
    put_zeros(p, 60 - p->n);
    n++;

    shapes[n] = (struct frame_shape){.name = "IPv6 SCTP"};
    p = &shapes[n].p;
    put_eth(p, 0x86dd);
    ip = put_ipv6(p, 132);
    put_sctp(p, 9, 10);
    put_payload(p, 4);
    end_ipv6(p, ip);
    shapes[n++].l3_end = p->n;

    shapes[n] = (struct frame_shape){.name = "802.1ad ARP", .n_tags = 1};
    p = &shapes[n].p;
    put_eth(p, 0x88a8);
    put_vlan(p, 0x0fff, 0x0806);
    put_arp(p, 1);
    shapes[n++].l3_end = p->n;

    for (size_t i = 0; i < n; i++)
        check_every_length(&shapes[i]);
}

/* ---- Matches and hashing ---------------------------------------------------------------- */

static void fill_pattern(void *buf, size_t n, uint32_t seed)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(seed >> 16);
    }
}

static void test_match_normalize_equal(void **state)
{
    (void)state;
    struct flow_match m;
    fill_pattern(&m.value, sizeof m.value, 1);
    fill_pattern(&m.mask, sizeof m.mask, 2);
    struct flow_match raw = m;
    flow_match_normalize(&m);

    assert_int_equal(m.mask.flags, 0);
    assert_int_equal(m.mask.pad0, 0);
    assert_int_equal(m.mask.pad1[0] | m.mask.pad1[1] | m.mask.pad1[2], 0);
    const uint8_t *v = (const uint8_t *)&m.value, *mk = (const uint8_t *)&m.mask;
    const uint8_t *rv = (const uint8_t *)&raw.value, *rmk = (const uint8_t *)&raw.mask;
    for (size_t i = 0; i < sizeof m.value; i++) {
        assert_int_equal(v[i], rv[i] & mk[i]);
        bool pad = i >= offsetof(struct flow_key, pad0) && i < offsetof(struct flow_key, pad0) + 2;
        pad |= i >= offsetof(struct flow_key, flags);
        assert_int_equal(mk[i], pad ? 0 : rmk[i]);
    }
    /* Normalizing twice changes nothing. */
    struct flow_match again = m;
    flow_match_normalize(&again);
    assert_memory_equal(&again, &m, sizeof m);

    /* equal: reflexive, blind to value bits outside the mask, sensitive to mask and value. */
    assert_true(flow_match_equal(&m, &m));
    struct flow_match b = m;
    b.value.nw_src |= ~b.mask.nw_src;
    assert_true(flow_match_equal(&m, &b));
    b = m;
    b.mask.tp_dst ^= htons(1);
    assert_false(flow_match_equal(&m, &b));
    b = m;
    b.mask.eth_dst[0] = 0xff;
    m.mask.eth_dst[0] = 0xff;
    b.value.eth_dst[0] = (uint8_t)(m.value.eth_dst[0] ^ 0x80);
    assert_false(flow_match_equal(&m, &b));
}

static void test_match_hit_parsed(void **state)
{
    (void)state;
    struct pkt p = {0};
    put_eth(&p, 0x0800);
    size_t ip = put_ipv4(&p, 6, 0, 0);
    put_tcp(&p, 40000, 80, 0x002, 5);
    end_ipv4(&p, ip);
    struct flow_key k;
    struct flow_layout lay;
    parse_exact(p.b, p.n, &k, &lay);

    /* "tcp,nw_dst=192.168.0.0/16,tp_dst=80" */
    struct flow_match m = {0};
    m.mask.eth_type = 0xffff;
    m.value.eth_type = htons(0x0800);
    m.mask.nw_proto = 0xff;
    m.value.nw_proto = 6;
    m.mask.nw_dst = htonl(0xffff0000);
    m.value.nw_dst = htonl(0xc0a80000);
    m.mask.tp_dst = 0xffff;
    m.value.tp_dst = htons(80);
    m.mask.flags = 0xffff; /* must be ignored once normalized */
    flow_match_normalize(&m);
    assert_true(flow_match_hit(&m, &k));

    k.flags = FLOW_F_TRUNCATED;
    assert_true(flow_match_hit(&m, &k));
    k.tp_dst = htons(81);
    assert_false(flow_match_hit(&m, &k));
    k.tp_dst = htons(80);
    k.nw_dst = htonl(0xc0a90102);
    assert_false(flow_match_hit(&m, &k));

    struct flow_match all = {0};
    assert_true(flow_match_hit(&all, &k));
}

static void test_hash(void **state)
{
    (void)state;
    struct flow_key k;
    fill_pattern(&k, sizeof k, 42);
    uint32_t h = flow_key_hash(&k, 0);
    assert_int_equal(h, flow_key_hash(&k, 0));
    assert_int_not_equal(h, flow_key_hash(&k, 1));

    /* Avalanche: each single-bit change in the key moves about half of the output bits. */
    unsigned long total = 0;
    unsigned min_flips = 32;
    for (size_t bit = 0; bit < sizeof k * 8; bit++) {
        struct flow_key c = k;
        ((uint8_t *)&c)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        unsigned flips = (unsigned)__builtin_popcount(h ^ flow_key_hash(&c, 0));
        total += flips;
        if (flips < min_flips)
            min_flips = flips;
    }
    double mean = (double)total / (sizeof k * 8);
    assert_true(mean > 14.5 && mean < 17.5);
    assert_true(min_flips >= 4);

    /* Not affine over GF(2) (as CRC alone is): then h(x)^h(y)^h(z) == h(x^y^z) always,
     * and crafted keys would collide whatever the basis. */
    unsigned affine = 0;
    for (uint32_t t = 0; t < 100; t++) {
        struct flow_key x, y, z, xyz;
        fill_pattern(&x, sizeof x, 3 * t + 100);
        fill_pattern(&y, sizeof y, 3 * t + 101);
        fill_pattern(&z, sizeof z, 3 * t + 102);
        for (size_t i = 0; i < sizeof x; i++)
            ((uint8_t *)&xyz)[i] = ((uint8_t *)&x)[i] ^ ((uint8_t *)&y)[i] ^ ((uint8_t *)&z)[i];
        affine += (flow_key_hash(&x, 5) ^ flow_key_hash(&y, 5) ^ flow_key_hash(&z, 5)) ==
                  flow_key_hash(&xyz, 5);
    }
    assert_true(affine <= 1);

    /* Keys that differ only in a 16-bit port and a 32-bit address rarely collide:
     * 65536 keys in 2^32 buckets expect ~0.5 collisions. */
    enum { N = 65536 };
    uint32_t *hs = malloc(N * sizeof *hs);
    assert_non_null(hs);
    struct flow_key base = {.in_port = 1, .eth_type = htons(0x0800), .nw_proto = 6};
    for (uint32_t i = 0; i < N; i++) {
        struct flow_key c = base;
        c.tp_src = htons((uint16_t)i);
        c.nw_src = htonl(0x0a000000 | (i >> 4));
        hs[i] = flow_key_hash(&c, 0x9e3779b9);
    }
    unsigned collisions = 0, low_bucket[256] = {0};
    /* Duplicates counted with an open-addressed set. */
    uint32_t *set = calloc(4 * N, sizeof *set);
    uint8_t *used = calloc(4 * N, 1);
    assert_non_null(set);
    assert_non_null(used);
    for (uint32_t i = 0; i < N; i++) {
        low_bucket[hs[i] & 0xff]++;
        uint32_t slot = hs[i] & (4 * N - 1);
        while (used[slot] && set[slot] != hs[i])
            slot = (slot + 1) & (4 * N - 1);
        if (used[slot])
            collisions++;
        used[slot] = 1;
        set[slot] = hs[i];
    }
    assert_true(collisions <= 4);
    /* Low bits spread evenly (EMC-style bucket index): 256 buckets of 256 expected each. */
    for (int b = 0; b < 256; b++)
        assert_true(low_bucket[b] > 180 && low_bucket[b] < 340);
    free(set);
    free(used);
    free(hs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_short),
        cmocka_unit_test(test_eth_unknown_type),
        cmocka_unit_test(test_eth_8023_length),
        cmocka_unit_test(test_vlan_8021q),
        cmocka_unit_test(test_vlan_vid0_dei),
        cmocka_unit_test(test_vlan_qinq),
        cmocka_unit_test(test_vlan_three_tags),
        cmocka_unit_test(test_vlan_inner_length_field),
        cmocka_unit_test(test_arp),
        cmocka_unit_test(test_arp_not_ethernet_ipv4),
        cmocka_unit_test(test_ipv4_tcp),
        cmocka_unit_test(test_ipv4_options_tcp_options),
        cmocka_unit_test(test_ipv4_udp_padded),
        cmocka_unit_test(test_ipv4_sctp_icmp_other),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_ipv4_malformed),
        cmocka_unit_test(test_ipv4_l4_cut_by_total_length),
        cmocka_unit_test(test_ipv6_tcp_udp_sctp),
        cmocka_unit_test(test_ipv6_extension_headers),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_ipv6_malformed_and_cut),
        cmocka_unit_test(test_icmpv6_echo),
        cmocka_unit_test(test_nd),
        cmocka_unit_test(test_nd_bad_options),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_match_normalize_equal),
        cmocka_unit_test(test_match_hit_parsed),
        cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests_name("flow-key", tests, NULL, NULL);
}
