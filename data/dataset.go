package data

import (
	"fmt"
	"math"

	"github.com/emberml/ember/tensor"
	"github.com/x448/float16"
)

// Sample is one item of a dataset, as the tuple a PyTorch Dataset's
// __getitem__ returns: its fields in order, typically {input, target}. A
// batch is a Sample too: the DataLoader yields each field stacked along a new
// first dimension.
//
// A class label is a 0-d int64 tensor (see [Label]); collating such labels
// gives an int64 tensor of shape [B], the targets CrossEntropyLoss expects.
type Sample []*tensor.Tensor

// Dataset is a map-style dataset, as torch.utils.data.Dataset: Len samples
// indexed 0..Len()-1. Get returns an error where loading can fail (a file
// that cannot be read, a sample that cannot be decoded) and for an index out
// of range; the DataLoader passes that error on to its consumer. Get may be
// called from several goroutines at once (see LoaderOptions.NumWorkers), so
// it must be safe for concurrent use; the tensors it returns may share
// storage with the dataset and must not be written to by callers.
type Dataset interface {
	Len() int
	Get(i int) (Sample, error)
}

// BatchGetter is implemented by datasets that can load a whole batch at
// once, faster than one sample at a time (an index_select on in-memory
// tensors). GetBatch must return what [DefaultCollate] would make of the
// samples Get returns for indices. The DataLoader uses it when no Collate
// function is set.
type BatchGetter interface {
	GetBatch(indices []int) (Sample, error)
}

// Label returns a class label as a 0-d int64 tensor, the Go counterpart of
// the Python int a torchvision dataset returns as its target.
func Label(class int) *tensor.Tensor {
	return tensor.FromSlice([]int64{int64(class)}).Reshape()
}

// checkIndex returns an error unless 0 <= i < n.
func checkIndex(what string, i, n int) error {
	if i < 0 || i >= n {
		return fmt.Errorf("data: %s: index %d out of range for a dataset of %d samples", what, i, n)
	}
	return nil
}

// TensorDataset is a dataset over tensors that share their first dimension,
// as torch.utils.data.TensorDataset: sample i holds the i-th slice of each
// tensor along dimension 0 (a view sharing the tensor's storage).
type TensorDataset struct {
	// Tensors are the fields, each of size Len() in dimension 0.
	Tensors []*tensor.Tensor
}

// NewTensorDataset returns a dataset over ts. It panics when ts is empty,
// holds a 0-d tensor, or the tensors differ in the size of dimension 0.
func NewTensorDataset(ts ...*tensor.Tensor) *TensorDataset {
	if len(ts) == 0 {
		panic("data.NewTensorDataset: no tensors")
	}
	for i, t := range ts {
		if t == nil || t.Dim() == 0 {
			panic(fmt.Sprintf("data.NewTensorDataset: tensor %d is nil or 0-dimensional", i))
		}
		if t.Size(0) != ts[0].Size(0) {
			panic(fmt.Sprintf("data.NewTensorDataset: size mismatch between tensors: tensor 0 has shape %v, tensor %d has shape %v",
				ts[0].Shape(), i, t.Shape()))
		}
	}
	return &TensorDataset{Tensors: ts}
}

// Len returns the size of the tensors' first dimension.
func (d *TensorDataset) Len() int { return d.Tensors[0].Size(0) }

// Get returns the i-th slice of each tensor.
func (d *TensorDataset) Get(i int) (Sample, error) {
	if err := checkIndex("TensorDataset", i, d.Len()); err != nil {
		return nil, err
	}
	s := make(Sample, len(d.Tensors))
	for k, t := range d.Tensors {
		s[k] = t.Select(0, i)
	}
	return s, nil
}

// GetBatch selects the rows indices of each tensor at once (index_select);
// a field whose samples are 0-d integers becomes int64, as DefaultCollate
// makes it.
func (d *TensorDataset) GetBatch(indices []int) (Sample, error) {
	n := d.Len()
	for _, i := range indices {
		if err := checkIndex("TensorDataset", i, n); err != nil {
			return nil, err
		}
	}
	s := make(Sample, len(d.Tensors))
	for k, t := range d.Tensors {
		s[k] = collateLabels(gatherRows(t, indices))
	}
	return s, nil
}

// gatherRows returns t.IndexSelect(0, indices) (the indices already
// checked), copying whole rows when t is contiguous.
func gatherRows(t *tensor.Tensor, indices []int) *tensor.Tensor {
	if !t.IsContiguous() {
		idx := make([]int64, len(indices))
		for k, i := range indices {
			idx[k] = int64(i)
		}
		return t.IndexSelect(0, tensor.FromSlice(idx))
	}
	shape := t.Shape()
	shape[0] = len(indices)
	out := tensor.Empty(t.DType(), shape...)
	row := 1
	for _, s := range shape[1:] {
		row *= s
	}
	switch src := t.Data().(type) {
	case []float32:
		gatherCopy(out.Data().([]float32), src, row, indices)
	case []float64:
		gatherCopy(out.Data().([]float64), src, row, indices)
	case []int64:
		gatherCopy(out.Data().([]int64), src, row, indices)
	case []int32:
		gatherCopy(out.Data().([]int32), src, row, indices)
	case []int8:
		gatherCopy(out.Data().([]int8), src, row, indices)
	case []uint8:
		gatherCopy(out.Data().([]uint8), src, row, indices)
	case []bool:
		gatherCopy(out.Data().([]bool), src, row, indices)
	case []float16.Float16:
		gatherCopy(out.Data().([]float16.Float16), src, row, indices)
	default:
		panic(fmt.Sprintf("data: gatherRows: unexpected storage %T", src))
	}
	return out
}

