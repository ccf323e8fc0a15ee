// Package patch applies a spec's patches (spec.patches) to the objects
// rendered from it, with the kustomize library's own patch transformer, so a
// patch means here exactly what it means in a kustomization's patches: list.
package patch

import (
	"fmt"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/builtins"
	"sigs.k8s.io/kustomize/api/provider"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/internal/render"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// Apply applies patches, in order, to one cluster's objects and returns the
// patched objects in the same order. With no patches it returns objs as they
// are. Each patch that fails, or that selects none of the objects, is an
// error at p.Index(i); the patches after it still run, so that every bad
// patch is reported at once.
func Apply(objs []render.Object, patches []spec.Patch, p *field.Path) ([]render.Object, field.ErrorList) {
	if len(patches) == 0 {
		return objs, nil
	}
	in, err := render.Encode(objs)
	if err != nil {
		return nil, field.ErrorList{field.InternalError(p, err)}
	}
	dp := provider.NewDefaultDepProvider()
	rf := resmap.NewFactory(dp.GetResourceFactory())
	m, err := rf.NewResMapFromBytes(in)
	if err != nil {
		return nil, field.ErrorList{field.InternalError(p, fmt.Errorf("reading the rendered objects: %w", err))}
	}
	helpers := resmap.NewPluginHelpers(nil, dp.GetFieldValidator(), rf, types.DisabledPluginConfig())
	var errs field.ErrorList
	for i := range patches {
		pt := patches[i]
		if pt.Target == nil {
			pt.Patch = inNamespace(rf, pt.Patch, objs[0].GetNamespace())
		}
		// A patch that fails part-way can leave objects half-patched (or
		// worse): each one works on a copy, kept only when it succeeds.
		next := m.DeepCopy()
		err := applyOne(next, helpers, &pt)
		if err == nil {
			err = checkObjects(objs, next.Resources())
		}
		if err != nil {
			errs = append(errs, invalid(p.Index(i), err.Error()))
			continue
		}
		m = next
	}
	if len(errs) > 0 {
		return nil, errs
	}
	m.RemoveBuildAnnotations()
	out := make([]render.Object, 0, m.Size())
	for _, r := range m.Resources() {
		b, err := r.MarshalJSON()
		if err != nil {
			return nil, field.ErrorList{field.InternalError(p, err)}
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return nil, field.ErrorList{field.InternalError(p, fmt.Errorf("%s %s after patching: %w", r.GetKind(), r.GetName(), err))}
		}
		out = append(out, u)
	}
	return out, nil
}

// applyOne runs kustomize's PatchTransformer, configured as a kustomization
// entry would configure it, after checking that the patch finds an object:
// kustomize silently skips a target that selects nothing, which in a spec is
// always a mistake (a misspelt name, a kind that is not rendered).
func applyOne(m resmap.ResMap, h *resmap.PluginHelpers, pt *spec.Patch) (err error) {
	defer func() {
		// The patch code is kustomize's, fed with whatever a user wrote: a
		// panic there is this patch's error, not the end of the program.
		if r := recover(); r != nil {
			err = fmt.Errorf("kustomize failed on this patch: %v", r)
		}
	}()
	cfg := struct {
		Patch  string          `json:"patch"`
		Target *types.Selector `json:"target,omitempty"`
	}{Patch: asJSONList(pt.Patch)}
	if t := pt.Target; t != nil {
		cfg.Target = &types.Selector{
			ResId: resid.ResId{
				Gvk:       resid.Gvk{Group: t.Group, Version: t.Version, Kind: t.Kind},
				Name:      t.Name,
				Namespace: t.Namespace,
			},
			LabelSelector:      t.LabelSelector,
			AnnotationSelector: t.AnnotationSelector,
		}
		selected, err := m.Select(*cfg.Target)
		if err != nil {
			return err
		}
		if len(selected) == 0 {
			return fmt.Errorf("the target selects none of the rendered objects (%s)", objectList(m.Resources()))
		}
	}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	t := &builtins.PatchTransformerPlugin{}
	if err := t.Config(h, raw); err != nil {
		return cleanError(err)
	}
	if err := t.Transform(m); err != nil {
		if strings.Contains(err.Error(), "no resource matches strategic merge patch") {
			return fmt.Errorf("the patch's apiVersion, kind and metadata.name match none of the rendered objects (%s)", objectList(m.Resources()))
		}
		return cleanError(err)
	}
	return nil
}

// asJSONList returns a JSON 6902 patch written in YAML as JSON, which
// kustomize needs when the YAML is in flow style ([{op: ...}]): it takes a
// patch that starts with [ for JSON. Anything else is returned as it is.
func asJSONList(patch string) string {
	j, err := yaml.YAMLToJSON([]byte(patch))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(j)), "[") {
		return patch
	}
	return string(j)
}

