package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mysqlgen/mysqlgen/internal/krm"
)

// maxResourceListBytes bounds what mysqlgen reads as a KRM function. A
// generator is sent little more than its function config, but a runner may
// send every resource of a kustomization.
const maxResourceListBytes = 64 << 20

func newKRMCommand(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "krm",
		Short: "Run as a KRM function: read a ResourceList on stdin, write it back with the cluster",
		Long: `Krm runs mysqlgen as a KRM function, as kustomize does when a kustomization
lists a spec under generators: it reads a ResourceList on stdin whose
functionConfig is a MySQLCluster spec, and writes the ResourceList to stdout
with its items unchanged and the cluster's objects appended. An invalid spec
comes back as results of severity error, with field paths, and exit status 1.

mysqlgen run with no command does the same when its stdin is not a terminal
and holds a ResourceList, which is how kustomize runs an exec function. The
spec's config.kubernetes.io/* annotations configure the runner and are not
copied onto the objects.`,
		Example: `  # kustomization.yaml:  generators: [cluster.yaml]
  # cluster.yaml: a spec annotated with
  #   config.kubernetes.io/function: |
  #     exec:
  #       path: mysqlgen
  kustomize build --enable-alpha-plugins --enable-exec .`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := readResourceList(s.in)
			if err != nil {
				return err
			}
			return runKRM(s, bytes.NewReader(data))
		},
	}
}

// runKRM runs the function; errors go to stderr too, since kustomize shows
// a failing function's stderr and not its results.
func runKRM(s streams, in io.Reader) error {
	var out bytes.Buffer
	err := krm.Run(in, &out)
	var ke *krm.Error
	// The ResourceList goes out on success, and with its results when the
	// spec is invalid; on any other failure nothing does.
	if out.Len() > 0 && (err == nil || errors.As(err, &ke)) {
		if werr := writeAll(s.out, &out); werr != nil && err == nil {
			err = werr
		}
	}
	if errors.As(err, &ke) {
		fmt.Fprintln(s.err, ke.Error())
		return errAlreadyReported{count: len(ke.Results)}
	}
	return err
}

// runNoCommand serves mysqlgen run with no arguments: a KRM function when a
// runner pipes a ResourceList in, the help otherwise, so that a user at a
// terminal is never left waiting on stdin.
func runNoCommand(s streams, cmd *cobra.Command) error {
	if isTerminal(s.in) {
		return cmd.Help()
	}
	data, err := readResourceList(s.in)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return cmd.Help()
	}
	if !krm.IsResourceList(data) {
		return errors.New("no command given, and stdin is not a KRM ResourceList (what kustomize sends a generator); to render a spec on stdin, run mysqlgen render -f -; see mysqlgen --help")
	}
	return runKRM(s, bytes.NewReader(data))
}

// readResourceList reads stdin up to maxResourceListBytes: a runner's
// ResourceList is read whole (the framework parses it at once), so what is
// read is bounded before anything is parsed.
func readResourceList(in io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(in, maxResourceListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	if len(data) > maxResourceListBytes {
		return nil, fmt.Errorf("stdin holds more than %d MiB, more than a ResourceList for a generator should: refused", maxResourceListBytes>>20)
	}
	return data, nil
}

// isTerminal reports whether r is a character device (a terminal, or
// /dev/null): never a ResourceList, and not worth waiting on.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
