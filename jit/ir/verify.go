package ir

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/emberml/ember/tensor"
)

// OpSig is what Verify knows of an op that is not a prim op: how many
// inputs and outputs it has and which attributes it takes.
type OpSig struct {
	// Inputs is the number of inputs (absent optional ones count, as none);
	// -1: any number.
	Inputs int
	// Outputs is the number of outputs; -1: any number.
	Outputs int
	// Attrs names the attributes the op takes; nil: not checked.
	Attrs []string
}

// Schema looks up the signature of an op that is not a prim op; ok is false
// for an op it does not know. The jit package builds one from the tensor
// package's op table.
type Schema func(op string) (sig OpSig, ok bool)

// maxVerifyErrors caps the problems one Verify reports.
const maxVerifyErrors = 20

// Verify checks m and returns an error listing the problems it finds (each
// naming the method, the node and the problem), or nil. It checks that:
//
//   - constants have unique names and concrete tensor types, and a
//     constant's tensor, when present, has its dtype and shape;
//   - methods have unique identifier names;
//   - every value is defined once, by one node output or block parameter,
//     with an ID its method issued, and is used only where its definition
//     reaches: later in its block, or in a block nested there;
//   - every node has a valid op name, attribute names and attribute values
//     of the allowed Go types; every output has a valid type; the
//     back-pointers (Value.Def, Value.Block, Node.Parent, Block.Owner,
//     Block.Graph) are consistent;
//   - prim ops have their arities, attributes and types (see the package
//     documentation); only prim.if and prim.loop have blocks;
//   - each method's returns are assignable to its declared result types;
//   - when schema is not nil, every other op is known to it and has the
//     numbers of inputs and outputs and the attributes it gives.
func Verify(m *Module, schema Schema) error {
	if m == nil {
		return errors.New("ir: verify: nil module")
	}
	vr := &verifier{m: m, schema: schema}
	vr.module()
	return vr.result()
}

type verifier struct {
	m      *Module
	schema Schema
	errs   []error
	extra  int

	g       *Graph
	nm      *namer
	defined map[*Value]bool
	ids     map[int]*Value
	scopes  []map[*Value]bool
}

func (vr *verifier) result() error {
	if len(vr.errs) == 0 {
		return nil
	}
	if vr.extra > 0 {
		vr.errs = append(vr.errs, fmt.Errorf("ir: and %d more problems", vr.extra))
	}
	return errors.Join(vr.errs...)
}

func (vr *verifier) errorf(format string, args ...any) {
	if len(vr.errs) >= maxVerifyErrors {
		vr.extra++
		return
	}
	prefix := "ir: "
	if vr.g != nil {
		prefix += "method " + vr.g.Name + ": "
	}
	vr.errs = append(vr.errs, fmt.Errorf(prefix+format, args...))
}

// describe names a node for errors: "%3 = conv2d (model.go:31)".
func (vr *verifier) describe(n *Node) string {
	var sb strings.Builder
	for i, v := range n.Outputs {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(vr.nm.name(v))
	}
	if len(n.Outputs) > 0 {
		sb.WriteString(" = ")
	}
	sb.WriteString(n.Op)
	if n.Pos != "" {
		sb.WriteString(" (" + cleanPos(n.Pos) + ")")
	}
	return sb.String()
}

func (vr *verifier) nodeErr(n *Node, format string, args ...any) {
	vr.errorf("%s: %s", vr.describe(n), fmt.Sprintf(format, args...))
}

func validDType(dt tensor.DType) bool {
	d, err := tensor.ParseDType(dt.String())
	return err == nil && d == dt
}

