package main

import (
	"encoding/json"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emberml/ember/mobile/lite"
)

// TestZoo writes each model of the zoo and checks the file with the other
// subcommands: it loads, its bundled test passes, inspect describes it and
// run classifies a PNG. The 224×224 models only without -short and -race
// (they take seconds).
func TestZoo(t *testing.T) {
	want := map[string]struct {
		input  string
		ops    []string
		labels int
	}{
		"smallcnn":     {"[1 1 28 28]", []string{"conv2d_act", "max_pool2d", "adaptive_avg_pool2d", "flatten", "linear"}, 10},
		"examplesnet":  {"[1 1 28 28]", []string{"conv2d_act", "max_pool2d", "flatten", "linear_act", "linear", "log_softmax"}, 10},
		"mobilenet_v2": {"[1 3 224 224]", []string{"conv2d_act", "conv2d", "add", "adaptive_avg_pool2d", "flatten", "linear"}, 0},
		"resnet18":     {"[1 3 224 224]", []string{"conv2d_act", "conv2d", "max_pool2d", "add_relu", "adaptive_avg_pool2d", "flatten", "linear"}, 0},
	}
	for _, name := range zooNames() {
		w := want[name]
		if (testing.Short() || raceEnabled) && strings.Contains(w.input, "224") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), name+".ember")
			code, out, errs := ember(t, "zoo", name, "-o", p)
			if code != 0 || !strings.Contains(out, "wrote "+p) {
				t.Fatalf("zoo: status %d\n%s%s", code, out, errs)
			}
			m, err := lite.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if err := m.Verify(); err != nil {
				t.Fatal(err)
			}
			if code, out, errs := ember(t, "verify", p); code != 0 || !strings.Contains(out, "ok: 1 tests pass") {
				t.Fatalf("verify: status %d\n%s%s", code, out, errs)
			}
			code, out, errs = ember(t, "inspect", "-json", p)
			if code != 0 {
				t.Fatalf("inspect: status %d: %s", code, errs)
			}
			var r inspectReport
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			var ops []string
			for _, o := range r.Ops {
				ops = append(ops, o.Name)
			}
			for _, op := range w.ops {
				if !strings.Contains(" "+strings.Join(ops, " ")+" ", " "+op+" ") {
					t.Errorf("op %s not in %v", op, ops)
				}
			}
			mt := r.Methods[0]
			if mt.Inputs[0].Name != "image" || jsonString(mt.Inputs[0].Shape) != strings.ReplaceAll(w.input, " ", ",") ||
				mt.Outputs[0].Name != "logits" || len(r.Tests) != 1 || r.Metadata == nil || r.Metadata.Name != name ||
				len(r.Metadata.Labels) != w.labels || len(r.Metadata.Mean) == 0 || r.Constants.Packed < 1 || mt.ArenaBytes >= mt.UnplannedBytes {
				t.Errorf("inspect: %+v", r)
			}

			// A picture of another size, resized and normalised.
			img := image.NewRGBA(image.Rect(0, 0, 40, 30))
			for i := range img.Pix {
				img.Pix[i] = uint8(i * 7)
			}
			code, out, errs = ember(t, "run", p, "-input", writeFile(t, "x.png", pngBytes(t, img)), "-k", "3")
			top := topLines(t, out)
			if code != 0 || len(top) != 3 || w.labels > 0 && top[0][1] != top[0][0] {
				t.Fatalf("run: status %d, top %v\n%s%s", code, top, out, errs)
			}
		})
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
