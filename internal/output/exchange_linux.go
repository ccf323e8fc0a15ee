package output

import (
	"os"

	"golang.org/x/sys/unix"
)

// exchange swaps the directories a and b in one atomic step
// (renameat2 RENAME_EXCHANGE): readers see the old directory or the new,
// never neither. It returns where the old b now is.
func exchange(a, b string) (oldAt string, err error) {
	if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
		if err == unix.ENOSYS || err == unix.EINVAL {
			// An old kernel or a filesystem without the flag.
			return exchangeByRenames(a, b)
		}
		return "", &os.LinkError{Op: "exchange", Old: a, New: b, Err: err}
	}
	return a, nil
}

// renameNoReplace renames a to b unless b exists: a plain rename would
// replace an empty directory made at b meanwhile, with whatever mode and
// group its maker gave it.
func renameNoReplace(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_NOREPLACE)
	if err == unix.ENOSYS || err == unix.EINVAL {
		return os.Rename(a, b)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: a, New: b, Err: err}
	}
	return nil
}