// checkType returns the problem with t, or "".
func checkType(t Type) string {
	switch t.Kind {
	case KindTensor:
		if t.DType != UnknownDType && !validDType(t.DType) {
			return fmt.Sprintf("invalid dtype %v", t.DType)
		}
		for _, d := range t.Shape {
			switch {
			case d.Name == "" && d.Size < 0:
				return fmt.Sprintf("negative dim %d", d.Size)
			case d.Name != "" && d.Name != "?" && !isIdent(d.Name, false):
				return fmt.Sprintf("invalid dim name %q", d.Name)
			case d.Name != "" && d.Size != 0:
				return fmt.Sprintf("dim %s with a size", d.Name)
			}
		}
		if t.Elem != nil {
			return "tensor type with an element type"
		}
		if t.Quant != nil {
			return checkQuant(t)
		}
	case KindList:
		if t.Elem == nil {
			return "list type without an element type"
		}
		if s := checkType(*t.Elem); s != "" {
			return "list element: " + s
		}
		if t.Shape != nil || t.Quant != nil {
			return "list type with a shape"
		}
	case KindInt, KindFloat, KindBool, KindString, KindNone:
		if t.Shape != nil || t.Quant != nil || t.Elem != nil {
			return fmt.Sprintf("%v type with a shape", t.Kind)
		}
	case KindInvalid:
		return "missing type"
	default:
		return fmt.Sprintf("invalid kind %v", t.Kind)
	}
	return ""
}

func checkQuant(t Type) string {
	q := t.Quant
	if t.DType != UnknownDType && !t.DType.IsFloat() {
		return fmt.Sprintf("quantized type with non-float dtype %v", t.DType)
	}
	lo, hi := int64(0), int64(255)
	switch q.StorageDType {
	case tensor.Int8:
		lo, hi = -128, 127
	case tensor.Uint8:
	default:
		return fmt.Sprintf("quantized storage dtype %v (want int8 or uint8)", q.StorageDType)
	}
	if len(q.Scales) != len(q.ZeroPoints) || len(q.Scales) == 0 {
		return fmt.Sprintf("%d scales and %d zero points", len(q.Scales), len(q.ZeroPoints))
	}
	switch q.Scheme {
	case PerTensor:
		if len(q.Scales) != 1 || q.Axis != 0 {
			return "per_tensor quantization needs one scale, one zero point and axis 0"
		}
	case PerChannel:
		if r := t.Rank(); r >= 0 && (q.Axis < 0 || q.Axis >= r) {
			return fmt.Sprintf("quantization axis %d out of range for rank %d", q.Axis, r)
		}
		if r := t.Rank(); r >= 0 && q.Axis >= 0 && q.Axis < r {
			if d := t.Shape[q.Axis]; d.IsFixed() && d.Size != len(q.Scales) {
				return fmt.Sprintf("%d scales for %d channels", len(q.Scales), d.Size)
			}
		}
	default:
		return fmt.Sprintf("invalid quantization scheme %v", q.Scheme)
	}
	for _, s := range q.Scales {
		if !(s > 0) || math.IsInf(s, 0) {
			return fmt.Sprintf("quantization scale %v (want finite and > 0)", s)
		}
	}
	for _, z := range q.ZeroPoints {
		if z < lo || z > hi {
			return fmt.Sprintf("zero point %d outside %v", z, q.StorageDType)
		}
	}
	return ""
}

func validAttr(v any) bool {
	switch v := v.(type) {
	case nil, int64, float64, bool, string, []int64, []float64:
		return true
	case tensor.DType:
		return validDType(v)
	}
	return false
}

func (vr *verifier) module() {
	m := vr.m
	names := map[string]bool{}
	for i, c := range m.Consts {
		if c == nil {
			vr.errorf("constant %d is nil", i)
			continue
		}
		if c.Name == "" {
			vr.errorf("constant %d has no name", i)
		}
		if names[c.Name] {
			vr.errorf("constant %s declared twice", c.Name)
		}
		names[c.Name] = true
		if c.Kind > Constant {
			vr.errorf("constant %s: invalid kind %v", c.Name, c.Kind)
		}
		if s := checkType(c.Type); s != "" {
			vr.errorf("constant %s: %s", c.Name, s)
		} else if c.Type.Kind != KindTensor || !c.Type.IsConcrete() {
			vr.errorf("constant %s: type %v is not a concrete tensor type", c.Name, c.Type)
		} else if c.Tensor != nil {
			if err := checkConstTensor(c, c.Tensor); err != nil {
				vr.errorf("%s", strings.TrimPrefix(err.Error(), "ir: "))
			}
		}
	}
	methods := map[string]bool{}
	for i, g := range m.Methods {
		if g == nil {
			vr.errorf("method %d is nil", i)
			continue
		}
		if !isIdent(g.Name, false) {
			vr.errorf("invalid method name %q", g.Name)
		}
		if methods[g.Name] {
			vr.errorf("method %s defined twice", g.Name)
		}
		methods[g.Name] = true
		vr.method(g)
	}
}

