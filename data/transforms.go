package data

import (
	"fmt"
	"math"

	"github.com/emberml/ember/tensor"
)

// Transform maps a sample's tensor to another, as a torchvision transform:
// images are tensors of shape [C, H, W] (or [..., C, H, W]). A transform
// must be safe for concurrent use: DataLoader workers call it from several
// goroutines. Like the tensor package's math, a transform panics on misuse
// (an image of the wrong dtype or shape), naming itself and the shape.
type Transform interface {
	Apply(x *tensor.Tensor) *tensor.Tensor
}

// TransformFunc adapts a function to a Transform, as torchvision's Lambda.
type TransformFunc func(x *tensor.Tensor) *tensor.Tensor

// Apply returns f(x).
func (f TransformFunc) Apply(x *tensor.Tensor) *tensor.Tensor { return f(x) }

// BatchTransform is a Transform that may be applied to a whole batch at
// once: Apply on samples stacked along a new first dimension gives the
// stack of Apply on each sample whenever Batchable reports true. Datasets
// with a fast batch path (MNIST) use it to transform a batch in one call.
// ToTensor and Normalize are batchable; random transforms are not, since
// each sample draws its own parameters.
type BatchTransform interface {
	Transform
	Batchable() bool
}

// transformBatchable reports whether t may be applied to a whole batch.
func transformBatchable(t Transform) bool {
	bt, ok := t.(BatchTransform)
	return ok && bt.Batchable()
}

// Compose applies its transforms in order, as transforms.Compose.
type Compose []Transform

// Apply applies each transform to the result of the one before.
func (c Compose) Apply(x *tensor.Tensor) *tensor.Tensor {
	for _, t := range c {
		x = t.Apply(x)
	}
	return x
}

// Batchable reports whether every transform in c is batchable.
func (c Compose) Batchable() bool {
	for _, t := range c {
		if !transformBatchable(t) {
			return false
		}
	}
	return true
}

// ToTensor converts a uint8 image to the default float dtype (float32)
// scaled to [0, 1] (divided by 255), as transforms.ToTensor does to a PIL
// image or a uint8 array: images here are already tensors in [C, H, W]
// layout, so only the dtype and scale change; an [H, W] image gains a
// channel dimension, [1, H, W]. A floating-point tensor is returned
// unchanged, as ToTensor leaves float images unscaled. Other dtypes panic.
type ToTensor struct{}

// Apply converts x.
func (ToTensor) Apply(x *tensor.Tensor) *tensor.Tensor {
	switch {
	case x.DType().IsFloat():
		return x
	case x.DType() != tensor.Uint8:
		panic(fmt.Sprintf("data.ToTensor: expected a uint8 or floating-point image, got %v %v", x.DType(), x.Shape()))
	case x.Dim() < 2:
		panic(fmt.Sprintf("data.ToTensor: expected an image of shape [H, W] or [..., C, H, W], got %v", x.Shape()))
	}
	if x.Dim() == 2 {
		x = x.Unsqueeze(0)
	}
	if dt := tensor.DefaultDType(); dt != tensor.Float32 {
		return x.To(dt).DivScalar(255)
	}
	src := x.Contiguous().Data().([]uint8)
	var lut [256]float32
	for i := range lut {
		lut[i] = float32(i) / 255
	}
	out := tensor.Empty(tensor.Float32, x.Shape()...)
	dst := out.Data().([]float32)
	for i, v := range src {
		dst[i] = lut[v]
	}
	return out
}

// Batchable reports true: ToTensor acts on each element alone.
func (ToTensor) Batchable() bool { return true }

// Normalize normalizes each channel of a float image [..., C, H, W] as
// transforms.Normalize: out[c] = (x[c] - Mean[c]) / Std[c], computed in the
// image's dtype (Mean and Std are converted to it first, as torchvision
// does). Mean and Std hold one value per channel, or one value for all. It
// panics for a non-float image, an image of fewer than 3 dimensions, a
// wrong number of values or a zero Std.
type Normalize struct {
	Mean, Std []float64
}

// Apply returns the normalized image; x is not modified.
func (n Normalize) Apply(x *tensor.Tensor) *tensor.Tensor {
	if !x.DType().IsFloat() {
		panic(fmt.Sprintf("data.Normalize: input tensor should be a float tensor, got %v %v", x.DType(), x.Shape()))
	}
	if x.Dim() < 3 {
		panic(fmt.Sprintf("data.Normalize: expected a tensor image of shape [..., C, H, W], got %v", x.Shape()))
	}
	c := x.Size(x.Dim() - 3)
	mean := normalizeVec("mean", n.Mean, c, x)
	std := normalizeVec("std", n.Std, c, x)
	for _, v := range std.ToFloat64s() {
		if v == 0 {
			panic(fmt.Sprintf("data.Normalize: std %v evaluated to zero after conversion to %v, leading to division by zero", n.Std, x.DType()))
		}
	}
	if x.DType() == tensor.Float32 {
		return normalizeFloat32(x, mean.ToFloat32s(), std.ToFloat32s())
	}
	return x.Sub(mean).Div(std)
}

