package nn

import (
	"fmt"
	"slices"

	"github.com/emberml/ember/tensor"
)

// RNNOptions configure NewRNN, NewLSTM and NewGRU; the zero value is
// PyTorch's defaults.
type RNNOptions struct {
	// NumLayers is the number of stacked recurrent layers (num_layers); 0
	// means 1.
	NumLayers int
	// NoBias leaves out the biases bias_ih_l* and bias_hh_l* (bias=False).
	NoBias bool
	// BatchFirst makes the input and output (batch, seq, feature) instead of
	// (seq, batch, feature); the hidden and cell states keep their layout.
	BatchFirst bool
	// Dropout is the probability of the dropout applied, in training mode, to
	// the output of every layer but the last.
	Dropout float64
	// Bidirectional adds a second direction that reads the sequence
	// backwards; its parameters have the suffix _reverse.
	Bidirectional bool
	// ProjSize, for an LSTM only, projects each hidden state to ProjSize
	// features with the weights weight_hr_l* (proj_size); 0 means none.
	ProjSize int
	// Nonlinearity, for an RNN only, is "tanh" (the default, also "") or
	// "relu".
	Nonlinearity string
}

// RNNBase holds what RNN, LSTM and GRU share, as torch.nn.RNNBase: their
// configuration and their parameters, which are named and ordered as
// PyTorch names them (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0,
// then weight_hr_l0 for a projected LSTM, then the same with the suffix
// _reverse for the backward direction, then layer 1, ...), so that state
// dicts carry over. Each parameter starts uniform in ±1/√HiddenSize.
type RNNBase struct {
	// Mode is PyTorch's mode: "LSTM", "GRU", "RNN_TANH" or "RNN_RELU".
	Mode                                       string
	InputSize, HiddenSize, NumLayers, ProjSize int
	Bias, BatchFirst, Bidirectional            bool
	Dropout                                    float64
	// Generator, when set, draws the dropout masks (else the default
	// generator).
	Generator *tensor.Generator

	weights []*tensor.Tensor `nn:"-"`
	names   []string
}

// LSTM is a multi-layer long short-term memory network, as torch.nn.LSTM.
// For each element of the sequence every layer computes, with PyTorch's gate
// order i, f, g, o in the rows of weight_ih and weight_hh,
//
//	i = σ(W_ii x + b_ii + W_hi h + b_hi)
//	f = σ(W_if x + b_if + W_hf h + b_hf)
//	g = tanh(W_ig x + b_ig + W_hg h + b_hg)
//	o = σ(W_io x + b_io + W_ho h + b_ho)
//	c' = f ⊙ c + i ⊙ g
//	h' = o ⊙ tanh(c')        (then h' = W_hr h' with ProjSize)
type LSTM struct {
	Base
	RNNBase
}

// GRU is a multi-layer gated recurrent unit network, as torch.nn.GRU. With
// PyTorch's gate order r, z, n:
//
//	r = σ(W_ir x + b_ir + W_hr h + b_hr)
//	z = σ(W_iz x + b_iz + W_hz h + b_hz)
//	n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//	h' = (1 − z) ⊙ n + z ⊙ h
type GRU struct {
	Base
	RNNBase
}

// RNN is a multi-layer Elman network, as torch.nn.RNN:
// h' = tanh(W_ih x + b_ih + W_hh h + b_hh), or ReLU in place of tanh.
type RNN struct {
	Base
	RNNBase
}

// NewLSTM returns an LSTM from inputSize features to hiddenSize (or
// opts.ProjSize) features.
func NewLSTM(inputSize, hiddenSize int, opts ...RNNOptions) *LSTM {
	return &LSTM{RNNBase: newRNNBase("nn.NewLSTM", "LSTM", inputSize, hiddenSize, rnnOpts(opts))}
}

// NewGRU returns a GRU from inputSize features to hiddenSize features.
func NewGRU(inputSize, hiddenSize int, opts ...RNNOptions) *GRU {
	return &GRU{RNNBase: newRNNBase("nn.NewGRU", "GRU", inputSize, hiddenSize, rnnOpts(opts))}
}

