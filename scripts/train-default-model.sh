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
# Facets whose learned label the nested, person-grouped validation (docs/VALIDATION.md) found
# no better than the rules on people outside training (or, for user_profile, no better than always
# answering the commonest label: kappa below 0): they keep the heuristic's label.
KEEP_HEURISTIC="${KEEP_HEURISTIC:-work_mode,expertise,user_profile,work_performed,outcome,value_band}"
corpus="${AGENTSTAT_CORPUS:-../shared/corpus}"
cargo build -q -p agentstat
AGENTSTAT_SALT=agentstat-reference target/debug/agentstat train data/labels/reference.jsonl \
    --corpus "$corpus" --seed 13 --keep-heuristic "$KEEP_HEURISTIC" -o crates/learn/model/default.bin
