// Package atomicfile writes files atomically, the way every file Ember
// writes is written: to a temporary file in the destination's folder,
// synced, then renamed over the destination. It imports only the standard
// library, so the lite runtime's format package can use it too.
package atomicfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write creates or replaces path with what write writes. The file is
// synced and renamed over path only when write succeeds (returns nil
// without panicking), so readers never see a partial file, and a failure
// leaves any old file as it was and no temporary file behind. A replaced
// file keeps its permissions; a new one gets 0644. The error of write is
// returned unchanged; other errors are prefixed with pkg ("safetensors: ...").
func Write(pkg, path string, write func(w io.Writer) error) (err error) {
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("%s: %s is a directory", pkg, path)
		}
		mode = fi.Mode().Perm()
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("%s: %w", pkg, err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("%s: %w", pkg, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", pkg, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", pkg, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("%s: %w", pkg, err)
	}
	done = true
	// Make the rename itself durable; not every system can sync a folder,
	// and the file is in place either way.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
