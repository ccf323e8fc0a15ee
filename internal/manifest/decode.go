package manifest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"

	"github.com/go-json-experiment/json/jsontext"
)

// decoder builds the tree the YAML writer writes, from a typed object (the
// walker, walk.go) or from JSON (what a json.Marshaler writes), pruned as it
// goes: no nulls, no status, integers as int64, each mapping's keys in the
// writer's order. Keys and short values read from JSON are interned, so the
// strings every object repeats are allocated once per worker, and the order
// of a key sequence is worked out once and remembered.
type decoder struct {
	dec     jsontext.Decoder
	strings map[string]string
	orders  map[string][]int // keys as read, NUL-terminated -> their order
	types   map[reflect.Type]*typeInfo
	pairs   []Pair // the open mappings' pairs, innermost last
	id      []byte
	unquote []byte
}

func newDecoder() *decoder {
	return &decoder{strings: map[string]string{}, orders: map[string][]int{}, types: map[reflect.Type]*typeInfo{}}
}

// maxInterned bounds the strings kept: longer ones (scripts, commands) are
// rarely repeated within a worker and would only grow the table.
const maxInterned = 128

// decodeJSON reads the one JSON value buf holds; from a bytes.Buffer
// jsontext parses in place, without copying.
func (d *decoder) decodeJSON(buf *bytes.Buffer) (any, error) {
	d.dec.Reset(buf)
	return d.readValue()
}

// without removes the pair of key k from m, in place.
func (m Map) without(k string) Map {
	for i, p := range m {
		if p.Key == k {
			return slices.Delete(m, i, i+1)
		}
	}
	return m
}

func (d *decoder) readValue() (any, error) {
	switch d.dec.PeekKind() {
	case '{':
		return d.mapping()
	case '[':
		return d.list()
	case '"':
		raw, err := d.dec.ReadValue()
		if err != nil {
			return nil, err
		}
		return d.str(raw)
	}
	tok, err := d.dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case 'n':
		return nil, nil
	case 't', 'f':
		return tok.Bool(), nil
	case '0':
		f, err := tok.Float()
		if err != nil {
			return nil, err
		}
		return number(f), nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok.Kind())
}

func (d *decoder) mapping() (Map, error) {
	if _, err := d.dec.ReadToken(); err != nil { // {
		return nil, err
	}
	start := len(d.pairs)
	for d.dec.PeekKind() != '}' {
		raw, err := d.dec.ReadValue()
		if err != nil {
			return nil, err
		}
		k, err := d.str(raw)
		if err != nil {
			return nil, err
		}
		v, err := d.readValue()
		if err != nil {
			return nil, err
		}
		if k == "volumeClaimTemplates" {
			withoutStatus(v)
		}
		d.keep(k, v)
	}
	if _, err := d.dec.ReadToken(); err != nil { // }
		return nil, err
	}
	return d.mappingFrom(start), nil
}

// keep pushes a pair unless it is a null: an empty map or list is kept, as
// it means something (emptyDir: {}, a selector: {} that selects every pod).
func (d *decoder) keep(k string, v any) {
	if v != nil {
		d.pairs = append(d.pairs, Pair{k, v})
	}
}

// mappingFrom pops the pairs pushed since start as one mapping, in order.
func (d *decoder) mappingFrom(start int) Map {
	read := d.pairs[start:]
	d.pairs = d.pairs[:start]
	m := make(Map, len(read))
	for i, j := range d.order(read) {
		m[i] = read[j]
	}
	return m
}

// withoutStatus removes the status of each claim template.
func withoutStatus(claims any) {
	for i, claim := range asList(claims) {
		if cm, ok := claim.(Map); ok {
			asList(claims)[i] = cm.without("status")
		}
	}
}

// order returns the positions of pairs in sortPairs's order, worked out once
// for each sequence of keys (the lookup by string(d.id) copies nothing).
func (d *decoder) order(pairs []Pair) []int {
	d.id = d.id[:0]
	for _, p := range pairs {
		d.id = append(append(d.id, p.Key...), 0)
	}
	if o, ok := d.orders[string(d.id)]; ok {
		return o
	}
	sorted := make([]Pair, len(pairs))
	for i, p := range pairs {
		sorted[i] = Pair{p.Key, i}
	}
	sortPairs(sorted)
	o := make([]int, len(sorted))
	for i, p := range sorted {
		o[i] = p.Value.(int)
	}
	d.orders[string(d.id)] = o
	return o
}

// list keeps every item, even null or empty: an item's place means
// something.
func (d *decoder) list() ([]any, error) {
	if _, err := d.dec.ReadToken(); err != nil { // [
		return nil, err
	}
	l := []any{}
	for d.dec.PeekKind() != ']' {
		v, err := d.readValue()
		if err != nil {
			return nil, err
		}
		l = append(l, v)
	}
	_, err := d.dec.ReadToken() // ]
	return l, err
}

// str unquotes a JSON string, interning short ones.
func (d *decoder) str(raw jsontext.Value) (string, error) {
	b := []byte(raw)
	if len(b) >= 2 && bytes.IndexByte(b, '\\') < 0 {
		b = b[1 : len(b)-1]
	} else {
		var err error
		if d.unquote, err = jsontext.AppendUnquote(d.unquote[:0], raw); err != nil {
			return "", err
		}
		b = d.unquote
	}
	if len(b) > maxInterned {
		return string(b), nil
	}
	if s, ok := d.strings[string(b)]; ok {
		return s, nil
	}
	s := string(b)
	d.strings[s] = s
	return s, nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
