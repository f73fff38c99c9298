package data

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emberml/ember/tensor"
)

// indexDataset's sample i is {float32 [2] holding i and -i, a uint8 label
// i%10}; it can sleep, fail or panic at chosen indices, and counts Gets.
type indexDataset struct {
	n       int
	sleep   func(i int) time.Duration
	failAt  int // -1: never
	panicAt int // -1: never
	gets    atomic.Int64
}

var errIndexDataset = errors.New("disk on fire")

func newIndexDataset(n int) *indexDataset { return &indexDataset{n: n, failAt: -1, panicAt: -1} }

func (d *indexDataset) Len() int { return d.n }

func (d *indexDataset) Get(i int) (Sample, error) {
	d.gets.Add(1)
	if d.sleep != nil {
		time.Sleep(d.sleep(i))
	}
	if i == d.failAt {
		return nil, errIndexDataset
	}
	if i == d.panicAt {
		panic(fmt.Sprintf("sample %d is cursed", i))
	}
	return Sample{tensor.FromSlice([]float32{float32(i), float32(-i)}), tensor.FromSlice([]uint8{uint8(i % 10)}).Reshape()}, nil
}

// loaderOrder ranges over one epoch and returns the indices it saw (the
// first element of each sample's input) and the batch sizes.
func loaderOrder(t *testing.T, it func(func(Sample, error) bool)) (idx []int, sizes []int) {
	t.Helper()
	for b, err := range it {
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, b[0].Size(0))
		for r := range b[0].Size(0) {
			idx = append(idx, int(b[0].At(r, 0)))
		}
	}
	return idx, sizes
}

func TestLoaderBatchCounts(t *testing.T) {
	for _, tc := range []struct {
		n, bs    int
		dropLast bool
		sizes    []int
	}{
		{10, 3, false, []int{3, 3, 3, 1}},
		{10, 3, true, []int{3, 3, 3}},
		{9, 3, true, []int{3, 3, 3}},
		{9, 3, false, []int{3, 3, 3}},
		{2, 5, true, nil},
		{2, 5, false, []int{2}},
		{0, 4, false, nil},
		{4, 0, false, []int{1, 1, 1, 1}},
	} {
		for _, workers := range []int{0, 2} {
			l := NewDataLoader(newIndexDataset(tc.n), LoaderOptions{BatchSize: tc.bs, DropLast: tc.dropLast, NumWorkers: workers})
			idx, sizes := loaderOrder(t, l.All())
			if !slices.Equal(sizes, tc.sizes) || l.Len() != len(tc.sizes) {
				t.Fatalf("n=%d bs=%d dropLast=%v workers=%d: batch sizes %v, Len %d; want %v", tc.n, tc.bs, tc.dropLast, workers, sizes, l.Len(), tc.sizes)
			}
			for k, i := range idx {
				if i != k {
					t.Fatalf("unshuffled order %v", idx)
				}
			}
		}
	}
}

