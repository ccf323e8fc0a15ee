package output

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// MaxFileBytes bounds any file in a rendered directory, both what WriteDir
// writes and what is read back, so that a larger file is known not to be
// mysqlgen's and is refused without being read. A file holds one object
// rendered from one spec of at most spec.MaxSpecBytes, and the API server
// takes no request body over 3 MiB (MaxRequestBodyBytes in k8s.io/apiserver's
// pkg/server/config.go).
const MaxFileBytes = 16 * spec.MaxSpecBytes

// dirState is what a directory held when it was checked: enough to refuse it
// when it holds anything mysqlgen did not write, and to tell whether it
// changed since.
type dirState struct {
	dir      string
	self     fileState
	files    map[string]fileState
	foreign  []string
	tooLarge []string
}

// fileState is one file or directory as stat saw it.
type fileState struct {
	mode  fs.FileMode
	size  int64
	mtime int64
	id    fileID
}

func stateOf(info fs.FileInfo) fileState {
	return fileState{mode: info.Mode(), size: info.Size(), mtime: info.ModTime().UnixNano(), id: idOf(info)}
}

// scanDir checks every entry of dir, reading no more than the header of
// each file.
func scanDir(dir string) (*dirState, error) {
	info, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	s := &dirState{dir: dir, self: stateOf(info), files: map[string]fileState{}}
	for _, e := range entries {
		st, owned, err := checkEntry(dir, e)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing: not in dir any more
		}
		if err != nil {
			return nil, err
		}
		s.files[e.Name()] = st
		switch {
		case !owned:
			s.foreign = append(s.foreign, e.Name())
		case st.size > MaxFileBytes:
			s.tooLarge = append(s.tooLarge, e.Name())
		}
	}
	return s, nil
}

// err refuses a directory holding anything mysqlgen did not write.
func (s *dirState) err() error {
	if len(s.foreign) > 0 {
		return foreignError(s.dir, s.foreign)
	}
	if len(s.tooLarge) > 0 {
		n := s.tooLarge[0]
		return tooLargeError(filepath.Join(s.dir, n), s.files[n].size)
	}
	return nil
}

// checkEntry checks one entry of dir: one that is not a regular file is not
// opened at all, since opening a device can have effects of its own.
func checkEntry(dir string, e fs.DirEntry) (fileState, bool, error) {
	if !e.Type().IsRegular() {
		info, err := e.Info()
		if err != nil {
			return fileState{}, false, err
		}
		return stateOf(info), false, nil
	}
	return checkOwned(filepath.Join(dir, e.Name()))
}

// checkOwned says whether path is a file mysqlgen wrote: a regular file
// starting with Header.
func checkOwned(path string) (fileState, bool, error) {
	info, head, err := readHead(path)
	if err != nil {
		return fileState{}, false, err
	}
	return stateOf(info), info.Mode().IsRegular() && string(head) == Header, nil
}

// readHead reads no more of path than Header's length. It opens without
// following links and without blocking, so that a link or a FIFO put in
// place after the listing can neither redirect nor stall the check: for
// anything but a regular file it returns only what Lstat would.
func readHead(path string) (fs.FileInfo, []byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow, 0)
	if isLinkLoop(err) {
		info, err := os.Lstat(path)
		return info, nil, err
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return info, nil, err
	}
	head := make([]byte, len(Header))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	return info, head[:n], nil
}

// readBounded reads a file of a checked directory, at most MaxFileBytes of
// it however it grows meanwhile.
func readBounded(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, tooLargeError(path, int64(len(data)))
	}
	return data, nil
}

func tooLargeError(path string, size int64) error {
	return fmt.Errorf("%s is larger than any file mysqlgen writes (%d bytes, at most %d), so mysqlgen did not write it; mysqlgen replaces the whole directory, so give it a directory of its own",
		path, size, MaxFileBytes)
}
