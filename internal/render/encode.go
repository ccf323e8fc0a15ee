package render

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	yaml "go.yaml.in/yaml/v2"

	"github.com/mysqlgen/mysqlgen/internal/parallel"
)

// Encode writes objects as YAML documents separated by "---", with sorted keys
// and none of the zero-value noise typed structs carry: no status, no
// creationTimestamp, no null, no empty {} or []. Equal input gives equal bytes.
func Encode(objs []Object) ([]byte, error) {
	docs, err := EncodeDocuments(objs)
	if err != nil {
		return nil, err
	}
	return bytes.Join(docs, []byte(Separator)), nil
}

// Separator goes between two documents.
const Separator = "---\n"

// EncodeDocuments is Encode with each object's document apart, for a writer
// that streams them rather than hold them all joined. Many objects (a batch
// of specs) are encoded on every CPU at once, each into its own slot.
func EncodeDocuments(objs []Object) ([][]byte, error) {
	docs := make([][]byte, len(objs))
	errs := make([]error, len(objs))
	parallel.For(len(objs), parallelMin, newEncoder, func(e *encoder, i int) {
		docs[i], errs[i] = e.encode(objs[i])
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return docs, nil
}

// parallelMin is how many objects make another worker worth starting; one
// cluster (up to ten objects) is encoded on the calling goroutine.
const parallelMin = 32

// encoder is one worker's state: yaml/v2's remembered answers, buffers
// reused from one object to the next, and the arena its documents are kept in.
type encoder struct {
	decoder *decoder
	yaml    fastWriter
	arena   []byte
}

func newEncoder() *encoder {
	return &encoder{decoder: newDecoder(), yaml: fastWriter{cache: newWriterCache()}}
}

// arenaSize is the size of the blocks documents are copied into: one
// allocation for many documents, and none of a growing buffer's slack kept.
const arenaSize = 64 << 10

func (e *encoder) encode(obj Object) ([]byte, error) {
	m, err := e.cleanMap(obj)
	if err != nil {
		return nil, err
	}
	// The pruned map goes straight to the YAML writer: sigs.k8s.io/yaml
	// would encode it to JSON and parse that back first.
	if e.yaml.write(m) {
		return e.keep(e.yaml.buf.Bytes()), nil
	}
	out, err := yaml.Marshal(ordered(m))
	if err != nil {
		return nil, fmt.Errorf("encoding %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
	}
	return out, nil
}

// keep copies a document into the arena.
func (e *encoder) keep(doc []byte) []byte {
	if cap(e.arena)-len(e.arena) < len(doc) {
		e.arena = make([]byte, 0, max(arenaSize, len(doc)))
	}
	start := len(e.arena)
	e.arena = append(e.arena, doc...)
	return e.arena[start:len(e.arena):len(e.arena)]
}

// cleanMap converts a typed object to the tree the writer writes: pruned,
// without status, keys in order (the walker; see walk.go).
func (e *encoder) cleanMap(obj Object) (yamlMap, error) {
	m, err := e.decoder.fromObject(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s: %w", obj.GetName(), err)
	}
	return m, nil
}

// number turns a JSON number into the int64 a YAML encoder writes as an
// integer; the objects hold no fractions, and a float64 holds every int up
// to 2^53 exactly.
func number(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return f
}
