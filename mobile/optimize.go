package mobile

import (
	"errors"
	"fmt"
	"io"
	"log"
	"slices"
	"strings"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
)

// MetaPasses is the metadata key under which OptimizeForMobile records the
// passes it ran, comma-separated, in order.
const MetaPasses = "mobile.passes"

// OptimizeOptions are the options of OptimizeForMobile; the zero value is
// the default.
type OptimizeOptions struct {
	// Blocklist names passes not to run (see Passes and the Pass
	// constants). A name that is no pass's is an error.
	Blocklist []string

	// PreservedMethods are the methods kept besides "forward", which is
	// always kept; the methods they call (prim.call) are kept too, and the
	// others are removed. A name the module does not have is an error.
	PreservedMethods []string

	// Supported reports whether the lite runtime implements an op. When
	// not nil, the lints name each op of the optimized module (prim.param
	// and prim.constant aside) for which it returns false.
	Supported func(op string) bool

	// Lints receives each lint of the optimized module (see Lints). Nil
	// writes them with the standard logger (package log); pass
	// func(Lint) {} to drop them.
	Lints func(Lint)

	// Dump, when not nil, receives the module's text before the passes and
	// after each pass (ir.PassManager.Dump).
	Dump io.Writer
}

// OptimizeForMobile returns a copy of m transformed for inference on
// devices, as PyTorch's torch.utils.mobile_optimizer.optimize_for_mobile:
// it runs the passes of Passes with an ir.PassManager (which verifies the
// module after each pass and names the pass that broke it), skipping those
// in the blocklist, removes the methods not preserved, and reports what
// the lints find (see Lints). m is not modified; the result's constants
// share the data of m's where no pass changed them.
//
// The result runs in the jit executor like any Module, and its outputs
// equal m's up to rounding: folding batch norm into convolution weights
// changes the arithmetic, so outputs differ by about 1e-6 relative to their
// largest magnitude; the other passes keep the bits. It is what the
// exporter writes for the lite runtime. Run it on a module traced or
// scripted in evaluation mode (nn.Eval): in training mode dropout and batch
// norm stay, and the lints say so.
func OptimizeForMobile(m *jit.Module, opts ...OptimizeOptions) (*jit.Module, error) {
	if m == nil {
		return nil, errors.New("mobile: OptimizeForMobile: nil module")
	}
	var o OptimizeOptions
	switch len(opts) {
	case 0:
	case 1:
		o = opts[0]
	default:
		return nil, errors.New("mobile: OptimizeForMobile takes at most one OptimizeOptions")
	}
	mod := m.IR().Clone()
	if err := keepMethods(mod, o.PreservedMethods); err != nil {
		return nil, err
	}
	pm := ir.NewPassManager(Passes()...)
	pm.Schema = jit.Schema
	pm.Disable(o.Blocklist...)
	pm.Dump = o.Dump
	if err := pm.Run(mod); err != nil {
		return nil, fmt.Errorf("mobile: %w", err)
	}
	if err := keepMethods(mod, o.PreservedMethods); err != nil {
		return nil, err
	}
	var ran []string
	for _, p := range pm.Passes {
		if !pm.Disabled[p.Name] {
			ran = append(ran, p.Name)
		}
	}
	if mod.Metadata == nil {
		mod.Metadata = map[string]string{}
	}
	mod.Metadata[MetaPasses] = strings.Join(ran, ",")
	out, err := jit.NewModule(mod)
	if err != nil {
		return nil, fmt.Errorf("mobile: %w", err)
	}
	report := o.Lints
	if report == nil {
		report = func(l Lint) { log.Print(l) }
	}
	for _, l := range lintIR(mod, o.Supported) {
		report(l)
	}
	return out, nil
}

// keepMethods removes the methods of m other than forward, those in
// preserved and those they call.
func keepMethods(m *ir.Module, preserved []string) error {
	keep := map[string]bool{}
	var work []string
	add := func(name string) {
		if !keep[name] {
			keep[name] = true
			work = append(work, name)
		}
	}
	if m.Method("forward") != nil {
		add("forward")
	}
	for _, name := range preserved {
		if m.Method(name) == nil {
			return fmt.Errorf("mobile: preserved method %q: the module has no such method", name)
		}
		add(name)
	}
	if len(work) == 0 {
		return errors.New("mobile: the module has no method forward and none is preserved")
	}
	for len(work) > 0 {
		g := m.Method(work[len(work)-1])
		work = work[:len(work)-1]
		if g == nil {
			continue // a call of a missing method: the verifier reports it
		}
		g.Walk(func(n *ir.Node) bool {
			if n.Op == ir.OpCall {
				if callee, ok := n.Attrs.Str("method"); ok {
					add(callee)
				}
			}
			return true
		})
	}
	m.Methods = slices.DeleteFunc(m.Methods, func(g *ir.Graph) bool { return g == nil || !keep[g.Name] })
	return nil
}
