package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", ".", "the directory of package tensor")
	out := flag.String("out", "ops_gen.go", "the output file, in dir")
	check := flag.Bool("check", false, "fail if the output file is not up to date instead of writing it")
	hooks := flag.Bool("hooks", false, "insert the tracing hook into every op function that lacks it, then generate")
	flag.Parse()
	if err := run(*dir, *out, *check, *hooks, exclusions); err != nil {
		fmt.Fprintln(os.Stderr, "opgen:", err)
		os.Exit(1)
	}
}

// run generates dir/out (or, with check, compares it) from the package in
// dir, whose exported functions and methods not in excl are ops; with hooks
// it first inserts the missing tracing hooks.
func run(dir, out string, check, hooks bool, excl map[string]exclusion) error {
	ops, fset, err := scan(dir, out, excl)
	if err != nil {
		return err
	}
	if hooks {
		n, err := addHooks(fset, ops)
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprintf(os.Stderr, "opgen: added the hook to %d op functions\n", n)
		}
	} else if missing := missingHooks(ops); len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "opgen: warning: %d op functions lack the tracing hook (run opgen -hooks): %v\n", len(missing), missing)
	}
	src, err := emit(ops, excl)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, out)
	if check {
		old, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Equal(old, src) {
			return fmt.Errorf("%s is not up to date: run go generate in %s", path, dir)
		}
		return nil
	}
	return os.WriteFile(path, src, 0o644)
}
