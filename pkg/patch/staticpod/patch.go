package staticpod

import (
	"fmt"

	"github.com/authstack/authstack/pkg/formats/kubeapiserver"
)

// CheckTarget tells whether src is a manifest Patch may edit: a v1 Pod with
// a container named kube-apiserver. Any other object (a Deployment with such
// a container, a kubeadm config) is not what the kubelet runs from its
// static pod directory.
func CheckTarget(src []byte) error {
	m, err := kubeapiserver.ParseManifest(src)
	if err != nil {
		return err
	}
	for _, c := range m.Pod.Spec.Containers {
		if c.Name == kubeapiserver.ContainerName {
			return nil
		}
	}
	return fmt.Errorf("not the kube-apiserver static pod: no container named %s", kubeapiserver.ContainerName)
}

// Patch sets the flags (replacing their old values, keeping the syntax they
// were written in), removes the flags named in remove and mounts the files
// the flags point at. Every other line of src is kept; when nothing changes
// src is returned as is.
func Patch(src []byte, set []kubeapiserver.Flag, remove []string, mounts []kubeapiserver.Mount) ([]byte, error) {
	if err := CheckTarget(src); err != nil {
		return nil, err
	}
	out, err := kubeapiserver.EditManifest(src, kubeapiserver.Edit{Set: set, Remove: remove, Mounts: mounts})
	if err != nil {
		return nil, fmt.Errorf("static pod manifest: %w; set the kube-apiserver flags by hand (authstack render prints them)", err)
	}
	return out, nil
}
