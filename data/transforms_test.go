package data

import (
	"math"
	"strings"
	"testing"

	"github.com/emberml/ember/internal/golden"
	"github.com/emberml/ember/tensor"
)

// transformsGolden loads the torchvision golden cases by name.
func transformsGolden(t *testing.T) map[string]golden.Case {
	t.Helper()
	m := map[string]golden.Case{}
	for _, c := range golden.Load(t, "testdata/transforms.json") {
		m[c.Name] = c
	}
	return m
}

// mustPanic runs f and returns its panic message, failing t when f does not
// panic or the message lacks any of want.
func mustPanic(t *testing.T, f func(), want ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		p := recover()
		if p == nil {
			t.Fatalf("no panic, want one mentioning %q", want)
		}
		msg, _ := p.(string)
		if e, ok := p.(error); ok {
			msg = e.Error()
		}
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Fatalf("panic %q does not mention %q", msg, w)
			}
		}
	}()
	f()
}

func TestNormalizeGolden(t *testing.T) {
	cases := transformsGolden(t)
	for _, name := range []string{"normalize_rgb", "normalize_mnist", "normalize_batch", "normalize_f64"} {
		c := cases[name]
		x := c.T("x")
		got := Normalize{Mean: c.Floats("mean"), Std: c.Floats("std")}.Apply(x)
		if got.DType() != x.DType() {
			t.Fatalf("%s: dtype %v, want %v", name, got.DType(), x.DType())
		}
		// torchvision computes (x - mean) / std in the image's dtype; so do we.
		golden.Close(t, name, got, c.T("y"), 0, 0)
		if !tensor.Equal(x, c.T("x")) {
			t.Fatalf("%s: Normalize modified its input", name)
		}
	}
}

func TestNormalizeMisuse(t *testing.T) {
	img := tensor.Rand(3, 4, 4)
	mustPanic(t, func() {
		Normalize{Mean: []float64{0.5}, Std: []float64{0.5}}.Apply(tensor.Empty(tensor.Uint8, 1, 2, 2))
	},
		"data.Normalize", "float", "[1 2 2]")
	mustPanic(t, func() { Normalize{Mean: []float64{0.5, 0.5}, Std: []float64{1}}.Apply(img) }, "data.Normalize", "mean has 2 values", "3 channels")
	mustPanic(t, func() { Normalize{Mean: []float64{0}, Std: []float64{1, 0, 1}}.Apply(img) }, "data.Normalize", "zero")
	mustPanic(t, func() { Normalize{Mean: []float64{0}, Std: []float64{1}}.Apply(tensor.Rand(4, 4)) }, "data.Normalize", "[4 4]")
}

func TestToTensor(t *testing.T) {
	c := transformsGolden(t)["to_tensor"]
	got := ToTensor{}.Apply(c.T("x"))
	if got.DType() != tensor.Float32 {
		t.Fatalf("ToTensor gives %v, want float32", got.DType())
	}
	golden.Close(t, "to_tensor", got, c.T("y"), 0, 0)

	hw := tensor.FromSlice([]uint8{0, 51, 255, 128}, 2, 2)
	got = ToTensor{}.Apply(hw)
	if want := []int{1, 2, 2}; !equalInts(got.Shape(), want) {
		t.Fatalf("ToTensor of [2 2]: shape %v, want %v", got.Shape(), want)
	}
	if v := got.ToFloat32s(); v[0] != 0 || v[1] != 0.2 || v[2] != 1 || v[3] != float32(128)/255 {
		t.Fatalf("ToTensor values %v", v)
	}
	f := tensor.Rand(1, 2, 2)
	if (ToTensor{}).Apply(f) != f {
		t.Fatal("ToTensor changed a float image")
	}
	mustPanic(t, func() { ToTensor{}.Apply(tensor.Zeros(2).Long()) }, "data.ToTensor", "int64")
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCompose(t *testing.T) {
	tf := Compose{ToTensor{}, Normalize{Mean: []float64{0.5}, Std: []float64{0.5}}}
	x := tensor.FromSlice([]uint8{0, 255, 51, 204}, 1, 2, 2)
	got := tf.Apply(x).ToFloat32s()
	want := []float32{-1, 1, (0.2 - 0.5) / 0.5, (0.8 - 0.5) / 0.5}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("Compose: got %v, want %v", got, want)
		}
	}
	if !tf.Batchable() {
		t.Fatal("Compose{ToTensor, Normalize} should be batchable")
	}
	if (Compose{ToTensor{}, RandomCrop{Size: []int{2}}}).Batchable() {
		t.Fatal("a Compose holding RandomCrop is not batchable")
	}
	double := TransformFunc(func(x *tensor.Tensor) *tensor.Tensor { return x.MulScalar(2) })
	if transformBatchable(double) {
		t.Fatal("a TransformFunc is not batchable")
	}
	if v := (Compose{double, double}).Apply(tensor.Ones(1)).Item(); v != 4 {
		t.Fatalf("Compose of two doublings gives %v", v)
	}
}

