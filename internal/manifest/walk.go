package manifest

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The walker reads a typed object into the tree the YAML writer writes,
// straight from its Go value: the tree encoding/json's output would decode
// to (the decoder's pruned tree), without the JSON in between. encoding/json
// works out an encoder for every type an object's type can reach, set or
// not, the first time it meets it: for a StatefulSet that was a third of a
// default render's instructions. The walker looks only at the types of the
// values it meets, and a type it is not sure to treat as encoding/json does
// (a json.Marshaler, a float, a ",string" field, clashing embedded names)
// still goes through encoding/json and the decoder. A test holds the two
// paths equal on every rendered object and on randomly filled API objects.

// typeInfo is what the walker needs to know of a type, worked out once.
type typeInfo struct {
	marshal marshalKind
	viaJSON bool        // a type left to encoding/json
	bytes   bool        // a []byte, written as base64
	fields  []fieldInfo // a struct's fields, embedded ones not yet inlined
}

type marshalKind int

const (
	noMarshal   marshalKind = iota
	marshals                // implements json.Marshaler or encoding.TextMarshaler
	addrMarshal             // its pointer does: used when the value is addressable
)

type fieldInfo struct {
	name      string
	index     int
	omitEmpty bool
	omitZero  bool
	inline    bool // an embedded struct without a name: its fields are promoted
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	isZeroerType      = reflect.TypeFor[interface{ IsZero() bool }]()
)

func (d *decoder) info(t reflect.Type) *typeInfo {
	if ti, ok := d.types[t]; ok {
		return ti
	}
	ti := &typeInfo{}
	d.types[t] = ti // a recursive type finds itself here while its fields are read
	switch {
	case t.Kind() != reflect.Interface && (t.Implements(marshalerType) || t.Implements(textMarshalerType)):
		ti.marshal = marshals
	case t.Kind() != reflect.Pointer && (reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)):
		ti.marshal = addrMarshal
	}
	switch t.Kind() {
	case reflect.Slice:
		e := t.Elem()
		ti.bytes = e.Kind() == reflect.Uint8 && !reflect.PointerTo(e).Implements(marshalerType) && !reflect.PointerTo(e).Implements(textMarshalerType)
	case reflect.Struct:
		ti.fields, ti.viaJSON = d.structFields(t)
	}
	return ti
}

// structFields reads a struct's json tags. It gives up (viaJSON) on what
// only encoding/json's full rules decide: ",string", unexported embedded
// structs, and names that clash once embedded structs are inlined.
func (d *decoder) structFields(t reflect.Type) ([]fieldInfo, bool) {
	var fields []fieldInfo
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			if !sf.IsExported() || d.info(ft).viaJSON {
				return nil, true
			}
			fields = append(fields, fieldInfo{index: i, inline: true})
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if !validTagName(name) {
			name = sf.Name
		}
		f := fieldInfo{name: name, index: i}
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "omitempty":
				f.omitEmpty = true
			case "omitzero":
				f.omitZero = true
			case "string":
				return nil, true
			}
		}
		fields = append(fields, f)
	}
	seen := map[string]bool{}
	if !d.uniqueNames(fields, t, seen) {
		return nil, true
	}
	return fields, false
}

// uniqueNames reports whether the names of fields, embedded ones inlined,
// are all different.
func (d *decoder) uniqueNames(fields []fieldInfo, t reflect.Type, seen map[string]bool) bool {
	for _, f := range fields {
		if f.inline {
			ft := t.Field(f.index).Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if !d.uniqueNames(d.info(ft).fields, ft, seen) {
				return false
			}
			continue
		}
		if seen[f.name] {
			return false
		}
		seen[f.name] = true
	}
	return true
}

// validTagName is encoding/json's test of a tag's name.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// fromObject is the tree of obj, without its status.
func (d *decoder) fromObject(obj any) (Map, error) {
	d.pairs = d.pairs[:0]
	v, err := d.walk(reflect.ValueOf(obj))
	if err != nil {
		return nil, err
	}
	m, ok := v.(Map)
	if !ok {
		return nil, fmt.Errorf("not an object but %T", v)
	}
	return m.without("status"), nil
}

