package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchJSON(t *testing.T) {
	p := writeFile(t, "m.ember", testModel{ch: 1, h: 8, w: 8}.build(t))
	code, out, errs := ember(t, "bench", p, "-n", "20", "-warmup", "3", "-json")
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, k := range []string{"p50_ms", "p90_ms", "p99_ms", "mean_ms", "allocs_per_run", "arena_bytes", "peak_rss_bytes", "load_ms", "first_run_ms", "ops", "threads"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("no key %q in\n%s", k, out)
		}
	}
	var r benchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Runs != 20 || r.Warmup != 3 || r.Threads != 1 || r.Method != "forward" {
		t.Errorf("config %+v", r)
	}
	if !(r.MinMs > 0 && r.MinMs <= r.P50Ms && r.P50Ms <= r.P90Ms && r.P90Ms <= r.P99Ms && r.P99Ms <= r.MaxMs && r.MeanMs >= r.MinMs) {
		t.Errorf("latencies min %v p50 %v p90 %v p99 %v max %v mean %v", r.MinMs, r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs, r.MeanMs)
	}
	// image 256 bytes, conv 1024, flat 1024, logits 40 -> 64.
	if r.ArenaBytes != 256+1024+1024+64 {
		t.Errorf("arena %d", r.ArenaBytes)
	}
	if !raceEnabled && r.AllocsPerRun != 0 {
		t.Errorf("%v allocations per run", r.AllocsPerRun)
	}
	if r.PeakRSSBytes <= 0 {
		t.Errorf("peak RSS %d", r.PeakRSSBytes)
	}
	ops := map[string]int{}
	var pct float64
	for _, o := range r.Ops {
		ops[o.Op] = o.Instructions
		pct += o.Percent
	}
	if len(ops) != 3 || ops["conv2d_act"] != 1 || ops["flatten"] != 1 || ops["linear"] != 1 || pct < 99.9 || pct > 100.1 {
		t.Errorf("per-op profile %+v", r.Ops)
	}
}

func TestBenchText(t *testing.T) {
	p := writeFile(t, "m.ember", testModel{ch: 1, h: 4, w: 4}.build(t))
	raw := writeFile(t, "x.raw", f32le(make([]float32, 16)))
	code, out, errs := ember(t, "bench", "-n", "5", "-warmup", "0", "-threads", "2", "-input", raw, "-cpuprofile", writeFile(t, "cpu.pprof", nil), p)
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	for _, want := range []string{"method:      forward, 2 thread(s)", "latency:     5 runs after 0 warm-up: p50", "allocations:", "arena:       640 bytes", "per op", "conv2d_act"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	code, out, _ = ember(t, "bench", "-n", "5", "-profile=false", p)
	if code != 0 || strings.Contains(out, "per op") {
		t.Errorf("-profile=false: status %d\n%s", code, out)
	}

	// -top lists the slowest instructions with their shapes; conv2d_act
	// and linear with their rates.
	code, out, _ = ember(t, "bench", "-n", "5", "-top", "2", "-json", p)
	var r benchReport
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || len(r.Slowest) != 2 {
		t.Fatalf("-top: status %d, %v\n%s", code, err, out)
	}
	seen := map[string]bool{}
	for _, it := range r.Slowest {
		seen[it.Op] = true
		if it.Op == "conv2d_act" && (it.GFLOPS <= 0 || len(it.Inputs) != 3 || len(it.Output) != 4 || it.PC != 0) {
			t.Errorf("slowest %+v", it)
		}
	}
	code, out, _ = ember(t, "bench", "-n", "5", "-top", "3", "-profile=false", p)
	if code != 0 || !strings.Contains(out, "slowest instructions:") || !strings.Contains(out, "[[1 1 4 4] [4 1 3 3] [4]] -> [1 4 4 4]") {
		t.Errorf("-top text: status %d\n%s", code, out)
	}
}

func TestPercentile(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if percentile(v, 50) != 5 || percentile(v, 90) != 9 || percentile(v, 99) != 10 || percentile(v[:1], 99) != 1 {
		t.Fatal(percentile(v, 50), percentile(v, 90), percentile(v, 99))
	}
}