// inNamespace puts the documents of a strategic-merge patch that name no
// namespace in the cluster's: kustomize matches a patch to an object by
// namespace too, and a spec's patches are about its own cluster's objects.
// Anything that is not a strategic-merge patch is returned as it is.
func inNamespace(rf *resmap.Factory, patch, namespace string) string {
	if namespace == "" {
		return patch
	}
	docs, err := rf.RF().SliceFromBytes([]byte(patch))
	if err != nil || len(docs) == 0 {
		return patch
	}
	texts := make([]string, len(docs))
	for i, d := range docs {
		if d.GetNamespace() == "" {
			if err := d.SetNamespace(namespace); err != nil {
				return patch
			}
		}
		y, err := d.AsYAML()
		if err != nil {
			return patch
		}
		texts[i] = string(y)
	}
	return strings.Join(texts, "---\n")
}

// scheme knows the Kubernetes kinds a patched object must still decode
// into; custom resources (a ServiceMonitor) are not checked. Built on first
// use: registering the kinds is start-up work every render would pay, and
// only a spec with patches needs it.
var scheme = sync.OnceValue(func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme, networkingv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
})

// checkObjects holds patched objects to what the loader holds a spec to: a
// patch keeps each object's identity (the objects refer to one another by
// name, and a directory names its files by them), and leaves no field its
// kind does not have, which is almost always a misspelling that kubectl
// apply would drop or refuse.
func checkObjects(before []render.Object, after []*resource.Resource) error {
	if len(after) != len(before) {
		return fmt.Errorf("the patch changed the number of objects from %d to %d", len(before), len(after))
	}
	for i, r := range after {
		was := before[i]
		wasGVK := was.GetObjectKind().GroupVersionKind()
		if r.GetApiVersion() != wasGVK.GroupVersion().String() || r.GetKind() != wasGVK.Kind || r.GetName() != was.GetName() || r.GetNamespace() != was.GetNamespace() {
			return fmt.Errorf("a patch may not change an object's apiVersion, kind, name or namespace: %s %s became %s %s",
				wasGVK.Kind, was.GetName(), r.GetKind(), r.GetName())
		}
		typed, err := scheme().New(wasGVK)
		if err != nil {
			continue // not a kind of Kubernetes' own
		}
		b, err := r.MarshalJSON()
		if err != nil {
			return err
		}
		strict, err := sigsjson.UnmarshalStrict(b, typed)
		if err == nil && len(strict) > 0 {
			err = strict[0]
		}
		if err != nil {
			return fmt.Errorf("the patched %s %s is not a valid %s: %s", wasGVK.Kind, was.GetName(), wasGVK.Kind, strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	return nil
}

// objectList names objects as kind/name, for messages.
func objectList(rs []*resource.Resource) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.GetKind() + "/" + r.GetName()
	}
	return strings.Join(names, ", ")
}

// cleanError drops the copy of the whole patch that kustomize appends to
// some messages: the field path already names the patch.
func cleanError(err error) error {
	msg := err.Error()
	for _, marker := range []string{" from [patch: ", " [patch: ", "\n"} {
		if i := strings.Index(msg, marker); i > 0 {
			msg = msg[:i]
		}
	}
	return fmt.Errorf("%s", strings.TrimSpace(msg))
}

// invalid is a patch error without the patch repeated as its value.
func invalid(p *field.Path, detail string) *field.Error {
	return &field.Error{Type: field.ErrorTypeInvalid, Field: p.String(), BadValue: field.OmitValueType{}, Detail: detail}
}