func TestLoaderCollateDtypes(t *testing.T) {
	l := NewDataLoader(newIndexDataset(5), LoaderOptions{BatchSize: 4})
	for b, err := range l.All() {
		if err != nil {
			t.Fatal(err)
		}
		if b[0].DType() != tensor.Float32 || b[0].Dim() != 2 || b[0].Size(1) != 2 {
			t.Fatalf("inputs %v %v, want float32 [B 2]", b[0].DType(), b[0].Shape())
		}
		// uint8 0-d labels become int64 [B], as Python ints in PyTorch.
		if b[1].DType() != tensor.Int64 || b[1].Dim() != 1 {
			t.Fatalf("labels %v %v, want int64 [B]", b[1].DType(), b[1].Shape())
		}
		break
	}
	// The TensorDataset fast path gives the same dtypes as the per-sample path.
	x := tensor.Rand(7, 3)
	y := tensor.FromSlice([]int32{1, 2, 3, 4, 5, 6, 7})
	u := tensor.RandInt(0, 255, 7, 2).To(tensor.Uint8)
	fast := NewDataLoader(NewTensorDataset(x, y, u), LoaderOptions{BatchSize: 3})
	slow := NewDataLoader(plainDataset{NewTensorDataset(x, y, u)}, LoaderOptions{BatchSize: 3})
	var fb, sb []Sample
	for b, err := range fast.All() {
		if err != nil {
			t.Fatal(err)
		}
		fb = append(fb, b)
	}
	for b, err := range slow.All() {
		if err != nil {
			t.Fatal(err)
		}
		sb = append(sb, b)
	}
	if len(fb) != 3 || len(sb) != 3 {
		t.Fatalf("%d and %d batches", len(fb), len(sb))
	}
	for k := range fb {
		for f := range fb[k] {
			if fb[k][f].DType() != sb[k][f].DType() || !tensor.Equal(fb[k][f], sb[k][f]) {
				t.Fatalf("batch %d field %d: fast path %v %v, per-sample path %v %v", k, f,
					fb[k][f].DType(), fb[k][f], sb[k][f].DType(), sb[k][f])
			}
		}
		if fb[k][1].DType() != tensor.Int64 || fb[k][2].DType() != tensor.Uint8 {
			t.Fatalf("dtypes %v %v, want int64 labels and uint8 data", fb[k][1].DType(), fb[k][2].DType())
		}
	}
}

func TestDefaultCollateErrors(t *testing.T) {
	a := Sample{tensor.Zeros(2, 2), Label(1)}
	if _, err := DefaultCollate([]Sample{a, {tensor.Zeros(2, 3), Label(1)}}); err == nil ||
		!strings.Contains(err.Error(), "field 0 of sample 1") || !strings.Contains(err.Error(), "[2 3]") {
		t.Fatalf("shape mismatch: %v", err)
	}
	if _, err := DefaultCollate([]Sample{a, {tensor.Zeros(2, 2)}}); err == nil || !strings.Contains(err.Error(), "1 fields") {
		t.Fatalf("field count mismatch: %v", err)
	}
	if _, err := DefaultCollate([]Sample{a, {tensor.Zeros(2, 2).Double(), Label(1)}}); err == nil || !strings.Contains(err.Error(), "float64") {
		t.Fatalf("dtype mismatch: %v", err)
	}
	if _, err := DefaultCollate(nil); err == nil {
		t.Fatal("no samples collated")
	}
}

func TestLoaderCustomCollate(t *testing.T) {
	ds := newIndexDataset(6)
	sum := func(samples []Sample) (Sample, error) {
		s := 0.0
		for _, x := range samples {
			s += x[0].At(0)
		}
		return Sample{tensor.Scalar(s)}, nil
	}
	l := NewDataLoader(ds, LoaderOptions{BatchSize: 4, Collate: sum})
	var got []float64
	for b, err := range l.All() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b[0].Item())
	}
	if !slices.Equal(got, []float64{6, 9}) {
		t.Fatalf("custom collate sums %v, want [6 9]", got)
	}
	failing := NewDataLoader(ds, LoaderOptions{BatchSize: 4, Collate: func([]Sample) (Sample, error) { return nil, errIndexDataset }})
	for _, err := range failing.All() {
		if !errors.Is(err, errIndexDataset) || !strings.Contains(err.Error(), "batch 0") {
			t.Fatalf("collate error %v", err)
		}
	}
}

