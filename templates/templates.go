// Package templates embeds the shell scripts and option files that run inside
// the rendered pods. They are static: every parameter reaches them through the
// container's environment, so shellcheck and the end-to-end tests run the very
// bytes that ship.
package templates

import (
	"embed"
	"io/fs"
	"sync"
)

// Files holds the scripts (*.sh) and option files (*.cnf).
//
//go:embed *.sh *.cnf
var Files embed.FS

// Scripts are the script files, mounted together so that each can source
// common.sh from its own directory.
var Scripts = []string{"accounts.sh", "backup.sh", "clone-mysql.sh", "common.sh", "init-mysql.sh", "probe.sh", "server.sh", "sidecar.sh"}

// RoleConfigs are the option files init-mysql picks from by ordinal.
var RoleConfigs = []string{"primary.cnf", "replica.cnf"}

// MustRead returns an embedded file; the names are constants of this package,
// so a missing file is a build defect, caught by the package's tests.
func MustRead(name string) string {
	s, ok := contents()[name]
	if !ok {
		panic(&fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist})
	}
	return s
}

// contents reads every file once: each cluster of a batch then shares the
// same strings instead of copying them (and the encoder's cache of how a
// string is written finds them by pointer).
var contents = sync.OnceValue(func() map[string]string {
	entries, err := Files.ReadDir(".")
	if err != nil {
		panic(err)
	}
	m := make(map[string]string, len(entries))
	for _, e := range entries {
		b, err := Files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		m[e.Name()] = string(b)
	}
	return m
})
