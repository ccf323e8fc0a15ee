//go:build cluster && linux

package cluster

import (
	"os/exec"
	"syscall"
)

// setProcAttrs puts the child in a process group of its own (so cleanup can signal the group)
// and has the kernel SIGKILL it if the test process dies without running its cleanups
// (go test -timeout, a crash, ^C).
func setProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
