package pipeline

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// duplicates reports every object whose group, kind, namespace and name an
// earlier object of the batch has (cluster a's Service a-read and cluster
// a-read's headless Service), at the later cluster's metadata.name.
func duplicates(docs []*spec.Document, trees [][]*manifest.Tree) []error {
	type owner struct {
		doc  *spec.Document
		tree *manifest.Tree
	}
	type id struct{ group, kind, namespace, name string }
	seen := map[id]owner{}
	var errs []error
	for i, d := range docs {
		var fes field.ErrorList
		for _, t := range trees[i] {
			key := id{t.GVK().Group, t.Kind(), t.Namespace(), t.Name()}
			prev, dup := seen[key]
			if !dup {
				seen[key] = owner{d, t}
				continue
			}
			fes = append(fes, &field.Error{
				Type: field.ErrorTypeDuplicate, Field: "metadata.name", BadValue: d.Cluster.Metadata.Name,
				Detail: fmt.Sprintf("the cluster renders %s %s%s, which cluster %s in %s renders too: one would overwrite the other on apply; rename one of the clusters",
					t.Kind(), inNamespace(t.Namespace()), t.Name(), prev.doc.Cluster.Metadata.Name, prev.doc.Source),
			})
		}
		if err := d.Annotate(fes); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func inNamespace(ns string) string {
	if ns == "" {
		return ""
	}
	return ns + "/"
}
