#!/usr/bin/env python3
"""Summarises benchmarks/gate/verdicts.sh output: per pair, the verdict and deviating seeds for each run seed, and the
share of seeds whose per-seed verdict (deviating or not) is not the same for every run seed.
Usage: python3 benchmarks/gate/flips.py DIR"""
import glob, json, os, re, sys
from collections import defaultdict

d = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/gate-verdicts"
runs = defaultdict(dict)
for path in sorted(glob.glob(os.path.join(d, "*-seed*.json"))):
    m = re.match(r"(.*)-seed(\d+)\.json$", os.path.basename(path))
    try:
        rec = json.load(open(path))
    except ValueError:
        continue
    runs[m.group(1)][int(m.group(2))] = rec
print("| pair | run seeds | verdicts | deviating seeds per run seed | seeds | per-seed flips |")
print("|---|---|---|---|---:|---:|")
for pair, by_seed in runs.items():
    seeds = sorted(by_seed)
    verdicts = ["pass" if by_seed[s]["passed"] else "fail" for s in seeds]
    deviating = {s: {x["id"] for x in by_seed[s]["seeds"] if x["state"] in ("Known", "New", "Changed")} for s in seeds}
    ids = {x["id"] for x in by_seed[seeds[0]]["seeds"]}
    flips = sum(1 for i in ids if len({i in deviating[s] for s in seeds}) > 1)
    print(f"| {pair} | {seeds[0]}–{seeds[-1]} | {', '.join(verdicts)} | {', '.join(str(len(deviating[s])) for s in seeds)} | {len(ids)} | {flips} ({100.0 * flips / len(ids):.0f} %) |")