// normalizeFloat32 computes (x - mean[c]) / std[c] over a float32 image
// [..., C, H, W] in one pass, with float32 arithmetic as torchvision's sub_
// and div_.
func normalizeFloat32(x *tensor.Tensor, mean, std []float32) *tensor.Tensor {
	d := x.Dim()
	c, hw := x.Size(d-3), x.Size(d-2)*x.Size(d-1)
	src := x.Contiguous().Data().([]float32)
	out := tensor.Empty(tensor.Float32, x.Shape()...)
	dst := out.Data().([]float32)
	for p := 0; p*hw < len(src); p++ {
		ch := p % c
		m, s := mean[0], std[0]
		if len(mean) > 1 {
			m = mean[ch]
		}
		if len(std) > 1 {
			s = std[ch]
		}
		for i := p * hw; i < (p+1)*hw; i++ {
			dst[i] = (src[i] - m) / s
		}
	}
	return out
}

// normalizeVec returns v as a [C or 1, 1, 1] tensor of x's dtype.
func normalizeVec(name string, v []float64, c int, x *tensor.Tensor) *tensor.Tensor {
	if len(v) != c && len(v) != 1 {
		panic(fmt.Sprintf("data.Normalize: %s has %d values, the image %v has %d channels", name, len(v), x.Shape(), c))
	}
	return tensor.FromSlice(v, len(v), 1, 1).To(x.DType())
}

// Batchable reports true: Normalize acts on each channel alone.
func (Normalize) Batchable() bool { return true }

// transformGen returns g, or the default generator when g is nil.
func transformGen(g *tensor.Generator) *tensor.Generator {
	if g == nil {
		return tensor.DefaultGenerator()
	}
	return g
}

// transformRandInt returns an integer uniform in [0, n), as torch.randint(0, n).
func transformRandInt(g *tensor.Generator, n int) int {
	return min(int(g.Float64()*float64(n)), n-1)
}

// transformUniform returns a value uniform in [lo, hi), as uniform_(lo, hi).
func transformUniform(g *tensor.Generator, lo, hi float64) float64 {
	return lo + (hi-lo)*g.Float64()
}

// RandomCrop crops an image [..., H, W] at a random position, as
// transforms.RandomCrop: the image is first padded by Padding, and by
// enough to reach Size when PadIfNeeded is set; the crop's top-left corner
// is then uniform over the positions where it fits.
type RandomCrop struct {
	// Size is the crop's size: one value for a square, or [height, width].
	// Required.
	Size []int
	// Padding pads the image on each side first: one value for all sides,
	// [left/right, top/bottom], or [left, top, right, bottom], as
	// torchvision orders them. Default (nil): no padding.
	Padding []int
	// PadIfNeeded pads an image smaller than Size up to it.
	PadIfNeeded bool
	// Fill is the value of constant padding. Default 0.
	Fill float64
	// PaddingMode is "constant" (Fill), "edge" (repeat the edge pixel),
	// "reflect" (mirror without the edge) or "symmetric" (mirror with the
	// edge). Default (""): "constant".
	PaddingMode string
	// Generator draws the crop position. Default (nil):
	// tensor.DefaultGenerator().
	Generator *tensor.Generator
}

// Apply returns a random crop of x.
func (r RandomCrop) Apply(x *tensor.Tensor) *tensor.Tensor {
	th, tw := imageSize("data.RandomCrop", "Size", r.Size)
	if x.Dim() < 2 {
		panic(fmt.Sprintf("data.RandomCrop: expected an image of shape [..., H, W], got %v", x.Shape()))
	}
	if len(r.Padding) > 0 {
		var l, t, rt, b int
		switch p := r.Padding; len(p) {
		case 1:
			l, t, rt, b = p[0], p[0], p[0], p[0]
		case 2:
			l, t, rt, b = p[0], p[1], p[0], p[1]
		case 4:
			l, t, rt, b = p[0], p[1], p[2], p[3]
		default:
			panic(fmt.Sprintf("data.RandomCrop: Padding must have 1, 2 or 4 values, got %v", p))
		}
		x = PadImage(x, l, t, rt, b, r.PaddingMode, r.Fill)
	}
	h, w := x.Size(x.Dim()-2), x.Size(x.Dim()-1)
	if r.PadIfNeeded && w < tw {
		x = PadImage(x, tw-w, 0, tw-w, 0, r.PaddingMode, r.Fill)
		w = x.Size(x.Dim() - 1)
	}
	if r.PadIfNeeded && h < th {
		x = PadImage(x, 0, th-h, 0, th-h, r.PaddingMode, r.Fill)
		h = x.Size(x.Dim() - 2)
	}
	if h < th || w < tw {
		panic(fmt.Sprintf("data.RandomCrop: required crop size (%d, %d) is larger than input image size (%d, %d)", th, tw, h, w))
	}
	g := transformGen(r.Generator)
	i, j := 0, 0
	if h != th || w != tw {
		i = transformRandInt(g, h-th+1)
		j = transformRandInt(g, w-tw+1)
	}
	return Crop(x, i, j, th, tw)
}

