//go:build unix

package output

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow opens a name without following a link in its place, and a
// FIFO without waiting for a writer.
const openNoFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// isLinkLoop is O_NOFOLLOW's answer for a symbolic link.
func isLinkLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }

// fileID names an inode and its owners: a file replaced or chown'ed between
// two looks at a directory has another.
type fileID struct {
	dev, ino uint64
	uid, gid uint32
}

func idOf(info fs.FileInfo) fileID {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino), uid: st.Uid, gid: st.Gid}
}

// keepOwner gives dir the group, and when it can (as root) the owner, that
// want names. A user may give a directory only a group of their own: that
// failing is an error, while an owner that only root could keep becomes the
// user writing, as with any file written anew.
func keepOwner(dir string, have, want fileID) error {
	uid, gid := -1, -1
	if want.gid != have.gid {
		gid = int(want.gid)
	}
	if want.uid != have.uid && os.Geteuid() == 0 {
		uid = int(want.uid)
	}
	if uid == -1 && gid == -1 {
		return nil
	}
	return os.Lchown(dir, uid, gid)
}
