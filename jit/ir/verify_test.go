package ir_test

import (
	"strings"
	"testing"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/tensor"
)

// findNode returns the first node of m's method with op.
func findNode(m *ir.Module, method, op string) *ir.Node {
	var found *ir.Node
	m.Method(method).Walk(func(n *ir.Node) bool {
		if n.Op == op {
			found = n
			return false
		}
		return true
	})
	if found == nil {
		panic("no node " + op)
	}
	return found
}

func mustParse(t *testing.T, text string) *ir.Module {
	t.Helper()
	m, err := ir.Parse(text, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return m
}

// testSchema knows a few tensor ops.
func testSchema(op string) (ir.OpSig, bool) {
	switch op {
	case "relu":
		return ir.OpSig{Inputs: 1, Outputs: 1, Attrs: []string{}}, true
	case "conv2d":
		return ir.OpSig{Inputs: 3, Outputs: 1, Attrs: []string{"stride", "padding", "groups"}}, true
	case "split":
		return ir.OpSig{Inputs: 1, Outputs: -1}, true
	}
	return ir.OpSig{}, false
}

const verifyBase = `module {
  const w : float32[4, 3, 3, 3] param
  const b : float32[4] buffer
  method helper(%a: float32[N, 4, 8, 8], %k: int) -> (float32[N, 4, 8, 8]) {
    %0 = relu(%a) : float32[N, 4, 8, 8]
    return %0
  }
  method forward(%x: float32[N, 3, 8, 8], %n: int) -> (float32[N, 4, 8, 8], int) {
    %w = prim.param() {name="w"} : float32[4, 3, 3, 3]
    %0 = conv2d(%x, %w, none) {padding=[1, 1]} : float32[N, 4, 8, 8]  # model.go:10
    %1 = prim.constant() {value=2} : int
    %2 = prim.gt(%n, %1) : bool
    %3 = prim.if(%2) : float32[N, 4, 8, 8] {
      %4 = relu(%0) : float32[N, 4, 8, 8]
      return %4
    } else {
      return %0
    }
    %5 = prim.constant() {value=true} : bool
    %6 = prim.loop(%n, %5, %3) : float32[N, 4, 8, 8] {
      block(%i: int, %h: float32[N, 4, 8, 8]):
      %7 = prim.call(%h, %i) {method="helper"} : float32[N, 4, 8, 8]
      %8 = prim.lt(%i, %1) : bool
      return %8, %7
    }
    %9 = prim.add(%n, %1) : int
    return %6, %9
  }
}
`

func TestVerifyBase(t *testing.T) {
	m := mustParse(t, verifyBase)
	if err := ir.Verify(m, testSchema); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyErrors(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(m *ir.Module)
		want   []string // substrings of the error
	}{
		{"use before definition", func(m *ir.Module) {
			g := m.Method("forward")
			g.Body.Nodes[0], g.Body.Nodes[1] = g.Body.Nodes[1], g.Body.Nodes[0]
		}, []string{"method forward", "%0 = conv2d (model.go:10): input 1: %w is not defined before use"}},
		{"value of another method", func(m *ir.Module) {
			findNode(m, "forward", "conv2d").Inputs[0] = m.Method("helper").Inputs()[0]
		}, []string{"input 0: %undefined.0 is not defined before use"}},
		{"inner value used outside", func(m *ir.Module) {
			inner := findNode(m, "forward", "prim.if").Blocks[0].Returns[0]
			findNode(m, "forward", "prim.loop").Inputs[2] = inner
		}, []string{"prim.loop: input 2: %4 is used where its definition does not reach"}},
		{"defined twice", func(m *ir.Module) {
			g := m.Method("forward")
			n := findNode(m, "forward", "prim.add")
			dup := &ir.Node{Op: "relu", Inputs: []*ir.Value{g.Inputs()[0]}, Outputs: n.Outputs, Parent: g.Body}
			g.Body.Nodes = append(g.Body.Nodes, dup)
		}, []string{"value %9 defined twice"}},
		{"missing output type", func(m *ir.Module) {
			findNode(m, "forward", "conv2d").Outputs[0].Type = ir.Type{}
		}, []string{"output 0: value %0: missing type"}},
		{"if condition not bool", func(m *ir.Module) {
			findNode(m, "forward", "prim.if").Inputs[0] = m.Method("forward").Inputs()[1]
		}, []string{"%3 = prim.if: condition is int, want bool"}},
		{"if one block", func(m *ir.Module) {
			n := findNode(m, "forward", "prim.if")
			n.Blocks = n.Blocks[:1]
		}, []string{"1 blocks, want 2"}},
		{"if block returns too many", func(m *ir.Module) {
			n := findNode(m, "forward", "prim.if")
			n.Blocks[1].Returns = append(n.Blocks[1].Returns, m.Method("forward").Inputs()[0])
		}, []string{"else block returns 2 values for 1 outputs"}},
		{"if block returns wrong type", func(m *ir.Module) {
			n := findNode(m, "forward", "prim.if")
			n.Blocks[1].Returns[0] = m.Method("forward").Inputs()[0]
		}, []string{"else block returns float32[N, 3, 8, 8] for output 0 of type float32[N, 4, 8, 8]"}},
		{"loop trip count", func(m *ir.Module) {
			n := findNode(m, "forward", "prim.loop")
			n.Inputs[0] = n.Inputs[1]
		}, []string{"max_trip_count is bool"}},
		{"loop param type", func(m *ir.Module) {
			n := findNode(m, "forward", "prim.loop")
			n.Blocks[0].Params[1].Type = ir.TensorType(tensor.Float32, ir.SymDim("N"), ir.FixedDim(5), ir.FixedDim(8), ir.FixedDim(8))
		}, []string{"carried 0: initial value of type float32[N, 4, 8, 8] for parameter of type float32[N, 5, 8, 8]"}},
		{"loop block condition", func(m *ir.Module) {
			n := findNode(m, "forward", "prim.loop")
			n.Blocks[0].Returns[0] = n.Blocks[0].Params[0]
		}, []string{"block returns condition of type int, want bool"}},
		{"loop carried count", func(m *ir.Module) {
			n := findNode(m, "forward", "prim.loop")
			n.Blocks[0].Returns = n.Blocks[0].Returns[:1]
		}, []string{"block returns 1 values, want 2"}},
		{"param unknown constant", func(m *ir.Module) {
			findNode(m, "forward", "prim.param").Attrs["name"] = "nope"
		}, []string{`%w = prim.param: no module constant "nope"`}},
		{"param wrong type", func(m *ir.Module) {
			findNode(m, "forward", "prim.param").Attrs["name"] = "b"
		}, []string{"output type float32[4, 3, 3, 3], constant b is float32[4]"}},
		{"returns count", func(m *ir.Module) {
			g := m.Method("forward")
			g.Body.Returns = g.Body.Returns[:1]
		}, []string{"method forward: returns 1 values, declared 2 results"}},
		{"returns type", func(m *ir.Module) {
			g := m.Method("forward")
			g.Results[1] = ir.FloatType()
		}, []string{"result 1: returns %9 of type int, declared float"}},
		{"call unknown method", func(m *ir.Module) {
			findNode(m, "forward", "prim.call").Attrs["method"] = "nope"
		}, []string{`%7 = prim.call: calls unknown method "nope"`}},
		{"call arity", func(m *ir.Module) {
			n := findNode(m, "forward", "prim.call")
			n.Inputs = n.Inputs[:1]
		}, []string{"1 inputs, method helper takes 2"}},
		{"call input type", func(m *ir.Module) {
			n := findNode(m, "forward", "prim.call")
			n.Inputs[1] = n.Inputs[0]
		}, []string{"input 1 of type float32[N, 4, 8, 8] for parameter of type int of helper"}},
		{"unknown prim", func(m *ir.Module) {
			findNode(m, "forward", "prim.add").Op = "prim.plus"
		}, []string{"unknown prim op prim.plus"}},
		{"arith kinds", func(m *ir.Module) {
			n := findNode(m, "forward", "prim.add")
			n.Inputs[1] = findNode(m, "forward", "prim.gt").Output()
		}, []string{"operands int and bool (want both int or both float)"}},
		{"arith output kind", func(m *ir.Module) {
			findNode(m, "forward", "prim.add").Output().Type = ir.FloatType()
		}, []string{"output type float, want int"}},
		{"prim none input", func(m *ir.Module) {
			findNode(m, "forward", "prim.add").Inputs[0] = nil
		}, []string{"input 0 is none"}},
		{"prim unexpected attr", func(m *ir.Module) {
			findNode(m, "forward", "prim.add").Attrs = ir.Attrs{"alpha": int64(1)}
		}, []string{"prim.add takes no attribute alpha"}},
		{"constant type", func(m *ir.Module) {
			findNode(m, "forward", "prim.constant").Attrs["value"] = 2.0
		}, []string{"output type int, value is float"}},
		{"schema unknown op", func(m *ir.Module) {
			findNode(m, "forward", "conv2d").Op = "conv9d"
		}, []string{"unknown op conv9d"}},
		{"schema inputs", func(m *ir.Module) {
			n := findNode(m, "forward", "conv2d")
			n.Inputs = n.Inputs[:2]
		}, []string{"2 inputs, conv2d takes 3"}},
		{"schema attr", func(m *ir.Module) {
			findNode(m, "forward", "conv2d").Attrs["dilation"] = []int64{2, 2}
		}, []string{"conv2d takes no attribute dilation"}},
		{"attr Go type", func(m *ir.Module) {
			findNode(m, "forward", "conv2d").Attrs["groups"] = 1 // int, not int64
		}, []string{"attribute groups has type int"}},
		{"attr name", func(m *ir.Module) {
			findNode(m, "forward", "conv2d").Attrs["bad name"] = int64(1)
		}, []string{`invalid attribute name "bad name"`}},
		{"blocks on tensor op", func(m *ir.Module) {
			n := findNode(m, "forward", "conv2d")
			n.Blocks = []*ir.Block{{Owner: n, Graph: n.Graph()}}
		}, []string{"only prim.if and prim.loop have blocks"}},
		{"value ID not issued", func(m *ir.Module) {
			findNode(m, "forward", "prim.add").Output().ID = 1000
		}, []string{"has ID 1000, not issued by this method"}},
		{"duplicate ID", func(m *ir.Module) {
			findNode(m, "forward", "prim.add").Output().ID = 0
		}, []string{"has the ID 0 of %x"}},
		{"wrong parent", func(m *ir.Module) {
			findNode(m, "forward", "prim.add").Parent = nil
		}, []string{"Parent does not point to its block"}},
		{"wrong def", func(m *ir.Module) {
			findNode(m, "forward", "prim.add").Output().Def = nil
		}, []string{"output 0 does not point back to its node"}},
		{"duplicate constant", func(m *ir.Module) {
			m.AddConst("w", ir.Param, ir.TensorType(tensor.Float32, ir.FixedDim(1)), nil)
		}, []string{"constant w declared twice"}},
		{"symbolic constant", func(m *ir.Module) {
			m.AddConst("s", ir.Param, ir.TensorType(tensor.Float32, ir.SymDim("N")), nil)
		}, []string{"constant s: type float32[N] is not a concrete tensor type"}},
		{"constant tensor mismatch", func(m *ir.Module) {
			m.Const("b").Tensor = tensor.Zeros(5)
		}, []string{"constant b: tensor float32[5] does not match its type float32[4]"}},
		{"quant scales", func(m *ir.Module) {
			m.AddConst("q", ir.Constant, ir.Type{Kind: ir.KindTensor, DType: tensor.Float32, Shape: ir.Dims(3, 2),
				Quant: &ir.QuantParams{Scheme: ir.PerChannel, Scales: []float64{1, 2}, ZeroPoints: []int64{0, 0}, StorageDType: tensor.Int8}}, nil)
		}, []string{"constant q: 2 scales for 3 channels"}},
		{"quant storage", func(m *ir.Module) {
			m.AddConst("q", ir.Constant, ir.Type{Kind: ir.KindTensor, DType: tensor.Float32, Shape: ir.Dims(3),
				Quant: &ir.QuantParams{Scales: []float64{1}, ZeroPoints: []int64{0}, StorageDType: tensor.Float32}}, nil)
		}, []string{"quantized storage dtype float32"}},
		{"quant zero point range", func(m *ir.Module) {
			m.AddConst("q", ir.Constant, ir.Type{Kind: ir.KindTensor, DType: tensor.Float32, Shape: ir.Dims(3),
				Quant: &ir.QuantParams{Scales: []float64{1}, ZeroPoints: []int64{300}, StorageDType: tensor.Uint8}}, nil)
		}, []string{"zero point 300 outside uint8"}},
		{"quant scale", func(m *ir.Module) {
			m.AddConst("q", ir.Constant, ir.Type{Kind: ir.KindTensor, DType: tensor.Float32, Shape: ir.Dims(3),
				Quant: &ir.QuantParams{Scales: []float64{0}, ZeroPoints: []int64{0}, StorageDType: tensor.Uint8}}, nil)
		}, []string{"quantization scale 0"}},
		{"bad dim name", func(m *ir.Module) {
			m.Method("forward").Results[0].Shape[0] = ir.SymDim("a b")
		}, []string{`result 0: invalid dim name "a b"`}},
		{"method name", func(m *ir.Module) {
			m.Method("forward").Name = "for ward"
		}, []string{`invalid method name "for ward"`}},
		{"duplicate method", func(m *ir.Module) {
			m.Method("forward").Name = "helper"
		}, []string{"method helper defined twice"}},
		{"raise without msg", func(m *ir.Module) {
			b := ir.NewBuilder(m.Method("forward").Body)
			b.Add(ir.OpRaise, nil, nil)
		}, []string{"prim.raise: needs a string attribute msg"}},
		{"size without dim", func(m *ir.Module) {
			b := ir.NewBuilder(m.Method("forward").Body)
			b.Add(ir.OpSize, []*ir.Value{m.Method("forward").Inputs()[0]}, nil, ir.IntType())
		}, []string{"needs an int attribute dim or a second input"}},
		{"item of int", func(m *ir.Module) {
			b := ir.NewBuilder(m.Method("forward").Body)
			b.Add(ir.OpItem, []*ir.Value{m.Method("forward").Inputs()[1]}, nil, ir.FloatType())
		}, []string{"input 0 is int, want a tensor"}},
		{"list construct", func(m *ir.Module) {
			b := ir.NewBuilder(m.Method("forward").Body)
			b.Add(ir.OpListConstruct, []*ir.Value{m.Method("forward").Inputs()[1]}, nil, ir.ListType(ir.FloatType()))
		}, []string{"input 0 of type int does not fit list<float>"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := mustParse(t, verifyBase)
			c.mutate(m)
			err := ir.Verify(m, testSchema)
			if err == nil {
				t.Fatalf("no error for\n%s", m)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if !strings.HasPrefix(err.Error(), "ir: ") {
				t.Errorf("error %q lacks the ir: prefix", err)
			}
		})
	}
}

func TestVerifyWithoutSchemaAcceptsUnknownOps(t *testing.T) {
	m := mustParse(t, verifyBase)
	findNode(m, "forward", "conv2d").Op = "my_custom_op"
	if err := ir.Verify(m, nil); err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(m, testSchema); err == nil {
		t.Fatal("the schema should reject my_custom_op")
	}
}

func TestVerifyCapsErrors(t *testing.T) {
	m := ir.NewModule()
	g := m.NewMethod("f")
	b := ir.NewBuilder(g.Body)
	for range 50 {
		b.Add("x", nil, ir.Attrs{"bad": struct{}{}})
	}
	g.Return()
	err := ir.Verify(m, nil)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 21 || !strings.Contains(lines[20], "and 30 more problems") {
		t.Fatalf("got %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}
