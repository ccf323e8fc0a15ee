package main

import (
	"cmp"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysqlgen/mysqlgen/internal/output"
	"github.com/mysqlgen/mysqlgen/internal/pipeline"
)

type validateFlags struct {
	in      inputFlags
	quiet   bool
	against string
}

func newValidateCommand(s streams) *cobra.Command {
	flags := &validateFlags{}
	cmd := &cobra.Command{
		Use:   "validate [-f] [spec.yaml]...",
		Short: "Check specs without rendering them",
		Long: `Validate runs each spec through everything render does (load, defaults,
validation, patches, the check that no two clusters render the same object)
without printing the manifests, and prints every problem with its file, line
and field path. It exits 0 when all are valid; -q prints nothing then.

--against names the committed output (a directory of render -o dir/, or a
file of render's stream) the specs will replace: a change Kubernetes refuses
to apply (a StatefulSet's storage size, storage class or access modes: its
volumeClaimTemplates are immutable) is then an error, printed with the
procedure that rolls it out instead.`,
		Example: `  mysqlgen validate cluster.yaml
  mysqlgen validate -q -f clusters/
  mysqlgen validate cluster.yaml --against deploy/mysql/`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeSpecFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			docs, trees, err := runPipeline(s, flags.in.withArgs(args), pipeline.Options{Order: output.OrderLegacy})
			if err != nil {
				return err
			}
			if flags.against != "" {
				if n, err := reportForbidden(s, flags.against, trees); err != nil || n > 0 {
					return cmp.Or(err, error(errAlreadyReported{count: n}))
				}
			}
			if flags.quiet {
				return nil
			}
			for _, d := range docs {
				fmt.Fprintf(s.out, "%s: MySQLCluster %s is valid\n", d.Source, d.Cluster.Metadata.Name)
			}
			return nil
		},
	}
	flags.in.register(cmd)
	cmd.Flags().BoolVarP(&flags.quiet, "quiet", "q", false, "print nothing when every spec is valid (errors still go to stderr)")
	cmd.Flags().StringVar(&flags.against, "against", "", "committed output (dir/ or file) to check the update against: fail on a change Kubernetes refuses to apply")
	return cmd
}
