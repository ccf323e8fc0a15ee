package spec

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Patch changes the rendered objects after rendering, as an entry of a
// kustomization's patches: does, and with the same kustomize code: the escape
// hatch for any field the spec does not cover.
type Patch struct {
	// Patch is the patch, in YAML or JSON: a partial object (a strategic-merge
	// patch) or a list of operations (a JSON 6902 patch, which needs a
	// target).
	Patch string `json:"patch"`
	// Target selects the objects to patch; every field given must match, and
	// group, version, kind, name and namespace are regular expressions. A
	// strategic-merge patch without a target patches the object named by its
	// own apiVersion, kind and metadata.name.
	Target *PatchTarget `json:"target,omitempty"`
}

// PatchTarget selects rendered objects, as a kustomization patch's target.
type PatchTarget struct {
	// Group of the objects' API, such as apps; empty for the core group.
	Group string `json:"group,omitempty"`
	// Version of the objects' API, such as v1.
	Version string `json:"version,omitempty"`
	// Kind of the objects, such as StatefulSet.
	Kind string `json:"kind,omitempty"`
	// Name of the objects.
	Name string `json:"name,omitempty"`
	// Namespace of the objects.
	Namespace string `json:"namespace,omitempty"`
	// LabelSelector selects by label, as kubectl -l does (app=x,tier!=y).
	LabelSelector string `json:"labelSelector,omitempty"`
	// AnnotationSelector selects by annotation, with the same syntax.
	AnnotationSelector string `json:"annotationSelector,omitempty"`
}

// MaxPatches bounds spec.patches: each costs a few milliseconds of
// kustomize's time, and a spec that needs more wants a kustomization.
const MaxPatches = 100

// JSON 6902 operations, and whether each needs a value or a from.
var jsonPatchOps = map[string]struct{ value, from bool }{
	"add":     {value: true},
	"remove":  {},
	"replace": {value: true},
	"move":    {from: true},
	"copy":    {from: true},
	"test":    {value: true},
}

// validatePatches checks the shape of each patch: that it parses, is one
// kind of patch or the other, and can find its objects. Whether it applies
// is known only once the objects are rendered (internal/patch).
func validatePatches(patches []Patch, p *field.Path) field.ErrorList {
	if len(patches) > MaxPatches {
		return field.ErrorList{field.TooMany(p, len(patches), MaxPatches)}
	}
	var errs field.ErrorList
	for i := range patches {
		errs = append(errs, validatePatch(&patches[i], p.Index(i))...)
	}
	return errs
}

func validatePatch(pt *Patch, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if pt.Target != nil {
		errs = append(errs, validatePatchTarget(pt.Target, p.Child("target"))...)
	}
	if strings.TrimSpace(pt.Patch) == "" {
		return append(errs, field.Required(p.Child("patch"), "a strategic-merge patch (a partial object) or a JSON 6902 patch (a list of operations)"))
	}
	docs, err := decodePatchDocuments(pt.Patch)
	if err != nil {
		return append(errs, patchInvalid(p.Child("patch"), "must be a strategic-merge patch (a partial object) or a JSON 6902 patch (a list of operations), in YAML or JSON: "+err.Error()))
	}
	if docs[0].Kind == yaml.SequenceNode {
		if len(docs) > 1 {
			return append(errs, patchInvalid(p.Child("patch"), "a JSON 6902 patch is one list of operations, not several documents"))
		}
		if pt.Target == nil {
			errs = append(errs, field.Required(p.Child("target"), "a JSON 6902 patch needs a target to select the objects it patches"))
		}
		return append(errs, validateJSONPatch(docs[0], p.Child("patch"))...)
	}
	for i, d := range docs {
		what := "the patch"
		if len(docs) > 1 {
			what = fmt.Sprintf("document %d of the patch", i+1)
		}
		if d.Kind != yaml.MappingNode {
			errs = append(errs, patchInvalid(p.Child("patch"), fmt.Sprintf("%s must be a partial object (a strategic-merge patch) or a list of operations (a JSON 6902 patch), not %s", what, describeNode(d))))
			continue
		}
		// kustomize reads a strategic-merge patch as an object: it needs a
		// kind and a name even when a target selects the objects, and the
		// apiVersion too when its identity is what selects them.
		need, why := [][]string{{"kind"}, {"metadata", "name"}}, "kustomize reads it as an object (with a target, the name need not match)"
		if pt.Target == nil {
			need, why = [][]string{{"apiVersion"}, {"kind"}, {"metadata", "name"}}, "with no target, they name the object it patches"
		}
		var missing []string
		for _, k := range need {
			if n := nodeAt(d, k...); n == nil || n.Kind != yaml.ScalarNode || n.Value == "" {
				missing = append(missing, strings.Join(k, "."))
			}
		}
		if len(missing) > 0 {
			errs = append(errs, patchInvalid(p.Child("patch"), fmt.Sprintf("%s lacks %s: %s", what, strings.Join(missing, ", "), why)))
		}
	}
	if pt.Target != nil && len(docs) > 1 {
		errs = append(errs, patchInvalid(p.Child("patch"), "a patch with a target must be a single strategic-merge patch; give each document a patches entry of its own"))
	}
	return errs
}

