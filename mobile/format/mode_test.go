package format_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/emberml/ember/mobile/format"
)

// TestSaveMode checks that a saved model is readable by others (0644) and
// that replacing a file keeps its mode.
func TestSaveMode(t *testing.T) {
	if os.Getenv("GOOS") == "windows" {
		t.Skip("no unix modes")
	}
	m := &format.Model{FormatVersion: format.FormatVersion, MinRuntimeVersion: 1}
	path := filepath.Join(t.TempDir(), "m.ember")
	if err := format.Save(path, m); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644", fi.Mode().Perm())
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := format.Save(path, m); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("replacing changed the mode to %v", fi.Mode().Perm())
	}
}
