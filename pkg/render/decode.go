package render

import (
	"bytes"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
)

// decoder reads an object's JSON form into the map the YAML writer writes,
// pruned as it is read: no nulls, no empty maps or lists (but the few whose
// emptiness means something), no status, integers as int64. It does what
// decoding into map[string]any and then pruning did, in one pass and with far
// fewer allocations: keys and short values are interned, so the strings every
// object repeats ("metadata", "name", "TCP") are allocated once per worker.
// A batch of specs spent most of its allocations there.
type decoder struct {
	dec     jsontext.Decoder
	strings map[string]string
	unquote []byte
}

func newDecoder() *decoder {
	return &decoder{strings: map[string]string{}}
}

// maxInterned bounds the strings kept: longer ones (scripts, commands) are
// rarely repeated within a worker and would only grow the table.
const maxInterned = 128

// meaningfulEmpty are the keys whose empty map means something: an emptyDir
// volume, and selectors that match everything.
var meaningfulEmpty = map[string]bool{"emptyDir": true, "podSelector": true, "namespaceSelector": true}

// object decodes buf, which holds one JSON object.
func (d *decoder) object(buf *bytes.Buffer) (map[string]any, error) {
	// From a bytes.Buffer jsontext parses in place, without copying.
	d.dec.Reset(buf)
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object but %T", v)
	}
	delete(m, "status")
	return m, nil
}

func (d *decoder) value() (any, error) {
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

func (d *decoder) mapping() (map[string]any, error) {
	if _, err := d.dec.ReadToken(); err != nil { // {
		return nil, err
	}
	m := map[string]any{}
	for d.dec.PeekKind() != '}' {
		raw, err := d.dec.ReadValue()
		if err != nil {
			return nil, err
		}
		k, err := d.str(raw)
		if err != nil {
			return nil, err
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if k == "volumeClaimTemplates" {
			for _, claim := range asList(v) {
				if cm, ok := claim.(map[string]any); ok {
					delete(cm, "status")
				}
			}
		}
		if !empty(v) || meaningfulEmpty[k] && v != nil {
			m[k] = v
		}
	}
	_, err := d.dec.ReadToken() // }
	return m, err
}

// list keeps every item, even null or empty: an item's place means
// something.
func (d *decoder) list() ([]any, error) {
	if _, err := d.dec.ReadToken(); err != nil { // [
		return nil, err
	}
	l := []any{}
	for d.dec.PeekKind() != ']' {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		l = append(l, v)
	}
	_, err := d.dec.ReadToken() // ]
	return l, err
}

// empty reports a value pruning removes: null, or an empty map or list.
func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
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
