# oskens_l2switch.py — an L2 learning switch controller for os-ken (OpenFlow 1.3), used by
# test-oskens-controller.sh to drive sluiced the way a real SDN controller does.
#
# What it does, per connected switch (datapath):
#   - on connect (FEATURES_REPLY): installs the table-miss flow, priority 0, match all,
#     actions=CONTROLLER:65535 (OFPCML_NO_BUFFER: the whole frame comes up; sluice has no
#     packet buffers, n_buffers 0);
#   - on PACKET_IN: learns eth_src -> in_port; when eth_dst is known, installs
#     priority=1,in_port,eth_src,eth_dst -> output:PORT with cookie LEARNED_COOKIE (so a
#     test or an operator can select them: del-flows "cookie=0x1ea4/-1") and an idle timeout
#     (learned flows age out, and a host that moved is relearned), and sends the packet out
#     that port;
#     otherwise (unknown or broadcast destination) floods it with PACKET_OUT (FLOOD).
#   - logs every switch connect/disconnect, learned flow and OFPT_ERROR on one line each,
#     prefixed "l2switch:", so a test can count them in the log.
#
# Run it (listens on 127.0.0.1:PORT; the switch connects with `set-controller tcp:...`):
#     osken-manager --ofp-listen-host 127.0.0.1 --ofp-tcp-listen-port PORT \
#         tests/integration/oskens_l2switch.py
# or  python3 tests/integration/oskens_l2switch.py PORT   (the same, through os-ken's manager)
#
# Environment: L2SWITCH_IDLE_TIMEOUT (seconds, default 60) and L2SWITCH_HARD_TIMEOUT (default
# 0: none) for the learned flows.
#
# The learned flows match in_port too (not only eth_dst): a frame from a port the switch has
# not seen that host on still comes to the controller, which is what lets the controller
# learn every (host, port) pair and keeps flooding loops out of a two-port test.

import os
import sys

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import CONFIG_DISPATCHER, DEAD_DISPATCHER, MAIN_DISPATCHER
from os_ken.controller.handler import set_ev_cls
from os_ken.lib.packet import ether_types, ethernet, packet
from os_ken.ofproto import ofproto_v1_3

LOG_PREFIX = "l2switch:"
LEARNED_COOKIE = 0x1EA4


def _env_seconds(name, default):
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise SystemExit("%s=%r: expected a number of seconds" % (name, value))
    if not 0 <= n <= 65535:
        raise SystemExit("%s=%d: must be 0..65535 (an OpenFlow 16-bit timeout)" % (name, n))
    return n


class L2Switch(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.idle_timeout = _env_seconds("L2SWITCH_IDLE_TIMEOUT", 60)
        self.hard_timeout = _env_seconds("L2SWITCH_HARD_TIMEOUT", 0)
        self.mac_to_port = {}   # dpid -> {mac: port}
        self.n_packet_in = 0

    def log(self, fmt, *args):
        # print, not self.logger: os-ken's log level and handlers depend on its options, the
        # test's assertions must not.
        print(LOG_PREFIX + " " + (fmt % args), flush=True)

    def add_flow(self, dp, priority, match, actions, idle=0, hard=0, cookie=0):
        ofp = dp.ofproto
        parser = dp.ofproto_parser
        inst = [parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, actions)]
        dp.send_msg(parser.OFPFlowMod(datapath=dp, cookie=cookie, priority=priority, match=match,
                                      instructions=inst, idle_timeout=idle,
                                      hard_timeout=hard, buffer_id=ofp.OFP_NO_BUFFER))

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def switch_features(self, ev):
        dp = ev.msg.datapath
        ofp = dp.ofproto
        parser = dp.ofproto_parser
        # A reconnecting switch may still hold flows learned before: they stay valid (same
        # hosts, same ports) and age out by themselves; only the miss flow is (re)installed.
        self.mac_to_port.setdefault(dp.id, {})
        miss = [parser.OFPActionOutput(ofp.OFPP_CONTROLLER, ofp.OFPCML_NO_BUFFER)]
        self.add_flow(dp, 0, parser.OFPMatch(), miss)
        self.log("switch %016x connected (n_tables %d, n_buffers %d); table-miss installed",
                 dp.id, ev.msg.n_tables, ev.msg.n_buffers)

    @set_ev_cls(ofp_event.EventOFPStateChange, DEAD_DISPATCHER)
    def switch_gone(self, ev):
        dp = ev.datapath
        if dp.id is not None:
            self.log("switch %016x disconnected", dp.id)

    @set_ev_cls(ofp_event.EventOFPErrorMsg, [CONFIG_DISPATCHER, MAIN_DISPATCHER])
    def error(self, ev):
        m = ev.msg
        self.log("OFPT_ERROR from %016x: type %d code %d (xid %d)",
                 m.datapath.id, m.type, m.code, m.xid)

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def packet_in(self, ev):
        msg = ev.msg
        dp = msg.datapath
        ofp = dp.ofproto
        parser = dp.ofproto_parser
        in_port = msg.match["in_port"]
        pkt = packet.Packet(msg.data)
        eth = pkt.get_protocol(ethernet.ethernet)
        if eth is None:
            self.log("packet_in on port %d: not an Ethernet frame (%d bytes), dropped",
                     in_port, len(msg.data))
            return
        if eth.ethertype == ether_types.ETH_TYPE_LLDP:
            return
        self.n_packet_in += 1
        table = self.mac_to_port.setdefault(dp.id, {})
        if table.get(eth.src) != in_port:
            self.log("learned %s on port %d of %016x", eth.src, in_port, dp.id)
        table[eth.src] = in_port
        out_port = table.get(eth.dst, ofp.OFPP_FLOOD)
        if out_port == in_port:
            # The destination sits behind the port the frame came from: nothing to forward.
            return
        actions = [parser.OFPActionOutput(out_port)]
        if out_port != ofp.OFPP_FLOOD:
            match = parser.OFPMatch(in_port=in_port, eth_src=eth.src, eth_dst=eth.dst)
            self.add_flow(dp, 1, match, actions, self.idle_timeout, self.hard_timeout,
                          LEARNED_COOKIE)
            self.log("flow in_port=%d,eth_src=%s,eth_dst=%s -> output:%d (idle %d s)",
                     in_port, eth.src, eth.dst, out_port, self.idle_timeout)
        # The flow-mod goes first on the same connection, so the switch has it before this
        # packet is out; the packet itself is sent back whole (no buffer id).
        dp.send_msg(parser.OFPPacketOut(datapath=dp, buffer_id=ofp.OFP_NO_BUFFER,
                                        in_port=in_port, actions=actions, data=msg.data))


if __name__ == "__main__":
    if len(sys.argv) < 2 or not sys.argv[1].isdigit():
        sys.exit("usage: %s PORT [osken-manager options...]" % sys.argv[0])
    from os_ken.cmd import manager
    port = sys.argv[1]
    sys.argv = [sys.argv[0], "--ofp-listen-host", "127.0.0.1", "--ofp-tcp-listen-port", port,
                *sys.argv[2:], os.path.abspath(__file__)]
    manager.main()
