package jit

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

const (
	tensorPath = "github.com/emberml/ember/tensor"
	nnPath     = "github.com/emberml/ember/nn"
	jitPath    = "github.com/emberml/ember/jit"
)

func unparen(e ast.Expr) ast.Expr { return ast.Unparen(e) }

func exprString(e ast.Expr) string { return types.ExprString(e) }

// Go type predicates.

func isNamed(t types.Type, pkg, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == pkg && n.Obj().Name() == name
}

func isTensorPtr(t types.Type) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	return ok && isNamed(p.Elem(), tensorPath, "Tensor")
}

func isTensorSlice(t types.Type) bool {
	s, ok := types.Unalias(t).Underlying().(*types.Slice)
	return ok && isTensorPtr(s.Elem())
}

func isGeneratorPtr(t types.Type) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	return ok && isNamed(p.Elem(), tensorPath, "Generator")
}

// isOptions reports whether t is an option struct of package tensor.
func isOptions(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != tensorPath || !strings.HasSuffix(n.Obj().Name(), "Options") {
		return false
	}
	_, ok = n.Underlying().(*types.Struct)
	return ok
}

func basicInfo(t types.Type) types.BasicInfo {
	if t == nil {
		return 0
	}
	if b, ok := t.Underlying().(*types.Basic); ok {
		return b.Info()
	}
	return 0
}

func isInteger(t types.Type) bool { return basicInfo(t)&types.IsInteger != 0 }
func isFloat(t types.Type) bool   { return basicInfo(t)&types.IsFloat != 0 }

// expressions

func (c *compiler) expr(fc *fnCtx, e ast.Expr) (sval, error) {
	vals, err := c.exprN(fc, e)
	if err != nil {
		return sval{}, err
	}
	if len(vals) != 1 {
		return sval{}, c.errAt(fc, e, "%s has %d values where one is expected", exprString(e), len(vals))
	}
	return vals[0], nil
}

// exprN evaluates e, which may be a call with several results.
func (c *compiler) exprN(fc *fnCtx, e ast.Expr) ([]sval, error) {
	if tv, ok := fc.pkg.info.Types[e]; ok && tv.Value != nil {
		return []sval{fromConstant(tv.Value, tv.Type)}, nil
	}
	switch x := e.(type) {
	case *ast.ParenExpr:
		return c.exprN(fc, x.X)
	case *ast.CallExpr:
		return c.call(fc, x)
	}
	v, err := c.expr1(fc, e)
	if err != nil {
		return nil, err
	}
	return []sval{v}, nil
}

// exprTuple evaluates the right side of v1, v2, ... := e.
func (c *compiler) exprTuple(fc *fnCtx, e ast.Expr, n int) ([]sval, error) {
	switch x := unparen(e).(type) {
	case *ast.TypeAssertExpr:
		v, ok, err := c.typeAssert(fc, x, true)
		return []sval{v, ok}, err
	case *ast.IndexExpr:
		return nil, c.unsupported(fc, x, "a map", "maps cannot be part of a graph; use struct fields or slices")
	case *ast.UnaryExpr:
		if x.Op == token.ARROW {
			return nil, c.unsupported(fc, x, "a channel receive", "channels cannot be part of a graph")
		}
	}
	vals, err := c.exprN(fc, e)
	if err != nil {
		return nil, err
	}
	if len(vals) != n {
		return nil, c.errAt(fc, e, "%s has %d values, %d expected", exprString(e), len(vals), n)
	}
	return vals, nil
}

func (c *compiler) expr1(fc *fnCtx, e ast.Expr) (sval, error) {
	switch x := e.(type) {
	case *ast.Ident:
		return c.ident(fc, x)
	case *ast.SelectorExpr:
		return c.selector(fc, x)
	case *ast.BinaryExpr:
		return c.binary(fc, x)
	case *ast.UnaryExpr:
		return c.unary(fc, x)
	case *ast.IndexExpr:
		return c.index(fc, x)
	case *ast.SliceExpr:
		return c.sliceExpr(fc, x)
	case *ast.CompositeLit:
		return c.composite(fc, x)
	case *ast.FuncLit:
		return sval{}, c.unsupported(fc, x, "a function literal (closure)", "write its code inline; only the function literal passed to nn.CallHooks1 or nn.CallHooks is compiled")
	case *ast.StarExpr:
		return sval{}, c.unsupported(fc, x, "pointer indirection (*p)", "pointers are not supported; use values")
	case *ast.TypeAssertExpr:
		v, _, err := c.typeAssert(fc, x, false)
		return v, err
	case *ast.IndexListExpr:
		return sval{}, c.unsupported(fc, x, "a generic instantiation", "call functions without explicit type arguments")
	}
	return sval{}, c.unsupported(fc, e, "the expression "+exprString(e), "see docs/jit.md for the supported subset")
}

