#!/usr/bin/env python3
"""Aggregates a JFR recording of the sidecar (bench/sidecar-ab.sh with AB_JFR=1) over its event loop's stacks.

    bench/jfr-top.py FILE.jfr                 # top frames by self samples, then by inclusive samples, then
                                              # the top allocation sites (jdk.ObjectAllocationSample, by weight)
    bench/jfr-top.py FILE.jfr PATTERN...      # the share of the event loop's samples with a frame matching each
                                              # regular expression (Class.method, the class without its package)

JFR samples Java frames only: time in the kernel (a proxy's syscalls) is not in these shares.
"""
import collections
import json
import re
import subprocess
import sys


def events(path, kind):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", kind, path],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["recording"]["events"]


def frames(event):
    trace = event["values"]["stackTrace"]
    if not trace:
        return []
    return [f["method"]["type"]["name"].split("/")[-1] + "." + f["method"]["name"] for f in trace["frames"]]


def main():
    path, patterns = sys.argv[1], sys.argv[2:]
    stacks = [frames(e) for e in events(path, "jdk.ExecutionSample")
              if "EventLoop" in (e["values"]["sampledThread"]["javaName"] or "")]
    stacks = [s for s in stacks if s]
    n = len(stacks)
    print(f"{n} event-loop samples")
    if not n:
        return
    if patterns:
        for p in patterns:
            r = re.compile(p)
            hits = sum(1 for s in stacks if any(r.search(f) for f in s))
            print(f"{100 * hits / n:5.1f}%  {p}")
        return
    own = collections.Counter(s[0] for s in stacks)
    inclusive = collections.Counter(f for s in stacks for f in set(s))
    print("-- self --")
    for name, count in own.most_common(25):
        print(f"{100 * count / n:5.1f}%  {name}")
    print("-- inclusive --")
    for name, count in inclusive.most_common(60):
        print(f"{100 * count / n:5.1f}%  {name}")
    weights = collections.Counter()
    total = 0
    for e in events(path, "jdk.ObjectAllocationSample"):
        w = e["values"]["weight"]
        total += w
        weights[(e["values"]["objectClass"]["name"], " < ".join(frames(e)[:3]))] += w
    print(f"-- allocation ({total / 1e6:.1f} MB sampled) --")
    for (cls, where), w in weights.most_common(25):
        print(f"{100 * w / max(total, 1):5.1f}%  {cls} @ {where}")


if __name__ == "__main__":
    main()
