package tensor_test

import (
	"math"
	"slices"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

type nT = tensor.Tensor

// nnfPair returns a [height, width] attribute; [0, 0] (PyTorch's None)
// gives nil.
func nnfPair(a goldenAttrs, k string) []int {
	v := a.Ints(k)
	if v[0] == 0 && v[1] == 0 {
		return nil
	}
	return v
}

func nnfMaxPoolOpts(a goldenAttrs) tensor.MaxPool2dOptions {
	return tensor.MaxPool2dOptions{KernelSize: nnfPair(a, "kernel"), Stride: nnfPair(a, "stride"), Padding: nnfPair(a, "padding"),
		Dilation: nnfPair(a, "dilation"), CeilMode: a.Bool("ceil_mode")}
}

func nnfAvgPoolOpts(a goldenAttrs) tensor.AvgPool2dOptions {
	return tensor.AvgPool2dOptions{KernelSize: nnfPair(a, "kernel"), Stride: nnfPair(a, "stride"), Padding: nnfPair(a, "padding"),
		CeilMode: a.Bool("ceil_mode"), ExcludePad: !a.Bool("count_include_pad"), DivisorOverride: a.Int("divisor")}
}

func nnfInterpOpts(a goldenAttrs) tensor.InterpolateOptions {
	var scale []float64
	if sc := a["scale"].([]any); num(sc[0]) != 0 {
		scale = []float64{num(sc[0]), num(sc[1])}
	}
	return tensor.InterpolateOptions{Size: nnfPair(a, "size"), ScaleFactor: scale,
		Mode: a.String("mode"), AlignCorners: a.Bool("align_corners"), RecomputeScaleFactor: a.Bool("recompute")}
}

// nnfBatchNormArgs splits a batch_norm case's inputs by its flags.
func nnfBatchNormArgs(in []*nT, a goldenAttrs) (x, rm, rv, w, b *nT) {
	x, rest := in[0], in[1:]
	if a.Bool("running") {
		rm, rv, rest = rest[0], rest[1], rest[2:]
	}
	if a.Bool("affine") {
		w, b = rest[0], rest[1]
	}
	return
}

// gradCase returns a golden op for an "_grad" case: its inputs are f's
// inputs followed by the output gradient; it returns the gradients of the
// inputs listed by diff (which may depend on the attributes).
func nnfGradCase(f func(in []*nT, a goldenAttrs) *nT, diff func(in []*nT, a goldenAttrs) []int) goldenOp {
	return func(in []*nT, a goldenAttrs) []*nT {
		gy, ins := in[len(in)-1], in[:len(in)-1]
		idx := diff(ins, a)
		var leaves []*nT
		for _, i := range idx {
			ins[i] = ins[i].Detach().SetRequiresGrad(true)
			leaves = append(leaves, ins[i])
		}
		y := f(ins, a)
		return autograd.Grad([]*nT{y}, leaves, autograd.GradOptions{GradOutputs: []*nT{gy}})
	}
}

func nnfFirst(in []*nT, a goldenAttrs) []int { return []int{0} }

func nnfAll(in []*nT, a goldenAttrs) []int {
	out := make([]int, len(in))
	for i := range out {
		out[i] = i
	}
	return out
}

var (
	nnfMaxPoolF = func(in []*nT, a goldenAttrs) *nT { return tensor.MaxPool2d(in[0], nnfMaxPoolOpts(a)) }
	nnfAvgPoolF = func(in []*nT, a goldenAttrs) *nT { return tensor.AvgPool2d(in[0], nnfAvgPoolOpts(a)) }
	nnfAAvgF    = func(in []*nT, a goldenAttrs) *nT { return tensor.AdaptiveAvgPool2d(in[0], a.Int("oh"), a.Int("ow")) }
	nnfAMaxF    = func(in []*nT, a goldenAttrs) *nT {
		v, _ := tensor.AdaptiveMaxPool2d(in[0], a.Int("oh"), a.Int("ow"))
		return v
	}
	nnfBatchNormF = func(in []*nT, a goldenAttrs) *nT {
		x, rm, rv, w, b := nnfBatchNormArgs(in, a)
		return tensor.BatchNorm(x, rm, rv, w, b, a.Bool("training"), a.Float("momentum"), a.Float("eps"))
	}
	nnfLayerNormF = func(in []*nT, a goldenAttrs) *nT {
		var w, b *nT
		if a.Bool("affine") {
			w, b = in[1], in[2]
		}
		return tensor.LayerNorm(in[0], a.Ints("shape"), w, b, a.Float("eps"))
	}
	nnfGroupNormF = func(in []*nT, a goldenAttrs) *nT {
		var w, b *nT
		if a.Bool("affine") {
			w, b = in[1], in[2]
		}
		return tensor.GroupNorm(in[0], a.Int("groups"), w, b, a.Float("eps"))
	}
	nnfEmbeddingF = func(in []*nT, a goldenAttrs) *nT { return tensor.Embedding(in[0], in[1], a.Int("padding_idx")) }
	nnfInterpF    = func(in []*nT, a goldenAttrs) *nT { return tensor.Interpolate(in[0], nnfInterpOpts(a)) }
)

func nnfOne(f func(in []*nT, a goldenAttrs) *nT) goldenOp {
	return func(in []*nT, a goldenAttrs) []*nT { return []*nT{f(in, a)} }
}

var nnfOps = map[string]goldenOp{
	"max_pool2d_with_indices": func(in []*nT, a goldenAttrs) []*nT {
		v, i := tensor.MaxPool2dWithIndices(in[0], nnfMaxPoolOpts(a))
		return []*nT{v, i}
	},
	"max_pool2d":      nnfOne(nnfMaxPoolF),
	"max_pool2d_grad": nnfGradCase(nnfMaxPoolF, nnfFirst),
	"max_pool1d_with_indices": func(in []*nT, a goldenAttrs) []*nT {
		v, i := tensor.MaxPool1dWithIndices(in[0], tensor.MaxPool1dOptions{KernelSize: a.Int("kernel"), Stride: a.Int("stride"),
			Padding: a.Int("padding"), Dilation: a.Int("dilation"), CeilMode: a.Bool("ceil_mode")})
		return []*nT{v, i}
	},
	"avg_pool2d":      nnfOne(nnfAvgPoolF),
	"avg_pool2d_grad": nnfGradCase(nnfAvgPoolF, nnfFirst),
	"avg_pool1d": func(in []*nT, a goldenAttrs) []*nT {
		return []*nT{tensor.AvgPool1d(in[0], tensor.AvgPool1dOptions{KernelSize: a.Int("kernel"), Stride: a.Int("stride"),
			Padding: a.Int("padding"), CeilMode: a.Bool("ceil_mode"), ExcludePad: !a.Bool("count_include_pad")})}
	},
	"adaptive_avg_pool2d":      nnfOne(nnfAAvgF),
	"adaptive_avg_pool2d_grad": nnfGradCase(nnfAAvgF, nnfFirst),
	"adaptive_max_pool2d": func(in []*nT, a goldenAttrs) []*nT {
		v, i := tensor.AdaptiveMaxPool2d(in[0], a.Int("oh"), a.Int("ow"))
		return []*nT{v, i}
	},
	"adaptive_max_pool2d_grad": nnfGradCase(nnfAMaxF, nnfFirst),
	"adaptive_avg_pool1d": func(in []*nT, a goldenAttrs) []*nT {
		return []*nT{tensor.AdaptiveAvgPool1d(in[0], a.Int("size"))}
	},
	"adaptive_max_pool1d": func(in []*nT, a goldenAttrs) []*nT {
		v, i := tensor.AdaptiveMaxPool1d(in[0], a.Int("size"))
		return []*nT{v, i}
	},
	"batch_norm": func(in []*nT, a goldenAttrs) []*nT {
		_, rm, rv, _, _ := nnfBatchNormArgs(in, a)
		y := nnfBatchNormF(in, a)
		if rm == nil {
			return []*nT{y}
		}
		return []*nT{y, rm, rv}
	},
	"batch_norm_grad": nnfGradCase(nnfBatchNormF, func(in []*nT, a goldenAttrs) []int {
		if a.Bool("affine") {
			return []int{0, len(in) - 2, len(in) - 1}
		}
		return []int{0}
	}),
	"layer_norm":      nnfOne(nnfLayerNormF),
	"layer_norm_grad": nnfGradCase(nnfLayerNormF, nnfAll),
	"group_norm":      nnfOne(nnfGroupNormF),
	"group_norm_grad": nnfGradCase(nnfGroupNormF, nnfAll),
	"embedding":       nnfOne(nnfEmbeddingF),
	"embedding_grad": nnfGradCase(nnfEmbeddingF, func(in []*nT, a goldenAttrs) []int {
		return []int{1}
	}),
	"interpolate":      nnfOne(nnfInterpF),
	"interpolate_grad": nnfGradCase(nnfInterpF, nnfFirst),
}

func TestNNFuncGolden(t *testing.T) {
	runGolden(t, "nnfunc.json", nnfOps, tol{rtol: 1e-5, atol: 1e-5})
}

// distinct returns float64 values spaced 0.1 apart in random order, so that
// max pooling has no ties and finite differences never flip the maximum.
func nnfDistinct(shape ...int) *nT {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return tensor.RandPerm(n).Double().MulScalar(0.1).Reshape(shape...)
}

func TestNNFuncPoolGradients(t *testing.T) {
	x := nnfDistinct(2, 2, 5, 6)
	for name, o := range map[string]tensor.MaxPool2dOptions{
		"k2":          {KernelSize: []int{2}},
		"k3s2p1":      {KernelSize: []int{3}, Stride: []int{2}, Padding: []int{1}},
		"dilated":     {KernelSize: []int{2, 3}, Stride: []int{1, 2}, Padding: []int{1}, Dilation: []int{2, 1}},
		"ceil":        {KernelSize: []int{2}, Stride: []int{2}, Padding: []int{1, 0}, CeilMode: true},
		"overlapping": {KernelSize: []int{3, 2}, Stride: []int{1}},
	} {
		gradcheck(t, "max_pool2d/"+name, func(in ...*nT) *nT { return tensor.MaxPool2d(in[0], o) }, x)
	}
	gradcheck(t, "max_pool2d/unbatched", func(in ...*nT) *nT {
		return tensor.MaxPool2d(in[0], tensor.MaxPool2dOptions{KernelSize: []int{2}, Stride: []int{1}})
	}, nnfDistinct(2, 3, 4))
	y := tensor.Randn(2, 2, 5, 6)
	for name, o := range map[string]tensor.AvgPool2dOptions{
		"k2":       {KernelSize: []int{2}},
		"k3s2p1":   {KernelSize: []int{3}, Stride: []int{2}, Padding: []int{1}},
		"excl":     {KernelSize: []int{3}, Stride: []int{2}, Padding: []int{1}, ExcludePad: true},
		"ceil":     {KernelSize: []int{3, 2}, Stride: []int{2}, Padding: []int{1}, CeilMode: true},
		"ceilExcl": {KernelSize: []int{3, 2}, Stride: []int{2}, Padding: []int{1}, CeilMode: true, ExcludePad: true},
		"divisor":  {KernelSize: []int{2, 3}, Stride: []int{1}, DivisorOverride: 4},
	} {
		gradcheck(t, "avg_pool2d/"+name, func(in ...*nT) *nT { return tensor.AvgPool2d(in[0], o) }, y)
	}
	for _, s := range [][2]int{{3, 3}, {4, 4}, {2, 5}, {-1, 4}} {
		gradcheck(t, "adaptive_avg_pool2d", func(in ...*nT) *nT { return tensor.AdaptiveAvgPool2d(in[0], s[0], s[1]) }, y)
		gradcheck(t, "adaptive_max_pool2d", func(in ...*nT) *nT {
			v, _ := tensor.AdaptiveMaxPool2d(in[0], s[0], s[1])
			return v
		}, x)
	}
	z, zd := tensor.Randn(2, 3, 9), nnfDistinct(2, 3, 9)
	gradcheck(t, "max_pool1d", func(in ...*nT) *nT {
		return tensor.MaxPool1d(in[0], tensor.MaxPool1dOptions{KernelSize: 3, Stride: 2, Padding: 1, Dilation: 2})
	}, zd)
	gradcheck(t, "avg_pool1d", func(in ...*nT) *nT {
		return tensor.AvgPool1d(in[0], tensor.AvgPool1dOptions{KernelSize: 3, Stride: 2, Padding: 1, CeilMode: true})
	}, z)
	gradcheck(t, "adaptive_avg_pool1d", func(in ...*nT) *nT { return tensor.AdaptiveAvgPool1d(in[0], 4) }, z)
	gradcheck(t, "adaptive_max_pool1d", func(in ...*nT) *nT {
		v, _ := tensor.AdaptiveMaxPool1d(in[0], 4)
		return v
	}, zd)
}

func TestNNFuncNormGradients(t *testing.T) {
	x4, x3, x2 := tensor.Randn(2, 3, 2, 3), tensor.Randn(3, 3, 4), tensor.Randn(4, 3)
	w, b := tensor.Randn(3), tensor.Randn(3)
	for _, x := range []*nT{x4, x3, x2} {
		gradcheck(t, "batch_norm/train", func(in ...*nT) *nT {
			return tensor.BatchNorm(in[0], nil, nil, in[1], in[2], true, 0.1, 1e-5)
		}, x, w, b)
		gradcheck(t, "batch_norm/train_noaffine", func(in ...*nT) *nT {
			return tensor.BatchNorm(in[0], tensor.Zeros(3), tensor.Ones(3), nil, nil, true, 0.1, 1e-5)
		}, x)
		rm, rv := tensor.Randn(3), tensor.Rand(3).AddScalar(0.5)
		gradcheck(t, "batch_norm/eval", func(in ...*nT) *nT {
			return tensor.BatchNorm(in[0], rm, rv, in[1], in[2], false, 0.1, 1e-5)
		}, x, w, b)
	}
	gradcheck(t, "batch_norm/weight_only", func(in ...*nT) *nT {
		return tensor.BatchNorm(in[0], nil, nil, in[1], nil, true, 0.1, 1e-5)
	}, x3, w)
	y := tensor.Randn(2, 3, 4)
	gradcheck(t, "layer_norm/last1", func(in ...*nT) *nT {
		return tensor.LayerNorm(in[0], []int{4}, in[1], in[2], 1e-5)
	}, y, tensor.Randn(4), tensor.Randn(4))
	gradcheck(t, "layer_norm/last2", func(in ...*nT) *nT {
		return tensor.LayerNorm(in[0], []int{3, 4}, in[1], in[2], 1e-5)
	}, y, tensor.Randn(3, 4), tensor.Randn(3, 4))
	gradcheck(t, "layer_norm/noaffine", func(in ...*nT) *nT { return tensor.LayerNorm(in[0], []int{4}, nil, nil, 1e-5) }, y)
	g := tensor.Randn(2, 4, 2, 3)
	gradcheck(t, "group_norm", func(in ...*nT) *nT { return tensor.GroupNorm(in[0], 2, in[1], in[2], 1e-5) },
		g, tensor.Randn(4), tensor.Randn(4))
	gradcheck(t, "group_norm/instance", func(in ...*nT) *nT { return tensor.GroupNorm(in[0], 4, nil, nil, 1e-5) }, g)
	gradcheck(t, "group_norm/3d", func(in ...*nT) *nT { return tensor.GroupNorm(in[0], 1, in[1], nil, 1e-5) },
		tensor.Randn(2, 4, 3), tensor.Randn(4))
}

func TestNNFuncOtherGradients(t *testing.T) {
	x := tensor.Randn(2, 3, 4)
	gradcheck(t, "dropout", func(in ...*nT) *nT {
		return tensor.Dropout(in[0], 0.4, true, tensor.NewGenerator(7))
	}, x)
	gradcheck(t, "dropout2d", func(in ...*nT) *nT {
		return tensor.Dropout2d(in[0], 0.5, true, tensor.NewGenerator(3))
	}, tensor.Randn(2, 4, 2, 2))
	idx := tensor.FromSlice([]int64{1, 3, 1, 0, 4, 1}, 2, 3)
	gradcheck(t, "embedding", func(in ...*nT) *nT { return tensor.Embedding(in[0], in[1], -1) }, idx, tensor.Randn(5, 3))
	// A padding row that is never looked up changes nothing. (One that is
	// gets no gradient by design, which finite differences cannot confirm;
	// the golden embedding_padding_grad case checks it against PyTorch.)
	gradcheck(t, "embedding/padding", func(in ...*nT) *nT { return tensor.Embedding(in[0], in[1], 2) }, idx, tensor.Randn(5, 3))
	im := tensor.Randn(1, 2, 3, 4)
	for name, o := range map[string]tensor.InterpolateOptions{
		"nearest_size":    {Size: []int{5, 7}},
		"nearest_down":    {Size: []int{2, 3}},
		"nearest_scale":   {ScaleFactor: []float64{1.5, 2.5}},
		"bilinear_size":   {Size: []int{5, 7}, Mode: "bilinear"},
		"bilinear_ac":     {Size: []int{5, 3}, Mode: "bilinear", AlignCorners: true},
		"bilinear_scale":  {ScaleFactor: []float64{1.7, 0.6}, Mode: "bilinear"},
		"bilinear_ac_sf":  {ScaleFactor: []float64{2}, Mode: "bilinear", AlignCorners: true},
		"bilinear_recomp": {ScaleFactor: []float64{1.7, 1.3}, Mode: "bilinear", RecomputeScaleFactor: true},
	} {
		gradcheck(t, "interpolate/"+name, func(in ...*nT) *nT { return tensor.Interpolate(in[0], o) }, im)
	}
}

// gradOf returns the gradient of f at inputs (those in diff, which must
// require grad) for the output gradient v, recorded so that it can be
// differentiated again.
func nnfGradOf(f func(in ...*nT) *nT, in []*nT, diff int, v *nT) *nT {
	var g *nT
	autograd.EnableGrad(func() {
		y := f(in...)
		g = autograd.Grad([]*nT{y}, []*nT{in[diff]}, autograd.GradOptions{GradOutputs: []*nT{v}, CreateGraph: true, AllowUnused: true})[0]
	})
	return g
}

// gradgradcheck checks second derivatives: the gradient of f with respect
// to input diff, as a function of the inputs and of the output gradient v,
// must itself pass gradcheck.
func nnfGradgradcheck(t *testing.T, name string, f func(in ...*nT) *nT, diff int, inputs ...*nT) {
	t.Helper()
	var out *nT
	autograd.NoGrad(func() { out = f(inputs...) })
	v := tensor.Randn(out.Shape()...)
	all := append(append([]*nT{}, inputs...), v)
	gradcheck(t, name, func(in ...*nT) *nT {
		return nnfGradOf(f, in[:len(in)-1], diff, in[len(in)-1])
	}, all...)
}

func TestNNFuncDoubleBackward(t *testing.T) {
	x := nnfDistinct(1, 2, 4, 5)
	y := tensor.Randn(1, 2, 4, 5)
	nnfGradgradcheck(t, "max_pool2d", func(in ...*nT) *nT {
		return tensor.MaxPool2d(in[0], tensor.MaxPool2dOptions{KernelSize: []int{3, 2}, Stride: []int{1, 2}, Padding: []int{1}})
	}, 0, x)
	nnfGradgradcheck(t, "avg_pool2d", func(in ...*nT) *nT {
		return tensor.AvgPool2d(in[0], tensor.AvgPool2dOptions{KernelSize: []int{3}, Stride: []int{2, 1}, Padding: []int{1}, ExcludePad: true})
	}, 0, y)
	nnfGradgradcheck(t, "adaptive_avg_pool2d", func(in ...*nT) *nT { return tensor.AdaptiveAvgPool2d(in[0], 3, 3) }, 0, y)
	nnfGradgradcheck(t, "adaptive_max_pool2d", func(in ...*nT) *nT {
		v, _ := tensor.AdaptiveMaxPool2d(in[0], 3, 2)
		return v
	}, 0, x)
	nnfGradgradcheck(t, "nearest", func(in ...*nT) *nT {
		return tensor.Interpolate(in[0], tensor.InterpolateOptions{Size: []int{6, 3}})
	}, 0, y)
	nnfGradgradcheck(t, "bilinear", func(in ...*nT) *nT {
		return tensor.Interpolate(in[0], tensor.InterpolateOptions{Size: []int{6, 3}, Mode: "bilinear"})
	}, 0, y)
	idx := tensor.FromSlice([]int32{1, 3, 1, 0}, 4)
	nnfGradgradcheck(t, "embedding", func(in ...*nT) *nT { return tensor.Embedding(in[0], in[1], 3) }, 1, idx, tensor.Randn(4, 2))
	nnfGradgradcheck(t, "dropout", func(in ...*nT) *nT { return tensor.Dropout(in[0], 0.5, true, tensor.NewGenerator(1)) }, 0, y)

	bx, w, b := tensor.Randn(3, 2, 2), tensor.Randn(2), tensor.Randn(2)
	rm, rv := tensor.Randn(2), tensor.Rand(2).AddScalar(0.5)
	for _, training := range []bool{true, false} {
		bn := func(in ...*nT) *nT { return tensor.BatchNorm(in[0], rm, rv, in[1], in[2], training, 0.1, 1e-5) }
		for d := range 3 {
			nnfGradgradcheck(t, "batch_norm", bn, d, bx, w, b)
		}
	}
	lx := tensor.Randn(2, 2, 3)
	ln := func(in ...*nT) *nT { return tensor.LayerNorm(in[0], []int{2, 3}, in[1], in[2], 1e-5) }
	gx := tensor.Randn(2, 4, 3)
	gn := func(in ...*nT) *nT { return tensor.GroupNorm(in[0], 2, in[1], in[2], 1e-5) }
	for d := range 3 {
		nnfGradgradcheck(t, "layer_norm", ln, d, lx, tensor.Randn(2, 3), tensor.Randn(2, 3))
		nnfGradgradcheck(t, "group_norm", gn, d, gx, tensor.Randn(4), tensor.Randn(4))
	}
}

// TestNNFuncNormBackwardPaths checks that the kernel backward (plain
// Backward) and the composite one (CreateGraph) agree.
func TestNNFuncNormBackwardPaths(t *testing.T) {
	x, w, b := tensor.Randn(3, 4, 5), tensor.Randn(4), tensor.Randn(4)
	rm, rv := tensor.Randn(4), tensor.Rand(4).AddScalar(0.5)
	for name, f := range map[string]func(in ...*nT) *nT{
		"batch_norm_train": func(in ...*nT) *nT { return tensor.BatchNorm(in[0], nil, nil, in[1], in[2], true, 0.1, 1e-5) },
		"batch_norm_eval":  func(in ...*nT) *nT { return tensor.BatchNorm(in[0], rm, rv, in[1], in[2], false, 0.1, 1e-5) },
		"group_norm":       func(in ...*nT) *nT { return tensor.GroupNorm(in[0], 2, in[1], in[2], 1e-5) },
		"layer_norm": func(in ...*nT) *nT {
			return tensor.LayerNorm(in[0].Permute(0, 2, 1), []int{4}, in[1], in[2], 1e-5)
		},
	} {
		in := []*nT{x.Detach().SetRequiresGrad(true), w.Detach().SetRequiresGrad(true), b.Detach().SetRequiresGrad(true)}
		y := f(in...)
		v := tensor.Randn(y.Shape()...)
		fast := autograd.Grad([]*nT{y}, in, autograd.GradOptions{GradOutputs: []*nT{v}})
		y = f(in...)
		slow := autograd.Grad([]*nT{y}, in, autograd.GradOptions{GradOutputs: []*nT{v}, CreateGraph: true})
		for i := range in {
			a, c := fast[i].ToFloat64s(), slow[i].ToFloat64s()
			for j := range a {
				if math.Abs(a[j]-c[j]) > 1e-4*(1+math.Abs(a[j])) {
					t.Fatalf("%s: gradient %d element %d: kernel %v, composite %v", name, i, j, a[j], c[j])
				}
			}
		}
	}
}

func TestNNFuncMaxPoolValuesMatchIndices(t *testing.T) {
	x := tensor.Randn(2, 3, 7, 6)
	o := tensor.MaxPool2dOptions{KernelSize: []int{3, 2}, Stride: []int{2, 1}, Padding: []int{1}, CeilMode: true}
	v := tensor.MaxPool2d(x, o)
	v2, idx := tensor.MaxPool2dWithIndices(x, o)
	if idx.DType() != tensor.Int64 {
		t.Fatalf("indices dtype %v", idx.DType())
	}
	a, b, id := v.ToFloat32s(), v2.ToFloat32s(), idx.ToInt64s()
	xs := x.Reshape(6, 42).ToFloat32s()
	for i := range a {
		plane := i / (v.Size(2) * v.Size(3))
		if a[i] != b[i] || a[i] != xs[plane*42+int(id[i])] {
			t.Fatalf("element %d: %v, %v, x[idx]=%v", i, a[i], b[i], xs[plane*42+int(id[i])])
		}
	}
}

// TestNNFuncFloat16 checks that float16 inputs compute in float32 and come
// back as float16.
func TestNNFuncFloat16(t *testing.T) {
	x := tensor.Randn(2, 4, 5, 6)
	h := x.To(tensor.Float16)
	xr := h.Float() // the float16-rounded values
	for name, f := range map[string]func(*nT) *nT{
		"max_pool2d": func(x *nT) *nT { return tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: []int{2}}) },
		"avg_pool2d": func(x *nT) *nT {
			return tensor.AvgPool2d(x, tensor.AvgPool2dOptions{KernelSize: []int{3}, Padding: []int{1}})
		},
		"adaptive":   func(x *nT) *nT { return tensor.AdaptiveAvgPool2d(x, 3, 4) },
		"batch_norm": func(x *nT) *nT { return tensor.BatchNorm(x, nil, nil, nil, nil, true, 0.1, 1e-5) },
		"layer_norm": func(x *nT) *nT { return tensor.LayerNorm(x, []int{6}, nil, nil, 1e-5) },
		"group_norm": func(x *nT) *nT { return tensor.GroupNorm(x, 2, nil, nil, 1e-5) },
		"bilinear": func(x *nT) *nT {
			return tensor.Interpolate(x, tensor.InterpolateOptions{Size: []int{7, 9}, Mode: "bilinear"})
		},
	} {
		got := f(h)
		if got.DType() != tensor.Float16 {
			t.Fatalf("%s: dtype %v, want float16", name, got.DType())
		}
		want := f(xr).ToFloat64s()
		for i, g := range got.ToFloat64s() {
			if math.Abs(g-want[i]) > 2e-3*(1+math.Abs(want[i])) {
				t.Fatalf("%s: element %d is %v, want %v", name, i, g, want[i])
			}
		}
	}
}