func (vr *verifier) method(g *Graph) {
	vr.g = g
	defer func() { vr.g = nil }()
	if g.Body == nil {
		vr.errorf("no body")
		return
	}
	vr.nm = newNamer(g)
	vr.defined = map[*Value]bool{}
	vr.ids = map[int]*Value{}
	vr.scopes = nil
	if g.Body.Owner != nil || g.Body.Graph != g {
		vr.errorf("body block has a wrong owner or graph")
	}
	for i, t := range g.Results {
		if s := checkType(t); s != "" {
			vr.errorf("result %d: %s", i, s)
		}
	}
	vr.pushScope()
	vr.block(g.Body)
	rets := g.Body.Returns
	if len(rets) != len(g.Results) {
		vr.errorf("returns %d values, declared %d results", len(rets), len(g.Results))
	} else {
		for i, v := range rets {
			if v != nil && !v.Type.AssignableTo(g.Results[i]) {
				vr.errorf("result %d: returns %s of type %v, declared %v", i, vr.nm.name(v), v.Type, g.Results[i])
			}
		}
	}
	vr.scopes = nil
}

func (vr *verifier) pushScope() { vr.scopes = append(vr.scopes, map[*Value]bool{}) }
func (vr *verifier) popScope()  { vr.scopes = vr.scopes[:len(vr.scopes)-1] }

func (vr *verifier) visible(v *Value) bool {
	for _, s := range vr.scopes {
		if s[v] {
			return true
		}
	}
	return false
}

// define records a value's definition; what says where ("output 0 of ...").
func (vr *verifier) define(v *Value, what string) {
	if vr.defined[v] {
		vr.errorf("%s: value %s defined twice", what, vr.nm.name(v))
		return
	}
	vr.defined[v] = true
	if w, dup := vr.ids[v.ID]; dup && w != v {
		vr.errorf("%s: value %s has the ID %d of %s", what, vr.nm.name(v), v.ID, vr.nm.name(w))
	}
	vr.ids[v.ID] = v
	if v.ID < 0 || v.ID >= vr.g.nextID {
		vr.errorf("%s: value %s has ID %d, not issued by this method (use Graph.NewValue)", what, vr.nm.name(v), v.ID)
	}
	if s := checkType(v.Type); s != "" {
		vr.errorf("%s: value %s: %s", what, vr.nm.name(v), s)
	}
	vr.scopes[len(vr.scopes)-1][v] = true
}

// use checks that v may be used here; what says where.
func (vr *verifier) use(v *Value, what string) {
	if vr.visible(v) {
		return
	}
	if vr.defined[v] {
		vr.errorf("%s: %s is used where its definition does not reach", what, vr.nm.name(v))
	} else {
		vr.errorf("%s: %s is not defined before use", what, vr.nm.name(v))
	}
}

// block checks b's parameters, nodes and returns in a new scope.
func (vr *verifier) block(b *Block) {
	vr.pushScope()
	defer vr.popScope()
	for i, v := range b.Params {
		what := fmt.Sprintf("block parameter %d", i)
		if b.Owner != nil {
			what = vr.describe(b.Owner) + ": " + what
		}
		if v == nil {
			vr.errorf("%s is nil", what)
			continue
		}
		if v.Block != b || v.Def != nil {
			vr.errorf("%s: value %s does not point back to its block", what, vr.nm.name(v))
		}
		vr.define(v, what)
	}
	for i, n := range b.Nodes {
		if n == nil {
			vr.errorf("node %d of a block is nil", i)
			continue
		}
		vr.node(n, b)
	}
	for i, v := range b.Returns {
		what := "return"
		if b.Owner != nil {
			what = vr.describe(b.Owner) + ": block return"
		}
		if v == nil {
			vr.errorf("%s %d is none", what, i)
			continue
		}
		vr.use(v, fmt.Sprintf("%s %d", what, i))
	}
}

