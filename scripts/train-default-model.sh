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
corpus="${AGENTSTAT_CORPUS:-../shared/corpus}"
cargo build -q -p agentstat
AGENTSTAT_SALT=agentstat-reference target/debug/agentstat train data/labels/reference.jsonl \
    --corpus "$corpus" --seed 13 -o crates/learn/model/default.bin
