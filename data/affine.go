package data

import (
	"fmt"
	"math"

	"github.com/emberml/ember/tensor"
)

// AffineParams are the parameters of one affine transformation of an image
// about its center, as transforms.functional.affine takes them.
type AffineParams struct {
	// Angle is the rotation in degrees, clockwise, as F.affine takes it
	// (torchvision's rotate turns counter-clockwise).
	Angle float64
	// Translate is the shift in pixels, [dx, dy] (right and down).
	Translate [2]float64
	// Scale is the scale factor; 0 means 1 (no scaling).
	Scale float64
	// Shear is the shear in degrees parallel to the x and the y axis.
	Shear [2]float64
}

// AffineOptions configure Affine and RandomAffine's sampling.
type AffineOptions struct {
	// Interpolation is "nearest" or "bilinear". Default (""): "nearest",
	// torchvision's default.
	Interpolation string
	// Fill is the value of pixels that map from outside the image: one
	// value or one per channel. Default (nil): 0.
	Fill []float64
	// Center is the center of rotation (x, y) in pixels, the origin at the
	// top-left corner. Default (nil): the center of the image.
	Center []float64
}

// Affine applies an affine transformation to an image [..., H, W] (float32,
// float64 or uint8; the channels are dimension -3) keeping its center
// fixed, as transforms.functional.affine does with a tensor: each output
// pixel samples the input at the inverse-transformed position with
// grid_sample's conventions (align_corners=False), nearest or bilinear.
// Pixels that come from outside the image are filled with Fill as
// torchvision fills them: nearest takes Fill where the nearest input pixel
// is outside; bilinear blends v·m + (1-m)·Fill where v is the zero-padded
// interpolation and m the interpolated in-image mask. A uint8 image is
// computed in float and rounded back (half to even), as torchvision does.
func Affine(img *tensor.Tensor, p AffineParams, o AffineOptions) *tensor.Tensor {
	const op = "data.Affine"
	if img.Dim() < 2 {
		panic(fmt.Sprintf("%s: expected an image of shape [..., H, W], got %v", op, img.Shape()))
	}
	dt := img.DType()
	if dt != tensor.Float32 && dt != tensor.Float64 && dt != tensor.Uint8 {
		panic(fmt.Sprintf("%s: expected a float32, float64 or uint8 image, got %v %v", op, dt, img.Shape()))
	}
	bilinear := false
	switch o.Interpolation {
	case "", "nearest":
	case "bilinear":
		bilinear = true
	default:
		panic(fmt.Sprintf("%s: interpolation %q is not nearest or bilinear", op, o.Interpolation))
	}
	scale := p.Scale
	if scale == 0 {
		scale = 1
	}
	if scale < 0 || math.IsNaN(scale) {
		panic(fmt.Sprintf("%s: scale %v is not positive", op, p.Scale))
	}
	d := img.Dim()
	h, w := img.Size(d-2), img.Size(d-1)
	c := 1
	if d >= 3 {
		c = img.Size(d - 3)
	}
	fill := o.Fill
	if len(fill) == 0 {
		fill = []float64{0}
	}
	if len(fill) != 1 && len(fill) != c {
		panic(fmt.Sprintf("%s: fill has %d values, the image %v has %d channels", op, len(fill), img.Shape(), c))
	}
	center := [2]float64{}
	if o.Center != nil {
		if len(o.Center) != 2 {
			panic(fmt.Sprintf("%s: center must have 2 values, got %v", op, o.Center))
		}
		center = [2]float64{o.Center[0] - float64(w)*0.5, o.Center[1] - float64(h)*0.5}
	}
	m := inverseAffineMatrix(center, p.Angle, p.Translate, scale, p.Shear)

	// Source position of each output pixel, in input pixel coordinates,
	// computed as torchvision's _gen_affine_grid and grid_sample do: in
	// float32 for float32 and uint8 images (rounding after each operation),
	// so that ties between two nearest pixels break the same way.
	rnd := func(v float64) float64 { return float64(float32(v)) }
	if dt == tensor.Float64 {
		rnd = func(v float64) float64 { return v }
	}
	fw, fh := float64(w), float64(h)
	var th [6]float64 // theta transposed and divided by [0.5w, 0.5h]
	for k := range 3 {
		th[k] = rnd(rnd(m[k]) / rnd(0.5*fw))
		th[3+k] = rnd(rnd(m[3+k]) / rnd(0.5*fh))
	}
	n := h * w
	sx := make([]float64, n)
	sy := make([]float64, n)
	for i := range h {
		y := float64(i) - fh*0.5 + 0.5
		for j := range w {
			x := float64(j) - fw*0.5 + 0.5
			gx := rnd(rnd(rnd(x*th[0])+rnd(y*th[1])) + th[2])
			gy := rnd(rnd(rnd(x*th[3])+rnd(y*th[4])) + th[5])
			sx[i*w+j] = rnd(rnd(rnd(rnd(gx+1)*fw)-1) / 2)
			sy[i*w+j] = rnd(rnd(rnd(rnd(gy+1)*fh)-1) / 2)
		}
	}
	// Up to four taps per output pixel: input offset and weight (-1: outside).
	ntap := 1
	if bilinear {
		ntap = 4
	}
	tapIdx := make([]int, n*ntap)
	tapW := make([]float64, n*ntap)
	mask := make([]float64, n)
	for q := range n {
		if !bilinear {
			ix, iy := int(math.RoundToEven(sx[q])), int(math.RoundToEven(sy[q]))
			tapIdx[q] = -1
			if ix >= 0 && ix < w && iy >= 0 && iy < h && !math.IsNaN(sx[q]) && !math.IsNaN(sy[q]) {
				tapIdx[q] = iy*w + ix
				tapW[q] = 1
				mask[q] = 1
			}
			continue
		}
		x0f, y0f := math.Floor(sx[q]), math.Floor(sy[q])
		fx, fy := sx[q]-x0f, sy[q]-y0f
		x0, y0 := int(x0f), int(y0f)
		corners := [4][3]float64{
			{0, 0, (1 - fx) * (1 - fy)}, {1, 0, fx * (1 - fy)},
			{0, 1, (1 - fx) * fy}, {1, 1, fx * fy},
		}
		for k, cn := range corners {
			ix, iy := x0+int(cn[0]), y0+int(cn[1])
			tapIdx[q*4+k] = -1
			if ix >= 0 && ix < w && iy >= 0 && iy < h && !math.IsNaN(cn[2]) {
				tapIdx[q*4+k] = iy*w + ix
				tapW[q*4+k] = cn[2]
				mask[q] += cn[2]
			}
		}
	}

	src := img.Contiguous()
	planes := src.Numel() / max(n, 1)
	out := make([]float64, planes*n)
	in := src.ToFloat64s()
	for pl := range planes {
		fv := fill[0]
		if len(fill) > 1 {
			fv = fill[pl%c]
		}
		ip, oq := in[pl*n:(pl+1)*n], out[pl*n:(pl+1)*n]
		for q := range n {
			var v float64
			for k := range ntap {
				if t := tapIdx[q*ntap+k]; t >= 0 {
					v += tapW[q*ntap+k] * ip[t]
				}
			}
			if bilinear {
				v = v*mask[q] + (1-mask[q])*fv
			} else if mask[q] < 0.5 {
				v = fv
			}
			oq[q] = v
		}
	}
	shape := img.Shape()
	switch dt {
	case tensor.Float32:
		o32 := make([]float32, len(out))
		for i, v := range out {
			o32[i] = float32(v)
		}
		return tensor.FromSlice(o32, shape...)
	case tensor.Uint8:
		o8 := make([]uint8, len(out))
		for i, v := range out {
			o8[i] = uint8(max(0, min(255, math.RoundToEven(float64(float32(v))))))
		}
		return tensor.FromSlice(o8, shape...)
	default:
		return tensor.FromSlice(out, shape...)
	}
}

