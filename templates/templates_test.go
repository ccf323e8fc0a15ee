package templates

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/mysqlgen/mysqlgen/internal/golden" // registers -update for go test ./... -update
)

func TestListsMatchFiles(t *testing.T) {
	for pattern, list := range map[string][]string{"*.sh": Scripts, "*.cnf": RoleConfigs} {
		files, err := fs.Glob(Files, pattern)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(files, list) {
			t.Errorf("%s: embedded %v, listed %v", pattern, files, list)
		}
	}
}

func TestScriptsAreStrict(t *testing.T) {
	for _, f := range Scripts {
		text := MustRead(f)
		if !strings.HasPrefix(text, "#!/bin/bash\n") {
			t.Errorf("%s does not start with #!/bin/bash", f)
		}
		// common.sh sets the options; every other script sources it first.
		if f == "common.sh" && !strings.Contains(text, "\nset -euo pipefail\n") {
			t.Errorf("%s lacks set -euo pipefail", f)
		}
		if f != "common.sh" && !strings.Contains(text, "\nsource \"${0%/*}/common.sh\"\n") {
			t.Errorf("%s does not source common.sh", f)
		}
		if strings.Contains(text, "\t") {
			t.Errorf("%s holds a tab: the YAML encoder would then quote the whole script", f)
		}
	}
}

// TestShellcheck runs shellcheck on the exact bytes that ship. CI installs
// shellcheck; without it the test says so and skips.
func TestShellcheck(t *testing.T) {
	path, err := exec.LookPath("shellcheck")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck is not installed, and CI must run it")
		}
		t.Skip("SKIP: shellcheck is not installed (apt-get install shellcheck)")
	}
	dir := t.TempDir()
	var files []string
	for _, f := range Scripts {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(MustRead(f)), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.Join(dir, f))
	}
	out, err := exec.Command(path, append([]string{"--external-sources", "--severity=style"}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// TestSyntax parses every script with bash -n.
func TestSyntax(t *testing.T) {
	for _, f := range Scripts {
		cmd := exec.Command("bash", "-n")
		cmd.Stdin = strings.NewReader(MustRead(f))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
}