func TestNNFuncBatchNormRunningStats(t *testing.T) {
	// Float64 running statistics for a float32 input, held in
	// non-contiguous views, with the default momentum.
	x := tensor.Randn(5, 2, 3)
	buf := tensor.Empty(tensor.Float64, 2, 2)
	rm := buf.Select(1, 0).Fill_(1)
	rv := buf.Select(1, 1).Fill_(2)
	tensor.BatchNorm(x, rm, rv, nil, nil, true, 0.25, 1e-5)
	xs := x.Permute(1, 0, 2).Reshape(2, 15).ToFloat64s()
	for c := range 2 {
		var m, q float64
		for _, v := range xs[c*15 : (c+1)*15] {
			m += v
		}
		m /= 15
		for _, v := range xs[c*15 : (c+1)*15] {
			q += (v - m) * (v - m)
		}
		wantM, wantV := 0.75*1+0.25*m, 0.75*2+0.25*q/14
		if math.Abs(rm.At(c)-wantM) > 1e-6 || math.Abs(rv.At(c)-wantV) > 1e-6 {
			t.Fatalf("channel %d: running stats %v %v, want %v %v", c, rm.At(c), rv.At(c), wantM, wantV)
		}
	}
	// Evaluation leaves them alone.
	before := buf.ToFloat64s()
	tensor.BatchNorm(x, rm, rv, nil, nil, false, 0.25, 1e-5)
	for i, v := range buf.ToFloat64s() {
		if v != before[i] {
			t.Fatal("evaluation changed the running statistics")
		}
	}
}

