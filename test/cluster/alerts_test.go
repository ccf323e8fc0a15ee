//go:build cluster

package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// replicationSeries are the names mysqld_exporter v0.17.2 gives the I/O thread, SQL thread and
// lag columns (collector/slave_status.go: mysql_slave_status_<column>), written out here rather
// than taken from the renderer: MySQL 8.4 has only SHOW REPLICA STATUS and its new column names.
var replicationSeries = map[string][3]string{
	"old": {"mysql_slave_status_slave_io_running", "mysql_slave_status_slave_sql_running", "mysql_slave_status_seconds_behind_master"},
	"new": {"mysql_slave_status_replica_io_running", "mysql_slave_status_replica_sql_running", "mysql_slave_status_seconds_behind_source"},
}

var namingOf = map[string]string{"mysql/5.7": "old", "mysql/8.0": "old", "mysql/8.4": "new", "mariadb/10.11": "old", "mariadb/11.4": "old"}

// TestAlertRules checks every release's rendered PrometheusRule with promtool (check rules,
// then the unit tests of testdata/alerts.test.yaml with the series names of that release's
// exporter), and proves the unit tests can fail: the other naming's series fire no replication
// alert. The golden files' rules are checked too. Needs bin/promtool (hack/cluster-tools.sh).
func TestAlertRules(t *testing.T) {
	bin := binDir(t)
	requireFiles(t, bin, "promtool")
	promtool := filepath.Join(bin, "promtool")
	tests, err := os.ReadFile(filepath.Join("testdata", "alerts.test.yaml"))
	must(t, err)
	for _, m := range matrix {
		key := m.Flavor + "/" + m.Version
		t.Run(strings.ReplaceAll(key, "/", "-"), func(t *testing.T) {
			naming, ok := namingOf[key]
			if !ok {
				t.Fatalf("no series names for %s: read the exporter's collector/slave_status.go", key)
			}
			spec := "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata: {name: db, namespace: shop}\n" +
				"spec:\n  flavor: " + m.Flavor + "\n  version: \"" + m.Version + "\"\n" +
				"  metrics: {enabled: true, serviceMonitor: {enabled: true}, prometheusRule: {enabled: true, alertLabels: {team: dba}}}\n"
			dir := t.TempDir()
			manifest := renderSpec(t, spec)
			runPromtool(t, promtool, "check", "rules", writeRules(t, dir, manifest, false))
			unitRules := writeRules(t, dir, manifest, true)
			out, err := promtoolUnitTest(t, promtool, dir, unitRules, tests, replicationSeries[naming])
			if err != nil {
				t.Fatalf("promtool test rules (%s names): %v\n%s", naming, err, out)
			}
			t.Logf("check promtool test rules %s (%s series names): OK", key, naming)
			other := map[string]string{"old": "new", "new": "old"}[naming]
			out, err = promtoolUnitTest(t, promtool, dir, unitRules, tests, replicationSeries[other])
			if err == nil || !strings.Contains(out, "MySQLReplicationIOThreadStopped") {
				t.Errorf("the rules of %s fired the replication alerts on the %s series names (promtool: %v)\n%s", key, other, err, out)
			}
		})
	}
	goldens, _ := filepath.Glob(filepath.Join(repoRoot(t), "testdata", "golden", "*.yaml"))
	checked := 0
	for _, f := range goldens {
		manifest, err := os.ReadFile(f)
		must(t, err)
		if !bytes.Contains(manifest, []byte("\nkind: PrometheusRule\n")) {
			continue
		}
		runPromtool(t, promtool, "check", "rules", writeRules(t, t.TempDir(), manifest, false))
		checked++
	}
	if checked == 0 {
		t.Error("no golden file has a PrometheusRule (examples/full.yaml should)")
	}
}

// writeRules writes the spec of the manifest's only PrometheusRule (a rule file: groups) to
// dir/rules.yaml. summaryOnly drops every annotation but the summary, for the unit tests.
func writeRules(t *testing.T, dir string, manifest []byte, summaryOnly bool) string {
	t.Helper()
	objs, err := ParseManifest(manifest)
	must(t, err)
	var specs []any
	for _, o := range objs {
		if o.Kind() == "PrometheusRule" {
			specs = append(specs, o["spec"])
		}
	}
	if len(specs) != 1 {
		t.Fatalf("%d PrometheusRules in the manifest, want 1", len(specs))
	}
	if summaryOnly {
		for _, g := range specs[0].(map[string]any)["groups"].([]any) {
			for _, r := range g.(map[string]any)["rules"].([]any) {
				a := r.(map[string]any)["annotations"].(map[string]any)
				r.(map[string]any)["annotations"] = map[string]any{"summary": a["summary"]}
			}
		}
	}
	b, err := yaml.Marshal(specs[0])
	must(t, err)
	path := filepath.Join(dir, "rules.yaml")
	must(t, os.WriteFile(path, b, 0o644))
	return path
}

