package spec

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// largeInvalidSpec is a spec just under MaxSpecBytes whose every config key
// is an error: the most errors one input can hold.
func largeInvalidSpec() (string, int) {
	var b strings.Builder
	b.WriteString(header + "spec:\n  config:\n")
	n := 0
	for b.Len() < MaxSpecBytes-64 {
		fmt.Fprintf(&b, "    k%d x: v\n", n)
		n++
	}
	return b.String(), n
}

func annotateAll(t testing.TB, text string) error {
	docs, err := Load(strings.NewReader(text), "big.yaml")
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(docs[0].Cluster)
	return docs[0].Annotate(Validate(docs[0].Cluster))
}

// Locating and printing the errors of the largest input costs time linear
// in it (it took a CPU-minute when each error searched the document), and
// what is printed is bounded, saying how many more there were.
func TestManyErrorsAreLinearAndCapped(t *testing.T) {
	text, n := largeInvalidSpec()
	start := time.Now()
	err := annotateAll(t, text)
	msg := err.Error()
	// Well under a second on one core; the bound leaves room for a loaded
	// CI machine and -race, and is still far below the quadratic minute.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("%d errors took %v", n, d)
	}
	lines := strings.Split(msg, "\n")
	if len(lines) != MaxPrintedErrors+1 {
		t.Fatalf("printed %d lines, want %d", len(lines), MaxPrintedErrors+1)
	}
	if want := fmt.Sprintf("big.yaml: and %d more errors", n-MaxPrintedErrors); lines[MaxPrintedErrors] != want {
		t.Errorf("last line %q, want %q", lines[MaxPrintedErrors], want)
	}
	if want := `big.yaml:7: spec.config[k0 x]: Invalid value: "k0 x": must be a server option name: letters, digits, '-' and '_'`; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	var se *Error
	if !asError(err, &se) || len(se.Problems) != n {
		t.Fatalf("want %d problems, got %v", n, err)
	}
	for i, p := range se.Problems {
		if p.Line == 0 || (i > 0 && p.Line < se.Problems[i-1].Line) {
			t.Fatalf("problem %d: line %d after %d", i, p.Line, se.Problems[max(i-1, 0)].Line)
		}
	}
}

func BenchmarkManyErrors(b *testing.B) {
	text, _ := largeInvalidSpec()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		_ = annotateAll(b, text).Error()
	}
}

func asError(err error, target **Error) bool { return errors.As(err, target) }

// Keys holding ']', '.', '[' or line breaks are still found, and printed
// on one line.
func TestAnnotateOddKeys(t *testing.T) {
	text := header + "spec:\n  config:\n    \"a]b\": x\n    \"c.d[0]\": y\n    \"e\\nf\": z\n"
	want := "big.yaml:7: spec.config[a]b]: Invalid value: \"a]b\": must be a server option name: letters, digits, '-' and '_'\n" +
		"big.yaml:8: spec.config[c.d[0]]: Invalid value: \"c.d[0]\": must be a server option name: letters, digits, '-' and '_'\n" +
		"big.yaml:9: spec.config[e\\nf]: Invalid value: \"e\\nf\": must be a server option name: letters, digits, '-' and '_'"
	if got := annotateAll(t, text).Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
