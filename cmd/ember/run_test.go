package main

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
)

// topLines returns the rank lines of ember run's output as (index, label)
// pairs.
func topLines(t *testing.T, out string) [][2]string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s+(\d+)\s+(\d+)\s+\S+\s+\S+\s+(\S*)$`)
	var r [][2]string
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		r = append(r, [2]string{m[2], m[3]})
	}
	return r
}

func TestRun(t *testing.T) {
	b := testModel{ch: 1, h: 6, w: 6}.build(t)
	p := writeFile(t, "m.ember", b)
	x := make([]float32, 36)
	r := rand.New(rand.NewPCG(5, 5))
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	y := runModel(t, b, x)
	best := argmax(y)
	labels := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

	for _, in := range []struct {
		name string
		b    []byte
	}{
		{"x.raw", f32le(x)},
		{"x.npy", npy(1, "<f4", "(1, 1, 6, 6)", false, f32le(x))},
	} {
		code, out, errs := ember(t, "run", p, "-input", writeFile(t, in.name, in.b), "-k", "3")
		if code != 0 {
			t.Fatalf("%s: status %d: %s", in.name, code, errs)
		}
		top := topLines(t, out)
		if len(top) != 3 || top[0] != [2]string{fmt.Sprint(best), labels[best]} || !strings.Contains(out, "forward: image [1 1 6 6] -> logits [1 10]") {
			t.Fatalf("%s: top %v, want %d %s first:\n%s", in.name, top, best, labels[best], out)
		}
	}

	// A PNG goes through the metadata's normalisation: the result is the
	// model's on ((pixel/255) - 0.1307) / 0.3081.
	g := image.NewGray(image.Rect(0, 0, 6, 6))
	px := make([]float32, 36)
	for i := range 36 {
		v := uint8(r.IntN(256))
		g.SetGray(i%6, i/6, color.Gray{v})
		px[i] = (float32(v)/255 - 0.1307) / 0.3081
	}
	best = argmax(runModel(t, b, px))
	code, out, errs := ember(t, "run", "-k", "10", "-input", writeFile(t, "x.png", pngBytes(t, g)), p)
	if code != 0 {
		t.Fatalf("png: status %d: %s", code, errs)
	}
	if top := topLines(t, out); len(top) != 10 || top[0][0] != fmt.Sprint(best) {
		t.Fatalf("png: top %v, want %d first:\n%s", top, best, out)
	}

	// Errors: the input does not fit; a method the file lacks.
	code, _, errs = ember(t, "run", p, "-input", writeFile(t, "short.raw", f32le(x[:35])))
	if code != 1 || !strings.Contains(errs, "raw float32 input of 140 bytes") {
		t.Errorf("short raw: status %d, %q", code, errs)
	}
	code, _, errs = ember(t, "run", p, "-input", writeFile(t, "x.raw", f32le(x)), "-method", "backward")
	if code != 1 || !strings.Contains(errs, `no method "backward" (the file has [forward])`) {
		t.Errorf("method: status %d, %q", code, errs)
	}
	code, _, errs = ember(t, "run", p, "-input", "/nonexistent.raw")
	if code != 1 || !strings.Contains(errs, "no such file") {
		t.Errorf("missing input: status %d, %q", code, errs)
	}
}

func TestPrintTopK(t *testing.T) {
	var b strings.Builder
	printTopK(&b, []float64{1, 3, 2, 3}, 3, []string{"a", "b"})
	top := topLines(t, b.String())
	if fmt.Sprint(top) != "[[1 b] [3 ] [2 ]]" {
		t.Fatalf("%v\n%s", top, b.String())
	}
}

func TestConvertInputs(t *testing.T) {
	m := &format.Model{MinRuntimeVersion: 1}
	m.Methods = []format.Method{{Name: "forward",
		Values: []format.Value{format.ArenaValue("i", format.Int64, []int{3}, 0), format.ArenaValue("o", format.Int64, []int{3}, 64)},
		Inputs: []int{0}, Outputs: []int{1}, ArenaSize: 128,
		Instructions: []format.Instruction{{Kind: format.InstrOp, Op: m.OpCode("clone", 1), Inputs: []int{0}, Outputs: []int{1}}}}}
	b, err := format.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, "i.ember", b)
	code, out, errs := ember(t, "run", p, "-input", writeFile(t, "x.raw", f32le([]float32{4, 9.7, -2})), "-k", "1")
	if code != 0 || len(topLines(t, out)) != 1 || topLines(t, out)[0][0] != "1" {
		t.Fatalf("status %d\n%s%s", code, out, errs)
	}
	lm, err := lite.LoadBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	in := []lite.Tensor{{Data: []float32{1, 2.5, -3}}}
	if err := convertInputs(lm.Method("forward"), in); err != nil || fmt.Sprint(in[0].Data) != "[1 2 -3]" {
		t.Fatalf("%v %v", in[0].Data, err)
	}
}
