package tensor

import (
	"math"
	"strconv"
	"strings"

	"github.com/x448/float16"
)

// Print options, fixed at PyTorch's defaults (torch.set_printoptions with
// profile="default").
const (
	miscPrecision = 4    // digits after the point
	miscThreshold = 1000 // more elements than this are summarised
	miscEdgeItems = 3    // items kept at each end of a summarised dimension
	miscLineWidth = 80   // characters per line
)

// String returns t as PyTorch's repr prints it with the default print
// options, for example
//
//	tensor([[ 1.0000, -2.5000],
//	        [ 0.1235,  3.0000]])
//
// It follows torch's _tensor_str: fixed-point with 4 decimals, scientific
// notation when the largest nonzero finite magnitude exceeds 1e8 or is more
// than 1000 times the smallest (or, for non-integral values, the smallest
// is below 1e-4), "1., 2." for integral floats, summarisation with "..." for
// tensors of more than 1000 elements, wrapping at 80 columns, and the
// suffixes dtype=torch.<name> (for dtypes other than the default float dtype,
// int64 and bool), size=(...) for empty tensors, requires_grad=True for
// leaves that require grad and grad_fn=<...> for results of recorded ops.
//
// The grad_fn name is the op's name in CamelCase followed by "Backward0"
// ("add" gives AddBackward0). It matches PyTorch for most ops (add, sub,
// mul, div, neg, exp, sum over all elements, permute, ...), but not where
// PyTorch names the backward node differently, e.g. reshape (ViewBackward0
// or UnsafeViewBackward0), sum over dimensions (SumBackward1) or casts
// (ToCopyBackward0). Printing does not record autograd.
func (t *Tensor) String() string {
	const prefix = "tensor("
	indent := len(prefix)
	var suffixes []string
	var body string
	if t.Numel() == 0 {
		if len(t.shape) != 1 {
			suffixes = append(suffixes, "size="+miscShapeTuple(t.shape))
		}
		if t.dtype != DefaultDType() {
			suffixes = append(suffixes, "dtype=torch."+t.dtype.String())
		}
		body = "[]"
	} else {
		if t.dtype != DefaultDType() && t.dtype != Int64 && t.dtype != Bool {
			suffixes = append(suffixes, "dtype=torch."+t.dtype.String())
		}
		body = miscTensorStr(t, indent)
	}
	if t.gradFn != nil {
		suffixes = append(suffixes, "grad_fn=<"+miscGradFnName(t.gradFn.op)+">")
	} else if t.requiresGrad {
		suffixes = append(suffixes, "requires_grad=True")
	}
	return miscAddSuffixes(prefix+body, suffixes, indent)
}

// miscGradFnName turns an op name such as "add" or "max_pool2d" into
// "AddBackward0" or "MaxPool2dBackward0".
func miscGradFnName(op string) string {
	var b strings.Builder
	for _, part := range strings.Split(op, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(part[1:])
	}
	b.WriteString("Backward0")
	return b.String()
}

// miscShapeTuple prints a shape as a Python tuple: (2, 0), (0,), ().
func miscShapeTuple(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	if len(shape) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// miscAddSuffixes is torch's _add_suffixes (force_newline false).
func miscAddSuffixes(s string, suffixes []string, indent int) string {
	var b strings.Builder
	b.WriteString(s)
	// PyTorch's arithmetic, quirk included: len - rfind("\n") + 1.
	lastLineLen := len(s) - strings.LastIndex(s, "\n") + 1
	for _, suf := range suffixes {
		if lastLineLen+len(suf)+2 > miscLineWidth {
			b.WriteString(",\n" + strings.Repeat(" ", indent) + suf)
			lastLineLen = indent + len(suf)
		} else {
			b.WriteString(", " + suf)
			lastLineLen += len(suf) + 2
		}
	}
	b.WriteString(")")
	return b.String()
}

// miscFormatter is torch's _Formatter: it looks at the values that will be
// shown and picks one notation and one width for all of them.
type miscFormatter struct {
	t        *Tensor
	floating bool
	intMode  bool
	sciMode  bool
	width    int
}

// floatAt reads element off of the storage as float64 (float16 values
// widen exactly).
func (f *miscFormatter) floatAt(off int) float64 {
	switch d := f.t.st.data.(type) {
	case []float32:
		return float64(d[off])
	case []float64:
		return d[off]
	case []float16.Float16:
		return float64(d[off].Float32())
	}
	return getF64(f.t.st.data, off)
}

// intString prints a non-floating element as Python's str does.
func (f *miscFormatter) intString(off int) string {
	switch d := f.t.st.data.(type) {
	case []int64:
		return strconv.FormatInt(d[off], 10)
	case []int32:
		return strconv.FormatInt(int64(d[off]), 10)
	case []int8:
		return strconv.FormatInt(int64(d[off]), 10)
	case []uint8:
		return strconv.FormatInt(int64(d[off]), 10)
	case []bool:
		if d[off] {
			return "True"
		}
		return "False"
	}
	panic("tensor: bad storage")
}

// miscPyFloat formats v as Python's format(v, ".<prec><verb>") does, with
// nan, inf and -inf spelled as Python spells them.
func miscPyFloat(v float64, verb byte, prec int) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, verb, prec, 64)
}

