// Package kubeadm sets kube-apiserver flags and host mounts in a kubeadm
// configuration file (the ClusterConfiguration's apiServer.extraArgs and
// apiServer.extraVolumes), for both the v1beta3 and v1beta4 formats, and
// leaves every other document of the file untouched.
package kubeadm