// NewRNN returns an Elman RNN from inputSize features to hiddenSize
// features, with tanh or (opts.Nonlinearity "relu") ReLU.
func NewRNN(inputSize, hiddenSize int, opts ...RNNOptions) *RNN {
	o := rnnOpts(opts)
	var mode string
	switch o.Nonlinearity {
	case "", "tanh":
		mode = "RNN_TANH"
	case "relu":
		mode = "RNN_RELU"
	default:
		panic(fmt.Sprintf("nn.NewRNN: unknown nonlinearity %q (want \"tanh\" or \"relu\")", o.Nonlinearity))
	}
	return &RNN{RNNBase: newRNNBase("nn.NewRNN", mode, inputSize, hiddenSize, o)}
}

func rnnOpts(opts []RNNOptions) RNNOptions {
	if len(opts) > 0 {
		return opts[0]
	}
	return RNNOptions{}
}

func newRNNBase(op, mode string, in, hidden int, o RNNOptions) RNNBase {
	layers := o.NumLayers
	if layers == 0 {
		layers = 1
	}
	switch {
	case in < 0:
		panic(fmt.Sprintf("%s: input_size must not be negative, got %d", op, in))
	case hidden <= 0:
		panic(fmt.Sprintf("%s: hidden_size must be greater than zero, got %d", op, hidden))
	case layers < 0:
		panic(fmt.Sprintf("%s: num_layers must be greater than zero, got %d", op, o.NumLayers))
	case !(o.Dropout >= 0 && o.Dropout <= 1):
		panic(fmt.Sprintf("%s: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got %g", op, o.Dropout))
	case o.ProjSize != 0 && mode != "LSTM":
		panic(fmt.Sprintf("%s: proj_size argument is only supported for LSTM, not RNN or GRU", op))
	case o.ProjSize < 0:
		panic(fmt.Sprintf("%s: proj_size should be a positive integer or zero to disable projections, got %d", op, o.ProjSize))
	case o.ProjSize >= hidden:
		panic(fmt.Sprintf("%s: proj_size has to be smaller than hidden_size, got proj_size %d and hidden_size %d", op, o.ProjSize, hidden))
	case o.Nonlinearity != "" && mode != "RNN_TANH" && mode != "RNN_RELU":
		panic(fmt.Sprintf("%s: nonlinearity is an option of RNN only", op))
	}
	r := RNNBase{
		Mode: mode, InputSize: in, HiddenSize: hidden, NumLayers: layers, ProjSize: o.ProjSize,
		Bias: !o.NoBias, BatchFirst: o.BatchFirst, Bidirectional: o.Bidirectional, Dropout: o.Dropout,
	}
	gate := hidden * r.rnnGates()
	hOut := r.rnnOutSize()
	dirs := r.rnnDirections()
	bound := fanInBound(hidden)
	for l := 0; l < layers; l++ {
		for d := 0; d < dirs; d++ {
			suffix := ""
			if d == 1 {
				suffix = "_reverse"
			}
			layerIn := in
			if l > 0 {
				layerIn = hOut * dirs
			}
			add := func(name string, shape ...int) {
				r.names = append(r.names, fmt.Sprintf("%s_l%d%s", name, l, suffix))
				r.weights = append(r.weights, uniformParam(bound, shape...))
			}
			add("weight_ih", gate, layerIn)
			add("weight_hh", gate, hOut)
			if r.Bias {
				add("bias_ih", gate)
				add("bias_hh", gate)
			}
			if r.ProjSize > 0 {
				add("weight_hr", r.ProjSize, hidden)
			}
		}
	}
	return r
}

// rnnGates is the number of gate blocks in the rows of weight_ih.
func (r *RNNBase) rnnGates() int {
	switch r.Mode {
	case "LSTM":
		return 4
	case "GRU":
		return 3
	}
	return 1
}

func (r *RNNBase) rnnDirections() int {
	if r.Bidirectional {
		return 2
	}
	return 1
}

// rnnOutSize is the size of the hidden state h (ProjSize when projecting).
func (r *RNNBase) rnnOutSize() int {
	if r.ProjSize > 0 {
		return r.ProjSize
	}
	return r.HiddenSize
}

