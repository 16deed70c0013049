#!/usr/bin/env python3
"""Young-GC pauses, native heap trims and other safepoints in a sidecar's JVM log, over its last SECONDS.

    bench/gc-log-stats.py LOG [SECONDS]

LOG is written with -Xlog:gc,safepoint,trimnative:file=LOG:uptime (e.g. a line added to a build's flags file for
bench/sidecar-ab.sh); SECONDS, the measured part at the log's end (default: all of it).
"""
import re
import sys

f, win = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 1e9
lines = open(f).read().splitlines()
ts = lambda l: float(re.match(r"\[([0-9.]+)s\]", l).group(1))
end = ts(lines[-1])
gc = [float(re.search(r"([0-9.]+)ms$", l).group(1)) for l in lines if "Pause Young" in l and ts(l) > end - win]
tr = [float(re.search(r"([0-9.]+)ms$", l).group(1)) for l in lines if "Periodic Trim" in l and ts(l) > end - win]
sp = [l for l in lines if "Safepoint" in l and "GenCollect" not in l and ts(l) > end - win]
gc.sort(); tr.sort()
q = lambda v, p: v[min(len(v) - 1, int(len(v) * p))] if v else 0
print(f"{f}: last {min(win, end):.0f} s: {len(gc)} young GCs, median {q(gc,.5):.2f} ms, p90 {q(gc,.9):.2f}, max {q(gc,1):.2f}, total {sum(gc):.0f} ms;"
      f" {len(tr)} trims, median {q(tr,.5):.1f} ms, p90 {q(tr,.9):.1f}, max {q(tr,1):.1f}, {sum(1 for x in tr if x > 5)} over 5 ms, total {sum(tr):.0f} ms;"
      f" other safepoints {len(sp)}: " + ", ".join(sorted(set(re.search(r'"(\w+)"', l).group(1) for l in sp))))
