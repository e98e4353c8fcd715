#!/usr/bin/env python3
"""Development / held-out halves of the reference labels, by person (issue 13's protocol).

The 36 people of data/labels/reference.jsonl are split by a fixed hash of the person key
(`user`): the person with the most ratings (the Aider history, 243 of 613) goes to the
development half; the others are grouped by the agent most of their ratings come from
(Claude Code / any other agent), ordered by their number of ratings and taken in pairs of
neighbours; in each pair the person with the lower BLAKE2b("agentstat-issue13-split:" + user)
goes to development, the other to held-out (an odd one out goes to development). Rule changes are designed against the development half
only; the held-out half is measured a few times at most (docs/VALIDATION.md says how many).

Usage (from the repository root; the facets file from `agentstat extract` with the reference
salt, corpus named `../shared/corpus`):

    scripts/labels/half-split.py people                 # which person is in which half
    scripts/labels/half-split.py score F.parquet        # development half: agreement, confusions
    scripts/labels/half-split.py score F.parquet --half held-out   # spends one look

Needs pyarrow. `score` prints, per half, exact agreement per facet (and within one on the
scales), per agent, and, for the development half only, the work-mode confusions and the rows
a prediction got wrong (session key, gold, predicted; no transcript text).
"""
import argparse
import collections
import hashlib
import json
import sys

LABELS = "data/labels/reference.jsonl"
SALT = "agentstat-issue13-split:"
# label field -> facets column
FACETS = {
    "work_mode": "work_mode",
    "codebase_relation": "codebase_relation",
    "expertise": "expertise",
    "user_profile": "user_profile",
    "work_performed": "work_performed",
    "outcome": "outcome",
    "success_signal": "success_signal",
    "failure_signal": "failure_signal",
    "value_band": "task_value_band",
}
SCALES = {
    "expertise": ["1", "2", "3", "4", "5"],
    "success_signal": ["NONE", "1", "2", "3", "4", "5"],
    "failure_signal": ["NONE", "1", "2", "3", "4", "5"],
}


def load_labels(path):
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: bad JSON: {e}")
    return out


def halves(labels):
    """person key -> "dev" | "held-out"."""
    per = collections.Counter(l["user"] for l in labels)
    agents = collections.defaultdict(collections.Counter)
    for l in labels:
        agents[l["user"]][l["agent"]] += 1
    big = max(per, key=lambda u: (per[u], u))
    side = {big: "dev"}
    strata = collections.defaultdict(list)
    for u in per:
        if u == big:
            continue
        main = agents[u].most_common(1)[0][0]
        strata["claude-code" if main == "claude-code" else "other"].append(u)
    h = lambda u: hashlib.blake2b((SALT + u).encode()).hexdigest()
    for name in sorted(strata):
        # Pairs of people of similar size; the hash decides which of a pair is development.
        people = sorted(strata[name], key=lambda u: (-per[u], h(u)))
        for i in range(0, len(people), 2):
            pair = sorted(people[i : i + 2], key=h)
            side[pair[0]] = "dev"
            if len(pair) > 1:
                side[pair[1]] = "held-out"
    return side, big


def within_one(facet, a, b):
    s = SCALES.get(facet)
    if not s or a not in s or b not in s:
        return a == b
    return abs(s.index(a) - s.index(b)) <= 1


def pct(k, n):
    return f"{100 * k / n:.1f}% ({k}/{n})" if n else "–"


def score(args):
    import pyarrow.parquet as pq

    labels = load_labels(args.labels)
    side, _ = halves(labels)
    rows = {r["session_key"]: r for r in pq.read_table(args.facets).to_pylist()}
    halves_wanted = ["dev"] if args.half == "dev" else ["dev", "held-out"]
    for h in halves_wanted:
        sel = [l for l in labels if side[l["user"]] == h]
        missing = [l["session"] for l in sel if l["session"] not in rows]
        if missing:
            sys.exit(f"{args.facets}: {len(missing)} labelled sessions not found, e.g. {missing[0]}")
        people = len({l["user"] for l in sel})
        print(f"## {h}: {len(sel)} ratings of {len({l['session'] for l in sel})} sessions from {people} people")
        agents = sorted({l["agent"] for l in sel})
        groups = [("all", sel), ("claude-code", [l for l in sel if l["agent"] == "claude-code"]),
                  ("other agents", [l for l in sel if l["agent"] != "claude-code"])]
        groups += [(a, [l for l in sel if l["agent"] == a]) for a in agents if a != "claude-code"]
        print("| facet | " + " | ".join(f"{g} (n={len(s)})" for g, s in groups) + " |")
        print("|---" * (len(groups) + 1) + "|")
        for facet, col in FACETS.items():
            cells = []
            for _, s in groups:
                s = [l for l in s if l.get(facet) is not None]
                k = sum(rows[l["session"]][col] == l[facet] for l in s)
                cells.append(pct(k, len(s)))
            print(f"| {facet} exact | " + " | ".join(cells) + " |")
            if facet in SCALES:
                cells = []
                for _, s in groups:
                    s = [l for l in s if l.get(facet) is not None]
                    k = sum(within_one(facet, rows[l["session"]][col], l[facet]) for l in s)
                    cells.append(pct(k, len(s)))
                print(f"| {facet} within one | " + " | ".join(cells) + " |")
        if h == "dev":
            conf = collections.Counter((l["work_mode"], rows[l["session"]]["work_mode"]) for l in sel)
            print("\nwork-mode confusions (gold -> predicted), development half:")
            for (g, p), n in conf.most_common():
                if g != p:
                    print(f"  {g:12} -> {p:12} {n}")
            if args.wrong:
                print("\nwrong work-mode rows (development half):")
                for l in sel:
                    p = rows[l["session"]]["work_mode"]
                    if p != l["work_mode"]:
                        print(f"  {l['session']} {l['agent']:12} {l.get('session_id') or l['file']} gold={l['work_mode']} pred={p}")
        print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", default=LABELS)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("people")
    sp = sub.add_parser("score")
    sp.add_argument("facets")
    sp.add_argument("--half", choices=["dev", "held-out"], default="dev")
    sp.add_argument("--wrong", action="store_true", help="list the development half's wrong work-mode rows")
    args = ap.parse_args()
    if args.cmd == "people":
        labels = load_labels(args.labels)
        side, big = halves(labels)
        per = collections.Counter(l["user"] for l in labels)
        for h in ("dev", "held-out"):
            us = sorted((u for u in side if side[u] == h), key=lambda u: -per[u])
            print(f"{h}: {len(us)} people, {sum(per[u] for u in us)} ratings" + (" (holds the largest person)" if big in us else ""))
            for u in us:
                print(f"  {u} {per[u]}")
    else:
        score(args)


if __name__ == "__main__":
    main()
