#!/usr/bin/env python3
"""run-forwarding-report.py — the Markdown tables of bench/run-forwarding.sh.

Reads the per-run JSON lines the script wrote and prints: the commands of the first run of
each system, one row per run, medians per (frame size, flows, system) and the ratios of
sluice to the ceiling and to OVS.

A run is "clean" when the switch's PMD thread and the generator each got at least
CLEAN_PCT % of their CPU during the sending window. On a machine shared with other work,
a contended run measures the scheduler rather than the switch: medians are given over all
runs and over clean runs, and the ratios use clean medians where every system has some.

Usage: run-forwarding-report.py RUNS.jsonl COMMANDS.tsv "SYSTEMS" "SCENARIOS" GEN_CPU PMD_CPU
"""
import json
import statistics
import sys

CLEAN_PCT = 90.0
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


def is_clean(r):
    w = r.get("window") or {}
    p, g = w.get("pmd_thread_pct"), w.get("gen_proc_pct")
    return p is not None and g is not None and p >= CLEAN_PCT and g >= CLEAN_PCT


def main(argv):
    if len(argv) != 7:
        sys.exit(__doc__.strip().splitlines()[-1])
    runs = [json.loads(line) for line in open(argv[1]) if line.strip()]
    active = argv[3].split()
    scen = [tuple(int(x) for x in s.split(":")) for s in argv[4].split()]
    gen_cpu, pmd_cpu = argv[5], argv[6]

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
          "PMD CPU% / gen CPU% = share of its CPU that the switch's PMD thread / the "
          "generator really got during the sending window; bg = busy % of CPU "
          f"{gen_cpu}/{pmd_cpu} from other work during 1 s before the run (after waiting "
          "`waited` s for it to calm down); busy/steal = whole-CPU figures during the "
          f"window. Runs where the PMD or the generator got less than {CLEAN_PCT:.0f}% of "
          "its CPU are marked `*` (contended).")
    print()
    print("| round | frame B | flows | system | rx Mpps | tx Mpps | refused | lost | "
          "switch cyc/pkt | switch busy % | gen cyc/pkt | PMD CPU% | gen CPU% | bg % | "
          "waited s | PMD-CPU busy/steal % | gen-CPU busy/steal % | load1 |")
    print("|" + "---|" * 18)
    for r in runs:
        g = r.get("gen") or {}
        w = r.get("window") or {}
        bg = r.get("background") or {}
        head = f"| {r['round']} | {r['size']} | {r['flows']} | {r['system']}"
        if not g:
            print(f"{head} | FAILED: {(r.get('error') or '?')[:150]} |" + " |" * 13)
            continue
        tx, rx = g.get("tx"), g.get("rx")
        lost = (tx - rx) if tx is not None and rx is not None else None
        att = (tx or 0) + (g.get("tx_failed") or 0)
        refused = f"{100 * (g.get('tx_failed') or 0) / att:.0f}%" if att else "-"
        mark = "" if is_clean(r) else " *"
        print(f"{head} | {fmt(r.get('rx_mpps'))}{mark} | {fmt(r.get('tx_mpps'))} | {refused} | "
              f"{lost if lost is not None else '-'} | {fmt(r.get('switch_cpp'), 0)} | "
              f"{fmt(r.get('switch_busy_pct'), 0)} | {fmt(g.get('cycles_per_packet'), 0)} | "
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
          "switch cyc/pkt median | clean runs | clean rx Mpps median | clean min..max | "
          "clean switch cyc/pkt median |")
    print("|" + "---|" * 12)
    med_all, med_clean = {}, {}
    for size, flows in scen:
        for s in active:
            rs = [r for r in runs
                  if r["system"] == s and r["size"] == size and r["flows"] == flows]
            ok = [r for r in rs if r.get("rx_mpps") is not None]
            cl = [r for r in ok if is_clean(r)]
            mp = [r["rx_mpps"] for r in ok]
            cmp_ = [r["rx_mpps"] for r in cl]
            m, c = med(mp), med(r.get("switch_cpp") for r in ok)
            cm, cc = med(cmp_), med(r.get("switch_cpp") for r in cl)
            med_all[(size, flows, s)] = (m, c)
            med_clean[(size, flows, s)] = (cm, cc)
            rng = f"{fmt(min(mp))}..{fmt(max(mp))}" if mp else "-"
            crng = f"{fmt(min(cmp_))}..{fmt(max(cmp_))}" if cmp_ else "-"
            print(f"| {size} | {flows} | {NAMES[s]} | {len(ok)}/{len(rs)} | {fmt(m)} | {rng} | "
                  f"{shape(mp) or '-'} | {fmt(c, 0)} | {len(cl)} | {fmt(cm)} | {crng} | "
                  f"{fmt(cc, 0)} |")
    print()

    if "sluice" not in active or len(active) < 2:
        return

    def ratio(a, b):
        return f"{a / b:.2f}" if a is not None and b not in (None, 0) else "-"

    print("Ratios of medians (Mpps: above 1 means sluice forwards more; cyc/pkt: below 1 "
          "means sluice spends fewer cycles per packet). `clean` uses only clean runs and "
          "is `-` where a system has none:")
    print()
    print("| frame B | flows | sluice/ceiling Mpps | sluice/OVS Mpps | sluice/ceiling cyc/pkt | "
          "sluice/OVS cyc/pkt | clean: sluice/ceiling Mpps | clean: sluice/OVS Mpps | "
          "clean: sluice/ceiling cyc/pkt | clean: sluice/OVS cyc/pkt |")
    print("|" + "---|" * 10)
    for size, flows in scen:
        row = []
        for table in (med_all, med_clean):
            sm, sc = table.get((size, flows, "sluice"), (None, None))
            tm, tc = table.get((size, flows, "testpmd"), (None, None))
            om, oc = table.get((size, flows, "ovs"), (None, None))
            row += [ratio(sm, tm), ratio(sm, om), ratio(sc, tc), ratio(sc, oc)]
        print(f"| {size} | {flows} | " + " | ".join(row) + " |")
    print()


if __name__ == "__main__":
    main(sys.argv)