// rnnName is the layer's name in panics: nn.LSTM, nn.GRU or nn.RNN.
func (r *RNNBase) rnnName() string {
	switch r.Mode {
	case "LSTM", "GRU":
		return "nn." + r.Mode
	}
	return "nn.RNN"
}

func (r *RNNBase) listTensors() []tensorMember {
	out := make([]tensorMember, len(r.weights))
	for i := range r.weights {
		out[i] = tensorMember{name: r.names[i], kind: kindParam, ptr: &r.weights[i]}
	}
	return out
}

// FlatWeightsNames returns the names of the parameters in PyTorch's order
// (its _flat_weights_names), which is also their order in Parameters and in
// the state dict.
func (r *RNNBase) FlatWeightsNames() []string { return slices.Clone(r.names) }

// FlatWeights returns the parameters in the order of FlatWeightsNames.
func (r *RNNBase) FlatWeights() []*tensor.Tensor { return slices.Clone(r.weights) }

// Param returns the parameter called name as PyTorch names the attribute
// ("weight_ih_l0", "bias_hh_l1_reverse", ...), or nil when there is none.
func (r *RNNBase) Param(name string) *tensor.Tensor {
	if i := slices.Index(r.names, name); i >= 0 {
		return r.weights[i]
	}
	return nil
}

// ExtraRepr describes the layer as PyTorch prints it.
func (r *RNNBase) ExtraRepr() string {
	s := fmt.Sprintf("%d, %d", r.InputSize, r.HiddenSize)
	if r.ProjSize != 0 {
		s += fmt.Sprintf(", proj_size=%d", r.ProjSize)
	}
	if r.NumLayers != 1 {
		s += fmt.Sprintf(", num_layers=%d", r.NumLayers)
	}
	if !r.Bias {
		s += ", bias=False"
	}
	if r.BatchFirst {
		s += ", batch_first=True"
	}
	if r.Dropout != 0 {
		s += fmt.Sprintf(", dropout=%g", r.Dropout)
	}
	if r.Bidirectional {
		s += ", bidirectional=True"
	}
	if r.Mode == "RNN_RELU" {
		s += ", nonlinearity='relu'"
	}
	return s
}

// rnnCellWeights are the parameters of one layer and direction; the
// optional ones are nil when absent.
type rnnCellWeights struct {
	wih, whh, bih, bhh, whr *tensor.Tensor
}

func (r *RNNBase) rnnCell(layer, dir int) rnnCellWeights {
	per := 2
	if r.Bias {
		per += 2
	}
	if r.ProjSize > 0 {
		per++
	}
	w := r.weights[(layer*r.rnnDirections()+dir)*per:]
	c := rnnCellWeights{wih: w[0], whh: w[1]}
	if r.Bias {
		c.bih, c.bhh = w[2], w[3]
	}
	if r.ProjSize > 0 {
		c.whr = w[per-1]
	}
	return c
}

// Forward runs the LSTM over x from zero initial states and returns its
// output: x is (L, N, InputSize), (N, L, InputSize) with BatchFirst, or
// (L, InputSize) unbatched; the output has D·H features in the same layout
// (D = 2 when bidirectional, H = ProjSize or HiddenSize). See ForwardState.
func (l *LSTM) Forward(x *tensor.Tensor) *tensor.Tensor {
	out, _, _ := l.ForwardState(x, nil, nil)
	return out
}

