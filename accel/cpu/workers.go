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
	body   ranger
	n      int          // indices [0, n)
	chunks int          // how many equal parts they are split into
	next   atomic.Int32 // next chunk to claim
	wg     sync.WaitGroup
	// refs counts the holders of the job: the caller and every worker it
	// was sent to. The last to let go recycles it (see release), so a job
	// is never reused while a worker that arrived late still reads it.
	refs atomic.Int32
}

// ranger is the body of a parallel job: run processes indices [lo, hi).
// The kernels pass pointers to pooled structs holding their arguments, so
// that starting a job allocates nothing; funcRanger adapts a closure.
type ranger interface{ run(lo, hi int) }

type funcRanger func(lo, hi int)

func (f funcRanger) run(lo, hi int) { f(lo, hi) }

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
		j.body.run(lo, hi)
		j.wg.Done()
	}
}

// release drops one reference to j and recycles it when it was the last.
func (j *poolJob) release() {
	if j.refs.Add(-1) == 0 {
		j.body = nil
		poolJobFree.put(j)
	}
}

// freeList is a bounded list of recycled objects (a buffered channel, so
// that neither getting nor putting allocates, unlike a sync.Pool emptied
// by garbage collections).
type freeList[T any] struct{ c chan *T }

func newFreeList[T any](n int) freeList[T] { return freeList[T]{c: make(chan *T, n)} }

// get returns a recycled object, or a new zero one.
func (f freeList[T]) get() *T {
	select {
	case p := <-f.c:
		return p
	default:
		return new(T)
	}
}

// put recycles p (dropping it when the list is full).
func (f freeList[T]) put(p *T) {
	select {
	case f.c <- p:
	default:
	}
}

var poolJobFree = newFreeList[poolJob](256)

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
	if poolWorkers == 0 && n > 0 {
		// Stock the free list of jobs: a job stays referenced while it
		// waits in poolJobs for a worker, even when its caller has run
		// every chunk itself, so as many as poolJobs holds may be out.
		for range cap(poolJobs) {
			poolJobFree.put(new(poolJob))
		}
	}
	for poolWorkers < n {
		poolWorkers++
		go poolWorker()
		// A worker can also hold a job for a moment after its caller is
		// done with it.
		for range 4 {
			poolJobFree.put(new(poolJob))
		}
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
		j.release()
		deadline := time.Now().Add(poolSpin)
		for {
			select {
			case j = <-poolJobs:
				j.run()
				j.release()
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
	parallelRun(n, chunks, nt, funcRanger(fn))
}

// parallelRun is parallelChunks with the body as a ranger. It allocates
// nothing once the pool's jobs have been created.
func parallelRun(n, chunks, nt int, body ranger) {
	if n <= 0 {
		return
	}
	chunks = min(chunks, n)
	nt = min(nt, chunks)
	if nt <= 1 {
		body.run(0, n)
		return
	}
	poolEnsure(nt - 1)
	j := poolJobFree.get()
	j.body, j.n, j.chunks = body, n, chunks
	j.next.Store(0)
	j.refs.Store(1)
	j.wg.Add(chunks)
	for range nt - 1 {
		j.refs.Add(1)
		select {
		case poolJobs <- j:
		default:
			j.refs.Add(-1)
		}
	}
	j.run()
	j.wg.Wait()
	j.release()
}
