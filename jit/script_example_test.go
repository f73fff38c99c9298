package jit_test

import (
	"fmt"
	"strings"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// Net takes a different path for a batch of one: tracing would bake in the
// path of its example batch, Script keeps both.
type Net struct {
	nn.Base
	Fc *nn.Linear
}

func (m *Net) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := m.Fc.Forward(x)
	if x.Size(0) > 1 {
		return y.Softmax(1)
	}
	return y.Sigmoid()
}

// Script a module whose Forward branches on the batch size, and run the
// graph on batches of one and two.
func ExampleScript() {
	tensor.ManualSeed(1)
	m := &Net{Fc: nn.NewLinear(3, 2)}
	nn.Eval(m)
	sm, err := jit.Script(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("prim.if nodes:", strings.Count(sm.Graph(), "prim.if("))
	for _, n := range []int{1, 2} {
		x := tensor.Randn(n, 3)
		out, err := sm.Call(x)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("batch %d: same as eager: %v\n", n, tensor.Equal(out[0], m.Forward(x)))
	}
	// Output:
	// prim.if nodes: 3
	// batch 1: same as eager: true
	// batch 2: same as eager: true
}

// Script reports Go that it cannot compile with its position.
func ExampleScript_unsupported() {
	_, err := jit.Script(&Unsupported{})
	msg := err.Error()
	fmt.Println(msg[strings.Index(msg, "jit.Script:"):])
	// Output:
	// jit.Script: defer is not supported in a scripted Forward (run the deferred code explicitly before each return)
}

// Unsupported defers a call in Forward.
type Unsupported struct{ nn.Base }

func (m *Unsupported) Forward(x *tensor.Tensor) *tensor.Tensor {
	defer x.ReLU()
	return x
}