// ForwardState runs the LSTM over x from the hidden state h0 and the cell
// state c0, each (D·NumLayers, N, H) and (D·NumLayers, N, HiddenSize), or
// without N for unbatched x; nil means zeros. It returns the output, as
// Forward, and the final states hN and cN, shaped as h0 and c0: PyTorch's
// output, (h_n, c_n) = lstm(x, (h0, c0)). Forward hooks see the inputs
// [x, h0, c0] and the outputs [output, hN, cN].
func (l *LSTM) ForwardState(x, h0, c0 *tensor.Tensor) (output, hN, cN *tensor.Tensor) {
	out := CallHooks(l, []*tensor.Tensor{x, h0, c0}, func(in []*tensor.Tensor) []*tensor.Tensor {
		if len(in) != 3 {
			panic(fmt.Sprintf("nn.LSTM: a forward pre-hook returned %d inputs, want 3 (x, h0, c0)", len(in)))
		}
		o, h, c := l.rnnForward(in[0], in[1], in[2], l.Training())
		return []*tensor.Tensor{o, h, c}
	})
	if len(out) != 3 {
		panic(fmt.Sprintf("nn.LSTM: a forward hook returned %d outputs, want 3 (output, hN, cN)", len(out)))
	}
	return out[0], out[1], out[2]
}

// Forward runs the GRU over x from a zero initial state and returns its
// output (see LSTM.Forward for the layouts).
func (g *GRU) Forward(x *tensor.Tensor) *tensor.Tensor {
	out, _ := g.ForwardState(x, nil)
	return out
}

// ForwardState runs the GRU over x from the hidden state h0
// ((D·NumLayers, N, HiddenSize), or without N for unbatched x; nil means
// zeros) and returns the output and the final hidden state hN: PyTorch's
// output, h_n = gru(x, h0). Forward hooks see the inputs [x, h0] and the
// outputs [output, hN].
func (g *GRU) ForwardState(x, h0 *tensor.Tensor) (output, hN *tensor.Tensor) {
	return rnnForwardHidden(g, &g.RNNBase, x, h0)
}

// Forward runs the RNN over x from a zero initial state and returns its
// output (see LSTM.Forward for the layouts).
func (m *RNN) Forward(x *tensor.Tensor) *tensor.Tensor {
	out, _ := m.ForwardState(x, nil)
	return out
}

// ForwardState runs the RNN over x from the hidden state h0 and returns the
// output and the final hidden state (see GRU.ForwardState).
func (m *RNN) ForwardState(x, h0 *tensor.Tensor) (output, hN *tensor.Tensor) {
	return rnnForwardHidden(m, &m.RNNBase, x, h0)
}

func rnnForwardHidden(m Module, r *RNNBase, x, h0 *tensor.Tensor) (output, hN *tensor.Tensor) {
	out := CallHooks(m, []*tensor.Tensor{x, h0}, func(in []*tensor.Tensor) []*tensor.Tensor {
		if len(in) != 2 {
			panic(fmt.Sprintf("%s: a forward pre-hook returned %d inputs, want 2 (x, h0)", r.rnnName(), len(in)))
		}
		o, h, _ := r.rnnForward(in[0], in[1], nil, m.base().Training())
		return []*tensor.Tensor{o, h}
	})
	if len(out) != 2 {
		panic(fmt.Sprintf("%s: a forward hook returned %d outputs, want 2 (output, hN)", r.rnnName(), len(out)))
	}
	return out[0], out[1]
}

func (l *LSTM) hooksInForward() {}
func (g *GRU) hooksInForward()  {}
func (m *RNN) hooksInForward()  {}

