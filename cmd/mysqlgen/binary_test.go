package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The README and kustomize tests run the built binary, as users and
// kustomize do; it is built once per run, into buildDir.
var (
	buildDir  string
	buildOnce sync.Once
	built     string
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mysqlgen-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// mysqlgenBinary builds this package's command once and returns its path.
func mysqlgenBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		out := filepath.Join(buildDir, "mysqlgen")
		cmd := exec.Command("go", "build", "-o", out, ".")
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/mysqlgen: %v\n%s", err, b)
			return
		}
		built = out
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// kustomizeBinary finds the kustomize CLI: bin/kustomize (make kustomize
// installs v5.7.1 there), else on PATH; empty when there is none.
func kustomizeBinary() string {
	if p, err := filepath.Abs(filepath.Join(repoRoot, "bin", "kustomize")); err == nil {
		if info, err := os.Stat(p); err == nil && info.Mode()&0o111 != 0 {
			return p
		}
	}
	p, _ := exec.LookPath("kustomize")
	return p
}
