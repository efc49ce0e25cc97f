#!/usr/bin/env bash
# Held-out evaluation of `dflare repair` (docs/repair.md). Run on demand from the repository root:
#   nice -n 10 benchmarks/repair-eval.sh PAIR [REPAIR_SEEDS] [HELD_OUT_SEEDS] [BUDGET] [BOUNDS]
# PAIR: resnet8-real | cnn-METHOD | mnist8-METHOD | resnet8-METHOD, METHOD = int8-static | int8 | bits4 | prune0.5 (a
# `dflare compress` of cnn-pytorch / mnist-8 / resnet8; int8-static calibrates on the first 200 test images of the pair's
# seed set: MNIST t10k or the 932 CIFAR-10 test images). BOUNDS: space-separated L∞ bounds, "none" = unbounded.
# What counts as a deviation (both searches): $STRATEGY (default dflare) and $MIN_MARGIN (default 0 = any label change).
# Meaningful deviations as the gate counts them (docs/gate.md):
#   STRATEGY=square MIN_MARGIN=0.1 SUFFIX=-confident nice -n 10 benchmarks/repair-eval.sh PAIR 100 100 1000 "16 32"
# Split by seed: the triggers of seeds [0, R) (run seed 1) repair the model; a fresh search (run seed 2) on the held-out
# seeds [R, R+H) counts the deviations (triggered + already deviating) on the unrepaired and on each repaired model, with
# the same budget and bound. Accuracy and natural disagreement come from `dflare eval` on the test images.
# Writes benchmarks/results/repair-PAIR[SUFFIX].md and .json (SUFFIX from $SUFFIX); the work folder is benchmarks/.cache/repair-eval/PAIR.
set -euo pipefail
PAIR=${1:?pair}; R=${2:-100}; H=${3:-100}; B=${4:-1000}; BOUNDS=${5:-"none 16"}
STRATEGY=${STRATEGY:-dflare}; MIN_MARGIN=${MIN_MARGIN:-0}
SEARCH=(--strategy "$STRATEGY" --min-margin "$MIN_MARGIN")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S=${DFLARE_SHARED:-$ROOT/../shared}
W=$ROOT/benchmarks/.cache/repair-eval/$PAIR${SUFFIX:-}
mkdir -p "$W" "$ROOT/benchmarks/results"
DLL=${DFLARE_DLL:-$ROOT/src/Dflare.Cli/bin/Release/net10.0/dflare.dll} # DFLARE_DLL: a copy of the build, so rebuilding does not disturb a long run
[ -f "$DLL" ] || dotnet build "$ROOT/src/Dflare.Cli" -c Release >/dev/null
D() { dotnet "$DLL" "$@"; }
MN=$S/data/mnist/t10k-images-idx3-ubyte.gz
case $PAIR in
  resnet8-real) O=$S/models/cifar10/resnet8.onnx; C=$S/models/cifar10/resnet8-int8.onnx; SEEDS=$S/data/cifar10/test_first932.bin
    PRE=(--mean 0.485,0.456,0.406 --std 0.229,0.224,0.225); EVAL_LIMIT=932;;
  cnn-*|mnist8-*|resnet8-*) SEEDS=$MN; EVAL_LIMIT=10000
    if [[ $PAIR == cnn-* ]]; then O=$S/models/mnist/cnn-pytorch.onnx; PRE=(--mean 0.5 --std 0.5)
    elif [[ $PAIR == mnist8-* ]]; then O=$S/models/mnist/mnist-8.onnx; PRE=()
    else O=$S/models/cifar10/resnet8.onnx; SEEDS=$S/data/cifar10/test_first932.bin; EVAL_LIMIT=932
      PRE=(--mean 0.485,0.456,0.406 --std 0.229,0.224,0.225); fi
    METHOD=${PAIR#*-}; METHOD=${METHOD/prune/prune:}; METHOD=${METHOD/bits/bits:}; C=$W/compressed.onnx
    if [ ! -f "$C" ]; then
      CAL=(); [ "$METHOD" = int8-static ] && CAL=(--calibration "$SEEDS" --limit 200)
      D compress "$O" --method "$METHOD" --out "$C" "${PRE[@]}" "${CAL[@]}" >/dev/null
    fi;;
  *) echo "unknown pair $PAIR" >&2; exit 2;;
