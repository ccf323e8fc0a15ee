package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

func newInitCommand(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Print a commented starter spec",
		Long: `Init prints a spec of the default cluster with every field shown and
explained, ready to edit. It renders exactly as the default cluster does.`,
		Example: `  mysqlgen init > cluster.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(s.out, spec.StarterSpec)
			return err
		},
	}
}
