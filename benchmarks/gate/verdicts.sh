#!/usr/bin/env bash
# The gate's verdict on the benchmark pairs with the defaults (dflare check), for run seeds 0-4 on the same seeds.
# Usage: benchmarks/gate/verdicts.sh [LIMIT] [OUT] [CHECK OPTIONS...]   (from the repository root; needs ../shared;
# run on demand, slow), e.g. benchmarks/gate/verdicts.sh 100 benchmarks/results/gate-verdicts-l16 --max-linf 16 --budget 4000
# Writes OUT/<pair>-seed<N>.json (the check's record) and prints one line per run: pair, run seed, exit code, headline.
set -euo pipefail
LIMIT=${1:-100}
OUT=${2:-benchmarks/results/gate-verdicts}
shift $(( $# < 2 ? $# : 2 ))
EXTRA=("$@")
SHARED=${DFLARE_SHARED:-../shared}
mkdir -p "$OUT/models"
CLI="dotnet src/Dflare.Cli/bin/Release/net10.0/dflare.dll"
[ -f src/Dflare.Cli/bin/Release/net10.0/dflare.dll ] || dotnet build src/Dflare.Cli -c Release -nologo -v q
MNIST="$SHARED/data/mnist/t10k-images-idx3-ubyte.gz"
compress() { # model method out [mean std]
  [ -f "$3" ] || $CLI compress "$1" --method "$2" --out "$3" ${4:+--mean $4 --std $5} > /dev/null
}
compress "$SHARED/models/mnist/cnn-pytorch.onnx" int8 "$OUT/models/cnn-int8.onnx" 0.5 0.5
compress "$SHARED/models/mnist/cnn-pytorch.onnx" prune:0.5 "$OUT/models/cnn-prune0.5.onnx" 0.5 0.5
compress "$SHARED/models/mnist/mnist-8.onnx" int8 "$OUT/models/mnist8-int8.onnx"
compress "$SHARED/models/mnist/mnist-8.onnx" prune:0.5 "$OUT/models/mnist8-prune0.5.onnx"
run() { # name original compressed seeds runseed [extra...]
  local name=$1 orig=$2 comp=$3 seeds=$4 rs=$5; shift 5
  set +e
  $CLI check --original "$orig" --compressed "$comp" --seeds "$seeds" --limit "$LIMIT" --seed "$rs" --json "$@" ${EXTRA[@]+"${EXTRA[@]}"} > "$OUT/$name-seed$rs.json" 2> "$OUT/$name-seed$rs.txt"
  local code=$?
  set -e
  echo "$name seed=$rs exit=$code $(head -1 "$OUT/$name-seed$rs.txt")"
}
for rs in 0 1 2 3 4; do
  run cnn-int8 "$SHARED/models/mnist/cnn-pytorch.onnx" "$OUT/models/cnn-int8.onnx" "$MNIST" $rs --mean 0.5 --std 0.5
  run cnn-prune0.5 "$SHARED/models/mnist/cnn-pytorch.onnx" "$OUT/models/cnn-prune0.5.onnx" "$MNIST" $rs --mean 0.5 --std 0.5
  run mnist8-int8 "$SHARED/models/mnist/mnist-8.onnx" "$OUT/models/mnist8-int8.onnx" "$MNIST" $rs
  run mnist8-prune0.5 "$SHARED/models/mnist/mnist-8.onnx" "$OUT/models/mnist8-prune0.5.onnx" "$MNIST" $rs
done
