package jit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn/safetensors"
	"github.com/emberml/ember/tensor"
)

// The saved form of a Module is one safetensors file (package
// nn/safetensors): the module's constants are its tensors, by their dotted
// names, and its header's metadata holds the IR's text form and the
// format's name and version:
//
//	"format":         FormatName
//	"format_version": FormatVersion (decimal)
//	"ir":             the IR text (see package ir)
//
// PyTorch's safetensors.torch.load_file reads the constants of such a file
// as a state dict.
const (
	// FormatName is the value of the "format" metadata key.
	FormatName = "ember.jit"
	// FormatVersion is the version of the saved form that Save writes and
	// the newest that Load reads.
	FormatVersion = 1
)

// Save writes m to the file at path (see FormatName), atomically: a reader
// never sees a partial file, and a failed save leaves an old file as it
// was.
func (m *Module) Save(path string) error {
	return safetensors.WriteFileAtomic(path, m.SaveTo)
}

// SaveTo writes m in its saved form to w.
func (m *Module) SaveTo(w io.Writer) error {
	tensors := make(map[string]*tensor.Tensor, len(m.ir.Consts))
	for _, c := range m.ir.Consts {
		t := m.consts[c.Name]
		if t == nil {
			return fmt.Errorf("jit: Save: constant %s has no tensor", c.Name)
		}
		tensors[c.Name] = t
	}
	meta := map[string]string{
		"format":         FormatName,
		"format_version": fmt.Sprint(FormatVersion),
		"ir":             m.ir.String(),
	}
	if err := safetensors.Save(w, tensors, meta); err != nil {
		return fmt.Errorf("jit: Save: %w", err)
	}
	return nil
}

// Bytes returns m's saved form.
func (m *Module) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := m.SaveTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Load reads a module that Save wrote to the file at path.
func Load(path string) (*Module, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("jit: Load: %w", err)
	}
	m, err := LoadBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}

// LoadFrom reads a module in its saved form from r.
func LoadFrom(r io.Reader) (*Module, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("jit: Load: %w", err)
	}
	return LoadBytes(b)
}

// LoadBytes decodes a module in its saved form. The file is untrusted: a
// malformed header, IR text that does not parse or verify, and constants
// that are missing, undeclared or of the wrong dtype or shape are errors,
// never panics. Parameters of a floating-point dtype require grad, as
// those of the module that was saved did.
func LoadBytes(b []byte) (m *Module, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("jit: Load: internal error on a malformed module: %v", r)
		}
	}()
	tensors, meta, err := safetensors.Load(b)
	if err != nil {
		return nil, fmt.Errorf("jit: Load: %w", err)
	}
	switch {
	case meta["format"] != FormatName:
		return nil, fmt.Errorf("jit: Load: not a saved jit module (metadata format is %q, want %q)", meta["format"], FormatName)
	case meta["format_version"] == "":
		return nil, errors.New("jit: Load: no format_version in the metadata")
	}
	var version int
	if _, err := fmt.Sscanf(meta["format_version"], "%d", &version); err != nil || fmt.Sprint(version) != meta["format_version"] {
		return nil, fmt.Errorf("jit: Load: bad format_version %q", meta["format_version"])
	}
	if version < 1 || version > FormatVersion {
		return nil, fmt.Errorf("jit: Load: format version %d; this Ember reads versions 1 to %d", version, FormatVersion)
	}
	text, ok := meta["ir"]
	if !ok {
		return nil, errors.New("jit: Load: no IR text in the metadata")
	}
	mod, err := ir.Parse(text, tensors)
	if err != nil {
		return nil, fmt.Errorf("jit: Load: the IR text: %w", err)
	}
	var missing, extra []string
	for _, c := range mod.Consts {
		if c.Tensor == nil {
			missing = append(missing, c.Name)
		}
	}
	for name := range tensors {
		if mod.Const(name) == nil {
			extra = append(extra, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("jit: Load: no tensor for the constants %v", missing)
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("jit: Load: tensors %v are not constants of the IR", extra)
	}
	for _, c := range mod.Consts {
		if c.Kind == ir.Param && c.Tensor.DType().IsFloat() {
			c.Tensor.SetRequiresGrad(true)
		}
	}
	m, err = NewModule(mod)
	if err != nil {
		return nil, fmt.Errorf("jit: Load: %w", err)
	}
	return m, nil
}
