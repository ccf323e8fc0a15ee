package output

import (
	"fmt"
	"os"
)

// exchangeByRenames moves b aside, puts a in its place, and moves the old b
// to a, where the caller removes it. Should the second rename fail, the
// first is undone. Once the second rename has happened the exchange has too:
// it returns where the old b is, which is the aside name should the last
// rename fail.
func exchangeByRenames(a, b string) (oldAt string, err error) {
	aside := a + ".old"
	if err := os.Rename(b, aside); err != nil {
		return "", err
	}
	if err := os.Rename(a, b); err != nil {
		if undo := os.Rename(aside, b); undo != nil {
			return "", fmt.Errorf("%w (and restoring %s from %s failed: %v)", err, b, aside, undo)
		}
		return "", err
	}
	if err := os.Rename(aside, a); err != nil {
		return aside, nil
	}
	return a, nil
}
