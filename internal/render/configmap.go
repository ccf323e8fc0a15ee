package render

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/mysqlgen/mysqlgen/templates"
)

// makeConfigConfigMap holds the option files: the shared my.cnf and the two
// role files init-mysql chooses from.
func makeConfigConfigMap(c *cluster) *corev1.ConfigMap {
	data := map[string]string{fileMyCnf: makeMyCnf(c)}
	if a := accountsFile(c); a != "" {
		data[fileAccounts] = a
	}
	for _, f := range templates.RoleConfigs {
		data[f] = templates.MustRead(f)
	}
	return &corev1.ConfigMap{
		TypeMeta:   typeMeta("v1", "ConfigMap"),
		ObjectMeta: c.objectMeta(c.name(configSuffix)),
		Data:       data,
	}
}

// makeScriptsConfigMap holds the scripts, byte for byte as embedded.
func makeScriptsConfigMap(c *cluster) *corev1.ConfigMap {
	data := map[string]string{}
	for _, f := range templates.Scripts {
		data[f] = templates.MustRead(f)
	}
	return &corev1.ConfigMap{
		TypeMeta:   typeMeta("v1", "ConfigMap"),
		ObjectMeta: c.objectMeta(c.name(scriptsSuffix)),
		Data:       data,
	}
}
