package jit

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"math"
	"reflect"
	"slices"
	"sort"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// The compiler walks statements in continuation-passing style: stmts
// compiles a statement list and then its continuation k, and returns how
// the enclosing frame (a function, or a prim.loop body) is left. A
// return, break or continue inside an if whose condition is only known at
// run time makes both branches compile the rest of the frame themselves:
// the prim.if's outputs are then the frame's results (an early return
// becomes an if/else). An if without such statements compiles its branches
// as blocks that fall through, and its outputs are the variables the
// branches assign.

type exitKind uint8

const (
	exitFall    exitKind = iota // fell through to the end of a branch: env holds the variables
	exitVals                    // left the frame: vals are its results (function) or (cond, carried...) (loop body)
	exitDiverge                 // every path panics
)

type exit struct {
	kind exitKind
	vals []sval
	env  map[varKey]sval
}

type cont func() (exit, error)

// varKey names a variable of one activation of a function: inlining the
// same function twice, nested (a Sequential in a Sequential), gives its
// variables distinct keys.
type varKey struct {
	obj   types.Object
	frame int
}

// fnCtx is the context of the statements being compiled: the package
// whose source they are, what return, break and continue do, and the
// function activation (frame) whose variables they use. A function
// literal's context has the enclosing one as lex, for the variables it
// captures.
type fnCtx struct {
	pkg     *srcPkg
	frame   int
	lex     *fnCtx
	ret     func(pos ast.Node, vals []sval) (exit, error)
	brk     cont
	cont    cont
	results []types.Object
	name    string
}

func (fc *fnCtx) with() *fnCtx { c := *fc; return &c }

// errDiverged is returned by an expression whose evaluation always panics
// (a call to a function that always panics): the statement ends the path.
var errDiverged = errors.New("jit.Script: unreachable code")

// subCtx is a submodule being inlined, for error messages.
type subCtx struct {
	name, typ, at string
}

type compiler struct {
	opts        ScriptOptions
	dir         string
	root        nn.Module
	irm         *ir.Module
	g           *ir.Graph
	b           *ir.Builder
	env         map[varKey]sval
	frames      int
	tensorNames map[*tensor.Tensor]string
	moduleNames map[any]string
	params      map[string]*ir.Value
	paramAnchor *ir.Node
	ops         map[string]*tensor.OpDef
	depth       int
	subs        []subCtx
	unrolled    int
}

const (
	maxInlineDepth = 100
	maxUnrolled    = 1 << 14
)

func newCompiler(m nn.Module, o ScriptOptions) (*compiler, error) {
	c := &compiler{
		opts:        o,
		dir:         o.Dir,
		root:        m,
		irm:         ir.NewModule(),
		env:         map[varKey]sval{},
		tensorNames: map[*tensor.Tensor]string{},
		moduleNames: map[any]string{},
		params:      map[string]*ir.Value{},
		ops:         map[string]*tensor.OpDef{},
	}
	for _, p := range nn.NamedParameters(m) {
		if _, ok := c.tensorNames[p.Tensor]; !ok {
			c.irm.AddTensor(p.Name, ir.Param, p.Tensor)
			c.tensorNames[p.Tensor] = p.Name
		}
	}
	for _, b := range nn.NamedBuffers(m) {
		if _, ok := c.tensorNames[b.Tensor]; !ok {
			c.irm.AddTensor(b.Name, ir.Buffer, b.Tensor)
			c.tensorNames[b.Tensor] = b.Name
		}
	}
	for _, nm := range nn.NamedModules(m) {
		if _, ok := c.moduleNames[nm.Module]; !ok {
			c.moduleNames[nm.Module] = nm.Name
		}
	}
	for _, d := range tensor.Ops() {
		c.ops[d.GoName] = d
	}
	return c, nil
}

// compileRoot compiles the root module's Forward into the method forward.
func (c *compiler) compileRoot() (*ir.Module, error) {
	sp, decl, recv, err := c.findMethod(c.root, "Forward")
	if err != nil {
		return nil, err
	}
	if decl == nil {
		return nil, fmt.Errorf("jit.Script: %T has no Forward method", c.root)
	}
	fobj, _ := sp.info.Defs[decl.Name].(*types.Func)
	if fobj == nil {
		return nil, fmt.Errorf("jit.Script: %T.Forward has no type information", c.root)
	}
	sig := fobj.Type().(*types.Signature)
	c.g = c.irm.NewMethod("forward")
	c.b = ir.NewBuilder(c.g.Body)
	params := sig.Params()
	if c.opts.Inputs != nil && len(c.opts.Inputs) != params.Len() {
		return nil, fmt.Errorf("jit.Script: ScriptOptions.Inputs has %d types; %T.Forward takes %d inputs", len(c.opts.Inputs), c.root, params.Len())
	}
	if sig.Variadic() {
		return nil, &ScriptError{Pos: sp.long(decl.Pos()), Msg: "a variadic Forward is not supported in a scripted Forward (take a fixed number of inputs)"}
	}
	args := make([]sval, params.Len())
	for i := 0; i < params.Len(); i++ {
		p := params.At(i)
		t, ok := c.inputType(p.Type())
		if !ok {
			return nil, &ScriptError{Pos: sp.long(p.Pos()), Msg: fmt.Sprintf("Forward's parameter %s of type %s is not supported in a scripted Forward (take tensors, ints, floats and bools)", p.Name(), p.Type())}
		}
		if c.opts.Inputs != nil {
			u := c.opts.Inputs[i]
			if u.Kind != t.Kind {
				return nil, fmt.Errorf("jit.Script: ScriptOptions.Inputs[%d] is %v, but Forward's parameter %s is a %s", i, u, p.Name(), p.Type())
			}
			t = u.Clone()
		}
		name := p.Name()
		if name == "" || name == "_" {
			name = fmt.Sprintf("input%d", i)
		}
		args[i] = dynVal(c.g.AddInput(name, t))
	}
	recvVal := staticVal(recv)
	vals, err := c.callBody(nil, sp, "Forward", decl.Type, decl.Body, decl.Recv, &recvVal, args)
	if errors.Is(err, errDiverged) {
		return nil, &ScriptError{Pos: sp.long(decl.Pos()), Msg: "Forward always panics"}
	}
	if err != nil {
		if reflect.TypeOf(c.root).Elem().PkgPath() == nnPath {
			var se *ScriptError
			if errors.As(err, &se) {
				out := *se
				out.Msg += fmt.Sprintf(" [in %T.Forward: the layer is beyond the subset Script compiles; trace it with jit.Trace]", c.root)
				return nil, &out
			}
		}
		return nil, err
	}
	res := sig.Results()
	outs := make([]*ir.Value, len(vals))
	fc := &fnCtx{pkg: sp}
	for i, v := range vals {
		if _, ok := c.inputType(res.At(i).Type()); !ok {
			return nil, &ScriptError{Pos: sp.long(decl.Pos()), Msg: fmt.Sprintf("Forward's result %d of type %s is not supported in a scripted Forward (return tensors, ints, floats and bools)", i, res.At(i).Type())}
		}
		o, err := c.materialize(fc, decl.Type.Results, v)
		if err != nil {
			return nil, err
		}
		outs[i] = o
	}
	c.g.Return(outs...)
	ir.EliminateDeadCode(c.irm, scriptSideEffects)
	return c.irm, nil
}

// scriptSideEffects keeps in-place ops, prim.raise and the random ops:
// dropping an unused random draw would change the random numbers that
// follow it.
func scriptSideEffects(n *ir.Node) bool {
	if ir.DefaultSideEffects(n) {
		return true
	}
	switch n.Op {
	case "dropout", "dropout2d", "rand", "randn", "rand_like", "randn_like", "randint", "randperm":
		return true
	}
	return false
}

