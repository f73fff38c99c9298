package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
)

// inspectReport is what ember inspect prints (as text, or as JSON with
// -json).
type inspectReport struct {
	File              string           `json:"file"`
	FileBytes         int64            `json:"file_bytes"`
	FormatVersion     int              `json:"format_version"`
	MinRuntimeVersion int              `json:"min_runtime_version"`
	RuntimeVersion    int              `json:"runtime_version"`
	Ops               []opReport       `json:"ops"`
	Constants         constReport      `json:"constants"`
	Methods           []methodReport   `json:"methods"`
	Metadata          *format.Metadata `json:"metadata,omitempty"`
	ExtraFiles        []extraReport    `json:"extra_files"`
	Tests             []testReport     `json:"tests"`
	// Loads is whether this runtime loads the file; LoadError says why
	// not.
	Loads     bool   `json:"loads"`
	LoadError string `json:"load_error,omitempty"`
}

type opReport struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Runtime is the version this runtime implements (0: it does not
	// have the op).
	Runtime      int `json:"runtime_version"`
	Instructions int `json:"instructions"`
}

type constReport struct {
	Count int   `json:"count"`
	Bytes int64 `json:"bytes"`
	// Weights are the constants the methods read; TestData those only the
	// bundled tests read.
	Weights      int               `json:"weights"`
	WeightBytes  int64             `json:"weight_bytes"`
	TestData     int               `json:"test_data"`
	TestBytes    int64             `json:"test_bytes"`
	DTypes       []dtypeCount      `json:"dtypes"`
	Packed       int               `json:"packed"`
	PackedKernel []string          `json:"packed_kernels,omitempty"`
	Quantized    int               `json:"quantized"`
	Sparse       int               `json:"sparse"`
	Largest      []constantSummary `json:"largest"`
}

type dtypeCount struct {
	DType string `json:"dtype"`
	Count int    `json:"count"`
	Bytes int64  `json:"bytes"`
}

type constantSummary struct {
	Name    string `json:"name"`
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Bytes   int64  `json:"bytes"`
	Packing string `json:"packing,omitempty"`
}

type tensorReport struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
}

type methodReport struct {
	Name         string         `json:"name"`
	Inputs       []tensorReport `json:"inputs"`
	Outputs      []tensorReport `json:"outputs"`
	Instructions int            `json:"instructions"`
	// Kinds counts the instructions by kind (op, jump, move, ...).
	Kinds       map[string]int `json:"instruction_kinds"`
	Values      int            `json:"values"`
	ArenaValues int            `json:"arena_values"`
	ArenaBytes  int64          `json:"arena_bytes"`
	// UnplannedBytes is what the arena values would take without the
	// memory plan's reuse (the sum of their sizes).
	UnplannedBytes int64          `json:"unplanned_bytes"`
	Largest        []valueSummary `json:"largest_values"`
}

type valueSummary struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Bytes  int64  `json:"bytes"`
	Offset int64  `json:"offset"`
}

type extraReport struct {
	Key   string `json:"key"`
	Bytes int    `json:"bytes"`
}

type testReport struct {
	Method    string  `json:"method"`
	Inputs    int     `json:"inputs"`
	Outputs   int     `json:"outputs"`
	Tolerance float32 `json:"tolerance"`
}

// topN is how many of the largest constants and values inspect lists.
const topN = 5

func inspectCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	path, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	r, err := inspect(path)
	if err != nil {
		return err
	}
	if *asJSON {
		e := json.NewEncoder(stdout)
		e.SetIndent("", "  ")
		if err := e.Encode(r); err != nil {
			return err
		}
	} else {
		r.print(stdout)
	}
	if !r.Loads {
		return fmt.Errorf("%s", r.LoadError)
	}
	return nil
}

// inspect decodes the file at path (an error when it is malformed) and
// describes it; whether the lite runtime loads it is part of the report.
func inspect(path string) (*inspectReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := format.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &inspectReport{File: path, FileBytes: int64(len(b)), FormatVersion: f.FormatVersion,
		MinRuntimeVersion: f.MinRuntimeVersion, RuntimeVersion: lite.RuntimeVersion, Metadata: f.Metadata,
		ExtraFiles: []extraReport{}, Tests: []testReport{}}

	uses := make([]int, len(f.OpCodes))
	weight := make([]bool, len(f.Constants))
	for i := range f.Methods {
		mt := &f.Methods[i]
		for _, in := range mt.Instructions {
			if in.Kind == format.InstrOp {
				uses[in.Op]++
			}
		}
		for _, v := range mt.Values {
			if v.Constant >= 0 {
				weight[v.Constant] = true
			}
		}
		r.Methods = append(r.Methods, describeMethod(mt))
	}
	for i, oc := range f.OpCodes {
		v, _ := lite.OpVersion(oc.Name)
		r.Ops = append(r.Ops, opReport{Name: oc.Name, Version: oc.Version, Runtime: v, Instructions: uses[i]})
	}
	r.Constants = describeConstants(f, weight)
	for _, x := range f.ExtraFiles {
		r.ExtraFiles = append(r.ExtraFiles, extraReport{Key: x.Key, Bytes: len(x.Data)})
	}
	for _, tc := range f.Tests {
		r.Tests = append(r.Tests, testReport{Method: tc.Method, Inputs: len(tc.Inputs), Outputs: len(tc.Expected), Tolerance: tc.Tolerance})
	}
	m, err := lite.LoadBytes(b)
	if err != nil {
		r.LoadError = fmt.Sprintf("%s: %v", path, err)
	} else {
		r.Loads = true
		m.Close()
	}
	return r, nil
}