func (vr *verifier) node(n *Node, b *Block) {
	if n.Parent != b {
		vr.nodeErr(n, "Parent does not point to its block")
	}
	if !isIdent(n.Op, true) {
		vr.nodeErr(n, "invalid op name %q", n.Op)
	}
	for i, v := range n.Inputs {
		if v != nil {
			vr.use(v, fmt.Sprintf("%s: input %d", vr.describe(n), i))
		}
	}
	for _, k := range n.Attrs.Names() {
		if !isIdent(k, false) {
			vr.nodeErr(n, "invalid attribute name %q", k)
		}
		if !validAttr(n.Attrs[k]) {
			vr.nodeErr(n, "attribute %s has type %T (want int64, float64, bool, string, []int64, []float64, tensor.DType or nil)", k, n.Attrs[k])
		}
	}
	for i, v := range n.Outputs {
		if v == nil {
			vr.nodeErr(n, "output %d is nil", i)
			continue
		}
		if v.Def != n || v.Block != nil {
			vr.nodeErr(n, "output %d does not point back to its node", i)
		}
	}
	for i, sub := range n.Blocks {
		if sub == nil {
			vr.nodeErr(n, "block %d is nil", i)
			continue
		}
		if sub.Owner != n || sub.Graph != vr.g {
			vr.nodeErr(n, "block %d has a wrong owner or graph", i)
		}
		vr.block(sub)
	}
	if IsPrim(n.Op) {
		vr.prim(n)
	} else {
		if len(n.Blocks) > 0 {
			vr.nodeErr(n, "only prim.if and prim.loop have blocks")
		}
		vr.schemaOp(n)
	}
	for i, v := range n.Outputs {
		if v != nil {
			vr.define(v, fmt.Sprintf("%s: output %d", vr.describe(n), i))
		}
	}
}

func (vr *verifier) schemaOp(n *Node) {
	if vr.schema == nil {
		return
	}
	sig, ok := vr.schema(n.Op)
	if !ok {
		vr.nodeErr(n, "unknown op %s", n.Op)
		return
	}
	if sig.Inputs >= 0 && len(n.Inputs) != sig.Inputs {
		vr.nodeErr(n, "%d inputs, %s takes %d", len(n.Inputs), n.Op, sig.Inputs)
	}
	if sig.Outputs >= 0 && len(n.Outputs) != sig.Outputs {
		vr.nodeErr(n, "%d outputs, %s has %d", len(n.Outputs), n.Op, sig.Outputs)
	}
	if sig.Attrs != nil {
		for _, k := range n.Attrs.Names() {
			if !slices.Contains(sig.Attrs, k) {
				vr.nodeErr(n, "%s takes no attribute %s", n.Op, k)
			}
		}
	}
}

// primAttrs lists the attributes each prim op takes (others take none).
var primAttrs = map[string][]string{
	OpParam:    {"name"},
	OpConstant: {"value", "tensor"},
	OpCall:     {"method"},
	OpRaise:    {"msg"},
	OpSize:     {"dim"},
}

func kinds(vs []*Value) []Kind {
	ks := make([]Kind, len(vs))
	for i, v := range vs {
		if v != nil {
			ks[i] = v.Type.Kind
		}
	}
	return ks
}

// arity checks the numbers of inputs and outputs and that no input is none.
func (vr *verifier) arity(n *Node, in, out int) bool {
	ok := true
	if in >= 0 && len(n.Inputs) != in {
		vr.nodeErr(n, "%d inputs, want %d", len(n.Inputs), in)
		ok = false
	}
	if out >= 0 && len(n.Outputs) != out {
		vr.nodeErr(n, "%d outputs, want %d", len(n.Outputs), out)
		ok = false
	}
	for i, v := range n.Inputs {
		if v == nil {
			vr.nodeErr(n, "input %d is none", i)
			ok = false
		}
	}
	for _, v := range n.Outputs {
		if v == nil {
			ok = false
		}
	}
	return ok
}

