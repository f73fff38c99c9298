package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// attr is one attribute of an op.
type attr struct {
	name string // snake_case
	kind string // AttrInt, ...
	get  string // the Run expression reading it from a: a.int("dim")
	put  string // the hook expression making its value: int64(dim)
}

// param is one Go parameter of an op function (the receiver first).
type param struct {
	name     string
	typ      string // as written in package tensor; a variadic one as a slice
	variadic bool
	arg      string // the Run expression passed for it
}

// op is one op of the table.
type op struct {
	name    string // "conv2d"
	goName  string // "Conv2d" or "Tensor.ReLU"
	fn      string // "Conv2d" or "ReLU": the suffix of the generated names
	recv    bool   // a method of *Tensor
	version int
	inputs  []string
	hookIn  string // the hook expression making the input list
	attrs   []attr
	outputs int // -1: a list
	params  []param
	decl    *ast.FuncDecl
	hooked  bool // decl starts with the hook
	file    string
	pos     token.Position
}

// reserved are the names of the generated code's locals and of the
// functions it calls, which parameters must not shadow.
var reserved = map[string]bool{
	"ins": true, "attrs": true, "res": true, "r0": true, "r1": true, "r2": true, "r3": true,
	"enterOp": true, "leaveOp": true, "reportOp": true, "Attrs": true, "intsAttr": true, "floatsAttr": true,
}

// versions holds the ops whose version is above 1. Raise an op's version
// when its semantics change, so that a saved graph can say which it needs.
var versions = map[string]int{}

// loadErrOK matches the type errors that a stale or missing ops_gen.go
// causes (it is replaced by an empty file while loading): the generated
// names are undefined.
var loadErrOK = regexp.MustCompile(`(undefined|undeclared name): (op[A-Z]\w*|run\w+|trace[A-Z]\w*|opTable|opExcluded)\b`)

// generatedUndefined reports whether every line of a loading error (type
// errors come alone, compiler errors in a block) is about an undefined
// generated name.
func generatedUndefined(msg string) bool {
	ok := false
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		// A compiler error block (a ListError) stops at ten errors; the
		// type errors that go/packages reports as well are complete.
		if line == "" || strings.HasSuffix(line, ": too many errors") || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-: #") {
			continue
		}
		if !loadErrOK.MatchString(line) {
			return false
		}
		ok = true
	}
	return ok
}

// scan loads the package in dir, ignoring the file out, and returns its ops
// (its exported functions and methods less those excluded by excl) sorted
// by name, and the file set of their syntax.
func scan(dir, out string, excl map[string]exclusion) ([]*op, *token.FileSet, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	cfg := &packages.Config{
		Mode:    packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
		Dir:     abs,
		Overlay: map[string][]byte{filepath.Join(abs, out): []byte("package tensor\n")},
	}
	pkgs, err := packages.Load(cfg, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("loading %s: %w", dir, err)
	}
	if len(pkgs) != 1 {
		return nil, nil, fmt.Errorf("loading %s: %d packages", dir, len(pkgs))
	}
	pkg := pkgs[0]
	var errs []error
	for _, e := range pkg.Errors {
		if generatedUndefined(e.Msg) {
			continue
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("loading %s: %w", dir, errors.Join(errs...))
	}
	if pkg.Types.Name() != "tensor" {
		return nil, nil, fmt.Errorf("%s holds package %s, want tensor", dir, pkg.Types.Name())
	}
	decls := map[token.Pos]*ast.FuncDecl{}
	for _, f := range pkg.Syntax {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				decls[fd.Name.Pos()] = fd
			}
		}
	}
	s := &scanner{pkg: pkg.Types, fset: pkg.Fset}
	scope := pkg.Types.Scope()
	var funcs []*types.Func
	for _, name := range scope.Names() {
		switch obj := scope.Lookup(name).(type) {
		case *types.Func:
			if obj.Exported() {
				funcs = append(funcs, obj)
			}
		case *types.TypeName:
			named, ok := obj.Type().(*types.Named)
			if !ok || !obj.Exported() {
				continue
			}
			for m := range named.Methods() {
				if m.Exported() {
					funcs = append(funcs, m)
				}
			}
		}
	}
	seen := map[string]bool{}
	var ops []*op
	for _, f := range funcs {
		goName := goNameOf(f)
		seen[goName] = true
		if _, ok := excl[goName]; ok {
			continue
		}
		o, err := s.op(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w (make it an op or add it to the exclusion list in exclude.go)", pkg.Fset.Position(f.Pos()), goName, err))
			continue
		}
		o.decl = decls[f.Pos()]
		o.hooked = hasHook(pkg.Fset, o)
		o.pos = pkg.Fset.Position(f.Pos())
		o.file = o.pos.Filename
		ops = append(ops, o)
	}
	for name := range excl {
		if !seen[name] {
			errs = append(errs, fmt.Errorf("exclude.go: %s is excluded but package tensor has no such exported function or method", name))
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].name < ops[j].name })
	byName, byFn := map[string]*op{}, map[string]*op{}
	for _, o := range ops {
		if p := byName[o.name]; p != nil {
			errs = append(errs, fmt.Errorf("%s: %s and %s are both named %q", o.pos, p.goName, o.goName, o.name))
		}
		if p := byFn[o.fn]; p != nil {
			errs = append(errs, fmt.Errorf("%s: %s and %s would share the generated names op%s, trace%s", o.pos, p.goName, o.goName, o.fn, o.fn))
		}
		byName[o.name], byFn[o.fn] = o, o
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return ops, pkg.Fset, errors.Join(errs...)
}