func describeConstants(f *format.File, weight []bool) constReport {
	r := constReport{Count: len(f.Constants), DTypes: []dtypeCount{}, Largest: []constantSummary{}}
	byType := map[format.DType]*dtypeCount{}
	var all []constantSummary
	for i := range f.Constants {
		c := &f.Constants[i]
		n := int64(len(c.Data))
		r.Bytes += n
		if weight[i] {
			r.Weights++
			r.WeightBytes += n
		} else {
			r.TestData++
			r.TestBytes += n
		}
		d := byType[c.DType]
		if d == nil {
			d = &dtypeCount{DType: c.DType.String()}
			byType[c.DType] = d
		}
		d.Count++
		d.Bytes += n
		s := constantSummary{Name: c.Name, DType: c.DType.String(), Shape: c.Shape, Bytes: n}
		if c.Packing == format.PackGemmB {
			r.Packed++
			s.Packing = "gemm_b/" + c.PackedKernel
			if !slices.Contains(r.PackedKernel, c.PackedKernel) {
				r.PackedKernel = append(r.PackedKernel, c.PackedKernel)
			}
		}
		if c.Quant != nil && c.Quant.Scheme != format.QuantNone {
			r.Quantized++
		}
		if c.Sparse != nil && c.Sparse.Format != format.SparseDense {
			r.Sparse++
		}
		if weight[i] {
			all = append(all, s)
		}
	}
	for _, d := range byType {
		r.DTypes = append(r.DTypes, *d)
	}
	slices.SortFunc(r.DTypes, func(a, b dtypeCount) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), strings.Compare(a.DType, b.DType))
	})
	slices.SortStableFunc(all, func(a, b constantSummary) int { return cmp.Compare(b.Bytes, a.Bytes) })
	r.Largest = append(r.Largest, all[:min(topN, len(all))]...)
	return r
}

func describeMethod(mt *format.Method) methodReport {
	r := methodReport{Name: mt.Name, Instructions: len(mt.Instructions), Kinds: map[string]int{},
		Values: len(mt.Values), ArenaBytes: mt.ArenaSize, Inputs: []tensorReport{}, Outputs: []tensorReport{}}
	tensors := func(idx []int) []tensorReport {
		out := []tensorReport{}
		for _, i := range idx {
			v := &mt.Values[i]
			out = append(out, tensorReport{Name: v.Name, DType: v.DType.String(), Shape: v.Shape})
		}
		return out
	}
	r.Inputs, r.Outputs = tensors(mt.Inputs), tensors(mt.Outputs)
	for _, in := range mt.Instructions {
		r.Kinds[in.Kind.String()]++
	}
	var vals []valueSummary
	for _, v := range mt.Values {
		if v.Constant >= 0 {
			continue
		}
		r.ArenaValues++
		r.UnplannedBytes += v.Bytes()
		vals = append(vals, valueSummary{Name: v.Name, DType: v.DType.String(), Shape: v.Shape, Bytes: v.Bytes(), Offset: v.ArenaOffset})
	}
	slices.SortStableFunc(vals, func(a, b valueSummary) int { return cmp.Compare(b.Bytes, a.Bytes) })
	r.Largest = append([]valueSummary{}, vals[:min(topN, len(vals))]...)
	return r
}

