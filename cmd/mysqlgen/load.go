package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/pipeline"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// sources are the inputs named by -f ('-' for stdin, a directory for its
// *.yaml and *.yml files); none means the default spec.
func sources(s streams, files []string) ([]pipeline.Source, error) {
	paths, err := expandPaths(files)
	if err != nil {
		return nil, err
	}
	out := make([]pipeline.Source, len(paths))
	for i, p := range paths {
		// expandPaths lets stdin in once, so no two workers read it.
		if p == "-" {
			out[i] = pipeline.Reader("<stdin>", s.in)
			continue
		}
		out[i] = pipeline.File(p)
	}
	return out, nil
}

// runPipeline loads, defaults, validates, renders, patches and orders the
// specs named by in. Every problem of every input is printed to stderr;
// then the returned error says only how many there were.
func runPipeline(s streams, in inputFlags, opts pipeline.Options) ([]*spec.Document, []*manifest.Tree, error) {
	docs, err := loadClusters(s, in)
	if err != nil {
		return nil, nil, err
	}
	trees, errs := pipeline.Render(docs, opts)
	if err := report(s, errs); err != nil {
		return nil, nil, err
	}
	return docs, trees, nil
}

// loadClusters is the pipeline's first stage only: the loaded, defaulted
// and validated specs, in the namespace of -n when they name none. The
// namespace comes after validation, which never looks at it beyond its
// form, and before rendering, whose check that no two clusters write one
// object sees the namespace as applied.
func loadClusters(s streams, in inputFlags) ([]*spec.Document, error) {
	srcs, err := sources(s, in.files)
	if err != nil {
		return nil, err
	}
	docs, errs := pipeline.Load(srcs)
	if err := report(s, errs); err != nil {
		return nil, err
	}
	if err := report(s, setNamespace(docs, in.namespace)); err != nil {
		return nil, err
	}
	return docs, nil
}

// report prints every problem, one line each, and returns
// errAlreadyReported with their count; nil when there are none.
func report(s streams, errs []error) error {
	var problems []string
	for _, err := range errs {
		var se *spec.Error
		if errors.As(err, &se) {
			problems = append(problems, strings.Split(se.Error(), "\n")...)
			continue
		}
		problems = append(problems, err.Error())
	}
	if len(problems) == 0 {
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(s.err, p)
	}
	return errAlreadyReported{count: len(problems)}
}

// expandPaths replaces each directory by its spec files in name order.
func expandPaths(files []string) ([]string, error) {
	var out []string
	stdin := false
	for _, f := range files {
		if f == "-" {
			if stdin {
				return nil, errors.New("-f - is given twice: stdin can be read only once")
			}
			stdin = true
			out = append(out, f)
			continue
		}
		info, err := os.Stat(f)
		if err != nil {
			return nil, fmt.Errorf("reading spec: %w", err)
		}
		if !info.IsDir() {
			out = append(out, f)
			continue
		}
		entries, err := os.ReadDir(f)
		if err != nil {
			return nil, fmt.Errorf("reading spec directory: %w", err)
		}
		var specs []string
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
				specs = append(specs, filepath.Join(f, e.Name()))
			}
		}
		if len(specs) == 0 {
			return nil, fmt.Errorf("%s: directory holds no .yaml or .yml spec", f)
		}
		slices.Sort(specs)
		out = append(out, specs...)
	}
	return out, nil
}
