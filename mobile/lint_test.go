package mobile_test

import (
	"strings"
	"testing"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/mobile"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

func lintKinds(ls []mobile.Lint) map[mobile.LintKind]int {
	c := map[mobile.LintKind]int{}
	for _, l := range ls {
		c[l.Kind]++
	}
	return c
}

// TestLints optimizes a model traced in training mode: dropout and batch
// norm stay and are reported, and so are the ops that a Supported function
// refuses and, with freeze blocked, the parameters.
func TestLints(t *testing.T) {
	m := convBNReLU()
	nn.Train(m)
	x := tensor.Randn(2, 3, 6, 6)
	tm, err := jit.Trace(m, []*tensor.Tensor{x}, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	// Before optimization: the parameters too.
	before := lintKinds(mobile.Lints(tm, nil))
	if before[mobile.LintDropout] != 1 || before[mobile.LintTrainingBatchNorm] != 1 || before[mobile.LintRequiresGrad] != 6 {
		t.Errorf("lints of the traced module: %v", before)
	}

	var got []mobile.Lint
	om, err := mobile.OptimizeForMobile(tm, mobile.OptimizeOptions{
		Supported: func(op string) bool { return op != "linear_act" && op != "add_" },
		Lints:     func(l mobile.Lint) { got = append(got, l) },
	})
	if err != nil {
		t.Fatal(err)
	}
	wantOps(t, om, []string{"dropout", "batch_norm", "linear_act"}, nil)
	kinds := lintKinds(got)
	want := map[mobile.LintKind]int{mobile.LintDropout: 1, mobile.LintTrainingBatchNorm: 1, mobile.LintUnsupportedOp: 2}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d %s lints, want %d: %v", kinds[k], k, n, got)
		}
	}
	if kinds[mobile.LintRequiresGrad] != 0 {
		t.Errorf("requires_grad lints after freeze: %v", got)
	}
	for _, l := range got {
		s := l.String()
		switch l.Kind {
		case mobile.LintDropout:
			if !strings.Contains(s, "forward: dropout (") || !strings.Contains(s, "training mode") {
				t.Errorf("dropout lint %q", s)
			}
		case mobile.LintUnsupportedOp:
			if l.Op != "linear_act" && l.Op != "add_" || !strings.Contains(s, "does not implement "+l.Op) {
				t.Errorf("unsupported-op lint %q", s)
			}
		}
	}

	// With freeze blocked, the parameters stay and are reported; the
	// running statistics are buffers written in training mode.
	got = nil
	_, err = mobile.OptimizeForMobile(tm, mobile.OptimizeOptions{
		Blocklist: []string{"freeze"},
		Lints:     func(l mobile.Lint) { got = append(got, l) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := lintKinds(got)[mobile.LintRequiresGrad]; n != 6 {
		t.Errorf("%d requires_grad lints, want 6 (conv, bn and linear weights and biases): %v", n, got)
	}
	for _, l := range got {
		if l.Kind == mobile.LintRequiresGrad && (l.Const == "" || !strings.Contains(l.String(), "constant "+l.Const)) {
			t.Errorf("requires_grad lint %q", l)
		}
	}
}

// TestLintsEval checks that an evaluation-mode model has no lints after
// optimization but an eval-mode dropout left by the blocklist.
func TestLintsEval(t *testing.T) {
	tm := trace(t, convBNReLU(), tensor.Randn(1, 3, 6, 6))
	om := optimize(t, tm) // fails on any lint
	if ls := mobile.Lints(om, func(string) bool { return true }); len(ls) != 0 {
		t.Errorf("lints %v", ls)
	}
	om = optimize(t, tm, mobile.OptimizeOptions{Blocklist: []string{"remove_dropout"}, Lints: func(mobile.Lint) {}})
	ls := mobile.Lints(om, nil)
	if len(ls) != 1 || ls[0].Kind != mobile.LintDropout || !strings.Contains(ls[0].Msg, "evaluation mode") {
		t.Errorf("lints %v, want the dropout in evaluation mode", ls)
	}
}
