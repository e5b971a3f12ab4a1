#!/usr/bin/env python3
"""results.tsv (tool, phase, N, wall s, CPU s, peak RSS MiB) → the Markdown table of
benches/poll/run.sh: medians per (tool, phase, N), each peer beside tidings, and the
ratios (peer time / tidings time: how many times faster tidings is; RSS: tidings / peer)."""
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timezone

rows = defaultdict(list)
parse = {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) != 6:
        continue
    tool, phase, n = f[0], f[1], f[2]
    if phase == "parse":
        parse[(tool, n)] = (float(f[4]), int(f[5]))
        continue
    rows[(tool, phase, n)].append((float(f[3]), float(f[4]), float(f[5])))
work = sys.argv[2]


def med(tool, phase, n):
    runs = rows.get((tool, phase, n))
    if not runs:
        return None
    return tuple(statistics.median(r[k] for r in runs) for k in range(3)) + (len(runs),)


def secs(x):
    return "–" if x is None else (f"{x:.2f} s" if x < 10 else f"{x:.1f} s")


def ratio(a, b):
    if a is None or b is None or a <= 0:
        return "–"
    return f"{b / a:.1f}×"


def mem_ratio(a, b):
    if a is None or b is None or b <= 0:
        return "–"
    return f"{a / b:.2f}"


mem_kb = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")))
load = open("/proc/loadavg").read().split()[:3]
out = []
out.append(f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, "
           f"{mem_kb / 1048576:.0f} GiB; load average at the end {' '.join(load)} "
           f"(other builds were running when it is above ~1). Medians of the runs shown; "
           "wall and CPU of the whole process; RSS is peak resident (`/usr/bin/time -v`).")
out.append("")
out.append("| N | poll | tidings wall / CPU / RSS | newsboat wall / CPU / RSS | × newsboat (wall, CPU) "
           "| rss2email wall / CPU / RSS | × rss2email (wall, CPU) | RSS tidings / newsboat |")
out.append("|---|---|---|---|---|---|---|---|")
sizes = sorted({k[2] for k in rows}, key=int)


def cell(m):
    if m is None:
        return "–"
    return f"{secs(m[0])} / {secs(m[1])} / {m[2]:.0f} MiB ({m[3]} run{'s' if m[3] > 1 else ''})"


for n in sizes:
    for phase in ("cold", "304", "round2"):
        t = med("tidings", phase, n)
        b = med("newsboat", phase, n)
        e = med("rss2email", phase, n)
        if t is None:
            continue
        g = lambda m, k: None if m is None else m[k]
        out.append(
            f"| {int(n):,} | {phase} | {cell(t)} | {cell(b)} | {ratio(t[0], g(b, 0))}, {ratio(t[1], g(b, 1))} "
            f"| {cell(e)} | {ratio(t[0], g(e, 0))}, {ratio(t[1], g(e, 1))} | {mem_ratio(t[2], g(b, 2))} |")
out.append("")
for n in sizes:
    c = med("curl", "fetch", n)
    extra = []
    if c:
        extra.append(f"fetch-only floor (curl, 16 at a time) {secs(c[0])}")
    cold = med("tidings", "cold", n)
    if cold:
        extra.append(f"tidings cold {int(n) / cold[0]:,.0f} feeds/s")
    p = os.path.join(work, f"store-bytes-{n}")
    if os.path.exists(p):
        b = int(open(p).read())
        items = int(n) * 22
        extra.append(f"sled directory after round 2: {b / 1e6:.0f} MB for {items:,} items "
                     f"({b / items * 1e5 / 1e9:.2f} GB per 100,000 items)")
    size = os.path.join(work, f"feeds-{n}.size")
    if os.path.exists(size):
        extra.append("feeds: " + open(size).read().strip())
    tp, fp = parse.get(("tidings", n)), parse.get(("feedparser", n))
    if tp:
        extra.append(f"parse only ({tp[1]} files): tidings {tp[0]:.0f} MB/s"
                     + (f", feedparser {fp[0]:.2f} MB/s ({tp[0] / fp[0]:.0f}×)" if fp and fp[0] > 0 else ""))
    out.append(f"- N = {int(n):,}: " + "; ".join(extra) + ".")
print("\n".join(out))