func oneOf(k Kind, ks ...Kind) bool { return slices.Contains(ks, k) }

func (vr *verifier) prim(n *Node) {
	if len(n.Blocks) > 0 && n.Op != OpIf && n.Op != OpLoop {
		vr.nodeErr(n, "only prim.if and prim.loop have blocks")
	}
	allowed, known := primAttrs[n.Op]
	for _, k := range n.Attrs.Names() {
		if !slices.Contains(allowed, k) {
			vr.nodeErr(n, "%s takes no attribute %s", n.Op, k)
		}
	}
	switch n.Op {
	case OpParam:
		if !vr.arity(n, 0, 1) {
			return
		}
		name, ok := n.Attrs.Str("name")
		if !ok {
			vr.nodeErr(n, "needs a string attribute name")
			return
		}
		vr.constRef(n, name)
	case OpConstant:
		if !vr.arity(n, 0, 1) {
			return
		}
		out := n.Outputs[0].Type
		tname, isTensor := n.Attrs["tensor"]
		value, isValue := n.Attrs["value"]
		switch {
		case isTensor && isValue:
			vr.nodeErr(n, "has both value and tensor attributes")
		case isTensor:
			name, ok := tname.(string)
			if !ok {
				vr.nodeErr(n, "attribute tensor must be a string (a module constant)")
				return
			}
			vr.constRef(n, name)
		case isValue:
			var want Type
			switch value.(type) {
			case nil:
				want = NoneType()
			case int64:
				want = IntType()
			case float64:
				want = FloatType()
			case bool:
				want = BoolType()
			case string:
				want = StrType()
			case []int64:
				want = ListType(IntType())
			case []float64:
				want = ListType(FloatType())
			default:
				vr.nodeErr(n, "value of type %T cannot be a constant", value)
				return
			}
			if !out.Equal(want) {
				vr.nodeErr(n, "output type %v, value is %v", out, want)
			}
		default:
			vr.nodeErr(n, "needs a value or tensor attribute")
		}
	case OpIf:
		vr.primIf(n)
	case OpLoop:
		vr.primLoop(n)
	case OpCall:
		vr.primCall(n)
	case OpRaise:
		vr.arity(n, 0, 0)
		if _, ok := n.Attrs.Str("msg"); !ok {
			vr.nodeErr(n, "needs a string attribute msg")
		}
	case OpAdd, OpSub, OpMul, OpDiv, OpFloorDiv, OpMod:
		if !vr.arity(n, 2, 1) {
			return
		}
		k := kinds(n.Inputs)
		if k[0] != k[1] || !oneOf(k[0], KindInt, KindFloat) {
			vr.nodeErr(n, "operands %v and %v (want both int or both float)", k[0], k[1])
			return
		}
		vr.outKind(n, k[0])
	case OpNeg:
		if !vr.arity(n, 1, 1) {
			return
		}
		k := n.Inputs[0].Type.Kind
		if !oneOf(k, KindInt, KindFloat) {
			vr.nodeErr(n, "operand %v (want int or float)", k)
			return
		}
		vr.outKind(n, k)
	case OpLt, OpLe, OpGt, OpGe, OpEq, OpNe:
		if !vr.arity(n, 2, 1) {
			return
		}
		k := kinds(n.Inputs)
		ok := []Kind{KindInt, KindFloat}
		if n.Op == OpEq || n.Op == OpNe {
			ok = append(ok, KindBool, KindString)
		}
		if k[0] != k[1] || !oneOf(k[0], ok...) {
			vr.nodeErr(n, "operands %v and %v (want the same kind, one of %v)", k[0], k[1], ok)
			return
		}
		vr.outKind(n, KindBool)
	case OpAnd, OpOr, OpNot:
		in := 2
		if n.Op == OpNot {
			in = 1
		}
		if !vr.arity(n, in, 1) {
			return
		}
		for i, v := range n.Inputs {
			if v.Type.Kind != KindBool {
				vr.nodeErr(n, "operand %d is %v, want bool", i, v.Type.Kind)
			}
		}
		vr.outKind(n, KindBool)
	case OpInt, OpFloat, OpBool:
		if !vr.arity(n, 1, 1) {
			return
		}
		if k := n.Inputs[0].Type.Kind; !oneOf(k, KindInt, KindFloat, KindBool) {
			vr.nodeErr(n, "operand %v (want int, float or bool)", k)
		}
		vr.outKind(n, map[string]Kind{OpInt: KindInt, OpFloat: KindFloat, OpBool: KindBool}[n.Op])
	case OpSize:
		if len(n.Inputs) == 1 {
			if !vr.arity(n, 1, 1) {
				return
			}
			if _, ok := n.Attrs.Int("dim"); !ok {
				vr.nodeErr(n, "needs an int attribute dim or a second input")
			}
		} else {
			if !vr.arity(n, 2, 1) {
				return
			}
			if _, ok := n.Attrs["dim"]; ok {
				vr.nodeErr(n, "has both a dim input and a dim attribute")
			}
			if k := n.Inputs[1].Type.Kind; k != KindInt {
				vr.nodeErr(n, "dim input is %v, want int", k)
			}
		}
		vr.tensorIn(n)
		vr.outKind(n, KindInt)
	case OpDim, OpNumel, OpItem, OpTensorToBool:
		if !vr.arity(n, 1, 1) {
			return
		}
		vr.tensorIn(n)
		vr.outKind(n, map[string]Kind{OpDim: KindInt, OpNumel: KindInt, OpItem: KindFloat, OpTensorToBool: KindBool}[n.Op])
	case OpListConstruct:
		if !vr.arity(n, -1, 1) {
			return
		}
		out := n.Outputs[0].Type
		if out.Kind != KindList || out.Elem == nil {
			vr.nodeErr(n, "output type %v, want a list", out)
			return
		}
		for i, v := range n.Inputs {
			if !v.Type.AssignableTo(*out.Elem) {
				vr.nodeErr(n, "input %d of type %v does not fit %v", i, v.Type, out)
			}
		}
	case OpListUnpack:
		if !vr.arity(n, 1, -1) {
			return
		}
		in := n.Inputs[0].Type
		if in.Kind != KindList || in.Elem == nil {
			vr.nodeErr(n, "input type %v, want a list", in)
			return
		}
		for i, v := range n.Outputs {
			if !in.Elem.AssignableTo(v.Type) {
				vr.nodeErr(n, "output %d of type %v cannot hold an element of %v", i, v.Type, in)
			}
		}
	default:
		if !known {
			vr.nodeErr(n, "unknown prim op %s", n.Op)
		}
	}
}

