/* group-syntax.h — ovs-ofctl's group and meter syntax, parsed and printed.
 *
 * What?
 *   The text that `ovs-ofctl -O OpenFlow13 add-group / mod-group / del-groups / add-meter /
 *   mod-meter / del-meters / dump-meters / meter-stats` take, and what `dump-groups`,
 *   `dump-group-stats`, `dump-meters` and `meter-stats` print, so that sluicectl reads and
 *   writes exactly the same thing:
 *     group_id=1,type=select,bucket=weight:10,output:1,bucket=weight:20,output:2
 *     group_id=3,type=ff,bucket=watch_port:vm1,actions=output:vm1,bucket=watch_port:vm2,...
 *     meter=1,kbps,band=type=drop,rate=1000
 *     meter=2 pktps burst stats band=type=drop rate=100 burst_size=20
 *   Printing is byte for byte what ovs-ofctl 3.x prints for the same OpenFlow 1.3 reply; the
 *   unit test holds strings captured from a real ovs-ofctl and Open vSwitch.
 *
 * Parsing follows ovs-ofctl's rules and wording.
 *   Groups: everything before the first "bucket=" is group_id / type; each "bucket=" starts
 *   a bucket whose items are weight:N, watch_port:P, watch_group:G, actions=A and, like
 *   ovs-ofctl, any other item is an action ("bucket=output:1" = "bucket=actions=output:1").
 *   Bucket actions use the flow syntax's action parser (flow-syntax.h). A bucket has no match,
 *   so a set_field whose prerequisite a flow would have to match (ip_dst needs "ip") is
 *   accepted, as ovs-ofctl accepts it. Port names are resolved through `ports`.
 *   Meters: meter=N, the flags kbps/pktps/burst/stats, then "band=" and the bands, each
 *   starting with type=drop. sluice meters support drop bands only: dscp_remark is refused
 *   here with that reason rather than by the switch.
 *   Every error returns -EINVAL with a message naming the token and the cause (ovs-ofctl's
 *   own wording where it has one: "must specify a group_id", "Only select groups can have
 *   bucket weights.").
 *
 * OpenFlow 1.5 only parts (bucket_id, selection_method, fields, insert/remove bucket) are
 *   refused with that reason: sluice speaks OpenFlow 1.3.
 *
 * Threads: pure functions over caller memory, any thread; no allocation except a scratch
 *   copy of the text being parsed.
 */
#ifndef SLUICE_OFPROTO_GROUP_SYNTAX_H
#define SLUICE_OFPROTO_GROUP_SYNTAX_H

#include <stddef.h>
#include <stdint.h>

#include "ofproto/flow-syntax.h"
#include "ofproto/ofp-msgs.h"

/* Parses a group for `command`: OFPGC_ADD and OFPGC_MODIFY need group_id and type and take
 * buckets; OFPGC_DELETE takes only group_id ("" or "group_id=all": every group, OFPG_ALL),
 * which is also the form dump-group-stats filters take. `gm` is fully overwritten.
 * Returns 0, or -EINVAL with a message in err (always terminated). */
int gs_group_parse(const char *text, uint16_t command, const struct port_resolver *ports,
                   struct ofp_group_mod *gm, char *err, size_t errlen);

/* Parses an action list that comes without a match ("output:1,dec_ttl"): a group bucket's
 * or a packet-out's. Prerequisites that a flow's match would have to pin are not required
 * (see above). Instructions (goto_table, write_actions, meter...) are refused. Fills
 * acts[DP_MAX_ACTIONS] and *n_acts ("drop": none). 0 or -EINVAL with a message. */
int gs_actions_parse(const char *text, const struct port_resolver *ports, struct dp_action *acts,
                     uint32_t *n_acts, char *err, size_t errlen);

/* A bare group id as `ovs-ofctl dump-groups SWITCH GROUP` takes it: a number (decimal or
 * 0x hex), "all" or "any" (any case). 0 or -EINVAL with a message. */
int gs_group_id_parse(const char *text, uint32_t *group_id, char *err, size_t errlen);

/* One group as dump-groups prints it, without the leading space:
 * "group_id=1,type=select,bucket=weight:10,actions=output:1,bucket=...". snprintf
 * semantics: returns the length the whole text needs. */
int gs_group_format(const struct ofp_group *g, const struct port_resolver *ports, char *buf,
                    size_t len);

/* One group's statistics as dump-group-stats prints them, without the leading space:
 * "group_id=1,duration=2.5s,ref_count=0,packet_count=0,byte_count=0,bucket0:packet_count=0,
 * byte_count=0". snprintf semantics. */
int gs_group_stats_format(const struct ofp_group_stats *gs, char *buf, size_t len);

/* Meter parse modes besides OFPMC_ADD / OFPMC_MODIFY (meter=, flags and bands required)
 * and OFPMC_DELETE (meter= only; "" = every meter, OFPM_ALL). */
#define GS_METER_ID_ONLY (-1) /* dump-meters / meter-stats filter: meter= only, "" = all */

/* Parses a meter for `command` (OFPMC_ADD, OFPMC_MODIFY, OFPMC_DELETE or GS_METER_ID_ONLY).
 * `mm` is fully overwritten; mm->command is set for the three commands. 0 or -EINVAL. */
int gs_meter_parse(const char *text, int command, struct ofp_meter_mod *mm, char *err,
                   size_t errlen);

/* One meter as dump-meters prints it, ending with a newline:
 * "meter=1 kbps bands=\ntype=drop rate=1000\n". snprintf semantics. */
int gs_meter_config_format(const struct ofp_meter_config *mc, char *buf, size_t len);

/* One meter's statistics as meter-stats prints them, ending with a newline:
 * "meter:1 flow_count:0 packet_in_count:0 byte_in_count:0 duration:1.5s bands:\n
 *  0: packet_count:0 byte_count:0\n". snprintf semantics. */
int gs_meter_stats_format(const struct ofp_meter_stats *ms, char *buf, size_t len);

/* A duration as ovs-ofctl prints it: "5s", "5.250s" (whole milliseconds: three decimals),
 * "5.000001s" (else the nanoseconds without trailing zeros). snprintf semantics. */
int gs_duration_format(uint32_t sec, uint32_t nsec, char *buf, size_t len);

#endif
