package mobile

import (
	"fmt"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
)

// LintKind says what a lint found.
type LintKind string

// The kinds of lints.
const (
	// LintDropout is a dropout or dropout2d node left in the graph: in
	// training mode it draws random numbers; in evaluation mode it is a
	// no-op that remove_dropout would have removed.
	LintDropout LintKind = "dropout"
	// LintTrainingBatchNorm is a batch_norm node in training mode: it
	// normalizes with the batch's statistics and updates the running ones.
	LintTrainingBatchNorm LintKind = "training_batch_norm"
	// LintRequiresGrad is a module constant that is still a trainable
	// parameter, or whose tensor requires grad.
	LintRequiresGrad LintKind = "requires_grad"
	// LintUnsupportedOp is an op that OptimizeOptions.Supported (or the
	// function given to Lints) says the lite runtime does not implement.
	LintUnsupportedOp LintKind = "unsupported_op"
)

// Lint is something left in an optimized module that a deployed model
// should not have.
type Lint struct {
	Kind LintKind
	// Method, Op and Pos locate a node: its method, op and source
	// position (empty for a constant).
	Method, Op, Pos string
	// Const is the module constant concerned, for LintRequiresGrad.
	Const string
	// Msg says what was found and what to do.
	Msg string
}

// String returns the lint as one line: "mobile lint dropout: forward:
// dropout (net.go:12): ...".
func (l Lint) String() string {
	s := "mobile lint " + string(l.Kind) + ": "
	if l.Method != "" {
		s += l.Method + ": "
	}
	if l.Op != "" {
		s += l.Op
		if l.Pos != "" {
			s += " (" + l.Pos + ")"
		}
		s += ": "
	}
	if l.Const != "" {
		s += "constant " + l.Const + ": "
	}
	return s + l.Msg
}

// Lints returns what m holds that a deployed model should not: dropout
// nodes, batch_norm in training mode, constants that are trainable
// parameters or require grad, and, when supported is not nil, the ops
// (prim.param and prim.constant aside) for which it returns false, one
// lint per op with its first node. OptimizeForMobile reports the lints of
// its result; before optimization a model has many.
func Lints(m *jit.Module, supported func(op string) bool) []Lint {
	return lintIR(m.IR(), supported)
}

func lintIR(m *ir.Module, supported func(op string) bool) []Lint {
	var lints []Lint
	unsupported := map[string]int{}
	var firstUnsupported []Lint
	for _, g := range m.Methods {
		g.Walk(func(n *ir.Node) bool {
			at := Lint{Method: g.Name, Op: n.Op, Pos: n.Pos}
			switch {
			case n.Op == "dropout" || n.Op == "dropout2d":
				at.Kind = LintDropout
				if attrFalse(n, "training") {
					at.Msg = "dropout in evaluation mode is a no-op; the remove_dropout pass removes it"
				} else {
					at.Msg = "dropout in training mode draws random numbers; trace or script the model in evaluation mode (nn.Eval)"
				}
				lints = append(lints, at)
			case n.Op == "batch_norm" && !attrFalse(n, "training"):
				at.Kind = LintTrainingBatchNorm
				at.Msg = "batch_norm in training mode uses batch statistics and updates the running ones; trace or script the model in evaluation mode (nn.Eval)"
				lints = append(lints, at)
			}
			if supported != nil && n.Op != ir.OpParam && n.Op != ir.OpConstant && !supported(n.Op) {
				if unsupported[n.Op] == 0 {
					at.Kind = LintUnsupportedOp
					firstUnsupported = append(firstUnsupported, at)
				}
				unsupported[n.Op]++
			}
			return true
		})
	}
	for _, l := range firstUnsupported {
		l.Msg = fmt.Sprintf("the lite runtime does not implement %s (%d nodes)", l.Op, unsupported[l.Op])
		lints = append(lints, l)
	}
	for _, c := range m.Consts {
		switch {
		case c.Kind == ir.Param:
			lints = append(lints, Lint{Kind: LintRequiresGrad, Const: c.Name, Msg: "still a trainable parameter; the freeze pass makes it a constant"})
		case c.Tensor != nil && c.Tensor.RequiresGrad():
			lints = append(lints, Lint{Kind: LintRequiresGrad, Const: c.Name, Msg: "its tensor requires grad; the freeze pass detaches it"})
		}
	}
	return lints
}
