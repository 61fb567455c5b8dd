package v1alpha1

import "strings"

// DexEnvName is the environment variable that holds a secret of dex's
// config: kind (CLIENT_SECRET, LDAP_BIND_PW...) and the client's or
// connector's id, upper-cased with "-" and "." as "_". dex reads a static
// client's secret from the variable its secretEnv names
// (dex storage/static.go, StaticClients secretEnv; cmd/dex/config.go), and
// the variables come from one Secret's keys, which must match
// [-._a-zA-Z0-9]+ (k8s.io/apimachinery validation IsConfigMapKey).
// Validation refuses ids whose names are not plain or collide
// (validateDexEnvNames).
func DexEnvName(kind, id string) string {
	return kind + "_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(id))
}
