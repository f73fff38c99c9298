package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/mobile/lite"
	"github.com/emberml/ember/models"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/nn/checkpoint"
)

// mnistDir finds the MNIST files: $MNIST_DIR, else ../shared/data/mnist
// beside the repository.
func mnistDir(t *testing.T) string {
	if d := os.Getenv("MNIST_DIR"); d != "" {
		return d
	}
	d, _ := filepath.Abs("../../../shared/data/mnist")
	if _, err := os.Stat(filepath.Join(d, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skip("no MNIST files: set MNIST_DIR")
	}
	return d
}

func TestTrainResumeAndOutputs(t *testing.T) {
	dir := mnistDir(t)
	out := t.TempDir()
	c := config{dataDir: dir, epochs: 2, batch: 64, lr: 2e-3, seed: 1, out: out, model: "mlp", limit: 512, quiet: true, stopAfter: 1, liteDigits: 300}
	var stdout, stderr bytes.Buffer
	if err := run(c, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "test loss") || !strings.Contains(stdout.String(), "samples/s") {
		t.Fatalf("no summary in the output:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), "stopping after epoch 1") {
		t.Fatalf("no stop:\n%s", stdout.String())
	}
	// A resumed run must keep the schedule's length.
	c3 := c
	c3.epochs, c3.resume = 3, true
	if err := run(c3, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "-epochs 2") {
		t.Fatalf("resuming with other epochs: %v", err)
	}
	// Resume for the second epoch: the history keeps epoch 1.
	c.resume, c.stopAfter = true, 0
	stdout.Reset()
	if err := run(c, &stdout, &stderr); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if !strings.Contains(stdout.String(), "resumed from") || strings.Contains(stdout.String(), "epoch 1:") {
		t.Fatalf("resume output:\n%s", stdout.String())
	}
	var m metrics
	b, err := os.ReadFile(filepath.Join(out, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.Unmarshal(b, &raw)
	for _, k := range []string{"test_accuracy", "epochs", "train_seconds", "lite_accuracy", "lite_p50_ms", "ember_file_bytes"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("metrics.json lacks %q", k)
		}
	}
	if m.Epochs != 2 || len(m.History) != 2 || m.History[0].Epoch != 1 || m.TestAccuracy <= 0.1 || m.TestAccuracy > 1 || m.TrainSeconds <= 0 || m.TrainSamples != 512 {
		t.Fatalf("metrics: %+v", m)
	}
	// The exported model: in metrics.json, in the summary, and loadable by
	// the lite runtime with its metadata and bundled tests.
	st, err := os.Stat(filepath.Join(out, "model.ember"))
	if err != nil {
		t.Fatal(err)
	}
	if m.LiteDigits != 300 || m.LiteAccuracy <= 0.1 || m.LiteAccuracy > 1 || m.LiteP50ms <= 0 || m.EmberFileBytes != st.Size() || m.LiteArenaBytes <= 0 {
		t.Errorf("lite metrics: %+v", m)
	}
	if !strings.Contains(stdout.String(), "lite runtime: ") || !strings.Contains(stdout.String(), "on 300 test digits") {
		t.Errorf("no lite line in the summary:\n%s", stdout.String())
	}
	lm, err := lite.Load(filepath.Join(out, "model.ember"))
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	if err := lm.Verify(); err != nil {
		t.Error(err)
	}
	md := lm.Metadata()
	if md.Name != "mnist-mlp" || len(md.Labels) != 10 || md.Labels[7] != "7" || md.Mean[0] != 0.1307 || md.Std[0] != 0.3081 {
		t.Errorf("metadata %+v", md)
	}
	if in := lm.Method("forward").Inputs(); in[0].Name != "image" || !slices.Equal(in[0].Shape, []int{1, 1, 28, 28}) {
		t.Errorf("inputs %+v", in)
	}
	f, err := os.Open(filepath.Join(out, "curves.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() < 100 {
		t.Fatalf("curves.png: %v", err)
	}
	// The saved weights load strictly into a fresh network.
	fresh := models.NewMLP()
	if _, err := checkpoint.LoadModel(filepath.Join(out, "model.safetensors"), fresh, true); err != nil {
		t.Fatal(err)
	}

	var n int
	for range nn.Parameters(fresh) {
		n++
	}
	if n == 0 {
		t.Fatal("no parameters")
	}
}

func TestMissingDataSaysHow(t *testing.T) {
	c := config{dataDir: t.TempDir(), epochs: 1, batch: 64, lr: 1e-3, out: t.TempDir(), model: "mlp", quiet: true}
	var stdout, stderr bytes.Buffer
	err := run(c, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "MNIST_DIR") || !strings.Contains(err.Error(), "-data") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadFlags(t *testing.T) {
	for _, c := range []config{{epochs: 0, batch: 1, lr: 1}, {epochs: 1, batch: 1, lr: 1, model: "resnet", dataDir: "x", out: t.TempDir()}} {
		if err := run(c, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}