func TestNNFuncDropout(t *testing.T) {
	const n = 20000
	p := 0.3
	x := tensor.Ones(n).SetRequiresGrad(true)
	y := tensor.Dropout(x, p, true, tensor.NewGenerator(42))
	y.Sum().Backward()
	ys, gs := y.ToFloat64s(), x.Grad().ToFloat64s()
	zeros, sum := 0, 0.0
	for i, v := range ys {
		switch {
		case v == 0:
			zeros++
		case math.Abs(v-1/(1-p)) > 1e-6:
			t.Fatalf("element %d is %v, want 0 or %v", i, v, 1/(1-p))
		}
		sum += v
		if gs[i] != v { // the input is 1, so the gradient equals the output
			t.Fatalf("element %d: gradient %v does not use the forward mask (output %v)", i, gs[i], v)
		}
	}
	// 5 standard deviations of the binomial fraction.
	sd := math.Sqrt(p * (1 - p) / n)
	if f := float64(zeros) / n; math.Abs(f-p) > 5*sd {
		t.Errorf("zeroed fraction %v, want %v ± %v", f, p, 5*sd)
	}
	if m := sum / n; math.Abs(m-1) > 5*sd/(1-p) {
		t.Errorf("mean %v, want 1 (mean preserved)", m)
	}
	// Same seed, same mask; a different seed, another mask.
	a := tensor.Dropout(tensor.Ones(100), 0.5, true, tensor.NewGenerator(1)).ToFloat32s()
	b := tensor.Dropout(tensor.Ones(100), 0.5, true, tensor.NewGenerator(1)).ToFloat32s()
	c := tensor.Dropout(tensor.Ones(100), 0.5, true, tensor.NewGenerator(2)).ToFloat32s()
	same, diff := true, false
	for i := range a {
		same = same && a[i] == b[i]
		diff = diff || a[i] != c[i]
	}
	if !same || !diff {
		t.Errorf("seeded masks: same seed equal %v, different seed differs %v", same, diff)
	}
	// The default generator follows ManualSeed.
	tensor.ManualSeed(5)
	d1 := tensor.Dropout(tensor.Ones(50), 0.5, true, nil).ToFloat32s()
	tensor.ManualSeed(5)
	d2 := tensor.Dropout(tensor.Ones(50), 0.5, true, nil).ToFloat32s()
	for i := range d1 {
		if d1[i] != d2[i] {
			t.Fatal("nil generator does not use the default generator")
		}
	}
	// Evaluation and p = 0 return the input; p = 1 zeroes it.
	z := tensor.Randn(3, 4)
	if tensor.Dropout(z, 0.5, false, nil) != z || tensor.Dropout(z, 0, true, nil) != z {
		t.Error("dropout in evaluation or with p=0 is not the identity")
	}
	zr := z.Detach().SetRequiresGrad(true)
	out := tensor.Dropout(zr, 1, true, nil)
	out.Sum().Backward()
	for i, v := range out.ToFloat64s() {
		if v != 0 || zr.Grad().ToFloat64s()[i] != 0 {
			t.Fatal("p=1 does not zero the output and gradient")
		}
	}
}

