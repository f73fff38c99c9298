package models

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/internal/golden"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/nn/safetensors"
	"github.com/emberml/ember/tensor"
)

// The golden files come from testdata/gen_models.py, which fills
// torchvision's models (and torch_models.py's MNIST networks) with the
// deterministic weights that modelsTestWeights builds here; its doc comment
// states the formula.

const modelsTestInputK = 1000003

// modelsTestU is u(k, i) = ((i·2654435761 + k·40503) mod 2³²)/2³² - 0.5,
// exact in float64.
func modelsTestU(k, i int) float64 {
	v := (uint64(i)*2654435761 + uint64(k)*40503) & 0xffffffff
	return float64(v)/4294967296 - 0.5
}

// modelsTestValues returns n values of entry k with the gen script's rule
// for a tensor called name of the given shape.
func modelsTestValues(name string, k int, shape []int) []float32 {
	n := 1
	for _, d := range shape {
		n *= d
	}
	leaf := name[strings.LastIndexByte(name, '.')+1:]
	var f func(u float64) float64
	switch {
	case leaf == "running_mean":
		f = func(u float64) float64 { return 0.1 * u }
	case leaf == "running_var":
		f = func(u float64) float64 { return 1 + 0.5*u }
	case len(shape) >= 2:
		scale := 2 * math.Sqrt(6/float64(n/shape[0]))
		f = func(u float64) float64 { return u * scale }
	case leaf == "weight":
		f = func(u float64) float64 { return 1 + 0.5*u }
	case leaf == "bias":
		f = func(u float64) float64 { return 0.2 * u }
	default:
		panic("no rule for " + name)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(f(modelsTestU(k, i)))
	}
	return v
}

// modelsTestWeights builds the deterministic state dict for m: entry k of
// nn.StateKeys(m) gets the gen script's values for entry k.
func modelsTestWeights(m nn.Module) map[string]*tensor.Tensor {
	shapes := nn.StateDict(m)
	sd := map[string]*tensor.Tensor{}
	for k, name := range nn.StateKeys(m) {
		shape := shapes[name].Shape()
		if strings.HasSuffix(name, "num_batches_tracked") {
			sd[name] = tensor.FromSlice([]int64{0}).Reshape()
			continue
		}
		sd[name] = tensor.FromSlice(modelsTestValues(name, k, shape), shape...)
	}
	return sd
}

// modelsTestImage is the gen script's input: u(1000003, i)·4.
func modelsTestImage(shape ...int) *tensor.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(modelsTestU(modelsTestInputK, i) * 4)
	}
	return tensor.FromSlice(v, shape...)
}

// modelsTestHash is the gen script's tensor_hash: Σ bits(t[i])·(2i+1) mod
// 2⁶⁴ in hex.
func modelsTestHash(t *tensor.Tensor) string {
	var h uint64
	switch d := t.Contiguous().Data().(type) {
	case []float32:
		for i, x := range d {
			h += uint64(math.Float32bits(x)) * (2*uint64(i) + 1)
		}
	case []int64:
		for i, x := range d {
			h += uint64(x) * (2*uint64(i) + 1)
		}
	default:
		panic(fmt.Sprintf("modelsTestHash: dtype %v", t.DType()))
	}
	return fmt.Sprintf("%016x", h)
}

func modelsTestStrings(t *testing.T, c golden.Case, key string) []string {
	t.Helper()
	raw, ok := c.Attrs[key].([]any)
	if !ok {
		t.Fatalf("golden case %s: attribute %q is not a list", c.Name, key)
	}
	out := make([]string, len(raw))
	for i, v := range raw {
		out[i] = fmt.Sprint(v)
	}
	return out
}

// modelsTestTypeName maps a module to the class name torchvision prints
// for it.
func modelsTestTypeName(m nn.Module) string {
	n := reflect.TypeOf(m).Elem().Name()
	if n == "BatchNorm" {
		return "BatchNorm2d"
	}
	return n
}

