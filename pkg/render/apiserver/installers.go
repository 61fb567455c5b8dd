package apiserver

import (
	"fmt"
	"net"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
	kindv1alpha4 "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/formats/kubeapiserver"
	"github.com/authstack/authstack/pkg/patch/kubeadm"
	"github.com/authstack/authstack/pkg/patch/kubespray"
)

// Input is what the installer renderers need besides the spec.
type Input struct {
	Spec *v1alpha1.Spec
	// CAPEM is the issuer CA bundle, empty for a publicly trusted issuer.
	CAPEM string
	// AuthConfig is the rendered AuthenticationConfiguration (authentication-config mode).
	AuthConfig []byte
	// MountDir is the absolute directory the rendered files are written
	// to, for the kind config's mounts; empty when not known (stdout).
	MountDir string
}

func (in Input) hasCA() bool { return in.CAPEM != "" }

// KubesprayVars are the inventory variables of kubespray's
// group_vars/k8s_cluster/k8s-cluster.yml. Kubespray v2.31 and later write
// the AuthenticationConfiguration from kube_apiserver_authentication_config_jwt;
// older releases know only the kube_oidc_* flags.
func KubesprayVars(in Input) ([]kubespray.Var, error) {
	spec := in.Spec
	a := spec.APIServer
	if a.Mode == v1alpha1.ModeAuthConfig {
		jwt, err := kubeapiserver.KubesprayJWTValue(JWTAuthenticator(spec, in.CAPEM))
		if err != nil {
			return nil, err
		}
		return []kubespray.Var{
			{Name: kubeapiserver.KubesprayOIDC, Value: false},
			{Name: kubeapiserver.KubesprayVar(AuthConfigFlag), Value: true},
			{Name: kubeapiserver.KubesprayJWT, Value: jwt},
		}, nil
	}
	// Kubespray's templates quote these values into YAML as they are.
	flags := Flags(spec, in.hasCA())
	if err := CheckFlags(flags); err != nil {
		return nil, err
	}
	kv, err := kubeapiserver.KubesprayVars(flags)
	if err != nil {
		return nil, fmt.Errorf("kubespray: %w", err)
	}
	vars := make([]kubespray.Var, 0, len(kv)+1)
	for _, v := range kv {
		vars = append(vars, kubespray.Var{Name: v.Name, Value: v.Value})
	}
	return append(vars, kubespray.Var{Name: kubeapiserver.KubesprayVar(AuthConfigFlag), Value: false}), nil
}

// KubesprayVarsFile renders the variables as a YAML snippet for users who
// paste instead of letting authstack patch their inventory.
func KubesprayVarsFile(in Input) ([]byte, error) {
	vars, err := KubesprayVars(in)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("# kube-apiserver OIDC settings for kubespray, rendered by authstack.\n")
	b.WriteString("# Merge into inventory/<cluster>/group_vars/k8s_cluster/k8s-cluster.yml,\n")
	b.WriteString("# or let authstack do it: authstack render -f authstack.yaml --kubespray-vars PATH --in-place\n")
	for _, v := range vars {
		out, err := yaml.Marshal(map[string]any{v.Name: v.Value})
		if err != nil {
			return nil, err
		}
		b.Write(out)
	}
	return []byte(b.String()), nil
}

// KubesprayNextStep is the command that regenerates kube-apiserver.yaml.
func KubesprayNextStep(inventory string) string {
	return fmt.Sprintf("ansible-playbook -i %s cluster.yml --become --tags control-plane,master --limit kube_control_plane", inventory)
}

// KubeadmAPIVersion is the kubeadm config version for the cluster: v1beta4
// (extraArgs as a name/value list) from Kubernetes 1.31, v1beta3 before.
func KubeadmAPIVersion(spec *v1alpha1.Spec) string {
	if v, err := spec.Cluster.ParsedVersion(); err == nil && v.AtLeast(version.MustParseGeneric("1.31")) {
		return "kubeadm.k8s.io/v1beta4"
	}
	return "kubeadm.k8s.io/v1beta3"
}

// kindKubeadmAPIVersion is the version kind v0.33 generates, which its
// kubeadmConfigPatches must match: v1beta4 only from Kubernetes 1.36.
func kindKubeadmAPIVersion(spec *v1alpha1.Spec) string {
	if v, err := spec.Cluster.ParsedVersion(); err == nil && v.AtLeast(version.MustParseGeneric("1.36")) {
		return "kubeadm.k8s.io/v1beta4"
	}
	return "kubeadm.k8s.io/v1beta3"
}

