package jit

import (
	"fmt"
	"strings"
	"sync"

	"github.com/emberml/ember/tensor"
)

// extraOps holds the ops that RegisterOp added, by name.
var extraOps struct {
	sync.RWMutex
	byName map[string]*tensor.OpDef
}

// RegisterOp adds an op that is not in package tensor's op table, so that
// the executor runs it and Schema (hence NewModule, Load and the pass
// manager's verifier) knows it. Packages that rewrite graphs into ops of
// their own register them in an init function: package mobile registers
// the fused ops of its passes ("conv2d_act", "linear_act", "add_relu"),
// which its lite runtime runs with fused kernels and this executor runs as
// compositions of tensor ops.
//
// def gives the op's name, version, tensor inputs, attributes, number of
// outputs and Run, which the executor calls as it calls a tensor op's (a
// panic of Run is the node's error). def must not be modified afterwards.
//
// RegisterOp panics, as database/sql's Register does, when def has no name
// or no Run, when its name is a prim op's ("prim." prefix), a tensor op's or
// one already registered, or when its name ends in "_" without InPlace (or
// the reverse).
func RegisterOp(def *tensor.OpDef) {
	switch {
	case def == nil || def.Name == "" || def.Run == nil:
		panic("jit: RegisterOp: an op needs a name and a Run function")
	case strings.HasPrefix(def.Name, "prim."):
		panic(fmt.Sprintf("jit: RegisterOp: %q is in the IR's own namespace", def.Name))
	case strings.HasSuffix(def.Name, "_") != def.InPlace:
		panic(fmt.Sprintf("jit: RegisterOp: %q: a name ends in _ exactly when the op is in place", def.Name))
	}
	if _, ok := tensor.LookupOp(def.Name); ok {
		panic(fmt.Sprintf("jit: RegisterOp: %q is an op of package tensor", def.Name))
	}
	extraOps.Lock()
	defer extraOps.Unlock()
	if _, dup := extraOps.byName[def.Name]; dup {
		panic(fmt.Sprintf("jit: RegisterOp: %q is registered twice", def.Name))
	}
	if extraOps.byName == nil {
		extraOps.byName = map[string]*tensor.OpDef{}
	}
	extraOps.byName[def.Name] = def
}

// LookupOp returns the op named name: an op of package tensor's table
// (tensor.LookupOp) or one added with RegisterOp. The executor and Schema
// look ops up here.
func LookupOp(name string) (*tensor.OpDef, bool) {
	if def, ok := tensor.LookupOp(name); ok {
		return def, true
	}
	extraOps.RLock()
	defer extraOps.RUnlock()
	def, ok := extraOps.byName[name]
	return def, ok
}