esac
METHODS="fallback bias-correction head-refit"
[ "${METHOD:-}" = int8-static ] && METHODS="fallback bias-correction recalibrate head-refit"
# $VARIANTS (optional) replaces the default methods: "LABEL:STEP[ >> STEP...];LABEL:..." where a STEP is `dflare repair`'s
# method and options, e.g. "ordered-3:fallback --fallback-mode ordered --max-layers 3;bc+head:bias-correction >> head-refit --ridge 1e6".
# Steps chain: each repairs the previous step's model with the same repair set. LABEL names the row and the files.
VARIANTS=${VARIANTS:-$(for m in $METHODS; do printf '%s:%s;' "$m" "$m"; done)}
# Searches whose settings did not change are reused (stamp files in the work folder), so more variants can be added cheaply.
search_once() { # OUT MODEL OFFSET LIMIT RUNSEED
  local stamp="$1.args" args="$(stat -c '%s %Y' "$2") $3 $4 $5 $B ${BND[*]} ${SEARCH[*]}"
  if [ -f "$1/results.json" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$args" ]; then return; fi
  rm -rf "$1"
  D search --original "$O" --compressed "$2" --seeds "$SEEDS" "${PRE[@]}" "${BND[@]}" "${SEARCH[@]}" --offset "$3" --limit "$4" --budget "$B" --seed "$5" --out "$1" >/dev/null
  echo "$args" > "$stamp"
}
rows=()
for bound in $BOUNDS; do
  BND=(); [ "$bound" != none ] && BND=(--max-linf "$bound")
  search_once "$W/repair-$bound" "$C" 0 "$R" 1
  repair_devs=$(jq '.summary.triggered + .summary.alreadyDeviating' "$W/repair-$bound/results.json")
  IFS=';' read -ra VS <<< "unrepaired:;$VARIANTS"
  for v in "${VS[@]}"; do
    [ -n "$v" ] || continue
    m=${v%%:*}; steps=${v#*:}
    model=$C
    if [ "$m" != unrepaired ]; then
      prev=$C; i=0; : > "$W/$m-$bound.log"; failed=
      while IFS= read -r step; do
        i=$((i + 1)); model=$W/$m-$bound-step$i.onnx
        read -ra STEP <<< "$step"
        if ! D repair --original "$O" --compressed "$prev" --results "$W/repair-$bound" "${PRE[@]}" --method "${STEP[@]}" --out "$model" >> "$W/$m-$bound.log" 2>&1; then failed=1; break; fi
        prev=$model
      done < <(sed 's/ >> /\n/g' <<< "$steps")
      if [ -n "$failed" ]; then
        rows+=("{\"bound\":\"$bound\",\"method\":\"$m\",\"error\":$(jq -Rs . < "$W/$m-$bound.log")}"); continue
      fi
    fi
    search_once "$W/heldout-$m-$bound" "$model" "$R" "$H" 2
    ev=$(D eval "$O" --compare "$model" --seeds "$SEEDS" "${PRE[@]}" --limit "$EVAL_LIMIT" --json)
    rows+=("$(jq -c --arg bound "$bound" --arg m "$m" --argjson size "$(stat -c %s "$model")" --argjson rd "$repair_devs" --argjson ev "$ev" \
      '{bound:$bound, method:$m, repairDeviations:$rd, heldOutSeeds:.summary.seeds, heldOutDeviations:(.summary.triggered + .summary.alreadyDeviating),
        alreadyDeviating:.summary.alreadyDeviating, successRate:.summary.successRate, meanQueries:.summary.meanQueriesPerTrigger,
        medianQueries:.summary.medianQueriesPerTrigger, accuracy:$ev.compareAccuracy, originalAccuracy:$ev.accuracy,
        disagreements:($ev.disagreements|length), testImages:$ev.seeds, bytes:$size}' "$W/heldout-$m-$bound/results.json")")
  done
done
printf '%s\n' "${rows[@]}" | jq -s --arg pair "$PAIR" --argjson r "$R" --argjson h "$H" --argjson b "$B" \
  --arg strategy "$STRATEGY" --argjson margin "$MIN_MARGIN" \
  '{pair:$pair, repairSeeds:$r, heldOutSeeds:$h, budget:$b, strategy:$strategy, minMargin:$margin, date:(now|todate), rows:.}' > "$ROOT/benchmarks/results/repair-$PAIR${SUFFIX:-}.json"
jq -r '"### \(.pair): repair seeds 0..\(.repairSeeds - 1) (run seed 1), held-out seeds \(.repairSeeds)..\(.repairSeeds + .heldOutSeeds - 1) (run seed 2), budget \(.budget), strategy \(.strategy // "dflare"), \(if (.minMargin // 0) > 0 then "deviations with both margins ≥ \(.minMargin)" else "any label change" end)\n",
  "| bound | method | deviations removed (held-out) | held-out deviations | search success | mean queries | accuracy | natural disagreements | size |",
  "|---|---|---|---|---|---|---|---|---|",
  (.rows as $rows | .rows[] | . as $x | ($rows[] | select(.bound == $x.bound and .method == "unrepaired") | .heldOutDeviations) as $base |
    if .error then "| \(if .bound == "none" then "unbounded" else "L∞ ≤ \(.bound)" end) | \(.method) | not run: \(.error | split("\n") | map(select(startswith("error: "))) | first // "see the log" | ltrimstr("error: ")) | | | | | | |"
    else "| \(if .bound == "none" then "unbounded" else "L∞ ≤ \(.bound)" end) | \(.method) | \(if .method == "unrepaired" then "–" elif $base == 0 then "n/a" else "\(((1 - .heldOutDeviations / $base) * 1000 | round) / 10) %" end) | \(.heldOutDeviations) / \(.heldOutSeeds) | \((.successRate // 0) * 1000 | round / 10) % | \(.meanQueries // "–") | \(.accuracy * 10000 | round / 100) % (orig \(.originalAccuracy * 10000 | round / 100) %) | \(.disagreements) / \(.testImages) | \(.bytes) B |" end)' \
  "$ROOT/benchmarks/results/repair-$PAIR${SUFFIX:-}.json" > "$ROOT/benchmarks/results/repair-$PAIR${SUFFIX:-}.md"
cat "$ROOT/benchmarks/results/repair-$PAIR${SUFFIX:-}.md"
