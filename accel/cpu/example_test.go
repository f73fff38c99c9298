package cpu_test

import (
	"fmt"

	"github.com/emberml/ember/accel/cpu"
)

// Sgemm multiplies row-major matrices given as slices with leading
// dimensions: here C = A·Bᵀ for A 2×3 and B 2×3.
func ExampleSgemm() {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 1, 0, 1, 0}
	c := make([]float32, 4)
	cpu.Sgemm(false, true, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	// Output: [4 2 10 5]
}

// Map2 applies a function elementwise over strided operands; a zero stride
// broadcasts. Here a 2×3 matrix plus a row vector.
func ExampleMap2() {
	shape := []int{2, 3}
	x := []float32{1, 2, 3, 4, 5, 6}
	row := []float32{10, 20, 30}
	dst := make([]float32, 6)
	cpu.Map2(shape, dst, cpu.View{Strides: []int{3, 1}}, x, cpu.View{Strides: []int{3, 1}}, row, cpu.View{Strides: []int{0, 1}},
		func(a, b float32) float32 { return a + b })
	fmt.Println(dst)
	// Output: [11 22 33 14 25 36]
}