func TestPadImageGolden(t *testing.T) {
	for name, c := range transformsGolden(t) {
		if !strings.HasPrefix(name, "pad_") {
			continue
		}
		p := c.Ints("pad")
		got := PadImage(c.T("x"), p[0], p[1], p[2], p[3], c.String("mode"), c.Float("fill"))
		golden.Close(t, name, got, c.T("y"), 0, 0)
	}
	mustPanic(t, func() { PadImage(tensor.Rand(1, 3, 3), 3, 0, 0, 0, "reflect", 0) }, "data.PadImage", "reflect", "too large")
	mustPanic(t, func() { PadImage(tensor.Rand(1, 3, 3), 1, 0, 0, 0, "wrap", 0) }, "data.PadImage", "wrap")
	mustPanic(t, func() { PadImage(tensor.Rand(1, 3, 3), -1, 0, 0, 0, "", 0) }, "data.PadImage", "negative")
}

func TestRandomCrop(t *testing.T) {
	img := tensor.Arange(0, 5*6, 1).Reshape(1, 5, 6)
	g := tensor.NewGenerator(3)
	rc := RandomCrop{Size: []int{3, 4}, Generator: g}
	counts := map[[2]int]int{}
	const n = 3000
	for range n {
		out := rc.Apply(img)
		if !equalInts(out.Shape(), []int{1, 3, 4}) {
			t.Fatalf("crop shape %v", out.Shape())
		}
		// The crop is a window of the image: its top-left element tells where.
		v := int(out.At(0, 0, 0))
		i, j := v/6, v%6
		for r := range 3 {
			for c := range 4 {
				if out.At(0, r, c) != img.At(0, i+r, j+c) {
					t.Fatalf("crop at (%d, %d) is not a window of the image", i, j)
				}
			}
		}
		counts[[2]int{i, j}]++
	}
	// Every one of the 3×3 positions, about equally often.
	if len(counts) != 9 {
		t.Fatalf("crop positions %v, want all 9", counts)
	}
	for p, k := range counts {
		if math.Abs(float64(k)-n/9) > 5*math.Sqrt(n/9) {
			t.Fatalf("position %v drawn %d times of %d, want about %d", p, k, n, n/9)
		}
	}
	// Seeded: the same generator seed gives the same crops.
	a := RandomCrop{Size: []int{3}, Generator: tensor.NewGenerator(9)}
	b := RandomCrop{Size: []int{3}, Generator: tensor.NewGenerator(9)}
	for range 20 {
		if !tensor.Equal(a.Apply(img), b.Apply(img)) {
			t.Fatal("RandomCrop with equal seeds differs")
		}
	}
}

func TestRandomCropPadding(t *testing.T) {
	img := tensor.Ones(1, 28, 28)
	rc := RandomCrop{Size: []int{28}, Padding: []int{4}, Generator: tensor.NewGenerator(1)}
	sawPad := false
	for range 50 {
		out := rc.Apply(img)
		if !equalInts(out.Shape(), []int{1, 28, 28}) {
			t.Fatalf("shape %v", out.Shape())
		}
		s := out.Sum().Item()
		if s < 28*28-(8*28+8*28) || s > 28*28 {
			t.Fatalf("crop of a padded image holds %v ones", s)
		}
		if s < 28*28 {
			sawPad = true
		}
	}
	if !sawPad {
		t.Fatal("no crop reached into the padding")
	}
	// PadIfNeeded grows a small image to the crop size.
	out := RandomCrop{Size: []int{4, 6}, PadIfNeeded: true, Fill: 7}.Apply(tensor.Zeros(2, 3, 3))
	if !equalInts(out.Shape(), []int{2, 4, 6}) {
		t.Fatalf("PadIfNeeded shape %v", out.Shape())
	}
	mustPanic(t, func() { RandomCrop{Size: []int{4}}.Apply(tensor.Zeros(1, 3, 3)) }, "data.RandomCrop", "(4, 4)", "(3, 3)")
	mustPanic(t, func() { RandomCrop{}.Apply(tensor.Zeros(1, 3, 3)) }, "data.RandomCrop", "Size")
	mustPanic(t, func() { RandomCrop{Size: []int{2}, Padding: []int{1, 2, 3}}.Apply(tensor.Zeros(1, 3, 3)) }, "data.RandomCrop", "Padding")
}