func (c *compiler) ident(fc *fnCtx, e *ast.Ident) (sval, error) {
	info := fc.pkg.info
	obj := info.Uses[e]
	if obj == nil {
		obj = info.Defs[e]
	}
	switch o := obj.(type) {
	case *types.Var:
		return c.readVar(fc, e, o)
	case *types.Nil:
		return staticVal(nil), nil
	case *types.Func:
		return funcVal(&funcRef{fn: o}), nil
	case *types.Const:
		return fromConstant(o.Val(), o.Type()), nil
	}
	return sval{}, c.unsupported(fc, e, "the identifier "+e.Name+" used as a value", "see docs/jit.md for the supported subset")
}

func (c *compiler) selector(fc *fnCtx, e *ast.SelectorExpr) (sval, error) {
	info := fc.pkg.info
	if sel, ok := info.Selections[e]; ok {
		switch sel.Kind() {
		case types.FieldVal:
			base, err := c.expr(fc, e.X)
			if err != nil {
				return sval{}, err
			}
			return c.fieldOf(fc, e, base, sel.Index())
		case types.MethodVal:
			return sval{}, c.unsupported(fc, e, "the method value "+exprString(e), "call the method; a method value is only compiled as the argument of nn.CallHooks1")
		case types.MethodExpr:
			return funcVal(&funcRef{fn: sel.Obj().(*types.Func), methodExpr: true}), nil
		}
	}
	switch o := info.Uses[e.Sel].(type) {
	case *types.Func:
		return funcVal(&funcRef{fn: o}), nil
	case *types.Const:
		return fromConstant(o.Val(), o.Type()), nil
	case *types.Var:
		return sval{}, c.unsupported(fc, e, "the package-level variable "+exprString(e), "make it a field of the module")
	}
	return sval{}, c.unsupported(fc, e, "the selector "+exprString(e), "see docs/jit.md for the supported subset")
}

// fieldOf selects the field at path (an index path, through embedded
// fields) of a static struct or pointer to a struct.
func (c *compiler) fieldOf(fc *fnCtx, at ast.Node, base sval, path []int) (sval, error) {
	cur := base
	for _, i := range path {
		if cur.kind != svStatic {
			return sval{}, c.unsupported(fc, at, "selecting a field of "+describe(cur), "only the fields of modules and Go structs known when scripting can be read")
		}
		switch x := cur.c.(type) {
		case *structVal:
			cur = x.field(i)
		case nil:
			return sval{}, c.errAt(fc, at, "nil pointer dereference reading %s", exprString(at.(ast.Expr)))
		default:
			rv := reflect.ValueOf(x)
			if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
				return sval{}, c.unsupported(fc, at, "selecting a field of "+describe(cur), "only the fields of modules and Go structs known when scripting can be read")
			}
			cur = fromGo(rv.Elem().Field(i))
		}
	}
	return cur, nil
}

func (c *compiler) binary(fc *fnCtx, e *ast.BinaryExpr) (sval, error) {
	if e.Op == token.LAND || e.Op == token.LOR {
		return c.shortCircuit(fc, e)
	}
	x, err := c.expr(fc, e.X)
	if err != nil {
		return sval{}, err
	}
	y, err := c.expr(fc, e.Y)
	if err != nil {
		return sval{}, err
	}
	return c.binop(fc, e, e.Op, x, y)
}

var primBinary = map[token.Token]string{
	token.ADD: ir.OpAdd, token.SUB: ir.OpSub, token.MUL: ir.OpMul, token.QUO: ir.OpDiv, token.REM: ir.OpMod,
	token.LSS: ir.OpLt, token.LEQ: ir.OpLe, token.GTR: ir.OpGt, token.GEQ: ir.OpGe,
	token.EQL: ir.OpEq, token.NEQ: ir.OpNe,
}

