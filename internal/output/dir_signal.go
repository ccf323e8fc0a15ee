package output

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// ErrInterrupted is the error of a WriteDir stopped by SIGINT or SIGTERM
// before its swap: the target is as it was, and the new files are removed.
var ErrInterrupted = errors.New("interrupted")

// interrupts catches SIGINT and SIGTERM while a directory is written, so
// that a Ctrl-C stops the write at its next step and removes what it staged
// rather than killing the process with a temporary left beside the target.
// A second signal kills as usual. Signals the process was started ignoring
// (a background job's SIGINT) stay ignored.
type interrupts struct{ ch chan os.Signal }

func catchInterrupts() *interrupts {
	c := &interrupts{ch: make(chan os.Signal, 1)}
	for _, s := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		if !signal.Ignored(s) {
			signal.Notify(c.ch, s)
		}
	}
	return c
}

func (c *interrupts) stop() { signal.Stop(c.ch) }

// interrupted says whether a signal came, letting the next one kill.
func (w *dirWrite) interrupted() error {
	select {
	case s := <-w.signal.ch:
		w.signal.stop()
		return fmt.Errorf("%w (%v): %s is left as it was", ErrInterrupted, s, w.dir)
	default:
		return nil
	}
}
