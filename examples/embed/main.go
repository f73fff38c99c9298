// Command embed is the smallest program that embeds Ember's runtime: it
// loads a .ember model with package mobile/lite, fills the first input of
// its forward method with a fixed pattern (or reads it from a raw
// little-endian float32 file), runs it and prints the argmax of the first
// output and the time taken. It imports only mobile/lite and the standard
// library, so its binary holds the runtime and the kernels and nothing
// else (about 2.4 MiB stripped; size_test.go holds it under 3 MiB).
//
// Usage:
//
//	go build -ldflags='-s -w' ./examples/embed
//	./embed model.ember [input.raw]
//
// Write a model with "ember zoo smallcnn -o smallcnn.ember".
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/emberml/ember/mobile/lite"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

func run(args []string, w io.Writer) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: embed model.ember [input.raw]")
	}
	m, err := lite.Load(args[0]) // maps the file; the weights stay in place
	if err != nil {
		return err
	}
	defer m.Close()
	fwd := m.Method("forward")
	if fwd == nil || len(fwd.Inputs()) == 0 || len(fwd.Outputs()) == 0 {
		return errors.New("the model has no forward method with inputs and outputs")
	}

	// Inputs: the first from the file or a pattern, any others zero.
	in := make([]lite.Tensor, len(fwd.Inputs()))
	for i, t := range fwd.Inputs() {
		if t.DType != lite.Float32 {
			return fmt.Errorf("input %q is %v: this example feeds float32", t.Name, t.DType)
		}
		x := make([]float32, t.Numel())
		if i == 0 {
			if err := fill(x, args[1:]); err != nil {
				return err
			}
		}
		in[i] = lite.Tensor{Name: t.Name, Data: x}
	}

	s := m.NewSession() // owns the arena: one per goroutine
	start := time.Now()
	if err := s.Run(fwd, in, nil); err != nil {
		return err
	}
	first := time.Since(start)
	const runs = 10
	start = time.Now()
	for range runs { // after the first run, a run allocates nothing
		if err := s.Run(fwd, in, nil); err != nil {
			return err
		}
	}
	each := time.Since(start) / runs

	y := s.OutputFloat32(fwd, 0) // a view of the session's memory
	if len(y) == 0 {
		return fmt.Errorf("output %q is not a non-empty float32 tensor", fwd.Outputs()[0].Name)
	}
	best := 0
	for i, v := range y {
		if v > y[best] {
			best = i
		}
	}
	fmt.Fprintf(w, "argmax %d (%g) of %d outputs; first run %v, then %v per run\n", best, y[best], len(y), first, each)
	return nil
}

// fill sets x from a raw little-endian float32 file, or to a fixed
// pattern when no file is named.
func fill(x []float32, file []string) error {
	if len(file) == 0 {
		for i := range x {
			x[i] = float32(i%17)/8 - 1
		}
		return nil
	}
	b, err := os.ReadFile(file[0])
	if err != nil {
		return err
	}
	if len(b) != 4*len(x) {
		return fmt.Errorf("%s: %d bytes; the input takes %d float32 values (%d bytes)", file[0], len(b), len(x), 4*len(x))
	}
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return nil
}
