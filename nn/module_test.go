package nn_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

type block struct {
	nn.Base
	Conv *nn.Conv2d
	BN1  *nn.BatchNorm
	skip *nn.Linear // unexported fields count too
}

type net struct {
	nn.Base
	Features   *nn.Sequential
	Blocks     []*block
	Heads      map[string]*nn.Linear
	Scale      *tensor.Tensor
	Table      *tensor.Tensor `nn:"lut,buffer"`
	Cache      *tensor.Tensor `nn:",nonpersistent"`
	Hidden     *nn.Linear     `nn:"-"`
	Downsample nn.Forwarder   // nil interface: no child
	count      int
}

func newNet() *net {
	return &net{
		Features: nn.NewSequential(nn.NewConv2d(1, 2, 3), nn.NewReLU()),
		Blocks:   []*block{{Conv: nn.NewConv2d(2, 2, 1), BN1: nn.NewBatchNorm2d(2), skip: nn.NewLinear(2, 2, nn.LinearOptions{NoBias: true})}},
		Heads:    map[string]*nn.Linear{"b": nn.NewLinear(2, 1), "a": nn.NewLinear(2, 1)},
		Scale:    tensor.Ones(1).SetRequiresGrad(true),
		Table:    tensor.Zeros(3),
		Cache:    tensor.Zeros(1),
		Hidden:   nn.NewLinear(1, 1),
		count:    1, // plain fields are not members
	}
}

