package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mysqlgen/mysqlgen/internal/golden"
)

// The schema is generated here, at test time, and committed as schema.json,
// which the binary embeds: the program does not parse its own source to
// describe itself, and a review sees every change of the schema as a diff.

// typeSources are the spec's Go files read for their doc comments: they
// become the schema's descriptions, so that an editor shows the same words
// as the code.
var typeSources = []string{"types.go", "types_backup.go", "patches.go"}

// TestSchemaIsFresh fails when schema.json is not what the types, their
// doc comments and the validation tables give; go test -update rewrites it.
func TestSchemaIsFresh(t *testing.T) {
	got, err := generateSchema()
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "schema.json", got)
}

// SchemaDraft is the JSON Schema dialect of the schema: draft-07, which every
// editor's YAML support (yaml-language-server among them) understands.
const SchemaDraft = "http://json-schema.org/draft-07/schema#"

// Schema is a JSON Schema, the part of it the generator writes.
type Schema struct {
	Schema               string             `json:"$schema,omitempty"`
	Title                string             `json:"title,omitempty"`
	Description          string             `json:"description,omitempty"`
	Type                 any                `json:"type,omitempty"`
	Const                any                `json:"const,omitempty"`
	Enum                 []any              `json:"enum,omitempty"`
	Default              any                `json:"default,omitempty"`
	Minimum              *int64             `json:"minimum,omitempty"`
	Maximum              *int64             `json:"maximum,omitempty"`
	MinLength            *int64             `json:"minLength,omitempty"`
	MaxLength            *int64             `json:"maxLength,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties any                `json:"additionalProperties,omitempty"`
	PropertyNames        *Schema            `json:"propertyNames,omitempty"`
	PatternProperties    map[string]*Schema `json:"patternProperties,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	UniqueItems          bool               `json:"uniqueItems,omitempty"`
	AnyOf                []*Schema          `json:"anyOf,omitempty"`
	AllOf                []*Schema          `json:"allOf,omitempty"`
	Not                  *Schema            `json:"not,omitempty"`
	If                   *Schema            `json:"if,omitempty"`
	Then                 *Schema            `json:"then,omitempty"`
	Else                 *Schema            `json:"else,omitempty"`
}

// scalarText is the schema of a Go string: the loader takes any scalar's
// literal text where a string is wanted (version: 8.0, cpu: 2, a config
// value of 500 or ON), so the schema must too.
var scalarText = []string{"string", "number", "boolean"}

// generateSchema generates the JSON Schema of a MySQLCluster document from
// the Go types, by reflection: field names and types from the types and
// their json tags, descriptions from their doc comments (and, for the
// Kubernetes types a spec embeds, from their SwaggerDoc). Unknown fields are
// refused, as the loader refuses them.
func generateSchema() ([]byte, error) {
	docs, err := parseDocComments()
	if err != nil {
		return nil, err
	}
	g := &schemaGenerator{docs: docs, visiting: map[reflect.Type]bool{}}
	root := g.schemaOf(reflect.TypeFor[MySQLCluster](), "")
	root.Schema = SchemaDraft
	root.Title = Kind
	root.Description = fmt.Sprintf("A mysqlgen spec (%s %s): `mysqlgen render -f` renders it. %s", APIVersion, Kind, root.Description)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type schemaGenerator struct {
	docs     map[string]string // "Type" and "Type.Field" to doc comment
	visiting map[reflect.Type]bool
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	swaggerDocer  = reflect.TypeFor[interface{ SwaggerDoc() map[string]string }]()
)

func (g *schemaGenerator) schemaOf(t reflect.Type, path string) *Schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	s := &Schema{}
	switch {
	case t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler):
		// A type with its own encoding (a quantity, an int-or-string):
		// its Go fields say nothing of its JSON.
		s.Type = append(slices.Clone(scalarText), "object", "array")
	case t.Kind() == reflect.String:
		s.Type = scalarText
	case t.Kind() == reflect.Bool:
		s.Type = "boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s.Type = "integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s.Type = "number"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		s.Type = "array"
		s.Items = g.schemaOf(t.Elem(), path+"[]")
	case t.Kind() == reflect.Map:
		s.Type = "object"
		s.AdditionalProperties = g.schemaOf(t.Elem(), path+"[]")
	case t.Kind() == reflect.Struct:
		g.structSchema(s, t, path)
	}
	if refine := typeRefinements[t.Name()]; refine != nil && t.PkgPath() == reflect.TypeFor[MySQLCluster]().PkgPath() {
		refine(s)
	}
	if refine := schemaRefinements[path]; refine != nil {
		refine(s)
	}
	return s
}

