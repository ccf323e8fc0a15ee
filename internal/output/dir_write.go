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
)

// WriteDir makes dir hold exactly files. It writes them into a new directory
// beside dir and then puts that in dir's place (on Linux in one atomic
// exchange), so that dir is never seen half-written, and files of an earlier
// render that are no longer rendered are gone. It refuses to replace a
// directory holding anything mysqlgen did not write, and leaves it untouched
// on any error. Once the new files are in place it returns nil: what goes
// wrong after that (removing the previous contents) is dropped; WriteDirWarn
// reports it.
func WriteDir(dir string, files []File) error {
	return WriteDirWarn(dir, files, io.Discard)
}

// WriteDirWarn is WriteDir, writing to warn what went wrong after the new
// files were in place: the write itself succeeded, but something (the
// previous contents) may be left beside dir.
func WriteDirWarn(dir string, files []File, warn io.Writer) error {
	w, err := startDirWrite(dir, warn)
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
}

func startDirWrite(dir string, warn io.Writer) (*dirWrite, error) {
	w := &dirWrite{dir: filepath.Clean(dir), warn: warn}
	w.target = w.dir
	if resolved, err := filepath.EvalSymlinks(w.dir); err == nil {
		w.target = resolved // replace what the link points to, not the link
	}
	info, err := os.Stat(w.target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return w, nil
	case err != nil:
		return nil, err
	case !info.IsDir():
		return nil, fmt.Errorf("%s exists and is not a directory", dir)
	}
	if w.before, err = scanDir(w.target); err != nil {
		return nil, err
	}
	return w, w.before.err()
}

// stage writes files into a new directory beside the target.
func (w *dirWrite) stage(files []File) error {
	parent := filepath.Dir(w.target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(w.target)+".mysqlgen-")
	if err != nil {
		return err
	}
	w.tmp = tmp
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		w.staged = append(w.staged, f.Name)
		if err := writeFileSynced(filepath.Join(tmp, f.Name), f.Data); err != nil {
			return err
		}
	}
	return syncDir(tmp)
}

// swap puts the new directory in the target's place: the one step after
// which the write has happened.
func (w *dirWrite) swap() error {
	if w.before == nil {
		return os.Rename(w.tmp, w.target)
	}
	oldAt, err := exchange(w.tmp, w.target)
	if err != nil {
		return err
	}
	w.tmp = oldAt
	return nil
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
	if w.before == nil {
		return
	}
	if err := removeOwn(w.tmp, slices.Collect(maps.Keys(w.before.files))); err != nil {
		w.warnf("%s is written, but its previous contents are left beside it: %v", w.dir, err)
	}
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

func writeFileSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
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
