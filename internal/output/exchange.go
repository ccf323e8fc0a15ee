package output

import (
	"fmt"
	"os"
)

// exchangeByRenames moves b aside, puts a in its place, and moves the old b
// to a, where the caller removes it. Should the second rename fail, the
// first is undone.
func exchangeByRenames(a, b string) error {
	aside := a + ".old"
	if err := os.Rename(b, aside); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		if undo := os.Rename(aside, b); undo != nil {
			return fmt.Errorf("%w (and restoring %s from %s failed: %v)", err, b, aside, undo)
		}
		return err
	}
	return os.Rename(aside, a)
}
