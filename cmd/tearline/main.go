// Command tearline is the Tearline threat intelligence sharing server and
// its command-line tools: validate, import and export STIX 2.1 bundles,
// manage collections, and serve TAXII 2.1.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK      = 0
	exitInvalid = 1 // some input was invalid (validation, import)
	exitError   = 2 // usage error or operational failure
)

// statusError carries an exit status through cobra.
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string { return e.err.Error() }

// invalidInput returns an error that makes the command exit with status 1
// after its report was printed.
func invalidInput(format string, args ...any) error {
	return &statusError{code: exitInvalid, err: fmt.Errorf(format, args...)}
}

// Run runs the tearline command line with args and returns the exit status.
// Tests call it in-process.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "tearline: %v\n", err)
	var se *statusError
	if errors.As(err, &se) {
		return se.code
	}
	return exitError
}
