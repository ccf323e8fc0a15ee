package main

import (
	"bytes"

	"github.com/spf13/cobra"

	"github.com/mysqlgen/mysqlgen/pkg/render"
)

type renderFlags struct {
	files []string
}

func newRenderCommand(s streams) *cobra.Command {
	flags := &renderFlags{}
	cmd := &cobra.Command{
		Use:   "render [-f spec.yaml]...",
		Short: "Render the manifests of one or more clusters",
		Long: `Render loads each spec strictly, fills in defaults, validates it, and prints
the cluster's manifests as YAML documents. With no -f it renders the default
cluster. Output is written only when every spec is valid: on any error nothing
reaches stdout, so a pipe into kubectl applies nothing.`,
		Example: `  mysqlgen render | kubectl apply -f -
  mysqlgen render -f cluster.yaml > cluster.rendered.yaml
  mysqlgen render -f clusters/            # every *.yaml in the directory
  cat cluster.yaml | mysqlgen render -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRender(s, flags)
		},
	}
	cmd.Flags().StringArrayVarP(&flags.files, "filename", "f", nil, "spec file, directory of specs, or - for stdin (repeatable)")
	return cmd
}

func runRender(s streams, flags *renderFlags) error {
	docs, err := loadClusters(s, flags.files)
	if err != nil {
		return err
	}
	var objs []render.Object
	for _, d := range docs {
		objs = append(objs, render.Objects(d.Cluster)...)
	}
	out, err := render.Encode(objs)
	if err != nil {
		return err
	}
	return writeAll(s.out, bytes.NewBuffer(out))
}
