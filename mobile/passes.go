package mobile

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/tensor"
)

// The names of the passes of OptimizeForMobile, in the order it runs them.
// OptimizeOptions.Blocklist takes these names.
const (
	PassInline         = "inline"
	PassRemoveDropout  = "remove_dropout"
	PassFreeze         = "freeze"
	PassFoldConstants  = "fold_constants"
	PassFoldBatchNorm  = "fold_batch_norm"
	PassFuseActivation = "fuse_activation"
	PassFuseAddReLU    = "fuse_add_relu"
	PassCSE            = "cse"
	PassDCE            = "dce"
	PassPrepack        = "prepack"
)

// MetaPrepack is the metadata key under which PrepackPass lists the
// constants to store pre-packed, as a JSON array of names (see
// PrepackedWeights).
const MetaPrepack = "mobile.prepack"

// Passes returns the passes of OptimizeForMobile, in order: inline,
// remove_dropout, freeze, fold_constants, fold_batch_norm, fuse_activation,
// fuse_add_relu, cse, dce and prepack. Run them with an ir.PassManager
// whose Schema is jit.Schema.
func Passes() []ir.Pass {
	return []ir.Pass{
		ir.InlinePass(),
		RemoveDropoutPass(),
		FreezePass(),
		FoldConstantsPass(),
		FoldBatchNormPass(),
		FuseActivationPass(),
		FuseAddReLUPass(),
		CSEPass(),
		DeadCodePass(),
		PrepackPass(),
	}
}

// RemoveDropoutPass returns the pass "remove_dropout": each dropout and
// dropout2d node in evaluation mode (attribute training false), which
// returns its input, is removed and its uses read the input. Dropout in
// training mode stays (a lint reports it).
func RemoveDropoutPass() ir.Pass { return ir.Pass{Name: PassRemoveDropout, Run: removeDropout} }

func removeDropout(m *ir.Module) error {
	for _, g := range m.Methods {
		for _, n := range nodes(g) {
			if (n.Op != "dropout" && n.Op != "dropout2d") || !attrFalse(n, "training") ||
				len(n.Inputs) != 1 || n.Inputs[0] == nil || len(n.Outputs) != 1 ||
				!n.Inputs[0].Type.AssignableTo(n.Outputs[0].Type) {
				continue
			}
			ir.ReplaceAllUsesWith(g, n.Outputs[0], n.Inputs[0])
			if err := ir.RemoveNode(n); err != nil {
				return err
			}
		}
	}
	return nil
}

// FreezePass returns the pass "freeze", PyTorch's torch.jit.freeze: every
// module constant that no op writes (no in-place op, directly or through
// a view, and no batch_norm in training mode, whose running statistics
// change) becomes of kind Constant, and its prim.param reads become
// prim.constant reads, so that the later passes may fold it. A parameter's
// tensor is replaced by its detached alias (tensor.Detach: the same data,
// no longer requiring grad); the tensors of the module the pass runs on are
// not modified. Constants that are written keep their kind.
func FreezePass() ir.Pass { return ir.Pass{Name: PassFreeze, Run: freeze} }

func freeze(m *ir.Module) error {
	mu := analyzeMutation(m)
	frozen := map[string]bool{}
	for _, c := range m.Consts {
		if mu.consts[c.Name] {
			continue
		}
		c.Kind = ir.Constant
		if c.Tensor != nil && c.Tensor.RequiresGrad() {
			c.Tensor = c.Tensor.Detach()
		}
		frozen[c.Name] = true
	}
	for _, g := range m.Methods {
		g.Walk(func(n *ir.Node) bool {
			if n.Op == ir.OpParam {
				if name, _ := n.Attrs.Str("name"); frozen[name] {
					n.Op = ir.OpConstant
					n.Attrs = ir.Attrs{"tensor": name}
				}
			}
			return true
		})
	}
	return nil
}

// maxFoldGrowth bounds constant folding: a node whose results hold more
// than this many elements beyond those of its tensor inputs (a creation op
// such as zeros, a broadcast) stays an op, so that files do not grow.
const maxFoldGrowth = 1 << 16

