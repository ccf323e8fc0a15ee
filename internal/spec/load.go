package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
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

// toJSONValue converts a YAML node to the value encoding/json would have
// decoded, expanding aliases within budget. Where the Go type t wants a
// string, a scalar keeps its literal text: "cpu: 2", "max_connections: 500"
// and "version: 8.0" mean what they say.
func toJSONValue(n *yaml.Node, path *field.Path, t reflect.Type, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, fmt.Errorf("document expands to more than %d YAML nodes (aliases included)", maxNodes)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return toJSONValue(n.Alias, path, t, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return nil, field.Invalid(path, describeNode(k), "mapping keys must be plain strings (YAML merge keys and complex keys are not supported)")
			}
			v, err := toJSONValue(n.Content[i+1], childPath(path, k.Value), fieldType(t, k.Value), budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := toJSONValue(c, indexPath(path, i), elemType(t), budget)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		if t != nil && t.Kind() == reflect.String && n.Tag != "!!null" {
			return n.Value, nil
		}
		switch n.Tag {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, field.Invalid(path, n.Value, "not a boolean")
			}
			return b, nil
		case "!!int":
			if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
				return i, nil
			}
			return nil, field.Invalid(path, n.Value, "integer out of range")
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, field.Invalid(path, n.Value, "not a number")
			}
			if math.IsInf(f, 0) || math.IsNaN(f) {
				// JSON has no such numbers: say so here, where the
				// line and field are known.
				return nil, field.TypeInvalid(path, n.Value, "must be "+numberWords(t))
			}
			return f, nil
		default:
			return n.Value, nil
		}
	}
	return nil, fmt.Errorf("unexpected YAML node kind %d", n.Kind)
}

// fieldType is the type of the field or map value named key in t, or nil.
func fieldType(t reflect.Type, key string) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil:
		return nil
	case t.Kind() == reflect.Map:
		return elemType(t)
	case t.Kind() == reflect.Struct:
		for i := range t.NumField() {
			if jsonName(t.Field(i)) == key {
				return t.Field(i).Type
			}
		}
	}
	return nil
}

// elemType is the element type of a slice or map (through pointers), or nil.
func elemType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Map) {
		return t.Elem()
	}
	return nil
}

// The decoder's type error names the Go struct; only the JSON path after it
// means anything to a user.
var typeErrorRE = regexp.MustCompile(`cannot unmarshal (.+?) into Go (?:struct field \w+\.(\S+)|value) of type (\S+)`)

func typeError(top *yaml.Node, err error) *field.Error {
	m := typeErrorRE.FindStringSubmatch(err.Error())
	if m == nil {
		return field.InternalError(nil, err)
	}
	p := field.NewPath(m[2])
	if m[2] == "" {
		p = nil
	}
	value := m[1]
	if n := nodeAtPath(top, m[2]); n != nil {
		value = describeNode(n)
	}
	return field.TypeInvalid(p, value, "must be "+goTypeWords(m[3]))
}

// numberWords says what number a field of type t takes.
func numberWords(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64 {
		return goTypeWords("int")
	}
	return "a finite number"
}

func goTypeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "*int"):
		return "a whole number within range"
	case t == "string":
		return "a string"
	case t == "bool", t == "*bool":
		return "true or false"
	case strings.HasPrefix(t, "map["):
		return "a mapping of strings to strings"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	default:
		return "a mapping"
	}
}

// unknownField turns a strict decoding error into a field error that lists
// the fields allowed where the unknown one was found.
func unknownField(se error) *field.Error {
	fe, ok := se.(sigsjson.FieldError)
	if !ok {
		return field.InternalError(nil, se)
	}
	path := fe.FieldPath()
	parent, name := "", path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		parent, name = path[:i], path[i+1:]
	}
	detail := "unknown field"
	if strings.HasPrefix(se.Error(), "duplicate field") {
		detail = "duplicate field"
	} else if allowed := fieldsAt(reflect.TypeFor[MySQLCluster](), parent); len(allowed) > 0 {
		detail = fmt.Sprintf("unknown field %q; allowed here: %s", name, strings.Join(allowed, ", "))
	}
	return field.Forbidden(field.NewPath(path), detail)
}

// fieldsAt lists the JSON field names of the struct at a dotted path.
func fieldsAt(t reflect.Type, path string) []string {
	for _, part := range strings.Split(path, ".") {
		if part == "" {
			continue
		}
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil
		}
		next, found := t, false
		for i := range t.NumField() {
			if jsonName(t.Field(i)) == strings.SplitN(part, "[", 2)[0] {
				next, found = t.Field(i).Type, true
				break
			}
		}
		if !found {
			return nil
		}
		t = next
	}
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for i := range t.NumField() {
		if n := jsonName(t.Field(i)); n != "" && n != "-" {
			names = append(names, n)
		}
	}
	return names
}

func jsonName(f reflect.StructField) string {
	return strings.Split(f.Tag.Get("json"), ",")[0]
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	default:
		return n.Value
	}
}

func scalarAt(m *yaml.Node, key string) string {
	if n := nodeAt(m, key); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// nodeAt follows mapping keys from n.
func nodeAt(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// nodeAtPath follows a field path such as spec.config[key] or a.b[0].c.
func nodeAtPath(n *yaml.Node, path string) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, part := range splitPath(path) {
		if n == nil {
			return nil
		}
		if i, err := strconv.Atoi(part); err == nil && n.Kind == yaml.SequenceNode {
			if i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
			continue
		}
		n = nodeAt(n, part)
	}
	return n
}

// splitPath splits "spec.config[a.b].x[0]" into spec, config, a.b, x, 0.
func splitPath(path string) []string {
	var parts []string
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return append(parts, path[1:])
			}
			parts = append(parts, path[1:end])
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			parts = append(parts, path[:end])
			path = path[end:]
		}
	}
	return parts
}
