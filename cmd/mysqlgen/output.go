package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mysqlgen/mysqlgen/internal/output"
	"github.com/mysqlgen/mysqlgen/internal/parallel"
	"github.com/mysqlgen/mysqlgen/internal/patch"
	"github.com/mysqlgen/mysqlgen/internal/render"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// outputFlags are the -o and --order flags of render and diff.
type outputFlags struct {
	output string
	order  string
}

func (f *outputFlags) register(cmd *cobra.Command, outputHelp string) {
	cmd.Flags().StringVarP(&f.output, "output", "o", string(output.FormatYAML), outputHelp)
	cmd.Flags().StringVar(&f.order, "order", string(output.OrderLegacy), "document order: legacy (kustomize's) or helm (Helm's install order)")
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
		return destination{}, err
	}
	d.dir = f.output
	return d, nil
}

func isDirPath(p string) bool {
	if strings.HasSuffix(p, "/") || strings.HasSuffix(p, string(os.PathSeparator)) {
		return true
	}
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// renderClusters renders each loaded cluster, applies its patches and puts
// its objects in the order asked for; clusters follow one another in the
// order they were loaded, so that rendering several specs is rendering each
// in turn. Like loadClusters, it prints every problem (a patch
// that does not apply), with its file and line, and then returns
// errAlreadyReported.
func renderClusters(s streams, docs []*spec.Document, order output.Order) ([]render.Object, error) {
	rendered := make([][]render.Object, len(docs))
	parallel.For(len(docs), parallelMin, parallel.None, func(_ struct{}, i int) {
		rendered[i] = render.Objects(docs[i].Cluster)
	})
	var objs []render.Object
	var problems []string
	for i, d := range docs {
		// Patches go through the kustomize library one cluster at a time:
		// it keeps state of its own (its OpenAPI schema) that is not
		// meant to be shared between goroutines.
		patched, errs := patch.Apply(rendered[i], d.Cluster.Spec.Patches, field.NewPath("spec", "patches"))
		if err := d.Annotate(errs); err != nil {
			problems = append(problems, strings.Split(err.Error(), "\n")...)
			continue
		}
		objs = append(objs, output.Sort(patched, order)...)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(s.err, p)
		}
		return nil, errAlreadyReported{count: len(problems)}
	}
	return objs, nil
}

// writeOutput writes objs to stdout in the chosen format, or makes the
// chosen directory hold them.
func writeOutput(s streams, objs []render.Object, d destination) error {
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
