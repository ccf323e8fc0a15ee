package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/output"
)

// committed reads committed output: a rendered directory's files as one
// stream, or a file; nothing when it does not exist yet.
func committed(target string) ([]byte, error) {
	if !isDirPath(target) {
		b, err := os.ReadFile(target)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return b, err
	}
	files, err := output.ReadDir(target)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if name == output.KustomizationFile {
			continue
		}
		b.Write(files[name])
		b.WriteString("\n---\n")
	}
	return b.Bytes(), nil
}

// reportForbidden prints, for each StatefulSet whose update Kubernetes
// refuses, what changed and how to roll it out; it returns how many.
func reportForbidden(s streams, target string, trees []*manifest.Tree) (int, error) {
	have, err := committed(target)
	if err != nil {
		return 0, err
	}
	want, err := output.Encode(trees, output.FormatYAML)
	if err != nil {
		return 0, err
	}
	forbidden, err := output.ForbiddenUpdates(have, want)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", target, err)
	}
	for _, f := range forbidden {
		fmt.Fprint(s.err, f.Procedure())
	}
	return len(forbidden), nil
}
