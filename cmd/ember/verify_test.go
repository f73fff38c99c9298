package main

import (
	"strings"
	"testing"

	"github.com/emberml/ember/mobile/format"
)

func TestVerify(t *testing.T) {
	b := testModel{ch: 1, h: 5, w: 5, test: true}.build(t)
	code, out, errs := ember(t, "verify", writeFile(t, "m.ember", b))
	if code != 0 || !strings.Contains(out, `test 0 (forward) output 0 "logits": max |diff| 0, tolerance 1e-05: ok`) || !strings.Contains(out, "ok: 1 tests pass") {
		t.Fatalf("status %d\n%s%s", code, out, errs)
	}

	// Change an expected value: verify fails, naming the element.
	f, err := format.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	c := &f.Constants[f.Tests[0].Expected[0]]
	want := constantData(c).([]float32)
	want[3] += 0.5
	bad := append([]byte{}, b...)
	copy(bad[f.Locations[f.Tests[0].Expected[0]].FileOffset:], format.Float32Bytes(want))
	code, out, errs = ember(t, "verify", writeFile(t, "bad.ember", bad))
	if code != 1 || !strings.Contains(out, "FAIL (1 elements outside)") || !strings.Contains(errs, "element 3") {
		t.Fatalf("status %d\n%s%s", code, out, errs)
	}

	code, _, errs = ember(t, "verify", writeFile(t, "none.ember", testModel{ch: 1, h: 5, w: 5}.build(t)))
	if code != 1 || !strings.Contains(errs, "bundles no test") {
		t.Fatalf("no tests: status %d, %s", code, errs)
	}
}
