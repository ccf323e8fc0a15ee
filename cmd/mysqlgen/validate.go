package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysqlgen/mysqlgen/internal/output"
	"github.com/mysqlgen/mysqlgen/internal/pipeline"
)

type validateFlags struct {
	in    inputFlags
	quiet bool
}

func newValidateCommand(s streams) *cobra.Command {
	flags := &validateFlags{}
	cmd := &cobra.Command{
		Use:   "validate [-f] [spec.yaml]...",
		Short: "Check specs without rendering them",
		Long: `Validate runs each spec through everything render does (load, defaults,
validation, patches, the check that no two clusters render the same object)
without printing the manifests, and prints every problem with its file, line
and field path. It exits 0 when all are valid; -q prints nothing then.`,
		Example: `  mysqlgen validate cluster.yaml
  mysqlgen validate -q -f clusters/`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeSpecFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			docs, _, err := runPipeline(s, flags.in.withArgs(args), pipeline.Options{Order: output.OrderLegacy})
			if err != nil || flags.quiet {
				return err
			}
			for _, d := range docs {
				fmt.Fprintf(s.out, "%s: MySQLCluster %s is valid\n", d.Source, d.Cluster.Metadata.Name)
			}
			return nil
		},
	}
	flags.in.register(cmd)
	cmd.Flags().BoolVarP(&flags.quiet, "quiet", "q", false, "print nothing when every spec is valid (errors still go to stderr)")
	return cmd
}
