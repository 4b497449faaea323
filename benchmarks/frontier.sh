#!/usr/bin/env bash
# Rebuild the committed frontier (results/atlas.csv): Start-End ranks of RACs for L <= 4, M, R in {2, 3, 4}, both
# domains, T grown per series (--frontier: a series stops at its first partial or too-large cell), with the default
# certificate (proven, or failure bound <= 1e-6). Resumable: finished cells live in the atlas file, so running the
# script again after an interruption computes only what is missing. Then the export replaces results/atlas.csv.
#
#   bash benchmarks/frontier.sh                 # TIMEOUT=60 per cell, JOBS=1, ATLAS=results/frontier.sqlite
#   TIMEOUT=300 JOBS=2 bash benchmarks/frontier.sh
#   EXPORT_ONLY=1 bash benchmarks/frontier.sh   # export what the atlas holds now
set -euo pipefail
cd "$(dirname "$0")/.."
ATLAS=${ATLAS:-results/frontier.sqlite}
TIMEOUT=${TIMEOUT:-60}
JOBS=${JOBS:-1}
TMAX=${TMAX:-36}
if [ -z "${EXPORT_ONLY:-}" ]; then
  tnrnn table --L 1:4 --M 2,3,4 --R 2,3,4 --T "2:${TMAX}:2" --domain onehot,continuous \
    --timeout "$TIMEOUT" --frontier --order T --jobs "$JOBS" --atlas "$ATLAS" --no-progress --format csv \
    --out results/frontier_table.csv
fi
tnrnn atlas export --atlas "$ATLAS" --out results/atlas.csv