// binop applies a Go binary operator (not && or ||).
func (c *compiler) binop(fc *fnCtx, at ast.Node, op token.Token, x, y sval) (sval, error) {
	for _, v := range []sval{x, y} {
		if v.kind == svPoison {
			return sval{}, v.err
		}
	}
	if x.kind == svStatic && y.kind == svStatic {
		v, err := staticBinary(op, x.c, y.c)
		if err != nil {
			return sval{}, c.errAt(fc, at, "%v", err)
		}
		return staticVal(v), nil
	}
	// x+0, 0+x, x-0, x*1 and 1*x on ints are x.
	isInt := func(v sval, n int64) bool { i, ok := v.c.(int64); return v.kind == svStatic && ok && i == n }
	switch {
	case op == token.ADD && isInt(y, 0), op == token.SUB && isInt(y, 0), op == token.MUL && isInt(y, 1):
		if x.kind == svDyn && x.v.Type.Kind == ir.KindInt {
			return x, nil
		}
	case op == token.ADD && isInt(x, 0), op == token.MUL && isInt(x, 1):
		if y.kind == svDyn && y.v.Type.Kind == ir.KindInt {
			return y, nil
		}
	}
	if (op == token.EQL || op == token.NEQ) && x.kind == svDyn && y.kind == svDyn && x.v == y.v {
		// The same graph value is the same tensor.
		return staticVal(op == token.EQL), nil
	}
	if op == token.EQL || op == token.NEQ {
		// A graph value is never nil.
		if (isNilStatic(x) && y.kind == svDyn) || (isNilStatic(y) && x.kind == svDyn) {
			return staticVal(op == token.NEQ), nil
		}
	}
	if x.kind == svShape || y.kind == svShape {
		return sval{}, c.unsupported(fc, at, "this operation on a tensor's shape", "compare shapes with slices.Equal or compare sizes one by one")
	}
	xv, err := c.materialize(fc, at, x)
	if err != nil {
		return sval{}, err
	}
	yv, err := c.materialize(fc, at, y)
	if err != nil {
		return sval{}, err
	}
	if xv.Type.Kind == ir.KindTensor || yv.Type.Kind == ir.KindTensor {
		return sval{}, c.unsupported(fc, at, "the Go operator "+op.String()+" on tensors", "use tensor methods such as Add, Mul or Eq")
	}
	if xv.Type.Kind != yv.Type.Kind {
		return sval{}, c.errAt(fc, at, "operands of %s are %v and %v", op, xv.Type, yv.Type)
	}
	prim, ok := primBinary[op]
	k := xv.Type.Kind
	if !ok || (k == ir.KindBool && op != token.EQL && op != token.NEQ) || (k == ir.KindFloat && op == token.REM) || k == ir.KindString {
		return sval{}, c.unsupported(fc, at, fmt.Sprintf("the operator %s on %s values computed when the graph runs", op, k), "use + - * / % and comparisons on ints and floats")
	}
	t := xv.Type.Clone()
	switch op {
	case token.LSS, token.LEQ, token.GTR, token.GEQ, token.EQL, token.NEQ:
		t = ir.BoolType()
	}
	return dynVal(c.emit(fc, at, prim, []*ir.Value{xv, yv}, nil, t).Output()), nil
}

func staticBinary(op token.Token, a, b any) (any, error) {
	switch x := a.(type) {
	case int64:
		y, ok := b.(int64)
		if !ok {
			break
		}
		switch op {
		case token.ADD:
			return x + y, nil
		case token.SUB:
			return x - y, nil
		case token.MUL:
			return x * y, nil
		case token.QUO, token.REM:
			if y == 0 {
				return nil, fmt.Errorf("integer division by zero")
			}
			if op == token.QUO {
				return x / y, nil
			}
			return x % y, nil
		case token.AND:
			return x & y, nil
		case token.OR:
			return x | y, nil
		case token.XOR:
			return x ^ y, nil
		case token.AND_NOT:
			return x &^ y, nil
		case token.SHL, token.SHR:
			if y < 0 {
				return nil, fmt.Errorf("negative shift count %d", y)
			}
			if op == token.SHL {
				return x << y, nil
			}
			return x >> y, nil
		case token.LSS:
			return x < y, nil
		case token.LEQ:
			return x <= y, nil
		case token.GTR:
			return x > y, nil
		case token.GEQ:
			return x >= y, nil
		case token.EQL:
			return x == y, nil
		case token.NEQ:
			return x != y, nil
		}
	case float64:
		y, ok := b.(float64)
		if !ok {
			break
		}
		switch op {
		case token.ADD:
			return x + y, nil
		case token.SUB:
			return x - y, nil
		case token.MUL:
			return x * y, nil
		case token.QUO:
			return x / y, nil
		case token.LSS:
			return x < y, nil
		case token.LEQ:
			return x <= y, nil
		case token.GTR:
			return x > y, nil
		case token.GEQ:
			return x >= y, nil
		case token.EQL:
			return x == y, nil
		case token.NEQ:
			return x != y, nil
		}
	case string:
		y, ok := b.(string)
		if !ok {
			break
		}
		switch op {
		case token.ADD:
			return x + y, nil
		case token.LSS:
			return x < y, nil
		case token.LEQ:
			return x <= y, nil
		case token.GTR:
			return x > y, nil
		case token.GEQ:
			return x >= y, nil
		case token.EQL:
			return x == y, nil
		case token.NEQ:
			return x != y, nil
		}
	}
	if op == token.EQL || op == token.NEQ {
		eq := false
		switch {
		case a == nil || b == nil:
			eq = isNilStatic(staticVal(a)) && isNilStatic(staticVal(b))
		default:
			eq = staticEqual(a, b)
		}
		return eq == (op == token.EQL), nil
	}
	return nil, fmt.Errorf("the operator %s is not supported on %T and %T", op, a, b)
}

