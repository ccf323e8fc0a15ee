package pipeline

import (
	"fmt"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/render"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// redigest sets the StatefulSet's config digest to the digest of the
// ConfigMaps as patched, so that a patch to a ConfigMap rolls the pods as
// an edit to the spec would.
func redigest(c *spec.MySQLCluster, trees []*manifest.Tree) error {
	names, stsName := render.DigestedConfigMaps(c)
	data := make([]map[string]string, len(names))
	var sts *manifest.Tree
	for _, t := range trees {
		switch {
		case t.Kind() == "StatefulSet" && t.Name() == stsName:
			sts = t
		case t.Kind() == "ConfigMap":
			for i, n := range names {
				if t.Name() == n {
					data[i] = stringData(t)
				}
			}
		}
	}
	if sts == nil {
		return fmt.Errorf("no StatefulSet %s after patching", stsName)
	}
	return sts.Set(render.ConfigDigest(data...), "spec", "template", "metadata", "annotations", render.ConfigDigestAnnotation)
}

// stringData is a ConfigMap's data (a patched ConfigMap is checked
// against its type, so every value is a string).
func stringData(t *manifest.Tree) map[string]string {
	m, _ := t.Root.Get("data").(manifest.Map)
	out := make(map[string]string, len(m))
	for _, p := range m {
		s, _ := p.Value.(string)
		out[p.Key] = s
	}
	return out
}
