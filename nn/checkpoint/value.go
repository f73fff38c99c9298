package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Optimizer groups and scheduler states are maps of Go values whose
// dynamic types matter to the code that reads them back (an optimizer's
// "params" may be a []int, a scheduler's "last_epoch" an int), and plain
// JSON would turn every number into a float64 and every list into []any.
// So values are stored in a typed JSON form that gives back the same Go
// types:
//
//   - nil, bool, string and finite float64 as plain JSON (null, true,
//     "text", 0.1); every plain number reads back as a float64;
//   - every other type as an object with one key naming it: {"int": 3},
//     {"int64": 3}, {"int32": 3}, {"float32": 0.5}, {"float64": "+Inf"},
//     {"[]int": [0, 1]}, {"[]int64": ...}, {"[]float64": [0.1, "NaN"]},
//     {"[]float32": ...}, {"[]string": ...}, {"[]bool": ...},
//     {"[]any": [...]}, {"map": {"lr": 0.1}}, {"[]map": [{...}]},
//     {"map[string]float64": {...}};
//   - non-finite floats as the strings "+Inf", "-Inf" and "NaN";
//   - a nil slice or map as a null payload ({"[]int": null}).
//
// Other types are an error when saving, never a silent conversion.

// ckptEncodeValue returns v in the typed JSON form (a tree of
// JSON-marshalable values).
func ckptEncodeValue(v any) (any, error) {
	tag := func(t string, p any) map[string]any { return map[string]any{t: p} }
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return tag("float64", ckptFloat(x)), nil
		}
		return x, nil
	case float32:
		return tag("float32", ckptFloat(float64(x))), nil
	case int:
		return tag("int", x), nil
	case int64:
		return tag("int64", x), nil
	case int32:
		return tag("int32", x), nil
	case []int:
		return tag("[]int", x), nil
	case []int64:
		return tag("[]int64", x), nil
	case []string:
		return tag("[]string", x), nil
	case []bool:
		return tag("[]bool", x), nil
	case []float64:
		return tag("[]float64", ckptFloats(x, func(f float64) float64 { return f })), nil
	case []float32:
		return tag("[]float32", ckptFloats(x, func(f float32) float64 { return float64(f) })), nil
	case map[string]float64:
		if x == nil {
			return tag("map[string]float64", nil), nil
		}
		m := make(map[string]any, len(x))
		for k, f := range x {
			m[k] = ckptFloat(f)
		}
		return tag("map[string]float64", m), nil
	case []any:
		if x == nil {
			return tag("[]any", nil), nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = ckptEncodeValue(e); err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return tag("[]any", out), nil
	case map[string]any:
		m, err := ckptEncodeMap(x)
		if err != nil {
			return nil, err
		}
		return tag("map", m), nil
	case []map[string]any:
		if x == nil {
			return tag("[]map", nil), nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			m, err := ckptEncodeMap(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]%w", i, err)
			}
			out[i] = m
		}
		return tag("[]map", out), nil
	}
	return nil, fmt.Errorf("value of type %T cannot be stored in a checkpoint", v)
}

// ckptEncodeMap encodes the values of m (nil stays nil); errors name the
// key.
func ckptEncodeMap(m map[string]any) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		v, err := ckptEncodeValue(e)
		if err != nil {
			return nil, fmt.Errorf("[%q]: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

// ckptFloat is f as a JSON number, or a string when it is not finite.
func ckptFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return f
}

func ckptFloats[T float32 | float64](x []T, f64 func(T) float64) []any {
	if x == nil {
		return nil
	}
	out := make([]any, len(x))
	for i, f := range x {
		out[i] = ckptFloat(f64(f))
	}
	return out
}

// ckptMarshalValue returns the JSON text of v's typed form.
func ckptMarshalValue(v any) (json.RawMessage, error) {
	e, err := ckptEncodeValue(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(e)
}

// ckptUnmarshalValue decodes JSON text of the typed form back into Go
// values of the types they were saved with.
func ckptUnmarshalValue(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var tree any
	if err := d.Decode(&tree); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data after the value")
	}
	return ckptDecodeValue(tree)
}

// ckptDecodeValue converts a tree decoded with UseNumber from the typed
// form.
func ckptDecodeValue(tree any) (any, error) {
	switch x := tree.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		return strconv.ParseFloat(string(x), 64)
	case []any:
		return nil, fmt.Errorf("untagged JSON array")
	case map[string]any:
		if len(x) != 1 {
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return nil, fmt.Errorf("a typed value has one key naming its type, got %q", keys)
		}
		for t, p := range x {
			v, err := ckptDecodeTagged(t, p)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t, err)
			}
			return v, nil
		}
	}
	return nil, fmt.Errorf("unexpected JSON value %v", tree)
}

