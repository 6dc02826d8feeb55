/* test-sluice-gen.c — the traffic generator's pure parts: option parsing, packet templates,
 * the probe stamp, echo reflection and the latency histogram. The generator's own .c files
 * are compiled in here (they need no DPDK), so the bench executable stays the only DPDK app.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/sluice-gen-opts.c"
#include "bench/sluice-gen-pkt.c"
#include "bench/sluice-gen-stats.c"

static int parse(struct gen_opts *o, const char *line, char *err, size_t errlen)
{
    char buf[512];
    char *argv[32];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    argv[argc++] = "sluice-gen";
    for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    FILE *f = fmemopen(err, errlen, "w");
    int rc = gen_opts_parse(o, argc, argv, f);
    fclose(f);
    return rc;
}

static void test_opts_defaults_and_values(void **state)
{
    (void)state;
    struct gen_opts o;
    char err[512] = "";
    assert_int_equal(parse(&o, "", err, sizeof err), 0);
    assert_int_equal(o.mode, GEN_MODE_TXRX);
    assert_int_equal(o.size, 64);
    assert_int_equal(o.vlan, -1);
    assert_true(o.min_rx_ratio < 0);

    assert_int_equal(parse(&o, "--mode echo --rate 1000 --size 9000 --flows 7 --vlan 100 "
                               "--duration 1.5 --count 9 --src-mac 02:00:00:00:00:aa,02:00:00:00:00:bb "
                               "--dst-ip 198.18.5.5 --tx-ports 0,2 --expect-rx 3",
                           err, sizeof err),
                     0);
    assert_int_equal(o.mode, GEN_MODE_ECHO);
    assert_int_equal(o.rate_pps, 1000);
    assert_int_equal(o.size, 9000);
    assert_int_equal(o.flows, 7);
    assert_int_equal(o.vlan, 100);
    assert_true(o.duration_s > 1.49 && o.duration_s < 1.51);
    assert_int_equal(o.count, 9);
    assert_int_equal(o.n_addr, 2);
    assert_int_equal(o.addr[1].src_mac[5], 0xbb);
    assert_true(o.addr[1].src_mac_set);
    assert_false(o.addr[1].dst_ip_set);
    assert_int_equal(o.addr[0].dst_ip, (198u << 24) | (18u << 16) | (5u << 8) | 5u);
    assert_int_equal(o.tx_port_mask, 0x5);
    assert_true(o.expect_rx_set);
    assert_int_equal(o.expect_rx, 3);
}

static void test_opts_errors_name_the_option(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *needle;
    } cases[] = {
        {"--mode bogus", "--mode 'bogus'"},
        {"--size 63", "--size '63'"},
        {"--size 9001", "--size '9001'"},
        {"--size 64x", "--size '64x'"},
        {"--rate -5", "--rate '-5'"},
        {"--flows 0", "--flows '0'"},
        {"--vlan 4096", "--vlan '4096'"},
        {"--src-mac 02:00:00:00:00", "not a MAC"},
        {"--src-mac 02:00:00:00:00:100", "not a MAC"},
        {"--dst-ip 300.1.1.1", "not an IPv4"},
        {"--duration abc", "--duration 'abc'"},
        {"--udp-ports 1:0", "--udp-ports"},
        {"--tx-ports 16", "--tx-ports"},
        {"--frobnicate", "unknown option '--frobnicate'"},
        {"--rate", "needs a value"},
        {"stray", "unexpected argument 'stray'"},
        {"--mode rx --min-rx-ratio 0.5", "needs --mode txrx"},
        {"--min-rx-ratio 1.5", "--min-rx-ratio '1.5'"},
        {"--stats-interval 0.001", "at least 0.01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gen_opts o;
        char err[512] = "";
        int rc = parse(&o, cases[i].line, err, sizeof err);
        if (rc != -1 || !strstr(err, cases[i].needle)) {
            fail_msg("'%s': rc %d, message '%s' lacks '%s'", cases[i].line, rc, err,
                     cases[i].needle);
        }
    }
}

static void test_port_defaults_pair_ports(void **state)
{
    (void)state;
    struct gen_port_addr a[3];
    memset(a, 0, sizeof a);
    for (unsigned i = 0; i < 3; i++)
        gen_port_addr_defaults(&a[i], i, 3);
    assert_int_equal(a[0].src_mac[5], 1);
    assert_int_equal(a[0].dst_mac[5], 2);
    assert_int_equal(a[1].dst_mac[5], 1);
    assert_int_equal(a[2].dst_mac[5], 1); /* odd one out talks to port 0 */
    assert_int_equal(a[2].src_ip & 0xffffff00u, (198u << 24) | (18u << 16) | (2u << 8));
    /* User-given values survive. */
    struct gen_port_addr b = {.dst_mac = {2, 0, 0, 0, 0, 9}, .dst_mac_set = true};
    gen_port_addr_defaults(&b, 0, 2);
    assert_int_equal(b.dst_mac[5], 9);
}

