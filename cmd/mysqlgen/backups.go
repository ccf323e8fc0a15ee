package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/render"
)

func newBackupsCommand(s streams) *cobra.Command {
	var in inputFlags
	cmd := &cobra.Command{
		Use:   "backups [-f] [spec.yaml]...",
		Short: "Print a Job that lists the complete backups of a cluster's destination",
		Long: `Backups prints, for each cluster with spec.backup, a Job <name>-backup-list
that runs the backup CronJob's own pod (same image, credentials, claim or
bucket, network policy) with the argument list: its log is the destination's
complete backups. A backup cut short is not
listed. The Job runs once, for at most ten minutes, and is deleted an hour
after it ends. spec.patches are not applied to it.`,
		Example: `  kubectl delete job mysql-backup-list --ignore-not-found
  mysqlgen backups -f cluster.yaml | kubectl create -f -
  kubectl wait --for=condition=complete job/mysql-backup-list --timeout=10m
  kubectl logs job/mysql-backup-list`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeSpecFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			docs, err := loadClusters(s, in.withArgs(args))
			if err != nil {
				return err
			}
			var jobs []manifest.Object
			for _, d := range docs {
				job := render.BackupListJob(d.Cluster)
				if job == nil {
					return fmt.Errorf("%s: cluster %s has no spec.backup: there is no destination to list", d.Source, d.Cluster.Metadata.Name)
				}
				jobs = append(jobs, job)
			}
			return writeObjects(s.out, jobs)
		},
	}
	in.register(cmd)
	return cmd
}