func (vr *verifier) outKind(n *Node, k Kind) {
	if got := n.Outputs[0].Type.Kind; got != k {
		vr.nodeErr(n, "output type %v, want %v", got, k)
	}
}

func (vr *verifier) tensorIn(n *Node) {
	if k := n.Inputs[0].Type.Kind; k != KindTensor {
		vr.nodeErr(n, "input 0 is %v, want a tensor", k)
	}
}

func (vr *verifier) constRef(n *Node, name string) {
	c := vr.m.Const(name)
	if c == nil {
		vr.nodeErr(n, "no module constant %q", name)
		return
	}
	if out := n.Outputs[0].Type; !out.Equal(c.Type) {
		vr.nodeErr(n, "output type %v, constant %s is %v", out, name, c.Type)
	}
}

func (vr *verifier) primIf(n *Node) {
	if !vr.arity(n, 1, -1) {
		return
	}
	if k := n.Inputs[0].Type.Kind; k != KindBool {
		vr.nodeErr(n, "condition is %v, want bool", k)
	}
	if len(n.Blocks) != 2 {
		vr.nodeErr(n, "%d blocks, want 2 (then, else)", len(n.Blocks))
		return
	}
	for bi, b := range n.Blocks {
		if b == nil {
			continue
		}
		branch := [2]string{"then", "else"}[bi]
		if len(b.Params) != 0 {
			vr.nodeErr(n, "%s block has parameters", branch)
		}
		if len(b.Returns) != len(n.Outputs) {
			vr.nodeErr(n, "%s block returns %d values for %d outputs", branch, len(b.Returns), len(n.Outputs))
			continue
		}
		for i, v := range b.Returns {
			if v != nil && !v.Type.AssignableTo(n.Outputs[i].Type) {
				vr.nodeErr(n, "%s block returns %v for output %d of type %v", branch, v.Type, i, n.Outputs[i].Type)
			}
		}
	}
}

