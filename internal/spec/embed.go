package spec

import (
	_ "embed"
	"strings"
)

// DefaultSpec is the cluster `mysqlgen render` renders when given no spec.
//
//go:embed default.yaml
var DefaultSpec string

// StarterSpec is what `mysqlgen init` prints: the default cluster with every
// field shown and explained. A test proves it renders as DefaultSpec does.
//
//go:embed starter.yaml
var StarterSpec string

// LoadDefault loads DefaultSpec.
func LoadDefault() (*Document, error) {
	docs, err := Load(strings.NewReader(DefaultSpec), "default spec")
	if err != nil {
		return nil, err
	}
	return docs[0], nil
}
