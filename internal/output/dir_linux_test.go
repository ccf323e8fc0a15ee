package output

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// immutable makes path impossible to remove, even for root, until the test
// ends.
func immutable(t *testing.T, root, path string) {
	t.Helper()
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-R", "-i", root).Run() })
}

// Once the new files are in place the write has happened: a previous copy
// that cannot be removed is a warning, not a failure.
func TestWriteDirSucceedsOnceSwapped(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	if err := WriteDir(dir, handFiles()); err != nil {
		t.Fatal(err)
	}
	immutable(t, root, filepath.Join(dir, "configmap-a.yaml"))
	newer := handFiles()[1:]
	var warn strings.Builder
	if err := WriteDirWarn(dir, newer, &warn); err != nil {
		t.Errorf("the write happened, yet err = %v", err)
	}
	if got := readTree(t, dir); len(got) != 1 || got[KustomizationFile] != string(newer[0].Data) {
		t.Errorf("%s holds %v, want the new render", dir, got)
	}
	if !strings.HasPrefix(warn.String(), "warning: "+dir+" is written, but its previous contents are left beside it: removing "+root+"/.out.mysqlgen-") {
		t.Errorf("warning = %q", warn.String())
	}
}