static uint16_t csum(const uint8_t *h)
{
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void build(struct gen_template *t, const char *line)
{
    struct gen_opts o;
    char err[256];
    assert_int_equal(parse(&o, line, err, sizeof err), 0);
    gen_port_addr_defaults(&o.addr[0], 0, 2);
    gen_template_build(t, &o.addr[0], &o);
}

static void test_template_and_stamp_roundtrip(void **state)
{
    (void)state;
    struct gen_template t;
    build(&t, "--size 64");
    assert_int_equal(t.hdr_len, 42);
    uint8_t pkt[64];
    memset(pkt, 0xee, sizeof pkt);
    gen_packet_write(&t, pkt, 0, 0xabc1, UINT64_C(0x123456789abc), UINT64_C(0xfedcba987654));
    assert_int_equal(pkt[12], 0x08);
    assert_int_equal(pkt[13], 0x00);
    assert_int_equal(pkt[14 + 2] << 8 | pkt[14 + 3], 50); /* IPv4 total length */
    assert_int_equal(pkt[34 + 4] << 8 | pkt[34 + 5], 30); /* UDP length */
    assert_int_equal(csum(pkt + 14), 0);                   /* header checksum verifies */
    struct gen_stamp s;
    assert_true(gen_stamp_parse(pkt, sizeof pkt, &s));
    assert_int_equal(s.stream, 0xabc1);
    assert_int_equal(s.seq, UINT64_C(0x123456789abc));
    assert_int_equal(s.tsc, UINT64_C(0xfedcba987654));

    /* Every truncation before the end of the stamp is rejected, never over-read. */
    for (size_t len = 0; len < 42 + GEN_STAMP_LEN; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, pkt, len);
        assert_false(gen_stamp_parse(copy, len, &s));
        free(copy);
    }
    /* Not our magic, not UDP, not IPv4: no stamp. */
    pkt[42] ^= 0xff;
    assert_false(gen_stamp_parse(pkt, sizeof pkt, &s));
    pkt[42] ^= 0xff;
    pkt[14 + 9] = 6;
    assert_false(gen_stamp_parse(pkt, sizeof pkt, &s));
    pkt[14 + 9] = 17;
    pkt[12] = 0x86;
    pkt[13] = 0xdd;
    assert_false(gen_stamp_parse(pkt, sizeof pkt, &s));
}

static void test_vlan_and_flows(void **state)
{
    (void)state;
    struct gen_template t;
    build(&t, "--size 64 --vlan 300 --udp-ports 65000:53");
    assert_int_equal(t.hdr_len, 46);
    uint8_t pkt[64];
    /* Flow 0 keeps the base port; later flows wrap within 1024..65535 and then move the
     * source IP, with a valid checksum. */
    gen_packet_write(&t, pkt, 0, 1, 0, 0);
    assert_int_equal(pkt[12] << 8 | pkt[13], 0x8100);
    assert_int_equal((pkt[14] << 8 | pkt[15]) & 0xfff, 300);
    assert_int_equal(pkt[38] << 8 | pkt[39], 65000);
    struct gen_stamp s;
    assert_true(gen_stamp_parse(pkt, sizeof pkt, &s));
    gen_packet_write(&t, pkt, 600, 1, 0, 0);
    assert_int_equal(pkt[38] << 8 | pkt[39], 1024 + (65000 - 1024 + 600) % (65536 - 1024));
    assert_int_equal(pkt[18 + 15], 2); /* source IP moved by one */
    assert_int_equal(csum(pkt + 18), 0);
}