func TestLoaderShuffleDeterminism(t *testing.T) {
	ds := newIndexDataset(50)
	mk := func(seed uint64) *DataLoader {
		return NewDataLoader(ds, LoaderOptions{BatchSize: 8, Shuffle: true, Generator: tensor.NewGenerator(seed)})
	}
	l := mk(7)
	e0, _ := loaderOrder(t, l.All())
	e1, _ := loaderOrder(t, l.All())
	if l.Epoch() != 2 {
		t.Fatalf("Epoch() = %d after two epochs", l.Epoch())
	}
	sorted := slices.Clone(e0)
	slices.Sort(sorted)
	for i, v := range sorted {
		if v != i {
			t.Fatalf("an epoch is not a permutation: %v", e0)
		}
	}
	if slices.Equal(e0, e1) {
		t.Fatal("two epochs in the same order")
	}
	if slices.Equal(e0, sorted) {
		t.Fatal("shuffled epoch in index order")
	}
	// A new loader with the same seed, resumed at epoch 1, sees epoch 1's order.
	r := mk(7)
	r.SetEpoch(1)
	if got, _ := loaderOrder(t, r.All()); !slices.Equal(got, e1) {
		t.Fatalf("resumed epoch 1 %v, want %v", got, e1)
	}
	if got, _ := loaderOrder(t, mk(7).EpochBatches(0)); !slices.Equal(got, e0) {
		t.Fatal("EpochBatches(0) differs from the first epoch")
	}
	// Workers do not change the order.
	w := NewDataLoader(ds, LoaderOptions{BatchSize: 8, Shuffle: true, Generator: tensor.NewGenerator(7), NumWorkers: 3})
	if got, _ := loaderOrder(t, w.All()); !slices.Equal(got, e0) {
		t.Fatal("a loader with workers visits another order")
	}
	if got, _ := loaderOrder(t, mk(8).All()); slices.Equal(got, e0) {
		t.Fatal("another seed gives the same order")
	}
	// Without a generator the base seed comes from the default generator,
	// so tensor.ManualSeed fixes it.
	tensor.ManualSeed(123)
	a, _ := loaderOrder(t, NewDataLoader(ds, LoaderOptions{Shuffle: true}).All())
	tensor.ManualSeed(123)
	b, _ := loaderOrder(t, NewDataLoader(ds, LoaderOptions{Shuffle: true}).All())
	if !slices.Equal(a, b) {
		t.Fatal("ManualSeed does not fix the shuffle order")
	}
	// RandomSampler: the order depends on the seed and epoch only.
	s := RandomSampler{N: 20, Seed: 5}
	if !slices.Equal(s.Indices(3), s.Indices(3)) || slices.Equal(s.Indices(3), s.Indices(4)) {
		t.Fatal("RandomSampler is not a function of the epoch")
	}
}

func TestLoaderSampler(t *testing.T) {
	ds := newIndexDataset(10)
	l := NewDataLoader(ds, LoaderOptions{BatchSize: 4, Sampler: SequentialSampler{N: 6}})
	idx, sizes := loaderOrder(t, l.All())
	if !slices.Equal(idx, []int{0, 1, 2, 3, 4, 5}) || !slices.Equal(sizes, []int{4, 2}) || l.Len() != 2 {
		t.Fatalf("sampler order %v sizes %v Len %d", idx, sizes, l.Len())
	}
	mustPanic(t, func() { NewDataLoader(ds, LoaderOptions{Shuffle: true, Sampler: SequentialSampler{N: 3}}) }, "mutually exclusive")
	mustPanic(t, func() { NewDataLoader(ds, LoaderOptions{BatchSize: -1}) }, "data.NewDataLoader", "negative")
}

func TestLoaderWorkerOrder(t *testing.T) {
	ds := newIndexDataset(97)
	// Scramble the time each sample takes, so that workers finish out of order.
	ds.sleep = func(i int) time.Duration { return time.Duration((i*7919)%5) * 100 * time.Microsecond }
	for _, workers := range []int{1, 2, 5, 200} {
		for _, prefetch := range []int{0, 1, 3} {
			l := NewDataLoader(ds, LoaderOptions{BatchSize: 4, NumWorkers: workers, Prefetch: prefetch, Collate: DefaultCollate})
			idx, sizes := loaderOrder(t, l.All())
			if len(sizes) != 25 || sizes[24] != 1 {
				t.Fatalf("workers=%d: sizes %v", workers, sizes)
			}
			for k, i := range idx {
				if i != k {
					t.Fatalf("workers=%d prefetch=%d: order %v", workers, prefetch, idx)
				}
			}
		}
	}
}