// KubeadmArgs are the apiServer.extraArgs to set and to remove.
func KubeadmArgs(in Input) (set []kubeadm.Arg, remove []string) {
	return Flags(in.Spec, in.hasCA()), RemovedFlags(in.Spec)
}

// NodeFile is a file the API server reads from its node: it is written
// there before the API server points at it, and mounted into the API
// server's pod unless it is under /etc/kubernetes/pki, which kubeadm mounts
// already.
type NodeFile struct {
	Name, Path string
	Data       []byte
	Mount      bool
}

// NodeFiles are the files the spec's API server settings name: the
// AuthenticationConfiguration, or the issuer CA bundle in flags mode.
func NodeFiles(in Input) []NodeFile {
	a := in.Spec.APIServer
	var f NodeFile
	switch {
	case a.Mode == v1alpha1.ModeAuthConfig:
		f = NodeFile{Name: "authstack-authentication-config", Path: a.AuthenticationConfigPath, Data: in.AuthConfig}
	case in.hasCA():
		f = NodeFile{Name: "authstack-oidc-ca", Path: a.IssuerCAPath, Data: []byte(in.CAPEM)}
	default:
		return nil
	}
	f.Mount = !strings.HasPrefix(f.Path, "/etc/kubernetes/pki/")
	return []NodeFile{f}
}

// KubeadmVolumes mount the files the API server reads from its node.
func KubeadmVolumes(in Input) []kubeadm.Volume {
	var vols []kubeadm.Volume
	for _, f := range NodeFiles(in) {
		if f.Mount {
			vols = append(vols, kubeadm.Volume{Name: f.Name, HostPath: f.Path, MountPath: f.Path, PathType: "File", ReadOnly: true})
		}
	}
	return vols
}

// StaticPodMounts mount the files the API server reads into its static pod.
func StaticPodMounts(in Input) []kubeapiserver.Mount {
	var ms []kubeapiserver.Mount
	for _, f := range NodeFiles(in) {
		if f.Mount {
			ms = append(ms, kubeapiserver.Mount{Name: f.Name, Path: f.Path})
		}
	}
	return ms
}

// KubeadmPatch renders a ClusterConfiguration document with the API server
// settings, to merge into a kubeadm config.
func KubeadmPatch(in Input) ([]byte, error) {
	doc, err := clusterConfiguration(KubeadmAPIVersion(in.Spec), in)
	if err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	head := "# kube-apiserver OIDC settings for kubeadm, rendered by authstack. Merge into your\n" +
		"# kubeadm config, or: authstack render -f authstack.yaml --kubeadm-config PATH --in-place\n"
	return append([]byte(head), out...), nil
}

func clusterConfiguration(apiVersion string, in Input) (map[string]any, error) {
	set, _ := KubeadmArgs(in)
	args, err := kubeapiserver.KubeadmExtraArgs(apiVersion, set)
	if err != nil {
		return nil, fmt.Errorf("kubeadm: %w", err)
	}
	apiServer := map[string]any{"extraArgs": args}
	var vols []map[string]any
	for _, v := range KubeadmVolumes(in) {
		vols = append(vols, map[string]any{"name": v.Name, "hostPath": v.HostPath, "mountPath": v.MountPath, "pathType": v.PathType, "readOnly": v.ReadOnly})
	}
	if len(vols) > 0 {
		apiServer["extraVolumes"] = vols
	}
	return map[string]any{"apiVersion": apiVersion, "kind": "ClusterConfiguration", "apiServer": apiServer}, nil
}

// Paths of the files the kind config mounts, relative to the render output
// directory.
const (
	AuthConfigFile = "apiserver/authentication-config.yaml"
	CAFile         = "apiserver/oidc-ca.crt"
)

// IngressReadyLabel is the node label ingress-nginx's kind manifests select
// the controller's node by (deploy/static/provider/kind: nodeSelector
// ingress-ready: "true"), the node whose ports 80 and 443 kind maps.
const IngressReadyLabel = "ingress-ready"

