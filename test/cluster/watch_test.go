//go:build cluster

package cluster

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// podEvent is one watch event of a pod, in the order the apiserver sent them (etcd revision
// order), which is what makes ordering checks exact where timestamps have 1 s resolution.
type podEvent struct {
	Type  string // ADDED, MODIFIED, DELETED
	Name  string
	Ready bool
}

// PodWatch streams `kubectl get pods --watch` for one namespace.
type PodWatch struct {
	mu     sync.Mutex
	events []podEvent
	cmd    *exec.Cmd
	done   chan struct{}
}

// WatchPods starts a watch of the pods in ns matching selector; it is stopped in t.Cleanup.
func (c *Cluster) WatchPods(t *testing.T, ns, selector string) *PodWatch {
	t.Helper()
	args := []string{"--kubeconfig=" + c.Kubeconfig, "get", "pods", "-n", ns, "--watch", "--output-watch-events", "-o", "json"}
	if selector != "" {
		args = append(args, "-l", selector)
	}
	cmd := exec.Command(filepath.Join(c.Bin, "kubectl"), args...)
	cmd.Env = append(os.Environ(), "HOME="+c.home, "KUBECONFIG="+c.Kubeconfig)
	setProcAttrs(cmd)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	errLog, err := os.Create(filepath.Join(c.Dir, "kubectl-watch-"+ns+".log"))
	must(t, err)
	cmd.Stderr = errLog
	must(t, cmd.Start())
	w := &PodWatch{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		dec := json.NewDecoder(stdout)
		for {
			var ev struct {
				Type   string `json:"type"`
				Object Pod    `json:"object"`
			}
			if err := dec.Decode(&ev); err != nil {
				if err != io.EOF {
					fmt.Fprintf(errLog, "decode: %v\n", err)
				}
				return
			}
			w.mu.Lock()
			w.events = append(w.events, podEvent{Type: ev.Type, Name: ev.Object.Metadata.Name, Ready: ev.Object.Ready()})
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		_ = cmd.Wait()
		_ = errLog.Close()
	})
	// The watch has started once kubectl listed the (possibly empty) namespace; give it a moment.
	time.Sleep(500 * time.Millisecond)
	return w
}

func (w *PodWatch) Events() []podEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]podEvent(nil), w.events...)
}

// Mark returns the current position, to look only at later events.
func (w *PodWatch) Mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.events)
}

// firstIndex is the index (from 'from' on) of the first event matching f, or -1.
func firstIndex(evs []podEvent, from int, f func(podEvent) bool) int {
	for i := from; i < len(evs); i++ {
		if f(evs[i]) {
			return i
		}
	}
	return -1
}

// CheckOrderedCreation checks that pods prefix-first..prefix-last were each created only after
// the previous ordinal was Ready (OrderedReady), looking at events from mark on.
func (w *PodWatch) CheckOrderedCreation(t *testing.T, sts string, first, last, mark int) {
	t.Helper()
	evs := w.Events()
	var order []string
	for i := first; i <= last; i++ {
		name := fmt.Sprintf("%s-%d", sts, i)
		added := firstIndex(evs, mark, func(e podEvent) bool { return e.Name == name && e.Type == "ADDED" })
		ready := firstIndex(evs, mark, func(e podEvent) bool { return e.Name == name && e.Ready })
		if added < 0 || ready < 0 {
			t.Errorf("ordinal order: no ADDED/Ready event seen for pod %s (added at %d, ready at %d)", name, added, ready)
			return
		}
		order = append(order, fmt.Sprintf("%s added@%d ready@%d", name, added, ready))
		if i > first {
			prev := fmt.Sprintf("%s-%d", sts, i-1)
			prevReady := firstIndex(evs, mark, func(e podEvent) bool { return e.Name == prev && e.Ready })
			if prevReady < 0 || added < prevReady {
				t.Errorf("ordinal order: pod %s was created (event %d) before %s was Ready (event %d)", name, added, prev, prevReady)
			}
		}
	}
	t.Logf("check ordinal order: OK (%s)", strings.Join(order, ", "))
}

// CheckDeletionOrder checks that the pods named went away in the order given, from mark on.
func (w *PodWatch) CheckDeletionOrder(t *testing.T, mark int, names ...string) {
	t.Helper()
	evs := w.Events()
	prev := -1
	for _, n := range names {
		i := firstIndex(evs, mark, func(e podEvent) bool { return e.Name == n && e.Type == "DELETED" })
		if i < 0 {
			t.Errorf("deletion order: no DELETED event for pod %s", n)
			return
		}
		if i < prev {
			t.Errorf("deletion order: pod %s was deleted (event %d) before the one before it in %v", n, i, names)
		}
		prev = i
	}
	t.Logf("check deletion order %v: OK", names)
}
