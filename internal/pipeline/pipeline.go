// Package pipeline is the one path every spec takes, for the CLI (render,
// validate, diff, secret) and the KRM function alike: spec documents in;
// loaded, defaulted, validated, rendered, patched and ordered trees out.
// Every problem is an error naming its file, line and field path, and every
// problem of every spec is returned at once, in input order.
package pipeline

import (
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/output"
	"github.com/mysqlgen/mysqlgen/internal/parallel"
	"github.com/mysqlgen/mysqlgen/internal/patch"
	"github.com/mysqlgen/mysqlgen/internal/render"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// parallelMin is how many specs make another worker worth starting.
const parallelMin = 16

// Source is one input of spec documents.
type Source struct {
	Name string // the file name errors carry
	Open func() (io.ReadCloser, error)
}

// File is a spec file.
func File(path string) Source {
	return Source{Name: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// Reader is a stream of specs (stdin, a KRM function config), read once.
func Reader(name string, r io.Reader) Source {
	return Source{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
}

// Options say how the trees come out.
type Options struct {
	Order output.Order // document order within each cluster
	// YAML writes each tree's YAML document on the worker that built it,
	// for a caller that will write YAML (a stream or a directory).
	YAML bool
}

// Run loads the specs of every source (the default spec when there are
// none), then renders them: Load, then Render.
func Run(sources []Source, opts Options) ([]*spec.Document, []*manifest.Tree, []error) {
	docs, errs := Load(sources)
	if len(errs) > 0 {
		return nil, nil, errs
	}
	trees, errs := Render(docs, opts)
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return docs, trees, nil
}

// Load reads, defaults and validates every spec of every source (on every
// CPU for many), or the default spec when there is no source. Two clusters
// of one name in one namespace are an error.
func Load(sources []Source) ([]*spec.Document, []error) {
	if len(sources) == 0 {
		d, err := spec.LoadDefault()
		if err != nil {
			return nil, []error{err}
		}
		return validateAll([]*spec.Document{d})
	}
	loaded := make([][]*spec.Document, len(sources))
	loadErrs := make([]error, len(sources))
	parallel.For(len(sources), parallelMin, parallel.None, func(_ struct{}, i int) {
		loaded[i], loadErrs[i] = load(sources[i])
	})
	var docs []*spec.Document
	var errs []error
	for i := range sources {
		if loadErrs[i] != nil {
			errs = append(errs, loadErrs[i])
			continue
		}
		docs = append(docs, loaded[i]...)
	}
	valid, verrs := validateAll(docs)
	return valid, append(errs, verrs...)
}

func load(s Source) ([]*spec.Document, error) {
	r, err := s.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return spec.Load(r, s.Name)
}

// validateAll defaults and validates docs on every CPU and reports in
// their order.
func validateAll(docs []*spec.Document) ([]*spec.Document, []error) {
	invalid := make([]error, len(docs))
	parallel.For(len(docs), parallelMin, parallel.None, func(_ struct{}, i int) {
		spec.SetDefaults(docs[i].Cluster)
		invalid[i] = docs[i].Annotate(spec.Validate(docs[i].Cluster))
	})
	var errs []error
	seen := map[string]string{}
	for i, d := range docs {
		if invalid[i] != nil {
			errs = append(errs, invalid[i])
			continue
		}
		key := d.Cluster.Metadata.Namespace + "/" + d.Cluster.Metadata.Name
		if prev, dup := seen[key]; dup {
			errs = append(errs, fmt.Errorf("%s: metadata.name: Duplicate value: %q: also the name of a cluster in %s (in the same namespace)", d.Source, d.Cluster.Metadata.Name, prev))
		}
		seen[key] = d.Source
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return docs, nil
}

// Render renders each cluster into trees (on every CPU for many), applies
// its patches, digests its ConfigMaps as finally written, and orders its
// trees; clusters follow one another in their order. Two objects of one
// kind, namespace and name anywhere in the batch are an error naming both
// clusters: one would overwrite the other on apply.
func Render(docs []*spec.Document, opts Options) ([]*manifest.Tree, []error) {
	trees := make([][]*manifest.Tree, len(docs))
	buildErrs := make([]error, len(docs))
	parallel.For(len(docs), parallelMin, manifest.NewBuilder, func(b *manifest.Builder, i int) {
		trees[i], buildErrs[i] = build(b, docs[i].Cluster, opts)
	})
	var errs []error
	serial := manifest.NewBuilder()
	for i, d := range docs {
		if buildErrs[i] != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.Source, buildErrs[i]))
			continue
		}
		if len(d.Cluster.Spec.Patches) == 0 {
			continue
		}
		// Patches run one cluster at a time: kustomize's filters keep
		// state of their own (an OpenAPI schema) not meant to be shared
		// between goroutines.
		if err := applyPatches(d, &trees[i]); err != nil {
			errs = append(errs, err)
			continue
		}
		var err error
		if trees[i], err = finish(serial, trees[i], opts); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.Source, err))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if errs := duplicates(docs, trees); len(errs) > 0 {
		return nil, errs
	}
	var all []*manifest.Tree
	for _, t := range trees {
		all = append(all, t...)
	}
	return all, nil
}

// build renders a cluster into trees, and finishes them unless patches
// are still to come.
func build(b *manifest.Builder, c *spec.MySQLCluster, opts Options) ([]*manifest.Tree, error) {
	objs := render.Objects(c)
	trees := make([]*manifest.Tree, len(objs))
	for i, o := range objs {
		t, err := b.Build(o)
		if err != nil {
			return nil, err
		}
		trees[i] = t
	}
	if len(c.Spec.Patches) > 0 {
		return trees, nil
	}
	return finish(b, trees, opts)
}

// finish orders a cluster's trees and, when asked, writes their YAML.
func finish(b *manifest.Builder, trees []*manifest.Tree, opts Options) ([]*manifest.Tree, error) {
	trees = output.Sort(trees, opts.Order)
	if opts.YAML {
		for _, t := range trees {
			if err := b.Prewrite(t); err != nil {
				return nil, err
			}
		}
	}
	return trees, nil
}

// applyPatches applies a cluster's patches and digests its ConfigMaps
// again, as patched.
func applyPatches(d *spec.Document, trees *[]*manifest.Tree) error {
	// Without patches the digest render computed is of what is written.
	patches := d.Cluster.Spec.Patches
	patched, errs := patch.Apply(*trees, patches, field.NewPath("spec", "patches"))
	if err := d.Annotate(errs); err != nil {
		return err
	}
	*trees = patched
	return redigest(d.Cluster, patched)
}