func TestNamedParameters(t *testing.T) {
	m := newNet()
	var names []string
	for _, p := range nn.NamedParameters(m) {
		names = append(names, p.Name)
	}
	want := []string{"scale", "features.0.weight", "features.0.bias", "blocks.0.conv.weight", "blocks.0.conv.bias",
		"blocks.0.bn1.weight", "blocks.0.bn1.bias", "blocks.0.skip.weight", "heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias"}
	if !slices.Equal(names, want) {
		t.Fatalf("names\n got %v\nwant %v", names, want)
	}
	var bufs []string
	for _, b := range nn.NamedBuffers(m) {
		bufs = append(bufs, b.Name)
	}
	wantB := []string{"lut", "cache", "blocks.0.bn1.running_mean", "blocks.0.bn1.running_var", "blocks.0.bn1.num_batches_tracked"}
	if !slices.Equal(bufs, wantB) {
		t.Fatalf("buffers\n got %v\nwant %v", bufs, wantB)
	}
	sd := nn.StateDict(m)
	if _, ok := sd["cache"]; ok {
		t.Fatal("non-persistent buffer in the state dict")
	}
	if len(sd) != len(want)+len(wantB)-1 {
		t.Fatalf("state dict has %d keys", len(sd))
	}
	var mods []string
	for _, nm := range nn.NamedModules(m) {
		mods = append(mods, nm.Name)
	}
	wantM := []string{"", "features", "features.0", "features.1", "blocks.0", "blocks.0.conv", "blocks.0.bn1", "blocks.0.skip", "heads.a", "heads.b"}
	if !slices.Equal(mods, wantM) {
		t.Fatalf("modules\n got %v\nwant %v", mods, wantM)
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{"Conv1": "conv1", "RunningMean": "running_mean", "BN1": "bn1", "InProjWeight": "in_proj_weight",
		"FC": "fc", "HTTPServer": "http_server", "layer1": "layer1", "NumBatchesTracked": "num_batches_tracked"} {
		if got := nn.SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStateDictRoundTrip(t *testing.T) {
	a, b := newNet(), newNet()
	sd := nn.StateDict(a)
	if _, err := nn.LoadStateDict(b, sd, true); err != nil {
		t.Fatal(err)
	}
	for k, v := range nn.StateDict(b) {
		if !tensor.Equal(v, sd[k]) {
			t.Fatalf("%s differs after loading", k)
		}
		if v.SharesStorage(sd[k]) {
			t.Fatalf("%s shares storage with the source", k)
		}
	}
	// Strict failures copy nothing and name the keys.
	delete(sd, "scale")
	sd["extra"] = tensor.Zeros(1)
	c := newNet()
	before := nn.StateDict(c)["features.0.weight"].Clone()
	_, err := nn.LoadStateDict(c, sd, true)
	if err == nil || !strings.Contains(err.Error(), "missing keys: scale") || !strings.Contains(err.Error(), "unexpected keys: extra") {
		t.Fatalf("err = %v", err)
	}
	if !tensor.Equal(before, nn.StateDict(c)["features.0.weight"]) {
		t.Fatal("a failed strict load changed the module")
	}
	rep, err := nn.LoadStateDict(c, sd, false)
	if err != nil || !slices.Equal(rep.Missing, []string{"scale"}) || !slices.Equal(rep.Unexpected, []string{"extra"}) {
		t.Fatalf("non-strict: %+v, %v", rep, err)
	}
	sd["features.0.weight"] = tensor.Zeros(3, 3)
	if _, err := nn.LoadStateDict(c, sd, false); err == nil || !strings.Contains(err.Error(), "size mismatch for features.0.weight") {
		t.Fatalf("shape mismatch: %v", err)
	}
}

func TestTrainEvalZeroGradApply(t *testing.T) {
	m := newNet()
	nn.Eval(m)
	for _, c := range nn.Modules(m) {
		if c.(interface{ Training() bool }).Training() {
			t.Fatalf("%T still training after Eval", c)
		}
	}
	nn.Train(m)
	if !m.Blocks[0].BN1.Training() {
		t.Fatal("Train did not reach the batch norm")
	}
	x := tensor.Randn(2, 1, 5, 5)
	m.Features.Forward(x).Sum().Backward()
	if m.Features.At(0).(*nn.Conv2d).Weight.Grad() == nil {
		t.Fatal("no gradient")
	}
	nn.ZeroGrad(m)
	for _, p := range nn.Parameters(m) {
		if p.Grad() != nil {
			t.Fatal("ZeroGrad left a gradient")
		}
	}
	var order []string
	nn.Apply(m.Features, func(mod nn.Module) { order = append(order, strings.TrimPrefix(typeName(mod), "*nn.")) })
	if !slices.Equal(order, []string{"Conv2d", "ReLU", "Sequential"}) {
		t.Fatalf("Apply order %v", order)
	}
}

func typeName(m nn.Module) string {
	switch m.(type) {
	case *nn.Conv2d:
		return "*nn.Conv2d"
	case *nn.ReLU:
		return "*nn.ReLU"
	case *nn.Sequential:
		return "*nn.Sequential"
	}
	return "?"
}

func TestHooks(t *testing.T) {
	l := nn.NewLinear(2, 2)
	var calls []string
	h1 := l.RegisterForwardPreHook(func(m nn.Module, in []*tensor.Tensor) []*tensor.Tensor {
		calls = append(calls, "pre")
		return []*tensor.Tensor{in[0].MulScalar(2)}
	})
	l.RegisterForwardHook(func(m nn.Module, in, out []*tensor.Tensor) []*tensor.Tensor {
		calls = append(calls, "post")
		return nil
	})
	x := tensor.Ones(1, 2)
	got := l.Forward(x)
	want := tensor.Linear(x.MulScalar(2), l.Weight, l.Bias)
	if !tensor.AllClose(got, want, 0, 0) || !slices.Equal(calls, []string{"pre", "post"}) {
		t.Fatalf("hooks: calls %v", calls)
	}
	h1.Remove()
	h1.Remove()
	if !tensor.AllClose(l.Forward(x), tensor.Linear(x, l.Weight, l.Bias), 0, 0) {
		t.Fatal("removed pre-hook still ran")
	}
	// A user's module runs its hooks through nn.Call.
	u := &userMod{}
	n := 0
	u.RegisterForwardHook(func(nn.Module, []*tensor.Tensor, []*tensor.Tensor) []*tensor.Tensor { n++; return nil })
	nn.Call(u, x)
	nn.NewSequential(u).Forward(x)
	if n != 2 {
		t.Fatalf("user hook ran %d times, want 2", n)
	}
}

type userMod struct{ nn.Base }

func (u *userMod) Forward(x *tensor.Tensor) *tensor.Tensor { return x.Neg() }

func TestTo(t *testing.T) {
	m := newNet()
	w := m.Features.At(0).(*nn.Conv2d).Weight
	m.Heads = nil
	nn.To(m, tensor.Float64)
	w2 := m.Features.At(0).(*nn.Conv2d).Weight
	if w2.DType() != tensor.Float64 || !w2.RequiresGrad() || !tensor.AllClose(w2, w.Double(), 0, 0) {
		t.Fatal("To did not convert the conv weight")
	}
	if m.Blocks[0].BN1.NumBatchesTracked.DType() != tensor.Int64 {
		t.Fatal("To converted an integer buffer")
	}
}

// Repr names slice and map children by their dotted names, as NamedChildren
// does (PyTorch would show a ModuleList or ModuleDict level instead), and
// leaves out nil children and children hidden with `nn:"-"`.
func TestReprUserModule(t *testing.T) {
	m := newNet()
	want := `net(
  (features): Sequential(
    (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))
    (1): ReLU()
  )
  (blocks.0): block(
    (conv): Conv2d(2, 2, kernel_size=(1, 1), stride=(1, 1))
    (bn1): BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    (skip): Linear(in_features=2, out_features=2, bias=False)
  )
  (heads.a): Linear(in_features=2, out_features=1, bias=True)
  (heads.b): Linear(in_features=2, out_features=1, bias=True)
)`
	if got := nn.Repr(m); got != want {
		t.Fatalf("Repr:\n%s\nwant\n%s", got, want)
	}
}