// KindCluster renders a kind cluster config whose API server trusts the
// issuer and whose node serves the edge: kind create cluster --config works
// with it as it is when in.MountDir is set.
func KindCluster(in Input) ([]byte, error) {
	spec := in.Spec
	a := spec.APIServer
	addr, port, err := spec.Cluster.KindAPIServer()
	if err != nil {
		return nil, fmt.Errorf("spec.cluster.server: %w", err)
	}
	node := kindv1alpha4.Node{
		Role:   kindv1alpha4.ControlPlaneRole,
		Labels: map[string]string{IngressReadyLabel: "true"},
	}
	// kind resolves a relative hostPath against the directory it runs in
	// (kind v0.33 providers/docker/provision.go: filepath.Abs), not the
	// config's: an absolute path works from anywhere.
	mount := func(file string) string {
		if in.MountDir != "" {
			return filepath.Join(in.MountDir, filepath.FromSlash(file))
		}
		return "./" + file
	}
	if a.Mode == v1alpha1.ModeAuthConfig {
		node.ExtraMounts = append(node.ExtraMounts, kindv1alpha4.Mount{HostPath: mount(AuthConfigFile), ContainerPath: a.AuthenticationConfigPath, Readonly: true})
	} else if in.hasCA() {
		node.ExtraMounts = append(node.ExtraMounts, kindv1alpha4.Mount{HostPath: mount(CAFile), ContainerPath: a.IssuerCAPath, Readonly: true})
	}
	node.ExtraPortMappings = edgePorts(spec)
	doc, err := clusterConfiguration(kindKubeadmAPIVersion(spec), in)
	if err != nil {
		return nil, err
	}
	patch, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	c := kindv1alpha4.Cluster{
		TypeMeta: kindv1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Name:     spec.Cluster.Name,
		Nodes:    []kindv1alpha4.Node{node},
		// Pinned, so the rendered kubeconfig's server is this cluster's.
		Networking:           kindv1alpha4.Networking{APIServerAddress: addr, APIServerPort: port},
		KubeadmConfigPatches: []string{string(patch)},
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	head := "# kind cluster whose API server accepts the stack's tokens: kind create cluster --config THIS-FILE\n"
	if in.MountDir == "" {
		head = "# kind cluster whose API server accepts the stack's tokens. The mounted paths are relative to\n" +
			"# the render output directory: run kind there, or render with -o DIR for absolute paths.\n"
	}
	return append([]byte(head), out...), nil
}

// edgePorts maps the ports the stack's hosts name (443 unless a host says
// otherwise) to the node's 443, where ingress-nginx's kind deployment
// listens (hostPort), and 80 to 80 for its redirect. Only on loopback: the
// edge of a laptop cluster (static test users, known passwords) is not for
// the network.
func edgePorts(spec *v1alpha1.Spec) []kindv1alpha4.PortMapping {
	hosts := []string{}
	if d := spec.Issuer.Dex; d != nil {
		hosts = append(hosts, d.Host)
	}
	for _, app := range spec.Apps {
		hosts = append(hosts, app.Host)
	}
	var ports []int32
	for _, h := range hosts {
		port := int32(443)
		if _, p, err := net.SplitHostPort(h); err == nil {
			if n, err := strconv.ParseUint(p, 10, 16); err == nil {
				port = int32(n)
			}
		}
		if !slices.Contains(ports, port) {
			ports = append(ports, port)
		}
	}
	if len(ports) == 0 {
		ports = []int32{443}
	}
	m := []kindv1alpha4.PortMapping{{ContainerPort: 80, HostPort: 80, ListenAddress: "127.0.0.1", Protocol: kindv1alpha4.PortMappingProtocolTCP}}
	for _, p := range ports {
		m = append(m, kindv1alpha4.PortMapping{ContainerPort: 443, HostPort: p, ListenAddress: "127.0.0.1", Protocol: kindv1alpha4.PortMappingProtocolTCP})
	}
	return m
}

// FlagsFile lists the API server flags, one per line, for installers that
// authstack does not patch.
func FlagsFile(in Input) ([]byte, error) {
	flags := Flags(in.Spec, in.hasCA())
	if err := CheckFlags(flags); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("# kube-apiserver flags rendered by authstack. Remove any other --oidc-* flag.\n")
	for _, f := range flags {
		fmt.Fprintf(&b, "--%s=%s\n", f.Name, f.Value)
	}
	if in.Spec.APIServer.Mode == v1alpha1.ModeAuthConfig {
		fmt.Fprintf(&b, "# Copy %s to %s on every control-plane node.\n", path.Base(AuthConfigFile), in.Spec.APIServer.AuthenticationConfigPath)
		b.WriteString("# The API server refuses --oidc-* flags together with --authentication-config.\n")
	} else if in.hasCA() {
		fmt.Fprintf(&b, "# Copy %s to %s on every control-plane node.\n", path.Base(CAFile), in.Spec.APIServer.IssuerCAPath)
	}
	return []byte(b.String()), nil
}
