// Package kubeapiserver is authstack's one model of kube-apiserver's
// authentication settings in every form an installer keeps them: command-line
// flags (in a static pod manifest), kubeadm's apiServer.extraArgs
// (v1beta3 map, v1beta4 list) and kubespray's inventory variables. Options is
// the one table of which installer setting carries which API server option;
// render prints through it, patch edits through it and doctor parses through
// it, so the three cannot disagree.
package kubeapiserver
