/* sluice-gen-pkt.c — packet templates, the probe stamp, and the echo reflection.
 *
 * Everything here works on plain byte buffers (no mbufs) so that the hot path copies one
 * prebuilt header and patches a few bytes, and so the parsing is easy to reason about:
 * every read is bounds-checked against the length the caller has.
 */
#include "bench/sluice-gen.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static void put48(uint8_t *p, uint64_t v)
{
    put16(p, (uint16_t)(v >> 32));
    put32(p + 2, (uint32_t)v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t get48(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = v << 8 | p[i];
    return v;
}

static uint16_t ipv4_checksum(const uint8_t *h, unsigned len)
{
    uint32_t sum = 0;
    for (unsigned i = 0; i + 1 < len; i += 2)
        sum += get16(h + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

void gen_template_build(struct gen_template *t, const struct gen_port_addr *a,
                        const struct gen_opts *o)
{
    memset(t, 0, sizeof *t);
    uint8_t *h = t->hdr;
    memcpy(h, a->dst_mac, 6);
    memcpy(h + 6, a->src_mac, 6);
    unsigned off = 12;
    if (o->vlan >= 0) {
        put16(h + off, 0x8100);
        put16(h + off + 2, (uint16_t)o->vlan);
        off += 4;
    }
    put16(h + off, 0x0800);
    off += 2;
    t->l3_off = (uint16_t)off;

    uint16_t ip_len = (uint16_t)(o->size - off);
    uint8_t *ip = h + off;
    ip[0] = 0x45;
    put16(ip + 2, ip_len);
    ip[8] = 64;  /* TTL */
    ip[9] = 17;  /* UDP */
    put32(ip + 12, a->src_ip);
    put32(ip + 16, a->dst_ip);
    put16(ip + 10, ipv4_checksum(ip, 20));
    off += 20;
    t->l4_off = (uint16_t)off;

    uint8_t *udp = h + off;
    put16(udp, o->udp_src_port);
    put16(udp + 2, o->udp_dst_port);
    put16(udp + 4, (uint16_t)(ip_len - 20));
    /* UDP checksum 0 = none (legal for IPv4): the payload changes per packet and the
     * switch under test does not care. */
    off += 8;
    t->hdr_len = (uint16_t)off;
    t->stamp_off = (uint16_t)off;
    t->src_ip = a->src_ip;
    t->src_port = o->udp_src_port;
}

void gen_packet_write(const struct gen_template *t, uint8_t *buf, uint32_t flow, uint16_t stream,
                      uint64_t seq, uint64_t tsc)
{
    memcpy(buf, t->hdr, t->hdr_len);
    if (flow) {
        /* Keep source ports within 1024..65535 so no flow lands on a well-known port. */
        uint32_t span = 65536u - 1024u;
        uint32_t base = t->src_port >= 1024 ? t->src_port - 1024u : 0;
        uint32_t sport = 1024u + (base + flow) % span;
        uint32_t ip_add = (base + flow) / span;
        put16(buf + t->l4_off, (uint16_t)sport);
        if (ip_add) {
            uint8_t *ip = buf + t->l3_off;
            put32(ip + 12, t->src_ip + ip_add);
            put16(ip + 10, 0);
            put16(ip + 10, ipv4_checksum(ip, 20));
        }
    }
    uint8_t *s = buf + t->stamp_off;
    put16(s, GEN_STAMP_MAGIC);
    put16(s + 2, stream);
    put48(s + 4, seq & GEN_SEQ_MASK);
    put48(s + 10, tsc & GEN_SEQ_MASK);
}

/* Offset of the IPv4 header, or 0 if the frame is not IPv4 within len. */
static size_t ipv4_offset(const uint8_t *f, size_t len)
{
    size_t off = 12;
    for (int tags = 0; tags < 3; tags++) {
        if (len < off + 2)
            return 0;
        uint16_t type = get16(f + off);
        if (type == 0x0800)
            return len >= off + 2 + 20 ? off + 2 : 0;
        if (type != 0x8100 && type != 0x88a8)
            return 0;
        off += 4;
    }
    return 0;
}

bool gen_stamp_parse(const uint8_t *frame, size_t len, struct gen_stamp *s)
{
    size_t ip = ipv4_offset(frame, len);
    if (!ip || (frame[ip] >> 4) != 4 || frame[ip + 9] != 17)
        return false;
    size_t ihl = (size_t)(frame[ip] & 0xf) * 4;
    if (ihl < 20)
        return false;
    size_t st = ip + ihl + 8;
    if (len < st + GEN_STAMP_LEN || get16(frame + st) != GEN_STAMP_MAGIC)
        return false;
    s->stream = get16(frame + st + 2);
    s->seq = get48(frame + st + 4);
    s->tsc = get48(frame + st + 10);
    return true;
}

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
    uint8_t tmp[6];
    memcpy(tmp, a, n);
    memcpy(a, b, n);
    memcpy(b, tmp, n);
}

void gen_packet_reflect(uint8_t *frame, size_t len)
{
    if (len < 12)
        return;
    swap_bytes(frame, frame + 6, 6);
    size_t ip = ipv4_offset(frame, len);
    if (!ip || (frame[ip] >> 4) != 4)
        return;
    uint8_t *h = frame + ip;
    uint8_t tmp[4];
    memcpy(tmp, h + 12, 4);
    memcpy(h + 12, h + 16, 4);
    memcpy(h + 16, tmp, 4);
    size_t ihl = (size_t)(h[0] & 0xf) * 4;
    bool first_fragment = (get16(h + 6) & 0x1fff) == 0;
    if (ihl >= 20 && first_fragment && (h[9] == 6 || h[9] == 17) && len >= ip + ihl + 4)
        swap_bytes(h + ihl, h + ihl + 2, 2);
}