// goNameOf returns "Name" for a function and "Type.Name" for a method.
func goNameOf(f *types.Func) string {
	sig := f.Signature()
	if sig.Recv() == nil {
		return f.Name()
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	return t.(*types.Named).Obj().Name() + "." + f.Name()
}

type scanner struct {
	pkg  *types.Package
	fset *token.FileSet
}

// typeString writes t as package tensor's source does.
func (s *scanner) typeString(t types.Type) string {
	return types.TypeString(t, func(p *types.Package) string {
		if p == s.pkg {
			return ""
		}
		return p.Name()
	})
}

// named reports whether t is the named type name of package tensor.
func (s *scanner) named(t types.Type, name string) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() == s.pkg && n.Obj().Name() == name
}

func (s *scanner) isTensor(t types.Type) bool {
	p, ok := t.(*types.Pointer)
	return ok && s.named(p.Elem(), "Tensor")
}

func (s *scanner) isTensorList(t types.Type) bool {
	sl, ok := t.(*types.Slice)
	return ok && s.isTensor(sl.Elem())
}

// op describes f as an op, or says why it cannot.
func (s *scanner) op(f *types.Func) (*op, error) {
	sig := f.Signature()
	if sig.TypeParams().Len() > 0 {
		return nil, errors.New("generic functions cannot be ops")
	}
	o := &op{goName: goNameOf(f), fn: f.Name()}
	o.name = snake(f.Name())
	o.version = 1
	if v, ok := versions[o.name]; ok {
		o.version = v
	}
	var fixed, list []string // input names; list: at most one
	var inParts []string     // hook expressions of the fixed inputs
	var listExpr string
	nIn := 0        // index of the next fixed input in Run's in
	listParam := -1 // index in o.params of the list parameter
	if r := sig.Recv(); r != nil {
		if !s.isTensor(r.Type()) {
			return nil, errors.New("only methods of *Tensor can be ops")
		}
		o.recv = true
		if reserved[r.Name()] || r.Name() == "" || r.Name() == "_" {
			return nil, fmt.Errorf("receiver named %q", r.Name())
		}
		fixed = append(fixed, "self")
		inParts = append(inParts, r.Name())
		o.params = append(o.params, param{name: r.Name(), typ: "*Tensor", arg: fmt.Sprintf("in[%d]", nIn)})
		nIn++
	}
	attrNames := map[string]bool{}
	addAttr := func(a attr) error {
		if attrNames[a.name] {
			return fmt.Errorf("two attributes named %q", a.name)
		}
		attrNames[a.name] = true
		o.attrs = append(o.attrs, a)
		return nil
	}
	for i := range sig.Params().Len() {
		v := sig.Params().At(i)
		if v.Name() == "" || v.Name() == "_" {
			return nil, fmt.Errorf("parameter %d has no name", i)
		}
		if reserved[v.Name()] {
			return nil, fmt.Errorf("parameter %s has a name that the generated code uses", v.Name())
		}
		t := v.Type()
		p := param{name: v.Name(), typ: s.typeString(t), variadic: sig.Variadic() && i == sig.Params().Len()-1}
		switch {
		case s.isTensor(t) && !p.variadic:
			fixed = append(fixed, snake(v.Name()))
			inParts = append(inParts, v.Name())
			p.arg = fmt.Sprintf("in[%d]", nIn)
			nIn++
		case s.isTensorList(t):
			if len(list) > 0 {
				return nil, errors.New("more than one []*Tensor parameter")
			}
			list = append(list, snake(v.Name())+"...")
			listExpr = v.Name()
			listParam = len(o.params)
		case s.isPtrTo(t, "Generator"):
			p.arg = "nil" // not an attribute: Run uses the default generator
		case s.isOptions(t):
			st := t.Underlying().(*types.Struct)
			var fields []string
			for j := range st.NumFields() {
				fl := st.Field(j)
				if !fl.Exported() {
					return nil, fmt.Errorf("option struct %s has the unexported field %s", s.typeString(t), fl.Name())
				}
				a, err := s.attr(snake(fl.Name()), fl.Type(), v.Name()+"."+fl.Name())
				if err != nil {
					return nil, fmt.Errorf("%s.%s: %w", s.typeString(t), fl.Name(), err)
				}
				if err := addAttr(a); err != nil {
					return nil, err
				}
				fields = append(fields, fl.Name()+": "+a.get)
			}
			p.arg = s.typeString(t) + "{" + strings.Join(fields, ", ") + "}"
		default:
			a, err := s.attr(snake(v.Name()), t, v.Name())
			if err != nil {
				return nil, fmt.Errorf("parameter %s: %w", v.Name(), err)
			}
			if err := addAttr(a); err != nil {
				return nil, err
			}
			p.arg = a.get
		}
		if p.variadic && listParam != len(o.params) {
			p.arg += "..." // p.typ is already the slice type
		}
		o.params = append(o.params, p)
	}
	if listParam >= 0 {
		o.params[listParam].arg = fmt.Sprintf("in[%d:]", nIn)
		if o.params[listParam].variadic {
			o.params[listParam].arg += "..."
		}
	}
	o.inputs = append(fixed, list...)
	switch {
	case listExpr != "" && len(inParts) > 0:
		o.hookIn = "append([]*Tensor{" + strings.Join(inParts, ", ") + "}, " + listExpr + "...)"
	case listExpr != "":
		o.hookIn = "append([]*Tensor{}, " + listExpr + "...)"
	default:
		o.hookIn = "[]*Tensor{" + strings.Join(inParts, ", ") + "}"
	}
	res := sig.Results()
	switch {
	case res.Len() == 1 && s.isTensorList(res.At(0).Type()):
		o.outputs = -1
	case res.Len() == 0:
		return nil, errors.New("no results")
	default:
		for r := range res.Variables() {
			if !s.isTensor(r.Type()) {
				return nil, fmt.Errorf("result of type %s (an op returns *Tensor values or one []*Tensor)", s.typeString(r.Type()))
			}
		}
		o.outputs = res.Len()
	}
	return o, nil
}

