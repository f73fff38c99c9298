package lite_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emberml/ember/mobile/lite"
)

// zeroInputs returns zero-filled inputs for mt.
func zeroInputs(mt *lite.Method) []lite.Tensor {
	var in []lite.Tensor
	for _, ti := range mt.Inputs() {
		n := ti.Numel()
		var d any
		switch ti.DType {
		case lite.Float32:
			d = make([]float32, n)
		case lite.Float64:
			d = make([]float64, n)
		case lite.Int64:
			d = make([]int64, n)
		case lite.Int32:
			d = make([]int32, n)
		case lite.Int8:
			d = make([]int8, n)
		case lite.UInt8:
			d = make([]uint8, n)
		case lite.Float16:
			d = make([]uint16, n)
		case lite.Bool:
			d = make([]bool, n)
		}
		in = append(in, lite.Tensor{Data: d})
	}
	return in
}

// FuzzLoad loads arbitrary bytes as a model and, when they load, runs
// every method on zero inputs and the bundled tests: errors are fine, a
// panic (or an internal error, a recovered one) is a bug. The seeds are
// the files the other tests build.
func FuzzLoad(f *testing.F) {
	f.Add(newConvNet(1).file(f, false, false))
	f.Add(newConvNet(1).file(f, true, true))
	f.Add(controlNet(f))
	// Real exported models (mobile's exporter writes them: go test ./mobile -run TestExportTestdata -update).
	for _, name := range []string{"smallcnn.ember", "control.ember"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for i, c := range opCases() {
		if i%2 == 0 { // every other case, to keep the seeds small
			b, _, _ := caseFile(f, c, i%4 == 0)
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := lite.LoadBytesOptions(b, lite.Options{MaxArenaBytes: 1 << 20, MaxJumps: 100})
		if err != nil {
			return
		}
		defer m.Close()
		s := m.NewSession()
		for _, mt := range m.Methods() {
			if err := s.Run(mt, zeroInputs(mt), nil); err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
		}
		if err := m.Verify(); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}
