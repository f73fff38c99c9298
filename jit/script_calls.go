package jit

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

func (c *compiler) isBuiltin(fc *fnCtx, call *ast.CallExpr, name string) bool {
	id, ok := unparen(call.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	b, ok := fc.pkg.info.Uses[id].(*types.Builtin)
	return ok && b.Name() == name
}

func (c *compiler) call(fc *fnCtx, e *ast.CallExpr) ([]sval, error) {
	info := fc.pkg.info
	fun := unparen(e.Fun)
	if tv, ok := info.Types[fun]; ok && tv.IsType() {
		v, err := c.conversion(fc, e, tv.Type)
		if err != nil {
			return nil, err
		}
		return []sval{v}, nil
	}
	if id, ok := fun.(*ast.Ident); ok {
		if b, ok := info.Uses[id].(*types.Builtin); ok {
			return c.builtin(fc, e, b.Name())
		}
	}
	switch f := fun.(type) {
	case *ast.SelectorExpr:
		if sel, ok := info.Selections[f]; ok {
			switch sel.Kind() {
			case types.MethodVal:
				recv, err := c.expr(fc, f.X)
				if err != nil {
					return nil, err
				}
				fn := sel.Obj().(*types.Func)
				args, err := c.evalArgs(fc, e, fn.Type().(*types.Signature))
				if err != nil {
					return nil, err
				}
				return c.invokeMethod(fc, e, recv, fn, args)
			case types.MethodExpr:
				fn := sel.Obj().(*types.Func)
				sig, _ := info.TypeOf(f).(*types.Signature)
				if sig == nil {
					break
				}
				args, err := c.evalArgs(fc, e, sig)
				if err != nil {
					return nil, err
				}
				return c.callFuncRef(fc, e, &funcRef{fn: fn, methodExpr: true}, args)
			case types.FieldVal:
				return nil, c.unsupported(fc, e, "calling a function held in a field", "call methods and functions directly")
			}
		}
		if fn, ok := info.Uses[f.Sel].(*types.Func); ok {
			return c.funcCall(fc, e, fn)
		}
	case *ast.Ident:
		switch o := info.Uses[f].(type) {
		case *types.Func:
			return c.funcCall(fc, e, o)
		case *types.Var:
			v, err := c.readVar(fc, f, o)
			if err != nil {
				return nil, err
			}
			sig, _ := o.Type().Underlying().(*types.Signature)
			if v.kind == svFunc && sig != nil {
				args, err := c.evalArgs(fc, e, sig)
				if err != nil {
					return nil, err
				}
				return c.callFuncRef(fc, e, v.fn, args)
			}
		}
	case *ast.FuncLit:
		return nil, c.unsupported(fc, f, "a function literal (closure)", "write its code inline")
	}
	return nil, c.unsupported(fc, e, "calling "+exprString(e.Fun), "call tensor ops, methods of modules and functions whose source is in the module")
}

// evalArgs evaluates the arguments of a call with signature sig; the
// arguments of a variadic parameter become one slice.
func (c *compiler) evalArgs(fc *fnCtx, e *ast.CallExpr, sig *types.Signature) ([]sval, error) {
	var vals []sval
	if len(e.Args) == 1 && sig.Params().Len() > 1 {
		vv, err := c.exprN(fc, e.Args[0])
		if err != nil {
			return nil, err
		}
		vals = vv
	} else {
		for _, a := range e.Args {
			v, err := c.expr(fc, a)
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
		}
	}
	n := sig.Params().Len()
	if sig.Variadic() && !e.Ellipsis.IsValid() {
		if len(vals) < n-1 {
			return nil, c.errAt(fc, e, "not enough arguments")
		}
		extra := vals[n-1:]
		l := &listVal{elems: append([]sval(nil), extra...), blk: c.b.Block()}
		if len(extra) == 0 {
			l = &listVal{isNil: true}
		}
		vals = append(vals[:n-1:n-1], staticVal(l))
	}
	if len(vals) != n {
		return nil, c.errAt(fc, e, "%d arguments for %d parameters", len(vals), n)
	}
	return vals, nil
}

func (c *compiler) funcCall(fc *fnCtx, e *ast.CallExpr, fn *types.Func) ([]sval, error) {
	if fn.Pkg() != nil && fn.Pkg().Path() == nnPath && (fn.Name() == "CallHooks1" || fn.Name() == "CallHooks") && len(e.Args) == 3 {
		var args []sval
		for i, a := range e.Args {
			if i == 2 {
				f, err := c.funcArg(fc, a)
				if err != nil {
					return nil, err
				}
				args = append(args, f)
				continue
			}
			v, err := c.expr(fc, a)
			if err != nil {
				return nil, err
			}
			args = append(args, v)
		}
		return c.callHooks(fc, e, args)
	}
	args, err := c.evalArgs(fc, e, fn.Type().(*types.Signature))
	if err != nil {
		return nil, err
	}
	return c.callFunc(fc, e, fn, args)
}

// funcArg evaluates the function argument of nn.CallHooks1: a function
// literal, a method value or a function.
func (c *compiler) funcArg(fc *fnCtx, a ast.Expr) (sval, error) {
	switch x := unparen(a).(type) {
	case *ast.FuncLit:
		return funcVal(&funcRef{lit: x, fc: fc}), nil
	case *ast.SelectorExpr:
		if sel, ok := fc.pkg.info.Selections[x]; ok && sel.Kind() == types.MethodVal {
			recv, err := c.expr(fc, x.X)
			if err != nil {
				return sval{}, err
			}
			return funcVal(&funcRef{fn: sel.Obj().(*types.Func), recv: &recv}), nil
		}
	}
	v, err := c.expr(fc, a)
	if err != nil {
		return sval{}, err
	}
	if v.kind != svFunc && !isNilStatic(v) {
		return sval{}, c.unsupported(fc, a, "this function value", "pass a function literal, a method value or a function")
	}
	return v, nil
}

func (c *compiler) callFuncRef(fc *fnCtx, at *ast.CallExpr, f *funcRef, args []sval) ([]sval, error) {
	switch {
	case f.noop:
		return nil, nil
	case f.lit != nil:
		return c.callBody(f.fc, f.fc.pkg, "func literal", f.lit.Type, f.lit.Body, nil, nil, args)
	case f.recv != nil:
		return c.invokeMethod(fc, at, *f.recv, f.fn, args)
	case f.methodExpr:
		if len(args) == 0 {
			return nil, c.errAt(fc, at, "a method expression needs a receiver")
		}
		return c.invokeMethod(fc, at, args[0], f.fn, args[1:])
	case f.fn != nil:
		return c.callFunc(fc, at, f.fn, args)
	}
	return nil, c.errAt(fc, at, "calling a nil function")
}

// callFunc calls a package-level function with evaluated arguments.
func (c *compiler) callFunc(fc *fnCtx, at *ast.CallExpr, fn *types.Func, args []sval) ([]sval, error) {
	if fn.Pkg() == nil {
		return nil, c.unsupported(fc, at, "calling "+fn.Name(), "call tensor ops and functions with source")
	}
	path, name := fn.Pkg().Path(), fn.Name()
	switch path {
	case tensorPath:
		return c.tensorFunc(fc, at, fn, args)
	case nnPath:
		switch name {
		case "CallHooks1", "CallHooks":
			return c.callHooks(fc, at, args)
		case "Call":
			return c.nnCall(fc, at, args)
		}
	}
	full := path + "." + name
	if full == "slices.Equal" {
		return c.slicesEqual(fc, at, args)
	}
	if f, ok := staticFuncs[full]; ok {
		return c.callStatic(fc, at, full, f, args)
	}
	if isStd(path) {
		return nil, c.unsupported(fc, at, "calling "+full, "only tensor ops, module methods, functions whose source is in the module and a few pure functions (fmt.Sprintf, math, strconv, strings) are compiled")
	}
	sp, err := c.sourceFor(fc, path)
	if err != nil {
		return nil, err
	}
	decl := sp.funcs[name]
	if decl == nil {
		return nil, c.unsupported(fc, at, "calling "+full+" (no source found)", "call functions whose source is in the module")
	}
	return c.callBody(nil, sp, full, decl.Type, decl.Body, nil, nil, args)
}

// sourceFor returns the loaded source of package path, as seen from fc: the
// same variant (with test files) for fc's own package.
func (c *compiler) sourceFor(fc *fnCtx, path string) (*srcPkg, error) {
	if path == fc.pkg.path {
		return fc.pkg, nil
	}
	return loadSource(c.dir, path, false)
}

// invokeMethod calls method fn on recv with evaluated arguments.
func (c *compiler) invokeMethod(fc *fnCtx, at *ast.CallExpr, recv sval, fn *types.Func, args []sval) ([]sval, error) {
	sig := fn.Type().(*types.Signature)
	if sig.Recv() != nil && fn.Pkg() != nil && fn.Pkg().Path() == tensorPath {
		rt := sig.Recv().Type()
		if p, ok := rt.(*types.Pointer); ok {
			rt = p.Elem()
		}
		if isNamed(rt, tensorPath, "Tensor") {
			return c.tensorMethod(fc, at, recv, fn, args)
		}
	}
	name := fn.Name()
	if recv.kind == svPoison {
		return nil, recv.err
	}
	if recv.kind != svStatic {
		return nil, c.unsupported(fc, at, "calling "+name+" on "+describe(recv), "call methods of modules and tensors")
	}
	if recv.c == nil {
		return nil, c.errAt(fc, at, "calling %s on a nil value", name)
	}
	if _, ok := recv.c.(*structVal); ok {
		return nil, c.unsupported(fc, at, "calling "+name+" on a struct value", "call methods of modules")
	}
	return c.callMethod(fc, at, recv.c, name, args)
}

// callMethod calls method name of the live value recv (a module, ...).
func (c *compiler) callMethod(fc *fnCtx, at *ast.CallExpr, recv any, name string, args []sval) ([]sval, error) {
	if jm, ok := recv.(*Module); ok {
		if name == "Forward" {
			return c.inlineJit(fc, at, jm, args)
		}
		return nil, c.unsupported(fc, at, "calling "+name+" on a *jit.Module", "call Forward")
	}
	rt := reflect.TypeOf(recv)
	if name == "Training" && rt.Implements(moduleIface) {
		if m := reflect.ValueOf(recv).MethodByName("Training"); m.IsValid() && m.Type().NumIn() == 0 {
			return []sval{staticVal(m.Call(nil)[0].Bool())}, nil
		}
	}
	if et := rt; et.Kind() == reflect.Pointer && et.Elem().PkgPath() == tensorPath {
		return nil, c.unsupported(fc, at, fmt.Sprintf("calling %s on a %v", name, rt), "only tensor ops are compiled from package tensor; a *tensor.Generator cannot be part of a graph")
	}
	sp, decl, rv, err := c.findMethod(recv, name)
	if err != nil {
		return nil, err
	}
	if decl == nil {
		return nil, c.unsupported(fc, at, fmt.Sprintf("calling %s of %T (no source found)", name, recv), "call methods whose source is in the module")
	}
	rvv := staticVal(rv)
	if name == "Forward" && rt.Implements(moduleIface) && recv != any(c.root) {
		mname, ok := c.moduleNames[recv]
		if !ok {
			mname = "?"
		}
		c.subs = append(c.subs, subCtx{name: mname, typ: fmt.Sprintf("%T", recv), at: fc.pkg.long(at.Pos())})
		res, err := c.callBody(nil, sp, fmt.Sprintf("%T.%s", recv, name), decl.Type, decl.Body, decl.Recv, &rvv, args)
		sub := c.subs[len(c.subs)-1]
		c.subs = c.subs[:len(c.subs)-1]
		if err != nil && !errors.Is(err, errDiverged) {
			err = wrapSub(err, sub)
		}
		return res, err
	}
	return c.callBody(nil, sp, fmt.Sprintf("%T.%s", recv, name), decl.Type, decl.Body, decl.Recv, &rvv, args)
}

// wrapSub adds to an error inside submodule sub which submodule it is and
// the advice to trace it.
func wrapSub(err error, sub subCtx) error {
	var se *ScriptError
	if !errors.As(err, &se) || strings.Contains(se.Msg, "[in submodule") {
		return err
	}
	out := *se
	out.Msg += fmt.Sprintf(" [in submodule %s (%s) called at %s: if Script cannot compile it, jit.Trace that submodule and keep the *jit.Module in the field (a field of interface type such as nn.Forwarder can hold it)]", sub.name, sub.typ, sub.at)
	return &out
}

// findMethod finds the source of method name of the live value recv, or of
// a value embedded in it, and returns the receiver to bind (a pointer, or a
// *structVal for a value receiver). decl is nil when there is none.
func (c *compiler) findMethod(recv any, name string) (*srcPkg, *ast.FuncDecl, any, error) {
	queue := []reflect.Value{reflect.ValueOf(recv)}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		t := v.Type()
		isPtr := t.Kind() == reflect.Pointer
		et := t
		if isPtr {
			et = t.Elem()
		}
		if et.Name() != "" && et.PkgPath() != "" && !isStd(et.PkgPath()) {
			sp, err := loadForType(c.dir, et.PkgPath(), et.Name())
			if err != nil {
				return nil, nil, nil, err
			}
			if decl := sp.funcs[et.Name()+"."+name]; decl != nil {
				_, ptrRecv := decl.Recv.List[0].Type.(*ast.StarExpr)
				var rcv any
				switch {
				case ptrRecv && isPtr:
					rcv = v.Interface()
				case ptrRecv:
					return nil, nil, nil, fmt.Errorf("jit.Script: method %s of %v needs a pointer receiver", name, t)
				case isPtr:
					rcv = &structVal{rv: v.Elem()}
				default:
					rcv = &structVal{rv: v}
				}
				return sp, decl, rcv, nil
			}
		}
		if et.Kind() != reflect.Struct {
			continue
		}
		sv := v
		if isPtr {
			if v.IsNil() {
				continue
			}
			sv = v.Elem()
		}
		for i := 0; i < et.NumField(); i++ {
			f := et.Field(i)
			if !f.Anonymous {
				continue
			}
			fv := sv.Field(i)
			switch f.Type.Kind() {
			case reflect.Pointer:
				if !fv.IsNil() {
					queue = append(queue, reflect.ValueOf(pointerOf(fv)))
				}
			case reflect.Struct:
				if fv.CanAddr() {
					queue = append(queue, reflect.ValueOf(addrOf(fv)))
				}
			case reflect.Interface:
				if !fv.IsNil() && fv.Elem().Kind() == reflect.Pointer {
					queue = append(queue, reflect.ValueOf(pointerOf(fv.Elem())))
				}
			}
		}
	}
	return nil, nil, nil, nil
}

