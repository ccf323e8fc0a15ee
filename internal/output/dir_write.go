package output

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// WriteDir makes dir hold exactly files. It writes them into a new directory
// beside dir and then puts that in dir's place (on Linux in one atomic
// exchange), so that dir is never seen half-written, and files of an earlier
// render that are no longer rendered are gone. dir keeps its mode, setgid
// bit and group, and its files their mode.
//
// It refuses a directory holding anything mysqlgen did not write, and one
// that changed while it was writing; on any error, SIGINT and SIGTERM
// included, dir is left as it was and nothing is left beside it. Once the
// new files are in place it returns nil: what goes wrong after that
// (removing the previous contents, or temporaries killed runs left) is
// dropped here, and reported by WriteDirWarn.
func WriteDir(dir string, files []File) error {
	return WriteDirWarn(dir, files, io.Discard)
}

// WriteDirWarn is WriteDir, writing to warn what went wrong after the new
// files were in place: the write itself succeeded, but something (the
// previous contents) may be left beside dir.
func WriteDirWarn(dir string, files []File, warn io.Writer) error {
	for _, f := range files {
		// What is read back is bounded, so what is written must be: a
		// file mysqlgen wrote is never one it would then refuse.
		if len(f.Data) > MaxFileBytes {
			return fmt.Errorf("%s would be %d bytes, more than the %d a file of a rendered directory may have", f.Name, len(f.Data), MaxFileBytes)
		}
	}
	w, err := startDirWrite(dir, warn)
	if w != nil {
		defer w.release()
	}
	if err != nil {
		return err
	}
	if err := w.stage(files); err != nil {
		return w.discard(err)
	}
	if err := w.swap(); err != nil {
		return w.discard(err)
	}
	w.tidy()
	return nil
}

// dirWrite is one run of WriteDir.
type dirWrite struct {
	dir    string    // as the user named it, for messages
	target string    // dir with links resolved: what is replaced
	before *dirState // what target held; nil when it did not exist
	tmp    string    // the new directory, and after the swap the old one
	staged []string  // the files written into tmp
	warn   io.Writer
	signal *interrupts
	unlock []func()
}

// release ends what the run holds: its locks, and SIGINT and SIGTERM,
// which it catches while writing so as not to be killed halfway.
func (w *dirWrite) release() {
	w.signal.stop()
	for _, u := range w.unlock {
		u()
	}
}

// lockState is what lockDir found.
type lockState int

const (
	lockHeld        lockState = iota + 1
	lockBusy                  // another process holds it
	lockUnsupported           // the filesystem or system cannot lock
)

// lock takes the lock on path (see lockDir) for the rest of the run.
func (w *dirWrite) lock(path string) error {
	unlock, state, err := lockDir(path)
	if err != nil {
		return err
	}
	if state == lockBusy {
		return fmt.Errorf("another mysqlgen is writing %s", w.dir)
	}
	w.unlock = append(w.unlock, unlock)
	return nil
}

func startDirWrite(dir string, warn io.Writer) (*dirWrite, error) {
	w := &dirWrite{dir: filepath.Clean(dir), warn: warn, signal: catchInterrupts()}
	w.target = w.dir
	if resolved, err := filepath.EvalSymlinks(w.dir); err == nil {
		w.target = resolved // replace what the link points to, not the link
	}
	info, err := os.Stat(w.target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return w, nil
	case err != nil:
		return w, err
	case !info.IsDir():
		return w, fmt.Errorf("%s exists and is not a directory", dir)
	}
	if err := w.lock(w.target); err != nil {
		return w, err
	}
	if w.before, err = scanDir(w.target); err != nil {
		return w, err
	}
	return w, w.before.err()
}

// stage writes files into a new directory beside the target.
func (w *dirWrite) stage(files []File) error {
	parent := filepath.Dir(w.target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, tempPrefix(w.target))
	if err != nil {
		return err
	}
	w.tmp = tmp
	if err := w.lock(tmp); err != nil {
		return err
	}
	if err := w.keepDirMode(); err != nil {
		return err
	}
	fileMode, keep := w.fileMode()
	for _, f := range files {
		w.staged = append(w.staged, f.Name)
		if err := writeFileSynced(filepath.Join(tmp, f.Name), f.Data, fileMode, keep); err != nil {
			return err
		}
		if err := w.interrupted(); err != nil {
			return err
		}
	}
	return syncDir(tmp)
}

// modeBits are the bits of a directory's mode that WriteDir keeps.
const modeBits = fs.ModePerm | fs.ModeSetgid | fs.ModeSetuid | fs.ModeSticky

// keepDirMode gives the new directory the target's group and mode, setgid
// bit included, so that a directory shared by a group stays shared; the
// group first, since changing it may clear the setgid bit. A new target is
// 0755, setgid when its parent made it so. What cannot be kept is an error
// here, before the swap, rather than a surprise after it.
func (w *dirWrite) keepDirMode() error {
	info, err := os.Lstat(w.tmp)
	if err != nil {
		return err
	}
	want := 0o755 | info.Mode()&fs.ModeSetgid
	if w.before != nil {
		want = w.before.self.mode & modeBits
		if err := keepOwner(w.tmp, stateOf(info).id, w.before.self.id); err != nil {
			return fmt.Errorf("keeping the group of %s: %w", w.dir, err)
		}
	}
	if err := os.Chmod(w.tmp, want); err != nil || !modesAreUnix {
		return err
	}
	if info, err = os.Lstat(w.tmp); err != nil {
		return err
	}
	if got := info.Mode() & modeBits; got != want {
		return fmt.Errorf("keeping the mode of %s: it is %v, and a directory made beside it gets %v", w.dir, want|fs.ModeDir, got|fs.ModeDir)
	}
	return nil
}

