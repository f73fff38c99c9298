package data

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/emberml/ember/tensor"
)

// benchMNIST returns the real MNIST training set when there is one (see
// realMNISTDir), else 8,000 synthetic digits.
func benchMNIST(b *testing.B) *MNISTDataset {
	b.Helper()
	dir := realMNISTDir()
	if dir == "" {
		dir = b.TempDir()
		for name, data := range mnistFiles("train", 8000) {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	ds, err := MNIST(dir, true)
	if err != nil {
		b.Fatal(err)
	}
	return ds
}

// BenchmarkMNISTEpoch loads shuffled epochs of MNIST in batches of 64 and
// reports samples per second: through the batch path (index_select and
// the transform on the whole batch) and sample by sample (a Collate
// function forces it), with and without workers.
func BenchmarkMNISTEpoch(b *testing.B) {
	ds := benchMNIST(b)
	norm := Compose{ToTensor{}, Normalize{Mean: []float64{0.1307}, Std: []float64{0.3081}}}
	aug := Compose{ToTensor{}, RandomAffine{Degrees: []float64{10}, Translate: []float64{0.1, 0.1}, Generator: tensor.NewGenerator(1)},
		Normalize{Mean: []float64{0.1307}, Std: []float64{0.3081}}}
	for _, bc := range []struct {
		name      string
		tf        Transform
		perSample bool
		workers   int
	}{
		{"batch/uint8", nil, false, 0},
		{"batch/normalize", norm, false, 0},
		{"batch/normalize/workers=2", norm, false, 2},
		{"per-sample/normalize", norm, true, 0},
		{"per-sample/normalize/workers=2", norm, true, 2},
		{"per-sample/affine", aug, true, 0},
		{"per-sample/affine/workers=2", aug, true, 2},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ds.Transform = bc.tf
			o := LoaderOptions{BatchSize: 64, Shuffle: true, Generator: tensor.NewGenerator(0), NumWorkers: bc.workers}
			if bc.perSample {
				o.Collate = DefaultCollate
			}
			l := NewDataLoader(ds, o)
			n := 0
			for b.Loop() {
				for batch, err := range l.All() {
					if err != nil {
						b.Fatal(err)
					}
					n += batch[0].Size(0)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "samples/s")
			b.ReportMetric(float64(ds.Len()), "samples/epoch")
		})
	}
	ds.Transform = nil
}
