package main

import (
	"fmt"
	"go/format"
	"go/token"
	"os"
	"sort"
	"strings"
)

// hookOf returns the hook statement op o's function must start with.
func hookOf(o *op) string {
	var args []string
	for _, p := range o.params {
		args = append(args, p.name)
	}
	return fmt.Sprintf("if tracing.Load() && outermost() {\n\treturn trace%s(%s)\n}", o.fn, strings.Join(args, ", "))
}

// hasHook reports whether the body of o's function starts with its hook.
func hasHook(fset *token.FileSet, o *op) bool {
	if o.decl == nil || o.decl.Body == nil || len(o.decl.Body.List) == 0 {
		return false
	}
	var b strings.Builder
	if err := format.Node(&b, fset, o.decl.Body.List[0]); err != nil {
		return false
	}
	return b.String() == hookOf(o)
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

// addHooks inserts the hook at the start of every op function that lacks
// it and rewrites the files it changed. It returns the number of functions
// changed.
func addHooks(fset *token.FileSet, ops []*op) (int, error) {
	type insert struct {
		at   int
		text string
	}
	byFile := map[string][]insert{}
	n := 0
	for _, o := range ops {
		if o.hooked {
			continue
		}
		d := o.decl
		if d == nil || d.Body == nil {
			return n, fmt.Errorf("%s: no function body for %s", o.pos, o.goName)
		}
		// The hook goes on the lines after the brace; a one-line body
		// (func F() *Tensor { return f() }) also needs a newline after it.
		text := "\n" + hookOf(o)
		if fset.Position(d.Body.Lbrace).Line == fset.Position(d.Body.Rbrace).Line {
			text += "\n"
		}
		byFile[o.file] = append(byFile[o.file], insert{fset.Position(d.Body.Lbrace).Offset + 1, text})
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
		ins := byFile[f]
		sort.Slice(ins, func(i, j int) bool { return ins[i].at > ins[j].at })
		for _, in := range ins {
			src = append(src[:in.at:in.at], append([]byte(in.text), src[in.at:]...)...)
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
