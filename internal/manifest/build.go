package manifest

import (
	"fmt"
	"math"
)

// Builder is one worker's state for building trees: the walker's type
// table, interned strings and remembered key orders. Reuse one per
// goroutine; it is not safe for concurrent use.
type Builder struct {
	d *decoder
	w *yamlWriter
}

// NewBuilder returns a Builder.
func NewBuilder() *Builder { return &Builder{d: newDecoder()} }

// Prewrite writes t's YAML document now, for Documents to use later: on
// the worker that built t, while its tree is still in the CPU's caches (in
// a batch, written after every tree is built, it no longer is).
func (b *Builder) Prewrite(t *Tree) error {
	if b.w == nil {
		b.w = newYAMLWriter()
	}
	doc, err := b.w.document(t)
	t.doc = doc
	return err
}

// Build is the tree of a typed object, without its status.
func (b *Builder) Build(obj Object) (*Tree, error) {
	m, err := b.d.fromObject(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
	}
	return &Tree{Root: m}, nil
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
