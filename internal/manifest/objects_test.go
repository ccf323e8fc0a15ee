package manifest

import (
	"fmt"
	"testing"

	_ "github.com/mysqlgen/mysqlgen/internal/golden" // registers -update for go test ./... -update
	"github.com/mysqlgen/mysqlgen/internal/render"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// matrix is the objects of every release with GTID on and off, defaulted
// and validated, by name.
func matrix(t *testing.T) map[string][]Object {
	t.Helper()
	out := map[string][]Object{}
	for _, r := range spec.Releases {
		for _, gtid := range []bool{true, false} {
			c := &spec.MySQLCluster{
				APIVersion: spec.APIVersion, Kind: spec.Kind,
				Metadata: spec.ObjectMeta{Name: "db", Namespace: "ns", Labels: map[string]string{"team": "a"}},
				Spec: spec.ClusterSpec{
					Flavor: r.Flavor, Version: r.Version,
					Replication: spec.Replication{GTID: &gtid},
					Config:      map[string]string{"max_connections": "10", "skip-name-resolve": "OFF"},
				},
			}
			if !gtid && (r.Dialect == spec.DialectMySQL80 || r.Dialect == spec.DialectMySQL84) {
				// Binlog positions clone only with one applier thread.
				c.Spec.Config["replica_parallel_workers"] = "1"
			}
			spec.SetDefaults(c)
			if errs := spec.Validate(c); len(errs) > 0 {
				t.Fatalf("%s %s: %v", r.Flavor, r.Version, errs)
			}
			var objs []Object
			for _, o := range render.Objects(c) {
				objs = append(objs, o)
			}
			out[fmt.Sprintf("%s-%s-gtid-%v", r.Flavor, r.Version, gtid)] = objs
		}
	}
	return out
}

// build is the tree of one object.
func build(t *testing.T, o Object) *Tree {
	t.Helper()
	tree, err := NewBuilder().Build(o)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// buildAll is the trees of objs.
func buildAll(t *testing.T, objs []Object) []*Tree {
	t.Helper()
	b := NewBuilder()
	trees := make([]*Tree, len(objs))
	for i, o := range objs {
		tree, err := b.Build(o)
		if err != nil {
			t.Fatal(err)
		}
		trees[i] = tree
	}
	return trees
}
