package output

import (
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// contextLines is diff -u's default.
const contextLines = 3

// Diff is a unified diff from a (named from) to b (named to), as diff -u
// prints it; empty when they are equal. Names are used as given, so git-style
// a/ and b/ prefixes make the diff one that git apply and patch -p1 take.
func Diff(from, to string, a, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	out, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(a), B: lines(b), FromFile: from, ToFile: to, Context: contextLines,
	})
	if err != nil {
		// Only a failing writer fails, and a strings.Builder does not.
		panic(err)
	}
	return out
}

// lines splits text into lines that each end in a newline, marking a last
// line without one as diff does.
func lines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	ls := strings.SplitAfter(string(b), "\n")
	if last := ls[len(ls)-1]; last == "" {
		ls = ls[:len(ls)-1]
	} else {
		ls[len(ls)-1] = last + "\n\\ No newline at end of file\n"
	}
	return ls
}

// DiffNames are the names a diff gives a file: git's a/ and b/ for a
// relative path, so that git apply takes the diff; an absolute path as it is.
func DiffNames(p string) (from, to string) {
	if path.IsAbs(p) {
		return p, p
	}
	return "a/" + p, "b/" + p
}

// DiffDir compares the directory dir with files, what a render would write
// there, and returns a unified diff of every file that differs, would be
// added or would be removed, in name order; empty when dir is current.
func DiffDir(dir string, files []File) (string, error) {
	have, err := ReadDir(dir)
	if err != nil {
		return "", err
	}
	want := make(map[string][]byte, len(files))
	for _, f := range files {
		want[f.Name] = f.Data
	}
	names := slices.Sorted(maps.Keys(want))
	for n := range have {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		from, to := DiffNames(path.Join(filepath.ToSlash(dir), n))
		old, inDir := have[n]
		updated, rendered := want[n]
		if !inDir {
			from = "/dev/null"
		}
		if !rendered {
			to = "/dev/null"
		}
		b.WriteString(Diff(from, to, old, updated))
	}
	return b.String(), nil
}
