//go:build !amd64 || purego

package cpu

func perfDivScalar(dst, src []float32, s float32) { perfDivScalarGo(dst, src, s) }

func perfRDivScalar(dst []float32, s float32, src []float32) { perfRDivScalarGo(dst, s, src) }

func perfReLUGrad(dst, g, y []float32) { perfReLUGradGo(dst, g, y) }

func perfRangeGrad(dst, g, x []float32, lo, hi float32) { perfRangeGradGo(dst, g, x, lo, hi) }

func maxPoolFast[T Float](dr []T, ir []int64, s []T, g Pool2d, h0, rows, lo, hi int) int { return 0 }
