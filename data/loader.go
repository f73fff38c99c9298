package data

import (
	"errors"
	"fmt"
	"iter"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/emberml/ember/tensor"
)

// Sampler gives the order in which a DataLoader visits a dataset's indices,
// as torch.utils.data.Sampler. Indices(epoch) must be the same every time it
// is called with the same epoch, so that a resumed training run sees the
// same order, and must be safe for concurrent use.
type Sampler interface {
	// Len returns the number of indices an epoch yields.
	Len() int
	// Indices returns the indices of one epoch, in order.
	Indices(epoch int) []int
}

// SequentialSampler visits 0..N-1 in order every epoch.
type SequentialSampler struct{ N int }

// Len returns N.
func (s SequentialSampler) Len() int { return s.N }

// Indices returns 0..N-1.
func (s SequentialSampler) Indices(int) []int {
	idx := make([]int, s.N)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// RandomSampler visits 0..N-1 in a random order that is a function of Seed
// and the epoch alone: epoch e gives the same permutation in every run and
// after a restart, and different epochs give different permutations.
type RandomSampler struct {
	N    int
	Seed uint64
}

// Len returns N.
func (s RandomSampler) Len() int { return s.N }

// Indices returns the permutation of epoch.
func (s RandomSampler) Indices(epoch int) []int {
	g := tensor.NewGenerator(loaderMix(s.Seed, uint64(epoch)))
	perm := g.RandPerm(s.N).ToInt64s()
	idx := make([]int, s.N)
	for i, v := range perm {
		idx[i] = int(v)
	}
	return idx
}

// loaderMix derives the seed of one epoch from a base seed (splitmix64's
// finaliser over the pair).
func loaderMix(seed, epoch uint64) uint64 {
	z := seed ^ (epoch+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// LoaderOptions configure a DataLoader, as the arguments of
// torch.utils.data.DataLoader. The zero value is PyTorch's defaults.
type LoaderOptions struct {
	// BatchSize is the number of samples in a batch. Default (0): 1.
	BatchSize int
	// Shuffle visits the samples in a new random order each epoch. The
	// order of epoch e is a function of a base seed and e alone, so a
	// resumed training run (SetEpoch) sees the same order. Default
	// (false): in index order.
	Shuffle bool
	// Generator draws the base seed of Shuffle, once, when the loader is
	// made. Default (nil): tensor.DefaultGenerator(), so tensor.ManualSeed
	// before NewDataLoader fixes the order, as torch.manual_seed does.
	Generator *tensor.Generator
	// Sampler gives the order of the indices instead of Shuffle (which must
	// then be false). Default (nil): sequential, or random with Shuffle.
	Sampler Sampler
	// DropLast drops the last batch of an epoch when it is smaller than
	// BatchSize. Default (false): keep it.
	DropLast bool
	// NumWorkers is the number of goroutines that load batches ahead of the
	// consumer; worker w loads batches w, w+W, w+2W, ..., and the loader
	// yields them in order. Default (0): load each batch in the consuming
	// goroutine when it is asked for.
	NumWorkers int
	// Prefetch is the number of batches each worker loads ahead, as
	// PyTorch's prefetch_factor. Default (0): 2. Ignored without workers.
	Prefetch int
	// Collate merges the samples of a batch into one Sample. Default (nil):
	// DefaultCollate, and a dataset that is a BatchGetter (TensorDataset,
	// MNIST, Subsets of them) loads each batch at once, with no
	// per-sample work.
	Collate func(samples []Sample) (Sample, error)
}

// DataLoader iterates over a dataset in batches, as
// torch.utils.data.DataLoader:
//
//	loader := data.NewDataLoader(ds, data.LoaderOptions{BatchSize: 64, Shuffle: true})
//	for epoch := range 10 {
//		for batch, err := range loader.All() {
//			if err != nil {
//				return err
//			}
//			x, y := batch[0], batch[1]
//			...
//		}
//	}
//
// Each call of All iterates over the next epoch. An error loading a batch
// (from the dataset's Get or from Collate) is yielded once, with a nil
// batch, and ends the epoch; the error names the batch and wraps the cause.
// Breaking out of the loop stops the workers, and All returns only after
// they have exited. A panic in a worker is recovered there and raised again
// in the goroutine ranging over the loader, with the worker's stack.
//
// A DataLoader may be used by one consumer at a time.
type DataLoader struct {
	ds       Dataset
	sampler  Sampler
	bs       int
	dropLast bool
	workers  int
	prefetch int
	collate  func([]Sample) (Sample, error)

	mu    sync.Mutex
	epoch int
}

// NewDataLoader returns a loader over ds. It panics on contradictory or
// out-of-range options (a negative BatchSize, Shuffle with a Sampler, ...).
func NewDataLoader(ds Dataset, opts ...LoaderOptions) *DataLoader {
	var o LoaderOptions
	if len(opts) > 1 {
		panic("data.NewDataLoader: more than one LoaderOptions")
	}
	if len(opts) == 1 {
		o = opts[0]
	}
	if o.BatchSize < 0 || o.NumWorkers < 0 || o.Prefetch < 0 {
		panic(fmt.Sprintf("data.NewDataLoader: BatchSize (%d), NumWorkers (%d) and Prefetch (%d) must not be negative",
			o.BatchSize, o.NumWorkers, o.Prefetch))
	}
	if o.Shuffle && o.Sampler != nil {
		panic("data.NewDataLoader: Sampler option is mutually exclusive with Shuffle")
	}
	l := &DataLoader{ds: ds, bs: max(o.BatchSize, 1), dropLast: o.DropLast, workers: o.NumWorkers,
		prefetch: o.Prefetch, collate: o.Collate, sampler: o.Sampler}
	if l.prefetch == 0 {
		l.prefetch = 2
	}
	switch {
	case l.sampler != nil:
	case o.Shuffle:
		g := o.Generator
		if g == nil {
			g = tensor.DefaultGenerator()
		}
		seed := uint64(g.RandInt(0, 1<<62, 1).ToInt64s()[0])
		l.sampler = RandomSampler{N: ds.Len(), Seed: seed}
	default:
		l.sampler = SequentialSampler{N: ds.Len()}
	}
	return l
}

// Dataset returns the dataset the loader iterates over.
func (l *DataLoader) Dataset() Dataset { return l.ds }

// BatchSize returns the number of samples in a full batch.
func (l *DataLoader) BatchSize() int { return l.bs }

// Len returns the number of batches in an epoch: ceil(n/BatchSize), or
// floor(n/BatchSize) with DropLast, for n samples an epoch.
func (l *DataLoader) Len() int {
	n := l.sampler.Len()
	if l.dropLast {
		return n / l.bs
	}
	return (n + l.bs - 1) / l.bs
}

// Epoch returns the epoch the next call of All will iterate over.
func (l *DataLoader) Epoch() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.epoch
}

// SetEpoch sets the epoch the next call of All iterates over (to resume a
// training run, as DistributedSampler.set_epoch).
func (l *DataLoader) SetEpoch(epoch int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.epoch = epoch
}

// All returns an iterator over the batches of the next epoch: the first
// call iterates over epoch 0 (or the one SetEpoch set), and each range
// over a returned iterator moves the loader on by one epoch.
func (l *DataLoader) All() iter.Seq2[Sample, error] {
	return func(yield func(Sample, error) bool) {
		l.mu.Lock()
		e := l.epoch
		l.epoch++
		l.mu.Unlock()
		l.run(e, yield)
	}
}

// EpochBatches returns an iterator over the batches of the given epoch,
// leaving the loader's epoch counter alone.
func (l *DataLoader) EpochBatches(epoch int) iter.Seq2[Sample, error] {
	return func(yield func(Sample, error) bool) { l.run(epoch, yield) }
}

// batches cuts an epoch's indices into batches.
func (l *DataLoader) batches(epoch int) [][]int {
	idx := l.sampler.Indices(epoch)
	var out [][]int
	for start := 0; start < len(idx); start += l.bs {
		end := min(start+l.bs, len(idx))
		if end-start < l.bs && l.dropLast {
			break
		}
		out = append(out, idx[start:end])
	}
	return out
}

// load loads and collates one batch.
func (l *DataLoader) load(k int, indices []int) (Sample, error) {
	var (
		b   Sample
		err error
	)
	if l.collate == nil {
		b, err = loadBatch(l.ds, indices)
	} else {
		samples := make([]Sample, len(indices))
		for j, i := range indices {
			samples[j], err = l.ds.Get(i)
			if err != nil {
				err = fmt.Errorf("sample %d: %w", i, err)
				break
			}
		}
		if err == nil {
			b, err = l.collate(samples)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("data: loading batch %d: %w", k, err)
	}
	return b, nil
}

// loaderResult is what a worker hands the consumer for one batch.
type loaderResult struct {
	batch  Sample
	err    error
	panicv any
	stack  []byte
}

// loadRecover loads batch k, turning a panic into a result.
func (l *DataLoader) loadRecover(k int, indices []int) (r loaderResult) {
	defer func() {
		if p := recover(); p != nil {
			r = loaderResult{panicv: p, stack: debug.Stack()}
		}
	}()
	b, err := l.load(k, indices)
	return loaderResult{batch: b, err: err}
}

func (l *DataLoader) run(epoch int, yield func(Sample, error) bool) {
	bs := l.batches(epoch)
	if l.workers == 0 {
		for k, idx := range bs {
			b, err := l.load(k, idx)
			if !yield(b, err) || err != nil {
				return
			}
		}
		return
	}
	w := min(l.workers, len(bs))
	chans := make([]chan loaderResult, w)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := range chans {
		chans[i] = make(chan loaderResult, l.prefetch-1)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := i; k < len(bs); k += w {
				select {
				case <-done:
					return
				default:
				}
				r := l.loadRecover(k, bs[k])
				select {
				case chans[i] <- r:
				case <-done:
					return
				}
				if r.err != nil || r.panicv != nil {
					return
				}
			}
		}(i)
	}
	defer func() {
		close(done)
		wg.Wait()
	}()
	for k := range bs {
		r := <-chans[k%w]
		if r.panicv != nil {
			panic(fmt.Sprintf("data: DataLoader worker panicked loading batch %d: %v\n\nworker stack:\n%s", k, r.panicv, r.stack))
		}
		if !yield(r.batch, r.err) || r.err != nil {
			return
		}
	}
}

// DefaultCollate stacks each field of the samples along a new first
// dimension with tensor.Stack, as PyTorch's default_collate does with
// tensors: a field of shape S and dtype D becomes [B, S...] of dtype D,
// except that 0-d integer fields (labels) become int64 [B], as Python ints
// do in PyTorch. It returns an error when the samples differ in their
// number of fields or in a field's shape or dtype, naming the sample.
func DefaultCollate(samples []Sample) (Sample, error) {
	if len(samples) == 0 {
		return nil, errors.New("data: collate: no samples")
	}
	ref := samples[0]
	out := make(Sample, len(ref))
	col := make([]*tensor.Tensor, len(samples))
	for f := range ref {
		for j, s := range samples {
			if len(s) != len(ref) {
				return nil, fmt.Errorf("data: collate: sample %d of the batch has %d fields, sample 0 has %d", j, len(s), len(ref))
			}
			t := s[f]
			if t == nil {
				return nil, fmt.Errorf("data: collate: field %d of sample %d of the batch is nil", f, j)
			}
			if !slices.Equal(t.Shape(), ref[f].Shape()) || t.DType() != ref[f].DType() {
				return nil, fmt.Errorf("data: collate: field %d of sample %d of the batch is %v %v, sample 0 has %v %v",
					f, j, t.DType(), t.Shape(), ref[f].DType(), ref[f].Shape())
			}
			col[j] = t
		}
		out[f] = collateLabels(tensor.Stack(col, 0))
	}
	return out, nil
}
