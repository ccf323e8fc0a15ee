package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysqlgen/mysqlgen/internal/output"
	"github.com/mysqlgen/mysqlgen/internal/pipeline"
)

type diffFlags struct {
	in  inputFlags
	out outputFlags
}

func newDiffCommand(s streams) *cobra.Command {
	flags := &diffFlags{}
	cmd := &cobra.Command{
		Use:   "diff [-f spec.yaml]... [spec.yaml]... (dir/ | file)",
		Short: "Check that committed output is current (exit 1 and a diff when it is stale, 2 on error)",
		Long: `Diff renders the specs as render does and compares the result with committed
output: a directory written by render -o dir/, or a file holding render's
stream (-o yaml, the default, or -o json). When they differ it prints a
unified diff (git-style a/ and b/ names, so git apply can take it) and exits 1;
when the output is current it prints nothing and exits 0, so a CI step fails
when someone changed a spec and did not render it again. Any error (an
invalid spec, an unreadable target, a wrong flag) exits 2, as diff(1) and
kubectl diff do, so that CI can tell "stale" from "broken". The last argument
is the committed output; arguments before it are specs, as with -f.

A change Kubernetes refuses to apply (a StatefulSet's storage size, storage
class or access modes: its volumeClaimTemplates are immutable) is named on
stderr with the procedure that rolls it out instead.`,
		Example: `  mysqlgen diff -f cluster.yaml deploy/mysql/
  mysqlgen diff cluster.yaml cluster.rendered.yaml
  mysqlgen diff -f clusters/ --order helm -o json manifests.json`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: map[string]string{errorExitAnnotation: "2"},
		RunE: func(cmd *cobra.Command, args []string) error {
			last := len(args) - 1
			flags := *flags
			flags.in = flags.in.withArgs(args[:last])
			return runDiff(s, &flags, args[last])
		},
	}
	flags.in.register(cmd)
	flags.out.register(cmd, "format of a file target: yaml or json (a directory target is compared file by file)")
	return cmd
}

func runDiff(s streams, flags *diffFlags, target string) error {
	dest, err := flags.out.parse()
	if err != nil {
		return err
	}
	if dest.dir != "" {
		return fmt.Errorf("-o names the format of a file target (yaml or json); give the directory as the argument: mysqlgen diff -f spec.yaml %s", dest.dir)
	}
	isDir := isDirPath(target)
	if isDir && flags.out.output != string(output.FormatYAML) {
		return fmt.Errorf("-o %s: %s is a directory, which render writes as YAML files", flags.out.output, target)
	}
	_, objs, err := runPipeline(s, flags.in, pipeline.Options{Order: dest.order, YAML: isDir || dest.format == output.FormatYAML})
	if err != nil {
		return err
	}
	var diff string
	if isDir {
		files, err := output.Files(objs)
		if err != nil {
			return err
		}
		if diff, err = output.DiffDir(target, files); err != nil {
			return err
		}
	} else {
		want, err := output.Encode(objs, dest.format)
		if err != nil {
			return err
		}
		have, err := os.ReadFile(target)
		from, to := output.DiffNames(filepath.ToSlash(target))
		if errors.Is(err, fs.ErrNotExist) {
			from = "/dev/null"
		} else if err != nil {
			return err
		}
		diff = output.Diff(from, to, have, want)
	}
	if diff == "" {
		return nil
	}
	if _, err := fmt.Fprint(s.out, diff); err != nil {
		return err
	}
	fmt.Fprintf(s.err, "%s is stale: run %s\n", target, renderCommandLine(flags, target, isDir))
	if _, err := reportForbidden(s, target, objs); err != nil {
		return err
	}
	return errDiffers
}

// renderCommandLine is the command that brings target up to date.
func renderCommandLine(flags *diffFlags, target string, isDir bool) string {
	args := []string{"mysqlgen", "render"}
	for _, f := range flags.in.files {
		args = append(args, "-f", f)
	}
	if flags.in.namespace != "" {
		args = append(args, "-n", flags.in.namespace)
	}
	if flags.out.order != string(output.OrderLegacy) {
		args = append(args, "--order", flags.out.order)
	}
	if isDir {
		if !strings.HasSuffix(target, "/") {
			target += "/"
		}
		return strings.Join(append(args, "-o", target), " ")
	}
	if flags.out.output != string(output.FormatYAML) {
		args = append(args, "-o", flags.out.output)
	}
	return strings.Join(args, " ") + " > " + target
}
