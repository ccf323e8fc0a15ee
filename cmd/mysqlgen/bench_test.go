package main

import (
	"io"
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
