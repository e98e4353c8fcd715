#!/usr/bin/env python3
"""Rekey label files from one binary's session ids to another's (session 5: ids no longer hold
the transcript path; docs/FORMATS.md "Session ids", docs/LEARNED.md).

Usage (from the repository root, both renders of the same corpus with the same salt and --all):
  AGENTSTAT_SALT=agentstat-reference OLD_BIN render ../shared/corpus -o OLD_DIR --all
  AGENTSTAT_SALT=agentstat-reference NEW_BIN render ../shared/corpus -o NEW_DIR --all
  scripts/labels/rekey.py OLD_DIR NEW_DIR LABELS.jsonl > REKEYED.jsonl

Each old session is paired with the new session of the same file, agent, person key and exactly
the same rendering; where several sessions of an Aider history render alike (short sessions), an
old `<path>#N` id is paired by the start time of the history's N-th session, which the new id
carries. Every pairing is checked (same rendering, person, agent) and must be one to one, or the
script stops. Only `session` and `session_id` change; every other byte of a line is kept, and
the line order too. A summary goes to stderr.
"""
import collections, hashlib, json, os, re, sys

HEADER = b"# aider chat started at"


def load(d):
    out = {}
    with open(os.path.join(d, "index.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            with open(os.path.join(d, r["session"] + ".txt"), "rb") as t:
                r["h"] = hashlib.sha256(t.read()).hexdigest()
            out[r["session"]] = r
    return out


def aider_times(path):
    """The start time (YYYY-MM-DDTHH:MM:SS) of each session discovery keeps, in file order;
    None for a span without a header (crates/ingest/src/aider.rs, discover.rs)."""
    b = open(path, "rb").read()
    starts = [0] if b.startswith(HEADER) else []
    starts += [m.start() + 1 for m in re.finditer(re.escape(b"\n" + HEADER), b)]
    spans = []
    first = starts[0] if starts else len(b)
    if first > 0:
        if starts and b[:first].strip() == b"":
            starts[0] = 0
        else:
            spans.append((0, first))
    for k, s in enumerate(starts):
        spans.append((s, starts[k + 1] if k + 1 < len(starts) else len(b)))

    def empty(sp):
        rest = sp
        if sp.startswith(HEADER):
            i = sp.find(b"\n")
            rest = sp[i:] if i >= 0 else b""
        return rest.strip() == b""

    kept, lead = [], None
    for a, e in spans:
        if empty(b[a:e]):
            if not kept and lead is None:
                lead = a
            continue
        kept.append((lead if lead is not None else a, e))
        lead = None
    times = []
    for a, e in kept:
        sp = b[a:e]
        hs = [m.start() for m in re.finditer(re.escape(HEADER), sp)
              if m.start() == 0 or sp[m.start() - 1:m.start()] == b"\n"]
        if not hs:
            times.append(None)
            continue
        line = sp[hs[-1] + len(HEADER):].split(b"\n")[0].decode().strip()
        times.append(line.replace(" ", "T"))
    return times


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    old, new = load(sys.argv[1]), load(sys.argv[2])
    by_render = collections.defaultdict(list)
    for r in new.values():
        by_render[(r["file"], r["h"], r["agent"], r["user"])].append(r)
    times_of = {}
    by_time = {}
    for r in new.values():
        m = re.match(r"aider-(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)-", r["session_id"])
        if m:
            by_time.setdefault((r["file"], m.group(1)), []).append(r)
    mapping = {}
    for k, r in old.items():
        c = by_render[(r["file"], r["h"], r["agent"], r["user"])]
        if len(c) != 1 and r["agent"] == "aider" and "#" in r["session_id"]:
            if r["file"] not in times_of:
                times_of[r["file"]] = aider_times(r["file"])
            t = times_of[r["file"]][int(r["session_id"].rsplit("#", 1)[1]) - 1]
            c = [x for x in by_time.get((r["file"], t), []) if x["h"] == r["h"]] if t else \
                [x for x in c if not re.match(r"aider-\d{4}-", x["session_id"])]
        if len(c) != 1:
            sys.exit(f"{r['session_id']}: {len(c)} candidate new sessions")
        n = c[0]
        assert (n["h"], n["user"], n["agent"]) == (r["h"], r["user"], r["agent"])
        mapping[k] = (n["session"], n["session_id"], r["session_id"])
    if len({v[0] for v in mapping.values()}) != len(mapping):
        sys.exit("two old sessions map to one new session")
    changed = 0
    with open(sys.argv[3], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            d = json.loads(line)
            if d["session"] not in mapping:
                sys.exit(f"{sys.argv[3]}:{n}: session {d['session']} is not in {sys.argv[1]}")
            key, sid, old_sid = mapping[d["session"]]
            if key != d["session"]:
                a = '"session": "%s", "session_id": %s' % (
                    d["session"], json.dumps(d.get("session_id", old_sid), ensure_ascii=False))
                if line.count(a) != 1:
                    sys.exit(f"{sys.argv[3]}:{n}: `session` and `session_id` are not side by side")
                line = line.replace(a, '"session": "%s", "session_id": %s' % (key, json.dumps(sid)))
                changed += 1
            sys.stdout.write(line)
    moved = collections.Counter(old[k]["agent"] for k, v in mapping.items() if k != v[0])
    print(f"{len(mapping)} sessions paired, {sum(moved.values())} with a new key {dict(moved)}; "
          f"{changed} label lines rekeyed", file=sys.stderr)


if __name__ == "__main__":
    main()
