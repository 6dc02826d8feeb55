/* flow-syntax.c — ovs-ofctl's flow syntax, parsed and printed.
 *
 * The parser works in two passes over the match: every token is first merged into the
 * match (fields are stored by their bits in struct flow_key, so aliases and fields that
 * share bits, like tp_dst/tcp_dst/udp_dst, land in the same place), and only when the whole
 * match is known are prerequisites checked. That is what lets "tp_dst=80,tcp" work as it
 * does in ovs-ofctl, and lets tp_src/tp_dst and icmp_type/icmp_code be resolved by whichever
 * shorthand the flow has. Actions are parsed last, against the final match, because
 * set_field and friends need the match's prerequisites (as OVS's ofpacts_check does).
 *
 * Two bit sets guard the merge: the match's mask (a shorthand and an explicit field may pin
 * the same bits, as long as they agree) and `claimed`, the bits pinned by explicit fields
 * (a field given twice, or two names for the same bits, is a duplicate).
 *
 * The printer follows OVS's match_format() field for field, so that for any flow that went
 * through an OpenFlow 1.3 switch, our text equals `ovs-ofctl -O OpenFlow13 dump-flows`. Where
 * OVS's parser is lenient (dl_vlan=4096 wraps, 10.0.0.300 is accepted, prerequisites are
 * silently dropped) we reject instead: a flow that loses a field without a word is a bug
 * waiting for a user.
 *
 * Actions are stored the way they travel in OpenFlow 1.3, so that what we print is what a
 * switch would echo back:
 *   - mod_vlan_vid:N / mod_vlan_pcp:N become set_field on vlan_vid (with the present bit,
 *     0x1000 | N) / vlan_pcp, preceded by push_vlan:0x8100 when the packet may be untagged,
 *     exactly as OVS encodes them for OpenFlow 1.1+. DP_ACT_SET_VLAN_VID/PCP are never
 *     produced by the parser (the printer still handles them).
 *   - mod_nw_tos:V and set_field:V->nw_tos become set_field ip_dscp = V >> 2.
 *   - nw_ttl has no OXM, so a SET_FIELD of nw_ttl prints as mod_nw_ttl:N (OFPAT_SET_NW_TTL).
 *   - output:CONTROLLER and controller are one action, DP_ACT_CONTROLLER (max_len 65535).
 * In set_field, tp_src/tp_dst and icmp_type/icmp_code are resolved by the match's protocol
 * (OVS would refuse them under udp/sctp/icmp6); masked set_field is refused rather than
 * turned into OVS's load: action, which the datapath has no way to express.
 */
#include "ofproto/flow-syntax.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "datapath/flow-field.h"

#define OFP_DEFAULT_PRIORITY 32768
#define OFPG_MAX 0xffffff00u
#define OFPG_ALL 0xfffffffcu
#define OFPG_ANY 0xffffffffu
#define OFPM_MAX 0xffff0000u
#define OFPCML_NO_BUFFER 0xffff
#define TABLE_ID_MAX 254
#define TCP_FLAGS_ALL 0x0fff

/* Longest single token (field=value, one action) we copy for parsing. An IPv6 address with
 * an IPv6 mask is 80 characters, so this leaves room for anything legitimate. */
enum { TOK_MAX = 256, GIVEN_MAX = 64 };

/* ---------------------------------------------------------------------------------------
 * Output buffer with snprintf semantics: writes what fits, always terminated, counts all.
 */
struct fs_buf {
    char *buf;
    size_t len;
    size_t n; /* characters the full text needs so far */
    bool first;
};

static void buf_init(struct fs_buf *b, char *buf, size_t len)
{
    b->buf = buf;
    b->len = buf ? len : 0;
    b->n = 0;
    b->first = true;
    if (b->len)
        b->buf[0] = '\0';
}

__attribute__((format(printf, 2, 0))) static void buf_vput(struct fs_buf *b, const char *fmt,
                                                           va_list ap)
{
    size_t avail = b->n < b->len ? b->len - b->n : 0;
    int r = vsnprintf(avail ? b->buf + b->n : NULL, avail, fmt, ap);
    if (r > 0)
        b->n += (size_t)r;
}

__attribute__((format(printf, 2, 3))) static void buf_put(struct fs_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vput(b, fmt, ap);
    va_end(ap);
}

/* Starts a comma-separated item. */
__attribute__((format(printf, 2, 3))) static void buf_item(struct fs_buf *b, const char *fmt, ...)
{
    if (!b->first)
        buf_put(b, ",");
    b->first = false;
    va_list ap;
    va_start(ap, fmt);
    buf_vput(b, fmt, ap);
    va_end(ap);
}

static int buf_result(const struct fs_buf *b)
{
    return b->n > (size_t)INT32_MAX ? INT32_MAX : (int)b->n;
}

/* ---------------------------------------------------------------------------------------
 * Fields that struct flow_key has but the shared field table does not (they have no
 * OpenFlow 1.3 OXM or set_field meaning), described the same way so that the generic merge
 * and print code handles them. Their id is FF_N_FIELDS: never a valid set_field target.
 */
static const struct flow_field ff_vlan_tci = {.id = FF_N_FIELDS,
                                              .name = "vlan_tci",
                                              .offset = offsetof(struct flow_key, vlan_tci),
                                              .n_bytes = 2,
                                              .n_bits = 16,
                                              .bits = 0xffff,
                                              .maskable = true,
                                              .prereq = FP_NONE,
                                              .format = FFF_HEX,
                                              .oxm_field = -1};
static const struct flow_field ff_tun_src = {.id = FF_N_FIELDS,
                                             .name = "tun_src",
                                             .offset = offsetof(struct flow_key, tun_src),
                                             .n_bytes = 4,
                                             .n_bits = 32,
                                             .bits = 0xffffffffu,
                                             .maskable = true,
                                             .prereq = FP_NONE,
                                             .format = FFF_IPV4,
                                             .oxm_field = -1};
static const struct flow_field ff_tun_dst = {.id = FF_N_FIELDS,
                                             .name = "tun_dst",
                                             .offset = offsetof(struct flow_key, tun_dst),
                                             .n_bytes = 4,
                                             .n_bits = 32,
                                             .bits = 0xffffffffu,
                                             .maskable = true,
                                             .prereq = FP_NONE,
                                             .format = FFF_IPV4,
                                             .oxm_field = -1};
static const struct flow_field ff_nw_frag = {.id = FF_N_FIELDS,
                                             .name = "nw_frag",
                                             .offset = offsetof(struct flow_key, nw_frag),
                                             .n_bytes = 1,
                                             .n_bits = 2,
                                             .bits = 0x03,
                                             .maskable = true,
                                             .prereq = FP_IP_ANY,
                                             .format = FFF_DECIMAL,
                                             .oxm_field = -1};

static const struct flow_field *fld(enum flow_field_id id)
{
    return &flow_fields[id];
}

static uint64_t fget(const struct flow_field *f, const struct flow_key *k)
{
    return flow_field_get(f, k);
}

static uint64_t field_max(const struct flow_field *f)
{
    return f->n_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << f->n_bits) - 1;
}

/* Prerequisites beyond enum flow_prereq, for ovs-ofctl's protocol-generic names. */
enum extra_prereq {
    PR_L4_ANY = 100,  /* tp_src/tp_dst: tcp, udp or sctp */
    PR_ICMP_ANY,      /* icmp_type/icmp_code: icmp or icmp6 */
    PR_IPV4_OR_ARP,   /* nw_src/nw_dst */
    PR_IP_ANY_OR_ARP, /* nw_proto (the ARP opcode under arp) */
};

/* TCP, UDP and SCTP fields do not exist in a later fragment: OVS refuses such matches
 * (OFPBMC_BAD_PREREQ), and ICMP ones it accepts, so we follow. */
static bool is_l4_port_prereq(int prereq)
{
    return prereq == FP_TCP || prereq == FP_UDP || prereq == FP_SCTP || prereq == PR_L4_ANY;
}

static bool later_fragment(const struct flow_match *m)
{
    return m->value.nw_frag & FLOW_NW_FRAG_LATER;
}

static bool prereq_ok(const struct flow_match *m, int prereq)
{
    if (is_l4_port_prereq(prereq) && later_fragment(m))
        return false;
    switch (prereq) {
    case PR_L4_ANY:
        return flow_match_has_prereq(m, FP_TCP) || flow_match_has_prereq(m, FP_UDP) ||
               flow_match_has_prereq(m, FP_SCTP);
    case PR_ICMP_ANY:
        return flow_match_has_prereq(m, FP_ICMPV4) || flow_match_has_prereq(m, FP_ICMPV6);
    case PR_IPV4_OR_ARP:
        return flow_match_has_prereq(m, FP_IPV4) || flow_match_has_prereq(m, FP_ARP);
    case PR_IP_ANY_OR_ARP:
        return flow_match_has_prereq(m, FP_IP_ANY) || flow_match_has_prereq(m, FP_ARP);
    default:
        return flow_match_has_prereq(m, (enum flow_prereq)prereq);
    }
}

