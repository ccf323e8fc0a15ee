//go:build cluster && !linux && !windows

package cluster

import (
	"os/exec"
	"syscall"
)

// setProcAttrs puts the child in a process group of its own so cleanup can signal the group.
func setProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
