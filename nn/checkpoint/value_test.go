package checkpoint

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestValueRoundTrip(t *testing.T) {
	v := map[string]any{
		"nil": nil, "t": true, "f": false, "s": "text ✓", "empty": "",
		"f64": 0.1, "f64.zero": 0.0, "f64.neg0": math.Copysign(0, -1), "f64.tiny": 5e-324, "f64.max": math.MaxFloat64,
		"f64.inf": math.Inf(1), "f64.-inf": math.Inf(-1),
		"f32": float32(0.1), "f32.inf": float32(math.Inf(-1)),
		"int": 3, "int.min": math.MinInt, "int64": int64(math.MaxInt64), "int32": int32(-7),
		"[]int": []int{0, 1, 2}, "[]int.nil": []int(nil), "[]int.empty": []int{},
		"[]int64": []int64{math.MinInt64}, "[]string": []string{"a", ""}, "[]bool": []bool{true},
		"[]float64": []float64{0.9, 0.999, math.Inf(1)}, "[]float32": []float32{1.5},
		"[]any": []any{1, "x", []int{4}, map[string]any{"k": 2.5}, nil}, "[]any.nil": []any(nil),
		"map": map[string]any{"inner": map[string]any{"deep": []float64{1}}}, "map.nil": map[string]any(nil),
		"[]map": []map[string]any{{"params": []int{0}, "lr": 0.1}, nil}, "[]map.nil": []map[string]any(nil),
		"map[string]float64": map[string]float64{"a": 1, "b": math.Inf(-1)}, "map[string]float64.nil": map[string]float64(nil),
	}
	b, err := ckptMarshalValue(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ckptUnmarshalValue(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v) {
		g := got.(map[string]any)
		for k := range v {
			if !reflect.DeepEqual(g[k], v[k]) {
				t.Errorf("%s: got %#v, want %#v", k, g[k], v[k])
			}
		}
	}
	if neg := got.(map[string]any)["f64.neg0"].(float64); !math.Signbit(neg) {
		t.Error("-0 lost its sign")
	}
	// NaN is never DeepEqual to itself: check it alone.
	b, err = ckptMarshalValue(map[string]any{"nan": math.NaN(), "nans": []float32{float32(math.NaN())}})
	if err != nil {
		t.Fatal(err)
	}
	got, err = ckptUnmarshalValue(b)
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	if !math.IsNaN(m["nan"].(float64)) || !math.IsNaN(float64(m["nans"].([]float32)[0])) {
		t.Errorf("NaN: %#v", m)
	}
	// Plain numbers read back as float64.
	b, _ = ckptMarshalValue(map[string]any{"one": 1.0})
	if string(b) != `{"map":{"one":1}}` {
		t.Errorf("encoding %s", b)
	}
	if got, _ := ckptUnmarshalValue(b); got.(map[string]any)["one"] != 1.0 {
		t.Errorf("1.0 reads back as %#v", got.(map[string]any)["one"])
	}
}

func TestValueErrors(t *testing.T) {
	for _, v := range []any{
		struct{}{}, []byte("x"), uint(3), map[int]any{}, func() {},
		map[string]any{"a": []any{1, make(chan int)}},
		[]map[string]any{{"x": complex(1, 2)}},
	} {
		if _, err := ckptMarshalValue(v); err == nil || !strings.Contains(err.Error(), "cannot be stored") {
			t.Errorf("%T: error %v", v, err)
		}
	}
	_, err := ckptMarshalValue(map[string]any{"lr": 0.1, "bad": []any{1, uint8(2)}})
	if err == nil || !strings.Contains(err.Error(), `["bad"]: [1]: value of type uint8`) {
		t.Errorf("error %v does not name the place", err)
	}
	for _, s := range []string{
		``, `{`, `[1]`, `{"a":1,"b":2}`, `{}`, `{"int":1.5}`, `{"int":"1"}`, `{"int32":3000000000}`,
		`{"float64":"inf"}`, `{"float64":true}`, `{"[]int":[1,"a"]}`, `{"[]int":{}}`, `{"map":[1]}`,
		`{"map":{"a":[1]}}`, `{"[]string":[1]}`, `{"[]bool":[1]}`, `{"[]map":[1]}`, `{"map[string]float64":{"a":"x"}}`,
		`{"map[string]float64":[1]}`, `{"nope":1}`, `{"int":1} {"int":2}`, `1e999`,
	} {
		if v, err := ckptUnmarshalValue([]byte(s)); err == nil {
			t.Errorf("%s decodes to %#v", s, v)
		}
	}
}