func (s *scanner) isPtrTo(t types.Type, name string) bool {
	p, ok := t.(*types.Pointer)
	return ok && s.named(p.Elem(), name)
}

// isOptions reports whether t is an option struct of package tensor
// (Conv2dOptions, ...).
func (s *scanner) isOptions(t types.Type) bool {
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() != s.pkg || !strings.HasSuffix(n.Obj().Name(), "Options") {
		return false
	}
	_, ok = n.Underlying().(*types.Struct)
	return ok
}

// attr describes the attribute name of Go type t, whose value the hook
// finds in the Go expression val.
func (s *scanner) attr(name string, t types.Type, val string) (attr, error) {
	q := fmt.Sprintf("%q", name)
	if s.named(t, "DType") {
		return attr{name, "AttrDType", "a.dtype(" + q + ")", val}, nil
	}
	switch u := t.(type) {
	case *types.Basic:
		switch u.Kind() {
		case types.Int:
			return attr{name, "AttrInt", "a.int(" + q + ")", "int64(" + val + ")"}, nil
		case types.Int64:
			return attr{name, "AttrInt", "a.int64(" + q + ")", val}, nil
		case types.Float64:
			return attr{name, "AttrFloat", "a.float(" + q + ")", val}, nil
		case types.Bool:
			return attr{name, "AttrBool", "a.bool(" + q + ")", val}, nil
		case types.String:
			return attr{name, "AttrString", "a.string(" + q + ")", val}, nil
		}
	case *types.Slice:
		if b, ok := u.Elem().(*types.Basic); ok {
			switch b.Kind() {
			case types.Int:
				return attr{name, "AttrInts", "a.ints(" + q + ")", "intsAttr(" + val + ")"}, nil
			case types.Float64:
				return attr{name, "AttrFloats", "a.floats(" + q + ")", "floatsAttr(" + val + ")"}, nil
			}
		}
	}
	return attr{}, fmt.Errorf("type %s cannot be an attribute (int, int64, float64, bool, string, DType, []int, []float64)", s.typeString(t))
}
