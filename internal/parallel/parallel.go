// Package parallel runs the independent steps of a batch (one per spec, or
// one per object) on every CPU, each result in its own slot, so that output
// order never depends on scheduling.
package parallel

import (
	"runtime"
	"sync"
)

// For calls fn(state, i) for every i in [0, n). Up to GOMAXPROCS goroutines
// share the work, one more for every minPer indices (so a small n stays on
// one goroutine: starting others costs more than it saves); each goroutine
// makes its own state with local and takes every k-th index. fn must only
// write results to slots of its own i.
func For[S any](n, minPer int, local func() S, fn func(state S, i int)) {
	workers := max(1, min(runtime.GOMAXPROCS(0), n/max(minPer, 1)))
	if workers == 1 {
		s := local()
		for i := range n {
			fn(s, i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			s := local()
			for i := w; i < n; i += workers {
				fn(s, i)
			}
		})
	}
	wg.Wait()
}

// None is the state of a step that needs none.
func None() struct{} { return struct{}{} }
