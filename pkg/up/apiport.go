package up

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// The API server's host address. kind publishes the API server on a port of
// this machine (networking.apiServerAddress/apiServerPort,
// kind.sigs.k8s.io/docs/user/configuration/#api-server); the rendered kind
// config pins it to what spec.cluster.server says, 127.0.0.1:6443 unless
// the spec names one. A second cluster, or anything else on 6443, would
// make kind fail late with Docker's "port is already allocated". So up
// picks a free port of 127.0.0.1 when the spec leaves cluster.server
// unset, and checks an explicit one before it creates anything.

// listenFunc is net.Listen, replaceable in tests.
type listenFunc func(network, address string) (net.Listener, error)

// apiServerURL is the spec.cluster.server up uses. explicit says the spec
// file set cluster.server; current is the defaulted value.
func apiServerURL(file string, explicit bool, current string, listen listenFunc) (string, error) {
	if !explicit {
		// Port 0: the kernel picks a port free right now. Another process
		// could take it before kind binds it; that race is far narrower
		// than a fixed port every kind cluster wants.
		l, err := listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", fmt.Errorf("find a free port on 127.0.0.1 for the API server: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		return "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
	}
	c := v1alpha1.Cluster{Server: current}
	host, port, err := c.KindAPIServer()
	if err != nil {
		return "", fmt.Errorf("%s: spec.cluster.server: %w", file, err)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(int(port)))
	l, err := listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return "", fmt.Errorf("%s: spec.cluster.server is %s, but %s is already in use on this machine (another kind cluster's API server?): stop what listens there, or remove cluster.server from the spec and up picks a free port", file, current, addr)
		}
		return "", fmt.Errorf("%s: spec.cluster.server is %s, and kind could not bind %s: %w", file, current, addr, err)
	}
	_ = l.Close()
	return current, nil
}

// serverIsSet reads whether the spec file sets spec.cluster.server itself
// (config.LoadFile fills in the kind default, so the loaded spec cannot
// tell).
func serverIsSet(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	var doc struct {
		Spec struct {
			Cluster struct {
				Server *string `json:"server"`
			} `json:"cluster"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return doc.Spec.Cluster.Server != nil && *doc.Spec.Cluster.Server != "", nil
}
