package output

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// The directory keeps its mode, setgid bit and group across a render, and
// its files the mode they had: a directory shared by a group stays shared.
func TestWriteDirKeepsModeAndGroup(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	if err := WriteDir(dir, handFiles()); err != nil {
		t.Fatal(err)
	}
	const group = 4242
	if err := os.Chown(dir, -1, group); err != nil {
		t.Skipf("cannot give the directory another group: %v", err)
	}
	must(t, os.Chmod(dir, 0o770|os.ModeSetgid))
	for _, f := range handFiles() {
		must(t, os.Chmod(filepath.Join(dir, f.Name), 0o660))
	}
	if err := WriteDir(dir, append(handFiles(), File{Name: "service-b.yaml", Data: []byte(Header)})); err != nil {
		t.Fatal(err)
	}
	checkMode(t, dir, os.ModeDir|os.ModeSetgid|0o770, group)
	for _, name := range []string{KustomizationFile, "configmap-a.yaml", "service-b.yaml"} {
		checkMode(t, filepath.Join(dir, name), 0o660, group)
	}

	// A new directory in a setgid parent is setgid, as mkdir makes it.
	sub := filepath.Join(dir, "..", "shared")
	must(t, os.Mkdir(sub, 0o755))
	must(t, os.Chown(sub, -1, group))
	must(t, os.Chmod(sub, 0o775|os.ModeSetgid))
	if err := WriteDir(filepath.Join(sub, "new"), handFiles()); err != nil {
		t.Fatal(err)
	}
	checkMode(t, filepath.Join(sub, "new"), os.ModeDir|os.ModeSetgid|0o755, group)
}

func checkMode(t *testing.T, path string, mode os.FileMode, gid uint32) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode() != mode {
		t.Errorf("%s: mode %v, want %v", path, info.Mode(), mode)
	}
	if got := info.Sys().(*syscall.Stat_t).Gid; got != gid {
		t.Errorf("%s: group %d, want %d", path, got, gid)
	}
}
