package ir

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/emberml/ember/tensor"
)

func itoa(i int) string { return strconv.Itoa(i) }

// canonicalNaN is the bit pattern strconv.ParseFloat gives for "NaN".
var canonicalNaN = math.Float64bits(math.NaN())

// formatFloat prints f so that parseFloatLit gives back the same bits and
// the text never reads as an int: "1.0", "-0.0", "1e+21", "inf", "-inf",
// "nan", or "nan(0x7ff8000000000002)" for a NaN with another payload.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		if b := math.Float64bits(f); b != canonicalNaN {
			return fmt.Sprintf("nan(0x%016x)", b)
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func writeAttr(sb *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		sb.WriteString("none")
	case int64:
		sb.WriteString(strconv.FormatInt(v, 10))
	case float64:
		sb.WriteString(formatFloat(v))
	case bool:
		sb.WriteString(strconv.FormatBool(v))
	case string:
		sb.WriteString(strconv.Quote(v))
	case tensor.DType:
		sb.WriteString(v.String())
	case []int64:
		sb.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(strconv.FormatInt(x, 10))
		}
		sb.WriteByte(']')
	case []float64:
		if len(v) == 0 {
			sb.WriteString("float[]")
			return
		}
		sb.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(formatFloat(x))
		}
		sb.WriteByte(']')
	default:
		fmt.Fprintf(sb, "<invalid attribute %T>", v)
	}
}

// isIdent reports whether s is [A-Za-z_][A-Za-z0-9_]* (dots allowed when
// dots is set).
func isIdent(s string, dots bool) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && r >= '0' && r <= '9':
		case i > 0 && dots && r == '.':
		default:
			return false
		}
	}
	return true
}

// reservedOps are words that start a line in a block, so an op of that name
// is printed quoted.
var reservedOps = map[string]bool{"return": true, "block": true, "none": true}

func writeName(sb *strings.Builder, s string, dots bool) {
	if isIdent(s, dots) {
		sb.WriteString(s)
	} else {
		sb.WriteString(strconv.Quote(s))
	}
}

func writeOpName(sb *strings.Builder, op string) {
	if reservedOps[op] {
		sb.WriteString(strconv.Quote(op))
		return
	}
	writeName(sb, op, true)
}

// namer gives every value of a method its printed name: its hint made
// unique ("x", "x.1", ...) or, without a hint, the next number in print
// order. Printing, parsing back and printing again gives the same names.
type namer struct {
	names map[*Value]string
	taken map[string]bool
	next  int
}

func newNamer(g *Graph) *namer {
	nm := &namer{names: map[*Value]string{}, taken: map[string]bool{}}
	if g != nil && g.Body != nil {
		nm.block(g.Body)
	}
	return nm
}

func (nm *namer) block(b *Block) {
	for _, v := range b.Params {
		nm.assign(v)
	}
	for _, n := range b.Nodes {
		if n == nil {
			continue
		}
		for _, v := range n.Outputs {
			nm.assign(v)
		}
		for _, sub := range n.Blocks {
			if sub != nil {
				nm.block(sub)
			}
		}
	}
}

// sanitize turns a name hint into [A-Za-z_][A-Za-z0-9_.]*.
func sanitize(h string) string {
	var sb strings.Builder
	for i, r := range h {
		ok := r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if i == 0 && !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			sb.WriteByte('_')
			if r == '.' || (r >= '0' && r <= '9') {
				sb.WriteRune(r)
			}
			continue
		}
		if ok {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('_')
		}
	}
	return sb.String()
}

func (nm *namer) assign(v *Value) {
	if v == nil {
		return
	}
	if _, done := nm.names[v]; done {
		return // defined twice: Verify reports it; print one name
	}
	if v.Name == "" {
		name := itoa(nm.next)
		nm.next++
		nm.names[v] = name
		return
	}
	base := sanitize(v.Name)
	name := base
	for i := 1; nm.taken[name]; i++ {
		name = base + "." + itoa(i)
	}
	nm.taken[name] = true
	nm.names[v] = name
}

// name returns "%name" for v, "none" for nil, and "%undefined.ID" for a
// value not defined in the method.
func (nm *namer) name(v *Value) string {
	if v == nil {
		return "none"
	}
	if s, ok := nm.names[v]; ok {
		return "%" + s
	}
	return "%undefined." + itoa(v.ID)
}