// tensor ops

// tensorMethod calls a method of *tensor.Tensor: a shape accessor or an op.
func (c *compiler) tensorMethod(fc *fnCtx, at *ast.CallExpr, recv sval, fn *types.Func, args []sval) ([]sval, error) {
	name := fn.Name()
	one := func(v sval, err error) ([]sval, error) {
		if err != nil {
			return nil, err
		}
		return []sval{v}, nil
	}
	if recv.kind == svPoison {
		return nil, recv.err
	}
	static, _ := recv.c.(*tensor.Tensor)
	if recv.kind == svStatic && static == nil && isNilStatic(recv) {
		return nil, c.errAt(fc, at, "calling %s on a nil tensor", name)
	}
	var t *ir.Value
	if recv.kind == svDyn {
		t = recv.v
	}
	switch name {
	case "Size":
		if static != nil {
			d, ok := args[0].c.(int64)
			if args[0].kind != svStatic || !ok {
				break
			}
			if d < 0 {
				d += int64(static.Dim())
			}
			if d < 0 || d >= int64(static.Dim()) {
				return nil, c.errAt(fc, at, "dimension %d out of range for shape %v", d, static.Shape())
			}
			return []sval{staticVal(int64(static.Size(int(d))))}, nil
		}
		if t != nil {
			return one(c.sizeOf(fc, at, t, args[0]))
		}
	case "Dim":
		if static != nil {
			return []sval{staticVal(int64(static.Dim()))}, nil
		}
		if t != nil {
			return one(c.dimOf(fc, at, t))
		}
	case "Numel":
		if static != nil {
			return []sval{staticVal(int64(static.Numel()))}, nil
		}
		if t != nil {
			if t.Type.IsConcrete() {
				n := int64(1)
				for _, d := range t.Type.Shape {
					n *= int64(d.Size)
				}
				return []sval{staticVal(n)}, nil
			}
			return []sval{dynVal(c.emit(fc, at, ir.OpNumel, []*ir.Value{t}, nil, ir.IntType()).Output())}, nil
		}
	case "Shape":
		if static != nil {
			return []sval{fromGo(reflect.ValueOf(static.Shape()))}, nil
		}
		if t != nil {
			return one(c.shapeOf(fc, at, t))
		}
	case "DType":
		if static != nil {
			return []sval{staticVal(int64(static.DType()))}, nil
		}
		if t != nil && t.Type.DType != ir.UnknownDType {
			return []sval{staticVal(int64(t.Type.DType))}, nil
		}
		return nil, c.unsupported(fc, at, exprString(at.Fun)+"() of a tensor whose dtype is not known when scripting", "declare the input's dtype with ScriptOptions.Inputs, or trace this module")
	case "RequiresGrad":
		// The graph may run with autograd on: assume every tensor takes
		// part (see docs/jit.md), which picks out-of-place ops.
		return []sval{staticVal(true)}, nil
	case "Item":
		v, err := c.tensorInput(fc, at, recv, false)
		if err != nil {
			return nil, err
		}
		return []sval{dynVal(c.emit(fc, at, ir.OpItem, []*ir.Value{v}, nil, ir.FloatType()).Output())}, nil
	}
	def, ok := c.ops["Tensor."+name]
	if !ok {
		advice := "use tensor ops; see docs/jit.md"
		switch name {
		case "Data", "At", "ToFloat32s", "ToFloat64s", "ToInt64s", "ToBools", "Equal", "AllClose", "Set":
			advice = "it reads or writes tensor values from Go; use tensor ops, or Item() on a one-element tensor"
		case "Backward", "SetRequiresGrad", "Grad", "ZeroGrad", "RetainGrad", "RegisterHook":
			advice = "autograd is not part of a graph"
		}
		return nil, c.unsupported(fc, at, "the tensor method "+name, advice)
	}
	return c.opCall(fc, at, def, fn.Type().(*types.Signature), &recv, args)
}