// rnnForward checks and normalises the layouts, runs the layers and
// restores the caller's layout.
func (r *RNNBase) rnnForward(x, h0, c0 *tensor.Tensor, training bool) (out, hN, cN *tensor.Tensor) {
	name := r.rnnName()
	if x == nil {
		panic(name + ": input is nil")
	}
	if x.Dim() != 2 && x.Dim() != 3 {
		panic(fmt.Sprintf("%s: expected input to be 2-D or 3-D but received %d-D tensor of shape %v", name, x.Dim(), x.Shape()))
	}
	if x.Size(-1) != r.InputSize {
		panic(fmt.Sprintf("%s: input.size(-1) must be equal to input_size: expected %d, got %d (input shape %v)", name, r.InputSize, x.Size(-1), x.Shape()))
	}
	wdt := r.weights[0].DType()
	if x.DType() != wdt {
		panic(fmt.Sprintf("%s: input has dtype %v but the weights have dtype %v", name, x.DType(), wdt))
	}
	batched := x.Dim() == 3
	batchDim := 1
	if r.BatchFirst {
		batchDim = 0
	}
	states := []*tensor.Tensor{h0, c0}
	stateNames := [...]string{"hx", "cx"}
	if r.Mode == "LSTM" {
		stateNames = [...]string{"hidden[0]", "hidden[1]"}
	}
	if !batched {
		x = x.Unsqueeze(batchDim)
		for i, s := range states {
			if s == nil {
				continue
			}
			if s.Dim() != 2 {
				panic(fmt.Sprintf("%s: for unbatched 2-D input, %s should also be 2-D but got %d-D tensor of shape %v", name, stateNames[i], s.Dim(), s.Shape()))
			}
			states[i] = s.Unsqueeze(1)
		}
	} else {
		for i, s := range states {
			if s != nil && s.Dim() != 3 {
				panic(fmt.Sprintf("%s: for batched 3-D input, %s should also be 3-D but got %d-D tensor of shape %v", name, stateNames[i], s.Dim(), s.Shape()))
			}
		}
	}
	if r.BatchFirst {
		x = x.Transpose(0, 1)
	}
	n := x.Size(1)
	ld := r.NumLayers * r.rnnDirections()
	want := [][]int{{ld, n, r.rnnOutSize()}, {ld, n, r.HiddenSize}}
	for i, s := range states {
		if s == nil {
			continue
		}
		if !slices.Equal(s.Shape(), want[i]) {
			got := s.Shape()
			if !batched {
				got = s.Squeeze(1).Shape()
			}
			panic(fmt.Sprintf("%s: expected %s size %v, got %v", name, stateNames[i], want[i], got))
		}
		if s.DType() != wdt {
			panic(fmt.Sprintf("%s: %s has dtype %v but the weights have dtype %v", name, stateNames[i], s.DType(), wdt))
		}
	}
	out, hN, cN = r.rnnRun(x, states[0], states[1], training)
	if r.BatchFirst {
		out = out.Transpose(0, 1)
	}
	if !batched {
		out = out.Squeeze(batchDim)
		hN = hN.Squeeze(1)
		if cN != nil {
			cN = cN.Squeeze(1)
		}
	}
	return out, hN, cN
}

// rnnRun runs the layers over x (T, N, InputSize) from the states h0 and c0
// ((layers·D, N, ·) or nil for zeros).
func (r *RNNBase) rnnRun(x, h0, c0 *tensor.Tensor, training bool) (out, hN, cN *tensor.Tensor) {
	dirs := r.rnnDirections()
	n := x.Size(1)
	var hs, cs []*tensor.Tensor
	input := x
	for layer := 0; layer < r.NumLayers; layer++ {
		outs := make([]*tensor.Tensor, dirs)
		for d := 0; d < dirs; d++ {
			var h, c *tensor.Tensor
			if h0 != nil {
				h = h0.Select(0, layer*dirs+d)
			}
			if c0 != nil {
				c = c0.Select(0, layer*dirs+d)
			}
			outs[d], h, c = r.rnnDirection(input, h, c, r.rnnCell(layer, d), d == 1)
			if h == nil { // an empty sequence from zero states
				h = tensor.Zeros(n, r.rnnOutSize()).To(x.DType())
			}
			hs = append(hs, h)
			if r.Mode == "LSTM" {
				if c == nil {
					c = tensor.Zeros(n, r.HiddenSize).To(x.DType())
				}
				cs = append(cs, c)
			}
		}
		if dirs == 1 {
			input = outs[0]
		} else {
			input = tensor.Cat(outs, 2)
		}
		if r.Dropout > 0 && training && layer < r.NumLayers-1 {
			g := r.Generator
			if g == nil {
				g = tensor.DefaultGenerator()
			}
			input = tensor.Dropout(input, r.Dropout, true, g)
		}
	}
	hN = tensor.Stack(hs, 0)
	if cs != nil {
		cN = tensor.Stack(cs, 0)
	}
	return input, hN, cN
}