// modelsCheckStructure compares m's state-dict keys (in order), shapes,
// module names, module types and inplace flags with torchvision's, and its
// parameter count.
func modelsCheckStructure(t *testing.T, c golden.Case, m nn.Module) {
	t.Helper()
	wantKeys := modelsTestStrings(t, c, "keys")
	keys := nn.StateKeys(m)
	if !slices.Equal(keys, wantKeys) {
		for i := range min(len(keys), len(wantKeys)) {
			if keys[i] != wantKeys[i] {
				t.Fatalf("state-dict key %d is %q, torchvision's %q (%d keys, want %d)", i, keys[i], wantKeys[i], len(keys), len(wantKeys))
			}
		}
		t.Fatalf("%d state-dict keys, torchvision has %d", len(keys), len(wantKeys))
	}
	sd := nn.StateDict(m)
	for i, s := range c.Attrs["shapes"].([]any) {
		want := []int{}
		for _, d := range s.([]any) {
			want = append(want, int(d.(float64)))
		}
		if got := sd[keys[i]].Shape(); !slices.Equal(got, want) {
			t.Errorf("%s: shape %v, torchvision's %v", keys[i], got, want)
		}
	}
	mods := nn.NamedModules(m)
	wantMods, wantTypes := modelsTestStrings(t, c, "modules"), modelsTestStrings(t, c, "module_types")
	wantInplace := c.Attrs["inplace"].([]any)
	if len(mods) != len(wantMods) {
		t.Fatalf("%d modules, torchvision has %d", len(mods), len(wantMods))
	}
	for i, nm := range mods {
		typ := modelsTestTypeName(nm.Module)
		if wt := wantTypes[i]; wt == "Conv2dNormActivation" {
			wantTypes[i] = "Sequential"
		}
		if nm.Name != wantMods[i] || typ != wantTypes[i] {
			t.Fatalf("module %d is %q (%s), torchvision's %q (%s)", i, nm.Name, typ, wantMods[i], wantTypes[i])
		}
		inplace := false
		switch a := nm.Module.(type) {
		case *nn.ReLU:
			inplace = a.Inplace
		case *nn.ReLU6:
			inplace = a.Inplace
		}
		if inplace != wantInplace[i].(bool) {
			t.Errorf("module %q: inplace %v, torchvision's %v", nm.Name, inplace, wantInplace[i])
		}
	}
	n := 0
	for _, p := range nn.Parameters(m) {
		n += p.Numel()
		if !p.RequiresGrad() {
			t.Errorf("a parameter of shape %v does not require grad", p.Shape())
		}
	}
	if want := c.Int("num_params"); n != want {
		t.Errorf("%d parameters, torchvision's model has %d", n, want)
	}
}

// modelsCheckHashes compares the bit-exact hash of each state-dict entry
// with the gen script's.
func modelsCheckHashes(t *testing.T, c golden.Case, what string, sd map[string]*tensor.Tensor) {
	t.Helper()
	keys, hashes := modelsTestStrings(t, c, "keys"), modelsTestStrings(t, c, "hashes")
	bad := 0
	for i, k := range keys {
		if h := modelsTestHash(sd[k]); h != hashes[i] {
			if bad++; bad <= 5 {
				t.Errorf("%s: %s hashes to %s, PyTorch's weights to %s", what, k, h, hashes[i])
			}
		}
	}
}

// modelsRoundTrip writes sd with safetensors.SaveFile, reads it back with
// LoadFile and loads it strictly into fresh.
func modelsRoundTrip(t *testing.T, fresh nn.Module, sd map[string]*tensor.Tensor) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "weights.safetensors")
	if err := safetensors.SaveFile(path, sd, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := safetensors.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nn.LoadStateDict(fresh, loaded, true); err != nil {
		t.Fatal(err)
	}
}

// modelsCheckLogits asserts max |got - want| <= tol·max|want| over all
// elements (error relative to the largest logit) and logs what it saw.
func modelsCheckLogits(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	maxAbs := want.Abs().Max().Item()
	worst := got.Sub(want).Abs().Max().Item()
	t.Logf("%s: max |error| %.3g, max |want| %.3g, relative %.3g", what, worst, maxAbs, worst/maxAbs)
	golden.Close(t, what, got, want, 0, tol*maxAbs)
}

func TestVisionModelsMatchTorchvision(t *testing.T) {
	cases := []struct {
		file string
		make func() nn.Forwarder
	}{
		{"testdata/models_mobilenetv2.json", func() nn.Forwarder { return NewMobileNetV2(1000) }},
		{"testdata/models_resnet18.json", func() nn.Forwarder { return NewResNet18(1000) }},
	}
	for _, tc := range cases {
		c := golden.Load(t, tc.file)[0]
		t.Run(c.Name, func(t *testing.T) {
			m := tc.make()
			modelsCheckStructure(t, c, m)
			sd := modelsTestWeights(m)
			modelsCheckHashes(t, c, "built", sd)
			fresh := tc.make()
			modelsRoundTrip(t, fresh, sd)
			modelsCheckHashes(t, c, "loaded", nn.StateDict(fresh))
			nn.Eval(fresh)
			x := modelsTestImage(c.Int("batch"), 3, c.Int("size"), c.Int("size"))
			var out *tensor.Tensor
			autograd.NoGrad(func() { out = fresh.Forward(x) })
			modelsCheckLogits(t, c.Name+" logits", out, c.T("logits"), 1e-4)
		})
	}
}

