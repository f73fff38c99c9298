// Package ir is Ember's graph intermediate representation: what jit.Trace
// and jit.Script build, what the jit executor runs, and what the mobile,
// quantization and pruning passes transform.
//
// # Structure
//
// A Module holds ordered constants (tensors known by dotted name, such as
// "features.0.weight", each a Param, a Buffer or a Constant), ordered
// methods (Graph) and string metadata. A Graph is a method: a name, a body
// Block whose parameters are the method's inputs, and declared result
// types. A Block holds parameters, nodes and returned values. A Node has an
// op name, attributes (Attrs: int64, float64, bool, string, []int64,
// []float64, tensor.DType or nil), inputs (a nil input is an absent optional
// tensor), outputs, nested blocks (only prim.if and prim.loop have them) and
// the source position that created it. Values are in SSA form: each is
// defined once, as a node output or a block parameter, and is visible later
// in its block and in the blocks nested there.
//
// Every Value has a Type: a tensor (a dtype, or UnknownDType; a shape of
// Dims, each fixed, symbolic such as "N", or unknown "?"; nil for an unknown
// rank; and for quantized tensors QuantParams: per-tensor or per-channel
// scales and zero points and the int8 or uint8 storage dtype, while DType
// is the real dtype), an int, a float, a bool, a str, none, or a list.
//
// Ops other than the prim ops below are the tensor package's ops, named as
// its op table names them ("conv2d", "add_scalar", "relu_"); Verify checks
// them through an optional Schema, and by convention an op whose name ends
// in "_" modifies its first input in place.
//
// # Prim ops
//
// The IR's own ops, run by the jit executor itself. "int" and "float" are
// Go's int and float64. Unless stated, an op takes no attributes and no
// none inputs.
//
//	prim.param          () -> T. Attr name (string): a module constant; T
//	                    is its type. Reads the constant's current tensor.
//	prim.constant       () -> T. Attr value: an int64 (T int), float64
//	                    (float), bool (bool), string (str), nil (none),
//	                    []int64 (list<int>) or []float64 (list<float>); or
//	                    attr tensor (string): the module constant holding
//	                    the data of an inline tensor (see
//	                    Module.AddInlineTensor), T its type.
//	prim.if             (cond bool) -> outputs. Two blocks without
//	                    parameters, then and else; runs then when cond is
//	                    true, else otherwise; the outputs are the returns of
//	                    the block that ran (each assignable to its output's
//	                    type).
//	prim.loop           (max_trip_count int, cond bool, carried...) ->
//	                    final carried. PyTorch's Loop: one block with the
//	                    parameters (iteration int, carried...) returning
//	                    (cond, carried...). The carried values start as the
//	                    inputs; while iteration < max_trip_count and cond,
//	                    the block runs with the current iteration (0, 1, ...)
//	                    and carried values and its returns become the next
//	                    cond and carried values. A for loop has cond true; a
//	                    while loop has max_trip_count math.MaxInt64. Initial
//	                    values and block returns must be assignable to the
//	                    parameter types, and those to the output types.
//	prim.call           (args...) -> results. Attr method (string): calls
//	                    that method of the module; inputs and outputs match
//	                    its parameters and results.
//	prim.raise          () -> (). Attr msg (string): fails the method call
//	                    with msg. Has a side effect: passes keep it.
//	prim.add, prim.sub, prim.mul
//	                    (a, b) -> c: both int or both float, c of that kind.
//	prim.div            (a, b) -> c: Go's /: on ints truncates toward zero
//	                    (division by zero is a run-time error); on floats
//	                    IEEE division.
//	prim.floordiv       (a, b) -> c: floor(a / b), Python's //: on ints
//	                    rounds toward negative infinity; on floats
//	                    math.Floor(a / b).
//	prim.mod            (a, b) -> c: Go's %: on ints the remainder of
//	                    truncated division (sign of a); on floats math.Mod.
//	prim.neg            (a) -> -a, int or float.
//	prim.lt, prim.le, prim.gt, prim.ge
//	                    (a, b) -> bool: both int or both float.
//	prim.eq, prim.ne    (a, b) -> bool: both int, float, bool or str.
//	prim.and, prim.or   (bool, bool) -> bool.
//	prim.not            (bool) -> bool.
//	prim.int            (int, float or bool) -> int: Go's int(x) for floats
//	                    (truncation toward zero), 1 or 0 for bools.
//	prim.float          (int, float or bool) -> float (1.0 or 0.0 for bools).
//	prim.bool           (int, float or bool) -> bool: x != 0.
//	prim.size           (tensor) -> int with attr dim (int64), or
//	                    (tensor, dim int) -> int: Tensor.Size(dim) (a
//	                    negative dim counts from the end).
//	prim.dim            (tensor) -> int: the rank.
//	prim.numel          (tensor) -> int: the number of elements.
//	prim.item           (tensor) -> float: Tensor.Item of a one-element tensor.
//	prim.tensor_to_bool (tensor) -> bool: a one-element tensor is true when
//	                    its element is not zero (an error otherwise).
//	prim.list_construct (x...) -> list<T>: the inputs, each assignable to T.
//	prim.list_unpack    (list<T>) -> (x...): the elements; the list must have
//	                    as many as there are outputs.
//
// # Text form
//
// Module.String prints a module, Parse reads it back, and for any module
// that Parse returns, printing, parsing and printing again gives the same
// bytes. Printing is stable: attributes are sorted by name, metadata by key,
// and values are named by their hints (Value.Name, made unique in the method
// as x, x.1, x.2, ...) or numbered in order of definition. For example:
//
//	module {
//	  meta "producer" = "ember"
//	  const fc.weight : float32[10, 784] param
//	  const fc.bias : float32[10] param
//	  method forward(%x: float32[N, 784]) -> (float32[N, 10]) {
//	    %fc.weight = prim.param() {name="fc.weight"} : float32[10, 784]
//	    %fc.bias = prim.param() {name="fc.bias"} : float32[10]
//	    %0 = linear(%x, %fc.weight, %fc.bias) : float32[N, 10]  # model.go:31
//	    %1 = prim.size(%x) {dim=0} : int
//	    %2 = prim.constant() {value=1} : int
//	    %3 = prim.gt(%1, %2) : bool
//	    %4 = prim.if(%3) : float32[N, 10] {
//	      %5 = relu(%0) : float32[N, 10]
//	      return %5
//	    } else {
//	      return %0
//	    }
//	    return %4
//	  }
//	}
//
// The grammar, where a line break ends each line shown and blank lines and
// lines holding only a comment may appear anywhere:
//
//	module    = "module" "{" { meta | const | method } "}"
//	meta      = "meta" STRING "=" STRING
//	const     = "const" NAME ":" type ("param" | "buffer" | "constant")
//	method    = "method" NAME "(" [params] ")" "->" "(" [types] ")" "{"
//	                body
//	            "}"
//	body      = { node } "return" [values]
//	node      = [values "="] OP "(" [inputs] ")" [attrs] [":" types]
//	            ( [COMMENT] | blocks )
//	blocks    = block { ["else"] block }
//	block     = "{" [COMMENT]
//	                ["block" "(" params ")" ":"]
//	                body
//	            "}"
//	params    = VALUE ":" type { "," VALUE ":" type }
//	values    = VALUE { "," VALUE }
//	types     = type { "," type }
//	inputs    = (VALUE | "none") { "," (VALUE | "none") }
//	attrs     = "{" NAME "=" attr { "," NAME "=" attr } "}"
//	attr      = INT | FLOAT | "true" | "false" | "none" | STRING | DTYPE
//	          | "[" [INT {"," INT}] "]" | "[" FLOAT {"," FLOAT} "]" | "float[]"
//	type      = "int" | "float" | "bool" | "str" | "none" | "list" "<" type ">"
//	          | (DTYPE | "tensor") "[" ("..." | [dim {"," dim}]) "]" [quant]
//	dim       = INT | IDENT | "?"
//	quant     = "quant" "<" DTYPE "," ("per_tensor" | "per_channel" "," "axis" "=" INT)
//	            "," "scales" "=" "[" FLOAT {"," FLOAT} "]"
//	            "," "zero_points" "=" "[" INT {"," INT} "]" ">"
//
// VALUE is % followed by letters, digits, "_" and "."; NAME and OP are
// identifiers (dots allowed) or Go-quoted strings; STRING is Go-quoted
// (strconv.Quote). A node's outputs and types correspond one to one, and
// types are required when there are outputs. A COMMENT (# to the end of the
// line) after a node, or after the "{" opening its first block, is the
// node's source position. The "{" that opens a block ends its line, which
// tells blocks from attributes. "tensor" is a tensor of unknown dtype,
// "[...]" a shape of unknown rank and "[]" rank 0. Floats print with
// strconv's shortest form, always with a "." or an exponent so that they do
// not read as ints ("1.0", "-0.0", "1e+21"), and as inf, -inf, nan, or
// nan(0x...) with the bits of a NaN other than Go's math.NaN; they parse
// back bit for bit. An empty []float64 prints float[], an empty []int64 [].
//
// The text carries no tensor data: a constant line gives the name, type and
// kind, and Parse takes the tensors from a map (or leaves them nil). Parse
// reports malformed text as a *SyntaxError with line and column, never a
// panic.
//
// # Checking and transforming
//
// Verify checks a module's structure and types (see Verify). Builder adds
// nodes at an insert point; ReplaceAllUsesWith, RemoveNode, InlineCall and
// Module.Clone rewrite graphs; EliminateDeadCode and
// EliminateCommonSubexpressions are generic clean-ups. A PassManager runs
// named passes in order, skips those disabled by name, verifies the module
// after each pass (an error names the pass) and can dump the module after
// each pass.
package ir
