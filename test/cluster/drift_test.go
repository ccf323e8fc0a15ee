//go:build cluster

package cluster

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// CheckNoDrift is issue 3's zero-drift check on an applied, rolled-out deployment:
//  1. `kubectl diff -f` of the same render prints nothing and exits 0;
//  2. a server-side apply of the same render (taking over the fields with --force-conflicts)
//     changes no object's metadata.generation, and a second one changes nothing at all (no
//     resourceVersion moves);
//  3. `kubectl diff --server-side` (what Flux does) prints nothing;
//  4. every field the render sets is in the live object with the same value (what a GitOps tool
//     that compares the manifest with the live object, like Argo CD's default diff, sees).
func (d *Deployment) CheckNoDrift(t *testing.T) {
	t.Helper()
	diff := func(label string, extra ...string) {
		args := append(append([]string{"diff", "-f", d.File}, d.nsFlag...), extra...)
		out, stderr, err := d.c.KubectlFull(d.ctx, nil, args...)
		if err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("drift: `kubectl %s` is not empty (%v):\n%s%s", strings.Join(args[:2], " ")+" "+strings.Join(extra, " "), err, firstLines(out, 200), stderr)
			return
		}
		t.Logf("check %s: OK (no output, exit 0)", label)
	}
	diff("kubectl diff -f (client-side)")

	before := d.Generations(t)
	ssa := func(extra ...string) {
		args := append(append([]string{"apply", "--server-side", "--field-manager=mysqlgen-e2e", "-f", d.File}, d.nsFlag...), extra...)
		if _, err := d.c.Kubectl(d.ctx, nil, args...); err != nil {
			t.Errorf("drift: server-side apply of the same render failed: %v", err)
		}
	}
	// Taking over from the client-side apply needs --force-conflicts (as Flux always does):
	// atomic fields such as a StatefulSet's volumeClaimTemplates are stored with defaults the
	// manifest does not spell out, which server-side apply counts as a conflict.
	ssa("--force-conflicts")
	after := d.Generations(t)
	changed := 0
	for _, k := range sortedKeys(before) {
		if before[k][0] != after[k][0] {
			changed++
			t.Errorf("drift: server-side apply of the same render changed %s generation %s -> %s", k, before[k][0], after[k][0])
		}
	}
	if changed == 0 {
		t.Logf("check server-side apply of the same render: OK (no generation changed: %s)", genSummary(after))
	}
	// Same manager again: a true no-op.
	ssa()
	again := d.Generations(t)
	moved := 0
	for _, k := range sortedKeys(after) {
		if after[k][1] != again[k][1] {
			moved++
			t.Errorf("drift: a second identical server-side apply still changed %s (resourceVersion %s -> %s)", k, after[k][1], again[k][1])
		}
	}
	if moved == 0 {
		t.Logf("check repeated server-side apply: OK (no object written)")
	}
	diff("kubectl diff --server-side", "--server-side", "--field-manager=mysqlgen-e2e")

	// Rendered fields against the live objects.
	var live List[Object]
	args := append([]string{"get", "-f", d.File, "-o", "json"}, d.nsFlag...)
	if err := d.c.GetJSON(d.ctx, &live, args...); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]Object{}
	for _, o := range live.Items {
		byKey[o.String()] = o
	}
	total := 0
	for _, r := range d.Objs {
		l, ok := byKey[r.String()]
		if !ok {
			t.Errorf("drift: %s not found live", r)
			continue
		}
		var diffs []string
		for _, k := range sortedKeys(r) {
			if k == "status" {
				continue
			}
			diffs = append(diffs, fieldDrift(k, r[k], l[k])...)
		}
		total += len(diffs)
		if len(diffs) > 0 {
			t.Errorf("drift: %s: rendered fields the apiserver stores differently (a manifest-vs-live diff such as Argo CD's shows these as OutOfSync):\n  %s", r, strings.Join(diffs, "\n  "))
		}
	}
	if total == 0 {
		t.Logf("check rendered fields equal live fields: OK (%d objects)", len(d.Objs))
	}
}

func genSummary(m map[string][2]string) string {
	var s []string
	for _, k := range sortedKeys(m) {
		if m[k][0] != "0" {
			s = append(s, k+"="+m[k][0])
		}
	}
	return strings.Join(s, ", ")
}

// fieldDrift lists the paths where the rendered value r is not what the live value l says.
// Rendered empty values (null, {}, [], "") that the server drops are not drift.
func fieldDrift(path string, r, l any) []string {
	switch rv := r.(type) {
	case map[string]any:
		lv, ok := l.(map[string]any)
		if !ok {
			if len(rv) == 0 && l == nil {
				return nil
			}
			return []string{fmt.Sprintf("%s: rendered %s, live %s", path, short(r), short(l))}
		}
		var out []string
		for _, k := range sortedKeys(rv) {
			out = append(out, fieldDrift(path+"."+k, rv[k], lv[k])...)
		}
		return out
	case []any:
		lv, ok := l.([]any)
		if !ok || len(lv) != len(rv) {
			if len(rv) == 0 && l == nil {
				return nil
			}
			return []string{fmt.Sprintf("%s: rendered %s, live %s", path, short(r), short(l))}
		}
		var out []string
		for i := range rv {
			out = append(out, fieldDrift(path+"["+strconv.Itoa(i)+"]", rv[i], lv[i])...)
		}
		return out
	case nil:
		return nil
	case string:
		if rv == "" && l == nil {
			return nil
		}
	}
	if reflect.DeepEqual(r, l) {
		return nil
	}
	// 2 and "2" are the same quantity/int-or-string once decoded.
	if l != nil && fmt.Sprint(r) == fmt.Sprint(l) {
		return nil
	}
	return []string{fmt.Sprintf("%s: rendered %s, live %s", path, short(r), short(l))}
}

func short(v any) string {
	if v == nil {
		return "(absent)"
	}
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}
