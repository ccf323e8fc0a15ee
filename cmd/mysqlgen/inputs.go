package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// specExtensions are the file names a spec may have, as -f reads a
// directory; completion offers only these.
var specExtensions = []string{"yaml", "yml"}

// inputFlags are the specs a command reads (-f, or positional arguments as
// kubectl users type them) and the namespace -n gives those that have none.
type inputFlags struct {
	files     []string
	namespace string
}

func (f *inputFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&f.files, "filename", "f", nil, "spec file, directory of specs, or - for stdin (repeatable; positional arguments work too)")
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "", "namespace of the clusters whose spec sets none (an error for a spec that sets another, as with kubectl)")
	must(cmd.RegisterFlagCompletionFunc("filename", completeSpecFiles))
	must(cmd.RegisterFlagCompletionFunc("namespace", cobra.NoFileCompletions))
}

// withArgs adds positional spec files after those of -f.
func (f inputFlags) withArgs(args []string) inputFlags {
	f.files = append(append([]string(nil), f.files...), args...)
	return f
}

// completeSpecFiles offers only the files a spec may be (and directories).
func completeSpecFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return specExtensions, cobra.ShellCompDirectiveFilterFileExt
}

// setNamespace gives the clusters without a namespace the one of -n, and
// refuses a cluster whose spec names another, as kubectl apply -n does: a
// flag that silently lost to the file would deploy somewhere unexpected.
func setNamespace(docs []*spec.Document, ns string) []error {
	if ns == "" {
		return nil
	}
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return []error{fmt.Errorf("--namespace %q: %s", ns, strings.Join(msgs, "; "))}
	}
	var errs []error
	for _, d := range docs {
		switch have := d.Cluster.Metadata.Namespace; have {
		case "":
			d.Cluster.Metadata.Namespace = ns
		case ns:
		default:
			msg := fmt.Sprintf("does not match --namespace=%s: pass --namespace=%s, or no --namespace", ns, have)
			errs = append(errs, d.Annotate(field.ErrorList{field.Invalid(field.NewPath("metadata", "namespace"), have, msg)}))
		}
	}
	return errs
}

// must panics on a programming error found when a command is built.
func must(err error) {
	if err != nil {
		panic(err)
	}
}
