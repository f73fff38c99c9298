//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package lite

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps the file at path read-only and returns its bytes and the
// function that unmaps them. An empty file is read instead (mmap refuses
// a length of zero).
func mapFile(path string) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("lite: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("lite: %w", err)
	}
	size := st.Size()
	if size == 0 || !st.Mode().IsRegular() {
		return readFile(path)
	}
	if size != int64(int(size)) || size > maxFileSize {
		return nil, nil, fmt.Errorf("lite: %s: file of %d bytes is too large to map", path, size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("lite: mmap %s: %w", path, err)
	}
	return b, func() error { return syscall.Munmap(b) }, nil
}
