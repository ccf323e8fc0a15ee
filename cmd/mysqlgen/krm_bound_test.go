package main

import (
	"bytes"
	"strings"
	"testing"
)

// endless yields spaces and counts what was read of it.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	e.read += int64(len(p))
	return len(p), nil
}

// Issue 12 item 14: krm (and no command) read stdin without a bound.
func TestKRMStdinIsBounded(t *testing.T) {
	for _, args := range [][]string{{"krm"}, {}} {
		in := &endless{}
		var out, errOut bytes.Buffer
		code := Run(args, in, &out, &errOut)
		if code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), "more than 64 MiB") {
			t.Errorf("%v: exit %d, %d bytes out, stderr %q; want exit 1 and the bound named", args, code, out.Len(), errOut.String())
		}
		if in.read > maxResourceListBytes+64<<10 {
			t.Errorf("%v: read %d bytes of stdin, want at most about %d", args, in.read, maxResourceListBytes)
		}
	}
}
