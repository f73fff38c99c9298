package jit

import (
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/tools/go/packages"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn"
)

// ScriptOptions configure Script. The zero value scripts Forward with every
// tensor input of unknown dtype and rank.
type ScriptOptions struct {
	// Inputs declares the IR types of Forward's inputs, one per parameter:
	// a tensor's dtype, rank and dims (ir.UnrankedTensorType(ir.UnknownDType)
	// when unknown), or a scalar type. The graph checks them when it runs,
	// and Script folds x.Dim(), x.Size(d) and x.DType() of an input whose
	// type fixes them. Nil leaves every tensor input tensor[...].
	Inputs []ir.Type
	// Dir is the directory in which the Go source is loaded (go/packages runs
	// the go command there); it must lie inside the module that holds the
	// model's source. Empty means the current directory.
	Dir string
}

// ScriptError is an error of Script at a position of the Go source.
type ScriptError struct {
	// Pos is the position, "path/file.go:line:col" (the path relative to
	// the current directory when it lies below it).
	Pos string
	// Msg says what is wrong, and for unsupported syntax names the
	// construct and gives advice.
	Msg string
	// needStatic marks an error caused by a value known only at run time
	// where the compiler needs a constant; a loop with constant bounds is
	// unrolled when its body causes one.
	needStatic bool
}

func (e *ScriptError) Error() string {
	if e.Pos == "" {
		return "jit.Script: " + e.Msg
	}
	return e.Pos + ": jit.Script: " + e.Msg
}

// Script compiles the Go source of m's Forward method into an IR module
// whose method "forward" computes what Forward computes, with the control
// flow that depends on tensor values or shapes kept as prim.if and
// prim.loop nodes. Forward may take and return tensors, ints, floats and
// bools.
//
// Script reads m's configuration (int, float, bool, string and slice fields)
// and m.Training() from the live module and folds them: only the branches
// and loop trips that depend on run-time values stay in the graph. Tensor
// fields become prim.param reads of m's parameters and buffers, named as
// nn.NamedParameters and nn.NamedBuffers name them; the module's constants
// are all of m's parameters and buffers, shared with m. Submodule calls
// (m.Sub.Forward(x), nn.Call(m.Sub, x)) are compiled from the submodule's
// own source and inlined; a submodule that is a *Module (traced or
// scripted) is inlined from its IR.
//
// Script needs the Go source of the module's package and of the packages
// it calls at run time (as PyTorch's script needs the Python source): it
// loads them with golang.org/x/tools/go/packages from ScriptOptions.Dir,
// once per process. See docs/jit.md for the supported subset of Go; code
// outside it is an error naming file:line:col and the construct.
func Script(m nn.Module, opts ...ScriptOptions) (*Module, error) {
	var o ScriptOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if m == nil {
		return nil, errors.New("jit.Script: nil module")
	}
	if jm, ok := m.(*Module); ok {
		return NewModule(jm.ir.Clone())
	}
	rv := reflect.ValueOf(m)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("jit.Script: a module must be a non-nil pointer to a struct, got %T", m)
	}
	c, err := newCompiler(m, o)
	if err != nil {
		return nil, err
	}
	irm, err := c.compileRoot()
	if err != nil {
		return nil, err
	}
	return NewModule(irm)
}

// srcPkg is a package loaded from source: syntax and types.
type srcPkg struct {
	path  string
	fset  *token.FileSet
	types *types.Package
	info  *types.Info
	// funcs holds the function declarations by "Name" and the methods by
	// "Type.Name".
	funcs map[string]*ast.FuncDecl
	// module is the path of the module holding the package ("" for the
	// standard library).
	module string
}

var sourceCache struct {
	mu   sync.Mutex
	pkgs map[string]*srcPkg
}

const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes |
	packages.NeedTypesInfo | packages.NeedModule

