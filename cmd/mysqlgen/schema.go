package main

import (
	"bytes"

	"github.com/spf13/cobra"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

func newSchemaCommand(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the spec, for editors",
		Long: `Schema prints a JSON Schema (draft-07) of the MySQLCluster spec, generated
from mysqlgen's Go types and their doc comments. Editors that use
yaml-language-server (VS Code's YAML extension, Neovim, Helix, ...) then
complete fields, show their documentation and flag unknown fields and wrong
types as you type. mysqlgen validate remains the full check.`,
		Example: `  mysqlgen schema > mysqlcluster.schema.json
  # then, first line of cluster.yaml:
  # yaml-language-server: $schema=mysqlcluster.schema.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := spec.JSONSchema()
			if err != nil {
				return err
			}
			return writeAll(s.out, bytes.NewBuffer(out))
		},
	}
}
