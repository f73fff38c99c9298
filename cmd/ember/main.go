package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is a subcommand: main parses its flags and calls it.
type command struct {
	name, usage, short string
	run                func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"inspect", "inspect FILE [-json]", "print what a model file holds", inspectCmd},
		{"bench", "bench FILE [-n 100] [-warmup 10] [-threads 1] [-method forward] [-input X] [-json] [-top N] [-cpuprofile F]", "measure a method's latency, allocations, memory and per-op times", benchCmd},
		{"run", "run FILE -input X [-k 5] [-method forward]", "run a method on an input file and print the top-k outputs", runCmd},
		{"verify", "verify FILE", "run the bundled tests", verifyCmd},
		{"zoo", "zoo NAME -o FILE", "write a model of the zoo (" + strings.Join(zooNames(), ", ") + ")", zooCmd},
	}
}

// errUsage marks an error in the command line: exit status 2.
var errUsage = errors.New("usage")

// usageError is a command-line error: the message, then the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string   { return e.msg }
func (e *usageError) Is(t error) bool { return t == errUsage }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Ember runs and inspects .ember model files.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "\tember %s\n", c.usage)
	}
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.short)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "ember COMMAND -h" for a command's flags.`)
}

// run is the command's main: it returns the exit status. A panic, which
// would be a bug, is reported as an error (exit status 1), not as a trace.
func run(args []string, stdout, stderr io.Writer) (status int) {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		if len(args) > 1 {
			for _, c := range commands {
				if c.name == args[1] {
					fmt.Fprintf(stdout, "usage: ember %s\n\n%s\n", c.usage, c.short)
					return 0
				}
			}
		}
		w := stdout
		if len(args) == 0 {
			w, status = stderr, 2
		}
		printUsage(w)
		return status
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "ember: unknown command %q\n", args[0])
		printUsage(stderr)
		return 2
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "ember %s: internal error: %v\n", cmd.name, r)
			status = 1
		}
	}()
	err := cmd.run(args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "ember %s: %v\nusage: ember %s\n", cmd.name, err, cmd.usage)
		return 2
	}
	fmt.Fprintf(stderr, "ember %s: %v\n", cmd.name, err)
	return 1
}

// newFlags returns the flag set of a command, writing its help to stderr.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ember "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseArgs parses flags that may come before, between or after the
// positional arguments (ember run FILE -input X), and returns the
// positional ones. A flag error is a usage error (or flag.ErrHelp).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil // everything after -- is positional
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// oneFile parses a command line that names one file.
func oneFile(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usagef("want one model file, got %d arguments", len(pos))
	}
	return pos[0], nil
}
