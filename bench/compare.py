#!/usr/bin/env python3
"""Warren vs RabbitMQ report (Markdown) from a results.jsonl written by bench/scenarios.sh.

    bench/compare.py RESULTS.jsonl [--brokers "warren rabbit"] [--shared DIR] [--meta TEXT] [--builds FILE]

Per (broker, scenario, rep) the least disturbed try (lowest other_cpu_pct) is used, as in the shared
summarize.py; every figure is the median over repetitions, and each ratio is median(warren) / median(rabbit).
CPU per message = broker_cpu_pct / recv_rate, computed per run (then the median), in microseconds of CPU time
per received message (100 % = one core busy for the whole measured window).
With --shared, the shared summarize.py's detailed table (median [min-max]) is appended."""
import argparse, json, os, statistics, subprocess, sys
from collections import defaultdict

ap = argparse.ArgumentParser()
ap.add_argument("results")
ap.add_argument("--brokers", default="warren rabbit", help="numerator first, denominator second")
ap.add_argument("--shared", help="shared bench dir (for its summarize.py)")
ap.add_argument("--meta", default="")
ap.add_argument("--builds", help="file with the build/version of each broker start")
a = ap.parse_args()

rows = [json.loads(l) for l in open(a.results) if l.strip()]
for r in rows:  # same noise definition as the shared summarize.py
    if "sys_cpu_pct" in r and "broker_cpu_pct" in r:
        r["other_cpu_pct"] = round(r["sys_cpu_pct"] - r["gen_cpu_pct"] - r["broker_cpu_pct"], 1)
    cpu, rate = r.get("broker_cpu_pct"), r.get("recv_rate")
    if cpu is not None and cpu >= 0 and rate:
        r["cpu_us_per_msg"] = cpu / 100 / rate * 1e6

best = {}
for r in rows:
    if "scenario" not in r or r["scenario"].startswith("f-"):
        continue
    k = (r["broker"], r["scenario"], r["rep"])
    if k not in best or r.get("other_cpu_pct", 0) < best[k].get("other_cpu_pct", 0):
        best[k] = r
by = defaultdict(list)
for (b, s, _), r in sorted(best.items()):
    by[(b, s)].append(r)

brokers = a.brokers.split()
num, den = brokers[0], brokers[1] if len(brokers) > 1 else None
scen = sorted({s for _, s in by})
names = {"a": "a. 1p/1c 16 B transient autoack", "b": "b. 1p/1c 1 KB transient autoack",
         "c": "c. 1p confirms(1000)+persistent, 1c ack prefetch 1000, 1 KB",
         "d": "d. fanout 1p -> 4 queues/4c, 256 B autoack", "e": "e. 5,000 msg/s fixed, 256 B, 1p/1c",
         "g": "g. 10p/10c on 10 queues, 256 B autoack"}
# (broker, scenario) -> why the figures must not be compared with RabbitMQ's
# (empty since Warren stores persistent messages and confirms after fdatasync, like RabbitMQ)
caveats: dict = {}


def med(b, s, key):
    v = [r[key] for r in by.get((b, s), []) if r.get(key) is not None and (r[key] >= 0 or key == "other_cpu_pct")]
    return statistics.median(v) if v else None


def f(v, fmt="{:,.0f}"):
    return "n/a" if v is None else fmt.format(v)


def ratio(x, y):
    return "n/a" if x is None or y is None or y == 0 else f"{x / y:.2f}"


def base(b):
    return b.split("+")[0]


out = [f"# {num} vs {den}: scenarios {' '.join(scen)}", ""]
out.append(f"Source: `{os.path.basename(a.results)}` ({len(rows)} runs). {a.meta}".rstrip())
out.append("")
if a.builds and os.path.exists(a.builds):
    out.append("Builds measured:")
    out.append("")
    out += [f"- `{l}`" for l in dict.fromkeys(x.strip() for x in open(a.builds) if x.strip())]
    out.append("")
out.append(f"Machine: {os.cpu_count()} CPUs, shared with other users (see `other CPU %`); "
           f"Linux {os.uname().release}.")
out.append("")