func (d *decoder) walk(v reflect.Value) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	ti := d.info(v.Type())
	if ti.marshal == marshals || ti.marshal == addrMarshal && v.CanAddr() {
		if k := v.Kind(); (k == reflect.Pointer || k == reflect.Interface) && v.IsNil() {
			return nil, nil
		}
		return d.viaJSON(v)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return d.walk(v.Elem())
	case reflect.Struct:
		if ti.viaJSON {
			return d.viaJSON(v)
		}
		start := len(d.pairs)
		if err := d.fields(v, ti); err != nil {
			return nil, err
		}
		return d.mappingFrom(start), nil
	case reflect.String:
		if s := v.String(); utf8.ValidString(s) {
			return s, nil
		}
		return d.viaJSON(v) // encoding/json replaces invalid bytes
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return number(float64(v.Int())), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return number(float64(v.Uint())), nil
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		if ti.bytes {
			return base64.StdEncoding.EncodeToString(v.Bytes()), nil
		}
		return d.items(v)
	case reflect.Array:
		return d.items(v)
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		if v.Type().Key().Kind() != reflect.String {
			return d.viaJSON(v)
		}
		start := len(d.pairs)
		for it := v.MapRange(); it.Next(); {
			if !utf8.ValidString(it.Key().String()) {
				d.pairs = d.pairs[:start]
				return d.viaJSON(v)
			}
			x, err := d.walk(it.Value())
			if err != nil {
				return nil, err
			}
			d.keep(it.Key().String(), x)
		}
		slices.SortFunc(d.pairs[start:], func(a, b Pair) int { return strings.Compare(a.Key, b.Key) })
		return d.mappingFrom(start), nil
	}
	// Floats (formatted by their size), and what encoding/json refuses.
	return d.viaJSON(v)
}

// fields reads a struct's fields onto the pairs stack, embedded ones inlined.
func (d *decoder) fields(v reflect.Value, ti *typeInfo) error {
	for _, f := range ti.fields {
		fv := v.Field(f.index)
		if f.inline {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if err := d.fields(fv, d.info(fv.Type())); err != nil {
				return err
			}
			continue
		}
		if f.omitEmpty && isEmptyValue(fv) || f.omitZero && isZeroValue(fv) {
			continue
		}
		x, err := d.walk(fv)
		if err != nil {
			return err
		}
		// omitempty cannot leave out a struct in encoding/json; a struct
		// that is empty once its nulls are gone (metadata: {}, resources:
		// {}) is left out as omitzero would. A pointer to an empty struct
		// (emptyDir: {}, a selector: {}) and a struct without the option
		// are kept: they say something.
		if (f.omitEmpty || f.omitZero) && fv.Kind() == reflect.Struct && isEmptyMap(x) {
			continue
		}
		if f.name == "volumeClaimTemplates" {
			withoutStatus(x)
		}
		d.keep(f.name, x)
	}
	return nil
}

func (d *decoder) items(v reflect.Value) (any, error) {
	l := make([]any, v.Len())
	for i := range l {
		x, err := d.walk(v.Index(i))
		if err != nil {
			return nil, err
		}
		l[i] = x
	}
	return l, nil
}

// viaJSON is the tree of v through encoding/json and the decoder.
func (d *decoder) viaJSON(v reflect.Value) (any, error) {
	x := v.Interface()
	if v.CanAddr() {
		x = v.Addr().Interface() // so that encoding/json sees it addressable too
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // escaped or not, it decodes to the same strings
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	return d.decodeJSON(&buf)
}

// isEmptyValue is encoding/json's omitempty test.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZeroValue is encoding/json's omitzero test: the type's IsZero method
// where it has one, else the zero value.
func isZeroValue(v reflect.Value) bool {
	t := v.Type()
	switch {
	case t.Implements(isZeroerType):
		if (t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface) && v.IsNil() {
			return true
		}
		return v.Interface().(interface{ IsZero() bool }).IsZero()
	case t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(isZeroerType):
		if !v.CanAddr() {
			c := reflect.New(t).Elem()
			c.Set(v)
			v = c
		}
		return v.Addr().Interface().(interface{ IsZero() bool }).IsZero()
	}
	return v.IsZero()
}

func isEmptyMap(v any) bool {
	m, ok := v.(Map)
	return ok && len(m) == 0
}
