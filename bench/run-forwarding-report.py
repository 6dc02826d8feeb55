#!/usr/bin/env python3
"""run-forwarding-report.py — the Markdown tables of bench/run-forwarding.sh.

Reads the per-run JSON lines the script wrote and prints: the commands of the first run of
each system, one row per run, medians per (frame size, flows, system) and the ratios of
sluice to the ceiling and to OVS.

Two costs per packet are shown for the switch. "switch cyc/pkt" is what the switch itself
counts: TSC cycles of its loop iterations that received packets, per packet; time the thread
was preempted inside such an iteration counts as well, so on a shared CPU it overstates the
cost. "CPU cyc/pkt" = the CPU time the PMD thread really got during the window (from
/proc, in TSC cycles) per packet forwarded: immune to preemption, but it counts idle polling
too, so it is the switch's cost per packet only while the switch is the bottleneck (the
generator found the vm1 ring full: "refused" well above 0).

A run is "clean" when the switch's PMD thread and the generator each got at least
CLEAN_PCT % (environment, default 85) of their CPU during the sending window. With the
machine to itself a busy-polling thread gets ~100% in this accounting; when sleeping daemons
of other users wake often, 87-94% (seen here), hence 85 and not 95. A lower share
means the run measured the scheduler rather than the switch: medians are given over all
runs and over clean runs, and the ratios use clean medians where every system has some.
A run the script redid because it was contended (--retry-contended) is listed, marked
"retried", and left out of the medians: the last attempt of each run counts.

Usage: run-forwarding-report.py RUNS.jsonl COMMANDS.tsv "SYSTEMS" "SCENARIOS" GEN_CPU PMD_CPU
"""
import glob
import json
import os
import statistics
import sys

CLEAN_PCT = float(os.environ.get("CLEAN_PCT", "85"))
NAMES = {"testpmd": "testpmd io-fwd (ceiling)", "sluice": "sluice", "ovs": "OVS-DPDK"}


def fmt(v, nd=3):
    return "-" if v is None else f"{v:.{nd}f}"


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def shape(vals):
    """How the runs spread: BIMODAL if the sorted values split into two groups of at least
    two runs with a gap above 15% of the median; noisy if the range exceeds 20%."""
    v = sorted(x for x in vals if x is not None)
    if len(v) < 2:
        return ""
    m = statistics.median(v)
    if m <= 0:
        return ""
    if len(v) >= 4:
        g, i = max((v[k + 1] - v[k], k) for k in range(len(v) - 1))
        if g / m > 0.15 and i + 1 >= 2 and len(v) - i - 1 >= 2:
            return f"BIMODAL ({fmt(v[i])} / {fmt(v[i + 1])})"
    spread = (v[-1] - v[0]) / m
    if spread > 0.2:
        return f"noisy (range {spread * 100:.0f}% of median)"
    return ""


def tsc_hz_of(runs_path):
    """The generator's TSC rate, from any run's JSON summary beside the runs file."""
    for path in sorted(glob.glob(os.path.join(os.path.dirname(runs_path), "r*", "gen.json"))):
        try:
            hz = json.load(open(path)).get("tsc_hz")
        except (OSError, ValueError):
            continue
        if hz:
            return float(hz)
    return None


def cpu_cpp(r, hz):
    """CPU cycles the PMD thread got per forwarded packet (see the module comment)."""
    p = (r.get("window") or {}).get("pmd_thread_pct")
    rate = r.get("rx_mpps")
    if hz is None or p is None or not rate:
        return None
    return p / 100.0 * hz / (rate * 1e6)


def cache_note(r):
    """Which fast path served the packets: sluice's exact-match cache hit rate; for OVS the
    share of each of its caches (simple match, EMC, SMC, megaflow)."""
    sw = r.get("switch") or {}
    if r["system"] == "sluice" and (sw.get("emc_hits") or sw.get("emc_misses")):
        tot = sw["emc_hits"] + sw["emc_misses"]
        return f"EMC {100 * sw['emc_hits'] / tot:.1f}%"
    if r["system"] == "ovs" and sw.get("packets"):
        parts = [(k, sw.get(f)) for k, f in (("simple", "simple_match_hits"), ("EMC", "emc_hits"),
                                             ("SMC", "smc_hits"), ("megaflow", "megaflow_hits"))]
        return " ".join(f"{k} {100 * v / sw['packets']:.0f}%" for k, v in parts if v)
    return "-"


