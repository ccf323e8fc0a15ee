package main

import (
	"errors"

	"github.com/spf13/cobra"
)

type renderFlags struct {
	in        inputFlags
	out       outputFlags
	outputDir string
}

func newRenderCommand(s streams) *cobra.Command {
	flags := &renderFlags{}
	cmd := &cobra.Command{
		Use:   "render [-f] [spec.yaml]...",
		Short: "Render the manifests of one or more clusters",
		Long: `Render loads each spec strictly, fills in defaults, validates it, and prints
the cluster's manifests as YAML documents. With no spec it renders the default
cluster. Output is written only when every spec is valid: on any error nothing
reaches stdout, so a pipe into kubectl applies nothing.

-o json prints a v1 List instead. -o dir/ (or --output-dir dir, or -o with an
existing directory) writes one file per object and a Kustomization file
listing them, for a GitOps repository: both kubectl apply -f dir/ and
kubectl apply -k dir/ take the directory. It is replaced as a whole
(atomically), so files no longer rendered disappear, and it is left untouched
on any error. Documents come in kustomize's legacy order, the order kustomize
build prints, or with --order helm in Helm's install order.`,
		Example: `  mysqlgen render | kubectl apply -f -
  mysqlgen render cluster.yaml > cluster.rendered.yaml
  mysqlgen render -f clusters/            # every *.yaml in the directory
  cat cluster.yaml | mysqlgen render -f -
  mysqlgen render -f cluster.yaml -n shop | kubectl apply -f -
  mysqlgen render -f cluster.yaml -o deploy/mysql/   # a directory for Argo CD or Flux
  mysqlgen render -f cluster.yaml -o json --order helm`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeSpecFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			if flags.outputDir != "" {
				if cmd.Flags().Changed("output") {
					return errors.New("-o and --output-dir both name the output: give one")
				}
				flags.out.output = flags.outputDir + "/"
			}
			return runRender(s, flags.in.withArgs(args), flags.out)
		},
	}
	flags.in.register(cmd)
	flags.out.register(cmd, "output: yaml, json (a v1 List), or a directory (ending in /, or existing) for one file per object")
	cmd.Flags().StringVar(&flags.outputDir, "output-dir", "", "write one file per object into this directory (as -o dir/)")
	must(cmd.MarkFlagDirname("output-dir"))
	return cmd
}

func runRender(s streams, in inputFlags, out outputFlags) error {
	dest, err := out.parse()
	if err != nil {
		return err
	}
	_, trees, err := runPipeline(s, in, dest.pipelineOptions())
	if err != nil {
		return err
	}
	return writeOutput(s, trees, dest)
}
