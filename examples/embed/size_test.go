package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// maxBinary is the most an app pays for embedding the runtime: the
// stripped binary of this example.
const maxBinary = 3 * 1024 * 1024

// goTool returns the go command's path, or skips the test without one.
func goTool(t *testing.T) string {
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	return p
}

// TestBinarySize builds the example as an app would ship it (stripped)
// and holds its size.
func TestBinarySize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	goTool := goTool(t)
	bin := filepath.Join(t.TempDir(), "embed")
	cmd := exec.Command(goTool, "build", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stripped binary: %d bytes (%.2f MiB), %s/%s", st.Size(), float64(st.Size())/(1<<20), runtime.GOOS, runtime.GOARCH)
	if st.Size() > maxBinary {
		t.Errorf("the stripped binary is %d bytes, more than %d", st.Size(), maxBinary)
	}
}

// TestDeps holds the example to the runtime: no tensor, nn, jit or
// autograd in its dependencies.
func TestDeps(t *testing.T) {
	out, err := exec.Command(goTool(t), "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "github.com/emberml/ember/"
	var ember []string
	for _, p := range strings.Fields(string(out)) {
		rest, ok := strings.CutPrefix(p, mod)
		if !ok {
			continue
		}
		ember = append(ember, rest)
		for _, bad := range []string{"tensor", "nn", "jit", "autograd", "models", "mobile"} {
			if rest == bad || strings.HasPrefix(rest, bad+"/") && !strings.HasPrefix(rest, "mobile/lite") && !strings.HasPrefix(rest, "mobile/format") {
				t.Errorf("the example depends on %s", p)
			}
		}
	}
	if len(ember) == 0 {
		t.Fatalf("no Ember package in the dependencies:\n%s", out)
	}
	t.Logf("Ember packages: %v", ember)
}