// FoldConstantsPass returns the pass "fold_constants": every node whose
// inputs are all known is evaluated once and replaced by a constant.
// Known values are the outputs of prim.constant, of prim.param of
// constants of kind Constant, and of nodes folded before. Tensor ops (see
// jit.LookupOp) run through their Run and their results become inline
// constants (ir.Module.AddInlineTensor), or, for a result that is one of
// the inputs, that input (inputs are detached: results never require
// grad); in-place ops, random ops, batch_norm in training
// mode, ops whose results some op writes and ops whose results would be
// much larger than their inputs (creation ops, broadcasts) are left alone,
// and an op that fails stays, to fail when run. The IR's scalar prim ops
// (arithmetic, comparisons, conversions, prim.item) on known values become
// prim.constant values; prim.size, prim.dim and prim.numel of tensors
// whose type fixes the answer become constants; and a prim.if on a known
// condition is replaced by the nodes of the block it would run.
func FoldConstantsPass() ir.Pass { return ir.Pass{Name: PassFoldConstants, Run: foldConstants} }

func foldConstants(m *ir.Module) error {
	mu := analyzeMutation(m)
	for _, g := range m.Methods {
		f := &folder{m: m, g: g, mu: mu, known: map[*ir.Value]any{}, dead: map[*ir.Node]bool{}}
		for _, n := range nodes(g) {
			if f.dead[n] || n.Parent == nil {
				continue
			}
			if err := f.node(n); err != nil {
				return err
			}
		}
	}
	return nil
}

// folder folds the nodes of one method.
type folder struct {
	m     *ir.Module
	g     *ir.Graph
	mu    *mutation
	known map[*ir.Value]any // folded values: tensors or prim.constant values
	dead  map[*ir.Node]bool // nodes of the branches of folded prim.ifs not taken
}

// value returns the known value of v: a *tensor.Tensor for constant
// tensors, or the value of a scalar prim.constant.
func (f *folder) value(v *ir.Value) (any, bool) {
	if v == nil {
		return nil, false
	}
	if x, ok := f.known[v]; ok {
		return x, true
	}
	if v.Def == nil {
		return nil, false
	}
	if v.Def.Op == ir.OpConstant {
		if x, ok := v.Def.Attrs["value"]; ok {
			return x, true
		}
	}
	if c := constOf(f.m, f.mu, v); c != nil {
		return c.Tensor, true
	}
	return nil, false
}

// scalarPrims are the prim ops folded when their inputs are known.
var scalarPrims = map[string]bool{
	ir.OpAdd: true, ir.OpSub: true, ir.OpMul: true, ir.OpDiv: true, ir.OpFloorDiv: true,
	ir.OpMod: true, ir.OpNeg: true, ir.OpLt: true, ir.OpLe: true, ir.OpGt: true,
	ir.OpGe: true, ir.OpEq: true, ir.OpNe: true, ir.OpAnd: true, ir.OpOr: true,
	ir.OpNot: true, ir.OpInt: true, ir.OpFloat: true, ir.OpBool: true,
	ir.OpItem: true, ir.OpTensorToBool: true,
}

func (f *folder) node(n *ir.Node) error {
	switch {
	case n.Op == ir.OpIf:
		if c, ok := f.value(n.Inputs[0]); ok {
			if b, ok := c.(bool); ok {
				return f.inlineIf(n, b)
			}
		}
	case n.Op == ir.OpSize || n.Op == ir.OpDim || n.Op == ir.OpNumel:
		if v, ok := f.shapeValue(n); ok {
			return f.replaceScalar(n, v)
		}
	case scalarPrims[n.Op]:
		ins := make([]any, len(n.Inputs))
		for i, v := range n.Inputs {
			x, ok := f.value(v)
			if !ok {
				return nil
			}
			ins[i] = x
		}
		out, err := evalPrim(n, ins)
		if err != nil || len(out) != 1 {
			return nil // it fails again when run
		}
		return f.replaceScalar(n, out[0])
	case !ir.IsPrim(n.Op):
		return f.tensorOp(n)
	}
	return nil
}

