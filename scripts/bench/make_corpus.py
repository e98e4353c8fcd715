#!/usr/bin/env python3
"""Make a large real-shaped Claude Code corpus for `agentstat` timing runs (docs/bench/report.md).

Copies every main transcript of ../shared/corpus/public-checkpoints/claude-code COPIES times into
HOME/.claude/projects/<project>/, replacing every UUID inside each copy (session ids and record
uuids, deterministically) so that every copy is a distinct session (a copy keeping its record
uuids would be read as a resume of the original). 130 copies of the 155 transcripts: 20,150 sessions.
Usage: make_corpus.py HOME COPIES; then `HOME=HOME agentstat` is the README's main job on them.
"""
import os, re, sys, uuid

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.join(here, "../../../shared/corpus/public-checkpoints/claude-code")
home, copies = sys.argv[1], int(sys.argv[2])
files = sorted(f for f in os.listdir(src) if f.endswith(".jsonl"))
uuid_re = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
n = 0
for i, f in enumerate(files):
    data = open(os.path.join(src, f), "rb").read()
    d = os.path.join(home, ".claude", "projects", f"-home-dev-project{i % 20}")
    os.makedirs(d, exist_ok=True)
    for c in range(copies):
        memo = {}

        def fresh(m, c=c, memo=memo):
            old = m.group(0)
            if old not in memo:
                memo[old] = str(uuid.uuid5(uuid.NAMESPACE_OID, f"{c}:{old.decode()}")).encode()
            return memo[old]

        copy = uuid_re.sub(fresh, data)
        with open(os.path.join(d, f"c{c:04d}-{f}"), "wb") as fh:
            fh.write(copy)
        n += 1
print(n, "transcripts written under", os.path.join(home, ".claude", "projects"))
