package output

import (
	"maps"
	"os"
	"path/filepath"
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
