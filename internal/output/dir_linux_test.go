package output

import (
	"errors"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
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

// Temporaries a killed run left beside the directory are removed by the
// next run that succeeds, and only they: not one another run is writing,
// not one holding anything else, not what only looks like one.
func TestWriteDirRemovesStaleTemporaries(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	if err := WriteDir(dir, handFiles()); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, files map[string]string) string {
		p := filepath.Join(root, name)
		must(t, os.Mkdir(p, 0o700))
		for n, data := range files {
			must(t, os.WriteFile(filepath.Join(p, n), []byte(data), 0o644))
		}
		return p
	}
	ours := map[string]string{KustomizationFile: Header + "resources: []\n", "service-a.yaml": Header[:10], "service-b.yaml": ""}
	mk(".out.mysqlgen-1", ours)
	mk(".out.mysqlgen-2.old", ours)
	mk(".out.mysqlgen-3", nil)
	mk(".out.mysqlgen-4", map[string]string{"notes.txt": Header})
	mk(".out.mysqlgen-5", map[string]string{"service-a.yaml": "kind: Service\n"})
	mk(".out.mysqlgen-keep", ours)
	mk(".other.mysqlgen-6", ours)
	live := mk(".out.mysqlgen-7", ours)
	unlock, state, err := lockDir(live)
	if err != nil || state != lockHeld {
		t.Fatalf("lock: %v %v", state, err)
	}
	defer unlock()
	must(t, os.WriteFile(filepath.Join(root, ".out.mysqlgen-8"), nil, 0o644))
	must(t, os.Symlink(live, filepath.Join(root, ".out.mysqlgen-9")))

	var warn strings.Builder
	if err := WriteDirWarn(dir, handFiles(), &warn); err != nil {
		t.Fatal(err)
	}
	var left []string
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{".other.mysqlgen-6", ".out.mysqlgen-4", ".out.mysqlgen-5", ".out.mysqlgen-7", ".out.mysqlgen-8", ".out.mysqlgen-9", ".out.mysqlgen-keep", "out"}
	if !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
	wantWarn := "warning: left .out.mysqlgen-4 beside " + dir + ": it holds notes.txt, which mysqlgen did not write\n" +
		"warning: left .out.mysqlgen-5 beside " + dir + ": it holds service-a.yaml, which mysqlgen did not write\n"
	if warn.String() != wantWarn {
		t.Errorf("warnings:\n%s\nwant:\n%s", warn.String(), wantWarn)
	}
}

// SIGINT or SIGTERM during a write stops it: the directory is as it was,
// and nothing is left beside it.
func TestWriteDirInterrupted(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "out")
			if err := WriteDir(dir, handFiles()); err != nil {
				t.Fatal(err)
			}
			before := readTree(t, dir)
			hook(t, &testHooks.beforeSwap, func(string) { interrupt(t, sig) })
			err := WriteDir(dir, handFiles()[1:])
			if !errors.Is(err, ErrInterrupted) || !strings.HasSuffix(err.Error(), dir+" is left as it was") {
				t.Errorf("err = %v", err)
			}
			if got := readTree(t, dir); !maps.Equal(got, before) {
				t.Errorf("the directory changed: %v", got)
			}
			if entries, _ := os.ReadDir(root); len(entries) != 1 {
				t.Errorf("%d entries beside it, want none", len(entries)-1)
			}
		})
	}
}

// interrupt sends sig to this process and returns once os/signal has handed
// it to every channel that listens: a channel of its own is served in the
// same pass, and signal.Stop waits for that pass to end.
func interrupt(t *testing.T, sig syscall.Signal) {
	seen := make(chan os.Signal, 1)
	signal.Notify(seen, sig)
	must(t, syscall.Kill(os.Getpid(), sig))
	<-seen
	signal.Stop(seen)
}

// A second run on the same directory while one is writing it is refused,
// rather than racing it.
func TestWriteDirOneRunAtATime(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteDir(dir, handFiles()); err != nil {
		t.Fatal(err)
	}
	var second error
	hook(t, &testHooks.beforeSwap, func(string) {
		hook(t, &testHooks.beforeSwap, func(string) {})
		second = WriteDir(dir, handFiles())
	})
	if err := WriteDir(dir, handFiles()[1:]); err != nil {
		t.Fatal(err)
	}
	if second == nil || second.Error() != "another mysqlgen is writing "+dir {
		t.Errorf("the second run: %v", second)
	}
}

// A FIFO or a link in the directory is foreign, and checking it neither
// blocks nor follows it.
func TestDirChecksOpenNothingButFiles(t *testing.T) {
	for name, mk := range map[string]func(p string) error{
		"fifo": func(p string) error { return syscall.Mkfifo(p, 0o644) },
		"link": func(p string) error { return os.Symlink("/dev/zero", p) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			must(t, WriteDir(dir, handFiles()))
			must(t, mk(filepath.Join(dir, "x.yaml")))
			for _, err := range []error{WriteDir(dir, handFiles()), func() error { _, err := DiffDir(dir, handFiles()); return err }()} {
				if err == nil || !strings.Contains(err.Error(), "x.yaml, which mysqlgen did not write") {
					t.Errorf("err = %v", err)
				}
			}
		})
	}
}

// A directory rendered before the Kustomization file got its name holds
// kustomization.yaml: its files' mode still carries over to the new render.
func TestWriteDirKeepsModeOfOlderRender(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	must(t, os.Mkdir(dir, 0o755))
	for _, f := range []File{
		{Name: "configmap-a.yaml", Data: []byte(Header + "kind: ConfigMap\n")},
		{Name: "kustomization.yaml", Data: []byte(Header + "resources:\n- configmap-a.yaml\n")},
	} {
		must(t, os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o640))
	}
	if err := WriteDir(dir, handFiles()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "kustomization.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("kustomization.yaml is still there (%v)", err)
	}
	info, err := os.Stat(filepath.Join(dir, KustomizationFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o640 {
		t.Errorf("%s: mode %v, want the older render's 0640", KustomizationFile, info.Mode().Perm())
	}
}
