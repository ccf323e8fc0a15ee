//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// figure prints one measured figure of the run; the report keeps these lines.
func figure(format string, args ...any) {
	fmt.Printf("FIGURE "+format+"\n", args...)
}

// lostPrimary runs issue 13's scenario (d): ordinal 0 loses its pod and its
// claim (a dead node with local disk) and comes back with every row, never
// empty. While it is gone and while it comes back, a client tries to write
// through it every half second and reads what it serves: it must never
// answer without the rows, and it takes writes again only once it holds
// them all.
func (s *suite) lostPrimary(label string, n int) {
	t, c := s.t, s.c
	before, err := s.sum(0)
	if !check(t, label+": rows on the primary before it is lost", err) {
		return
	}
	rowsBefore := s.rows
	lostAt := time.Now()
	if !check(t, label+": "+s.pod(0)+" deleted with its claim", c.losePod(0, 6*time.Minute)) {
		return
	}
	var accepted time.Duration
	var servedEmpty []string
	waitFor(8*time.Minute, func() bool {
		if c.pod(0) == nil {
			return false
		}
		if got, err := s.sum(0); err == nil && !strings.HasPrefix(got, fmt.Sprintf("%d\t", rowsBefore)) {
			servedEmpty = append(servedEmpty, got)
		} else if err != nil && strings.Contains(err.Error(), "doesn't exist") {
			servedEmpty = append(servedEmpty, err.Error())
		}
		if s.write("d", 1) == nil {
			accepted = time.Since(lostAt)
			return true
		}
		return false
	})
	check(t, label+": the new "+s.pod(0)+" takes writes again", expect(accepted > 0, "not after 8 minutes: %s", c.status()))
	check(t, label+": it never served a database without the rows written before",
		expect(len(servedEmpty) == 0, "served %q", servedEmpty))
	p0 := c.pod(0)
	var initLog, cloneLog string
	if p0 != nil {
		initLog, cloneLog = p0.logs(initContainer), p0.logs(cloneContainer)
	}
	check(t, label+": init-mysql did not bootstrap an empty data directory, since members exist",
		expect(strings.Contains(initLog, "cloning the most advanced") && !strings.Contains(initLog, "bootstrapping"), "init log: %s", tail(initLog, 400)))
	check(t, label+": clone-mysql cloned the member that holds the most",
		expect(strings.Contains(cloneLog, "holds the most") && strings.Contains(cloneLog, "clone complete"), "clone log: %s", tail(cloneLog, 600)))
	rerr := c.waitReady(n, 5*time.Minute)
	check(t, label+": every member Ready again", rerr)
	after, _ := s.sum(0)
	lost := rowsBefore - countOf(after) + (s.rows - rowsBefore)
	figure("%s: lost primary volume -> writes accepted again: %.1f s; acknowledged writes lost: %d (rows before %s, after %s)",
		label, accepted.Seconds(), lost, before, after)
	if err := s.write("d2", 100); err != nil {
		check(t, label+": rows written through the recovered primary", err)
	}
	s.verify(label, n)
}

func countOf(sum string) int {
	var n int
	fmt.Sscanf(sum, "%d", &n)
	return n
}

// writer is a client writing one row at a time through the -primary
// Service, as an application would, keeping what was acknowledged.
type writer struct {
	mu      sync.Mutex
	acked   []string
	refused time.Duration // the longest time between a refused write and the next acknowledged one
	stop    chan struct{}
	done    chan struct{}
}

