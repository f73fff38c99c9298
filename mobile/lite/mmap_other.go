//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package lite

// mapFile reads the file at path: this platform has no mmap here.
func mapFile(path string) ([]byte, func() error, error) { return readFile(path) }