// shortCircuit compiles && and ||: the right operand is evaluated only
// when needed, in a prim.if when the left one is known only at run time.
func (c *compiler) shortCircuit(fc *fnCtx, e *ast.BinaryExpr) (sval, error) {
	x, err := c.expr(fc, e.X)
	if err != nil {
		return sval{}, err
	}
	and := e.Op == token.LAND
	if x.kind == svStatic {
		b, ok := x.c.(bool)
		if !ok {
			return sval{}, c.errAt(fc, e.X, "not a bool")
		}
		if b != and {
			return staticVal(b), nil
		}
		return c.expr(fc, e.Y)
	}
	if x.kind != svDyn {
		return sval{}, c.errAt(fc, e.X, "%s is not a bool", describe(x))
	}
	outer, env := c.b, c.env
	c.b.Pos = fc.pkg.short(e.Pos())
	n, tb, eb := c.b.If(x.v, ir.BoolType())
	defer func() { c.b, c.env = outer, env }()
	evalY := func(blk *ir.Block) (*ir.Value, error) {
		c.b, c.env = ir.NewBuilder(blk), maps.Clone(env)
		y, err := c.expr(fc, e.Y)
		if err != nil {
			if errors.Is(err, errDiverged) {
				return c.constant(fc, e, false), nil
			}
			return nil, err
		}
		return c.materialize(fc, e.Y, y)
	}
	constIn := func(blk *ir.Block, v bool) *ir.Value {
		c.b = ir.NewBuilder(blk)
		return c.constant(fc, e, v)
	}
	if and {
		y, err := evalY(tb)
		if err != nil {
			return sval{}, err
		}
		tb.Returns = []*ir.Value{y}
		eb.Returns = []*ir.Value{constIn(eb, false)}
	} else {
		tb.Returns = []*ir.Value{constIn(tb, true)}
		y, err := evalY(eb)
		if err != nil {
			return sval{}, err
		}
		eb.Returns = []*ir.Value{y}
	}
	return dynVal(n.Outputs[0]), nil
}

func (c *compiler) unary(fc *fnCtx, e *ast.UnaryExpr) (sval, error) {
	switch e.Op {
	case token.AND:
		if sel, ok := unparen(e.X).(*ast.SelectorExpr); ok {
			if s := fc.pkg.info.Selections[sel]; s != nil && s.Kind() == types.FieldVal {
				if p, ok := c.fieldAddr(fc, sel, s.Index()); ok {
					return staticVal(p), nil
				}
			}
		}
		return sval{}, c.unsupported(fc, e, "taking an address (&)", "pointers are not supported; use values (the address of a module's field is allowed)")
	case token.ARROW:
		return sval{}, c.unsupported(fc, e, "a channel receive", "channels cannot be part of a graph")
	}
	x, err := c.expr(fc, e.X)
	if err != nil {
		return sval{}, err
	}
	if x.kind == svStatic {
		switch v := x.c.(type) {
		case int64:
			switch e.Op {
			case token.SUB:
				return staticVal(-v), nil
			case token.ADD:
				return x, nil
			case token.XOR:
				return staticVal(^v), nil
			}
		case float64:
			switch e.Op {
			case token.SUB:
				return staticVal(-v), nil
			case token.ADD:
				return x, nil
			}
		case bool:
			if e.Op == token.NOT {
				return staticVal(!v), nil
			}
		}
		return sval{}, c.errAt(fc, e, "the operator %s on %s", e.Op, describe(x))
	}
	if x.kind != svDyn {
		return sval{}, c.unsupported(fc, e, "the operator "+e.Op.String()+" on "+describe(x), "use it on ints, floats and bools")
	}
	k := x.v.Type.Kind
	switch {
	case e.Op == token.ADD && (k == ir.KindInt || k == ir.KindFloat):
		return x, nil
	case e.Op == token.SUB && (k == ir.KindInt || k == ir.KindFloat):
		return dynVal(c.emit(fc, e, ir.OpNeg, []*ir.Value{x.v}, nil, x.v.Type.Clone()).Output()), nil
	case e.Op == token.NOT && k == ir.KindBool:
		return dynVal(c.emit(fc, e, ir.OpNot, []*ir.Value{x.v}, nil, ir.BoolType()).Output()), nil
	}
	return sval{}, c.unsupported(fc, e, fmt.Sprintf("the operator %s on a %s computed when the graph runs", e.Op, k), "use - and ! on ints, floats and bools")
}