if den:
    out.append(f"## Throughput and CPU per message, {num}/{den} (medians of repetitions)")
    out.append("")
    out.append(f"| scenario | {num} recv msg/s | {den} recv msg/s | **recv {num}/{den}** | {num} sent msg/s | "
               f"{den} sent msg/s | {num} CPU % | {den} CPU % | {num} CPU µs/msg | {den} CPU µs/msg | "
               f"CPU/msg {num}/{den} | other CPU % ({num}/{den}) | reps |")
    out.append("|---|" + "---|" * 12)
    notes = []
    for s in scen:
        nr, dr = med(num, s, "recv_rate"), med(den, s, "recv_rate")
        nc, dc = med(num, s, "cpu_us_per_msg"), med(den, s, "cpu_us_per_msg")
        label = names.get(s, s)
        cav = [c for (b, cs), c in caveats.items() if cs == s and b in (base(num), base(den))]
        if cav:
            label += " ⚠"
            notes += [f"⚠ {s}: {c}." for c in cav]
        rr = ratio(nr, dr) if not cav else f"({ratio(nr, dr)}, not comparable)"
        cr = ratio(nc, dc) if not cav else f"({ratio(nc, dc)}, not comparable)"
        out.append(f"| {label} | {f(nr)} | {f(dr)} | **{rr}** | {f(med(num, s, 'sent_rate'))} | "
                   f"{f(med(den, s, 'sent_rate'))} | {f(med(num, s, 'broker_cpu_pct'))} | "
                   f"{f(med(den, s, 'broker_cpu_pct'))} | {f(nc, '{:.2f}')} | {f(dc, '{:.2f}')} | {cr} | "
                   f"{f(med(num, s, 'other_cpu_pct'))} / {f(med(den, s, 'other_cpu_pct'))} | "
                   f"{len(by.get((num, s), []))}/{len(by.get((den, s), []))} |")
    out.append("")
    out += notes
    if notes:
        out.append("")
    if "e" in scen:
        out.append("Latency at a fixed rate (scenario e), medians, µs:")
        out.append("")
        out.append(f"| percentile | {num} | {den} | {num}/{den} |")
        out.append("|---|---|---|---|")
        for k in ["lat_p50_us", "lat_p95_us", "lat_p99_us", "lat_max_us"]:
            out.append(f"| {k[4:7]} | {f(med(num, 'e', k))} | {f(med(den, 'e', k))} | "
                       f"{ratio(med(num, 'e', k), med(den, 'e', k))} |")
        out.append("")
    out.append("Columns: *recv/sent msg/s* = messages consumed/published per second over the measured window "
               "(fanout d counts each of the 4 deliveries); *CPU %* = broker process CPU (user+sys) over the window, "
               "100 = one core; *CPU µs/msg* = broker CPU time per received message (broker_cpu_pct / recv_rate); "
               "*other CPU %* = machine busy minus generator minus broker (noise from other processes).")
    out.append("")

if a.shared and os.path.exists(os.path.join(a.shared, "summarize.py")):
    out.append("## Detail (shared summarize.py: median [min-max] (n))")
    out.append("")
    p = subprocess.run([sys.executable, os.path.join(a.shared, "summarize.py"), a.results],
                       capture_output=True, text=True)
    out.append(p.stdout.rstrip() or f"summarize.py failed: {p.stderr.strip()}")
    out.append("")
    for (b, s), c in caveats.items():
        if any(base(x) == b for x in brokers) and s in scen:
            out.append(f"⚠ {b} {s}: {c}.")
    out.append("")

out.append("## Runs (every try; * = the try used for its repetition)")
out.append("")
out.append("| broker | scenario | rep | try | recv msg/s | sent msg/s | broker CPU % | CPU µs/msg | gen CPU % | "
           "other CPU % | lat p50 µs | queue depth at end | errors |")
out.append("|---|" + "---|" * 12)
used = {id(r) for r in best.values()}
for r in rows:
    if "scenario" not in r or r["scenario"].startswith("f-"):
        continue
    out.append(f"| {r['broker']} | {r['scenario']} | {r['rep']} | {r.get('try', '')}{' *' if id(r) in used else ''} | "
               f"{f(r.get('recv_rate'))} | {f(r.get('sent_rate'))} | {f(r.get('broker_cpu_pct'))} | "
               f"{f(r.get('cpu_us_per_msg'), '{:.2f}')} | {f(r.get('gen_cpu_pct'))} | {f(r.get('other_cpu_pct'))} | "
               f"{f(r.get('lat_p50_us'))} | {f(r.get('queue_depth_end'))} | {r.get('errors', '')} |")
print("\n".join(out))
