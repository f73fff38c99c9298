package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/nn/optim"
	"github.com/emberml/ember/nn/safetensors"
	"github.com/emberml/ember/tensor"
)

// FormatVersion is the version of the checkpoint layout that Save writes.
// Load reads this version and older ones.
const FormatVersion = 1

// MetadataKey is the safetensors metadata key under which a checkpoint
// keeps its JSON header (format version, epoch, step, optimizer groups,
// scheduler and generator states, extra strings).
const MetadataKey = "ember.checkpoint"

// Tensor name prefixes in a checkpoint file.
const (
	modelPrefix     = "model."
	optimizerPrefix = "optimizer.state."
)

// State is what a training checkpoint holds. Save stores every part that is
// set; Load restores into the parts that are set, which the caller builds
// first (a fresh model of the same architecture, an optimizer over its
// parameters with the same groups, a scheduler on that optimizer), and
// leaves nil parts alone, so a State with only Model reads the weights of a
// full checkpoint.
type State struct {
	// Model's state dict (parameters and persistent buffers) is stored as
	// tensors "model.<name>".
	Model nn.Module
	// Optimizer's state dict is stored as tensors
	// "optimizer.state.<index>.<key>" (PyTorch's parameter indices and
	// buffer names) and its parameter groups as JSON.
	Optimizer optim.Optimizer
	// Scheduler's state dict is stored as JSON.
	Scheduler optim.Scheduler
	// Epoch and Step are the training loop's counters; Load always sets
	// them from the file.
	Epoch, Step int
	// RNG is the generator whose state is saved and restored, usually
	// tensor.DefaultGenerator(), which random initialisation, dropout and
	// tensor.Rand draw from: restoring it makes the rest of a resumed run
	// draw the same numbers as an uninterrupted one. Nil saves and restores
	// no generator (the default generator is never changed behind the
	// caller's back).
	RNG *tensor.Generator
	// Generators are further generators by name: a data loader's shuffling
	// generator, a dropout layer's own Generator.
	Generators map[string]*tensor.Generator
	// Extra holds the caller's own strings (best accuracy, run name, ...);
	// Load replaces the map with the file's (nil when it has none).
	Extra map[string]string
}

// LoadOptions configure Load. The zero value is strict loading.
type LoadOptions struct {
	// NonStrict lets the model's keys differ from the file's (missing and
	// unexpected keys are skipped, as nn.LoadStateDict with strict false)
	// and lets a set part of the State (optimizer, scheduler, generators)
	// be missing from the file, in which case it is left as it is. Shape
	// mismatches, parameter groups that do not match and malformed data
	// are errors either way.
	NonStrict bool
}

// ckptHeader is the JSON kept under MetadataKey.
type ckptHeader struct {
	Version    int               `json:"version"`
	Epoch      int               `json:"epoch"`
	Step       int               `json:"step"`
	Model      bool              `json:"model,omitempty"`
	Optimizer  *ckptOptimizer    `json:"optimizer,omitempty"`
	Scheduler  json.RawMessage   `json:"scheduler,omitempty"`
	RNG        []byte            `json:"rng,omitempty"`
	Generators map[string][]byte `json:"generators,omitempty"`
	Extra      map[string]string `json:"extra,omitempty"`
}

// ckptOptimizer is an optimizer's state dict without its tensors: the
// groups in typed JSON and, for each parameter index with state, the names
// of its tensors.
type ckptOptimizer struct {
	ParamGroups []json.RawMessage   `json:"param_groups"`
	State       map[string][]string `json:"state"`
}

