package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvalidSpecs runs every case of testdata/invalid: each file ends with
// "# want:" comments, the exact lines render must print to stderr. Every
// case must exit 1 and print nothing on stdout, so that a pipe into kubectl
// applies nothing.
func TestInvalidSpecs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "invalid", "*.yaml"))
	if err != nil || len(files) < 40 {
		t.Fatalf("want at least 40 invalid cases, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			input, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for _, line := range strings.Split(string(input), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					want.WriteString(w + "\n")
				}
			}
			if want.Len() == 0 {
				t.Fatal("case has no # want: line")
			}
			// A directory of committed output is left as it was.
			dir := filepath.Join(t.TempDir(), "out") + "/"
			if r := run(t, "", "render", "-o", dir); r.code != 0 {
				t.Fatalf("render -o %s: %s", dir, r.err)
			}
			before := snapshot(t, dir)
			if r := run(t, string(input), "render", "-f", "-", "-o", dir); r.code != 1 || r.stdout != "" || r.err != want.String() {
				t.Errorf("render -o dir/: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.err)
			}
			if after := snapshot(t, dir); after != before {
				t.Error("render -o dir/ of an invalid spec changed the directory")
			}
			for _, cmd := range []string{"render", "validate", "secret"} {
				r := run(t, string(input), cmd, "-f", "-")
				if r.code != 1 || r.stdout != "" {
					t.Errorf("%s: exit %d, stdout %q: want exit 1 and no output", cmd, r.code, r.stdout)
				}
				if r.err != want.String() {
					t.Errorf("%s: stderr\n%s\nwant\n%s", cmd, r.err, want.String())
				}
			}
		})
	}
}

// Inputs that cannot carry a "# want:" comment.
func TestInvalidRawInputs(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join(repoRoot, "examples", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		input, want string
	}{
		"empty":      {"", "<stdin>: empty input: expected a MySQLCluster document (apiVersion: mysqlgen.dev/v1alpha1)\n"},
		"whitespace": {"\n  \n\n", "<stdin>: empty input: expected a MySQLCluster document (apiVersion: mysqlgen.dev/v1alpha1)\n"},
		"binary":     {"\x7fELF\x02\x01\x01\x00\x00\x00garbage", "<stdin>: input is binary (it holds a NUL byte), expected a YAML MySQLCluster document\n"},
		"invalid utf-8": {"apiVersion: mysqlgen.dev/v1alpha1\nkind: \xff\xfe\n",
			"<stdin>: invalid YAML: invalid leading UTF-8 octet\n"},
		"huge": {string(valid) + "# " + strings.Repeat("x", 2<<20) + "\n",
			"<stdin>: input is larger than 1048576 bytes; a spec is a few KiB\n"},
		"separators only": {"---\n---\n", "<stdin>: empty input: expected a MySQLCluster document (apiVersion: mysqlgen.dev/v1alpha1)\n"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := run(t, c.input, "render", "-f", "-")
			if r.code != 1 || r.stdout != "" || r.err != c.want {
				t.Errorf("exit %d, stdout %d bytes, stderr %q; want exit 1, no stdout, %q", r.code, len(r.stdout), r.err, c.want)
			}
		})
	}
}

// One bad spec among good ones: nothing at all is rendered.
func TestNoPartialOutput(t *testing.T) {
	bad := filepath.Join(repoRoot, "testdata", "invalid", "replicas-zero.yaml")
	r := run(t, "", "render", "-f", filepath.Join(repoRoot, "examples", "default.yaml"), "-f", bad, "-f", filepath.Join(repoRoot, "examples", "full.yaml"))
	if r.code != 1 || r.stdout != "" || !bytes.Contains([]byte(r.err), []byte("spec.replicas")) {
		t.Errorf("exit %d, stdout %d bytes, stderr %q", r.code, len(r.stdout), r.err)
	}
}

// snapshot is every file of dir with its contents, in name order.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		b.WriteString(path + "\n" + string(data) + "\n")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
