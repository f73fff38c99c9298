package cpu

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for float32, row-major.
// See GemmRef for the argument conventions.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	GemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm computes C = alpha*op(A)*op(B) + beta*C for float64, row-major.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	GemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
