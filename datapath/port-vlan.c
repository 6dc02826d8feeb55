/* port-vlan.c — parsing and printing of a port's VLAN configuration: see port-vlan.h. */
#include "datapath/port-vlan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void port_vlan_init(struct port_vlan *pv)
{
    memset(pv, 0, sizeof *pv);
    pv->all = true;
}

bool port_vlan_is_default(const struct port_vlan *pv)
{
    return !pv || (!pv->tag && pv->all);
}

/* A decimal VLAN of at most 4 digits at *s; advances *s past it. */
static bool parse_vid(const char **s, unsigned *out)
{
    const char *p = *s;
    unsigned v = 0;
    size_t n = 0;
    while (p[n] >= '0' && p[n] <= '9') {
        if (n == 4)
            return false;
        v = v * 10 + (unsigned)(p[n] - '0');
        n++;
    }
    if (!n || v > PORT_VLAN_MAX)
        return false;
    *out = v;
    *s = p + n;
    return true;
}

int port_vlan_parse_tag(const char *s, uint16_t *tag, char *err, size_t errlen)
{
    if (!strcmp(s, "none")) {
        *tag = 0;
        return 0;
    }
    const char *p = s;
    unsigned v;
    if (!parse_vid(&p, &v) || *p || v == 0) {
        snprintf(err, errlen,
                 "tag=%.32s: expected a VLAN from 1 to %d (an access port), or none (a trunk)", s,
                 PORT_VLAN_MAX);
        return -EINVAL;
    }
    *tag = (uint16_t)v;
    return 0;
}

int port_vlan_parse_trunks(const char *s, struct port_vlan *pv, char *err, size_t errlen)
{
    if (!strcmp(s, "all")) {
        pv->all = true;
        memset(pv->trunks, 0, sizeof pv->trunks);
        return 0;
    }
    uint64_t bits[sizeof pv->trunks / sizeof pv->trunks[0]] = {0};
    const char *p = s;
    for (;;) {
        const char *elem = p;
        size_t elen = strcspn(elem, ",");
        unsigned lo, hi;
        bool ok = parse_vid(&p, &lo);
        hi = lo;
        if (ok && *p == '-') {
            p++;
            ok = parse_vid(&p, &hi) && hi >= lo;
        }
        if (!ok || (*p && *p != ',')) {
            if (!elen)
                snprintf(err, errlen, "trunks=%.64s: empty element (expected e.g. 10,20,30-40)",
                         s);
            else
                snprintf(err, errlen,
                         "trunks=%.64s: bad element \"%.*s\": expected a VLAN (0 to %d) or a "
                         "range A-B with A <= B",
                         s, (int)(elen > 16 ? 16 : elen), elem, PORT_VLAN_MAX);
            return -EINVAL;
        }
        for (unsigned v = lo; v <= hi; v++)
            bits[v >> 6] |= 1ull << (v & 63);
        if (!*p)
            break;
        p++; /* ',' */
        if (!*p) {
            snprintf(err, errlen, "trunks=%.64s: ends with ','", s);
            return -EINVAL;
        }
    }
    pv->all = false;
    memcpy(pv->trunks, bits, sizeof bits);
    return 0;
}

int port_vlan_check(const struct port_vlan *pv, char *err, size_t errlen)
{
    if (pv->tag && !pv->all) {
        snprintf(err, errlen,
                 "tag=%u with trunks: an access port carries only its tag's VLAN (tag and "
                 "trunks together, OVS's native-tagged/native-untagged modes, are not "
                 "supported); give tag=none or trunks=all",
                 pv->tag);
        return -EINVAL;
    }
    return 0;
}

static bool has(const struct port_vlan *pv, unsigned v)
{
    return pv->trunks[v >> 6] >> (v & 63) & 1;
}

size_t port_vlan_format_trunks(const struct port_vlan *pv, char *buf, size_t len)
{
    if (!pv || pv->all)
        return (size_t)snprintf(buf, len, "all");
    size_t n = 0;
    if (len)
        buf[0] = '\0';
    for (unsigned v = 0; v <= PORT_VLAN_MAX; v++) {
        if (!has(pv, v))
            continue;
        unsigned end = v;
        while (end < PORT_VLAN_MAX && has(pv, end + 1))
            end++;
        int k = end == v ? snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s%u",
                                    n ? "," : "", v)
                         : snprintf(buf + (n < len ? n : len), n < len ? len - n : 0,
                                    "%s%u-%u", n ? "," : "", v, end);
        n += (size_t)k;
        v = end;
    }
    return n;
}