// Save writes the set parts of s to path as one safetensors file,
// atomically (a failed save leaves an old file at path as it was). The
// model's and the optimizer's tensors are stored with their dtypes; the
// optimizer's groups and the scheduler's state may hold nil, bool, string,
// int, int32, int64, float32 and float64 values, []int, []int64, []float32,
// []float64, []string, []bool, []any, map[string]any, []map[string]any and
// map[string]float64, nested at will; any other type is an error.
func Save(path string, s State) error {
	for k, v := range s.Extra {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("checkpoint: extra %q is not valid UTF-8", k)
		}
	}
	for k := range s.Generators {
		if !utf8.ValidString(k) {
			return fmt.Errorf("checkpoint: generator name %q is not valid UTF-8", k)
		}
	}
	ts := map[string]*tensor.Tensor{}
	h := ckptHeader{Version: FormatVersion, Epoch: s.Epoch, Step: s.Step, Extra: s.Extra}
	if s.Model != nil {
		h.Model = true
		for k, v := range nn.StateDict(s.Model) {
			ts[modelPrefix+k] = v
		}
	}
	if s.Optimizer != nil {
		sd := s.Optimizer.StateDict()
		o := &ckptOptimizer{State: map[string][]string{}}
		for i, g := range sd.Groups {
			b, err := ckptMarshalValue(g)
			if err != nil {
				return fmt.Errorf("checkpoint: optimizer parameter group %d: %w", i, err)
			}
			o.ParamGroups = append(o.ParamGroups, b)
		}
		for i, st := range sd.State {
			if i < 0 {
				return fmt.Errorf("checkpoint: optimizer state for parameter index %d", i)
			}
			keys := make([]string, 0, len(st))
			for k, v := range st {
				if v == nil {
					return fmt.Errorf("checkpoint: optimizer state %d.%s is nil", i, k)
				}
				ts[fmt.Sprintf("%s%d.%s", optimizerPrefix, i, k)] = v
				keys = append(keys, k)
			}
			sort.Strings(keys)
			o.State[strconv.Itoa(i)] = keys
		}
		h.Optimizer = o
	}
	if s.Scheduler != nil {
		sd := s.Scheduler.StateDict()
		if sd == nil {
			sd = map[string]any{}
		}
		b, err := ckptMarshalValue(sd)
		if err != nil {
			return fmt.Errorf("checkpoint: scheduler state: %w", err)
		}
		h.Scheduler = b
	}
	if s.RNG != nil {
		h.RNG = s.RNG.State()
	}
	if len(s.Generators) > 0 {
		h.Generators = map[string][]byte{}
		for k, g := range s.Generators {
			if g == nil {
				return fmt.Errorf("checkpoint: generator %q is nil", k)
			}
			h.Generators[k] = g.State()
		}
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	md := map[string]string{"format": "pt", MetadataKey: string(hb)}
	if err := safetensors.SaveFile(path, ts, md); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Load restores a checkpoint that Save wrote into the set parts of s (see
// State) and sets s.Epoch, s.Step and s.Extra. It checks everything first,
// the file, the model's keys and shapes, the optimizer's groups and state
// indices, the generators' states, and changes nothing when a check fails.
// Loading is strict unless opts say otherwise: each set part must be in the
// file and the model's keys must match exactly. Should the optimizer or
// scheduler itself reject its state, Load puts back the state it had and
// returns the error.
func Load(path string, s *State, opts ...LoadOptions) error {
	if s == nil {
		return errors.New("checkpoint: Load needs a State to fill, got nil")
	}
	var o LoadOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	ts, md, err := safetensors.LoadFile(path)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	h, err := ckptParseHeader(md)
	if err != nil {
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	p, err := ckptPlan(h, ts, s, !o.NonStrict)
	if err != nil {
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	if err := p.apply(s); err != nil {
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	s.Epoch, s.Step, s.Extra = h.Epoch, h.Step, h.Extra
	return nil
}

// ckptParseHeader reads and checks the checkpoint header in md.
func ckptParseHeader(md map[string]string) (*ckptHeader, error) {
	raw, ok := md[MetadataKey]
	if !ok {
		return nil, errors.New("not an Ember checkpoint (no " + MetadataKey + " metadata; a plain state dict loads with LoadModel)")
	}
	d := json.NewDecoder(strings.NewReader(raw))
	d.DisallowUnknownFields()
	var h ckptHeader
	if err := d.Decode(&h); err != nil {
		return nil, fmt.Errorf("checkpoint header: %w", err)
	}
	if d.More() {
		return nil, errors.New("checkpoint header: trailing data")
	}
	if h.Version < 1 || h.Version > FormatVersion {
		return nil, fmt.Errorf("checkpoint format version %d; this Ember reads versions 1 to %d", h.Version, FormatVersion)
	}
	return &h, nil
}

// ckptPlanned is a checked checkpoint, ready to be applied.
type ckptPlanned struct {
	model      map[string]*tensor.Tensor // nil: leave the model alone
	optimizer  *optim.StateDict
	scheduler  map[string]any
	rng        []byte
	generators map[string][]byte
}

// ckptPlan splits the file's tensors into parts, decodes the JSON values
// and checks them against the set parts of s, without changing s.
func ckptPlan(h *ckptHeader, ts map[string]*tensor.Tensor, s *State, strict bool) (*ckptPlanned, error) {
	p := &ckptPlanned{}
	model := map[string]*tensor.Tensor{}
	optState := map[int]map[string]*tensor.Tensor{}
	for name, t := range ts {
		switch {
		case strings.HasPrefix(name, modelPrefix):
			model[strings.TrimPrefix(name, modelPrefix)] = t
		case strings.HasPrefix(name, optimizerPrefix):
			rest := strings.TrimPrefix(name, optimizerPrefix)
			is, key, ok := strings.Cut(rest, ".")
			i, err := strconv.Atoi(is)
			if !ok || err != nil || i < 0 || key == "" || strconv.Itoa(i) != is {
				return nil, fmt.Errorf("malformed optimizer tensor name %q", name)
			}
			if optState[i] == nil {
				optState[i] = map[string]*tensor.Tensor{}
			}
			optState[i][key] = t
		default:
			return nil, fmt.Errorf("tensor %q belongs to no part of a checkpoint", name)
		}
	}
	if len(model) > 0 && !h.Model {
		return nil, errors.New("model tensors in a checkpoint that records no model")
	}
	if len(optState) > 0 && h.Optimizer == nil {
		return nil, errors.New("optimizer tensors in a checkpoint that records no optimizer")
	}

	if s.Model != nil {
		if !h.Model {
			if strict {
				return nil, errors.New("the checkpoint holds no model")
			}
		} else {
			if err := ckptCheckModel(s.Model, model, strict); err != nil {
				return nil, err
			}
			p.model = model
		}
	}

	// The optimizer's part is decoded and checked against the manifest even
	// when s has no optimizer, so that a damaged file is always an error.
	if h.Optimizer != nil {
		sd, err := ckptOptimizerState(h.Optimizer, optState)
		if err != nil {
			return nil, err
		}
		if s.Optimizer != nil {
			if err := ckptCheckOptimizer(s.Optimizer, sd); err != nil {
				return nil, err
			}
			p.optimizer = sd
		}
	} else if s.Optimizer != nil && strict {
		return nil, errors.New("the checkpoint holds no optimizer state")
	}

	if h.Scheduler != nil {
		v, err := ckptUnmarshalValue(h.Scheduler)
		if err != nil {
			return nil, fmt.Errorf("scheduler state: %w", err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("scheduler state is a %T, not a map", v)
		}
		if m == nil {
			m = map[string]any{}
		}
		if s.Scheduler != nil {
			p.scheduler = m
		}
	} else if s.Scheduler != nil && strict {
		return nil, errors.New("the checkpoint holds no scheduler state")
	}

	if len(h.RNG) > 0 {
		if err := tensor.NewGenerator(0).SetState(h.RNG); err != nil {
			return nil, fmt.Errorf("generator state: %w", err)
		}
		if s.RNG != nil {
			p.rng = h.RNG
		}
	} else if s.RNG != nil && strict {
		return nil, errors.New("the checkpoint holds no generator state (RNG)")
	}

	for k, b := range h.Generators {
		if err := tensor.NewGenerator(0).SetState(b); err != nil {
			return nil, fmt.Errorf("generator %q: %w", k, err)
		}
	}
	if s.Generators != nil {
		p.generators = map[string][]byte{}
		var missing, unexpected []string
		for k, g := range s.Generators {
			b, ok := h.Generators[k]
			switch {
			case g == nil:
				return nil, fmt.Errorf("generator %q is nil", k)
			case ok:
				p.generators[k] = b
			default:
				missing = append(missing, k)
			}
		}
		for k := range h.Generators {
			if _, ok := s.Generators[k]; !ok {
				unexpected = append(unexpected, k)
			}
		}
		if strict && len(missing)+len(unexpected) > 0 {
			sort.Strings(missing)
			sort.Strings(unexpected)
			var errs []string
			if len(missing) > 0 {
				errs = append(errs, "missing generators: "+strings.Join(missing, ", "))
			}
			if len(unexpected) > 0 {
				errs = append(errs, "unexpected generators: "+strings.Join(unexpected, ", "))
			}
			return nil, errors.New(strings.Join(errs, "; "))
		}
	}
	return p, nil
}

// ckptCheckModel checks sd against m's state dict: every shape must match
// and, when strict, the keys too (nn.LoadStateDict's rules, checked here so
// that Load can check everything before changing anything).
func ckptCheckModel(m nn.Module, sd map[string]*tensor.Tensor, strict bool) error {
	have := nn.StateDict(m)
	var missing, unexpected, errs []string
	for k, t := range have {
		src, ok := sd[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		if !slices.Equal(src.Shape(), t.Shape()) {
			errs = append(errs, fmt.Sprintf("size mismatch for %s: shape %v in the checkpoint, %v in the model", k, src.Shape(), t.Shape()))
		}
	}
	for k := range sd {
		if _, ok := have[k]; !ok {
			unexpected = append(unexpected, k)
		}
	}
	sort.Strings(errs)
	if strict {
		sort.Strings(missing)
		sort.Strings(unexpected)
		if len(missing) > 0 {
			errs = append(errs, "missing model keys: "+strings.Join(missing, ", "))
		}
		if len(unexpected) > 0 {
			errs = append(errs, "unexpected model keys: "+strings.Join(unexpected, ", "))
		}
	}
	if len(errs) > 0 {
		return errors.New("model: " + strings.Join(errs, "; "))
	}
	return nil
}

// ckptOptimizerState rebuilds an optimizer state dict from the header's
// groups and manifest and the file's tensors, which must match the
// manifest exactly.
func ckptOptimizerState(o *ckptOptimizer, tensors map[int]map[string]*tensor.Tensor) (*optim.StateDict, error) {
	sd := &optim.StateDict{State: map[int]map[string]*tensor.Tensor{}}
	for i, raw := range o.ParamGroups {
		v, err := ckptUnmarshalValue(raw)
		if err != nil {
			return nil, fmt.Errorf("optimizer parameter group %d: %w", i, err)
		}
		g, ok := v.(map[string]any)
		if !ok || g == nil {
			return nil, fmt.Errorf("optimizer parameter group %d is a %T, not a map", i, v)
		}
		sd.Groups = append(sd.Groups, g)
	}
	for is, keys := range o.State {
		i, err := strconv.Atoi(is)
		if err != nil || i < 0 || strconv.Itoa(i) != is {
			return nil, fmt.Errorf("optimizer state index %q is not a parameter index", is)
		}
		st := map[string]*tensor.Tensor{}
		for _, k := range keys {
			t, ok := tensors[i][k]
			if !ok {
				return nil, fmt.Errorf("optimizer state tensor %s%d.%s is missing", optimizerPrefix, i, k)
			}
			st[k] = t
		}
		if len(st) != len(tensors[i]) {
			return nil, fmt.Errorf("optimizer state for parameter %d holds tensors its manifest does not list", i)
		}
		sd.State[i] = st
	}
	for i := range tensors {
		if _, ok := sd.State[i]; !ok {
			return nil, fmt.Errorf("optimizer state tensors for parameter %d that the manifest does not list", i)
		}
	}
	return sd, nil
}

// ckptCheckOptimizer checks a saved optimizer state against opt's groups:
// the same number of groups, of the same sizes, and state only for
// parameters that exist, with the parameter's shape where a state tensor
// has more than one element.
func ckptCheckOptimizer(opt optim.Optimizer, sd *optim.StateDict) error {
	groups := opt.Groups()
	if len(sd.Groups) != len(groups) {
		return fmt.Errorf("optimizer: the checkpoint has %d parameter groups, the optimizer %d", len(sd.Groups), len(groups))
	}
	var params []*tensor.Tensor
	for i, g := range groups {
		n, ok := ckptLen(sd.Groups[i]["params"])
		if !ok {
			return fmt.Errorf("optimizer: parameter group %d in the checkpoint has no list of params", i)
		}
		if n != len(g.Params) {
			return fmt.Errorf("optimizer: parameter group %d has %d parameters in the checkpoint, %d in the optimizer", i, n, len(g.Params))
		}
		params = append(params, g.Params...)
	}
	for i, st := range sd.State {
		if i >= len(params) {
			return fmt.Errorf("optimizer: the checkpoint has state for parameter %d, the optimizer has %d parameters", i, len(params))
		}
		for k, t := range st {
			if t.Numel() > 1 && !slices.Equal(t.Shape(), params[i].Shape()) {
				return fmt.Errorf("optimizer: state %d.%s has shape %v, the parameter %v", i, k, t.Shape(), params[i].Shape())
			}
		}
	}
	return nil
}

// ckptLen is the length of a slice value.
func ckptLen(v any) (int, bool) {
	r := reflect.ValueOf(v)
	if r.Kind() != reflect.Slice {
		return 0, false
	}
	return r.Len(), true
}

// apply changes s. The optimizer and scheduler go first, since only they
// can still refuse their state; if either does, the optimizer gets back
// the state it had.
func (p *ckptPlanned) apply(s *State) error {
	var undoOpt *optim.StateDict
	if p.optimizer != nil {
		prev, err := ckptCloneOptimizerState(s.Optimizer.StateDict())
		if err != nil {
			return fmt.Errorf("optimizer: %w", err)
		}
		undoOpt = prev
		if err := s.Optimizer.LoadStateDict(*p.optimizer); err != nil {
			s.Optimizer.LoadStateDict(*undoOpt)
			return fmt.Errorf("optimizer: %w", err)
		}
	}
	if p.scheduler != nil {
		prev, err := ckptCloneValue(s.Scheduler.StateDict())
		if err != nil {
			return fmt.Errorf("scheduler: %w", err)
		}
		if err := s.Scheduler.LoadStateDict(p.scheduler); err != nil {
			s.Scheduler.LoadStateDict(prev)
			if undoOpt != nil {
				s.Optimizer.LoadStateDict(*undoOpt)
			}
			return fmt.Errorf("scheduler: %w", err)
		}
	}
	if p.model != nil {
		// Checked by ckptCheckModel, so this cannot fail; non-strict when
		// the keys were allowed to differ.
		if _, err := nn.LoadStateDict(s.Model, p.model, false); err != nil {
			return fmt.Errorf("model: %w", err)
		}
	}
	if p.rng != nil {
		s.RNG.SetState(p.rng)
	}
	for k, b := range p.generators {
		s.Generators[k].SetState(b)
	}
	return nil
}

// ckptCloneOptimizerState deep-copies sd (tensors cloned, groups through
// the typed JSON form), so that it survives LoadStateDict overwriting the
// live buffers.
func ckptCloneOptimizerState(sd optim.StateDict) (*optim.StateDict, error) {
	out := &optim.StateDict{State: map[int]map[string]*tensor.Tensor{}}
	for i, st := range sd.State {
		c := map[string]*tensor.Tensor{}
		for k, t := range st {
			if t != nil {
				c[k] = t.Detach().Clone()
			}
		}
		out.State[i] = c
	}
	for _, g := range sd.Groups {
		v, err := ckptCloneValue(g)
		if err != nil {
			return nil, err
		}
		out.Groups = append(out.Groups, v)
	}
	return out, nil
}

// ckptCloneValue deep-copies a map of checkpointable values.
func ckptCloneValue(m map[string]any) (map[string]any, error) {
	b, err := ckptMarshalValue(m)
	if err != nil {
		return nil, err
	}
	v, err := ckptUnmarshalValue(b)
	if err != nil {
		return nil, err
	}
	out, _ := v.(map[string]any)
	return out, nil
}

// SaveModel writes m's state dict (parameters and persistent buffers, by
// PyTorch's names) to path as a plain safetensors file, atomically, with
// the metadata {"format": "pt"} that Hugging Face's loaders expect: the
// file PyTorch users exchange, which safetensors.torch.load_file and
// model.load_state_dict read.
func SaveModel(path string, m nn.Module) error {
	if err := safetensors.SaveFile(path, nn.StateDict(m), map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// LoadModel loads the safetensors state dict at path into m, as PyTorch's
// model.load_state_dict(load_file(path), strict): values are cast to m's
// dtypes, shapes must match, and with strict set a key missing on either
// side is an error; without it the report lists the skipped keys. On error
// m is unchanged. A checkpoint written by Save loads too (its model part).
func LoadModel(path string, m nn.Module, strict bool) (nn.LoadReport, error) {
	ts, md, err := safetensors.LoadFile(path)
	if err != nil {
		return nn.LoadReport{}, fmt.Errorf("checkpoint: %w", err)
	}
	if _, ok := md[MetadataKey]; ok {
		h, err := ckptParseHeader(md)
		if err != nil {
			return nn.LoadReport{}, fmt.Errorf("checkpoint: %s: %w", path, err)
		}
		if !h.Model {
			return nn.LoadReport{}, fmt.Errorf("checkpoint: %s: the checkpoint holds no model", path)
		}
		sd := map[string]*tensor.Tensor{}
		for k, t := range ts {
			if name, ok := strings.CutPrefix(k, modelPrefix); ok {
				sd[name] = t
			}
		}
		ts = sd
	}
	rep, err := nn.LoadStateDict(m, ts, strict)
	if err != nil {
		return rep, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	return rep, nil
}
