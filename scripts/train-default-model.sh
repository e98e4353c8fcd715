#!/bin/sh
# Regenerate the embedded default model of the learned classifier from the repository's
# reference labels. Run from the repository root:
#
#   scripts/train-default-model.sh            # corpus at ../shared/corpus
#   AGENTSTAT_CORPUS=/path/to/corpus scripts/train-default-model.sh
#
# The labels' session keys are salted with the reference salt, hence AGENTSTAT_SALT.
# Same labels, same corpus, same seed → byte-identical model (crates/cli/tests/learned.rs
# checks that retraining reproduces the committed file).
set -eu
# Per facet, what the nested, person-grouped validation (docs/VALIDATION.md) found better on
# people outside training: the rules (KEEP_HEURISTIC) or the learned label (USE_LEARNED).
KEEP_HEURISTIC="${KEEP_HEURISTIC:-work_mode,expertise,work_performed,outcome,value_band}"
USE_LEARNED="${USE_LEARNED:-codebase_relation,user_profile,success_signal,failure_signal}"
corpus="${AGENTSTAT_CORPUS:-../shared/corpus}"
cargo build -q -p agentstat
AGENTSTAT_SALT=agentstat-reference target/debug/agentstat train data/labels/reference.jsonl \
    --corpus "$corpus" --seed 13 --keep-heuristic "$KEEP_HEURISTIC" --use-learned "$USE_LEARNED" -o crates/learn/model/default.bin
