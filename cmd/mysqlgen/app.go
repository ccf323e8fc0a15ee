package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
)

// Main runs the command line and exits with its status; it is the only place
// that exits.
func Main() {
	os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// streams are a command's standard streams, so that tests see exactly what a
// user sees.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// Run executes mysqlgen with args and returns the exit status: 0 on success,
// 1 on any error, which is printed once, to stderr. diff exits 1 when the
// output differs and 2 on an error, as diff(1) does.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := streams{in: stdin, out: stdout, err: stderr}
	root := newRootCommand(s)
	// cobra reads os.Args when given nil: Run's arguments are its own.
	root.SetArgs(append([]string{}, args...))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	if errors.Is(err, errDiffers) {
		return 1
	}
	var quiet errAlreadyReported
	if !errors.As(err, &quiet) {
		fmt.Fprintf(stderr, "error: %v\n", err)
	}
	if cmd != nil && cmd.Annotations[errorExitAnnotation] == "2" {
		return 2
	}
	return 1
}

// errorExitAnnotation marks a command whose errors exit 2, because its exit
// status 1 means an answer (diff: the output differs).
const errorExitAnnotation = "mysqlgen.dev/error-exit"

// errDiffers is diff's answer "the output is stale", already printed.
var errDiffers = errors.New("the output differs")

// errAlreadyReported is returned by commands that printed their own errors.
type errAlreadyReported struct{ count int }

func (e errAlreadyReported) Error() string { return fmt.Sprintf("%d error(s)", e.count) }

func newRootCommand(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "mysqlgen",
		Short: "Render the Kubernetes manifests of a replicated MySQL cluster",
		Long: `mysqlgen renders a replicated MySQL or MariaDB cluster (a StatefulSet whose
ordinal 0 is the primary and whose other pods clone and replicate from it, with
its Services and ConfigMaps) from a small YAML spec, without an operator.

Run with no command by kustomize, with a KRM ResourceList on stdin, it is a
kustomize generator (see mysqlgen krm --help); at a terminal it prints this help.`,
		Example: `  # the default cluster; create its Secret first
  mysqlgen secret | kubectl apply -f -
  mysqlgen render | kubectl apply -f -

  # your own spec
  mysqlgen init > cluster.yaml
  mysqlgen validate -f cluster.yaml
  mysqlgen render -f cluster.yaml | kubectl apply -f -`,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNoCommand(s, cmd)
		},
	}
	root.AddCommand(
		newRenderCommand(s),
		newValidateCommand(s),
		newInitCommand(s),
		newSecretCommand(s),
		newBackupsCommand(s),
		newVersionCommand(s),
		newDiffCommand(s),
		newSchemaCommand(s),
		newKRMCommand(s),
	)
	return root
}

// writeObjects writes objects the commands make beside the render (the
// Secret, the listing Job) as YAML documents, built into trees as the
// render's are, and only once all of them are built.
func writeObjects(w io.Writer, objs []manifest.Object) error {
	b := manifest.NewBuilder()
	trees := make([]*manifest.Tree, 0, len(objs))
	for _, o := range objs {
		t, err := b.Build(o)
		if err != nil {
			return err
		}
		trees = append(trees, t)
	}
	out, err := manifest.YAML(trees)
	if err != nil {
		return err
	}
	return writeAll(w, bytes.NewBuffer(out))
}

// writeAll writes a complete output at once, so that a failure part-way
// never leaves half a stream in a pipe.
func writeAll(w io.Writer, b *bytes.Buffer) error {
	_, err := w.Write(b.Bytes())
	return err
}