// tensorFunc calls a function of package tensor: an op, or one of the few
// other functions Script folds.
func (c *compiler) tensorFunc(fc *fnCtx, at *ast.CallExpr, fn *types.Func, args []sval) ([]sval, error) {
	switch fn.Name() {
	case "GradEnabled":
		// The graph may run with autograd on (see docs/jit.md).
		return []sval{staticVal(true)}, nil
	case "DefaultGenerator":
		return []sval{staticVal(tensor.DefaultGenerator())}, nil
	case "SetGradEnabled":
		// Graphs do not switch autograd on and off: the switch and its
		// restore function do nothing (see docs/jit.md).
		return []sval{funcVal(&funcRef{noop: true})}, nil
	}
	def, ok := c.ops[fn.Name()]
	if !ok {
		advice := "only the tensor package's ops are compiled"
		if fn.Name() == "FromSlice" {
			advice = "make the tensor a parameter or buffer of the module"
		}
		return nil, c.unsupported(fc, at, "tensor."+fn.Name(), advice)
	}
	return c.opCall(fc, at, def, fn.Type().(*types.Signature), nil, args)
}

// opCall adds the node of op def for a call with signature sig: tensor
// arguments become inputs, the others (option structs field by field)
// attributes, which must be known while compiling.
func (c *compiler) opCall(fc *fnCtx, at *ast.CallExpr, def *tensor.OpDef, sig *types.Signature, recv *sval, args []sval) ([]sval, error) {
	var inputs []*ir.Value
	attrs := ir.Attrs{}
	ai := 0
	argNode := func(i int) ast.Node {
		if i < len(at.Args) {
			return at.Args[i]
		}
		return at
	}
	if recv != nil {
		v, err := c.tensorInput(fc, at.Fun, *recv, false)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, v)
	}
	nextAttr := func() (tensor.AttrDef, error) {
		if ai >= len(def.Attrs) {
			return tensor.AttrDef{}, fmt.Errorf("jit.Script: internal error: %s's signature does not match its op %s", def.GoName, def)
		}
		ai++
		return def.Attrs[ai-1], nil
	}
	params := sig.Params()
	for i := 0; i < params.Len(); i++ {
		p, a := params.At(i), args[i]
		t := p.Type()
		switch {
		case isTensorPtr(t):
			v, err := c.tensorInput(fc, argNode(i), a, true)
			if err != nil {
				return nil, err
			}
			inputs = append(inputs, v)
		case isTensorSlice(t):
			l, ok := a.c.(*listVal)
			if a.kind != svStatic || !ok {
				return nil, c.errAt(fc, argNode(i), "the tensors of %s must be a slice whose length is known when scripting", def.GoName)
			}
			for _, el := range l.elems {
				v, err := c.tensorInput(fc, argNode(i), el, false)
				if err != nil {
					return nil, err
				}
				inputs = append(inputs, v)
			}
		case isGeneratorPtr(t):
			if !isNilStatic(a) && !(a.kind == svStatic && a.c == any(tensor.DefaultGenerator())) {
				return nil, c.unsupported(fc, argNode(i), "an explicit *tensor.Generator for "+def.GoName, "the graph draws from the default generator; leave the module's generator nil")
			}
		case isOptions(t):
			st := t.Underlying().(*types.Struct)
			sv, ok := a.c.(*structVal)
			if a.kind != svStatic || !ok {
				return nil, c.errAt(fc, argNode(i), "the options of %s must be a struct known when scripting", def.GoName)
			}
			for j := 0; j < st.NumFields(); j++ {
				ad, err := nextAttr()
				if err != nil {
					return nil, err
				}
				v, err := c.attrValue(fc, argNode(i), sv.field(j), ad, def, p.Name()+"."+st.Field(j).Name())
				if err != nil {
					return nil, err
				}
				attrs[ad.Name] = v
			}
		default:
			ad, err := nextAttr()
			if err != nil {
				return nil, err
			}
			v, err := c.attrValue(fc, argNode(i), a, ad, def, p.Name())
			if err != nil {
				return nil, err
			}
			attrs[ad.Name] = v
		}
	}
	if ai != len(def.Attrs) {
		return nil, fmt.Errorf("jit.Script: internal error: %s's signature does not match its op %s", def.GoName, def)
	}
	if def.Outputs < 0 {
		return nil, c.unsupported(fc, at, def.GoName+", which returns a list of tensors whose length is known only when it runs,", "use ops with a fixed number of results (Narrow, Select, ...) or trace this module")
	}
	outs := make([]ir.Type, def.Outputs)
	for i := range outs {
		outs[i] = anyTensor()
	}
	n := c.emit(fc, at, def.Name, inputs, attrs, outs...)
	res := make([]sval, len(n.Outputs))
	for i, o := range n.Outputs {
		res[i] = dynVal(o)
	}
	return res, nil
}

