package manifest

import (
	"bytes"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	yaml "go.yaml.in/yaml/v2"
)

// A fast writer for the trees, in exactly the form go.yaml.in/yaml/v2
// writes them. yaml/v2 spends microseconds on every node;
// a cluster has a thousand, and a batch of specs a million. The decisions
// that make its output what it is (the order of keys, how each string is
// quoted or written as a block) are still yaml/v2's: asked once per distinct
// key set and string, and remembered. Whatever this writer is not sure to
// write as yaml/v2 would (a line yaml/v2 might fold, a long key, a float),
// it declines, and Documents uses yaml/v2. Tests compare the two on every
// example and on random documents. One exception, on purpose: a string
// holding a line break other than \n is written double-quoted and escaped
// (see formOf), where yaml/v2's answer would depend on the column.

// foldWidth is yaml/v2's line width: past it, a plain or quoted scalar may be
// folded at a space.
const foldWidth = 80

// maxSimpleKey: yaml/v2 writes longer keys in the "? " form.
const maxSimpleKey = 100

// writerCache remembers yaml/v2's answers for one goroutine: the writing
// workers each keep their own, so that they share no lock.
type writerCache struct {
	scalars map[string]scalarForm // string -> how yaml/v2 writes it
}

func newWriterCache() *writerCache {
	return &writerCache{scalars: map[string]scalarForm{}}
}

// scalarForm is how yaml/v2 writes a string as a value.
type scalarForm struct {
	line   string   // a single-line form, or ""
	exact  bool     // line is written as it is at any column: never folded
	header string   // a literal block's header ("|", "|-", "|+"), or ""
	body   []string // a literal block's lines, without indentation
}

func (c *writerCache) formOf(s string) scalarForm {
	// Most strings are plain words: no need to ask, nor to remember.
	if plainWord(s) {
		return scalarForm{line: s}
	}
	if f, ok := c.scalars[s]; ok {
		return f
	}
	// Clean scripts are written as blocks without asking; remembered, as
	// every cluster has the same ones.
	if header, ok := cleanBlock(s); ok {
		f := scalarForm{header: header, body: strings.Split(strings.TrimSuffix(s, "\n"), "\n")}
		c.scalars[s] = f
		return f
	}
	// yaml/v2 indents what follows a line break for the column it writes
	// at, and breaks are more than \n: its answer at column 0 would let a
	// U+2028 or U+2029 end the scalar anywhere deeper.
	if hasOtherBreak(s) {
		f := scalarForm{line: doubleQuoted(s), exact: true}
		c.scalars[s] = f
		return f
	}
	var f scalarForm
	if out, err := yaml.Marshal(s); err == nil {
		text := strings.TrimSuffix(string(out), "\n")
		first, rest, multi := strings.Cut(text, "\n")
		switch {
		case !multi:
			f.line = first
		case first == "|" || first == "|-" || first == "|+":
			f.header = first
			f.body = strings.Split(rest, "\n")
			for i, l := range f.body {
				f.body[i] = strings.TrimPrefix(l, "  ")
			}
		}
	}
	c.scalars[s] = f
	return f
}

// yaml11Words are the words YAML 1.1 reads as booleans or null, which
// yaml/v2 quotes.
var yaml11Words = map[string]bool{
	"y": true, "yes": true, "n": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true,
}