// settledGoroutines waits for the goroutine count to drop to at most want.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for range 200 {
		if n <= want {
			break
		}
		time.Sleep(5 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

func TestLoaderBreakStopsWorkers(t *testing.T) {
	ds := newIndexDataset(1000)
	ds.sleep = func(int) time.Duration { return 50 * time.Microsecond }
	l := NewDataLoader(ds, LoaderOptions{BatchSize: 2, NumWorkers: 4, Prefetch: 2, Collate: DefaultCollate})
	for range l.EpochBatches(0) { // warm up whatever the tensor package starts once
		break
	}
	time.Sleep(20 * time.Millisecond)
	before := runtime.NumGoroutine()
	ds.gets.Store(0)
	seen := 0
	for _, err := range l.All() {
		if err != nil {
			t.Fatal(err)
		}
		seen++
		if seen == 3 {
			break
		}
	}
	// All waits for its workers before returning: none are left (a worker
	// may still be between wg.Done and its exit for an instant).
	if n := settledGoroutines(before); n > before {
		t.Fatalf("%d goroutines after breaking out, %d before", n, before)
	}
	// Workers stop soon: at most prefetch+1 batches ahead per worker were loaded.
	if got := ds.gets.Load(); got > int64(2*(3+4*(2+1))) {
		t.Fatalf("%d samples loaded for 3 batches consumed", got)
	}
	// A panic in the loop body stops the workers too.
	func() {
		defer func() { _ = recover() }()
		for range l.All() {
			panic("consumer gives up")
		}
	}()
	if n := settledGoroutines(before); n > before {
		t.Fatalf("%d goroutines after a panicking consumer, %d before", n, before)
	}
}

func TestLoaderDatasetError(t *testing.T) {
	for _, workers := range []int{0, 3} {
		ds := newIndexDataset(40)
		ds.failAt = 13
		before := runtime.NumGoroutine()
		l := NewDataLoader(ds, LoaderOptions{BatchSize: 5, NumWorkers: workers, Collate: DefaultCollate})
		batches, errs := 0, 0
		for b, err := range l.All() {
			if err != nil {
				errs++
				if b != nil {
					t.Fatal("a batch with the error")
				}
				if !errors.Is(err, errIndexDataset) || !strings.Contains(err.Error(), "batch 2") || !strings.Contains(err.Error(), "sample 13") {
					t.Fatalf("workers=%d: error %q does not name batch 2 and sample 13 or wrap the cause", workers, err)
				}
				continue
			}
			batches++
		}
		if batches != 2 || errs != 1 {
			t.Fatalf("workers=%d: %d batches then %d errors, want 2 then 1", workers, batches, errs)
		}
		if n := settledGoroutines(before); n > before {
			t.Fatalf("workers=%d: %d goroutines after an error, %d before", workers, n, before)
		}
		// The fast path reports errors the same way.
		sub := &Subset{Dataset: ds, Indices: []int{0, 1, 13}}
		for _, err := range NewDataLoader(sub, LoaderOptions{BatchSize: 3, NumWorkers: workers}).All() {
			if !errors.Is(err, errIndexDataset) {
				t.Fatalf("subset batch error %v", err)
			}
		}
	}
}

func TestLoaderWorkerPanic(t *testing.T) {
	ds := newIndexDataset(30)
	ds.panicAt = 17
	before := runtime.NumGoroutine()
	l := NewDataLoader(ds, LoaderOptions{BatchSize: 4, NumWorkers: 2, Collate: DefaultCollate})
	seen := 0
	mustPanic(t, func() {
		for _, err := range l.All() {
			if err != nil {
				t.Fatal(err)
			}
			seen++
		}
	}, "worker panicked loading batch 4", "sample 17 is cursed", "worker stack")
	if seen != 4 {
		t.Fatalf("%d batches before the panic, want 4", seen)
	}
	if n := settledGoroutines(before); n > before {
		t.Fatalf("%d goroutines after a worker panic, %d before", n, before)
	}
}
