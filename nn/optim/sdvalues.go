package optim

import (
	"encoding/json"
	"fmt"
	"math"
)

// State dicts hold JSON-encodable values, so a value read back may be what
// encoding/json decodes (float64, []any, map[string]any, string) or what
// StateDict put there (int, []int, []float64, ...). These helpers accept
// both. encoding/json cannot write an infinite or NaN float64, so such
// values are stored as the strings "inf", "-inf" and "nan" (as golden
// files and Python's json module spell them).

// sdNum returns v as a state-dict value: the number, or its string when v
// is not finite.
func sdNum(v float64) any {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return v
}

// sdNums returns vs as state-dict values.
func sdNums(vs []float64) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = sdNum(v)
	}
	return out
}

func sdFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case bool:
		return b2f(x), nil
	case json.Number:
		return x.Float64()
	case string:
		switch x {
		case "inf", "Infinity":
			return math.Inf(1), nil
		case "-inf", "-Infinity":
			return math.Inf(-1), nil
		case "nan", "NaN":
			return math.NaN(), nil
		}
	case nil:
		return 0, fmt.Errorf("missing")
	}
	return 0, fmt.Errorf("not a number: %v (%T)", v, v)
}

func sdInt(v any) (int, error) {
	f, err := sdFloat(v)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("not an integer: %v", v)
	}
	return int(f), nil
}

func sdFloats(v any) ([]float64, error) {
	switch x := v.(type) {
	case []float64:
		return append([]float64(nil), x...), nil
	case []int:
		out := make([]float64, len(x))
		for i, n := range x {
			out[i] = float64(n)
		}
		return out, nil
	case []any:
		out := make([]float64, len(x))
		for i, e := range x {
			f, err := sdFloat(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = f
		}
		return out, nil
	case nil:
		return nil, fmt.Errorf("missing")
	}
	return nil, fmt.Errorf("not a list of numbers: %v (%T)", v, v)
}

func sdInts(v any) ([]int, error) {
	if x, ok := v.([]int); ok {
		return append([]int(nil), x...), nil
	}
	fs, err := sdFloats(v)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(fs))
	for i, f := range fs {
		if out[i], err = sdInt(f); err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return out, nil
}

func sdBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case nil:
		return false, fmt.Errorf("missing")
	}
	f, err := sdFloat(v)
	if err != nil {
		return false, err
	}
	return f != 0, nil
}

func sdString(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	if v == nil {
		return "", fmt.Errorf("missing")
	}
	return "", fmt.Errorf("not a string: %v (%T)", v, v)
}

// sdReader reads typed values from a state dict, keeping the first error.
type sdReader struct {
	who string // "StepLR.LoadStateDict"
	m   map[string]any
	err error
}

func (r *sdReader) fail(key string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("optim: %s: %q: %w", r.who, key, err)
	}
}

func (r *sdReader) float(key string) float64 {
	v, err := sdFloat(r.m[key])
	if err != nil {
		r.fail(key, err)
	}
	return v
}

func (r *sdReader) int(key string) int {
	v, err := sdInt(r.m[key])
	if err != nil {
		r.fail(key, err)
	}
	return v
}

func (r *sdReader) floats(key string) []float64 {
	v, err := sdFloats(r.m[key])
	if err != nil {
		r.fail(key, err)
	}
	return v
}

func (r *sdReader) ints(key string) []int {
	v, err := sdInts(r.m[key])
	if err != nil {
		r.fail(key, err)
	}
	return v
}

func (r *sdReader) bool(key string) bool {
	v, err := sdBool(r.m[key])
	if err != nil {
		r.fail(key, err)
	}
	return v
}

func (r *sdReader) string(key string) string {
	v, err := sdString(r.m[key])
	if err != nil {
		r.fail(key, err)
	}
	return v
}
