//go:build !linux

package output

// exchange swaps the directories a and b with two renames: b is briefly
// absent, but never half-written.
func exchange(a, b string) error { return exchangeByRenames(a, b) }
