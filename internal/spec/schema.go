package spec

import (
	"bytes"
	_ "embed"
)

// schemaJSON is the JSON Schema (draft-07) of a MySQLCluster document,
// generated from the Go types, their doc comments and the validation tables
// by TestSchemaIsFresh, which also fails when it is stale (regenerate with
// go test ./... -update).
//
//go:embed schema.json
var schemaJSON []byte

// JSONSchema returns the JSON Schema of a MySQLCluster document, for
// editors; mysqlgen validate remains the full check.
func JSONSchema() ([]byte, error) {
	return bytes.Clone(schemaJSON), nil
}
