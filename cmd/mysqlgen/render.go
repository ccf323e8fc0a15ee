package main

import (
	"github.com/spf13/cobra"
)

type renderFlags struct {
	files []string
	out   outputFlags
}

func newRenderCommand(s streams) *cobra.Command {
	flags := &renderFlags{}
	cmd := &cobra.Command{
		Use:   "render [-f spec.yaml]...",
		Short: "Render the manifests of one or more clusters",
		Long: `Render loads each spec strictly, fills in defaults, validates it, and prints
the cluster's manifests as YAML documents. With no -f it renders the default
cluster. Output is written only when every spec is valid: on any error nothing
reaches stdout, so a pipe into kubectl applies nothing.

-o json prints a v1 List instead. -o dir/ writes one file per object and a
kustomization.yaml listing them, for a GitOps repository: the directory is
replaced as a whole (atomically), so files no longer rendered disappear, and it
is left untouched on any error. Documents come in kustomize's legacy order,
the order kustomize build prints, or with --order helm in Helm's install order.`,
		Example: `  mysqlgen render | kubectl apply -f -
  mysqlgen render -f cluster.yaml > cluster.rendered.yaml
  mysqlgen render -f clusters/            # every *.yaml in the directory
  cat cluster.yaml | mysqlgen render -f -
  mysqlgen render -f cluster.yaml -o deploy/mysql/   # a directory for Argo CD or Flux
  mysqlgen render -f cluster.yaml -o json --order helm`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRender(s, flags)
		},
	}
	cmd.Flags().StringArrayVarP(&flags.files, "filename", "f", nil, "spec file, directory of specs, or - for stdin (repeatable)")
	flags.out.register(cmd, "output: yaml, json (a v1 List), or a directory ending in / (one file per object)")
	return cmd
}

func runRender(s streams, flags *renderFlags) error {
	dest, err := flags.out.parse()
	if err != nil {
		return err
	}
	_, trees, err := runPipeline(s, flags.files, dest.pipelineOptions())
	if err != nil {
		return err
	}
	return writeOutput(s, trees, dest)
}