// shapeValue answers prim.size, prim.dim and prim.numel from the input's
// type when it fixes the answer.
func (f *folder) shapeValue(n *ir.Node) (int64, bool) {
	if len(n.Inputs) == 0 || n.Inputs[0] == nil {
		return 0, false
	}
	t := n.Inputs[0].Type
	if t.Kind != ir.KindTensor || t.Shape == nil {
		return 0, false
	}
	switch n.Op {
	case ir.OpDim:
		return int64(len(t.Shape)), true
	case ir.OpNumel:
		p := int64(1)
		for _, d := range t.Shape {
			if !d.IsFixed() {
				return 0, false
			}
			p *= int64(d.Size)
		}
		return p, true
	}
	d, ok := n.Attrs.Int("dim")
	if !ok && len(n.Inputs) == 2 {
		x, known := f.value(n.Inputs[1])
		d, ok = x.(int64)
		ok = ok && known
	}
	if !ok {
		return 0, false
	}
	if d < 0 {
		d += int64(len(t.Shape))
	}
	if d < 0 || d >= int64(len(t.Shape)) || !t.Shape[d].IsFixed() {
		return 0, false
	}
	return int64(t.Shape[d].Size), true
}

// replaceScalar replaces n's only output by a prim.constant of v.
func (f *folder) replaceScalar(n *ir.Node, v any) error {
	if len(n.Outputs) != 1 {
		return nil
	}
	b := ir.NewBuilder(n.Parent)
	b.SetInsertBefore(n)
	b.Pos = n.Pos
	c := b.Constant(v)
	if c == nil {
		return nil
	}
	if !c.Type.AssignableTo(n.Outputs[0].Type) {
		return ir.RemoveNode(c.Def)
	}
	f.known[c] = v
	ir.ReplaceAllUsesWith(f.g, n.Outputs[0], c)
	return ir.RemoveNode(n)
}

// inlineIf replaces a prim.if whose condition is known with the nodes of
// the block it runs.
func (f *folder) inlineIf(n *ir.Node, cond bool) error {
	if len(n.Blocks) != 2 || n.Blocks[0] == nil || n.Blocks[1] == nil {
		return nil
	}
	run, skip := n.Blocks[0], n.Blocks[1]
	if !cond {
		run, skip = skip, run
	}
	if len(run.Returns) != len(n.Outputs) {
		return nil
	}
	skip.Walk(func(d *ir.Node) bool {
		f.dead[d] = true
		return true
	})
	parent := n.Parent
	for _, k := range run.Nodes {
		k.Parent = parent
	}
	parent.Nodes = slices.Insert(parent.Nodes, parent.Index(n), run.Nodes...)
	rets := run.Returns
	run.Nodes, run.Returns = nil, nil
	for i, out := range n.Outputs {
		ir.ReplaceAllUsesWith(f.g, out, rets[i])
	}
	return ir.RemoveNode(n)
}

// tensorOp folds a tensor op whose tensor inputs are all known.
func (f *folder) tensorOp(n *ir.Node) error {
	def, ok := jit.LookupOp(n.Op)
	if !ok || def.InPlace || HasSideEffects(n) || f.mu.touches(n.Outputs) || len(n.Outputs) == 0 {
		return nil
	}
	ins := make([]*tensor.Tensor, len(n.Inputs))
	inElems := 0
	for i, v := range n.Inputs {
		if v == nil {
			continue
		}
		x, _ := f.value(v)
		t, ok := x.(*tensor.Tensor)
		if !ok || t == nil {
			return nil
		}
		// Detached, so that no result records autograd (without
		// touching the process-wide grad mode).
		ins[i] = t.Detach()
		inElems += t.Numel()
	}
	for _, v := range n.Outputs {
		if v == nil || v.Type.Kind != ir.KindTensor {
			return nil
		}
	}
	res, err := runOp(def, ins, n.Attrs)
	if err != nil || len(res) != len(n.Outputs) {
		return nil
	}
	outElems := 0
	for i, r := range res {
		if r == nil || !ir.TypeOf(r).AssignableTo(n.Outputs[i].Type) {
			return nil
		}
		if slices.Contains(ins, r) {
			continue
		}
		outElems += r.Numel()
	}
	if outElems > inElems+maxFoldGrowth {
		return nil
	}
	b := ir.NewBuilder(n.Parent)
	b.SetInsertBefore(n)
	b.Pos = n.Pos
	for i, r := range res {
		out := n.Outputs[i]
		if j := slices.Index(ins, r); j >= 0 {
			ir.ReplaceAllUsesWith(f.g, out, n.Inputs[j])
			continue
		}
		t := r.Contiguous()
		name := f.m.AddInlineTensor(t)
		c := b.Op(ir.OpConstant, nil, ir.Attrs{"tensor": name}, ir.TypeOf(t))
		c.Name = out.Name
		f.known[c] = t
		ir.ReplaceAllUsesWith(f.g, out, c)
	}
	return ir.RemoveNode(n)
}