// modelsNLL is F.nll_loss(logProbs, y) with mean reduction.
func modelsNLL(logProbs, y *tensor.Tensor) *tensor.Tensor {
	return logProbs.Gather(1, y.Unsqueeze(1)).Mean().Neg()
}

func modelsTestLabels(n int) *tensor.Tensor {
	y := make([]int64, n)
	for i := range y {
		y[i] = int64((3*i + 1) % 10)
	}
	return tensor.FromSlice(y, n)
}

func TestMNISTModelsMatchPyTorch(t *testing.T) {
	cases := map[string]struct {
		make     func() nn.Forwarder
		logProbs bool
	}{
		"mlp":         {func() nn.Forwarder { return NewMLP() }, false},
		"smallcnn":    {func() nn.Forwarder { return NewSmallCNN() }, false},
		"examplesnet": {func() nn.Forwarder { return NewExamplesNet() }, true},
	}
	seen := 0
	for _, c := range golden.Load(t, "testdata/models_mnist.json") {
		tc, ok := cases[c.Name]
		if !ok {
			continue
		}
		seen++
		t.Run(c.Name, func(t *testing.T) {
			m := tc.make()
			modelsCheckStructure(t, c, m)
			sd := modelsTestWeights(m)
			modelsCheckHashes(t, c, "built", sd)
			fresh := tc.make()
			modelsRoundTrip(t, fresh, sd)
			batch := c.Int("batch")
			x, y := modelsTestImage(batch, 1, 28, 28), modelsTestLabels(batch)

			nn.Eval(fresh)
			var out *tensor.Tensor
			autograd.NoGrad(func() { out = fresh.Forward(x) })
			modelsCheckLogits(t, c.Name+" output", out, c.T("out"), 1e-4)

			nn.Train(fresh)
			lp := fresh.Forward(x)
			if !tc.logProbs {
				lp = lp.LogSoftmax(1)
			}
			loss := modelsNLL(lp, y)
			loss.Backward()
			golden.Close(t, "loss", loss, c.T("loss"), 1e-5, 0)
			strides := c.Ints("grad_strides")
			for i, p := range nn.NamedParameters(fresh) {
				g := p.Tensor.Grad()
				if g == nil {
					t.Errorf("%s: no gradient", p.Name)
					continue
				}
				want := c.T("grad." + p.Name)
				got := g.Flatten(0, -1).Slice(0, 0, g.Numel(), strides[i])
				// Elementwise: |got - want| <= 1e-4·max|want| + 1e-4·|want|.
				golden.Close(t, "gradient of "+p.Name, got, want, 1e-4, 1e-4*want.Abs().Max().Item())
			}
		})
	}
	if seen != len(cases) {
		t.Fatalf("golden file holds %d of the %d MNIST cases", seen, len(cases))
	}
}

// TestLoadPyTorchSafetensors loads a SmallCNN state dict that PyTorch wrote
// in the safetensors format (testdata/smallcnn.safetensors, PyTorch's own
// initialisation after torch.manual_seed(0)) and compares the output.
func TestLoadPyTorchSafetensors(t *testing.T) {
	sd, meta, err := safetensors.LoadFile("testdata/smallcnn.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if meta["format"] != "pt" {
		t.Errorf("metadata %v, want format pt", meta)
	}
	m := NewSmallCNN()
	if _, err := nn.LoadStateDict(m, sd, true); err != nil {
		t.Fatal(err)
	}
	var c golden.Case
	for _, cc := range golden.Load(t, "testdata/models_mnist.json") {
		if cc.Name == "smallcnn_safetensors" {
			c = cc
		}
	}
	if c.Name == "" {
		t.Fatal("no smallcnn_safetensors case")
	}
	nn.Eval(m)
	var out *tensor.Tensor
	autograd.NoGrad(func() { out = m.Forward(modelsTestImage(c.Int("batch"), 1, 28, 28)) })
	modelsCheckLogits(t, "output", out, c.T("out"), 1e-5)
}

