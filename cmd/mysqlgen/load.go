package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mysqlgen/mysqlgen/internal/parallel"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// parallelMin is how many specs make another worker worth starting.
const parallelMin = 16

// loadClusters loads, defaults and validates the specs named by -f ('-' for
// stdin, a directory for its *.yaml and *.yml files), or the default spec
// when there are none. Every problem of every input is printed to stderr;
// then the returned error says only how many there were.
func loadClusters(s streams, files []string) ([]*spec.Document, error) {
	var docs []*spec.Document
	var problems []string
	report := func(err error) {
		var se *spec.Error
		if errors.As(err, &se) {
			problems = append(problems, strings.Split(se.Error(), "\n")...)
			return
		}
		problems = append(problems, err.Error())
	}
	if len(files) == 0 {
		d, err := spec.LoadDefault()
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	paths, err := expandPaths(files)
	if err != nil {
		return nil, err
	}
	// Each file is read, defaulted and validated on its own (on every CPU
	// for a directory of specs); problems are then reported in file order.
	// expandPaths lets stdin in once, so no two workers read it.
	loaded := make([][]*spec.Document, len(paths))
	loadErrs := make([]error, len(paths))
	parallel.For(len(paths), parallelMin, parallel.None, func(_ struct{}, i int) {
		loaded[i], loadErrs[i] = loadPath(s, paths[i])
	})
	for i := range paths {
		if loadErrs[i] != nil {
			report(loadErrs[i])
			continue
		}
		docs = append(docs, loaded[i]...)
	}
	invalid := make([]error, len(docs))
	parallel.For(len(docs), parallelMin, parallel.None, func(_ struct{}, i int) {
		spec.SetDefaults(docs[i].Cluster)
		invalid[i] = docs[i].Annotate(spec.Validate(docs[i].Cluster))
	})
	seen := map[string]string{}
	for i, d := range docs {
		if invalid[i] != nil {
			report(invalid[i])
			continue
		}
		key := d.Cluster.Metadata.Namespace + "/" + d.Cluster.Metadata.Name
		if prev, dup := seen[key]; dup {
			report(fmt.Errorf("%s: metadata.name: Duplicate value: %q: also the name of a cluster in %s (in the same namespace)", d.Source, d.Cluster.Metadata.Name, prev))
		}
		seen[key] = d.Source
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(s.err, p)
		}
		return nil, errAlreadyReported{count: len(problems)}
	}
	return docs, nil
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

func loadPath(s streams, p string) ([]*spec.Document, error) {
	if p == "-" {
		return spec.Load(s.in, "<stdin>")
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return spec.Load(io.Reader(f), p)
}
