// Package apply installs a rendered stack into a cluster with server-side
// apply. It skips objects whose live state already matches what authstack
// manages, so an unchanged re-apply sends no write, keeps generated secrets
// in the cluster, and labels everything as one ApplySet so that objects the
// spec no longer renders can be pruned.
package apply