func TestLoadStateDictMismatch(t *testing.T) {
	sd := nn.StateDict(NewMobileNetV2(1000))
	_, err := nn.LoadStateDict(NewMobileNetV2(10), sd, true)
	if err == nil || !strings.Contains(err.Error(), "classifier.1.weight") {
		t.Fatalf("loading 1000-class weights into a 10-class MobileNetV2: error %v, want a size mismatch for classifier.1.weight", err)
	}
	delete(sd, "features.18.1.running_var")
	_, err = nn.LoadStateDict(NewMobileNetV2(1000), sd, true)
	if err == nil || !strings.Contains(err.Error(), "missing keys: features.18.1.running_var") {
		t.Fatalf("loading without features.18.1.running_var: error %v, want it missing", err)
	}
}

func TestConstructorPanics(t *testing.T) {
	for _, tc := range []struct {
		want string
		f    func()
	}{
		{"models.NewMobileNetV2: numClasses must be positive, got 0", func() { NewMobileNetV2(0) }},
		{"models.NewResNet18: numClasses must be positive, got -1", func() { NewResNet18(-1) }},
		{"models.NewInvertedResidual: stride must be 1 or 2, got 3", func() { NewInvertedResidual(8, 8, 3, 6) }},
		{"models.NewBasicBlock: inplanes 0, planes 8 and stride 1 must be positive", func() { NewBasicBlock(0, 8, 1) }},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || fmt.Sprint(r) != tc.want {
					t.Errorf("panic %v, want %q", r, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

// TestDefaultInit checks torchvision's initialisation: kaiming-normal
// fan-out convolution weights (standard deviation √(2/fan_out)), BatchNorm
// ones and zeros, MobileNetV2's N(0, 0.01²) classifier with zero bias,
// ResNet's nn.Linear default for fc (uniform in ±1/√512).
func TestDefaultInit(t *testing.T) {
	tensor.ManualSeed(1)
	mb, rn := NewMobileNetV2(1000), NewResNet18(1000)
	std := func(x *tensor.Tensor) float64 {
		v := x.Detach().Double().ToFloat64s()
		var s float64
		for _, a := range v {
			s += a * a
		}
		return math.Sqrt(s / float64(len(v)))
	}
	for _, m := range []nn.Module{mb, rn} {
		for _, nm := range nn.NamedModules(m) {
			switch l := nm.Module.(type) {
			case *nn.Conv2d:
				want := math.Sqrt(2 / float64(modelsFanOut(l.Weight)))
				n := l.Weight.Numel()
				if got := std(l.Weight); math.Abs(got-want) > 6*want/math.Sqrt(2*float64(n)) {
					t.Errorf("%s: weight deviation %.4g, want %.4g (%d values)", nm.Name, got, want, n)
				}
				if l.Bias != nil {
					t.Errorf("%s: has a bias", nm.Name)
				}
			case *nn.BatchNorm:
				if l.Weight.Min().Item() != 1 || l.Weight.Max().Item() != 1 || std(l.Bias) != 0 {
					t.Errorf("%s: BatchNorm not ones and zeros", nm.Name)
				}
			}
		}
	}
	fc := mb.Classifier.At(1).(*nn.Linear)
	if got := std(fc.Weight); math.Abs(got-0.01) > 1e-4 || std(fc.Bias) != 0 {
		t.Errorf("MobileNetV2 classifier: weight deviation %.4g (want 0.01), bias deviation %g (want 0)", got, std(fc.Bias))
	}
	bound := 1 / math.Sqrt(512)
	if lo, hi := rn.Fc.Weight.Min().Item(), rn.Fc.Weight.Max().Item(); lo < -bound || hi > bound || hi-lo < 1.9*bound {
		t.Errorf("ResNet18 fc weight in [%g, %g], want uniform in ±%g", lo, hi, bound)
	}
}

// modelsTestProjections is the gen script's projections: for tensor j, its
// L2 norm and its dot product with u(k0+j, ·), in float64.
func modelsTestProjections(ts []nn.NamedTensor, k0 int) [][2]float64 {
	out := make([][2]float64, len(ts))
	for j, nt := range ts {
		var sq, dot float64
		for i, a := range nt.Tensor.Detach().Double().ToFloat64s() {
			sq += a * a
			dot += a * modelsTestU(k0+j, i)
		}
		out[j] = [2]float64{math.Sqrt(sq), dot}
	}
	return out
}

// modelsCheckProjections compares norms and projections with PyTorch's:
// |norm - want| <= rtol·want + floor and |projection - want| <= rtol·s +
// floor, where s = want norm·√(n/12) is the projection's typical size for
// a random direction and floor = 1e-9 times the largest norm (it absorbs
// the rounding noise of gradients that are zero in exact arithmetic, such
// as a bias feeding a train-mode BatchNorm).
func modelsCheckProjections(t *testing.T, c golden.Case, what string, ts []nn.NamedTensor, k0 int, names, stats string, rtol float64) {
	t.Helper()
	wantNames := modelsTestStrings(t, c, names)
	if len(wantNames) != len(ts) {
		t.Fatalf("%d %ss, PyTorch has %d", len(ts), what, len(wantNames))
	}
	want := c.Attrs[stats].([]any)
	floor := 0.0
	for _, w := range want {
		floor = max(floor, 1e-9*w.([]any)[0].(float64))
	}
	worst := 0.0
	for j, p := range modelsTestProjections(ts, k0) {
		w := want[j].([]any)
		wn, wd := w[0].(float64), w[1].(float64)
		if ts[j].Name != wantNames[j] {
			t.Fatalf("%s %d is %s, PyTorch's %s", what, j, ts[j].Name, wantNames[j])
		}
		scale := wn * math.Sqrt(float64(ts[j].Tensor.Numel())/12)
		errN, errD := math.Abs(p[0]-wn), math.Abs(p[1]-wd)
		if wn > 1e3*floor {
			worst = max(worst, errN/wn, errD/scale)
		}
		if !(errN <= rtol*wn+floor) || !(errD <= rtol*scale+floor) {
			t.Errorf("%s of %s: norm %.10g, projection %.10g; PyTorch's %.10g, %.10g", what, ts[j].Name, p[0], p[1], wn, wd)
		}
	}
	t.Logf("%s: worst relative error %.3g (tensors with norms above 1e-6 of the largest)", what, worst)
}

// TestVisionModelsTrainMatchTorchvision runs one training-mode step of
// MobileNetV2 and ResNet18 in float64 (batch 2, 64×64, the deterministic
// weights; the classifier's dropout in eval mode) and compares the output,
// the loss, every parameter's gradient and the updated BatchNorm running
// statistics with torchvision's, through norms and projections. Float64,
// because this step is ill-conditioned in float32 (see gen_models.py).
func TestVisionModelsTrainMatchTorchvision(t *testing.T) {
	cases := []struct {
		file string
		make func() nn.Forwarder
	}{
		{"testdata/models_mobilenetv2.json", func() nn.Forwarder { return NewMobileNetV2(1000) }},
		{"testdata/models_resnet18.json", func() nn.Forwarder { return NewResNet18(1000) }},
	}
	for _, tc := range cases {
		c := golden.Load(t, tc.file)[1]
		t.Run(c.Name, func(t *testing.T) {
			m := tc.make()
			if _, err := nn.LoadStateDict(m, modelsTestWeights(m), true); err != nil {
				t.Fatal(err)
			}
			nn.To(m, tensor.Float64)
			nn.Train(m)
			nn.Apply(m, func(mod nn.Module) {
				if d, ok := mod.(*nn.Dropout); ok {
					nn.Eval(d)
				}
			})
			batch, size := c.Int("batch"), c.Int("size")
			x, y := modelsTestImage(batch, 3, size, size).Double(), modelsTestLabels(batch)
			var out *tensor.Tensor
			func() {
				defer func() {
					if r := recover(); r != nil {
						if s := fmt.Sprint(r); strings.Contains(s, "in-place operation") {
							t.Skipf("nn.ReLU with Inplace panics on an input autograd records: %s", s)
						}
						panic(r)
					}
				}()
				out = m.Forward(x)
			}()
			modelsCheckLogits(t, "train-mode output", out, c.T("out"), 1e-10)
			loss := modelsNLL(out.LogSoftmax(1), y)
			golden.Close(t, "loss", loss, c.T("loss"), 1e-12, 0)
			loss.Backward()
			var grads []nn.NamedTensor
			for _, p := range nn.NamedParameters(m) {
				if p.Tensor.Grad() == nil {
					t.Fatalf("%s: no gradient", p.Name)
				}
				grads = append(grads, nn.NamedTensor{Name: p.Name, Tensor: p.Tensor.Grad()})
			}
			modelsCheckProjections(t, c, "gradient", grads, 777, "grad_names", "grad_stats", 1e-8)
			var bufs []nn.NamedTensor
			for _, b := range nn.NamedBuffers(m) {
				if strings.HasSuffix(b.Name, "num_batches_tracked") {
					if b.Tensor.Item() != 1 {
						t.Errorf("%s = %v after one training step, want 1", b.Name, b.Tensor.Item())
					}
					continue
				}
				bufs = append(bufs, b)
			}
			modelsCheckProjections(t, c, "running statistic", bufs, 555, "buffer_names", "buffer_stats", 1e-10)
		})
	}
}