static void test_reflect_swaps_and_keeps_checksum(void **state)
{
    (void)state;
    struct gen_template t;
    build(&t, "--size 64 --udp-ports 1111:2222");
    uint8_t pkt[64], orig[64];
    gen_packet_write(&t, pkt, 0, 7, 5, 9);
    memcpy(orig, pkt, sizeof pkt);
    gen_packet_reflect(pkt, sizeof pkt);
    assert_memory_equal(pkt, orig + 6, 6);
    assert_memory_equal(pkt + 6, orig, 6);
    assert_memory_equal(pkt + 26, orig + 30, 4);
    assert_memory_equal(pkt + 30, orig + 26, 4);
    assert_int_equal(pkt[34] << 8 | pkt[35], 2222);
    assert_int_equal(pkt[36] << 8 | pkt[37], 1111);
    assert_int_equal(csum(pkt + 14), 0);
    assert_memory_equal(pkt + 42, orig + 42, 22); /* payload and stamp untouched */
    /* Short frames: only what fits is touched, nothing read past the end. */
    uint8_t small[20];
    memcpy(small, orig, sizeof small);
    gen_packet_reflect(small, sizeof small);
    assert_memory_equal(small, orig + 6, 6);
    gen_packet_reflect(small, 5);
}

static void test_histogram_percentiles(void **state)
{
    (void)state;
    struct gen_port_stats *s = malloc(sizeof *s);
    gen_stats_init(s);
    assert_int_equal(gen_hist_percentile(s, 50), 0);
    for (uint64_t v = 1; v <= 10000; v++)
        gen_hist_add(s, v * 100); /* 100 ns .. 1 ms, uniform */
    uint64_t p50 = gen_hist_percentile(s, 50), p99 = gen_hist_percentile(s, 99);
    assert_true(p50 > 500000 * 0.93 && p50 < 500000 * 1.07);
    assert_true(p99 > 990000 * 0.93 && p99 <= 1000000);
    assert_int_equal(gen_hist_percentile(s, 100), 1000000);
    assert_int_equal(s->lat_min_ns, 100);
    assert_int_equal(gen_hist_percentile(s, 0), 100);
    gen_hist_add(s, UINT64_C(1) << 62); /* huge values land in a bucket, not past the array */
    assert_int_equal(s->lat_max_ns, UINT64_C(1) << 62);
    free(s);
}

static void test_streams_loss_and_reordering(void **state)
{
    (void)state;
    struct gen_port_stats *s = malloc(sizeof *s);
    gen_stats_init(s);
    /* Stream 1: 0..9 with 4 and 7 missing, 3 arriving after 5. */
    const uint64_t seq[] = {0, 1, 2, 5, 3, 6, 8, 9};
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
        gen_stats_stream(s, 1, seq[i]);
    /* Stream 2: 0..4 in order. */
    for (uint64_t i = 0; i < 5; i++)
        assert_true(gen_stats_stream(s, 2, i));
    assert_int_equal(s->n_streams, 2);
    assert_int_equal(s->out_of_order, 1);
    assert_int_equal(gen_stats_seq_lost(s), 2);
    /* More senders than slots are counted, not tracked. */
    for (uint16_t id = 10; id < 10 + GEN_MAX_STREAMS; id++)
        gen_stats_stream(s, id, 0);
    assert_int_equal(s->n_streams, GEN_MAX_STREAMS);
    assert_int_equal(s->streams_untracked, 2);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opts_defaults_and_values),
        cmocka_unit_test(test_opts_errors_name_the_option),
        cmocka_unit_test(test_port_defaults_pair_ports),
        cmocka_unit_test(test_template_and_stamp_roundtrip),
        cmocka_unit_test(test_vlan_and_flows),
        cmocka_unit_test(test_reflect_swaps_and_keeps_checksum),
        cmocka_unit_test(test_histogram_percentiles),
        cmocka_unit_test(test_streams_loss_and_reordering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