func ckptDecodeTagged(t string, p any) (any, error) {
	switch t {
	case "int":
		i, err := ckptInt(p, strconv.IntSize)
		return int(i), err
	case "int64":
		return ckptInt(p, 64)
	case "int32":
		i, err := ckptInt(p, 32)
		return int32(i), err
	case "float64":
		return ckptFloatOf(p)
	case "float32":
		f, err := ckptFloatOf(p)
		return float32(f), err
	case "[]int":
		return ckptSlice(p, func(e any) (int, error) { i, err := ckptInt(e, strconv.IntSize); return int(i), err })
	case "[]int64":
		return ckptSlice(p, func(e any) (int64, error) { return ckptInt(e, 64) })
	case "[]float64":
		return ckptSlice(p, ckptFloatOf)
	case "[]float32":
		return ckptSlice(p, func(e any) (float32, error) { f, err := ckptFloatOf(e); return float32(f), err })
	case "[]string":
		return ckptSlice(p, func(e any) (string, error) {
			s, ok := e.(string)
			if !ok {
				return "", fmt.Errorf("%v is not a string", e)
			}
			return s, nil
		})
	case "[]bool":
		return ckptSlice(p, func(e any) (bool, error) {
			b, ok := e.(bool)
			if !ok {
				return false, fmt.Errorf("%v is not a bool", e)
			}
			return b, nil
		})
	case "[]any":
		return ckptSlice(p, ckptDecodeValue)
	case "map":
		return ckptDecodeMap(p)
	case "[]map":
		return ckptSlice(p, ckptDecodeMap)
	case "map[string]float64":
		if p == nil {
			return map[string]float64(nil), nil
		}
		m, ok := p.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%v is not an object", p)
		}
		out := make(map[string]float64, len(m))
		for k, e := range m {
			f, err := ckptFloatOf(e)
			if err != nil {
				return nil, fmt.Errorf("[%q]: %w", k, err)
			}
			out[k] = f
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown type tag")
}

// ckptDecodeMap decodes an object of typed values (null gives a nil map).
func ckptDecodeMap(p any) (map[string]any, error) {
	if p == nil {
		return nil, nil
	}
	m, ok := p.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%v is not an object", p)
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		v, err := ckptDecodeValue(e)
		if err != nil {
			return nil, fmt.Errorf("[%q]: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

// ckptSlice decodes a JSON array (null gives a nil slice) element by
// element.
func ckptSlice[T any](p any, elem func(any) (T, error)) ([]T, error) {
	if p == nil {
		return nil, nil
	}
	a, ok := p.([]any)
	if !ok {
		return nil, fmt.Errorf("%v is not an array", p)
	}
	out := make([]T, len(a))
	for i, e := range a {
		v, err := elem(e)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

func ckptInt(p any, bits int) (int64, error) {
	n, ok := p.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%v is not an integer", p)
	}
	return strconv.ParseInt(string(n), 10, bits)
}

func ckptFloatOf(p any) (float64, error) {
	switch x := p.(type) {
	case json.Number:
		return strconv.ParseFloat(string(x), 64)
	case string:
		switch x {
		case "NaN":
			return math.NaN(), nil
		case "+Inf":
			return math.Inf(1), nil
		case "-Inf":
			return math.Inf(-1), nil
		}
	}
	return 0, fmt.Errorf("%v is not a number", p)
}
