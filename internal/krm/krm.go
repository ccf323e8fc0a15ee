// Package krm runs mysqlgen as a KRM function (the Kubernetes Resource Model
// Functions Specification, kustomize's functions-spec.md): it reads a
// ResourceList whose functionConfig is a MySQLCluster spec and writes it back
// with the cluster's objects appended to its items, so that a kustomization
// can list a spec under generators:. Invalid specs come back as results of
// severity error, with their field paths.
package krm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/output"
	"github.com/mysqlgen/mysqlgen/internal/pipeline"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// The ResourceList's identity, in the versions function runners send.
const (
	resourceListKind = "ResourceList"
	apiVersionV1     = "config.kubernetes.io/v1"
	apiVersionAlpha1 = "config.kubernetes.io/v1alpha1"
)

// IsResourceList reports whether data's first YAML document is a KRM
// ResourceList, which is how mysqlgen run with no command tells a function
// runner from a user.
func IsResourceList(data []byte) bool {
	var head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
	}
	if err := yaml3.NewDecoder(bytes.NewReader(data)).Decode(&head); err != nil {
		return false
	}
	return head.Kind == resourceListKind && (head.APIVersion == apiVersionV1 || head.APIVersion == apiVersionAlpha1)
}

// Error is a function config that could not be rendered: the results the
// ResourceList carries, one line each for a human.
type Error struct {
	Results framework.Results
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Results))
	for i, r := range e.Results {
		var b strings.Builder
		b.WriteString("functionConfig")
		if ref := r.ResourceRef; ref != nil && ref.Kind != "" {
			fmt.Fprintf(&b, " %s/%s", ref.Kind, ref.Name)
		}
		if r.Field != nil && r.Field.Path != "" {
			b.WriteString(": " + r.Field.Path)
		}
		b.WriteString(": " + r.Message)
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}

// Run reads a ResourceList from in and writes the ResourceList to out: its
// items unchanged, followed by the objects of the cluster its functionConfig
// specifies, in kustomize's legacy order. When the spec is invalid, out gets
// the items unchanged and the results, and Run returns an *Error.
func Run(in io.Reader, out io.Writer) error {
	rw := &kio.ByteReadWriter{
		Reader: in,
		Writer: out,
		// Pass the items through as they came: add no index annotations of
		// our own, and strip none of the runner's.
		OmitReaderAnnotations: true,
		KeepReaderAnnotations: true,
	}
	return executeGuarded(rw)
}

// executeGuarded runs the framework, turning a panic in kyaml on malformed
// input (its node getters index mappings without checking them) into an
// error: mysqlgen never panics on what it is given.
func executeGuarded(rw *kio.ByteReadWriter) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed ResourceList: %v", r)
		}
	}()
	return framework.Execute(framework.ResourceListProcessorFunc(process), rw)
}

func process(rl *framework.ResourceList) error {
	if results := duplicateKeys(rl.Items); len(results) > 0 {
		rl.Results = append(rl.Results, results...)
		return &Error{Results: results}
	}
	trees, results := renderConfig(rl.FunctionConfig)
	if len(results) > 0 {
		rl.Results = append(rl.Results, results...)
		return &Error{Results: results}
	}
	// The trees become kyaml nodes directly: no YAML text in between.
	for _, t := range trees {
		rl.Items = append(rl.Items, manifest.ToRNode(t))
	}
	return nil
}

