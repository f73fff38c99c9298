package data

import (
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/tensor"
)

func TestTensorDataset(t *testing.T) {
	x := tensor.Arange(0, 12, 1).Reshape(6, 2)
	y := tensor.FromSlice([]int64{0, 1, 2, 3, 4, 5})
	ds := NewTensorDataset(x, y)
	if ds.Len() != 6 {
		t.Fatalf("Len %d", ds.Len())
	}
	s, err := ds.Get(4)
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.Equal(s[0], tensor.FromSlice([]float32{8, 9})) || s[1].Dim() != 0 || s[1].Item() != 4 {
		t.Fatalf("Get(4) = %v", s)
	}
	if _, err := ds.Get(6); err == nil || !strings.Contains(err.Error(), "index 6 out of range") {
		t.Fatalf("Get(6): %v", err)
	}
	if _, err := ds.Get(-1); err == nil {
		t.Fatal("Get(-1) succeeded")
	}
	b, err := ds.GetBatch([]int{5, 0, 2})
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.Equal(b[0], tensor.FromSlice([]float32{10, 11, 0, 1, 4, 5}, 3, 2)) || !slices.Equal(b[1].ToInt64s(), []int64{5, 0, 2}) {
		t.Fatalf("GetBatch = %v", b)
	}
	if _, err := ds.GetBatch([]int{1, 9}); err == nil {
		t.Fatal("GetBatch out of range succeeded")
	}
	mustPanic(t, func() { NewTensorDataset(x, tensor.Zeros(5)) }, "data.NewTensorDataset", "[6 2]", "[5]")
	mustPanic(t, func() { NewTensorDataset() }, "data.NewTensorDataset")
}

func TestLabel(t *testing.T) {
	l := Label(7)
	if l.Dim() != 0 || l.DType() != tensor.Int64 || l.Item() != 7 {
		t.Fatalf("Label(7) = %v %v %v", l.DType(), l.Shape(), l)
	}
}

func TestSubset(t *testing.T) {
	ds := NewTensorDataset(tensor.Arange(0, 10, 1))
	sub := &Subset{Dataset: ds, Indices: []int{9, 3, 3, 0}}
	if sub.Len() != 4 {
		t.Fatalf("Len %d", sub.Len())
	}
	s, _ := sub.Get(1)
	if s[0].Item() != 3 {
		t.Fatalf("Get(1) = %v", s[0])
	}
	if _, err := sub.Get(4); err == nil {
		t.Fatal("Get(4) succeeded")
	}
	b, err := sub.GetBatch([]int{0, 3, 1})
	if err != nil || !slices.Equal(b[0].ToFloat64s(), []float64{9, 0, 3}) {
		t.Fatalf("GetBatch = %v, %v", b, err)
	}
	// A subset of a dataset without a batch path collates sample by sample.
	plain := &Subset{Dataset: plainDataset{ds}, Indices: []int{2, 4}}
	b, err = plain.GetBatch([]int{1, 0})
	if err != nil || !slices.Equal(b[0].ToFloat64s(), []float64{4, 2}) {
		t.Fatalf("GetBatch over a plain dataset = %v, %v", b, err)
	}
}

// plainDataset hides a dataset's GetBatch, to exercise the per-sample path.
type plainDataset struct{ Dataset }

func TestRandomSplit(t *testing.T) {
	ds := NewTensorDataset(tensor.Arange(0, 10, 1))
	parts, err := RandomSplit(ds, []int{3, 7}, tensor.NewGenerator(42))
	if err != nil {
		t.Fatal(err)
	}
	if parts[0].Len() != 3 || parts[1].Len() != 7 {
		t.Fatalf("lengths %d, %d", parts[0].Len(), parts[1].Len())
	}
	all := append(slices.Clone(parts[0].Indices), parts[1].Indices...)
	slices.Sort(all)
	if !slices.Equal(all, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("the parts do not partition the dataset: %v", all)
	}
	again, _ := RandomSplit(ds, []int{3, 7}, tensor.NewGenerator(42))
	if !slices.Equal(again[0].Indices, parts[0].Indices) {
		t.Fatal("RandomSplit with the same seed differs")
	}
	other, _ := RandomSplit(ds, []int{3, 7}, tensor.NewGenerator(43))
	if slices.Equal(other[1].Indices, parts[1].Indices) {
		t.Fatal("RandomSplit with another seed gives the same split")
	}
	if _, err := RandomSplit(ds, []int{3, 6}, nil); err == nil || !strings.Contains(err.Error(), "does not equal the length of the dataset (10)") {
		t.Fatalf("lengths not adding up: %v", err)
	}
	if _, err := RandomSplit(ds, []int{11, -1}, nil); err == nil {
		t.Fatal("negative length accepted")
	}

	// Fractions: floor, then the remainder one at a time from the first part.
	fr, err := RandomSplitFractions(ds, []float64{0.25, 0.25, 0.5}, tensor.NewGenerator(1))
	if err != nil {
		t.Fatal(err)
	}
	if fr[0].Len() != 3 || fr[1].Len() != 2 || fr[2].Len() != 5 {
		t.Fatalf("fraction lengths %d %d %d, want 3 2 5 (as PyTorch)", fr[0].Len(), fr[1].Len(), fr[2].Len())
	}
	if _, err := RandomSplitFractions(ds, []float64{0.5, 0.6}, nil); err == nil {
		t.Fatal("fractions adding up to 1.1 accepted")
	}
}

func TestGatherRows(t *testing.T) {
	idx := []int{2, 0, 2, 1}
	want := func(x *tensor.Tensor) *tensor.Tensor {
		return x.IndexSelect(0, tensor.FromSlice([]int64{2, 0, 2, 1}))
	}
	base := tensor.Randn(3, 2, 4)
	for _, x := range []*tensor.Tensor{
		base, base.Double(), base.To(tensor.Float16), base.MulScalar(50).To(tensor.Int64), base.MulScalar(50).To(tensor.Int32),
		base.MulScalar(50).To(tensor.Int8), base.Abs().MulScalar(50).To(tensor.Uint8), base.GtScalar(0),
		base.Transpose(0, 2).Contiguous().Transpose(0, 2), // not contiguous
		tensor.Zeros(3),
	} {
		got := gatherRows(x, idx)
		if got.DType() != x.DType() || !tensor.Equal(got, want(x)) {
			t.Fatalf("gatherRows of %v %v (contiguous %v) differs from IndexSelect", x.DType(), x.Shape(), x.IsContiguous())
		}
	}
}