// inputType returns the default IR type of a Forward parameter or result.
func (c *compiler) inputType(t types.Type) (ir.Type, bool) {
	if isTensorPtr(t) {
		return ir.UnrankedTensorType(ir.UnknownDType), true
	}
	if b, ok := t.Underlying().(*types.Basic); ok {
		switch {
		case b.Info()&types.IsInteger != 0:
			return ir.IntType(), true
		case b.Info()&types.IsFloat != 0:
			return ir.FloatType(), true
		case b.Info()&types.IsBoolean != 0:
			return ir.BoolType(), true
		}
	}
	return ir.Type{}, false
}

// callBody compiles a function body with the receiver and arguments
// bound, in a new frame, and returns its results. lex is the enclosing
// context of a function literal (nil for a declared function).
func (c *compiler) callBody(lex *fnCtx, sp *srcPkg, name string, ftype *ast.FuncType, body *ast.BlockStmt, recv *ast.FieldList, recvVal *sval, args []sval) ([]sval, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxInlineDepth {
		return nil, &ScriptError{Pos: sp.long(body.Pos()), Msg: fmt.Sprintf("calls nested deeper than %d (recursion is not supported in a scripted Forward)", maxInlineDepth)}
	}
	c.frames++
	fc := &fnCtx{pkg: sp, frame: c.frames, lex: lex, name: name}
	if recv != nil && len(recv.List) == 1 && len(recv.List[0].Names) == 1 && recvVal != nil {
		if obj := sp.info.Defs[recv.List[0].Names[0]]; obj != nil {
			c.env[varKey{obj, fc.frame}] = *recvVal
		}
	}
	i := 0
	for _, f := range ftype.Params.List {
		if len(f.Names) == 0 {
			i++
			continue
		}
		for _, n := range f.Names {
			if obj := sp.info.Defs[n]; obj != nil && i < len(args) {
				c.env[varKey{obj, fc.frame}] = args[i]
				if args[i].kind == svDyn && args[i].v.Name == "" && n.Name != "_" {
					args[i].v.Name = n.Name
				}
			}
			i++
		}
	}
	if ftype.Results != nil {
		for _, f := range ftype.Results.List {
			if len(f.Names) == 0 {
				fc.results = append(fc.results, nil)
				continue
			}
			for _, n := range f.Names {
				obj := sp.info.Defs[n]
				fc.results = append(fc.results, obj)
				if obj != nil {
					c.env[varKey{obj, fc.frame}] = zeroOf(obj.Type())
				}
			}
		}
	}
	fc.ret = func(_ ast.Node, vals []sval) (exit, error) { return exit{kind: exitVals, vals: vals}, nil }
	end := func() (exit, error) {
		vals, err := c.namedResults(fc, body)
		return exit{kind: exitVals, vals: vals}, err
	}
	ex, err := c.stmts(fc, body.List, end)
	// The frame's variables are dead once it returns.
	for k := range c.env {
		if k.frame == fc.frame {
			delete(c.env, k)
		}
	}
	if err != nil {
		return nil, err
	}
	switch ex.kind {
	case exitDiverge:
		return nil, errDiverged
	case exitVals:
		return ex.vals, nil
	}
	return nil, fmt.Errorf("jit.Script: internal error: %s fell off its end", name)
}

