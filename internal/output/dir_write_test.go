package output

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A failure before the swap leaves the directory exactly as it was, and
// nothing beside it.
func TestWriteDirFailureBeforeSwap(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	if err := WriteDir(dir, handFiles()); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, dir)
	bad := append(handFiles(), File{Name: "sub/x.yaml", Data: []byte(Header)})
	if err := WriteDir(dir, bad); err == nil {
		t.Fatal("a file that cannot be written was written")
	}
	if got := readTree(t, dir); !maps.Equal(got, before) {
		t.Errorf("the directory changed: %v", got)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Errorf("%d entries beside it, want none", len(entries)-1)
	}
}

// hook sets one of testHooks for the length of a test.
func hook(t *testing.T, h *func(string), f func(string)) {
	old := *h
	*h = f
	t.Cleanup(func() { *h = old })
}

// A file written into the directory by someone else while mysqlgen renders
// is never deleted: the write is refused, and the directory is as it was
// with the file in it, whether it came before the swap or, through a handle
// on the old directory, just after it.
func TestWriteDirRefusesAChangedTarget(t *testing.T) {
	cases := map[string]struct {
		when *func(string)
		act  func(t *testing.T, path string)
	}{
		"a file added before the swap": {&testHooks.beforeSwap, func(t *testing.T, p string) {
			must(t, os.WriteFile(filepath.Join(p, "notes.txt"), []byte("mine\n"), 0o644))
		}},
		"a file of ours rewritten before the swap": {&testHooks.beforeSwap, func(t *testing.T, p string) {
			must(t, os.WriteFile(filepath.Join(p, KustomizationFile), []byte("resources: [mine.yaml]\n"), 0o644))
		}},
		"a file added just after the swap": {&testHooks.afterSwap, func(t *testing.T, p string) {
			must(t, os.WriteFile(filepath.Join(p, "notes.txt"), []byte("mine\n"), 0o644))
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "out")
			if err := WriteDir(dir, handFiles()); err != nil {
				t.Fatal(err)
			}
			var want map[string]string
			hook(t, c.when, func(p string) {
				c.act(t, p)
				want = readTree(t, p)
			})
			err := WriteDir(dir, handFiles()[1:])
			if err == nil || !strings.Contains(err.Error(), dir+" changed while mysqlgen was writing it") {
				t.Errorf("err = %v", err)
			}
			if got := readTree(t, dir); !maps.Equal(got, want) {
				t.Errorf("%s holds %v, want %v", dir, got, want)
			}
			if entries, _ := os.ReadDir(root); len(entries) != 1 {
				t.Errorf("%d entries beside it, want none", len(entries)-1)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A directory made where the render goes, while it is written, is left to
// whoever made it.
func TestWriteDirRefusesATargetThatAppeared(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	hook(t, &testHooks.beforeSwap, func(p string) { must(t, os.Mkdir(p, 0o700)) })
	err := WriteDir(dir, handFiles())
	if err == nil || !strings.Contains(err.Error(), dir+" appeared while mysqlgen was writing it") {
		t.Errorf("err = %v", err)
	}
	if got := readTree(t, dir); len(got) != 0 {
		t.Errorf("%s holds %v", dir, got)
	}
}