func TestAffineGolden(t *testing.T) {
	for name, c := range transformsGolden(t) {
		if !strings.HasPrefix(name, "affine_") {
			continue
		}
		tr, sh := c.Floats("translate"), c.Floats("shear")
		p := AffineParams{Angle: c.Float("angle"), Translate: [2]float64{tr[0], tr[1]}, Scale: c.Float("scale"),
			Shear: [2]float64{sh[0], sh[1]}}
		o := AffineOptions{Interpolation: c.String("interpolation"), Fill: c.Floats("fill")}
		if ctr := c.Floats("center"); len(ctr) > 0 {
			o.Center = ctr
		}
		got := Affine(c.T("x"), p, o)
		want := c.T("y")
		if got.DType() != want.DType() {
			t.Fatalf("%s: dtype %v, want %v", name, got.DType(), want.DType())
		}
		if o.Interpolation == "nearest" {
			// Exact: the grid is computed in float32 as torchvision does, so
			// ties between two pixels (common: sin 30° = 1/2) break the same way.
			g, w := got.ToFloat64s(), want.ToFloat64s()
			bad := 0
			for i := range g {
				if g[i] != w[i] {
					bad++
				}
			}
			if bad > 0 {
				t.Fatalf("%s: %d of %d pixels differ from torchvision", name, bad, len(g))
			}
			continue
		}
		golden.Close(t, name, got, want, 0, 1e-5)
	}
}

func TestAffineRot90(t *testing.T) {
	img := tensor.Rand(2, 3, 6, 6)
	// F.affine turns clockwise: 90 degrees is rot90 with k=-1, the
	// transpose of the last two dimensions followed by a flip of the last.
	want := img.Transpose(2, 3).Flip(3)
	for _, interp := range []string{"nearest", "bilinear"} {
		got := Affine(img, AffineParams{Angle: 90}, AffineOptions{Interpolation: interp})
		golden.Close(t, "rot90 "+interp, got, want, 0, 1e-5)
	}
	// Odd sizes and a uint8 image too.
	u := tensor.RandInt(0, 256, 1, 5, 5).To(tensor.Uint8)
	got := Affine(u, AffineParams{Angle: -90}, AffineOptions{})
	if !tensor.Equal(got, u.Transpose(1, 2).Flip(1)) {
		t.Fatalf("rotation by -90 of a uint8 image:\n%v\nwant\n%v", got, u.Transpose(1, 2).Flip(1))
	}
}

func TestRandomAffineIdentity(t *testing.T) {
	img := tensor.Rand(3, 7, 9)
	for _, interp := range []string{"nearest", "bilinear"} {
		ra := RandomAffine{Degrees: []float64{0}, Translate: []float64{0, 0}, AffineOptions: AffineOptions{Interpolation: interp}}
		golden.Close(t, "identity "+interp, ra.Apply(img), img, 0, 1e-6)
		golden.Close(t, "zero value "+interp, RandomAffine{}.Apply(img), img, 0, 1e-6)
	}
	u := tensor.RandInt(0, 256, 1, 4, 4).To(tensor.Uint8)
	if !tensor.Equal(RandomAffine{}.Apply(u), u) {
		t.Fatal("identity affine changed a uint8 image")
	}
}