func (s *suite) startWriter(tag string) *writer {
	w := &writer{stop: make(chan struct{}), done: make(chan struct{})}
	svc := s.c.sts.Name + "-primary"
	go func() {
		defer close(w.done)
		var firstRefused time.Time
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			v := fmt.Sprintf("%s-%s-%d", s.c.id, tag, i)
			ord := s.c.endpoint(svc)
			err := fmt.Errorf("no endpoint")
			if ord >= 0 {
				_, err = s.appSQL(ord, "INSERT INTO e2e.t (v) VALUES ('"+v+"')")
			}
			w.mu.Lock()
			if err == nil {
				w.acked = append(w.acked, v)
				if !firstRefused.IsZero() {
					w.refused = max(w.refused, time.Since(firstRefused))
					firstRefused = time.Time{}
				}
			} else if firstRefused.IsZero() {
				firstRefused = time.Now()
			}
			w.mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return w
}

// finish stops the writer and returns what it saw acknowledged.
func (w *writer) finish() ([]string, time.Duration) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.acked...), w.refused
}

// switchover runs issue 13's scenarios (a), (b) and (f): spec.primary is
// changed to `to` and applied; the pods restart in the given order while a
// client writes continuously through the -primary Service. Every
// acknowledged write must be on every member afterwards, the members must
// follow the new primary by GTID, and no member may hold a transaction the
// primary lacks.
func (s *suite) switchover(label string, to int, order []int, n int) {
	t, c := s.t, s.c
	bin, _ := buildMysqlgen()
	body := s.specBody
	if to != 0 {
		body += fmt.Sprintf("  primary: %d\n", to)
	}
	out, err := renderSpec(t, bin, body)
	m, perr := parseManifest(out)
	if !check(t, fmt.Sprintf("%s: the spec with primary %d renders", label, to), firstErr(err, perr)) {
		return
	}
	w := s.startWriter(fmt.Sprintf("sw%d", to))
	time.Sleep(2 * time.Second) // writes acknowledged by the old primary first
	start := time.Now()
	c.apply(m)
	rerr := c.rollingUpdate(order, 6*time.Minute)
	ok := waitFor(2*time.Minute, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return c.endpoint(c.sts.Name+"-primary") == to && len(w.acked) > 0
	})
	time.Sleep(2 * time.Second) // and writes acknowledged by the new one
	acked, refused := w.finish()
	check(t, fmt.Sprintf("%s: rolling update in the order %v, %s takes writes", label, order, s.pod(to)),
		firstErr(rerr, expect(ok, "the -primary Service has no Ready endpoint on %s: %s", s.pod(to), c.status())))
	s.primary = to
	lost := 0
	var errs []string
	for ord := 0; ord < n; ord++ {
		missing := s.missingOn(ord, fmt.Sprintf("%s-sw%d-%%", c.id, to), acked)
		lost = max(lost, missing)
		if missing > 0 {
			errs = append(errs, fmt.Sprintf("%s lacks %d of %d acknowledged writes", s.pod(ord), missing, len(acked)))
		}
	}
	check(t, fmt.Sprintf("%s: all %d acknowledged writes are on every member", label, len(acked)), joinErrs(errs))
	figure("%s: switchover to %s, pods restarted in the order %v: %.1f s in all, writes refused for at most %.1f s in a row, %d writes acknowledged, %d lost",
		label, s.pod(to), order, time.Since(start).Seconds(), refused.Seconds(), len(acked), lost)
	cnt, err := s.rootSQL(to, "SELECT COUNT(*) FROM e2e.t")
	if err == nil {
		s.rows = countOf(cnt)
	}
	s.noErrantGTIDs(label, n)
	s.verify(label, n)
}

// noErrantGTIDs checks that every member holds exactly the primary's GTID
// position once caught up: none holds a transaction the primary lacks.
func (s *suite) noErrantGTIDs(label string, n int) {
	want, err := s.rootSQL(s.primary, "SELECT @@gtid_binlog_pos")
	var errs []string
	for ord := 0; ord < n && err == nil; ord++ {
		var got string
		waitFor(60*time.Second, func() bool {
			got, _ = s.rootSQL(ord, "SELECT @@gtid_binlog_pos")
			return got == want
		})
		if got != want {
			errs = append(errs, fmt.Sprintf("%s: %q, primary %q", s.pod(ord), got, want))
		}
	}
	check(s.t, label+": no errant GTIDs: every member's binlog GTID position is the primary's", firstErr(err, joinErrs(errs)))
}

