package tensor

// validNotNil panics with "<op>: <arg> is nil" when a required tensor
// argument is nil, instead of a nil-pointer dereference further in.
func validNotNil(op, arg string, t *Tensor) {
	if t == nil {
		panicf(op, "%s is nil", arg)
	}
}

// validNotNil2 checks the input and the other operand of a binary op.
func validNotNil2(op string, t, u *Tensor) {
	if t == nil {
		panicf(op, "input is nil")
	}
	if u == nil {
		panicf(op, "other is nil")
	}
}

// validList checks that no element of a tensor list is nil.
func validList(op, arg string, ts []*Tensor) {
	for i, t := range ts {
		if t == nil {
			panicf(op, "%s[%d] is nil", arg, i)
		}
	}
}

// validShape panics with "<op>: negative dimension d in shape [...]" when a
// creation function is given a negative dimension.
func validShape(op string, shape []int) {
	for _, d := range shape {
		if d < 0 {
			panicf(op, "negative dimension %d in shape %v", d, shape)
		}
	}
}
