package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
)

// benchReport is what ember bench prints (as JSON with -json).
type benchReport struct {
	File    string `json:"file"`
	Method  string `json:"method"`
	Threads int    `json:"threads"`
	Kernel  string `json:"kernel"`
	Runs    int    `json:"runs"`
	Warmup  int    `json:"warmup"`

	LoadMs     float64 `json:"load_ms"`
	FirstRunMs float64 `json:"first_run_ms"`
	P50Ms      float64 `json:"p50_ms"`
	P90Ms      float64 `json:"p90_ms"`
	P99Ms      float64 `json:"p99_ms"`
	MeanMs     float64 `json:"mean_ms"`
	MinMs      float64 `json:"min_ms"`
	MaxMs      float64 `json:"max_ms"`
	StdMs      float64 `json:"std_ms"`

	AllocsPerRun     float64 `json:"allocs_per_run"`
	AllocBytesPerRun float64 `json:"alloc_bytes_per_run"`
	ArenaBytes       int64   `json:"arena_bytes"`
	FileBytes        int64   `json:"file_bytes"`
	PeakRSSBytes     int64   `json:"peak_rss_bytes"`

	// Ops is the per-op profile: each op type's time per run, summed over
	// its instructions, from runs with the session's profiler set.
	Ops []opTime `json:"ops"`
	// ProfiledMs is the mean time per run of those runs, instructions
	// only.
	ProfiledMs float64 `json:"profiled_ms"`
	// Slowest lists the -top slowest instructions of the same runs.
	Slowest []instrTime `json:"slowest,omitempty"`
}

// instrTime is one instruction's time per run, with its shapes and, for
// convolutions and linear layers, the rate of its multiply-adds.
type instrTime struct {
	PC      int     `json:"pc"`
	Op      string  `json:"op"`
	Ms      float64 `json:"ms"`
	Percent float64 `json:"percent"`
	Inputs  [][]int `json:"inputs"`
	Output  []int   `json:"output,omitempty"`
	GFLOPS  float64 `json:"gflops,omitempty"`
}

type opTime struct {
	Op           string  `json:"op"`
	Instructions int     `json:"instructions"`
	Ms           float64 `json:"ms"`
	Percent      float64 `json:"percent"`
}

func benchCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	n := fs.Int("n", 100, "timed runs")
	warmup := fs.Int("warmup", 10, "runs before timing")
	threads := fs.Int("threads", 1, "threads of the kernels (cpu.SetNumThreads) and GOMAXPROCS")
	method := fs.String("method", "forward", "the method to run")
	input := fs.String("input", "", "input file for the method's single input (as ember run); default a fixed pattern")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	profile := fs.Bool("profile", true, "measure the per-op profile (a second series of -n runs)")
	top := fs.Int("top", 0, "list the N slowest instructions of the profile, with their shapes")
	cpuprofile := fs.String("cpuprofile", "", "write a pprof CPU profile of the timed runs to this file")
	path, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	if *n < 1 || *warmup < 0 || *threads < 1 {
		return usagef("-n must be at least 1, -warmup at least 0 and -threads at least 1")
	}
	r, err := bench(path, benchConfig{method: *method, input: *input, n: *n, warmup: *warmup,
		threads: *threads, profile: *profile || *top > 0, top: *top, cpuprofile: *cpuprofile})
	if err != nil {
		return err
	}
	if *asJSON {
		e := json.NewEncoder(stdout)
		e.SetIndent("", "  ")
		return e.Encode(r)
	}
	r.print(stdout)
	return nil
}

type benchConfig struct {
	method, input, cpuprofile string
	n, warmup, threads, top   int
	profile                   bool
}

