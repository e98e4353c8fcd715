#!/bin/sh
# Re-run the learned classifier's validation and put its tables into docs/VALIDATION.md
# (between the learned-validation markers). Run from the repository root.
set -eu
corpus="${AGENTSTAT_CORPUS:-../shared/corpus}"
cargo build -q -p agentstat
out=$(mktemp)
AGENTSTAT_SALT=agentstat-reference target/debug/agentstat validate data/labels/reference.jsonl --corpus "$corpus" > "$out"
python3 - "$out" <<'PY'
import sys
doc = "docs/VALIDATION.md"
s = open(doc, encoding="utf-8").read()
b, e = "<!-- learned-validation:begin -->", "<!-- learned-validation:end -->"
i, j = s.index(b) + len(b), s.index(e)
s = s[:i] + "\n" + open(sys.argv[1], encoding="utf-8").read() + s[j:]
open(doc, "w", encoding="utf-8").write(s)
PY
rm -f "$out"
