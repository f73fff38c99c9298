package ir_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emberml/ember/jit/ir"
)

// wrap puts body lines into a method f(%x: float32[3]) -> (float32[3]) of a
// module: body line k is text line k+2.
func wrap(body string) string {
	return "module {\n  method f(%x: float32[3]) -> (float32[3]) {\n" + body + "\n  }\n}\n"
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, text string
		line, col  int
		msg        string
	}{
		{"empty", "", 1, 1, `expected "module"`},
		{"not module", "modul {\n}\n", 1, 1, `expected "module"`},
		{"no brace", "module\n", 1, 7, `expected "{"`},
		{"unclosed module", "module {\n", 2, 1, "expected meta, const, method or }"},
		{"trailing garbage", "module {\n}\nx\n", 3, 1, "after the module"},
		{"bad char", "module {\n  $\n}\n", 2, 3, "unexpected character '$'"},
		{"bad string", "module {\n  meta \"a = \"b\"\n}\n", 2, 15, "malformed string"},
		{"meta no key", "module {\n  meta a = \"b\"\n}\n", 2, 8, "quoted metadata key"},
		{"meta dup", "module {\n  meta \"a\" = \"b\"\n  meta \"a\" = \"c\"\n}\n", 3, 8, "given twice"},
		{"const no type", "module {\n  const w : param\n}\n", 2, 13, "unknown type param"},
		{"const bad kind", "module {\n  const w : float32[1] weight\n}\n", 2, 24, "param, buffer or constant"},
		{"const dup", "module {\n  const w : float32[1] param\n  const w : float32[1] param\n}\n", 3, 9, "declared twice"},
		{"bad dtype", "module {\n  const w : float31[1] param\n}\n", 2, 13, "unknown type float31"},
		{"neg dim", "module {\n  const w : float32[-1] param\n}\n", 2, 21, "invalid dim"},
		{"float dim", "module {\n  const w : float32[1.5] param\n}\n", 2, 21, "invalid dim"},
		{"method dup", "module {\n  method f() -> () {\n    return\n  }\n  method f() -> () {\n    return\n  }\n}\n", 5, 10, "defined twice"},
		{"method no arrow", "module {\n  method f() () {\n    return\n  }\n}\n", 2, 14, `expected "->"`},
		{"param no type", "module {\n  method f(%x) -> () {\n    return\n  }\n}\n", 2, 14, `expected ":"`},
		{"no return", wrap("    %0 = relu(%x) : float32[3]"), 4, 3, "expected a node or return"},
		{"undefined", wrap("    %0 = relu(%y) : float32[3]\n    return %0"), 3, 15, "undefined value %y"},
		{"redefined", wrap("    %0 = relu(%x) : float32[3]\n    %0 = relu(%x) : float32[3]\n    return %0"), 4, 5, "defined twice"},
		{"param redefined", wrap("    %x = relu(%x) : float32[3]\n    return %x"), 3, 5, "defined twice"},
		{"bad value name", wrap("    %1a = relu(%x) : float32[3]\n    return %1a"), 3, 5, "invalid value name"},
		{"empty value name", wrap("    % = relu(%x) : float32[3]"), 3, 5, "value name"},
		{"missing types", wrap("    %0 = relu(%x)\n    return %0"), 3, 18, `expected ":"`},
		{"too few types", wrap("    %0, %1 = split(%x) : float32[3]\n    return %0"), 3, 36, `expected ","`},
		{"too many types", wrap("    %0 = relu(%x) : float32[3], float32[3]\n    return %0"), 3, 31, "more types"},
		{"missing paren", wrap("    %0 = relu(%x : float32[3]\n    return %0"), 3, 18, `expected ")"`},
		{"bad input", wrap("    %0 = relu(3) : float32[3]\n    return %0"), 3, 15, "input value or none"},
		{"no op", wrap("    %0 = (%x) : float32[3]\n    return %0"), 3, 10, "expected an op name"},
		{"attr no value", wrap("    %0 = relu(%x) {a=} : float32[3]\n    return %0"), 3, 22, "attribute value"},
		{"attr no eq", wrap("    %0 = relu(%x) {a 1} : float32[3]\n    return %0"), 3, 22, `expected "="`},
		{"attr dup", wrap("    %0 = relu(%x) {a=1, a=2} : float32[3]\n    return %0"), 3, 25, "given twice"},
		{"attr unclosed", wrap("    %0 = relu(%x) {a=1 : float32[3]\n    return %0"), 3, 24, `expected "," or "}"`},
		{"int overflow", wrap("    %0 = relu(%x) {a=9223372036854775808} : float32[3]\n    return %0"), 3, 22, "out of range"},
		{"bad float", wrap("    %0 = relu(%x) {a=1.2.3} : float32[3]\n    return %0"), 3, 22, "malformed number"},
		{"float overflow", wrap("    %0 = relu(%x) {a=1e999} : float32[3]\n    return %0"), 3, 22, "malformed number"},
		{"mixed list", wrap("    %0 = relu(%x) {a=[1.0, 2]} : float32[3]\n    return %0"), 3, 28, "in a list of floats"},
		{"mixed list 2", wrap("    %0 = relu(%x) {a=[1, 2.0]} : float32[3]\n    return %0"), 3, 26, "float in a list of ints"},
		{"list of words", wrap("    %0 = relu(%x) {a=[x]} : float32[3]\n    return %0"), 3, 23, "expected a number"},
		{"bad nan bits", wrap("    %0 = relu(%x) {a=nan(0x1)} : float32[3]\n    return %0"), 3, 26, "bits of a NaN"},
		{"unknown word", wrap("    %0 = relu(%x) {a=banana} : float32[3]\n    return %0"), 3, 22, "attribute value"},
		{"return undefined", wrap("    return %y"), 3, 12, "undefined value %y"},
		{"return trailing comma", wrap("    return %x,"), 3, 15, "expected a value"},
		{"stuff after return", wrap("    return %x\n    %0 = relu(%x) : float32[3]"), 4, 5, `expected "}"`},
		{"unclosed block", wrap("    %0 = prim.if(%x) : float32[3] {\n      return %x\n    }"), 6, 3, "expected a node or return"},
		{"else without block", wrap("    %0 = prim.if(%x) : float32[3] {\n      return %x\n    } else\n    return %0"), 5, 11, `"{" after else`},
		{"block-scoped value", wrap("    %0 = prim.if(%x) : float32[3] {\n      %1 = relu(%x) : float32[3]\n      return %1\n    } else {\n      return %x\n    }\n    return %1"), 9, 12, "undefined value %1"},
		{"own output in block", wrap("    %0 = prim.if(%x) : float32[3] {\n      return %0\n    } else {\n      return %x\n    }\n    return %0"), 4, 14, "undefined value %0"},
		{"block params bad", wrap("    %0 = prim.loop(%x) : float32[3] {\n      block(%i int):\n      return %x\n    }\n    return %0"), 4, 16, `expected ":"`},
		{"quant bad scheme", "module {\n  const w : float32[1] quant<int8, per_row, scales=[1.0], zero_points=[0]> param\n}\n", 2, 36, "per_tensor or per_channel"},
		{"quant float zp", "module {\n  const w : float32[1] quant<int8, per_tensor, scales=[1.0], zero_points=[0.5]> param\n}\n", 2, 74, "zero_points must be"},
		{"unterminated string", "module {\n  meta \"a\n}\n", 2, 8, "malformed string"},
		{"arrow typo", "module {\n  method f() - () {\n", 2, 14, "unexpected character '-'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ir.Parse(c.text, nil)
			var se *ir.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want a *SyntaxError, got %v", err)
			}
			if se.Line != c.line || se.Col != c.col || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("got %v, want %d:%d: ...%s...", err, c.line, c.col, c.msg)
			}
			if want := fmt.Sprintf("ir: %d:%d: ", se.Line, se.Col); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("message %q does not start with %q", err, want)
			}
		})
	}
}

