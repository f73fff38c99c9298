package nn

import (
	"math"
	"reflect"
	"strconv"
	"strings"
)

// ExtraReprer is a module that describes its settings for [Repr], as a
// PyTorch module's extra_repr(): Linear's is
// "in_features=3, out_features=4, bias=True". Every Ember layer with
// settings implements it; a user's module may too.
type ExtraReprer interface {
	ExtraRepr() string
}

// Repr returns the module tree of m as PyTorch's print(model) prints it:
// the class name (the Go type's name, or BatchNorm1d/BatchNorm2d for a batch
// norm), the module's ExtraRepr in parentheses and then each child, named
// and indented, on its own line:
//
//	Sequential(
//	  (0): Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
//	  (1): ReLU()
//	)
func Repr(m Module) string {
	var extraLines, childLines []string
	if e, ok := m.(ExtraReprer); ok {
		if s := e.ExtraRepr(); s != "" {
			extraLines = strings.Split(s, "\n")
		}
	}
	for _, c := range NamedChildren(m) {
		childLines = append(childLines, "("+c.Name+"): "+reprIndent(Repr(c.Module), 2))
	}
	var b strings.Builder
	b.WriteString(reprClassName(m))
	b.WriteByte('(')
	switch {
	case len(extraLines) == 1 && len(childLines) == 0:
		b.WriteString(extraLines[0])
	case len(extraLines)+len(childLines) > 0:
		b.WriteString("\n  ")
		b.WriteString(strings.Join(append(extraLines, childLines...), "\n  "))
		b.WriteByte('\n')
	}
	b.WriteByte(')')
	return b.String()
}

// reprClassName is the name Repr prints for m: its Go type's name, unless
// the module keeps the PyTorch class it stands for.
func reprClassName(m Module) string {
	if n, ok := m.(interface{ className() string }); ok {
		return n.className()
	}
	t := reflect.TypeOf(m)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// reprIndent indents every line of s but the first by n spaces (PyTorch's
// _addindent).
func reprIndent(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) == 1 {
		return s
	}
	pad := strings.Repeat(" ", n)
	for i := 1; i < len(lines); i++ {
		lines[i] = pad + lines[i]
	}
	return strings.Join(lines, "\n")
}

// reprFloat prints f as Python's repr(float) does: the shortest digits
// that read back exactly, with ".0" on whole numbers and an exponent below
// 1e-4 or from 1e16 on (1e-05, 0.001, 1.0, 1e+16).
func reprFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