func (vr *verifier) primLoop(n *Node) {
	if len(n.Inputs) < 2 {
		vr.nodeErr(n, "%d inputs, want max_trip_count, condition and the carried values", len(n.Inputs))
		return
	}
	carried := len(n.Inputs) - 2
	if !vr.arity(n, -1, carried) {
		return
	}
	if k := n.Inputs[0].Type.Kind; k != KindInt {
		vr.nodeErr(n, "max_trip_count is %v, want int", k)
	}
	if k := n.Inputs[1].Type.Kind; k != KindBool {
		vr.nodeErr(n, "initial condition is %v, want bool", k)
	}
	if len(n.Blocks) != 1 || n.Blocks[0] == nil {
		vr.nodeErr(n, "%d blocks, want 1", len(n.Blocks))
		return
	}
	b := n.Blocks[0]
	if len(b.Params) != carried+1 {
		vr.nodeErr(n, "block has %d parameters, want %d (iteration, carried...)", len(b.Params), carried+1)
		return
	}
	if len(b.Returns) != carried+1 {
		vr.nodeErr(n, "block returns %d values, want %d (condition, carried...)", len(b.Returns), carried+1)
		return
	}
	if p := b.Params[0]; p != nil && p.Type.Kind != KindInt {
		vr.nodeErr(n, "iteration parameter is %v, want int", p.Type.Kind)
	}
	if r := b.Returns[0]; r != nil && r.Type.Kind != KindBool {
		vr.nodeErr(n, "block returns condition of type %v, want bool", r.Type.Kind)
	}
	for i := range carried {
		p, init, ret, out := b.Params[i+1], n.Inputs[i+2], b.Returns[i+1], n.Outputs[i]
		if p == nil || ret == nil {
			continue
		}
		if !init.Type.AssignableTo(p.Type) {
			vr.nodeErr(n, "carried %d: initial value of type %v for parameter of type %v", i, init.Type, p.Type)
		}
		if !ret.Type.AssignableTo(p.Type) {
			vr.nodeErr(n, "carried %d: block returns %v for parameter of type %v", i, ret.Type, p.Type)
		}
		if !p.Type.AssignableTo(out.Type) {
			vr.nodeErr(n, "carried %d: parameter of type %v for output of type %v", i, p.Type, out.Type)
		}
	}
}

func (vr *verifier) primCall(n *Node) {
	if !vr.arity(n, -1, -1) {
		return
	}
	name, ok := n.Attrs.Str("method")
	if !ok {
		vr.nodeErr(n, "needs a string attribute method")
		return
	}
	g := vr.m.Method(name)
	if g == nil || g.Body == nil {
		vr.nodeErr(n, "calls unknown method %q", name)
		return
	}
	params := g.Body.Params
	if len(n.Inputs) != len(params) {
		vr.nodeErr(n, "%d inputs, method %s takes %d", len(n.Inputs), name, len(params))
	} else {
		for i, v := range n.Inputs {
			if params[i] != nil && !v.Type.AssignableTo(params[i].Type) {
				vr.nodeErr(n, "input %d of type %v for parameter of type %v of %s", i, v.Type, params[i].Type, name)
			}
		}
	}
	if len(n.Outputs) != len(g.Results) {
		vr.nodeErr(n, "%d outputs, method %s returns %d", len(n.Outputs), name, len(g.Results))
	} else {
		for i, v := range n.Outputs {
			if !g.Results[i].AssignableTo(v.Type) {
				vr.nodeErr(n, "output %d of type %v for result of type %v of %s", i, v.Type, g.Results[i], name)
			}
		}
	}
}
