#!/usr/bin/env python3
"""Assemble reference labels into the format `agentstat train` / `agentstat validate` read.

Usage:
  scripts/labels/assemble.py --index RENDER_DIR/index.jsonl --corpus ../shared/corpus \
      [--old docs/reference-labels.jsonl] RATER.jsonl... > data/labels/reference.jsonl

Each rater line (`session` key from `AGENTSTAT_SALT=agentstat-reference agentstat render`)
gets `user`, `agent` and `file` (relative to the corpus root) from the render index. The older
reference labels (`file` + `session_id`) get their session key computed with the reference salt
(rater `ref37`). Only complete lines (ending in a newline) are read; a session missing from the
index is an error. Output is sorted by (session, rater): the same inputs give the same file.
"""
import argparse, json, os, sys

SALT = b"agentstat-reference"
FIELDS = ["work_mode", "codebase_relation", "planning_user", "planning_agent", "execution_user",
          "execution_agent", "expertise", "user_profile", "work_performed", "outcome",
          "success_signal", "failure_signal", "value_usd", "value_band", "automated", "evidence"]


def session_key(session_id):
    import blake3
    h = blake3.blake3()
    h.update(SALT + b"session:" + session_id.encode())
    return h.hexdigest()[:32]


def complete_lines(path):
    with open(path, encoding="utf-8") as f:
        data = f.read()
    for n, line in enumerate(data.split("\n")[:-1], 1):  # the part after the last \n is partial
        if line.strip():
            yield n, line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--old")
    ap.add_argument("raters", nargs="*")
    a = ap.parse_args()
    corpus = os.path.realpath(a.corpus)
    index_dir = os.path.dirname(os.path.abspath(a.index))
    index = {}
    for _, line in complete_lines(a.index):
        d = json.loads(line)
        path = d["file"]
        # Paths in the index are relative to where `agentstat render` ran (the worktree root).
        cands = [path, os.path.join(index_dir, path), os.path.join(os.getcwd(), path)]
        real = next((os.path.realpath(c) for c in cands if os.path.exists(c)), None)
        if real is None or not real.startswith(corpus + os.sep):
            sys.exit(f"{a.index}: {path} is not under the corpus {corpus}")
        index[d["session"]] = {"user": d["user"], "agent": d["agent"],
                               "file": os.path.relpath(real, corpus)}
    out = []
    for path in a.raters:
        for n, line in complete_lines(path):
            d = json.loads(line)
            k = d["session"]
            if k not in index:
                sys.exit(f"{path}:{n}: session {k} is not in {a.index}")
            row = {"session": k, **index[k], "rater": d.get("rater") or os.path.basename(path)}
            row.update({f: d[f] for f in FIELDS if f in d})
            out.append(row)
    if a.old:
        for n, line in complete_lines(a.old):
            d = json.loads(line)
            k = session_key(d["session_id"])
            if k not in index:
                sys.exit(f"{a.old}:{n}: session {d['session_id']} (key {k}) is not in {a.index}")
            row = {"session": k, **index[k], "rater": "ref37"}
            row.update({f: d[f] for f in FIELDS if f in d})
            out.append(row)
    seen = set()
    for r in out:
        if (r["session"], r["rater"]) in seen:
            sys.exit(f"duplicate label: session {r['session']} by {r['rater']}")
        seen.add((r["session"], r["rater"]))
    out.sort(key=lambda r: (r["session"], r["rater"]))
    for r in out:
        sys.stdout.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