func (c *compiler) index(fc *fnCtx, e *ast.IndexExpr) (sval, error) {
	info := fc.pkg.info
	if tv, ok := info.Types[e.X]; ok && tv.Type != nil {
		if _, ok := tv.Type.Underlying().(*types.Map); ok {
			return sval{}, c.unsupported(fc, e, "a map", "maps cannot be part of a graph; use struct fields or slices")
		}
		if _, ok := tv.Type.Underlying().(*types.Signature); ok {
			return sval{}, c.unsupported(fc, e, "a generic instantiation", "call functions without explicit type arguments")
		}
	}
	x, err := c.expr(fc, e.X)
	if err != nil {
		return sval{}, err
	}
	i, err := c.expr(fc, e.Index)
	if err != nil {
		return sval{}, err
	}
	if x.kind == svShape {
		d, err := c.binop(fc, e, token.ADD, x.shape.lo, i)
		if err != nil {
			return sval{}, err
		}
		return c.sizeOf(fc, e, x.shape.t, d)
	}
	if x.kind == svStatic {
		switch l := x.c.(type) {
		case *listVal:
			n, ok := i.c.(int64)
			if i.kind != svStatic || !ok {
				return sval{}, c.needStatic(fc, e.Index, "the index %s into a Go slice must be known when scripting, but it is computed when the graph runs", exprString(e.Index))
			}
			if n < 0 || int(n) >= len(l.elems) {
				return sval{}, c.errAt(fc, e.Index, "index %d out of range [0, %d)", n, len(l.elems))
			}
			return l.elems[n], nil
		case string:
			n, ok := i.c.(int64)
			if i.kind == svStatic && ok && n >= 0 && int(n) < len(l) {
				return staticVal(int64(l[n])), nil
			}
		}
	}
	return sval{}, c.unsupported(fc, e, "indexing "+describe(x), "index Go slices known when scripting, or a tensor's Shape()")
}

func (c *compiler) sliceExpr(fc *fnCtx, e *ast.SliceExpr) (sval, error) {
	if e.Slice3 {
		return sval{}, c.unsupported(fc, e, "a three-index slice", "use a[lo:hi]")
	}
	x, err := c.expr(fc, e.X)
	if err != nil {
		return sval{}, err
	}
	var lo, hi *sval
	if e.Low != nil {
		v, err := c.expr(fc, e.Low)
		if err != nil {
			return sval{}, err
		}
		lo = &v
	}
	if e.High != nil {
		v, err := c.expr(fc, e.High)
		if err != nil {
			return sval{}, err
		}
		hi = &v
	}
	if x.kind == svShape {
		s := &shapeView{t: x.shape.t, lo: x.shape.lo, hi: x.shape.hi}
		if lo != nil {
			if s.lo, err = c.binop(fc, e, token.ADD, x.shape.lo, *lo); err != nil {
				return sval{}, err
			}
		}
		if hi != nil {
			h, err := c.binop(fc, e, token.ADD, x.shape.lo, *hi)
			if err != nil {
				return sval{}, err
			}
			s.hi = &h
		}
		return shapeVal(s), nil
	}
	bound := func(b *sval, def int64) (int64, error) {
		if b == nil {
			return def, nil
		}
		n, ok := b.c.(int64)
		if b.kind != svStatic || !ok {
			return 0, c.needStatic(fc, e, "the bounds of slicing a Go slice must be known when scripting")
		}
		return n, nil
	}
	if x.kind == svStatic {
		switch l := x.c.(type) {
		case *listVal:
			a, err := bound(lo, 0)
			if err != nil {
				return sval{}, err
			}
			b, err := bound(hi, int64(len(l.elems)))
			if err != nil {
				return sval{}, err
			}
			if a < 0 || b < a || int(b) > len(l.elems) {
				return sval{}, c.errAt(fc, e, "slice bounds [%d:%d] out of range for length %d", a, b, len(l.elems))
			}
			if l.isNil && a == 0 && b == 0 {
				return x, nil
			}
			return staticVal(&listVal{elems: slices.Clone(l.elems[a:b]), blk: c.b.Block()}), nil
		case string:
			a, err := bound(lo, 0)
			if err != nil {
				return sval{}, err
			}
			b, err := bound(hi, int64(len(l)))
			if err != nil {
				return sval{}, err
			}
			if a < 0 || b < a || int(b) > len(l) {
				return sval{}, c.errAt(fc, e, "slice bounds [%d:%d] out of range for length %d", a, b, len(l))
			}
			return staticVal(l[a:b]), nil
		}
	}
	return sval{}, c.unsupported(fc, e, "slicing "+describe(x), "slice Go slices known when scripting, or a tensor's Shape()")
}

