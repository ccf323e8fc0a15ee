//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// report prints one line per check and counts them; TestMain prints the
// final "N passed, N failed" line for the whole run.
type report struct {
	mu             sync.Mutex
	passed, failed int
}

var checks report

// check prints PASS or FAIL for one named check and fails t on error.
func check(t testing.TB, name string, err error) bool {
	t.Helper()
	checks.mu.Lock()
	defer checks.mu.Unlock()
	if err != nil {
		checks.failed++
		fmt.Fprintf(os.Stdout, "FAIL %s: %v\n", name, err)
		t.Errorf("check %q failed: %v", name, err)
		return false
	}
	checks.passed++
	fmt.Fprintf(os.Stdout, "PASS %s\n", name)
	return true
}

func (r *report) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("%d passed, %d failed", r.passed, r.failed)
}