// attrValue converts an argument to the value of attribute ad.
func (c *compiler) attrValue(fc *fnCtx, at ast.Node, sv sval, ad tensor.AttrDef, def *tensor.OpDef, what string) (any, error) {
	notStatic := func() error {
		return c.needStatic(fc, at, "argument %s of %s (attribute %s of op %s) must be known when scripting, but it is computed from tensor values or shapes when the graph runs: an op's attributes are constants of the graph (compute it from the module's configuration, or trace this module)", what, def.GoName, ad.Name, def.Name)
	}
	if sv.kind == svPoison {
		return nil, sv.err
	}
	if sv.kind != svStatic {
		return nil, notStatic()
	}
	bad := func() error {
		return c.errAt(fc, at, "argument %s of %s is %s, not a %s", what, def.GoName, describe(sv), ad.Kind)
	}
	switch ad.Kind {
	case tensor.AttrInt:
		if v, ok := sv.c.(int64); ok {
			return v, nil
		}
	case tensor.AttrFloat:
		switch v := sv.c.(type) {
		case float64:
			return v, nil
		case int64:
			return float64(v), nil
		}
	case tensor.AttrBool:
		if v, ok := sv.c.(bool); ok {
			return v, nil
		}
	case tensor.AttrString:
		if v, ok := sv.c.(string); ok {
			return v, nil
		}
	case tensor.AttrDType:
		if v, ok := sv.c.(int64); ok {
			return tensor.DType(v), nil
		}
	case tensor.AttrInts, tensor.AttrFloats:
		if isNilStatic(sv) {
			return nil, nil
		}
		l, ok := sv.c.(*listVal)
		if !ok {
			return nil, bad()
		}
		ints := make([]int64, len(l.elems))
		floats := make([]float64, len(l.elems))
		for i, e := range l.elems {
			if e.kind != svStatic {
				return nil, notStatic()
			}
			switch v := e.c.(type) {
			case int64:
				ints[i], floats[i] = v, float64(v)
			case float64:
				if ad.Kind == tensor.AttrInts {
					return nil, bad()
				}
				floats[i] = v
			default:
				return nil, bad()
			}
		}
		if ad.Kind == tensor.AttrInts {
			return ints, nil
		}
		return floats, nil
	}
	return nil, bad()
}

