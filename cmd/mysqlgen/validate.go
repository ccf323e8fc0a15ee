package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

type validateFlags struct {
	files []string
}

func newValidateCommand(s streams) *cobra.Command {
	flags := &validateFlags{}
	cmd := &cobra.Command{
		Use:   "validate [-f spec.yaml]...",
		Short: "Check specs without rendering them",
		Long: `Validate loads, defaults and validates each spec, as render does, and prints
every problem with its file, line and field path. It exits 0 when all are valid.`,
		Example: `  mysqlgen validate -f cluster.yaml
  mysqlgen validate -f clusters/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			docs, err := loadClusters(s, flags.files)
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
