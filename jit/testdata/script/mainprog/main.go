// Command mainprog scripts a model declared in package main, which reflect
// names "main": Script loads the source of the package in its directory.
package main

import (
	"fmt"
	"os"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

type net struct {
	nn.Base
	Fc *nn.Linear
}

func (m *net) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Size(0) > 1 {
		return m.Fc.Forward(x).ReLU()
	}
	return m.Fc.Forward(x).Neg()
}

func main() {
	m := &net{Fc: nn.NewLinear(3, 2)}
	nn.Eval(m)
	sm, err := jit.Script(m)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	for n := 1; n <= 3; n++ {
		x := tensor.Randn(n, 3)
		out, err := sm.Call(x)
		if err != nil || !tensor.Equal(out[0], m.Forward(x)) {
			fmt.Println("batch", n, "differs:", err)
			os.Exit(1)
		}
	}
	fmt.Println("ok")
}