// nn

// callHooks compiles nn.CallHooks1(m, x, f) and nn.CallHooks(m, xs, f):
// f's body, inlined, when m has no forward hooks.
func (c *compiler) callHooks(fc *fnCtx, at *ast.CallExpr, args []sval) ([]sval, error) {
	if err := c.checkHooks(fc, at, args[0]); err != nil {
		return nil, err
	}
	f := args[2]
	if f.kind != svFunc {
		return nil, c.unsupported(fc, at.Args[2], "this function value", "pass a function literal, a method value or a function")
	}
	return c.callFuncRef(fc, at, f.fn, []sval{args[1]})
}

// nnCall compiles nn.Call(m, x): m's Forward (its source, or its IR for a
// *jit.Module), which must have no forward hooks.
func (c *compiler) nnCall(fc *fnCtx, at *ast.CallExpr, args []sval) ([]sval, error) {
	m := args[0]
	if err := c.checkHooks(fc, at, m); err != nil {
		return nil, err
	}
	if m.kind != svStatic || m.c == nil {
		return nil, c.unsupported(fc, at, "nn.Call of "+describe(m), "call submodules known when scripting")
	}
	return c.callMethod(fc, at, m.c, "Forward", args[1:])
}

// checkHooks fails when the module m has forward hooks, which Script does
// not run.
func (c *compiler) checkHooks(fc *fnCtx, at ast.Node, m sval) error {
	if m.kind != svStatic || m.c == nil {
		return c.unsupported(fc, at, "running the hooks of "+describe(m), "call submodules known when scripting")
	}
	rv := reflect.ValueOf(m.c)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return nil
	}
	b := rv.Elem().FieldByName("Base")
	if !b.IsValid() || b.Type() != reflect.TypeOf(nn.Base{}) {
		return nil
	}
	pre, post := b.FieldByName("preHooks"), b.FieldByName("hooks")
	if (pre.IsValid() && pre.Len() > 0) || (post.IsValid() && post.Len() > 0) {
		name := c.moduleNames[m.c]
		return c.unsupported(fc, at, fmt.Sprintf("a module with forward hooks (%s, %T)", name, m.c), "Script does not run hooks: remove them before scripting, or trace the module")
	}
	return nil
}

