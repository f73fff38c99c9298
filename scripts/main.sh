#!/usr/bin/env bash
# Ember's main job. Today (tensors, autograd and kernels landed): run the
# README's training example and the GEMM benchmarks. Training on MNIST,
# export and the lite interpreter join as their issues land.
set -euo pipefail
cd "$(dirname "$0")/.."
go mod download
go test -count=1 -run 'Example_linearRegression' -v ./autograd/
go test -count=1 -run '^$' -bench '^BenchmarkMatMul$' -benchtime 3x ./accel/cpu/