// inverseAffineMatrix is torchvision's _get_inverse_affine_matrix with
// inverted=True: the 2×3 matrix mapping output to input positions, for a
// transformation T·C·R·S·Sh·C⁻¹ (translation, center, rotation, scale,
// shear).
func inverseAffineMatrix(center [2]float64, angle float64, translate [2]float64, scale float64, shear [2]float64) [6]float64 {
	rot := angle * math.Pi / 180
	sx := shear[0] * math.Pi / 180
	sy := shear[1] * math.Pi / 180
	cx, cy := center[0], center[1]
	tx, ty := translate[0], translate[1]
	a := math.Cos(rot-sy) / math.Cos(sy)
	b := -math.Cos(rot-sy)*math.Tan(sx)/math.Cos(sy) - math.Sin(rot)
	c := math.Sin(rot-sy) / math.Cos(sy)
	d := -math.Sin(rot-sy)*math.Tan(sx)/math.Cos(sy) + math.Cos(rot)
	m := [6]float64{d, -b, 0, -c, a, 0}
	for i := range m {
		m[i] /= scale
	}
	m[2] += m[0]*(-cx-tx) + m[1]*(-cy-ty)
	m[5] += m[3]*(-cx-tx) + m[4]*(-cy-ty)
	m[2] += cx
	m[5] += cy
	return m
}