// inlineJit inlines the forward method of a traced or scripted submodule,
// its constants renamed under the submodule's dotted name.
func (c *compiler) inlineJit(fc *fnCtx, at *ast.CallExpr, sub *Module, args []sval) ([]sval, error) {
	prefix, ok := c.moduleNames[sub]
	if !ok {
		return nil, c.errAt(fc, at, "this *jit.Module is not a submodule of the scripted module (keep it in a field)")
	}
	clone := sub.ir.Clone()
	if err := ir.InlineCalls(clone); err != nil {
		return nil, c.errAt(fc, at, "inlining the submodule's methods: %v", err)
	}
	g := clone.Method("forward")
	if g == nil {
		return nil, c.errAt(fc, at, "the *jit.Module %s has no forward method", prefix)
	}
	rename := func(name string) string {
		if prefix == "" {
			return name
		}
		return prefix + "." + name
	}
	for _, cst := range clone.Consts {
		n := rename(cst.Name)
		if c.irm.Const(n) == nil {
			t := cst.Tensor
			if t == nil {
				t = sub.consts[cst.Name]
			}
			c.irm.AddConst(n, cst.Kind, cst.Type.Clone(), t)
		}
	}
	in := g.Inputs()
	if len(in) != len(args) {
		return nil, c.errAt(fc, at, "the *jit.Module %s takes %d inputs, got %d", prefix, len(in), len(args))
	}
	vm := map[*ir.Value]*ir.Value{}
	for i, p := range in {
		var v *ir.Value
		var err error
		if p.Type.Kind == ir.KindTensor {
			v, err = c.tensorInput(fc, at, args[i], false)
		} else {
			v, err = c.materialize(fc, at, args[i])
		}
		if err != nil {
			return nil, err
		}
		if v.Type.Kind != p.Type.Kind {
			return nil, c.errAt(fc, at, "input %d of the *jit.Module %s is %v, got %v", i, prefix, p.Type, v.Type)
		}
		vm[p] = v
	}
	if err := c.copyNodes(g.Body, vm, rename); err != nil {
		return nil, c.errAt(fc, at, "%v", err)
	}
	res := make([]sval, len(g.Body.Returns))
	for i, r := range g.Body.Returns {
		res[i] = dynVal(vm[r])
	}
	return res, nil
}

