package checkpoint_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/nn/checkpoint"
	F "github.com/emberml/ember/nn/functional"
	"github.com/emberml/ember/nn/optim"
	"github.com/emberml/ember/tensor"
)

// TestResumeRealOptimizers resumes training with nn/optim's optimizers and
// schedulers (the other tests use a fake optimizer): 8 steps straight must
// equal 4 steps, a save, a load into fresh objects and 4 more, bit for bit.
func TestResumeRealOptimizers(t *testing.T) {
	type setup func(ps []*tensor.Tensor) (optim.Optimizer, optim.Scheduler)
	cases := map[string]setup{
		"Adam+OneCycleLR": func(ps []*tensor.Tensor) (optim.Optimizer, optim.Scheduler) {
			o := optim.NewAdam(ps, optim.AdamOptions{LR: 1e-2})
			return o, optim.NewOneCycleLR(o, 1e-2, 8)
		},
		"SGD+StepLR": func(ps []*tensor.Tensor) (optim.Optimizer, optim.Scheduler) {
			o := optim.NewSGD(ps, optim.SGDOptions{LR: 0.1, Momentum: 0.9, Nesterov: true})
			return o, optim.NewStepLR(o, 3)
		},
		"AdamW+CosineAnnealingLR": func(ps []*tensor.Tensor) (optim.Optimizer, optim.Scheduler) {
			o := optim.NewAdamW(ps, optim.AdamWOptions{LR: 1e-2})
			return o, optim.NewCosineAnnealingLR(o, 8)
		},
		"RMSprop+ExponentialLR": func(ps []*tensor.Tensor) (optim.Optimizer, optim.Scheduler) {
			o := optim.NewRMSprop(ps, optim.RMSpropOptions{LR: 1e-2, Momentum: 0.5, Centered: true})
			return o, optim.NewExponentialLR(o, 0.9)
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			newNet := func(seed uint64) *nn.Sequential {
				tensor.ManualSeed(seed)
				return nn.NewSequential(nn.NewLinear(6, 8), nn.NewReLU(), nn.NewDropout(0.25), nn.NewLinear(8, 3))
			}
			step := func(m *nn.Sequential, o optim.Optimizer, s optim.Scheduler) {
				x, y := tensor.Randn(5, 6), tensor.RandInt(0, 3, 5)
				o.ZeroGrad()
				F.CrossEntropy(m.Forward(x), y).Backward()
				o.Step()
				s.Step()
			}
			m1 := newNet(3)
			o1, s1 := mk(nn.Parameters(m1))
			for range 8 {
				step(m1, o1, s1)
			}
			want := nn.StateDict(m1)

			m2 := newNet(3)
			o2, s2 := mk(nn.Parameters(m2))
			for range 4 {
				step(m2, o2, s2)
			}
			path := filepath.Join(t.TempDir(), "ckpt.safetensors")
			if err := checkpoint.Save(path, checkpoint.State{Model: m2, Optimizer: o2, Scheduler: s2, Epoch: 4, RNG: tensor.DefaultGenerator()}); err != nil {
				t.Fatal(err)
			}
			m3 := newNet(77)
			o3, s3 := mk(nn.Parameters(m3))
			tensor.Randn(11)
			st := checkpoint.State{Model: m3, Optimizer: o3, Scheduler: s3, RNG: tensor.DefaultGenerator()}
			if err := checkpoint.Load(path, &st); err != nil {
				t.Fatal(err)
			}
			for range 4 {
				step(m3, o3, s3)
			}
			for k, v := range nn.StateDict(m3) {
				if !tensor.Equal(v, want[k]) {
					t.Errorf("%s differs after resuming", k)
				}
			}
			if fmt.Sprint(s3.LastLR()) != fmt.Sprint(s1.LastLR()) {
				t.Errorf("lr %v, want %v", s3.LastLR(), s1.LastLR())
			}
		})
	}
}
