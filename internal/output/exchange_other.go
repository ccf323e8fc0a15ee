//go:build !linux

package output

// exchange swaps the directories a and b with two renames: b is briefly
// absent, but never half-written. It returns where the old b now is.
func exchange(a, b string) (oldAt string, err error) { return exchangeByRenames(a, b) }