// allowNull lets an optional field be given empty ("storage:"), which the
// loader takes as not given.
func allowNull(s *Schema) {
	switch t := s.Type.(type) {
	case string:
		s.Type = []string{t, "null"}
	case []string:
		s.Type = append(slices.Clone(t), "null")
	}
	if s.Enum != nil {
		s.Enum = append(s.Enum, nil)
	}
}

func (g *schemaGenerator) structSchema(s *Schema, t reflect.Type, path string) {
	s.Type = "object"
	s.AdditionalProperties = false
	if g.visiting[t] {
		return // a recursive type: stop here rather than loop
	}
	g.visiting[t] = true
	defer delete(g.visiting, t)
	s.Description = g.typeDoc(t)
	s.Properties = map[string]*Schema{}
	var swagger map[string]string
	if t.Implements(swaggerDocer) {
		swagger = reflect.Zero(t).Interface().(interface{ SwaggerDoc() map[string]string }).SwaggerDoc()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			// An inlined struct: its fields are this object's.
			inner := &Schema{}
			g.structSchema(inner, f.Type, path)
			for k, v := range inner.Properties {
				s.Properties[k] = v
			}
			s.Required = append(s.Required, inner.Required...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		child := path + "." + name
		if path == "" {
			child = name
		}
		fs := g.schemaOf(f.Type, child)
		if d := g.fieldDoc(t, f, swagger, name); d != "" {
			fs.Description = d
		}
		s.Properties[name] = fs
		if isRequired(f, opts, fs) {
			s.Required = append(s.Required, name)
		} else {
			allowNull(fs)
		}
	}
	if len(s.Properties) == 0 {
		s.Properties = nil
	}
}

// isRequired follows the loader: a field without omitempty must be given,
// unless it is an object that requires nothing (spec: may be left out).
func isRequired(f reflect.StructField, opts string, fs *Schema) bool {
	if slices.Contains(strings.Split(opts, ","), "omitempty") {
		return false
	}
	switch f.Type.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice:
		return false
	case reflect.Struct:
		return len(fs.Required) > 0
	}
	return true
}

func (g *schemaGenerator) typeDoc(t reflect.Type) string {
	if t.PkgPath() == reflect.TypeFor[MySQLCluster]().PkgPath() {
		return g.docs[t.Name()]
	}
	if t.Implements(swaggerDocer) {
		return paragraphs(reflect.Zero(t).Interface().(interface{ SwaggerDoc() map[string]string }).SwaggerDoc()[""])
	}
	return ""
}

func (g *schemaGenerator) fieldDoc(t reflect.Type, f reflect.StructField, swagger map[string]string, name string) string {
	if t.PkgPath() == reflect.TypeFor[MySQLCluster]().PkgPath() {
		if d := g.docs[t.Name()+"."+f.Name]; d != "" {
			return d
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		return g.typeDoc(ft)
	}
	return paragraphs(swagger[name])
}

// parseDocComments reads the doc comments of the spec's types and fields.
func parseDocComments() (map[string]string, error) {
	docs := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range typeSources {
		src, err := os.ReadFile(filepath.Clean(name))
		if err != nil {
			return nil, err
		}
		file, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("reading the spec's doc comments: %w", err)
		}
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				docs[ts.Name.Name] = paragraphs(doc.Text())
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, f := range st.Fields.List {
					text := f.Doc.Text()
					if text == "" {
						text = f.Comment.Text()
					}
					for _, n := range f.Names {
						docs[ts.Name.Name+"."+n.Name] = paragraphs(text)
					}
				}
			}
		}
	}
	return docs, nil
}

// paragraphs joins the lines of each paragraph of a comment.
func paragraphs(text string) string {
	var out []string
	for _, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n\n")
}

func toAny[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
