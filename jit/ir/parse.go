package ir

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emberml/ember/tensor"
)

// SyntaxError is an error in IR text, at a line and column (both from 1;
// the column counts characters).
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("ir: %d:%d: %s", e.Line, e.Col, e.Msg) }

type tokKind uint8

const (
	tEOF tokKind = iota
	tNewline
	tPunct   // ( ) [ ] { } < > , : = ? -> ...
	tValue   // %name (text: name without %)
	tString  // "..." (text: unquoted)
	tComment // # ... (text: after '#', trimmed)
	tWord    // identifier, may hold dots
	tNumber  // int or float literal, may be signed
)

type token struct {
	kind      tokKind
	text      string
	line, col int
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tNewline:
		return "end of line"
	case tValue:
		return "%" + t.text
	case tString:
		return strconv.Quote(t.text)
	case tComment:
		return "comment"
	}
	return strconv.Quote(t.text)
}

func isWordByte(c byte) bool {
	return c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits text into tokens; the last is tEOF.
func lex(text string) ([]token, error) {
	var toks []token
	line, col := 1, 1
	i := 0
	// adv moves past n bytes on the current line.
	adv := func(n int) {
		col += utf8.RuneCountInString(text[i : i+n])
		i += n
	}
	for i < len(text) {
		c := text[i]
		start := token{line: line, col: col}
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			adv(1)
			continue
		case c == '\n':
			start.kind = tNewline
			toks = append(toks, start)
			i++
			line++
			col = 1
			continue
		case c == '#':
			j := strings.IndexByte(text[i:], '\n')
			if j < 0 {
				j = len(text) - i
			}
			start.kind, start.text = tComment, strings.TrimSpace(text[i+1:i+j])
			adv(j)
		case c == '%':
			j := 1
			for i+j < len(text) && isWordByte(text[i+j]) {
				j++
			}
			if j == 1 {
				return nil, &SyntaxError{line, col, "expected a value name after %"}
			}
			start.kind, start.text = tValue, text[i+1:i+j]
			adv(j)
		case c == '"':
			q, err := strconv.QuotedPrefix(text[i:])
			if err != nil {
				return nil, &SyntaxError{line, col, "malformed string literal"}
			}
			s, err := strconv.Unquote(q)
			if err != nil {
				return nil, &SyntaxError{line, col, "malformed string literal"}
			}
			start.kind, start.text = tString, s
			adv(len(q))
		case c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			j := 1
			for i+j < len(text) && isWordByte(text[i+j]) {
				j++
			}
			start.kind, start.text = tWord, text[i:i+j]
			adv(j)
		case isDigit(c) || ((c == '-' || c == '+') && i+1 < len(text) &&
			(isDigit(text[i+1]) || strings.HasPrefix(text[i+1:], "inf") || strings.HasPrefix(text[i+1:], "nan"))):
			j := 1
			for i+j < len(text) {
				d := text[i+j]
				if isWordByte(d) || ((d == '+' || d == '-') && (text[i+j-1] == 'e' || text[i+j-1] == 'E')) {
					j++
					continue
				}
				break
			}
			start.kind, start.text = tNumber, text[i:i+j]
			adv(j)
		case c == '-' && strings.HasPrefix(text[i:], "->"):
			start.kind, start.text = tPunct, "->"
			adv(2)
		case strings.HasPrefix(text[i:], "..."):
			start.kind, start.text = tPunct, "..."
			adv(3)
		case strings.IndexByte("()[]{}<>,:=?", c) >= 0:
			start.kind, start.text = tPunct, text[i:i+1]
			adv(1)
		default:
			r, _ := utf8.DecodeRuneInString(text[i:])
			return nil, &SyntaxError{line, col, fmt.Sprintf("unexpected character %q", r)}
		}
		toks = append(toks, start)
	}
	toks = append(toks, token{kind: tEOF, line: line, col: col})
	return toks, nil
}