// print writes the report as text.
func (r *inspectReport) print(w io.Writer) {
	fmt.Fprintf(w, "file:      %s, %s\n", r.File, human(r.FileBytes))
	fmt.Fprintf(w, "format:    version %d (this reader: %d)\n", r.FormatVersion, format.FormatVersion)
	fmt.Fprintf(w, "runtime:   needs version %d (this runtime: %d)\n", r.MinRuntimeVersion, r.RuntimeVersion)

	fmt.Fprintf(w, "\nops: %d\n", len(r.Ops))
	for _, o := range r.Ops {
		rt := fmt.Sprintf("runtime v%d", o.Runtime)
		if o.Runtime == 0 {
			rt = "NOT IN THIS RUNTIME"
		} else if o.Version > o.Runtime {
			rt += ": TOO OLD"
		}
		fmt.Fprintf(w, "  %-22s v%-3d %-16s %5d instructions\n", o.Name, o.Version, rt, o.Instructions)
	}

	c := &r.Constants
	fmt.Fprintf(w, "\nconstants: %d, %s; weights %d, %s; test data %d, %s\n", c.Count, human(c.Bytes),
		c.Weights, human(c.WeightBytes), c.TestData, human(c.TestBytes))
	for _, d := range c.DTypes {
		fmt.Fprintf(w, "  %-8s %5d  %s\n", d.DType, d.Count, human(d.Bytes))
	}
	packed := fmt.Sprintf("%d", c.Packed)
	if len(c.PackedKernel) > 0 {
		packed += " (gemm_b for " + strings.Join(c.PackedKernel, ", ") + ")"
	}
	fmt.Fprintf(w, "  packed %s, quantized %d, sparse %d\n", packed, c.Quantized, c.Sparse)
	if len(c.Largest) > 0 {
		fmt.Fprintf(w, "  largest:\n")
		for _, k := range c.Largest {
			p := ""
			if k.Packing != "" {
				p = " packed " + k.Packing
			}
			fmt.Fprintf(w, "    %-32s %-8s %-20s %s%s\n", k.Name, k.DType, fmt.Sprint(k.Shape), human(k.Bytes), p)
		}
	}

	for _, m := range r.Methods {
		fmt.Fprintf(w, "\nmethod %s\n", m.Name)
		for _, t := range m.Inputs {
			fmt.Fprintf(w, "  input   %-16s %-8s %v\n", t.Name, t.DType, t.Shape)
		}
		for _, t := range m.Outputs {
			fmt.Fprintf(w, "  output  %-16s %-8s %v\n", t.Name, t.DType, t.Shape)
		}
		var kinds []string
		for _, k := range []string{"op", "jump", "jump_if_false", "move", "raise"} {
			if n := m.Kinds[k]; n > 0 {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
			}
		}
		fmt.Fprintf(w, "  instructions: %d (%s)\n", m.Instructions, strings.Join(kinds, ", "))
		reuse := ""
		if m.UnplannedBytes > 0 {
			reuse = fmt.Sprintf(", %.1f%% of the %s its %d values take unplanned", 100*float64(m.ArenaBytes)/float64(m.UnplannedBytes), human(m.UnplannedBytes), m.ArenaValues)
		}
		fmt.Fprintf(w, "  arena: %s%s\n", human(m.ArenaBytes), reuse)
		if len(m.Largest) > 0 {
			fmt.Fprintf(w, "  largest values:\n")
			for _, v := range m.Largest {
				fmt.Fprintf(w, "    %-24s %-8s %-20s %-10s at %d\n", v.Name, v.DType, fmt.Sprint(v.Shape), human(v.Bytes), v.Offset)
			}
		}
	}

	if md := r.Metadata; md != nil {
		fmt.Fprintf(w, "\nmetadata:\n")
		for _, kv := range [][2]string{{"name", md.Name}, {"description", md.Description}, {"author", md.Author},
			{"license", md.License}, {"producer", md.Producer}} {
			if kv[1] != "" {
				fmt.Fprintf(w, "  %-12s %s\n", kv[0]+":", kv[1])
			}
		}
		if len(md.Labels) > 0 {
			show := md.Labels[:min(5, len(md.Labels))]
			more := ""
			if len(md.Labels) > len(show) {
				more = ", ..."
			}
			fmt.Fprintf(w, "  %-12s %d (%s%s)\n", "labels:", len(md.Labels), strings.Join(show, ", "), more)
		}
		if len(md.Mean) > 0 {
			fmt.Fprintf(w, "  %-12s mean %v, std %v\n", "normalize:", md.Mean, md.Std)
		}
	} else {
		fmt.Fprintf(w, "\nmetadata: none\n")
	}

	fmt.Fprintf(w, "\nextra files: %d\n", len(r.ExtraFiles))
	for _, x := range r.ExtraFiles {
		fmt.Fprintf(w, "  %-32s %s\n", x.Key, human(int64(x.Bytes)))
	}
	fmt.Fprintf(w, "\ntests: %d\n", len(r.Tests))
	for i, t := range r.Tests {
		fmt.Fprintf(w, "  %d: %s, %d inputs, %d outputs, tolerance %g\n", i, t.Method, t.Inputs, t.Outputs, t.Tolerance)
	}
	if r.Loads {
		fmt.Fprintf(w, "\nloads: yes\n")
	} else {
		fmt.Fprintf(w, "\nloads: no: %s\n", r.LoadError)
	}
}

// human writes a byte count, with a binary unit from 1 KiB up.
func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%d bytes (%.2f GiB)", n, float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d bytes (%.2f MiB)", n, float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d bytes (%.1f KiB)", n, float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
