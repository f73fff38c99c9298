package main

import (
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"os"
	"sort"
	"strings"
)

// hookOf returns the hook statement op o's function must start with, given
// the names of its results.
func hookOf(o *op, results []string) string {
	var args []string
	for _, p := range o.params {
		args = append(args, p.name)
	}
	call := fmt.Sprintf("trace%s(%s)", o.fn, strings.Join(args, ", "))
	if o.outputs == -1 {
		return fmt.Sprintf("if tracing.Load() {\n\tdefer %s.doneList(&%s)\n}", call, results[0])
	}
	refs := make([]string, len(results))
	for i, r := range results {
		refs[i] = "&" + r
	}
	return fmt.Sprintf("if tracing.Load() {\n\tdefer %s.done(%s)\n}", call, strings.Join(refs, ", "))
}

// hasHook reports whether the body of o's function starts with its hook.
func hasHook(fset *token.FileSet, o *op) bool {
	if o.decl == nil || o.decl.Body == nil || len(o.decl.Body.List) == 0 || hasUnnamed(o.results) {
		return false
	}
	var b strings.Builder
	if err := format.Node(&b, fset, o.decl.Body.List[0]); err != nil {
		return false
	}
	return b.String() == hookOf(o, o.results)
}

func hasUnnamed(rs []string) bool {
	for _, r := range rs {
		if r == "" || r == "_" {
			return true
		}
	}
	return false
}

// missingHooks lists the ops whose function lacks the hook.
func missingHooks(ops []*op) []string {
	var m []string
	for _, o := range ops {
		if !o.hooked {
			m = append(m, o.goName)
		}
	}
	return m
}

// edit replaces the bytes [from, to) of a file with text.
type edit struct {
	from, to int
	text     string
}

// addHooks inserts the hook at the start of every op function that lacks
// it, naming unnamed results, and rewrites the files it changed. It returns
// the number of functions changed.
func addHooks(fset *token.FileSet, ops []*op) (int, error) {
	byFile := map[string][]edit{}
	n := 0
	for _, o := range ops {
		if o.hooked {
			continue
		}
		d := o.decl
		if d == nil || d.Body == nil {
			return n, fmt.Errorf("%s: no function body for %s", o.pos, o.goName)
		}
		results := o.results
		var es []edit
		if hasUnnamed(results) {
			name := freeName(d, "result", "ret")
			if name == "" {
				return n, fmt.Errorf("%s: %s: no free name for its results", o.pos, o.goName)
			}
			results = make([]string, len(o.results))
			for i := range results {
				results[i] = name
				if len(results) > 1 {
					results[i] = fmt.Sprintf("%s%d", name, i)
				}
			}
			rl := d.Type.Results
			var typ string
			if o.outputs == -1 {
				typ = "[]*Tensor"
			} else {
				typ = "*Tensor"
			}
			es = append(es, edit{fset.Position(rl.Pos()).Offset, fset.Position(rl.End()).Offset,
				"(" + strings.Join(results, ", ") + " " + typ + ")"})
		}
		lb := fset.Position(d.Body.Lbrace).Offset + 1
		// The hook goes on the lines after the brace; a one-line body
		// (func F() *Tensor { return f() }) also needs a newline after it.
		es = append(es, edit{lb, lb, "\n" + hookOf(o, results) + "\n"})
		if fset.Position(d.Body.Lbrace).Line != fset.Position(d.Body.Rbrace).Line {
			es[len(es)-1].text = strings.TrimSuffix(es[len(es)-1].text, "\n")
		}
		byFile[o.file] = append(byFile[o.file], es...)
		n++
	}
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return n, err
		}
		es := byFile[f]
		sort.Slice(es, func(i, j int) bool { return es[i].from > es[j].from })
		for _, e := range es {
			src = append(src[:e.from:e.from], append([]byte(e.text), src[e.to:]...)...)
		}
		out, err := format.Source(src)
		if err != nil {
			return n, fmt.Errorf("%s: formatting after inserting hooks: %w", f, err)
		}
		if err := os.WriteFile(f, out, 0o644); err != nil {
			return n, err
		}
	}
	return n, nil
}

// freeName returns the first of names that no identifier of d uses.
func freeName(d *ast.FuncDecl, names ...string) string {
	used := map[string]bool{}
	ast.Inspect(d, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			used[id.Name] = true
		}
		return true
	})
	for _, n := range names {
		if !used[n] {
			return n
		}
	}
	return ""
}
