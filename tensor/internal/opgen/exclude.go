package main

// exclusion says why an exported function or method of package tensor is
// not an op and, for the ones that read tensor values or shapes (or run
// autograd), the kind of tensor.Tracer Read their hook reports.
type exclusion struct {
	reason string
	read   string
}

const (
	whyAccessor  = "accessor: returns metadata, not a tensor; a graph's values keep their rank and dtype"
	whyDType     = "dtype utility: no tensor is computed"
	whyGenerator = "Generator method: a tensor drawn from an explicit generator enters a trace as a constant (the package-level Rand, Randn, ... use the default generator and are ops)"
	whyAutograd  = "autograd control, not part of a graph"
	whyValues    = "reads values into Go: reported to the tracer as a Read"
	whyShape     = "reads a shape into Go: reported to the tracer as a Read"
)

// exclusions lists every exported function and method of package tensor
// that is not an op. opgen fails on an exported name that is neither an op
// nor listed here, and on a listed name that no longer exists.
var exclusions = map[string]exclusion{
	// Creation from Go data.
	"FromSlice": {"creates a tensor from Go data: its result enters a trace as a constant", ""},

	// Aliases.
	"MatMul": {"alias of Tensor.MatMul (the op matmul), which reports the call", ""},

	// Shape and dtype utilities.
	"BroadcastShapes": {"shape arithmetic on Go slices: no tensor", ""},
	"ParseDType":      {whyDType, ""},
	"PromoteTypes":    {whyDType, ""},
	"ResultType":      {whyDType, ""},
	"SetDefaultDType": {"process-wide setting: no tensor is computed", ""},
	"DefaultDType":    {"process-wide setting: no tensor is computed", ""},
	"DType.String":    {whyDType, ""},
	"DType.Size":      {whyDType, ""},
	"DType.IsFloat":   {whyDType, ""},
	"DType.IsInt":     {whyDType, ""},

	// Accessors that do not read values or shapes (rank and dtype are fixed
	// in a graph; layout is an implementation detail).
	"Tensor.String":        {"formats the tensor for people: no decision is taken", ""},
	"Tensor.DType":         {whyAccessor, ""},
	"Tensor.Dim":           {whyAccessor, ""},
	"Tensor.Strides":       {"accessor of the memory layout, not part of a graph", ""},
	"Tensor.Offset":        {"accessor of the memory layout, not part of a graph", ""},
	"Tensor.IsContiguous":  {"accessor of the memory layout, not part of a graph", ""},
	"Tensor.SharesStorage": {"accessor of the memory layout, not part of a graph", ""},

	// Reads of shapes and values: reported to the tracer.
	"Tensor.Size":       {whyShape, "size"},
	"Tensor.Shape":      {whyShape, "shape"},
	"Tensor.Numel":      {whyShape, "numel"},
	"Tensor.Item":       {whyValues, "item"},
	"Tensor.At":         {whyValues, "at"},
	"Tensor.ToFloat32s": {whyValues, "to_float32s"},
	"Tensor.ToFloat64s": {whyValues, "to_float64s"},
	"Tensor.ToInt64s":   {whyValues, "to_int64s"},
	"Tensor.ToBools":    {whyValues, "to_bools"},
	"Tensor.Data":       {whyValues, "data"},
	"Equal":             {"compares values into a Go bool: reported to the tracer as a Read", "equal"},
	"AllClose":          {"compares values into a Go bool: reported to the tracer as a Read", "all_close"},
	"Tensor.Set":        {"writes one element from Go, outside any graph: reported to the tracer as a Read", "set"},

	// Autograd.
	"GradEnabled":            {whyAutograd, ""},
	"SetGradEnabled":         {whyAutograd, ""},
	"Record":                 {"attaches an autograd node (custom functions): the ops computing the result are reported themselves", ""},
	"NeedsGraph":             {whyAutograd, ""},
	"RunBackward":            {"runs autograd: reported to the tracer as a Read; its ops are not", "backward"},
	"Tensor.Backward":        {"runs autograd: reported to the tracer as a Read; its ops are not", "backward"},
	"Tensor.BackwardWith":    {"runs autograd: reported to the tracer as a Read; its ops are not", "backward"},
	"Tensor.RequiresGrad":    {whyAutograd, ""},
	"Tensor.SetRequiresGrad": {whyAutograd, ""},
	"Tensor.IsLeaf":          {whyAutograd, ""},
	"Tensor.GradFn":          {whyAutograd, ""},
	"Tensor.Grad":            {whyAutograd, ""},
	"Tensor.SetGrad":         {whyAutograd, ""},
	"Tensor.ZeroGrad":        {whyAutograd, ""},
	"Tensor.RetainGrad":      {whyAutograd, ""},
	"Tensor.RegisterHook":    {whyAutograd, ""},

	// Random generators.
	"NewGenerator":        {"creates a Generator: no tensor", ""},
	"DefaultGenerator":    {"returns the default Generator: no tensor", ""},
	"ManualSeed":          {"seeds the default generator: no tensor", ""},
	"Generator.Seed":      {whyGenerator, ""},
	"Generator.State":     {whyGenerator, ""},
	"Generator.SetState":  {whyGenerator, ""},
	"Generator.Float64":   {whyGenerator, ""},
	"Generator.Rand":      {whyGenerator, ""},
	"Generator.Randn":     {whyGenerator, ""},
	"Generator.Uniform":   {whyGenerator, ""},
	"Generator.Normal":    {whyGenerator, ""},
	"Generator.RandInt":   {whyGenerator, ""},
	"Generator.RandPerm":  {whyGenerator, ""},
	"Generator.Bernoulli": {whyGenerator, ""},

	// Tracing and the op table itself.
	"SetTracer":       {"tracing control", ""},
	"Tracing":         {"tracing control", ""},
	"LookupOp":        {"op table access", ""},
	"Ops":             {"op table access", ""},
	"OpDef.String":    {"op table access", ""},
	"AttrKind.String": {"op table access", ""},
}
