package render

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// scriptEnv is the environment of every container: the scripts' only
// parameters (templates/common.sh documents each).
func scriptEnv(c *cluster) []corev1.EnvVar {
	gtid, metrics := onOff(*c.Spec.Replication.GTID), onOff(c.Spec.Metrics.Enabled)
	vars := [][2]string{
		{"MYSQLGEN_BACKUP_PORT", fmt.Sprint(portBackup)},
		{"MYSQLGEN_BACKUP_PRIVILEGES", c.release.BackupPrivileges},
		{"MYSQLGEN_BACKUP_USER", userBackup},
		{"MYSQLGEN_CONF_DIR", pathConf},
		{"MYSQLGEN_CONFIG_DIR", pathConfig},
		{"MYSQLGEN_DATA_ROOT", pathDataRoot},
		{"MYSQLGEN_DIALECT", c.release.Dialect},
		{"MYSQLGEN_FLAVOR", c.Spec.Flavor},
		{"MYSQLGEN_GTID", gtid},
		{"MYSQLGEN_MAX_LAG_SECONDS", fmt.Sprint(*c.Spec.Replication.MaxLagSeconds)},
		{"MYSQLGEN_METRICS", metrics},
		{"MYSQLGEN_METRICS_PRIVILEGES", c.release.MetricsPrivileges},
		{"MYSQLGEN_METRICS_USER", userMetrics},
		{"MYSQLGEN_MYSQL_PORT", fmt.Sprint(portMySQL)},
		{"MYSQLGEN_PRIMARY_HOST", c.primaryHost()},
		{"MYSQLGEN_REPLICATION_USER", userReplication},
		{"MYSQLGEN_SECRET_DIR", pathSecret},
		{"MYSQLGEN_SERVICE", c.Metadata.Name},
		{"MYSQLGEN_SOCKET", pathSocket},
	}
	env := make([]corev1.EnvVar, 0, len(vars))
	for _, v := range vars {
		env = append(env, corev1.EnvVar{Name: v[0], Value: v[1]})
	}
	return env
}

// primaryHost is ordinal 0's stable DNS name through the headless Service;
// the pod's DNS search path resolves it in the pod's own namespace.
func (c *cluster) primaryHost() string {
	return c.Metadata.Name + "-0." + c.Metadata.Name
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}
