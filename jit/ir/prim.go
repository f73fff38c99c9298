package ir

import "strings"

// The IR's own ops (see the package documentation for their semantics).
// They are executed by the jit executor itself, not looked up in the tensor
// package's op table.
const (
	OpParam    = "prim.param"    // read a module constant: attr name
	OpConstant = "prim.constant" // a constant: attr value (scalar, list) or attr tensor (a module constant)
	OpIf       = "prim.if"       // (cond bool) two blocks: then, else
	OpLoop     = "prim.loop"     // (max_trip_count int, cond bool, carried...) one block
	OpCall     = "prim.call"     // call attr method with the inputs
	OpRaise    = "prim.raise"    // fail with attr msg

	OpAdd      = "prim.add"
	OpSub      = "prim.sub"
	OpMul      = "prim.mul"
	OpDiv      = "prim.div"
	OpFloorDiv = "prim.floordiv"
	OpMod      = "prim.mod"
	OpNeg      = "prim.neg"

	OpLt = "prim.lt"
	OpLe = "prim.le"
	OpGt = "prim.gt"
	OpGe = "prim.ge"
	OpEq = "prim.eq"
	OpNe = "prim.ne"

	OpAnd = "prim.and"
	OpOr  = "prim.or"
	OpNot = "prim.not"

	OpInt   = "prim.int"
	OpFloat = "prim.float"
	OpBool  = "prim.bool"

	OpSize         = "prim.size"
	OpDim          = "prim.dim"
	OpNumel        = "prim.numel"
	OpItem         = "prim.item"
	OpTensorToBool = "prim.tensor_to_bool"

	OpListConstruct = "prim.list_construct"
	OpListUnpack    = "prim.list_unpack"
)

// PrimOps lists every prim op, in the order the package documentation
// describes them.
var PrimOps = []string{
	OpParam, OpConstant, OpIf, OpLoop, OpCall, OpRaise,
	OpAdd, OpSub, OpMul, OpDiv, OpFloorDiv, OpMod, OpNeg,
	OpLt, OpLe, OpGt, OpGe, OpEq, OpNe,
	OpAnd, OpOr, OpNot,
	OpInt, OpFloat, OpBool,
	OpSize, OpDim, OpNumel, OpItem, OpTensorToBool,
	OpListConstruct, OpListUnpack,
}

// IsPrim reports whether op is in the IR's own namespace ("prim.").
func IsPrim(op string) bool { return strings.HasPrefix(op, "prim.") }

// DefaultSideEffects reports whether n has an effect besides its outputs by
// the IR's conventions: an in-place tensor op (its name ends in "_") or
// prim.raise. Dead code elimination and CSE keep such nodes; the passes also
// treat a node as effectful when one inside its blocks is, and a prim.call
// when its callee has an effectful node.
func DefaultSideEffects(n *Node) bool {
	return n.Op == OpRaise || strings.HasSuffix(n.Op, "_")
}
