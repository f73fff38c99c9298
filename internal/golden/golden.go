// Package golden reads the golden-value files that the Python generators
// under each package's testdata folder write with Debian's PyTorch (see
// golden.py here): cases holding named tensors and attributes. Tests compare
// Ember's results with them; CI never needs PyTorch.
package golden

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"testing"

	"github.com/emberml/ember/tensor"
)

// Tensor is a tensor as golden.py encodes it: shape, dtype name and flat
// row-major values ("nan", "inf" and "-inf" as strings).
type Tensor struct {
	Shape []int  `json:"shape"`
	DType string `json:"dtype"`
	Data  []any  `json:"data"`
}

// Decode returns the tensor.
func (g Tensor) Decode() *tensor.Tensor {
	dt, err := tensor.ParseDType(g.DType)
	if err != nil {
		panic(err)
	}
	if dt == tensor.Int64 {
		v := make([]int64, len(g.Data))
		for i, x := range g.Data {
			v[i] = int64(Number(x))
		}
		return tensor.FromSlice(v).Reshape(shapeOf(g.Shape)...)
	}
	vals := make([]float64, len(g.Data))
	for i, v := range g.Data {
		vals[i] = Number(v)
	}
	return tensor.FromSlice(vals).Reshape(shapeOf(g.Shape)...).To(dt)
}

func shapeOf(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// Number decodes a number as golden.py writes it: a JSON number, a bool, or
// "nan", "inf", "-inf". It panics on anything else.
func Number(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case bool:
		if x {
			return 1
		}
		return 0
	case string:
		switch x {
		case "nan":
			return math.NaN()
		case "inf":
			return math.Inf(1)
		case "-inf":
			return math.Inf(-1)
		}
	}
	panic(fmt.Sprintf("golden: bad value %v", v))
}

// Case is one golden case: a name, attributes and named tensors.
type Case struct {
	Name    string            `json:"name"`
	Attrs   map[string]any    `json:"attrs"`
	Tensors map[string]Tensor `json:"tensors"`
}

// Load reads the cases of a golden file, failing t when it is missing,
// malformed or empty.
func Load(t testing.TB, path string) []Case {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file: %v", err)
	}
	var f struct {
		Cases []Case `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("%s holds no cases", path)
	}
	return f.Cases
}

// Has reports whether the case holds a tensor called name.
func (c Case) Has(name string) bool { _, ok := c.Tensors[name]; return ok }

// T returns the tensor called name; it panics when there is none.
func (c Case) T(name string) *tensor.Tensor {
	g, ok := c.Tensors[name]
	if !ok {
		panic(fmt.Sprintf("golden: case %s has no tensor %q", c.Name, name))
	}
	return g.Decode()
}

// Prefixed returns the tensors whose names start with prefix, keyed by the
// rest of the name (e.g. Prefixed("param.") gives a state dict).
func (c Case) Prefixed(prefix string) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for k, g := range c.Tensors {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			out[k[len(prefix):]] = g.Decode()
		}
	}
	return out
}

// Names returns the sorted tensor names.
func (c Case) Names() []string {
	var n []string
	for k := range c.Tensors {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Float returns a numeric attribute; it panics when absent.
func (c Case) Float(k string) float64 {
	v, ok := c.Attrs[k]
	if !ok {
		panic(fmt.Sprintf("golden: case %s has no attribute %q", c.Name, k))
	}
	return Number(v)
}

// Int returns a numeric attribute as an int.
func (c Case) Int(k string) int { return int(c.Float(k)) }

// Bool returns a boolean attribute (false when absent).
func (c Case) Bool(k string) bool { v, _ := c.Attrs[k].(bool); return v }

// String returns a string attribute ("" when absent).
func (c Case) String(k string) string { v, _ := c.Attrs[k].(string); return v }

// Ints returns a list attribute of numbers.
func (c Case) Ints(k string) []int {
	v, _ := c.Attrs[k].([]any)
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(Number(x))
	}
	return out
}

// Floats returns a list attribute of numbers.
func (c Case) Floats(k string) []float64 {
	v, _ := c.Attrs[k].([]any)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = Number(x)
	}
	return out
}

// Close fails t unless got has want's shape and every element satisfies
// |got-want| <= atol + rtol*|want| (NaNs must match).
func Close(t testing.TB, what string, got, want *tensor.Tensor, rtol, atol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got nil, want shape %v", what, want.Shape())
		return
	}
	if !slices.Equal(got.Shape(), want.Shape()) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
		return
	}
	g, w := got.Detach().Double().ToFloat64s(), want.Detach().Double().ToFloat64s()
	worst, at := 0.0, -1
	for i := range g {
		if math.IsNaN(w[i]) && math.IsNaN(g[i]) || g[i] == w[i] {
			continue
		}
		d := math.Abs(g[i] - w[i])
		lim := atol + rtol*math.Abs(w[i])
		if !(d <= lim) {
			if at < 0 || d-lim > worst {
				worst, at = d-lim, i
			}
		}
	}
	if at >= 0 {
		t.Errorf("%s: element %d is %v, want %v (rtol %g, atol %g)", what, at, g[at], w[at], rtol, atol)
	}
}
