package tensor_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/emberml/ember/tensor"
)

// miscFormatCase is one golden repr written by testdata/gen_format.py.
type miscFormatCase struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	DType        string `json:"dtype"`
	Data         []any  `json:"data"`
	RequiresGrad bool   `json:"requires_grad"`
	Recipe       string `json:"recipe"`
	View         string `json:"view"`
	Want         string `json:"want"`
}

func miscLoadFormatCases(t *testing.T) []miscFormatCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "format.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber() // int64 values beyond 2^53 must survive
	var f struct {
		Cases []miscFormatCase `json:"cases"`
	}
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("format.json holds no cases")
	}
	return f.Cases
}

// miscBuild makes the tensor a format case describes, with exact values.
func miscBuild(t *testing.T, c miscFormatCase) *tensor.Tensor {
	t.Helper()
	dt, err := tensor.ParseDType(c.DType)
	if err != nil {
		t.Fatal(err)
	}
	var x *tensor.Tensor
	switch {
	case dt == tensor.Bool:
		v := make([]bool, len(c.Data))
		for i, d := range c.Data {
			v[i] = d.(bool)
		}
		x = tensor.FromSlice(v, c.Shape...)
	case dt.IsInt():
		v := make([]int64, len(c.Data))
		for i, d := range c.Data {
			n, err := strconv.ParseInt(string(d.(json.Number)), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			v[i] = n
		}
		x = tensor.FromSlice(v, c.Shape...).To(dt)
	default:
		v := make([]float64, len(c.Data))
		for i, d := range c.Data {
			if n, ok := d.(json.Number); ok {
				f, err := n.Float64()
				if err != nil {
					t.Fatal(err)
				}
				v[i] = f
			} else {
				v[i] = num(d)
			}
		}
		x = tensor.FromSlice(v, c.Shape...).To(dt)
	}
	if len(c.Shape) == 0 {
		x = x.Reshape()
	}
	return x
}

var miscRecipes = map[string]func(x *tensor.Tensor) *tensor.Tensor{
	"add_self":   func(x *tensor.Tensor) *tensor.Tensor { return x.Add(x) },
	"sub_self":   func(x *tensor.Tensor) *tensor.Tensor { return x.Sub(x) },
	"mul_scalar": func(x *tensor.Tensor) *tensor.Tensor { return x.MulScalar(2) },
	"div_scalar": func(x *tensor.Tensor) *tensor.Tensor { return x.DivScalar(2) },
	"neg":        func(x *tensor.Tensor) *tensor.Tensor { return x.Neg() },
	"sum":        func(x *tensor.Tensor) *tensor.Tensor { return x.Sum() },
}

func TestStringGolden(t *testing.T) {
	for _, c := range miscLoadFormatCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			x := miscBuild(t, c)
			layouts := map[string]*tensor.Tensor{"contiguous": x}
			if !c.RequiresGrad {
				layouts["noncontig"] = nonContig(x)
			}
			for layout, y := range layouts {
				if c.View == "t" {
					y = y.T()
				}
				if c.RequiresGrad {
					y.SetRequiresGrad(true)
					if c.Recipe != "" {
						r, ok := miscRecipes[c.Recipe]
						if !ok {
							t.Fatalf("unknown recipe %q", c.Recipe)
						}
						y = r(y)
					}
				}
				if got := y.String(); got != c.Want {
					t.Errorf("%s:\ngot:\n%s\nwant:\n%s", layout, got, c.Want)
				}
			}
		})
	}
}

func TestStringDefaultDType(t *testing.T) {
	// torch.set_default_dtype(torch.float64) makes float64 the unmarked dtype
	// and float32 the marked one.
	tensor.SetDefaultDType(tensor.Float64)
	defer tensor.SetDefaultDType(tensor.Float32)
	f32 := tensor.FromSlice([]float32{1, 2})
	f64 := tensor.FromSlice([]float64{1, 2})
	if got, want := f32.String(), "tensor([1., 2.], dtype=torch.float32)"; got != want {
		t.Errorf("float32: got %q, want %q", got, want)
	}
	if got, want := f64.String(), "tensor([1., 2.])"; got != want {
		t.Errorf("float64: got %q, want %q", got, want)
	}
	if got, want := tensor.Empty(tensor.Float32, 0).String(), "tensor([], dtype=torch.float32)"; got != want {
		t.Errorf("empty float32: got %q, want %q", got, want)
	}
}

func TestStringDoesNotRecord(t *testing.T) {
	x := tensor.FromSlice([]float64{1, 2}).SetRequiresGrad(true)
	y := x.MulScalar(3)
	_ = y.String()
	if !y.RequiresGrad() || y.GradFn() != "mul" {
		t.Fatalf("String changed the graph: requires_grad=%v grad_fn=%q", y.RequiresGrad(), y.GradFn())
	}
	y.Sum().Backward()
	if g := x.Grad().ToFloat64s(); g[0] != 3 || g[1] != 3 {
		t.Fatalf("grad after String: %v", g)
	}
}

func TestStringGradFnName(t *testing.T) {
	// Snake-case op names become CamelCase; PyTorch's numbering suffix is
	// always 0 here.
	x := tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2).SetRequiresGrad(true)
	for _, c := range []struct {
		y    *tensor.Tensor
		want string
	}{
		{x.Permute(1, 0), "grad_fn=<PermuteBackward0>"},
		{x.Clone(), "grad_fn=<CloneBackward0>"},
	} {
		if s := c.y.String(); !strings.HasSuffix(s, c.want+")") {
			t.Errorf("%q does not end in %q", s, c.want+")")
		}
	}
}