func TestNNFuncDropout2d(t *testing.T) {
	const n, c = 50, 40
	p := 0.4
	y := tensor.Dropout2d(tensor.Ones(n, c, 2, 3), p, true, tensor.NewGenerator(9))
	ys := y.ToFloat64s()
	zeros := 0
	for ch := range n * c {
		plane := ys[ch*6 : (ch+1)*6]
		for _, v := range plane {
			if v != plane[0] {
				t.Fatalf("channel %d is not dropped as a whole: %v", ch, plane)
			}
		}
		switch {
		case plane[0] == 0:
			zeros++
		case math.Abs(plane[0]-1/(1-p)) > 1e-6:
			t.Fatalf("channel %d has value %v", ch, plane[0])
		}
	}
	sd := math.Sqrt(p * (1 - p) / (n * c))
	if f := float64(zeros) / (n * c); math.Abs(f-p) > 5*sd {
		t.Errorf("zeroed channel fraction %v, want %v ± %v", f, p, 5*sd)
	}
	u := tensor.Dropout2d(tensor.Ones(30, 2, 2), 0.5, true, tensor.NewGenerator(1))
	if s := u.Shape(); len(s) != 3 {
		t.Fatalf("unbatched shape %v", s)
	}
}

func TestNNFuncPanics(t *testing.T) {
	x := tensor.Randn(1, 2, 5, 5)
	k2 := []int{2}
	mustPanic(t, "max_pool2d: expected a 3-D [C, H, W] or 4-D", func() { tensor.MaxPool2d(tensor.Randn(5, 5), tensor.MaxPool2dOptions{KernelSize: k2}) })
	mustPanic(t, "max_pool2d: pad should be at most half of kernel size", func() {
		tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: k2, Padding: []int{2, 0}})
	})
	mustPanic(t, "max_pool2d: KernelSize must be set (it has no default)", func() { tensor.MaxPool2d(x, tensor.MaxPool2dOptions{}) })
	mustPanic(t, "max_pool2d: Stride must be positive, got [1 -1]", func() {
		tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: k2, Stride: []int{1, -1}})
	})
	mustPanic(t, "max_pool2d: Dilation must be positive, got [0 1]", func() {
		tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: k2, Dilation: []int{0, 1}})
	})
	mustPanic(t, "max_pool2d: input of shape [1 2 5 5] gives output size 0x0, which is too small", func() {
		tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: []int{6}})
	})
	mustPanic(t, "max_pool2d: expected a floating-point input, got int64", func() {
		tensor.MaxPool2d(tensor.Zeros(1, 1, 4, 4).Long(), tensor.MaxPool2dOptions{KernelSize: k2})
	})
	mustPanic(t, "max_pool2d: expected non-empty", func() {
		tensor.MaxPool2d(tensor.Zeros(1, 0, 4, 4), tensor.MaxPool2dOptions{KernelSize: k2})
	})
	mustPanic(t, "max_pool1d: expected a 2-D [C, L] or 3-D [N, C, L] input", func() {
		tensor.MaxPool1d(x, tensor.MaxPool1dOptions{KernelSize: 2})
	})
	mustPanic(t, "avg_pool2d: DivisorOverride must be positive, got -1", func() {
		tensor.AvgPool2d(x, tensor.AvgPool2dOptions{KernelSize: k2, DivisorOverride: -1})
	})
	mustPanic(t, "avg_pool1d: pad should be at most half", func() {
		tensor.AvgPool1d(tensor.Randn(2, 6), tensor.AvgPool1dOptions{KernelSize: 2, Padding: 2})
	})
	mustPanic(t, "adaptive_avg_pool2d: output size must be positive", func() { tensor.AdaptiveAvgPool2d(x, 0, 2) })
	mustPanic(t, "adaptive_max_pool2d: expected a 3-D", func() { tensor.AdaptiveMaxPool2d(tensor.Randn(2, 3), 1, 1) })

	mustPanic(t, "batch_norm: expected more than 1 value per channel when training, got input of shape [1 3]", func() {
		tensor.BatchNorm(tensor.Randn(1, 3), nil, nil, nil, nil, true, 0.1, 1e-5)
	})
	mustPanic(t, "batch_norm: running_mean and running_var must be defined in evaluation mode", func() {
		tensor.BatchNorm(tensor.Randn(4, 3), nil, nil, nil, nil, false, 0.1, 1e-5)
	})
	mustPanic(t, "batch_norm: weight must be a floating-point tensor of shape [3]", func() {
		tensor.BatchNorm(tensor.Randn(4, 3), nil, nil, tensor.Ones(4), nil, true, 0.1, 1e-5)
	})
	mustPanic(t, "batch_norm: expected an input of at least 2 dimensions", func() {
		tensor.BatchNorm(tensor.Randn(4), nil, nil, nil, nil, true, 0.1, 1e-5)
	})
	mustPanic(t, "batch_norm: running_mean and running_var must be given together", func() {
		tensor.BatchNorm(tensor.Randn(4, 3), tensor.Zeros(3), nil, nil, nil, true, 0.1, 1e-5)
	})
	mustPanic(t, "layer_norm: normalized_shape [5] does not match the last dimensions of input of shape [2 5 3]", func() {
		tensor.LayerNorm(tensor.Randn(2, 5, 3), []int{5}, nil, nil, 1e-5)
	})
	mustPanic(t, "layer_norm: normalized_shape must have at least one dimension", func() {
		tensor.LayerNorm(tensor.Randn(2, 5), nil, nil, nil, 1e-5)
	})
	mustPanic(t, "layer_norm: weight and bias must be floating-point tensors of shape [5]", func() {
		tensor.LayerNorm(tensor.Randn(2, 5), []int{5}, tensor.Ones(2, 5), nil, 1e-5)
	})
	mustPanic(t, "group_norm: expected the number of channels of input of shape [2 5 3] to be divisible by num_groups=2", func() {
		tensor.GroupNorm(tensor.Randn(2, 5, 3), 2, nil, nil, 1e-5)
	})
	mustPanic(t, "group_norm: expected the number of channels", func() { tensor.GroupNorm(tensor.Randn(2, 4), 0, nil, nil, 1e-5) })
	mustPanic(t, "group_norm: weight and bias must be floating-point tensors of shape [4]", func() {
		tensor.GroupNorm(tensor.Randn(2, 4), 2, nil, tensor.Ones(2), 1e-5)
	})

	w := tensor.Randn(5, 3)
	mustPanic(t, "embedding: index 5 out of range for weight of 5 rows", func() {
		tensor.Embedding(tensor.FromSlice([]int64{1, 5}), w, -1)
	})
	mustPanic(t, "embedding: index -1 out of range", func() { tensor.Embedding(tensor.FromSlice([]int32{-1}), w, -1) })
	mustPanic(t, "embedding: indices must be int64 or int32, got float32", func() { tensor.Embedding(tensor.Ones(2), w, -1) })
	mustPanic(t, "embedding: weight must be a 2-D floating-point tensor", func() {
		tensor.Embedding(tensor.FromSlice([]int64{1}), tensor.Ones(5), -1)
	})
	mustPanic(t, "embedding: padding_idx 5 out of range for 5 embeddings", func() {
		tensor.Embedding(tensor.FromSlice([]int64{1}), w, 5)
	})

	im := tensor.Randn(1, 1, 3, 3)
	mustPanic(t, "interpolate: exactly one of Size or ScaleFactor should be set", func() {
		tensor.Interpolate(im, tensor.InterpolateOptions{Size: []int{2}, ScaleFactor: []float64{2}})
	})
	mustPanic(t, "interpolate: exactly one of Size or ScaleFactor", func() { tensor.Interpolate(im, tensor.InterpolateOptions{}) })
	mustPanic(t, "interpolate: exactly one of Size or ScaleFactor", func() {
		tensor.Interpolate(im, tensor.InterpolateOptions{Size: []int{}, ScaleFactor: []float64{}})
	})
	mustPanic(t, "interpolate: RecomputeScaleFactor is not meaningful with an explicit Size", func() {
		tensor.Interpolate(im, tensor.InterpolateOptions{Size: []int{4}, RecomputeScaleFactor: true})
	})
	mustPanic(t, "interpolate: align_corners option can only be set with the interpolating modes", func() {
		tensor.Interpolate(im, tensor.InterpolateOptions{ScaleFactor: []float64{2}, AlignCorners: true})
	})
	mustPanic(t, `interpolate: unsupported mode "bicubic"`, func() {
		tensor.Interpolate(im, tensor.InterpolateOptions{ScaleFactor: []float64{2}, Mode: "bicubic"})
	})
	mustPanic(t, "interpolate: expected a 4-D input", func() {
		tensor.Interpolate(tensor.Randn(1, 3, 3), tensor.InterpolateOptions{Size: []int{2}})
	})
	mustPanic(t, "interpolate: input and output sizes should be greater than 0, but got input (H: 3, W: 3) output (H: 0, W: 0)", func() {
		tensor.Interpolate(im, tensor.InterpolateOptions{ScaleFactor: []float64{0.2}})
	})
	mustPanic(t, "interpolate: ScaleFactor must be positive and finite, got [-2 2]", func() {
		tensor.Interpolate(im, tensor.InterpolateOptions{ScaleFactor: []float64{-2, 2}})
	})
	mustPanic(t, "interpolate: Size must be positive, got [0 4]", func() {
		tensor.Interpolate(im, tensor.InterpolateOptions{Size: []int{0, 4}})
	})

	mustPanic(t, "dropout: dropout probability has to be between 0 and 1, but got 1.5", func() { tensor.Dropout(x, 1.5, true, nil) })
	mustPanic(t, "dropout: dropout probability has to be between 0 and 1, but got -0.1", func() { tensor.Dropout(x, -0.1, false, nil) })
	mustPanic(t, "dropout: expected a floating-point input, got int64", func() { tensor.Dropout(x.Long(), 0.5, true, nil) })
	mustPanic(t, "dropout2d: expected a 3-D [C, H, W] or 4-D", func() { tensor.Dropout2d(tensor.Randn(3, 3), 0.5, true, nil) })
}

func TestUpsampleIsInterpolate(t *testing.T) {
	x := tensor.Randn(1, 2, 3, 4)
	for _, o := range []tensor.InterpolateOptions{
		{ScaleFactor: []float64{2}},
		{Size: []int{5, 7}, Mode: "bilinear", AlignCorners: true},
	} {
		if !tensor.Equal(tensor.Upsample(x, o), tensor.Interpolate(x, o)) {
			t.Fatalf("Upsample(%+v) differs from Interpolate", o)
		}
	}
	if got := tensor.Upsample(x, tensor.InterpolateOptions{ScaleFactor: []float64{2}}).Shape(); !slices.Equal(got, []int{1, 2, 6, 8}) {
		t.Fatalf("shape %v", got)
	}
}
