#!/usr/bin/env bash
# Ember's main job: train a CNN on MNIST in Go (examples/mnist), evaluate it
# on the test digits after each epoch and write a checkpoint, the weights,
# a plot of the curves and metrics.json into out/mnist. Export and the lite
# interpreter join this job as their issues land.
#
#   MNIST_DIR=../shared/data/mnist bash scripts/main.sh
#
# Without MNIST_DIR the example downloads MNIST into the user's cache folder.
set -euo pipefail
cd "$(dirname "$0")/.."
go mod download
out=${OUT:-out/mnist}
args=(-out "$out" -epochs "${EPOCHS:-4}")
if [[ -n "${MNIST_DIR:-}" ]]; then
	args+=(-data "$MNIST_DIR")
fi
go run ./examples/mnist "${args[@]}"
acc=$(grep -o '"test_accuracy": *[0-9.]*' "$out/metrics.json" | grep -o '[0-9.]*$')
awk -v a="$acc" 'BEGIN { if (a < 0.97) { printf "test accuracy %.4f is below 0.97\n", a; exit 1 } printf "test accuracy %.4f >= 0.97\n", a }'
