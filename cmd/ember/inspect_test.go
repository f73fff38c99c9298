package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestInspect(t *testing.T) {
	p := writeFile(t, "m.ember", testModel{ch: 3, h: 5, w: 7, test: true}.build(t))
	code, out, errs := ember(t, "inspect", p)
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	for _, want := range []string{
		"format:    version 1 (this reader: 1)",
		"runtime:   needs version 1 (this runtime: 1)",
		"ops: 3",
		"conv2d_act             v1   runtime v1           1 instructions",
		"flatten", "linear",
		"constants: 6, 6548 bytes (6.4 KiB); weights 4, 6088 bytes (5.9 KiB); test data 2, 460 bytes",
		"float32      6",
		"packed 0, quantized 0, sparse 0",
		"fc.weight                        float32  [10 140]",
		"method forward",
		"input   image            float32  [1 3 5 7]",
		"output  logits           float32  [1 10]",
		"instructions: 3 (op 3)",
		"arena: ",
		"largest values:",
		"conv                     float32  [1 4 5 7]",
		"name:        testnet",
		"labels:      10 (zero, one, two, three, four, ...)",
		"normalize:   mean [0.485 0.456 0.406], std [0.229 0.224 0.225]",
		"extra files: 1",
		"README.txt",
		"tests: 1",
		"0: forward, 1 inputs, 1 outputs, tolerance 1e-05",
		"loads: yes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

func TestInspectJSON(t *testing.T) {
	p := writeFile(t, "m.ember", testModel{ch: 1, h: 4, w: 4}.build(t))
	code, out, errs := ember(t, "inspect", "-json", p)
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	var r inspectReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if r.FormatVersion != 1 || len(r.Ops) != 3 || r.Ops[0].Name != "conv2d_act" || r.Ops[0].Runtime != 1 ||
		r.Constants.Count != 4 || r.Constants.Weights != 4 || r.Constants.TestData != 0 || len(r.Methods) != 1 || !r.Loads {
		t.Fatalf("report %+v", r)
	}
	mt := r.Methods[0]
	// The arena values: image 64 bytes, conv 256, flat 256, logits 40;
	// the test model gives each its own 64-byte-aligned bytes.
	if mt.Instructions != 3 || mt.ArenaValues != 4 || mt.UnplannedBytes != 64+256+256+40 || mt.ArenaBytes != 64+256+256+64 ||
		mt.Largest[0].Bytes != 256 || mt.Inputs[0].Name != "image" || len(mt.Outputs[0].Shape) != 2 {
		t.Fatalf("method %+v", mt)
	}
	if r.Metadata == nil || len(r.Metadata.Labels) != 10 || len(r.ExtraFiles) != 1 || r.ExtraFiles[0].Bytes != 5 || len(r.Tests) != 0 {
		t.Fatalf("metadata %+v, extra %+v, tests %+v", r.Metadata, r.ExtraFiles, r.Tests)
	}
	for _, key := range []string{`"format_version"`, `"min_runtime_version"`, `"arena_bytes"`, `"largest_values"`, `"loads"`} {
		if !strings.Contains(out, key) {
			t.Errorf("no key %s", key)
		}
	}
}

// A file that decodes but needs an op this runtime lacks: inspect shows it
// and fails with the loader's error.
func TestInspectUnknownOp(t *testing.T) {
	p := writeFile(t, "m.ember", testModel{ch: 1, h: 4, w: 4, op: "conv9d"}.build(t))
	code, out, errs := ember(t, "inspect", p)
	if code != 1 || !strings.Contains(out, "conv9d") || !strings.Contains(out, "NOT IN THIS RUNTIME") ||
		!strings.Contains(out, "loads: no") || !strings.Contains(errs, "op conv9d version 1: this runtime does not have it") {
		t.Fatalf("status %d\n%s\n%s", code, out, errs)
	}
}
