//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"time"
)

// sql runs a query with the server image's own client inside a pod's
// container, like `kubectl exec <pod> -c <container> -- mysql ...`: over the
// local socket, or over TCP to 127.0.0.1 when tcp is set. The password
// travels in MYSQL_PWD, never on a command line.
func (c *cluster) sql(ord int, container, user, password, query string, tcp bool, flags ...string) (string, error) {
	p := c.pod(ord)
	if p == nil {
		return "", fmt.Errorf("%s does not exist", c.podName(ord))
	}
	ct := p.container(container)
	if ct == nil {
		return "", fmt.Errorf("%s has no container %s", p.name, container)
	}
	if flags == nil {
		flags = []string{"-N", "-B"}
	}
	argv := append([]string{"mysql", "-u" + user, "--connect-timeout=5"}, flags...)
	if tcp {
		argv = append(argv, "-h127.0.0.1", "-P3306", "--protocol=TCP")
	} else if c.socket != "" {
		argv = append(argv, "--protocol=socket", "--socket="+c.socket)
	}
	argv = append(argv, "-e", query)
	r := p.exec(ct, argv, []string{"MYSQL_PWD=" + password}, 30*time.Second)
	if r.Code != 0 || r.Err != nil {
		return r.Stdout, fmt.Errorf("%s: %q: %s", p.name, query, strings.TrimSpace(r.Stderr+" "+fmt.Sprint(r.Err)))
	}
	return strings.TrimRight(r.Stdout, "\n"), nil
}

// execOut runs argv in a container and returns its stdout, failing on a
// non-zero exit.
func (c *cluster) execOut(ord int, container string, argv ...string) (string, error) {
	p := c.pod(ord)
	if p == nil {
		return "", fmt.Errorf("%s does not exist", c.podName(ord))
	}
	ct := p.container(container)
	if ct == nil {
		return "", fmt.Errorf("%s has no container %s", p.name, container)
	}
	r := p.exec(ct, argv, nil, 30*time.Second)
	if r.Code != 0 || r.Err != nil {
		return r.Stdout, fmt.Errorf("%s %s: %v: %s", p.name, strings.Join(argv, " "), r, "")
	}
	return strings.TrimRight(r.Stdout, "\n"), nil
}
