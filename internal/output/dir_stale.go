package output

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// tempPrefix starts the name of the directory WriteDir stages a render of
// target in, beside it; os.MkdirTemp adds digits, and the fallback exchange
// an .old suffix to the aside name.
func tempPrefix(target string) string { return "." + filepath.Base(target) + ".mysqlgen-" }

// staleAge is how old a temporary must be to be taken for stale where
// directories cannot be locked.
const staleAge = time.Hour

// removeStale removes the temporaries a run of WriteDir for target left
// behind when it was killed: those named as WriteDir names them that no
// running WriteDir holds and that hold nothing but files mysqlgen was
// writing. Anything else is left, with a warning when it looks like ours.
func (w *dirWrite) removeStale() {
	parent := filepath.Dir(w.target)
	entries, err := os.ReadDir(parent)
	if err != nil {
		w.warnf("looking for temporaries left beside %s: %v", w.dir, err)
		return
	}
	name := regexp.MustCompile(`^` + regexp.QuoteMeta(tempPrefix(w.target)) + `[0-9]+(\.old)?$`)
	for _, e := range entries {
		if !e.IsDir() || !name.MatchString(e.Name()) {
			continue
		}
		if err := removeStaleTemp(filepath.Join(parent, e.Name())); err != nil {
			w.warnf("left %s beside %s: %v", e.Name(), w.dir, err)
		}
	}
}

func removeStaleTemp(path string) error {
	unlock, state, err := lockDir(path)
	if err != nil || state == lockBusy {
		return err // a busy one: another run is writing it
	}
	defer unlock()
	if state == lockUnsupported {
		info, err := os.Lstat(path)
		if err != nil || time.Since(info.ModTime()) < staleAge {
			return err
		}
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	var files, foreign []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !isOurName(e.Name()) || !partOfOurs(filepath.Join(path, e.Name())) {
			foreign = append(foreign, e.Name())
		}
		files = append(files, e.Name())
	}
	if len(foreign) > 0 {
		slices.Sort(foreign)
		return fmt.Errorf("it holds %s, which mysqlgen did not write", strings.Join(foreign, ", "))
	}
	return removeOwn(path, files)
}

// partOfOurs says whether path is a file mysqlgen was writing: no larger
// than MaxFileBytes, and starting with Header or with the part of it written
// before the run was killed (an empty file included).
func partOfOurs(path string) bool {
	info, head, err := readHead(path)
	return err == nil && info.Mode().IsRegular() && info.Size() <= MaxFileBytes && strings.HasPrefix(Header, string(head))
}

// isOurName says whether name is one Files gives a file.
func isOurName(name string) bool {
	return name == KustomizationFile || fileNameRE.MatchString(name) && strings.HasSuffix(name, ".yaml")
}
