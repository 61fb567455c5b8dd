// Package dexconfig is authstack's one model of dex's config file: the
// typed Config, Parse for every form a user keeps it in (dex's own file,
// the dex Helm chart's values with the config under config:, a Secret or
// ConfigMap holding config.yaml), Print for the file render writes, and
// Edit, which writes into a user's file only what is added to it.
package dexconfig
