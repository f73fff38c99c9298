package optim

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/emberml/ember/internal/golden"
	"github.com/emberml/ember/tensor"
)

// testClipParams returns parameters holding the case's gradients, and one
// parameter without a gradient.
func testClipParams(c golden.Case) []*tensor.Tensor {
	var ps []*tensor.Tensor
	for i := 0; c.Has(fmt.Sprintf("grad.%d", i)); i++ {
		g := c.T(fmt.Sprintf("grad.%d", i))
		p := tensor.Zeros(g.Shape()...).To(g.DType()).SetRequiresGrad(true)
		p.SetGrad(optimCopy(g))
		ps = append(ps, p)
	}
	return append(ps, tensor.Zeros(2).SetRequiresGrad(true))
}

func TestClipGradNorm(t *testing.T) {
	n := 0
	for _, c := range golden.Load(t, "testdata/sched.json") {
		if !strings.HasPrefix(c.Name, "clip/") {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			ps := testClipParams(c)
			p := c.Float("norm_type")
			// Bit for bit, except float32 norms of other orders, which
			// PyTorch accumulates in float32 (Ember in float64).
			rtol := 0.0
			if ps[0].DType() == tensor.Float32 && p != 1 && p != 2 && !math.IsInf(p, 0) {
				rtol = 1e-6
			}
			total := ClipGradNorm(ps, c.Float("max_norm"), p)
			want := c.T("total").Item()
			if !(total == want || math.IsNaN(total) && math.IsNaN(want) || math.Abs(total-want) <= rtol*math.Abs(want)) {
				t.Errorf("total norm %v, want %v", total, want)
			}
			for i, p := range ps[:len(ps)-1] {
				golden.Close(t, fmt.Sprintf("clipped grad %d", i), p.Grad(), c.T(fmt.Sprintf("clipped.%d", i)), rtol, 0)
			}
			if ps[len(ps)-1].Grad() != nil {
				t.Errorf("a parameter without gradient got one")
			}
			// error_if_nonfinite: an error, gradients untouched.
			ps = testClipParams(c)
			_, err := ClipGradNormFinite(ps, c.Float("max_norm"), c.Float("norm_type"))
			finite := !math.IsNaN(want) && !math.IsInf(want, 0)
			if finite != (err == nil) {
				t.Errorf("ClipGradNormFinite error %v for a total norm of %v", err, want)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "non-finite") {
					t.Errorf("error %q does not say non-finite", err)
				}
				for i, p := range ps[:len(ps)-1] {
					golden.Close(t, fmt.Sprintf("grad %d after the error", i), p.Grad(), c.T(fmt.Sprintf("grad.%d", i)), 0, 0)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no clip cases")
	}
	if got := ClipGradNorm([]*tensor.Tensor{tensor.Ones(2).SetRequiresGrad(true)}, 1, 2); got != 0 {
		t.Errorf("no gradients: total norm %v, want 0", got)
	}
}

func TestClipGradValue(t *testing.T) {
	for _, c := range golden.Load(t, "testdata/sched.json") {
		if c.Name != "clipvalue" {
			continue
		}
		ps := testClipParams(c)
		ClipGradValue(ps, c.Float("clip"))
		for i, p := range ps[:len(ps)-1] {
			golden.Close(t, fmt.Sprintf("clipped grad %d", i), p.Grad(), c.T(fmt.Sprintf("clipped.%d", i)), 0, 0)
		}
		return
	}
	t.Fatal("no clipvalue case")
}