// rejoin runs the part of issue 13's scenario (c) that follows the old
// primary's return: a member that holds a transaction the primary lacks (an
// errant GTID: here committed on replica ord by an administrator, who can
// write on a read-only MariaDB) is restarted; it must find the errant
// transaction, move its data aside (kept on its volume) and clone afresh,
// then follow the primary with every row and none of its own.
func (s *suite) rejoin(label string, ord, n int) {
	t, c := s.t, s.c
	errantRow := c.id + "-errant"
	_, err := s.rootSQL(ord, sqlLiterals+"INSERT INTO e2e.t (v) VALUES ('"+errantRow+"')")
	check(t, label+": a transaction only "+s.pod(ord)+" holds (an errant GTID)", err)
	derr := c.deletePod(ord, 6*time.Minute)
	rerr := c.waitReady(n, 8*time.Minute)
	var side string
	if p := c.pod(ord); p != nil {
		side = p.logs(sidecarName)
	}
	aside, _ := filepath.Glob(filepath.Join(c.pvcDir("data-"+s.pod(ord)), "data.errant-*"))
	check(t, label+": "+s.pod(ord)+" came back, found its errant GTID, moved its data aside (kept) and cloned afresh",
		firstErr(derr, rerr, expect(strings.Contains(side, "errant GTIDs") && len(aside) == 1, "aside %v, log: %s", aside, tail(side, 600))))
	var kept string
	if len(aside) == 1 {
		_, kerr := os.Stat(filepath.Join(aside[0], "e2e"))
		kept = fmt.Sprint(kerr == nil)
	}
	check(t, label+": the data moved aside is whole (it holds the e2e database)", expect(kept == "true", "kept %q", kept))
	got, err := s.rootSQL(ord, "SELECT COUNT(*) FROM e2e.t WHERE v = '"+errantRow+"'")
	check(t, label+": the errant row is no longer served by "+s.pod(ord), firstErr(err, expect(got == "0", "got %q", got)))
	if err := s.write("c", 10); err != nil {
		check(t, label+": rows written through the primary", err)
	}
	s.noErrantGTIDs(label, n)
	s.verify(label, n)
}

