package cpu

// Float is the set of floating-point element types the GEMM kernels accept.
type Float interface{ ~float32 | ~float64 }

// GemmRef is the reference GEMM: C = alpha*op(A)*op(B) + beta*C, row-major,
// where op(X) is X or its transpose. A is m×k (k×m when transA), B is k×n
// (n×k when transB), C is m×n; lda, ldb and ldc are the row strides. It is
// slow and simple on purpose: the optimised kernels are tested against it.
// When beta is zero, C is not read (NaNs in C do not propagate), as in BLAS.
func GemmRef[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	for i := range m {
		for j := range n {
			var s T
			for p := range k {
				var av, bv T
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}
