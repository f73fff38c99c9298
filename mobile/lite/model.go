package lite

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sync"
	"unsafe"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/mobile/format"
)

// RuntimeVersion is the version of this runtime. A model whose
// MinRuntimeVersion is larger cannot be loaded.
const RuntimeVersion = 1

// DefaultMaxArenaBytes is the largest arena a method may need by default
// (Options.MaxArenaBytes): 4 GiB.
const DefaultMaxArenaBytes = 4 << 30

// maxFileSize is the largest file Load maps or reads.
const maxFileSize = math.MaxInt

// DType is the element type of a tensor (format.DType).
type DType = format.DType

// The element types.
const (
	Float32 = format.Float32
	Float64 = format.Float64
	Float16 = format.Float16
	Int64   = format.Int64
	Int32   = format.Int32
	Int8    = format.Int8
	UInt8   = format.UInt8
	Bool    = format.Bool
)

// Options tune loading. The zero value is the defaults.
type Options struct {
	// MaxArenaBytes is the largest arena a method may need; a model asking
	// for more fails to load (0: DefaultMaxArenaBytes). Each session
	// allocates the largest arena of the model's methods.
	MaxArenaBytes int64
	// MaxJumps, when positive, bounds the jumps one run may take, so that a
	// model whose loop never ends gives an error instead of running
	// forever (0: no bound).
	MaxJumps int64
}

// Model is a loaded .ember model: its methods, compiled and checked, and
// its constants, in place in the file's bytes (mapped read-only by Load).
// A Model is read-only and safe for concurrent use; each goroutine runs it
// through its own Session.
type Model struct {
	file    *format.File
	opts    Options
	consts  []constant
	methods []*Method
	arena   int64 // bytes of the largest arena

	mu     sync.RWMutex // held for reading by runs, for writing by Close
	closed bool
	unmap  func() error
}

// constant is a constant's data, viewed in its dtype.
type constant struct {
	b      []byte
	packed *cpu.PackedB // the packed GEMM operand of a linear weight, if any
}

// Load maps the .ember file at path read-only (where the platform has
// mmap; it reads it elsewhere), verifies it and compiles its methods. The
// constants stay in the mapping, so loading costs little memory beyond the
// file's pages; Close unmaps it.
func Load(path string) (*Model, error) { return LoadOptions(path, Options{}) }

// LoadOptions is Load with options.
func LoadOptions(path string, o Options) (*Model, error) {
	b, unmap, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	m, err := load(b, o)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.unmap = unmap
	return m, nil
}

// LoadBytes loads a model from the bytes of a .ember file. It uses b in
// place (b must not change while the model is in use) when b is aligned to
// 64 bytes, and a copy otherwise.
func LoadBytes(b []byte) (*Model, error) { return LoadBytesOptions(b, Options{}) }

// LoadBytesOptions is LoadBytes with options.
func LoadBytesOptions(b []byte, o Options) (*Model, error) {
	if len(b) > 0 && uintptr(unsafe.Pointer(&b[0]))%format.SegmentAlign != 0 {
		b = alignedCopy(b)
	}
	return load(b, o)
}

func readFile(path string) ([]byte, func() error, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("lite: %w", err)
	}
	if len(b) > 0 && uintptr(unsafe.Pointer(&b[0]))%format.SegmentAlign != 0 {
		b = alignedCopy(b)
	}
	return b, nil, nil
}

// alignedCopy returns a copy of b whose first byte is 64-byte aligned.
func alignedCopy(b []byte) []byte {
	d := alignedBytes(len(b))
	copy(d, b)
	return d
}

// alignedBytes returns n zero bytes starting at a 64-byte boundary.
func alignedBytes(n int) []byte {
	if n == 0 {
		return nil
	}
	words := make([]uint64, (n+2*format.SegmentAlign)/8)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*8)
	skip := (format.SegmentAlign - int(uintptr(unsafe.Pointer(&b[0]))%format.SegmentAlign)) % format.SegmentAlign
	return b[skip : skip+n : skip+n]
}

// littleEndian reports whether this machine stores numbers least
// significant byte first, as the file does.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

