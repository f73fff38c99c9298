package mobile

import (
	"fmt"
	"math"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/tensor"
)

// The fused ops that the passes introduce. They are not ops of package
// tensor: this package registers them with jit.RegisterOp, so that the jit
// executor runs an optimized module (each as the composition of the tensor
// ops it replaces), and the lite runtime runs them with its fused kernels
// (accel/cpu's ConvParams.Act). docs/optimize.md is their reference.
const (
	// OpConv2dAct is conv2d followed by an activation: inputs (x, w, b),
	// conv2d's attributes (stride, padding, padding_mode, dilation,
	// groups) and act, act_min, act_max (see the Act constants).
	OpConv2dAct = "conv2d_act"
	// OpLinearAct is linear followed by an activation: inputs (x, w, b)
	// and attributes act, act_min, act_max.
	OpLinearAct = "linear_act"
	// OpAddReLU is relu(a + b): inputs (a, b), add's broadcasting, no
	// attributes.
	OpAddReLU = "add_relu"
)

// The values of the act attribute of OpConv2dAct and OpLinearAct. The
// attributes act_min and act_max (float) are always present and give the
// bounds: 0 and +Inf for ActReLU, 0 and 6 for ActReLU6, any bounds with
// act_min <= act_max for ActClamp. Each is min(max(y, act_min), act_max),
// with NaN staying NaN, which is accel/cpu's Act.
const (
	ActReLU  = "relu"  // max(y, 0): relu, relu_, clamp_min(0), clamp(0, +Inf)
	ActReLU6 = "relu6" // min(max(y, 0), 6): relu6, relu6_, hardtanh(0, 6)
	ActClamp = "clamp" // min(max(y, act_min), act_max): hardtanh, clamp
)

// fusedOpVersion is the version of each fused op.
const fusedOpVersion = 1

var actAttrs = []tensor.AttrDef{{Name: "act", Kind: tensor.AttrString}, {Name: "act_min", Kind: tensor.AttrFloat}, {Name: "act_max", Kind: tensor.AttrFloat}}

func init() {
	conv, _ := tensor.LookupOp("conv2d")
	jit.RegisterOp(&tensor.OpDef{
		Name:    OpConv2dAct,
		Version: fusedOpVersion,
		GoName:  "mobile.conv2dAct",
		Inputs:  []string{"x", "w", "b"},
		Attrs:   append(append([]tensor.AttrDef(nil), conv.Attrs...), actAttrs...),
		Outputs: 1,
		Run: func(in []*tensor.Tensor, a tensor.Attrs) []*tensor.Tensor {
			return runWithAct(OpConv2dAct, "conv2d", in, a)
		},
	})
	jit.RegisterOp(&tensor.OpDef{
		Name:    OpLinearAct,
		Version: fusedOpVersion,
		GoName:  "mobile.linearAct",
		Inputs:  []string{"x", "w", "b"},
		Attrs:   append([]tensor.AttrDef(nil), actAttrs...),
		Outputs: 1,
		Run: func(in []*tensor.Tensor, a tensor.Attrs) []*tensor.Tensor {
			return runWithAct(OpLinearAct, "linear", in, a)
		},
	})
	jit.RegisterOp(&tensor.OpDef{
		Name:    OpAddReLU,
		Version: fusedOpVersion,
		GoName:  "mobile.addReLU",
		Inputs:  []string{"a", "b"},
		Outputs: 1,
		Run:     runAddReLU,
	})
}

// runWithAct runs the tensor op base with the attributes of a other than
// the act ones, then the activation a names.
func runWithAct(op, base string, in []*tensor.Tensor, a tensor.Attrs) []*tensor.Tensor {
	act, lo, hi, err := parseAct(a)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", op, err))
	}
	baseAttrs := make(tensor.Attrs, len(a))
	for k, v := range a {
		if k != "act" && k != "act_min" && k != "act_max" {
			baseAttrs[k] = v
		}
	}
	def, _ := tensor.LookupOp(base)
	y := def.Run(in, baseAttrs)[0]
	return []*tensor.Tensor{applyAct(y, act, lo, hi)}
}

// parseAct reads and checks the act attributes.
func parseAct(a tensor.Attrs) (act string, lo, hi float64, err error) {
	act, ok1 := a["act"].(string)
	lo, ok2 := a["act_min"].(float64)
	hi, ok3 := a["act_max"].(float64)
	if !ok1 || !ok2 || !ok3 {
		return "", 0, 0, fmt.Errorf("needs the attributes act (string), act_min and act_max (float), got %v", a)
	}
	switch {
	case act == ActReLU && lo == 0 && math.IsInf(hi, 1):
	case act == ActReLU6 && lo == 0 && hi == 6:
	case act == ActClamp && lo <= hi: // false for NaN bounds
	default:
		return "", 0, 0, fmt.Errorf("invalid activation act=%q act_min=%v act_max=%v", act, lo, hi)
	}
	return act, lo, hi, nil
}

// applyAct applies the activation to y, the fresh result of the op before
// it: in place unless autograd records y.
func applyAct(y *tensor.Tensor, act string, lo, hi float64) *tensor.Tensor {
	inPlace := !y.RequiresGrad()
	switch {
	case act == ActReLU && inPlace:
		return y.ReLU_()
	case act == ActReLU:
		return y.ReLU()
	case act == ActReLU6 && inPlace:
		return y.ReLU6_()
	case act == ActReLU6:
		return y.ReLU6()
	case inPlace:
		return y.Hardtanh_(lo, hi)
	}
	return y.Clamp(lo, hi)
}

func runAddReLU(in []*tensor.Tensor, a tensor.Attrs) []*tensor.Tensor {
	if len(in) != 2 || in[0] == nil || in[1] == nil || len(a) != 0 {
		panic(fmt.Sprintf("%s: takes two tensors and no attributes", OpAddReLU))
	}
	y := in[0].Add(in[1])
	if y.RequiresGrad() {
		return []*tensor.Tensor{y.ReLU()}
	}
	return []*tensor.Tensor{y.ReLU_()}
}
