package render

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	_ "github.com/mysqlgen/mysqlgen/internal/golden" // registers -update for go test ./... -update
	"github.com/mysqlgen/mysqlgen/internal/spec"
	"github.com/mysqlgen/mysqlgen/templates"
)

// matrix is every release with GTID on and off, defaulted and validated.
func matrix(t *testing.T) map[string]*spec.MySQLCluster {
	t.Helper()
	out := map[string]*spec.MySQLCluster{}
	for _, r := range spec.Releases {
		for _, gtid := range []bool{true, false} {
			c := &spec.MySQLCluster{
				APIVersion: spec.APIVersion, Kind: spec.Kind,
				Metadata: spec.ObjectMeta{Name: "db", Namespace: "ns", Labels: map[string]string{"team": "a"}},
				Spec: spec.ClusterSpec{
					Flavor: r.Flavor, Version: r.Version,
					Replication: spec.Replication{GTID: &gtid},
					Config:      map[string]string{"max_connections": "10", "skip-name-resolve": "OFF"},
				},
			}
			if !gtid && (r.Dialect == spec.DialectMySQL80 || r.Dialect == spec.DialectMySQL84) {
				// Binlog positions clone only with one applier thread.
				c.Spec.Config["replica_parallel_workers"] = "1"
			}
			spec.SetDefaults(c)
			if errs := spec.Validate(c); len(errs) > 0 {
				t.Fatalf("%s %s: %v", r.Flavor, r.Version, errs)
			}
			out[fmt.Sprintf("%s-%s-gtid-%v", r.Flavor, r.Version, gtid)] = c
		}
	}
	return out
}

func find[T Object](objs []Object, name string) T {
	for _, o := range objs {
		if t, ok := o.(T); ok && o.GetName() == name {
			return t
		}
	}
	var zero T
	return zero
}

// What a real apiserver would reject, checked on every release.
func TestObjectsHangTogether(t *testing.T) {
	for name, c := range matrix(t) {
		t.Run(name, func(t *testing.T) {
			objs := Objects(c)
			sts := find[*appsv1.StatefulSet](objs, "db")
			if sts == nil {
				t.Fatal("no StatefulSet db")
			}
			sel := labels.SelectorFromSet(sts.Spec.Selector.MatchLabels)
			if !sel.Matches(labels.Set(sts.Spec.Template.Labels)) {
				t.Error("the StatefulSet's selector does not match its pod template")
			}
			pod := sts.Spec.Template.Spec
			volumes := map[string]bool{volumeData: true}
			for _, v := range pod.Volumes {
				volumes[v.Name] = true
				if v.ConfigMap != nil && find[*corev1.ConfigMap](objs, v.ConfigMap.Name) == nil {
					t.Errorf("volume %s names ConfigMap %s, which is not rendered", v.Name, v.ConfigMap.Name)
				}
				if v.Secret != nil && v.Secret.SecretName != c.Spec.Credentials.SecretName {
					t.Errorf("volume %s names Secret %s", v.Name, v.Secret.SecretName)
				}
			}
			scripts := find[*corev1.ConfigMap](objs, "db-scripts")
			ports := map[string]bool{}
			for _, ctr := range slices.Concat(pod.InitContainers, pod.Containers) {
				for _, m := range ctr.VolumeMounts {
					if !volumes[m.Name] {
						t.Errorf("%s mounts volume %s, which does not exist", ctr.Name, m.Name)
					}
				}
				for _, p := range ctr.Ports {
					if len(p.Name) > 15 || ports[p.Name] {
						t.Errorf("port name %q is too long or not unique", p.Name)
					}
					ports[p.Name] = true
				}
				script := strings.TrimPrefix(ctr.Command[1], pathScripts+"/")
				if _, ok := scripts.Data[script]; !ok {
					t.Errorf("%s runs %s, which is not in the scripts ConfigMap", ctr.Name, script)
				}
			}
			for _, svc := range []string{"db", "db-read", "db-primary"} {
				s := find[*corev1.Service](objs, svc)
				if s == nil {
					t.Fatalf("no Service %s", svc)
				}
				if !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Merge(sts.Spec.Template.Labels, labels.Set{labelPodIndex: "0"})) {
					t.Errorf("Service %s selects no pod", svc)
				}
				for _, p := range s.Spec.Ports {
					if !ports[p.TargetPort.StrVal] {
						t.Errorf("Service %s targets port %q, which no container names", svc, p.TargetPort.StrVal)
					}
				}
			}
			primary := find[*corev1.Service](objs, "db-primary")
			if labels.SelectorFromSet(primary.Spec.Selector).Matches(labels.Merge(sts.Spec.Template.Labels, labels.Set{labelPodIndex: "1"})) {
				t.Error("db-primary selects a replica")
			}
			for _, o := range objs {
				if o.GetNamespace() != "ns" || o.GetLabels()["team"] != "a" || o.GetLabels()[labelManagedBy] != managedBy {
					t.Errorf("%s lacks the namespace or labels", o.GetName())
				}
			}
		})
	}
}

