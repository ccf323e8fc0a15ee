package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"
)

// backups prints the CronJob's own pod with the argument list, as a Job; a
// cluster without spec.backup is an error with nothing on stdout.
func TestBackupsCommand(t *testing.T) {
	for _, ex := range []string{"backup-pvc.yaml", "backup-s3.yaml"} {
		t.Run(ex, func(t *testing.T) {
			r := run(t, "", "backups", example(ex))
			if r.code != 0 || r.err != "" {
				t.Fatalf("backups: exit %d, %s", r.code, r.err)
			}
			var job batchv1.Job
			if err := yaml.UnmarshalStrict([]byte(r.stdout), &job); err != nil {
				t.Fatal(err)
			}
			var cronJob batchv1.CronJob
			for _, doc := range strings.Split(run(t, "", "render", example(ex)).stdout, "\n---\n") {
				if strings.Contains(doc, "\nkind: CronJob\n") {
					if err := yaml.UnmarshalStrict([]byte(doc), &cronJob); err != nil {
						t.Fatal(err)
					}
				}
			}
			if job.Kind != "Job" || job.Name != strings.TrimSuffix(cronJob.Name, "-backup")+"-backup-list" || job.Namespace != cronJob.Namespace {
				t.Errorf("job %s %s/%s", job.Kind, job.Namespace, job.Name)
			}
			pod := job.Spec.Template.Spec
			if args := pod.Containers[0].Args; len(args) != 1 || args[0] != "list" {
				t.Errorf("args %v, want [list]", args)
			}
			pod.Containers[0].Args = nil
			if d := cmp.Diff(cronJob.Spec.JobTemplate.Spec.Template, batchv1.JobTemplateSpec{}.Spec.Template); d == "" {
				t.Fatal("no CronJob rendered")
			}
			want := cronJob.Spec.JobTemplate.Spec.Template
			want.Spec = pod
			if d := cmp.Diff(cronJob.Spec.JobTemplate.Spec.Template, want); d != "" {
				t.Errorf("the list Job's pod differs from the CronJob's but for args (-cronjob +job):\n%s", d)
			}
			if *job.Spec.BackoffLimit != 0 || *job.Spec.ActiveDeadlineSeconds != 600 || *job.Spec.TTLSecondsAfterFinished != 3600 {
				t.Errorf("job spec %+v", job.Spec)
			}
		})
	}
	r := run(t, "", "backups", example("minimal.yaml"))
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.err, "cluster dev-db has no spec.backup") {
		t.Errorf("backups of a cluster without spec.backup: %+v", r)
	}
}