func bench(path string, c benchConfig) (*benchReport, error) {
	defer cpu.SetNumThreads(cpu.SetNumThreads(c.threads))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.threads))
	r := &benchReport{File: path, Method: c.method, Threads: c.threads, Kernel: cpu.Kernel(), Runs: c.n, Warmup: c.warmup}
	if st, err := os.Stat(path); err == nil {
		r.FileBytes = st.Size()
	}
	t0 := time.Now()
	m, err := lite.Load(path)
	if err != nil {
		return nil, err
	}
	r.LoadMs = ms(time.Since(t0))
	defer m.Close()
	mt, err := pickMethod(m, c.method)
	if err != nil {
		return nil, err
	}
	r.ArenaBytes = mt.ArenaBytes()
	in, err := benchInputs(mt, c.input, m)
	if err != nil {
		return nil, err
	}
	s := m.NewSession()
	// A collection empties the kernels' pools (sync.Pool): collect now,
	// so that the warm-up refills them before the allocations are counted.
	runtime.GC()
	t0 = time.Now()
	if err := s.Run(mt, in, nil); err != nil {
		return nil, err
	}
	r.FirstRunMs = ms(time.Since(t0))
	for range c.warmup {
		if err := s.Run(mt, in, nil); err != nil {
			return nil, err
		}
	}

	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	lat := make([]time.Duration, c.n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range lat {
		t := time.Now()
		err := s.Run(mt, in, nil)
		lat[i] = time.Since(t)
		if err != nil {
			return nil, err
		}
	}
	runtime.ReadMemStats(&after)
	if c.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	r.AllocsPerRun = float64(after.Mallocs-before.Mallocs) / float64(c.n)
	r.AllocBytesPerRun = float64(after.TotalAlloc-before.TotalAlloc) / float64(c.n)
	r.setLatency(lat)

	if c.profile {
		if err := r.profileOps(s, m, mt, in, c.n, c.top); err != nil {
			return nil, err
		}
	}
	r.PeakRSSBytes = peakRSS()
	return r, nil
}

// benchInputs returns the method's inputs: the file's contents (for a
// single input) or a fixed pattern in [-1, 1) (for integer inputs, 0).
func benchInputs(mt *lite.Method, path string, m *lite.Model) ([]lite.Tensor, error) {
	infos := mt.Inputs()
	in := make([]lite.Tensor, len(infos))
	if path != "" {
		if len(infos) != 1 {
			return nil, fmt.Errorf("method %q takes %d inputs: -input feeds one", mt.Name(), len(infos))
		}
		x, err := readInput(path, infos[0], m.Metadata())
		if err != nil {
			return nil, err
		}
		in[0].Data = x
	} else {
		for i, t := range infos {
			x := make([]float32, t.Numel())
			if t.DType == lite.Float32 || t.DType == lite.Float64 {
				fillPattern(x)
			}
			in[i].Data = x
		}
	}
	return in, convertInputs(mt, in)
}

// fillPattern fills x with a fixed pseudo-random pattern in [-1, 1).
func fillPattern(x []float32) {
	s := uint32(2463534242)
	for i := range x {
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		x[i] = float32(s>>8)/(1<<23) - 1
	}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func (r *benchReport) setLatency(lat []time.Duration) {
	v := make([]float64, len(lat))
	var sum float64
	for i, d := range lat {
		v[i] = ms(d)
		sum += v[i]
	}
	slices.Sort(v)
	r.MeanMs = sum / float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - r.MeanMs) * (x - r.MeanMs)
	}
	r.StdMs = math.Sqrt(ss / float64(len(v)))
	r.MinMs, r.MaxMs = v[0], v[len(v)-1]
	r.P50Ms, r.P90Ms, r.P99Ms = percentile(v, 50), percentile(v, 90), percentile(v, 99)
}

// percentile returns the p-th percentile of the sorted v (nearest rank).
func percentile(v []float64, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(v)))) - 1
	return v[max(0, min(i, len(v)-1))]
}

// profileOps runs mt n times with the session's profiler set and sums the
// time of each op type, and lists the top slowest instructions.
func (r *benchReport) profileOps(s *lite.Session, m *lite.Model, mt *lite.Method, in []lite.Tensor, n, top int) error {
	type acc struct {
		d   time.Duration
		pcs map[int]bool
	}
	byOp := map[string]*acc{}
	byPC := make([]time.Duration, mt.NumInstructions())
	var total time.Duration
	s.SetProfiler(func(_ *lite.Method, pc int, op string, d time.Duration) {
		byPC[pc] += d
		a := byOp[op]
		if a == nil {
			a = &acc{pcs: map[int]bool{}}
			byOp[op] = a
		}
		a.d += d
		a.pcs[pc] = true
		total += d
	})
	defer s.SetProfiler(nil)
	for range n {
		if err := s.Run(mt, in, nil); err != nil {
			return err
		}
	}
	r.Ops = []opTime{}
	for op, a := range byOp {
		pct := 0.0
		if total > 0 {
			pct = 100 * float64(a.d) / float64(total)
		}
		r.Ops = append(r.Ops, opTime{Op: op, Instructions: len(a.pcs), Ms: ms(a.d) / float64(n), Percent: pct})
	}
	slices.SortFunc(r.Ops, func(a, b opTime) int { return cmp.Or(cmp.Compare(b.Ms, a.Ms), cmp.Compare(a.Op, b.Op)) })
	r.ProfiledMs = ms(total) / float64(n)
	if top > 0 {
		r.Slowest = slowest(m, mt, byPC, total, n, top)
	}
	return nil
}