func nodeHeader(nm *namer, n *Node) string {
	var sb strings.Builder
	for i, v := range n.Outputs {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(nm.name(v))
	}
	if len(n.Outputs) > 0 {
		sb.WriteString(" = ")
	}
	writeOpName(&sb, n.Op)
	sb.WriteByte('(')
	for i, v := range n.Inputs {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(nm.name(v))
	}
	sb.WriteByte(')')
	if len(n.Attrs) > 0 {
		sb.WriteString(" {")
		for i, k := range n.Attrs.Names() {
			if i > 0 {
				sb.WriteString(", ")
			}
			writeName(&sb, k, false)
			sb.WriteByte('=')
			writeAttr(&sb, n.Attrs[k])
		}
		sb.WriteByte('}')
	}
	if len(n.Outputs) > 0 {
		sb.WriteString(" : ")
		for i, v := range n.Outputs {
			if i > 0 {
				sb.WriteString(", ")
			}
			if v == nil {
				sb.WriteString("invalid")
			} else {
				writeType(&sb, v.Type)
			}
		}
	}
	return sb.String()
}

// cleanPos makes a position printable on one line.
func cleanPos(p string) string {
	return strings.TrimSpace(strings.NewReplacer("\n", " ", "\r", " ").Replace(p))
}

func printBlockBody(sb *strings.Builder, nm *namer, b *Block, indent string) {
	for _, n := range b.Nodes {
		if n == nil {
			sb.WriteString(indent + "<nil node>\n")
			continue
		}
		sb.WriteString(indent)
		sb.WriteString(nodeHeader(nm, n))
		for i, sub := range n.Blocks {
			if i == 0 {
				sb.WriteString(" {")
			} else if n.Op == OpIf {
				sb.WriteString(indent + "} else {")
			} else {
				sb.WriteString(indent + "} {")
			}
			if i == 0 {
				if p := cleanPos(n.Pos); p != "" {
					sb.WriteString("  # " + p)
				}
			}
			sb.WriteByte('\n')
			inner := indent + "  "
			if sub == nil {
				sb.WriteString(inner + "<nil block>\n")
				continue
			}
			if len(sub.Params) > 0 {
				sb.WriteString(inner + "block(")
				writeParams(sb, nm, sub.Params)
				sb.WriteString("):\n")
			}
			printBlockBody(sb, nm, sub, inner)
		}
		if len(n.Blocks) > 0 {
			sb.WriteString(indent + "}\n")
			continue
		}
		if p := cleanPos(n.Pos); p != "" {
			sb.WriteString("  # " + p)
		}
		sb.WriteByte('\n')
	}
	sb.WriteString(indent + "return")
	for i, v := range b.Returns {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(" " + nm.name(v))
	}
	sb.WriteByte('\n')
}

func writeParams(sb *strings.Builder, nm *namer, ps []*Value) {
	for i, v := range ps {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(nm.name(v))
		sb.WriteString(": ")
		if v == nil {
			sb.WriteString("invalid")
		} else {
			writeType(sb, v.Type)
		}
	}
}

func printGraph(sb *strings.Builder, g *Graph, indent string) {
	nm := newNamer(g)
	sb.WriteString(indent + "method ")
	writeName(sb, g.Name, false)
	sb.WriteByte('(')
	if g.Body != nil {
		writeParams(sb, nm, g.Body.Params)
	}
	sb.WriteString(") -> (")
	for i, t := range g.Results {
		if i > 0 {
			sb.WriteString(", ")
		}
		writeType(sb, t)
	}
	sb.WriteString(") {\n")
	if g.Body != nil {
		printBlockBody(sb, nm, g.Body, indent+"  ")
	}
	sb.WriteString(indent + "}\n")
}

func printModule(sb *strings.Builder, m *Module) {
	sb.WriteString("module {\n")
	keys := make([]string, 0, len(m.Metadata))
	for k := range m.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(sb, "  meta %s = %s\n", strconv.Quote(k), strconv.Quote(m.Metadata[k]))
	}
	for _, c := range m.Consts {
		sb.WriteString("  const ")
		writeName(sb, c.Name, true)
		sb.WriteString(" : ")
		writeType(sb, c.Type)
		sb.WriteString(" " + c.Kind.String() + "\n")
	}
	for _, g := range m.Methods {
		printGraph(sb, g, "  ")
	}
	sb.WriteString("}\n")
}

// WriteTo writes the module's text form to w.
func (m *Module) WriteTo(w io.Writer) (int64, error) {
	n, err := io.WriteString(w, m.String())
	return int64(n), err
}