/* What a prerequisite is called in an error message, and the shorthand that fixes it. */
static void prereq_text(int prereq, const char **what, const char **hint)
{
    static const struct {
        int prereq;
        const char *what, *hint;
    } texts[] = {
        {FP_VLAN, "a VLAN tag", "dl_vlan=N"},
        {FP_IPV4, "ip", "ip"},
        {FP_IPV6, "ipv6", "ipv6"},
        {FP_IP_ANY, "ip or ipv6", "ip"},
        {FP_ARP, "arp or rarp", "arp"},
        {FP_TCP, "tcp or tcp6", "tcp"},
        {FP_UDP, "udp or udp6", "udp"},
        {FP_SCTP, "sctp or sctp6", "sctp"},
        {FP_ICMPV4, "icmp", "icmp"},
        {FP_ICMPV6, "icmp6", "icmp6"},
        {FP_ND, "icmp6 with icmp_type=135 or 136", "icmp6,icmp_type=135"},
        {FP_ND_NS, "icmp6 with icmp_type=135", "icmp6,icmp_type=135"},
        {FP_ND_NA, "icmp6 with icmp_type=136", "icmp6,icmp_type=136"},
        {PR_L4_ANY, "tcp, udp or sctp", "tcp"},
        {PR_ICMP_ANY, "icmp or icmp6", "icmp"},
        {PR_IPV4_OR_ARP, "ip or arp", "ip"},
        {PR_IP_ANY_OR_ARP, "ip, ipv6 or arp", "ip"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (texts[i].prereq == prereq) {
            *what = texts[i].what;
            *hint = texts[i].hint;
            return;
        }
    }
    *what = "a prerequisite";
    *hint = "ip";
}

/* ---------------------------------------------------------------------------------------
 * Parser state.
 */
struct given_field {
    int prereq;   /* enum flow_prereq or enum extra_prereq */
    char tok[80]; /* the token, for the error message */
};

/* OpenFlow 1.3 instructions, in the order they must be written (and execute). Plain
 * actions belong to ST_APPLY. */
enum instr_stage {
    ST_METER,
    ST_APPLY,
    ST_CLEAR,
    ST_WRITE_ACTIONS,
    ST_WRITE_METADATA,
    ST_GOTO,
    ST_N_STAGES
};

/* What the actions seen so far did to the packet, for set_field prerequisites. */
struct act_state {
    bool vlan;              /* the packet has a VLAN tag at this point */
    int stage;              /* highest instruction stage seen (enum instr_stage) */
    bool seen[ST_N_STAGES]; /* instruction stages seen */
};

struct parser {
    enum flow_parse_mode mode;
    const struct port_resolver *ports;
    struct flow_spec *spec;
    char *err;
    size_t errlen;
    struct flow_key claimed; /* bits pinned by explicit fields */
    struct given_field given[GIVEN_MAX];
    unsigned n_given;
    bool seen_priority, seen_table, seen_cookie, seen_idle, seen_hard, seen_importance,
        seen_out_port, seen_out_group;
};

__attribute__((format(printf, 3, 4))) static int set_err(char *err, size_t errlen, const char *fmt,
                                                         ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* Writes the parse error message; returns -EINVAL. */
__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, p->errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* Copies n bytes of s into dst (cap bytes), terminated. False when it does not fit. */
static bool copy_slice(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Scalars.
 */

/* Decimal, or hexadecimal with 0x: the whole string. -EINVAL on syntax, -ERANGE on
 * overflow. No sign, no octal (ovs-ofctl reads "010" as ten). */
static int parse_u64(const char *s, uint64_t *out)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return -EINVAL;
    uint64_t v = 0;
    for (; *s; s++) {
        unsigned d;
        unsigned char c = (unsigned char)*s;
        if (isdigit(c))
            d = c - '0';
        else if (base == 16 && isxdigit(c))
            d = (unsigned)(tolower(c) - 'a' + 10);
        else
            return -EINVAL;
        if (v > (UINT64_MAX - d) / base)
            return -ERANGE;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

/* Parses `s` as an integer in [0, max]; on error names `tok` and what the number is. */
static int parse_uint(struct parser *p, const char *tok, const char *what, const char *s,
                      uint64_t max, uint64_t *out)
{
    uint64_t v;
    *out = 0; /* defined on every path (gcc -O3 cannot tell that callers check r first) */
    int r = parse_u64(s, &v);
    if (r == -EINVAL)
        return fail(p, "%s: invalid %s \"%s\" (expected a decimal or 0x-hex number)", tok, what, s);
    if (r == -ERANGE || v > max)
        return fail(p, "%s: %s %s out of range (0 to %llu)", tok, what, s, (unsigned long long)max);
    *out = v;
    return 0;
}

static bool parse_ipv4(const char *s, uint32_t *out)
{
    uint32_t ip = 0;
    for (int i = 0; i < 4; i++) {
        if (!isdigit((unsigned char)*s))
            return false;
        unsigned octet = 0, digits = 0;
        while (isdigit((unsigned char)*s)) {
            octet = octet * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || octet > 255)
                return false;
        }
        ip = (ip << 8) | octet;
        if (i < 3 && *s++ != '.')
            return false;
    }
    if (*s)
        return false;
    *out = ip;
    return true;
}

static bool parse_mac(const char *s, uint64_t *out)
{
    uint64_t mac = 0;
    for (int i = 0; i < 6; i++) {
        unsigned byte = 0, digits = 0;
        while (isxdigit((unsigned char)*s)) {
            unsigned char c = (unsigned char)*s++;
            byte = byte * 16 + (unsigned)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
            if (++digits > 2)
                return false;
        }
        if (!digits)
            return false;
        mac = (mac << 8) | byte;
        if (i < 5 && *s++ != ':')
            return false;
    }
    if (*s)
        return false;
    *out = mac;
    return true;
}

static bool parse_prefix_len(const char *s, unsigned max, unsigned *out)
{
    if (!*s || strlen(s) > 3)
        return false;
    unsigned v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Ports.
 */
static const struct {
    const char *name;
    uint32_t port;
} reserved_ports[] = {
    {"IN_PORT", DP_OFPORT_IN_PORT}, {"TABLE", DP_OFPORT_TABLE},
    {"NORMAL", DP_OFPORT_NORMAL},   {"FLOOD", DP_OFPORT_FLOOD},
    {"ALL", DP_OFPORT_ALL},         {"CONTROLLER", DP_OFPORT_CONTROLLER},
    {"LOCAL", DP_OFPORT_LOCAL},     {"ANY", DP_OFPORT_ANY},
    {"NONE", DP_OFPORT_ANY},
};

static const char *reserved_port_name(uint32_t port)
{
    for (size_t i = 0; i < sizeof reserved_ports / sizeof reserved_ports[0]; i++)
        if (reserved_ports[i].port == port)
            return reserved_ports[i].name;
    return NULL;
}

/* Returns 0, -EINVAL (malformed or out of range) or -ENOENT (unknown name), with a short
 * reason in why[] (not naming the token: callers prefix it). */
static int port_from_string(const char *s, const struct port_resolver *ports, uint32_t *out,
                            char *why, size_t whylen)
{
    if (!*s)
        return set_err(why, whylen, "empty port");
    for (size_t i = 0; i < sizeof reserved_ports / sizeof reserved_ports[0]; i++) {
        if (!strcasecmp(s, reserved_ports[i].name)) {
            *out = reserved_ports[i].port;
            return 0;
        }
    }
    bool digits = true;
    for (const char *c = s; *c; c++)
        digits = digits && isdigit((unsigned char)*c);
    if (digits) {
        uint64_t v;
        if (parse_u64(s, &v) || v > UINT32_MAX)
            return set_err(why, whylen, "port number %s out of range", s);
        if (v == 0)
            return set_err(why, whylen, "port 0 is not a valid OpenFlow port");
        if (v >= DP_OFPORT_MAX && !reserved_port_name((uint32_t)v))
            return set_err(why, whylen,
                           "port %s is in OpenFlow's reserved range (valid: 1 to %u, or a "
                           "reserved port name)",
                           s, DP_OFPORT_MAX - 1);
        *out = (uint32_t)v;
        return 0;
    }
    if (!ports || !ports->name_to_ofport) {
        set_err(why, whylen, "unknown port \"%s\" (no port names are known here)", s);
        return -ENOENT;
    }
    uint32_t ofport;
    if (ports->name_to_ofport(ports->aux, s, &ofport)) {
        set_err(why, whylen, "unknown port \"%s\"", s);
        return -ENOENT;
    }
    *out = ofport;
    return 0;
}

int flow_parse_port(const char *token, const struct port_resolver *ports, uint32_t *ofport,
                    char *err, size_t errlen)
{
    char why[160];
    if (!token)
        return set_err(err, errlen, "missing port");
    int r = port_from_string(token, ports, ofport, why, sizeof why);
    if (r)
        set_err(err, errlen, "%s: %s", token, why);
    return r;
}

static void put_port(struct fs_buf *b, uint32_t port, const struct port_resolver *ports)
{
    const char *name = reserved_port_name(port);
    if (!name && ports && ports->ofport_to_name)
        name = ports->ofport_to_name(ports->aux, port);
    if (name)
        buf_put(b, "%s", name);
    else
        buf_put(b, "%u", port);
}

int flow_format_port(uint32_t ofport, const struct port_resolver *ports, char *buf, size_t len)
{
    struct fs_buf b;
    buf_init(&b, buf, len);
    put_port(&b, ofport, ports);
    return buf_result(&b);
}

/* ---------------------------------------------------------------------------------------
 * Merging one field into the match.
 */

/* Pins `mask` bits of field `f` to `value` (both in the field's host-order representation).
 * `claim` are the bits this token owns: claiming bits twice is a duplicate. Bits that are
 * already pinned (by a shorthand, or by another field sharing them, like the CFI bit of
 * dl_vlan and dl_vlan_pcp) must agree. */
static int merge(struct parser *p, const char *tok, const char *name, const struct flow_field *f,
                 uint64_t value, uint64_t mask, uint64_t claim)
{
    struct flow_match *m = &p->spec->match;
    uint64_t claimed = fget(f, &p->claimed);
    if (claimed & claim)
        return fail(p,
                    "%s: duplicate field (%s, or another name for the same bits, was "
                    "already given)",
                    tok, name);
    uint64_t old_m = fget(f, &m->mask), old_v = fget(f, &m->value);
    if ((old_v ^ value) & old_m & mask)
        return fail(p,
                    "%s: conflicts with an earlier field or shorthand of this flow (both set "
                    "%s)",
                    tok, f->name);
    flow_field_set(f, &m->mask, old_m | mask);
    flow_field_set(f, &m->value, (old_v & ~mask) | (value & mask));
    flow_field_set(f, &p->claimed, claimed | claim);
    return 0;
}

static int merge_bytes(struct parser *p, const char *tok, const struct flow_field *f,
                       const uint8_t *value, const uint8_t *mask)
{
    uint8_t *claimed = (uint8_t *)&p->claimed + f->offset;
    for (unsigned i = 0; i < f->n_bytes; i++)
        if (claimed[i])
            return fail(p, "%s: duplicate field (%s was already given)", tok, f->name);
    flow_match_set_field_bytes(&p->spec->match, f, value, mask);
    memset(claimed, 0xff, f->n_bytes);
    return 0;
}

static int remember(struct parser *p, const char *tok, int prereq)
{
    if (p->n_given >= GIVEN_MAX)
        return fail(p, "%s: too many match fields", tok);
    struct given_field *g = &p->given[p->n_given++];
    g->prereq = prereq;
    snprintf(g->tok, sizeof g->tok, "%.*s", (int)sizeof g->tok - 1, tok);
    return 0;
}

/* Splits "value/mask" in place; returns the mask part or NULL. */
static char *split_mask(char *val)
{
    char *slash = strchr(val, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    return slash + 1;
}

/* Parses a value (and optional mask) of a field of <= 8 bytes in its own syntax. */
static int parse_scalar(struct parser *p, const char *tok, const struct flow_field *f, char *val,
                        bool allow_mask, uint64_t *value, uint64_t *mask)
{
    char *mstr = split_mask(val);
    uint64_t full = field_max(f);
    *mask = full;
    if (mstr && !allow_mask)
        return fail(p, "%s: a mask is not allowed here", tok);
    switch (f->format) {
    case FFF_DECIMAL:
    case FFF_HEX:
        if (parse_uint(p, tok, f->name, val, full, value))
            return -EINVAL;
        if (mstr && parse_uint(p, tok, "mask", mstr, full, mask))
            return -EINVAL;
        break;
    case FFF_ETHERNET:
        if (!parse_mac(val, value))
            return fail(p, "%s: invalid Ethernet address \"%s\"", tok, val);
        if (mstr && !parse_mac(mstr, mask))
            return fail(p, "%s: invalid Ethernet mask \"%s\"", tok, mstr);
        break;
    case FFF_IPV4: {
        uint32_t ip, ipmask = 0xffffffffu;
        unsigned plen;
        if (!parse_ipv4(val, &ip))
            return fail(p, "%s: invalid IPv4 address \"%s\"", tok, val);
        if (mstr && strchr(mstr, '.')) {
            if (!parse_ipv4(mstr, &ipmask))
                return fail(p, "%s: invalid IPv4 mask \"%s\"", tok, mstr);
        } else if (mstr) {
            if (!parse_prefix_len(mstr, 32, &plen))
                return fail(p, "%s: invalid IPv4 prefix length \"%s\" (0 to 32)", tok, mstr);
            ipmask = plen ? 0xffffffffu << (32 - plen) : 0;
        }
        *value = ip;
        *mask = ipmask;
        break;
    }
    case FFF_PORT: {
        char why[160];
        uint32_t port;
        if (mstr)
            return fail(p, "%s: a port cannot be masked", tok);
        if (port_from_string(val, p->ports, &port, why, sizeof why))
            return fail(p, "%s: %s", tok, why);
        *value = port;
        break;
    }
    case FFF_IPV6:
        return fail(p, "%s: internal error: 16-byte field parsed as scalar", tok);
    }
    if (mstr && !f->maskable && *mask != full)
        return fail(p, "%s: field %s cannot be masked (only an all-ones mask is accepted)", tok,
                    f->name);
    return 0;
}

static int parse_ipv6(struct parser *p, const char *tok, char *val, bool allow_mask,
                      uint8_t value[16], uint8_t mask[16])
{
    char *mstr = split_mask(val);
    unsigned plen;
    if (mstr && !allow_mask)
        return fail(p, "%s: a mask is not allowed here", tok);
    if (inet_pton(AF_INET6, val, value) != 1)
        return fail(p, "%s: invalid IPv6 address \"%s\"", tok, val);
    memset(mask, 0xff, 16);
    if (mstr && strchr(mstr, ':')) {
        if (inet_pton(AF_INET6, mstr, mask) != 1)
            return fail(p, "%s: invalid IPv6 mask \"%s\"", tok, mstr);
    } else if (mstr) {
        if (!parse_prefix_len(mstr, 128, &plen))
            return fail(p, "%s: invalid IPv6 prefix length \"%s\" (0 to 128)", tok, mstr);
        for (unsigned i = 0; i < 16; i++) {
            unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
            mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
        }
    }
    return 0;
}

static const char *const tcp_flag_names[12] = {"fin", "syn", "rst", "psh",   "ack",   "urg",
                                               "ece", "cwr", "ns",  "[200]", "[400]", "[800]"};

static int tcp_flag_bit(const char *s, size_t n)
{
    for (int i = 0; i < 12; i++)
        if (strlen(tcp_flag_names[i]) == n && !strncmp(s, tcp_flag_names[i], n))
            return 1 << i;
    return 0;
}

/* tcp_flags: a number (with optional mask), "+syn-ack" (set/clear, the rest wildcarded) or
 * "syn|ack" (exactly these set), as ovs-ofctl reads and prints them. */
static int parse_tcp_flags(struct parser *p, const char *tok, char *val, uint64_t *value,
                           uint64_t *mask)
{
    if (val[0] == '+' || val[0] == '-') {
        *value = *mask = 0;
        const char *s = val;
        while (*s) {
            bool set = *s++ == '+';
            size_t n = strcspn(s, "+-");
            int bit = tcp_flag_bit(s, n);
            if (!bit)
                return fail(p, "%s: unknown TCP flag \"%.*s\"", tok, (int)n, s);
            if (*mask & (uint64_t)bit)
                return fail(p, "%s: TCP flag \"%.*s\" given twice", tok, (int)n, s);
            *mask |= (uint64_t)bit;
            if (set)
                *value |= (uint64_t)bit;
            s += n;
        }
        return 0;
    }
    if (isdigit((unsigned char)val[0])) {
        char *mstr = split_mask(val);
        if (parse_u64(val, value) || *value > TCP_FLAGS_ALL)
            return fail(p, "%s: invalid TCP flags \"%s\" (12 bits, 0 to 0xfff)", tok, val);
        *mask = TCP_FLAGS_ALL;
        if (mstr && (parse_u64(mstr, mask) || *mask > TCP_FLAGS_ALL))
            return fail(p, "%s: invalid TCP flags mask \"%s\" (12 bits, 0 to 0xfff)", tok, mstr);
        return 0;
    }
    *value = 0;
    *mask = TCP_FLAGS_ALL;
    for (const char *s = val; *s;) {
        size_t n = strcspn(s, "|");
        int bit = tcp_flag_bit(s, n);
        if (!bit)
            return fail(p, "%s: unknown TCP flag \"%.*s\"", tok, (int)n, s);
        *value |= (uint64_t)bit;
        s += n;
        if (*s == '|' && !*++s)
            return fail(p, "%s: TCP flag list ends with '|'", tok);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Match tokens.
 */
static const struct shorthand {
    const char *name;
    uint16_t eth_type;
    int nw_proto; /* -1: not pinned */
} shorthands[] = {
    {"ip", 0x0800, -1},    {"ipv6", 0x86dd, -1}, {"tcp", 0x0800, 6},    {"udp", 0x0800, 17},
    {"sctp", 0x0800, 132}, {"icmp", 0x0800, 1},  {"icmp6", 0x86dd, 58}, {"arp", 0x0806, -1},
    {"rarp", 0x8035, -1},  {"tcp6", 0x86dd, 6},  {"udp6", 0x86dd, 17},  {"sctp6", 0x86dd, 132},
};

static int parse_shorthand(struct parser *p, const struct shorthand *s)
{
    /* A shorthand pins bits without claiming them: "ip,tcp" or "dl_type=0x0800,tcp" are
     * fine, "ip,ipv6" or "udp,tcp" conflict. */
    if (merge(p, s->name, "dl_type", fld(FF_ETH_TYPE), s->eth_type, 0xffff, 0))
        return -EINVAL;
    if (s->nw_proto >= 0 &&
        merge(p, s->name, "nw_proto", fld(FF_IP_PROTO), (uint64_t)s->nw_proto, 0xff, 0))
        return -EINVAL;
    return 0;
}

static int parse_vlan_tci(struct parser *p, const char *tok, char *val)
{
    uint64_t v, m;
    if (parse_scalar(p, tok, &ff_vlan_tci, val, true, &v, &m))
        return -EINVAL;
    uint64_t pcp_m = m & 0xe000;
    /* OpenFlow 1.3 carries VLAN matches as vlan_vid (with the present bit) plus an unmasked
     * vlan_pcp that needs a present tag, so only those shapes survive a trip through a
     * switch; refuse the rest rather than have the switch drop bits. */
    if (pcp_m && pcp_m != 0xe000)
        return fail(p, "%s: the PCP bits (0xe000) must be matched all or none", tok);
    if (pcp_m && !(m & FLOW_VLAN_PRESENT))
        return fail(p, "%s: matching the PCP needs the tag-present bit 0x1000 in the mask", tok);
    if (pcp_m && !(v & FLOW_VLAN_PRESENT)) {
        /* Untagged: the PCP of a packet without a tag is 0 in the key anyway. */
        if (v & 0xe000)
            return fail(p, "%s: a PCP cannot be matched on packets without a VLAN tag", tok);
        m &= ~UINT64_C(0xe000);
    }
    return merge(p, tok, "vlan_tci", &ff_vlan_tci, v, m, 0xffff);
}

static int parse_dl_vlan(struct parser *p, const char *tok, char *val)
{
    uint64_t vid;
    if (strchr(val, '/'))
        return fail(p, "%s: dl_vlan cannot be masked (use vlan_tci=V/M)", tok);
    if (parse_uint(p, tok, "VLAN ID", val, 0xffff, &vid))
        return -EINVAL;
    if (vid == 0xffff) /* ovs-ofctl's "no tag" */
        return merge(p, tok, "dl_vlan", &ff_vlan_tci, 0, 0x1fff, 0x0fff);
    if (vid > FLOW_VLAN_VID_MASK)
        return fail(p, "%s: VLAN ID %s out of range (0 to 4095, or 0xffff for no tag)", tok, val);
    return merge(p, tok, "dl_vlan", &ff_vlan_tci, FLOW_VLAN_PRESENT | vid, 0x1fff, 0x0fff);
}

static int parse_vlan_pcp(struct parser *p, const char *tok, const char *key, char *val)
{
    uint64_t pcp;
    if (strchr(val, '/'))
        return fail(p, "%s: %s cannot be masked", tok, key);
    if (parse_uint(p, tok, "VLAN PCP", val, 7, &pcp))
        return -EINVAL;
    /* As in OVS, matching a PCP implies matching "a tag is present". */
    return merge(p, tok, key, &ff_vlan_tci, FLOW_VLAN_PRESENT | (pcp << FLOW_VLAN_PCP_SHIFT),
                 0xf000, 0xe000);
}

static int parse_nw_frag(struct parser *p, const char *tok, const char *val)
{
    static const struct {
        const char *name;
        uint8_t value, mask;
    } frags[] = {
        {"no", 0, FLOW_NW_FRAG_ANY},
        {"yes", FLOW_NW_FRAG_ANY, FLOW_NW_FRAG_ANY},
        {"first", FLOW_NW_FRAG_ANY, FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER},
        {"later", FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER, FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER},
        {"not_later", 0, FLOW_NW_FRAG_LATER},
    };
    for (size_t i = 0; i < sizeof frags / sizeof frags[0]; i++) {
        if (!strcmp(val, frags[i].name)) {
            if (merge(p, tok, "nw_frag", &ff_nw_frag, frags[i].value, frags[i].mask, 0x3))
                return -EINVAL;
            return remember(p, tok, FP_IP_ANY);
        }
    }
    return fail(p, "%s: invalid nw_frag \"%s\" (no, yes, first, later or not_later)", tok, val);
}

static int parse_match_field(struct parser *p, const char *tok, const char *key, char *val)
{
    uint64_t v, m;

    if (!strcmp(key, "dl_vlan"))
        return parse_dl_vlan(p, tok, val);
    if (!strcmp(key, "dl_vlan_pcp") || !strcmp(key, "vlan_pcp"))
        return parse_vlan_pcp(p, tok, key, val);
    if (!strcmp(key, "vlan_tci"))
        return parse_vlan_tci(p, tok, val);
    if (!strcmp(key, "nw_frag"))
        return parse_nw_frag(p, tok, val);
    if (!strcmp(key, "nw_tos")) {
        if (strchr(val, '/'))
            return fail(p, "%s: nw_tos cannot be masked", tok);
        if (parse_uint(p, tok, "TOS", val, 255, &v))
            return -EINVAL;
        if (v & 0x03)
            return fail(p,
                        "%s: nw_tos is DSCP << 2 and must be a multiple of 4 (use nw_ecn "
                        "for the low 2 bits)",
                        tok);
        if (merge(p, tok, key, fld(FF_IP_DSCP), v >> 2, 0x3f, 0x3f))
            return -EINVAL;
        return remember(p, tok, FP_IP_ANY);
    }
    if (!strcmp(key, "tun_src") || !strcmp(key, "tun_dst")) {
        const struct flow_field *f = key[4] == 's' ? &ff_tun_src : &ff_tun_dst;
        if (parse_scalar(p, tok, f, val, true, &v, &m))
            return -EINVAL;
        return merge(p, tok, key, f, v, m, UINT32_MAX);
    }

    const struct flow_field *f = flow_field_by_name(key);
    if (!f)
        return fail(p, "%s: unknown field \"%s\"", tok, key);

    int prereq = f->prereq;
    if (!strcmp(key, "tp_src") || !strcmp(key, "tp_dst"))
        prereq = PR_L4_ANY;
    else if (f->id == FF_ICMPV4_TYPE || f->id == FF_ICMPV4_CODE)
        prereq = PR_ICMP_ANY; /* ovs-ofctl prints icmp_type for ICMPv6 too */
    else if (f->id == FF_IPV4_SRC || f->id == FF_IPV4_DST)
        prereq = PR_IPV4_OR_ARP;
    else if (f->id == FF_IP_PROTO)
        prereq = PR_IP_ANY_OR_ARP;

    if (f->n_bytes > 8) {
        uint8_t bv[16], bm[16];
        if (parse_ipv6(p, tok, val, f->maskable, bv, bm) || merge_bytes(p, tok, f, bv, bm))
            return -EINVAL;
        static const uint8_t zero[16];
        return memcmp(bm, zero, 16) ? remember(p, tok, prereq) : 0;
    }

    if (f->id == FF_TCP_FLAGS) {
        if (parse_tcp_flags(p, tok, val, &v, &m))
            return -EINVAL;
    } else if (parse_scalar(p, tok, f, val, true, &v, &m)) {
        return -EINVAL;
    }
    if (f->id == FF_IN_PORT) {
        switch (v) {
        case DP_OFPORT_IN_PORT:
        case DP_OFPORT_TABLE:
        case DP_OFPORT_NORMAL:
        case DP_OFPORT_FLOOD:
        case DP_OFPORT_ALL:
        case DP_OFPORT_ANY:
            return fail(p, "%s: %s is not a port a packet can arrive on", tok, val);
        default:
            break;
        }
    }
    if (merge(p, tok, key, f, v, m, field_max(f)))
        return -EINVAL;
    /* A zero mask matches nothing, so it needs no prerequisite (ovs-ofctl drops it). */
    return m ? remember(p, tok, prereq) : 0;
}

static int parse_keyword_value(struct parser *p, const char *tok, const char *key, char *val,
                               bool *handled)
{
    struct flow_spec *s = p->spec;
    uint64_t v;
    bool filter = p->mode == FLOW_PARSE_FILTER;

    *handled = true;
    if (!strcmp(key, "priority")) {
        if (p->seen_priority)
            return fail(p, "%s: priority given twice", tok);
        if (parse_uint(p, tok, "priority", val, 65535, &v))
            return -EINVAL;
        p->seen_priority = true;
        s->priority = (uint16_t)v;
        s->priority_given = true;
        return 0;
    }
    if (!strcmp(key, "table")) {
        if (p->seen_table)
            return fail(p, "%s: table given twice", tok);
        if (parse_uint(p, tok, "table", val, TABLE_ID_MAX, &v))
            return -EINVAL;
        p->seen_table = true;
        s->table_id = (uint8_t)v;
        s->table_given = true;
        return 0;
    }
    if (!strcmp(key, "cookie")) {
        char *mstr = split_mask(val);
        if (p->seen_cookie)
            return fail(p, "%s: cookie given twice", tok);
        p->seen_cookie = true;
        if (parse_uint(p, tok, "cookie", val, UINT64_MAX, &s->cookie))
            return -EINVAL;
        if (mstr) {
            if (p->mode == FLOW_PARSE_ADD)
                return fail(p,
                            "%s: a cookie mask selects flows and is not allowed when adding "
                            "one",
                            tok);
            if (!strcmp(mstr, "-1"))
                s->cookie_mask = UINT64_MAX;
            else if (parse_uint(p, tok, "cookie mask", mstr, UINT64_MAX, &s->cookie_mask))
                return -EINVAL;
        } else if (filter) {
            return fail(p,
                        "%s: a filter matches cookies with a mask (cookie=%s/-1 for an "
                        "exact match)",
                        tok, val);
        }
        return 0;
    }
    bool *seen = NULL;
    uint16_t *dst = NULL;
    if (!strcmp(key, "idle_timeout")) {
        seen = &p->seen_idle;
        dst = &s->idle_timeout;
    } else if (!strcmp(key, "hard_timeout")) {
        seen = &p->seen_hard;
        dst = &s->hard_timeout;
    } else if (!strcmp(key, "importance")) {
        seen = &p->seen_importance;
        dst = &s->importance;
    }
    if (seen) {
        if (filter)
            return fail(p, "%s: %s is not allowed in a filter (del-flows, dump-flows)", tok, key);
        if (*seen)
            return fail(p, "%s: %s given twice", tok, key);
        if (parse_uint(p, tok, key, val, 65535, &v))
            return -EINVAL;
        *seen = true;
        *dst = (uint16_t)v;
        return 0;
    }
    if (!strcmp(key, "out_port")) {
        char why[160];
        if (!filter)
            return fail(p, "%s: out_port is only allowed in a filter (del-flows, dump-flows)", tok);
        if (p->seen_out_port)
            return fail(p, "%s: out_port given twice", tok);
        if (port_from_string(val, p->ports, &s->out_port, why, sizeof why))
            return fail(p, "%s: %s", tok, why);
        p->seen_out_port = true;
        return 0;
    }
    if (!strcmp(key, "out_group")) {
        if (!filter)
            return fail(p, "%s: out_group is only allowed in a filter (del-flows, dump-flows)",
                        tok);
        if (p->seen_out_group)
            return fail(p, "%s: out_group given twice", tok);
        if (!strcasecmp(val, "any")) {
            v = OFPG_ANY;
        } else if (!strcasecmp(val, "all")) {
            v = OFPG_ALL;
        } else if (parse_uint(p, tok, "group", val, OFPG_MAX, &v)) {
            return -EINVAL;
        }
        s->out_group = (uint32_t)v;
        p->seen_out_group = true;
        return 0;
    }
    *handled = false;
    return 0;
}

static int parse_flag(struct parser *p, const char *tok, bool *handled)
{
    static const struct {
        const char *name;
        uint16_t flag;
    } flags[] = {
        {"send_flow_rem", FLOW_SPEC_SEND_FLOW_REM},  {"check_overlap", FLOW_SPEC_CHECK_OVERLAP},
        {"reset_counts", FLOW_SPEC_RESET_COUNTS},    {"no_packet_counts", FLOW_SPEC_NO_PKT_COUNTS},
        {"no_byte_counts", FLOW_SPEC_NO_BYT_COUNTS},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (strcmp(tok, flags[i].name))
            continue;
        *handled = true;
        if (p->mode == FLOW_PARSE_FILTER)
            return fail(p, "%s: flow flags are not allowed in a filter (del-flows, dump-flows)",
                        tok);
        if (p->spec->flags & flags[i].flag)
            return fail(p, "%s: given twice", tok);
        p->spec->flags |= flags[i].flag;
        return 0;
    }
    *handled = false;
    return 0;
}

static int parse_match_token(struct parser *p, char *tok)
{
    char full[TOK_MAX];
    snprintf(full, sizeof full, "%s", tok);

    char *eq = strchr(tok, '=');
    if (!eq) {
        for (size_t i = 0; i < sizeof shorthands / sizeof shorthands[0]; i++)
            if (!strcmp(tok, shorthands[i].name))
                return parse_shorthand(p, &shorthands[i]);
        bool handled;
        int r = parse_flag(p, tok, &handled);
        if (handled)
            return r;
        if (flow_field_by_name(tok) || !strcmp(tok, "priority") || !strcmp(tok, "table") ||
            !strcmp(tok, "cookie") || !strcmp(tok, "dl_vlan") || !strcmp(tok, "vlan_tci") ||
            !strcmp(tok, "nw_tos") || !strcmp(tok, "actions"))
            return fail(p, "%s: missing value (%s=VALUE)", tok, tok);
        return fail(p, "%s: unknown field or keyword", tok);
    }
    *eq = '\0';
    char *key = tok, *val = eq + 1;
    if (!*key)
        return fail(p, "%s: missing field name before '='", full);
    if (!*val)
        return fail(p, "%s: missing value after '='", full);

    bool handled;
    int r = parse_keyword_value(p, full, key, val, &handled);
    if (handled)
        return r;
    return parse_match_field(p, full, key, val);
}

static int check_match_prereqs(struct parser *p)
{
    for (unsigned i = 0; i < p->n_given; i++) {
        const struct given_field *g = &p->given[i];
        if (!prereq_ok(&p->spec->match, g->prereq)) {
            const char *what, *hint;
            if (is_l4_port_prereq(g->prereq) && later_fragment(&p->spec->match))
                return fail(p, "%s: a later fragment (nw_frag=later) has no L4 header to match",
                            g->tok);
            prereq_text(g->prereq, &what, &hint);
            return fail(p, "%s: field requires %s (add \"%s,\" before it)", g->tok, what, hint);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Actions.
 */
static const char *const stage_names[ST_N_STAGES] = {
    "meter", "apply_actions", "clear_actions", "write_actions", "write_metadata", "goto_table"};

struct act_list {
    struct dp_action *a;
    uint32_t *n;
    bool nested;       /* inside write_actions(...): no instructions */
    bool drop;         /* "drop" was given in this list */
    unsigned n_tokens; /* actions and instructions given in this list */
};

/* Appends a zeroed action of `type`; NULL (with the message set) when the list is full. */
static struct dp_action *act_push(struct parser *p, const char *tok, struct act_list *l,
                                  uint16_t type)
{
    if (*l->n >= DP_MAX_ACTIONS) {
        fail(p, "%s: too many actions (at most %d per list)", tok, DP_MAX_ACTIONS);
        return NULL;
    }
    struct dp_action *a = &l->a[(*l->n)++];
    memset(a, 0, sizeof *a);
    a->type = type;
    return a;
}

static bool match_proto(const struct flow_match *m, uint8_t proto)
{
    return flow_match_has_prereq(m, FP_IP_ANY) && m->mask.nw_proto == 0xff &&
           m->value.nw_proto == proto;
}

/* Which tcp/udp/sctp field tp_src/tp_dst means under this match, or FF_N_FIELDS. */
static enum flow_field_id l4_field(const struct flow_match *m, bool src)
{
    if (match_proto(m, 6))
        return src ? FF_TCP_SRC : FF_TCP_DST;
    if (match_proto(m, 17))
        return src ? FF_UDP_SRC : FF_UDP_DST;
    if (match_proto(m, 132))
        return src ? FF_SCTP_SRC : FF_SCTP_DST;
    return FF_N_FIELDS;
}

static int need_prereq(struct parser *p, const char *tok, int prereq)
{
    if (prereq_ok(&p->spec->match, prereq))
        return 0;
    if (is_l4_port_prereq(prereq) && later_fragment(&p->spec->match))
        return fail(p, "%s: a later fragment (nw_frag=later) has no L4 header to rewrite", tok);
    const char *what, *hint;
    prereq_text(prereq, &what, &hint);
    return fail(p, "%s: requires %s in the match (add \"%s,\" to the match)", tok, what, hint);
}

static int need_vlan(struct parser *p, const char *tok, const struct act_state *st)
{
    if (st->vlan)
        return 0;
    return fail(p, "%s: requires a VLAN tag (match one with dl_vlan=N, or push_vlan first)", tok);
}

/* Adds a SET_FIELD of field `id` with `value`/`wide` after checking its prerequisite. */
static int add_set_field(struct parser *p, const char *tok, struct act_list *l,
                         struct act_state *st, enum flow_field_id id, uint64_t value,
                         const uint8_t *wide)
{
    const struct flow_field *f = fld(id);
    if (id == FF_VLAN_VID || id == FF_VLAN_PCP) {
        if (need_vlan(p, tok, st))
            return -EINVAL;
    } else if (need_prereq(p, tok, f->prereq)) {
        return -EINVAL;
    }
    struct dp_action *a;
    if (!(a = act_push(p, tok, l, DP_ACT_SET_FIELD)))
        return -EINVAL;
    a->field = (uint16_t)id;
    if (wide)
        memcpy(a->value, wide, 16);
    else
        a->arg = value;
    return 0;
}

/* set_field:VALUE->FIELD */
static int parse_set_field(struct parser *p, const char *tok, char *arg, struct act_list *l,
                           struct act_state *st)
{
    char *arrow = strstr(arg, "->");
    if (!arrow)
        return fail(p, "%s: expected set_field:VALUE->FIELD", tok);
    *arrow = '\0';
    char *val = arg, *name = arrow + 2;
    if (!*val || !*name)
        return fail(p, "%s: expected set_field:VALUE->FIELD", tok);

    const struct flow_field *f = NULL;
    const struct flow_match *m = &p->spec->match;
    if (!strcmp(name, "tp_src") || !strcmp(name, "tp_dst")) {
        enum flow_field_id id = l4_field(m, name[3] == 's');
        if (id == FF_N_FIELDS)
            return fail(p,
                        "%s: %s requires tcp, udp or sctp in the match (add \"tcp,\" to the "
                        "match)",
                        tok, name);
        f = fld(id);
    } else if (!strcmp(name, "nw_tos")) {
        uint64_t tos;
        if (strchr(val, '/'))
            return fail(p, "%s: masked set_field is not supported", tok);
        if (parse_uint(p, tok, "TOS", val, 255, &tos))
            return -EINVAL;
        if (tos & 0x03)
            return fail(p, "%s: %s is not a valid TOS (DSCP << 2: a multiple of 4)", tok, val);
        return add_set_field(p, tok, l, st, FF_IP_DSCP, tos >> 2, NULL);
    } else {
        f = flow_field_by_name(name);
        if (f && (f->id == FF_ICMPV4_TYPE || f->id == FF_ICMPV4_CODE) &&
            flow_match_has_prereq(m, FP_ICMPV6))
            f = fld(f->id == FF_ICMPV4_TYPE ? FF_ICMPV6_TYPE : FF_ICMPV6_CODE);
    }
    if (!f)
        return fail(p, "%s: unknown field \"%s\"", tok, name);
    if (!f->writable)
        return fail(p, "%s: field %s is read-only", tok, name);

    if (f->n_bytes > 8) {
        uint8_t bv[16], bm[16];
        static const uint8_t ones[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        if (parse_ipv6(p, tok, val, true, bv, bm))
            return -EINVAL;
        if (memcmp(bm, ones, 16))
            return fail(p, "%s: masked set_field is not supported", tok);
        return add_set_field(p, tok, l, st, f->id, 0, bv);
    }
    uint64_t v, mk;
    if (parse_scalar(p, tok, f, val, true, &v, &mk))
        return -EINVAL;
    if (mk != field_max(f))
        return fail(p, "%s: masked set_field is not supported", tok);
    if (f->id == FF_VLAN_VID && !(v & FLOW_VLAN_PRESENT))
        return fail(p,
                    "%s: an OpenFlow 1.3 vlan_vid value includes the present bit 0x1000 "
                    "(%llu for VLAN %llu), or use mod_vlan_vid:%llu",
                    tok, (unsigned long long)(v | FLOW_VLAN_PRESENT), (unsigned long long)v,
                    (unsigned long long)v);
    return add_set_field(p, tok, l, st, f->id, v, NULL);
}

/* mod_vlan_vid / mod_vlan_pcp: like OVS on OpenFlow 1.1+, push a tag first when the packet
 * may not have one, then set the field. */
static int parse_mod_vlan(struct parser *p, const char *tok, const char *arg, bool vid,
                          struct act_list *l, struct act_state *st)
{
    uint64_t v;
    if (parse_uint(p, tok, vid ? "VLAN ID" : "VLAN PCP", arg, vid ? FLOW_VLAN_VID_MASK : 7, &v))
        return -EINVAL;
    if (!st->vlan) {
        struct dp_action *a;
        if (!(a = act_push(p, tok, l, DP_ACT_PUSH_VLAN)))
            return -EINVAL;
        a->arg = 0x8100;
        st->vlan = true;
    }
    if (vid)
        v |= FLOW_VLAN_PRESENT;
    return add_set_field(p, tok, l, st, vid ? FF_VLAN_VID : FF_VLAN_PCP, v, NULL);
}

/* mod_dl_src:MAC, mod_nw_dst:IP, ...: set_field under their OpenFlow 1.0 names. */
static int parse_mod_field(struct parser *p, const char *tok, const char *key, char *arg,
                           struct act_list *l, struct act_state *st, bool *handled)
{
    static const struct {
        const char *name;
        enum flow_field_id id;
    } mods[] = {
        {"mod_dl_src", FF_ETH_SRC},  {"mod_dl_dst", FF_ETH_DST}, {"mod_nw_src", FF_IPV4_SRC},
        {"mod_nw_dst", FF_IPV4_DST}, {"mod_nw_ecn", FF_IP_ECN},  {"mod_nw_ttl", FF_NW_TTL},
        {"mod_tp_src", FF_TCP_SRC},  {"mod_tp_dst", FF_TCP_DST},
    };
    *handled = false;
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        if (strcmp(key, mods[i].name))
            continue;
        *handled = true;
        if (!arg || !*arg)
            return fail(p, "%s: missing value (%s:VALUE)", tok, key);
        enum flow_field_id id = mods[i].id;
        if (id == FF_TCP_SRC || id == FF_TCP_DST) {
            id = l4_field(&p->spec->match, id == FF_TCP_SRC);
            if (id == FF_N_FIELDS)
                return fail(p,
                            "%s: requires tcp, udp or sctp in the match (add \"tcp,\" to the "
                            "match)",
                            tok);
        }
        uint64_t v, mk;
        if (parse_scalar(p, tok, fld(id), arg, false, &v, &mk))
            return -EINVAL;
        return add_set_field(p, tok, l, st, id, v, NULL);
    }
    if (!strcmp(key, "mod_nw_tos")) {
        uint64_t tos;
        *handled = true;
        if (!arg || !*arg)
            return fail(p, "%s: missing value (mod_nw_tos:TOS)", tok);
        if (parse_uint(p, tok, "TOS", arg, 255, &tos))
            return -EINVAL;
        if (tos & 0x03)
            return fail(p, "%s: %s is not a valid TOS (DSCP << 2: a multiple of 4)", tok, arg);
        return add_set_field(p, tok, l, st, FF_IP_DSCP, tos >> 2, NULL);
    }
    return 0;
}

static int parse_controller(struct parser *p, const char *tok, char *arg, bool paren,
                            struct act_list *l)
{
    uint64_t max_len = OFPCML_NO_BUFFER;
    if (arg && paren) {
        /* controller(key=value,...): only max_len is meaningful to sluice. */
        for (char *kv = arg, *next; kv; kv = next) {
            next = strchr(kv, ',');
            if (next)
                *next++ = '\0';
            if (strncmp(kv, "max_len=", 8))
                return fail(p, "%s: unsupported controller option \"%s\" (only max_len=N)", tok,
                            kv);
            if (parse_uint(p, tok, "max_len", kv + 8, 0xffff, &max_len))
                return -EINVAL;
        }
    } else if (arg && parse_uint(p, tok, "max_len", arg, 0xffff, &max_len)) {
        return -EINVAL;
    }
    struct dp_action *a;
    if (!(a = act_push(p, tok, l, DP_ACT_CONTROLLER)))
        return -EINVAL;
    a->arg = max_len;
    return 0;
}

/* output:P and bare P share this: reserved ports become their own actions. */
static int add_output(struct parser *p, const char *tok, uint32_t port, struct act_list *l)
{
    struct dp_action *a;
    switch (port) {
    case DP_OFPORT_ANY:
        return fail(p, "%s: cannot output to ANY (not a port)", tok);
    case DP_OFPORT_TABLE:
        return fail(p, "%s: output to TABLE is only valid in packet-out", tok);
    case DP_OFPORT_CONTROLLER:
        if (!(a = act_push(p, tok, l, DP_ACT_CONTROLLER)))
            return -EINVAL;
        a->arg = OFPCML_NO_BUFFER;
        return 0;
    default:
        if (!(a = act_push(p, tok, l, DP_ACT_OUTPUT)))
            return -EINVAL;
        a->port = port;
        return 0;
    }
}

static int parse_action_list(struct parser *p, const char *text, size_t len, struct act_list *l,
                             struct act_state *st);

static int enter_stage(struct parser *p, const char *tok, struct act_state *st,
                       enum instr_stage stage)
{
    if ((int)stage < st->stage && st->stage < ST_N_STAGES)
        return fail(p, "%s: invalid instruction ordering: %s must appear before %s", tok,
                    stage_names[stage], stage_names[st->stage]);
    if (stage != ST_APPLY && st->seen[stage])
        return fail(p, "%s: instruction %s given twice", tok, stage_names[stage]);
    st->seen[stage] = true;
    st->stage = (int)stage;
    return 0;
}

/* One action or instruction. `s`/`n` is the raw token; key is its leading word. */
static int parse_action(struct parser *p, const char *s, size_t n, struct act_list *l,
                        struct act_state *st)
{
    char tok[TOK_MAX], buf[TOK_MAX];
    struct flow_spec *spec = p->spec;
    if (!copy_slice(tok, sizeof tok, s, n) || !copy_slice(buf, sizeof buf, s, n)) {
        /* Only write_actions(...) may legitimately be this long; handle it on the slice. */
        if (n > 14 && !strncmp(s, "write_actions(", 14) && s[n - 1] == ')' && !l->nested) {
            if (enter_stage(p, "write_actions(...)", st, ST_WRITE_ACTIONS))
                return -EINVAL;
            struct act_list wl = {spec->write_actions, &spec->n_write_actions, true, false, 0};
            l->n_tokens++;
            spec->has_write_actions = true;
            return parse_action_list(p, s + 14, n - 15, &wl, st);
        }
        return set_err(p->err, p->errlen, "%.40s...: action too long", s);
    }

    /* `tok` stays whole for messages; `buf` is cut into key and argument. */
    size_t klen = strspn(buf, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    char key[TOK_MAX];
    char *arg = NULL;
    bool paren = false;
    memcpy(key, buf, klen);
    key[klen] = '\0';
    char *rest = buf + klen;
    if (*rest == ':' || *rest == '=') {
        arg = rest + 1;
    } else if (*rest == '(') {
        size_t alen = strlen(rest);
        if (rest[alen - 1] != ')')
            return fail(p, "%s: missing ')' at the end", tok);
        rest[alen - 1] = '\0';
        arg = rest + 1;
        paren = true;
    } else if (*rest) {
        /* Not key[:arg] syntax: only a port name (which may contain '-' or '.') fits. */
        klen = strlen(tok);
        memcpy(key, tok, klen + 1);
    }

    l->n_tokens++;
    if (!strcmp(key, "drop") && !arg) {
        l->drop = true;
        return 0;
    }

    /* Instructions. */
    static const char *const instrs[] = {"goto_table", "write_metadata", "write_actions",
                                         "clear_actions", "meter"};
    for (size_t i = 0; i < sizeof instrs / sizeof instrs[0]; i++)
        if (!strcmp(key, instrs[i]) && l->nested)
            return fail(p, "%s: instruction not allowed inside write_actions(...)", tok);
    if (!strcmp(key, "goto_table")) {
        uint64_t t;
        if (enter_stage(p, tok, st, ST_GOTO))
            return -EINVAL;
        if (!arg)
            return fail(p, "%s: missing table (goto_table:N)", tok);
        if (parse_uint(p, tok, "table", arg, TABLE_ID_MAX, &t))
            return -EINVAL;
        if (t <= spec->table_id)
            return fail(p, "%s: goto_table must go to a later table than this flow's table %u", tok,
                        spec->table_id);
        spec->has_goto_table = true;
        spec->goto_table = (uint8_t)t;
        return 0;
    }
    if (!strcmp(key, "write_metadata")) {
        if (enter_stage(p, tok, st, ST_WRITE_METADATA))
            return -EINVAL;
        if (!arg)
            return fail(p, "%s: missing value (write_metadata:V[/M])", tok);
        char *mstr = split_mask(arg);
        spec->write_metadata_mask = UINT64_MAX;
        if (parse_uint(p, tok, "metadata", arg, UINT64_MAX, &spec->write_metadata) ||
            (mstr &&
             parse_uint(p, tok, "metadata mask", mstr, UINT64_MAX, &spec->write_metadata_mask)))
            return -EINVAL;
        spec->has_write_metadata = true;
        return 0;
    }
    if (!strcmp(key, "write_actions")) {
        if (enter_stage(p, tok, st, ST_WRITE_ACTIONS))
            return -EINVAL;
        if (!paren)
            return fail(p, "%s: expected write_actions(ACTIONS)", tok);
        struct act_list wl = {spec->write_actions, &spec->n_write_actions, true, false, 0};
        spec->has_write_actions = true;
        return parse_action_list(p, arg, strlen(arg), &wl, st);
    }
    if (!strcmp(key, "clear_actions")) {
        if (arg)
            return fail(p, "%s: clear_actions takes no argument", tok);
        if (enter_stage(p, tok, st, ST_CLEAR))
            return -EINVAL;
        spec->clear_actions = true;
        return 0;
    }
    if (!strcmp(key, "meter")) {
        uint64_t m;
        if (enter_stage(p, tok, st, ST_METER))
            return -EINVAL;
        if (!arg)
            return fail(p, "%s: missing meter id (meter:N)", tok);
        if (parse_uint(p, tok, "meter id", arg, OFPM_MAX, &m))
            return -EINVAL;
        if (m == 0)
            return fail(p, "%s: meter 0 is not a valid meter id (1 to %u)", tok, OFPM_MAX);
        spec->meter_id = (uint32_t)m;
        return 0;
    }

    /* Everything else is an action of the current list (apply-actions at the top level). */
    if (!l->nested && enter_stage(p, tok, st, ST_APPLY))
        return -EINVAL;

    struct dp_action *a;
    uint64_t v;
    char why[160];
    uint32_t port;
    bool handled;
    int r = parse_mod_field(p, tok, key, arg, l, st, &handled);
    if (handled)
        return r;
    if (!strcmp(key, "output")) {
        if (!arg || paren)
            return fail(p, "%s: expected output:PORT", tok);
        if (port_from_string(arg, p->ports, &port, why, sizeof why))
            return fail(p, "%s: %s", tok, why);
        return add_output(p, tok, port, l);
    }
    /* Any case: "CONTROLLER:128" is how the action prints. */
    if (!strcasecmp(key, "controller"))
        return parse_controller(p, tok, arg, paren, l);
    if (!strcmp(key, "set_field")) {
        if (!arg)
            return fail(p, "%s: expected set_field:VALUE->FIELD", tok);
        return parse_set_field(p, tok, arg, l, st);
    }
    if (!strcmp(key, "push_vlan")) {
        if (!arg)
            return fail(p, "%s: missing TPID (push_vlan:0x8100)", tok);
        if (parse_uint(p, tok, "TPID", arg, 0xffff, &v))
            return -EINVAL;
        if (v != 0x8100 && v != 0x88a8)
            return fail(p, "%s: %s is not a VLAN ethertype (0x8100 or 0x88a8)", tok, arg);
        if (!(a = act_push(p, tok, l, DP_ACT_PUSH_VLAN)))
            return -EINVAL;
        a->arg = v;
        st->vlan = true;
        return 0;
    }
    if ((!strcmp(key, "pop_vlan") || !strcmp(key, "strip_vlan"))) {
        if (arg)
            return fail(p, "%s: %s takes no argument", tok, key);
        if (need_vlan(p, tok, st) || !(a = act_push(p, tok, l, DP_ACT_POP_VLAN)))
            return -EINVAL;
        /* An inner tag may remain, but nothing in the match says so. */
        st->vlan = false;
        return 0;
    }
    if (!strcmp(key, "mod_vlan_vid") || !strcmp(key, "mod_vlan_pcp")) {
        if (!arg)
            return fail(p, "%s: missing value (%s:N)", tok, key);
        return parse_mod_vlan(p, tok, arg, key[9] == 'v', l, st);
    }
    if (!strcmp(key, "dec_ttl")) {
        if (arg)
            return fail(p, "%s: dec_ttl with controller ids is not supported", tok);
        if (need_prereq(p, tok, FP_IP_ANY) || !(a = act_push(p, tok, l, DP_ACT_DEC_TTL)))
            return -EINVAL;
        return 0;
    }
    if (!strcmp(key, "group")) {
        if (!arg)
            return fail(p, "%s: missing group id (group:N)", tok);
        if (parse_uint(p, tok, "group id", arg, OFPG_MAX, &v) ||
            !(a = act_push(p, tok, l, DP_ACT_GROUP)))
            return -EINVAL;
        a->port = (uint32_t)v;
        return 0;
    }
    static const struct {
        const char *name;
        uint32_t port;
    } outs[] = {{"flood", DP_OFPORT_FLOOD},
                {"all", DP_OFPORT_ALL},
                {"in_port", DP_OFPORT_IN_PORT},
                {"local", DP_OFPORT_LOCAL},
                {"normal", DP_OFPORT_NORMAL}};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        if (!strcmp(key, outs[i].name)) {
            if (arg)
                return fail(p, "%s: %s takes no argument", tok, key);
            return add_output(p, tok, outs[i].port, l);
        }
    }
    if (arg)
        return fail(p, "%s: unknown or unsupported action \"%s\"", tok, key);
    /* A bare word: a port number, a reserved port name or a port name. */
    r = port_from_string(tok, p->ports, &port, why, sizeof why);
    if (r == -ENOENT)
        return fail(p, "%s: unknown action, and not a known port name", tok);
    if (r)
        return fail(p, "%s: %s", tok, why);
    return add_output(p, tok, port, l);
}

static bool is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Splits at separators outside parentheses. */
static int parse_action_list(struct parser *p, const char *text, size_t len, struct act_list *l,
                             struct act_state *st)
{
    size_t i = 0;
    while (i < len) {
        if (is_sep(text[i])) {
            i++;
            continue;
        }
        size_t start = i;
        int depth = 0;
        for (; i < len && (depth > 0 || !is_sep(text[i])); i++) {
            if (text[i] == '(')
                depth++;
            else if (text[i] == ')' && --depth < 0)
                return set_err(p->err, p->errlen, "%.*s: unbalanced ')'", (int)(i + 1 - start),
                               text + start);
        }
        if (depth > 0)
            return set_err(p->err, p->errlen, "%.*s: missing ')'", (int)(i - start), text + start);
        if (parse_action(p, text + start, i - start, l, st))
            return -EINVAL;
    }
    if (l->drop && l->n_tokens > 1)
        return set_err(p->err, p->errlen,
                       "%s%.*s%s: \"drop\" must not be accompanied by any other action or "
                       "instruction",
                       l->nested ? "write_actions(" : "actions=", (int)(len > 80 ? 80 : len), text,
                       l->nested ? ")" : "");
    return 0;
}

static int parse_actions(struct parser *p, const char *text)
{
    struct flow_spec *spec = p->spec;
    struct act_state st = {.vlan = flow_match_has_prereq(&spec->match, FP_VLAN), .stage = ST_METER};
    struct act_list l = {spec->actions, &spec->n_actions, false, false, 0};
    if (parse_action_list(p, text, strlen(text), &l, &st))
        return -EINVAL;
    /* write_actions() and write_actions(drop) write nothing: the same as no instruction. */
    if (spec->has_write_actions && spec->n_write_actions == 0)
        spec->has_write_actions = false;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Entry points.
 */
void flow_spec_init(struct flow_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->priority = OFP_DEFAULT_PRIORITY;
    spec->out_port = DP_OFPORT_ANY;
    spec->out_group = OFPG_ANY;
}

static int parse(struct parser *p, const char *text)
{
    const char *s = text;
    bool has_actions = false;
    while (*s) {
        if (is_sep(*s)) {
            s++;
            continue;
        }
        size_t n = 0;
        while (s[n] && !is_sep(s[n]))
            n++;
        if (n >= 8 && !strncmp(s, "actions=", 8)) {
            if (p->mode == FLOW_PARSE_FILTER)
                return fail(p,
                            "%.*s: actions are not allowed in a filter (del-flows, "
                            "dump-flows)",
                            (int)(strlen(s) > 60 ? 60 : strlen(s)), s);
            has_actions = true;
            if (check_match_prereqs(p))
                return -EINVAL;
            return parse_actions(p, s + 8);
        }
        char tok[TOK_MAX];
        if (!copy_slice(tok, sizeof tok, s, n))
            return fail(p, "%.40s...: token too long", s);
        if (parse_match_token(p, tok))
            return -EINVAL;
        s += n;
    }
    if (!has_actions && p->mode != FLOW_PARSE_FILTER)
        return fail(p,
                    "%s: missing \"actions=\" (required to add or modify a flow; "
                    "\"actions=drop\" to drop)",
                    *text ? text : "(empty flow)");
    return check_match_prereqs(p);
}

int flow_spec_parse(const char *text, enum flow_parse_mode mode, const struct port_resolver *ports,
                    struct flow_spec *spec, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!spec)
        return set_err(err, errlen, "internal error: no flow_spec to parse into");
    flow_spec_init(spec);
    if (!text)
        return set_err(err, errlen, "missing flow text");
    if (mode != FLOW_PARSE_ADD && mode != FLOW_PARSE_MODIFY && mode != FLOW_PARSE_FILTER)
        return set_err(err, errlen, "internal error: invalid parse mode %d", (int)mode);

    /* About 6 KB of stack: fine for any thread. */
    struct parser p = {.mode = mode, .ports = ports, .spec = spec, .err = err, .errlen = errlen};
    int r = parse(&p, text);
    if (r)
        flow_spec_init(spec);
    return r;
}

/* ---------------------------------------------------------------------------------------
 * Printing the match, in OVS's match_format() order.
 */
static void put_ipv4_masked(struct fs_buf *b, const char *name, uint32_t ip, uint32_t mask)
{
    if (!mask)
        return;
    buf_item(b, "%s=%u.%u.%u.%u", name, ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
    if (mask == 0xffffffffu)
        return;
    uint32_t inv = ~mask;
    if ((inv & (inv + 1)) == 0) /* contiguous prefix */
        buf_put(b, "/%d", 32 - __builtin_popcount(inv));
    else
        buf_put(b, "/%u.%u.%u.%u", mask >> 24, (mask >> 16) & 0xff, (mask >> 8) & 0xff,
                mask & 0xff);
}

static void put_mac(struct fs_buf *b, uint64_t mac)
{
    buf_put(b, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)(mac >> 40) & 0xff,
            (unsigned)(mac >> 32) & 0xff, (unsigned)(mac >> 24) & 0xff,
            (unsigned)(mac >> 16) & 0xff, (unsigned)(mac >> 8) & 0xff, (unsigned)mac & 0xff);
}

static void put_mac_masked(struct fs_buf *b, const char *name, uint64_t mac, uint64_t mask)
{
    if (!mask)
        return;
    buf_item(b, "%s=", name);
    put_mac(b, mac);
    if (mask != 0xffffffffffffull) {
        buf_put(b, "/");
        put_mac(b, mask);
    }
}

static void put_ipv6(struct fs_buf *b, const uint8_t *addr)
{
    char s[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, addr, s, sizeof s))
        snprintf(s, sizeof s, "?");
    buf_put(b, "%s", s);
}

static void put_ipv6_masked(struct fs_buf *b, const char *name, const uint8_t *addr,
                            const uint8_t *mask)
{
    int ones = 0;
    bool any = false, cidr = true;
    for (int i = 0; i < 16; i++) {
        any = any || mask[i];
        for (int bit = 7; bit >= 0; bit--) {
            if (mask[i] & (1 << bit)) {
                if (ones != i * 8 + (7 - bit))
                    cidr = false;
                ones++;
            }
        }
    }
    if (!any)
        return;
    buf_item(b, "%s=", name);
    put_ipv6(b, addr);
    if (ones == 128)
        return;
    if (cidr) {
        buf_put(b, "/%d", ones);
    } else {
        buf_put(b, "/");
        put_ipv6(b, mask);
    }
}

/* Integers as OVS's format_be16_masked: decimal when exact, hex value/mask otherwise. */
static void put_int_masked(struct fs_buf *b, const char *name, uint64_t v, uint64_t m,
                           uint64_t full)
{
    if (!m)
        return;
    if (m == full)
        buf_item(b, "%s=%llu", name, (unsigned long long)v);
    else
        buf_item(b, "%s=0x%llx/0x%llx", name, (unsigned long long)v, (unsigned long long)m);
}

/* 64-bit fields as OVS's format_be64_masked ("%#x": plain 0 for zero). */
static void put_hex64_masked(struct fs_buf *b, const char *name, uint64_t v, uint64_t m)
{
    if (!m)
        return;
    buf_item(b, "%s=%#llx", name, (unsigned long long)v);
    if (m != UINT64_MAX)
        buf_put(b, "/%#llx", (unsigned long long)m);
}

static void put_tcp_flags(struct fs_buf *b, uint16_t v, uint16_t m)
{
    if (!m)
        return;
    buf_item(b, "tcp_flags=");
    if (m == TCP_FLAGS_ALL) {
        if (!v) {
            buf_put(b, "0");
            return;
        }
        bool first = true;
        for (int i = 0; i < 12; i++) {
            if (v & (1 << i)) {
                buf_put(b, "%s%s", first ? "" : "|", tcp_flag_names[i]);
                first = false;
            }
        }
        return;
    }
    for (int i = 0; i < 12; i++)
        if (m & (1 << i))
            buf_put(b, "%c%s", (v & (1 << i)) ? '+' : '-', tcp_flag_names[i]);
}

static void put_vlan(struct fs_buf *b, uint16_t tci, uint16_t mask)
{
    if (!mask)
        return;
    uint16_t vid_m = mask & FLOW_VLAN_VID_MASK, pcp_m = mask & 0xe000;
    if ((mask & FLOW_VLAN_PRESENT) && (tci & FLOW_VLAN_PRESENT) &&
        (!vid_m || vid_m == FLOW_VLAN_VID_MASK) && (!pcp_m || pcp_m == 0xe000) &&
        (vid_m || pcp_m)) {
        if (vid_m)
            buf_item(b, "dl_vlan=%u", tci & FLOW_VLAN_VID_MASK);
        if (pcp_m)
            buf_item(b, "dl_vlan_pcp=%u", tci >> FLOW_VLAN_PCP_SHIFT);
    } else if (mask == 0xffff) {
        buf_item(b, "vlan_tci=0x%04x", tci);
    } else {
        buf_item(b, "vlan_tci=0x%04x/0x%04x", tci, mask);
    }
}

static void put_nw_frag(struct fs_buf *b, uint8_t v, uint8_t m)
{
    const char *s;
    switch (m & (FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER)) {
    case FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER:
        s = v & FLOW_NW_FRAG_ANY ? (v & FLOW_NW_FRAG_LATER ? "later" : "first")
                                 : (v & FLOW_NW_FRAG_LATER ? "<error>" : "no");
        break;
    case FLOW_NW_FRAG_ANY:
        s = v & FLOW_NW_FRAG_ANY ? "yes" : "no";
        break;
    case FLOW_NW_FRAG_LATER:
        s = v & FLOW_NW_FRAG_LATER ? "later" : "not_later";
        break;
    default:
        return;
    }
    buf_item(b, "nw_frag=%s", s);
}

int flow_spec_format_match(const struct flow_match *match, uint16_t priority,
                           const struct port_resolver *ports, char *buf, size_t len)
{
    struct fs_buf b;
    buf_init(&b, buf, len);
    if (!match)
        return 0;
    const struct flow_key *v = &match->value, *m = &match->mask;

    if (priority != OFP_DEFAULT_PRIORITY)
        buf_item(&b, "priority=%u", priority);

    uint16_t et = (uint16_t)fget(fld(FF_ETH_TYPE), v);
    uint16_t et_m = (uint16_t)fget(fld(FF_ETH_TYPE), m);
    uint8_t proto = v->nw_proto, proto_m = m->nw_proto;
    bool skip_type = false, skip_proto = false;
    if (et_m == 0xffff) {
        const char *shorthand = NULL;
        skip_type = true;
        if (et == 0x0800 || et == 0x86dd) {
            bool v6 = et == 0x86dd;
            shorthand = v6 ? "ipv6" : "ip";
            if (proto_m == 0xff) {
                skip_proto = true;
                switch (proto) {
                case 1:
                    if (v6)
                        skip_proto = false;
                    else
                        shorthand = "icmp";
                    break;
                case 58:
                    if (v6)
                        shorthand = "icmp6";
                    else
                        skip_proto = false;
                    break;
                case 6:
                    shorthand = v6 ? "tcp6" : "tcp";
                    break;
                case 17:
                    shorthand = v6 ? "udp6" : "udp";
                    break;
                case 132:
                    shorthand = v6 ? "sctp6" : "sctp";
                    break;
                default:
                    skip_proto = false;
                    break;
                }
            }
        } else if (et == 0x0806) {
            shorthand = "arp";
        } else if (et == 0x8035) {
            shorthand = "rarp";
        } else {
            skip_type = false;
        }
        if (shorthand)
            buf_item(&b, "%s", shorthand);
    }

    put_hex64_masked(&b, "tun_id", fget(fld(FF_TUN_ID), v), fget(fld(FF_TUN_ID), m));
    put_ipv4_masked(&b, "tun_src", (uint32_t)fget(&ff_tun_src, v), (uint32_t)fget(&ff_tun_src, m));
    put_ipv4_masked(&b, "tun_dst", (uint32_t)fget(&ff_tun_dst, v), (uint32_t)fget(&ff_tun_dst, m));
    put_hex64_masked(&b, "metadata", fget(fld(FF_METADATA), v), fget(fld(FF_METADATA), m));
    if (m->in_port) {
        buf_item(&b, "in_port=");
        put_port(&b, v->in_port, ports);
    }
    put_vlan(&b, (uint16_t)fget(&ff_vlan_tci, v), (uint16_t)fget(&ff_vlan_tci, m));
    put_mac_masked(&b, "dl_src", fget(fld(FF_ETH_SRC), v), fget(fld(FF_ETH_SRC), m));
    put_mac_masked(&b, "dl_dst", fget(fld(FF_ETH_DST), v), fget(fld(FF_ETH_DST), m));
    if (!skip_type && et_m) {
        if (et_m == 0xffff)
            buf_item(&b, "dl_type=0x%04x", et);
        else
            buf_item(&b, "dl_type=0x%04x/0x%04x", et, et_m);
    }

    bool arp = et == 0x0806 || et == 0x8035;
    if (et == 0x86dd) {
        put_ipv6_masked(&b, "ipv6_src", v->ipv6_src, m->ipv6_src);
        put_ipv6_masked(&b, "ipv6_dst", v->ipv6_dst, m->ipv6_dst);
        uint32_t label = (uint32_t)fget(fld(FF_IPV6_LABEL), v);
        uint32_t label_m = (uint32_t)fget(fld(FF_IPV6_LABEL), m);
        if (label_m == 0xfffff)
            buf_item(&b, "ipv6_label=0x%05x", label);
        else if (label_m)
            buf_item(&b, "ipv6_label=0x%05x/0x%05x", label, label_m);
    } else {
        put_ipv4_masked(&b, arp ? "arp_spa" : "nw_src", (uint32_t)fget(fld(FF_IPV4_SRC), v),
                        (uint32_t)fget(fld(FF_IPV4_SRC), m));
        put_ipv4_masked(&b, arp ? "arp_tpa" : "nw_dst", (uint32_t)fget(fld(FF_IPV4_DST), v),
                        (uint32_t)fget(fld(FF_IPV4_DST), m));
    }
    if (!skip_proto && proto_m)
        buf_item(&b, "%s=%u", arp ? "arp_op" : "nw_proto", proto);
    if (arp) {
        put_mac_masked(&b, "arp_sha", fget(fld(FF_ARP_SHA), v), fget(fld(FF_ARP_SHA), m));
        put_mac_masked(&b, "arp_tha", fget(fld(FF_ARP_THA), v), fget(fld(FF_ARP_THA), m));
    }
    if (m->nw_tos & 0xfc)
        buf_item(&b, "nw_tos=%u", v->nw_tos & 0xfc);
    if (m->nw_tos & 0x03)
        buf_item(&b, "nw_ecn=%u", v->nw_tos & 0x03);
    if (m->nw_ttl)
        buf_item(&b, "nw_ttl=%u", v->nw_ttl);
    put_nw_frag(&b, v->nw_frag, m->nw_frag);

    if ((et == 0x0800 && proto == 1) || (et == 0x86dd && proto == 58)) {
        const struct flow_field *type = fld(FF_ICMPV4_TYPE), *code = fld(FF_ICMPV4_CODE);
        put_int_masked(&b, "icmp_type", fget(type, v), fget(type, m), 0xff);
        put_int_masked(&b, "icmp_code", fget(code, v), fget(code, m), 0xff);
        if (et == 0x86dd) {
            put_ipv6_masked(&b, "nd_target", v->nd_target, m->nd_target);
            put_mac_masked(&b, "nd_sll", fget(fld(FF_ND_SLL), v), fget(fld(FF_ND_SLL), m));
            put_mac_masked(&b, "nd_tll", fget(fld(FF_ND_TLL), v), fget(fld(FF_ND_TLL), m));
        }
    } else {
        put_int_masked(&b, "tp_src", fget(fld(FF_TCP_SRC), v), fget(fld(FF_TCP_SRC), m), 0xffff);
        put_int_masked(&b, "tp_dst", fget(fld(FF_TCP_DST), v), fget(fld(FF_TCP_DST), m), 0xffff);
    }
    if ((et == 0x0800 || et == 0x86dd) && proto == 6)
        put_tcp_flags(&b, (uint16_t)fget(fld(FF_TCP_FLAGS), v),
                      (uint16_t)fget(fld(FF_TCP_FLAGS), m));
    return buf_result(&b);
}

/* ---------------------------------------------------------------------------------------
 * Printing actions, as OVS prints them after an OpenFlow 1.3 round trip.
 */

/* set_field prints OXM names, which differ from the match's OpenFlow 1.0 names. */
static const char *set_field_name(const struct flow_field *f)
{
    switch (f->id) {
    case FF_ETH_SRC:
    case FF_ETH_DST:
    case FF_IPV4_SRC:
    case FF_IPV4_DST:
        return f->alias;
    default:
        return f->name;
    }
}

static void put_set_field(struct fs_buf *b, const struct dp_action *a)
{
    if (a->field >= FF_N_FIELDS) {
        buf_item(b, "set_field:?-><invalid field %u>", a->field);
        return;
    }
    const struct flow_field *f = fld((enum flow_field_id)a->field);
    if (f->id == FF_NW_TTL) {
        /* nw_ttl has no OXM: OpenFlow 1.3 carries it as OFPAT_SET_NW_TTL. */
        buf_item(b, "mod_nw_ttl:%llu", (unsigned long long)(a->arg & 0xff));
        return;
    }
    buf_item(b, "set_field:");
    switch (f->format) {
    case FFF_DECIMAL:
    case FFF_PORT:
        buf_put(b, "%llu", (unsigned long long)a->arg);
        break;
    case FFF_HEX:
        buf_put(b, "%#llx", (unsigned long long)a->arg);
        break;
    case FFF_ETHERNET:
        put_mac(b, a->arg);
        break;
    case FFF_IPV4:
        buf_put(b, "%u.%u.%u.%u", (unsigned)(a->arg >> 24) & 0xff, (unsigned)(a->arg >> 16) & 0xff,
                (unsigned)(a->arg >> 8) & 0xff, (unsigned)a->arg & 0xff);
        break;
    case FFF_IPV6:
        put_ipv6(b, a->value);
        break;
    }
    buf_put(b, "->%s", set_field_name(f));
}

static void put_actions(struct fs_buf *b, const struct dp_action *list, uint32_t n,
                        const struct port_resolver *ports)
{
    if (n > DP_MAX_ACTIONS)
        n = DP_MAX_ACTIONS;
    for (uint32_t i = 0; i < n; i++) {
        const struct dp_action *a = &list[i];
        switch (a->type) {
        case DP_ACT_OUTPUT:
            switch (a->port) {
            case DP_OFPORT_IN_PORT:
            case DP_OFPORT_TABLE:
            case DP_OFPORT_NORMAL:
            case DP_OFPORT_FLOOD:
            case DP_OFPORT_ALL:
            case DP_OFPORT_LOCAL:
                buf_item(b, "%s", reserved_port_name(a->port));
                break;
            case DP_OFPORT_CONTROLLER:
                buf_item(b, "CONTROLLER:%u", OFPCML_NO_BUFFER);
                break;
            default:
                buf_item(b, "output:");
                put_port(b, a->port, ports);
                break;
            }
            break;
        case DP_ACT_CONTROLLER:
            buf_item(b, "CONTROLLER:%llu", (unsigned long long)a->arg);
            break;
        case DP_ACT_PUSH_VLAN:
            buf_item(b, "push_vlan:%#llx", (unsigned long long)a->arg);
            break;
        case DP_ACT_POP_VLAN:
            buf_item(b, "pop_vlan");
            break;
        case DP_ACT_SET_VLAN_VID:
            /* OpenFlow 1.3 has no set_vlan_vid: it travels as set_field with the present
             * bit. */
            buf_item(b, "set_field:%llu->vlan_vid",
                     (unsigned long long)((a->arg & FLOW_VLAN_VID_MASK) | FLOW_VLAN_PRESENT));
            break;
        case DP_ACT_SET_VLAN_PCP:
            buf_item(b, "set_field:%llu->vlan_pcp", (unsigned long long)(a->arg & 7));
            break;
        case DP_ACT_DEC_TTL:
            buf_item(b, "dec_ttl");
            break;
        case DP_ACT_SET_FIELD:
            put_set_field(b, a);
            break;
        case DP_ACT_GROUP:
            buf_item(b, "group:%u", a->port);
            break;
        default:
            buf_item(b, "<unknown action type %u>", a->type);
            break;
        }
    }
}

int flow_spec_format_actions(const struct flow_spec *spec, const struct port_resolver *ports,
                             char *buf, size_t len)
{
    struct fs_buf b;
    buf_init(&b, buf, len);
    if (!spec)
        return 0;
    if (spec->meter_id)
        buf_item(&b, "meter:%u", spec->meter_id);
    put_actions(&b, spec->actions, spec->n_actions, ports);
    if (spec->clear_actions)
        buf_item(&b, "clear_actions");
    if (spec->has_write_actions) {
        buf_item(&b, "write_actions(");
        struct fs_buf inner = b;
        inner.first = true;
        put_actions(&inner, spec->write_actions, spec->n_write_actions, ports);
        b.n = inner.n;
        buf_put(&b, ")");
    }
    if (spec->has_write_metadata) {
        buf_item(&b, "write_metadata:%#llx", (unsigned long long)spec->write_metadata);
        if (spec->write_metadata_mask != UINT64_MAX)
            buf_put(&b, "/%#llx", (unsigned long long)spec->write_metadata_mask);
    }
    if (spec->has_goto_table)
        buf_item(&b, "goto_table:%u", spec->goto_table);
    if (b.first)
        buf_item(&b, "drop");
    return buf_result(&b);
}
