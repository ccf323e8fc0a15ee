package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
)

// Limits that keep a hostile spec from costing more than a real one ever would.
const (
	// MaxSpecBytes bounds one input; a real spec is a few KiB.
	MaxSpecBytes = 1 << 20
	// maxNodes bounds the YAML nodes one document may expand to, aliases
	// included, against "billion laughs" documents.
	maxNodes = 100_000
)

// Document is one loaded spec and where it came from, so that errors found
// later (by Validate) can still name the file and line.
type Document struct {
	Cluster *MySQLCluster
	Source  string
	root    *yaml.Node
}

// Load reads every MySQLCluster document of one input strictly: YAML syntax,
// duplicate keys, unknown fields, wrong types, apiVersion and kind are errors,
// reported with their field paths and lines. It neither defaults nor validates.
func Load(r io.Reader, source string) ([]*Document, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSpecBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading: %w", source, err)
	}
	if len(data) > MaxSpecBytes {
		return nil, fmt.Errorf("%s: input is larger than %d bytes; a spec is a few KiB", source, MaxSpecBytes)
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, fmt.Errorf("%s: input is binary (it holds a NUL byte), expected a YAML %s document", source, Kind)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*Document
	for {
		var root yaml.Node
		if err := dec.Decode(&root); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, yamlError(source, data, err)
		}
		if isEmptyDocument(&root) {
			continue // a stray "---" or a comment-only document
		}
		doc, err := decodeDocument(&root, source)
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: empty input: expected a %s document (apiVersion: %s)", source, Kind, APIVersion)
	}
	return docs, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError puts the parser's line where the other errors put theirs.
func yamlError(source string, data []byte, err error) error {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		hint := ""
		if line, _ := strconv.Atoi(m[1]); line > 0 && bytes.Contains(nthLine(data, line), []byte("\t")) {
			hint = " (a tab: YAML indents with spaces only)"
		}
		return fmt.Errorf("%s:%s: invalid YAML: %s%s", source, m[1], m[2], hint)
	}
	return fmt.Errorf("%s: invalid YAML: %s", source, strings.TrimPrefix(err.Error(), "yaml: "))
}

// nthLine returns line n (1-based) of data.
func nthLine(data []byte, n int) []byte {
	lines := bytes.SplitN(data, []byte("\n"), n+1)
	if n > len(lines) {
		return nil
	}
	return lines[n-1]
}

func isEmptyDocument(root *yaml.Node) bool {
	if root.Kind == 0 {
		return true
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		n := root.Content[0]
		return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
	}
	return false
}

func decodeDocument(root *yaml.Node, source string) (*Document, error) {
	d := &Document{Source: source, root: root}
	top := root
	if top.Kind == yaml.DocumentNode {
		top = top.Content[0]
	}
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: expected a %s document (a mapping with apiVersion, kind, metadata and spec), found %s",
			source, top.Line, Kind, describeNode(top))
	}
	var errs field.ErrorList
	errs = append(errs, checkDuplicateKeys(top, nil)...)
	if len(errs) > 0 {
		return nil, d.Annotate(errs)
	}
	apiVersion, kind := scalarAt(top, "apiVersion"), scalarAt(top, "kind")
	errs = append(errs, checkIdentity(field.NewPath("apiVersion"), apiVersion, APIVersion)...)
	errs = append(errs, checkIdentity(field.NewPath("kind"), kind, Kind)...)
	if len(errs) > 0 {
		return nil, d.Annotate(errs)
	}
	budget := maxNodes
	value, err := toJSONValue(top, nil, reflect.TypeFor[MySQLCluster](), &budget)
	if err != nil {
		var fe *field.Error
		if errors.As(err, &fe) {
			return nil, d.Annotate(field.ErrorList{fe})
		}
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	raw, err := json.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	cluster := &MySQLCluster{}
	strictErrs, err := sigsjson.UnmarshalStrict(raw, cluster)
	if err != nil {
		return nil, d.Annotate(field.ErrorList{typeError(top, err)})
	}
	for _, se := range strictErrs {
		errs = append(errs, unknownField(se))
	}
	if len(errs) > 0 {
		// Whatever else is wrong is worth knowing in the same run.
		SetDefaults(cluster)
		return nil, d.Annotate(append(errs, Validate(cluster)...))
	}
	dropFunctionAnnotations(&cluster.Metadata)
	d.Cluster = cluster
	return d, nil
}

func checkIdentity(p *field.Path, got, want string) field.ErrorList {
	switch got {
	case want:
		return nil
	case "":
		return field.ErrorList{field.Required(p, "must be "+want)}
	}
	return field.ErrorList{field.NotSupported(p, got, []string{want})}
}

// checkDuplicateKeys reports keys given twice in one mapping: YAML forbids
// them, and silently keeping one would hide a mistake.
func checkDuplicateKeys(n *yaml.Node, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			child := childPath(path, k)
			if line, dup := seen[k]; dup {
				errs = append(errs, field.Duplicate(child, fmt.Sprintf("%s (first given at line %d)", k, line)))
				continue
			}
			seen[k] = n.Content[i].Line
			errs = append(errs, checkDuplicateKeys(n.Content[i+1], child)...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			errs = append(errs, checkDuplicateKeys(c, indexPath(path, i))...)
		}
	}
	return errs
}

func childPath(p *field.Path, key string) *field.Path {
	if p == nil {
		return field.NewPath(key)
	}
	return p.Child(key)
}

func indexPath(p *field.Path, i int) *field.Path {
	if p == nil {
		return field.NewPath("").Index(i)
	}
	return p.Index(i)
}
