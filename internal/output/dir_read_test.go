package output

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// handFiles is a small render built by hand, so that these tests do not
// depend on how Files lays objects out.
func handFiles() []File {
	return []File{
		{Name: "configmap-a.yaml", Data: []byte(Header + "kind: ConfigMap\n")},
		{Name: KustomizationFile, Data: []byte(Header + "resources:\n- configmap-a.yaml\n")},
	}
}

// hugeSparse makes a file of size bytes that costs no disk: reading it whole
// is what the directory reads must never do.
func hugeSparse(t *testing.T, path string, head string, size int64) {
	t.Helper()
	if err := os.WriteFile(path, []byte(head), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		t.Skipf("no sparse file of %d bytes here: %v", size, err)
	}
}

// allocated runs f and returns how many bytes it allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A file of several GiB in the directory, foreign or with mysqlgen's header,
// is refused after reading at most MaxFileBytes of it: write and diff cost
// the same memory whatever the directory holds.
func TestDirReadsAreBounded(t *testing.T) {
	const size = 3 << 30
	const budget = 1 << 20
	cases := map[string]struct {
		head string
		want string
	}{
		"a foreign file":         {head: "", want: "huge.yaml, which mysqlgen did not write"},
		"a file with the header": {head: Header, want: "huge.yaml is larger than any file mysqlgen writes"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if err := WriteDir(dir, handFiles()); err != nil {
				t.Fatal(err)
			}
			hugeSparse(t, filepath.Join(dir, "huge.yaml"), c.head, size)
			var writeErr, diffErr error
			write := allocated(func() { writeErr = WriteDir(dir, handFiles()) })
			diff := allocated(func() { _, diffErr = DiffDir(dir, handFiles()) })
			t.Logf("allocated for a %d-byte file: WriteDir %d bytes, DiffDir %d bytes", int64(size), write, diff)
			if write > budget || diff > budget {
				t.Errorf("allocated more than %d bytes", budget)
			}
			for _, err := range []error{writeErr, diffErr} {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("err = %v, want %q", err, c.want)
				}
			}
		})
	}
}

// WriteDir writes no file larger than it would read back.
func TestWriteDirRefusesHugeFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	huge := File{Name: "configmap-a.yaml", Data: make([]byte, MaxFileBytes+1)}
	err := WriteDir(dir, []File{huge})
	if err == nil || !strings.Contains(err.Error(), "configmap-a.yaml would be 16777217 bytes") {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("the directory was made")
	}
}