func load(b []byte, o Options) (*Model, error) {
	if !littleEndian {
		return nil, errors.New("lite: this runtime needs a little-endian machine")
	}
	if o.MaxArenaBytes <= 0 {
		o.MaxArenaBytes = DefaultMaxArenaBytes
	}
	f, err := format.Decode(b)
	if err != nil {
		return nil, err
	}
	if f.MinRuntimeVersion > RuntimeVersion {
		return nil, fmt.Errorf("lite: the model needs runtime version %d: this runtime is version %d", f.MinRuntimeVersion, RuntimeVersion)
	}
	m := &Model{file: f, opts: o, consts: make([]constant, len(f.Constants))}
	for i := range f.Constants {
		m.consts[i].b = f.Constants[i].Data
	}
	for _, oc := range f.OpCodes {
		d, ok := ops[oc.Name]
		if !ok {
			return nil, fmt.Errorf("lite: op %s version %d: this runtime does not have it", oc.Name, oc.Version)
		}
		if oc.Version > d.version {
			return nil, fmt.Errorf("lite: op %s version %d: this runtime supports up to %d", oc.Name, oc.Version, d.version)
		}
	}
	for i := range f.Methods {
		fm := &f.Methods[i]
		if fm.ArenaSize > o.MaxArenaBytes {
			return nil, fmt.Errorf("lite: method %q needs an arena of %d bytes, more than the limit of %d", fm.Name, fm.ArenaSize, o.MaxArenaBytes)
		}
		mt, err := compile(m, i)
		if err != nil {
			return nil, err
		}
		m.methods = append(m.methods, mt)
		m.arena = max(m.arena, fm.ArenaSize)
	}
	return m, nil
}

// Close releases the model: it unmaps the file Load mapped. It waits for
// runs in progress; later runs fail. Output views of a session that alias
// the model's constants must not be used after Close.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	if m.unmap != nil {
		if err := m.unmap(); err != nil {
			return fmt.Errorf("lite: close: %w", err)
		}
	}
	return nil
}

// File returns the decoded file: metadata, extra files, opcodes,
// constants (whose data alias the model's bytes). It must not be modified.
func (m *Model) File() *format.File { return m.file }

// Metadata returns the model's metadata, or nil.
func (m *Model) Metadata() *format.Metadata { return m.file.Metadata }

// ExtraFile returns the data of the extra file named key (aliasing the
// model's bytes) and whether there is one.
func (m *Model) ExtraFile(key string) ([]byte, bool) {
	for _, x := range m.file.ExtraFiles {
		if x.Key == key {
			return x.Data, true
		}
	}
	return nil, false
}

// Method returns the method named name ("forward"), or nil.
func (m *Model) Method(name string) *Method {
	for _, mt := range m.methods {
		if mt.name == name {
			return mt
		}
	}
	return nil
}

// Methods returns the model's methods in file order.
func (m *Model) Methods() []*Method { return slices.Clone(m.methods) }

// ArenaBytes returns the size of the arena each session allocates: the
// largest of the methods' arenas.
func (m *Model) ArenaBytes() int64 { return m.arena }

// TensorInfo describes an input or output of a method.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
}

// Numel returns the number of elements.
func (t TensorInfo) Numel() int { return format.Numel(t.Shape) }

// Method is a compiled method of a model.
type Method struct {
	model   *Model
	name    string
	index   int
	vals    []val
	inputs  []int32 // value indices
	outputs []int32
	in, out []TensorInfo
	code    []instr
	arena   int64
	// Scratch each session needs for this method, in elements, besides
	// the convolutions' workspace (computed by NewSession from convs).
	wsF32, wsF64, wsBytes int
	convs                 []cpu.ConvParams
}

// Name returns the method's name.
func (mt *Method) Name() string { return mt.name }

// Inputs describes the method's inputs, in order.
func (mt *Method) Inputs() []TensorInfo { return cloneInfos(mt.in) }

// Outputs describes the method's outputs, in order.
func (mt *Method) Outputs() []TensorInfo { return cloneInfos(mt.out) }

// ArenaBytes returns the size of the method's arena.
func (mt *Method) ArenaBytes() int64 { return mt.arena }

// NumInstructions returns the length of the method's compiled code.
func (mt *Method) NumInstructions() int { return len(mt.code) }

func cloneInfos(ts []TensorInfo) []TensorInfo {
	out := slices.Clone(ts)
	for i := range out {
		out[i].Shape = slices.Clone(out[i].Shape)
	}
	return out
}

// InputIndex returns the position of the input named name, or -1.
func (mt *Method) InputIndex(name string) int {
	for i := range mt.in {
		if mt.in[i].Name == name {
			return i
		}
	}
	return -1
}

// OutputIndex returns the position of the output named name, or -1.
func (mt *Method) OutputIndex(name string) int {
	for i := range mt.out {
		if mt.out[i].Name == name {
			return i
		}
	}
	return -1
}
