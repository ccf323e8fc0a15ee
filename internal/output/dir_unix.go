//go:build unix

package output

import (
	"errors"
	"fmt"
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

// lockDir takes an exclusive lock on the directory path (flock, released
// when the process ends, however it ends). A run of WriteDir locks the
// target and its new directory, so that another run neither writes the same
// target at once nor takes them for stale. A filesystem without flock (some
// FUSE and NFS mounts) gives lockUnsupported, not an error: writing works
// there as it did before locks.
func lockDir(path string) (unlock func(), state lockState, err error) {
	d, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, 0, err
	}
	switch err := flock(d); {
	case errors.Is(err, syscall.EWOULDBLOCK):
		d.Close()
		return nil, lockBusy, nil
	case errors.Is(err, syscall.ENOLCK), errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.ENOSYS):
		d.Close()
		return func() {}, lockUnsupported, nil
	case err != nil:
		d.Close()
		return nil, 0, err
	}
	// The lock must hold the directory the path names, not one that was
	// there when it was opened.
	info, err := d.Stat()
	if now, lerr := os.Lstat(path); err != nil || lerr != nil || !os.SameFile(info, now) {
		d.Close()
		return nil, 0, fmt.Errorf("%s was replaced while being locked", path)
	}
	return func() { d.Close() }, lockHeld, nil
}

func flock(d *os.File) error {
	for {
		err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}

// modesAreUnix: a mode set is the mode read back.
const modesAreUnix = true
