#!/bin/sh
# Re-run the learned classifier's validation and put its tables into docs/VALIDATION.md
# (between the learned-validation markers). Run from the repository root.
set -eu
# Facets whose learned label the nested, person-grouped validation (docs/VALIDATION.md) found
# no better than the rules on people outside training (or, for user_profile, no better than always
# answering the commonest label: kappa below 0): they keep the heuristic's label.
# The same two lists as scripts/train-default-model.sh, so the "default" column is what ships
# (docs/VALIDATION.md prints this command).
KEEP_HEURISTIC="${KEEP_HEURISTIC:-work_mode,expertise,work_performed,outcome,value_band}"
USE_LEARNED="${USE_LEARNED:-codebase_relation,user_profile,success_signal,failure_signal}"
corpus="${AGENTSTAT_CORPUS:-../shared/corpus}"
cargo build -q -p agentstat
out=$(mktemp)
AGENTSTAT_SALT=agentstat-reference target/debug/agentstat validate data/labels/reference.jsonl --corpus "$corpus" --keep-heuristic "$KEEP_HEURISTIC" --use-learned "$USE_LEARNED" > "$out"
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
