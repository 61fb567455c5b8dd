// Package kubespray sets Ansible variables in a kubespray inventory's
// group_vars file (inventory/<name>/group_vars/k8s_cluster/k8s-cluster.yml)
// by editing only the lines of those variables, so that the user's comments,
// order and the rest of kubespray's commented sample stay as they were.
package kubespray