func (c *compiler) composite(fc *fnCtx, e *ast.CompositeLit) (sval, error) {
	t := fc.pkg.info.TypeOf(e)
	if t == nil {
		return sval{}, c.errAt(fc, e, "no type for the composite literal")
	}
	switch u := t.Underlying().(type) {
	case *types.Struct:
		sv := zeroOf(t).c.(*structVal)
		for i, el := range e.Elts {
			idx := i
			val := el
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				id, _ := kv.Key.(*ast.Ident)
				idx = -1
				for j := 0; j < u.NumFields(); j++ {
					if id != nil && u.Field(j).Name() == id.Name {
						idx = j
					}
				}
				if idx < 0 {
					return sval{}, c.errAt(fc, kv, "unknown field %s", exprString(kv.Key))
				}
				val = kv.Value
			}
			v, err := c.expr(fc, val)
			if err != nil {
				return sval{}, err
			}
			sv.fields[idx] = v
		}
		return staticVal(sv), nil
	case *types.Slice, *types.Array:
		l := &listVal{blk: c.b.Block(), elems: []sval{}}
		for _, el := range e.Elts {
			if _, ok := el.(*ast.KeyValueExpr); ok {
				return sval{}, c.unsupported(fc, el, "an indexed element in a composite literal", "list the elements in order")
			}
			v, err := c.expr(fc, el)
			if err != nil {
				return sval{}, err
			}
			l.elems = append(l.elems, v)
		}
		if a, ok := u.(*types.Array); ok {
			for int64(len(l.elems)) < a.Len() {
				l.elems = append(l.elems, zeroOf(a.Elem()))
			}
		}
		return staticVal(l), nil
	case *types.Map:
		return sval{}, c.unsupported(fc, e, "a map", "maps cannot be part of a graph; use struct fields or slices")
	}
	return sval{}, c.unsupported(fc, e, "this composite literal", "use struct, slice and array literals")
}

// conversion converts x to type t: T(x).
func (c *compiler) conversion(fc *fnCtx, e *ast.CallExpr, t types.Type) (sval, error) {
	if len(e.Args) != 1 {
		return sval{}, c.errAt(fc, e, "a conversion takes one value")
	}
	x, err := c.expr(fc, e.Args[0])
	if err != nil {
		return sval{}, err
	}
	b, ok := t.Underlying().(*types.Basic)
	if !ok {
		return x, nil
	}
	switch x.kind {
	case svStatic:
		switch {
		case b.Info()&types.IsInteger != 0:
			var i int64
			switch v := x.c.(type) {
			case int64:
				i = v
			case float64:
				i = int64(v)
			default:
				return x, nil
			}
			switch b.Kind() {
			case types.Int8:
				i = int64(int8(i))
			case types.Int16:
				i = int64(int16(i))
			case types.Int32:
				i = int64(int32(i))
			case types.Uint8:
				i = int64(uint8(i))
			case types.Uint16:
				i = int64(uint16(i))
			case types.Uint32:
				i = int64(uint32(i))
			}
			return staticVal(i), nil
		case b.Info()&types.IsFloat != 0:
			var f float64
			switch v := x.c.(type) {
			case int64:
				f = float64(v)
			case float64:
				f = v
			default:
				return x, nil
			}
			if b.Kind() == types.Float32 {
				f = float64(float32(f))
			}
			return staticVal(f), nil
		case b.Info()&types.IsString != 0:
			if i, ok := x.c.(int64); ok {
				return staticVal(string(rune(i))), nil
			}
		}
		return x, nil
	case svDyn:
		k := x.v.Type.Kind
		switch {
		case b.Info()&types.IsInteger != 0 && k == ir.KindInt:
			return x, nil
		case b.Info()&types.IsInteger != 0 && k == ir.KindFloat && b.Kind() != types.Int8 && b.Kind() != types.Int16 && b.Kind() != types.Int32 && b.Info()&types.IsUnsigned == 0:
			return dynVal(c.emit(fc, e, ir.OpInt, []*ir.Value{x.v}, nil, ir.IntType()).Output()), nil
		case b.Kind() == types.Float64 && k == ir.KindFloat:
			return x, nil
		case b.Kind() == types.Float64 && k == ir.KindInt:
			return dynVal(c.emit(fc, e, ir.OpFloat, []*ir.Value{x.v}, nil, ir.FloatType()).Output()), nil
		case b.Info()&types.IsBoolean != 0 && k == ir.KindBool:
			return x, nil
		}
	}
	return sval{}, c.unsupported(fc, e, fmt.Sprintf("the conversion %s of %s", exprString(e.Fun), describe(x)), "convert between int and float64")
}