// runOp runs def, turning a panic into an error.
func runOp(def *tensor.OpDef, in []*tensor.Tensor, a ir.Attrs) (out []*tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return def.Run(in, tensor.Attrs(a)), nil
}

// evalPrim runs the prim op of n on known inputs through the jit executor,
// in a module of its own, so that folding computes what running would.
func evalPrim(n *ir.Node, ins []any) ([]any, error) {
	mod := ir.NewModule()
	g := mod.NewMethod("forward")
	b := ir.NewBuilder(g.Body)
	vals := make([]*ir.Value, len(ins))
	for i, x := range ins {
		if t, ok := x.(*tensor.Tensor); ok {
			vals[i] = b.Op(ir.OpConstant, nil, ir.Attrs{"tensor": mod.AddInlineTensor(t)}, ir.TypeOf(t))
			continue
		}
		if vals[i] = b.Constant(x); vals[i] == nil {
			return nil, fmt.Errorf("mobile: cannot hold %T in a constant", x)
		}
	}
	types := make([]ir.Type, len(n.Outputs))
	for i, v := range n.Outputs {
		types[i] = v.Type
	}
	g.Return(b.Add(n.Op, vals, n.Attrs.Clone(), types...).Outputs...)
	jm, err := jit.NewModule(mod)
	if err != nil {
		return nil, err
	}
	return jm.Run("forward")
}

// FoldBatchNormPass returns the pass "fold_batch_norm": a batch_norm in
// evaluation mode (training false) whose input is the output of conv2d,
// conv1d or linear (a 2-D output: the features are dim 1) and is used by
// nothing else, whose running statistics, weight and bias are constants
// (or absent: weight 1, bias 0) and whose conv or linear has constant
// weight and bias (or none), is folded into that op: with s = weight /
// sqrt(running_var + eps), the op's weight becomes W*s (per output
// channel) and its bias (b - running_mean)*s + bias, computed in float64
// and rounded to the weight's dtype (float32 or float64), as new constants
// named after the weight ("conv1.weight_folded", "conv1.bias_folded"); the
// batch_norm node goes. Run FreezePass first: parameters are not constants.
func FoldBatchNormPass() ir.Pass { return ir.Pass{Name: PassFoldBatchNorm, Run: foldBatchNorm} }

// foldRank gives the rank of the output of the ops batch_norm folds into.
var foldRank = map[string]int{"conv2d": 4, "conv1d": 3, "linear": 2}

