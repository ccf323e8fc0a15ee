package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxPrintedErrors bounds what Error prints of one input: past a hundred,
// more lines help no one, and a hostile spec could otherwise print a
// megabyte of them.
const MaxPrintedErrors = 100

// Problem is one field error and the line of the input it was found at.
type Problem struct {
	Line int // 0 when unknown
	Err  *field.Error
}

// Error is every problem found in one input, in line order (problems with
// no line last).
type Error struct {
	Source   string
	Problems []Problem
}

// newError makes an Error of problems.
func newError(source string, problems []Problem) *Error {
	return &Error{Source: source, Problems: problems}
}

// Error prints one problem a line, "source:line: field: message", the first
// MaxPrintedErrors of them, then how many more there were.
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i == MaxPrintedErrors {
			fmt.Fprintf(&b, "\n%s: and %d more errors", e.Source, len(e.Problems)-i)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Source)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
		b.WriteString(escapeLineBreaks(p.Err.Error()))
	}
	return b.String()
}

// escapeLineBreaks writes the control characters and line separators a map
// key may hold (field.Path prints keys as they are) the way %q would, so
// that each problem stays one line.
func escapeLineBreaks(s string) string {
	if !strings.ContainsFunc(s, isLineBreaking) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isLineBreaking(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isLineBreaking(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029'
}

// Annotate turns validation errors of d into an *Error naming d's source and
// the line of each field; nil when errs is empty. It costs time linear in
// the document and the errors.
func (d *Document) Annotate(errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	idx := newLineIndex(d.root)
	problems := make([]Problem, len(errs))
	for i, fe := range errs {
		problems[i] = Problem{idx.lineOf(fe.Field), fe}
	}
	// In line order, as a compiler reports; errors with no line last.
	slices.SortStableFunc(problems, func(a, b Problem) int {
		if (a.Line == 0) != (b.Line == 0) {
			return cmp.Compare(b.Line, a.Line)
		}
		return cmp.Compare(a.Line, b.Line)
	})
	return newError(d.Source, problems)
}

// lineIndex finds the lines of field paths in one document. Each mapping's
// keys are indexed the first time a path goes through it, so that locating
// n errors in a mapping of n keys is linear, not quadratic.
type lineIndex struct {
	root *yaml.Node
	keys map[*yaml.Node]map[string]int // mapping -> key -> index of its value
}

func newLineIndex(root *yaml.Node) *lineIndex {
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	return &lineIndex{root: root, keys: map[*yaml.Node]map[string]int{}}
}

// value returns the value of key in mapping m and the key's line. When a
// key is given twice, the last one counts, as the decoder's does.
func (x *lineIndex) value(m *yaml.Node, key string) (*yaml.Node, int) {
	idx, ok := x.keys[m]
	if !ok {
		idx = make(map[string]int, len(m.Content)/2)
		for i := 0; i+1 < len(m.Content); i += 2 {
			idx[m.Content[i].Value] = i + 1
		}
		x.keys[m] = idx
	}
	i, ok := idx[key]
	if !ok {
		return nil, 0
	}
	return m.Content[i], m.Content[i-1].Line
}

// lineOf returns the line of the deepest node on a field path that exists:
// a mapping value's key line, or the line of a list item or scalar itself.
func (x *lineIndex) lineOf(path string) int {
	n, line := x.root, 0
	for n != nil && path != "" {
		next, keyLine, rest := x.step(n, path)
		if next == nil {
			break
		}
		if keyLine > 0 {
			line = keyLine
		}
		n, path = next, rest
		if n.Kind == yaml.SequenceNode || n.Kind == yaml.ScalarNode {
			line = n.Line
		}
	}
	return line
}

// step follows the first element of a field path ("name", ".name", "[key]"
// or "[0]") from n, returning the node, its key's line and the rest of the
// path. A bracketed key may itself hold ']' or '.' (field.Path prints map
// keys as they are), so each ']' is tried until the mapping has the key.
func (x *lineIndex) step(n *yaml.Node, path string) (*yaml.Node, int, string) {
	path = strings.TrimPrefix(path, ".")
	if !strings.HasPrefix(path, "[") {
		end := strings.IndexAny(path, ".[")
		if end < 0 {
			end = len(path)
		}
		if n.Kind != yaml.MappingNode {
			return nil, 0, ""
		}
		v, line := x.value(n, path[:end])
		return v, line, path[end:]
	}
	for end := 1; end < len(path); end++ {
		if path[end] != ']' {
			continue
		}
		key, rest := path[1:end], path[end+1:]
		if rest != "" && rest[0] != '.' && rest[0] != '[' {
			continue
		}
		switch n.Kind {
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n.Content) {
				return n.Content[i], n.Content[i].Line, rest
			}
		case yaml.MappingNode:
			if v, line := x.value(n, key); v != nil {
				return v, line, rest
			}
		}
	}
	return nil, 0, ""
}
