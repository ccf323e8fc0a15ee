package render

import corev1 "k8s.io/api/core/v1"

// pullSecrets are the pod's image pull Secrets, in the spec's order; nil
// for none, so that no empty list is written.
func pullSecrets(names []string) []corev1.LocalObjectReference {
	if len(names) == 0 {
		return nil
	}
	refs := make([]corev1.LocalObjectReference, len(names))
	for i, n := range names {
		refs[i] = corev1.LocalObjectReference{Name: n}
	}
	return refs
}
