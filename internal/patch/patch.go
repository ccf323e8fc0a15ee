// Package patch applies a spec's patches (spec.patches) to the trees of the
// objects rendered from it, with kustomize's public patch filters
// (api/filters/patchstrategicmerge and patchjson6902 on kyaml nodes), so a
// patch means here what it means in a kustomization's patches: list.
package patch

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/filters/patchjson6902"
	"sigs.k8s.io/kustomize/api/filters/patchstrategicmerge"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	k8syaml "sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// Apply applies patches, in order, to one cluster's trees and returns the
// patched trees in the same order. With no patches it returns trees as they
// are. Each patch that fails, or that selects none of the objects, is an
// error at p.Index(i); the patches after it still run, so that every bad
// patch is reported at once. A patch works on copies, kept only when it
// succeeds: a failing patch never leaves an object half-patched.
func Apply(trees []*manifest.Tree, patches []spec.Patch, p *field.Path) ([]*manifest.Tree, field.ErrorList) {
	if len(patches) == 0 || len(trees) == 0 {
		return trees, nil
	}
	nodes := make([]*yaml.RNode, len(trees))
	for i, t := range trees {
		nodes[i] = manifest.ToRNode(t)
	}
	namespace := trees[0].Namespace()
	var errs field.ErrorList
	for i := range patches {
		next, err := applyOne(copyAll(nodes), &patches[i], namespace)
		if err == nil {
			err = checkObjects(trees, next)
		}
		if err != nil {
			errs = append(errs, invalid(p.Index(i), err.Error()))
			continue
		}
		nodes = next
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out := make([]*manifest.Tree, len(nodes))
	for i, n := range nodes {
		t, err := manifest.FromRNode(n)
		if err != nil {
			return nil, field.ErrorList{field.InternalError(p, fmt.Errorf("%s %s after patching: %w", trees[i].Kind(), trees[i].Name(), err))}
		}
		out[i] = t
	}
	return out, nil
}

func copyAll(nodes []*yaml.RNode) []*yaml.RNode {
	out := make([]*yaml.RNode, len(nodes))
	for i, n := range nodes {
		out[i] = n.Copy()
	}
	return out
}

// applyOne applies one patch to nodes and returns what is left of them (a
// strategic merge may delete an object, which checkObjects refuses).
func applyOne(nodes []*yaml.RNode, pt *spec.Patch, namespace string) (out []*yaml.RNode, err error) {
	defer func() {
		// The filters are kustomize's, fed with whatever a user wrote: a
		// panic there is this patch's error, not the end of the program.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("kustomize failed on this patch: %v", r)
		}
	}()
	text := strings.TrimSpace(pt.Patch)
	if text == "" {
		return nil, errors.New("must specify one of patch and path")
	}
	if ops, ok := jsonPatch(text); ok {
		return applyJSON(nodes, ops, pt.Target)
	}
	docs, err := (&kio.ByteReader{Reader: strings.NewReader(text), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, fmt.Errorf("unable to parse SM or JSON patch: %s", firstLine(err))
	}
	if len(docs) == 0 {
		return nil, errors.New("unable to parse SM or JSON patch: no document")
	}
	if pt.Target != nil {
		if len(docs) > 1 {
			return nil, errors.New("multiple strategic-merge patches in one patch may not have a target")
		}
		return applyTargeted(nodes, docs[0], pt.Target)
	}
	for _, d := range docs {
		if nodes, err = applyByID(nodes, d, namespace); err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

// jsonPatch returns a JSON 6902 patch as JSON, whether it was written in
// JSON or in YAML (block or flow style), and whether the patch is one.
func jsonPatch(text string) (string, bool) {
	j, err := k8syaml.YAMLToJSON([]byte(text))
	if err != nil || !bytes.HasPrefix(bytes.TrimSpace(j), []byte("[")) {
		return "", false
	}
	return string(j), true
}

func applyJSON(nodes []*yaml.RNode, ops string, target *spec.PatchTarget) ([]*yaml.RNode, error) {
	if target == nil {
		return nil, errors.New("a JSON patch needs a target")
	}
	selected, err := selectNodes(nodes, target)
	if err != nil {
		return nil, err
	}
	for _, n := range selected {
		if err := jsonOnto(n, ops); err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

// placeholder stands in for the internal annotations kustomize keeps on
// every object while it patches: with them, a JSON patch may add
// /metadata/annotations/x to an object that has no annotations, and
// patches written for kustomize expect that.
const placeholder = "internal.config.kubernetes.io/mysqlgen-patch"

// jsonOnto applies a JSON patch to n as kustomize's PatchTransformer does.
func jsonOnto(n *yaml.RNode, ops string) error {
	had, err := n.Pipe(yaml.Lookup("metadata", "annotations"))
	if err != nil {
		return err
	}
	if err := n.PipeE(yaml.SetAnnotation(placeholder, "")); err != nil {
		return err
	}
	if _, err := (patchjson6902.Filter{Patch: ops}).Filter([]*yaml.RNode{n}); err != nil {
		return cleanError(err)
	}
	if err := n.PipeE(yaml.ClearAnnotation(placeholder)); err != nil {
		return err
	}
	if had == nil && len(n.GetAnnotations()) == 0 {
		return n.SetAnnotations(nil)
	}
	return nil
}

// applyTargeted merges one strategic-merge patch into every object the
// target selects, as kustomize's PatchTransformer does: the patch's own
// apiVersion, kind and name do not matter, and no object is renamed.
func applyTargeted(nodes []*yaml.RNode, patch *yaml.RNode, target *spec.PatchTarget) ([]*yaml.RNode, error) {
	selected, err := selectNodes(nodes, target)
	if err != nil {
		return nil, err
	}
	for _, n := range selected {
		pc := patch.Copy()
		pc.SetApiVersion(n.GetApiVersion())
		if pc.GetKind() == "" {
			pc.SetKind(n.GetKind())
		}
		if err := merge(n, pc); err != nil {
			return nil, err
		}
	}
	return withoutDeleted(nodes), nil
}

// applyByID merges a strategic-merge patch into the object of its own
// apiVersion, kind, name and namespace (the cluster's when it names none:
// a spec's patches are about its own cluster's objects).
func applyByID(nodes []*yaml.RNode, patch *yaml.RNode, namespace string) ([]*yaml.RNode, error) {
	ns := patch.GetNamespace()
	if ns == "" {
		ns = namespace
	}
	want := resid.NewResIdWithNamespace(resid.GvkFromNode(patch), patch.GetName(), ns)
	for _, n := range nodes {
		if n.IsNilOrEmpty() || !idOf(n).Equals(want) {
			continue
		}
		if err := merge(n, patch.Copy()); err != nil {
			return nil, err
		}
		return withoutDeleted(nodes), nil
	}
	return nil, fmt.Errorf("the patch's apiVersion, kind and metadata.name match none of the rendered objects (%s)", objectList(nodes))
}

// merge applies a strategic-merge patch to n in place, keeping n's
// identity as kustomize does; a deleted object is left empty.
func merge(n, patch *yaml.RNode) error {
	kind, name, ns := n.GetKind(), n.GetName(), n.GetNamespace()
	out, err := (patchstrategicmerge.Filter{Patch: patch}).Filter([]*yaml.RNode{n})
	if err != nil {
		return cleanError(err)
	}
	if len(out) == 0 || out[0].IsNilOrEmpty() {
		n.SetYNode(nil)
		return nil
	}
	if out[0] != n {
		n.SetYNode(out[0].YNode())
	}
	return setIdentity(n, kind, name, ns)
}

// setIdentity puts back what a patch changed of an object's kind, name and
// namespace, as strings whatever they look like.
func setIdentity(n *yaml.RNode, kind, name, ns string) error {
	if n.GetKind() != kind {
		if err := n.PipeE(yaml.SetField("kind", yaml.NewStringRNode(kind))); err != nil {
			return err
		}
	}
	if n.GetName() != name {
		if err := n.SetMapField(yaml.NewStringRNode(name), "metadata", "name"); err != nil {
			return err
		}
	}
	if n.GetNamespace() == ns {
		return nil
	}
	if ns == "" {
		return n.SetNamespace("")
	}
	return n.SetMapField(yaml.NewStringRNode(ns), "metadata", "namespace")
}

func withoutDeleted(nodes []*yaml.RNode) []*yaml.RNode {
	out := nodes[:0:0]
	for _, n := range nodes {
		if !n.IsNilOrEmpty() {
			out = append(out, n)
		}
	}
	return out
}

func idOf(n *yaml.RNode) resid.ResId {
	return resid.NewResIdWithNamespace(resid.GvkFromNode(n), n.GetName(), n.GetNamespace())
}

// selectNodes is what a target selects, as kustomize's ResMap.Select: group,
// version, kind, name and namespace as anchored regular expressions, label
// and annotation selectors. Selecting nothing is an error: kustomize skips
// such a target silently, which in a spec is always a mistake (a misspelt
// name, a kind that is not rendered).
func selectNodes(nodes []*yaml.RNode, t *spec.PatchTarget) ([]*yaml.RNode, error) {
	sel := &types.Selector{
		ResId: resid.ResId{
			Gvk:       resid.Gvk{Group: t.Group, Version: t.Version, Kind: t.Kind},
			Name:      t.Name,
			Namespace: t.Namespace,
		},
		LabelSelector:      t.LabelSelector,
		AnnotationSelector: t.AnnotationSelector,
	}
	sr, err := types.NewSelectorRegex(sel)
	if err != nil {
		return nil, err
	}
	byLabel, err := labels.Parse(t.LabelSelector)
	if err != nil {
		return nil, err
	}
	byAnnotation, err := labels.Parse(t.AnnotationSelector)
	if err != nil {
		return nil, err
	}
	var out []*yaml.RNode
	for _, n := range nodes {
		id := idOf(n)
		if sr.MatchNamespace(id.EffectiveNamespace()) && sr.MatchName(id.Name) && sr.MatchGvk(id.Gvk) &&
			byLabel.Matches(labels.Set(n.GetLabels())) && byAnnotation.Matches(labels.Set(n.GetAnnotations())) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the target selects none of the rendered objects (%s)", objectList(nodes))
	}
	return out, nil
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
// patch keeps each object (none deleted, none added) and its identity (the
// objects refer to one another by name, and a directory names its files by
// them), and leaves no field its kind does not have, which is almost always
// a misspelling that kubectl apply would drop or refuse.
func checkObjects(before []*manifest.Tree, after []*yaml.RNode) error {
	if len(after) != len(before) {
		return fmt.Errorf("a patch may not delete an object, and this one deletes %s", missing(before, after))
	}
	for i, n := range after {
		was := before[i]
		if n.GetApiVersion() != was.APIVersion() || n.GetKind() != was.Kind() || n.GetName() != was.Name() || n.GetNamespace() != was.Namespace() {
			return fmt.Errorf("a patch may not change an object's apiVersion, kind, name or namespace: %s %s became %s %s",
				was.Kind(), was.Name(), n.GetKind(), n.GetName())
		}
		typed, err := scheme().New(was.GVK())
		if err != nil {
			continue // not a kind of Kubernetes' own
		}
		b, err := n.MarshalJSON()
		if err != nil {
			return err
		}
		strict, err := sigsjson.UnmarshalStrict(b, typed)
		if err == nil && len(strict) > 0 {
			err = strict[0]
		}
		if err != nil {
			return fmt.Errorf("the patched %s %s is not a valid %s: %s", was.Kind(), was.Name(), was.Kind(), strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	return nil
}

// missing names the objects of before that after lacks, as kind/name.
func missing(before []*manifest.Tree, after []*yaml.RNode) string {
	kept := map[string]bool{}
	for _, n := range after {
		kept[n.GetKind()+"/"+n.GetName()] = true
	}
	var gone []string
	for _, t := range before {
		if id := t.Kind() + "/" + t.Name(); !kept[id] {
			gone = append(gone, id)
		}
	}
	return strings.Join(gone, ", ")
}

// objectList names objects as kind/name, for messages.
func objectList(nodes []*yaml.RNode) string {
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if !n.IsNilOrEmpty() {
			names = append(names, n.GetKind()+"/"+n.GetName())
		}
	}
	return strings.Join(names, ", ")
}

// cleanError keeps the first line of kustomize's messages, without the
// copy of the whole patch some carry: the field path already names the
// patch.
func cleanError(err error) error {
	msg := err.Error()
	for _, marker := range []string{" from [patch: ", " [patch: "} {
		if i := strings.Index(msg, marker); i > 0 {
			msg = msg[:i]
		}
	}
	return errors.New(firstLine(errors.New(msg)))
}

func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return strings.TrimSpace(msg)
}

// invalid is a patch error without the patch repeated as its value.
func invalid(p *field.Path, detail string) *field.Error {
	return &field.Error{Type: field.ErrorTypeInvalid, Field: p.String(), BadValue: field.OmitValueType{}, Detail: detail}
}