type parser struct {
	toks   []token
	pos    int
	lexErr error
	m      *Module

	// per method
	g       *Graph
	scopes  []map[string]*Value
	defined map[string]bool
}

func newParser(text string) *parser {
	toks, err := lex(text)
	return &parser{toks: toks, lexErr: err}
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) peekAt(k int) token {
	if p.pos+k < len(p.toks) {
		return p.toks[p.pos+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return &SyntaxError{t.line, t.col, fmt.Sprintf(format, args...)}
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func (p *parser) isWord(s string) bool {
	t := p.peek()
	return t.kind == tWord && t.text == s
}

func (p *parser) expectPunct(s string) error {
	t := p.next()
	if t.kind != tPunct || t.text != s {
		return p.errAt(t, "expected %q, found %s", s, t.describe())
	}
	return nil
}

func (p *parser) expectWord(s string) error {
	t := p.next()
	if t.kind != tWord || t.text != s {
		return p.errAt(t, "expected %q, found %s", s, t.describe())
	}
	return nil
}

// expectEOL accepts an optional comment, then a newline or the end.
func (p *parser) expectEOL() error {
	if p.peek().kind == tComment {
		p.next()
	}
	t := p.next()
	if t.kind != tNewline && t.kind != tEOF {
		return p.errAt(t, "expected end of line, found %s", t.describe())
	}
	return nil
}

// skipBlank skips empty lines and lines holding only a comment.
func (p *parser) skipBlank() {
	for {
		switch p.peek().kind {
		case tNewline, tComment:
			p.next()
		default:
			return
		}
	}
}

// Parse reads a module from its text form (see the package documentation
// for the grammar). The text holds no tensor data: a constant's Tensor is
// taken from tensors by name when present there (its dtype and shape must
// match the declared type, the storage dtype for quantized constants) and is
// left nil otherwise; names in tensors that the text does not declare are
// ignored, and tensors may be nil. Parse checks the syntax and that every
// value is defined once and before it is used; Verify checks the rest.
// Errors are *SyntaxError values with a line and column.
func Parse(text string, tensors map[string]*tensor.Tensor) (*Module, error) {
	p := newParser(text)
	if p.lexErr != nil {
		return nil, p.lexErr
	}
	m, err := p.parseModule()
	if err != nil {
		return nil, err
	}
	for _, c := range m.Consts {
		t := tensors[c.Name]
		if t == nil {
			continue
		}
		if err := checkConstTensor(c, t); err != nil {
			return nil, err
		}
		c.Tensor = t
	}
	return m, nil
}

func checkConstTensor(c *Const, t *tensor.Tensor) error {
	want := c.Type.DType
	if c.Type.Quant != nil {
		want = c.Type.Quant.StorageDType
	}
	shape := t.Shape()
	ok := c.Type.Kind == KindTensor && t.DType() == want && c.Type.Shape != nil && len(shape) == len(c.Type.Shape)
	for i := 0; ok && i < len(shape); i++ {
		ok = c.Type.Shape[i] == FixedDim(shape[i])
	}
	if !ok {
		return fmt.Errorf("ir: constant %s: tensor %v%v does not match its type %v", c.Name, t.DType(), shape, c.Type)
	}
	return nil
}

func (p *parser) parseModule() (*Module, error) {
	p.m = NewModule()
	p.skipBlank()
	if err := p.expectWord("module"); err != nil {
		return nil, err
	}
	if err := p.expectPunct("{"); err != nil {
		return nil, err
	}
	if err := p.expectEOL(); err != nil {
		return nil, err
	}
	for {
		p.skipBlank()
		t := p.peek()
		switch {
		case t.kind == tPunct && t.text == "}":
			p.next()
			if err := p.expectEOL(); err != nil {
				return nil, err
			}
			p.skipBlank()
			if t := p.peek(); t.kind != tEOF {
				return nil, p.errAt(t, "unexpected %s after the module", t.describe())
			}
			return p.m, nil
		case t.kind == tWord && t.text == "meta":
			if err := p.parseMeta(); err != nil {
				return nil, err
			}
		case t.kind == tWord && t.text == "const":
			if err := p.parseConst(); err != nil {
				return nil, err
			}
		case t.kind == tWord && t.text == "method":
			if err := p.parseMethod(); err != nil {
				return nil, err
			}
		default:
			return nil, p.errAt(t, "expected meta, const, method or }, found %s", t.describe())
		}
	}
}

func (p *parser) parseMeta() error {
	p.next()
	k := p.next()
	if k.kind != tString {
		return p.errAt(k, "expected a quoted metadata key, found %s", k.describe())
	}
	if _, dup := p.m.Metadata[k.text]; dup {
		return p.errAt(k, "metadata key %q given twice", k.text)
	}
	if err := p.expectPunct("="); err != nil {
		return err
	}
	v := p.next()
	if v.kind != tString {
		return p.errAt(v, "expected a quoted metadata value, found %s", v.describe())
	}
	p.m.Metadata[k.text] = v.text
	return p.expectEOL()
}

func (p *parser) parseConst() error {
	p.next()
	nt := p.next()
	if nt.kind != tWord && nt.kind != tString {
		return p.errAt(nt, "expected a constant name, found %s", nt.describe())
	}
	if p.m.Const(nt.text) != nil {
		return p.errAt(nt, "constant %q declared twice", nt.text)
	}
	if err := p.expectPunct(":"); err != nil {
		return err
	}
	typ, err := p.parseType()
	if err != nil {
		return err
	}
	kt := p.next()
	kind := -1
	for i, s := range constKindNames {
		if kt.kind == tWord && kt.text == s {
			kind = i
		}
	}
	if kind < 0 {
		return p.errAt(kt, "expected param, buffer or constant, found %s", kt.describe())
	}
	p.m.AddConst(nt.text, ConstKind(kind), typ, nil)
	return p.expectEOL()
}

func (p *parser) parseMethod() error {
	p.next()
	nt := p.next()
	if nt.kind != tWord && nt.kind != tString {
		return p.errAt(nt, "expected a method name, found %s", nt.describe())
	}
	if p.m.Method(nt.text) != nil {
		return p.errAt(nt, "method %q defined twice", nt.text)
	}
	g := p.m.NewMethod(nt.text)
	p.g, p.defined, p.scopes = g, map[string]bool{}, nil
	p.pushScope()
	if err := p.expectPunct("("); err != nil {
		return err
	}
	if err := p.parseParams(g.Body); err != nil {
		return err
	}
	if err := p.expectPunct("->"); err != nil {
		return err
	}
	if err := p.expectPunct("("); err != nil {
		return err
	}
	g.Results = []Type{}
	if !p.isPunct(")") {
		for {
			t, err := p.parseType()
			if err != nil {
				return err
			}
			g.Results = append(g.Results, t)
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
	}
	if err := p.expectPunct(")"); err != nil {
		return err
	}
	if err := p.expectPunct("{"); err != nil {
		return err
	}
	if err := p.expectEOL(); err != nil {
		return err
	}
	if err := p.parseBlockBody(g.Body); err != nil {
		return err
	}
	p.scopes = nil
	return p.expectEOL()
}

// parseParams reads "%a: T, %b: T)" into b's parameters (through the ")").
func (p *parser) parseParams(b *Block) error {
	if p.isPunct(")") {
		p.next()
		return nil
	}
	for {
		vt := p.next()
		if vt.kind != tValue {
			return p.errAt(vt, "expected a parameter name, found %s", vt.describe())
		}
		if err := p.expectPunct(":"); err != nil {
			return err
		}
		typ, err := p.parseType()
		if err != nil {
			return err
		}
		v, err := p.newValue(vt, typ)
		if err != nil {
			return err
		}
		v.Block = b
		b.Params = append(b.Params, v)
		p.bind(vt.text, v)
		t := p.next()
		if t.kind == tPunct && t.text == ")" {
			return nil
		}
		if t.kind != tPunct || t.text != "," {
			return p.errAt(t, "expected \",\" or \")\", found %s", t.describe())
		}
	}
}

func (p *parser) pushScope() { p.scopes = append(p.scopes, map[string]*Value{}) }
func (p *parser) popScope()  { p.scopes = p.scopes[:len(p.scopes)-1] }

func (p *parser) bind(name string, v *Value) { p.scopes[len(p.scopes)-1][name] = v }

// newValue makes the value a definition names, checking the name.
func (p *parser) newValue(t token, typ Type) (*Value, error) {
	name := t.text
	numeric := true
	for i := 0; i < len(name); i++ {
		numeric = numeric && isDigit(name[i])
	}
	if !numeric && !isIdent(name, true) {
		return nil, p.errAt(t, "invalid value name %%%s", name)
	}
	if p.defined[name] {
		return nil, p.errAt(t, "value %%%s defined twice", name)
	}
	p.defined[name] = true
	v := p.g.NewValue(typ)
	if !numeric {
		v.Name = name
	}
	return v, nil
}

func (p *parser) lookup(t token) (*Value, error) {
	for i := len(p.scopes) - 1; i >= 0; i-- {
		if v, ok := p.scopes[i][t.text]; ok {
			return v, nil
		}
	}
	return nil, p.errAt(t, "undefined value %%%s", t.text)
}

// parseBlockBody reads nodes up to and including "return ...\n}" (the
// closing brace is consumed, not the rest of its line).
func (p *parser) parseBlockBody(b *Block) error {
	for {
		p.skipBlank()
		t := p.peek()
		if t.kind == tWord && t.text == "return" {
			p.next()
			for p.peek().kind == tValue {
				vt := p.next()
				v, err := p.lookup(vt)
				if err != nil {
					return err
				}
				b.Returns = append(b.Returns, v)
				if !p.isPunct(",") {
					break
				}
				p.next()
				if p.peek().kind != tValue {
					return p.errAt(p.peek(), "expected a value after \",\", found %s", p.peek().describe())
				}
			}
			if err := p.expectEOL(); err != nil {
				return err
			}
			p.skipBlank()
			return p.expectPunct("}")
		}
		if t.kind == tEOF || (t.kind == tPunct && t.text == "}") {
			return p.errAt(t, "expected a node or return, found %s", t.describe())
		}
		if err := p.parseNode(b); err != nil {
			return err
		}
	}
}

func (p *parser) parseNode(b *Block) error {
	var outs []token
	if p.peek().kind == tValue {
		for {
			vt := p.next()
			if vt.kind != tValue {
				return p.errAt(vt, "expected a value name, found %s", vt.describe())
			}
			outs = append(outs, vt)
			if p.isPunct("=") {
				p.next()
				break
			}
			if err := p.expectPunct(","); err != nil {
				return err
			}
		}
	}
	ot := p.next()
	if ot.kind != tWord && ot.kind != tString {
		return p.errAt(ot, "expected an op name, found %s", ot.describe())
	}
	n := &Node{Op: ot.text, Parent: b}
	if err := p.expectPunct("("); err != nil {
		return err
	}
	if !p.isPunct(")") {
		for {
			it := p.next()
			switch {
			case it.kind == tValue:
				v, err := p.lookup(it)
				if err != nil {
					return err
				}
				n.Inputs = append(n.Inputs, v)
			case it.kind == tWord && it.text == "none":
				n.Inputs = append(n.Inputs, nil)
			default:
				return p.errAt(it, "expected an input value or none, found %s", it.describe())
			}
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
	}
	if err := p.expectPunct(")"); err != nil {
		return err
	}
	// "{" followed by the end of the line opens a block; otherwise attributes.
	if p.isPunct("{") && p.peekAt(1).kind != tNewline && p.peekAt(1).kind != tComment && p.peekAt(1).kind != tEOF {
		attrs, err := p.parseAttrs()
		if err != nil {
			return err
		}
		n.Attrs = attrs
	}
	if len(outs) > 0 {
		if err := p.expectPunct(":"); err != nil {
			return err
		}
		for i, vt := range outs {
			if i > 0 {
				if err := p.expectPunct(","); err != nil {
					return err
				}
			}
			typ, err := p.parseType()
			if err != nil {
				return err
			}
			v, err := p.newValue(vt, typ)
			if err != nil {
				return err
			}
			v.Def = n
			n.Outputs = append(n.Outputs, v)
		}
		if p.isPunct(",") {
			return p.errAt(p.peek(), "more types than the %d outputs", len(outs))
		}
	}
	for first := true; ; first = false {
		if !first && p.isWord("else") {
			p.next()
			if !p.isPunct("{") {
				return p.errAt(p.peek(), "expected \"{\" after else, found %s", p.peek().describe())
			}
		}
		if !p.isPunct("{") {
			break
		}
		p.next()
		if first && p.peek().kind == tComment {
			n.Pos = p.next().text
		}
		if err := p.expectEOL(); err != nil {
			return err
		}
		sub := &Block{Owner: n, Graph: p.g}
		n.Blocks = append(n.Blocks, sub)
		p.pushScope()
		p.skipBlank()
		if p.isWord("block") && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "(" {
			p.next()
			p.next()
			if err := p.parseParams(sub); err != nil {
				return err
			}
			if err := p.expectPunct(":"); err != nil {
				return err
			}
			if err := p.expectEOL(); err != nil {
				return err
			}
		}
		if err := p.parseBlockBody(sub); err != nil {
			return err
		}
		p.popScope()
	}
	if len(n.Blocks) == 0 && p.peek().kind == tComment {
		n.Pos = p.next().text
	}
	if err := p.expectEOL(); err != nil {
		return err
	}
	for i, v := range n.Outputs {
		p.bind(outs[i].text, v)
	}
	b.Nodes = append(b.Nodes, n)
	return nil
}

func (p *parser) parseAttrs() (Attrs, error) {
	p.next() // {
	attrs := Attrs{}
	for {
		kt := p.next()
		if kt.kind != tWord && kt.kind != tString {
			return nil, p.errAt(kt, "expected an attribute name, found %s", kt.describe())
		}
		if _, dup := attrs[kt.text]; dup {
			return nil, p.errAt(kt, "attribute %s given twice", kt.text)
		}
		if err := p.expectPunct("="); err != nil {
			return nil, err
		}
		v, err := p.parseAttrValue()
		if err != nil {
			return nil, err
		}
		attrs[kt.text] = v
		t := p.next()
		if t.kind == tPunct && t.text == "}" {
			return attrs, nil
		}
		if t.kind != tPunct || t.text != "," {
			return nil, p.errAt(t, "expected \",\" or \"}\", found %s", t.describe())
		}
	}
}

// parseNumber reads a number (or the words inf and nan, or nan(0x...)) as an
// int64 or a float64.
func (p *parser) parseNumber() (any, error) {
	t := p.next()
	if t.kind == tWord && t.text == "inf" {
		return math.Inf(1), nil
	}
	if t.kind == tWord && t.text == "nan" {
		if !p.isPunct("(") {
			return math.NaN(), nil
		}
		p.next()
		bt := p.next()
		bits, err := strconv.ParseUint(bt.text, 0, 64)
		if bt.kind != tNumber || err != nil || !math.IsNaN(math.Float64frombits(bits)) {
			return nil, p.errAt(bt, "expected the bits of a NaN, found %s", bt.describe())
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return math.Float64frombits(bits), nil
	}
	if t.kind != tNumber {
		return nil, p.errAt(t, "expected a number, found %s", t.describe())
	}
	s := t.text
	digits := strings.TrimLeft(s, "+-")
	isInt := len(s)-len(digits) <= 1 && digits != ""
	for i := 0; isInt && i < len(digits); i++ {
		isInt = isDigit(digits[i])
	}
	if isInt {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, p.errAt(t, "integer %s out of range", s)
		}
		return v, nil
	}
	if strings.Contains(s, "_") {
		return nil, p.errAt(t, "malformed number %s", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, p.errAt(t, "malformed number %s", s)
	}
	return f, nil
}

func (p *parser) parseAttrValue() (any, error) {
	t := p.peek()
	switch t.kind {
	case tString:
		p.next()
		return t.text, nil
	case tNumber:
		return p.parseNumber()
	case tPunct:
		if t.text == "[" {
			return p.parseList()
		}
	case tWord:
		switch t.text {
		case "true", "false":
			p.next()
			return t.text == "true", nil
		case "none":
			p.next()
			return nil, nil
		case "inf", "nan":
			return p.parseNumber()
		case "float", "int":
			if p.peekAt(1).kind == tPunct && p.peekAt(1).text == "[" && p.peekAt(2).kind == tPunct && p.peekAt(2).text == "]" {
				p.next()
				p.next()
				p.next()
				if t.text == "float" {
					return []float64{}, nil
				}
				return []int64{}, nil
			}
		default:
			if dt, err := tensor.ParseDType(t.text); err == nil {
				p.next()
				return dt, nil
			}
		}
	}
	return nil, p.errAt(t, "expected an attribute value, found %s", t.describe())
}

// parseList reads [n, n, ...] as []int64 (all ints) or []float64 (all
// floats).
func (p *parser) parseList() (any, error) {
	p.next() // [
	ints, floats := []int64{}, []float64{}
	if p.isPunct("]") {
		p.next()
		return ints, nil
	}
	for {
		et := p.peek()
		v, err := p.parseNumber()
		if err != nil {
			return nil, err
		}
		switch v := v.(type) {
		case int64:
			if len(floats) > 0 {
				return nil, p.errAt(et, "int %d in a list of floats (write %d.0)", v, v)
			}
			ints = append(ints, v)
		case float64:
			if len(ints) > 0 {
				return nil, p.errAt(et, "float in a list of ints")
			}
			floats = append(floats, v)
		}
		t := p.next()
		if t.kind == tPunct && t.text == "]" {
			break
		}
		if t.kind != tPunct || t.text != "," {
			return nil, p.errAt(t, "expected \",\" or \"]\", found %s", t.describe())
		}
	}
	if len(floats) > 0 {
		return floats, nil
	}
	return ints, nil
}

func (p *parser) parseTypeOnly() (Type, error) {
	if p.lexErr != nil {
		return Type{}, p.lexErr
	}
	t, err := p.parseType()
	if err != nil {
		return Type{}, err
	}
	if e := p.peek(); e.kind != tEOF {
		return Type{}, p.errAt(e, "unexpected %s after the type", e.describe())
	}
	return t, nil
}

func (p *parser) parseType() (Type, error) {
	t := p.next()
	if t.kind != tWord {
		return Type{}, p.errAt(t, "expected a type, found %s", t.describe())
	}
	bracket := p.isPunct("[")
	switch t.text {
	case "int":
		return IntType(), nil
	case "float":
		return FloatType(), nil
	case "str":
		return StrType(), nil
	case "none":
		return NoneType(), nil
	case "bool":
		if !bracket {
			return BoolType(), nil
		}
	case "list":
		if err := p.expectPunct("<"); err != nil {
			return Type{}, err
		}
		elem, err := p.parseType()
		if err != nil {
			return Type{}, err
		}
		if err := p.expectPunct(">"); err != nil {
			return Type{}, err
		}
		return ListType(elem), nil
	}
	dt := UnknownDType
	if t.text != "tensor" {
		var err error
		if dt, err = tensor.ParseDType(t.text); err != nil {
			return Type{}, p.errAt(t, "unknown type %s", t.text)
		}
	}
	if err := p.expectPunct("["); err != nil {
		return Type{}, err
	}
	typ := Type{Kind: KindTensor, DType: dt}
	if p.isPunct("...") {
		p.next()
		if err := p.expectPunct("]"); err != nil {
			return Type{}, err
		}
	} else {
		typ.Shape = []Dim{}
		for !p.isPunct("]") {
			if len(typ.Shape) > 0 {
				if err := p.expectPunct(","); err != nil {
					return Type{}, err
				}
			}
			d := p.next()
			switch {
			case d.kind == tPunct && d.text == "?":
				typ.Shape = append(typ.Shape, UnknownDim())
			case d.kind == tWord:
				typ.Shape = append(typ.Shape, SymDim(d.text))
			case d.kind == tNumber:
				n, err := strconv.Atoi(d.text)
				if err != nil || n < 0 || !isDigit(d.text[0]) {
					return Type{}, p.errAt(d, "invalid dim %s", d.text)
				}
				typ.Shape = append(typ.Shape, FixedDim(n))
			default:
				return Type{}, p.errAt(d, "expected a dim, found %s", d.describe())
			}
		}
		p.next()
	}
	if p.isWord("quant") {
		q, err := p.parseQuant()
		if err != nil {
			return Type{}, err
		}
		typ.Quant = q
	}
	return typ, nil
}

// parseQuant reads quant<uint8, per_tensor, scales=[...], zero_points=[...]>
// or quant<int8, per_channel, axis=0, scales=[...], zero_points=[...]>.
func (p *parser) parseQuant() (*QuantParams, error) {
	p.next()
	if err := p.expectPunct("<"); err != nil {
		return nil, err
	}
	q := &QuantParams{}
	st := p.next()
	dt, err := tensor.ParseDType(st.text)
	if st.kind != tWord || err != nil {
		return nil, p.errAt(st, "expected the storage dtype, found %s", st.describe())
	}
	q.StorageDType = dt
	if err := p.expectPunct(","); err != nil {
		return nil, err
	}
	sc := p.next()
	switch {
	case sc.kind == tWord && sc.text == "per_tensor":
		q.Scheme = PerTensor
	case sc.kind == tWord && sc.text == "per_channel":
		q.Scheme = PerChannel
	default:
		return nil, p.errAt(sc, "expected per_tensor or per_channel, found %s", sc.describe())
	}
	if err := p.expectPunct(","); err != nil {
		return nil, err
	}
	if p.isWord("axis") {
		p.next()
		if err := p.expectPunct("="); err != nil {
			return nil, err
		}
		at := p.peek()
		v, err := p.parseNumber()
		if err != nil {
			return nil, err
		}
		a, ok := v.(int64)
		if !ok || a < math.MinInt32 || a > math.MaxInt32 {
			return nil, p.errAt(at, "axis must be an int")
		}
		q.Axis = int(a)
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
	if err := p.expectWord("scales"); err != nil {
		return nil, err
	}
	if err := p.expectPunct("="); err != nil {
		return nil, err
	}
	lt := p.peek()
	v, err := p.parseAttrValue()
	if err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case []float64:
		q.Scales = v
	case []int64:
		q.Scales = convSlice[int64, float64](v)
	default:
		return nil, p.errAt(lt, "scales must be a list of floats")
	}
	if err := p.expectPunct(","); err != nil {
		return nil, err
	}
	if err := p.expectWord("zero_points"); err != nil {
		return nil, err
	}
	if err := p.expectPunct("="); err != nil {
		return nil, err
	}
	lt = p.peek()
	v, err = p.parseAttrValue()
	if err != nil {
		return nil, err
	}
	zp, ok := v.([]int64)
	if !ok {
		return nil, p.errAt(lt, "zero_points must be a list of ints")
	}
	q.ZeroPoints = zp
	if err := p.expectPunct(">"); err != nil {
		return nil, err
	}
	return q, nil
}