// promtoolUnitTest runs `promtool test rules` on the test file with @IO@, @SQL@ and @LAG@
// replaced by names, next to rules (the file names rules.yaml relative to itself).
func promtoolUnitTest(t *testing.T, promtool, dir, rules string, tests []byte, names [3]string) (string, error) {
	t.Helper()
	text := strings.NewReplacer("@IO@", names[0], "@SQL@", names[1], "@LAG@", names[2]).Replace(string(tests))
	file := filepath.Join(filepath.Dir(rules), "alerts.test.yaml")
	must(t, os.WriteFile(file, []byte(text), 0o644))
	cmd := exec.Command(promtool, "test", "rules", file)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func runPromtool(t *testing.T, promtool string, args ...string) {
	t.Helper()
	out, err := exec.Command(promtool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("check promtool %s: %s", strings.Join(args[:2], " "), strings.TrimSpace(string(out)))
}

// matcherRE finds the label matchers of a PromQL expression: name, operator, value.
var matcherRE = regexp.MustCompile(`([a-z_]+)(=~|=)"([^"]*)"`)

// CheckPrometheusRules checks, on the applied cluster, that the rules' label matchers name what
// the scrapes will carry: job is the Service the ServiceMonitor selects (its name becomes the
// job), namespace the cluster's, pod=~ matches every pod of the StatefulSet (and nothing of a
// "<name>-x" neighbour), statefulset its name, container one of its init containers.
func (d *Deployment) CheckPrometheusRules(t *testing.T) {
	t.Helper()
	rule := findObject(d.Objs, "PrometheusRule", "")
	if rule == nil {
		return
	}
	var pr struct {
		Spec struct {
			Groups []struct {
				Rules []struct {
					Alert string `json:"alert"`
					Expr  string `json:"expr"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	must(t, rule.Into(&pr))
	job := d.monitoredService(t)
	var inits []string
	for _, c := range d.STS.Spec.Template.Spec.InitContainers {
		inits = append(inits, c.Name)
	}
	pods := d.Pods(t)
	checked := 0
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			for _, m := range matcherRE.FindAllStringSubmatch(r.Expr, -1) {
				checked++
				if err := d.checkMatcher(m[1], m[2], m[3], job, inits, pods); err != nil {
					t.Errorf("PrometheusRule %s, alert %s: %s in %s", rule.Name(), r.Alert, err, r.Expr)
				}
			}
		}
	}
	t.Logf("check PrometheusRule %s: OK (%d matchers; job %s, %d pods)", rule.Name(), checked, job, len(pods))
}

func (d *Deployment) checkMatcher(label, op, value, job string, inits []string, pods map[string]Pod) error {
	switch {
	case label == "job" && value != job:
		return fmt.Errorf("job %q is not the Service the ServiceMonitor selects (%s)", value, job)
	case label == "namespace" && value != d.NS:
		return fmt.Errorf("namespace %q is not the cluster's %s", value, d.NS)
	case label == "statefulset" && value != d.Name:
		return fmt.Errorf("statefulset %q is not %s", value, d.Name)
	case label == "container" && !contains(inits, value):
		return fmt.Errorf("container %q is not an init container (%v)", value, inits)
	case label == "pod" && op == "=~":
		re := regexp.MustCompile("^(?:" + value + ")$")
		for name := range pods {
			if !re.MatchString(name) {
				return fmt.Errorf("pod %s does not match %q", name, value)
			}
		}
		if re.MatchString(d.Name + "-x-0") {
			return fmt.Errorf("pod=~%q also matches another StatefulSet's pod %s-x-0", value, d.Name)
		}
	}
	return nil
}

// monitoredService is the name of the one Service the ServiceMonitor selects.
func (d *Deployment) monitoredService(t *testing.T) string {
	t.Helper()
	sm := findObject(d.Objs, "ServiceMonitor", "")
	if sm == nil {
		t.Fatal("a PrometheusRule without a ServiceMonitor: nothing gives the exporter's series their job")
	}
	var spec struct {
		Spec struct {
			Selector LabelSelector `json:"selector"`
		} `json:"spec"`
	}
	must(t, sm.Into(&spec))
	var svcs List[struct {
		Metadata Meta `json:"metadata"`
	}]
	must(t, d.getJSON(&svcs, "get", "services", "-l", spec.Spec.Selector.String()))
	if len(svcs.Items) != 1 {
		t.Fatalf("ServiceMonitor %s selects %d Services, want 1", sm.Name(), len(svcs.Items))
	}
	return svcs.Items[0].Metadata.Name
}
