//go:build !linux

package output

import "os"

// exchange swaps the directories a and b with two renames: b is briefly
// absent, but never half-written. It returns where the old b now is.
func exchange(a, b string) (oldAt string, err error) { return exchangeByRenames(a, b) }

// renameNoReplace is a plain rename here, which replaces an empty directory
// made at b meanwhile but never a non-empty one.
func renameNoReplace(a, b string) error { return os.Rename(a, b) }
