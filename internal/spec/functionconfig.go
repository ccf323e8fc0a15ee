package spec

import "strings"

// functionAnnotationPrefixes are the annotation prefixes of the KRM function
// machinery (kustomize, kpt): config.kubernetes.io/function says how to run
// mysqlgen, config.kubernetes.io/local-config tells kustomize to drop the
// object from its output, and the internal.* ones are bookkeeping. On a spec
// used as a generator's function config they are addressed to the runner,
// not to the cluster: copied onto the rendered objects they would, at worst,
// make kustomize drop every one of them.
var functionAnnotationPrefixes = []string{
	"config.kubernetes.io/",
	"internal.config.kubernetes.io/",
	"config.k8s.io/",
}

// isFunctionAnnotation reports whether an annotation key belongs to the KRM
// function machinery rather than to the cluster.
func isFunctionAnnotation(key string) bool {
	for _, p := range functionAnnotationPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// dropFunctionAnnotations removes the KRM function machinery's annotations
// from a loaded spec, so that a spec renders the same whether kustomize runs
// it as a generator or a user runs mysqlgen render on the same file.
func dropFunctionAnnotations(m *ObjectMeta) {
	for k := range m.Annotations {
		if isFunctionAnnotation(k) {
			delete(m.Annotations, k)
		}
	}
	if len(m.Annotations) == 0 {
		m.Annotations = nil
	}
}
