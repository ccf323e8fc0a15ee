//go:build !unix

package output

import "io/fs"

// openNoFollow: elsewhere the listing's file types are all there is.
const openNoFollow = 0

func isLinkLoop(error) bool { return false }

// fileID is empty where stat says nothing of inodes: size, mode and
// modification time are then all that tells files apart.
type fileID struct{}

func idOf(fs.FileInfo) fileID { return fileID{} }

// keepOwner has nothing to keep where stat says nothing of owners.
func keepOwner(string, fileID, fileID) error { return nil }

// lockDir cannot lock here.
func lockDir(string) (unlock func(), state lockState, err error) {
	return func() {}, lockUnsupported, nil
}

// modesAreUnix: elsewhere (Windows) a mode set is not the mode read back.
const modesAreUnix = false