// fileMode is the mode the target's files had, which new files keep
// (the Kustomization file is in every render, and was kustomization.yaml
// before mysqlgen named it so kubectl apply -f skips it); else 0644 less
// the umask.
func (w *dirWrite) fileMode() (mode fs.FileMode, keep bool) {
	if w.before != nil {
		for _, name := range []string{KustomizationFile, "kustomization.yaml"} {
			if k, ok := w.before.files[name]; ok {
				return k.mode.Perm(), true
			}
		}
	}
	return 0o644, false
}

// swap puts the new directory in the target's place: the one step after
// which the write has happened.
func (w *dirWrite) swap() error {
	testHooks.beforeSwap(w.target)
	if err := w.interrupted(); err != nil {
		return err
	}
	if w.before == nil {
		err := renameNoReplace(w.tmp, w.target)
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return fmt.Errorf("%s appeared while mysqlgen was writing it: it is left as it is; render again to replace it", w.dir)
		}
		return err
	}
	if err := w.unchanged(w.target); err != nil {
		return err
	}
	oldAt, err := exchange(w.tmp, w.target)
	if err != nil {
		return err
	}
	testHooks.afterSwap(oldAt)
	if err := w.unchanged(oldAt); err != nil {
		return w.swapBack(oldAt, err)
	}
	w.tmp = oldAt
	return nil
}

// swapBack undoes a swap after which the old directory turned out to have
// changed, by someone holding it open: it goes back in place, with what was
// written into it.
func (w *dirWrite) swapBack(oldAt string, changed error) error {
	newAt, err := exchange(oldAt, w.target)
	if err != nil {
		w.tmp = "" // nothing of it is to be removed now
		return fmt.Errorf("%w; putting it back failed (%v), so %s holds the new render and its previous contents are in %s", changed, err, w.dir, oldAt)
	}
	w.tmp = newAt
	return changed
}

// unchanged refuses a directory (the target, or its previous contents just
// after the swap) that is not what was checked at the start: a file that
// appeared since is not mysqlgen's to delete, and one that changed was
// checked as it was.
func (w *dirWrite) unchanged(path string) error {
	now, err := scanDir(path)
	if err != nil {
		return err
	}
	var what []string
	if now.self.id != w.before.self.id || now.self.mode != w.before.self.mode {
		what = append(what, "the directory itself was replaced or its mode changed")
	}
	for _, n := range slices.Sorted(maps.Keys(now.files)) {
		was, ok := w.before.files[n]
		switch {
		case !ok:
			what = append(what, n+" appeared")
		case was != now.files[n]:
			what = append(what, n+" was modified")
		}
	}
	for _, n := range slices.Sorted(maps.Keys(w.before.files)) {
		if _, ok := now.files[n]; !ok {
			what = append(what, n+" was removed")
		}
	}
	if len(what) == 0 {
		return nil
	}
	const show = 5
	if len(what) > show {
		what = append(what[:show], fmt.Sprintf("and %d more", len(what)-show))
	}
	return fmt.Errorf("%s changed while mysqlgen was writing it (%s): it is left as it is now; render again to replace it",
		w.dir, strings.Join(what, ", "))
}

// testHooks let tests act where a concurrent writer or a signal could.
var testHooks = struct{ beforeSwap, afterSwap func(path string) }{
	beforeSwap: func(string) {},
	afterSwap:  func(string) {},
}

// discard removes the new directory after a failure before the swap: the
// target is as it was, and nothing of this run is left beside it.
func (w *dirWrite) discard(err error) error {
	if w.tmp == "" {
		return err
	}
	if rmErr := removeOwn(w.tmp, w.staged); rmErr != nil {
		return fmt.Errorf("%w (and %v)", err, rmErr)
	}
	return err
}

// tidy removes the previous contents, now beside the target. The write has
// happened: what fails here is a warning.
func (w *dirWrite) tidy() {
	if err := syncDir(filepath.Dir(w.target)); err != nil {
		w.warnf("%s is written, but syncing its parent directory failed: %v", w.dir, err)
	}
	if w.before != nil {
		if err := removeOwn(w.tmp, slices.Collect(maps.Keys(w.before.files))); err != nil {
			w.warnf("%s is written, but its previous contents are left beside it: %v", w.dir, err)
		}
	}
	w.removeStale()
}

func (w *dirWrite) warnf(format string, args ...any) {
	fmt.Fprintf(w.warn, "warning: "+format+"\n", args...)
}

// removeOwn removes dir, which holds only the named files, all mysqlgen's.
// Names are removed one by one rather than with os.RemoveAll, so that
// anything else found in dir is kept, and dir with it.
func removeOwn(dir string, files []string) error {
	for _, n := range files {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", dir, err)
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	return nil
}

// writeFileSynced writes a new file. Its mode is set exactly when kept from
// an earlier render, and is perm less the umask otherwise.
func writeFileSynced(path string, data []byte, perm fs.FileMode, keep bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if keep {
		if err := f.Chmod(perm); err != nil {
			f.Close()
			return err
		}
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
