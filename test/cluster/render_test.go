//go:build cluster

package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	// buildDir holds the mysqlgen binary built for this test run (made in TestMain).
	buildDir     string
	mysqlgenOnce sync.Once
	mysqlgenPath string
	mysqlgenErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mysqlgen-cluster-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// mysqlgenBinary builds ./cmd/mysqlgen once per test run: the tests use the real binary.
func mysqlgenBinary(t *testing.T) string {
	t.Helper()
	mysqlgenOnce.Do(func() {
		t0 := time.Now()
		out := filepath.Join(buildDir, "mysqlgen")
		cmd := exec.Command("go", "build", "-o", out, "./cmd/mysqlgen")
		cmd.Dir = repoRoot(t)
		if b, err := cmd.CombinedOutput(); err != nil {
			mysqlgenErr = fmt.Errorf("go build ./cmd/mysqlgen: %v\n%s", err, b)
			return
		}
		mysqlgenPath = out
		t.Logf("built mysqlgen in %s", since(t0))
	})
	if mysqlgenErr != nil {
		t.Fatal(mysqlgenErr)
	}
	return mysqlgenPath
}

// renderFile runs `mysqlgen render -f spec` and returns the manifest it prints.
func renderFile(t *testing.T, spec string) []byte {
	t.Helper()
	cmd := exec.Command(mysqlgenBinary(t), "render", "-f", spec)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mysqlgen render -f %s: %v\n%s", filepath.Base(spec), err, stderr.String())
	}
	if stdout.Len() == 0 {
		t.Fatalf("mysqlgen render -f %s printed nothing", filepath.Base(spec))
	}
	return stdout.Bytes()
}

// renderSpec writes spec to a file in a temporary directory and renders it.
func renderSpec(t *testing.T, spec string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spec.yaml")
	must(t, os.WriteFile(path, []byte(spec), 0o644))
	return renderFile(t, path)
}

// testSpec is a small MySQLCluster spec written by the tests.
type testSpec struct {
	Name         string
	Flavor       string
	Version      string
	Replicas     int
	Secret       string
	StorageClass string
	StorageSize  string
	Image        string
	// Primary is spec.primary; nil leaves it to the default (0).
	Primary *int
	// Resources is a YAML flow mapping for spec.resources, e.g.
	// "{requests: {cpu: 250m, memory: 1Gi}, limits: {memory: 1Gi}}".
	Resources string
}

func (s testSpec) YAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: %s\nspec:\n", s.Name)
	fmt.Fprintf(&b, "  flavor: %s\n  version: %q\n", s.Flavor, s.Version)
	if s.Replicas > 0 {
		fmt.Fprintf(&b, "  replicas: %d\n", s.Replicas)
	}
	if s.Image != "" {
		fmt.Fprintf(&b, "  image: %s\n", s.Image)
	}
	if s.Primary != nil {
		fmt.Fprintf(&b, "  primary: %d\n", *s.Primary)
	}
	if s.Resources != "" {
		fmt.Fprintf(&b, "  resources: %s\n", s.Resources)
	}
	fmt.Fprintf(&b, "  credentials:\n    secretName: %s\n", s.Secret)
	if s.StorageClass != "" || s.StorageSize != "" {
		b.WriteString("  storage:\n")
		if s.StorageClass != "" {
			fmt.Fprintf(&b, "    storageClassName: %s\n", s.StorageClass)
		}
		if s.StorageSize != "" {
			fmt.Fprintf(&b, "    size: %s\n", s.StorageSize)
		}
	}
	return b.String()
}

// matrix is every flavor and version the tests render.
var matrix = []struct{ Flavor, Version string }{
	{"mysql", "5.7"},
	{"mysql", "8.0"},
	{"mysql", "8.4"},
	{"mariadb", "10.11"},
	{"mariadb", "11.4"},
}

// fixture returns the hand-written manifest of testdata/fixture.yaml with its placeholders set.
func fixture(t *testing.T, imageTag, cpuRequest string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixture.yaml"))
	must(t, err)
	s := strings.ReplaceAll(string(b), "IMAGE_TAG", imageTag)
	s = strings.ReplaceAll(s, "CPU_REQUEST", cpuRequest)
	return []byte(s)
}