func foldBatchNorm(m *ir.Module) error {
	mu := analyzeMutation(m)
	for _, g := range m.Methods {
		for _, bn := range nodes(g) {
			if bn.Op == "batch_norm" && bn.Parent != nil {
				if err := foldOneBatchNorm(m, g, mu, bn); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func foldOneBatchNorm(m *ir.Module, g *ir.Graph, mu *mutation, bn *ir.Node) error {
	eps, ok := bn.Attrs.Float("eps")
	if !ok || !attrFalse(bn, "training") || len(bn.Inputs) != 5 || len(bn.Outputs) != 1 || bn.Inputs[0] == nil {
		return nil
	}
	x := bn.Inputs[0]
	op := x.Def
	if op == nil || foldRank[op.Op] == 0 || len(op.Inputs) != 3 || x.Type.Rank() != foldRank[op.Op] ||
		!x.Type.Equal(bn.Outputs[0].Type) || !soleUse(g, x, bn, 0) {
		return nil
	}
	// consts gives the constant tensors of vs, nil for an absent optional
	// input; ok is false when one is not a constant.
	consts := func(vs []*ir.Value, optional []bool) ([]*tensor.Tensor, bool) {
		ts := make([]*tensor.Tensor, len(vs))
		for i, v := range vs {
			if v == nil && optional[i] {
				continue
			}
			c := constOf(m, mu, v)
			if c == nil {
				return nil, false
			}
			ts[i] = c.Tensor
		}
		return ts, true
	}
	ts, ok := consts([]*ir.Value{op.Inputs[1], op.Inputs[2], bn.Inputs[1], bn.Inputs[2], bn.Inputs[3], bn.Inputs[4]},
		[]bool{false, true, false, false, true, true})
	if !ok {
		return nil
	}
	w := ts[0]
	dt := w.DType()
	if (dt != tensor.Float32 && dt != tensor.Float64) || w.Dim() < 2 {
		return nil
	}
	oc := w.Size(0)
	vecs := make([][]float64, 5) // bias, mean, var, gamma, beta
	for i, t := range ts[1:] {
		if t == nil {
			continue
		}
		if t.Dim() != 1 || t.Size(0) != oc || !t.DType().IsFloat() {
			return nil
		}
		vecs[i] = t.ToFloat64s()
	}
	bias, mean, vr, gamma, beta := vecs[0], vecs[1], vecs[2], vecs[3], vecs[4]
	wd := w.ToFloat64s()
	per := len(wd) / oc
	nb := make([]float64, oc)
	for c := 0; c < oc; c++ {
		s := 1 / math.Sqrt(vr[c]+eps)
		if gamma != nil {
			s *= gamma[c]
		}
		for j := c * per; j < (c+1)*per; j++ {
			wd[j] *= s
		}
		b := -mean[c]
		if bias != nil {
			b += bias[c]
		}
		nb[c] = b * s
		if beta != nil {
			nb[c] += beta[c]
		}
	}
	base := strings.TrimSuffix(constOf(m, mu, op.Inputs[1]).Name, ".weight")
	bld := ir.NewBuilder(op.Parent)
	bld.SetInsertBefore(op)
	bld.Pos = op.Pos
	op.Inputs[1] = addConst(m, bld, base+".weight_folded", fromFloat64s(wd, dt, w.Shape()))
	op.Inputs[2] = addConst(m, bld, base+".bias_folded", fromFloat64s(nb, dt, []int{oc}))
	ir.ReplaceAllUsesWith(g, bn.Outputs[0], x)
	return ir.RemoveNode(bn)
}

// fromFloat64s makes a tensor of dtype dt (float32 or float64) from v.
func fromFloat64s(v []float64, dt tensor.DType, shape []int) *tensor.Tensor {
	if dt == tensor.Float64 {
		return tensor.FromSlice(v, shape...)
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return tensor.FromSlice(f, shape...)
}

// addConst adds t to m as a constant named base (made unique) and a
// prim.constant reading it at the builder's insert point.
func addConst(m *ir.Module, b *ir.Builder, base string, t *tensor.Tensor) *ir.Value {
	name := uniqueConstName(m, base)
	m.AddTensor(name, ir.Constant, t)
	v := b.Op(ir.OpConstant, nil, ir.Attrs{"tensor": name}, ir.TypeOf(t))
	v.Name = name
	return v
}

// FuseActivationPass returns the pass "fuse_activation": relu, relu6,
// hardtanh, clamp, clamp_min and clamp_max (and the in-place relu_, relu6_
// and hardtanh_) on the float output of conv2d or linear that nothing
// else uses are fused into it: conv2d becomes conv2d_act and linear
// linear_act, with the attributes act, act_min and act_max (see ActReLU,
// ActReLU6, ActClamp; clamp(0, +Inf) is ActReLU and hardtanh(0, 6)
// ActReLU6). Bounds that are NaN or with min > max are not fused.
func FuseActivationPass() ir.Pass { return ir.Pass{Name: PassFuseActivation, Run: fuseActivation} }

// fusedName gives the fused op of each op an activation fuses into.
var fusedName = map[string]string{"conv2d": OpConv2dAct, "linear": OpLinearAct}

func fuseActivation(m *ir.Module) error {
	for _, g := range m.Methods {
		for _, a := range nodes(g) {
			act, lo, hi, ok := activation(a)
			if !ok || a.Inputs[0] == nil {
				continue
			}
			x := a.Inputs[0]
			op := x.Def
			if op == nil || fusedName[op.Op] == "" || !isFloat(x.Type) ||
				!x.Type.Equal(a.Outputs[0].Type) || !soleUse(g, x, a, 0) {
				continue
			}
			attrs := op.Attrs.Clone()
			if attrs == nil {
				attrs = ir.Attrs{}
			}
			attrs["act"], attrs["act_min"], attrs["act_max"] = act, lo, hi
			op.Op, op.Attrs = fusedName[op.Op], attrs
			ir.ReplaceAllUsesWith(g, a.Outputs[0], x)
			if err := ir.RemoveNode(a); err != nil {
				return err
			}
		}
	}
	return nil
}

// activation reports whether n is an activation that fuses, and which.
func activation(n *ir.Node) (act string, lo, hi float64, ok bool) {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return "", 0, 0, false
	}
	a := n.Attrs
	inf := math.Inf(1)
	switch n.Op {
	case "relu", "relu_":
		lo, hi, ok = 0, inf, true
	case "relu6", "relu6_":
		lo, hi, ok = 0, 6, true
	case "hardtanh", "hardtanh_", "clamp":
		var ok1, ok2 bool
		lo, ok1 = a.Float("lo")
		hi, ok2 = a.Float("hi")
		ok = ok1 && ok2
	case "clamp_min":
		lo, ok = a.Float("lo")
		hi = inf
	case "clamp_max":
		hi, ok = a.Float("hi")
		lo = -inf
	}
	switch {
	case !ok || !(lo <= hi): // NaN bounds too
		return "", 0, 0, false
	case lo == 0 && math.IsInf(hi, 1):
		return ActReLU, lo, hi, true
	case lo == 0 && hi == 6:
		return ActReLU6, lo, hi, true
	}
	return ActClamp, lo, hi, true
}

func isFloat(t ir.Type) bool {
	return t.Kind == ir.KindTensor && (t.DType == tensor.Float32 || t.DType == tensor.Float64) && t.Quant == nil
}

// FuseAddReLUPass returns the pass "fuse_add_relu": relu or relu_ of the
// float output of add, or of add_, that nothing else uses becomes one
// add_relu node (relu(a + b), with add's broadcasting). For add_, which
// writes its first input, only when that input is the fresh result of an
// op (not a view, an input or a constant) that nothing else uses, so that
// no one sees the difference.
func FuseAddReLUPass() ir.Pass { return ir.Pass{Name: PassFuseAddReLU, Run: fuseAddReLU} }

func fuseAddReLU(m *ir.Module) error {
	for _, g := range m.Methods {
		for _, r := range nodes(g) {
			if (r.Op != "relu" && r.Op != "relu_") || len(r.Inputs) != 1 || len(r.Outputs) != 1 || r.Inputs[0] == nil {
				continue
			}
			s := r.Inputs[0]
			add := s.Def
			if add == nil || (add.Op != "add" && add.Op != "add_") || len(add.Inputs) != 2 ||
				!isFloat(s.Type) || !s.Type.Equal(r.Outputs[0].Type) || !soleUse(g, s, r, 0) {
				continue
			}
			if add.Op == "add_" && !(fresh(add.Inputs[0]) && soleUse(g, add.Inputs[0], add, 0)) {
				continue
			}
			add.Op, add.Attrs = OpAddReLU, nil
			ir.ReplaceAllUsesWith(g, r.Outputs[0], s)
			if err := ir.RemoveNode(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// fresh reports whether v is the result of a known op that allocates it:
// not a view of, or the same tensor as, one of its inputs.
func fresh(v *ir.Value) bool {
	if v == nil || v.Def == nil || ir.IsPrim(v.Def.Op) || aliasOps[v.Def.Op] || isInPlace(v.Def.Op) {
		return false
	}
	_, ok := jit.LookupOp(v.Def.Op)
	return ok
}

// CSEPass returns the pass "cse": ir.EliminateCommonSubexpressions,
// keeping the nodes with side effects (HasSideEffects) and the nodes that
// read or produce tensors that some op writes (merging two of those
// would let one write the other).
func CSEPass() ir.Pass {
	return ir.Pass{Name: PassCSE, Run: func(m *ir.Module) error {
		mu := analyzeMutation(m)
		ir.EliminateCommonSubexpressions(m, func(n *ir.Node) bool {
			return HasSideEffects(n) || mu.touches(n.Inputs) || mu.touches(n.Outputs)
		})
		return nil
	}}
}

// DeadCodePass returns the pass "dce": ir.EliminateDeadCode with
// HasSideEffects, so that in-place, random and training-mode batch_norm
// nodes stay, then the removal of the module constants that no method
// reads any more.
func DeadCodePass() ir.Pass {
	return ir.Pass{Name: PassDCE, Run: func(m *ir.Module) error {
		ir.EliminateDeadCode(m, HasSideEffects)
		used := map[string]bool{}
		for _, g := range m.Methods {
			g.Walk(func(n *ir.Node) bool {
				if name, ok := constName(n); ok {
					used[name] = true
				}
				return true
			})
		}
		m.Consts = slices.DeleteFunc(m.Consts, func(c *ir.Const) bool { return !used[c.Name] })
		return nil
	}}
}

// constName returns the module constant that n reads, if it reads one.
func constName(n *ir.Node) (string, bool) {
	switch n.Op {
	case ir.OpParam:
		return n.Attrs.Str("name")
	case ir.OpConstant:
		return n.Attrs.Str("tensor")
	}
	return "", false
}

// PrepackPass returns the pass "prepack": it lists, under the metadata key
// MetaPrepack, the constants that the exporter stores pre-packed in the
// layout of the lite runtime's GEMM (see docs/optimize.md): 2-D float32
// constants of kind Constant whose every read is the weight (input 1) of a
// linear or linear_act node. The graph does not change: it still runs in
// the jit executor.
func PrepackPass() ir.Pass { return ir.Pass{Name: PassPrepack, Run: prepack} }

func prepack(m *ir.Module) error {
	ok := map[string]bool{}
	for _, g := range m.Methods {
		for _, n := range nodes(g) {
			name, reads := constName(n)
			if !reads || len(n.Outputs) != 1 {
				continue
			}
			weight := true
			for _, u := range ir.Uses(g, n.Outputs[0]) {
				if u.Node == nil || (u.Node.Op != "linear" && u.Node.Op != OpLinearAct) || u.Index != 1 {
					weight = false
				}
			}
			if w, seen := ok[name]; !seen || w {
				ok[name] = weight
			}
		}
	}
	var names []string
	for _, c := range m.Consts {
		if ok[c.Name] && c.Kind == ir.Constant && c.Type.DType == tensor.Float32 && len(c.Type.Shape) == 2 && c.Type.Quant == nil {
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		delete(m.Metadata, MetaPrepack)
		return nil
	}
	b, err := json.Marshal(names)
	if err != nil {
		return err
	}
	if m.Metadata == nil {
		m.Metadata = map[string]string{}
	}
	m.Metadata[MetaPrepack] = string(b)
	return nil
}

// PrepackedWeights returns the constants that PrepackPass listed in m's
// metadata (none when the pass did not run or found none). Each is a
// float32 [out, in] weight read only by linear and linear_act nodes.
func PrepackedWeights(m *ir.Module) ([]string, error) {
	s, ok := m.Metadata[MetaPrepack]
	if !ok {
		return nil, nil
	}
	var names []string
	if err := json.Unmarshal([]byte(s), &names); err != nil {
		return nil, fmt.Errorf("mobile: metadata %s: %w", MetaPrepack, err)
	}
	for _, n := range names {
		c := m.Const(n)
		if c == nil || c.Type.DType != tensor.Float32 || len(c.Type.Shape) != 2 {
			return nil, fmt.Errorf("mobile: metadata %s names %q, not a 2-D float32 constant", MetaPrepack, n)
		}
	}
	return names, nil
}