// Every variable the scripts read is set on the containers, and every one set
// is read: the scripts' only parameters stay in step with the renderer.
func TestScriptEnvironment(t *testing.T) {
	used := map[string]bool{}
	re := regexp.MustCompile(`MYSQLGEN_[A-Z0-9_]+`)
	for _, f := range templates.Scripts {
		for _, v := range re.FindAllString(templates.MustRead(f), -1) {
			used[v] = true
		}
	}
	for name, c := range matrix(t) {
		set := map[string]bool{}
		// backup.sh also runs in the backup Job and in a restoring
		// clone-mysql, with their own variables.
		b := *c
		n := int32(1)
		b.Spec.Backup = &spec.Backup{Retention: spec.BackupRetention{Count: &n, MaxAgeDays: &n}}
		env := append(scriptEnv(&cluster{MySQLCluster: c, release: mustRelease(t, c)}), backupEnv(&cluster{MySQLCluster: &b})...)
		env = append(append(env, destinationEnv(true, nil)...), destinationEnv(false, &spec.BackupS3{})...)
		env = append(env, corev1.EnvVar{Name: "MYSQLGEN_RESTORE_BACKUP"})
		for _, e := range env {
			set[e.Name] = true
			// AWS_* are rclone's (env_auth), read by no script.
			if !used[e.Name] && !strings.HasPrefix(e.Name, "AWS_") {
				t.Errorf("%s: %s is set but no script reads it", name, e.Name)
			}
		}
		for v := range used {
			if !set[v] {
				t.Errorf("%s: the scripts read %s, which is not set", name, v)
			}
		}
	}
}

func mustRelease(t *testing.T, c *spec.MySQLCluster) spec.Release {
	r, ok := spec.LookupRelease(c.Spec.Flavor, c.Spec.Version)
	if !ok {
		t.Fatalf("no release %s %s", c.Spec.Flavor, c.Spec.Version)
	}
	return r
}

// What the renderer sets itself, spec.config cannot override.
func TestManagedSettingsAreProtected(t *testing.T) {
	for name, c := range matrix(t) {
		for _, s := range managedSettings(&cluster{MySQLCluster: c, release: mustRelease(t, c)}) {
			if _, ok := spec.ManagedSettings[spec.NormalizeConfigKey(s.key)]; !ok {
				t.Errorf("%s: %s is rendered but spec.config may override it", name, s.key)
			}
		}
	}
}

func TestMyCnfOrderAndOverrides(t *testing.T) {
	c := matrix(t)["mariadb-10.11-gtid-true"]
	cnf := makeMyCnf(&cluster{MySQLCluster: c, release: mustRelease(t, c)})
	if strings.Contains(cnf, "skip-name-resolve=ON") {
		t.Error("spec.config did not override the skip-name-resolve default")
	}
	for _, want := range []string{"[mysqld]\n", "log-slave-updates=ON\n", "max_connections=10\nskip-name-resolve=OFF\n", "gtid-strict-mode=ON\n"} {
		if !strings.Contains(cnf, want) {
			t.Errorf("my.cnf lacks %q:\n%s", want, cnf)
		}
	}
	if strings.Contains(cnf, "gtid-mode") {
		t.Error("MariaDB has no gtid-mode option")
	}
}
