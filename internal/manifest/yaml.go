package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/mysqlgen/mysqlgen/internal/parallel"
)

// Separator goes between two YAML documents.
const Separator = "---\n"

// parallelMin is how many trees make another writer worth starting; one
// cluster (up to ten objects) is written on the calling goroutine.
const parallelMin = 32

// Documents writes each tree as a YAML document, with sorted keys, the
// bytes go.yaml.in/yaml/v2 would write; equal trees give equal bytes. Many
// trees (a batch of specs) are written on every CPU at once, each into its
// own slot.
func Documents(trees []*Tree) ([][]byte, error) {
	docs := make([][]byte, len(trees))
	errs := make([]error, len(trees))
	parallel.For(len(trees), parallelMin, newYAMLWriter, func(w *yamlWriter, i int) {
		docs[i], errs[i] = w.document(trees[i])
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return docs, nil
}

// YAML is the documents of trees joined by Separator.
func YAML(trees []*Tree) ([]byte, error) {
	docs, err := Documents(trees)
	if err != nil {
		return nil, err
	}
	return bytes.Join(docs, []byte(Separator)), nil
}

// WriteYAML writes the documents of trees to w. Everything is encoded
// before the first byte is written, so that an error leaves w untouched;
// the documents then go out through a small buffer rather than joined into
// one copy of the whole output first.
func WriteYAML(w io.Writer, trees []*Tree) error {
	docs, err := Documents(trees)
	if err != nil {
		return err
	}
	size := 0
	for _, d := range docs {
		size += len(d) + len(Separator)
	}
	bw := bufio.NewWriterSize(w, max(16, min(size, 64<<10)))
	for i, d := range docs {
		if i > 0 {
			bw.WriteString(Separator)
		}
		bw.Write(d)
	}
	return bw.Flush()
}

// yamlWriter is one worker's state: yaml/v2's remembered answers, buffers
// reused from one tree to the next, and the arena its documents are kept in.
type yamlWriter struct {
	yaml  fastWriter
	arena []byte
}

func newYAMLWriter() *yamlWriter {
	return &yamlWriter{yaml: fastWriter{cache: newWriterCache()}}
}

// arenaSize is the size of the blocks documents are copied into: one
// allocation for many documents, and none of a growing buffer's slack kept.
const arenaSize = 64 << 10

func (w *yamlWriter) document(t *Tree) ([]byte, error) {
	if t.doc != nil {
		return t.doc, nil
	}
	if w.yaml.write(t.Root) {
		return w.keep(w.yaml.buf.Bytes()), nil
	}
	out, err := marshalFallback(t.Root)
	if err != nil {
		return nil, fmt.Errorf("encoding %s %s: %w", t.Kind(), t.Name(), err)
	}
	return out, nil
}

// keep copies a document into the arena.
func (w *yamlWriter) keep(doc []byte) []byte {
	if cap(w.arena)-len(w.arena) < len(doc) {
		w.arena = make([]byte, 0, max(arenaSize, len(doc)))
	}
	start := len(w.arena)
	w.arena = append(w.arena, doc...)
	return w.arena[start:len(w.arena):len(w.arena)]
}
