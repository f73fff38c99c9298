#!/usr/bin/env bash
# Ember's main job: train a CNN on MNIST in Go (examples/mnist), evaluate it
# on the test digits after each epoch and write a checkpoint, the weights,
# a plot of the curves and metrics.json into out/mnist; then export the
# trained CNN to out/mnist/model.ember (traced at batch 1, optimized for
# mobile) and run every test digit through the lite runtime at batch 1.
# The job fails unless the test accuracy is at least 0.97 and the lite
# runtime's accuracy equals it.
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
metric() { grep -o "\"$1\": *[0-9.e+-]*" "$out/metrics.json" | head -n 1 | grep -o '[0-9.e+-]*$'; }
acc=$(metric test_accuracy)
lite=$(metric lite_accuracy)
awk -v a="$acc" 'BEGIN { if (a < 0.97) { printf "test accuracy %.4f is below 0.97\n", a; exit 1 } printf "test accuracy %.4f >= 0.97\n", a }'
if [[ "$lite" != "$acc" ]]; then
	echo "lite runtime accuracy $lite differs from the test accuracy $acc" >&2
	exit 1
fi
echo "lite runtime accuracy $lite == test accuracy; p50 $(metric lite_p50_ms) ms per digit; $out/model.ember is $(metric ember_file_bytes) bytes"