// copyNodes copies the nodes of src to the current insert point, mapping
// values through vm.
func (c *compiler) copyNodes(src *ir.Block, vm map[*ir.Value]*ir.Value, rename func(string) string) error {
	for _, n := range src.Nodes {
		if n.Op == ir.OpParam {
			name, _ := n.Attrs.Str("name")
			v, err := c.paramValue(rename(name))
			if err != nil {
				return err
			}
			vm[n.Outputs[0]] = v
			continue
		}
		attrs := n.Attrs.Clone()
		if n.Op == ir.OpConstant {
			if t, ok := attrs.Str("tensor"); ok {
				attrs["tensor"] = rename(t)
			}
		}
		ins := make([]*ir.Value, len(n.Inputs))
		for i, v := range n.Inputs {
			if v != nil {
				ins[i] = vm[v]
			}
		}
		outs := make([]ir.Type, len(n.Outputs))
		for i, o := range n.Outputs {
			outs[i] = o.Type.Clone()
		}
		c.b.Pos = n.Pos
		nn := c.b.Add(n.Op, ins, attrs, outs...)
		for i, o := range n.Outputs {
			nn.Outputs[i].Name = o.Name
			vm[o] = nn.Outputs[i]
		}
		for _, blk := range n.Blocks {
			nb := &ir.Block{Owner: nn, Graph: c.g}
			for _, p := range blk.Params {
				vm[p] = nb.AddParam(p.Name, p.Type.Clone())
			}
			saved := c.b
			c.b = ir.NewBuilder(nb)
			err := c.copyNodes(blk, vm, rename)
			c.b = saved
			if err != nil {
				return err
			}
			for _, r := range blk.Returns {
				nb.Returns = append(nb.Returns, vm[r])
			}
			nn.Blocks = append(nn.Blocks, nb)
		}
	}
	return nil
}

// builtins and pure functions

func (c *compiler) builtin(fc *fnCtx, e *ast.CallExpr, name string) ([]sval, error) {
	one := func(v sval) ([]sval, error) { return []sval{v}, nil }
	args := make([]sval, 0, len(e.Args))
	evalAll := func(from int) error {
		for _, a := range e.Args[from:] {
			v, err := c.expr(fc, a)
			if err != nil {
				return err
			}
			args = append(args, v)
		}
		return nil
	}
	switch name {
	case "len", "cap":
		if err := evalAll(0); err != nil {
			return nil, err
		}
		x := args[0]
		if x.kind == svShape {
			v, err := c.shapeLen(fc, e, x.shape)
			if err != nil {
				return nil, err
			}
			return one(v)
		}
		if x.kind == svStatic {
			switch v := x.c.(type) {
			case *listVal:
				return one(staticVal(int64(len(v.elems))))
			case string:
				return one(staticVal(int64(len(v))))
			case nil:
				return one(staticVal(int64(0)))
			}
		}
		return nil, c.unsupported(fc, e, name+" of "+describe(x), "take the length of slices known when scripting, or of a tensor's Shape()")
	case "append":
		if err := evalAll(0); err != nil {
			return nil, err
		}
		base := args[0]
		var elems []sval
		if !isNilStatic(base) {
			l, ok := base.c.(*listVal)
			if base.kind != svStatic || !ok {
				return nil, c.unsupported(fc, e, "append to "+describe(base), "append to Go slices")
			}
			elems = append(elems, l.elems...)
		}
		if e.Ellipsis.IsValid() {
			if !isNilStatic(args[1]) {
				l, ok := args[1].c.(*listVal)
				if args[1].kind != svStatic || !ok {
					return nil, c.unsupported(fc, e, "append of "+describe(args[1]), "append Go slices")
				}
				elems = append(elems, l.elems...)
			}
		} else {
			elems = append(elems, args[1:]...)
		}
		return one(staticVal(&listVal{elems: elems, blk: c.b.Block()}))
	case "make":
		t := fc.pkg.info.TypeOf(e.Args[0])
		st, ok := t.Underlying().(*types.Slice)
		if !ok {
			return nil, c.unsupported(fc, e, "make("+t.String()+")", "only slices can be made; maps and channels cannot be part of a graph")
		}
		if err := evalAll(1); err != nil {
			return nil, err
		}
		n, ok := args[0].c.(int64)
		if args[0].kind != svStatic || !ok || n < 0 {
			return nil, c.needStatic(fc, e, "the length of make must be known when scripting")
		}
		l := &listVal{elems: make([]sval, n), blk: c.b.Block()}
		for i := range l.elems {
			l.elems[i] = zeroOf(st.Elem())
		}
		return one(staticVal(l))
	case "min", "max":
		if err := evalAll(0); err != nil {
			return nil, err
		}
		return c.minMax(fc, e, name == "min", args)
	case "copy":
		if err := evalAll(0); err != nil {
			return nil, err
		}
		dst, ok1 := args[0].c.(*listVal)
		src, ok2 := args[1].c.(*listVal)
		if args[0].kind != svStatic || args[1].kind != svStatic || !ok1 || !ok2 {
			return nil, c.unsupported(fc, e, "copy of "+describe(args[1]), "copy Go slices")
		}
		if dst.blk != c.b.Block() && len(dst.elems) > 0 && len(src.elems) > 0 {
			return nil, c.needStatic(fc, e, "copying into a slice made outside a tensor-dependent branch or loop body is not supported")
		}
		n := copy(dst.elems, src.elems)
		return one(staticVal(int64(n)))
	case "panic":
		c.raise(fc, e)
		return nil, errDiverged
	}
	return nil, c.unsupported(fc, e, "the builtin "+name, "see docs/jit.md for the supported subset")
}