// loadSource loads the package path from source, with its _test.go files
// when tests is set (the variant that holds path's test files, or the
// external test package for a path ending in _test). Loaded packages are
// cached for the life of the process.
func loadSource(dir, path string, tests bool) (*srcPkg, error) {
	key := dir + "\x00" + path + "\x00" + strconv.FormatBool(tests)
	sourceCache.mu.Lock()
	defer sourceCache.mu.Unlock()
	if p, ok := sourceCache.pkgs[key]; ok {
		if p == nil {
			return nil, fmt.Errorf("jit.Script: package %s was not found", path)
		}
		return p, nil
	}
	cfg := &packages.Config{Mode: loadMode, Dir: dir, Tests: tests}
	pattern := path
	if tests {
		pattern = strings.TrimSuffix(path, "_test")
	}
	if path == "main" {
		// reflect names a command's package "main": load the package in
		// dir, which must be that command's directory.
		pattern = "."
	}
	pkgs, err := packages.Load(cfg, pattern)
	if err != nil {
		return nil, fmt.Errorf("jit.Script: loading the source of %s: %w", path, err)
	}
	var pick *packages.Package
	for _, p := range pkgs {
		if p.PkgPath != path && !(path == "main" && p.Name == "main" && !strings.HasSuffix(p.PkgPath, "_test")) {
			continue
		}
		if pick == nil || (tests && p.ID != p.PkgPath) {
			pick = p
		}
	}
	if sourceCache.pkgs == nil {
		sourceCache.pkgs = map[string]*srcPkg{}
	}
	if pick == nil || pick.Types == nil || len(pick.Syntax) == 0 {
		sourceCache.pkgs[key] = nil
		return nil, fmt.Errorf("jit.Script: the source of package %s was not found (Script needs the module's Go source; run it inside the module or set ScriptOptions.Dir)", path)
	}
	if len(pick.Errors) > 0 {
		var msgs []string
		for _, e := range pick.Errors {
			msgs = append(msgs, e.Error())
		}
		return nil, fmt.Errorf("jit.Script: loading the source of %s: %s", path, strings.Join(msgs, "; "))
	}
	sp := &srcPkg{path: pick.PkgPath, fset: pick.Fset, types: pick.Types, info: pick.TypesInfo, funcs: map[string]*ast.FuncDecl{}}
	if pick.Module != nil {
		sp.module = pick.Module.Path
	}
	for _, f := range pick.Syntax {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				name = recvTypeName(fd.Recv.List[0].Type) + "." + name
			}
			sp.funcs[name] = fd
		}
	}
	sourceCache.pkgs[key] = sp
	return sp, nil
}

var stdPkgs sync.Map // import path -> bool

// isStd reports whether path is a package of the standard library, whose
// functions Script does not compile from source.
func isStd(path string) bool {
	if v, ok := stdPkgs.Load(path); ok {
		return v.(bool)
	}
	first, _, _ := strings.Cut(path, "/")
	std := false
	if path != "main" && !strings.Contains(first, ".") {
		p, err := build.Default.Import(path, "", build.FindOnly)
		std = err == nil && p.Goroot
	}
	stdPkgs.Store(path, std)
	return std
}

// recvTypeName returns the type name of a receiver type expression: T for
// T, *T, T[P] and *T[P].
func recvTypeName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// loadForType loads the package declaring the named type pkgPath.name,
// with the test files when the type is declared in one.
func loadForType(dir, pkgPath, name string) (*srcPkg, error) {
	if !strings.HasSuffix(pkgPath, "_test") {
		sp, err := loadSource(dir, pkgPath, false)
		if err == nil && sp.types.Scope().Lookup(name) != nil {
			return sp, nil
		}
	}
	sp, err := loadSource(dir, pkgPath, true)
	if err != nil {
		return nil, err
	}
	if sp.types.Scope().Lookup(name) == nil {
		return nil, fmt.Errorf("jit.Script: type %s.%s was not found in the source of %s", pkgPath, name, pkgPath)
	}
	return sp, nil
}

// short returns "file.go:line", the form of a node's source position.
func (p *srcPkg) short(pos token.Pos) string {
	if !pos.IsValid() {
		return ""
	}
	ps := p.fset.Position(pos)
	return filepath.Base(ps.Filename) + ":" + strconv.Itoa(ps.Line)
}

// long returns "path/file.go:line:col" for errors, the path relative to the
// current directory when it lies below it.
func (p *srcPkg) long(pos token.Pos) string {
	if !pos.IsValid() {
		return ""
	}
	ps := p.fset.Position(pos)
	return relPath(ps.Filename) + ":" + strconv.Itoa(ps.Line) + ":" + strconv.Itoa(ps.Column)
}

func relPath(file string) string {
	wd, err := os.Getwd()
	if err != nil {
		return file
	}
	if r, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return file
}
