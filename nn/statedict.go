package nn

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/emberml/ember/tensor"
)

// StateKeys returns the names of m's state dict in registration order (the
// order PyTorch's state_dict() lists them).
func StateKeys(m Module) []string {
	var keys []string
	walkTensors(m, func(name string, tm tensorMember) {
		if tm.kind != kindNonPersistent {
			keys = append(keys, name)
		}
	})
	return keys
}

// StateDict returns m's parameters and persistent buffers by PyTorch-style
// dotted name (features.0.weight, bn1.running_mean), as PyTorch's
// module.state_dict(). The tensors share storage with the module's and
// carry no gradient history. Buffers tagged `nn:",nonpersistent"` are left
// out.
func StateDict(m Module) map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	walkTensors(m, func(name string, tm tensorMember) {
		if tm.kind != kindNonPersistent {
			sd[name] = (*tm.ptr).Detach()
		}
	})
	return sd
}

// LoadReport lists the keys a non-strict [LoadStateDict] skipped: Missing
// are the module's keys the state dict lacks, Unexpected the state dict's
// keys the module lacks (PyTorch's missing_keys and unexpected_keys). Both
// are sorted.
type LoadReport struct {
	Missing    []string
	Unexpected []string
}

// LoadStateDict copies the tensors of sd into m's parameters and buffers
// with the same names, as PyTorch's load_state_dict: values are cast to each
// destination's dtype, shapes must match. With strict set, a key missing on
// either side is an error; without it the report lists them. On any error
// nothing is copied.
func LoadStateDict(m Module, sd map[string]*tensor.Tensor, strict bool) (LoadReport, error) {
	var rep LoadReport
	var errs []string
	type pair struct{ dst, src *tensor.Tensor }
	var copies []pair
	have := map[string]bool{}
	// Every name of every tensor counts: a tensor shared by two modules
	// (tied weights) has two names, and a PyTorch state dict lists both.
	// StateDict writes only the first; either name loads it.
	var order []*tensor.Tensor
	names := map[*tensor.Tensor][]string{}
	walkAllTensors(m, func(name string, tm tensorMember) {
		if tm.kind == kindNonPersistent {
			return
		}
		have[name] = true
		t := *tm.ptr
		if _, ok := names[t]; !ok {
			order = append(order, t)
		}
		names[t] = append(names[t], name)
	})
	for _, dst := range order {
		found := false
		for _, name := range names[dst] {
			src, ok := sd[name]
			if !ok || src == nil {
				continue
			}
			found = true
			if !slices.Equal(src.Shape(), dst.Shape()) {
				errs = append(errs, fmt.Sprintf("size mismatch for %s: copying a tensor of shape %v from the state dict, the shape in the module is %v", name, src.Shape(), dst.Shape()))
				continue
			}
			copies = append(copies, pair{dst, src})
		}
		if !found {
			rep.Missing = append(rep.Missing, names[dst][0])
		}
	}
	for k := range sd {
		if !have[k] {
			rep.Unexpected = append(rep.Unexpected, k)
		}
	}
	sort.Strings(rep.Missing)
	sort.Strings(rep.Unexpected)
	if strict {
		if len(rep.Missing) > 0 {
			errs = append(errs, "missing keys: "+strings.Join(rep.Missing, ", "))
		}
		if len(rep.Unexpected) > 0 {
			errs = append(errs, "unexpected keys: "+strings.Join(rep.Unexpected, ", "))
		}
	}
	if len(errs) > 0 {
		return rep, errors.New("nn: LoadStateDict: " + strings.Join(errs, "; "))
	}
	restore := tensor.SetGradEnabled(false)
	defer restore()
	for _, c := range copies {
		c.dst.Copy_(c.src)
	}
	return rep, nil
}