// failover runs the first half of issue 13's scenario (c): ordinal 0, the
// primary, commits a write no replica fetched, then its node dies (the pod
// is gone and not recreated; its claim stays). Replicas without their
// primary are not ready, so the StatefulSet controller would restart
// nothing: the person runs `sidecar.sh promote 1` in mysql-1 (kubectl exec),
// which waits the bounded time for the old primary, promotes mysql-1 and
// points the other members at it; then sets spec.primary 1 and applies.
// When ordinal 0's node returns, the pod comes back with its errant
// transaction and re-clones (rejoin, above, checks the same on a replica).
func (s *suite) failover(label string, n int) {
	t, c := s.t, s.c
	for ord := 1; ord < n; ord++ {
		_, _ = s.rootSQL(ord, "STOP SLAVE IO_THREAD")
	}
	errantRow := c.id + "-lost"
	_, err := s.appSQL(0, "INSERT INTO e2e.t (v) VALUES ('"+errantRow+"')")
	check(t, label+": a write acknowledged by ordinal 0 that no replica fetched", err)
	gone := time.Now()
	c.hold(0)
	derr := c.deletePod(0, 6*time.Minute)
	w := s.startWriter("fo") // through the -primary Service, from here on
	for ord := 1; ord < n; ord++ {
		_, _ = s.rootSQL(ord, "START SLAVE IO_THREAD")
	}
	check(t, label+": "+s.pod(0)+"'s node is gone (pod deleted, not recreated; claim kept)", derr)
	p1 := c.pod(1)
	res := p1.exec(p1.container(sidecarName), []string{"bash", s.scripts + "/sidecar.sh", "promote", "1"}, nil, 4*time.Minute)
	check(t, label+": sidecar.sh promote 1 in "+s.pod(1)+" takes writes after the bounded wait and says it was a failover",
		expect(res.Code == 0 && strings.Contains(res.Stderr, "failover: ") && strings.Contains(res.Stderr, "follows "+s.pod(1)), "%s", res))
	bin, _ := buildMysqlgen()
	out, err := renderSpec(t, bin, s.specBody+"  primary: 1\n")
	m, perr := parseManifest(out)
	if !check(t, label+": the spec with primary 1 renders", firstErr(err, perr)) {
		w.finish()
		return
	}
	c.apply(m)
	var accepted time.Duration
	ok := waitFor(3*time.Minute, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		if c.endpoint(c.sts.Name+"-primary") == 1 && len(w.acked) > 0 && accepted == 0 {
			accepted = time.Since(gone)
		}
		return accepted > 0
	})
	s.primary = 1
	check(t, label+": after the apply, "+s.pod(1)+" takes writes through the -primary Service", expect(ok, "%s", c.status()))
	c.release(0)
	rerr := c.waitReady(n, 8*time.Minute)
	var side string
	if p := c.pod(0); p != nil {
		side = p.logs(sidecarName)
	}
	aside, _ := filepath.Glob(filepath.Join(c.pvcDir("data-"+s.pod(0)), "data.errant-*"))
	check(t, label+": "+s.pod(0)+" came back, found its errant GTID, moved its data aside (kept) and cloned afresh",
		firstErr(rerr, expect(strings.Contains(side, "errant GTIDs") && len(aside) == 1, "aside %v, log: %s", aside, tail(side, 600))))
	check(t, label+": the other members restart with primary 1, highest first", c.rollingUpdate([]int{3, 2, 1}, 6*time.Minute))
	acked, refused := w.finish()
	lost := 0
	for ord := 0; ord < n; ord++ {
		lost = max(lost, s.missingOn(ord, c.id+"-fo-%", acked))
	}
	check(t, fmt.Sprintf("%s: the %d writes acknowledged around the failover are on every member", label, len(acked)), expect(lost == 0, "%d missing", lost))
	var errs []string
	for ord := 0; ord < n; ord++ {
		if got, err := s.rootSQL(ord, "SELECT COUNT(*) FROM e2e.t WHERE v = '"+errantRow+"'"); err != nil || got != "0" {
			errs = append(errs, fmt.Sprintf("%s: %q %v", s.pod(ord), got, err))
		}
	}
	check(t, label+": the write only the old primary had is on no member (it is in the data kept aside)", joinErrs(errs))
	figure("%s: failover to %s with %s's node gone: writes accepted again %.1f s after the node died (the bounded wait is 60 s), at most %.1f s refused in a row; %d writes acknowledged by the cluster, %d lost; 1 acknowledged by the old primary alone is lost by design (kept aside)",
		label, s.pod(1), s.pod(0), accepted.Seconds(), refused.Seconds(), len(acked), lost)
	if cnt, err := s.rootSQL(1, "SELECT COUNT(*) FROM e2e.t"); err == nil {
		s.rows = countOf(cnt)
	}
	if err := s.write("fo2", 10); err != nil {
		check(t, label+": rows written through the new primary", err)
	}
	s.noErrantGTIDs(label, n)
	s.verify(label, n)
}

// missingOn counts the acknowledged writes (values matching the LIKE
// pattern) member ord lacks, after waiting up to a minute for the last of
// them, which may still be on their way.
func (s *suite) missingOn(ord int, pattern string, acked []string) int {
	have := map[string]bool{}
	waitFor(60*time.Second, func() bool {
		rows, err := s.rootSQL(ord, "SELECT v FROM e2e.t WHERE v LIKE "+sqlString(pattern))
		have = map[string]bool{}
		for _, r := range strings.Split(rows, "\n") {
			have[r] = true
		}
		return err == nil && len(have) >= len(acked)
	})
	missing := 0
	for _, v := range acked {
		if !have[v] {
			missing++
		}
	}
	return missing
}