// typeAssert evaluates x.(T) on a value known while compiling.
func (c *compiler) typeAssert(fc *fnCtx, e *ast.TypeAssertExpr, commaOK bool) (sval, sval, error) {
	x, err := c.expr(fc, e.X)
	if err != nil {
		return sval{}, sval{}, err
	}
	if x.kind != svStatic {
		return sval{}, sval{}, c.unsupported(fc, e, "a type assertion on "+describe(x), "assert types of modules known when scripting")
	}
	t := fc.pkg.info.TypeOf(e.Type)
	ok := c.staticImplements(x.c, t)
	if !ok {
		if !commaOK {
			return sval{}, sval{}, c.errAt(fc, e, "the type assertion fails: %s is not %s", describe(x), t)
		}
		return zeroOf(t), staticVal(false), nil
	}
	return x, staticVal(true), nil
}

var moduleIface = reflect.TypeOf((*nn.Module)(nil)).Elem()

// staticImplements reports whether the live value v has type t (a
// concrete type) or implements it (an interface).
func (c *compiler) staticImplements(v any, t types.Type) bool {
	if v == nil {
		return false
	}
	rt := reflect.TypeOf(v)
	if iface, ok := t.Underlying().(*types.Interface); ok {
		for i := 0; i < iface.NumMethods(); i++ {
			m := iface.Method(i)
			if m.Exported() {
				if _, ok := rt.MethodByName(m.Name()); !ok {
					return false
				}
				continue
			}
			if m.Pkg() != nil && m.Pkg().Path() == nnPath && m.Name() == "base" {
				if !rt.Implements(moduleIface) {
					return false
				}
				continue
			}
			if _, decl, _, err := c.findMethod(v, m.Name()); err != nil || decl == nil {
				return false
			}
		}
		return true
	}
	ptr := false
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		ptr, t = true, p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	if ptr != (rt.Kind() == reflect.Pointer) {
		return false
	}
	if ptr {
		rt = rt.Elem()
	}
	return n.Obj().Pkg() != nil && rt.PkgPath() == n.Obj().Pkg().Path() && rt.Name() == n.Obj().Name()
}

// fieldAddr returns &m.f for a field of a module (a static pointer to a
// struct), as a pointer to the live field.
func (c *compiler) fieldAddr(fc *fnCtx, sel *ast.SelectorExpr, path []int) (any, bool) {
	base, err := c.expr(fc, sel.X)
	if err != nil || base.kind != svStatic || base.c == nil {
		return nil, false
	}
	rv := reflect.ValueOf(base.c)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	f, err := rv.Elem().FieldByIndexErr(path)
	if err != nil || !f.CanAddr() {
		return nil, false
	}
	return addrOf(f), true
}

// sizeOf returns t.Size(d), folded when t's type fixes it.
func (c *compiler) sizeOf(fc *fnCtx, at ast.Node, t *ir.Value, d sval) (sval, error) {
	if dd, ok := d.c.(int64); d.kind == svStatic && ok {
		if r := t.Type.Rank(); r >= 0 {
			i := dd
			if i < 0 {
				i += int64(r)
			}
			if i < 0 || i >= int64(r) {
				return sval{}, c.errAt(fc, at, "dimension %d out of range for a tensor of rank %d", dd, r)
			}
			if dim := t.Type.Shape[i]; dim.IsFixed() {
				return staticVal(int64(dim.Size)), nil
			}
		}
		return dynVal(c.emit(fc, at, ir.OpSize, []*ir.Value{t}, ir.Attrs{"dim": dd}, ir.IntType()).Output()), nil
	}
	dv, err := c.materialize(fc, at, d)
	if err != nil {
		return sval{}, err
	}
	return dynVal(c.emit(fc, at, ir.OpSize, []*ir.Value{t, dv}, nil, ir.IntType()).Output()), nil
}

// shapeLen returns len of a shape view.
func (c *compiler) shapeLen(fc *fnCtx, at ast.Node, s *shapeView) (sval, error) {
	hi := s.hi
	if hi == nil {
		r, err := c.dimOf(fc, at, s.t)
		if err != nil {
			return sval{}, err
		}
		hi = &r
	}
	return c.binop(fc, at, token.SUB, *hi, s.lo)
}