def is_clean(r):
    w = r.get("window") or {}
    p, g = w.get("pmd_thread_pct"), w.get("gen_proc_pct")
    return p is not None and g is not None and p >= CLEAN_PCT and g >= CLEAN_PCT


def main(argv):
    if len(argv) != 7:
        sys.exit(__doc__.strip().splitlines()[-1])
    runs = [json.loads(line) for line in open(argv[1]) if line.strip()]
    last = {}
    for r in runs:
        k = (r["round"], r["system"], r["size"], r["flows"])
        last[k] = max(last.get(k, 0), r.get("attempt", 1))
    for r in runs:
        k = (r["round"], r["system"], r["size"], r["flows"])
        r["retried"] = r.get("attempt", 1) < last[k]
    active = argv[3].split()
    scen = [tuple(int(x) for x in s.split(":")) for s in argv[4].split()]
    gen_cpu, pmd_cpu = argv[5], argv[6]
    hz = tsc_hz_of(argv[1])

    print("Commands of the first run of each system (later runs differ in paths and EAL "
          "prefixes only):")
    print()
    print("```")
    try:
        for line in open(argv[2]):
            print(line.rstrip("\n").split("\t", 1)[-1].strip())
    except FileNotFoundError:
        pass
    print("```")
    print()

    print("Per run. rx = packets received on the generator's port 1 per second of sending; "
          "refused = share of the generator's tx attempts that the vm1 ring did not take "
          "(the switch drained it slower than the generator filled it); lost = sent - "
          "received; switch cyc/pkt = the switch PMD's TSC cycles in loop iterations that "
          "received packets, per packet (time the thread was preempted inside such an "
          "iteration counts too); switch busy = those iterations' share of the PMD's cycles; "
          "cache hits = which fast path served the packets (sluice: its exact-match cache; "
          "OVS: simple match / EMC / SMC / megaflow shares); "
          "CPU cyc/pkt = CPU time the PMD thread got in the window, in TSC cycles, per "
          "forwarded packet (includes idle polling: the switch's cost only when refused > 0); "
          "PMD CPU% / gen CPU% = share of its CPU that the switch's PMD thread / the "
          "generator really got during the sending window; bg = busy % of CPU "
          f"{gen_cpu}/{pmd_cpu} from other work during 1 s before the run (after waiting "
          "`waited` s for it to calm down); busy/steal = whole-CPU figures during the "
          f"window. Runs where the PMD or the generator got less than {CLEAN_PCT:.0f}% of "
          "its CPU are marked `*` (contended); \"retried\" ones were redone and do not count.")
    print()
    print("| round | frame B | flows | system | rx Mpps | tx Mpps | refused | lost | "
          "switch cyc/pkt | CPU cyc/pkt | switch busy % | cache hits | gen cyc/pkt | PMD CPU% | "
          "gen CPU% | bg % | waited s | PMD-CPU busy/steal % | gen-CPU busy/steal % | load1 |")
    print("|" + "---|" * 20)
    for r in runs:
        g = r.get("gen") or {}
        w = r.get("window") or {}
        bg = r.get("background") or {}
        att = r.get("attempt", 1)
        rnd = f"{r['round']}" + (f" (attempt {att}{', retried' if r['retried'] else ''})"
                                 if att > 1 or r["retried"] else "")
        head = f"| {rnd} | {r['size']} | {r['flows']} | {r['system']}"
        if not g:
            print(f"{head} | FAILED: {(r.get('error') or '?')[:150]} |" + " |" * 15)
            continue
        tx, rx = g.get("tx"), g.get("rx")
        lost = (tx - rx) if tx is not None and rx is not None else None
        att = (tx or 0) + (g.get("tx_failed") or 0)
        refused = f"{100 * (g.get('tx_failed') or 0) / att:.0f}%" if att else "-"
        mark = "" if is_clean(r) else " *"
        print(f"{head} | {fmt(r.get('rx_mpps'))}{mark} | {fmt(r.get('tx_mpps'))} | {refused} | "
              f"{lost if lost is not None else '-'} | {fmt(r.get('switch_cpp'), 0)} | "
              f"{fmt(cpu_cpp(r, hz), 0)} | "
              f"{fmt(r.get('switch_busy_pct'), 0)} | {cache_note(r)} | "
              f"{fmt(g.get('cycles_per_packet'), 0)} | "
              f"{w.get('pmd_thread_pct', '-')} | {w.get('gen_proc_pct', '-')} | "
              f"{bg.get('gen_cpu_busy_pct', '-')}/{bg.get('pmd_cpu_busy_pct', '-')} | "
              f"{bg.get('waited_s', '-')} | "
              f"{w.get('pmd_cpu_busy_pct', '-')}/{w.get('pmd_cpu_steal_pct', '-')} | "
              f"{w.get('gen_cpu_busy_pct', '-')}/{w.get('gen_cpu_steal_pct', '-')} | "
              f"{w.get('loadavg1', '-')} |"
              + (f" error: {r['error'][:100]}" if r.get("error") else ""))
    print()

    print("Medians (all runs, then clean runs only):")
    print()
    print("| frame B | flows | system | runs ok | rx Mpps median | min..max | shape | "
          "switch cyc/pkt median | CPU cyc/pkt median | min..max | PMD CPU% median | "
          "clean runs | clean rx Mpps median | clean min..max | clean switch cyc/pkt median |")
    print("|" + "---|" * 15)
    med_all, med_clean = {}, {}
    for size, flows in scen:
        for s in active:
            rs = [r for r in runs if r["system"] == s and r["size"] == size
                  and r["flows"] == flows and not r["retried"]]
            ok = [r for r in rs if r.get("rx_mpps") is not None]
            cl = [r for r in ok if is_clean(r)]
            mp = [r["rx_mpps"] for r in ok]
            cmp_ = [r["rx_mpps"] for r in cl]
            m, c = med(mp), med(r.get("switch_cpp") for r in ok)
            cc_all = [x for x in (cpu_cpp(r, hz) for r in ok) if x is not None]
            pc = med((r.get("window") or {}).get("pmd_thread_pct") for r in ok)
            cm, cc = med(cmp_), med(r.get("switch_cpp") for r in cl)
            med_all[(size, flows, s)] = (m, c, med(cc_all))
            med_clean[(size, flows, s)] = (cm, cc, None)
            rng = f"{fmt(min(mp))}..{fmt(max(mp))}" if mp else "-"
            crng = f"{fmt(min(cmp_))}..{fmt(max(cmp_))}" if cmp_ else "-"
            ccr = f"{min(cc_all):.0f}..{max(cc_all):.0f}" if cc_all else "-"
            print(f"| {size} | {flows} | {NAMES[s]} | {len(ok)}/{len(rs)} | {fmt(m)} | {rng} | "
                  f"{shape(mp) or '-'} | {fmt(c, 0)} | {fmt(med(cc_all), 0)} | {ccr} | "
                  f"{fmt(pc, 1)} | {len(cl)} | {fmt(cm)} | {crng} | {fmt(cc, 0)} |")
    print()

    if "sluice" not in active or len(active) < 2:
        return

    def ratio(a, b):
        return f"{a / b:.2f}" if a is not None and b not in (None, 0) else "-"

    print("Ratios of medians (Mpps: above 1 means sluice forwards more; cyc/pkt: below 1 "
          "means sluice spends fewer cycles per packet). `clean` uses only clean runs and "
          "is `-` where a system has none:")
    print()
    print("| frame B | flows | sluice/ceiling Mpps | sluice/OVS Mpps | "
          "sluice/ceiling switch cyc/pkt | sluice/OVS switch cyc/pkt | "
          "sluice/ceiling CPU cyc/pkt | sluice/OVS CPU cyc/pkt | "
          "clean: sluice/ceiling Mpps | clean: sluice/OVS Mpps |")
    print("|" + "---|" * 10)
    for size, flows in scen:
        sa, ta, oa = (med_all.get((size, flows, k), (None, None, None))
                      for k in ("sluice", "testpmd", "ovs"))
        sc, tc, oc = (med_clean.get((size, flows, k), (None, None, None))
                      for k in ("sluice", "testpmd", "ovs"))
        row = [ratio(sa[0], ta[0]), ratio(sa[0], oa[0]), ratio(sa[1], ta[1]), ratio(sa[1], oa[1]),
               ratio(sa[2], ta[2]), ratio(sa[2], oa[2]), ratio(sc[0], tc[0]), ratio(sc[0], oc[0])]
        print(f"| {size} | {flows} | " + " | ".join(row) + " |")
    print()


if __name__ == "__main__":
    main(sys.argv)