func TestRandomAffineParams(t *testing.T) {
	ra := RandomAffine{Degrees: []float64{10, 30}, Translate: []float64{0.1, 0.25}, Scale: []float64{0.9, 1.1},
		Shear: []float64{-5, 5, 2, 4}, Generator: tensor.NewGenerator(11)}
	const n = 4000
	w, h := 28, 20
	var sumA, sumS float64
	txs, tys := map[float64]int{}, map[float64]int{}
	for range n {
		p := ra.Params(w, h)
		if p.Angle < 10 || p.Angle >= 30 {
			t.Fatalf("angle %v outside [10, 30)", p.Angle)
		}
		if p.Scale < 0.9 || p.Scale >= 1.1 {
			t.Fatalf("scale %v outside [0.9, 1.1)", p.Scale)
		}
		if p.Shear[0] < -5 || p.Shear[0] >= 5 || p.Shear[1] < 2 || p.Shear[1] >= 4 {
			t.Fatalf("shear %v outside the ranges", p.Shear)
		}
		// Translations are whole pixels within ±fraction·size (2.8 and 5).
		for _, v := range p.Translate {
			if v != math.Round(v) {
				t.Fatalf("translation %v is not a whole number of pixels", p.Translate)
			}
		}
		if math.Abs(p.Translate[0]) > 3 || math.Abs(p.Translate[1]) > 5 {
			t.Fatalf("translation %v outside (±2.8, ±5)", p.Translate)
		}
		txs[p.Translate[0]]++
		tys[p.Translate[1]]++
		sumA += p.Angle
		sumS += p.Scale
	}
	if m := sumA / n; math.Abs(m-20) > 0.5 {
		t.Fatalf("mean angle %v, want about 20", m)
	}
	if m := sumS / n; math.Abs(m-1) > 0.005 {
		t.Fatalf("mean scale %v, want about 1", m)
	}
	if len(txs) != 7 || len(tys) != 11 {
		t.Fatalf("translations drawn: x %v, y %v; want -3..3 and -5..5", txs, tys)
	}
	// One value d for degrees means (-d, d); one shear value s, an x shear in (-s, s).
	sym := RandomAffine{Degrees: []float64{15}, Shear: []float64{7}, Generator: tensor.NewGenerator(2)}
	neg := false
	for range 200 {
		p := sym.Params(8, 8)
		if math.Abs(p.Angle) > 15 || math.Abs(p.Shear[0]) > 7 || p.Shear[1] != 0 || p.Scale != 1 || p.Translate != [2]float64{} {
			t.Fatalf("params %+v outside degrees 15, shear 7", p)
		}
		neg = neg || p.Angle < 0
	}
	if !neg {
		t.Fatal("no negative angle drawn from degrees 15")
	}
	// Seeded: the same seed, the same transformed images.
	img := tensor.Rand(1, 9, 9)
	a := RandomAffine{Degrees: []float64{30}, Generator: tensor.NewGenerator(5), AffineOptions: AffineOptions{Interpolation: "bilinear"}}
	b := a
	b.Generator = tensor.NewGenerator(5)
	for range 5 {
		if !tensor.Equal(a.Apply(img), b.Apply(img)) {
			t.Fatal("RandomAffine with equal seeds differs")
		}
	}
	mustPanic(t, func() { RandomAffine{Translate: []float64{1.5, 0}}.Params(4, 4) }, "data.RandomAffine", "between 0 and 1")
	mustPanic(t, func() { RandomAffine{Degrees: []float64{-3}}.Params(4, 4) }, "data.RandomAffine", "degrees")
	mustPanic(t, func() { RandomAffine{Scale: []float64{0, 1}}.Params(4, 4) }, "data.RandomAffine", "scale")
	mustPanic(t, func() { Affine(tensor.Rand(3, 4, 4), AffineParams{}, AffineOptions{Fill: []float64{1, 2}}) }, "data.Affine", "fill", "3 channels")
	mustPanic(t, func() { Affine(tensor.Rand(4, 4).Long(), AffineParams{}, AffineOptions{}) }, "data.Affine", "int64")
}

func TestAffineFill(t *testing.T) {
	// Shifting right by 2 pixels: the two left columns come from outside.
	img := tensor.Ones(2, 3, 4)
	out := Affine(img, AffineParams{Translate: [2]float64{2, 0}}, AffineOptions{Fill: []float64{5, 7}})
	for c, f := range []float64{5, 7} {
		for i := range 3 {
			for j := range 4 {
				want := 1.0
				if j < 2 {
					want = f
				}
				if got := out.At(c, i, j); got != want {
					t.Fatalf("channel %d pixel (%d, %d) = %v, want %v", c, i, j, got, want)
				}
			}
		}
	}
}