// plainWord reports a string yaml/v2 surely writes as it is: a letter, then
// letters, digits and . _ / -, and not a YAML 1.1 boolean or null. A leading
// letter rules out every number, and the few characters every indicator.
func plainWord(s string) bool {
	if s == "" || len(s) > 64 || !isLetter(s[0]) || len(s) <= 5 && yaml11Words[strings.ToLower(s)] {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '/' && c != '-' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// cleanBlock reports a multi-line string yaml/v2 surely writes as a literal
// block, and its header: printable ASCII lines with no trailing blanks, not
// starting with a blank or a line break, ending with one line break ("|") or
// none ("|-").
func cleanBlock(s string) (string, bool) {
	if !strings.Contains(s, "\n") || s[0] == ' ' || s[0] == '\n' || strings.HasSuffix(s, "\n\n") {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' {
			if i > 0 && s[i-1] == ' ' {
				return "", false
			}
			continue
		}
		if c < 0x20 || c > 0x7e {
			return "", false
		}
	}
	if s[len(s)-1] == '\n' {
		return "|", true
	}
	if s[len(s)-1] == ' ' {
		return "", false
	}
	return "|-", true
}

// sortPairs puts pairs in yaml/v2's key order, made deterministic: a stable
// sort by keyLess of the keys in byte order.
func sortPairs(p []Pair) {
	slices.SortFunc(p, func(a, b Pair) int { return strings.Compare(a.Key, b.Key) })
	sort.SliceStable(p, func(i, j int) bool { return keyLess(p[i].Key, p[j].Key) })
}

// keyLess is yaml/v2's order of string keys, rune by rune: at the first
// difference two letters compare as runes, a non-letter comes before a
// letter, and runs of digits compare by their value. yaml/v2 sorts with it
// straight from Go's random map order; on the rare key sets where it is not
// transitive that order leaks into its output. Sorted stably from byte
// order, as here, the output is the same on every run.
func keyLess(a, b string) bool {
	ar, br := []rune(a), []rune(b)
	for i := 0; i < len(ar) && i < len(br); i++ {
		if ar[i] == br[i] {
			continue
		}
		aLetter, bLetter := unicode.IsLetter(ar[i]), unicode.IsLetter(br[i])
		if aLetter && bLetter {
			return ar[i] < br[i]
		}
		if aLetter || bLetter {
			return bLetter
		}
		// Digit runs from here compare by value. A run that started
		// before i with a non-zero digit makes leading zeros count.
		var an, bn int64
		if ar[i] == '0' || br[i] == '0' {
			for j := i - 1; j >= 0 && unicode.IsDigit(ar[j]); j-- {
				if ar[j] != '0' {
					an, bn = 1, 1
					break
				}
			}
		}
		ai, bi := i, i
		for ; ai < len(ar) && unicode.IsDigit(ar[ai]); ai++ {
			an = an*10 + int64(ar[ai]-'0')
		}
		for ; bi < len(br) && unicode.IsDigit(br[bi]); bi++ {
			bn = bn*10 + int64(br[bi]-'0')
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return ar[i] < br[i]
	}
	return len(ar) < len(br)
}

// ordered returns v with every Map replaced by a yaml.MapSlice, for
// yaml/v2 to write when the fast writer declines.
func ordered(v any) any {
	switch t := v.(type) {
	case Map:
		ms := make(yaml.MapSlice, len(t))
		for i, p := range t {
			ms[i] = yaml.MapItem{Key: p.Key, Value: ordered(p.Value)}
		}
		return ms
	case []any:
		out := make([]any, len(t))
		for i, c := range t {
			out[i] = ordered(c)
		}
		return out
	}
	return v
}

// fastWriter appends YAML to buf; ok turns false at the first thing it
// declines to write.
type fastWriter struct {
	buf   bytes.Buffer
	ok    bool
	cache *writerCache
	num   [20]byte // room for an int64's digits
}

// writeFast writes m as yaml/v2 would, or returns false.
func writeFast(m Map, cache *writerCache) ([]byte, bool) {
	w := &fastWriter{cache: cache}
	ok := w.write(m)
	return w.buf.Bytes(), ok
}

// write replaces the buffer's content with m as yaml/v2 would write it, or
// returns false.
func (w *fastWriter) write(m Map) bool {
	w.buf.Reset()
	w.ok = true
	w.mapping(m, 0, "")
	return w.ok
}

// blanks is sliced for indentation: objects nest far less deep than this.
var blanks = strings.Repeat(" ", 256)

func spaces(n int) string {
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}

// dash is a sequence item's "- " at indent.
func dash(indent int) string {
	if indent+2 <= len(dashes) {
		return dashes[len(dashes)-indent-2:]
	}
	return spaces(indent) + "- "
}

var dashes = blanks + "- "

// mapping writes a non-empty map whose keys sit at indent; the first key is
// preceded by first when it is not empty (a sequence item's "- ").
func (w *fastWriter) mapping(m Map, indent int, first string) {
	for i, p := range m {
		if !w.ok {
			return
		}
		prefix := spaces(indent)
		if i == 0 && first != "" {
			prefix = first
		}
		if len(p.Key) > maxSimpleKey || strings.ContainsAny(p.Key, "\n\r") {
			w.ok = false
			return
		}
		kf := w.cache.formOf(p.Key)
		if kf.line == "" {
			w.ok = false
			return
		}
		w.buf.WriteString(prefix)
		w.buf.WriteString(kf.line)
		w.buf.WriteByte(':')
		w.value(p.Value, indent, len(prefix)+len(kf.line)+1)
	}
}

// value writes what follows "key:", at column col, for a key at indent.
func (w *fastWriter) value(v any, indent, col int) {
	switch t := v.(type) {
	case Map:
		if len(t) == 0 {
			w.buf.WriteString(" {}\n")
			return
		}
		w.buf.WriteByte('\n')
		w.mapping(t, indent+2, "")
	case []any:
		if len(t) == 0 {
			w.buf.WriteString(" []\n")
			return
		}
		w.buf.WriteByte('\n')
		w.sequence(t, indent)
	case string:
		w.scalar(t, indent, col)
	case int64:
		w.buf.WriteByte(' ')
		w.buf.Write(strconv.AppendInt(w.num[:0], t, 10))
		w.buf.WriteByte('\n')
	case bool:
		w.buf.WriteByte(' ')
		w.buf.WriteString(strconv.FormatBool(t))
		w.buf.WriteByte('\n')
	default:
		w.ok = false
	}
}

// sequence writes items as yaml/v2 does in a mapping: "- " at the key's indent.
func (w *fastWriter) sequence(items []any, indent int) {
	for _, item := range items {
		if !w.ok {
			return
		}
		switch t := item.(type) {
		case Map:
			if len(t) == 0 {
				w.ok = false
				return
			}
			w.mapping(t, indent+2, dash(indent))
		case string:
			f := w.cache.formOf(t)
			if f.line == "" || (!f.exact && indent+2+len(f.line) > foldWidth && strings.Contains(f.line, " ")) {
				w.ok = false
				return
			}
			w.buf.WriteString(dash(indent))
			w.buf.WriteString(f.line)
			w.buf.WriteByte('\n')
		case int64:
			w.buf.WriteString(dash(indent))
			w.buf.Write(strconv.AppendInt(w.num[:0], t, 10))
			w.buf.WriteByte('\n')
		default:
			w.ok = false
		}
	}
}

// scalar writes a string value: one line when yaml/v2 could not fold it, or
// a literal block indented two spaces deeper than its key.
func (w *fastWriter) scalar(s string, indent, col int) {
	f := w.cache.formOf(s)
	switch {
	case f.line != "":
		if !f.exact && col+1+len(f.line) > foldWidth && strings.Contains(f.line, " ") {
			w.ok = false
			return
		}
		w.buf.WriteByte(' ')
		w.buf.WriteString(f.line)
		w.buf.WriteByte('\n')
	case f.header != "":
		w.buf.WriteByte(' ')
		w.buf.WriteString(f.header)
		w.buf.WriteByte('\n')
		pad := spaces(indent + 2)
		for _, l := range f.body {
			if l != "" {
				w.buf.WriteString(pad)
				w.buf.WriteString(l)
			}
			w.buf.WriteByte('\n')
		}
	default:
		w.ok = false
	}
}