// decodePatchDocuments parses every YAML (or JSON) document of a patch,
// skipping empty ones; it never returns an empty list without an error.
func decodePatchDocuments(s string) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(s))
	var docs []*yaml.Node
	for {
		var root yaml.Node
		if err := dec.Decode(&root); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if isEmptyDocument(&root) {
			continue
		}
		n := root.Content[0]
		if hasAlias(n) {
			// kustomize would expand them: a few lines could become gigabytes.
			return nil, errors.New("YAML anchors, aliases and merge keys are not supported in patches")
		}
		docs = append(docs, n)
	}
	if len(docs) == 0 {
		return nil, errors.New("it holds no document")
	}
	return docs, nil
}

func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" || n.Tag == "!!merge" {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

// validateJSONPatch checks each operation of a JSON 6902 patch (RFC 6902).
func validateJSONPatch(list *yaml.Node, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(list.Content) == 0 {
		return field.ErrorList{patchInvalid(p, "the JSON 6902 patch has no operations")}
	}
	ops := slices.Sorted(func(yield func(string) bool) {
		for k := range jsonPatchOps {
			if !yield(k) {
				return
			}
		}
	})
	for i, op := range list.Content {
		where := fmt.Sprintf("operation %d", i+1)
		if op.Kind != yaml.MappingNode {
			errs = append(errs, patchInvalid(p, fmt.Sprintf("%s must be a mapping with op and path, not %s", where, describeNode(op))))
			continue
		}
		name := scalarAt(op, "op")
		rule, known := jsonPatchOps[name]
		if !known {
			errs = append(errs, patchInvalid(p, fmt.Sprintf("%s: op %q is not one of %s", where, name, strings.Join(ops, ", "))))
			continue
		}
		if path := nodeAt(op, "path"); path == nil || path.Kind != yaml.ScalarNode || !strings.HasPrefix(path.Value, "/") {
			errs = append(errs, patchInvalid(p, fmt.Sprintf("%s (%s): path must be a JSON pointer such as /spec/replicas", where, name)))
		}
		if from := nodeAt(op, "from"); rule.from && (from == nil || from.Kind != yaml.ScalarNode || !strings.HasPrefix(from.Value, "/")) {
			errs = append(errs, patchInvalid(p, fmt.Sprintf("%s (%s): from must be a JSON pointer such as /metadata/labels/a", where, name)))
		}
		if rule.value && nodeAt(op, "value") == nil {
			errs = append(errs, patchInvalid(p, fmt.Sprintf("%s (%s): needs a value", where, name)))
		}
	}
	return errs
}

func validatePatchTarget(t *PatchTarget, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct{ name, value string }{
		{"group", t.Group}, {"version", t.Version}, {"kind", t.Kind}, {"name", t.Name}, {"namespace", t.Namespace},
	} {
		if _, err := regexp.Compile(f.value); err != nil {
			errs = append(errs, field.Invalid(p.Child(f.name), f.value, "must be a regular expression: "+strings.TrimPrefix(err.Error(), "error parsing regexp: ")))
		}
	}
	for _, f := range []struct{ name, value string }{
		{"labelSelector", t.LabelSelector}, {"annotationSelector", t.AnnotationSelector},
	} {
		if _, err := labels.Parse(f.value); err != nil {
			errs = append(errs, field.Invalid(p.Child(f.name), f.value, "must be a selector such as app=x,tier!=y: "+err.Error()))
		}
	}
	return errs
}

// patchInvalid reports a problem inside a patch without repeating the whole
// patch as the bad value.
func patchInvalid(p *field.Path, detail string) *field.Error {
	return &field.Error{Type: field.ErrorTypeInvalid, Field: p.String(), BadValue: field.OmitValueType{}, Detail: detail}
}
