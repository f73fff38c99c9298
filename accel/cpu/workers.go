package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The kernels' worker pool. Workers are long-lived goroutines that wait on
// a channel of jobs. A job is a fixed partition of [0, n) into chunks that
// the caller and any helping workers claim one at a time; the caller waits
// only for chunks that someone has claimed. A worker that arrives after all
// chunks are claimed does nothing, and a caller that finds no idle worker
// does all the chunks itself, so nested calls (a parallel kernel calling
// another) never deadlock and never oversubscribe.

var (
	poolThreads atomic.Int32 // the configured thread count, >= 1
	poolMu      sync.Mutex   // guards poolWorkers growth
	poolWorkers int          // goroutines started so far
	poolJobs    = make(chan *poolJob, 64)
)

type poolJob struct {
	fn     func(lo, hi int)
	n      int          // indices [0, n)
	chunks int          // how many equal parts they are split into
	next   atomic.Int32 // next chunk to claim
	wg     sync.WaitGroup
}

// run claims and runs chunks until none is left.
func (j *poolJob) run() {
	for {
		i := int(j.next.Add(1)) - 1
		if i >= j.chunks {
			return
		}
		q, r := j.n/j.chunks, j.n%j.chunks
		lo := i*q + min(i, r)
		hi := lo + q
		if i < r {
			hi++
		}
		j.fn(lo, hi)
		j.wg.Done()
	}
}

func init() {
	poolThreads.Store(int32(max(1, runtime.GOMAXPROCS(0))))
}

// SetNumThreads sets how many goroutines the kernels of this package
// (GEMM, ParallelFor) may use at once, the calling goroutine included.
// n < 1 restores the default, which is runtime.GOMAXPROCS(0) as read when
// the package was initialised. It returns the previous setting, and is safe
// to call at any time; kernels already running keep their old split.
func SetNumThreads(n int) int {
	if n < 1 {
		n = max(1, runtime.GOMAXPROCS(0))
	}
	return int(poolThreads.Swap(int32(n)))
}

// NumThreads reports the thread count set by SetNumThreads (by default
// GOMAXPROCS at package initialisation).
func NumThreads() int { return int(poolThreads.Load()) }

func poolEnsure(n int) {
	poolMu.Lock()
	for poolWorkers < n {
		poolWorkers++
		go poolWorker()
	}
	poolMu.Unlock()
}

// poolSpin is how long a worker keeps polling for the next job after
// finishing one before it blocks. Waking a blocked goroutine can take tens
// of microseconds (an idle CPU of a virtual machine is slow to wake), more
// than a GEMM of a few hundred rows takes between two parallel steps; a
// short spin keeps back-to-back parallel calls fast, as BLAS thread pools
// do, and costs at most poolSpin of CPU after the last call.
const poolSpin = 200 * time.Microsecond

func poolWorker() {
	for j := range poolJobs {
		j.run()
		deadline := time.Now().Add(poolSpin)
		for {
			select {
			case j = <-poolJobs:
				j.run()
				deadline = time.Now().Add(poolSpin)
				continue
			default:
			}
			if time.Now().After(deadline) {
				break
			}
			runtime.Gosched()
		}
	}
}

// ParallelFor calls fn over a partition of [0, n) into at most NumThreads()
// contiguous, non-empty ranges [lo, hi), in parallel, and returns when all
// calls have returned. Each index is covered exactly once. With one thread,
// or n <= 1, fn(0, n) runs on the calling goroutine. Callers should make
// one index a sizeable piece of work (a block of rows, a tile) so that the
// split does not make neighbouring goroutines write the same cache lines.
// ParallelFor may be called from inside fn (nested calls are safe).
func ParallelFor(n int, fn func(lo, hi int)) {
	parallelForThreads(n, NumThreads(), fn)
}

func parallelForThreads(n, nt int, fn func(lo, hi int)) {
	parallelChunks(n, nt, nt, fn)
}

// parallelChunks splits [0, n) into min(chunks, n) contiguous parts that
// the caller and up to nt-1 workers claim one at a time, so that a thread
// slowed down by other work on the machine simply takes fewer parts.
func parallelChunks(n, chunks, nt int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunks = min(chunks, n)
	nt = min(nt, chunks)
	if nt <= 1 {
		fn(0, n)
		return
	}
	poolEnsure(nt - 1)
	j := &poolJob{fn: fn, n: n, chunks: chunks}
	j.wg.Add(chunks)
	for range nt - 1 {
		select {
		case poolJobs <- j:
		default:
		}
	}
	j.run()
	j.wg.Wait()
}