// RandomAffine applies a random affine transformation keeping the image's
// center fixed, as transforms.RandomAffine, drawing its parameters as
// RandomAffine.get_params does: an angle uniform in the Degrees range,
// translations uniform in ±Translate·size rounded to whole pixels, a scale
// uniform in the Scale range, shears uniform in the Shear ranges. The zero
// value is the identity.
type RandomAffine struct {
	// Degrees is the rotation range: one value d for (-d, d), or [min,
	// max]. Default (nil): no rotation (torchvision's degrees=0).
	Degrees []float64
	// Translate is the maximum horizontal and vertical shift as fractions
	// of the width and height, [a, b], each in [0, 1]. Default (nil): none.
	Translate []float64
	// Scale is the scale range [lo, hi], both positive. Default (nil): 1.
	Scale []float64
	// Shear is the shear range in degrees: one value s for an x shear in
	// (-s, s); [min, max] for an x shear; [xmin, xmax, ymin, ymax] for both.
	// Default (nil): none.
	Shear []float64
	// AffineOptions give the interpolation (default nearest), the fill
	// and the center, as for Affine.
	AffineOptions
	// Generator draws the parameters. Default (nil):
	// tensor.DefaultGenerator().
	Generator *tensor.Generator
}

// Params draws the parameters of one transformation of an image of width w
// and height h, as RandomAffine.get_params with img_size [w, h].
func (r RandomAffine) Params(w, h int) AffineParams {
	const op = "data.RandomAffine"
	g := transformGen(r.Generator)
	p := AffineParams{Scale: 1}
	lo, hi := 0.0, 0.0
	if r.Degrees != nil {
		lo, hi = checkRange(op, "degrees", r.Degrees)
	}
	p.Angle = transformUniform(g, lo, hi)
	if r.Translate != nil {
		if len(r.Translate) != 2 {
			panic(fmt.Sprintf("%s: translate must have 2 values, got %v", op, r.Translate))
		}
		for _, t := range r.Translate {
			if !(t >= 0 && t <= 1) {
				panic(fmt.Sprintf("%s: translation values should be between 0 and 1, got %v", op, r.Translate))
			}
		}
		maxDx, maxDy := r.Translate[0]*float64(w), r.Translate[1]*float64(h)
		p.Translate[0] = math.RoundToEven(transformUniform(g, -maxDx, maxDx))
		p.Translate[1] = math.RoundToEven(transformUniform(g, -maxDy, maxDy))
	}
	if r.Scale != nil {
		if len(r.Scale) != 2 || !(r.Scale[0] > 0) || !(r.Scale[1] >= r.Scale[0]) {
			panic(fmt.Sprintf("%s: scale must be an ordered range of 2 positive values, got %v", op, r.Scale))
		}
		p.Scale = transformUniform(g, r.Scale[0], r.Scale[1])
	}
	if r.Shear != nil {
		var sh []float64
		if len(r.Shear) == 4 {
			lo0, hi0 := checkRange(op, "shear", r.Shear[:2])
			lo1, hi1 := checkRange(op, "shear", r.Shear[2:])
			sh = []float64{lo0, hi0, lo1, hi1}
		} else {
			lo, hi := checkRange(op, "shear", r.Shear)
			sh = []float64{lo, hi}
		}
		p.Shear[0] = transformUniform(g, sh[0], sh[1])
		if len(sh) == 4 {
			p.Shear[1] = transformUniform(g, sh[2], sh[3])
		}
	}
	return p
}

// Apply transforms x [..., H, W] with freshly drawn parameters (the same
// for every image of a batch, as torchvision).
func (r RandomAffine) Apply(x *tensor.Tensor) *tensor.Tensor {
	if x.Dim() < 2 {
		panic(fmt.Sprintf("data.RandomAffine: expected an image of shape [..., H, W], got %v", x.Shape()))
	}
	d := x.Dim()
	return Affine(x, r.Params(x.Size(d-1), x.Size(d-2)), r.AffineOptions)
}