// imageSize reads an "int or (h, w)" size option.
func imageSize(op, name string, s []int) (h, w int) {
	switch len(s) {
	case 1:
		h, w = s[0], s[0]
	case 2:
		h, w = s[0], s[1]
	default:
		panic(fmt.Sprintf("%s: %s must have 1 or 2 values, got %v", op, name, s))
	}
	if h <= 0 || w <= 0 {
		panic(fmt.Sprintf("%s: %s must be positive, got %v", op, name, s))
	}
	return h, w
}

// Crop returns the region of an image [..., H, W] with top-left corner
// (top, left) and size height×width, as transforms.functional.crop; the
// region must lie inside the image. The result is a view of x.
func Crop(x *tensor.Tensor, top, left, height, width int) *tensor.Tensor {
	d := x.Dim()
	if d < 2 || top < 0 || left < 0 || height < 0 || width < 0 || top+height > x.Size(d-2) || left+width > x.Size(d-1) {
		panic(fmt.Sprintf("data.Crop: region (top %d, left %d, height %d, width %d) is not inside the image %v", top, left, height, width, x.Shape()))
	}
	return x.Slice(d-2, top, top+height, 1).Slice(d-1, left, left+width, 1)
}

// PadImage pads the last two dimensions of an image [..., H, W] by left,
// top, right and bottom pixels, as transforms.functional.pad: mode is
// "constant" (fill with fill), "edge", "reflect" or "symmetric" (see
// RandomCrop.PaddingMode); "" means "constant".
func PadImage(x *tensor.Tensor, left, top, right, bottom int, mode string, fill float64) *tensor.Tensor {
	if x.Dim() < 2 {
		panic(fmt.Sprintf("data.PadImage: expected an image of shape [..., H, W], got %v", x.Shape()))
	}
	if left < 0 || top < 0 || right < 0 || bottom < 0 {
		panic(fmt.Sprintf("data.PadImage: negative padding (%d, %d, %d, %d)", left, top, right, bottom))
	}
	d := x.Dim()
	switch mode {
	case "", "constant":
		return tensor.Pad(x, []int{left, right, top, bottom}, "constant", fill)
	case "edge", "reflect", "symmetric":
		rows := padIndex(mode, x.Size(d-2), top, bottom, x.Shape())
		cols := padIndex(mode, x.Size(d-1), left, right, x.Shape())
		return x.IndexSelect(d-2, rows).IndexSelect(d-1, cols)
	default:
		panic(fmt.Sprintf("data.PadImage: padding mode %q is not one of constant, edge, reflect, symmetric", mode))
	}
}

// padIndex returns the source index of each position of a dimension of size
// n padded by a before and b after.
func padIndex(mode string, n, a, b int, shape []int) *tensor.Tensor {
	limit := n
	if mode == "reflect" {
		limit = n - 1
	}
	if n == 0 || a > limit || b > limit {
		panic(fmt.Sprintf("data.PadImage: %s padding (%d, %d) is too large for a dimension of size %d in %v", mode, a, b, n, shape))
	}
	idx := make([]int64, n+a+b)
	for p := range idx {
		s := p - a
		switch mode {
		case "edge":
			s = max(0, min(s, n-1))
		case "reflect":
			if s < 0 {
				s = -s
			} else if s >= n {
				s = 2*(n-1) - s
			}
		case "symmetric":
			if s < 0 {
				s = -s - 1
			} else if s >= n {
				s = 2*n - 1 - s
			}
		}
		idx[p] = int64(s)
	}
	return tensor.FromSlice(idx)
}

// checkRange validates a (lo, hi) option read from an "x or (lo, hi)"
// value: one value v gives (-v, v).
func checkRange(op, name string, v []float64) (lo, hi float64) {
	switch len(v) {
	case 1:
		if v[0] < 0 {
			panic(fmt.Sprintf("%s: if %s is a single number, it must be positive, got %v", op, name, v))
		}
		return -v[0], v[0]
	case 2:
		if v[0] > v[1] || math.IsNaN(v[0]) || math.IsNaN(v[1]) {
			panic(fmt.Sprintf("%s: %s range %v is not ordered", op, name, v))
		}
		return v[0], v[1]
	default:
		panic(fmt.Sprintf("%s: %s must have 1 or 2 values, got %v", op, name, v))
	}
}
