package manifest

import (
	"bytes"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v2"
)

// marshalFallback writes with yaml/v2 what the fast writer declines, but
// never lets yaml/v2 write a string that holds a line break other than \n:
// it writes \r, U+0085, U+2028 and U+2029 raw inside plain and block
// scalars, where a reader takes them for line breaks, and the document
// reads back differently (FuzzWriters found "\n\u2029" deep in a sequence,
// in a document the fast writer declined for a key holding a line break).
// Each such string, key or value, is swapped for a word yaml/v2 writes
// bare, and the word in its output for the string's one double-quoted
// line, which reads back exactly at any indentation. A key whose quoted
// line is longer than libyaml's simple keys (128) gets a word as long, so
// that yaml/v2 writes it as an explicit "? " key, as it does every long
// key: a reader takes an implicit key of more than 1024 characters for an
// error (FuzzWriters found a 1,100-character key).
func marshalFallback(root Map) ([]byte, error) {
	var all, odd []string
	collectStrings(root, &all)
	for _, s := range all {
		if hasOtherBreak(s) {
			odd = append(odd, s)
		}
	}
	if len(odd) == 0 {
		return yaml.Marshal(ordered(root))
	}
	// A stem no string of the document contains: a word made of it is
	// found in the output only where it was put.
	stem := "zqodd"
	for i := 0; containsAny(all, stem+"n"); i++ {
		stem = "zqodd" + strconv.Itoa(i)
	}
	words := map[string]string{}
	swapped := swapOdd(root, stem, words)
	out, err := yaml.Marshal(ordered(swapped))
	if err != nil {
		return nil, err
	}
	for word, s := range words {
		out = bytes.ReplaceAll(out, []byte(word), []byte(doubleQuoted(s)))
	}
	return out, nil
}

func containsAny(all []string, sub string) bool {
	for _, s := range all {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// collectStrings appends every key and string value of v.
func collectStrings(v any, all *[]string) {
	switch t := v.(type) {
	case Map:
		for _, p := range t {
			*all = append(*all, p.Key)
			collectStrings(p.Value, all)
		}
	case []any:
		for _, c := range t {
			collectStrings(c, all)
		}
	case string:
		*all = append(*all, t)
	}
}

// simpleKeyMax is the longest key libyaml's emitter writes as an implicit
// ("key: value") key; a longer one is written "? key".
const simpleKeyMax = 128

// swapOdd copies v with each string holding another line break replaced
// by the word stem+"n"+k+"z" (no word is a part of another; a long key's
// word is padded with x past simpleKeyMax), recorded in words.
func swapOdd(v any, stem string, words map[string]string) any {
	word := func(s string, key bool) string {
		if !hasOtherBreak(s) {
			return s
		}
		w := stem + "n" + strconv.Itoa(len(words)) + "z"
		if key && len(doubleQuoted(s)) > simpleKeyMax {
			w += strings.Repeat("x", simpleKeyMax)
		}
		words[w] = s
		return w
	}
	switch t := v.(type) {
	case Map:
		m := make(Map, len(t))
		for i, p := range t {
			m[i] = Pair{Key: word(p.Key, true), Value: swapOdd(p.Value, stem, words)}
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, c := range t {
			l[i] = swapOdd(c, stem, words)
		}
		return l
	case string:
		return word(t, false)
	}
	return v
}