// slowest describes the top instructions of mt that took the most time,
// byPC summed over n runs.
func slowest(m *lite.Model, mt *lite.Method, byPC []time.Duration, total time.Duration, n, top int) []instrTime {
	var fm *format.Method
	for i := range m.File().Methods {
		if m.File().Methods[i].Name == mt.Name() {
			fm = &m.File().Methods[i]
		}
	}
	pcs := make([]int, len(byPC))
	for i := range pcs {
		pcs[i] = i
	}
	slices.SortStableFunc(pcs, func(a, b int) int { return cmp.Compare(byPC[b], byPC[a]) })
	out := []instrTime{}
	for _, pc := range pcs[:min(top, len(pcs))] {
		in := fm.Instructions[pc]
		it := instrTime{PC: pc, Op: in.Kind.String(), Ms: ms(byPC[pc]) / float64(n), Inputs: [][]int{}}
		if total > 0 {
			it.Percent = 100 * float64(byPC[pc]) / float64(total)
		}
		if in.Kind == format.InstrOp {
			it.Op = m.File().OpCodes[in.Op].Name
		}
		for _, v := range in.Inputs {
			if v >= 0 {
				it.Inputs = append(it.Inputs, fm.Values[v].Shape)
			}
		}
		if len(in.Outputs) > 0 {
			it.Output = fm.Values[in.Outputs[0]].Shape
		}
		// Multiply-adds: the output's elements times the weight's inner
		// size (conv: C/groups*KH*KW; linear: in).
		if len(in.Inputs) > 1 && in.Inputs[1] >= 0 && it.Output != nil && it.Ms > 0 {
			w := fm.Values[in.Inputs[1]].Shape
			var inner int
			switch {
			case strings.HasPrefix(it.Op, "conv2d") && len(w) == 4:
				inner = w[1] * w[2] * w[3]
			case strings.HasPrefix(it.Op, "linear") && len(w) == 2:
				inner = w[1]
			}
			it.GFLOPS = 2 * float64(format.Numel(it.Output)) * float64(inner) / (it.Ms * 1e6)
		}
		out = append(out, it)
	}
	return out
}

func (r *benchReport) print(w io.Writer) {
	fmt.Fprintf(w, "model:       %s, %s\n", r.File, human(r.FileBytes))
	fmt.Fprintf(w, "method:      %s, %d thread(s), kernel %s\n", r.Method, r.Threads, r.Kernel)
	fmt.Fprintf(w, "load:        %.3f ms\n", r.LoadMs)
	fmt.Fprintf(w, "first run:   %.3f ms\n", r.FirstRunMs)
	fmt.Fprintf(w, "latency:     %d runs after %d warm-up: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms\n", r.Runs, r.Warmup, r.P50Ms, r.P90Ms, r.P99Ms)
	fmt.Fprintf(w, "             mean %.3f ms (std %.3f), min %.3f ms, max %.3f ms\n", r.MeanMs, r.StdMs, r.MinMs, r.MaxMs)
	fmt.Fprintf(w, "allocations: %g per run (%g bytes)\n", r.AllocsPerRun, r.AllocBytesPerRun)
	fmt.Fprintf(w, "arena:       %s\n", human(r.ArenaBytes))
	if r.PeakRSSBytes > 0 {
		fmt.Fprintf(w, "peak RSS:    %s\n", human(r.PeakRSSBytes))
	}
	if len(r.Ops) > 0 {
		fmt.Fprintf(w, "\nper op (%.3f ms per run in instructions, profiled):\n", r.ProfiledMs)
		fmt.Fprintf(w, "  %-22s %6s %10s %7s\n", "op", "instrs", "ms/run", "%")
		for _, o := range r.Ops {
			fmt.Fprintf(w, "  %-22s %6d %10.4f %6.2f%%\n", o.Op, o.Instructions, o.Ms, o.Percent)
		}
	}
	if len(r.Slowest) > 0 {
		fmt.Fprintf(w, "\nslowest instructions:\n")
		fmt.Fprintf(w, "  %4s %-20s %10s %7s %8s  %s\n", "pc", "op", "ms/run", "%", "GFLOP/s", "shapes")
		for _, it := range r.Slowest {
			g := ""
			if it.GFLOPS > 0 {
				g = fmt.Sprintf("%.1f", it.GFLOPS)
			}
			fmt.Fprintf(w, "  %4d %-20s %10.4f %6.2f%% %8s  %v -> %v\n", it.PC, it.Op, it.Ms, it.Percent, g, it.Inputs, it.Output)
		}
	}
}
