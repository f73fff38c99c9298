package main

import (
	"strings"
	"unicode"
)

// wordFixes rewrite Go spellings whose letters would split wrongly (ReLU
// would be "re_lu") or that PyTorch writes as one word (matmul, topk).
var wordFixes = []struct{ from, to string }{
	{"ReLU", "Relu"},
	{"SiLU", "Silu"},
	{"MatMul", "Matmul"},
	{"LogSumExp", "Logsumexp"},
	{"TopK", "Topk"},
	{"NaN", "Nan"},
	{"RSub", "Rsub"},
	{"RDiv", "Rdiv"},
	{"RPow", "Rpow"},
	{"RandInt", "Randint"},
	{"RandPerm", "Randperm"},
}

// snake returns the snake_case of a Go name: an underscore goes before
// each capital that follows a lower-case letter or a digit, or that starts
// a word after an acronym (IsClose: is_close, MaxPool2dWithIndices:
// max_pool2d_with_indices); existing underscores stay (ReLU_: relu_).
func snake(name string) string {
	for _, f := range wordFixes {
		name = strings.ReplaceAll(name, f.from, f.to)
	}
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 {
			p := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if unicode.IsLower(p) || unicode.IsDigit(p) || (unicode.IsUpper(p) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}
