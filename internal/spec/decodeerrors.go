package spec

// The JSON decoder's errors, said in the spec's words: field paths, the
// fields allowed, the kind of value wanted.

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
)

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
