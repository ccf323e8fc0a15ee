// Package templates embeds the shell scripts and option files that run inside
// the rendered pods. They are static: every parameter reaches them through the
// container's environment, so shellcheck and the end-to-end tests run the very
// bytes that ship.
package templates

import "embed"

// Files holds the scripts (*.sh) and option files (*.cnf).
//
//go:embed *.sh *.cnf
var Files embed.FS

// Scripts are the script files, mounted together so that each can source
// common.sh from its own directory.
var Scripts = []string{"clone-mysql.sh", "common.sh", "init-mysql.sh", "probe.sh", "server.sh", "sidecar.sh"}

// RoleConfigs are the option files init-mysql picks from by ordinal.
var RoleConfigs = []string{"primary.cnf", "replica.cnf"}

// MustRead returns an embedded file; the names are constants of this package,
// so a missing file is a build defect, caught by the package's tests.
func MustRead(name string) string {
	b, err := Files.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}