// renderConfig runs the function config through the pipeline, as mysqlgen
// render does a spec file.
func renderConfig(cfg *yaml.RNode) ([]*manifest.Tree, framework.Results) {
	if cfg == nil || cfg.IsNilOrEmpty() {
		return nil, framework.Results{{
			Severity: framework.Error,
			Message:  fmt.Sprintf("no functionConfig: mysqlgen needs a %s spec (apiVersion: %s) as its function config", spec.Kind, spec.APIVersion),
		}}
	}
	ref, file := identify(cfg)
	// The spec is read as the user wrote it (spec.Load keeps its lines for
	// messages): the runner's YAML, not text mysqlgen wrote.
	text, err := cfg.String()
	if err != nil {
		return nil, framework.Results{{Severity: framework.Error, Message: err.Error(), ResourceRef: ref, File: file}}
	}
	docs, errs := pipeline.Load([]pipeline.Source{pipeline.Reader("functionConfig", strings.NewReader(text))})
	if len(errs) == 0 && len(docs) != 1 {
		errs = []error{fmt.Errorf("functionConfig holds %d documents, expected one %s", len(docs), spec.Kind)}
	}
	if len(errs) > 0 {
		return nil, toResults(errs, ref, file)
	}
	trees, errs := pipeline.Render(docs, pipeline.Options{Order: output.OrderLegacy})
	if len(errs) > 0 {
		return nil, toResults(errs, ref, file)
	}
	return trees, nil
}

// identify names the function config for results: its identity, and its
// file when the runner says (kpt does, in the path annotations).
func identify(cfg *yaml.RNode) (*yaml.ResourceIdentifier, *framework.File) {
	// kyaml's getters index mappings and panic on a list or a scalar where
	// they expect one (a functionConfig that is a list, metadata that is a
	// list); spec.Load says what is wrong with those, so read only mappings.
	n := cfg.YNode()
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	ref := &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: scalarAt(n, "apiVersion"), Kind: scalarAt(n, "kind")},
		NameMeta: yaml.NameMeta{Name: scalarAt(n, "metadata", "name"), Namespace: scalarAt(n, "metadata", "namespace")},
	}
	for _, k := range []string{"internal.config.kubernetes.io/path", "config.kubernetes.io/path"} {
		if p := scalarAt(n, "metadata", "annotations", k); p != "" {
			return ref, &framework.File{Path: p}
		}
	}
	return ref, nil
}

// scalarAt follows mapping keys from n to a scalar, or returns "".
func scalarAt(n *yaml.Node, keys ...string) string {
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return ""
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return ""
		}
		n = next
	}
	if n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func toResults(errs []error, ref *yaml.ResourceIdentifier, file *framework.File) framework.Results {
	var results framework.Results
	for _, err := range errs {
		var se *spec.Error
		if errors.As(err, &se) {
			results = append(results, problemResults(se, ref, file)...)
			continue
		}
		results = append(results, &framework.Result{Severity: framework.Error, Message: strings.TrimPrefix(err.Error(), "functionConfig: "), ResourceRef: ref, File: file})
	}
	return results
}

// problemResults are a spec's problems as results, as many as the CLI
// prints: a hostile spec can hold tens of thousands, and a ResourceList of
// them helps no one. The last result says how many more there were.
func problemResults(se *spec.Error, ref *yaml.ResourceIdentifier, file *framework.File) framework.Results {
	n := min(len(se.Problems), spec.MaxPrintedErrors)
	errs := make(field.ErrorList, n)
	for i := range n {
		errs[i] = se.Problems[i].Err
	}
	results := fieldResults(errs, ref, file)
	if more := len(se.Problems) - n; more > 0 {
		results = append(results, &framework.Result{Severity: framework.Error, Message: fmt.Sprintf("and %d more errors", more), ResourceRef: ref, File: file})
	}
	return results
}

func fieldResults(errs field.ErrorList, ref *yaml.ResourceIdentifier, file *framework.File) framework.Results {
	results := make(framework.Results, 0, len(errs))
	for _, fe := range errs {
		r := &framework.Result{Severity: framework.Error, Message: fe.ErrorBody(), ResourceRef: ref, File: file}
		if fe.Field != "" && fe.Field != "<nil>" {
			r.Field = &framework.Field{Path: fe.Field}
			if fe.Type != field.ErrorTypeRequired && fe.Type != field.ErrorTypeForbidden {
				switch v := fe.BadValue.(type) {
				case string, bool, int, int32, int64, float64:
					r.Field.CurrentValue = v
				}
			}
		}
		results = append(results, r)
	}
	return results
}
