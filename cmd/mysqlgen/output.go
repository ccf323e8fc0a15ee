package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/output"
	"github.com/mysqlgen/mysqlgen/internal/pipeline"
)

// outputFlags are the -o and --order flags of render and diff.
type outputFlags struct {
	output string
	order  string
}

func (f *outputFlags) register(cmd *cobra.Command, outputHelp string) {
	cmd.Flags().StringVarP(&f.output, "output", "o", string(output.FormatYAML), outputHelp)
	cmd.Flags().StringVar(&f.order, "order", string(output.OrderLegacy), "document order: legacy (kustomize's) or helm (Helm's install order)")
	must(cmd.RegisterFlagCompletionFunc("output", fixedChoices(output.Formats)))
	must(cmd.RegisterFlagCompletionFunc("order", fixedChoices(output.Orders)))
}

// fixedChoices completes a flag with its values and nothing else (a
// directory for -o is --output-dir's to complete).
func fixedChoices[T ~string](values []T) cobra.CompletionFunc {
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	return cobra.FixedCompletions(names, cobra.ShellCompDirectiveNoFileComp)
}

// destination is where output goes: a stream format, or a directory.
type destination struct {
	format output.Format
	dir    string
	order  output.Order
}

// parse reads -o as a format name, else as a directory: a path ending in /
// or naming an existing directory.
func (f *outputFlags) parse() (destination, error) {
	order, err := output.ParseOrder(f.order)
	if err != nil {
		return destination{}, err
	}
	d := destination{order: order}
	if format, err := output.ParseFormat(f.output); err == nil {
		d.format = format
		return d, nil
	} else if !isDirPath(f.output) {
		return destination{}, fmt.Errorf("%w (%s is no directory yet: -o %s/ or --output-dir %s makes it)", err, f.output, f.output, f.output)
	}
	d.dir = f.output
	return d, nil
}

// pipelineOptions asks the pipeline for the trees this destination takes:
// YAML documents (a stream or a directory) are written as each cluster is
// built.
func (d destination) pipelineOptions() pipeline.Options {
	return pipeline.Options{Order: d.order, YAML: d.dir != "" || d.format == output.FormatYAML}
}

func isDirPath(p string) bool {
	if strings.HasSuffix(p, "/") || strings.HasSuffix(p, string(os.PathSeparator)) {
		return true
	}
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// writeOutput writes the trees to stdout in the chosen format, or makes the
// chosen directory hold them.
func writeOutput(s streams, objs []*manifest.Tree, d destination) error {
	if d.dir != "" {
		files, err := output.Files(objs)
		if err != nil {
			return err
		}
		if err := output.WriteDirWarn(d.dir, files, s.err); err != nil {
			return fmt.Errorf("writing %s: %w", d.dir, err)
		}
		return nil
	}
	return output.Write(s.out, objs, d.format)
}