func miscNewFormatter(t *Tensor, offs []int) *miscFormatter {
	f := &miscFormatter{t: t, floating: t.dtype.IsFloat(), intMode: true, width: 1}
	if !f.floating {
		for _, off := range offs {
			f.width = max(f.width, len(f.intString(off)))
		}
		return f
	}
	var vals []float64
	lo, hi := math.Inf(1), 0.0
	for _, off := range offs {
		v := f.floatAt(off)
		if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		vals = append(vals, v)
		a := math.Abs(v)
		lo, hi = min(lo, a), max(hi, a)
		if v != math.Ceil(v) {
			f.intMode = false
		}
	}
	if len(vals) == 0 {
		return f
	}
	verb, prec, extra := byte('f'), miscPrecision, 0
	if f.intMode {
		if hi/lo > 1000 || hi > 1e8 {
			f.sciMode, verb = true, 'e'
		} else {
			prec, extra = 0, 1 // room for the trailing "."
		}
	} else if hi/lo > 1000 || hi > 1e8 || lo < 1e-4 {
		f.sciMode, verb = true, 'e'
	}
	for _, v := range vals {
		f.width = max(f.width, len(strconv.FormatFloat(v, verb, prec, 64))+extra)
	}
	return f
}

// format returns element off right-aligned to the formatter's width.
func (f *miscFormatter) format(off int) string {
	var s string
	switch {
	case !f.floating:
		s = f.intString(off)
	case f.sciMode:
		s = miscPyFloat(f.floatAt(off), 'e', miscPrecision)
	case f.intMode:
		v := f.floatAt(off)
		s = miscPyFloat(v, 'f', 0)
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			s += "."
		}
	default:
		s = miscPyFloat(f.floatAt(off), 'f', miscPrecision)
	}
	if pad := f.width - len(s); pad > 0 {
		s = strings.Repeat(" ", pad) + s
	}
	return s
}

// miscShown returns the indices of dimension d that are printed: all of
// them, or the first and last edge items when summarising.
func miscShown(n int, summarize bool) (head, tail int) {
	if summarize && n > 2*miscEdgeItems {
		return miscEdgeItems, miscEdgeItems
	}
	return n, 0
}

// miscCollect appends the storage offsets of the elements that are shown.
func miscCollect(t *Tensor, dim, off int, summarize bool, offs []int) []int {
	if dim == len(t.shape) {
		return append(offs, off)
	}
	n := t.shape[dim]
	head, tail := miscShown(n, summarize)
	for i := range head {
		offs = miscCollect(t, dim+1, off+i*t.strides[dim], summarize, offs)
	}
	for i := n - tail; i < n; i++ {
		offs = miscCollect(t, dim+1, off+i*t.strides[dim], summarize, offs)
	}
	return offs
}

// miscTensorStr is torch's _tensor_str for a non-empty tensor.
func miscTensorStr(t *Tensor, indent int) string {
	summarize := t.Numel() > miscThreshold
	f := miscNewFormatter(t, miscCollect(t, 0, t.offset, summarize, nil))
	return miscFormatDims(t, f, 0, t.offset, indent, summarize)
}

// miscFormatDims is torch's _tensor_str_with_formatter for the sub-tensor
// of t at dimension dim starting at storage offset off.
func miscFormatDims(t *Tensor, f *miscFormatter, dim, off, indent int, summarize bool) string {
	nd := len(t.shape) - dim
	if nd == 0 {
		return f.format(off)
	}
	n, stride := t.shape[dim], t.strides[dim]
	head, tail := miscShown(n, summarize)
	if nd == 1 {
		perLine := max(1, (miscLineWidth-indent)/(f.width+2))
		var items []string
		for i := range head {
			items = append(items, f.format(off+i*stride))
		}
		if tail > 0 {
			items = append(items, " ...")
		}
		for i := n - tail; i < n; i++ {
			items = append(items, f.format(off+i*stride))
		}
		var lines []string
		for i := 0; i < len(items); i += perLine {
			lines = append(lines, strings.Join(items[i:min(i+perLine, len(items))], ", "))
		}
		return "[" + strings.Join(lines, ",\n"+strings.Repeat(" ", indent+1)) + "]"
	}
	var parts []string
	for i := range head {
		parts = append(parts, miscFormatDims(t, f, dim+1, off+i*stride, indent+1, summarize))
	}
	if tail > 0 {
		parts = append(parts, "...")
	}
	for i := n - tail; i < n; i++ {
		parts = append(parts, miscFormatDims(t, f, dim+1, off+i*stride, indent+1, summarize))
	}
	sep := "," + strings.Repeat("\n", nd-1) + strings.Repeat(" ", indent+1)
	return "[" + strings.Join(parts, sep) + "]"
}
