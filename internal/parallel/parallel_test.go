package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"

	_ "github.com/mysqlgen/mysqlgen/internal/golden" // registers -update for go test ./... -update
)

func TestForCallsEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100, 1001} {
		calls := make([]int32, n)
		var states atomic.Int32
		For(n, 10, func() *int { states.Add(1); return new(int) }, func(count *int, i int) {
			*count++
			atomic.AddInt32(&calls[i], 1)
		})
		for i, c := range calls {
			if c != 1 {
				t.Fatalf("n=%d: index %d called %d times", n, i, c)
			}
		}
		if want := max(1, min(runtime.GOMAXPROCS(0), n/10)); int(states.Load()) != want {
			t.Errorf("n=%d: %d states made, want one per worker (%d)", n, states.Load(), want)
		}
	}
}
