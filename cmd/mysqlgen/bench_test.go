package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkRenderDefault is `mysqlgen render` of the embedded default spec,
// in process: load, default, validate, render, encode.
func BenchmarkRenderDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if code := Run([]string{"render"}, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkRenderFull is the fully loaded example: metrics, ServiceMonitor,
// NetworkPolicy peers, semi-sync, scheduling.
func BenchmarkRenderFull(b *testing.B) {
	full := filepath.Join(repoRoot, "examples", "full.yaml")
	b.ReportAllocs()
	for b.Loop() {
		if code := Run([]string{"render", "-f", full}, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkRenderBatch is one call rendering a directory of 1,000 minimal
// specs, the batch `make bench` times as a whole process.
func BenchmarkRenderBatch(b *testing.B) {
	dir := b.TempDir()
	for i := range 1000 {
		name := fmt.Sprintf("db%04d", i)
		doc := "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: " + name + "\n"
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(doc), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if code := Run([]string{"render", "-f", dir}, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