// namedResults returns the current values of fc's named results (a bare
// return).
func (c *compiler) namedResults(fc *fnCtx, at ast.Node) ([]sval, error) {
	vals := make([]sval, len(fc.results))
	for i, obj := range fc.results {
		if obj == nil {
			return nil, c.errAt(fc, at, "missing return values")
		}
		v, err := c.readVar(fc, at, obj)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}

// lookup finds the key of variable obj as seen from fc.
func (c *compiler) lookup(fc *fnCtx, obj types.Object) (varKey, bool) {
	for f := fc; f != nil; f = f.lex {
		k := varKey{obj, f.frame}
		if _, ok := c.env[k]; ok {
			return k, true
		}
	}
	return varKey{}, false
}

func (c *compiler) readVar(fc *fnCtx, at ast.Node, obj types.Object) (sval, error) {
	k, ok := c.lookup(fc, obj)
	if !ok {
		if obj.Parent() != nil && obj.Parent() == obj.Pkg().Scope() {
			return sval{}, c.unsupported(fc, at, "the package-level variable "+obj.Name(), "make it a field of the module")
		}
		return sval{}, c.errAt(fc, at, "variable %s has no value here", obj.Name())
	}
	v := c.env[k]
	if v.kind == svPoison {
		var se *ScriptError
		if errors.As(v.err, &se) {
			// Report the use; the message names the if.
			out := *se
			out.Pos = fc.pkg.long(at.Pos())
			return sval{}, &out
		}
		return sval{}, v.err
	}
	return v, nil
}

// errors

func (c *compiler) errAt(fc *fnCtx, at ast.Node, format string, args ...any) *ScriptError {
	pos := ""
	if at != nil {
		pos = fc.pkg.long(at.Pos())
	}
	return &ScriptError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (c *compiler) unsupported(fc *fnCtx, at ast.Node, construct, advice string) *ScriptError {
	return c.errAt(fc, at, "%s is not supported in a scripted Forward (%s)", construct, advice)
}

func (c *compiler) needStatic(fc *fnCtx, at ast.Node, format string, args ...any) *ScriptError {
	e := c.errAt(fc, at, format, args...)
	e.needStatic = true
	return e
}

func isNeedStatic(err error) bool {
	var se *ScriptError
	return errors.As(err, &se) && se.needStatic
}

// emission

func (c *compiler) emit(fc *fnCtx, at ast.Node, op string, inputs []*ir.Value, attrs ir.Attrs, outs ...ir.Type) *ir.Node {
	c.b.Pos = ""
	if at != nil {
		c.b.Pos = fc.pkg.short(at.Pos())
	}
	return c.b.Add(op, inputs, attrs, outs...)
}

func (c *compiler) constant(fc *fnCtx, at ast.Node, x any) *ir.Value {
	c.b.Pos = ""
	if at != nil {
		c.b.Pos = fc.pkg.short(at.Pos())
	}
	return c.b.Constant(x)
}

// paramValue returns the prim.param read of module constant name, added
// once at the start of the method so that it reaches every use.
func (c *compiler) paramValue(name string) (*ir.Value, error) {
	if v, ok := c.params[name]; ok {
		return v, nil
	}
	cst := c.irm.Const(name)
	if cst == nil {
		return nil, fmt.Errorf("jit.Script: no module constant %q", name)
	}
	pb := ir.NewBuilder(c.g.Body)
	switch {
	case c.paramAnchor != nil:
		pb.SetInsertAfter(c.paramAnchor)
	case len(c.g.Body.Nodes) > 0:
		pb.SetInsertBefore(c.g.Body.Nodes[0])
	}
	v := pb.Param(cst)
	c.paramAnchor = v.Def
	c.params[name] = v
	return v, nil
}

// tensorParam returns the graph value of a tensor held by the module.
func (c *compiler) tensorParam(fc *fnCtx, at ast.Node, t *tensor.Tensor) (*ir.Value, error) {
	name, ok := c.tensorNames[t]
	if !ok {
		return nil, c.errAt(fc, at, "this tensor is not a parameter or buffer of the module (the constants of a scripted module are its parameters and buffers; register the tensor as a field, or compute it in Forward)")
	}
	return c.paramValue(name)
}

// materialize returns the graph value of sv, adding a constant or a
// parameter read for a static value.
func (c *compiler) materialize(fc *fnCtx, at ast.Node, sv sval) (*ir.Value, error) {
	switch sv.kind {
	case svDyn:
		return sv.v, nil
	case svPoison:
		return nil, sv.err
	case svStatic:
		switch x := sv.c.(type) {
		case int64, float64, bool, string:
			return c.constant(fc, at, x), nil
		case *tensor.Tensor:
			return c.tensorParam(fc, at, x)
		}
	}
	e := c.errAt(fc, at, "%s cannot be a graph value (graph values are tensors, ints, floats and bools)", describe(sv))
	e.needStatic = true
	return nil, e
}

// materializeIn materializes sv at the end of blk.
func (c *compiler) materializeIn(fc *fnCtx, at ast.Node, blk *ir.Block, sv sval) (*ir.Value, error) {
	saved := c.b
	c.b = ir.NewBuilder(blk)
	defer func() { c.b = saved }()
	return c.materialize(fc, at, sv)
}

// dummy adds a placeholder value of type t at the end of blk: what a
// branch that always raises returns for an output it never computes.
func (c *compiler) dummy(fc *fnCtx, at ast.Node, blk *ir.Block, t ir.Type) *ir.Value {
	saved := c.b
	c.b = ir.NewBuilder(blk)
	defer func() { c.b = saved }()
	switch t.Kind {
	case ir.KindInt:
		return c.constant(fc, at, int64(0))
	case ir.KindFloat:
		return c.constant(fc, at, 0.0)
	case ir.KindBool:
		return c.constant(fc, at, false)
	case ir.KindString:
		return c.constant(fc, at, "")
	}
	return c.emit(fc, at, "zeros", nil, ir.Attrs{"shape": []int64{}}, anyTensor()).Output()
}

func anyTensor() ir.Type { return ir.UnrankedTensorType(ir.UnknownDType) }

// joinType returns a type both a and b are assignable to.
func joinType(a, b ir.Type) ir.Type {
	if a.Equal(b) {
		return a.Clone()
	}
	if a.Kind != ir.KindTensor || b.Kind != ir.KindTensor {
		return a.Clone()
	}
	dt := a.DType
	if dt != b.DType {
		dt = ir.UnknownDType
	}
	if a.Shape == nil || b.Shape == nil || len(a.Shape) != len(b.Shape) || a.Quant != nil || b.Quant != nil {
		return ir.UnrankedTensorType(dt)
	}
	dims := make([]ir.Dim, len(a.Shape))
	for i := range dims {
		dims[i] = a.Shape[i]
		if a.Shape[i] != b.Shape[i] {
			dims[i] = ir.UnknownDim()
		}
	}
	return ir.TensorType(dt, dims...)
}

// widen returns the type of a loop-carried value: a tensor of unknown
// dtype and rank (the body may change both), or the scalar type.
func widen(t ir.Type) ir.Type {
	if t.Kind == ir.KindTensor {
		return anyTensor()
	}
	return t.Clone()
}

// definedIn reports whether v is defined inside blk or a block nested in it.
func definedIn(v *ir.Value, blk *ir.Block) bool {
	var b *ir.Block
	if v.Def != nil {
		b = v.Def.Parent
	} else {
		b = v.Block
	}
	for b != nil {
		if b == blk {
			return true
		}
		if b.Owner == nil {
			return false
		}
		b = b.Owner.Parent
	}
	return false
}

// insideRefs reports whether sv refers to a graph value defined in blk.
func insideRefs(sv sval, blk *ir.Block) bool {
	switch sv.kind {
	case svDyn:
		return definedIn(sv.v, blk)
	case svShape:
		if definedIn(sv.shape.t, blk) || insideRefs(sv.shape.lo, blk) {
			return true
		}
		return sv.shape.hi != nil && insideRefs(*sv.shape.hi, blk)
	case svStatic:
		switch x := sv.c.(type) {
		case *listVal:
			for _, e := range x.elems {
				if insideRefs(e, blk) {
					return true
				}
			}
		case *structVal:
			if x.fields != nil {
				for _, e := range x.fields {
					if insideRefs(e, blk) {
						return true
					}
				}
			}
		}
	}
	return false
}

// statements

func (c *compiler) stmts(fc *fnCtx, list []ast.Stmt, k cont) (exit, error) {
	for i, s := range list {
		rest := list[i+1:]
		after := func() (exit, error) { return c.stmts(fc, rest, k) }
		switch s := s.(type) {
		case *ast.BlockStmt:
			return c.stmts(fc, concatStmts(s.List, rest), k)
		case *ast.IfStmt:
			return c.ifStmt(fc, s, after)
		case *ast.SwitchStmt:
			return c.switchStmt(fc, s, after)
		case *ast.ForStmt:
			return c.forStmt(fc, s, after)
		case *ast.RangeStmt:
			return c.rangeStmt(fc, s, after)
		case *ast.ReturnStmt:
			vals, err := c.returnValues(fc, s)
			if err != nil {
				return c.divergeOr(err)
			}
			return fc.ret(s, vals)
		case *ast.BranchStmt:
			if s.Label != nil {
				return exit{}, c.unsupported(fc, s, "a labeled "+s.Tok.String(), "restructure the loop, e.g. with a flag variable")
			}
			switch s.Tok {
			case token.BREAK:
				if fc.brk == nil {
					return exit{}, c.unsupported(fc, s, "this break", "break out of a for loop")
				}
				return fc.brk()
			case token.CONTINUE:
				if fc.cont == nil {
					return exit{}, c.unsupported(fc, s, "this continue", "continue a for loop")
				}
				return fc.cont()
			case token.GOTO:
				return exit{}, c.unsupported(fc, s, "goto", "use if and for")
			case token.FALLTHROUGH:
				return exit{}, c.unsupported(fc, s, "fallthrough", "repeat the case's statements or combine the cases")
			}
		case *ast.ExprStmt:
			if call, ok := unparen(s.X).(*ast.CallExpr); ok && c.isBuiltin(fc, call, "panic") {
				c.raise(fc, call)
				return exit{kind: exitDiverge}, nil
			}
		case *ast.LabeledStmt:
			return exit{}, c.unsupported(fc, s, "a labeled statement", "remove the label; labeled break and continue are not supported")
		}
		if err := c.simple(fc, s); err != nil {
			return c.divergeOr(err)
		}
	}
	return k()
}

func (c *compiler) divergeOr(err error) (exit, error) {
	if errors.Is(err, errDiverged) {
		return exit{kind: exitDiverge}, nil
	}
	return exit{}, err
}

func concatStmts(a, b []ast.Stmt) []ast.Stmt {
	out := make([]ast.Stmt, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

func (c *compiler) returnValues(fc *fnCtx, s *ast.ReturnStmt) ([]sval, error) {
	if len(s.Results) == 0 {
		return c.namedResults(fc, s)
	}
	if len(s.Results) == 1 && len(fc.results) > 1 {
		return c.exprN(fc, s.Results[0])
	}
	vals := make([]sval, len(s.Results))
	for i, r := range s.Results {
		v, err := c.expr(fc, r)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}

// raise adds prim.raise for panic(arg): the argument's text when it is
// known while compiling, else "file:line: panic" and the format of a
// fmt.Sprintf argument.
func (c *compiler) raise(fc *fnCtx, call *ast.CallExpr) {
	pos := fc.pkg.short(call.Pos())
	msg := pos + ": panic"
	if len(call.Args) == 1 {
		if v, ok := c.tryStatic(fc, call.Args[0]); ok {
			switch x := v.(type) {
			case string:
				msg = x
			case error:
				msg = x.Error()
			case fmt.Stringer:
				msg = x.String()
			default:
				msg = fmt.Sprint(x)
			}
		} else if inner, ok := unparen(call.Args[0]).(*ast.CallExpr); ok && len(inner.Args) > 0 {
			if tv, ok := fc.pkg.info.Types[inner.Args[0]]; ok && tv.Value != nil {
				if s, ok := fromConstant(tv.Value, tv.Type).c.(string); ok {
					msg += ": " + s
				}
			}
		}
	}
	c.emit(fc, call, ir.OpRaise, nil, ir.Attrs{"msg": msg})
}

// tryStatic evaluates e while compiling, discarding what it would add to
// the graph; ok is false when its value is not known while compiling.
func (c *compiler) tryStatic(fc *fnCtx, e ast.Expr) (v any, ok bool) {
	savedB, savedEnv := c.b, c.env
	c.b = ir.NewBuilder(c.g.NewBlock())
	c.env = maps.Clone(savedEnv)
	defer func() { c.b, c.env = savedB, savedEnv }()
	sv, err := c.expr(fc, e)
	if err != nil || sv.kind != svStatic {
		return nil, false
	}
	switch x := sv.c.(type) {
	case *listVal, *structVal:
		rv, ok := goArg(sv, reflect.TypeOf((*any)(nil)).Elem())
		if !ok {
			return nil, false
		}
		return rv.Interface(), true
	case opaque:
		return nil, false
	default:
		return x, true
	}
}

// simple statements

func (c *compiler) simple(fc *fnCtx, s ast.Stmt) error {
	info := fc.pkg.info
	switch s := s.(type) {
	case *ast.AssignStmt:
		return c.assignStmt(fc, s)
	case *ast.IncDecStmt:
		cur, err := c.expr(fc, s.X)
		if err != nil {
			return err
		}
		one := staticVal(int64(1))
		if isFloat(info.TypeOf(s.X)) {
			one = staticVal(1.0)
		}
		op := token.ADD
		if s.Tok == token.DEC {
			op = token.SUB
		}
		v, err := c.binop(fc, s, op, cur, one)
		if err != nil {
			return err
		}
		return c.assign(fc, s.X, v, false)
	case *ast.DeclStmt:
		gd, ok := s.Decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			return nil
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			var vals []sval
			switch {
			case len(vs.Values) == 0:
				for _, n := range vs.Names {
					obj := info.Defs[n]
					if obj == nil {
						vals = append(vals, staticVal(nil))
						continue
					}
					vals = append(vals, zeroOf(obj.Type()))
				}
			case len(vs.Values) == 1 && len(vs.Names) > 1:
				vv, err := c.exprTuple(fc, vs.Values[0], len(vs.Names))
				if err != nil {
					return err
				}
				vals = vv
			default:
				for _, e := range vs.Values {
					v, err := c.expr(fc, e)
					if err != nil {
						return err
					}
					vals = append(vals, v)
				}
			}
			for i, n := range vs.Names {
				if err := c.assign(fc, n, vals[i], true); err != nil {
					return err
				}
			}
		}
		return nil
	case *ast.ExprStmt:
		_, err := c.exprN(fc, s.X)
		return err
	case *ast.EmptyStmt:
		return nil
	case *ast.GoStmt:
		return c.unsupported(fc, s, "a go statement", "goroutines cannot be part of a graph")
	case *ast.DeferStmt:
		return c.unsupported(fc, s, "defer", "run the deferred code explicitly before each return")
	case *ast.SendStmt:
		return c.unsupported(fc, s, "a channel send", "channels cannot be part of a graph")
	case *ast.SelectStmt:
		return c.unsupported(fc, s, "select", "channels cannot be part of a graph")
	case *ast.TypeSwitchStmt:
		return c.unsupported(fc, s, "a type switch", "use a type assertion on a module field, or if statements")
	}
	return c.unsupported(fc, s, fmt.Sprintf("the statement %T", s), "use assignments, if, switch, for and return")
}

var assignOps = map[token.Token]token.Token{
	token.ADD_ASSIGN: token.ADD, token.SUB_ASSIGN: token.SUB, token.MUL_ASSIGN: token.MUL,
	token.QUO_ASSIGN: token.QUO, token.REM_ASSIGN: token.REM, token.AND_ASSIGN: token.AND,
	token.OR_ASSIGN: token.OR, token.XOR_ASSIGN: token.XOR, token.SHL_ASSIGN: token.SHL,
	token.SHR_ASSIGN: token.SHR, token.AND_NOT_ASSIGN: token.AND_NOT,
}

func (c *compiler) assignStmt(fc *fnCtx, s *ast.AssignStmt) error {
	switch s.Tok {
	case token.DEFINE, token.ASSIGN:
		var vals []sval
		if len(s.Rhs) == 1 && len(s.Lhs) > 1 {
			vv, err := c.exprTuple(fc, s.Rhs[0], len(s.Lhs))
			if err != nil {
				return err
			}
			vals = vv
		} else {
			for _, r := range s.Rhs {
				v, err := c.expr(fc, r)
				if err != nil {
					return err
				}
				vals = append(vals, v)
			}
		}
		for i, l := range s.Lhs {
			if err := c.assign(fc, l, vals[i], s.Tok == token.DEFINE); err != nil {
				return err
			}
		}
		return nil
	}
	op, ok := assignOps[s.Tok]
	if !ok || len(s.Lhs) != 1 || len(s.Rhs) != 1 {
		return c.unsupported(fc, s, "the assignment "+s.Tok.String(), "use = or :=")
	}
	cur, err := c.expr(fc, s.Lhs[0])
	if err != nil {
		return err
	}
	r, err := c.expr(fc, s.Rhs[0])
	if err != nil {
		return err
	}
	v, err := c.binop(fc, s, op, cur, r)
	if err != nil {
		return err
	}
	return c.assign(fc, s.Lhs[0], v, false)
}

// assign stores v in the variable, struct field or slice element lhs.
func (c *compiler) assign(fc *fnCtx, lhs ast.Expr, v sval, define bool) error {
	info := fc.pkg.info
	switch l := unparen(lhs).(type) {
	case *ast.Ident:
		if l.Name == "_" {
			return nil
		}
		if define {
			if obj := info.Defs[l]; obj != nil {
				c.env[varKey{obj, fc.frame}] = v
				nameValue(v, l.Name)
				return nil
			}
		}
		obj := info.Uses[l]
		if obj == nil {
			obj = info.Defs[l]
		}
		if obj == nil {
			return c.errAt(fc, l, "cannot resolve %s", l.Name)
		}
		k, ok := c.lookup(fc, obj)
		if !ok {
			if obj.Parent() != nil && obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope() {
				return c.unsupported(fc, l, "assigning to the package-level variable "+l.Name, "keep state in the module's fields or local variables")
			}
			return c.errAt(fc, l, "variable %s has no value here", l.Name)
		}
		c.env[k] = v
		nameValue(v, l.Name)
		return nil
	case *ast.SelectorExpr:
		sel := info.Selections[l]
		if sel == nil || sel.Kind() != types.FieldVal {
			return c.unsupported(fc, l, "this assignment", "assign to local variables")
		}
		cur, err := c.expr(fc, l.X)
		if err != nil {
			return err
		}
		sv, ok := cur.c.(*structVal)
		if cur.kind != svStatic || !ok {
			return c.unsupported(fc, l, "assigning to a field of a module or through a pointer", "modules are read-only in a scripted Forward; use local variables")
		}
		nv, err := setField(sv, sel.Index(), v)
		if err != nil {
			return c.unsupported(fc, l, "assigning to a field through an embedded pointer", "use local variables")
		}
		return c.assign(fc, l.X, staticVal(nv), false)
	case *ast.IndexExpr:
		cur, err := c.expr(fc, l.X)
		if err != nil {
			return err
		}
		list, ok := cur.c.(*listVal)
		if cur.kind != svStatic || !ok {
			return c.unsupported(fc, l, "assigning to an element of this value", "only elements of local slices can be assigned")
		}
		idx, err := c.expr(fc, l.Index)
		if err != nil {
			return err
		}
		i, ok := idx.c.(int64)
		if idx.kind != svStatic || !ok {
			return c.needStatic(fc, l.Index, "the index %s of a Go slice must be known when scripting, but it is computed when the graph runs", exprString(l.Index))
		}
		if i < 0 || int(i) >= len(list.elems) {
			return c.errAt(fc, l.Index, "index %d out of range [0, %d)", i, len(list.elems))
		}
		if list.blk == nil {
			return c.unsupported(fc, l, "assigning to an element of a slice held by the module", "copy it into a local slice first")
		}
		if list.blk != c.b.Block() {
			return c.needStatic(fc, l, "assigning to an element of a slice made outside a tensor-dependent branch or loop body is not supported (build a new slice in the branch)")
		}
		list.elems[i] = v
		return nil
	case *ast.StarExpr:
		return c.unsupported(fc, l, "assigning through a pointer", "use local variables")
	}
	return c.unsupported(fc, lhs, "this assignment", "assign to local variables")
}

func nameValue(v sval, name string) {
	if v.kind == svDyn && v.v.Name == "" && name != "_" {
		v.v.Name = name
	}
}

func setField(s *structVal, path []int, v sval) (*structVal, error) {
	if len(path) == 1 {
		return s.with(path[0], v), nil
	}
	inner, ok := s.field(path[0]).c.(*structVal)
	if !ok {
		return nil, errors.New("not a struct")
	}
	nv, err := setField(inner, path[1:], v)
	if err != nil {
		return nil, err
	}
	return s.with(path[0], staticVal(nv)), nil
}

// if and switch

func (c *compiler) ifStmt(fc *fnCtx, s *ast.IfStmt, after cont) (exit, error) {
	if s.Init != nil {
		if err := c.simple(fc, s.Init); err != nil {
			return c.divergeOr(err)
		}
	}
	cond, err := c.expr(fc, s.Cond)
	if err != nil {
		return c.divergeOr(err)
	}
	thenB := func(k cont) (exit, error) { return c.stmts(fc, s.Body.List, k) }
	elseB := func(k cont) (exit, error) {
		if s.Else == nil {
			return k()
		}
		return c.stmts(fc, []ast.Stmt{s.Else}, k)
	}
	esc := escapes(s.Body) || (s.Else != nil && escapes(s.Else))
	return c.branch(fc, s, cond, thenB, elseB, after, esc)
}

// branch compiles if cond { then } else { els } followed by after. A
// static condition picks a branch; a dynamic one makes a prim.if.
func (c *compiler) branch(fc *fnCtx, at ast.Node, cond sval, thenB, elseB func(cont) (exit, error), after cont, esc bool) (exit, error) {
	switch cond.kind {
	case svStatic:
		b, ok := cond.c.(bool)
		if !ok {
			return exit{}, c.errAt(fc, at, "the condition is not a bool")
		}
		if b {
			return thenB(after)
		}
		return elseB(after)
	case svDyn:
	default:
		return exit{}, c.errAt(fc, at, "the condition is %s, not a bool", describe(cond))
	}
	if esc {
		return c.dynIf(fc, at, cond.v, func() (exit, error) { return thenB(after) }, func() (exit, error) { return elseB(after) }, nil)
	}
	env0 := c.env
	kFall := func() (exit, error) { return exit{kind: exitFall, env: maps.Clone(c.env)}, nil }
	ex, err := c.dynIf(fc, at, cond.v, func() (exit, error) { return thenB(kFall) }, func() (exit, error) { return elseB(kFall) }, env0)
	if err != nil {
		return ex, err
	}
	switch ex.kind {
	case exitDiverge:
		return ex, nil
	case exitFall:
		c.env = ex.env
		return after()
	}
	return exit{}, fmt.Errorf("jit.Script: internal error: an if without return left its frame")
}

// dynIf adds a prim.if on cond, compiles the branches into its blocks and
// merges how they end. env0, when not nil, is the environment before the
// if, whose values a branch that always raises returns.
func (c *compiler) dynIf(fc *fnCtx, at ast.Node, cond *ir.Value, thenF, elseF cont, env0 map[varKey]sval) (exit, error) {
	outer, envBefore := c.b, c.env
	c.b.Pos = fc.pkg.short(at.Pos())
	n, tb, eb := c.b.If(cond)
	restore := func() { c.b, c.env = outer, envBefore }
	c.b, c.env = ir.NewBuilder(tb), maps.Clone(envBefore)
	eT, err := thenF()
	if err != nil {
		restore()
		return exit{}, err
	}
	c.b, c.env = ir.NewBuilder(eb), maps.Clone(envBefore)
	eE, err := elseF()
	if err != nil {
		restore()
		return exit{}, err
	}
	restore()
	return c.merge(fc, at, n, tb, eb, eT, eE, env0)
}

// merge makes the outputs of the prim.if n from the exits of its branches.
func (c *compiler) merge(fc *fnCtx, at ast.Node, n *ir.Node, tb, eb *ir.Block, eT, eE exit, env0 map[varKey]sval) (exit, error) {
	if eT.kind == exitDiverge && eE.kind == exitDiverge {
		return exit{kind: exitDiverge}, nil
	}
	kind := eT.kind
	if kind == exitDiverge {
		kind = eE.kind
	}
	if eT.kind != exitDiverge && eE.kind != exitDiverge && eT.kind != eE.kind {
		return exit{}, fmt.Errorf("jit.Script: internal error: branches leave different frames")
	}
	m := &merger{c: c, fc: fc, at: at, n: n, tb: tb, eb: eb, tDiv: eT.kind == exitDiverge, eDiv: eE.kind == exitDiverge}
	switch kind {
	case exitVals:
		cnt := len(eT.vals)
		if m.tDiv {
			cnt = len(eE.vals)
		}
		out := make([]sval, cnt)
		for i := range out {
			var a, b sval
			if !m.tDiv {
				a = eT.vals[i]
			}
			if !m.eDiv {
				b = eE.vals[i]
			}
			v, err := m.join(a, b, nil, fmt.Sprintf("result %d", i), "")
			if err != nil {
				return exit{}, err
			}
			out[i] = v
		}
		return exit{kind: exitVals, vals: out}, nil
	case exitFall:
		var keys []varKey
		switch {
		case m.tDiv:
			keys = slices.Collect(maps.Keys(eE.env))
		case m.eDiv:
			keys = slices.Collect(maps.Keys(eT.env))
		default:
			for k := range eT.env {
				if _, ok := eE.env[k]; ok {
					keys = append(keys, k)
				}
			}
		}
		sortKeys(keys)
		env := make(map[varKey]sval, len(keys))
		for _, k := range keys {
			var pre *sval
			if env0 != nil {
				if p, ok := env0[k]; ok {
					pre = &p
				}
			}
			v, err := m.join(eT.env[k], eE.env[k], pre, "variable "+k.obj.Name(), k.obj.Name())
			if err != nil {
				return exit{}, err
			}
			env[k] = v
		}
		return exit{kind: exitFall, env: env}, nil
	}
	return exit{}, fmt.Errorf("jit.Script: internal error: bad exit")
}

func sortKeys(keys []varKey) {
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.frame != b.frame {
			return a.frame < b.frame
		}
		if a.obj.Pos() != b.obj.Pos() {
			return a.obj.Pos() < b.obj.Pos()
		}
		return a.obj.Name() < b.obj.Name()
	})
}

type merger struct {
	c          *compiler
	fc         *fnCtx
	at         ast.Node
	n          *ir.Node
	tb, eb     *ir.Block
	tDiv, eDiv bool
}

// join merges the values a slot has at the ends of the two branches.
func (m *merger) join(a, b sval, pre *sval, what, name string) (sval, error) {
	c, fc := m.c, m.fc
	where := fc.pkg.long(m.at.Pos())
	switch {
	case m.tDiv:
		return m.one(b, m.eb, m.tb, pre, name)
	case m.eDiv:
		return m.one(a, m.tb, m.eb, pre, name)
	}
	if sameVal(a, b) {
		return a, nil
	}
	if a.kind == svPoison {
		return a, nil
	}
	if b.kind == svPoison {
		return b, nil
	}
	bad := func() (sval, error) {
		return poisonVal(&ScriptError{Pos: where, Msg: fmt.Sprintf("%s is %s after the then branch of the if at %s and %s after the else branch; only tensors, ints, floats and bools can differ between the branches of an if on a value known when the graph runs (assign it in both branches, or use it only inside them)", what, describe(a), where, describe(b))}), nil
	}
	va, err := c.materializeIn(fc, m.at, m.tb, a)
	if err != nil {
		return bad()
	}
	vb, err := c.materializeIn(fc, m.at, m.eb, b)
	if err != nil {
		return bad()
	}
	if va.Type.Kind != vb.Type.Kind {
		return bad()
	}
	return m.output(va, vb, name), nil
}

// one merges a slot whose value comes from one branch (live, ending in
// blk) because the other (dead) always raises.
func (m *merger) one(v sval, blk, dead *ir.Block, pre *sval, name string) (sval, error) {
	c, fc := m.c, m.fc
	if v.kind == svPoison || !insideRefs(v, blk) {
		return v, nil
	}
	if v.kind != svDyn {
		where := fc.pkg.long(m.at.Pos())
		return poisonVal(&ScriptError{Pos: where, Msg: fmt.Sprintf("%s holds graph values made inside a branch of the if at %s; only tensors, ints, floats and bools can leave it", name, where)}), nil
	}
	var d *ir.Value
	if pre != nil && pre.kind != svPoison {
		if pv, err := c.materializeIn(fc, m.at, dead, *pre); err == nil && pv.Type.Kind == v.v.Type.Kind {
			d = pv
		}
	}
	if d == nil {
		d = c.dummy(fc, m.at, dead, v.v.Type)
	}
	if blk == m.tb {
		return m.output(v.v, d, name), nil
	}
	return m.output(d, v.v, name), nil
}

func (m *merger) output(vt, ve *ir.Value, name string) sval {
	o := m.c.g.NewValue(joinType(vt.Type, ve.Type))
	o.Def = m.n
	o.Name = name
	m.n.Outputs = append(m.n.Outputs, o)
	m.tb.Returns = append(m.tb.Returns, vt)
	m.eb.Returns = append(m.eb.Returns, ve)
	return dynVal(o)
}

// escapes reports whether n holds a return, or a break or continue that
// leaves n (not one of a loop or switch inside n). Function literals are
// not looked into.
func escapes(n ast.Node) bool {
	found := false
	var walk func(n ast.Node, loops, switches int)
	walk = func(n ast.Node, loops, switches int) {
		ast.Inspect(n, func(x ast.Node) bool {
			if found || x == nil {
				return false
			}
			switch x := x.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				found = true
				return false
			case *ast.BranchStmt:
				switch x.Tok {
				case token.BREAK:
					found = x.Label != nil || (loops == 0 && switches == 0)
				case token.CONTINUE:
					found = x.Label != nil || loops == 0
				case token.GOTO:
					found = true
				}
				return false
			case *ast.ForStmt:
				if x != n {
					walk(x.Body, loops+1, switches)
					return false
				}
			case *ast.RangeStmt:
				if x != n {
					walk(x.Body, loops+1, switches)
					return false
				}
			case *ast.SwitchStmt:
				if x != n {
					walk(x.Body, loops, switches+1)
					return false
				}
			case *ast.TypeSwitchStmt:
				if x != n {
					walk(x.Body, loops, switches+1)
					return false
				}
			case *ast.SelectStmt:
				if x != n {
					walk(x.Body, loops, switches+1)
					return false
				}
			}
			return true
		})
	}
	walk(n, 0, 0)
	return found
}

func (c *compiler) switchStmt(fc *fnCtx, s *ast.SwitchStmt, after cont) (exit, error) {
	if s.Init != nil {
		if err := c.simple(fc, s.Init); err != nil {
			return c.divergeOr(err)
		}
	}
	tag := staticVal(true)
	if s.Tag != nil {
		t, err := c.expr(fc, s.Tag)
		if err != nil {
			return c.divergeOr(err)
		}
		tag = t
	}
	var cases []*ast.CaseClause
	var def *ast.CaseClause
	esc := false
	for _, st := range s.Body.List {
		cc := st.(*ast.CaseClause)
		if cc.List == nil {
			def = cc
		} else {
			cases = append(cases, cc)
		}
		for _, b := range cc.Body {
			if escapes(b) {
				esc = true
			}
		}
	}
	fcs := fc.with()
	fcs.brk = after
	var chain func(i int, k cont) (exit, error)
	chain = func(i int, k cont) (exit, error) {
		if i == len(cases) {
			if def == nil {
				return k()
			}
			return c.stmts(fcs, def.Body, k)
		}
		cc := cases[i]
		var cond sval
		for j, e := range cc.List {
			v, err := c.expr(fc, e)
			if err != nil {
				return c.divergeOr(err)
			}
			eq := v
			if s.Tag != nil {
				eq, err = c.binop(fc, e, token.EQL, tag, v)
				if err != nil {
					return exit{}, err
				}
			}
			if j == 0 {
				cond = eq
				continue
			}
			cond, err = c.orVals(fc, e, cond, eq)
			if err != nil {
				return exit{}, err
			}
		}
		thenB := func(k cont) (exit, error) { return c.stmts(fcs, cc.Body, k) }
		elseB := func(k cont) (exit, error) { return chain(i+1, k) }
		return c.branch(fc, cc, cond, thenB, elseB, k, esc)
	}
	return chain(0, after)
}

// orVals is a || b for case lists (both already evaluated: cases are
// expressions without effects).
func (c *compiler) orVals(fc *fnCtx, at ast.Node, a, b sval) (sval, error) {
	if a.kind == svStatic {
		if x, _ := a.c.(bool); x {
			return a, nil
		}
		return b, nil
	}
	if b.kind == svStatic {
		if x, _ := b.c.(bool); x {
			return b, nil
		}
		return a, nil
	}
	return dynVal(c.emit(fc, at, ir.OpOr, []*ir.Value{a.v, b.v}, nil, ir.BoolType()).Output()), nil
}

// loops

// assignedVars returns the variables that nodes assign (as seen from fc),
// sorted.
func (c *compiler) assignedVars(fc *fnCtx, nodes ...ast.Node) []varKey {
	info := fc.pkg.info
	set := map[varKey]bool{}
	add := func(e ast.Expr) {
		for {
			switch x := unparen(e).(type) {
			case *ast.Ident:
				obj := info.Uses[x]
				if obj == nil {
					obj = info.Defs[x]
				}
				if obj != nil {
					if k, ok := c.lookup(fc, obj); ok {
						set[k] = true
					}
				}
				return
			case *ast.SelectorExpr:
				e = x.X
			case *ast.IndexExpr:
				e = x.X
			default:
				return
			}
		}
	}
	for _, n := range nodes {
		if n == nil || reflect.ValueOf(n).IsNil() {
			continue
		}
		ast.Inspect(n, func(x ast.Node) bool {
			switch x := x.(type) {
			case *ast.AssignStmt:
				for _, l := range x.Lhs {
					add(l)
				}
			case *ast.IncDecStmt:
				add(x.X)
			case *ast.RangeStmt:
				if x.Tok == token.ASSIGN {
					if x.Key != nil {
						add(x.Key)
					}
					if x.Value != nil {
						add(x.Value)
					}
				}
			}
			return true
		})
	}
	keys := slices.Collect(maps.Keys(set))
	sortKeys(keys)
	return keys
}

// loopSpec describes a loop compiled to prim.loop.
type loopSpec struct {
	at      ast.Node
	carried []varKey
	maxTrip sval
	cond0   sval
	// bind binds the loop's variables from the iteration counter.
	bind func(iter *ir.Value) error
	body []ast.Stmt
	// next runs at the end of an iteration (falling off the body or
	// continue) and returns the condition of the next.
	next func(fcb *fnCtx) (sval, error)
}

// emitLoop adds a prim.loop. On error nothing is left in the graph or the
// environment.
func (c *compiler) emitLoop(fc *fnCtx, sp loopSpec) error {
	env0 := c.env
	outer := c.b
	init := make([]*ir.Value, len(sp.carried))
	for i, k := range sp.carried {
		v, err := c.materialize(fc, sp.at, c.env[k])
		if err != nil {
			e := c.needStatic(fc, sp.at, "variable %s is %s and changes in a loop whose trip count is known only when the graph runs; only tensors, ints, floats and bools can change in such a loop", k.obj.Name(), describe(c.env[k]))
			return e
		}
		init[i] = v
	}
	maxV, err := c.materialize(fc, sp.at, sp.maxTrip)
	if err != nil {
		return err
	}
	condV, err := c.materialize(fc, sp.at, sp.cond0)
	if err != nil {
		return err
	}
	c.b.Pos = fc.pkg.short(sp.at.Pos())
	n, body := c.b.Loop(maxV, condV, init...)
	for i, k := range sp.carried {
		t := widen(n.Outputs[i].Type)
		n.Outputs[i].Type = t
		n.Outputs[i].Name = k.obj.Name()
		body.Params[i+1].Type = t.Clone()
		body.Params[i+1].Name = k.obj.Name()
	}
	fail := func(err error) error {
		c.b, c.env = outer, env0
		if idx := outer.Block().Index(n); idx >= 0 {
			outer.Block().Nodes = slices.Delete(outer.Block().Nodes, idx, idx+1)
		}
		return err
	}
	c.env = maps.Clone(env0)
	for i, k := range sp.carried {
		c.env[k] = dynVal(body.Params[i+1])
	}
	c.b = ir.NewBuilder(body)
	if sp.bind != nil {
		if err := sp.bind(body.Params[0]); err != nil {
			return fail(err)
		}
	}
	fcb := fc.with()
	carriedNow := func() []sval {
		out := make([]sval, len(sp.carried))
		for i, k := range sp.carried {
			out[i] = c.env[k]
		}
		return out
	}
	fcb.ret = func(at ast.Node, _ []sval) (exit, error) {
		return exit{}, c.needStatic(fc, at, "a return inside a loop whose trip count is known only when the graph runs is not supported (break out of the loop and return after it)")
	}
	fcb.brk = func() (exit, error) {
		return exit{kind: exitVals, vals: append([]sval{staticVal(false)}, carriedNow()...)}, nil
	}
	fcb.cont = func() (exit, error) {
		cond, err := sp.next(fcb)
		if err != nil {
			return exit{}, err
		}
		return exit{kind: exitVals, vals: append([]sval{cond}, carriedNow()...)}, nil
	}
	ex, err := c.stmts(fcb, sp.body, fcb.cont)
	if err != nil {
		return fail(err)
	}
	switch ex.kind {
	case exitDiverge:
		body.Returns = []*ir.Value{c.constant(fc, sp.at, false)}
		body.Returns = append(body.Returns, body.Params[1:]...)
	case exitVals:
		rets := make([]*ir.Value, len(ex.vals))
		for i, v := range ex.vals {
			r, err := c.materialize(fc, sp.at, v)
			if err != nil {
				return fail(err)
			}
			if i > 0 && r.Type.Kind != body.Params[i].Type.Kind {
				return fail(c.errAt(fc, sp.at, "variable %s changes kind in the loop", sp.carried[i-1].obj.Name()))
			}
			rets[i] = r
		}
		if rets[0].Type.Kind != ir.KindBool {
			return fail(c.errAt(fc, sp.at, "the loop condition is not a bool"))
		}
		body.Returns = rets
	default:
		return fail(fmt.Errorf("jit.Script: internal error: a loop body fell through"))
	}
	c.b, c.env = outer, env0
	for i, k := range sp.carried {
		c.env[k] = dynVal(n.Outputs[i])
	}
	return nil
}

func (c *compiler) forStmt(fc *fnCtx, s *ast.ForStmt, after cont) (exit, error) {
	info := fc.pkg.info
	if s.Init != nil {
		if err := c.simple(fc, s.Init); err != nil {
			return c.divergeOr(err)
		}
	}
	envInit := maps.Clone(c.env)
	nodesBefore := c.nodeSet()
	inBody := c.assignedVars(fc, s.Body)
	var err error
	if iv, hi, incl, ok := countLoop(info, s); ok && !containsKey(inBody, c, fc, iv) && !c.refsAny(fc, hi, inBody) {
		err = c.countLoop(fc, s, iv, hi, incl, inBody)
	} else {
		err = c.whileLoop(fc, s, c.assignedVars(fc, s.Body, s.Post))
	}
	if err == nil {
		return after()
	}
	if !isNeedStatic(err) {
		return c.divergeOr(err)
	}
	// Unroll when the bounds are constants.
	c.env = envInit
	c.truncate(nodesBefore)
	ex, uerr := c.unrollFor(fc, s, after)
	if uerr != nil && errors.Is(uerr, errNotUnrollable) {
		return exit{}, err
	}
	return ex, uerr
}

// nodeSet returns the nodes of the current block.
func (c *compiler) nodeSet() map[*ir.Node]bool {
	set := map[*ir.Node]bool{}
	for _, n := range c.b.Block().Nodes {
		set[n] = true
	}
	return set
}

// truncate removes the nodes added to the current block since nodeSet gave
// keep, except prim.param reads.
func (c *compiler) truncate(keep map[*ir.Node]bool) {
	blk := c.b.Block()
	out := blk.Nodes[:0:0]
	for _, x := range blk.Nodes {
		if keep[x] || x.Op == ir.OpParam {
			out = append(out, x)
		}
	}
	blk.Nodes = out
}

var errNotUnrollable = errors.New("jit.Script: the loop cannot be unrolled")

func containsKey(keys []varKey, c *compiler, fc *fnCtx, obj types.Object) bool {
	k, ok := c.lookup(fc, obj)
	return ok && slices.Contains(keys, k)
}

// refsAny reports whether e mentions one of keys.
func (c *compiler) refsAny(fc *fnCtx, e ast.Expr, keys []varKey) bool {
	found := false
	ast.Inspect(e, func(x ast.Node) bool {
		if id, ok := x.(*ast.Ident); ok {
			if obj := fc.pkg.info.Uses[id]; obj != nil {
				if k, ok := c.lookup(fc, obj); ok && slices.Contains(keys, k) {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

// countLoop recognizes for i := lo; i < hi; i++ (or <=, or i += 1).
func countLoop(info *types.Info, s *ast.ForStmt) (iv types.Object, hi ast.Expr, inclusive, ok bool) {
	init, ok1 := s.Init.(*ast.AssignStmt)
	if !ok1 || init.Tok != token.DEFINE || len(init.Lhs) != 1 || len(init.Rhs) != 1 {
		return nil, nil, false, false
	}
	id, ok1 := init.Lhs[0].(*ast.Ident)
	if !ok1 {
		return nil, nil, false, false
	}
	iv = info.Defs[id]
	if iv == nil || !isInteger(iv.Type()) {
		return nil, nil, false, false
	}
	cond, ok1 := unparen(s.Cond).(*ast.BinaryExpr)
	if !ok1 || (cond.Op != token.LSS && cond.Op != token.LEQ) {
		return nil, nil, false, false
	}
	if x, ok1 := unparen(cond.X).(*ast.Ident); !ok1 || info.Uses[x] != iv {
		return nil, nil, false, false
	}
	switch p := s.Post.(type) {
	case *ast.IncDecStmt:
		if x, ok1 := unparen(p.X).(*ast.Ident); !ok1 || info.Uses[x] != iv || p.Tok != token.INC {
			return nil, nil, false, false
		}
	case *ast.AssignStmt:
		if p.Tok != token.ADD_ASSIGN || len(p.Lhs) != 1 {
			return nil, nil, false, false
		}
		if x, ok1 := unparen(p.Lhs[0]).(*ast.Ident); !ok1 || info.Uses[x] != iv {
			return nil, nil, false, false
		}
		tv := info.Types[p.Rhs[0]]
		if tv.Value == nil || tv.Value.String() != "1" {
			return nil, nil, false, false
		}
	default:
		return nil, nil, false, false
	}
	return iv, cond.Y, cond.Op == token.LEQ, true
}

func (c *compiler) countLoop(fc *fnCtx, s *ast.ForStmt, iv types.Object, hiE ast.Expr, incl bool, carried []varKey) error {
	ik, _ := c.lookup(fc, iv)
	lo := c.env[ik]
	hi, err := c.expr(fc, hiE)
	if err != nil {
		return err
	}
	trips, err := c.binop(fc, hiE, token.SUB, hi, lo)
	if err != nil {
		return err
	}
	if incl {
		if trips, err = c.binop(fc, hiE, token.ADD, trips, staticVal(int64(1))); err != nil {
			return err
		}
	}
	if t, ok := trips.c.(int64); trips.kind == svStatic && ok && t <= 0 {
		return nil
	}
	return c.emitLoop(fc, loopSpec{
		at: s, carried: carried, maxTrip: trips, cond0: staticVal(true), body: s.Body.List,
		bind: func(iter *ir.Value) error {
			i, err := c.binop(fc, s.Init, token.ADD, lo, dynVal(iter))
			if err != nil {
				return err
			}
			c.env[ik] = i
			nameValue(i, iv.Name())
			return nil
		},
		next: func(*fnCtx) (sval, error) { return staticVal(true), nil },
	})
}

func (c *compiler) whileLoop(fc *fnCtx, s *ast.ForStmt, carried []varKey) error {
	cond0 := staticVal(true)
	if s.Cond != nil {
		v, err := c.expr(fc, s.Cond)
		if err != nil {
			return err
		}
		cond0 = v
	}
	if b, ok := cond0.c.(bool); cond0.kind == svStatic && ok && !b {
		return nil
	}
	return c.emitLoop(fc, loopSpec{
		at: s, carried: carried, maxTrip: staticVal(int64(math.MaxInt64)), cond0: cond0, body: s.Body.List,
		next: func(fcb *fnCtx) (sval, error) {
			if s.Post != nil {
				if err := c.simple(fcb, s.Post); err != nil {
					return sval{}, err
				}
			}
			if s.Cond == nil {
				return staticVal(true), nil
			}
			return c.expr(fcb, s.Cond)
		},
	})
}

// unrollFor unrolls a three-clause loop whose condition is known while
// compiling at every iteration; the init statement has run.
func (c *compiler) unrollFor(fc *fnCtx, s *ast.ForStmt, after cont) (exit, error) {
	var step func() (exit, error)
	step = func() (exit, error) {
		if c.unrolled++; c.unrolled > maxUnrolled {
			return exit{}, c.errAt(fc, s, "more than %d loop iterations unrolled", maxUnrolled)
		}
		if s.Cond != nil {
			v, err := c.expr(fc, s.Cond)
			if err != nil {
				return exit{}, err
			}
			b, ok := v.c.(bool)
			if v.kind != svStatic || !ok {
				return exit{}, errNotUnrollable
			}
			if !b {
				return after()
			}
		}
		next := func() (exit, error) {
			if s.Post != nil {
				if err := c.simple(fc, s.Post); err != nil {
					return c.divergeOr(err)
				}
			}
			return step()
		}
		fcb := fc.with()
		fcb.brk, fcb.cont = after, next
		return c.stmts(fcb, s.Body.List, next)
	}
	return step()
}

func (c *compiler) rangeStmt(fc *fnCtx, s *ast.RangeStmt, after cont) (exit, error) {
	x, err := c.expr(fc, s.X)
	if err != nil {
		return c.divergeOr(err)
	}
	define := s.Tok == token.DEFINE
	bindKV := func(fcb *fnCtx, key, val sval) error {
		if s.Key != nil {
			if err := c.assign(fcb, s.Key, key, define); err != nil {
				return err
			}
		}
		if s.Value != nil {
			if err := c.assign(fcb, s.Value, val, define); err != nil {
				return err
			}
		}
		return nil
	}
	if x.kind == svStatic {
		if l, ok := x.c.(*listVal); ok {
			elems := slices.Clone(l.elems)
			var step func(i int) (exit, error)
			step = func(i int) (exit, error) {
				if c.unrolled++; c.unrolled > maxUnrolled {
					return exit{}, c.errAt(fc, s, "more than %d loop iterations unrolled", maxUnrolled)
				}
				if i == len(elems) {
					return after()
				}
				fcb := fc.with()
				next := func() (exit, error) { return step(i + 1) }
				fcb.brk, fcb.cont = after, next
				if err := bindKV(fcb, staticVal(int64(i)), elems[i]); err != nil {
					return exit{}, err
				}
				return c.stmts(fcb, s.Body.List, next)
			}
			return step(0)
		}
	}
	if !isInteger(fc.pkg.info.TypeOf(s.X)) {
		return exit{}, c.unsupported(fc, s, "ranging over "+fc.pkg.info.TypeOf(s.X).String(), "range over a slice or array known when scripting (submodules, configuration) or over an int")
	}
	// range over an int: a counted loop.
	envInit := maps.Clone(c.env)
	nodesBefore := c.nodeSet()
	carried := c.assignedVars(fc, s.Body)
	err = nil
	if t, ok := x.c.(int64); !(x.kind == svStatic && ok && t <= 0) {
		err = c.emitLoop(fc, loopSpec{
			at: s, carried: carried, maxTrip: x, cond0: staticVal(true), body: s.Body.List,
			bind: func(iter *ir.Value) error {
				if s.Key != nil {
					return c.assign(fc, s.Key, dynVal(iter), define)
				}
				return nil
			},
			next: func(*fnCtx) (sval, error) { return staticVal(true), nil },
		})
	}
	if err == nil {
		return after()
	}
	n, ok := x.c.(int64)
	if !isNeedStatic(err) || x.kind != svStatic || !ok {
		return c.divergeOr(err)
	}
	c.env = envInit
	c.truncate(nodesBefore)
	var step func(i int64) (exit, error)
	step = func(i int64) (exit, error) {
		if c.unrolled++; c.unrolled > maxUnrolled {
			return exit{}, c.errAt(fc, s, "more than %d loop iterations unrolled", maxUnrolled)
		}
		if i >= n {
			return after()
		}
		fcb := fc.with()
		next := func() (exit, error) { return step(i + 1) }
		fcb.brk, fcb.cont = after, next
		if s.Key != nil {
			if err := c.assign(fcb, s.Key, staticVal(i), define); err != nil {
				return exit{}, err
			}
		}
		return c.stmts(fcb, s.Body.List, next)
	}
	return step(0)
}