func (c *compiler) dimOf(fc *fnCtx, at ast.Node, t *ir.Value) (sval, error) {
	if r := t.Type.Rank(); r >= 0 {
		return staticVal(int64(r)), nil
	}
	return dynVal(c.emit(fc, at, ir.OpDim, []*ir.Value{t}, nil, ir.IntType()).Output()), nil
}

// shapeOf returns x.Shape() of a graph tensor: a static slice when its
// type fixes the rank, else a view whose length is computed at run time.
func (c *compiler) shapeOf(fc *fnCtx, at ast.Node, t *ir.Value) (sval, error) {
	if r := t.Type.Rank(); r >= 0 {
		l := &listVal{elems: make([]sval, r), blk: c.b.Block()}
		for i := range l.elems {
			v, err := c.sizeOf(fc, at, t, staticVal(int64(i)))
			if err != nil {
				return sval{}, err
			}
			l.elems[i] = v
		}
		return staticVal(l), nil
	}
	return shapeVal(&shapeView{t: t, lo: staticVal(int64(0))}), nil
}

// shapeEqual compiles slices.Equal(a, b) where a or b is a run-time shape
// and the other a slice: the lengths, then the sizes one by one (each
// only when the previous ones are equal).
func (c *compiler) shapeEqual(fc *fnCtx, at ast.Node, a, b sval) (sval, error) {
	if a.kind != svShape {
		a, b = b, a
	}
	l, ok := b.c.(*listVal)
	if b.kind != svStatic || !ok {
		return sval{}, c.unsupported(fc, at, "comparing two shapes known only when the graph runs", "compare with a slice known when scripting")
	}
	n, err := c.shapeLen(fc, at, a.shape)
	if err != nil {
		return sval{}, err
	}
	eq, err := c.binop(fc, at, token.EQL, n, staticVal(int64(len(l.elems))))
	if err != nil {
		return sval{}, err
	}
	for i, e := range l.elems {
		i, e := i, e
		elemEq := func() (sval, error) {
			d, err := c.binop(fc, at, token.ADD, a.shape.lo, staticVal(int64(i)))
			if err != nil {
				return sval{}, err
			}
			s, err := c.sizeOf(fc, at, a.shape.t, d)
			if err != nil {
				return sval{}, err
			}
			return c.binop(fc, at, token.EQL, s, e)
		}
		eq, err = c.andThen(fc, at, eq, elemEq)
		if err != nil {
			return sval{}, err
		}
	}
	return eq, nil
}

// andThen is x && y() with y evaluated only when x is true.
func (c *compiler) andThen(fc *fnCtx, at ast.Node, x sval, y func() (sval, error)) (sval, error) {
	if x.kind == svStatic {
		if b, _ := x.c.(bool); !b {
			return x, nil
		}
		return y()
	}
	outer, env := c.b, c.env
	defer func() { c.b, c.env = outer, env }()
	c.b.Pos = fc.pkg.short(at.Pos())
	n, tb, eb := c.b.If(x.v, ir.BoolType())
	c.b, c.env = ir.NewBuilder(tb), maps.Clone(env)
	yv, err := y()
	if err != nil {
		return sval{}, err
	}
	v, err := c.materialize(fc, at, yv)
	if err != nil {
		return sval{}, err
	}
	tb.Returns = []*ir.Value{v}
	c.b = ir.NewBuilder(eb)
	eb.Returns = []*ir.Value{c.constant(fc, at, false)}
	return dynVal(n.Outputs[0]), nil
}

// tensorInput returns the graph value of a tensor argument; nil when
// allowNil and the argument is nil (an absent optional input).
func (c *compiler) tensorInput(fc *fnCtx, at ast.Node, sv sval, allowNil bool) (*ir.Value, error) {
	if isNilStatic(sv) {
		if allowNil {
			return nil, nil
		}
		return nil, c.errAt(fc, at, "a nil tensor where a tensor is required")
	}
	switch sv.kind {
	case svDyn:
		if sv.v.Type.Kind != ir.KindTensor {
			return nil, c.errAt(fc, at, "%s where a tensor is required", describe(sv))
		}
		return sv.v, nil
	case svStatic:
		if t, ok := sv.c.(*tensor.Tensor); ok {
			return c.tensorParam(fc, at, t)
		}
	case svPoison:
		return nil, sv.err
	}
	return nil, c.errAt(fc, at, "%s where a tensor is required", describe(sv))
}