func (c *compiler) minMax(fc *fnCtx, e *ast.CallExpr, isMin bool, args []sval) ([]sval, error) {
	cur := args[0]
	for _, a := range args[1:] {
		op := token.LSS
		if !isMin {
			op = token.GTR
		}
		if cur.kind == svStatic && a.kind == svStatic {
			if f, ok := a.c.(float64); ok && math.IsNaN(f) {
				cur = a
				continue
			}
			less, err := staticBinary(op, a.c, cur.c)
			if err != nil {
				return nil, c.errAt(fc, e, "%v", err)
			}
			if less.(bool) {
				cur = a
			}
			continue
		}
		av, err := c.materialize(fc, e, a)
		if err != nil {
			return nil, err
		}
		cv, err := c.materialize(fc, e, cur)
		if err != nil {
			return nil, err
		}
		if av.Type.Kind != ir.KindInt || cv.Type.Kind != ir.KindInt {
			return nil, c.unsupported(fc, e, "min or max of floats computed when the graph runs", "use ints, or tensor ops")
		}
		cond, err := c.binop(fc, e, op, dynVal(av), dynVal(cv))
		if err != nil {
			return nil, err
		}
		c.b.Pos = fc.pkg.short(e.Pos())
		n, tb, eb := c.b.If(cond.v, ir.IntType())
		tb.Returns = []*ir.Value{av}
		eb.Returns = []*ir.Value{cv}
		cur = dynVal(n.Outputs[0])
	}
	return []sval{cur}, nil
}

// staticFuncs are pure functions of the standard library that Script calls
// while compiling when all their arguments are known (to build panic
// messages, or compute configuration).
var staticFuncs = map[string]any{
	"fmt.Sprintf": fmt.Sprintf, "fmt.Sprint": fmt.Sprint, "fmt.Sprintln": fmt.Sprintln, "fmt.Errorf": fmt.Errorf,
	"errors.New":   errors.New,
	"strconv.Itoa": strconv.Itoa, "strconv.Quote": strconv.Quote, "strconv.FormatFloat": strconv.FormatFloat,
	"strconv.FormatInt": strconv.FormatInt, "strconv.FormatBool": strconv.FormatBool,
	"strings.Join": strings.Join, "strings.Repeat": strings.Repeat, "strings.ToLower": strings.ToLower,
	"strings.ToUpper": strings.ToUpper, "strings.Contains": strings.Contains, "strings.HasPrefix": strings.HasPrefix,
	"strings.HasSuffix": strings.HasSuffix, "strings.TrimSpace": strings.TrimSpace,
	"math.Sqrt": math.Sqrt, "math.Abs": math.Abs, "math.Floor": math.Floor, "math.Ceil": math.Ceil,
	"math.Round": math.Round, "math.Trunc": math.Trunc, "math.Pow": math.Pow, "math.Exp": math.Exp,
	"math.Log": math.Log, "math.Log2": math.Log2, "math.Log10": math.Log10, "math.Max": math.Max,
	"math.Min": math.Min, "math.Mod": math.Mod, "math.Inf": math.Inf, "math.IsNaN": math.IsNaN,
	"math.IsInf": math.IsInf, "math.NaN": math.NaN, "math.Sin": math.Sin, "math.Cos": math.Cos,
	"math.Tanh": math.Tanh,
}

func (c *compiler) callStatic(fc *fnCtx, at *ast.CallExpr, name string, f any, args []sval) ([]sval, error) {
	fv := reflect.ValueOf(f)
	ft := fv.Type()
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		v, ok := goArg(a, ft.In(i))
		if !ok {
			if a.kind != svStatic {
				return nil, c.unsupported(fc, at, name+" of "+describe(a), name+" runs while scripting, so its arguments must be known then; there is no graph op for it")
			}
			return nil, c.errAt(fc, at, "cannot pass %s to %s", describe(a), name)
		}
		in[i] = v
	}
	var out []reflect.Value
	if ft.IsVariadic() {
		out = fv.CallSlice(in)
	} else {
		out = fv.Call(in)
	}
	res := make([]sval, len(out))
	for i, o := range out {
		res[i] = fromGo(o)
	}
	return res, nil
}

// slicesEqual compiles slices.Equal of Go slices and tensor shapes.
func (c *compiler) slicesEqual(fc *fnCtx, at *ast.CallExpr, args []sval) ([]sval, error) {
	a, b := args[0], args[1]
	if a.kind == svShape || b.kind == svShape {
		v, err := c.shapeEqual(fc, at, a, b)
		if err != nil {
			return nil, err
		}
		return []sval{v}, nil
	}
	la, oka := a.c.(*listVal)
	lb, okb := b.c.(*listVal)
	if a.kind == svStatic && b.kind == svStatic && (oka || a.c == nil) && (okb || b.c == nil) {
		var ea, eb []sval
		if la != nil {
			ea = la.elems
		}
		if lb != nil {
			eb = lb.elems
		}
		if len(ea) != len(eb) {
			return []sval{staticVal(false)}, nil
		}
		eq := staticVal(true)
		for i := range ea {
			x, err := c.binop(fc, at, token.EQL, ea[i], eb[i])
			if err != nil {
				return nil, err
			}
			y := x
			eq, err = c.andThen(fc, at, eq, func() (sval, error) { return y, nil })
			if err != nil {
				return nil, err
			}
		}
		return []sval{eq}, nil
	}
	return nil, c.unsupported(fc, at, "slices.Equal of "+describe(a)+" and "+describe(b), "compare Go slices or a tensor's Shape()")
}