// rnnDirection runs one layer in one direction over x (T, N, ·) and returns
// its outputs (T, N, H) in time order and its final states. h and c may be
// nil for zeros; they stay nil for an empty sequence.
func (r *RNNBase) rnnDirection(x, h, c *tensor.Tensor, w rnnCellWeights, reverse bool) (out, hT, cT *tensor.Tensor) {
	steps := x.Size(0)
	// One GEMM projects the input of every time step. For LSTM and RNN both
	// biases are added here; GRU keeps b_hn inside r ⊙ (W_hn h + b_hn).
	b := w.bih
	if r.Mode != "GRU" && w.bih != nil {
		b = w.bih.Add(w.bhh)
	}
	xs := rnnSteps(tensor.Linear(x, w.wih, b))
	outs := make([]*tensor.Tensor, steps)
	for s := 0; s < steps; s++ {
		t := s
		if reverse {
			t = steps - 1 - s
		}
		xt := xs[t]
		switch r.Mode {
		case "LSTM":
			h, c = rnnLSTMStep(xt, h, c, w, r.HiddenSize)
		case "GRU":
			h = rnnGRUStep(xt, h, w)
		case "RNN_TANH":
			h = rnnAddHidden(xt, h, w.whh).Tanh()
		default:
			h = rnnAddHidden(xt, h, w.whh).ReLU()
		}
		outs[t] = h
	}
	if steps == 0 {
		out = tensor.Zeros(0, x.Size(1), r.rnnOutSize()).To(x.DType())
		return out, h, c
	}
	return tensor.Stack(outs, 0), h, c
}

// rnnSteps returns the slices x[t] of x along its first dimension. The
// gradient of a selected view is a zero tensor of its source's shape holding
// the view's gradient, so selecting all T steps of x directly would cost
// O(T²) in the backward pass; halving x recursively into narrowed views
// first costs O(T log T).
func rnnSteps(x *tensor.Tensor) []*tensor.Tensor {
	n := x.Size(0)
	if n <= 2 {
		out := make([]*tensor.Tensor, n)
		for i := range out {
			out[i] = x.Select(0, i)
		}
		return out
	}
	h := n / 2
	return append(rnnSteps(x.Narrow(0, 0, h)), rnnSteps(x.Narrow(0, h, n-h))...)
}

// rnnAddHidden returns xt + h·whhᵀ (xt alone when h is nil: a zero state).
func rnnAddHidden(xt, h, whh *tensor.Tensor) *tensor.Tensor {
	if h == nil {
		return xt
	}
	return xt.Add(tensor.Linear(h, whh, nil))
}

func rnnLSTMStep(xt, h, c *tensor.Tensor, w rnnCellWeights, hidden int) (*tensor.Tensor, *tensor.Tensor) {
	gates := rnnAddHidden(xt, h, w.whh)
	i := gates.Narrow(1, 0, hidden).Sigmoid()
	f := gates.Narrow(1, hidden, hidden).Sigmoid()
	g := gates.Narrow(1, 2*hidden, hidden).Tanh()
	o := gates.Narrow(1, 3*hidden, hidden).Sigmoid()
	if c == nil {
		c = i.Mul(g)
	} else {
		c = f.Mul(c).Add(i.Mul(g))
	}
	h = o.Mul(c.Tanh())
	if w.whr != nil {
		h = tensor.Linear(h, w.whr, nil)
	}
	return h, c
}

func rnnGRUStep(xt, h *tensor.Tensor, w rnnCellWeights) *tensor.Tensor {
	gi := xt.Chunk(3, 1)
	var gh []*tensor.Tensor
	switch {
	case h != nil:
		gh = tensor.Linear(h, w.whh, w.bhh).Chunk(3, 1)
	case w.bhh != nil:
		gh = w.bhh.Chunk(3, 0)
	}
	var z, n *tensor.Tensor
	if gh == nil { // zero state and no bias: r multiplies zero
		z = gi[1].Sigmoid()
		n = gi[2].Tanh()
	} else {
		rg := gi[0].Add(gh[0]).Sigmoid()
		z = gi[1].Add(gh[1]).Sigmoid()
		n = gi[2].Add(rg.Mul(gh[2])).Tanh()
	}
	if h == nil {
		return n.Sub(z.Mul(n))
	}
	return n.Add(z.Mul(h.Sub(n)))
}