// gatherCopy copies rows indices of src (rows of row elements) into dst.
func gatherCopy[T any](dst, src []T, row int, indices []int) {
	for k, i := range indices {
		copy(dst[k*row:(k+1)*row], src[i*row:(i+1)*row])
	}
}

// collateLabels converts a batch of 0-d integer samples ([B] of an integer
// dtype) to int64, the dtype PyTorch gives a batch of Python ints.
func collateLabels(b *tensor.Tensor) *tensor.Tensor {
	if b.Dim() == 1 && b.DType().IsInt() && b.DType() != tensor.Int64 {
		return b.To(tensor.Int64)
	}
	return b
}

// Subset is the part of a dataset at the given indices, as
// torch.utils.data.Subset: sample i is Dataset's sample Indices[i].
type Subset struct {
	Dataset Dataset
	Indices []int
}

// Len returns len(Indices).
func (s *Subset) Len() int { return len(s.Indices) }

// Get returns the parent's sample Indices[i].
func (s *Subset) Get(i int) (Sample, error) {
	if err := checkIndex("Subset", i, len(s.Indices)); err != nil {
		return nil, err
	}
	return s.Dataset.Get(s.Indices[i])
}

// GetBatch loads the parent's samples at the mapped indices, as one batch
// when the parent is a BatchGetter.
func (s *Subset) GetBatch(indices []int) (Sample, error) {
	mapped := make([]int, len(indices))
	for k, i := range indices {
		if err := checkIndex("Subset", i, len(s.Indices)); err != nil {
			return nil, err
		}
		mapped[k] = s.Indices[i]
	}
	return loadBatch(s.Dataset, mapped)
}

// loadBatch loads the samples at indices of ds and collates them with
// DefaultCollate, through GetBatch where ds has it.
func loadBatch(ds Dataset, indices []int) (Sample, error) {
	if bg, ok := ds.(BatchGetter); ok {
		return bg.GetBatch(indices)
	}
	samples := make([]Sample, len(indices))
	for k, i := range indices {
		s, err := ds.Get(i)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		samples[k] = s
	}
	return DefaultCollate(samples)
}

// RandomSplit splits ds into non-overlapping subsets of the given lengths,
// which must add up to ds.Len(), as torch.utils.data.random_split: a random
// permutation of the indices drawn from g (nil: tensor.DefaultGenerator(),
// which tensor.ManualSeed seeds) is cut into consecutive pieces.
func RandomSplit(ds Dataset, lengths []int, g *tensor.Generator) ([]*Subset, error) {
	n, sum := ds.Len(), 0
	for _, l := range lengths {
		if l < 0 {
			return nil, fmt.Errorf("data: RandomSplit: negative length in %v", lengths)
		}
		sum += l
	}
	if sum != n {
		return nil, fmt.Errorf("data: RandomSplit: sum of input lengths %v is %d, which does not equal the length of the dataset (%d)", lengths, sum, n)
	}
	if g == nil {
		g = tensor.DefaultGenerator()
	}
	perm := g.RandPerm(n).ToInt64s()
	out := make([]*Subset, len(lengths))
	off := 0
	for k, l := range lengths {
		idx := make([]int, l)
		for j := range idx {
			idx[j] = int(perm[off+j])
		}
		off += l
		out[k] = &Subset{Dataset: ds, Indices: idx}
	}
	return out, nil
}

// RandomSplitFractions splits ds as RandomSplit does, into parts whose sizes
// are the given fractions of ds.Len() (they must add up to 1). As in
// PyTorch, each part gets floor(fraction*Len) samples and the remainder is
// handed out one at a time to the parts in order.
func RandomSplitFractions(ds Dataset, fractions []float64, g *tensor.Generator) ([]*Subset, error) {
	sum := 0.0
	for _, f := range fractions {
		if f < 0 || f > 1 || math.IsNaN(f) {
			return nil, fmt.Errorf("data: RandomSplitFractions: fraction %v is not in [0, 1]", f)
		}
		sum += f
	}
	if math.Abs(sum-1) > 1e-9 || len(fractions) == 0 {
		return nil, fmt.Errorf("data: RandomSplitFractions: fractions %v add up to %v, not 1", fractions, sum)
	}
	n := ds.Len()
	lengths := make([]int, len(fractions))
	rest := n
	for k, f := range fractions {
		lengths[k] = int(math.Floor(float64(n) * f))
		rest -= lengths[k]
	}
	for k := 0; k < rest; k++ {
		lengths[k%len(lengths)]++
	}
	return RandomSplit(ds, lengths, g)
}
