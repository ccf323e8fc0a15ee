package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysqlgen/mysqlgen/internal/output"
	"github.com/mysqlgen/mysqlgen/internal/pipeline"
)

type validateFlags struct {
	files []string
}

func newValidateCommand(s streams) *cobra.Command {
	flags := &validateFlags{}
	cmd := &cobra.Command{
		Use:   "validate [-f spec.yaml]...",
		Short: "Check specs without rendering them",
		Long: `Validate runs each spec through everything render does (load, defaults,
validation, patches, the check that no two clusters render the same object)
without printing the manifests, and prints every problem with its file, line
and field path. It exits 0 when all are valid.`,
		Example: `  mysqlgen validate -f cluster.yaml
  mysqlgen validate -f clusters/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			docs, _, err := runPipeline(s, flags.files, pipeline.Options{Order: output.OrderLegacy})
			if err != nil {
				return err
			}
			for _, d := range docs {
				fmt.Fprintf(s.out, "%s: MySQLCluster %s is valid\n", d.Source, d.Cluster.Metadata.Name)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&flags.files, "filename", "f", nil, "spec file, directory of specs, or - for stdin (repeatable)")
	return cmd
}
