package main

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		out  string // in stdout or stderr
	}{
		{nil, 2, "Usage:"},
		{[]string{"help"}, 0, "ember inspect FILE"},
		{[]string{"-h"}, 0, "ember bench FILE"},
		{[]string{"help", "run"}, 0, "usage: ember run FILE -input X"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"inspect"}, 2, "want one model file, got 0 arguments"},
		{[]string{"inspect", "a", "b"}, 2, "got 2 arguments"},
		{[]string{"inspect", "-nope", "a"}, 2, "flag provided but not defined: -nope"},
		{[]string{"run", "x.ember"}, 2, "-input is required"},
		{[]string{"run", "x.ember", "-input", "y", "-k", "0"}, 2, "-k 0"},
		{[]string{"bench", "x.ember", "-n", "0"}, 2, "-n must be at least 1"},
		{[]string{"bench", "-h"}, 0, "-warmup"},
		{[]string{"zoo"}, 2, "want a model name"},
		{[]string{"zoo", "alexnet", "-o", "x"}, 2, `unknown model "alexnet"`},
		{[]string{"zoo", "smallcnn"}, 2, "-o is required"},
	} {
		code, out, errs := ember(t, c.args...)
		if code != c.code || !strings.Contains(out+errs, c.out) {
			t.Errorf("ember %v: status %d, output\n%s%s\nwant status %d and %q", c.args, code, out, errs, c.code, c.out)
		}
	}
}

func TestFlagsAnywhere(t *testing.T) {
	fs := newFlags("t", nil)
	a := fs.String("a", "", "")
	b := fs.Bool("b", false, "")
	pos, err := parseArgs(fs, []string{"f1", "-a", "x", "f2", "-b", "--", "-c"})
	if err != nil || *a != "x" || !*b || strings.Join(pos, ",") != "f1,f2,-c" {
		t.Fatalf("got %v %q %v %v", pos, *a, *b, err)
	}
}

// A file that is not a model, a truncated one and corrupted ones are
// errors (exit status 1), never panics, for every subcommand that loads a
// file.
func TestBadFiles(t *testing.T) {
	good := testModel{ch: 1, h: 6, w: 6, test: true}.build(t)
	files := map[string][]byte{
		"empty":     nil,
		"text":      []byte("this is not a model file, not at all"),
		"truncated": good[:len(good)/2],
		"header":    good[:64],
	}
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 20 {
		b := append([]byte{}, good...)
		for range 4 {
			b[r.IntN(min(len(b), 2048))] ^= byte(1 + r.IntN(255))
		}
		files["flipped"+string(rune('a'+i))] = b
	}
	raw := writeFile(t, "x.raw", make([]byte, 4*36))
	for name, b := range files {
		p := writeFile(t, name+".ember", b)
		for _, args := range [][]string{{"inspect", p}, {"verify", p}, {"bench", p, "-n", "2", "-warmup", "0"}, {"run", p, "-input", raw}} {
			code, _, errs := ember(t, args...)
			if strings.HasPrefix(name, "flipped") {
				// A flip may hit bytes nothing reads, or data: then the
				// command may succeed (verify may fail on the output).
				if code != 0 && code != 1 {
					t.Errorf("%s: ember %s: status %d: %s", name, args[0], code, errs)
				}
				continue
			}
			if code != 1 || !strings.Contains(errs, p) && !strings.Contains(errs, "malformed") {
				t.Errorf("%s: ember %s: status %d, stderr %q: want 1 and the loader's error", name, args[0], code, errs)
			}
		}
	}
	code, _, errs := ember(t, "inspect", "/nonexistent/model.ember")
	if code != 1 || !strings.Contains(errs, "no such file") {
		t.Errorf("missing file: status %d, %q", code, errs)
	}
}