// TestParseLenient checks forms the printer does not write but Parse
// accepts: comments, blank lines, quoted names, generic block separators.
func TestParseLenient(t *testing.T) {
	text := `# a comment before the module

module {
  # a comment line
  const "w" : float32[2] param

  method "f"(%x: float32[2]) -> (float32[2]) {
    %0 = "relu"(%x) {"alpha"=1, b=int[], c=[1, 2]} : float32[2]  # pos.go:1
    # between nodes
    %1 = prim.if(%x) : float32[2] {
      return %0
    } {
      return %x
    }
    return %1
  }
}
# trailing comment
`
	m, err := ir.Parse(text, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := m.Method("f").Body.Nodes[0]
	if n.Pos != "pos.go:1" || n.Op != "relu" || m.Const("w") == nil {
		t.Fatalf("parsed %+v", n)
	}
	if v, ok := n.Attrs.Ints("b"); !ok || len(v) != 0 {
		t.Errorf("int[] parsed as %#v", n.Attrs["b"])
	}
	if len(m.Method("f").Body.Nodes[1].Blocks) != 2 {
		t.Error("blocks without else not parsed")
	}
	// Printing then is canonical and stable.
	p := m.String()
	m2, err := ir.Parse(p, nil)
	if err != nil || m2.String() != p {
		t.Fatalf("canonical text does not round-trip: %v\n%s", err, p)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(buildFull().String())
	if b, err := os.ReadFile(filepath.Join("testdata", "full.ir")); err == nil {
		f.Add(string(b))
	}
	f.Add(wrap("    %0 = prim.if(%x) : float32[3] {\n      return %x\n    } else {\n      return %x\n    }\n    return %0"))
	f.Add(wrap("    %0 = relu(%x) {a=[1.0, nan(0xfff8000000000001)], b=-inf} : float32[N, ?] quant<uint8, per_tensor, scales=[0.1], zero_points=[3]>\n    return %0"))
	f.Add("module {\n  const \"0.w\" : tensor[...] buffer\n  meta \"k\" = \"v\"\n}\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ir.Parse(text, nil)
		if err != nil {
			var se *ir.SyntaxError
			if !errors.As(err, &se) || se.Line < 1 || se.Col < 1 {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		_ = ir.Verify(m, nil) // must not panic
		p := m.String()
		m2, err := ir.Parse(p, nil)
		if err != nil {
			t.Fatalf("printed text does not parse: %v\n%s", err, p)
		}
		if p2 := m2.String(); p2 != p {
			t.Fatalf("print(parse(print(m))) != print(m):\n%s", diff(p, p2))
		}
		m.Clone()
		ir.EliminateCommonSubexpressions(m2, nil)
		ir.EliminateDeadCode(m2, nil)
	})
}
