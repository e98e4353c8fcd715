#!/usr/bin/env python3
"""Benchmark Table A1's preferred column: agentstat (release build) vs pyfixest, same data, same run.

    /tmp/golden-venv/bin/python scripts/bench/bench_a1.py [--rows 1000000] [--users 200000] [--repeats 3] [--hard] [--fine]

Generates 1,000,000 synthetic facets-shaped sessions from ~200,000 users once (CSV under
/tmp/agentstat-bench/), then fits
    verified ~ expertise + ln_calls + ln_turns | mode^band + month + occ_work + occ_prof + tier^len
(with --fine: mode^band^month, ~900 absorbed cells, instead of mode^band + month) with CR1 SEs clustered by user in both engines, each in its own process (so each peak RSS is its
own), and prints time (best of --repeats fits, data loading reported apart), peak memory, and the
expertise coefficient from both (they must agree). Needs the venv of scripts/golden/requirements.txt.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def generate(path: str, rows: int, users: int, seed: int = 7, hard: bool = False) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    # Unequal activity (a few heavy users), yet most of the users appear at least once.
    activity = rng.pareto(2.5, users) + 0.6
    user = rng.choice(users, size=rows, p=activity / activity.sum())
    skill = rng.normal(0, 1, users)

    def skewed(k, size, a=1.0):
        p = rng.dirichlet(np.full(k, a))
        return rng.choice(k, size=size, p=p)

    mode, band = skewed(9, rows, 0.8), skewed(4, rows, 2.0)
    month, occ_work = skewed(24, rows, 3.0), skewed(23, rows, 0.6)
    prof_of_user = skewed(24, users, 0.6)
    occ_prof = np.where(rng.random(rows) < 0.85, prof_of_user[user], skewed(24, rows, 0.6))
    tier, length = skewed(3, rows, 2.0), skewed(4, rows, 2.0)
    expertise = np.clip(np.round(3 + 0.8 * skill[user] + rng.normal(0, 0.8, rows)), 1, 5)
    ln_calls = np.log1p(rng.poisson(np.exp(1.5 + 0.2 * expertise + 0.3 * length + rng.normal(0, 0.5, rows))))
    ln_turns = np.log1p(rng.poisson(np.exp(0.8 + 0.3 * length + rng.normal(0, 0.6, rows))))
    latent = (
        -0.6 + 0.04 * expertise + 0.03 * ln_calls - 0.02 * ln_turns + 0.1 * skill[user]
        + 0.04 * (mode % 3) - 0.03 * band + 0.01 * (month % 5) + 0.05 * tier
        + rng.normal(0, 0.5, rows)
    )
    y = (latent > 0).astype(np.int8)
    if hard:
        # Nearly confounded fixed effects (occupation mostly set by work mode, month mostly by
        # band and tier): the slow case for iterative demeaning.
        occ_work = np.where(rng.random(rows) < 0.95, (mode * 2) % 23, occ_work)
        month = np.where(rng.random(rows) < 0.9, band * 5 + tier, month)
    df = pd.DataFrame(
        dict(user=user, mode=mode, band=band, month=month, occ_work=occ_work, occ_prof=occ_prof,
             tier=tier, len=length, expertise=expertise.astype(np.int8), ln_calls=ln_calls,
             ln_turns=ln_turns, y=y)
    )
    df.to_csv(path, index=False, float_format="%.17g")


PYFIXEST_CHILD = r"""
import json, resource, sys, time, warnings
t0 = time.perf_counter()
import pandas as pd, pyfixest as pf
df = pd.read_csv(sys.argv[1])
load = time.perf_counter() - t0
best = float("inf"); first = None
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(sys.argv[3], data=df, vcov={"CRV1": "user"}, fixef_rm="singleton", fixef_tol=1e-10)
    el = time.perf_counter() - t
    first = el if first is None else first
    best = min(best, el)
tidy = fit.tidy()
print(json.dumps({"engine": f"pyfixest {pf.__version__}", "load_s": round(load, 3), "fit_s": round(best, 3),
    "first_fit_s": round(first, 3),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    "n_obs": int(fit._N), "expertise": float(tidy.loc["expertise", "Estimate"]),
    "expertise_se": float(tidy.loc["expertise", "Std. Error"])}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/agentstat-bench")
    ap.add_argument("--hard", action="store_true", help="nearly confounded fixed effects")
    ap.add_argument("--fine", action="store_true",
                    help="absorb work mode x value band x month as one factor (~900 cells)")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    suffix = "_hard" if args.hard else ""
    data = os.path.join(args.dir, f"a1_{args.rows}_{args.users}{suffix}.csv")
    if not os.path.exists(data):
        t = time.perf_counter()
        generate(data, args.rows, args.users, hard=args.hard)
        print(f"generated {data} in {time.perf_counter() - t:.1f}s", file=sys.stderr)

    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "agentstat-stats", "--example", "bench_a1"],
        cwd=ROOT, check=True,
    )
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    fe = "mode^band^month" if args.fine else "mode^band + month"
    formula = f"y ~ expertise + ln_calls + ln_turns | {fe} + occ_work + occ_prof + tier^len"
    ours = subprocess.run([os.path.join(target, "release", "examples", "bench_a1"), data, str(args.repeats),
                           "fine" if args.fine else "coarse"],
                          check=True, capture_output=True, text=True).stdout
    theirs = subprocess.run([sys.executable, "-c", PYFIXEST_CHILD, data, str(args.repeats), formula],
                            check=True, capture_output=True, text=True).stdout
    results = [json.loads(ours.strip().splitlines()[-1]), json.loads(theirs.strip().splitlines()[-1])]

    print(f"rows={args.rows} users={args.users} hard={args.hard} fine={args.fine} repeats={args.repeats} "
          f"cores={os.cpu_count()} fe_levels={results[0].get('fe_levels')}")
    print(formula)
    print(f"{'engine':<18}{'load s':>8}{'fit s':>8}{'peak MB':>9}{'n_obs':>10}  expertise (se)")
    for r in results:
        print(f"{r['engine']:<18}{r['load_s']:>8.2f}{r['fit_s']:>8.2f}{r['peak_rss_mb']:>9.0f}{r['n_obs']:>10}"
              f"  {r['expertise']:.6f} ({r['expertise_se']:.6f})")
    a, b = results
    rel = abs(a["expertise"] - b["expertise"]) / abs(b["expertise"])
    rel_se = abs(a["expertise_se"] - b["expertise_se"]) / abs(b["expertise_se"])
    print(f"speed-up (fit): {b['fit_s'] / a['fit_s']:.1f}x; coefficient rel diff {rel:.1e}, se rel diff {rel_se:.1e}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
