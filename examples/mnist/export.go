package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/emberml/ember/data"
	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/mobile"
	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// liteStats are the results of the exported model in the lite runtime.
type liteStats struct {
	Path         string
	FileBytes    int64
	ArenaBytes   int64
	Digits       int     // test digits run
	Correct      int     // digits the lite runtime classified right
	EagerCorrect int     // the same digits, classified right by the eager model
	Disagree     int     // digits on which lite's and eager's predictions differ
	P50ms, P90ms float64 // latency per digit at batch 1
}

// Accuracy returns the lite runtime's accuracy on the digits it ran.
func (s *liteStats) Accuracy() float64 { return float64(s.Correct) / float64(s.Digits) }

// exportLite deploys the trained model as a phone would run it: it traces
// it in evaluation mode on one digit (batch 1), optimizes the trace
// (mobile.OptimizeForMobile: fused activations, frozen and pre-packed
// weights), saves it as model.ember in the output folder with its metadata
// (labels, the normalisation's mean and std) and three bundled test
// digits, loads the file with the lite runtime, checks the bundled tests,
// and classifies the first c.liteDigits test digits (all when 0) one at a
// time, timing each run. The lite runtime must get exactly as many digits
// right as the eager model does on the same digits.
func exportLite(c config, model nn.Forwarder, test *data.MNISTDataset, stderr io.Writer) (*liteStats, error) {
	n := test.Len()
	if c.liteDigits > 0 && c.liteDigits < n {
		n = c.liteDigits
	}
	if n == 0 {
		return nil, errors.New("export: no test digits")
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	all, err := test.GetBatch(idx)
	if err != nil {
		return nil, err
	}
	pixels := all[0].ToFloat32s()
	labels := all[1].ToInt64s()
	size := len(pixels) / n
	digit := func(i int) *tensor.Tensor {
		return tensor.FromSlice(slices.Clone(pixels[i*size:(i+1)*size]), append([]int{1}, all[0].Shape()[1:]...)...)
	}

	nn.Eval(model)
	eager, err := eagerPredictions(model, test, n)
	if err != nil {
		return nil, err
	}

	traced, err := jit.Trace(model, []*tensor.Tensor{digit(0)}, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	opt, err := mobile.OptimizeForMobile(traced, mobile.OptimizeOptions{
		Supported: func(op string) bool { _, ok := lite.OpVersion(op); return ok },
		Lints:     func(l mobile.Lint) { fmt.Fprintln(stderr, l) },
	})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	var examples [][]*tensor.Tensor
	for i := range min(3, n) {
		examples = append(examples, []*tensor.Tensor{digit(i)})
	}
	labelNames := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	path := filepath.Join(c.out, "model.ember")
	err = mobile.Save(path, opt, mobile.ExportOptions{
		ExampleInputs: examples,
		InputNames:    []string{"image"},
		OutputNames:   []string{"scores"},
		BundleTests:   true,
		Metadata: &format.Metadata{
			Name:        "mnist-" + c.model,
			Description: fmt.Sprintf("%s trained on MNIST by examples/mnist; input: a 28×28 digit scaled to [0, 1], normalised with mean and std; output: one score per label", c.model),
			Labels:      labelNames,
			Mean:        []float32{0.1307},
			Std:         []float32{0.3081},
		},
	})
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	lm, err := lite.Load(path)
	if err != nil {
		return nil, err
	}
	defer lm.Close()
	if err := lm.Verify(); err != nil {
		return nil, err
	}
	fwd := lm.Method("forward")
	s := lm.NewSession()
	in := make([]float32, size)
	out := make([]float32, fwd.Outputs()[0].Numel())
	ins, outs := []lite.Tensor{{Name: "image", Data: in}}, []lite.Tensor{{Name: "scores", Data: out}}
	copy(in, pixels[:size])
	if err := s.Run(fwd, ins, outs); err != nil { // warm-up
		return nil, err
	}
	res := &liteStats{Path: path, FileBytes: st.Size(), ArenaBytes: lm.ArenaBytes(), Digits: n}
	lat := make([]time.Duration, n)
	for i := range n {
		copy(in, pixels[i*size:(i+1)*size])
		t0 := time.Now()
		err := s.Run(fwd, ins, outs)
		lat[i] = time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("lite: digit %d: %w", i, err)
		}
		pred := argmax(out)
		if int64(pred) == labels[i] {
			res.Correct++
		}
		if int64(eager[i]) == labels[i] {
			res.EagerCorrect++
		}
		if pred != eager[i] {
			res.Disagree++
		}
	}
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(n-1))].Nanoseconds()) / 1e6 }
	res.P50ms, res.P90ms = ms(0.5), ms(0.9)
	if res.Correct != res.EagerCorrect {
		return res, fmt.Errorf("the lite runtime classified %d of %d test digits right, the eager model %d (%d predictions differ)",
			res.Correct, n, res.EagerCorrect, res.Disagree)
	}
	return res, nil
}

// eagerPredictions classifies the first n test digits with the eager
// model, in batches of 500 as evaluate does.
func eagerPredictions(model nn.Forwarder, test *data.MNISTDataset, n int) ([]int, error) {
	defer tensor.SetGradEnabled(false)()
	pred := make([]int, 0, n)
	for lo := 0; lo < n; lo += 500 {
		idx := make([]int, min(500, n-lo))
		for i := range idx {
			idx[i] = lo + i
		}
		b, err := test.GetBatch(idx)
		if err != nil {
			return nil, err
		}
		for _, p := range model.Forward(b[0]).ArgmaxDim(1, false).ToInt64s() {
			pred = append(pred, int(p))
		}
	}
	return pred, nil
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// printLite prints the lite runtime's line of the summary.
func printLite(w io.Writer, s *liteStats) {
	fmt.Fprintf(w, "lite runtime: %s (%.1f KiB, arena %.1f KiB): accuracy %.2f%% on %d test digits (eager %.2f%%; %d predictions differ), %.3f ms per digit at batch 1 (p50; p90 %.3f ms)\n",
		s.Path, float64(s.FileBytes)/1024, float64(s.ArenaBytes)/1024, 100*s.Accuracy(), s.Digits,
		100*float64(s.EagerCorrect)/float64(s.Digits), s.Disagree, s.P50ms, s.P90ms)
}
